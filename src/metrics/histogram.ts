/**
 * Histogram: an HDR-style log-linear histogram over non-negative numbers.
 *
 * Design
 * ------
 * Values are first turned into integer *units*: `u = floor(value * scale)`,
 * where `scale = 2^-unitMagnitude` and `unitMagnitude = floor(log2(lowest))`.
 * Using a power of two makes the scaling exact in floating point, and lets the
 * lowest discernible value be a fraction (0.001 ms = 1 µs resolution when
 * recording milliseconds) as well as an integer (the usual HDR case).
 *
 * Units are bucketed log-linearly, as in Gil Tene's HdrHistogram: bucket `b`
 * covers `[2^b · H, 2^(b+1) · H)` units (`H = subBucketHalfCount`, bucket 0
 * also covers `[0, H)`) split into `H` sub-buckets of width `2^b`, so the
 * width of any sub-bucket is at most `1/H <= 10^-digits` of the values in it.
 * The counts of all sub-buckets live in one `Float64Array` (counts up to
 * 2^53, no overflow in practice), laid out bucket after bucket.
 *
 * `record()` finds the index with `Math.clz32` (two 32-bit halves for units
 * at or above 2^32), does no allocation and no loop. Exact `min`, `max`,
 * `count` and `mean` are kept beside the buckets; the standard deviation is
 * exact too, from sums of `(v - K)` and `(v - K)^2` shifted by the first
 * recorded value `K`, which keeps the sums small and the subtraction stable.
 *
 * Values above `highestTrackableValue` are not dropped: they count in
 * `count`, `min`, `max`, `mean` and `stdDev`, and separately in `overflow`;
 * a percentile whose rank falls among them reports the exact `max`.
 *
 * Percentiles use the nearest-rank definition: `percentile(q)` is the
 * smallest recorded value `v` such that at least `q`% of the values are `<= v`
 * (rank `ceil(q/100 · count)`, at least 1), reported as the highest value
 * equivalent to it (the top of its sub-bucket, in whole units, as HDR does),
 * clamped to `[min, max]`. The error is at most `10^-digits` of the value, or
 * one unit (the lowest discernible value) for values below `2 · 10^digits`
 * units, where sub-buckets are one unit wide.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';

/** Options of {@link Histogram}. */
export interface HistogramOptions {
  /** Name used in error messages and snapshots. Default `'histogram'`. */
  name?: string;
  /**
   * Smallest value told apart from 0 (the resolution), > 0; may be a fraction,
   * e.g. 0.001 to keep microseconds when recording milliseconds. Rounded down
   * to a power of two internally. Default 1.
   */
  lowestDiscernibleValue?: number;
  /**
   * Largest value kept in buckets, >= 2 x lowestDiscernibleValue; larger values
   * are counted as overflow. Default `Number.MAX_SAFE_INTEGER` (like Node's
   * `createHistogram`). Memory grows with log2(highest / lowest).
   */
  highestTrackableValue?: number;
  /** Significant decimal digits kept: relative precision 10^-digits, integer 1 to 5. Default 3. */
  significantDigits?: number;
}

/** A plain, JSON-friendly copy of a histogram's statistics. */
export interface HistogramSnapshot {
  /** The histogram's name. */
  name: string;
  /** Values recorded, overflow included. */
  count: number;
  /** Smallest value recorded (exact); 0 when empty. */
  min: number;
  /** Largest value recorded (exact); 0 when empty. */
  max: number;
  /** Arithmetic mean (exact up to floating point); 0 when empty. */
  mean: number;
  /** Population standard deviation (exact up to floating point); 0 when empty. */
  stdDev: number;
  /** Sum of all values recorded. */
  sum: number;
  /** Values recorded above `highestTrackableValue`. */
  overflow: number;
  /** p50, p75, p90, p95, p99 and p99.9 (nearest rank); 0 when empty. */
  percentiles: { p50: number; p75: number; p90: number; p95: number; p99: number; p999: number };
}

const TWO_POW_32 = 4294967296;
const SNAPSHOT_QUANTILES = [50, 75, 90, 95, 99, 99.9];

