import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as hdr from 'hdr-histogram-js';
import { Histogram, percentileRank } from '../../src/metrics/histogram.ts';
import { ErrorCode, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

function exactPercentile(sorted: number[], q: number): number {
  if (q === 0) return sorted[0]!;
  return sorted[percentileRank(q, sorted.length) - 1]!;
}

/** The histogram's documented bound: |error| < max(exact * 10^-digits, one unit), the unit being lowest rounded down to a power of two. */
function withinPrecision(h: Histogram, got: number, exact: number): boolean {
  const unit = 2 ** Math.floor(Math.log2(h.lowestDiscernibleValue));
  return Math.abs(got - exact) < Math.max(exact * 10 ** -h.significantDigits, unit) + 1e-12 * exact;
}

const QS = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

test('exact count, min, max, mean and stdDev', () => {
  const h = new Histogram({ name: 'exact' });
  const values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5];
  for (const v of values) h.record(v);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  assert.equal(h.count, values.length);
  assert.equal(h.min, 1);
  assert.equal(h.max, 9);
  assert.ok(Math.abs(h.mean - mean) < 1e-12);
  assert.ok(Math.abs(h.stdDev - sd) < 1e-12);
  assert.equal(h.sum, values.reduce((a, b) => a + b, 0));
});

test('stdDev stays exact for large values with a small spread', () => {
  const h = new Histogram({ name: 'shifted' });
  const base = 1e12;
  const values = [base + 1, base + 2, base + 3, base + 4];
  for (const v of values) h.record(v);
  assert.ok(Math.abs(h.stdDev - Math.sqrt(1.25)) < 1e-9, `stdDev ${h.stdDev}`);
  assert.ok(Math.abs(h.mean - (base + 2.5)) < 1e-3);
});

test('an empty histogram reports zeros', () => {
  const h = new Histogram();
  assert.deepEqual(
    [h.count, h.min, h.max, h.mean, h.stdDev, h.percentile(50), h.overflow],
    [0, 0, 0, 0, 0, 0, 0],
  );
  assert.deepEqual(h.percentiles([50, 99]), [0, 0]);
});

test('small integers below 2 x 10^digits are exact', () => {
  const h = new Histogram({ significantDigits: 3 });
  for (let v = 0; v < 2000; v++) h.record(v);
  for (const q of [1, 10, 50, 90, 99, 100]) {
    const sorted = Array.from({ length: 2000 }, (_, i) => i);
    assert.equal(h.percentile(q), exactPercentile(sorted, q), `p${q}`);
  }
});

for (const digits of [1, 2, 3, 4, 5]) {
  test(`percentiles within 10^-${digits} of the exact sorted-array percentiles (property)`, () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 5000 })), { minLength: 1, maxLength: 400 }),
        (values) => {
          const h = new Histogram({ significantDigits: digits, highestTrackableValue: 2 ** 41 });
          for (const v of values) h.record(v);
          const sorted = [...values].sort((a, b) => a - b);
          const got = h.percentiles(QS);
          for (let i = 0; i < QS.length; i++) {
            const exact = exactPercentile(sorted, QS[i]!);
            if (!withinPrecision(h, got[i]!, exact)) return false;
            if (h.percentile(QS[i]!) !== got[i]) return false;
          }
          return h.min === sorted[0] && h.max === sorted[sorted.length - 1] && h.count === values.length;
        },
      ),
      { seed: 42 + digits, numRuns: 150 },
    );
  });
}

test('fractional values with a fractional lowest discernible value (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 300 }), (values) => {
      const h = new Histogram({ lowestDiscernibleValue: 0.001, highestTrackableValue: 60_000, significantDigits: 3 });
      for (const v of values) h.record(v);
      const sorted = [...values].sort((a, b) => a - b);
      return QS.every((q) => withinPrecision(h, h.percentile(q), exactPercentile(sorted, q)));
    }),
    { seed: 7, numRuns: 200 },
  );
});

