/**
 * WindowedHistogram: a Histogram over the last `windowMs`, plus all time.
 *
 * Layout: a ring of `slots` histograms, one per period of the shared
 * {@link WindowTicker}. A record goes into the current slot only (one
 * Histogram.record plus an integer compare). When the ticker's epoch has moved,
 * the slots whose periods left the window are merged into the all-time
 * `retired` histogram and reset for reuse. So:
 *   window   = merge of the live slots (the last `slots` periods, current included)
 *   all time = retired + window
 * Slots are allocated on their first record, so an idle series holds only its
 * retired histogram and at most one slot. Reads merge into a scratch histogram
 * owned by the series (O(slots x buckets), no per-read allocation after the first).
 */
import { Histogram, type HistogramOptions } from './histogram.ts';
import { InvalidArgumentError, describe } from '../errors.ts';
import { WindowTicker } from './window-ticker.ts';

/**
 * A histogram with a sliding window of recent values and an all-time view.
 * @example
 * const ticker = new WindowTicker({ windowMs: 60_000 }).start();
 * const h = new WindowedHistogram(ticker, { lowestDiscernibleValue: 0.001, highestTrackableValue: 3_600_000 });
 * h.record(3.2); h.window().percentile(99);
 */
export class WindowedHistogram {
  /** The ticker that says which period is current. */
  readonly ticker: WindowTicker;
  private readonly ring: (Histogram | null)[];
  private readonly retired: Histogram;
  private readonly scratch: Histogram;
  private current: Histogram | null = null;
  private epoch: number;
  private spare: Histogram | null = null;

  constructor(ticker: WindowTicker, options?: HistogramOptions) {
    if (!(ticker instanceof WindowTicker)) {
      throw new InvalidArgumentError(`WindowedHistogram ticker must be a WindowTicker, got ${describe(ticker)}`);
    }
    this.ticker = ticker;
    this.retired = new Histogram(options);
    this.scratch = this.retired.cloneEmpty();
    this.ring = new Array<Histogram | null>(ticker.slots).fill(null);
    this.epoch = ticker.epoch;
  }

  /**
   * Records a value (a finite number >= 0) in the current period. O(1), no allocation once warm.
   * @throws InvalidArgumentError / OutOfRangeError (from the Histogram) for a bad value; nothing is recorded then.
   * @example h.record(3.2)
   */
  record(value: number): void {
    if (this.epoch !== this.ticker.epoch) this._advance();
    let h = this.current;
    if (h === null) h = this._allocate();
    h.record(value);
  }

  private _allocate(): Histogram {
    const h = this.spare ?? this.retired.cloneEmpty();
    this.spare = null;
    this.ring[this.epoch % this.ring.length] = h;
    this.current = h;
    return h;
  }

  /** Retires the slots of periods that left the window. */
  private _advance(): void {
    const target = this.ticker.epoch;
    const n = this.ring.length;
    const steps = Math.min(target - this.epoch, n);
    for (let s = 1; s <= steps; s++) {
      const i = (target - steps + s) % n;
      const h = this.ring[i];
      if (h != null) {
        this.retired.merge(h);
        h.reset();
        this.ring[i] = null;
        if (this.spare === null) this.spare = h;
      }
    }
    this.epoch = target;
    this.current = this.ring[target % n] ?? null;
  }

  /** Brings the ring up to the ticker's epoch without recording. */
  sync(): void {
    if (this.epoch !== this.ticker.epoch) this._advance();
  }

  /** The recent values (the last `slots` periods) merged into a scratch histogram: read it, don't keep it. */
  window(): Histogram {
    this.sync();
    this.scratch.reset();
    for (const h of this.ring) if (h !== null) this.scratch.merge(h);
    return this.scratch;
  }

  /** Every value ever recorded, merged into a scratch histogram: read it, don't keep it. */
  total(): Histogram {
    this.window();
    return this.scratch.merge(this.retired);
  }

  /** Forgets everything. */
  reset(): void {
    this.retired.reset();
    for (let i = 0; i < this.ring.length; i++) {
      const h = this.ring[i];
      if (h != null) {
        h.reset();
        this.ring[i] = null;
      }
    }
    this.current = null;
    this.epoch = this.ticker.epoch;
  }
}
