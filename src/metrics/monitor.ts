/**
 * PerformanceMonitor: the spec's monitor, made real.
 *
 * What it keeps, per metric name (and per label set, when labels are used):
 *   tracked values  a WindowedHistogram (HDR, sliding window + all time)
 *   counters        a WindowedCounter (total + sum over the window, for rates)
 *   gauges          the last value set
 * All series share one WindowTicker, so a write is a Map lookup by name, one
 * Map.get per label value, an integer compare and a histogram record: no
 * clock read, no allocation once the series exists.
 *
 * Components expose `stats()`; the monitor pulls them only when a report or a
 * scrape asks (`register`), so hot paths pay nothing for observability.
 * Alerts (threshold with hysteresis) and budgets live in alerts.ts and
 * budgets.ts and read statistics through `readStat`.
 *
 * Prometheus: the monitor is a Collector of its own registry. A tracked metric
 * is a summary (quantiles of the window, cumulative _sum/_count), a counter
 * gets a `_total` suffix, a gauge is a gauge; names are the monitor names with
 * characters outside [a-zA-Z0-9_:] turned into `_`, after the optional prefix.
 * Metrics in milliseconds (`unit: 'ms'`, the default for `startTimer`) are
 * exposed in seconds with a `_seconds` suffix, as Prometheus asks.
 *
 * Lifecycle: `close()` stops every timer (all unref'd); later writes and
 * reads throw ClosedError.
 */
import { EventEmitter } from 'node:events';
import { BlackholeError, ClosedError, InvalidArgumentError, describe } from '../errors.ts';
import { checkArray, checkFunction, checkNumber, checkOneOf, checkOptions, checkString, checkTimerMs } from '../validate.ts';
import {
  ExpositionWriter,
  LabelIndex,
  assertLabelNames,
  escapeLabelValue,
  formatValue,
  labelBlock,
  writeSummaryLines,
  type Labels,
  type SeriesKey,
} from './exposition.ts';
import { Histogram, type HistogramOptions } from './histogram.ts';
import { MetricRegistry, type Collector } from './registry.ts';
import { WindowTicker, type Clock } from './window-ticker.ts';
import { WindowedCounter } from './windowed-counter.ts';
import { WindowedHistogram } from './windowed-histogram.ts';
import { AlertEngine, STAT_NAMES, type AlertEvent, type AlertRule } from './alerts.ts';
import { BudgetExceededError, evaluateBudgets, validateBudget, type Budget, type BudgetViolation } from './budgets.ts';

/** The statistics of a tracked metric (the spec's MetricStats, with a few more percentiles). */
export interface MetricStats {
  /** Values recorded. */
  count: number;
  /** Smallest value (exact). */
  min: number;
  /** Largest value (exact). */
  max: number;
  /** Mean (exact). */
  mean: number;
  /** Median. */
  p50: number;
  /** 90th percentile. */
  p90: number;
  /** 95th percentile. */
  p95: number;
  /** 99th percentile. */
  p99: number;
  /** 99.9th percentile. */
  p999: number;
  /** Population standard deviation (exact). */
  stdDev: number;
  /** Sum of the values. */
  sum: number;
}

/** Statistic names that alerts and budgets can read. */
export type StatName = keyof MetricStats | 'rate' | 'total' | 'value';

/** Unit of a tracked metric; `ms` is exposed to Prometheus in seconds. */
export type MetricUnit = 'ms' | 'seconds' | 'bytes' | 'none';

/** Options of {@link PerformanceMonitor.define}. */
export interface MetricDefinition extends Omit<HistogramOptions, 'name'> {
  /** HELP text for Prometheus. Default: the metric name. */
  help?: string;
  /** Unit of the values. Default 'none' (`'ms'` for metrics first used by `startTimer`). */
  unit?: MetricUnit;
  /** Label names; default: the keys of the first labels object seen, sorted. */
  labelNames?: readonly string[];
}

/** Anything with a cheap `stats()` returning a plain object of numbers (nested objects allowed). */
export interface StatsSource {
  /** Current counters and gauges; called at report or scrape time only. */
  stats(): object;
}

