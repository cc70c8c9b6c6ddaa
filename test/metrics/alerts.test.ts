import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { BlackholeError, ErrorCode } from '../../src/errors.ts';
import type { AlertEvent, AlertRule } from '../../src/metrics/alerts.ts';
import { BudgetExceededError, type BudgetViolation } from '../../src/metrics/budgets.ts';
import { PerformanceMonitor, type PerformanceMonitorOptions } from '../../src/metrics/monitor.ts';

/**
 * A monitor on a clock the test moves by hand, closed after the test, with
 * every emitted alert/recover event collected in `events`. `at(ms)` sets the
 * clock and lets the windows rotate, as the monitor's period timer would.
 */
function setup(t: TestContext, options: PerformanceMonitorOptions = {}) {
  const clock = { t: 0 };
  const m = new PerformanceMonitor({ now: () => clock.t, ...options });
  t.after(() => m.close());
  const events: AlertEvent[] = [];
  m.on('alert', (e: AlertEvent) => events.push(e));
  m.on('recover', (e: AlertEvent) => events.push(e));
  const at = (ms: number): void => {
    clock.t = ms;
    m.ticker.update();
  };
  return { clock, m, events, at };
}

/** Tolerance of the default monitor histograms: 1% plus 0.001. */
function assertNear(got: number, exact: number, what: string): void {
  assert.ok(Math.abs(got - exact) <= exact * 0.01 + 0.001, `${what}: got ${got}, expected ~${exact}`);
}

function trackMany(m: PerformanceMonitor, name: string, value: number, n: number, labels?: Record<string, string>): void {
  for (let i = 0; i < n; i++) m.track(name, value, labels);
}

