/**
 * Public option, result and stats types of {@link ThreadPool} (kept apart
 * from the implementation so the class file stays readable).
 */
import type { ResourceLimits, SHARE_ENV, TransferListItem } from 'node:worker_threads';
import type { HistogramSnapshot } from '../metrics/histogram.ts';
import type { PlacementPolicy } from './core-placement.ts';
import type { ThreadPool } from './thread-pool.ts';

/** What a {@link RejectionHandler} function receives about the task it must deal with. */
export interface RejectedTask {
  /** The export name. */
  readonly name: string;
  /** The arguments as given to `run`. */
  readonly args: readonly unknown[];
  /** The module URL. */
  readonly filename: string;
}

/**
 * What happens to a task that can be neither run nor queued: `'abort'`
 * rejects it with `TaskRejectedError`; `'caller-runs'` runs it on the calling
 * thread; `'discard'` settles it with `TaskDiscardedError`; `'discard-oldest'`
 * settles the oldest queued task with `TaskDiscardedError` and queues this
 * one; a function decides (its return value, or promise, becomes the task's result).
 * @example new ThreadPool({ filename, queueSize: 100, rejectionHandler: 'caller-runs' })
 */
export type RejectionHandler =
  | 'abort'
  | 'caller-runs'
  | 'discard'
  | 'discard-oldest'
  | ((task: RejectedTask, pool: ThreadPool) => unknown);

/** How a worker thread is made: the parts of `WorkerOptions` a pool lets you set per thread. */
export interface ThreadSpec {
  /** V8 heap limits; exceeding them crashes the thread with ERR_WORKER_OUT_OF_MEMORY (the pool replaces it). */
  resourceLimits?: ResourceLimits;
  /** The thread's `process.env` (default: a copy of the parent's). */
  env?: NodeJS.ProcessEnv | typeof SHARE_ENV;
  /** Node options for the thread. */
  execArgv?: string[];
  /** The thread's `process.argv` additions. */
  argv?: unknown[];
  /** Pipe the thread's stdout/stderr instead of forwarding them to the parent's. */
  stdout?: boolean;
  stderr?: boolean;
}

/** Passed to a {@link ThreadPoolOptions.threadFactory}. */
export interface ThreadInfo {
  /** 0, 1, 2, ... in creation order (replacements get new numbers). */
  readonly index: number;
  /** The pool's name. */
  readonly pool: string;
}

/**
 * Options of {@link ThreadPool}.
 * @example new ThreadPool({ filename: new URL('./tasks.js', import.meta.url), coreThreads: 2, maxThreads: 4, queueSize: 1000 })
 */
export interface ThreadPoolOptions {
  /** Module whose named exports are the tasks (a file URL, URL string or path). Required. */
  filename: string | URL;
  /** Threads kept even when idle. Default `os.availableParallelism()`, at most `maxThreads` when that is given. */
  coreThreads?: number;
  /** Most threads. Default `coreThreads`. */
  maxThreads?: number;
  /** Most tasks waiting (in the pool's queue or sent ahead to a busy thread). Default `Infinity`. 0 means hand-off only. */
  queueSize?: number;
  /** An idle thread above core retires after this many ms (0 to 2^31 - 1, or Infinity: never). Default 60 000. */
  keepAliveMs?: number;
  /** Let core threads retire after `keepAliveMs` idle too. Default false. */
  allowCoreThreadTimeout?: boolean;
  /** `'eager'` (default): grow whenever no thread is idle. `'queue-full'`: Java's rule, grow only when the queue is full. */
  growth?: 'eager' | 'queue-full';
  /** See {@link RejectionHandler}. Default `'abort'`. */
  rejectionHandler?: RejectionHandler;
  /** Per-thread worker options (heap limits, env, exec args). */
  threadFactory?: (info: ThreadInfo) => ThreadSpec;
  /** Start all core threads now instead of on the first submissions. Default false. */
  prestart?: boolean;
  /**
   * Default per-task timeout, ms from the start of execution: more than 0, at
   * most 2^31 - 1, or `Infinity` (default) for none. 0 is refused (it would
   * time out every task).
   */
  taskTimeoutMs?: number;
  /** How long an aborted or timed-out task may keep running before its thread is replaced, ms (0 to 2^31 - 1). Default 1000. */
  abortGraceMs?: number;
  /** Pin each thread to CPUs (`'spread'`, `'compact'`, `'numa'` or explicit lists; see planCorePlacement). Default: no pinning. */
  affinity?: PlacementPolicy;
  /** Most tasks sent ahead to one thread; `'auto'` (default) adapts to the measured task run time. */
  prefetch?: number | 'auto';
  /**
   * How long the pool's own thread may busy-wait for results right after
   * sending tasks, µs, when only a few short tasks are in flight (their
   * measured run time at most half of this). Saves the event-loop wake-up
   * (several µs) on a round trip; blocks the event loop for at most this
   * long per tick. 0 never spins; at most 1 000 000 (one second). Default 20.
   */
  resultSpinUs?: number;
  /** Name used in error messages and stats. Default `'ThreadPool'`. */
  name?: string;
}

/** Per-call options of {@link ThreadPool.run}. */
export interface RunOptions {
  /** Run an export of this module instead of the pool's `filename`. */
  filename?: string | URL;
  /** Objects to move (not copy) to the worker: ArrayBuffers, MessagePorts. */
  transferList?: readonly TransferListItem[];
  /** Cancels the task: a queued one is removed, a running one is told (and replaced after `abortGraceMs`). */
  signal?: AbortSignal;
  /** Timeout in ms from the start of execution (overrides `taskTimeoutMs`; same rule: > 0 and <= 2^31 - 1, or Infinity). */
  timeoutMs?: number;
}

/** A snapshot of {@link ThreadPool.stats}. */
export interface ThreadPoolStats {
  /** Live threads (starting or ready). */
  threads: number;
  /** Threads with at least one task in hand. */
  active: number;
  /** Threads with none. */
  idle: number;
  /** Tasks waiting: in the pool's queue or sent ahead to a busy thread. */
  queued: number;
  /**
   * Tasks submitted: every `run` call whose arguments were valid. Each ends
   * in exactly one of `completed`, `failed`, `rejected` or `discarded`, so
   * once nothing is pending, `submitted === completed + failed + rejected + discarded`.
   */
  submitted: number;
  /** Tasks that returned a value (on a thread, on the caller with 'caller-runs', or from a rejection-handler function). */
  completed: number;
  /** Tasks that threw, crashed, timed out or were aborted (also before they were submitted: an already-aborted signal), had arguments that could not be sent, or were cut off by `close({ force: true })`. */
  failed: number;
  /** Tasks refused when submitted: the 'abort' rejection handler (`TaskRejectedError`) or a closed pool (`ClosedError`). */
  rejected: number;
  /** Tasks settled with `TaskDiscardedError` ('discard' of the new task, 'discard-oldest' of the oldest waiting one). */
  discarded: number;
  /** Of `failed`: settled by a timeout. */
  timedOut: number;
  /** Of `failed`: settled by their AbortSignal. */
  aborted: number;
  /** Threads that died unexpectedly (and were replaced). */
  crashes: number;
  /** Threads started so far. */
  threadsStarted: number;
  /** Time from submission to start of execution, ms. */
  waitTime: HistogramSnapshot;
  /** Execution time measured in the worker, ms. */
  runTime: HistogramSnapshot;
}

