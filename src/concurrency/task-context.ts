/**
 * What a ThreadPool task sees of the pool from inside its worker thread.
 *
 * A task is a named export of a module: `export function resize(this:
 * TaskContext, image, width) { ... }`. It is called with the arguments
 * given to `pool.run` and with `this` bound to a {@link TaskContext}, through
 * which it can notice that the caller gave up (abort or timeout). Arrow
 * functions do not get `this`; they simply run to completion.
 */
import type { TransferListItem } from 'node:worker_threads';
import { InvalidArgumentError, describe } from '../errors.ts';
import { TRANSFER_BRAND } from './pool-protocol.ts';
import { transferListProblem } from './pool-codec.ts';

/**
 * A running task's view of its cancellation, bound as `this`.
 * @example
 * export async function crawl(this: TaskContext, url: string) {
 *   const res = await fetch(url, { signal: this.signal });
 *   return res.status;
 * }
 */
export interface TaskContext {
  /**
   * True once the caller aborted the task or its timeout passed. Reads
   * shared memory, so a synchronous loop can poll it between steps.
   */
  readonly aborted: boolean;
  /**
   * An AbortSignal that fires when the caller gives up. It fires from the
   * worker's event loop, so an async task sees it at its next await; a
   * synchronous loop should poll {@link TaskContext.aborted} instead.
   */
  readonly signal: AbortSignal;
  /** Throws an `AbortError` if {@link TaskContext.aborted}. */
  throwIfAborted(): void;
}

/** A task result that is sent with a transfer list (see {@link transferResult}). */
export interface TransferResult<T> {
  readonly [TRANSFER_BRAND]: true;
  readonly value: T;
  readonly transferList: readonly TransferListItem[];
}

/**
 * Wraps a task's return value so that `transferList` (ArrayBuffers,
 * MessagePorts) moves to the caller instead of being copied. The caller's
 * promise resolves with `value` itself.
 * @example
 * export function render(w: number, h: number) {
 *   const pixels = new Uint8Array(w * h * 4);
 *   return transferResult(pixels, [pixels.buffer]);
 * }
 */
export function transferResult<T>(value: T, transferList: readonly TransferListItem[]): T {
  if (!Array.isArray(transferList)) throw new InvalidArgumentError(`transferResult transferList must be an array, got ${describe(transferList)}`);
  const problem = transferListProblem(transferList);
  if (problem !== null) throw new InvalidArgumentError(`transferResult ${problem}`);
  const wrapped: TransferResult<T> = { [TRANSFER_BRAND]: true, value, transferList };
  return wrapped as unknown as T;
}

/** True when `value` was made by {@link transferResult}. @internal */
export function isTransferResult(value: unknown): value is TransferResult<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TRANSFER_BRAND] === true;
}