describe('alerts', () => {
  test('fires once above the threshold, holds between the levels, recovers once below recoverBelow', (t) => {
    const { m, events, at } = setup(t, { windowMs: 60_000, slots: 6 });
    m.addAlert({ name: 'slow', metric: 'req', stat: 'p99', above: 100, recoverBelow: 50 });

    assert.deepEqual(m.evaluateAlerts(), [], 'no data: no event');

    trackMany(m, 'req', 10, 50);
    assert.deepEqual(m.evaluateAlerts(), [], 'below the threshold');

    trackMany(m, 'req', 200, 50); // p99 of the window is now ~200
    const fired = m.evaluateAlerts();
    assert.equal(fired.length, 1);
    const e = fired[0]!;
    assert.equal(e.type, 'alert');
    assert.equal(e.rule, 'slow');
    assert.equal(e.metric, 'req');
    assert.equal(e.stat, 'p99');
    assert.equal(e.threshold, 100);
    assertNear(e.value, 200, 'alert value');
    assert.ok(Math.abs(e.at - Date.now()) < 60_000, 'wall-clock time');
    assert.deepEqual(events, fired, 'the returned transitions are also emitted');
    assert.deepEqual(m.firingAlerts(), ['slow']);

    trackMany(m, 'req', 300, 10);
    assert.deepEqual(m.evaluateAlerts(), [], 'no repeat while it stays above');
    assert.deepEqual(m.evaluateAlerts(), []);

    at(70_000); // window empty: no data, no change
    assert.deepEqual(m.evaluateAlerts(), []);
    assert.deepEqual(m.firingAlerts(), ['slow']);

    trackMany(m, 'req', 80, 20); // between recoverBelow (50) and above (100)
    assert.deepEqual(m.evaluateAlerts(), [], 'no recover between the levels');
    at(140_000);
    trackMany(m, 'req', 51, 20); // just above recoverBelow: still firing
    assert.deepEqual(m.evaluateAlerts(), [], 'no recover above recoverBelow');

    at(210_000);
    trackMany(m, 'req', 50, 20); // at recoverBelow: the recovery level is inclusive
    const recovered = m.evaluateAlerts();
    assert.equal(recovered.length, 1);
    assert.equal(recovered[0]!.type, 'recover');
    assert.equal(recovered[0]!.rule, 'slow');
    assert.equal(recovered[0]!.threshold, 50);
    assertNear(recovered[0]!.value, 50, 'recover value');
    assert.deepEqual(m.firingAlerts(), []);
    trackMany(m, 'req', 20, 20);
    assert.deepEqual(m.evaluateAlerts(), [], 'recover only once');

    trackMany(m, 'req', 150, 100);
    assert.deepEqual(
      m.evaluateAlerts().map((x) => x.type),
      ['alert'],
      'fires again after recovering',
    );
    assert.deepEqual(
      events.map((x) => x.type),
      ['alert', 'recover', 'alert'],
    );
  });

  test('the default recovery level is 90% of above', (t) => {
    const { m, at } = setup(t);
    m.addAlert({ name: 'slow', metric: 'req', stat: 'max', above: 100 });
    m.track('req', 120);
    assert.equal(m.evaluateAlerts().length, 1);
    at(70_000);
    m.track('req', 95);
    assert.deepEqual(m.evaluateAlerts(), [], '95 is above the 90 recovery level');
    at(140_000);
    m.track('req', 85);
    const r = m.evaluateAlerts();
    assert.deepEqual(
      r.map((x) => [x.type, x.threshold]),
      [['recover', 90]],
    );
  });

  test('a rule with above: 0 recovers when the statistic is back to 0', (t) => {
    const { m } = setup(t, { windowMs: 60_000, slots: 6 });
    m.addAlert({ name: 'any-errors', metric: 'errors.queue', stat: 'value', above: 0 });
    m.setGauge('errors.queue', 3);
    assert.deepEqual(m.evaluateAlerts().map((x) => x.type), ['alert']);
    m.setGauge('errors.queue', 0);
    assert.deepEqual(m.evaluateAlerts().map((x) => x.type), ['recover']);
  });

  test('below rules fire under the threshold and recover above recoverAbove', (t) => {
    const { m } = setup(t);
    m.addAlert({ name: 'starved', metric: 'pool.free', stat: 'value', below: 5, recoverAbove: 10 });
    assert.deepEqual(m.evaluateAlerts(), [], 'no gauge yet');
    m.setGauge('pool.free', 8);
    assert.deepEqual(m.evaluateAlerts(), []);
    m.setGauge('pool.free', 3);
    assert.deepEqual(
      m.evaluateAlerts().map((e) => [e.type, e.value, e.threshold]),
      [['alert', 3, 5]],
    );
    m.setGauge('pool.free', 1);
    assert.deepEqual(m.evaluateAlerts(), [], 'no repeat');
    m.setGauge('pool.free', 7);
    assert.deepEqual(m.evaluateAlerts(), [], 'between below and recoverAbove');
    m.setGauge('pool.free', 12);
    assert.deepEqual(
      m.evaluateAlerts().map((e) => [e.type, e.value, e.threshold]),
      [['recover', 12, 10]],
    );
  });

  test('a below rule on a counter rate', (t) => {
    const { m, at } = setup(t, { windowMs: 60_000, slots: 6 });
    m.addAlert({ name: 'quiet', metric: 'req.count', stat: 'rate', below: 1 });
    m.increment('req.count', 60);
    at(30_000);
    assert.deepEqual(m.evaluateAlerts(), [], '60 in 30 s = 2/s');
    at(100_000); // nothing in the window: rate 0
    assert.deepEqual(
      m.evaluateAlerts().map((e) => [e.type, e.value]),
      [['alert', 0]],
    );
  });

  test('forEvaluations needs that many evaluations past the threshold in a row', (t) => {
    const { m } = setup(t);
    m.addAlert({ name: 'hot', metric: 'temp', stat: 'value', above: 80, forEvaluations: 3 });
    const step = (v: number): string[] => {
      m.setGauge('temp', v);
      return m.evaluateAlerts().map((e) => e.type);
    };
    assert.deepEqual(step(90), []);
    assert.deepEqual(step(90), []);
    assert.deepEqual(step(70), [], 'a dip resets the streak');
    assert.deepEqual(step(90), []);
    assert.deepEqual(step(90), []);
    assert.deepEqual(step(90), ['alert'], 'third in a row');
    assert.deepEqual(step(90), []);
    assert.deepEqual(step(10), ['recover'], 'recovery is immediate');
  });

  test('a rule with labels watches that label set only', (t) => {
    const { m } = setup(t);
    m.addAlert({ name: 'slow-b', metric: 'req', stat: 'p50', labels: { route: '/b' }, above: 100 });
    trackMany(m, 'req', 500, 10, { route: '/a' });
    trackMany(m, 'req', 10, 10, { route: '/b' });
    assert.deepEqual(m.evaluateAlerts(), [], '/a is slow, /b is not');
    trackMany(m, 'req', 500, 30, { route: '/b' });
    assert.deepEqual(
      m.evaluateAlerts().map((e) => e.rule),
      ['slow-b'],
    );
  });

  test('window: false reads all time', (t) => {
    const { m, at } = setup(t);
    m.addAlert({ name: 'windowed', metric: 'req', stat: 'max', above: 100 });
    m.addAlert({ name: 'ever', metric: 'req', stat: 'max', above: 100, window: false });
    m.track('req', 5);
    at(70_000);
    m.track('req', 500);
    at(140_000);
    m.track('req', 1); // the window now holds only 1
    assert.deepEqual(
      m.evaluateAlerts().map((e) => e.rule),
      ['ever'],
    );
  });

  test('no data means no event, even for a below rule', (t) => {
    const { m, at } = setup(t);
    m.addAlert({ name: 'low', metric: 'req', stat: 'p50', below: 5 });
    assert.deepEqual(m.evaluateAlerts(), [], 'never tracked');
    m.track('req', 10);
    assert.deepEqual(m.evaluateAlerts(), []);
    at(70_000);
    assert.deepEqual(m.evaluateAlerts(), [], 'an empty window is not a value of 0');
    assert.deepEqual(m.firingAlerts(), []);
  });

  const invalid: [string, AlertRule, new (...args: never[]) => Error, RegExp][] = [
    ['both above and below', { name: 'r', metric: 'm', stat: 'p99', above: 10, below: 5 }, TypeError, /exactly one of above and below/],
    ['neither above nor below', { name: 'r', metric: 'm', stat: 'p99' }, TypeError, /exactly one of above and below/],
    ['recoverBelow > above', { name: 'r', metric: 'm', stat: 'p99', above: 10, recoverBelow: 20 }, RangeError, /recoverBelow \(20\) must be <= above \(10\)/],
    ['recoverAbove < below', { name: 'r', metric: 'm', stat: 'value', below: 10, recoverAbove: 5 }, RangeError, /recoverAbove \(5\) must be >= below \(10\)/],
    ['above NaN', { name: 'r', metric: 'm', stat: 'p99', above: Number.NaN }, RangeError, /above \(NaN\) must be a finite number/],
    ['forEvaluations 0', { name: 'r', metric: 'm', stat: 'p99', above: 1, forEvaluations: 0 }, RangeError, /forEvaluations \(0\)/],
    ['forEvaluations 1.5', { name: 'r', metric: 'm', stat: 'p99', above: 1, forEvaluations: 1.5 }, RangeError, /forEvaluations \(1.5\)/],
    ['an empty name', { name: '', metric: 'm', stat: 'p99', above: 1 }, TypeError, /name must be a non-empty string/],
    ['an empty metric', { name: 'r', metric: '', stat: 'p99', above: 1 }, TypeError, /metric must be a non-empty string/],
  ];
  for (const [what, rule, kind, message] of invalid) {
    test(`an invalid rule throws: ${what}`, (t) => {
      const { m } = setup(t);
      assert.throws(
        () => m.addAlert(rule),
        (err: unknown) => {
          assert.ok(err instanceof kind, `a ${kind.name}, got ${String(err)}`);
          assert.match((err as Error).message, message);
          assert.match((err as Error).message, /PerformanceMonitor alert rule "r"|PerformanceMonitor alert rule ""/);
          return true;
        },
      );
      // The bad rule was not added: a good rule of the same name is accepted.
      m.addAlert({ name: 'r', metric: 'm', stat: 'value', above: 1 });
    });
  }

  test('a duplicate rule name throws; removeAlert removes a rule', (t) => {
    const { m } = setup(t);
    m.addAlert({ name: 'hot', metric: 'temp', stat: 'value', above: 1 });
    assert.throws(() => m.addAlert({ name: 'hot', metric: 'other', stat: 'value', above: 1 }), /"hot" already exists/);
    assert.equal(m.removeAlert('hot'), true);
    assert.equal(m.removeAlert('hot'), false);
    m.setGauge('temp', 5);
    assert.deepEqual(m.evaluateAlerts(), []);
  });

  test('watchAlerts evaluates on a real timer and rejects a short interval', async (t) => {
    const { m } = setup(t);
    assert.throws(() => m.watchAlerts(5), (err: unknown) => err instanceof RangeError && /watchAlerts intervalMs \(5\)/.test(err.message));
    m.addAlert({ name: 'hot', metric: 'temp', stat: 'value', above: 1 });
    m.setGauge('temp', 5);
    const event = await new Promise<AlertEvent>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no alert within 1 s')), 1_000);
      m.once('alert', (e: AlertEvent) => {
        clearTimeout(timer);
        resolve(e);
      });
      const stop = m.watchAlerts(20);
      t.after(stop);
    });
    assert.equal(event.rule, 'hot');
  });
});