/** Options of {@link PerformanceMonitor}. */
export interface PerformanceMonitorOptions {
  /** Sliding window of the windowed statistics, ms: 10 to 2^31 - 1 (its periods reach a Node timer). Default 60 000. */
  windowMs?: number;
  /** Periods the window is cut into. Default 6 (10 s each). */
  slots?: number;
  /** Monotonic clock, ms. Default `performance.now`. */
  now?: Clock;
  /** Default histogram layout of tracked metrics. Default 0.001 to 3 600 000 (1 µs to 1 h in ms), 2 significant digits. */
  histogram?: Omit<HistogramOptions, 'name'>;
  /** Series limit per metric. Default 10 000. */
  maxSeries?: number;
  /** Registry the monitor's metrics are exposed through. Default: a new one. */
  registry?: MetricRegistry;
  /** Prefix of every Prometheus name, e.g. 'blackhole_'. Default ''. */
  prefix?: string;
}

/** A report: what `generateReport` returns and auto-reporting sends to its sink. */
export interface PerformanceReport {
  /** Wall-clock time of the report (ms since the epoch). */
  timestamp: number;
  /** Length of the window the windowed figures cover, ms. */
  windowMs: number;
  /** Tracked metrics: windowed and all-time statistics, merged over label sets. */
  metrics: Record<string, { window: MetricStats; all: MetricStats; series?: { labels: Record<string, string>; window: MetricStats }[] }>;
  /** Counters: total and per-second rate over the window. */
  counters: Record<string, { total: number; rate: number }>;
  /** Gauges: last value (a labelled gauge lists each label set). */
  gauges: Record<string, number | { labels: Record<string, string>; value: number }[]>;
  /** Registered sources' `stats()`, or `{ error }` when one threw. */
  sources: Record<string, object>;
}

/** Receives auto-reports; may be async. */
export type ReportSink = (report: PerformanceReport) => void | Promise<void>;

const EMPTY_STATS: MetricStats = Object.freeze({
  count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, stdDev: 0, sum: 0,
}) as MetricStats;
const STAT_PERCENTILES = [50, 90, 95, 99, 99.9];
const QUANTILES = [0.5, 0.9, 0.95, 0.99];
const QUANTILE_PERCENTS = QUANTILES.map((q) => q * 100);
const QUANTILE_LABELS = QUANTILES.map((q) => String(q));
const UNITS = ['ms', 'seconds', 'bytes', 'none'] as const;

/** Picks the histogram layout fields of an options object (a `name` or other fields never reach the Histogram). */
function layoutOf(o: Omit<HistogramOptions, 'name'>): Omit<HistogramOptions, 'name'> {
  const out: Omit<HistogramOptions, 'name'> = {};
  if (o.lowestDiscernibleValue !== undefined) out.lowestDiscernibleValue = o.lowestDiscernibleValue;
  if (o.highestTrackableValue !== undefined) out.highestTrackableValue = o.highestTrackableValue;
  if (o.significantDigits !== undefined) out.significantDigits = o.significantDigits;
  return out;
}

/**
 * Statistics of a histogram, in the MetricStats shape.
 * @example statsOf(histogram).p99
 */
export function statsOf(h: Histogram): MetricStats {
  if (!(h instanceof Histogram)) throw new InvalidArgumentError(`statsOf h must be a Histogram, got ${describe(h)}`);
  if (h.count === 0) return { ...EMPTY_STATS };
  const [p50, p90, p95, p99, p999] = h.percentiles(STAT_PERCENTILES) as [number, number, number, number, number];
  return { count: h.count, min: h.min, max: h.max, mean: h.mean, p50, p90, p95, p99, p999, stdDev: h.stdDev, sum: h.sum };
}

function sanitize(name: string): string {
  let s = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  if (/^[0-9]/.test(s)) s = `_${s}`;
  return s;
}

function labelsOf(key: SeriesKey, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  names.forEach((n, i) => (out[n] = key.values[i]!));
  return out;
}

class Series<T> {
  constructor(
    readonly key: SeriesKey,
    readonly block: string,
    readonly value: T,
  ) {}
}

type Kind = 'tracked' | 'counter' | 'gauge';

/** One metric name: its kind, labels and series. */
class Entry<T> {
  readonly labelNames: readonly string[];
  readonly index: LabelIndex<Series<T>> | null;
  readonly single: Series<T> | null;
  exposedName = '';
  constructor(
    readonly name: string,
    readonly kind: Kind,
    readonly definition: MetricDefinition,
    labelNames: readonly string[],
    maxSeries: number,
    make: () => T,
  ) {
    this.labelNames = labelNames;
    const what = `PerformanceMonitor ${kind} "${name}"`;
    const create = (key: SeriesKey) => new Series(key, labelBlock(key.pairs), make());
    this.index = labelNames.length === 0 ? null : new LabelIndex(labelNames, what, maxSeries, create);
    this.single = labelNames.length === 0 ? create({ values: [], pairs: '' }) : null;
  }

