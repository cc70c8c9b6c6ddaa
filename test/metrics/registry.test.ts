import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MetricRegistry, DEFAULT_BUCKETS } from '../../src/metrics/registry.ts';
import { PROMETHEUS_CONTENT_TYPE, escapeLabelValue, escapeHelp, formatValue, ExpositionWriter } from '../../src/metrics/exposition.ts';
import { ErrorCode } from '../../src/errors.ts';
import { assertPromtoolAccepts, checkExposition } from '../helpers/prometheus.ts';

function fakeClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('a registry with every metric type passes promtool and the structural checks', () => {
  const r = new MetricRegistry();
  const c = r.counter('blobs_served_total', { help: 'Blobs served.', labelNames: ['status'] });
  c.inc(1, { status: 'hit' });
  c.inc(4, { status: 'miss' });
  const g = r.gauge('queue_depth', { help: 'Tasks queued.' });
  g.set(7);
  const h = r.histogram('request_duration_seconds', { help: 'Request time.', labelNames: ['route'], buckets: [0.01, 0.1, 1] });
  for (const v of [0.005, 0.05, 0.5, 5, 0.01, 0.1]) h.observe(v, { route: '/blobs' });
  h.observe(0.2, { route: '/stats' });
  const s = r.summary('rpc_duration_seconds', { help: 'RPC time.', labelNames: ['peer'] });
  for (let i = 1; i <= 100; i++) s.observe(i / 1000, { peer: 'a' });
  const text = r.metrics();
  assertPromtoolAccepts(text);
  const { samples, types } = checkExposition(text);
  assert.equal(types.get('blobs_served_total'), 'counter');
  assert.equal(types.get('request_duration_seconds'), 'histogram');
  assert.equal(types.get('rpc_duration_seconds'), 'summary');
  const find = (name: string, labels: Record<string, string>) =>
    samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value;
  assert.equal(find('blobs_served_total', { status: 'miss' }), 4);
  assert.equal(find('queue_depth', {}), 7);
  // Bucket bounds are inclusive (le): 0.01 and 0.1 fall in their own buckets.
  assert.equal(find('request_duration_seconds_bucket', { route: '/blobs', le: '0.01' }), 2);
  assert.equal(find('request_duration_seconds_bucket', { route: '/blobs', le: '0.1' }), 4);
  assert.equal(find('request_duration_seconds_bucket', { route: '/blobs', le: '1' }), 5);
  assert.equal(find('request_duration_seconds_bucket', { route: '/blobs', le: '+Inf' }), 6);
  assert.ok(Math.abs(find('request_duration_seconds_sum', { route: '/blobs' })! - 5.665) < 1e-9);
  const p99 = find('rpc_duration_seconds', { peer: 'a', quantile: '0.99' })!;
  assert.ok(Math.abs(p99 - 0.099) <= 0.099 * 0.01 + 1e-6, `p99 ${p99}`);
  assert.equal(find('rpc_duration_seconds_count', { peer: 'a' }), 100);
  assert.match(PROMETHEUS_CONTENT_TYPE, /version=0\.0\.4/);
  r.close();
});

test('label values and help text are escaped; promtool accepts the result', () => {
  const r = new MetricRegistry();
  const c = r.counter('odd_labels_total', { help: 'Back\\slash and\nnewline in help.', labelNames: ['path'] });
  const nasty = ['a"quote', 'back\\slash', 'new\nline', 'ünïcode ✓', '{}=,', ''];
  nasty.forEach((v, i) => c.inc(i + 1, { path: v }));
  const text = r.metrics();
  assert.ok(text.includes('# HELP odd_labels_total Back\\\\slash and\\nnewline in help.'));
  assert.ok(text.includes('path="a\\"quote"'));
  assert.ok(text.includes('path="back\\\\slash"'));
  assert.ok(text.includes('path="new\\nline"'));
  assertPromtoolAccepts(text);
  const { samples } = checkExposition(text);
  assert.deepEqual(samples.map((s) => s.labels.path), nasty, 'every value round-trips through escaping');
});

test('escaping round-trips any string (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      const escaped = escapeLabelValue(s);
      if (/(^|[^\\])"/.test(escaped.replace(/\\\\/g, ''))) return false;
      if (escaped.includes('\n')) return false;
      const back = escaped.replace(/\\(\\|"|n)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      return back === s && !escapeHelp(s).includes('\n');
    }),
    { seed: 3, numRuns: 500 },
  );
});

