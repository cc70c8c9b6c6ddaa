/**
 * MetricRegistry: counters, gauges, histograms and summaries, exposed in the
 * Prometheus text format 0.0.4.
 *
 * Names are checked when a metric is registered, not at scrape time: the
 * metric name and label names must be valid, and none of the sample names a
 * family writes (`x`, `x_bucket`, `x_sum`, `x_count`) may clash with another
 * family's. Collectors that create families on the fly (the
 * PerformanceMonitor) reserve each name through `reserve()` when it first
 * appears, so a clash is reported where it is caused.
 *
 * Each series renders its label block once, at creation; a scrape only
 * concatenates. Summaries are backed by windowed HDR histograms: quantiles
 * describe the last `windowMs`, `_sum`/`_count` are cumulative.
 */
import { BlackholeError, ErrorCode, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { checkArray, checkFunction, checkNumber, checkOneOf, checkOptions, checkString, checkTimerMs } from '../validate.ts';
import {
  ExpositionWriter,
  LabelIndex,
  assertLabelNames,
  assertMetricName,
  formatValue,
  labelBlock,
  type Labels,
  type MetricType,
  type SeriesKey,
  writeSummaryLines,
} from './exposition.ts';
import { Histogram, type HistogramOptions } from './histogram.ts';
import { WindowTicker, type Clock } from './window-ticker.ts';
import { WindowedHistogram } from './windowed-histogram.ts';

/** Something that writes metric families into a scrape. */
export interface Collector {
  /** Writes this collector's families (HELP, TYPE and samples). */
  collect(writer: ExpositionWriter): void;
}

/** Options shared by every metric type. */
export interface MetricOptions {
  /** HELP text: what the metric measures, in one sentence. */
  help: string;
  /** Label names, in the order used in the output. Default none. */
  labelNames?: readonly string[];
  /** Series limit; past it, a new label combination throws. Default 10 000. */
  maxSeries?: number;
}

/** Options of {@link MetricRegistry.histogram}. */
export interface BucketHistogramOptions extends MetricOptions {
  /** Upper bounds (`le`), strictly increasing finite numbers; `+Inf` is implicit. Default Prometheus's 0.005 to 10 (seconds). */
  buckets?: readonly number[];
}

/** Options of {@link MetricRegistry.summary}. */
export interface SummaryOptions extends MetricOptions, Omit<HistogramOptions, 'name'> {
  /** Quantiles to expose, each in (0, 1]. Default [0.5, 0.9, 0.95, 0.99]. */
  quantiles?: readonly number[];
  /** Sliding window of the quantiles, ms. Default 60 000. */
  windowMs?: number;
  /** Periods in the window. Default 6. */
  slots?: number;
}

/** Options of {@link MetricRegistry}. */
export interface MetricRegistryOptions {
  /** Monotonic clock for summary windows, ms. Default `performance.now`. */
  now?: Clock;
}

/** Prometheus's default histogram buckets (seconds). */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DEFAULT_QUANTILES: readonly number[] = [0.5, 0.9, 0.95, 0.99];
const DEFAULT_MAX_SERIES = 10_000;
const NO_LABELS: Labels = {};

function checkHelp(help: unknown, what: string): string {
  if (typeof help !== 'string' || help.length === 0) {
    throw new BlackholeError(ErrorCode.METRIC_NAME, `${what} help must be a non-empty string, got ${describe(help)}`);
  }
  return help;
}

function checkMaxSeries(v: number | undefined, what: string): number {
  return v === undefined ? DEFAULT_MAX_SERIES : checkNumber(what, 'maxSeries', v, { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER });
}

/**
 * Set by the registry while it builds a metric, so that the metric's messages
 * name the registry ("MetricRegistry counter "x" ..."); a metric built
 * directly names its class ("Counter "x" ...").
 */
let building: string | null = null;

function whatOf(kind: string, name: string): string {
  return building === null ? `${kind} "${name}"` : `${building} ${kind.toLowerCase()} "${name}"`;
}

/** Checks a SeriesKey argument of a series constructor. */
function checkKey(component: string, key: unknown): SeriesKey {
  const k = key as SeriesKey;
  if (typeof key !== 'object' || key === null || typeof k.pairs !== 'string' || !Array.isArray(k.values)) {
    throw new InvalidArgumentError(`${component} key must be a SeriesKey ({ values: string[], pairs: string }), got ${describe(key)}`);
  }
  return k;
}

/** Checks the `labels` argument of a write: undefined or an object. */
function checkLabelsArg(what: string, labels: unknown): void {
  if (labels !== undefined && (typeof labels !== 'object' || labels === null || Array.isArray(labels))) {
    throw new InvalidArgumentError(`${what} labels must be an object when given, got ${describe(labels)}`);
  }
}

/** The shape every registered metric shares: one series when unlabelled, an index otherwise. */
abstract class Metric<S> implements Collector {
  /** Metric (family) name. */
  readonly name: string;
  /** HELP text. */
  readonly help: string;
  /** Label names, in output order. */
  readonly labelNames: readonly string[];
  protected readonly index: LabelIndex<S> | null;
  protected single: S | null = null;

  /** Names the metric in messages. */
  protected readonly what: string;

  constructor(kind: string, name: string, options: MetricOptions, reserved: readonly string[]) {
    assertMetricName(name, building === null ? kind : `${building} ${kind.toLowerCase()}`);
    const what = whatOf(kind, name);
    const o = checkOptions(what, 'options', options);
    this.what = what;
    this.name = name;
    this.help = checkHelp(o.help, what);
    this.labelNames = o.labelNames === undefined ? [] : [...checkArray<string>(what, 'labelNames', o.labelNames)];
    assertLabelNames(this.labelNames, what, reserved);
    const maxSeries = checkMaxSeries(o.maxSeries, what);
    this.index =
      this.labelNames.length === 0 ? null : new LabelIndex(this.labelNames, what, maxSeries, (key) => this._makeSeries(key));
  }

  /** Subclasses call this last in their constructor: creates the series of an unlabelled metric. */
  protected _init(): void {
    if (this.index === null) this.single = this._makeSeries({ values: [], pairs: '' });
  }

  protected abstract _makeSeries(key: SeriesKey): S;
  /** The family's TYPE. */
  abstract readonly type: MetricType;
  protected abstract _writeSeries(w: ExpositionWriter, s: S): void;

  /** The series of `labels` (created on first use); the only series when unlabelled. */
  protected _seriesOf(labels: Labels | undefined): S {
    if (this.index !== null) return this.index.get(labels ?? NO_LABELS);
    if (labels !== undefined) this._checkNoLabels(labels);
    return this.single!;
  }

  /** An unlabelled metric takes no labels (an empty object is fine). */
  private _checkNoLabels(labels: unknown): void {
    checkLabelsArg(this.what, labels);
    for (const k in labels as object) {
      throw new InvalidArgumentError(`${this.what} has no labels, got label ${describe(k)}`);
    }
  }

  /** Every series. */
  protected _allSeries(): Iterable<S> {
    return this.index === null ? [this.single!] : this.index.values();
  }

  /**
   * Writes HELP, TYPE and every series into `w` (an ExpositionWriter).
   * @example const w = new ExpositionWriter(); counter.collect(w); w.text();
   */
  collect(w: ExpositionWriter): void {
    if (!(w instanceof ExpositionWriter)) throw new InvalidArgumentError(`${this.what} collect w must be an ExpositionWriter, got ${describe(w)}`);
    w.header(this.name, this.type, this.help);
    for (const s of this._allSeries()) this._writeSeries(w, s);
  }
}

/** One series of a {@link Counter}. */
export class CounterSeries {
  /** Current value. */
  value = 0;
  /** Rendered label block. */
  readonly labels: string;
  private readonly what: string;
  constructor(key: SeriesKey, what: string) {
    this.labels = labelBlock(checkKey('CounterSeries', key).pairs);
    this.what = checkString('CounterSeries', 'what', what, { nonEmpty: true });
  }
  /**
   * Adds `by` (a finite number >= 0, default 1).
   * @example series.inc(512)
   */
  inc(by = 1): void {
    if (typeof by !== 'number' || !(by >= 0 && by !== Infinity)) checkIncrement(this.what, by);
    this.value += by;
  }
}

function checkIncrement(what: string, by: unknown): void {
  checkNumber(what, 'increment', by, { min: 0 });
}

function checkGaugeValue(what: string, param: string, v: unknown, finite: boolean): void {
  checkNumber(what, param, v, { allowInfinity: !finite });
}

/**
 * A monotonically increasing count. Name it with a `_total` suffix.
 * @example const c = registry.counter('blobs_served_total', { help: 'Blobs served.', labelNames: ['status'] }); c.inc(1, { status: 'hit' });
 */
export class Counter extends Metric<CounterSeries> {
  /** Always 'counter'. */
  readonly type = 'counter' as const;
  constructor(name: string, options: MetricOptions) {
    super('Counter', name, options, []);
    this._init();
  }
  protected _makeSeries(key: SeriesKey): CounterSeries {
    return new CounterSeries(key, this.what);
  }
  /**
   * Adds `by` (a finite number >= 0, default 1) to the series of `labels`.
   * @example c.inc(1, { status: 'hit' })
   */
  inc(by = 1, labels?: Labels): void {
    if (typeof by !== 'number' || !(by >= 0 && by !== Infinity)) checkIncrement(this.what, by);
    this._seriesOf(labels).value += by;
  }
  /**
   * The series of `labels`, to keep and increment without a lookup.
   * @example const hit = c.labels({ status: 'hit' }); hit.inc();
   */
  labels(labels: Labels): CounterSeries {
    return this._seriesOf(labels);
  }
  /**
   * Current value of the series of `labels`.
   * @example c.get({ status: 'hit' })
   */
  get(labels?: Labels): number {
    return this._seriesOf(labels).value;
  }
  protected _writeSeries(w: ExpositionWriter, s: CounterSeries): void {
    w.sample(this.name, s.labels, s.value);
  }
}

/** One series of a {@link Gauge}. */
export class GaugeSeries {
  /** Current value. */
  value = 0;
  /** Rendered label block. */
  readonly labels: string;
  constructor(key: SeriesKey) {
    this.labels = labelBlock(checkKey('GaugeSeries', key).pairs);
  }
  /**
   * Sets the value: a number, not NaN (infinities are exposed as `+Inf`/`-Inf`).
   * @example series.set(3)
   */
  set(v: number): void {
    if (typeof v !== 'number' || v !== v) checkGaugeValue('GaugeSeries', 'value', v, false);
    this.value = v;
  }
  /**
   * Adds `by` (a finite number, default 1).
   * @example series.inc()
   */
  inc(by = 1): void {
    if (typeof by !== 'number' || !Number.isFinite(by)) checkGaugeValue('GaugeSeries', 'inc by', by, true);
    this.value += by;
  }
  /**
   * Subtracts `by` (a finite number, default 1).
   * @example series.dec()
   */
  dec(by = 1): void {
    if (typeof by !== 'number' || !Number.isFinite(by)) checkGaugeValue('GaugeSeries', 'dec by', by, true);
    this.value -= by;
  }
}

/**
 * A value that goes up and down. `options.collect` (if given) runs before each
 * scrape to pull fresh values.
 * @example registry.gauge('queue_depth', { help: 'Tasks queued.', collect: (g) => g.set(queue.length) });
 */
export class Gauge extends Metric<GaugeSeries> {
  /** Always 'gauge'. */
  readonly type = 'gauge' as const;
  private readonly pull: ((g: Gauge) => void) | undefined;
  constructor(name: string, options: MetricOptions & { collect?: (g: Gauge) => void }) {
    super('Gauge', name, options, []);
    const collect = options.collect;
    this.pull = collect === undefined ? undefined : checkFunction<(g: Gauge) => void>(this.what, 'collect', collect);
    this._init();
  }
  protected _makeSeries(key: SeriesKey): GaugeSeries {
    return new GaugeSeries(key);
  }
  /**
   * Sets the series of `labels` to `value` (a number, not NaN; infinities are exposed as `+Inf`/`-Inf`).
   * @example g.set(queue.length)
   */
  set(value: number, labels?: Labels): void {
    if (typeof value !== 'number' || value !== value) checkGaugeValue(this.what, 'value', value, false);
    this._seriesOf(labels).value = value;
  }
  /**
   * Adds `by` (a finite number, default 1) to the series of `labels`.
   * @example g.inc()
   */
  inc(by = 1, labels?: Labels): void {
    if (typeof by !== 'number' || !Number.isFinite(by)) checkGaugeValue(this.what, 'inc by', by, true);
    this._seriesOf(labels).value += by;
  }
  /**
   * Subtracts `by` (a finite number, default 1) from the series of `labels`.
   * @example g.dec()
   */
  dec(by = 1, labels?: Labels): void {
    if (typeof by !== 'number' || !Number.isFinite(by)) checkGaugeValue(this.what, 'dec by', by, true);
    this._seriesOf(labels).value -= by;
  }
  /**
   * The series of `labels`, to keep and update without a lookup.
   * @example const s = g.labels({ pool: 'a' }); s.set(3);
   */
  labels(labels: Labels): GaugeSeries {
    return this._seriesOf(labels);
  }
  /**
   * Current value of the series of `labels`.
   * @example g.get()
   */
  get(labels?: Labels): number {
    return this._seriesOf(labels).value;
  }
  override collect(w: ExpositionWriter): void {
    if (!(w instanceof ExpositionWriter)) throw new InvalidArgumentError(`${this.what} collect w must be an ExpositionWriter, got ${describe(w)}`);
    if (this.pull !== undefined) this.pull(this);
    super.collect(w);
  }
  protected _writeSeries(w: ExpositionWriter, s: GaugeSeries): void {
    w.sample(this.name, s.labels, s.value);
  }
}

/** One series of a {@link BucketHistogram}. */
export class BucketHistogramSeries {
  /** Observations per bucket (not cumulative); the last slot is `+Inf`. */
  readonly counts: Float64Array;
  /** Sum of observations. */
  sum = 0;
  /** Number of observations. */
  count = 0;
  /** Rendered label pairs without braces (`le` is appended at exposition). */
  readonly pairs: string;
  private readonly bounds: Float64Array;
  private readonly what: string;
  constructor(key: SeriesKey, bounds: Float64Array, what: string) {
    this.pairs = checkKey('BucketHistogramSeries', key).pairs;
    if (!(bounds instanceof Float64Array)) {
      throw new InvalidArgumentError(`BucketHistogramSeries bounds must be a Float64Array, got ${describe(bounds)}`);
    }
    for (let i = 0; i < bounds.length; i++) {
      const b = bounds[i]!;
      if (!Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]!)) {
        throw new OutOfRangeError(`BucketHistogramSeries bounds[${i}] (${b}) must be a finite number greater than the bound before it`);
      }
    }
    this.what = checkString('BucketHistogramSeries', 'what', what, { nonEmpty: true });
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }
  /**
   * Records one observation, a finite number.
   * @example series.observe(0.042)
   */
  observe(v: number): void {
    if (typeof v !== 'number' || !Number.isFinite(v)) checkObservation(this.what, v);
    const b = this.bounds;
    let lo = 0;
    let hi = b.length;
    // Binary search for the first bound >= v; the linear tail is cheap for few buckets.
    while (hi - lo > 4) {
      const mid = (lo + hi) >>> 1;
      if (b[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    while (lo < b.length && b[lo]! < v) lo++;
    this.counts[lo]!++;
    this.sum += v;
    this.count++;
  }
}

function checkObservation(what: string, v: unknown): void {
  if (v !== v) throw new OutOfRangeError(`${what} cannot observe NaN: an observation must be a finite number`);
  checkNumber(what, 'observation', v);
}

/**
 * A Prometheus histogram with fixed `le` buckets, for aggregation across
 * instances. For quantiles of one process, a {@link Summary} is more precise.
 * @example const h = registry.histogram('request_duration_seconds', { help: 'Request time.', buckets: [0.01, 0.1, 1] }); h.observe(0.042);
 */
export class BucketHistogram extends Metric<BucketHistogramSeries> {
  /** Always 'histogram'. */
  readonly type = 'histogram' as const;
  /** Upper bounds, ascending (`+Inf` implicit). */
  readonly buckets: readonly number[];
  private readonly bounds: Float64Array;
  private readonly boundLabels: string[];
  constructor(name: string, options: BucketHistogramOptions) {
    super('Histogram', name, options, ['le']);
    const given = options.buckets;
    const buckets = given === undefined ? [...DEFAULT_BUCKETS] : [...checkArray<number>(this.what, 'buckets', given)];
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!;
      if (typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!)) {
        const E = typeof b === 'number' ? OutOfRangeError : InvalidArgumentError;
        throw new E(`${this.what} buckets[${i}] (${describe(b)}) must be a finite number greater than the bucket before it`);
      }
    }
    this.buckets = buckets;
    this.bounds = Float64Array.from(buckets);
    this.boundLabels = buckets.map((b) => formatValue(b));
    this._init();
  }
  protected _makeSeries(key: SeriesKey): BucketHistogramSeries {
    return new BucketHistogramSeries(key, this.bounds, `Histogram "${this.name}"`);
  }
  /**
   * Records `value` (a finite number) in the series of `labels`.
   * @example h.observe(0.042, { route: '/blobs' })
   */
  observe(value: number, labels?: Labels): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) checkObservation(this.what, value);
    this._seriesOf(labels).observe(value);
  }
  /**
   * The series of `labels`, to keep and observe without a lookup.
   * @example const s = h.labels({ route: '/blobs' }); s.observe(0.01);
   */
  labels(labels: Labels): BucketHistogramSeries {
    return this._seriesOf(labels);
  }
  protected _writeSeries(w: ExpositionWriter, s: BucketHistogramSeries): void {
    const prefix = s.pairs.length === 0 ? '{le="' : `{${s.pairs},le="`;
    let cumulative = 0;
    let lines = '';
    for (let i = 0; i < this.boundLabels.length; i++) {
      cumulative += s.counts[i]!;
      lines += `${this.name}_bucket${prefix}${this.boundLabels[i]}"} ${cumulative}\n`;
    }
    lines += `${this.name}_bucket${prefix}+Inf"} ${s.count}\n`;
    const block = labelBlock(s.pairs);
    lines += `${this.name}_sum${block} ${formatValue(s.sum)}\n${this.name}_count${block} ${s.count}\n`;
    w.raw(lines);
  }
}

