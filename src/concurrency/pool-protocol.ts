/**
 * Wire protocol between a ThreadPool and its worker runtime (both sides
 * import these constants, so they cannot drift apart).
 *
 * Request frames (pool -> worker), byte offsets within the frame payload:
 *   TASK       [0]=K_TASK [1]=flags [2..3]=fnId u16 [4..7]=slot [8..11]=task id [12..]=args (one encoded array)
 *   TASK_PORT  same header; the args arrive on the data port (large payloads, transfers)
 *   DEFINE     [0]=K_DEFINE [2..3]=fnId [4..]=module URL (string value), export name (string value)
 * Response frames (worker -> pool):
 *   [0]=kind [1]=flags [4..7]=slot [8..11]=task id [12..15]=run time, µs (float32) [16..]=value
 *   kinds: R_OK, R_ERR (value = error description or the thrown value), R_OK_PORT / R_ERR_PORT
 *   (value on the data port), R_SKIPPED (the task was cancelled before it started).
 *
 * Slot states (shared Int32Array, one word per dispatched task): the pool
 * sets QUEUED before publishing a frame; the worker moves QUEUED -> RUNNING
 * with a compare-and-swap before it runs the task, so a task the pool took
 * back (QUEUED -> CANCELLED, by its own CAS) is never also run. ABORTING
 * means "running, and the caller gave up": the task can see it through its
 * context. Every frame a live worker reads gets exactly one response, so the
 * pool frees a slot only when its response arrives or its worker is gone.
 * @internal
 */
import type { MessagePort } from 'node:worker_threads';

export const K_TASK = 1;
export const K_TASK_PORT = 2;
export const K_DEFINE = 3;

export const R_OK = 1;
export const R_ERR = 2;
export const R_OK_PORT = 3;
export const R_ERR_PORT = 4;
export const R_SKIPPED = 5;

/** R_ERR flag: the value is an error description `{ name, message, stack, props }`, not the thrown value itself. */
export const RF_ERROR_OBJECT = 1;
/** R_ERR flag: the task's export does not exist (the value is a description). */
export const RF_NOT_FOUND = 2;

export const S_FREE = 0;
export const S_QUEUED = 1;
export const S_RUNNING = 2;
export const S_CANCELLED = 3;
export const S_ABORTING = 4;

/** Header bytes of a request TASK frame before the args. */
export const TASK_HEADER = 12;
/** Header bytes of a response frame before the value. */
export const RESULT_HEADER = 16;
/** Largest inline payload; bigger ones go through the data port. */
export const MAX_INLINE = 16 * 1024;
/** Data bytes of each direction's ring, per worker. */
export const RING_BYTES = 256 * 1024;

/** Word of the pool-wide control buffer: 1 while the pool's thread waits for results (workers then notify it). */
export const C_MAIN_SLEEPING = 0;
/** Int32 words of the control buffer (one cache line). */
export const CONTROL_WORDS = 16;

/** Brand of a {@link transferResult} wrapper (a registered symbol, so copies of this module agree). */
export const TRANSFER_BRAND = Symbol.for('blackhole-perf.transfer');

/** What the pool sends the worker runtime in `workerData`. */
export interface PoolWorkerData {
  index: number;
  request: SharedArrayBuffer;
  response: SharedArrayBuffer;
  control: SharedArrayBuffer;
  slotStates: SharedArrayBuffer;
  slotStarts: SharedArrayBuffer;
  dataPort: MessagePort;
  /** Module to import before reporting ready (the pool's default `filename`). */
  filename: string;
  /** CPUs to pin the thread to, or null. */
  cpus: number[] | null;
}

/** Messages the worker runtime posts on `parentPort`. */
export type WorkerToPool =
  | { type: 'ready'; pinned: boolean }
  | { type: 'boot-error'; name: string; message: string; stack: string };

/** Messages the pool posts to the worker runtime. */
export type PoolToWorker = { type: 'abort'; slot: number; id: number };