test('values are formatted as Prometheus parses them', () => {
  assert.equal(formatValue(Infinity), '+Inf');
  assert.equal(formatValue(-Infinity), '-Inf');
  assert.equal(formatValue(NaN), 'NaN');
  assert.equal(formatValue(1e21), '1e+21');
  assert.equal(formatValue(0.5), '0.5');
});

test('invalid metric and label names are rejected at registration with a clear error', () => {
  const r = new MetricRegistry();
  const code = (e: unknown) => (e as { code?: string }).code === ErrorCode.METRIC_NAME;
  assert.throws(() => r.counter('1bad', { help: 'x' }), (e: unknown) => code(e) && /"1bad" is not a valid Prometheus metric name/.test((e as Error).message));
  assert.throws(() => r.counter('has-dash_total', { help: 'x' }), code);
  assert.throws(() => r.gauge('ok', { help: 'x', labelNames: ['bad-label'] }), /label name "bad-label" must match/);
  assert.throws(() => r.gauge('ok2', { help: 'x', labelNames: ['__reserved'] }), /must not start with "__"/);
  assert.throws(() => r.histogram('h', { help: 'x', labelNames: ['le'] }), /"le" is reserved/);
  assert.throws(() => r.summary('s', { help: 'x', labelNames: ['quantile'] }), /"quantile" is reserved/);
  assert.throws(() => r.gauge('dup', { help: 'x', labelNames: ['a', 'a'] }), /"a" is repeated/);
  assert.throws(() => r.gauge('nohelp', { help: '' }), /help must be a non-empty string/);
  assert.throws(() => r.histogram('hb', { help: 'x', buckets: [1, 1] }), /buckets\[1\] \(1\) must be a finite number greater than the bucket before it/);
  assert.throws(() => r.summary('sq', { help: 'x', quantiles: [1.5] }), /quantile \(1\.5\) must be a number in \(0, 1\]/);
});

test('names that would write the same samples clash at registration', () => {
  const r = new MetricRegistry();
  r.histogram('latency', { help: 'x' });
  assert.throws(() => r.counter('latency', { help: 'x' }), /clashes with the already registered "latency"/);
  assert.throws(() => r.gauge('latency_count', { help: 'x' }), /both would write samples named "latency_count"/);
  assert.throws(() => r.gauge('latency_bucket', { help: 'x' }), /latency_bucket/);
  r.gauge('other_sum', { help: 'x' });
  assert.throws(() => r.summary('other', { help: 'x' }), /other_sum/);
  r.close();
});

test('labels: missing, extra, wrong type; 200 and "200" are one series; cardinality is bounded', () => {
  const r = new MetricRegistry();
  const c = r.counter('http_total', { help: 'x', labelNames: ['method', 'code'], maxSeries: 3 });
  c.inc(1, { method: 'GET', code: 200 });
  c.inc(1, { code: '200', method: 'GET' });
  assert.equal(c.get({ method: 'GET', code: '200' }), 2);
  assert.throws(() => c.inc(1, { method: 'GET' }), (e: unknown) => e instanceof TypeError && /label "code" is missing/.test((e as Error).message));
  assert.throws(() => c.inc(1, { method: 'GET', code: 1, extra: 'x' }), /has no label "extra"/);
  assert.throws(() => c.inc(1, { method: 'GET', code: {} as unknown as string }), /must be a string, number or boolean/);
  const u = r.counter('odd_total', { help: 'x', labelNames: ['method', 'code'] });
  u.inc(1, { method: 'GET', code: 'undefined' });
  assert.throws(() => u.inc(1, { method: 'GET', other: 1 } as never), /label "code" is missing/, 'a missing label never matches the string "undefined"');
  c.inc(1, { method: 'PUT', code: 201 });
  c.inc(1, { method: 'PUT', code: 500 });
  assert.throws(() => c.inc(1, { method: 'PUT', code: 503 }), (e: unknown) => (e as { code?: string }).code === ErrorCode.CARDINALITY && /maxSeries \(3\)/.test((e as Error).message));
  assert.equal(c.get({ method: 'PUT', code: 500 }), 1);
});

