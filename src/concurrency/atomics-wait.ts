/**
 * Waiting on shared memory from any thread, for the rings.
 *
 * `Atomics.wait` blocks, so it is only allowed off the main thread; the async
 * variants use `Atomics.waitAsync`, which does not by itself keep Node's event
 * loop alive: a pending wait would let the process exit. So while one is
 * pending we hold a ref'd interval that never fires in practice, and clear it
 * when the wait settles (the one deliberate exception to "timers are unref'd").
 */
import { OutOfRangeError, describe } from '../errors.ts';

/** A ref'd interval that keeps the event loop alive while we wait (a pending `Atomics.waitAsync` alone does not). */
const KEEP_ALIVE_MS = 2 ** 30;
function noop(): void {}

/** `Atomics.waitAsync` (Node 16+); typed here because the project's TypeScript lib predates ES2024. */
const atomicsWaitAsync = (
  Atomics as unknown as {
    waitAsync(words: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

/**
 * `Atomics.waitAsync`, awaited, with the event loop kept alive for the duration.
 * @example await waitAsync(words, TAIL, seen, 1000)
 */
export async function waitAsync(words: Int32Array, index: number, value: number, timeoutMs: number): Promise<void> {
  const result = atomicsWaitAsync(words, index, value, timeoutMs);
  if (!result.async) return;
  const keepAlive = setInterval(noop, KEEP_ALIVE_MS);
  try {
    await result.value;
  } finally {
    clearInterval(keepAlive);
  }
}

/**
 * Throws unless `timeoutMs` is a number >= 0 (`Infinity` waits forever).
 * @example checkTimeout('SpscRing read', 100)
 */
export function checkTimeout(component: string, timeoutMs: number): void {
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
    throw new OutOfRangeError(`${component} timeoutMs (${describe(timeoutMs)}) must be a number >= 0 (Infinity waits forever)`);
  }
}
