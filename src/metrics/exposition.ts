/**
 * Prometheus text exposition format 0.0.4: names, escaping, a writer, and the
 * label index every labelled metric uses.
 *
 * Speed comes from doing the work once per series, not once per scrape or per
 * observation: a series renders its label block (`{method="GET",code="200"}`)
 * when it is created, and the index finds a series from a labels object with
 * one `Map.get` per label value, no string building, no sorting.
 */
import { BlackholeError, ErrorCode, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { checkArray, checkFunction, checkNumber, checkOneOf, checkString, numberError } from '../validate.ts';
import { WindowedHistogram } from './windowed-histogram.ts';

/** Label values by label name. Numbers and booleans are rendered with `String()`. */
export type Labels = Readonly<Record<string, string | number | boolean>>;

/** The metric types of the text format. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** The `Content-Type` of text format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const METRIC_TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped'] as const;

/**
 * Throws unless `name` is a valid Prometheus metric name. `what` names the
 * component in the message (a non-empty string).
 * @example assertMetricName('http_requests_total', 'Counter')
 */
export function assertMetricName(name: string, what: string): void {
  checkString('assertMetricName', 'what', what, { nonEmpty: true });
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    throw new BlackholeError(
      ErrorCode.METRIC_NAME,
      `${what} name ${describe(name)} is not a valid Prometheus metric name: it must match [a-zA-Z_:][a-zA-Z0-9_:]*`,
    );
  }
}

/**
 * Throws unless `names` is an array of valid, unreserved and unique label
 * names. `what` names the component in the message (a non-empty string).
 * @example assertLabelNames(['method', 'code'], 'Counter "http_requests_total"', ['le'])
 */
export function assertLabelNames(names: readonly string[], what: string, reserved: readonly string[] = []): void {
  checkString('assertLabelNames', 'what', what, { nonEmpty: true });
  checkArray(what, 'labelNames', names);
  checkArray(what, 'reserved label names', reserved);
  const seen = new Set<string>();
  for (const n of names) {
    if (typeof n !== 'string' || !LABEL_NAME.test(n)) {
      throw new BlackholeError(ErrorCode.METRIC_NAME, `${what} label name ${describe(n)} must match [a-zA-Z_][a-zA-Z0-9_]*`);
    }
    if (n.startsWith('__')) {
      throw new BlackholeError(ErrorCode.METRIC_NAME, `${what} label name "${n}" must not start with "__" (reserved by Prometheus)`);
    }
    if (reserved.includes(n)) {
      throw new BlackholeError(ErrorCode.METRIC_NAME, `${what} label name "${n}" is reserved for this metric type`);
    }
    if (seen.has(n)) throw new BlackholeError(ErrorCode.METRIC_NAME, `${what} label name "${n}" is repeated`);
    seen.add(n);
  }
}

/**
 * Escapes a label value (a string): backslash, double quote and line feed.
 * @example escapeLabelValue('a"b') // 'a\\"b'
 */
