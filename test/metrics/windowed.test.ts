import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { ErrorCode } from '../../src/errors.ts';
import { percentileRank } from '../../src/metrics/histogram.ts';
import { WindowTicker } from '../../src/metrics/window-ticker.ts';
import { WindowedCounter } from '../../src/metrics/windowed-counter.ts';
import { WindowedHistogram } from '../../src/metrics/windowed-histogram.ts';

/** A clock the test moves by hand. */
function fakeClock(start = 0): { t: number; now: () => number } {
  const c = { t: start, now: () => c.t };
  return c;
}

/** Nearest-rank percentile of `values` (the histogram's definition). */
function exactPercentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[percentileRank(q, sorted.length) - 1]!;
}

/** The monitor-like layout used below: 1 ms / 1000 resolution, 2 significant digits. */
const LAYOUT = { name: 'latency', lowestDiscernibleValue: 0.001, highestTrackableValue: 3_600_000, significantDigits: 2 };

function assertWithinPrecision(got: number, exact: number, what: string): void {
  const tolerance = exact * 0.01 + 0.001 + 1e-9;
  assert.ok(Math.abs(got - exact) <= tolerance, `${what}: got ${got}, exact ${exact} (tolerance ${tolerance})`);
}

describe('WindowTicker', () => {
  test('defaults: a 60 s window in 6 periods of 10 s', () => {
    const ticker = new WindowTicker({ now: fakeClock().now });
    assert.equal(ticker.windowMs, 60_000);
    assert.equal(ticker.slots, 6);
    assert.equal(ticker.periodMs, 10_000);
    assert.equal(ticker.epoch, 0);
  });

  for (const windowMs of [9, 0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    test(`windowMs ${windowMs} is rejected with a RangeError naming the option`, () => {
      assert.throws(() => new WindowTicker({ windowMs }), (err: unknown) => {
        assert.ok(err instanceof RangeError);
        assert.equal((err as RangeError & { code: string }).code, ErrorCode.OUT_OF_RANGE);
        assert.match(err.message, /windowMs/);
        return true;
      });
    });
  }

  for (const slots of [1, 1001, 2.5, Number.NaN]) {
    test(`slots ${slots} is rejected with a RangeError naming the option`, () => {
      assert.throws(() => new WindowTicker({ slots }), (err: unknown) => {
        assert.ok(err instanceof RangeError);
        assert.match(err.message, /slots/);
        return true;
      });
    });
  }

  test('update() moves the epoch to the period the clock is in, counted from construction', () => {
    const clock = fakeClock(5_000);
    const ticker = new WindowTicker({ windowMs: 60_000, slots: 6, now: clock.now });
    assert.equal(ticker.update(), 0);
    clock.t = 14_999;
    assert.equal(ticker.update(), 0);
    clock.t = 15_000;
    assert.equal(ticker.update(), 1);
    clock.t = 5_000 + 123_456;
    assert.equal(ticker.update(), 12);
    assert.equal(ticker.epoch, 12);
  });

  test('the epoch only moves on update(), never backwards', () => {
    const clock = fakeClock();
    const ticker = new WindowTicker({ windowMs: 1_000, slots: 4, now: clock.now });
    clock.t = 2_600;
    assert.equal(ticker.epoch, 0, 'no clock read without update()');
    assert.equal(ticker.update(), 10);
    clock.t = 100; // a clock that steps back must not rewind the windows
    assert.equal(ticker.update(), 10);
  });

  test('coveredMs grows with time until the window is full, then stays within it', () => {
    const clock = fakeClock();
    const ticker = new WindowTicker({ windowMs: 60_000, slots: 6, now: clock.now });
    const cases: [number, number][] = [
      [0, 0],
      [4_000, 4_000],
      [25_000, 25_000],
      [59_999, 59_999],
      [60_000, 50_000], // epoch 6: periods 1..5 full plus 0 ms of the current one
      [65_000, 55_000],
      [1_000_000 + 7_500, 57_500],
    ];
    for (const [t, covered] of cases) {
      clock.t = t;
      ticker.update();
      assert.equal(ticker.coveredMs(), covered, `at t=${t}`);
    }
  });

  test('start() runs an unref timer that advances the epoch; start twice then stop once stops it', async () => {
    const clock = fakeClock();
    const ticker = new WindowTicker({ windowMs: 20, slots: 2, now: clock.now }); // period 10 ms
    assert.equal(ticker.start(), ticker);
    ticker.start(); // idempotent: a second timer would survive the single stop() below
    try {
      clock.t = 1_000;
      const deadline = Date.now() + 2_000;
      while (ticker.epoch !== 100 && Date.now() < deadline) await sleep(5);
      assert.equal(ticker.epoch, 100, 'the timer advanced the epoch without update()');
    } finally {
      ticker.stop();
    }
    clock.t = 5_000;
    await sleep(60);
    assert.equal(ticker.epoch, 100, 'no timer left after stop()');
    ticker.stop(); // safe twice
  });
});

describe('WindowedHistogram', () => {
  test('a value stays in the window for windowMs, then only in the all-time view', () => {
    const clock = fakeClock();
    const ticker = new WindowTicker({ windowMs: 60_000, slots: 6, now: clock.now });
    const h = new WindowedHistogram(ticker, LAYOUT);
    h.record(12.5);
    h.record(40);
    assert.equal(h.window().count, 2);

    clock.t = 30_000;
    ticker.update();
    assert.equal(h.window().count, 2, 'kept after 30 s');

    clock.t = 59_999;
    ticker.update();
    assert.equal(h.window().count, 2, 'kept until the end of the 6th period');

    clock.t = 60_000;
    ticker.update();
    const w = h.window();
    assert.deepEqual([w.count, w.min, w.max, w.sum], [0, 0, 0, 0], 'gone once 60 s have passed');

    const all = h.total();
    assert.equal(all.count, 2);
    assert.equal(all.min, 12.5);
    assert.equal(all.max, 40);
    assert.equal(all.sum, 52.5);
    assert.equal(all.mean, 26.25);
  });

  test('70 s later the old values are out of the window and new ones are in it alone', () => {
    const clock = fakeClock();
    const ticker = new WindowTicker({ windowMs: 60_000, slots: 6, now: clock.now });
    const h = new WindowedHistogram(ticker, LAYOUT);
    for (let i = 0; i < 100; i++) h.record(1_000);
    clock.t = 70_000;
    ticker.update();
    h.record(5);
    const w = h.window();
    assert.equal(w.count, 1);
    assert.equal(w.max, 5);
    assert.equal(w.percentile(99), 5);
    const all = h.total();
    assert.equal(all.count, 101);
    assert.equal(all.max, 1_000);
    assertWithinPrecision(all.percentile(50), 1_000, 'all-time p50');
  });

  test('rotation retires only the periods that left the window', () => {
    const clock = fakeClock();
    const ticker = new WindowTicker({ windowMs: 6_000, slots: 6, now: clock.now }); // 1 s periods
    const h = new WindowedHistogram(ticker, LAYOUT);
    // Period p gets p + 1 values equal to p + 1.
    for (let p = 0; p < 20; p++) {
      clock.t = p * 1_000 + 500;
      ticker.update();
      for (let i = 0; i <= p; i++) h.record(p + 1);
      const w = h.window();
      const first = Math.max(0, p - 5);
      let count = 0;
      for (let q = first; q <= p; q++) count += q + 1;
      assert.equal(w.count, count, `window count after period ${p}`);
      assert.equal(w.min, first + 1, `window min after period ${p}`);
      assert.equal(w.max, p + 1, `window max after period ${p}`);
      assert.equal(h.total().count, ((p + 1) * (p + 2)) / 2, `total count after period ${p}`);
    }
  });

  test('a jump of many windows in one step clears every slot', () => {
    const clock = fakeClock();
    const ticker = new WindowTicker({ windowMs: 1_000, slots: 10, now: clock.now });
    const h = new WindowedHistogram(ticker, LAYOUT);
    for (let p = 0; p < 10; p++) {
      clock.t = p * 100;
      ticker.update();
      h.record(p);
    }
    assert.equal(h.window().count, 10);
    clock.t = 1e9;
    ticker.update();
    assert.equal(h.window().count, 0);
    assert.equal(h.total().count, 10);
  });

  test('a series that records nothing still rotates on read', () => {
    const clock = fakeClock();
    const ticker = new WindowTicker({ windowMs: 60_000, slots: 6, now: clock.now });
    const h = new WindowedHistogram(ticker, LAYOUT);
    h.record(3);
    clock.t = 61_000;
    ticker.update();
    h.sync();
    assert.equal(h.window().count, 0);
    assert.equal(h.total().count, 1);
  });

  test('reset() forgets window and all time; recording continues afterwards', () => {
    const clock = fakeClock();
    const ticker = new WindowTicker({ windowMs: 60_000, slots: 6, now: clock.now });
    const h = new WindowedHistogram(ticker, LAYOUT);
    h.record(1);
    clock.t = 65_000;
    ticker.update();
    h.record(2);
    h.reset();
    assert.equal(h.window().count, 0);
    assert.equal(h.total().count, 0);
    h.record(7);
    assert.equal(h.window().count, 1);
    assert.equal(h.total().max, 7);
  });

  for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
    test(`record(${bad}) throws a RangeError naming the histogram`, () => {
      const ticker = new WindowTicker({ now: fakeClock().now });
      const h = new WindowedHistogram(ticker, LAYOUT);
      assert.throws(() => h.record(bad), (err: unknown) => {
        assert.ok(err instanceof RangeError);
        assert.match(err.message, /"latency"/);
        return true;
      });
      assert.equal(h.total().count, 0);
    });
  }

  test('property: window and all time match a naive model through random rotations', () => {
    const op = fc.record({
      advanceMs: fc.integer({ min: 0, max: 25_000 }),
      values: fc.array(fc.double({ min: 0, max: 100_000, noNaN: true }), { maxLength: 20 }),
    });
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const clock = fakeClock();
        const ticker = new WindowTicker({ windowMs: 60_000, slots: 6, now: clock.now });
        const h = new WindowedHistogram(ticker, LAYOUT);
        const model: { epoch: number; value: number }[] = [];
        for (const { advanceMs, values } of ops) {
          clock.t += advanceMs;
          const epoch = ticker.update();
          for (const v of values) {
            h.record(v);
            model.push({ epoch, value: v });
          }
          const inWindow = model.filter((m) => m.epoch > epoch - 6).map((m) => m.value);
          const w = h.window();
          assert.equal(w.count, inWindow.length);
          if (inWindow.length > 0) {
            assert.equal(w.min, Math.min(...inWindow));
            assert.equal(w.max, Math.max(...inWindow));
            for (const q of [50, 95, 99]) assertWithinPrecision(w.percentile(q), exactPercentile(inWindow, q), `window p${q}`);
          }
          const all = h.total();
          assert.equal(all.count, model.length);
          const exactSum = model.reduce((a, m) => a + m.value, 0);
          assert.ok(Math.abs(all.sum - exactSum) <= 1e-9 * Math.max(1, exactSum), `sum ${all.sum} vs ${exactSum}`);
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('WindowedCounter', () => {
  test('total, window sum and rate = window sum / covered seconds', () => {
    const clock = fakeClock();
    const ticker = new WindowTicker({ windowMs: 60_000, slots: 6, now: clock.now });
    const c = new WindowedCounter(ticker);
    assert.equal(c.rate(), 0, 'no time has passed: rate 0, not Infinity');
    c.add(30);
    assert.equal(c.total, 30);
    assert.equal(c.windowSum(), 30);
    assert.equal(c.rate(), 0);

    clock.t = 30_000;
    ticker.update();
    assert.equal(c.windowSum(), 30, 'kept after 30 s');
    assert.equal(c.rate(), 1, '30 over 30 s');

    clock.t = 45_000;
    ticker.update();
    c.add(15);
    assert.equal(c.rate(), (45 * 1000) / 45_000);

    clock.t = 65_000; // period 0 (the 30) left; the window covers 10 s .. 65 s
    ticker.update();
    assert.equal(c.windowSum(), 15);
    assert.equal(ticker.coveredMs(), 55_000);
    assert.equal(c.rate(), (15 * 1000) / 55_000);

    clock.t = 110_000;
    ticker.update();
    assert.equal(c.windowSum(), 0, 'gone 70 s after the last increment');
    assert.equal(c.rate(), 0);
    assert.equal(c.total, 45, 'the total is cumulative');
  });

  test('reset() clears total and window', () => {
    const clock = fakeClock();
    const ticker = new WindowTicker({ windowMs: 1_000, slots: 4, now: clock.now });
    const c = new WindowedCounter(ticker);
    c.add(5);
    clock.t = 600;
    ticker.update();
    c.add(2);
    c.reset();
    assert.equal(c.total, 0);
    assert.equal(c.windowSum(), 0);
    c.add(1);
    assert.equal(c.windowSum(), 1);
  });

  test('property: window sum and total match a naive model through random rotations', () => {
    const op = fc.record({
      advanceMs: fc.integer({ min: 0, max: 3_000 }),
      adds: fc.array(fc.integer({ min: 0, max: 1_000 }), { maxLength: 10 }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.array(op, { minLength: 1, maxLength: 60 }), (slots, ops) => {
        const clock = fakeClock();
        const ticker = new WindowTicker({ windowMs: 1_200, slots, now: clock.now });
        const c = new WindowedCounter(ticker);
        const model: { epoch: number; by: number }[] = [];
        for (const { advanceMs, adds } of ops) {
          clock.t += advanceMs;
          const epoch = ticker.update();
          for (const by of adds) {
            c.add(by);
            model.push({ epoch, by });
          }
          const windowSum = model.filter((m) => m.epoch > epoch - slots).reduce((a, m) => a + m.by, 0);
          assert.equal(c.windowSum(), windowSum);
          assert.equal(c.total, model.reduce((a, m) => a + m.by, 0));
          const covered = ticker.coveredMs();
          assert.ok(covered <= 1_200 + 1e-9, `covered ${covered} <= windowMs`);
          assert.equal(c.rate(), covered <= 0 ? 0 : (windowSum * 1000) / covered);
        }
      }),
      { numRuns: 200 },
    );
  });
});
