// The metrics area: every runtime export of src/metrics/index.ts, driven with
// hostile values by the harness (test/fuzz/harness.ts says what is asserted).
//
// Valid names of metrics, rules and sources are rewritten to a fresh one per
// call (see `fresh`), so a registration is not refused merely because the
// previous run registered the same name, and the other arguments stay fuzzed.
import assert from 'node:assert/strict';
import {
  AlertEngine,
  BucketHistogram,
  BucketHistogramSeries,
  Counter,
  CounterSeries,
  ExpositionWriter,
  Gauge,
  GaugeSeries,
  Histogram,
  LabelIndex,
  MetricRegistry,
  PerformanceMonitor,
  ResourceSampler,
  Summary,
  SummarySeries,
  WindowTicker,
  WindowedCounter,
  WindowedHistogram,
  assertLabelNames,
  assertMetricName,
  checkBudgets,
  collectPerformanceMetrics,
  escapeHelp,
  escapeLabelValue,
  formatValue,
  labelBlock,
  percentileRank,
  renderLabelPairs,
  statsOf,
  writeSummarySeries,
} from '../../../src/metrics/index.ts';
import { any, arr, bool, fn, int, num, opts, str, type AreaSpec, type ClassSpec, type Param } from '../harness.ts';

let seq = 0;
/** The valid name `base` becomes a new name on every call; any other value is passed as fuzzed. */
function fresh(v: unknown, base: string, sep = '_'): unknown {
  return v === base ? `${base}${sep}${++seq}` : v;
}

const clock = () => 1000;
const ticker = (): WindowTicker => new WindowTicker({ now: clock });
const KEY = { values: [] as string[], pairs: '' };

function windowed(): WindowedHistogram {
  const h = new WindowedHistogram(ticker(), { highestTrackableValue: 1e6 });
  h.record(3);
  return h;
}

const histogramFields: Record<string, Param> = {
  name: str('fuzz', true),
  lowestDiscernibleValue: num(1, true),
  highestTrackableValue: num(1e6, true),
  significantDigits: int(3, true),
};
const layoutFields: Record<string, Param> = {
  lowestDiscernibleValue: num(1e-6, true),
  highestTrackableValue: num(3600, true),
  significantDigits: int(2, true),
};
/** A labels argument with one label `code`. */
const codeLabels = (optional = true): Param => opts({ code: any('200') }, { code: '200' }, optional);
/** A labels argument with one label `route`, left out by default. */
const routeLabels = (): Param => ({ ...opts({ route: any('a') }, undefined, true), valid: undefined });
const metricOptions = (extra: Record<string, Param> = {}): Param =>
  opts({ help: str('Help.'), labelNames: arr(['code'], true), maxSeries: int(20, true), ...extra }, { help: 'Help.', labelNames: ['code'] }, false);

/** The labels a healthy check uses: `{ code: '200' }` when the metric has that label, none otherwise. */
function labelsFor(m: { labelNames: readonly string[] }): { code: string } | undefined {
  return m.labelNames.length > 0 ? { code: '200' } : undefined;
}
function sampleLine(name: string, labels: { code: string } | undefined, value: string): RegExp {
  return new RegExp(`^${name}${labels === undefined ? '' : '\\{code="200"\\}'} ${value}$`, 'm');
}

const histogram: ClassSpec<Histogram> = {
  name: 'Histogram',
  make: () => {
    const h = new Histogram({ name: 'fuzz', highestTrackableValue: 1e6 });
    h.record(5);
    h.record(5e6); // one overflow value
    return h;
  },
  ctor: { params: [opts(histogramFields)], call: (o) => new Histogram(o) },
  methods: {
    record: { params: [num(5)] },
    recordMany: { params: [num(5), int(2)] },
    equivalentRange: { params: [num(100)] },
    percentile: { params: [num(50)] },
    percentiles: { params: [arr([50, 99])] },
    countAtOrBelow: { params: [num(10)] },
    forEachBucket: { params: [fn(() => {})] },
    merge: { params: [any(new Histogram({ highestTrackableValue: 1000, significantDigits: 2 }))] },
    reset: { params: [] },
    cloneEmpty: { params: [str('copy', true)] },
    snapshot: { params: [] },
  },
  healthy: (h) => {
    const n = h.count;
    h.record(1);
    assert.equal(h.count, n + 1);
    assert.ok(Number.isFinite(h.percentile(50)), `p50 ${h.percentile(50)}`);
    assert.ok(Number.isFinite(h.max), `max ${h.max}`);
    // mean, sum and stdDev are doubles: accepted values near Number.MAX_VALUE (1e308 is one) overflow them, as documented.
    assert.equal(typeof h.snapshot().percentiles.p99, 'number');
  },
};

