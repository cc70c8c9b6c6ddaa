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
 * The counts of all sub-buckets up to the one holding `highestTrackableValue`
 * live in one `Float64Array` (counts up to 2^53, no overflow in practice),
 * laid out bucket after bucket.
 *
 * `record()` checks `typeof value === 'number'` and the range with two
 * compares, finds the index with `Math.clz32` (two 32-bit halves for units at
 * or above 2^32), does no allocation and no loop. Exact `min`, `max`, `count`
 * and `mean` are kept beside the buckets; the standard deviation is exact too,
 * from sums of `(v - K)` and `(v - K)^2` shifted by the first recorded value
 * `K`, which keeps the sums small and the subtraction stable.
 *
 * Overflow: values past the sub-bucket of `highestTrackableValue` are not
 * dropped. They count in `count`, `min`, `max`, `mean` and `stdDev`, and
 * separately in `overflow`, and they are kept at the same precision in a
 * sparse map keyed by the same sub-bucket index (one entry per distinct
 * sub-bucket, on the slow path only), so percentiles among them and merges
 * into a histogram that can track them stay precise.
 *
 * Percentiles use the nearest-rank definition: `percentile(q)` is the
 * smallest recorded value `v` such that at least `q`% of the values are `<= v`
 * (rank `ceil(q/100 · count)`, at least 1), reported as the highest value
 * equivalent to it (the top of its sub-bucket minus one unit, as HDR does),
 * clamped to `[min, max]`.
 *
 * Precision bound (tested as a property): with `unit` the lowest discernible
 * value rounded down to a power of two (<= lowestDiscernibleValue),
 *
 *     exact - unit < reported < exact + exact · 10^-digits
 *
 * so `|reported - exact| < max(exact · 10^-digits, unit)`. The relative bound
 * alone does not hold below `10^digits` units: there a sub-bucket is one unit
 * wide and a fraction of a unit is lost (1.2, 1.79, 100 with the defaults:
 * p50 reports 1.2 where the exact value is 1.79). After a merge across
 * different layouts the source's sub-bucket error adds to the target's.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { checkArray, checkFunction, checkNumber, checkOptions, checkString } from '../validate.ts';

/** Options of {@link Histogram}. */
export interface HistogramOptions {
  /** Name used in error messages and snapshots, a non-empty string. Default `'histogram'`. */
  name?: string;
  /**
   * Smallest value told apart from 0 (the resolution), > 0; may be a fraction,
   * e.g. 0.001 to keep microseconds when recording milliseconds. Rounded down
   * to a power of two internally. Default 1.
   */
  lowestDiscernibleValue?: number;
  /**
   * Largest value kept in the dense buckets, >= 2 x lowestDiscernibleValue and
   * at most 2^53 x (lowestDiscernibleValue rounded down to a power of two);
   * values past its sub-bucket count as overflow (kept, at the same precision,
   * in a sparse map). Default `Number.MAX_SAFE_INTEGER` (2^53 - 1, like Node's
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
  /** Values recorded past the sub-bucket of `highestTrackableValue`. */
  overflow: number;
  /** p50, p75, p90, p95, p99 and p99.9 (nearest rank); 0 when empty. */
  percentiles: { p50: number; p75: number; p90: number; p95: number; p99: number; p999: number };
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const SNAPSHOT_QUANTILES = [50, 75, 90, 95, 99, 99.9];

/** Nearest-rank position, unchecked (callers pass 0 <= q <= 100 and count >= 1). */
function rankOf(q: number, count: number): number {
  // The tolerance keeps float noise (95 * 100 / 100 = 95.00000000000001) from
  // pushing the rank one past the exact one.
  const r = Math.ceil((q * count) / 100 - 1e-9);
  return r < 1 ? 1 : r > count ? count : r;
}

/**
 * Nearest-rank position (1-based) of percentile `q` (0 to 100) among `count`
 * values (a safe integer >= 1): `ceil(q/100 · count)`, at least 1.
 * @example percentileRank(99, 1000) // 990
 */
export function percentileRank(q: number, count: number): number {
  checkNumber('percentileRank', 'q', q, { min: 0, max: 100 });
  checkNumber('percentileRank', 'count', count, { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER });
  return rankOf(q, count);
}

/** Exponent of a finite value > 0: the `e` with `2^e <= v < 2^(e+1)`. */
function exponentOf(v: number): number {
  let e = Math.floor(Math.log2(v));
  if (2 ** e > v) e -= 1;
  else if (2 ** (e + 1) <= v) e += 1;
  return e;
}

/**
 * An HDR-style histogram: O(1), allocation-free `record`, percentiles within
 * `max(10^-significantDigits · value, one unit of lowestDiscernibleValue)`,
 * exact min/max/mean/stdDev.
 * @example
 * const h = new Histogram({ name: 'latency', lowestDiscernibleValue: 0.001, highestTrackableValue: 60_000, significantDigits: 3 });
 * h.record(12.5); h.percentile(99); // ~12.5
 */
export class Histogram {
  /** Name used in errors and snapshots. */
  readonly name: string;
  /** Lowest discernible value, as given. */
  readonly lowestDiscernibleValue: number;
  /** Highest value kept in the dense buckets (with the rest of its sub-bucket); larger values count as overflow. */
  readonly highestTrackableValue: number;
  /** Significant decimal digits kept. */
  readonly significantDigits: number;