test('counters reject negative and non-finite increments', () => {
  const r = new MetricRegistry();
  const c = r.counter('c_total', { help: 'x' });
  assert.throws(() => c.inc(-1), /increment \(-1\) must be a number >= 0/);
  assert.throws(() => c.inc(NaN), RangeError);
  assert.throws(() => c.inc(Infinity), RangeError);
  c.inc();
  c.labels({}).inc(2);
  assert.equal(c.get(), 3);
});

test('gauges: set, inc, dec, labels handle and a pull callback run before each scrape', () => {
  const r = new MetricRegistry();
  let depth = 0;
  r.gauge('pulled', { help: 'x', collect: (g) => g.set(++depth) });
  const g = r.gauge('pushed', { help: 'x', labelNames: ['pool'] });
  const handle = g.labels({ pool: 'a' });
  handle.inc(5);
  handle.dec(2);
  g.set(9, { pool: 'b' });
  assert.equal(g.get({ pool: 'a' }), 3);
  assert.match(r.metrics(), /^pulled 1$/m);
  assert.match(r.metrics(), /^pulled 2$/m);
  assert.match(r.metrics(), /^pushed\{pool="b"\} 9$/m);
});

test('histogram buckets: default Prometheus buckets, boundaries inclusive, NaN rejected', () => {
  const r = new MetricRegistry();
  const h = r.histogram('h_seconds', { help: 'x' });
  assert.deepEqual(h.buckets, DEFAULT_BUCKETS);
  for (const b of DEFAULT_BUCKETS) h.observe(b);
  h.observe(100);
  const { samples } = checkExposition(r.metrics());
  const buckets = samples.filter((s) => s.name === 'h_seconds_bucket').map((s) => s.value);
  assert.deepEqual(buckets, [...DEFAULT_BUCKETS.map((_, i) => i + 1), DEFAULT_BUCKETS.length + 1]);
  assert.throws(() => h.observe(NaN), /cannot observe NaN/);
});

test('histograms stay cumulative with +Inf equal to _count for random data (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: -10, max: 100, noNaN: true }), { maxLength: 200 }), (values) => {
      const r = new MetricRegistry();
      const h = r.histogram('p_seconds', { help: 'x', labelNames: ['k'], buckets: [-1, 0, 0.5, 1, 2, 8, 50] });
      values.forEach((v, i) => h.observe(v, { k: i % 3 }));
      checkExposition(r.metrics());
      return true;
    }),
    { seed: 11, numRuns: 100 },
  );
});

test('summary quantiles follow the window; _sum and _count are cumulative; empty window gives NaN', () => {
  const clock = fakeClock();
  const r = new MetricRegistry({ now: clock.now });
  const s = r.summary('job_seconds', { help: 'x', windowMs: 60_000, slots: 6 });
  for (let i = 0; i < 100; i++) s.observe(1);
  let text = r.metrics();
  assert.match(text, /^job_seconds\{quantile="0.5"\} 1$/m);
  clock.advance(120_000);
  // Writes never read the clock: the window moves when the ticker updates (its
  // timer, or a scrape), so let a scrape see the new time before observing.
  r.metrics();
  for (let i = 0; i < 10; i++) s.observe(3);
  text = r.metrics();
  assert.match(text, /^job_seconds\{quantile="0.5"\} 3$/m, 'old values left the window');
  assert.match(text, /^job_seconds_count 110$/m);
  assert.match(text, /^job_seconds_sum 130$/m);
  clock.advance(120_000);
  text = r.metrics();
  assert.match(text, /^job_seconds\{quantile="0.99"\} NaN$/m);
  assertPromtoolAccepts(text);
  r.close();
});

test('custom collectors reserve their names and write through the writer', () => {
  const r = new MetricRegistry();
  r.reserve('custom_up', 'gauge');
  assert.ok(r.has('custom_up'));
  assert.throws(() => r.gauge('custom_up', { help: 'x' }), /clashes/);
  r.register({
    collect(w: ExpositionWriter) {
      w.header('custom_up', 'gauge', 'Custom.');
      w.sample('custom_up', '{zone="a"}', 1);
    },
  });
  const text = r.metrics();
  assert.match(text, /^custom_up\{zone="a"\} 1$/m);
  assertPromtoolAccepts(text);
  assert.throws(() => r.register({} as never), /collect\(writer\)/);
  assert.throws(() => r.reserve('x', 'bogus' as never), /not one of/);
});