const windowTicker: ClassSpec<WindowTicker> = {
  name: 'WindowTicker',
  make: ticker,
  ctor: { params: [opts({ windowMs: num(60_000, true), slots: int(6, true), now: fn(clock, true) })], call: (o) => new WindowTicker(o) },
  methods: { update: { params: [] }, coveredMs: { params: [] }, start: { params: [] }, stop: { params: [] } },
  healthy: (t) => {
    assert.equal(typeof t.update(), 'number');
    assert.ok(t.coveredMs() >= 0);
  },
  dispose: (t) => t.stop(),
};

const windowedHistogram: ClassSpec<WindowedHistogram> = {
  name: 'WindowedHistogram',
  component: 'Histogram', // its own messages say WindowedHistogram, its layout's say Histogram "..."
  make: windowed,
  ctor: { params: [any(ticker()), opts(histogramFields)], call: (t, o) => new WindowedHistogram(t, o) },
  methods: { record: { params: [num(3)] }, sync: { params: [] }, window: { params: [] }, total: { params: [] }, reset: { params: [] } },
  healthy: (h) => {
    const n = h.total().count;
    h.record(1);
    assert.equal(h.total().count, n + 1);
    assert.ok(h.window().count >= 1);
  },
};

const windowedCounter: ClassSpec<WindowedCounter> = {
  name: 'WindowedCounter',
  make: () => new WindowedCounter(ticker()),
  ctor: { params: [any(ticker())], call: (t) => new WindowedCounter(t) },
  methods: { add: { params: [num(2)] }, windowSum: { params: [] }, rate: { params: [] }, reset: { params: [] } },
  healthy: (c) => {
    const n = c.total;
    c.add(1);
    // Totals are doubles: accepted huge increments (1e308) may overflow them to Infinity.
    assert.ok(n < 2 ** 53 ? c.total === n + 1 : c.total >= n);
    assert.equal(typeof c.windowSum(), 'number');
  },
};

const expositionWriter: ClassSpec<ExpositionWriter> = {
  name: 'ExpositionWriter',
  make: () => new ExpositionWriter(),
  methods: {
    header: { params: [str('up'), str('gauge'), str('Is up.')] },
    sample: { params: [str('up'), str(''), num(1)] },
    raw: { params: [str('up 1\n')] },
    text: { params: [] },
  },
  healthy: (w) => {
    w.sample('up', '', 1);
    assert.match(w.text(), /up 1\n$/);
  },
};

const labelIndex: ClassSpec<LabelIndex<{ key: unknown }>> = {
  name: 'LabelIndex',
  make: () => {
    const idx = new LabelIndex<{ key: unknown }>(['a', 'b'], 'LabelIndex fuzz', 100, (key) => ({ key }));
    idx.get({ a: 'x', b: 'y' });
    return idx;
  },
  ctor: {
    params: [arr(['a']), str('LabelIndex fuzz'), int(100), fn((key: unknown) => ({ key }))],
    call: (names, what, max, create) => new LabelIndex(names, what, max, create),
  },
  methods: {
    get: { params: [opts({ a: any('x'), b: any('y') }, { a: 'x', b: 'y' }, false)] },
    find: { params: [opts({ a: any('x'), b: any('y') }, { a: 'x', b: 'y' }, false)] },
    values: { params: [] },
    clear: { params: [] },
  },
  healthy: (idx) => {
    const labels = Object.fromEntries(idx.names.map((n) => [n, 'x']));
    const s = idx.get(labels);
    assert.equal(idx.get({ ...labels }), s);
    assert.equal(idx.find(labels), s);
  },
};