  series(labels: Labels | undefined): Series<T> {
    if (this.index === null) {
      if (labels !== undefined) this._checkNoLabels(labels);
      return this.single!;
    }
    if (labels === undefined) {
      throw new InvalidArgumentError(
        `PerformanceMonitor ${this.kind} "${this.name}" needs labels [${this.labelNames.join(', ')}]`,
      );
    }
    return this.index.get(labels);
  }

  /** The series of `labels` if it exists (reads never create series). */
  find(labels: Labels | undefined): Series<T> | undefined {
    if (this.index === null) {
      if (labels !== undefined) this._checkNoLabels(labels);
      return this.single!;
    }
    return labels === undefined ? undefined : this.index.find(labels);
  }

  private _checkNoLabels(labels: Labels): void {
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
      throw new InvalidArgumentError(`PerformanceMonitor ${this.kind} "${this.name}" labels must be an object when given, got ${describe(labels)}`);
    }
    for (const k in labels) {
      throw new InvalidArgumentError(
        `PerformanceMonitor ${this.kind} "${this.name}" has no labels (it was first used without them), got label "${k}"`,
      );
    }
  }

  all(): Iterable<Series<T>> {
    return this.index === null ? [this.single!] : this.index.values();
  }
}

/**
 * Tracks latencies and other values, counters and gauges, with windowed
 * statistics, alerts, budgets, auto-reporting and Prometheus exposition.
 * Events: `'alert'` and `'recover'` (an {@link AlertEvent}), `'error'` (a sink
 * failure, only when a listener is attached; otherwise a process warning).
 * @example
 * const monitor = new PerformanceMonitor({ prefix: 'blackhole_' });
 * const stop = monitor.startTimer('http.request', { route: '/blobs' });
 * // ... handle the request
 * stop();
 * monitor.getWindowStats('http.request')?.p99;
 */
export class PerformanceMonitor extends EventEmitter implements Collector {
  /** The registry the monitor's metrics are exposed through. */
  readonly registry: MetricRegistry;
  /** The window clock shared by every series. */
  readonly ticker: WindowTicker;
  private readonly now: Clock;
  private readonly histogramDefaults: HistogramOptions;
  private readonly maxSeries: number;
  private readonly prefix: string;
  private readonly entries = new Map<string, Entry<unknown>>();
  private readonly definitions = new Map<string, MetricDefinition>();
  private readonly sources = new Map<string, StatsSource>();
  private readonly alerts: AlertEngine;
  private readonly budgets: Budget[] = [];
  private reportTimer: NodeJS.Timeout | null = null;
  private alertTimer: NodeJS.Timeout | null = null;
  private reporting = false;
  private isClosed = false;

  constructor(options?: PerformanceMonitorOptions) {
    super();
    const o = checkOptions('PerformanceMonitor', 'options', options);
    const c = 'PerformanceMonitor';
    const windowMs = o.windowMs === undefined ? undefined : checkTimerMs(c, 'windowMs', o.windowMs, { min: 10 });
    const slots = o.slots === undefined ? undefined : checkNumber(c, 'slots', o.slots, { integer: true, min: 2, max: 1000 });
    const now = o.now === undefined ? undefined : checkFunction<Clock>(c, 'now', o.now);
    const layout = layoutOf(checkOptions(c, 'histogram', o.histogram));
    this.histogramDefaults = { lowestDiscernibleValue: 0.001, highestTrackableValue: 3_600_000, significantDigits: 2, ...layout };
    // Validate the histogram layout once, up front.
    new Histogram({ name: 'PerformanceMonitor histogram', ...this.histogramDefaults });
    this.maxSeries = o.maxSeries === undefined ? 10_000 : checkNumber(c, 'maxSeries', o.maxSeries, { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER });
    const prefix = o.prefix === undefined ? '' : checkString(c, 'prefix', o.prefix);
    if (prefix !== '' && !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
      throw new InvalidArgumentError(`PerformanceMonitor prefix ${describe(prefix)} must match [a-zA-Z_:][a-zA-Z0-9_:]*`);
    }
    this.prefix = prefix;
    if (o.registry !== undefined && !(o.registry instanceof MetricRegistry)) {
      throw new InvalidArgumentError(`PerformanceMonitor registry must be a MetricRegistry when given, got ${describe(o.registry)}`);
    }
    this.ticker = new WindowTicker({ windowMs, slots, now });
    this.now = now ?? performance.now.bind(performance);
    this.registry = o.registry ?? new MetricRegistry({ now });
    this.registry.register(this);
    this.alerts = new AlertEngine(this, 'PerformanceMonitor');
    this.ticker.start();
  }