/** One series of a {@link Summary}. */
export class SummarySeries {
  /** The windowed HDR histogram behind the series. */
  readonly histogram: WindowedHistogram;
  /** Rendered label pairs without braces. */
  readonly pairs: string;
  constructor(key: SeriesKey, histogram: WindowedHistogram) {
    this.pairs = checkKey('SummarySeries', key).pairs;
    if (!(histogram instanceof WindowedHistogram)) {
      throw new InvalidArgumentError(`SummarySeries histogram must be a WindowedHistogram, got ${describe(histogram)}`);
    }
    this.histogram = histogram;
  }
  /**
   * Records one observation (a finite number >= 0).
   * @example series.observe(0.003)
   */
  observe(v: number): void {
    if (typeof v !== 'number' || !(v >= 0 && v !== Infinity)) checkNumber('SummarySeries', 'value', v, { min: 0 });
    this.histogram.record(v);
  }
}

/**
 * Quantiles over a sliding window, from an HDR histogram per series, with
 * cumulative `_sum` and `_count`. Values must be >= 0.
 * @example const s = registry.summary('rpc_duration_seconds', { help: 'RPC time.', lowestDiscernibleValue: 1e-6, highestTrackableValue: 60 }); s.observe(0.003);
 */
export class Summary extends Metric<SummarySeries> {
  /** Always 'summary'. */
  readonly type = 'summary' as const;
  /** Quantiles exposed, in (0, 1]. */
  readonly quantiles: readonly number[];
  private readonly ticker: WindowTicker;
  private readonly histogramOptions: HistogramOptions;
  private readonly quantileLabels: string[];
  private readonly percents: number[];
  constructor(name: string, options: SummaryOptions, ticker: WindowTicker) {
    super('Summary', name, options, ['quantile']);
    const given = options.quantiles;
    const quantiles = given === undefined ? [...DEFAULT_QUANTILES] : [...checkArray<number>(this.what, 'quantiles', given)];
    for (const q of quantiles) {
      if (typeof q !== 'number' || !(q > 0 && q <= 1)) {
        const E = typeof q === 'number' ? OutOfRangeError : InvalidArgumentError;
        throw new E(`${this.what} quantile (${describe(q)}) must be a number in (0, 1]`);
      }
    }
    if (!(ticker instanceof WindowTicker)) throw new InvalidArgumentError(`${this.what} ticker must be a WindowTicker, got ${describe(ticker)}`);
    const hist: HistogramOptions = {
      name: this.what,
      lowestDiscernibleValue: options.lowestDiscernibleValue === undefined ? 1e-6 : options.lowestDiscernibleValue,
      highestTrackableValue: options.highestTrackableValue === undefined ? 3600 : options.highestTrackableValue,
      significantDigits: options.significantDigits === undefined ? 2 : options.significantDigits,
    };
    new Histogram(hist); // validates the layout now, not at the first labelled observation
    this.ticker = ticker;
    this.histogramOptions = hist;
    this.quantiles = quantiles;
    this.quantileLabels = quantiles.map((q) => formatValue(q));
    this.percents = quantiles.map((q) => q * 100);
    this._init();
  }
  protected _makeSeries(key: SeriesKey): SummarySeries {
    return new SummarySeries(key, new WindowedHistogram(this.ticker, this.histogramOptions));
  }
  /**
   * Records `value` (a finite number >= 0) in the series of `labels`.
   * @example s.observe(0.003, { peer: 'a' })
   */
  observe(value: number, labels?: Labels): void {
    if (typeof value !== 'number' || !(value >= 0 && value !== Infinity)) checkNumber(this.what, 'value', value, { min: 0 });
    this._seriesOf(labels).histogram.record(value);
  }
  /**
   * The series of `labels`, to keep and observe without a lookup.
   * @example const s = summary.labels({ peer: 'a' }); s.observe(0.01);
   */
  labels(labels: Labels): SummarySeries {
    return this._seriesOf(labels);
  }
  protected _writeSeries(w: ExpositionWriter, s: SummarySeries): void {
    writeSummaryLines(w, this.name, s.pairs, s.histogram, this.quantileLabels, this.percents, 1);
  }

}

