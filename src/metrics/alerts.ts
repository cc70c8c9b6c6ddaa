/**
 * Alert thresholds with hysteresis.
 *
 * A rule watches one statistic (`p99` of a tracked metric over the window, a
 * counter's `rate`, a gauge's `value`...). It fires once when the value goes
 * past its threshold for `forEvaluations` evaluations in a row, and recovers
 * once when the value comes back past a separate recovery level: between the
 * two levels nothing changes, so a value hovering around the threshold does
 * not flap. No data (nothing tracked in the window) changes nothing either.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { checkNumber, checkOneOf, checkString, optionalBoolean, numberError } from '../validate.ts';
import type { Labels } from './exposition.ts';
import type { StatName } from './monitor.ts';

/** An alert rule. Give exactly one of `above` and `below`. */
export interface AlertRule {
  /** Unique rule name, carried by its events. */
  name: string;
  /** Metric to watch. */
  metric: string;
  /** Statistic to watch: a MetricStats field, or `rate`/`total` (counters), `value` (gauges). */
  stat: StatName;
  /** One label set only; default: merged over every label set. */
  labels?: Labels;
  /** Read the sliding window (default true) or all time (false). */
  window?: boolean;
  /** Fire when the statistic is greater than this. */
  above?: number;
  /** Fire when the statistic is less than this. */
  below?: number;
  /** For `above` rules: recover when the statistic is back at or below this (<= above). Default `above` - 10% of |above|. */
  recoverBelow?: number;
  /** For `below` rules: recover when the statistic is back at or above this (>= below). Default `below` + 10% of |below|. */
  recoverAbove?: number;
  /** Consecutive evaluations past the threshold before firing. Default 1. */
  forEvaluations?: number;
}

/** A transition of an alert rule, emitted as the monitor's `'alert'` or `'recover'` event. */
export interface AlertEvent {
  /** `'alert'` when the rule starts firing, `'recover'` when it stops. */
  type: 'alert' | 'recover';
  /** The rule's name. */
  rule: string;
  /** The metric watched. */
  metric: string;
  /** The statistic watched. */
  stat: StatName;
  /** The statistic's value at the transition. */
  value: number;
  /** The level crossed: the threshold for `'alert'`, the recovery level for `'recover'`. */
  threshold: number;
  /** Wall-clock time of the transition (ms since the epoch). */
  at: number;
}

/** What the engine needs from the monitor. */
export interface AlertHost {
  /** Reads one statistic; null when there is no data. */
  readStat(metric: string, stat: StatName, options: { labels?: Labels; window?: boolean }): number | null;
  /** Emits an event. */
  emit(event: 'alert' | 'recover', e: AlertEvent): boolean;
}

interface RuleState {
  rule: AlertRule;
  firing: boolean;
  streak: number;
  trigger: number;
  recover: number;
  isAbove: boolean;
  need: number;
}

/** Every statistic name alerts and budgets can read. */
export const STAT_NAMES: readonly StatName[] = ['count', 'min', 'max', 'mean', 'p50', 'p90', 'p95', 'p99', 'p999', 'stdDev', 'sum', 'rate', 'total', 'value'];

/** Checks an optional labels object of a rule or budget: an object of string, number or boolean values. */
export function checkRuleLabels(what: string, labels: unknown): void {
  if (labels === undefined) return;
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new InvalidArgumentError(`${what} labels must be an object when given, got ${describe(labels)}`);
  }
  for (const [k, v] of Object.entries(labels)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new InvalidArgumentError(`${what} label "${k}" must be a string, number or boolean, got ${describe(v)}`);
    }
  }
}

/**
 * Evaluates alert rules against a monitor and emits transitions.
 * @example const engine = new AlertEngine(monitor); engine.add({ name: 'slow', metric: 'req', stat: 'p99', above: 100 }); engine.evaluate();
 */
export class AlertEngine {
  private readonly rules = new Map<string, RuleState>();
  private readonly host: AlertHost;
  private readonly component: string;

  /** `host` reads statistics and emits events; `component` (default 'AlertEngine') names the engine in messages. */
  constructor(host: AlertHost, component = 'AlertEngine') {
    this.component = checkString('AlertEngine', 'component', component, { nonEmpty: true });
    if (host === null || typeof host !== 'object' || typeof host.readStat !== 'function' || typeof host.emit !== 'function') {
      throw new InvalidArgumentError(`AlertEngine host must be an object with readStat() and emit(), got ${describe(host)}`);
    }
    this.host = host;
  }

