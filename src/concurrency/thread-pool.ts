/**
 * ThreadPool: worker threads that run named exports of a module, with Java
 * `ThreadPoolExecutor` sizing semantics and a shared-memory fast path.
 *
 * Transport. Each thread has two rings in shared memory (pool-channel.ts):
 * requests in, results out. A small task's arguments are encoded straight
 * into the request ring (pool-codec.ts; structured-clone bytes for types it
 * does not handle); large payloads and `transferList`s travel on a
 * MessagePort, with a marker frame in the ring so order is kept and the
 * worker picks the message up synchronously. Tasks submitted in one tick are
 * published with one atomic store and at most one wake-up per thread (a
 * microtask flushes them). The pool's own thread waits for results with
 * `Atomics.waitAsync` on one word that workers touch only when it says it
 * is asleep; one wake-up drains every result that arrived.
 *
 * Sizing (Java semantics). Below `coreThreads` each submission starts a
 * thread. Past that, `growth: 'queue-full'` (Java's rule) queues the task
 * and adds threads up to `maxThreads` only when the queue is full;
 * `growth: 'eager'` adds a thread whenever none is idle. A task that can be
 * neither run nor queued goes to the `rejectionHandler`. Threads above core
 * retire after `keepAliveMs` idle (core threads too, with
 * `allowCoreThreadTimeout`).
 *
 * Pipelining. To hide the round trip, a busy thread may be sent up to
 * `prefetch` tasks ahead (by default adapted to the measured run time: many
 * for microsecond tasks, one for long ones). Tasks sent ahead count as
 * queued (they are limited by `queueSize` too), and when a thread goes idle
 * the pool takes not-yet-started tasks back from a busy one (a CAS on the
 * task's slot decides who gets it), so a long task does not hold up the
 * ones behind it. A task with a `transferList` is the exception: once
 * posted, its buffers belong to that thread and cannot follow it anywhere
 * else (re-posting a detached buffer is what made workers die with "Unable
 * to deserialize cloned data"), so it is handed only to an idle thread and
 * is never sent ahead or moved.
 *
 * Faults. A worker publishes every finished task's result before it starts
 * the next task, so a worker that dies (or is terminated after a timeout or
 * an ignored abort) fails only the tasks it had started (with
 * `WorkerCrashedError`); results it had produced are delivered, tasks it had
 * not started are run elsewhere, and a replacement thread is started. Abort
 * and timeout settle the caller's promise at once; a task that had started
 * sees `this.aborted` / `this.signal`, and if it has not finished
 * `abortGraceMs` later its thread is terminated and replaced. A thread that
 * dies before it is ever ready fails the waiting tasks with
 * `WorkerStartError` instead of being restarted in a loop.
 *
 * Accounting. Every `run` call with valid arguments counts in `submitted`
 * and ends in exactly one of `completed`, `failed`, `rejected`, `discarded`.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, type TransferListItem, type Worker } from 'node:worker_threads';
import { ClosedError, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { Histogram } from '../metrics/histogram.ts';
import { createChannelBuffer } from './pool-channel.ts';
import { NO_SPACE, transferListProblem, v8Serialize } from './pool-codec.ts';
import {
  CONTROL_WORDS,
  C_MAIN_SLEEPING,
  K_DEFINE,
  K_TASK,
  K_TASK_PORT,
  MAX_INLINE,
  RESULT_HEADER,
  RF_ERROR_OBJECT,
  RF_NOT_FOUND,
  RING_BYTES,
  R_ERR,
  R_ERR_PORT,
  R_OK,
  R_OK_PORT,
  R_SKIPPED,
  S_ABORTING,
  S_CANCELLED,
  S_FREE,
  S_QUEUED,
  S_RUNNING,
  TASK_HEADER,
  type PoolToWorker,
  type PoolWorkerData,
  type WorkerToPool,
} from './pool-protocol.ts';
import { runtimeUrl, spawnWorker } from './spawn-worker.ts';
import { TaskDiscardedError, TaskNotFoundError, TaskRejectedError, TaskTimeoutError, WorkerCrashedError, WorkerStartError } from './errors.ts';
import type { TaskContext } from './task-context.ts';
import { MAX_TIMER_MS, checkFunction, checkNumber, checkOneOf, checkOptions, checkTimerMs, optionalBoolean, optionalNumber, optionalSignal, optionalTimerMs } from '../validate.ts';

import {
  EWMA,
  MAX_PREFETCH,
  MAX_SLOTS,
  MAX_SPIN_US,
  MAX_THREADS,
  PoolThread,
  REJECTION_HANDLERS,
  TASK_TIMEOUT_RULE,
  Task,
  TaskQueue,
  atomicsWaitAsync,
  checkTaskName,
  checkThreadSpec,
  noop,
  placeThreads,
  rebuildError,
  thrownText,
  toUrl,
} from './pool-parts.ts';
import type { RunOptions, ThreadInfo, ThreadPoolOptions, ThreadPoolStats, ThreadSpec, RejectionHandler } from './thread-pool-types.ts';

export type { RejectedTask, RejectionHandler, RunOptions, ThreadInfo, ThreadPoolOptions, ThreadPoolStats, ThreadSpec } from './thread-pool-types.ts';

// ------------------------------------------------------------------ the pool

/**
 * A pool of worker threads running named exports of a module (see the design
 * note at the top of this file).
 * @example
 * // tasks.js: export function add(a, b) { return a + b }
 * const pool = new ThreadPool({ filename: new URL('./tasks.js', import.meta.url) });
 * const sum = await pool.run('add', [1, 2]); // 3
 * await pool.close();
 */