const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['', '_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Holds metrics and collectors and renders them in the Prometheus text format.
 * @example
 * const registry = new MetricRegistry();
 * const served = registry.counter('blobs_served_total', { help: 'Blobs served.' });
 * served.inc();
 * res.setHeader('Content-Type', PROMETHEUS_CONTENT_TYPE); res.end(registry.metrics());
 */
export class MetricRegistry {
  private readonly collectors: Collector[] = [];
  private readonly families = new Map<string, Collector>();
  private readonly sampleNames = new Map<string, string>();
  private readonly tickers = new Map<string, WindowTicker>();
  private readonly now: Clock | undefined;

  constructor(options?: MetricRegistryOptions) {
    const o = checkOptions('MetricRegistry', 'options', options);
    this.now = o.now === undefined ? undefined : checkFunction<Clock>('MetricRegistry', 'now', o.now);
  }

  /**
   * Reserves a family name and the sample names its type writes; throws a
   * BlackholeError (ERR_BH_METRIC_NAME) on an invalid name or a clash.
   * @example registry.reserve('my_collector_up', 'gauge')
   */
  reserve(name: string, type: MetricType): void {
    assertMetricName(name, 'MetricRegistry reserve');
    if (typeof type !== 'string' || !Object.hasOwn(SUFFIXES, type)) {
      throw new BlackholeError(
        ErrorCode.METRIC_NAME,
        `MetricRegistry reserve "${name}" type ${describe(type)} is not one of ${Object.keys(SUFFIXES).join(', ')}`,
      );
    }
    this._checkFree(name, type);
    for (const s of SUFFIXES[type]) this.sampleNames.set(name + s, name);
  }

  /**
   * Whether a family called `name` (a string) is reserved.
   * @example registry.has('blobs_served_total')
   */
  has(name: string): boolean {
    checkString('MetricRegistry has', 'name', name);
    return this.sampleNames.get(name) === name;
  }

  private _add<M extends Collector & { name: string; type: MetricType }>(kind: string, make: () => M): M {
    const outer = building;
    building = 'MetricRegistry';
    let metric: M;
    try {
      metric = make();
    } finally {
      building = outer;
    }
    this.reserve(metric.name, metric.type);
    this.families.set(metric.name, metric);
    this.collectors.push(metric);
    return metric;
  }

  private _precheck(kind: MetricType, name: string, options: unknown): void {
    assertMetricName(name, `MetricRegistry ${kind}`);
    checkOptions(`MetricRegistry ${kind} "${name}"`, 'options', options as object);
    if (options === undefined) {
      throw new InvalidArgumentError(`MetricRegistry ${kind} "${name}" options must be an object with help, got undefined`);
    }
    this._checkFree(name, kind);
  }

  /**
   * Registers a counter.
   * @example registry.counter('blobs_served_total', { help: 'Blobs served.', labelNames: ['status'] })
   */
  counter(name: string, options: MetricOptions): Counter {
    this._precheck('counter', name, options);
    return this._add('counter', () => new Counter(name, options));
  }

  /**
   * Registers a gauge; `collect` runs before each scrape.
   * @example registry.gauge('queue_depth', { help: 'Tasks queued.', collect: (g) => g.set(queue.length) })
   */
  gauge(name: string, options: MetricOptions & { collect?: (g: Gauge) => void }): Gauge {
    this._precheck('gauge', name, options);
    return this._add('gauge', () => new Gauge(name, options));
  }

  /**
   * Registers a histogram with fixed buckets.
   * @example registry.histogram('peer_rtt_seconds', { help: 'Round trip.', buckets: [0.001, 0.01, 0.1, 1] })
   */
  histogram(name: string, options: BucketHistogramOptions): BucketHistogram {
    this._precheck('histogram', name, options);
    return this._add('histogram', () => new BucketHistogram(name, options));
  }

  /**
   * Registers a summary (windowed quantiles). `windowMs` (10 to 2^31 - 1) and
   * `slots` (2 to 1000) pick a shared window ticker.
   * @example registry.summary('rpc_duration_seconds', { help: 'RPC time.', windowMs: 60_000 })
   */
  summary(name: string, options: SummaryOptions): Summary {
    this._precheck('summary', name, options);
    const what = `MetricRegistry summary "${name}"`;
    const windowMs = options.windowMs === undefined ? 60_000 : checkTimerMs(what, 'windowMs', options.windowMs, { min: 10 });
    const slots = options.slots === undefined ? 6 : checkNumber(what, 'slots', options.slots, { integer: true, min: 2, max: 1000 });
    const key = `${windowMs}/${slots}`;
    const ticker = this.tickers.get(key) ?? new WindowTicker({ windowMs, slots, now: this.now });
    const summary = this._add('summary', () => new Summary(name, options, ticker));
    if (!this.tickers.has(key)) this.tickers.set(key, ticker.start());
    return summary;
  }

  /**
   * A shared, started ticker for a window configuration: `windowMs` 10 to
   * 2^31 - 1 (its periods reach a Node timer), `slots` an integer 2 to 1000.
   * @example const t = registry.ticker(60_000, 6)
   */
  ticker(windowMs: number, slots: number): WindowTicker {
    checkTimerMs('MetricRegistry ticker', 'windowMs', windowMs, { min: 10 });
    checkNumber('MetricRegistry ticker', 'slots', slots, { integer: true, min: 2, max: 1000 });
    const key = `${windowMs}/${slots}`;
    let t = this.tickers.get(key);
    if (t === undefined) {
      t = new WindowTicker({ windowMs, slots, now: this.now }).start();
      this.tickers.set(key, t);
    }
    return t;
  }

  /** Checks that `name` and its samples are free, before building the metric. */
  private _checkFree(name: string, type: MetricType): void {
    for (const s of SUFFIXES[type]) {
      const owner = this.sampleNames.get(name + s);
      if (owner !== undefined) {
        throw new BlackholeError(
          ErrorCode.METRIC_NAME,
          `MetricRegistry: metric "${name}" (${type}) clashes with the already registered "${owner}": both would write samples named "${name + s}"`,
        );
      }
    }
  }

  /**
   * Adds a collector whose families are written at each scrape, after the
   * metrics registered so far. It should `reserve()` the names it writes.
   * @example registry.register({ collect: (w) => { w.header('up', 'gauge', 'Up.'); w.sample('up', '', 1); } })
   */
  register(collector: Collector): void {
    if (collector === null || typeof collector !== 'object' || typeof collector.collect !== 'function') {
      throw new InvalidArgumentError(`MetricRegistry register expects an object with collect(writer), got ${describe(collector)}`);
    }
    this.collectors.push(collector);
  }

  /**
   * The registered metric called `name` (a string), if any.
   * @example registry.get('blobs_served_total')
   */
  get(name: string): Collector | undefined {
    checkString('MetricRegistry get', 'name', name);
    return this.families.get(name);
  }

  /**
   * The whole exposition, text format 0.0.4.
   * @example res.end(registry.metrics())
   */
  metrics(): string {
    for (const t of this.tickers.values()) t.update();
    const w = new ExpositionWriter();
    for (const c of this.collectors) c.collect(w);
    return w.text();
  }

  /**
   * Stops the summary window timers. Safe to call twice.
   * @example registry.close()
   */
  close(): void {
    for (const t of this.tickers.values()) t.stop();
  }
}
