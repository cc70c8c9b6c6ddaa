/**
 * Argument checks shared by every area (internal: not re-exported).
 *
 * One contract for bad input across the package: a public call either works or
 * throws `InvalidArgumentError` (wrong type or shape) / `OutOfRangeError`
 * (right type, value outside its rule), with a message that names the
 * component, the parameter, the value and the rule, in that order:
 *
 *     Histogram highestTrackableValue (0) must be an integer from 2 to 2^53
 *
 * The checks never coerce: `'5'` is not a number, `null` is not an options
 * object, a string is not an array of labels, a bigint is not a number. Each
 * returns the checked value so a constructor can read an option and check it in
 * one expression. They are plain functions with no state, cheap enough for a
 * constructor or an API call; per-item hot loops check once, before the loop.
 *
 * Timers: Node stores a delay in a signed 32-bit integer and fires any delay
 * above 2^31 - 1 ms after 1 ms (with a TimeoutOverflowWarning), so every
 * option that ends up in `setTimeout`/`setInterval` goes through
 * {@link checkTimerMs}, which refuses larger values (Infinity, where allowed,
 * means "no timer at all").
 */
import { InvalidArgumentError, OutOfRangeError, describe } from './errors.ts';

/** The largest delay Node's timers honour: 2^31 - 1 ms (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Checks an options argument: `undefined` becomes `{}`; anything but a plain
 * (non-array, non-null) object is refused.
 * @example const o = checkOptions('Semaphore', 'options', options); // {} when undefined
 */
export function checkOptions<T extends object>(component: string, param: string, v: T | undefined | null): T {
  if (v === undefined) return {} as T;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new InvalidArgumentError(`${component} ${param} must be an object when given, got ${describe(v)}`);
  }
  return v;
}

/** Rules for {@link checkNumber}. */
export interface NumberRule {
  /** Smallest allowed value (inclusive unless `minExclusive`). Default -Infinity. */
  min?: number;
  /** `min` itself is refused. */
  minExclusive?: boolean;
  /** Largest allowed value (inclusive). Default Infinity. */
  max?: number;
  /** Only integers (safe integers when no bounds are given). */
  integer?: boolean;
  /** Infinity (and -Infinity when min allows it) is allowed. Default false: finite only. */
  allowInfinity?: boolean;
  /** Extra text for the rule, e.g. "(Infinity: no limit)". */
  note?: string;
}

function fmt(n: number): string {
  if (n === 2 ** 53) return '2^53';
  if (n === 2 ** 53 - 1) return '2^53 - 1';
  if (n === MAX_TIMER_MS) return '2^31 - 1';
  if (n >= 2 ** 20 && Number.isInteger(Math.log2(n))) return `2^${Math.log2(n)}`;
  return String(n);
}

function ruleText(r: NumberRule): string {
  const kind = r.integer ? 'an integer' : 'a number';
  const min = r.min ?? -Infinity;
  const max = r.max ?? Infinity;
  let s: string;
  if (min > -Infinity && max < Infinity && !r.minExclusive) s = `${kind} from ${fmt(min)} to ${fmt(max)}`;
  else if (min > -Infinity && max < Infinity) s = `${kind} > ${fmt(min)} and <= ${fmt(max)}`;
  else if (min > -Infinity) s = `${kind} ${r.minExclusive ? '>' : '>='} ${fmt(min)}`;
  else if (max < Infinity) s = `${kind} <= ${fmt(max)}`;
  else s = r.integer ? 'a safe integer' : 'a finite number';
  if (r.allowInfinity) s += ' or Infinity';
  if (r.note) s += ` ${r.note}`;
  return s;
}

/**
 * Checks a numeric argument against a rule and returns it. Non-numbers
 * (strings, bigints, null, symbols...) are `InvalidArgumentError`; NaN, an
 * infinity that is not allowed, a fraction where an integer is required and
 * values out of bounds are `OutOfRangeError`.
 * @example const slots = checkNumber('MpmcRing', 'slots', o.slots, { integer: true, min: 2, max: 2 ** 24 });
 */