  /**
   * Validates and adds a rule; throws on a bad rule or a duplicate name.
   * @example engine.add({ name: 'slow', metric: 'req', stat: 'p99', above: 100, recoverBelow: 80 })
   */
  add(rule: AlertRule): void {
    const c = this.component;
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) throw new InvalidArgumentError(`${c} alert rule must be an object, got ${describe(rule)}`);
    const what = `${c} alert rule ${describe(rule.name)}`;
    if (typeof rule.name !== 'string' || rule.name.length === 0) throw new InvalidArgumentError(`${what} name must be a non-empty string`);
    if (this.rules.has(rule.name)) throw new InvalidArgumentError(`${what} already exists`);
    if (typeof rule.metric !== 'string' || rule.metric.length === 0) throw new InvalidArgumentError(`${what} metric must be a non-empty string, got ${describe(rule.metric)}`);
    checkOneOf(what, 'stat', rule.stat, STAT_NAMES);
    checkRuleLabels(what, rule.labels);
    optionalBoolean(what, 'window', rule.window, true);
    const hasAbove = rule.above !== undefined;
    const hasBelow = rule.below !== undefined;
    if (hasAbove === hasBelow) throw new InvalidArgumentError(`${what} needs exactly one of above and below`);
    const trigger = checkNumber(what, hasAbove ? 'above' : 'below', hasAbove ? rule.above : rule.below);
    // Both recovery levels are type-checked even when the rule's direction does not use one.
    if (rule.recoverBelow !== undefined) checkNumber(what, 'recoverBelow', rule.recoverBelow);
    if (rule.recoverAbove !== undefined) checkNumber(what, 'recoverAbove', rule.recoverAbove);
    let recover: number;
    if (hasAbove) {
      recover = rule.recoverBelow === undefined ? trigger - Math.abs(trigger) * 0.1 : checkNumber(what, 'recoverBelow', rule.recoverBelow);
      if (!(recover <= trigger)) throw new (numberError(rule.recoverBelow))(`${what} recoverBelow (${describe(rule.recoverBelow)}) must be <= above (${trigger})`);
    } else {
      recover = rule.recoverAbove === undefined ? trigger + Math.abs(trigger) * 0.1 : checkNumber(what, 'recoverAbove', rule.recoverAbove);
      if (!(recover >= trigger)) throw new (numberError(rule.recoverAbove))(`${what} recoverAbove (${describe(rule.recoverAbove)}) must be >= below (${trigger})`);
    }
    const need = rule.forEvaluations === undefined ? 1 : checkNumber(what, 'forEvaluations', rule.forEvaluations, { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER });
    const copy: AlertRule = { ...rule, labels: rule.labels === undefined ? undefined : { ...rule.labels } };
    this.rules.set(rule.name, { rule: copy, firing: false, streak: 0, trigger, recover, isAbove: hasAbove, need });
  }

  /**
   * Removes a rule (by its name, a string); returns whether it existed.
   * @example engine.remove('slow')
   */
  remove(name: string): boolean {
    checkString(`${this.component} removeAlert`, 'name', name);
    return this.rules.delete(name);
  }

  /**
   * Names of the rules currently firing.
   * @example engine.firing() // ['slow']
   */
  firing(): string[] {
    return [...this.rules.values()].filter((s) => s.firing).map((s) => s.rule.name);
  }

  /**
   * Evaluates every rule once; returns the transitions (also emitted). A rule
   * whose read throws (labels the metric does not have) is skipped and the
   * others are still evaluated; the first such error is thrown afterwards.
   * @example engine.evaluate()
   */
  evaluate(): AlertEvent[] {
    const events: AlertEvent[] = [];
    let failure: unknown = undefined;
    for (const s of this.rules.values()) {
      const { rule } = s;
      let value: number | null;
      try {
        value = this.host.readStat(rule.metric, rule.stat, { labels: rule.labels, window: rule.window !== false });
      } catch (err) {
        failure ??= err;
        continue;
      }
      if (value === null) continue;
      if (!s.firing) {
        const past = s.isAbove ? value > s.trigger : value < s.trigger;
        s.streak = past ? s.streak + 1 : 0;
        if (s.streak >= s.need) {
          s.firing = true;
          s.streak = 0;
          events.push({ type: 'alert', rule: rule.name, metric: rule.metric, stat: rule.stat, value, threshold: s.trigger, at: Date.now() });
        }
      } else {
        const back = s.isAbove ? value <= s.recover : value >= s.recover;
        if (back) {
          s.firing = false;
          events.push({ type: 'recover', rule: rule.name, metric: rule.metric, stat: rule.stat, value, threshold: s.recover, at: Date.now() });
        }
      }
    }
    for (const e of events) this.host.emit(e.type, e);
    if (failure !== undefined) throw failure;
    return events;
  }
}
