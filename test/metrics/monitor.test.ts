import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { BlackholeError, ClosedError, ErrorCode } from '../../src/errors.ts';
import { percentileRank } from '../../src/metrics/histogram.ts';
import {
  PerformanceMonitor,
  type MetricStats,
  type PerformanceMonitorOptions,
  type PerformanceReport,
} from '../../src/metrics/monitor.ts';
import { MetricRegistry } from '../../src/metrics/registry.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const monitorUrl = new URL('../../src/metrics/monitor.ts', import.meta.url).href;

/**
 * A monitor on a clock the test moves by hand, closed after the test.
 * `at(ms)` sets the clock and lets the windows rotate (`ticker.update()`), as
 * the monitor's own period timer would: writes never read the clock.
 */
function setup(
  t: TestContext,
  options: PerformanceMonitorOptions = {},
): { clock: { t: number }; m: PerformanceMonitor; at: (ms: number) => void } {
  const clock = { t: 0 };
  const m = new PerformanceMonitor({ now: () => clock.t, ...options });
  t.after(() => m.close());
  const at = (ms: number): void => {
    clock.t = ms;
    m.ticker.update();
  };
  return { clock, m, at };
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let r = Math.imul(a ^ (a >>> 15), 1 | a);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function exactPercentile(sorted: number[], q: number): number {
  return sorted[percentileRank(q, sorted.length) - 1]!;
}

/** Default monitor histograms: 2 significant digits (1%) and 0.001 resolution. */
function assertWithinPrecision(got: number, exact: number, what: string): void {
  const tolerance = exact * 0.01 + 0.001 + 1e-9;
  assert.ok(Math.abs(got - exact) <= tolerance, `${what}: got ${got}, exact ${exact} (tolerance ${tolerance})`);
}

function assertCloseRel(got: number, exact: number, what: string, rel = 1e-9): void {
  assert.ok(Math.abs(got - exact) <= rel * Math.max(1, Math.abs(exact)), `${what}: got ${got}, exact ${exact}`);
}

/** Checks every MetricStats field against the exact statistics of `values`. */
function assertStatsOf(stats: MetricStats | null, values: number[], what: string): void {
  assert.ok(stats !== null, `${what}: stats exist`);
  const sorted = [...values].sort((a, b) => a - b);
  const n = values.length;
  const sum = values.reduce((a, b) => a + b, 0);
  const mean = sum / n;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
  assert.equal(stats.count, n, `${what}: count`);
  assert.equal(stats.min, sorted[0], `${what}: min`);
  assert.equal(stats.max, sorted[n - 1], `${what}: max`);
  assertCloseRel(stats.sum, sum, `${what}: sum`);
  assertCloseRel(stats.mean, mean, `${what}: mean`);
  assertCloseRel(stats.stdDev, sd, `${what}: stdDev`, 1e-6);
  assertWithinPrecision(stats.p50, exactPercentile(sorted, 50), `${what}: p50`);
  assertWithinPrecision(stats.p90, exactPercentile(sorted, 90), `${what}: p90`);
  assertWithinPrecision(stats.p95, exactPercentile(sorted, 95), `${what}: p95`);
  assertWithinPrecision(stats.p99, exactPercentile(sorted, 99), `${what}: p99`);
  assertWithinPrecision(stats.p999, exactPercentile(sorted, 99.9), `${what}: p999`);
}

/** The value of the sample line `series` (name plus label block) in an exposition, or undefined. */
function sampleValue(text: string, series: string): string | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return line.slice(series.length + 1);
  }
  return undefined;
}

function assertThrowsCode(fn: () => unknown, kind: new (...args: never[]) => Error, code: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof kind, `expected a ${kind.name}, got ${String(err)}`);
    assert.equal((err as Error & { code?: string }).code, code);
    assert.match((err as Error).message, pattern);
    return true;
  });
}