export class ThreadPool {
  /** The pool's name (error messages, stats). */
  readonly name: string;
  /** How errors name the pool: `ThreadPool`, or `ThreadPool "name"` for a custom name. */
  private readonly label: string;
  private readonly prestartAll: boolean;
  private readonly url: string;
  private readonly core: number;
  private readonly max: number;
  private readonly queueSize: number;
  private readonly keepAliveMs: number;
  private readonly allowCoreTimeout: boolean;
  private readonly eager: boolean;
  private readonly handler: RejectionHandler;
  private readonly factory: ((info: ThreadInfo) => unknown) | undefined;
  private readonly defaultTimeout: number;
  private readonly graceMs: number;
  private readonly fixedPrefetch: number;
  private readonly placement: number[][] | null;
  private readonly spinMs: number;

  private readonly threads: PoolThread[] = [];
  /** Retired threads that have not exited yet. */
  private readonly leaving = new Set<PoolThread>();
  private readonly queue = new TaskQueue();
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  private readonly slotStates = new Int32Array(new SharedArrayBuffer(MAX_SLOTS * 4));
  private readonly slotStarts = new Float64Array(new SharedArrayBuffer(MAX_SLOTS * 8));
  private readonly slotTask: (Task | null)[] = new Array<Task | null>(MAX_SLOTS).fill(null);
  private readonly freeSlots = new Int32Array(MAX_SLOTS);
  private freeCount = MAX_SLOTS;
  private readonly fnIds = new Map<string, number>();
  private readonly fnDefs: { url: string; name: string }[] = [];
  private readonly checkedUrls = new Set<string>();

  private nextTaskId = 1;
  private nextThreadIndex = 0;
  /** Frames outstanding over all threads. */
  private outstandingTotal = 0;
  /** Tasks sent ahead to a busy thread (part of `queued`). */
  private waitingAhead = 0;
  private avgRunUs = 50;
  private flushScheduled = false;
  private waiting = false;
  private busy = false;
  private closed = false;
  private forced = false;
  private closePromise: Promise<void> | null = null;
  private drainWaiters: (() => void)[] = [];
  private readonly keepAlive: NodeJS.Timeout;
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly waitHist = new Histogram({ name: 'wait_ms', lowestDiscernibleValue: 0.001, highestTrackableValue: 3.6e6, significantDigits: 2 });
  private readonly runHist = new Histogram({ name: 'run_ms', lowestDiscernibleValue: 0.001, highestTrackableValue: 3.6e6, significantDigits: 2 });
  private readonly counts = { submitted: 0, completed: 0, failed: 0, rejected: 0, discarded: 0, timedOut: 0, aborted: 0, crashes: 0, started: 0 };
  /** Why the last thread could not even be created (threadFactory threw or returned bad options), for the callers that asked for it. */
  private spawnError: WorkerStartError | null = null;
  private readonly callerModules = new Map<string, Promise<Record<string, unknown>>>();

  private readonly flushBound = (): void => this._flush();
  private readonly wakeBound = (): void => this._onWake();
  private readonly sweepBound = (): void => this._sweep();

