/**
 * WindowedCounter: a cumulative count plus its sum over the sliding window of a
 * {@link WindowTicker}, for rates ("requests per second over the last minute").
 *
 * Layout: `total` and a ring of per-period sums (`Float64Array(slots)`). An
 * increment adds to `total` and to the current period's cell; when the
 * ticker's epoch has moved, the cells of the periods that left the window are
 * zeroed first (lazily, on the next write or read). No clock read on writes.
 */
import { InvalidArgumentError, describe } from '../errors.ts';
import { checkNumber } from '../validate.ts';
import { WindowTicker } from './window-ticker.ts';

/**
 * A counter that also knows how much it grew over the recent window.
 * @example
 * const c = new WindowedCounter(ticker); c.add(512); c.rate(); // per second over the window
 */
export class WindowedCounter {
  /** Cumulative sum of every increment. */
  total = 0;
  /** The ticker that says which period is current. */
  readonly ticker: WindowTicker;
  private readonly ring: Float64Array;
  private epoch: number;

  constructor(ticker: WindowTicker) {
    if (!(ticker instanceof WindowTicker)) {
      throw new InvalidArgumentError(`WindowedCounter ticker must be a WindowTicker, got ${describe(ticker)}`);
    }
    this.ticker = ticker;
    this.ring = new Float64Array(ticker.slots);
    this.epoch = ticker.epoch;
  }

  /**
   * Adds `by`, a finite number >= 0.
   * @example c.add(512)
   */
  add(by: number): void {
    if (typeof by !== 'number' || !(by >= 0 && by !== Infinity)) checkNumber('WindowedCounter', 'add by', by, { min: 0 });
    if (this.epoch !== this.ticker.epoch) this._advance();
    this.ring[this.epoch % this.ring.length] += by;
    this.total += by;
  }

  private _advance(): void {
    const target = this.ticker.epoch;
    const n = this.ring.length;
    const steps = Math.min(target - this.epoch, n);
    for (let s = 1; s <= steps; s++) this.ring[(target - steps + s) % n] = 0;
    this.epoch = target;
  }

  /**
   * Sum of the increments in the window.
   * @example c.windowSum()
   */
  windowSum(): number {
    if (this.epoch !== this.ticker.epoch) this._advance();
    let sum = 0;
    for (let i = 0; i < this.ring.length; i++) sum += this.ring[i]!;
    return sum;
  }

  /**
   * Increments per second over the window (0 before any time has passed).
   * @example c.rate()
   */
  rate(): number {
    const ms = this.ticker.coveredMs();
    return ms <= 0 ? 0 : (this.windowSum() * 1000) / ms;
  }

  /**
   * Forgets everything.
   * @example c.reset()
   */
  reset(): void {
    this.total = 0;
    this.ring.fill(0);
    this.epoch = this.ticker.epoch;
  }
}
