/**
 * Performance budgets: limits on statistics ("p99 of http.request under 50 ms,
 * all time"), checked on demand. `checkBudgets` returns every violation, so a
 * CI step can print them all and fail once.
 */
import { BlackholeError, ErrorCode, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import type { Labels } from './exposition.ts';
import type { StatName } from './monitor.ts';
import { STAT_NAMES, checkRuleLabels } from './alerts.ts';
import { checkArray, checkOneOf, checkString, optionalBoolean } from '../validate.ts';

/** A limit on one statistic. Give `max`, `min` or both. */
export interface Budget {
  /** Name used in violations; default `metric.stat`. */
  name?: string;
  /** Metric the budget applies to. */
  metric: string;
  /** Statistic limited: a MetricStats field, `rate`/`total` (counters) or `value` (gauges). */
  stat: StatName;
  /** Upper limit (inclusive). */
  max?: number;
  /** Lower limit (inclusive). */
  min?: number;
  /** One label set only; default merged over all. */
  labels?: Labels;
  /** Check the sliding window (true) or all time (false, the default). */
  window?: boolean;
  /** Count "no data" as a violation (a benchmark that recorded nothing). Default false. */
  requireData?: boolean;
}

/** One broken budget. */
export interface BudgetViolation {
  /** The budget's name. */
  budget: string;
  /** The metric. */
  metric: string;
  /** The statistic. */
  stat: StatName;
  /** Which limit broke: `max`, `min`, or `no-data` (with `requireData`). */
  kind: 'max' | 'min' | 'no-data';
  /** The limit. */
  limit: number | null;
  /** The measured value, or null for `no-data`. */
  actual: number | null;
  /** A readable sentence. */
  message: string;
}

/** What a budget check needs from the monitor. */
export interface BudgetHost {
  /** Reads one statistic; null when there is no data. */
  readStat(metric: string, stat: StatName, options: { labels?: Labels; window?: boolean }): number | null;
}

/** Thrown by `assertBudgets()`: lists every violation. */
export class BudgetExceededError extends BlackholeError {
  /** Every violation found. */
  readonly violations: BudgetViolation[];
  constructor(violations: BudgetViolation[]) {
    super(ErrorCode.BUDGET_EXCEEDED, `${violations.length} performance budget(s) exceeded:\n${violations.map((v) => `  - ${v.message}`).join('\n')}`);
    this.violations = violations;
  }
}

/**
 * Checks one budget's shape; `component` prefixes the messages (internal:
 * the monitor's setBudget uses it too).
 */
export function validateBudget(component: string, b: Budget): void {
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new InvalidArgumentError(`${component} budget must be an object, got ${describe(b)}`);
  if (typeof b.metric !== 'string' || b.metric.length === 0) throw new InvalidArgumentError(`${component} budget metric must be a non-empty string, got ${describe(b.metric)}`);
  const what = `${component} budget "${b.metric}.${String(typeof b.stat === 'string' ? b.stat : '?')}"`;
  checkOneOf(what, 'stat', b.stat, STAT_NAMES);
  if (b.name !== undefined) checkString(what, 'name', b.name, { nonEmpty: true });
  checkRuleLabels(what, b.labels);
  optionalBoolean(what, 'window', b.window, false);
  optionalBoolean(what, 'requireData', b.requireData, false);
  if (b.max === undefined && b.min === undefined) throw new InvalidArgumentError(`${what} needs max, min or both`);
  for (const k of ['max', 'min'] as const) {
    const v = b[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
      const E = typeof v === 'number' ? OutOfRangeError : InvalidArgumentError;
      throw new E(`${what} ${k} (${describe(v)}) must be a finite number`);
    }
  }
  if (b.max !== undefined && b.min !== undefined && b.min > b.max) {
    throw new OutOfRangeError(`${what} min (${b.min}) must be <= max (${b.max})`);
  }
}

/**
 * Checks budgets (an array) against a monitor (anything with `readStat`);
 * returns every violation (empty if all hold). Every budget is validated
 * before any is read.
 * @example checkBudgets(monitor, [{ metric: 'http.request', stat: 'p99', max: 50 }])
 */
export function checkBudgets(host: BudgetHost, budgets: readonly Budget[]): BudgetViolation[] {
  if (host === null || typeof host !== 'object' || typeof host.readStat !== 'function') {
    throw new InvalidArgumentError(`checkBudgets host must be an object with readStat(), got ${describe(host)}`);
  }
  checkArray('checkBudgets', 'budgets', budgets);
  for (const b of budgets) validateBudget('checkBudgets', b);
  return evaluateBudgets(host, budgets);
}

/** Reads every (already validated) budget. */
export function evaluateBudgets(host: BudgetHost, budgets: readonly Budget[]): BudgetViolation[] {
  const out: BudgetViolation[] = [];
  for (const b of budgets) {
    const name = b.name ?? `${b.metric}.${b.stat}`;
    const scope = b.window ? 'over the window' : 'all time';
    const actual = host.readStat(b.metric, b.stat, { labels: b.labels, window: b.window === true });
    if (actual === null) {
      if (b.requireData) {
        out.push({ budget: name, metric: b.metric, stat: b.stat, kind: 'no-data', limit: null, actual: null, message: `${name}: no data ${scope}` });
      }
      continue;
    }
    if (b.max !== undefined && actual > b.max) {
      out.push({ budget: name, metric: b.metric, stat: b.stat, kind: 'max', limit: b.max, actual, message: `${name} is ${actual} ${scope}, above its max ${b.max}` });
    }
    if (b.min !== undefined && actual < b.min) {
      out.push({ budget: name, metric: b.metric, stat: b.stat, kind: 'min', limit: b.min, actual, message: `${name} is ${actual} ${scope}, below its min ${b.min}` });
    }
  }
  return out;
}
