// Issue 11, sections 3 and 4 for the metrics area: timer-backed options are
// bounded to what a Node timer honours, and bad input is refused with the
// package's typed errors (no coercion) while the object keeps working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';
import {
  BucketHistogram,
  Counter,
  Gauge,
  Histogram,
  LabelIndex,
  MetricRegistry,
  PerformanceMonitor,
  ResourceSampler,
  Summary,
  WindowTicker,
  WindowedCounter,
  checkBudgets,
} from '../../src/metrics/index.ts';

const TOO_LONG = [2 ** 31, 2 ** 32, 2 ** 53];

/** The error is typed, of the given class, and its message matches. */
function typed(kind: typeof InvalidArgumentError | typeof OutOfRangeError, re: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof kind, `expected ${kind.name}, got ${String(e)}`);
    assert.match((e as Error).message, re);
    return true;
  };
}

// ---------------------------------------------------------------- timers

test('startAutoReporting and watchAlerts refuse intervals past 2^31 - 1 ms (Node would fire them after 1 ms)', async (t) => {
  const m = new PerformanceMonitor();
  t.after(() => m.close());
  let calls = 0;
  for (const ms of TOO_LONG) {
    assert.throws(() => m.startAutoReporting(ms, () => void calls++), typed(OutOfRangeError, /PerformanceMonitor startAutoReporting intervalMs \(\d+\) must be a number from 10 to 2\^31 - 1/));
    assert.throws(() => m.watchAlerts(ms), typed(OutOfRangeError, /PerformanceMonitor watchAlerts intervalMs \(\d+\) must be a number from 10 to 2\^31 - 1/));
  }
  // Nothing was started: no sink call in 100 ms (a 2^31 ms interval fired every millisecond before).
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(calls, 0);
  // The largest honoured delay is accepted.
  const stop = m.startAutoReporting(2 ** 31 - 1, () => void calls++);
  const stopAlerts = m.watchAlerts(2 ** 31 - 1);
  await new Promise((r) => setTimeout(r, 50));
  stop();
  stopAlerts();
  assert.equal(calls, 0);
});

test('every window option that reaches a timer is bounded: PerformanceMonitor, WindowTicker, registry summaries and tickers, ResourceSampler', (t) => {
  const r = new MetricRegistry();
  t.after(() => r.close());
  for (const ms of TOO_LONG) {
    assert.throws(() => new PerformanceMonitor({ windowMs: ms }), typed(OutOfRangeError, /PerformanceMonitor windowMs .* 2\^31 - 1/));
    assert.throws(() => new WindowTicker({ windowMs: ms }), typed(OutOfRangeError, /WindowTicker windowMs .* 2\^31 - 1/));
    assert.throws(() => r.summary(`s_${Math.log2(ms)}`, { help: 'x', windowMs: ms }), typed(OutOfRangeError, /MetricRegistry summary "s_\d+" windowMs .* 2\^31 - 1/));
    assert.throws(() => r.ticker(ms, 6), typed(OutOfRangeError, /MetricRegistry ticker windowMs .* 2\^31 - 1/));
    assert.throws(() => new ResourceSampler({ eventLoopResolutionMs: ms }), typed(OutOfRangeError, /ResourceSampler eventLoopResolutionMs .* 2\^31 - 1/));
  }
  const sampler = new ResourceSampler();
  t.after(() => sampler.close());
  for (const ms of TOO_LONG) assert.throws(() => sampler.start(ms), typed(OutOfRangeError, /ResourceSampler intervalMs .* 2\^31 - 1/));
  assert.equal(sampler.latest(), null);
  // A refused summary registers nothing: the name is still free.
  r.summary('s_31', { help: 'x', windowMs: 2 ** 31 - 1 });
  const m = new PerformanceMonitor({ windowMs: 2 ** 31 - 1 });
  m.close();
});

// ---------------------------------------------------------------- one bad call must not break scraping

test('gauge.set(Symbol()) is refused and the registry keeps scraping', () => {
  const r = new MetricRegistry();
  const g = r.gauge('depth', { help: 'Depth.' });
  g.set(3);
  for (const bad of [Symbol('x'), '5', null, undefined, 10n, {}, Number.NaN]) {
    assert.throws(() => g.set(bad as never), (e: unknown) => e instanceof InvalidArgumentError || e instanceof OutOfRangeError);
    assert.throws(() => g.labels({}).set(bad as never));
  }
  assert.throws(() => g.inc('1' as never), InvalidArgumentError);
  assert.throws(() => g.dec(Infinity), OutOfRangeError);
  assert.equal(g.get(), 3);
  assert.match(r.metrics(), /^depth 3$/m);
  g.set(Infinity);
  assert.match(r.metrics(), /^depth \+Inf$/m, 'an infinity is a number, exposed as +Inf');
});