const registry: ClassSpec<MetricRegistry> = {
  name: 'MetricRegistry',
  make: () => new MetricRegistry({ now: clock }),
  ctor: { params: [opts({ now: fn(clock, true) })], call: (o) => new MetricRegistry(o) },
  methods: {
    reserve: { params: [str('fuzz_reserved'), str('gauge')], call: (r, name, type) => r.reserve(fresh(name, 'fuzz_reserved') as string, type) },
    has: { params: [str('fuzz_reserved')] },
    get: { params: [str('fuzz_reserved')] },
    counter: { params: [str('fuzz_c_total'), metricOptions()], call: (r, name, o) => r.counter(fresh(name, 'fuzz_c_total') as string, o) },
    gauge: { params: [str('fuzz_g'), metricOptions({ collect: fn(() => {}, true) })], call: (r, name, o) => r.gauge(fresh(name, 'fuzz_g') as string, o) },
    histogram: {
      params: [str('fuzz_h'), metricOptions({ buckets: arr([0.1, 1], true) })],
      call: (r, name, o) => r.histogram(fresh(name, 'fuzz_h') as string, o),
    },
    summary: {
      params: [str('fuzz_s'), metricOptions({ quantiles: arr([0.5, 0.99], true), windowMs: num(60_000, true), slots: int(6, true), ...layoutFields })],
      call: (r, name, o) => r.summary(fresh(name, 'fuzz_s') as string, o),
    },
    ticker: { params: [num(60_000), int(6)] },
    register: { params: [any({ collect: () => {} })] },
    metrics: { params: [] },
    close: { params: [] },
  },
  healthy: (r) => {
    const c = r.counter(`fuzz_health_${++seq}_total`, { help: 'Health.' });
    c.inc();
    assert.match(r.metrics(), new RegExp(`^${c.name} 1$`, 'm'));
  },
  dispose: (r) => r.close(),
};

const counter: ClassSpec<Counter> = {
  name: 'Counter',
  make: () => new Counter('fuzz_total', { help: 'Help.', labelNames: ['code'], maxSeries: 30 }),
  ctor: { params: [str('fuzz_total'), metricOptions()], call: (name, o) => new Counter(name, o) },
  methods: {
    inc: { params: [num(1, true), codeLabels(false)] },
    labels: { params: [codeLabels(false)] },
    get: { params: [codeLabels(false)] },
    collect: { params: [any(new ExpositionWriter())] },
  },
  healthy: (c) => {
    const l = labelsFor(c);
    const v = c.get(l);
    c.inc(1, l);
    assert.equal(c.get(l), v + 1);
    const w = new ExpositionWriter();
    c.collect(w);
    assert.match(w.text(), sampleLine(c.name, l, '(?:[0-9.e+]+|\\+Inf)'));
  },
};

const counterSeries: ClassSpec<CounterSeries> = {
  name: 'CounterSeries',
  make: () => new CounterSeries(KEY, 'CounterSeries fuzz'),
  ctor: { params: [any(KEY), str('CounterSeries fuzz')], call: (k, what) => new CounterSeries(k, what) },
  methods: { inc: { params: [num(1, true)] } },
  healthy: (s) => {
    const v = s.value;
    s.inc();
    assert.equal(s.value, v + 1);
  },
};

const gauge: ClassSpec<Gauge> = {
  name: 'Gauge',
  make: () => new Gauge('fuzz_gauge', { help: 'Help.', labelNames: ['code'], maxSeries: 30 }),
  ctor: { params: [str('fuzz_gauge'), metricOptions({ collect: fn(() => {}, true) })], call: (name, o) => new Gauge(name, o) },
  methods: {
    set: { params: [num(3), codeLabels(false)] },
    inc: { params: [num(1, true), codeLabels(false)] },
    dec: { params: [num(1, true), codeLabels(false)] },
    labels: { params: [codeLabels(false)] },
    get: { params: [codeLabels(false)] },
    collect: { params: [any(new ExpositionWriter())] },
  },
  healthy: (g) => {
    const l = labelsFor(g);
    g.set(7, l);
    assert.equal(g.get(l), 7);
    const w = new ExpositionWriter();
    g.collect(w);
    assert.match(w.text(), sampleLine(g.name, l, '7'));
  },
};

const gaugeSeries: ClassSpec<GaugeSeries> = {
  name: 'GaugeSeries',
  make: () => new GaugeSeries(KEY),
  ctor: { params: [any(KEY)], call: (k) => new GaugeSeries(k) },
  methods: { set: { params: [num(2)] }, inc: { params: [num(1, true)] }, dec: { params: [num(1, true)] } },
  healthy: (s) => {
    s.set(4);
    s.inc();
    assert.equal(s.value, 5);
  },
};

