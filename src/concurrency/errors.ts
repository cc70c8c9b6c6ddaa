/**
 * Operational errors of the concurrency area.
 *
 * Each is a `BlackholeError` with a stable code from {@link ConcurrencyErrorCode};
 * codes are never reused for another meaning. Bad arguments (a capacity that is
 * not a power of two, a message larger than the ring) are not here: they throw
 * the shared `OutOfRangeError` / `InvalidArgumentError` from src/errors.ts.
 */
import { BlackholeError } from '../errors.ts';

/**
 * Stable codes of the concurrency area.
 * @example if (err.code === ConcurrencyErrorCode.RING_TIMEOUT) peerIsGone()
 */
export const ConcurrencyErrorCode = {
  /** A blocking ring operation waited its full timeout without the other side making room or data. */
  RING_TIMEOUT: 'ERR_BH_RING_TIMEOUT',
  /** A pool could neither run nor queue a task and its rejection handler is 'abort'. */
  TASK_REJECTED: 'ERR_BH_TASK_REJECTED',
  /** A task was dropped by the 'discard' or 'discard-oldest' rejection handler. */
  TASK_DISCARDED: 'ERR_BH_TASK_DISCARDED',
  /** A task ran longer than its timeout. */
  TASK_TIMEOUT: 'ERR_BH_TASK_TIMEOUT',
  /** The task's export does not exist in its module, or the module could not be imported. */
  TASK_NOT_FOUND: 'ERR_BH_TASK_NOT_FOUND',
  /** The worker thread running the task died (uncaught error, process.exit, out of memory, or terminated). */
  WORKER_CRASHED: 'ERR_BH_WORKER_CRASHED',
  /** A worker thread could not start (its module failed to import). */
  WORKER_START: 'ERR_BH_WORKER_START',
} as const;

/**
 * Thrown (or rejected, for the async variants) when a blocking ring operation
 * times out: the ring stayed full (producer) or empty (consumer) for
 * `timeoutMs`. A dead peer thread shows up as this error, never as a hang.
 * @example try { producer.write(msg, 100) } catch (e) { if (e instanceof RingTimeoutError) reconnect() }
 */
export class RingTimeoutError extends BlackholeError {
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number;
  constructor(component: string, operation: string, timeoutMs: number) {
    super(ConcurrencyErrorCode.RING_TIMEOUT, `${component} ${operation} timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A pool could neither run nor queue a task (all threads busy, queue full)
 * and its rejection handler is `'abort'`.
 * @example pool.run('f').catch((e) => { if (e instanceof TaskRejectedError) shedLoad() })
 */
export class TaskRejectedError extends BlackholeError {
  /** The task's export name. */
  readonly task: string;
  constructor(pool: string, task: string, where: string) {
    super(ConcurrencyErrorCode.TASK_REJECTED, `${pool} rejected task '${task}': ${where}`);
    this.task = task;
  }
}

/**
 * A task was dropped by the `'discard'` or `'discard-oldest'` rejection
 * handler; its promise settles with this error so nothing waits forever.
 * @example if (e instanceof TaskDiscardedError) metrics.increment('dropped')
 */
export class TaskDiscardedError extends BlackholeError {
  /** The task's export name. */
  readonly task: string;
  constructor(pool: string, task: string, why: string) {
    super(ConcurrencyErrorCode.TASK_DISCARDED, `${pool} task '${task}' ${why}`);
    this.task = task;
  }
}

/**
 * A task ran longer than its timeout (counted from the start of its
 * execution). Its thread is replaced if the task does not stop within the
 * pool's abort grace period.
 * @example await pool.run('parse', [doc], { timeoutMs: 50 }).catch((e) => e instanceof TaskTimeoutError)
 */
export class TaskTimeoutError extends BlackholeError {
  /** The task's export name. */
  readonly task: string;
  /** The timeout that expired, ms. */
  readonly timeoutMs: number;
  constructor(pool: string, task: string, timeoutMs: number) {
    super(ConcurrencyErrorCode.TASK_TIMEOUT, `${pool} task '${task}' timed out after ${timeoutMs} ms of execution`);
    this.task = task;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The task's export is not a function of its module (the message lists the
 * functions the module does export), or the module could not be imported.
 * @example await pool.run('nope').catch((e) => e.code === 'ERR_BH_TASK_NOT_FOUND')
 */
export class TaskNotFoundError extends BlackholeError {
  constructor(pool: string, message: string) {
    super(ConcurrencyErrorCode.TASK_NOT_FOUND, `${pool} ${message}`);
  }
}

/**
 * The worker thread running a task died: an uncaught error, `process.exit`,
 * running out of memory under `resourceLimits`, or termination after an
 * abort or timeout. Only tasks that had started fail with it; the pool
 * re-runs the others and replaces the thread.
 * @example if (e instanceof WorkerCrashedError) log.warn(e.exitCode, e.cause)
 */
export class WorkerCrashedError extends BlackholeError {
  /** The thread's index in the pool (creation order). */
  readonly thread: number;
  /** The thread's exit code. */
  readonly exitCode: number;
  constructor(pool: string, thread: number, exitCode: number, why: string, cause?: Error) {
    super(ConcurrencyErrorCode.WORKER_CRASHED, `${pool} worker thread #${thread} died (${why}) while running the task`, cause === undefined ? undefined : { cause });
    this.thread = thread;
    this.exitCode = exitCode;
  }
}

/**
 * A worker thread could not start, usually because its module failed to
 * import (the cause holds the import error). Tasks waiting for it fail with
 * this error instead of waiting for a thread that will never come.
 * @example await pool.prestartCoreThreads().catch((e) => console.error(e.cause))
 */
export class WorkerStartError extends BlackholeError {
  /** The thread's index in the pool. */
  readonly thread: number;
  constructor(pool: string, thread: number, cause: Error) {
    super(ConcurrencyErrorCode.WORKER_START, `${pool} worker thread #${thread} could not start: ${cause.message}`, { cause });
    this.thread = thread;
  }
}