  // ---------------------------------------------------------------- writes

  /**
   * Declares a metric before its first use: unit, help, labels, histogram layout.
   * Optional: an undeclared metric takes the defaults on first use.
   */
  define(name: string, definition: MetricDefinition): this {
    this._checkOpen();
    this._checkName(name);
    const what = `PerformanceMonitor metric "${name}"`;
    const d = checkOptions(what, 'definition', definition);
    if (this.entries.has(name)) {
      throw new InvalidArgumentError(`${what} is already in use; define it before its first use`);
    }
    const clean: MetricDefinition = layoutOf(d);
    if (d.unit !== undefined) clean.unit = checkOneOf(what, 'unit', d.unit, UNITS);
    if (d.help !== undefined) clean.help = checkString(what, 'help', d.help, { nonEmpty: true });
    if (d.labelNames !== undefined) {
      const names = [...checkArray<string>(what, 'labelNames', d.labelNames)];
      assertLabelNames(names, what);
      clean.labelNames = names;
    }
    new Histogram({ name: what, ...this.histogramDefaults, ...layoutOf(d) }); // validates the layout now
    this.definitions.set(name, clean);
    return this;
  }

  /**
   * Records `value` (>= 0) under `name`, and `labels` if given.
   * @example monitor.track('blob.size', 4096, { kind: 'image' })
   */
  track(name: string, value: number, labels?: Labels): void {
    if (typeof value !== 'number' || !(value >= 0 && value !== Infinity)) {
      checkNumber(`PerformanceMonitor tracked ${describe(name)}`, 'value', value, { min: 0 });
    }
    let e = this.entries.get(name) as Entry<WindowedHistogram> | undefined;
    if (e === undefined || e.kind !== 'tracked') e = this._entry(name, 'tracked', labels) as Entry<WindowedHistogram>;
    e.series(labels).value.record(value);
  }

  /**
   * Starts a timer on the monotonic clock; calling the returned function
   * records the elapsed milliseconds under `name` and returns them.
   * @example const stop = monitor.startTimer('db.query'); await query(); stop();
   */
  startTimer(name: string, labels?: Labels): () => number {
    this._checkOpen();
    this._checkName(name);
    this._checkLabelsShape(name, labels);
    if (!this.entries.has(name) && !this.definitions.has(name)) this.definitions.set(name, { unit: 'ms' });
    const start = this.now();
    let done = false;
    return () => {
      const ms = this.now() - start;
      if (!done) {
        done = true;
        this.track(name, ms < 0 ? 0 : ms, labels);
      }
      return ms;
    };
  }

  /**
   * Adds `by` (finite, >= 0, default 1) to a counter.
   * @example monitor.increment('bytes.sent', n)
   */
  increment(name: string, by = 1, labels?: Labels): void {
    if (typeof by !== 'number' || !(by >= 0 && by !== Infinity)) {
      checkNumber(`PerformanceMonitor counter ${describe(name)}`, 'increment', by, { min: 0 });
    }
    let e = this.entries.get(name) as Entry<WindowedCounter> | undefined;
    if (e === undefined || e.kind !== 'counter') e = this._entry(name, 'counter', labels) as Entry<WindowedCounter>;
    e.series(labels).value.add(by);
  }

  /**
   * Sets a gauge to `value`.
   * @example monitor.setGauge('queue.depth', queue.length)
   */
  setGauge(name: string, value: number, labels?: Labels): void {
    if (typeof value !== 'number' || value !== value) {
      checkNumber(`PerformanceMonitor gauge ${describe(name)}`, 'value', value, { allowInfinity: true, note: '(not NaN)' });
    }
    let e = this.entries.get(name) as Entry<{ v: number }> | undefined;
    if (e === undefined || e.kind !== 'gauge') e = this._entry(name, 'gauge', labels) as Entry<{ v: number }>;
    e.series(labels).value.v = value;
  }

