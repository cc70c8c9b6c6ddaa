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