export function escapeLabelValue(value: string): string {
  if (typeof value !== 'string') checkString('escapeLabelValue', 'value', value);
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/**
 * Escapes HELP text (a string): backslash and line feed.
 * @example escapeHelp('line one\nline two') // 'line one\\nline two'
 */
export function escapeHelp(help: string): string {
  if (typeof help !== 'string') checkString('escapeHelp', 'help', help);
  return /[\\\n]/.test(help) ? help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : help;
}

/**
 * Formats a sample value (a number) the way Prometheus parses it (`+Inf`, `-Inf`, `NaN`).
 * @example formatValue(Infinity) // '+Inf'
 */
export function formatValue(v: number): string {
  if (typeof v !== 'number') throw new InvalidArgumentError(`formatValue v must be a number, got ${describe(v)}`);
  if (Number.isFinite(v)) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? '+Inf' : '-Inf';
}

/**
 * Renders the inside of a label block, `a="x",b="y"`, in the given name order.
 * @example renderLabelPairs(['method'], ['GET']) // 'method="GET"'
 */
export function renderLabelPairs(names: readonly string[], values: readonly string[]): string {
  checkArray('renderLabelPairs', 'names', names);
  checkArray('renderLabelPairs', 'values', values);
  if (values.length !== names.length) {
    throw new (numberError(values))(`renderLabelPairs values (${describe(values)}) must have one value per name (${names.length})`);
  }
  let s = '';
  for (let i = 0; i < names.length; i++) {
    const n = names[i];
    const v = values[i];
    if (typeof n !== 'string' || typeof v !== 'string') {
      throw new InvalidArgumentError(`renderLabelPairs names[${i}] and values[${i}] must be strings, got ${describe(n)} and ${describe(v)}`);
    }
    if (i > 0) s += ',';
    s += `${n}="${escapeLabelValue(v)}"`;
  }
  return s;
}

/**
 * Wraps label pairs (a string) in braces, or returns '' when there are none.
 * @example labelBlock('a="x"') // '{a="x"}'
 */
export function labelBlock(pairs: string): string {
  if (typeof pairs !== 'string') checkString('labelBlock', 'pairs', pairs);
  return pairs.length === 0 ? '' : `{${pairs}}`;
}

/**
 * Accumulates exposition text. One instance per scrape.
 * @example const w = new ExpositionWriter(); w.header('up', 'gauge', 'Is up.'); w.sample('up', '', 1); w.text();
 */
export class ExpositionWriter {
  private out = '';

  /** Writes the HELP and TYPE lines of a family: `name` a metric name, `type` a MetricType, `help` a string. */
  header(name: string, type: MetricType, help: string): void {
    assertMetricName(name, 'ExpositionWriter header');
    checkOneOf('ExpositionWriter header', 'type', type, METRIC_TYPES);
    checkString('ExpositionWriter header', 'help', help);
    this.out += `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
  }

  /** Writes one sample line; `labels` is a rendered block (`{a="x"}`) or '', `value` a number. */
  sample(name: string, labels: string, value: number): void {
    if (typeof name !== 'string' || typeof labels !== 'string' || typeof value !== 'number') {
      throw new InvalidArgumentError(
        `ExpositionWriter sample name, labels and value must be a string, a string and a number, got ${describe(name)}, ${describe(labels)}, ${describe(value)}`,
      );
    }
    this.out += `${name}${labels} ${formatValue(value)}\n`;
  }

  /** Appends pre-rendered lines (a string, each line ending in a newline). */
  raw(lines: string): void {
    if (typeof lines !== 'string') checkString('ExpositionWriter raw', 'lines', lines);
    this.out += lines;
  }

  /** The text written so far. */
  text(): string {
    return this.out;
  }
}

/**
 * Writes one summary series: a line per quantile over the histogram's window
 * (`NaN` when the window is empty), then the cumulative `_sum` and `_count`.
 * Values are divided by `divisor` (1000 turns milliseconds into seconds;
 * dividing avoids the rounding error of multiplying by 0.001).
 * @example writeSummarySeries(w, 'rpc_seconds', 'peer="a"', series, ['0.5', '0.99'], [50, 99], 1)
 */
export function writeSummarySeries(
  w: ExpositionWriter,
  name: string,
  pairs: string,
  histogram: WindowedHistogram,
  quantileLabels: readonly string[],
  percents: readonly number[],
  divisor: number,
): void {
  const fn = 'writeSummarySeries';
  if (!(w instanceof ExpositionWriter)) throw new InvalidArgumentError(`${fn} w must be an ExpositionWriter, got ${describe(w)}`);
  assertMetricName(name, fn);
  checkString(fn, 'pairs', pairs);
  if (!(histogram instanceof WindowedHistogram)) throw new InvalidArgumentError(`${fn} histogram must be a WindowedHistogram, got ${describe(histogram)}`);
  checkArray(fn, 'quantileLabels', quantileLabels);
  checkArray(fn, 'percents', percents);
  if (quantileLabels.length !== percents.length) {
    throw new (numberError(quantileLabels))(`${fn} quantileLabels (${describe(quantileLabels)}) must have one label per percent (${percents.length})`);
  }
  for (let i = 0; i < percents.length; i++) {
    checkString(fn, `quantileLabels[${i}]`, quantileLabels[i]);
    checkNumber(fn, `percents[${i}]`, percents[i], { min: 0, max: 100 });
  }
  checkNumber(fn, 'divisor', divisor, { min: 0, minExclusive: true });
  writeSummaryLines(w, name, pairs, histogram, quantileLabels, percents, divisor);
}

/**
 * {@link writeSummarySeries} without the argument checks, for the registry
 * and the monitor, whose arguments are built and checked once per metric
 * (internal: not re-exported from the index).
 */
export function writeSummaryLines(
  w: ExpositionWriter,
  name: string,
  pairs: string,
  histogram: WindowedHistogram,
  quantileLabels: readonly string[],
  percents: readonly number[],
  divisor: number,
): void {
  const prefix = pairs.length === 0 ? '{quantile="' : `{${pairs},quantile="`;
  const window = histogram.window();
  const values = window.count === 0 ? null : window.percentiles(percents);
  let lines = '';
  for (let i = 0; i < quantileLabels.length; i++) {
    lines += `${name}${prefix}${quantileLabels[i]}"} ${values === null ? 'NaN' : formatValue(values[i]! / divisor)}\n`;
  }
  const total = histogram.total();
  const block = labelBlock(pairs);
  lines += `${name}_sum${block} ${formatValue(total.sum / divisor)}\n${name}_count${block} ${total.count}\n`;
  w.raw(lines);
}

/** Thrown when a metric would exceed its series limit. */
export class CardinalityError extends BlackholeError {
  constructor(what: string, limit: number) {
    super(
      ErrorCode.CARDINALITY,
      `${what} would exceed maxSeries (${limit}): a label probably carries an unbounded value (an id, a URL); raise maxSeries or drop the label`,
    );
  }
}

/** One series of a labelled metric: its label values and rendered label pairs. */
export interface SeriesKey {
  /** Label values, in the metric's label-name order. */
  readonly values: readonly string[];
  /** Rendered `a="x",b="y"` (without braces). */
  readonly pairs: string;
}

/**
 * A level of the label tree: a null-prototype object used as a dictionary.
 * Measured here, an object keyed by an internalized string answers in about
 * 7 ns where a Map takes about 11; property keys are strings, so the label
 * values 200 and "200" land on the same key by themselves.
 */
type Node<T> = { [value: string]: Node<T> | T };

function dict<T>(): Node<T> {
  return Object.create(null) as Node<T>;
}

/**
 * Finds the series of a labels object: one `Map.get` per label, in the
 * declared label order; a series is created (and validated) on a miss.
 * Label values `200` and `"200"` resolve to the same series.
 * @example
 * const idx = new LabelIndex(['method'], 'Counter "x"', 1000, (key) => ({ key, value: 0 }));
 * idx.get({ method: 'GET' }).value++;
 */
export class LabelIndex<T> {
  /** Declared label names, in order. */
  readonly names: readonly string[];
  private root: Node<T> = dict<T>();
  private readonly byPairs = new Map<string, T>();
  private readonly what: string;
  private readonly maxSeries: number;
  private readonly create: (key: SeriesKey) => T;

  constructor(names: readonly string[], what: string, maxSeries: number, create: (key: SeriesKey) => T) {
    checkString('LabelIndex', 'what', what, { nonEmpty: true });
    checkArray('LabelIndex', 'names', names);
    if (names.length === 0) throw new OutOfRangeError(`LabelIndex names (an array of 0) must hold at least one label name`);
    assertLabelNames(names, `LabelIndex ${what}`);
    checkNumber('LabelIndex', 'maxSeries', maxSeries, { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER });
    checkFunction('LabelIndex', 'create', create);
    names = [...names];
    this.names = names;
    this.what = what;
    this.maxSeries = maxSeries;
    this.create = create;
  }

  /** Number of series. */
  get size(): number {
    return this.byPairs.size;
  }

  /** The series for `labels` (an object with a value for every label name), created on first use. */
  get(labels: Labels): T {
    if (typeof labels !== 'object' || labels === null) return this._miss(labels);
    const names = this.names;
    const last = names.length - 1;
    let node = this.root;
    for (let i = 0; i < last; i++) {
      const v = labels[names[i]!];
      // A missing label would otherwise match a series whose value is the string "undefined";
      // an object or symbol must not be turned into a key (it may even refuse to be).
      const t = typeof v;
      if (t !== 'string' && t !== 'number' && t !== 'boolean') return this._miss(labels);
      const next = node[v as string] as Node<T> | undefined;
      if (next === undefined) return this._miss(labels);
      node = next;
    }
    const v = labels[names[last]!];
    const t = typeof v;
    if (t !== 'string' && t !== 'number' && t !== 'boolean') return this._miss(labels);
    const hit = node[v as string] as T | undefined;
    if (hit === undefined) return this._miss(labels);
    // A hit proves every declared label is there, not that no other is: count
    // the keys so an extra label throws (via miss) as it does on first use.
    let keys = 0;
    for (const _ in labels) keys++;
    return keys === names.length ? hit : this._miss(labels);
  }

  /**
   * The series of `labels` if it exists, without creating it (for reads).
   * Validates `labels` like `get` does.
   */
  find(labels: Labels): T | undefined {
    return this.byPairs.get(this._canonical(labels).pairs);
  }

  /** Validates a labels object and renders its canonical key. */
  private _canonical(labels: Labels): SeriesKey {
    if (labels === null || typeof labels !== 'object') {
      throw new InvalidArgumentError(`${this.what} labels must be an object, got ${describe(labels)}`);
    }
    const values: string[] = [];
    for (const n of this.names) {
      const v = labels[n];
      if (v === undefined || v === null) {
        throw new InvalidArgumentError(`${this.what} label "${n}" is missing; its labels are [${this.names.join(', ')}]`);
      }
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new InvalidArgumentError(`${this.what} label "${n}" must be a string, number or boolean, got ${describe(v)}`);
      }
      values.push(String(v));
    }
    for (const k in labels) {
      if (!this.names.includes(k)) {
        throw new InvalidArgumentError(`${this.what} has no label "${k}"; its labels are [${this.names.join(', ')}]`);
      }
    }
    return { values, pairs: renderLabelPairs(this.names, values) };
  }

  private _miss(labels: Labels): T {
    const { values, pairs } = this._canonical(labels);
    let series = this.byPairs.get(pairs);
    if (series === undefined) {
      if (this.byPairs.size >= this.maxSeries) throw new CardinalityError(this.what, this.maxSeries);
      series = this.create({ values, pairs });
      this.byPairs.set(pairs, series);
    }
    // Link the path of the canonical (string) values: every raw spelling of them hits it.
    let node = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = node[values[i]!] as Node<T> | undefined;
      if (next === undefined) {
        next = dict<T>();
        node[values[i]!] = next;
      }
      node = next;
    }
    node[values[last]!] = series;
    return series;
  }

  /**
   * Every series, in creation order.
   * @example for (const s of index.values()) total += s.value;
   */
  values(): IterableIterator<T> {
    return this.byPairs.values();
  }

  /**
   * Removes every series.
   * @example index.clear()
   */
  clear(): void {
    this.root = dict<T>();
    this.byPairs.clear();
  }
}