const bucketHistogram: ClassSpec<BucketHistogram> = {
  name: 'BucketHistogram',
  component: 'Histogram', // a BucketHistogram is exposed, and named in messages, as a Prometheus histogram
  make: () => new BucketHistogram('fuzz_h', { help: 'Help.', labelNames: ['code'], buckets: [0.1, 1], maxSeries: 30 }),
  ctor: { params: [str('fuzz_h'), metricOptions({ buckets: arr([0.1, 1], true) })], call: (name, o) => new BucketHistogram(name, o) },
  methods: {
    observe: { params: [num(0.5), codeLabels(false)] },
    labels: { params: [codeLabels(false)] },
    collect: { params: [any(new ExpositionWriter())] },
  },
  healthy: (h) => {
    const l = labelsFor(h);
    const s = h.labels(l ?? {});
    const n = s.count;
    h.observe(0.05, l);
    assert.equal(s.count, n + 1);
    const w = new ExpositionWriter();
    h.collect(w);
    assert.match(w.text(), sampleLine(`${h.name}_count`, l, '\\d+'));
  },
};

const bucketHistogramSeries: ClassSpec<BucketHistogramSeries> = {
  name: 'BucketHistogramSeries',
  make: () => new BucketHistogramSeries(KEY, new Float64Array([0.1, 1]), 'BucketHistogramSeries fuzz'),
  ctor: {
    params: [any(KEY), any(new Float64Array([0.1, 1])), str('BucketHistogramSeries fuzz')],
    call: (k, b, what) => new BucketHistogramSeries(k, b, what),
  },
  methods: { observe: { params: [num(0.5)] } },
  healthy: (s) => {
    const n = s.count;
    s.observe(0.05);
    assert.equal(s.count, n + 1);
    assert.equal(typeof s.sum, 'number'); // a double: accepted 1e308 observations may overflow it
  },
};

const summary: ClassSpec<Summary> = {
  name: 'Summary',
  make: () => new Summary('fuzz_s', { help: 'Help.', labelNames: ['code'], maxSeries: 30 }, ticker()),
  ctor: {
    params: [str('fuzz_s'), metricOptions({ quantiles: arr([0.5, 0.99], true), ...layoutFields }), any(ticker())],
    call: (name, o, t) => new Summary(name, o, t),
  },
  methods: {
    observe: { params: [num(0.5), codeLabels(false)] },
    labels: { params: [codeLabels(false)] },
    collect: { params: [any(new ExpositionWriter())] },
  },
  healthy: (s) => {
    const l = labelsFor(s);
    const h = s.labels(l ?? {}).histogram;
    const n = h.total().count;
    s.observe(0.05, l);
    assert.equal(h.total().count, n + 1);
    const w = new ExpositionWriter();
    s.collect(w);
    assert.match(w.text(), sampleLine(`${s.name}_count`, l, '\\d+'));
  },
};

const summarySeries: ClassSpec<SummarySeries> = {
  name: 'SummarySeries',
  make: () => new SummarySeries(KEY, windowed()),
  ctor: { params: [any(KEY), any(windowed())], call: (k, h) => new SummarySeries(k, h) },
  methods: { observe: { params: [num(0.5)] } },
  healthy: (s) => {
    const n = s.histogram.total().count;
    s.observe(0.01);
    assert.equal(s.histogram.total().count, n + 1);
  },
};

const monitorLayout = opts({ lowestDiscernibleValue: num(0.001, true), highestTrackableValue: num(3_600_000, true), significantDigits: int(2, true) });

