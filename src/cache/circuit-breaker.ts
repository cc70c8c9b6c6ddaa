/**
 * CircuitBreaker: stops calling a dependency that keeps failing, and probes it
 * back.
 *
 * States. *closed*: every call is allowed; `failureThreshold` consecutive
 * failures open the circuit. *open*: calls are refused (`allow()` is false and
 * counts a skip) for `openMs`. *half-open*: after `openMs` the first `allow()`
 * lets exactly one probe through; until that probe reports, everything else is
 * refused. The probe's `success()` closes the circuit, its `failure()` opens it
 * again for another `openMs`.
 *
 * A call that is allowed must end in exactly one `success()` or `failure()`
 * (a timeout is a failure). Results of calls that started before the circuit
 * opened still count: a success closes, a failure extends nothing while open.
 * `probeNow()` ends an open period early when the caller has other evidence
 * that the dependency is back (a Redis connection became ready again), so
 * recovery does not wait out `openMs`. The clock is injectable, so tests need
 * no real waiting.
 */
import { checkFunction, checkNumber, checkOptions, checkString } from '../validate.ts';

/** Numeric states, as exposed in stats (`0` closed, `1` open, `2` half-open). @example if (b.state === BreakerState.OPEN) ... */
export const BreakerState = { CLOSED: 0, OPEN: 1, HALF_OPEN: 2 } as const;
/** One of {@link BreakerState}'s values. */
export type BreakerStateValue = (typeof BreakerState)[keyof typeof BreakerState];

/** Options of {@link CircuitBreaker}. @example new CircuitBreaker({ failureThreshold: 5, openMs: 1000 }) */
export interface CircuitBreakerOptions {
  /** Name used in error messages. Default 'CircuitBreaker'. */
  name?: string;
  /** Consecutive failures that open the circuit, integer 1 to 2^31 - 1. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before a probe, ms, integer 1 to 2^31 - 1. Default 1000. */
  openMs?: number;
  /** Monotonic clock, ms. Default `performance.now`. */
  now?: () => number;
}

/** Counters of a {@link CircuitBreaker}. @example breaker.stats().opens */
export interface CircuitBreakerStats {
  /** Current state: 0 closed, 1 open, 2 half-open. */
  state: BreakerStateValue;
  /** Times the circuit opened. */
  opens: number;
  /** Calls refused while open or while a probe was out. */
  skipped: number;
  /** Probes let through in half-open. */
  probes: number;
  /** Current run of consecutive failures. */
  consecutiveFailures: number;
}

/**
 * A closed/open/half-open circuit breaker.
 * @example
 * if (!breaker.allow()) return undefined; // skipped
 * try { const v = await call(); breaker.success(); return v } catch (e) { breaker.failure(); throw e }
 */
export class CircuitBreaker {
  /** Name used in error messages. */
  readonly name: string;
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** Open period, ms. */
  readonly openMs: number;
  private readonly now: () => number;
  private current: BreakerStateValue = BreakerState.CLOSED;
  private openedAt = 0;
  private probing = false;
  private failures = 0;
  private opens = 0;
  private skipped = 0;
  private probes = 0;

  constructor(options?: CircuitBreakerOptions) {
    const o = checkOptions('CircuitBreaker', 'options', options);
    const name = o.name === undefined ? 'CircuitBreaker' : checkString('CircuitBreaker', 'name', o.name, { nonEmpty: true });
    this.name = name;
    // Messages name the component "CircuitBreaker" even when the instance has its own name.
    const component = name === 'CircuitBreaker' ? name : `CircuitBreaker ${name}`;
    this.failureThreshold = o.failureThreshold === undefined ? 5 : checkNumber(component, 'failureThreshold', o.failureThreshold, { integer: true, min: 1, max: 2 ** 31 - 1 });
    this.openMs = o.openMs === undefined ? 1000 : checkNumber(component, 'openMs', o.openMs, { integer: true, min: 1, max: 2 ** 31 - 1 });
    this.now = o.now === undefined ? () => performance.now() : checkFunction<() => number>(component, 'now', o.now);
  }

  /** The current state (an open circuit whose period is over still reads open until the next `allow()`). */
  get state(): BreakerStateValue {
    return this.current;
  }

  /** Whether a call may go ahead now; false counts as a skip. In half-open, true for one probe only. */
  allow(): boolean {
    if (this.current === BreakerState.CLOSED) return true;
    if (this.current === BreakerState.OPEN && !(this.now() - this.openedAt < this.openMs)) {
      this.current = BreakerState.HALF_OPEN;
      this.probing = false;
    }
    if (this.current === BreakerState.HALF_OPEN && !this.probing) {
      this.probing = true;
      this.probes++;
      return true;
    }
    this.skipped++;
    return false;
  }

  /** Reports that an allowed call succeeded: closes the circuit. */
  success(): void {
    this.failures = 0;
    this.probing = false;
    this.current = BreakerState.CLOSED;
  }

  /** Reports that an allowed call failed (or timed out). */
  failure(): void {
    this.failures++;
    if (this.current === BreakerState.HALF_OPEN) {
      this.trip();
    } else if (this.current === BreakerState.CLOSED && this.failures >= this.failureThreshold) {
      this.trip();
    }
  }

  /**
   * Ends an open period now: the next `allow()` lets one probe through (the
   * circuit is half-open). For callers with other evidence that the
   * dependency is back, such as a reconnected client. No effect when closed
   * or already half-open.
   * @example client.on('ready', () => breaker.probeNow());
   */
  probeNow(): void {
    if (this.current !== BreakerState.OPEN) return;
    this.current = BreakerState.HALF_OPEN;
    this.probing = false;
  }

  /** A plain copy of the counters. */
  stats(): CircuitBreakerStats {
    return { state: this.current, opens: this.opens, skipped: this.skipped, probes: this.probes, consecutiveFailures: this.failures };
  }

  private trip(): void {
    this.current = BreakerState.OPEN;
    this.openedAt = this.now();
    this.probing = false;
    this.opens++;
  }
}