  /** Slow path of the writes: creates the entry, or explains the kind clash. */
  private _entry(name: string, kind: Kind, labels: Labels | undefined): Entry<unknown> {
    this._checkOpen();
    const existing = this.entries.get(name);
    if (existing !== undefined) {
      throw new InvalidArgumentError(`PerformanceMonitor metric "${name}" is a ${existing.kind}, not a ${kind}`);
    }
    this._checkName(name);
    this._checkLabelsShape(name, labels);
    const def = this.definitions.get(name) ?? {};
    let labelNames = def.labelNames ? [...def.labelNames] : labels ? Object.keys(labels).sort() : [];
    if (labelNames.length === 0 && labels && Object.keys(labels).length > 0) labelNames = Object.keys(labels).sort();
    assertLabelNames(labelNames, `PerformanceMonitor ${kind} "${name}"`);
    const hist: HistogramOptions = { ...this.histogramDefaults, ...def, name };
    const make =
      kind === 'tracked'
        ? () => new WindowedHistogram(this.ticker, hist)
        : kind === 'counter'
          ? () => new WindowedCounter(this.ticker)
          : () => ({ v: 0 });
    const e = new Entry<unknown>(name, kind, def, labelNames, this.maxSeries, make);
    const exposed = this._exposedName(name, kind, def.unit ?? 'none');
    try {
      this.registry.reserve(exposed, kind === 'tracked' ? 'summary' : kind);
    } catch (err) {
      if (err instanceof BlackholeError) throw new BlackholeError(err.code, `PerformanceMonitor ${kind} "${name}": ${err.message}`);
      throw err;
    }
    e.exposedName = exposed;
    this.entries.set(name, e);
    return e;
  }

  private _exposedName(name: string, kind: Kind, unit: MetricUnit): string {
    let n = this.prefix + sanitize(name);
    if (kind === 'tracked' && unit === 'ms' && !n.endsWith('_seconds')) n += '_seconds';
    if (kind === 'tracked' && unit === 'bytes' && !n.endsWith('_bytes')) n += '_bytes';
    if (kind === 'counter' && !n.endsWith('_total')) n += '_total';
    return n;
  }