const monitor: ClassSpec<PerformanceMonitor> = {
  name: 'PerformanceMonitor',
  make: () => {
    const m = new PerformanceMonitor({ now: clock, maxSeries: 50 });
    m.track('fz.t', 5, { route: 'a' });
    m.increment('fz.c');
    m.setGauge('fz.g', 1);
    return m;
  },
  ctor: {
    params: [
      opts({
        windowMs: num(60_000, true),
        slots: int(6, true),
        now: fn(clock, true),
        histogram: monitorLayout,
        maxSeries: int(100, true),
        registry: any(undefined, true),
        prefix: str('fz_', true),
      }),
    ],
    call: (o) => new PerformanceMonitor(o),
  },
  methods: {
    define: {
      params: [str('fz.def'), opts({ unit: str('ms', true), help: str('Help.', true), labelNames: arr(['a'], true), ...layoutFields }, {}, false)],
      call: (m, name, d) => m.define(fresh(name, 'fz.def', '.') as string, d),
    },
    track: { params: [str('fz.t'), num(5), opts({ route: any('a') }, { route: 'a' }, true)] },
    startTimer: {
      params: [str('fz.timer'), routeLabels()],
      call: (m, name, labels) => m.startTimer(name, labels)(),
    },
    increment: { params: [str('fz.c'), num(1, true), routeLabels()] },
    setGauge: { params: [str('fz.g'), num(3), routeLabels()] },
    getStats: { params: [str('fz.t'), opts({ route: any('a') }, { route: 'a' }, true)] },
    getWindowStats: { params: [str('fz.t'), opts({ route: any('a') }, { route: 'a' }, true)] },
    getCounter: { params: [str('fz.c'), routeLabels()] },
    getGauge: { params: [str('fz.g'), routeLabels()] },
    readStat: { params: [str('fz.t'), str('p99'), opts({ labels: any(undefined, true), window: bool(true, true) })] },
    names: { params: [] },
    register: {
      params: [str('fz.src'), any({ stats: () => ({ a: 1, nested: { b: true } }) })],
      call: (m, name, source) => m.register(fresh(name, 'fz.src', '.') as string, source),
    },
    unregister: { params: [str('fz.src')] },
    generateReport: { params: [] },
    startAutoReporting: {
      params: [num(60_000), fn(() => {})],
      call: (m, ms, sink) => m.startAutoReporting(ms, sink)(),
    },
    stopAutoReporting: { params: [] },
    addAlert: {
      params: [
        opts(
          {
            name: str('fz.alert'),
            metric: str('fz.t'),
            stat: str('p99'),
            above: num(10, true),
            below: num(1, true),
            recoverBelow: num(8, true),
            recoverAbove: num(2, true),
            labels: any(undefined, true),
            window: bool(true, true),
            forEvaluations: int(1, true),
          },
          { name: 'fz.alert', metric: 'fz.t', stat: 'p99', above: 10 },
          false,
        ),
      ],
      call: (m, rule) => m.addAlert(rule !== null && typeof rule === 'object' ? { ...rule, name: fresh(rule.name, 'fz.alert', '.') } : rule),
    },
    removeAlert: { params: [str('fz.alert')] },
    evaluateAlerts: { params: [] },
    firingAlerts: { params: [] },
    watchAlerts: { params: [num(60_000)], call: (m, ms) => m.watchAlerts(ms)() },
    setBudget: {
      params: [
        opts(
          {
            metric: str('fz.t'),
            stat: str('p99'),
            max: num(100, true),
            min: num(0, true),
            name: str('b', true),
            labels: any(undefined, true),
            window: bool(false, true),
            requireData: bool(false, true),
          },
          { metric: 'fz.t', stat: 'p99', max: 100 },
          false,
        ),
      ],
    },
    checkBudgets: { params: [] },
    assertBudgets: { params: [] },
    metrics: { params: [] },
    collect: { params: [any(new ExpositionWriter())] },
    close: { params: [] },
  },
  healthy: (m) => {
    const n = m.getStats('fz.t', { route: 'a' })?.count ?? 0;
    m.track('fz.t', 1, { route: 'a' });
    assert.equal(m.getStats('fz.t', { route: 'a' })!.count, n + 1);
    assert.equal(typeof m.metrics(), 'string');
    assert.equal(typeof m.generateReport().timestamp, 'number');
  },
  dispose: (m) => m.close(),
};

const alertEngine: ClassSpec<AlertEngine> = {
  name: 'AlertEngine',
  make: () => new AlertEngine({ readStat: () => 1, emit: () => true }),
  ctor: { params: [any({ readStat: () => 1, emit: () => true }), str('AlertEngine', true)], call: (h, c) => new AlertEngine(h, c) },
  methods: {
    add: {
      params: [
        opts(
          { name: str('r'), metric: str('m'), stat: str('p99'), above: num(10, true), below: num(1, true), recoverBelow: num(8, true), recoverAbove: num(2, true), labels: any(undefined, true), window: bool(true, true), forEvaluations: int(1, true) },
          { name: 'r', metric: 'm', stat: 'p99', above: 10 },
          false,
        ),
      ],
      call: (e, rule) => e.add(rule !== null && typeof rule === 'object' ? { ...rule, name: fresh(rule.name, 'r') } : rule),
    },
    remove: { params: [str('r')] },
    firing: { params: [] },
    evaluate: { params: [] },
  },
  healthy: (e) => {
    e.add({ name: `health_${++seq}`, metric: 'm', stat: 'value', above: 0 });
    assert.ok(Array.isArray(e.evaluate()));
  },
};