export function checkNumber(component: string, param: string, v: unknown, rule: NumberRule = {}): number {
  if (typeof v !== 'number') {
    throw new InvalidArgumentError(`${component} ${param} must be ${ruleText(rule)}, got ${describe(v)}`);
  }
  const min = rule.min ?? -Infinity;
  const max = rule.max ?? Infinity;
  const inf = v === Infinity || v === -Infinity;
  const ok =
    v === v &&
    (inf ? rule.allowInfinity === true && (v === Infinity || min === -Infinity) : true) &&
    (!rule.integer || inf || (Number.isInteger(v) && (rule.min !== undefined || rule.max !== undefined || Number.isSafeInteger(v)))) &&
    (inf ? true : (rule.minExclusive ? v > min : v >= min) && v <= max);
  if (!ok) throw new OutOfRangeError(`${component} ${param} (${describe(v)}) must be ${ruleText(rule)}`);
  return v;
}

/**
 * Checks an optional numeric argument: `undefined` gives `fallback`, anything
 * else must pass {@link checkNumber}.
 * @example const n = optionalNumber('Semaphore', 'permits', o.permits, 1, { integer: true, min: 1 });
 */
export function optionalNumber(component: string, param: string, v: unknown, fallback: number, rule: NumberRule = {}): number {
  return v === undefined ? fallback : checkNumber(component, param, v, rule);
}

/**
 * Checks a duration that will reach a Node timer: a number of ms from `min`
 * (default 0) to 2^31 - 1, or Infinity when `allowInfinity` (meaning: no timer).
 * @example const t = checkTimerMs('Semaphore acquire', 'timeoutMs', o.timeoutMs, { allowInfinity: true });
 */
export function checkTimerMs(
  component: string,
  param: string,
  v: unknown,
  rule: { min?: number; minExclusive?: boolean; allowInfinity?: boolean; integer?: boolean; note?: string } = {},
): number {
  return checkNumber(component, param, v, {
    min: rule.min ?? 0,
    minExclusive: rule.minExclusive,
    max: MAX_TIMER_MS,
    integer: rule.integer,
    allowInfinity: rule.allowInfinity,
    note: rule.note ?? (rule.allowInfinity ? '(Infinity: none); Node timers cannot wait longer than 2^31 - 1 ms' : '(Node timers cannot wait longer than 2^31 - 1 ms)'),
  });
}

/**
 * Optional form of {@link checkTimerMs}: `undefined` gives `fallback`.
 * @example const every = optionalTimerMs('PerformanceMonitor', 'intervalMs', o.intervalMs, 1000, { minExclusive: true });
 */
export function optionalTimerMs(
  component: string,
  param: string,
  v: unknown,
  fallback: number,
  rule: { min?: number; minExclusive?: boolean; allowInfinity?: boolean; integer?: boolean; note?: string } = {},
): number {
  return v === undefined ? fallback : checkTimerMs(component, param, v, rule);
}

/**
 * Checks an array-like argument: an array, or (with `iterable`) any iterable
 * that is not a string, returned as an array. A string is refused: it is
 * iterable, but `'abc'` is never meant as `['a', 'b', 'c']`.
 * @example const names = checkArray('Counter', 'labelNames', o.labelNames);
 */
export function checkArray<T = unknown>(component: string, param: string, v: unknown, opts: { iterable?: boolean; maxLength?: number } = {}): T[] {
  let out: T[];
  if (Array.isArray(v)) out = v as T[];
  else if (
    opts.iterable === true &&
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
  ) {
    out = Array.from(v as Iterable<T>);
  } else {
    throw new InvalidArgumentError(`${component} ${param} must be ${opts.iterable === true ? 'an array or an iterable (not a string)' : 'an array'}, got ${describe(v)}`);
  }
  if (opts.maxLength !== undefined && out.length > opts.maxLength) {
    throw new OutOfRangeError(`${component} ${param} (${describe(out)}) must have at most ${opts.maxLength} items`);
  }
  return out;
}