/** Nearest-rank position (1-based) of percentile `q` among `count` values. */
export function percentileRank(q: number, count: number): number {
  // The tolerance keeps float noise (95 * 100 / 100 = 95.00000000000001) from
  // pushing the rank one past the exact one.
  const r = Math.ceil((q * count) / 100 - 1e-9);
  return r < 1 ? 1 : r > count ? count : r;
}

/**
 * An HDR-style histogram: O(1), allocation-free `record`, percentiles within
 * 10^-significantDigits relative error, exact min/max/mean/stdDev.
 * @example
 * const h = new Histogram({ name: 'latency', lowestDiscernibleValue: 0.001, highestTrackableValue: 60_000, significantDigits: 3 });
 * h.record(12.5); h.percentile(99); // ~12.5
 */
export class Histogram {
  /** Name used in errors and snapshots. */
  readonly name: string;
  /** Lowest discernible value, as given. */
  readonly lowestDiscernibleValue: number;
  /** Highest value kept in buckets; larger values count as overflow. */
  readonly highestTrackableValue: number;
  /** Significant decimal digits kept. */
  readonly significantDigits: number;

  private readonly unitMagnitude: number;
  private readonly scale: number;
  private readonly unit: number;
  private readonly subBucketHalfCountMagnitude: number;
  private readonly subBucketHalfCount: number;
  private readonly subBucketMask: number;
  private readonly counts: Float64Array;
  /** Per-group sums of `counts` (a group is `subBucketHalfCount` sub-buckets), so rank searches skip whole groups. */
  private readonly groups: Float64Array;

  private n = 0;
  private overflowCount = 0;
  private minValue = Infinity;
  private maxValue = -Infinity;
  private shift = 0;
  private shiftedSum = 0;
  private shiftedSumSq = 0;
  /** Highest counts index written since the last reset, to bound scans. */
  private maxIndex = -1;

  constructor(options: HistogramOptions = {}) {
    const name = options.name ?? 'histogram';
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError(`Histogram name must be a non-empty string, got ${describe(name)}`);
    }
    const lowest = options.lowestDiscernibleValue ?? 1;
    const highest = options.highestTrackableValue ?? Number.MAX_SAFE_INTEGER;
    const digits = options.significantDigits ?? 3;
    if (typeof lowest !== 'number' || !Number.isFinite(lowest) || lowest <= 0) {
      throw new OutOfRangeError(`Histogram "${name}" lowestDiscernibleValue (${describe(lowest)}) must be a finite number > 0`);
    }
    if (typeof highest !== 'number' || !Number.isFinite(highest) || highest < 2 * lowest) {
      throw new OutOfRangeError(
        `Histogram "${name}" highestTrackableValue (${describe(highest)}) must be a finite number >= 2 x lowestDiscernibleValue (${2 * lowest})`,
      );
    }
    if (!Number.isInteger(digits) || digits < 1 || digits > 5) {
      throw new OutOfRangeError(`Histogram "${name}" significantDigits (${describe(digits)}) must be an integer from 1 to 5`);
    }
    this.name = name;
    this.lowestDiscernibleValue = lowest;
    this.highestTrackableValue = highest;
    this.significantDigits = digits;

    this.unitMagnitude = Math.floor(Math.log2(lowest));
    // Math.log2 may round up for a value just below a power of two.
    if (2 ** this.unitMagnitude > lowest) this.unitMagnitude -= 1;
    this.unit = 2 ** this.unitMagnitude;
    this.scale = 2 ** -this.unitMagnitude;
    if (highest * this.scale > Number.MAX_SAFE_INTEGER) {
      throw new OutOfRangeError(
        `Histogram "${name}" highestTrackableValue / lowestDiscernibleValue (${highest} / ${lowest}) must be <= 2^53`,
      );
    }

    const subBucketCountMagnitude = Math.ceil(Math.log2(2 * 10 ** digits));
    this.subBucketHalfCountMagnitude = subBucketCountMagnitude - 1;
    this.subBucketHalfCount = 2 ** this.subBucketHalfCountMagnitude;
    const subBucketCount = 2 * this.subBucketHalfCount;
    this.subBucketMask = subBucketCount - 1;