const sampler: ClassSpec<ResourceSampler> = {
  name: 'ResourceSampler',
  make: () => new ResourceSampler(),
  ctor: {
    params: [opts({ eventLoopResolutionMs: int(10, true), includeLoopback: bool(false, true), procRoot: str('/proc', true), now: fn(() => performance.now(), true) })],
    call: (o) => new ResourceSampler(o),
  },
  methods: {
    sample: { params: [] },
    start: { params: [num(60_000)] },
    latest: { params: [] },
    stats: { params: [] },
    close: { params: [] },
  },
  healthy: (s) => {
    const sample = s.sample();
    assert.ok(sample.memory.rss > 0);
    assert.equal(s.latest(), sample);
  },
  dispose: (s) => s.close(),
};

const host = { readStat: () => 1 };
const liveMonitor = new PerformanceMonitor({ now: clock });
liveMonitor.track('request.duration', 3);
const exposition = new ExpositionWriter();

const spec: AreaSpec = {
  area: 'metrics',
  classes: [
    histogram,
    windowTicker,
    windowedHistogram,
    windowedCounter,
    expositionWriter,
    labelIndex,
    registry,
    counter,
    counterSeries,
    gauge,
    gaugeSeries,
    bucketHistogram,
    bucketHistogramSeries,
    summary,
    summarySeries,
    monitor,
    alertEngine,
    sampler,
  ],
  functions: [
    { name: 'percentileRank', call: (q, n) => percentileRank(q, n), params: [num(50), int(10)] },
    // The component of these two is their `what` argument (a caller's name for itself), fuzzed too;
    // when it is refused the message names the function instead. test/metrics/helpers.test.ts checks both.
    { name: 'assertMetricName', component: '', call: (n, what) => assertMetricName(n, what), params: [str('http_requests_total'), str('Counter')] },
    { name: 'assertLabelNames', component: '', call: (n, what, r) => assertLabelNames(n, what, r), params: [arr(['method']), str('Counter'), arr(['le'], true)] },
    { name: 'escapeHelp', call: (h) => escapeHelp(h), params: [str('a\\b\nc')] },
    { name: 'escapeLabelValue', call: (v) => escapeLabelValue(v), params: [str('a"b')] },
    { name: 'formatValue', call: (v) => formatValue(v), params: [num(1.5)] },
    { name: 'labelBlock', call: (p) => labelBlock(p), params: [str('a="x"')] },
    { name: 'renderLabelPairs', call: (n, v) => renderLabelPairs(n, v), params: [arr(['a']), arr(['x'])] },
    {
      name: 'writeSummarySeries',
      call: (...a: unknown[]) => (writeSummarySeries as (...x: unknown[]) => void)(...a),
      params: [any(exposition), str('rpc_seconds'), str(''), any(windowed()), arr(['0.5']), arr([50]), num(1)],
    },
    { name: 'statsOf', call: (h) => statsOf(h), params: [any(new Histogram())] },
    { name: 'checkBudgets', call: (h, b) => checkBudgets(h, b), params: [any(host), arr([{ metric: 'm', stat: 'p99', max: 1 }])] },
    {
      name: 'collectPerformanceMetrics',
      call: (m, s, n) => collectPerformanceMetrics(m, s, n),
      params: [
        any(liveMonitor),
        any(null, true),
        opts({ latency: str('request.duration', true), requests: str('requests', true), bytes: str('bytes', true), messages: str('messages', true), errors: str('errors', true), timeouts: str('timeouts', true), failures: str('failures', true) }),
      ],
    },
  ],
  exempt: {
    CardinalityError: 'an error class: built by the package',
    BudgetExceededError: 'an error class: built by the package from violations',
  },
  exemptMethods: {
    PerformanceMonitor: Object.fromEntries(
      ['on', 'once', 'off', 'emit', 'addListener', 'removeListener', 'removeAllListeners', 'setMaxListeners', 'getMaxListeners', 'listeners', 'rawListeners', 'listenerCount', 'prependListener', 'prependOnceListener', 'eventNames'].map((k) => [
        k,
        "inherited from node:events EventEmitter: Node's own API and argument checks, not ours",
      ]),
    ),
  },
};
export default spec;