describe('budgets', () => {
  test('checkBudgets returns every violation with its actual value and limit', (t) => {
    const { m } = setup(t);
    for (let i = 1; i <= 100; i++) m.track('http.request', i); // p99 99, max 100, mean 50.5
    m.increment('errors', 7);
    m.setBudget({ metric: 'http.request', stat: 'p99', max: 50 });
    m.setBudget({ name: 'mean latency', metric: 'http.request', stat: 'mean', max: 20 });
    m.setBudget({ metric: 'http.request', stat: 'min', max: 5 }); // holds
    m.setBudget({ metric: 'errors', stat: 'total', max: 10 }); // holds
    const v = m.checkBudgets();
    assert.equal(v.length, 2);
    const [p99, mean] = v as [BudgetViolation, BudgetViolation];
    assert.equal(p99.budget, 'http.request.p99');
    assert.equal(p99.metric, 'http.request');
    assert.equal(p99.stat, 'p99');
    assert.equal(p99.kind, 'max');
    assert.equal(p99.limit, 50);
    assertNear(p99.actual!, 99, 'p99 actual');
    assert.match(p99.message, /http\.request\.p99 is .* all time, above its max 50/);
    assert.equal(mean.budget, 'mean latency');
    assert.equal(mean.kind, 'max');
    assert.equal(mean.limit, 20);
    assert.equal(mean.actual, 50.5);
  });

  test('no violation when every budget holds', (t) => {
    const { m } = setup(t);
    for (let i = 1; i <= 100; i++) m.track('http.request', i);
    m.setGauge('pool.free', 4);
    m.setBudget({ metric: 'http.request', stat: 'p99', max: 100 });
    m.setBudget({ metric: 'http.request', stat: 'count', min: 100, max: 100 });
    m.setBudget({ metric: 'pool.free', stat: 'value', min: 2 });
    assert.deepEqual(m.checkBudgets(), []);
    assert.doesNotThrow(() => m.assertBudgets());
  });

  test('min limits and a budget broken on both sides', (t) => {
    const { m } = setup(t);
    m.setGauge('pool.free', 1);
    m.setBudget({ metric: 'pool.free', stat: 'value', min: 2, max: 10 });
    assert.deepEqual(
      m.checkBudgets().map((v) => [v.kind, v.limit, v.actual]),
      [['min', 2, 1]],
    );
    m.setGauge('pool.free', 11);
    assert.deepEqual(
      m.checkBudgets().map((v) => [v.kind, v.limit, v.actual]),
      [['max', 10, 11]],
    );
  });

  test('requireData turns "nothing recorded" into a violation', (t) => {
    const { m } = setup(t);
    m.setBudget({ metric: 'bench.op', stat: 'p99', max: 10 });
    assert.deepEqual(m.checkBudgets(), [], 'no data is not a violation by default');
    m.setBudget({ name: 'must run', metric: 'bench.op', stat: 'p50', max: 10, requireData: true });
    const v = m.checkBudgets();
    assert.equal(v.length, 1);
    assert.deepEqual(
      [v[0]!.budget, v[0]!.kind, v[0]!.limit, v[0]!.actual],
      ['must run', 'no-data', null, null],
    );
    m.track('bench.op', 3);
    assert.deepEqual(m.checkBudgets(), []);
  });

  test('budgets read all time by default, the window with window: true', (t) => {
    const { m, at } = setup(t);
    m.track('req', 500);
    at(70_000);
    m.track('req', 5);
    m.setBudget({ name: 'all', metric: 'req', stat: 'max', max: 100 });
    m.setBudget({ name: 'recent', metric: 'req', stat: 'max', max: 100, window: true });
    assert.deepEqual(
      m.checkBudgets().map((v) => [v.budget, v.actual]),
      [['all', 500]],
    );
    assert.match(m.checkBudgets()[0]!.message, /all time/);
  });

  test('a budget with labels checks that label set only', (t) => {
    const { m } = setup(t);
    m.track('req', 500, { route: '/a' });
    m.track('req', 5, { route: '/b' });
    m.setBudget({ metric: 'req', stat: 'max', max: 100, labels: { route: '/b' } });
    assert.deepEqual(m.checkBudgets(), []);
    m.setBudget({ name: 'merged', metric: 'req', stat: 'max', max: 100 });
    assert.deepEqual(
      m.checkBudgets().map((v) => v.budget),
      ['merged'],
    );
  });

  test('assertBudgets throws a BudgetExceededError listing every violation', (t) => {
    const { m } = setup(t);
    for (let i = 1; i <= 100; i++) m.track('http.request', i);
    m.setBudget({ metric: 'http.request', stat: 'p95', max: 20 });
    m.setBudget({ metric: 'http.request', stat: 'max', max: 30 });
    assert.throws(
      () => m.assertBudgets(),
      (err: unknown) => {
        assert.ok(err instanceof BudgetExceededError);
        assert.ok(err instanceof BlackholeError);
        assert.equal(err.code, ErrorCode.BUDGET_EXCEEDED);
        assert.equal(err.code, 'ERR_BH_BUDGET_EXCEEDED');
        assert.equal(err.violations.length, 2);
        assert.deepEqual(
          err.violations.map((v) => v.budget),
          ['http.request.p95', 'http.request.max'],
        );
        assert.match(err.message, /^2 performance budget\(s\) exceeded/);
        assert.match(err.message, /http\.request\.p95 is .* above its max 20/);
        assert.match(err.message, /http\.request\.max is 100 all time, above its max 30/);
        return true;
      },
    );
  });

  const invalid: [string, Parameters<PerformanceMonitor['setBudget']>[0], new (...args: never[]) => Error, RegExp][] = [
    ['no limit', { metric: 'm', stat: 'p99' }, TypeError, /needs max, min or both/],
    ['min > max', { metric: 'm', stat: 'p99', min: 10, max: 5 }, RangeError, /min \(10\) must be <= max \(5\)/],
    ['max NaN', { metric: 'm', stat: 'p99', max: Number.NaN }, RangeError, /max \(NaN\) must be a finite number/],
    ['an empty metric', { metric: '', stat: 'p99', max: 1 }, TypeError, /metric must be a non-empty string/],
  ];
  for (const [what, budget, kind, message] of invalid) {
    test(`an invalid budget throws at setBudget: ${what}`, (t) => {
      const { m } = setup(t);
      assert.throws(
        () => m.setBudget(budget),
        (err: unknown) => err instanceof kind && message.test((err as Error).message),
      );
      assert.deepEqual(m.checkBudgets(), [], 'the bad budget was not kept');
    });
  }
});