test('values of 2^32 units and above index correctly', () => {
  const h = new Histogram({ significantDigits: 3 });
  const values = [2 ** 32 - 1, 2 ** 32, 2 ** 32 + 12345, 2 ** 45, 2 ** 52 + 7, Number.MAX_SAFE_INTEGER];
  for (const v of values) h.record(v);
  const sorted = [...values].sort((a, b) => a - b);
  for (const q of [10, 30, 50, 70, 90, 100]) {
    assert.ok(withinPrecision(h, h.percentile(q), exactPercentile(sorted, q)), `p${q}: ${h.percentile(q)}`);
  }
  assert.equal(h.overflow, 0);
});

test('agrees with hdr-histogram-js on the same data (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 10_000_000 }), { minLength: 1, maxLength: 500 }), (values) => {
      const ours = new Histogram({ lowestDiscernibleValue: 1, highestTrackableValue: 1e9, significantDigits: 3 });
      const theirs = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 1e9, numberOfSignificantValueDigits: 3, bitBucketSize: 'packed' });
      for (const v of values) {
        ours.record(v);
        theirs.recordValue(v);
      }
      for (const q of [50, 90, 99, 99.9]) {
        const a = ours.percentile(q);
        const b = theirs.getValueAtPercentile(q);
        // Both are within 10^-3 of the same exact value, so within 2 x 10^-3 (plus a unit) of each other.
        if (Math.abs(a - b) > 2e-3 * Math.max(a, b) + 1) return false;
      }
      return ours.max === theirs.maxValue && ours.count === theirs.totalCount;
    }),
    { seed: 99, numRuns: 100 },
  );
});

test('values above the highest trackable value count as overflow, not dropped', () => {
  const h = new Histogram({ name: 'ovf', highestTrackableValue: 1000 });
  for (let i = 0; i < 98; i++) h.record(10);
  h.record(5000);
  h.record(7000);
  assert.equal(h.count, 100);
  assert.equal(h.overflow, 2);
  assert.equal(h.max, 7000);
  assert.equal(h.percentile(50), 10);
  // Overflow values keep their sub-bucket: a rank among them is within the precision bound too.
  assert.ok(withinPrecision(h, h.percentile(99), 5000), `p99 ${h.percentile(99)}`);
  assert.equal(h.percentile(100), 7000);
  assert.ok(Math.abs(h.mean - (98 * 10 + 12000) / 100) < 1e-9);
  assert.equal(h.snapshot().overflow, 2);
});

for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
  test(`record(${bad}) throws a RangeError naming the histogram`, () => {
    const h = new Histogram({ name: 'api.latency' });
    assert.throws(
      () => h.record(bad),
      (e: unknown) => e instanceof RangeError && /api\.latency/.test(e.message) && (e as { code?: string }).code === ErrorCode.OUT_OF_RANGE,
    );
    assert.equal(h.count, 0, 'a rejected value changes nothing');
  });
}

test('bad options throw RangeErrors that name the option and the rule', () => {
  assert.throws(() => new Histogram({ significantDigits: 0 }), /significantDigits \(0\) must be an integer from 1 to 5/);
  assert.throws(() => new Histogram({ significantDigits: 6 }), /significantDigits \(6\)/);
  assert.throws(() => new Histogram({ lowestDiscernibleValue: 0 }), /lowestDiscernibleValue \(0\) must be a number > 0/);
  assert.throws(() => new Histogram({ lowestDiscernibleValue: 10, highestTrackableValue: 15 }), /highestTrackableValue \(15\) must be a number >= 20 \(2 x lowestDiscernibleValue\)/);
  assert.throws(() => new Histogram({ lowestDiscernibleValue: 1e-9, highestTrackableValue: 1e10 }), /must be <= 2\^53/);
  assert.throws(() => new Histogram().percentile(101), /percentile \(101\) must be a number from 0 to 100/);
  assert.throws(() => new Histogram().recordMany(1, -2), /count \(-2\) must be an integer from 0 to 2\^53 - 1/);
});