/**
 * Checks a function argument.
 * @example checkFunction('AsyncBatcher', 'batchFn', fn);
 */
export function checkFunction<F extends (...args: never[]) => unknown>(component: string, param: string, v: unknown): F {
  if (typeof v !== 'function') throw new InvalidArgumentError(`${component} ${param} must be a function, got ${describe(v)}`);
  return v as F;
}

/**
 * Checks a boolean argument (`undefined` gives `fallback`); no truthy coercion.
 * @example const lifo = optionalBoolean('ObjectPool', 'lifo', o.lifo, true);
 */
export function optionalBoolean(component: string, param: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new InvalidArgumentError(`${component} ${param} must be a boolean when given, got ${describe(v)}`);
  return v;
}

/**
 * Checks a string argument; `nonEmpty` refuses `''`.
 * @example const name = checkString('PerformanceMonitor', 'name', o.name, { nonEmpty: true });
 */
export function checkString(component: string, param: string, v: unknown, opts: { nonEmpty?: boolean } = {}): string {
  if (typeof v !== 'string' || (opts.nonEmpty === true && v.length === 0)) {
    throw new InvalidArgumentError(`${component} ${param} must be a ${opts.nonEmpty === true ? 'non-empty ' : ''}string, got ${describe(v)}`);
  }
  return v;
}

/**
 * Checks that a value is one of a fixed set of choices.
 * @example const order = checkOneOf('ResourcePool', 'order', o.order ?? 'fifo', ['fifo', 'lifo'] as const);
 */
export function checkOneOf<const T extends readonly unknown[]>(component: string, param: string, v: unknown, choices: T): T[number] {
  if (!choices.includes(v)) {
    throw new InvalidArgumentError(`${component} ${param} must be one of ${choices.map((c) => describe(c)).join(', ')}, got ${describe(v)}`);
  }
  return v as T[number];
}

/**
 * Checks an optional `AbortSignal` option.
 * @example const signal = optionalSignal('ThreadPool run', 'signal', o.signal);
 */
export function optionalSignal(component: string, param: string, v: unknown): AbortSignal | undefined {
  if (v === undefined) return undefined;
  if (!(v instanceof AbortSignal)) throw new InvalidArgumentError(`${component} ${param} must be an AbortSignal when given, got ${describe(v)}`);
  return v;
}

/**
 * The error class for a value that broke a number rule: `OutOfRangeError` when
 * it is a number (right kind, outside the rule), `InvalidArgumentError` when it
 * is not a number at all ('5', null, a bigint).
 * @example throw new (numberError(v))(`BTree maxNodeSize (${describe(v)}) must be an integer from 4 to 1024`);
 */
export function numberError(v: unknown): typeof OutOfRangeError | typeof InvalidArgumentError {
  return typeof v === 'number' ? OutOfRangeError : InvalidArgumentError;
}

/**
 * Allocates a buffer whose size came from the caller, turning V8's untyped
 * "Array buffer allocation failed" (or a size past the engine's limit) into an
 * `OutOfRangeError` that names the parameter and the size.
 * @example const sab = allocate('MpmcRing', 'slots * slotBytes', bytes, () => new SharedArrayBuffer(bytes));
 */
export function allocate<T>(component: string, param: string, bytes: number, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof RangeError) {
      throw new OutOfRangeError(`${component} ${param} (${bytes} bytes) could not be allocated: ${(e as Error).message}; use a smaller size`);
    }
    throw e;
  }
}

/**
 * The same kind of argument error with its message prefixed by the component
 * that received the bad option (an inner part's error, named as the outer
 * part's); any other value is returned as it is.
 * @example catch (err) { throw prefixArgumentError(err, 'MemoryTier options') }
 */
export function prefixArgumentError(err: unknown, prefix: string): unknown {
  if (err instanceof OutOfRangeError) return new OutOfRangeError(`${prefix}: ${err.message}`);
  if (err instanceof InvalidArgumentError) return new InvalidArgumentError(`${prefix}: ${err.message}`);
  return err;
}