    const highestUnits = Math.floor(highest * this.scale);
    let bucketsNeeded = 1;
    let smallestUntrackable = subBucketCount;
    while (smallestUntrackable <= highestUnits) {
      smallestUntrackable *= 2;
      bucketsNeeded += 1;
    }
    this.counts = new Float64Array((bucketsNeeded + 1) * this.subBucketHalfCount);
    this.groups = new Float64Array(bucketsNeeded + 1);
  }

  /** Values recorded, overflow included. */
  get count(): number {
    return this.n;
  }
  /** Smallest value recorded; 0 when empty. */
  get min(): number {
    return this.n === 0 ? 0 : this.minValue;
  }
  /** Largest value recorded; 0 when empty. */
  get max(): number {
    return this.n === 0 ? 0 : this.maxValue;
  }
  /** Sum of the values recorded. */
  get sum(): number {
    return this.n === 0 ? 0 : this.shiftedSum + this.shift * this.n;
  }
  /** Arithmetic mean; 0 when empty. */
  get mean(): number {
    return this.n === 0 ? 0 : this.shift + this.shiftedSum / this.n;
  }
  /** Population standard deviation; 0 when empty. */
  get stdDev(): number {
    if (this.n === 0) return 0;
    const m = this.shiftedSum / this.n;
    const variance = this.shiftedSumSq / this.n - m * m;
    return variance > 0 ? Math.sqrt(variance) : 0;
  }
  /** Values recorded above `highestTrackableValue`. */
  get overflow(): number {
    return this.overflowCount;
  }
  /** Bytes held by the bucket counts. */
  get byteSize(): number {
    return this.counts.byteLength;
  }

  /**
   * Records one value: O(1), no allocation.
   * @throws RangeError for NaN, negative or non-finite values.
   */
  record(value: number): void {
    if (!(value >= 0 && value <= this.highestTrackableValue)) {
      this.recordOutside(value, 1);
      return;
    }
    const idx = this.indexOf(value);
    this.counts[idx]++;
    this.groups[idx >>> this.subBucketHalfCountMagnitude]++;
    if (idx > this.maxIndex) this.maxIndex = idx;
    this.account(value, 1);
  }

  /**
   * Records `value` as if it had been recorded `count` times.
   * @example h.recordMany(5, 100)
   */
  recordMany(value: number, count: number): void {
    if (!Number.isInteger(count) || count < 0) {
      throw new OutOfRangeError(`Histogram "${this.name}" count (${describe(count)}) must be an integer >= 0`);
    }
    if (count === 0) return;
    if (!(value >= 0 && value <= this.highestTrackableValue)) {
      this.recordOutside(value, count);
      return;
    }
    this.addAt(this.indexOf(value), count);
    this.account(value, count);
  }

  private addAt(idx: number, count: number): void {
    this.counts[idx] += count;
    this.groups[idx >>> this.subBucketHalfCountMagnitude] += count;
    if (idx > this.maxIndex) this.maxIndex = idx;
  }

  private account(value: number, count: number): void {
    if (this.n === 0) this.shift = value;
    this.n += count;
    if (value < this.minValue) this.minValue = value;
    if (value > this.maxValue) this.maxValue = value;
    const d = value - this.shift;
    this.shiftedSum += d * count;
    this.shiftedSumSq += d * d * count;
  }

  private recordOutside(value: number, count: number): void {
    if (typeof value !== 'number' || Number.isNaN(value) || !Number.isFinite(value) || value < 0) {
      throw new OutOfRangeError(
        `Histogram "${this.name}" cannot record ${describe(value)}: values must be finite numbers >= 0`,
      );
    }
    // Above the highest trackable value: counted, never dropped.
    this.overflowCount += count;
    this.account(value, count);
  }

  /** Counts index of an in-range value. */
  private indexOf(value: number): number {
    const u = Math.floor(value * this.scale);
    const half = this.subBucketHalfCountMagnitude;
    if (u < TWO_POW_32) {
      const bucket = 31 - Math.clz32(u | this.subBucketMask) - half;
      return ((bucket + 1) << half) + ((u >>> bucket) - this.subBucketHalfCount);
    }
    const msb = 63 - Math.clz32(Math.floor(u / TWO_POW_32));
    const bucket = msb - half;
    return (bucket + 1) * this.subBucketHalfCount + (Math.floor(u / 2 ** bucket) - this.subBucketHalfCount);
  }

  /** Lowest value (in units) of the sub-bucket at `index`, and its width in units. */
  private lowUnitsAt(index: number): number {
    let bucket = Math.floor(index / this.subBucketHalfCount) - 1;
    let sub = (index % this.subBucketHalfCount) + this.subBucketHalfCount;
    if (bucket < 0) {
      sub -= this.subBucketHalfCount;
      bucket = 0;
    }
    return sub * 2 ** bucket;
  }

  private widthUnitsAt(index: number): number {
    const bucket = Math.floor(index / this.subBucketHalfCount) - 1;
    return bucket < 0 ? 1 : 2 ** bucket;
  }

  /** Upper end of the values equivalent to the sub-bucket at `index`. */
  private highValueAt(index: number): number {
    return (this.lowUnitsAt(index) + this.widthUnitsAt(index) - 1) * this.unit;
  }

  /** Lowest and highest value that share the sub-bucket of `value` (values equal within the precision). */
  equivalentRange(value: number): { low: number; high: number } {
    if (!(value >= 0 && value <= this.highestTrackableValue)) {
      throw new OutOfRangeError(
        `Histogram "${this.name}" value (${describe(value)}) must be within [0, ${this.highestTrackableValue}]`,
      );
    }
    const idx = this.indexOf(value);
    const low = this.lowUnitsAt(idx);
    return { low: low * this.unit, high: (low + this.widthUnitsAt(idx)) * this.unit };
  }

  /**
   * Value at percentile `q` (0 to 100, nearest rank), within the configured precision.
   * @example h.percentile(99.9)
   */
  percentile(q: number): number {
    this.checkQuantile(q);
    if (this.n === 0) return 0;
    if (q === 0) return this.minValue;
    return this.valueAtRank(percentileRank(q, this.n));
  }

  /**
   * Several percentiles at once; `qs` in any order.
   * @example const [p50, p99] = h.percentiles([50, 99]);
   */
  percentiles(qs: readonly number[]): number[] {
    for (const q of qs) this.checkQuantile(q);
    const out = new Array<number>(qs.length);
    for (let k = 0; k < qs.length; k++) {
      const q = qs[k]!;
      out[k] = this.n === 0 ? 0 : q === 0 ? this.minValue : this.valueAtRank(percentileRank(q, this.n));
    }
    return out;
  }

  private valueAtRank(rank: number): number {
    // Ranks past the in-range values fall among the overflow: report the exact max.
    if (rank > this.n - this.overflowCount) return this.maxValue;
    return this.clamp(this.highValueAt(this.indexAtRank(rank)));
  }

  /** Index of the sub-bucket holding the value of 1-based `rank` (<= the in-range count). */
  private indexAtRank(rank: number): number {
    const groups = this.groups;
    const counts = this.counts;
    const lastGroup = this.maxIndex >>> this.subBucketHalfCountMagnitude;
    let cumulative = 0;
    let g = 0;
    for (; g < lastGroup; g++) {
      const c = groups[g]!;
      if (cumulative + c >= rank) break;
      cumulative += c;
    }
    for (let i = g * this.subBucketHalfCount; i < this.maxIndex; i++) {
      cumulative += counts[i]!;
      if (cumulative >= rank) return i;
    }
    return this.maxIndex;
  }

  private clamp(v: number): number {
    return v < this.minValue ? this.minValue : v > this.maxValue ? this.maxValue : v;
  }

  private checkQuantile(q: number): void {
    if (typeof q !== 'number' || !(q >= 0 && q <= 100)) {
      throw new OutOfRangeError(`Histogram "${this.name}" percentile (${describe(q)}) must be a number from 0 to 100`);
    }
  }

  /**
   * Number of recorded values `<= value`, counted by sub-bucket (a sub-bucket
   * is counted whole when `value` falls inside it). Overflow counts only when
   * `value` is at or above `max`.
   */
  countAtOrBelow(value: number): number {
    if (this.n === 0 || value < 0) return 0;
    if (value >= this.maxValue) return this.n;
    const last = value > this.highestTrackableValue ? this.maxIndex : Math.min(this.indexOf(value), this.maxIndex);
    const lastGroup = last >>> this.subBucketHalfCountMagnitude;
    let c = 0;
    for (let g = 0; g < lastGroup; g++) c += this.groups[g]!;
    const counts = this.counts;
    for (let i = lastGroup * this.subBucketHalfCount; i <= last; i++) c += counts[i]!;
    return c;
  }

  /**
   * Calls `fn(low, high, count)` for every non-empty sub-bucket in ascending
   * order, where `[low, high)` is the range of values it holds.
   */
  forEachBucket(fn: (low: number, high: number, count: number) => void): void {
    const counts = this.counts;
    for (let i = 0; i <= this.maxIndex; i++) {
      const c = counts[i]!;
      if (c !== 0) {
        const low = this.lowUnitsAt(i);
        fn(low * this.unit, (low + this.widthUnitsAt(i)) * this.unit, c);
      }
    }
  }

  /**
   * Adds every value of `other` to this histogram. With the same layout the
   * buckets are added directly; otherwise each of `other`'s sub-buckets is
   * re-recorded at its midpoint. min, max, mean, stdDev and overflow stay exact.
   * @example total.merge(lastMinute)
   */
  merge(other: Histogram): this {
    if (!(other instanceof Histogram)) {
      throw new InvalidArgumentError(`Histogram "${this.name}" merge expects a Histogram, got ${describe(other)}`);
    }
    if (other.n === 0) return this;
    if (
      other.unitMagnitude === this.unitMagnitude &&
      other.subBucketHalfCountMagnitude === this.subBucketHalfCountMagnitude &&
      other.maxIndex < this.counts.length
    ) {
      const src = other.counts;
      const dst = this.counts;
      for (let i = 0; i <= other.maxIndex; i++) dst[i] += src[i]!;
      const lastGroup = other.maxIndex >>> this.subBucketHalfCountMagnitude;
      for (let g = 0; g <= lastGroup; g++) this.groups[g] += other.groups[g]!;
      if (other.maxIndex > this.maxIndex) this.maxIndex = other.maxIndex;
      this.overflowCount += other.overflowCount;
    } else {
      other.forEachBucket((low, high, count) => {
        const mid = low + (high - low) / 2;
        if (mid <= this.highestTrackableValue) {
          this.addAt(this.indexOf(mid), count);
        } else {
          this.overflowCount += count;
        }
      });
      this.overflowCount += other.overflowCount;
    }
    // Exact moments: re-express other's shifted sums around this shift.
    if (this.n === 0) {
      this.shift = other.shift;
      this.shiftedSum = other.shiftedSum;
      this.shiftedSumSq = other.shiftedSumSq;
    } else {
      const d = other.shift - this.shift;
      this.shiftedSum += other.shiftedSum + other.n * d;
      this.shiftedSumSq += other.shiftedSumSq + 2 * d * other.shiftedSum + other.n * d * d;
    }
    this.n += other.n;
    if (other.minValue < this.minValue) this.minValue = other.minValue;
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue;
    return this;
  }

  /** Forgets every value; keeps the configuration and the memory. */
  reset(): void {
    if (this.maxIndex >= 0) {
      this.counts.fill(0, 0, this.maxIndex + 1);
      this.groups.fill(0, 0, (this.maxIndex >>> this.subBucketHalfCountMagnitude) + 1);
    }
    this.maxIndex = -1;
    this.n = 0;
    this.overflowCount = 0;
    this.minValue = Infinity;
    this.maxValue = -Infinity;
    this.shift = 0;
    this.shiftedSum = 0;
    this.shiftedSumSq = 0;
  }

  /** A new, empty histogram with the same configuration. */
  cloneEmpty(name: string = this.name): Histogram {
    return new Histogram({
      name,
      lowestDiscernibleValue: this.lowestDiscernibleValue,
      highestTrackableValue: this.highestTrackableValue,
      significantDigits: this.significantDigits,
    });
  }

  /** A plain copy of the statistics, safe to serialise. */
  snapshot(): HistogramSnapshot {
    const [p50, p75, p90, p95, p99, p999] = this.percentiles(SNAPSHOT_QUANTILES) as [number, number, number, number, number, number];
    return {
      name: this.name,
      count: this.n,
      min: this.min,
      max: this.max,
      mean: this.mean,
      stdDev: this.stdDev,
      sum: this.sum,
      overflow: this.overflowCount,
      percentiles: { p50, p75, p90, p95, p99, p999 },
    };
  }
}