test('observe refuses non-numbers: no _sum -Inf, no string _sum', () => {
  const r = new MetricRegistry();
  const h = r.histogram('rtt_seconds', { help: 'RTT.', buckets: [0.1, 1] });
  const s = r.summary('rpc_seconds', { help: 'RPC.' });
  h.observe(0.5);
  s.observe(0.5);
  for (const bad of [undefined, null, '5', 10n, Symbol('y'), [], Number.NaN, Infinity]) {
    assert.throws(() => h.observe(bad as never), (e: unknown) => e instanceof InvalidArgumentError || e instanceof OutOfRangeError, String(bad));
    assert.throws(() => s.observe(bad as never), (e: unknown) => e instanceof InvalidArgumentError || e instanceof OutOfRangeError, String(bad));
  }
  const text = r.metrics();
  assert.match(text, /^rtt_seconds_sum 0\.5$/m);
  assert.match(text, /^rtt_seconds_count 1$/m);
  assert.match(text, /^rpc_seconds_sum 0\.5$/m);
  assert.match(text, /^rpc_seconds_count 1$/m);
});

test('counter.inc refuses bad values before creating a series', () => {
  const r = new MetricRegistry();
  const c = r.counter('hits_total', { help: 'Hits.', labelNames: ['code'] });
  assert.throws(() => c.inc('1' as never, { code: 200 }), InvalidArgumentError);
  assert.throws(() => c.inc(-1, { code: 200 }), OutOfRangeError);
  assert.doesNotMatch(r.metrics(), /hits_total\{/, 'no series was created by the refused calls');
  c.inc(1, { code: 200 });
  assert.match(r.metrics(), /^hits_total\{code="200"\} 1$/m);
});

// ---------------------------------------------------------------- null options, strings as arrays, non-iterables

test('null options objects are refused with a typed error', (t) => {
  assert.throws(() => new Histogram(null as never), typed(InvalidArgumentError, /Histogram options must be an object when given, got null/));
  assert.throws(() => new PerformanceMonitor(null as never), typed(InvalidArgumentError, /PerformanceMonitor options must be an object when given, got null/));
  assert.throws(() => new WindowTicker(null as never), typed(InvalidArgumentError, /WindowTicker options/));
  assert.throws(() => new MetricRegistry(null as never), typed(InvalidArgumentError, /MetricRegistry options/));
  assert.throws(() => new ResourceSampler(null as never), typed(InvalidArgumentError, /ResourceSampler options/));
  const r = new MetricRegistry();
  t.after(() => r.close());
  assert.throws(() => r.counter('c_total', null as never), typed(InvalidArgumentError, /MetricRegistry counter "c_total" options/));
  assert.throws(() => new PerformanceMonitor({ histogram: null as never }), typed(InvalidArgumentError, /PerformanceMonitor histogram/));
  const m = new PerformanceMonitor();
  t.after(() => m.close());
  assert.throws(() => m.define('x', null as never), typed(InvalidArgumentError, /PerformanceMonitor metric "x" definition/));
  assert.throws(() => m.readStat('x', 'p99', null as never), InvalidArgumentError);
});

test('a string is not an array of labels, buckets or quantiles; a number is not iterable', (t) => {
  const r = new MetricRegistry();
  t.after(() => r.close());
  assert.throws(() => r.counter('a_total', { help: 'x', labelNames: 'abc' as never }), typed(InvalidArgumentError, /MetricRegistry counter "a_total" labelNames must be an array, got "abc"/));
  assert.throws(() => r.counter('b_total', { help: 'x', labelNames: 5 as never }), typed(InvalidArgumentError, /labelNames must be an array, got 5/));
  assert.throws(() => r.histogram('h', { help: 'x', buckets: 5 as never }), typed(InvalidArgumentError, /MetricRegistry histogram "h" buckets must be an array, got 5/));
  assert.throws(() => r.histogram('h2', { help: 'x', buckets: '123' as never }), InvalidArgumentError);
  assert.throws(() => r.histogram('h3', { help: 'x', buckets: ['1' as never] }), typed(InvalidArgumentError, /buckets\[0\] \("1"\)/));
  assert.throws(() => r.summary('s', { help: 'x', quantiles: 0.5 as never }), InvalidArgumentError);
  assert.throws(() => new Counter('direct_total', { help: 'x', labelNames: 'abc' as never }), typed(InvalidArgumentError, /Counter "direct_total" labelNames must be an array/));
  // The refused names are still free.
  r.counter('a_total', { help: 'x', labelNames: ['abc'] });
  const m = new PerformanceMonitor();
  t.after(() => m.close());
  assert.throws(() => m.define('d', { labelNames: 'abc' as never }), InvalidArgumentError);
  assert.throws(() => m.track('t', 1, 'abc' as never), typed(InvalidArgumentError, /labels must be an object when given, got "abc"/));
  assert.equal(m.getStats('t'), null, 'the refused track created no metric');
  assert.throws(() => new Histogram().percentiles(5 as never), typed(InvalidArgumentError, /percentiles qs must be an array, got 5/));
});

test('labels of the wrong shape are refused on labelled and unlabelled metrics', () => {
  const r = new MetricRegistry();
  const plain = r.counter('plain_total', { help: 'x' });
  const labelled = r.counter('lab_total', { help: 'x', labelNames: ['code'] });
  for (const bad of [null, 5, 'code', Symbol('z')]) {
    assert.throws(() => plain.inc(1, bad as never), InvalidArgumentError);
    assert.throws(() => labelled.inc(1, bad as never), InvalidArgumentError);
  }
  assert.throws(() => plain.inc(1, { code: 1 }), typed(InvalidArgumentError, /has no labels, got label "code"/));
  plain.inc(1, {});
  assert.equal(plain.get(), 1);
  const idx = new LabelIndex(['a'], 'LabelIndex test', 10, (key) => ({ key }));
  assert.throws(() => idx.get(null as never), InvalidArgumentError);
  assert.throws(() => new LabelIndex('a' as never, 'x', 10, () => 1), InvalidArgumentError);
  assert.throws(() => new LabelIndex(['bad-name'], 'x', 10, () => 1), typed(Error as never, /LabelIndex x label name "bad-name"/));
});

test('the monitor refuses bad values and names before creating anything', (t) => {
  const m = new PerformanceMonitor();
  t.after(() => m.close());
  for (const bad of ['5', null, undefined, 10n, Symbol('v'), Number.NaN, -1]) {
    assert.throws(() => m.track('t', bad as never), (e: unknown) => e instanceof InvalidArgumentError || e instanceof OutOfRangeError);
  }
  assert.throws(() => m.increment(Symbol('n') as never, 1), InvalidArgumentError);
  assert.throws(() => m.increment('c', 10n as never), InvalidArgumentError);
  assert.throws(() => m.setGauge('g', Symbol('s') as never), InvalidArgumentError);
  assert.throws(() => m.startTimer(5 as never), InvalidArgumentError);
  assert.throws(() => m.track('t', 1, { 'bad-label': 'x' }), /label name "bad-label" must match/);
  assert.throws(() => m.getStats(5 as never), InvalidArgumentError);
  assert.deepEqual(m.names(), { tracked: [], counters: [], gauges: [] });
  assert.throws(() => m.addAlert({ name: 'a', metric: 'm', stat: 'p99', above: 1, recoverBelow: '0' as never }), InvalidArgumentError);
  assert.throws(() => m.addAlert({ name: 'a', metric: 'm', stat: 'p42' as never, above: 1 }), InvalidArgumentError);
  assert.throws(() => m.setBudget({ metric: 'm', stat: 'p99', max: '5' as never }), InvalidArgumentError);
  assert.throws(() => checkBudgets(m, 5 as never), typed(InvalidArgumentError, /checkBudgets budgets must be an array/));
  m.track('t', 1);
  assert.equal(m.getStats('t')!.count, 1);
  assert.doesNotThrow(() => m.metrics());
});

test('direct construction: WindowedCounter.add refuses non-numbers; series classes check their arguments', () => {
  const ticker = new WindowTicker({ now: () => 0 });
  const c = new WindowedCounter(ticker);
  c.add(2);
  for (const bad of ['1', null, 10n, -1, Number.NaN, Infinity]) assert.throws(() => c.add(bad as never), (e: unknown) => e instanceof InvalidArgumentError || e instanceof OutOfRangeError);
  assert.equal(c.total, 2);
  assert.throws(() => new WindowedCounter({} as never), InvalidArgumentError);
  assert.throws(() => new Summary('s', { help: 'x' }, {} as never), InvalidArgumentError);
  assert.throws(() => new BucketHistogram('b', { help: 'x', buckets: 'abc' as never }), InvalidArgumentError);
  assert.throws(() => new Gauge('g', { help: 'x', collect: 5 as never }), InvalidArgumentError);
});