/** Resolves with the first value `register` is called with, or rejects after `ms`. */
function firstCall<T>(ms: number, register: (resolve: (v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing arrived within ${ms} ms`)), ms);
    register((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

describe('track, getStats and getWindowStats', () => {
  test('an unknown metric has no stats', (t) => {
    const { m } = setup(t);
    assert.equal(m.getStats('nope'), null);
    assert.equal(m.getWindowStats('nope'), null);
  });

  test('count, min, max, mean, stdDev exact; percentiles within 1% + 0.001 (seeded data)', (t) => {
    const { m } = setup(t);
    const rand = seeded(42);
    const values: number[] = [];
    for (let i = 0; i < 5_000; i++) {
      // Log-uniform over 0.01 ms .. 10 s: exercises many buckets.
      const v = Math.round(10 ** (-2 + rand() * 6) * 1000) / 1000;
      values.push(v);
      m.track('http.request', v);
    }
    assertStatsOf(m.getStats('http.request'), values, 'all time');
    assertStatsOf(m.getWindowStats('http.request'), values, 'window');
  });

  test('property: stats match the exact values for any non-negative data', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }), (values) => {
        const m = new PerformanceMonitor({ now: () => 0 });
        try {
          for (const v of values) m.track('x', v);
          assertStatsOf(m.getStats('x'), values, 'all time');
        } finally {
          m.close();
        }
      }),
      { numRuns: 100 },
    );
  });

  test('labelled series are kept apart; getStats without labels merges every label set', (t) => {
    const { m } = setup(t);
    const a = [1, 2, 3, 4];
    const b = [100, 200, 300];
    for (const v of a) m.track('req', v, { route: '/a' });
    for (const v of b) m.track('req', v, { route: '/b' });
    assertStatsOf(m.getStats('req', { route: '/a' }), a, '/a');
    assertStatsOf(m.getStats('req', { route: '/b' }), b, '/b');
    assertStatsOf(m.getWindowStats('req', { route: '/b' }), b, '/b window');
    assertStatsOf(m.getStats('req'), [...a, ...b], 'merged');
    assertStatsOf(m.getWindowStats('req'), [...a, ...b], 'merged window');
  });

  test('label objects with another key order or numbers for strings hit the same series', (t) => {
    const { m } = setup(t);
    m.track('req', 1, { method: 'GET', status: 200 });
    m.track('req', 2, { status: '200', method: 'GET' });
    m.track('req', 3, { status: 200, method: 'GET' });
    m.track('req', 4, { method: 'GET', status: '200' });
    m.track('req', 50, { method: 'GET', status: 500 });
    assertStatsOf(m.getStats('req', { status: 200, method: 'GET' }), [1, 2, 3, 4], 'GET 200');
    assertStatsOf(m.getStats('req', { method: 'GET', status: '500' }), [50], 'GET 500');
    const series = m.generateReport().metrics['req']!.series!;
    assert.equal(series.length, 2);
    assert.deepEqual(
      series.map((s) => s.labels),
      [
        { method: 'GET', status: '200' },
        { method: 'GET', status: '500' },
      ],
    );
  });

  test('a missing label throws a TypeError naming the metric and the label', (t) => {
    const { m } = setup(t);
    m.track('req', 1, { method: 'GET', status: 200 });
    assertThrowsCode(() => m.track('req', 1, { method: 'GET' }), TypeError, ErrorCode.INVALID_ARG, /"req".*label "status" is missing/);
    assertThrowsCode(() => m.track('req', 1), TypeError, ErrorCode.INVALID_ARG, /"req".*needs labels \[method, status\]/);
    assert.equal(m.getStats('req')!.count, 1, 'nothing recorded by the failed calls');
  });

  test('an extra label throws a TypeError naming the metric and the label, on first use of the set', (t) => {
    const { m } = setup(t);
    m.track('req', 1, { method: 'GET' });
    assertThrowsCode(() => m.track('req', 1, { method: 'POST', route: '/a' }), TypeError, ErrorCode.INVALID_ARG, /"req" has no label "route"/);
  });

  test('an extra label throws even when the declared labels match an existing series', (t) => {
    const { m } = setup(t);
    m.track('req', 1, { method: 'GET' });
    m.track('req', 1, { method: 'GET' }); // the series exists and its lookup path is cached
    assertThrowsCode(() => m.track('req', 1, { method: 'GET', route: '/a' }), TypeError, ErrorCode.INVALID_ARG, /"req" has no label "route"/);
    assert.equal(m.getStats('req')!.count, 2, 'the bad call recorded nothing');
  });

  test('labels on a metric first used without them throw a TypeError naming the metric and label', (t) => {
    const { m } = setup(t);
    m.track('plain', 1);
    assertThrowsCode(() => m.track('plain', 1, { route: '/a' }), TypeError, ErrorCode.INVALID_ARG, /"plain".*label "route"/);
    m.track('plain', 2, {}); // an empty labels object is the same as none
    assert.equal(m.getStats('plain')!.count, 2);
  });

  test('define() fixes label names and histogram layout before first use', (t) => {
    const { m } = setup(t);
    m.define('sized', { labelNames: ['kind'], significantDigits: 3, help: 'Blob sizes.', unit: 'bytes' });
    assertThrowsCode(() => m.track('sized', 1, { other: 'x' }), TypeError, ErrorCode.INVALID_ARG, /"sized".*label "kind" is missing/);
    m.track('sized', 1234.5, { kind: 'image' });
    assertStatsOf(m.getStats('sized', { kind: 'image' }), [1234.5], 'defined');
    assertThrowsCode(() => m.define('sized', {}), TypeError, ErrorCode.INVALID_ARG, /"sized" is already in use/);
    assertThrowsCode(
      () => m.define('bad.unit', { unit: 'parsecs' as never }),
      TypeError,
      ErrorCode.INVALID_ARG,
      /"bad.unit" unit must be one of "ms", "seconds", "bytes", "none", got "parsecs"/,
    );
    assert.throws(() => m.define('bad.digits', { significantDigits: 9 }), RangeError);
  });

  for (const [first, second] of [
    ['track', 'increment'],
    ['track', 'setGauge'],
    ['increment', 'track'],
    ['increment', 'setGauge'],
    ['setGauge', 'track'],
    ['setGauge', 'increment'],
  ] as const) {
    test(`a metric used with ${first} then with ${second} throws`, (t) => {
      const { m } = setup(t);
      const use = { track: () => m.track('mixed', 1), increment: () => m.increment('mixed', 1), setGauge: () => m.setGauge('mixed', 1) };
      use[first]();
      assertThrowsCode(use[second], TypeError, ErrorCode.INVALID_ARG, /metric "mixed" is a (tracked|counter|gauge), not a/);
    });
  }

  for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
    test(`track(${bad}) throws a RangeError naming the metric`, (t) => {
      const { m } = setup(t);
      m.track('lat', 5);
      assertThrowsCode(() => m.track('lat', bad), RangeError, ErrorCode.OUT_OF_RANGE, /"lat"/);
      assertThrowsCode(() => m.track('fresh.metric', bad), RangeError, ErrorCode.OUT_OF_RANGE, /"fresh.metric"/);
      assert.equal(m.getStats('lat')!.count, 1);
    });
  }

  test('metric names must be non-empty strings', (t) => {
    const { m } = setup(t);
    assertThrowsCode(() => m.track('', 1), TypeError, ErrorCode.INVALID_ARG, /name must be a non-empty string/);
  });
});

describe('windows', () => {
  test('with windowMs 60000 and 6 slots: kept 30 s later, gone from the window 70 s later, kept all time', (t) => {
    const { clock, m } = setup(t, { windowMs: 60_000, slots: 6 });
    m.track('lat', 10);
    m.track('lat', 20);
    clock.t = 30_000;
    assertStatsOf(m.getWindowStats('lat'), [10, 20], 'window at 30 s');
    clock.t = 70_000;
    const w = m.getWindowStats('lat')!;
    assert.equal(w.count, 0);
    assert.deepEqual([w.min, w.max, w.p99, w.mean, w.sum], [0, 0, 0, 0, 0]);
    assertStatsOf(m.getStats('lat'), [10, 20], 'all time at 70 s');
    m.track('lat', 500);
    assertStatsOf(m.getWindowStats('lat'), [500], 'window after a new value');
    assertStatsOf(m.getStats('lat'), [10, 20, 500], 'all time after a new value');
  });

  test('labelled series rotate independently of when they were last written', (t) => {
    const { clock, m, at } = setup(t, { windowMs: 10_000, slots: 5 });
    m.track('req', 1, { route: '/a' });
    at(6_000);
    m.track('req', 2, { route: '/b' });
    clock.t = 11_000; // '/a' (t=0) left, '/b' (t=6 s) still in
    assert.equal(m.getWindowStats('req', { route: '/a' })!.count, 0);
    assertStatsOf(m.getWindowStats('req'), [2], 'merged window');
    assertStatsOf(m.getStats('req'), [1, 2], 'merged all time');
  });

  test('counter rate = window sum / covered seconds; the total is cumulative', (t) => {
    const { clock, m } = setup(t, { windowMs: 60_000, slots: 6 });
    assert.equal(m.getCounter('req.count'), null);
    m.increment('req.count', 30);
    assert.deepEqual(m.getCounter('req.count'), { total: 30, windowTotal: 30, rate: 0 });
    clock.t = 30_000;
    assert.deepEqual(m.getCounter('req.count'), { total: 30, windowTotal: 30, rate: 1 });
    m.increment('req.count', 15);
    clock.t = 65_000; // the 30 (period 0) left; the window covers 10 s .. 65 s = 55 s
    assert.deepEqual(m.getCounter('req.count'), { total: 45, windowTotal: 15, rate: (15 * 1000) / 55_000 });
    clock.t = 100_000;
    assert.deepEqual(m.getCounter('req.count'), { total: 45, windowTotal: 0, rate: 0 });
  });
});

describe('startTimer', () => {
  test('records the elapsed ms from the injected clock, once, even if stopped twice', (t) => {
    const { clock, m } = setup(t);
    clock.t = 100;
    const stop = m.startTimer('db.query', { table: 'blobs' });
    clock.t = 112.5;
    assert.equal(stop(), 12.5);
    clock.t = 200;
    assert.equal(stop(), 100, 'a second call reports the elapsed time again');
    const s = m.getStats('db.query', { table: 'blobs' })!;
    assert.equal(s.count, 1, 'but records only once');
    assert.equal(s.min, 12.5);
    assert.equal(s.max, 12.5);
  });

  test('independent timers each record their own duration', (t) => {
    const { clock, m } = setup(t);
    const a = m.startTimer('op');
    clock.t = 5;
    const b = m.startTimer('op');
    clock.t = 7;
    b();
    clock.t = 20;
    a();
    assertStatsOf(m.getStats('op'), [2, 20], 'two timers');
  });

  test('a clock that steps back records 0, not a negative value', (t) => {
    const { clock, m } = setup(t);
    clock.t = 50;
    const stop = m.startTimer('op');
    clock.t = 40;
    stop();
    assert.equal(m.getStats('op')!.max, 0);
  });
});

describe('counters and gauges', () => {
  test('increment defaults to 1 and sums label sets unless labels are given', (t) => {
    const { m } = setup(t);
    m.increment('hits');
    m.increment('hits');
    assert.equal(m.getCounter('hits')!.total, 2);
    m.increment('served', 3, { status: 200 });
    m.increment('served', 4, { status: '200' });
    m.increment('served', 10, { status: 404 });
    assert.equal(m.getCounter('served', { status: '200' })!.total, 7);
    assert.equal(m.getCounter('served', { status: 404 })!.total, 10);
    assert.equal(m.getCounter('served')!.total, 17);
    m.increment('hits', 0);
    assert.equal(m.getCounter('hits')!.total, 2);
  });

  test('setGauge keeps the last value; getGauge sums label sets unless labels are given', (t) => {
    const { m } = setup(t);
    assert.equal(m.getGauge('queue.depth'), null);
    m.setGauge('queue.depth', 3);
    m.setGauge('queue.depth', 7);
    assert.equal(m.getGauge('queue.depth'), 7);
    m.setGauge('temp', -4.5);
    assert.equal(m.getGauge('temp'), -4.5, 'gauges may be negative');
    m.setGauge('pool.free', 2, { pool: 'a' });
    m.setGauge('pool.free', 5, { pool: 'b' });
    m.setGauge('pool.free', 4, { pool: 'a' });
    assert.equal(m.getGauge('pool.free', { pool: 'a' }), 4);
    assert.equal(m.getGauge('pool.free'), 9);
  });

  test('getCounter and getGauge return null for a metric of another kind', (t) => {
    const { m } = setup(t);
    m.track('lat', 1);
    assert.equal(m.getCounter('lat'), null);
    assert.equal(m.getGauge('lat'), null);
    m.increment('c');
    assert.equal(m.getStats('c'), null);
  });

  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, -Number.MIN_VALUE, '5' as unknown as number]) {
    test(`increment(${typeof bad === 'string' ? JSON.stringify(bad) : String(bad)}) throws a typed error naming the metric and records nothing`, (t) => {
      const { m } = setup(t);
      m.increment('hits', 2);
      // A number outside the rule is a RangeError; a value of the wrong type ('5') a TypeError.
      if (typeof bad === 'number') assertThrowsCode(() => m.increment('hits', bad), RangeError, ErrorCode.OUT_OF_RANGE, /counter "hits" increment/);
      else assertThrowsCode(() => m.increment('hits', bad), TypeError, ErrorCode.INVALID_ARG, /counter "hits" increment/);
      assert.equal(m.getCounter('hits')!.total, 2);
    });
  }

  test('setGauge(NaN) throws a RangeError naming the metric and keeps the value', (t) => {
    const { m } = setup(t);
    m.setGauge('depth', 3);
    assertThrowsCode(() => m.setGauge('depth', Number.NaN), RangeError, ErrorCode.OUT_OF_RANGE, /gauge "depth" value \(NaN\)/);
    assertThrowsCode(() => m.setGauge('depth', '4' as never), TypeError, ErrorCode.INVALID_ARG, /gauge "depth"/);
    assert.equal(m.getGauge('depth'), 3);
  });
});

describe('sources', () => {
  test('stats() is pulled only at report and scrape time', (t) => {
    const { m } = setup(t);
    let calls = 0;
    m.register('blob_cache', { stats: () => ({ hits: ++calls, size: 10 }) });
    m.track('x', 1);
    m.getStats('x');
    m.increment('y');
    m.getCounter('y');
    assert.equal(calls, 0, 'not pulled by writes and reads');
    const report = m.generateReport();
    assert.equal(calls, 1);
    assert.deepEqual(report.sources['blob_cache'], { hits: 1, size: 10 });
    m.metrics();
    assert.equal(calls, 2, 'one pull per scrape');
  });

  test('a throwing source yields { error } and the rest of the report is intact', (t) => {
    const { m } = setup(t);
    m.register('broken', {
      stats() {
        throw new Error('disk gone');
      },
    });
    m.register('fine', { stats: () => ({ ok: 1 }) });
    m.track('x', 3);
    const report = m.generateReport();
    assert.deepEqual(report.sources['broken'], { error: 'disk gone' });
    assert.deepEqual(report.sources['fine'], { ok: 1 });
    assert.equal(report.metrics['x']!.all.count, 1);
    const text = m.metrics();
    assert.equal(sampleValue(text, 'component_stat{component="fine",stat="ok"}'), '1');
    assert.equal(sampleValue(text, 'x_count'), '1');
  });

  test('registering a name twice throws; a non-source throws; unregister removes it', (t) => {
    const { m } = setup(t);
    const src = { stats: () => ({ n: 1 }) };
    m.register('cache', src);
    assertThrowsCode(() => m.register('cache', src), TypeError, ErrorCode.INVALID_ARG, /source "cache" is already registered/);
    assertThrowsCode(() => m.register('other', {} as never), TypeError, ErrorCode.INVALID_ARG, /source "other" must have a stats\(\) method/);
    assert.equal(m.unregister('cache'), true);
    assert.equal(m.unregister('cache'), false);
    assert.deepEqual(m.generateReport().sources, {});
    m.register('cache', src);
  });
});

describe('generateReport', () => {
  test('has windowed and all-time stats, counters, gauges and sources', (t) => {
    const { m, at } = setup(t);
    m.track('lat', 10);
    m.track('req', 5, { route: '/a' });
    m.track('req', 7, { route: '/b' });
    m.increment('hits', 30);
    m.setGauge('depth', 4);
    m.setGauge('free', 1, { pool: 'a' });
    m.setGauge('free', 2, { pool: 'b' });
    m.register('src', { stats: () => ({ a: 1, nested: { b: 2 } }) });
    at(70_000);
    m.track('lat', 20);
    const before = Date.now();
    const r: PerformanceReport = m.generateReport();
    assert.deepEqual(Object.keys(r).sort(), ['counters', 'gauges', 'metrics', 'sources', 'timestamp', 'windowMs']);
    assert.ok(r.timestamp >= before && r.timestamp <= Date.now() + 1, 'wall-clock timestamp');
    assert.equal(r.windowMs, 60_000 - 10_000 + 0, 'covered window at 70 s: 5 full periods plus 0 ms');
    assert.deepEqual(Object.keys(r.metrics).sort(), ['lat', 'req']);
    assertStatsOf(r.metrics['lat']!.window, [20], 'lat window');
    assertStatsOf(r.metrics['lat']!.all, [10, 20], 'lat all');
    assert.equal(r.metrics['lat']!.series, undefined, 'no series list for an unlabelled metric');
    assert.equal(r.metrics['req']!.window.count, 0);
    assertStatsOf(r.metrics['req']!.all, [5, 7], 'req all');
    assert.deepEqual(
      r.metrics['req']!.series!.map((s) => [s.labels, s.window.count]),
      [
        [{ route: '/a' }, 0],
        [{ route: '/b' }, 0],
      ],
    );
    assert.deepEqual(r.counters, { hits: { total: 30, rate: 0 } });
    assert.deepEqual(r.gauges, {
      depth: 4,
      free: [
        { labels: { pool: 'a' }, value: 1 },
        { labels: { pool: 'b' }, value: 2 },
      ],
    });
    assert.deepEqual(r.sources, { src: { a: 1, nested: { b: 2 } } });
    assert.doesNotThrow(() => JSON.stringify(r));
  });
});

describe('startAutoReporting', () => {
  test('delivers reports to the sink on a real timer; the stop function stops them', async (t) => {
    const { m } = setup(t);
    m.track('lat', 42);
    const reports: PerformanceReport[] = [];
    let stop: () => void = () => {};
    const first = await firstCall<PerformanceReport>(1_000, (resolve) => {
      stop = m.startAutoReporting(20, (r) => {
        reports.push(r);
        resolve(r);
      });
    });
    assert.equal(first.metrics['lat']!.all.count, 1);
    assert.equal(first.metrics['lat']!.all.max, 42);
    stop();
    const seen = reports.length;
    await sleep(80);
    assert.equal(reports.length, seen, 'no report after stop()');
  });

  test('alerts are evaluated before each report', async (t) => {
    const { m } = setup(t);
    m.addAlert({ name: 'slow', metric: 'lat', stat: 'p99', above: 10 });
    m.track('lat', 100);
    const order: string[] = [];
    m.on('alert', () => order.push('alert'));
    await firstCall<void>(1_000, (resolve) => {
      const stop = m.startAutoReporting(20, () => {
        order.push('report');
        stop();
        resolve();
      });
    });
    assert.deepEqual(order, ['alert', 'report']);
  });

  test('its timers are unref\'d: a process that starts auto-reporting exits by itself', async () => {
    const script = [
      `import { PerformanceMonitor } from ${JSON.stringify(monitorUrl)};`,
      'const m = new PerformanceMonitor();',
      "m.track('x', 1);",
      'm.startAutoReporting(20, () => {});',
      'm.watchAlerts(20);',
      "console.log('started');",
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, null, `the child was killed (${signal}): a timer kept it alive\n${err}`);
    assert.equal(code, 0, `child failed:\n${err}`);
    assert.equal(out.trim(), 'started', 'the script ran');
  });

  test('a throwing sink emits \'error\' when a listener exists', async (t) => {
    const { m } = setup(t);
    const err = await firstCall<unknown>(1_000, (resolve) => {
      m.on('error', resolve);
      m.startAutoReporting(20, () => {
        throw new Error('sink down');
      });
    });
    m.stopAutoReporting();
    assert.ok(err instanceof Error);
    assert.equal(err.message, 'sink down');
  });

  test('a rejecting async sink emits \'error\' too', async (t) => {
    const { m } = setup(t);
    const err = await firstCall<unknown>(1_000, (resolve) => {
      m.on('error', resolve);
      m.startAutoReporting(20, async () => {
        await sleep(1);
        throw new Error('async sink down');
      });
    });
    m.stopAutoReporting();
    assert.equal((err as Error).message, 'async sink down');
  });

  test('without an error listener a failing sink becomes a process warning, not a crash', async (t) => {
    const { m } = setup(t);
    const warning = await firstCall<Error & { code?: string }>(1_000, (resolve) => {
      const onWarning = (w: Error & { code?: string }): void => {
        if (w.code === 'BH_MONITOR_SINK') {
          process.off('warning', onWarning);
          resolve(w);
        }
      };
      process.on('warning', onWarning);
      m.startAutoReporting(20, () => {
        throw new Error('quiet failure');
      });
    });
    m.stopAutoReporting();
    assert.match(warning.message, /quiet failure/);
  });

  for (const intervalMs of [9, 0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
    test(`intervalMs ${intervalMs} is rejected with a RangeError`, (t) => {
      const { m } = setup(t);
      assertThrowsCode(() => m.startAutoReporting(intervalMs, () => {}), RangeError, ErrorCode.OUT_OF_RANGE, /startAutoReporting intervalMs/);
    });
  }

  test('a non-function sink is rejected with a TypeError', (t) => {
    const { m } = setup(t);
    assertThrowsCode(() => m.startAutoReporting(100, 'console' as never), TypeError, ErrorCode.INVALID_ARG, /sink must be a function/);
  });
});

describe('Prometheus exposition', () => {
  test('a tracked metric in ms is a _seconds summary with values divided by 1000', (t) => {
    const { m } = setup(t);
    m.define('http.request', { unit: 'ms', help: 'Request time.' });
    m.track('http.request', 9);
    const text = m.metrics();
    assert.match(text, /^# HELP http_request_seconds Request time\.$/m);
    assert.match(text, /^# TYPE http_request_seconds summary$/m);
    for (const q of ['0.5', '0.9', '0.95', '0.99']) {
      assert.equal(Number(sampleValue(text, `http_request_seconds{quantile="${q}"}`)), 9 / 1000, `quantile ${q}`);
    }
    assert.equal(Number(sampleValue(text, 'http_request_seconds_sum')), 9 / 1000);
    assert.equal(sampleValue(text, 'http_request_seconds_count'), '1');
    assert.doesNotMatch(text, /http_request[^_]/, 'no sample under the unsuffixed name');
  });

  test('summary quantiles describe the window (seeded data), _sum and _count all time', (t) => {
    const { m, at } = setup(t);
    m.define('http.request', { unit: 'ms' });
    m.track('http.request', 5_000);
    at(70_000);
    const rand = seeded(7);
    const values: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      const v = 1 + Math.floor(rand() * 500);
      values.push(v);
      m.track('http.request', v, undefined);
    }
    const sorted = [...values].sort((a, b) => a - b);
    const text = m.metrics();
    for (const [q, p] of [['0.5', 50], ['0.9', 90], ['0.95', 95], ['0.99', 99]] as const) {
      const got = Number(sampleValue(text, `http_request_seconds{quantile="${q}"}`)) * 1000;
      assertWithinPrecision(got, exactPercentile(sorted, p), `quantile ${q}`);
    }
    const sum = values.reduce((a, b) => a + b, 5_000);
    assertCloseRel(Number(sampleValue(text, 'http_request_seconds_sum')), sum / 1000, '_sum');
    assert.equal(sampleValue(text, 'http_request_seconds_count'), '1001');
  });

  test('startTimer metrics are in ms, so exposed in seconds', (t) => {
    const { clock, m } = setup(t);
    const stop = m.startTimer('db.query');
    clock.t = 250;
    stop();
    const text = m.metrics();
    assert.equal(Number(sampleValue(text, 'db_query_seconds_sum')), 0.25);
    assert.equal(Number(sampleValue(text, 'db_query_seconds{quantile="0.99"}')), 0.25);
  });

  test('labelled summaries put the quantile label last; an empty window gives NaN quantiles', (t) => {
    const { clock, m } = setup(t);
    m.track('blob.size', 4096, { kind: 'image' });
    clock.t = 70_000;
    const text = m.metrics();
    assert.match(text, /^# TYPE blob_size summary$/m);
    assert.equal(sampleValue(text, 'blob_size{kind="image",quantile="0.5"}'), 'NaN');
    assert.equal(sampleValue(text, 'blob_size_sum{kind="image"}'), '4096');
    assert.equal(sampleValue(text, 'blob_size_count{kind="image"}'), '1');
  });

  test('unit bytes adds a _bytes suffix without scaling', (t) => {
    const { m } = setup(t);
    m.define('payload', { unit: 'bytes' });
    m.track('payload', 2048);
    const text = m.metrics();
    assert.equal(sampleValue(text, 'payload_bytes_sum'), '2048');
    assert.equal(sampleValue(text, 'payload_bytes{quantile="0.5"}'), '2048');
  });

  test('counters get _total (once), gauges are gauges, labels are rendered', (t) => {
    const { m } = setup(t);
    m.increment('bytes.sent', 5);
    m.increment('requests_total', 2);
    m.increment('served', 3, { status: 200 });
    m.setGauge('queue.depth', 3);
    m.setGauge('pool.free', 1.5, { pool: 'a' });
    const text = m.metrics();
    assert.match(text, /^# TYPE bytes_sent_total counter$/m);
    assert.equal(sampleValue(text, 'bytes_sent_total'), '5');
    assert.equal(sampleValue(text, 'requests_total'), '2');
    assert.doesNotMatch(text, /requests_total_total/);
    assert.equal(sampleValue(text, 'served_total{status="200"}'), '3');
    assert.match(text, /^# TYPE queue_depth gauge$/m);
    assert.equal(sampleValue(text, 'queue_depth'), '3');
    assert.equal(sampleValue(text, 'pool_free{pool="a"}'), '1.5');
  });

  test('numeric and boolean leaves of source stats appear as component_stat gauges', (t) => {
    const { m } = setup(t, { prefix: 'bh_' });
    m.register('blob_cache', { stats: () => ({ hits: 3, tier: { size: 10 }, warm: true, label: 'x', list: [1, 2] }) });
    m.register('pool', { stats: () => ({ busy: 2 }) });
    const text = m.metrics();
    assert.match(text, /^# TYPE bh_component_stat gauge$/m);
    assert.equal(text.match(/^# TYPE bh_component_stat /gm)?.length, 1, 'one family for every source');
    assert.equal(sampleValue(text, 'bh_component_stat{component="blob_cache",stat="hits"}'), '3');
    assert.equal(sampleValue(text, 'bh_component_stat{component="blob_cache",stat="tier.size"}'), '10');
    assert.equal(sampleValue(text, 'bh_component_stat{component="blob_cache",stat="warm"}'), '1');
    assert.equal(sampleValue(text, 'bh_component_stat{component="pool",stat="busy"}'), '2');
    assert.doesNotMatch(text, /stat="label"|stat="list/, 'strings and arrays are not exposed');
  });

  test('the prefix applies to every name; a leading digit is escaped', (t) => {
    const { m } = setup(t, { prefix: 'blackhole_' });
    m.define('http.request', { unit: 'ms' });
    m.track('http.request', 1);
    m.increment('5xx');
    const text = m.metrics();
    assert.ok(sampleValue(text, 'blackhole_http_request_seconds_count') === '1');
    assert.equal(sampleValue(text, 'blackhole__5xx_total'), '1');
    assert.throws(() => new PerformanceMonitor({ prefix: '1bad' }), TypeError);
  });

  test('the monitor writes into a registry it is given', (t) => {
    const registry = new MetricRegistry();
    const { m } = setup(t, { registry });
    registry.counter('other_total', { help: 'Other.' }).inc(2);
    m.setGauge('depth', 9);
    const text = registry.metrics();
    assert.equal(sampleValue(text, 'other_total'), '2');
    assert.equal(sampleValue(text, 'depth'), '9');
    assert.throws(() => m.increment('other'), (err: unknown) => err instanceof BlackholeError && err.code === ErrorCode.METRIC_NAME);
  });

  for (const [a, b, what] of [
    ['a.b', 'a_b', 'two tracked metrics'],
    ['hits', 'hits_total', 'two counters'],
    ['q', 'q_sum', 'a tracked metric and a gauge named like its _sum'],
  ] as const) {
    test(`names that sanitize to the same Prometheus name throw ERR_BH_METRIC_NAME at first use (${what})`, (t) => {
      const { m } = setup(t);
      const use = (name: string): void => {
        if (what === 'two counters') m.increment(name);
        else if (name === 'q_sum') m.setGauge(name, 1);
        else m.track(name, 1);
      };
      use(a);
      for (let attempt = 0; attempt < 2; attempt++) {
        assert.throws(
          () => use(b),
          (err: unknown) => {
            assert.ok(err instanceof BlackholeError, `a BlackholeError, got ${String(err)}`);
            assert.equal(err.code, ErrorCode.METRIC_NAME);
            assert.equal(err.code, 'ERR_BH_METRIC_NAME');
            return true;
          },
          `attempt ${attempt}`,
        );
      }
      use(a); // the first metric keeps working
      assert.doesNotThrow(() => m.metrics());
    });
  }
});

describe('close', () => {
  test('is idempotent and makes reads and writes throw ClosedError', (t) => {
    const { m } = setup(t);
    m.track('lat', 1);
    m.increment('hits');
    m.setGauge('depth', 1);
    const stop = m.startTimer('timed');
    assert.equal(m.closed, false);
    m.close();
    m.close();
    assert.equal(m.closed, true);
    const calls: [string, () => unknown][] = [
      ['track (existing)', () => m.track('lat', 1)],
      ['track (new)', () => m.track('new', 1)],
      ['getStats', () => m.getStats('lat')],
      ['getStats (unknown)', () => m.getStats('nope')],
      ['getWindowStats', () => m.getWindowStats('lat')],
      ['increment', () => m.increment('hits')],
      ['setGauge', () => m.setGauge('depth', 2)],
      ['getCounter', () => m.getCounter('hits')],
      ['getGauge', () => m.getGauge('depth')],
      ['timer stop', () => stop()],
      ['define', () => m.define('d', {})],
      ['register', () => m.register('s', { stats: () => ({}) })],
      ['generateReport', () => m.generateReport()],
      ['metrics', () => m.metrics()],
      ['startAutoReporting', () => m.startAutoReporting(100, () => {})],
      ['addAlert', () => m.addAlert({ name: 'a', metric: 'lat', stat: 'p99', above: 1 })],
      ['evaluateAlerts', () => m.evaluateAlerts()],
      ['checkBudgets', () => m.checkBudgets()],
    ];
    for (const [name, call] of calls) {
      assert.throws(
        call,
        (err: unknown) => {
          assert.ok(err instanceof ClosedError, `${name}: a ClosedError, got ${String(err)}`);
          assert.equal(err.code, ErrorCode.CLOSED);
          assert.equal(err.code, 'ERR_BH_CLOSED');
          return true;
        },
        name,
      );
    }
  });

  test('stops auto-reporting', async (t) => {
    const { m } = setup(t);
    let reports = 0;
    await firstCall<void>(1_000, (resolve) => {
      m.startAutoReporting(20, () => {
        reports++;
        resolve();
      });
    });
    m.close();
    const seen = reports;
    await sleep(80);
    assert.equal(reports, seen);
  });
});