  private readonly unitMagnitude: number;
  private readonly scale: number;
  private readonly unit: number;
  private readonly subBucketHalfCountMagnitude: number;
  private readonly subBucketHalfCount: number;
  private readonly subBucketMask: number;
  /** Index of the sub-bucket holding `highestTrackableValue`: the last dense one. */
  private readonly topIndex: number;
  /** Values below this (the top of `topIndex`'s sub-bucket) go to the dense counts. */
  private readonly limit: number;
  private readonly counts: Float64Array;
  /** Per-group sums of `counts` (a group is `subBucketHalfCount` sub-buckets), so rank searches skip whole groups. */
  private readonly groups: Float64Array;
  /** Overflow counts by sub-bucket index (all > topIndex). */
  private readonly over = new Map<number, number>();
  /** Sorted keys of `over`, rebuilt lazily after a change. */
  private overKeys: number[] | null = null;

  private n = 0;
  private overflowCount = 0;
  private minValue = Infinity;
  private maxValue = -Infinity;
  private shift = 0;
  private shiftedSum = 0;
  private shiftedSumSq = 0;
  /** Highest counts index written since the last reset, to bound scans. */
  private maxIndex = -1;

  constructor(options?: HistogramOptions) {
    const o = checkOptions('Histogram', 'options', options);
    const name = o.name === undefined ? 'histogram' : checkString('Histogram', 'name', o.name, { nonEmpty: true });
    const what = `Histogram "${name}"`;
    const lowest = o.lowestDiscernibleValue === undefined ? 1 : checkNumber(what, 'lowestDiscernibleValue', o.lowestDiscernibleValue, { min: 0, minExclusive: true });
    const highest =
      o.highestTrackableValue === undefined
        ? Number.MAX_SAFE_INTEGER
        : checkNumber(what, 'highestTrackableValue', o.highestTrackableValue, { min: 2 * lowest, note: '(2 x lowestDiscernibleValue)' });
    const digits = o.significantDigits === undefined ? 3 : checkNumber(what, 'significantDigits', o.significantDigits, { integer: true, min: 1, max: 5 });
    this.name = name;
    this.lowestDiscernibleValue = lowest;
    this.highestTrackableValue = highest;
    this.significantDigits = digits;

    this.unitMagnitude = exponentOf(lowest);
    this.unit = 2 ** this.unitMagnitude;
    this.scale = 2 ** -this.unitMagnitude;
    if (!(highest * this.scale <= TWO_POW_53)) {
      throw new OutOfRangeError(
        `${what} highestTrackableValue / lowestDiscernibleValue (${highest} / ${lowest}) must be <= 2^53 (with lowestDiscernibleValue rounded down to a power of two)`,
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
    this.topIndex = this._indexOf(highest);
    this.limit = this._lowValueAt(this.topIndex) + this._widthValueAt(this.topIndex);
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
  /** Values recorded past the sub-bucket of `highestTrackableValue`. */
  get overflow(): number {
    return this.overflowCount;
  }
  /** Bytes held by the dense bucket counts (the overflow map comes on top, one entry per distinct overflow sub-bucket). */
  get byteSize(): number {
    return this.counts.byteLength;
  }

  /**
   * Records one value (a finite number >= 0): O(1), no allocation.
   * @throws InvalidArgumentError for a non-number, OutOfRangeError for NaN, negative or infinite values; nothing is recorded then.
   * @example h.record(12.5)
   */
  record(value: number): void {
    if (typeof value !== 'number' || !(value >= 0 && value < this.limit)) {
      this._recordOutside(value, 1);
      return;
    }
    const idx = this._indexOf(value);
    this.counts[idx]++;
    this.groups[idx >>> this.subBucketHalfCountMagnitude]++;
    if (idx > this.maxIndex) this.maxIndex = idx;
    this._account(value, 1);
  }

  /**
   * Records `value` as if it had been recorded `count` times (a safe integer >= 0).
   * @example h.recordMany(5, 100)
   */
  recordMany(value: number, count: number): void {
    checkNumber(`Histogram "${this.name}" recordMany`, 'count', count, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
    this._checkValue(value);
    if (count === 0) return;
    if (!(value < this.limit)) {
      this._recordOutside(value, count);
      return;
    }
    this._addAt(this._indexOf(value), count);
    this._account(value, count);
  }

  private _checkValue(value: unknown): asserts value is number {
    checkNumber(`Histogram "${this.name}"`, 'value', value, { min: 0 });
  }

  private _addAt(idx: number, count: number): void {
    this.counts[idx] += count;
    this.groups[idx >>> this.subBucketHalfCountMagnitude] += count;
    if (idx > this.maxIndex) this.maxIndex = idx;
  }

  /** Adds `count` at sub-bucket `idx`, dense or overflow. */
  private _addIndex(idx: number, count: number): void {
    if (idx <= this.topIndex) this._addAt(idx, count);
    else this._addOver(idx, count);
  }

  private _addOver(idx: number, count: number): void {
    const had = this.over.get(idx);
    if (had === undefined) this.overKeys = null;
    this.over.set(idx, (had ?? 0) + count);
    this.overflowCount += count;
  }

  private _account(value: number, count: number): void {
    if (this.n === 0) this.shift = value;
    this.n += count;
    if (value < this.minValue) this.minValue = value;
    if (value > this.maxValue) this.maxValue = value;
    const d = value - this.shift;
    this.shiftedSum += d * count;
    this.shiftedSumSq += d * d * count;
  }

  /** Slow path of `record`: refuses bad values, keeps overflow. */
  private _recordOutside(value: unknown, count: number): void {
    this._checkValue(value);
    this._addOver(this._anyIndex(value), count);
    this._account(value, count);
  }

  /** Counts index of a value below `limit` (units below 2^64). */
  private _indexOf(value: number): number {
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

  /** Sub-bucket index of any finite value >= 0, past the dense range too. */
  private _anyIndex(value: number): number {
    if (value * this.scale < TWO_POW_53) return this._indexOf(value);
    const e = exponentOf(value);
    const half = this.subBucketHalfCountMagnitude;
    const bucket = e - this.unitMagnitude - half;
    const sub = Math.floor(value / 2 ** (e - half));
    return (bucket + 1) * this.subBucketHalfCount + (sub - this.subBucketHalfCount);
  }

  /** Lowest value of the sub-bucket at `index`. */
  private _lowValueAt(index: number): number {
    let bucket = Math.floor(index / this.subBucketHalfCount) - 1;
    let sub = (index % this.subBucketHalfCount) + this.subBucketHalfCount;
    if (bucket < 0) {
      sub -= this.subBucketHalfCount;
      bucket = 0;
    }
    return sub * 2 ** (bucket + this.unitMagnitude);
  }

  /** Width (in value) of the sub-bucket at `index`. */
  private _widthValueAt(index: number): number {
    const bucket = Math.floor(index / this.subBucketHalfCount) - 1;
    return 2 ** ((bucket < 0 ? 0 : bucket) + this.unitMagnitude);
  }

  /** Upper end of the values equivalent to the sub-bucket at `index`, in whole units. */
  private _highValueAt(index: number): number {
    return this._lowValueAt(index) + this._widthValueAt(index) - this.unit;
  }

  /**
   * Lowest and highest value that share the sub-bucket of `value` (a finite
   * number >= 0): values equal within the precision. `high` is exclusive.
   * @example h.equivalentRange(1000) // { low: 1000, high: 1001 } with the defaults
   */
  equivalentRange(value: number): { low: number; high: number } {
    this._checkValue(value);
    const idx = this._anyIndex(value);
    const low = this._lowValueAt(idx);
    return { low, high: low + this._widthValueAt(idx) };
  }

  /**
   * Value at percentile `q` (a number from 0 to 100, nearest rank), within the precision bound.
   * @example h.percentile(99.9)
   */
  percentile(q: number): number {
    this._checkQuantile(q);
    if (this.n === 0) return 0;
    if (q === 0) return this.minValue;
    return this._valueAtRank(rankOf(q, this.n));
  }

  /**
   * Several percentiles at once; `qs` an array of numbers from 0 to 100, in any order.
   * @example const [p50, p99] = h.percentiles([50, 99]);
   */
  percentiles(qs: readonly number[]): number[] {
    checkArray(`Histogram "${this.name}" percentiles`, 'qs', qs);
    for (const q of qs) this._checkQuantile(q);
    const out = new Array<number>(qs.length);
    for (let k = 0; k < qs.length; k++) {
      const q = qs[k]!;
      out[k] = this.n === 0 ? 0 : q === 0 ? this.minValue : this._valueAtRank(rankOf(q, this.n));
    }
    return out;
  }

  private _valueAtRank(rank: number): number {
    const dense = this.n - this.overflowCount;
    if (rank <= dense) return this._clamp(this._highValueAt(this._indexAtRank(rank)));
    // Among the overflow: walk its sub-buckets in order.
    const keys = this._sortedOverKeys();
    let cumulative = dense;
    for (const k of keys) {
      cumulative += this.over.get(k)!;
      if (cumulative >= rank) return this._clamp(this._highValueAt(k));
    }
    return this.maxValue;
  }

  private _sortedOverKeys(): number[] {
    if (this.overKeys === null) this.overKeys = [...this.over.keys()].sort((a, b) => a - b);
    return this.overKeys;
  }

  /** Index of the sub-bucket holding the value of 1-based `rank` (<= the dense count). */
  private _indexAtRank(rank: number): number {
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

  private _clamp(v: number): number {
    return v < this.minValue ? this.minValue : v > this.maxValue ? this.maxValue : v;
  }

  private _checkQuantile(q: unknown): void {
    checkNumber(`Histogram "${this.name}"`, 'percentile', q, { min: 0, max: 100 });
  }

  /**
   * Number of recorded values `<= value` (a number, not NaN), counted by
   * sub-bucket: a sub-bucket is counted whole when `value` falls inside it.
   * @example h.countAtOrBelow(100) // how many values were at most ~100
   */
  countAtOrBelow(value: number): number {
    checkNumber(`Histogram "${this.name}" countAtOrBelow`, 'value', value, { allowInfinity: true });
    if (this.n === 0 || value < 0) return 0;
    if (value >= this.maxValue) return this.n;
    let c = 0;
    if (value >= this.limit) {
      c = this.n - this.overflowCount;
      const idx = this._anyIndex(value);
      for (const k of this._sortedOverKeys()) {
        if (k > idx) break;
        c += this.over.get(k)!;
      }
      return c;
    }
    if (this.maxIndex < 0) return 0; // only overflow values, all above `value`
    const last = Math.min(this._indexOf(value), this.maxIndex);
    const lastGroup = last >>> this.subBucketHalfCountMagnitude;
    for (let g = 0; g < lastGroup; g++) c += this.groups[g]!;
    const counts = this.counts;
    for (let i = lastGroup * this.subBucketHalfCount; i <= last; i++) c += counts[i]!;
    return c;
  }

  /**
   * Calls `fn(low, high, count)` for every non-empty sub-bucket (overflow
   * included) in ascending order, where `[low, high)` is the range of values it holds.
   * @example h.forEachBucket((low, high, count) => console.log(low, high, count))
   */
  forEachBucket(fn: (low: number, high: number, count: number) => void): void {
    checkFunction(`Histogram "${this.name}" forEachBucket`, 'fn', fn);
    const counts = this.counts;
    for (let i = 0; i <= this.maxIndex; i++) {
      const c = counts[i]!;
      if (c !== 0) {
        const low = this._lowValueAt(i);
        fn(low, low + this._widthValueAt(i), c);
      }
    }
    for (const k of [...this._sortedOverKeys()]) {
      const low = this._lowValueAt(k);
      fn(low, low + this._widthValueAt(k), this.over.get(k)!);
    }
  }

  /**
   * Adds every value of `other` to this histogram, as if they had been
   * recorded here: count, min, max, mean and stdDev stay exact, and values
   * this histogram can track land in its buckets (the other's overflow
   * included) while those past its range count as its overflow. With the same
   * lowest discernible unit and digits the sub-buckets coincide and the
   * result equals recording here; otherwise each of `other`'s sub-buckets is
   * re-recorded at its midpoint, so the errors of both layouts add up (and a
   * source sub-bucket straddling this one's limit lands on one side of it).
   * @example total.merge(lastMinute)
   */
  merge(other: Histogram): this {
    if (!(other instanceof Histogram)) {
      throw new InvalidArgumentError(`Histogram "${this.name}" merge other must be a Histogram, got ${describe(other)}`);
    }
    if (other.n === 0) return this;
    if (other === this) return this.merge(this._copy());
    if (other.unitMagnitude === this.unitMagnitude && other.subBucketHalfCountMagnitude === this.subBucketHalfCountMagnitude) {
      const src = other.counts;
      if (other.maxIndex < 0) {
        // Only overflow values: nothing dense to add (and -1 >>> n would be a huge group index).
      } else if (other.topIndex <= this.topIndex) {
        const dst = this.counts;
        for (let i = 0; i <= other.maxIndex; i++) dst[i] += src[i]!;
        const lastGroup = other.maxIndex >>> this.subBucketHalfCountMagnitude;
        for (let g = 0; g <= lastGroup; g++) this.groups[g] += other.groups[g]!;
        if (other.maxIndex > this.maxIndex) this.maxIndex = other.maxIndex;
      } else {
        for (let i = 0; i <= other.maxIndex; i++) {
          const c = src[i]!;
          if (c !== 0) this._addIndex(i, c);
        }
      }
      for (const [k, c] of other.over) this._addIndex(k, c);
    } else {
      other.forEachBucket((low, high, count) => {
        let mid = low + (high - low) / 2;
        if (!Number.isFinite(mid)) mid = low;
        if (mid < this.limit) this._addAt(this._indexOf(mid), count);
        else this._addOver(this._anyIndex(mid), count);
      });
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

  /** A full copy (same configuration and values). */
  private _copy(): Histogram {
    return this.cloneEmpty().merge(this);
  }

  /**
   * Forgets every value; keeps the configuration and the memory.
   * @example h.reset()
   */
  reset(): void {
    if (this.maxIndex >= 0) {
      this.counts.fill(0, 0, this.maxIndex + 1);
      this.groups.fill(0, 0, (this.maxIndex >>> this.subBucketHalfCountMagnitude) + 1);
    }
    this.over.clear();
    this.overKeys = null;
    this.maxIndex = -1;
    this.n = 0;
    this.overflowCount = 0;
    this.minValue = Infinity;
    this.maxValue = -Infinity;
    this.shift = 0;
    this.shiftedSum = 0;
    this.shiftedSumSq = 0;
  }

  /**
   * A new, empty histogram with the same configuration (and `name`, a non-empty string, if given).
   * @example const perMinute = h.cloneEmpty('latency.minute')
   */
  cloneEmpty(name: string = this.name): Histogram {
    checkString(`Histogram "${this.name}" cloneEmpty`, 'name', name, { nonEmpty: true });
    return new Histogram({
      name,
      lowestDiscernibleValue: this.lowestDiscernibleValue,
      highestTrackableValue: this.highestTrackableValue,
      significantDigits: this.significantDigits,
    });
  }

  /**
   * A plain copy of the statistics, safe to serialise.
   * @example JSON.stringify(h.snapshot())
   */
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
