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
import { BlackholeError, ErrorCode, OutOfRangeError, describe } from '../errors.ts';
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
  writeSummarySeries,
} from './exposition.ts';
import type { HistogramOptions } from './histogram.ts';
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
  const n = v ?? DEFAULT_MAX_SERIES;
  if (!Number.isInteger(n) || n < 1) throw new OutOfRangeError(`${what} maxSeries (${describe(n)}) must be an integer >= 1`);
  return n;
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

  constructor(kind: string, name: string, options: MetricOptions, reserved: readonly string[]) {
    const what = `${kind} "${name}"`;
    this.name = name;
    this.help = checkHelp(options?.help, what);
    this.labelNames = [...(options.labelNames ?? [])];
    assertLabelNames(this.labelNames, what, reserved);
    const maxSeries = checkMaxSeries(options.maxSeries, what);
    this.index =
      this.labelNames.length === 0 ? null : new LabelIndex(this.labelNames, what, maxSeries, (key) => this.makeSeries(key));
  }

  /** Subclasses call this last in their constructor: creates the series of an unlabelled metric. */
  protected init(): void {
    if (this.index === null) this.single = this.makeSeries({ values: [], pairs: '' });
  }

  protected abstract makeSeries(key: SeriesKey): S;
  /** The family's TYPE. */
  abstract readonly type: MetricType;
  protected abstract writeSeries(w: ExpositionWriter, s: S): void;

  /** The series of `labels` (created on first use); the only series when unlabelled. */
  protected seriesOf(labels: Labels | undefined): S {
    return this.index === null ? this.single! : this.index.get(labels ?? NO_LABELS);
  }

  /** Every series. */
  protected allSeries(): Iterable<S> {
    return this.index === null ? [this.single!] : this.index.values();
  }

  /** Writes HELP, TYPE and every series. */
  collect(w: ExpositionWriter): void {
    w.header(this.name, this.type, this.help);
    for (const s of this.allSeries()) this.writeSeries(w, s);
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
    this.labels = labelBlock(key.pairs);
    this.what = what;
  }
  /** Adds `by` (>= 0, default 1). */
  inc(by = 1): void {
    if (typeof by !== 'number' || !(by >= 0) || by === Infinity) {
      throw new OutOfRangeError(`${this.what} increment (${describe(by)}) must be a finite number >= 0`);
    }
    this.value += by;
  }
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
    this.init();
  }
  protected makeSeries(key: SeriesKey): CounterSeries {
    return new CounterSeries(key, `Counter "${this.name}"`);
  }
  /** Adds `by` (default 1) to the series of `labels`. */
  inc(by = 1, labels?: Labels): void {
    this.seriesOf(labels).inc(by);
  }
  /** The series of `labels`, to keep and increment without a lookup. */
  labels(labels: Labels): CounterSeries {
    return this.seriesOf(labels);
  }
  /** Current value of the series of `labels`. */
  get(labels?: Labels): number {
    return this.seriesOf(labels).value;
  }
  protected writeSeries(w: ExpositionWriter, s: CounterSeries): void {
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
    this.labels = labelBlock(key.pairs);
  }
  /** Sets the value. */
  set(v: number): void {
    this.value = v;
  }
  /** Adds `by` (default 1). */
  inc(by = 1): void {
    this.value += by;
  }
  /** Subtracts `by` (default 1). */
  dec(by = 1): void {
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
    this.pull = options.collect;
    this.init();
  }
  protected makeSeries(key: SeriesKey): GaugeSeries {
    return new GaugeSeries(key);
  }
  /** Sets the series of `labels` to `value`. */
  set(value: number, labels?: Labels): void {
    this.seriesOf(labels).value = value;
  }
  /** Adds `by` to the series of `labels`. */
  inc(by = 1, labels?: Labels): void {
    this.seriesOf(labels).value += by;
  }
  /** Subtracts `by` from the series of `labels`. */
  dec(by = 1, labels?: Labels): void {
    this.seriesOf(labels).value -= by;
  }
  /** The series of `labels`, to keep and update without a lookup. */
  labels(labels: Labels): GaugeSeries {
    return this.seriesOf(labels);
  }
  /** Current value of the series of `labels`. */
  get(labels?: Labels): number {
    return this.seriesOf(labels).value;
  }
  override collect(w: ExpositionWriter): void {
    if (this.pull !== undefined) this.pull(this);
    super.collect(w);
  }
  protected writeSeries(w: ExpositionWriter, s: GaugeSeries): void {
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
    this.pairs = key.pairs;
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
    this.what = what;
  }
  /** Records one observation. */
  observe(v: number): void {
    if (v !== v) throw new OutOfRangeError(`${this.what} cannot observe NaN`);
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
    const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)];
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!;
      if (typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!)) {
        throw new OutOfRangeError(
          `Histogram "${name}" buckets[${i}] (${describe(b)}) must be a finite number greater than the bucket before it`,
        );
      }
    }
    super('Histogram', name, options, ['le']);
    this.buckets = buckets;
    this.bounds = Float64Array.from(buckets);
    this.boundLabels = buckets.map((b) => formatValue(b));
    this.init();
  }
  protected makeSeries(key: SeriesKey): BucketHistogramSeries {
    return new BucketHistogramSeries(key, this.bounds, `Histogram "${this.name}"`);
  }
  /** Records `value` in the series of `labels`. */
  observe(value: number, labels?: Labels): void {
    this.seriesOf(labels).observe(value);
  }
  /** The series of `labels`, to keep and observe without a lookup. */
  labels(labels: Labels): BucketHistogramSeries {
    return this.seriesOf(labels);
  }
  protected writeSeries(w: ExpositionWriter, s: BucketHistogramSeries): void {
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
    this.pairs = key.pairs;
    this.histogram = histogram;
  }
  /** Records one observation (>= 0). */
  observe(v: number): void {
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
    const quantiles = [...(options.quantiles ?? DEFAULT_QUANTILES)];
    for (const q of quantiles) {
      if (typeof q !== 'number' || !(q > 0 && q <= 1)) {
        throw new OutOfRangeError(`Summary "${name}" quantile (${describe(q)}) must be a number in (0, 1]`);
      }
    }
    const hist: HistogramOptions = {
      name,
      lowestDiscernibleValue: options.lowestDiscernibleValue ?? 1e-6,
      highestTrackableValue: options.highestTrackableValue ?? 3600,
      significantDigits: options.significantDigits ?? 2,
    };
    super('Summary', name, options, ['quantile']);
    this.ticker = ticker;
    this.histogramOptions = hist;
    this.quantiles = quantiles;
    this.quantileLabels = quantiles.map((q) => formatValue(q));
    this.percents = quantiles.map((q) => q * 100);
    this.init();
  }
  protected makeSeries(key: SeriesKey): SummarySeries {
    return new SummarySeries(key, new WindowedHistogram(this.ticker, this.histogramOptions));
  }
  /** Records `value` in the series of `labels`. */
  observe(value: number, labels?: Labels): void {
    this.seriesOf(labels).histogram.record(value);
  }
  /** The series of `labels`, to keep and observe without a lookup. */
  labels(labels: Labels): SummarySeries {
    return this.seriesOf(labels);
  }
  protected writeSeries(w: ExpositionWriter, s: SummarySeries): void {
    writeSummarySeries(w, this.name, s.pairs, s.histogram, this.quantileLabels, this.percents, 1);
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

  constructor(options: MetricRegistryOptions = {}) {
    this.now = options.now;
  }

  /**
   * Reserves a family name and the sample names its type writes; throws a
   * BlackholeError (ERR_BH_METRIC_NAME) on an invalid name or a clash.
   */
  reserve(name: string, type: MetricType): void {
    assertMetricName(name, `Metric`);
    const suffixes = SUFFIXES[type];
    if (suffixes === undefined) {
      throw new BlackholeError(ErrorCode.METRIC_NAME, `Metric "${name}" type ${describe(type)} is not one of ${Object.keys(SUFFIXES).join(', ')}`);
    }
    this.checkFree(name, type);
    for (const s of suffixes) this.sampleNames.set(name + s, name);
  }

  /** Whether a family called `name` is reserved. */
  has(name: string): boolean {
    return this.sampleNames.get(name) === name;
  }

  private add<M extends Collector & { name: string; type: MetricType }>(metric: M): M {
    this.reserve(metric.name, metric.type);
    this.families.set(metric.name, metric);
    this.collectors.push(metric);
    return metric;
  }

  /** Registers a counter. */
  counter(name: string, options: MetricOptions): Counter {
    assertMetricName(name, 'Counter');
    this.checkFree(name, 'counter');
    return this.add(new Counter(name, options));
  }

  /** Registers a gauge; `collect` runs before each scrape. */
  gauge(name: string, options: MetricOptions & { collect?: (g: Gauge) => void }): Gauge {
    assertMetricName(name, 'Gauge');
    this.checkFree(name, 'gauge');
    return this.add(new Gauge(name, options));
  }

  /** Registers a histogram with fixed buckets. */
  histogram(name: string, options: BucketHistogramOptions): BucketHistogram {
    assertMetricName(name, 'Histogram');
    this.checkFree(name, 'histogram');
    return this.add(new BucketHistogram(name, options));
  }

  /** Registers a summary (windowed quantiles). */
  summary(name: string, options: SummaryOptions): Summary {
    assertMetricName(name, 'Summary');
    this.checkFree(name, 'summary');
    return this.add(new Summary(name, options, this.ticker(options.windowMs ?? 60_000, options.slots ?? 6)));
  }

  /** A shared, started ticker for a window configuration. */
  ticker(windowMs: number, slots: number): WindowTicker {
    const key = `${windowMs}/${slots}`;
    let t = this.tickers.get(key);
    if (t === undefined) {
      t = new WindowTicker({ windowMs, slots, now: this.now }).start();
      this.tickers.set(key, t);
    }
    return t;
  }

  /** Checks that `name` and its samples are free, before building the metric. */
  private checkFree(name: string, type: MetricType): void {
    for (const s of SUFFIXES[type]) {
      const owner = this.sampleNames.get(name + s);
      if (owner !== undefined) {
        throw new BlackholeError(
          ErrorCode.METRIC_NAME,
          `Metric "${name}" (${type}) clashes with the already registered "${owner}": both would write samples named "${name + s}"`,
        );
      }
    }
  }

  /**
   * Adds a collector whose families are written at each scrape, after the
   * metrics registered so far. It should `reserve()` the names it writes.
   */
  register(collector: Collector): void {
    if (collector === null || typeof collector !== 'object' || typeof collector.collect !== 'function') {
      throw new BlackholeError(ErrorCode.INVALID_ARG, `MetricRegistry register expects an object with collect(writer), got ${describe(collector)}`);
    }
    this.collectors.push(collector);
  }

  /** The registered metric called `name`, if any. */
  get(name: string): Collector | undefined {
    return this.families.get(name);
  }

  /** The whole exposition, text format 0.0.4. */
  metrics(): string {
    for (const t of this.tickers.values()) t.update();
    const w = new ExpositionWriter();
    for (const c of this.collectors) c.collect(w);
    return w.text();
  }

  /** Stops the summary window timers. Safe to call twice. */
  close(): void {
    for (const t of this.tickers.values()) t.stop();
  }
}
