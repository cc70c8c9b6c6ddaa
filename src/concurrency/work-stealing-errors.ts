/**
 * Operational errors of the work-stealing pool (src/concurrency/work-stealing-pool.ts).
 *
 * Kept in their own module because both sides need them: the main thread
 * rejects top-level promises with them, and the worker runtime throws
 * `ForkJoinTaskError` from `ctx.join` when a subtask failed. Codes are stable
 * and never reused; the lead moves them into the area's registry.
 */
import { BlackholeError } from '../errors.ts';

/**
 * Stable codes of the work-stealing pool.
 * @example if (err.code === ForkJoinErrorCode.WORKER_CRASHED) retry()
 */
export const ForkJoinErrorCode = {
  /** A worker thread died (process.exit in a task, an uncaught error, a failed start) while tasks were outstanding. */
  WORKER_CRASHED: 'ERR_BH_FORK_JOIN_WORKER_CRASHED',
  /** A task or one of its subtasks threw. */
  TASK_FAILED: 'ERR_BH_FORK_JOIN_TASK_FAILED',
} as const;

/**
 * Rejects every top-level task that was outstanding when a worker thread of
 * a `WorkStealingPool` died (its subtasks may have been anywhere, so no
 * outstanding result can be trusted). The pool replaces its threads and
 * keeps running later submissions; if the threads cannot even start (the task
 * module fails to load), every submission rejects with this error.
 * @example pool.submit('fib', 30).catch((e) => { if (e instanceof ForkJoinWorkerCrashedError) resubmit() })
 */
export class ForkJoinWorkerCrashedError extends BlackholeError {
  /** Index of the worker that died. */
  readonly workerIndex: number;
  /** Its exit code, or undefined when it failed with an error. */
  readonly exitCode: number | undefined;
  constructor(workerIndex: number, detail: string, exitCode: number | undefined, cause?: unknown) {
    super(ForkJoinErrorCode.WORKER_CRASHED, `WorkStealingPool worker ${workerIndex} ${detail}`, cause === undefined ? undefined : { cause });
    this.workerIndex = workerIndex;
    this.exitCode = exitCode;
  }
}

/**
 * A task (or a subtask it joined) threw. Carries the original error's name,
 * message and stack (from the thread that ran it) and the name of the task
 * function that threw. `ctx.join` throws it in the parent task; a top-level
 * promise rejects with it.
 * @example await assert.rejects(pool.submit('boom'), (e) => e instanceof ForkJoinTaskError && e.taskName === 'boom')
 */
export class ForkJoinTaskError extends BlackholeError {
  /** Name of the task function that threw first. */
  readonly taskName: string;
  /** `name` of the original error (e.g. 'TypeError'). */
  readonly remoteName: string;
  constructor(taskName: string, remoteName: string, message: string, remoteStack: string) {
    super(ForkJoinErrorCode.TASK_FAILED, message);
    this.taskName = taskName;
    this.remoteName = remoteName;
    if (remoteStack !== '') this.stack = remoteStack;
  }
}