test('merge of same-layout histograms equals recording everything into one', () => {
  const a = new Histogram({ name: 'a' });
  const b = new Histogram({ name: 'b' });
  const all = new Histogram({ name: 'all' });
  let x = 12345;
  for (let i = 0; i < 5000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const v = x % 1_000_000;
    (i % 3 === 0 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  assert.equal(a.count, all.count);
  assert.equal(a.min, all.min);
  assert.equal(a.max, all.max);
  assert.ok(Math.abs(a.mean - all.mean) < 1e-6);
  assert.ok(Math.abs(a.stdDev - all.stdDev) < 1e-6);
  assert.deepEqual(a.percentiles(QS), all.percentiles(QS));
});

test('merge across different layouts keeps exact moments and precise percentiles', () => {
  const fine = new Histogram({ significantDigits: 4, highestTrackableValue: 1e8 });
  const coarse = new Histogram({ significantDigits: 2, highestTrackableValue: 1e6 });
  const values: number[] = [];
  for (let i = 1; i <= 3000; i++) values.push((i * 7919) % 900_000);
  values.forEach((v, i) => (i % 2 ? fine : coarse).record(v));
  coarse.merge(fine);
  const sorted = [...values].sort((p, q) => p - q);
  assert.equal(coarse.count, 3000);
  assert.equal(coarse.max, sorted[sorted.length - 1]);
  for (const q of [50, 90, 99]) {
    const exact = exactPercentile(sorted, q);
    assert.ok(Math.abs(coarse.percentile(q) - exact) <= exact * 2e-2 + 1, `p${q}`);
  }
});

test('reset forgets everything and the histogram is reusable', () => {
  const h = new Histogram({ highestTrackableValue: 100 });
  h.record(5);
  h.record(500);
  h.reset();
  assert.deepEqual([h.count, h.overflow, h.max, h.percentile(99)], [0, 0, 0, 0]);
  h.record(7);
  assert.equal(h.percentile(50), 7);
  assert.equal(h.min, 7);
});

test('countAtOrBelow and forEachBucket describe the distribution', () => {
  const h = new Histogram();
  for (const v of [1, 2, 2, 3, 100, 1000]) h.record(v);
  assert.equal(h.countAtOrBelow(2), 3);
  assert.equal(h.countAtOrBelow(99), 4);
  assert.equal(h.countAtOrBelow(5000), 6);
  let total = 0;
  let last = -1;
  h.forEachBucket((low, high, count) => {
    assert.ok(low >= last && high > low);
    last = high;
    total += count;
  });
  assert.equal(total, 6);
});

test('snapshot is a plain object with the standard percentiles', () => {
  const h = new Histogram({ name: 'snap' });
  for (let i = 1; i <= 1000; i++) h.record(i);
  const s = h.snapshot();
  assert.equal(s.name, 'snap');
  assert.equal(s.count, 1000);
  assert.equal(s.percentiles.p50, 500);
  assert.equal(s.percentiles.p99, 990);
  assert.equal(s.percentiles.p999, 999);
  assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
});

test('equivalentRange brackets a value within the precision', () => {
  const h = new Histogram({ significantDigits: 2 });
  const { low, high } = h.equivalentRange(123_456);
  assert.ok(low <= 123_456 && 123_456 < high);
  assert.ok((high - low) / low <= 0.01);
});

// ---------------------------------------------------------------- issue 11: merge, precision, bounds, bad input

function sortedCopy(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

test('merge: overflow of the source that the target can track lands in the target buckets', () => {
  const a = new Histogram({ name: 'a', highestTrackableValue: 1e6 });
  const b = new Histogram({ name: 'b', highestTrackableValue: 1000 });
  for (let i = 0; i < 10; i++) a.record(500_000);
  for (let i = 0; i < 10; i++) b.record(2000);
  assert.equal(b.overflow, 10);
  a.merge(b);
  assert.equal(a.overflow, 0, 'the target tracks 2000');
  assert.equal(a.count, 20);
  assert.equal(a.percentile(25), 2000);
  assert.equal(a.percentile(50), 2000);
  assert.ok(withinPrecision(a, a.percentile(75), 500_000));
});

test('merge: same layout, lower target max: source values past it count as overflow', () => {
  const target = new Histogram({ name: 'small', highestTrackableValue: 1000 });
  const source = new Histogram({ name: 'big', highestTrackableValue: 1e6 });
  // 1500 and 2000 are past 1000 but still inside the target's counts array (its last bucket ends at 2047).
  for (const v of [10, 20, 1500, 2000]) source.record(v);
  assert.equal(source.overflow, 0);
  target.merge(source);
  assert.equal(target.overflow, 2);
  assert.equal(target.count, 4);
  assert.equal(target.max, 2000);
  assert.equal(target.percentile(50), 20);
});

test('merge: a histogram merged into itself doubles every count', () => {
  const h = new Histogram({ highestTrackableValue: 100 });
  for (const v of [1, 2, 3, 500]) h.record(v);
  h.merge(h);
  assert.deepEqual([h.count, h.overflow, h.min, h.max, h.countAtOrBelow(2)], [8, 2, 1, 500, 4]);
});

const layoutArb = fc.record({
  lowest: fc.constantFrom(1, 0.001, 0.5, 3, 1 / 1024),
  highest: fc.constantFrom(100, 1000, 60_000, 1e6, 2 ** 40),
  digits: fc.integer({ min: 1, max: 5 }),
});
const valuesArb = fc.array(
  fc.oneof(fc.double({ min: 0, max: 2e6, noNaN: true }), fc.integer({ min: 0, max: 3000 }), fc.double({ min: 0, max: 5, noNaN: true })),
  { minLength: 0, maxLength: 200 },
);

test('merge equals recording the same values into the target directly, same unit and digits (property)', () => {
  fc.assert(
    fc.property(layoutArb, fc.constantFrom(100, 1000, 60_000, 1e6, 2 ** 40), valuesArb, valuesArb, (layout, otherHighest, mine, theirs) => {
      const opts = { lowestDiscernibleValue: layout.lowest, significantDigits: layout.digits };
      const fits = (h: number) => Math.max(h, 2 * layout.lowest);
      const target = new Histogram({ ...opts, highestTrackableValue: fits(layout.highest) });
      const direct = new Histogram({ ...opts, highestTrackableValue: fits(layout.highest) });
      const source = new Histogram({ ...opts, highestTrackableValue: fits(otherHighest) });
      for (const v of mine) {
        target.record(v);
        direct.record(v);
      }
      for (const v of theirs) {
        source.record(v);
        direct.record(v);
      }
      target.merge(source);
      assert.equal(target.count, direct.count);
      assert.equal(target.overflow, direct.overflow);
      assert.equal(target.min, direct.min);
      assert.equal(target.max, direct.max);
      // The same sub-buckets: the percentiles are the very same numbers.
      assert.deepEqual(target.percentiles(QS), direct.percentiles(QS));
      const sorted = sortedCopy([...mine, ...theirs]);
      if (sorted.length > 0) for (const q of QS) assert.ok(withinPrecision(target, target.percentile(q), exactPercentile(sorted, q)), `p${q}`);
      assert.ok(Math.abs(target.mean - direct.mean) <= 1e-9 * Math.max(1, direct.mean));
    }),
    { seed: 1101, numRuns: 300 },
  );
});

test('merge across layouts: counts and min/max exact, percentiles within both precisions (property)', () => {
  fc.assert(
    fc.property(layoutArb, layoutArb, valuesArb, valuesArb, (lt, ls, mine, theirs) => {
      const target = new Histogram({ lowestDiscernibleValue: lt.lowest, significantDigits: lt.digits, highestTrackableValue: Math.max(lt.highest, 2 * lt.lowest) });
      const source = new Histogram({ lowestDiscernibleValue: ls.lowest, significantDigits: ls.digits, highestTrackableValue: Math.max(ls.highest, 2 * ls.lowest) });
      const direct = target.cloneEmpty();
      for (const v of mine) target.record(v);
      for (const v of theirs) source.record(v);
      for (const v of [...mine, ...theirs]) direct.record(v);
      target.merge(source);
      assert.equal(target.count, direct.count);
      assert.equal(target.min, direct.min);
      assert.equal(target.max, direct.max);
      // Overflow is exact unless a source sub-bucket straddles the target's limit.
      const limit = target.equivalentRange(target.highestTrackableValue).high;
      const straddles = theirs.some((v) => {
        const r = source.equivalentRange(v);
        return r.low < limit && limit < r.high;
      });
      if (!straddles) assert.equal(target.overflow, direct.overflow);
      const sorted = sortedCopy([...mine, ...theirs]);
      if (sorted.length === 0) return;
      const unitT = 2 ** Math.floor(Math.log2(lt.lowest));
      const unitS = 2 ** Math.floor(Math.log2(ls.lowest));
      for (const q of QS) {
        const exact = exactPercentile(sorted, q);
        const got = target.percentile(q);
        const bound = exact * (10 ** -lt.digits + 10 ** -ls.digits) + unitT + unitS;
        assert.ok(Math.abs(got - exact) <= bound * (1 + 1e-9), `p${q}: ${got} vs ${exact} (bound ${bound})`);
      }
    }),
    { seed: 1102, numRuns: 300 },
  );
});

test('precision: 1.2, 1.79, 100 with the defaults report p50 = 1.2 (one unit below the exact 1.79), as documented', () => {
  const h = new Histogram();
  for (const v of [1.2, 1.79, 100]) h.record(v);
  assert.equal(h.percentile(50), 1.2);
  assert.ok(Math.abs(h.percentile(50) - 1.79) > 1.79 * 1e-3, 'the relative bound alone does not hold here');
  assert.ok(withinPrecision(h, h.percentile(50), 1.79), 'the one-unit bound does');
});

test('precision bound: |reported - exact| < max(exact x 10^-digits, unit), and reported > exact - unit (property)', () => {
  fc.assert(
    fc.property(
      fc.record({ lowest: fc.constantFrom(1, 0.001, 0.3, 7, 1 / 64), digits: fc.integer({ min: 1, max: 5 }) }),
      fc.array(fc.oneof(fc.double({ min: 0, max: 50, noNaN: true }), fc.double({ min: 0, max: 1e7, noNaN: true }), fc.double({ min: 0, max: 2e9, noNaN: true })), { minLength: 1, maxLength: 300 }),
      ({ lowest, digits }, values) => {
        const h = new Histogram({ lowestDiscernibleValue: lowest, significantDigits: digits, highestTrackableValue: 1e9 });
        for (const v of values) h.record(v);
        const unit = 2 ** Math.floor(Math.log2(lowest));
        const sorted = sortedCopy(values);
        for (const q of QS) {
          const exact = exactPercentile(sorted, q);
          const got = h.percentile(q);
          const slack = 1e-12 * Math.max(1, exact);
          assert.ok(got > exact - unit - slack, `p${q}: ${got} not > ${exact} - ${unit}`);
          assert.ok(got < exact + Math.max(exact * 10 ** -digits, unit) + slack, `p${q}: ${got} vs ${exact}`);
        }
      },
    ),
    { seed: 1103, numRuns: 300 },
  );
});

test('highestTrackableValue 2^53 (the documented default range) is accepted; past 2^53 units refused', () => {
  const h = new Histogram({ highestTrackableValue: 2 ** 53 });
  h.record(2 ** 53);
  h.record(2 ** 53 - 1);
  assert.equal(h.overflow, 0);
  assert.equal(h.max, 2 ** 53);
  assert.ok(withinPrecision(h, h.percentile(100), 2 ** 53));
  assert.throws(() => new Histogram({ highestTrackableValue: 2 ** 54 }), (e: unknown) => e instanceof OutOfRangeError && /must be <= 2\^53/.test((e as Error).message));
});

test('record refuses non-numbers with a typed error and records nothing', () => {
  const h = new Histogram({ name: 'typed' });
  h.record(5);
  for (const bad of ['5', null, undefined, 10n, Symbol('x'), {}, [], true, { valueOf: () => 3 }]) {
    assert.throws(() => h.record(bad as never), (e: unknown) => e instanceof InvalidArgumentError && /Histogram "typed" value/.test((e as Error).message), String(typeof bad));
    assert.throws(() => h.recordMany(bad as never, 2), InvalidArgumentError);
    assert.throws(() => h.recordMany(1, bad as never), InvalidArgumentError);
  }
  assert.deepEqual([h.count, h.min, h.max, h.sum], [1, 5, 5, 5]);
  assert.throws(() => h.recordMany(-1, 2), OutOfRangeError);
  assert.equal(h.count, 1, 'a refused recordMany changes nothing');
});

test('bad arguments everywhere: typed errors naming the histogram, and it keeps working', () => {
  const h = new Histogram({ name: 'args' });
  h.record(3);
  assert.throws(() => new Histogram(null as never), (e: unknown) => e instanceof InvalidArgumentError && /Histogram options must be an object/.test((e as Error).message));
  assert.throws(() => new Histogram({ name: 5 as never }), InvalidArgumentError);
  assert.throws(() => new Histogram({ highestTrackableValue: '100' as never }), InvalidArgumentError);
  assert.throws(() => new Histogram({ significantDigits: 10n as never }), InvalidArgumentError);
  assert.throws(() => h.percentiles(5 as never), (e: unknown) => e instanceof InvalidArgumentError && /"args" percentiles qs must be an array/.test((e as Error).message));
  assert.throws(() => h.percentiles('50' as never), InvalidArgumentError);
  assert.throws(() => h.percentile('50' as never), InvalidArgumentError);
  assert.throws(() => h.countAtOrBelow(Number.NaN), (e: unknown) => e instanceof OutOfRangeError && /countAtOrBelow value \(NaN\)/.test((e as Error).message));
  assert.throws(() => h.countAtOrBelow('5' as never), InvalidArgumentError);
  assert.throws(() => h.equivalentRange(Number.NaN), OutOfRangeError);
  assert.throws(() => h.forEachBucket(5 as never), InvalidArgumentError);
  assert.throws(() => h.merge({} as never), InvalidArgumentError);
  assert.throws(() => h.cloneEmpty('' as never), InvalidArgumentError);
  assert.equal(h.countAtOrBelow(Infinity), 1);
  assert.equal(h.countAtOrBelow(-Infinity), 0);
  assert.deepEqual([h.count, h.percentile(50)], [1, 3]);
});

test('percentileRank refuses bad input', () => {
  assert.equal(percentileRank(99, 1000), 990);
  assert.throws(() => percentileRank(Number.NaN, 10), OutOfRangeError);
  assert.throws(() => percentileRank(50, 0), OutOfRangeError);
  assert.throws(() => percentileRank('50' as never, 10), InvalidArgumentError);
});

test('a histogram holding only overflow values merges and counts correctly', () => {
  const src = new Histogram({ highestTrackableValue: 1000 });
  src.record(2 ** 53);
  src.record(5000);
  const dst = new Histogram({ highestTrackableValue: 1000 });
  // Before the fix each merge walked 2^22 group indices (-1 >>> 10) and countAtOrBelow summed past the end (NaN).
  for (let i = 0; i < 100; i++) dst.merge(src);
  assert.deepEqual([dst.count, dst.overflow, dst.countAtOrBelow(10), dst.countAtOrBelow(5000)], [200, 200, 0, 100]);
  assert.equal(src.countAtOrBelow(10), 0);
  assert.ok(withinPrecision(dst, dst.percentile(50), 5000));
});
