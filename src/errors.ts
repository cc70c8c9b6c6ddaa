/**
 * Errors shared by every area.
 *
 * Operational failures (a closed pool, a full queue, a budget exceeded) are
 * `BlackholeError`s carrying a stable `code` that is never reused for another
 * meaning. Bad arguments are `RangeError`/`TypeError` subclasses, so callers
 * that catch the built-in kinds keep working, but they carry a code too.
 * Messages name the component, the parameter, the value and the rule.
 */

/** Stable error codes. A code, once published, keeps its meaning forever. */
export const ErrorCode = {
  /** An argument is outside its allowed range. */
  OUT_OF_RANGE: 'ERR_BH_OUT_OF_RANGE',
  /** An argument has the wrong type or shape. */
  INVALID_ARG: 'ERR_BH_INVALID_ARG',
  /** Work was submitted to a component after `close()`. */
  CLOSED: 'ERR_BH_CLOSED',
  /** A metric name or label set breaks the Prometheus naming rules or clashes with a registered one. */
  METRIC_NAME: 'ERR_BH_METRIC_NAME',
  /** A labelled metric would exceed its maximum number of series. */
  CARDINALITY: 'ERR_BH_CARDINALITY',
  /** One or more performance budgets were exceeded. */
  BUDGET_EXCEEDED: 'ERR_BH_BUDGET_EXCEEDED',
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Base class of every operational error thrown or rejected by blackhole-perf.
 * @example
 * try { pool.submit(task) } catch (e) { if (e instanceof BlackholeError && e.code === ErrorCode.CLOSED) ... }
 */
export class BlackholeError extends Error {
  /** Stable, documented code: match on this, not on the message. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A `RangeError` with a stable code: a numeric argument broke its rule.
 * @example throw new OutOfRangeError('Histogram significantDigits (7) must be an integer from 1 to 5')
 */
export class OutOfRangeError extends RangeError {
  /** Always {@link ErrorCode.OUT_OF_RANGE}. */
  readonly code: string = ErrorCode.OUT_OF_RANGE;
  constructor(message: string) {
    super(message);
    this.name = 'RangeError';
  }
}

/**
 * A `TypeError` with a stable code: an argument had the wrong type or shape.
 * @example throw new InvalidArgumentError('PerformanceMonitor name must be a non-empty string, got 42')
 */
export class InvalidArgumentError extends TypeError {
  /** Always {@link ErrorCode.INVALID_ARG}. */
  readonly code: string = ErrorCode.INVALID_ARG;
  constructor(message: string) {
    super(message);
    this.name = 'TypeError';
  }
}

/**
 * Thrown (or rejected) when a component is used after `close()`.
 * @example new ClosedError('PerformanceMonitor')
 */
export class ClosedError extends BlackholeError {
  constructor(component: string) {
    super(ErrorCode.CLOSED, `${component} is closed`);
  }
}

/** Describes a value for an error message: strings are quoted, everything else printed plainly. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${value}n (a bigint)`;
  if (typeof value === 'symbol') return 'a symbol';
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const t = typeof value;
  return `${t === 'object' ? 'an' : 'a'} ${t}`;
}