  private _checkName(name: unknown): asserts name is string {
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError(`PerformanceMonitor metric name must be a non-empty string, got ${describe(name)}`);
    }
  }

  /** A labels argument: undefined, or an object whose values are strings, numbers or booleans. */
  private _checkLabelsShape(name: string, labels: unknown): void {
    if (labels === undefined) return;
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
      throw new InvalidArgumentError(`PerformanceMonitor metric ${describe(name)} labels must be an object when given, got ${describe(labels)}`);
    }
    for (const k in labels) {
      const v = (labels as Record<string, unknown>)[k];
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new InvalidArgumentError(`PerformanceMonitor metric ${describe(name)} label "${k}" must be a string, number or boolean, got ${describe(v)}`);
      }
    }
  }

  /** A read's name and labels: checked like a write's, so a bad read is refused rather than answered with null. */
  private _checkRead(name: unknown, labels: unknown): asserts name is string {
    this._checkName(name);
    this._checkLabelsShape(name, labels);
  }

  private _checkOpen(): void {
    if (this.isClosed) throw new ClosedError('PerformanceMonitor');
  }

  // ---------------------------------------------------------------- reads

  private _tracked(name: string): Entry<WindowedHistogram> | null {
    const e = this.entries.get(name);
    return e !== undefined && e.kind === 'tracked' ? (e as Entry<WindowedHistogram>) : null;
  }

  /** Merged histogram of a tracked metric (one label set, or all of them), all time or window. */
  private _histogramOf(name: string, labels: Labels | undefined, window: boolean): Histogram | null {
    this._checkOpen();
    this._checkRead(name, labels);
    const e = this._tracked(name);
    if (e === null) return null;
    this.ticker.update();
    if (labels !== undefined || e.index === null) {
      const s = e.find(labels)?.value;
      if (s === undefined) return null;
      return window ? s.window() : s.total();
    }
    let merged: Histogram | null = null;
    for (const s of e.all()) {
      const h = window ? s.value.window() : s.value.total();
      if (merged === null) merged = h.cloneEmpty();
      merged.merge(h);
    }
    return merged ?? new Histogram({ name, ...this.histogramDefaults, ...e.definition });
  }

  /**
   * All-time statistics of a tracked metric; with `labels`, of that label set
   * only, otherwise merged over every label set. `null` if never tracked (or
   * that label set never seen: reads never create series).
   */
  getStats(name: string, labels?: Labels): MetricStats | null {
    const h = this._histogramOf(name, labels, false);
    return h === null ? null : statsOf(h);
  }

  /** Statistics over the sliding window (the last `windowMs`), like {@link getStats}. */
  getWindowStats(name: string, labels?: Labels): MetricStats | null {
    const h = this._histogramOf(name, labels, true);
    return h === null ? null : statsOf(h);
  }

  /** A counter's total and its per-second rate over the window (summed over label sets unless `labels`). */
  getCounter(name: string, labels?: Labels): { total: number; rate: number; windowTotal: number } | null {
    this._checkOpen();
    this._checkRead(name, labels);
    const e = this.entries.get(name);
    if (e === undefined || e.kind !== 'counter') return null;
    this.ticker.update();
    let list: Iterable<Series<WindowedCounter>> = (e as Entry<WindowedCounter>).all();
    if (labels !== undefined) {
      const one = (e as Entry<WindowedCounter>).find(labels);
      if (one === undefined) return null;
      list = [one];
    }
    let total = 0;
    let windowTotal = 0;
    for (const s of list) {
      total += s.value.total;
      windowTotal += s.value.windowSum();
    }
    const ms = this.ticker.coveredMs();
    return { total, windowTotal, rate: ms > 0 ? (windowTotal * 1000) / ms : 0 };
  }

  /** A gauge's value (summed over label sets unless `labels`), or null if never set. */
  getGauge(name: string, labels?: Labels): number | null {
    this._checkOpen();
    this._checkRead(name, labels);
    const e = this.entries.get(name);
    if (e === undefined || e.kind !== 'gauge') return null;
    if (labels !== undefined) return (e as Entry<{ v: number }>).find(labels)?.value.v ?? null;
    let sum = 0;
    for (const s of (e as Entry<{ v: number }>).all()) sum += s.value.v;
    return sum;
  }

  /**
   * One statistic of a metric, for alerts and budgets: a MetricStats field of a
   * tracked metric (window or all time), `rate`/`total` of a counter, `value`
   * of a gauge. `null` when there is no such metric or no data yet.
   */
  readStat(metric: string, stat: StatName, options?: { labels?: Labels; window?: boolean }): number | null {
    this._checkOpen();
    this._checkName(metric);
    checkOneOf(`PerformanceMonitor readStat "${metric}"`, 'stat', stat, STAT_NAMES);
    const o = checkOptions(`PerformanceMonitor readStat "${metric}"`, 'options', options);
    if (o.window !== undefined && typeof o.window !== 'boolean') {
      throw new InvalidArgumentError(`PerformanceMonitor readStat "${metric}" options.window must be a boolean when given, got ${describe(o.window)}`);
    }
    this._checkLabelsShape(metric, o.labels);
    return this._readStatUnchecked(metric, stat, o);
  }

  private _readStatUnchecked(metric: string, stat: StatName, options: { labels?: Labels; window?: boolean }): number | null {
    const e = this.entries.get(metric);
    if (e === undefined) return null;
    if (e.kind === 'counter') {
      const c = this.getCounter(metric, options.labels);
      if (c === null) return null;
      return stat === 'rate' ? c.rate : stat === 'total' ? c.total : stat === 'count' ? c.windowTotal : null;
    }
    if (e.kind === 'gauge') return stat === 'value' ? this.getGauge(metric, options.labels) : null;
    const h = this._histogramOf(metric, options.labels, options.window !== false);
    if (h === null || h.count === 0) return null;
    if (stat === 'rate') {
      const ms = this.ticker.coveredMs();
      return ms > 0 ? (h.count * 1000) / ms : 0;
    }
    const s = statsOf(h);
    return stat in s ? s[stat as keyof MetricStats] : null;
  }

  /** Names of every metric, by kind. */
  names(): { tracked: string[]; counters: string[]; gauges: string[] } {
    const out = { tracked: [] as string[], counters: [] as string[], gauges: [] as string[] };
    for (const e of this.entries.values()) (e.kind === 'tracked' ? out.tracked : e.kind === 'counter' ? out.counters : out.gauges).push(e.name);
    return out;
  }

  // ---------------------------------------------------------------- sources

  /**
   * Registers a component whose `stats()` is pulled at report and scrape time.
   * @example monitor.register('blob_cache', cache)
   */
  register(name: string, source: StatsSource): void {
    this._checkOpen();
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidArgumentError(`PerformanceMonitor source name must be a non-empty string, got ${describe(name)}`);
    }
    if (source === null || typeof source !== 'object' || typeof source.stats !== 'function') {
      throw new InvalidArgumentError(`PerformanceMonitor source "${name}" must have a stats() method, got ${describe(source)}`);
    }
    if (this.sources.has(name)) throw new InvalidArgumentError(`PerformanceMonitor source "${name}" is already registered`);
    if (!this.registry.has(`${this.prefix}component_stat`)) this.registry.reserve(`${this.prefix}component_stat`, 'gauge');
    this.sources.set(name, source);
  }

  /** Removes a registered source; returns whether it was there. */
  unregister(name: string): boolean {
    checkString('PerformanceMonitor unregister', 'name', name);
    return this.sources.delete(name);
  }

  private _pullSources(): Record<string, object> {
    const out: Record<string, object> = {};
    for (const [name, src] of this.sources) {
      try {
        out[name] = src.stats();
      } catch (err) {
        out[name] = { error: err instanceof Error ? err.message : String(err) };
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- reports

  /** Everything the monitor knows, as one plain object. */
  generateReport(): PerformanceReport {
    this._checkOpen();
    this.ticker.update();
    const report: PerformanceReport = {
      timestamp: Date.now(),
      windowMs: this.ticker.coveredMs(),
      metrics: {},
      counters: {},
      gauges: {},
      sources: this._pullSources(),
    };
    for (const e of this.entries.values()) {
      if (e.kind === 'tracked') {
        const t = e as Entry<WindowedHistogram>;
        const m: PerformanceReport['metrics'][string] = {
          window: statsOf(this._histogramOf(e.name, undefined, true)!),
          all: statsOf(this._histogramOf(e.name, undefined, false)!),
        };
        if (t.index !== null) {
          m.series = [...t.all()].map((s) => ({ labels: labelsOf(s.key, t.labelNames), window: statsOf(s.value.window()) }));
        }
        report.metrics[e.name] = m;
      } else if (e.kind === 'counter') {
        const c = this.getCounter(e.name)!;
        report.counters[e.name] = { total: c.total, rate: c.rate };
      } else {
        const g = e as Entry<{ v: number }>;
        report.gauges[e.name] =
          g.index === null ? g.single!.value.v : [...g.all()].map((s) => ({ labels: labelsOf(s.key, g.labelNames), value: s.value.v }));
      }
    }
    return report;
  }

  /**
   * Sends a report to `sink` every `intervalMs` on an unref'd timer (alerts
   * are evaluated first). A slow async sink is not overlapped: a tick that
   * finds the previous report still running is skipped. Returns a stop function.
   */
  startAutoReporting(intervalMs: number, sink: ReportSink): () => void {
    this._checkOpen();
    checkTimerMs('PerformanceMonitor startAutoReporting', 'intervalMs', intervalMs, { min: 10 });
    checkFunction('PerformanceMonitor startAutoReporting', 'sink', sink);
    this.stopAutoReporting();
    const timer = setInterval(() => void this._reportOnce(sink), intervalMs);
    timer.unref();
    this.reportTimer = timer;
    return () => {
      if (this.reportTimer === timer) this.stopAutoReporting();
    };
  }

  /** Stops auto-reporting, if running. */
  stopAutoReporting(): void {
    if (this.reportTimer !== null) {
      clearInterval(this.reportTimer);
      this.reportTimer = null;
    }
  }

  private async _reportOnce(sink: ReportSink): Promise<void> {
    if (this.reporting || this.isClosed) return;
    this.reporting = true;
    try {
      // A failing alert rule is reported but does not stop the report.
      try {
        this.evaluateAlerts();
      } catch (err) {
        this._fail(err);
      }
      await sink(this.generateReport());
    } catch (err) {
      this._fail(err);
    } finally {
      this.reporting = false;
    }
  }

  private _fail(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else process.emitWarning(`PerformanceMonitor report sink failed: ${err instanceof Error ? err.message : String(err)}`, { code: 'BH_MONITOR_SINK' });
  }

  // ---------------------------------------------------------------- alerts & budgets

  /**
   * Adds an alert rule: an `'alert'` event when the statistic crosses the
   * threshold, a `'recover'` event when it comes back past the recovery level
   * (hysteresis, so it does not flap).
   * @example monitor.addAlert({ name: 'slow', metric: 'http.request', stat: 'p99', above: 250, recoverBelow: 200 })
   */
  addAlert(rule: AlertRule): void {
    this._checkOpen();
    this.alerts.add(rule);
  }

  /** Removes an alert rule by name. */
  removeAlert(name: string): boolean {
    return this.alerts.remove(name);
  }

  /** Evaluates every alert rule now; returns (and emits) the transitions. */
  evaluateAlerts(): AlertEvent[] {
    this._checkOpen();
    return this.alerts.evaluate();
  }

  /** The alert rules currently firing. */
  firingAlerts(): string[] {
    return this.alerts.firing();
  }

  /** Evaluates alerts every `intervalMs` on an unref'd timer. Returns a stop function. */
  watchAlerts(intervalMs: number): () => void {
    this._checkOpen();
    checkTimerMs('PerformanceMonitor watchAlerts', 'intervalMs', intervalMs, { min: 10 });
    if (this.alertTimer !== null) clearInterval(this.alertTimer);
    const timer = setInterval(() => {
      try {
        this.evaluateAlerts();
      } catch (err) {
        this._fail(err);
      }
    }, intervalMs);
    timer.unref();
    this.alertTimer = timer;
    return () => {
      if (this.alertTimer === timer) {
        clearInterval(timer);
        this.alertTimer = null;
      }
    };
  }

  /**
   * Adds a performance budget, e.g. `{ metric: 'http.request', stat: 'p99', max: 50 }`.
   * @example monitor.setBudget({ metric: 'http.request', stat: 'p95', max: 20 })
   */
  setBudget(budget: Budget): void {
    this._checkOpen();
    validateBudget('PerformanceMonitor setBudget', budget);
    this.budgets.push({ ...budget, labels: budget.labels === undefined ? undefined : { ...budget.labels } });
  }

  /** Every budget violation now (empty when all budgets hold). */
  checkBudgets(): BudgetViolation[] {
    this._checkOpen();
    return evaluateBudgets(this, this.budgets);
  }

  /** Throws a BudgetExceededError listing every violation, if any: for a CI step. */
  assertBudgets(): void {
    const v = this.checkBudgets();
    if (v.length > 0) throw new BudgetExceededError(v);
  }

  // ---------------------------------------------------------------- prometheus

  /** The Prometheus exposition of the monitor's registry (the monitor's metrics included). */
  metrics(): string {
    this._checkOpen();
    return this.registry.metrics();
  }

  /** Writes the monitor's families into a scrape (called by the registry). */
  collect(w: ExpositionWriter): void {
    if (!(w instanceof ExpositionWriter)) throw new InvalidArgumentError(`PerformanceMonitor collect w must be an ExpositionWriter, got ${describe(w)}`);
    if (this.isClosed) return;
    this.ticker.update();
    for (const e of this.entries.values()) {
      const name = e.exposedName;
      const help = e.definition.help ?? `PerformanceMonitor ${e.kind} ${e.name}`;
      if (e.kind === 'tracked') {
        w.header(name, 'summary', help);
        const divisor = e.definition.unit === 'ms' ? 1000 : 1;
        for (const s of (e as Entry<WindowedHistogram>).all()) {
          writeSummaryLines(w, name, s.key.pairs, s.value, QUANTILE_LABELS, QUANTILE_PERCENTS, divisor);
        }
      } else if (e.kind === 'counter') {
        w.header(name, 'counter', help);
        for (const s of (e as Entry<WindowedCounter>).all()) w.sample(name, s.block, s.value.total);
      } else {
        w.header(name, 'gauge', help);
        for (const s of (e as Entry<{ v: number }>).all()) w.sample(name, s.block, s.value.v);
      }
    }
    this._collectSources(w);
  }

  /**
   * Numeric (and boolean) leaves of every source's stats() become one gauge
   * family, `<prefix>component_stat{component="cache",stat="l1.hits"}`: label
   * values are free-form, so any field name is exposable without clashes.
   */
  private _collectSources(w: ExpositionWriter): void {
    if (this.sources.size === 0) return;
    const name = `${this.prefix}component_stat`;
    let lines = '';
    const walk = (component: string, obj: object, path: string): void => {
      for (const [k, v] of Object.entries(obj)) {
        const p = path === '' ? k : `${path}.${k}`;
        const value = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null;
        if (value !== null) {
          lines += `${name}{component="${escapeLabelValue(component)}",stat="${escapeLabelValue(p)}"} ${formatValue(value)}\n`;
        } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
          walk(component, v, p);
        }
      }
    };
    for (const [component, stats] of Object.entries(this._pullSources())) walk(component, stats, '');
    w.header(name, 'gauge', 'Numeric fields of registered components\' stats(), pulled at scrape time.');
    w.raw(lines);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Stops every timer and releases the series. Safe to call twice. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stopAutoReporting();
    if (this.alertTimer !== null) clearInterval(this.alertTimer);
    this.alertTimer = null;
    this.ticker.stop();
    this.entries.clear();
    this.sources.clear();
  }
}