  constructor(options: ThreadPoolOptions) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidArgumentError(`ThreadPool options must be an object with at least { filename }, got ${describe(options)}`);
    }
    // `=== undefined`, not `??`: null is not "left out" (it is refused below as the wrong kind).
    const name = options.name === undefined ? 'ThreadPool' : options.name;
    if (typeof name !== 'string' || name.length === 0) throw new InvalidArgumentError(`ThreadPool name must be a non-empty string, got ${describe(name)}`);
    this.name = name;
    // Every message names the class; a custom name is added, quoted.
    const c = (this.label = name === 'ThreadPool' ? name : `ThreadPool ${JSON.stringify(name)}`);
    this.url = toUrl(c, 'filename', options.filename);
    this.checkedUrls.add(this.url);
    // Left out, coreThreads is the machine's parallelism capped at a given maxThreads (so
    // `{ maxThreads: 1 }` works on every machine), and maxThreads is coreThreads.
    const maxGiven = options.maxThreads === undefined ? undefined : checkNumber(c, 'maxThreads', options.maxThreads, { integer: true, min: 1, max: MAX_THREADS });
    this.core = optionalNumber(c, 'coreThreads', options.coreThreads, Math.min(maxGiven ?? MAX_THREADS, Math.max(1, availableParallelism())), { integer: true, min: 0, max: MAX_THREADS });
    this.max = maxGiven ?? Math.max(1, this.core);
    if (this.max < this.core) throw new OutOfRangeError(`${c} maxThreads (${this.max}) must be >= coreThreads (${this.core})`);
    this.queueSize = optionalNumber(c, 'queueSize', options.queueSize, Infinity, { integer: true, min: 0, max: 2 ** 31, allowInfinity: true });
    this.keepAliveMs = optionalTimerMs(c, 'keepAliveMs', options.keepAliveMs, 60_000, { allowInfinity: true });
    this.allowCoreTimeout = optionalBoolean(c, 'allowCoreThreadTimeout', options.allowCoreThreadTimeout, false);
    this.eager = (options.growth === undefined ? 'eager' : checkOneOf(c, 'growth', options.growth, ['eager', 'queue-full'] as const)) === 'eager';
    const handler = options.rejectionHandler === undefined ? 'abort' : options.rejectionHandler;
    if (typeof handler !== 'function' && !REJECTION_HANDLERS.includes(handler as string)) {
      throw new InvalidArgumentError(`${c} rejectionHandler must be 'abort', 'caller-runs', 'discard', 'discard-oldest' or a function, got ${describe(handler)}`);
    }
    this.handler = handler;
    this.factory = options.threadFactory === undefined ? undefined : checkFunction<(info: ThreadInfo) => unknown>(c, 'threadFactory', options.threadFactory);
    this.prestartAll = optionalBoolean(c, 'prestart', options.prestart, false);
    this.defaultTimeout = optionalTimerMs(c, 'taskTimeoutMs', options.taskTimeoutMs, Infinity, TASK_TIMEOUT_RULE);
    this.graceMs = optionalTimerMs(c, 'abortGraceMs', options.abortGraceMs, 1000);
    const prefetch = options.prefetch === undefined ? 'auto' : options.prefetch;
    if (typeof prefetch !== 'number' && prefetch !== 'auto') throw new InvalidArgumentError(`${c} prefetch must be 'auto' or an integer from 1 to ${MAX_PREFETCH}, got ${describe(prefetch)}`);
    this.fixedPrefetch = prefetch === 'auto' ? 0 : checkNumber(c, 'prefetch', prefetch, { integer: true, min: 1, max: MAX_PREFETCH });
    this.spinMs = optionalNumber(c, 'resultSpinUs', options.resultSpinUs, 20, { min: 0, max: MAX_SPIN_US }) / 1000;
    this.placement = options.affinity === undefined ? null : placeThreads(c, this.max, options.affinity);
    for (let i = 0; i < MAX_SLOTS; i++) this.freeSlots[i] = MAX_SLOTS - 1 - i;
    this.keepAlive = setInterval(noop, 2 ** 30);
    this.keepAlive.unref();
    if (this.prestartAll) {
      while (this.threads.length < this.core) {
        if (this._startThread() !== null) continue;
        // A pool whose threads cannot be made is not returned half-built.
        clearInterval(this.keepAlive);
        for (const t of this.threads) {
          t.retiring = true;
          void t.worker.terminate();
        }
        throw this.spawnError;
      }
    }
  }

  // ---------------------------------------------------------------- public API

  /**
   * Runs export `name` of the pool's module (or `options.filename`) with
   * `args` on a worker thread; resolves with its return value (awaited if
   * it is a promise) or rejects with its error (stack included).
   * @example const hash = await pool.run('sha256', [buffer], { transferList: [buffer.buffer], timeoutMs: 1000 })
   */
  run<R = unknown>(name: string, args: readonly unknown[] = [], options?: RunOptions): Promise<R> {
    const c = this.label;
    if (typeof name !== 'string' || name.length === 0) {
      return Promise.reject(new InvalidArgumentError(`${c} run name must be a non-empty export name, got ${describe(name)}`));
    }
    if (!Array.isArray(args)) {
      return Promise.reject(new InvalidArgumentError(`${c} run args must be an array of arguments, got ${describe(args)}`));
    }
    let url = this.url;
    let transferList: readonly TransferListItem[] | undefined;
    let signal: AbortSignal | undefined;
    let timeoutMs = this.defaultTimeout;
    if (options !== undefined) {
      try {
        if (options === null || typeof options !== 'object' || Array.isArray(options)) {
          throw new InvalidArgumentError(`${c} run options must be an object when given, got ${describe(options)}`);
        }
        if (options.filename !== undefined) url = this._checkUrl(options.filename);
        if (options.transferList !== undefined) {
          const list = options.transferList;
          if (!Array.isArray(list)) throw new InvalidArgumentError(`${c} run transferList must be an array, got ${describe(list)}`);
          const problem = transferListProblem(list);
          if (problem !== null) throw new InvalidArgumentError(`${c} run ${problem}`);
          if (list.length > 0) transferList = list;
        }
        signal = optionalSignal(c, 'run signal', options.signal);
        if (options.timeoutMs !== undefined) timeoutMs = checkTimerMs(c, 'run timeoutMs', options.timeoutMs, TASK_TIMEOUT_RULE);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    let fnId: number;
    try {
      fnId = this._fnId(url, name);
    } catch (e) {
      return Promise.reject(e);
    }
    // From here on the task is submitted: it ends in exactly one terminal counter.
    this.counts.submitted++;
    if (this.closed) {
      this.counts.rejected++;
      return Promise.reject(new ClosedError(c));
    }
    if (signal?.aborted) {
      this.counts.failed++;
      this.counts.aborted++;
      return Promise.reject(signal.reason);
    }
    const task = new Task(name, url, args, transferList, signal, timeoutMs);
    task.id = this.nextTaskId = (this.nextTaskId + 1) >>> 0 || 1;
    task.fnId = fnId;
    task.submitAt = performance.timeOrigin + performance.now();
    const promise = new Promise<R>((resolve, reject) => {
      task.resolve = resolve as (v: unknown) => void;
      task.reject = reject;
    });
    if (signal !== undefined) {
      task.onAbort = () => this._giveUp(task, signal.reason, 'aborted');
      signal.addEventListener('abort', task.onAbort, { once: true });
    }
    this._submit(task);
    return promise;
  }

  /**
   * Starts any missing core threads and resolves when every live thread has
   * loaded the module (useful before measuring, or to fail fast on a broken module).
   * @example await pool.prestartCoreThreads()
   */
  async prestartCoreThreads(): Promise<void> {
    if (this.closed) throw new ClosedError(this.label);
    while (this.threads.length < this.core) if (this._startThread() === null) throw this.spawnError;
    // The threads are unref'd: hold the event loop open while the caller waits for them.
    const hold = setInterval(noop, 2 ** 30);
    try {
      await this._allReady();
    } finally {
      clearInterval(hold);
    }
  }

  private _allReady(): Promise<unknown> {
    return Promise.all(
      this.threads.map(
        (t) =>
          new Promise<void>((resolve, reject) => {
            if (t.ready) return resolve();
            const onMessage = (m: WorkerToPool): void => {
              if (m.type === 'ready') done(null);
              else done(new WorkerStartError(this.label, t.index, rebuildError(m)));
            };
            const onExit = (): void => done(t.bootError ?? new WorkerStartError(this.label, t.index, t.lastError ?? new Error('exited during start')));
            const done = (e: Error | null): void => {
              t.worker.off('message', onMessage);
              t.worker.off('exit', onExit);
              if (e === null) resolve();
              else reject(e);
            };
            t.worker.on('message', onMessage);
            t.worker.on('exit', onExit);
          }),
      ),
    );
  }

  /**
   * Counters, gauges and the wait/run-time histograms.
   * @example const { queued, runTime } = pool.stats()
   */
  stats(): ThreadPoolStats {
    let active = 0;
    let live = 0;
    for (const t of this.threads) {
      if (t.retiring) continue;
      live++;
      if (t.inflight.length > 0) active++;
    }
    const c = this.counts;
    return {
      threads: live,
      active,
      idle: live - active,
      queued: this.queue.size + this.waitingAhead,
      submitted: c.submitted,
      completed: c.completed,
      failed: c.failed,
      rejected: c.rejected,
      discarded: c.discarded,
      timedOut: c.timedOut,
      aborted: c.aborted,
      crashes: c.crashes,
      threadsStarted: c.started,
      waitTime: this.waitHist.snapshot(),
      runTime: this.runHist.snapshot(),
    };
  }

  /**
   * Stops accepting tasks (later `run` calls reject with `ClosedError`), lets
   * queued and running tasks finish, then stops the threads. With
   * `{ force: true }` pending tasks are rejected with `ClosedError` and the
   * threads are terminated at once. Resolves when every thread has exited.
   * @example await pool.close()
   */
  close(options?: { force?: boolean }): Promise<void> {
    let force: boolean;
    try {
      force = optionalBoolean(this.label, 'close force', checkOptions(this.label, 'close options', options).force, false);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.closePromise !== null && !(force && !this.forced)) return this.closePromise;
    this.closed = true;
    if (force) {
      this.forced = true;
      const err = new ClosedError(this.label);
      for (const task of this.queue.drain()) this._settle(task, false, err, 'failed');
      for (const t of this.threads) for (const task of t.inflight) this._settle(task, false, err, 'failed');
    }
    const drained = new Promise<void>((resolve) => {
      if (this.outstandingTotal === 0 && this.queue.size === 0) resolve();
      else this.drainWaiters.push(resolve);
    });
    const hold = setInterval(noop, 2 ** 30); // the threads are unref'd: keep the loop open until they exit
    const work = (force ? Promise.resolve() : drained)
      .then(async () => {
        if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
        clearInterval(this.keepAlive);
        const exits = [...this.threads, ...this.leaving].map((t) => {
          t.retiring = true;
          return t.worker.terminate();
        });
        await Promise.all(exits);
        Atomics.notify(this.control, C_MAIN_SLEEPING);
      })
      .finally(() => clearInterval(hold));
    this.closePromise = work;
    return work;
  }

  // ---------------------------------------------------------------- submission

  private _checkUrl(file: string | URL): string {
    const href = file instanceof URL ? file.href : file;
    if (typeof href === 'string' && this.checkedUrls.has(href)) return href;
    const url = toUrl(this.label, 'run filename', file);
    this.checkedUrls.add(url);
    return url;
  }

  private _fnId(url: string, name: string): number {
    const key = url === this.url ? name : `${url}#${name}`;
    let id = this.fnIds.get(key);
    if (id === undefined) {
      // Checked once per distinct name (a name seen before costs only the lookup): its define frame must fit the ring.
      checkTaskName(this.label, name);
      id = this.fnDefs.length;
      if (id > 0xffff) throw new OutOfRangeError(`${this.label} supports at most 65536 distinct task functions`);
      this.fnDefs.push({ url, name });
      this.fnIds.set(key, id);
    }
    return id;
  }

  private get _prefetch(): number {
    if (this.fixedPrefetch > 0) return this.fixedPrefetch;
    const d = Math.floor(400 / this.avgRunUs);
    return d < 1 ? 1 : d > MAX_PREFETCH ? MAX_PREFETCH : d;
  }

  private _submit(task: Task): void {
    this._markBusy();
    const live = this.threads.length;
    if (live < this.core) {
      const fresh = this._startThread();
      const idle = this._idleThread(true) ?? fresh;
      if (idle !== null && this._dispatch(idle, task)) return;
      if (this.threads.length === 0) return this._settle(task, false, this.spawnError, 'failed');
    } else if (this.queue.size === 0) {
      const idle = this._idleThread(false);
      if (idle !== null && this._dispatch(idle, task)) return;
      if (this.eager && live < this.max) {
        const fresh = this._startThread();
        if (fresh !== null && this._dispatch(fresh, task)) return;
      }
      // A task with a transferList is never sent ahead: its buffers could not follow it to another thread.
      if (this.waitingAhead < this.queueSize && task.transferList === undefined) {
        const t = this._pipelineThread();
        if (t !== null && this._dispatch(t, task)) return;
      }
    }
    if (this.queue.size + this.waitingAhead < this.queueSize) {
      this.queue.push(task);
      // As in Java, a queued task always has a thread to run it, even with coreThreads 0
      // (if none can be made, _startThread fails the queue with the reason).
      if (this.threads.length === 0) this._startThread();
      return;
    }
    if (this.threads.length < this.max) {
      const fresh = this._startThread();
      if (fresh !== null && this._dispatch(fresh, task)) return;
    }
    // No thread could be made and none is alive: nothing would ever run it.
    if (this.threads.length === 0 && this.spawnError !== null) return this._settle(task, false, this.spawnError, 'failed');
    this._rejectTask(task);
  }

  /** An idle live thread (ready ones first unless `readyOnly` is false and none is ready). */
  private _idleThread(readyOnly: boolean): PoolThread | null {
    let fallback: PoolThread | null = null;
    for (const t of this.threads) {
      if (t.outstanding !== 0 || t.retiring) continue;
      if (t.ready) return t;
      if (!readyOnly && fallback === null) fallback = t;
    }
    return fallback;
  }

  /** The live thread with the fewest tasks in hand, if it may take one more ahead. */
  private _pipelineThread(): PoolThread | null {
    let best: PoolThread | null = null;
    for (const t of this.threads) {
      if (t.retiring) continue;
      if (best === null || t.inflight.length < best.inflight.length) best = t;
    }
    return best !== null && best.inflight.length < this._prefetch ? best : null;
  }

  /** Encodes `task` into `t`'s request ring; false if the ring has no room now. */
  private _dispatch(t: PoolThread, task: Task): boolean {
    if (this.freeCount === 0) return false;
    const w = t.writer;
    if (!t.known.has(task.fnId)) {
      const def = this.fnDefs[task.fnId];
      const off = w.begin(def.url.length * 3 + def.name.length * 3 + 32);
      if (off < 0) return false;
      t.enc.end = off + def.url.length * 3 + def.name.length * 3 + 32;
      w.bytes[off] = K_DEFINE;
      w.view.setUint16(off + 2, task.fnId, true);
      let p = t.enc.value(def.url, off + 4, 0);
      p = t.enc.value(def.name, p, 0);
      w.end(p - off);
      t.known.add(task.fnId);
    }
    const off = w.begin(MAX_INLINE);
    if (off < 0) return false;
    const slot = this.freeSlots[--this.freeCount];
    let kind = K_TASK;
    let end = -1;
    const transfer = task.transferList;
    if (transfer === undefined) {
      t.enc.end = off + MAX_INLINE;
      end = t.enc.value(task.args, off + TASK_HEADER, 0);
      if (end < 0 && end !== NO_SPACE) {
        let bytes: Buffer | null = null;
        try {
          bytes = v8Serialize(task.args);
        } catch {
          // v8.serialize refuses what structured clone shares (a SharedArrayBuffer, a MessagePort):
          // the data port below sends those, or reports what cannot be cloned at all.
        }
        if (bytes !== null) end = t.enc.v8Bytes(bytes, off + TASK_HEADER);
      }
    }
    if (end < 0) {
      kind = K_TASK_PORT;
      let refused: Error | null = null;
      if (transfer !== undefined) {
        // Checked again here: the same buffer may have been given to an earlier task that has moved it since run().
        const problem = transferListProblem(transfer);
        if (problem !== null) refused = new InvalidArgumentError(`${this.label} run of task '${task.name}': ${problem} (an earlier task may have moved it since)`);
      }
      if (refused === null) {
        try {
          t.port.postMessage({ args: task.args }, transfer as TransferListItem[] | undefined);
        } catch (e) {
          refused = this._cloneError(task, e);
        }
      }
      if (refused !== null) {
        w.cancel();
        this.freeCount++;
        this._settle(task, false, refused, 'failed');
        return true;
      }
      if (transfer !== undefined) task.transferred = true;
      end = off + TASK_HEADER;
    }
    w.bytes[off] = kind;
    w.bytes[off + 1] = 0;
    w.view.setUint16(off + 2, task.fnId, true);
    w.view.setUint32(off + 4, slot, true);
    w.view.setUint32(off + 8, task.id, true);
    w.end(end - off);
    this.slotStates[slot] = S_QUEUED;
    this.slotTask[slot] = task;
    task.slot = slot;
    task.thread = t;
    if (t.inflight.length > 0) this.waitingAhead++;
    t.inflight.push(task);
    t.outstanding++;
    this.outstandingTotal++;
    if (!t.dirty) {
      t.dirty = true;
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(this.flushBound);
      }
    }
    if (task.timeoutMs !== Infinity && task.timer === null) task.timer = this._timer(task, task.timeoutMs);
    return true;
  }

  private _cloneError(task: Task, e: unknown): Error {
    for (let i = 0; i < task.args.length; i++) {
      try {
        structuredClone(task.args[i]);
      } catch (inner) {
        return new InvalidArgumentError(`${this.label} run args[${i}] of task '${task.name}' could not be cloned: ${(inner as Error).message}`);
      }
    }
    return new InvalidArgumentError(`${this.label} run args of task '${task.name}' could not be sent: ${(e as Error).message}`);
  }

  private _rejectTask(task: Task): void {
    const h = this.handler;
    const where = `${this.threads.length}/${this.max} threads busy, ${this.queue.size + this.waitingAhead}/${this.queueSize} queued`;
    if (h === 'abort') {
      this._settle(task, false, new TaskRejectedError(this.label, task.name, where), 'rejected');
    } else if (h === 'discard') {
      this._settle(task, false, new TaskDiscardedError(this.label, task.name, 'discarded: the pool was saturated'), 'discarded');
    } else if (h === 'discard-oldest') {
      const oldest = this._takeOldestWaiting();
      if (oldest === null) {
        this._settle(task, false, new TaskDiscardedError(this.label, task.name, 'discarded: the pool was saturated and nothing was queued'), 'discarded');
        return;
      }
      this._settle(oldest, false, new TaskDiscardedError(this.label, oldest.name, 'discarded to make room for a newer task'), 'discarded');
      this.queue.push(task);
    } else {
      const run = h === 'caller-runs' ? this._runOnCaller(task) : Promise.resolve().then(() => h({ name: task.name, args: task.args, filename: task.url }, this));
      run.then(
        (v) => this._settle(task, true, v, 'completed'),
        (e: unknown) => this._settle(task, false, e, 'failed'),
      );
    }
  }

  /** Removes the oldest waiting task (pool queue first, then not-yet-started ones sent ahead). */
  private _takeOldestWaiting(): Task | null {
    if (this.queue.size > 0) return this.queue.shift();
    let oldest: Task | null = null;
    for (const t of this.threads) {
      for (let i = 1; i < t.inflight.length; i++) {
        const task = t.inflight[i];
        if (this.slotStates[task.slot] === S_QUEUED && (oldest === null || task.id < oldest.id)) oldest = task;
      }
    }
    if (oldest !== null && this._takeBack(oldest)) return oldest;
    return null;
  }

  private async _runOnCaller(task: Task): Promise<unknown> {
    let mod = this.callerModules.get(task.url);
    if (mod === undefined) {
      mod = import(task.url) as Promise<Record<string, unknown>>;
      this.callerModules.set(task.url, mod);
    }
    const fn = (await mod)[task.name];
    if (typeof fn !== 'function') throw new TaskNotFoundError(this.label, `task '${task.name}' is not a function exported by ${task.url}`);
    const controller = new AbortController();
    const ctx: TaskContext = {
      get aborted() {
        return controller.signal.aborted;
      },
      signal: controller.signal,
      throwIfAborted: () => controller.signal.throwIfAborted(),
    };
    task.signal?.addEventListener('abort', () => controller.abort(task.signal?.reason), { once: true });
    return await (fn as (this: TaskContext, ...a: unknown[]) => unknown).apply(ctx, task.args as unknown[]);
  }

  // ---------------------------------------------------------------- threads

  /**
   * Starts a worker thread. Returns null when it cannot even be created (the
   * threadFactory threw or returned bad options, the Worker constructor
   * refused them, memory ran out): `spawnError` says why, and if no thread is
   * alive the queued tasks fail with it (nothing would ever run them).
   */
  private _startThread(): PoolThread | null {
    const index = this.nextThreadIndex++;
    let t: PoolThread;
    try {
      const spec = this.factory === undefined ? {} : checkThreadSpec(this.label, this.factory({ index, pool: this.name }));
      const request = createChannelBuffer(RING_BYTES);
      const response = createChannelBuffer(RING_BYTES);
      const { port1, port2 } = new MessageChannel();
      const cpus = this.placement === null ? null : this.placement[index % this.placement.length];
      const workerData: PoolWorkerData = {
        index,
        request,
        response,
        control: this.control.buffer as SharedArrayBuffer,
        slotStates: this.slotStates.buffer as SharedArrayBuffer,
        slotStarts: this.slotStarts.buffer as SharedArrayBuffer,
        dataPort: port2,
        filename: this.url,
        cpus,
      };
      let worker: Worker;
      try {
        worker = spawnWorker(runtimeUrl('pool-worker'), {
          resourceLimits: spec.resourceLimits,
          env: spec.env,
          execArgv: spec.execArgv,
          argv: spec.argv,
          stdout: spec.stdout,
          stderr: spec.stderr,
          workerData,
          transferList: [port2],
        });
      } catch (e) {
        port1.close();
        throw e;
      }
      port1.unref(); // read with receiveMessageOnPort only; must not keep the process alive
      t = new PoolThread(index, worker, request, response, port1);
    } catch (e) {
      this.spawnError = new WorkerStartError(this.label, index, e instanceof Error ? e : new Error(thrownText(e)));
      if (this.threads.length === 0) for (const task of this.queue.drain()) this._settle(task, false, this.spawnError, 'failed');
      return null;
    }
    const worker = t.worker;
    t.idleSince = performance.now();
    this.threads.push(t);
    this.counts.started++;
    worker.on('message', (m: WorkerToPool) => this._onWorkerMessage(t, m));
    worker.on('error', (e: Error) => {
      t.lastError = e;
    });
    worker.on('exit', (code: number) => this._onExit(t, code));
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
    this._armSweep();
    return t;
  }

  private _onWorkerMessage(t: PoolThread, m: WorkerToPool): void {
    if (m.type === 'ready') {
      t.ready = true;
      t.idleSince = performance.now();
      this._service();
    } else if (m.type === 'boot-error') {
      t.bootError = new WorkerStartError(this.label, t.index, rebuildError(m));
      t.retiring = true;
      void t.worker.terminate();
    }
  }

  private _onExit(t: PoolThread, code: number): void {
    t.dead = true;
    this.leaving.delete(t);
    const at = this.threads.indexOf(t);
    if (at >= 0) this.threads.splice(at, 1);
    // Results it published before it died are real results (a worker publishes before it starts each task).
    this._drainThread(t);
    // A thread that died before it was ever ready (its module called process.exit, a start-up
    // crash under resourceLimits): every thread would die the same way, so do not restart in a loop.
    if (!t.ready && !t.retiring && t.bootError === null) {
      t.bootError = new WorkerStartError(this.label, t.index, t.lastError ?? new Error(`the thread exited with code ${code} before it was ready`));
    }
    // Retired (keep-alive, close) as opposed to crashed or killed after an abort or timeout.
    const retired = t.retiring && t.terminateReason === null && t.bootError === null;
    let err: Error;
    const why = t.terminateReason ?? (t.lastError !== null ? `${t.lastError.name}: ${t.lastError.message}` : `exit code ${code}`);
    if (t.bootError !== null) err = t.bootError;
    else {
      err = new WorkerCrashedError(this.label, t.index, code, why, t.lastError ?? undefined);
      if (!retired && t.terminateReason === null) this.counts.crashes++;
    }
    const requeue: Task[] = [];
    for (const task of t.inflight) {
      const slot = task.slot;
      const state = this.slotStates[slot];
      this._releaseSlot(slot);
      task.slot = -1;
      task.thread = null;
      if (task.settled) continue;
      if (state !== S_QUEUED || t.bootError !== null) this._settle(task, false, err, 'failed');
      else if (!task.transferred) requeue.push(task); // sent but not started: runs elsewhere
      else {
        // Its transferList had moved to the dead thread: there is nothing left to send elsewhere.
        const lost = new WorkerCrashedError(this.label, t.index, code, `${why}; the task had not started, but its transferList had already moved to that thread`, t.lastError ?? undefined);
        this._settle(task, false, lost, 'failed');
      }
    }
    for (const slot of t.skipping) this._releaseSlot(slot);
    this.outstandingTotal -= t.outstanding;
    this.waitingAhead -= Math.max(0, t.inflight.length - 1);
    t.outstanding = 0;
    t.inflight.length = 0;
    t.skipping.clear();
    for (let i = requeue.length - 1; i >= 0; i--) this.queue.unshift(requeue[i]);
    if (t.bootError !== null) {
      // Every thread would fail the same way: do not loop; fail what waits.
      for (const task of this.queue.drain()) this._settle(task, false, t.bootError, 'failed');
    } else if (this.queue.size > 0 && this.threads.length < this.max) {
      this._startThread();
    } else if (!retired && !this.closed && this.threads.length < this.core) {
      this._startThread(); // replace a crashed or killed core thread
    }
    this._service();
  }

  private _releaseSlot(slot: number): void {
    this.slotStates[slot] = S_FREE;
    this.slotTask[slot] = null;
    this.freeSlots[this.freeCount++] = slot;
  }

  private _terminate(t: PoolThread, reason: string): void {
    if (t.dead || t.terminateReason !== null) return;
    t.terminateReason = reason;
    t.retiring = true;
    void t.worker.terminate();
  }

  private _armSweep(): void {
    if (this.sweepTimer !== null || this.keepAliveMs === Infinity) return;
    if (this.threads.length <= this.core && !this.allowCoreTimeout) return;
    const every = Math.max(5, Math.min(this.keepAliveMs / 2, 1000));
    this.sweepTimer = setInterval(this.sweepBound, every);
    this.sweepTimer.unref();
  }

  private _sweep(): void {
    const now = performance.now();
    const floor = this.allowCoreTimeout ? 0 : this.core;
    let live = this.threads.length;
    for (const t of [...this.threads]) {
      if (live <= floor) break;
      if (t.outstanding === 0 && t.ready && !t.retiring && now - t.idleSince >= this.keepAliveMs) {
        t.retiring = true;
        live--;
        this.threads.splice(this.threads.indexOf(t), 1);
        this.leaving.add(t);
        void t.worker.terminate();
      }
    }
    if (live <= floor && this.sweepTimer !== null) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
  }

  // ---------------------------------------------------------------- results

  private _markBusy(): void {
    if (!this.busy) {
      this.busy = true;
      this.keepAlive.ref();
    }
  }

  private _flush(): void {
    this.flushScheduled = false;
    for (const t of this.threads) {
      if (t.dirty) {
        t.dirty = false;
        t.writer.publish();
      }
    }
    if (
      this.spinMs > 0 &&
      !this.waiting &&
      this.outstandingTotal > 0 &&
      this.outstandingTotal <= this.threads.length &&
      this.avgRunUs <= this.spinMs * 500 &&
      this._spinForResults()
    ) {
      this._service();
      return;
    }
    this._armWait();
  }

  /** Busy-waits up to `spinMs` for any result; true if one arrived. */
  private _spinForResults(): boolean {
    const threads = this.threads;
    const end = performance.now() + this.spinMs;
    for (let turn = 1; ; turn++) {
      for (let i = 0; i < threads.length; i++) if (threads[i].reader.hasData()) return true;
      if ((turn & 15) === 0 && performance.now() > end) return false;
    }
  }

  private _armWait(): void {
    if (this.waiting || this.outstandingTotal === 0) return;
    const control = this.control;
    Atomics.store(control, C_MAIN_SLEEPING, 1);
    for (const t of this.threads) {
      if (t.reader.hasData()) {
        Atomics.store(control, C_MAIN_SLEEPING, 0);
        this.waiting = true;
        setImmediate(this.wakeBound);
        return;
      }
    }
    const r = atomicsWaitAsync(control, C_MAIN_SLEEPING, 1);
    this.waiting = true;
    if (r.async) r.value.then(this.wakeBound);
    else setImmediate(this.wakeBound);
  }

  private _onWake(): void {
    this.waiting = false;
    Atomics.store(this.control, C_MAIN_SLEEPING, 0);
    this._service();
  }

  /** Drains results, dispatches queued work, rebalances, publishes, and goes back to waiting. */
  private _service(): void {
    for (const t of this.threads) this._drainThread(t);
    this._pumpQueue();
    this._rebalance();
    this._flush();
    if (this.outstandingTotal === 0 && this.queue.size === 0) {
      if (this.busy) {
        this.busy = false;
        this.keepAlive.unref();
      }
      if (this.drainWaiters.length > 0) {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  private _drainThread(t: PoolThread): void {
    const reader = t.reader;
    const bytes = reader.bytes;
    const view = reader.view;
    const dec = t.dec;
    let any = false;
    let now = 0;
    for (;;) {
      const off = reader.next();
      if (off < 0) break;
      any = true;
      const kind = bytes[off];
      const flags = bytes[off + 1];
      const slot = view.getUint32(off + 4, true);
      const id = view.getUint32(off + 8, true);
      const runMs = view.getFloat32(off + 12, true) / 1000;
      const task = this.slotTask[slot];
      if (kind === R_SKIPPED) {
        reader.consume();
        t.skipping.delete(slot);
        t.outstanding--;
        this.outstandingTotal--;
        this._releaseSlot(slot);
        continue;
      }
      let value: unknown;
      let decodeError: unknown = null;
      try {
        if (kind === R_OK || kind === R_ERR) {
          dec.pos = off + RESULT_HEADER;
          value = dec.value();
        } else value = receiveMessageOnPort(t.port)?.message;
      } catch (e) {
        decodeError = e;
      }
      reader.consume();
      const startAbs = this.slotStarts[slot];
      t.outstanding--;
      this.outstandingTotal--;
      this._releaseSlot(slot);
      if (task === null || task.id !== id) continue;
      this._detach(task);
      if (task.settled) continue;
      this.runHist.record(runMs);
      this.avgRunUs += (runMs * 1000 - this.avgRunUs) * EWMA;
      if (startAbs > 0) this.waitHist.record(Math.max(0, startAbs - task.submitAt));
      if (decodeError !== null) this._settle(task, false, decodeError, 'failed');
      else if (kind === R_OK || kind === R_OK_PORT) this._settle(task, true, value, 'completed');
      else if ((flags & RF_NOT_FOUND) !== 0) this._settle(task, false, new TaskNotFoundError(this.label, String((value as Record<string, unknown>).message)), 'failed');
      else if ((flags & RF_ERROR_OBJECT) !== 0) this._settle(task, false, rebuildError(value as Record<string, unknown>), 'failed');
      else this._settle(task, false, value, 'failed');
      if (t.outstanding === 0) {
        if (now === 0) now = performance.now();
        t.idleSince = now;
      }
    }
    if (any) reader.publishHead();
  }

  /** Takes `task` off its thread's in-flight list (it has been answered or taken back). */
  private _detach(task: Task): void {
    const t = task.thread;
    if (t === null) return;
    const list = t.inflight;
    const i = list[0] === task ? 0 : list.indexOf(task);
    if (i >= 0) {
      if (i === 0) list.shift();
      else list.splice(i, 1);
      if (list.length > 0) this.waitingAhead--;
    }
    task.thread = null;
  }

  private _pumpQueue(): void {
    const queue = this.queue;
    while (queue.size > 0) {
      const task = queue.peek();
      // A task with a transferList waits for an idle thread (see _submit).
      const t = this._idleThread(false) ?? (task.transferList === undefined ? this._pipelineThread() : null);
      if (t === null) {
        if (!this.eager || this.threads.length >= this.max) return;
        if (this._startThread() === null) return; // the queue was failed with the reason
        continue;
      }
      if (!this._dispatch(t, task)) return;
      queue.shift();
    }
  }

  /** Moves not-yet-started tasks from the busiest thread to idle ready ones. */
  private _rebalance(): void {
    if (this.queue.size > 0 || this.waitingAhead === 0) return;
    for (const idle of this.threads) {
      if (!idle.ready || idle.outstanding !== 0 || idle.retiring) continue;
      let victim: PoolThread | null = null;
      for (const t of this.threads) if (t.inflight.length >= 2 && (victim === null || t.inflight.length > victim.inflight.length)) victim = t;
      if (victim === null) return;
      const take = victim.inflight.length >> 1;
      for (let k = 0; k < take; k++) {
        const task = victim.inflight[victim.inflight.length - 1];
        if (!this._takeBack(task)) break;
        if (!this._dispatch(idle, task)) {
          this.queue.unshift(task);
          break;
        }
      }
    }
  }

  /** Cancels a task's not-yet-started frame (CAS QUEUED -> CANCELLED); its old slot is freed when SKIPPED arrives. */
  private _takeBack(task: Task): boolean {
    const t = task.thread;
    if (t === null || task.slot < 0) return false;
    if (Atomics.compareExchange(this.slotStates, task.slot, S_QUEUED, S_CANCELLED) !== S_QUEUED) return false;
    t.skipping.add(task.slot);
    this.slotTask[task.slot] = null;
    task.slot = -1;
    this._detach(task);
    return true;
  }

  // ---------------------------------------------------------------- settling

  /** Settles `task` once, counting it in exactly one terminal counter (`timedOut` and `aborted` are kinds of `failed`). */
  private _settle(task: Task, ok: boolean, value: unknown, kind: 'completed' | 'failed' | 'rejected' | 'discarded' | 'timedOut' | 'aborted'): void {
    if (task.settled) return;
    task.settled = true;
    if (task.timer !== null) {
      clearTimeout(task.timer);
      task.timer = null;
    }
    if (task.onAbort !== null) {
      task.signal?.removeEventListener('abort', task.onAbort);
      task.onAbort = null;
    }
    if (kind === 'completed') this.counts.completed++;
    else if (kind === 'discarded') this.counts.discarded++;
    else if (kind === 'rejected') this.counts.rejected++;
    else {
      this.counts.failed++;
      if (kind === 'timedOut') this.counts.timedOut++;
      else if (kind === 'aborted') this.counts.aborted++;
    }
    if (ok) task.resolve(value);
    else task.reject(value);
  }

  private _timer(task: Task, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => this._checkTimeout(task), Math.min(ms, MAX_TIMER_MS));
    timer.unref();
    return timer;
  }

  private _checkTimeout(task: Task): void {
    task.timer = null;
    if (task.settled) return;
    // Its result may have arrived and not been read yet (this thread was busy): read first, judge after.
    if (task.thread !== null) {
      this._service();
      if (task.settled) return;
    }
    if (task.slot < 0 || this.slotStates[task.slot] === S_QUEUED) {
      task.timer = this._timer(task, task.timeoutMs);
      return;
    }
    const elapsed = performance.timeOrigin + performance.now() - this.slotStarts[task.slot];
    if (elapsed < task.timeoutMs) {
      task.timer = this._timer(task, task.timeoutMs - elapsed);
      return;
    }
    this._giveUp(task, new TaskTimeoutError(this.label, task.name, task.timeoutMs), 'timedOut');
  }

  /** Abort or timeout: settle now; take a queued task back, or tell a running one and replace its thread after the grace period. */
  private _giveUp(task: Task, reason: unknown, kind: 'aborted' | 'timedOut'): void {
    if (task.settled) return;
    this._settle(task, false, reason, kind);
    if (task.thread === null) {
      this.queue.remove(task);
      this._service();
      return;
    }
    if (this._takeBack(task)) {
      this._service();
      return;
    }
    const t = task.thread;
    const slot = task.slot;
    if (Atomics.compareExchange(this.slotStates, slot, S_RUNNING, S_ABORTING) !== S_RUNNING) return;
    const msg: PoolToWorker = { type: 'abort', slot, id: task.id };
    t.worker.postMessage(msg);
    const grace = setTimeout(() => {
      if (this.slotTask[slot] === task && !t.dead) {
        this._terminate(t, `task '${task.name}' was ${kind === 'aborted' ? 'aborted' : `timed out after ${task.timeoutMs} ms`} and still ran ${this.graceMs} ms later`);
      }
    }, this.graceMs);
    grace.unref();
  }
}

