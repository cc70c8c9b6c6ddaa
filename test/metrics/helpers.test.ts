// The small exported helpers of the metrics area, tested on their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CardinalityError,
  ExpositionWriter,
  LabelIndex,
  assertLabelNames,
  assertMetricName,
  labelBlock,
  renderLabelPairs,
} from '../../src/metrics/exposition.ts';
import { Histogram, percentileRank } from '../../src/metrics/histogram.ts';
import { statsOf } from '../../src/metrics/monitor.ts';
import { ErrorCode } from '../../src/errors.ts';

test('percentileRank is the nearest rank, at least 1, at most count', () => {
  assert.equal(percentileRank(50, 10), 5);
  assert.equal(percentileRank(95, 100), 95, 'float noise does not push the rank up');
  assert.equal(percentileRank(99.9, 1000), 999);
  assert.equal(percentileRank(0, 10), 1);
  assert.equal(percentileRank(100, 10), 10);
  assert.equal(percentileRank(1, 3), 1);
});

test('renderLabelPairs and labelBlock', () => {
  assert.equal(renderLabelPairs(['a', 'b'], ['x', 'y"z']), 'a="x",b="y\\"z"');
  assert.equal(labelBlock('a="x"'), '{a="x"}');
  assert.equal(labelBlock(''), '');
});

test('assertMetricName and assertLabelNames', () => {
  assertMetricName('ok_name:sub', 'Metric');
  assert.throws(() => assertMetricName('bad name', 'Metric'), (e: unknown) => (e as { code?: string }).code === ErrorCode.METRIC_NAME);
  assertLabelNames(['a', 'b_2'], 'M');
  assert.throws(() => assertLabelNames(['a:b'], 'M'), /must match/);
  assert.throws(() => assertLabelNames(['le'], 'M', ['le']), /reserved/);
});

test('ExpositionWriter writes HELP, TYPE and samples', () => {
  const w = new ExpositionWriter();
  w.header('x_total', 'counter', 'An x.');
  w.sample('x_total', '{a="1"}', 3);
  w.raw('x_total{a="2"} 4\n');
  assert.equal(w.text(), '# HELP x_total An x.\n# TYPE x_total counter\nx_total{a="1"} 3\nx_total{a="2"} 4\n');
});

test('LabelIndex: get creates once, find never creates, limit throws CardinalityError', () => {
  let made = 0;
  const idx = new LabelIndex(['a', 'b'], 'Test', 2, (key) => ({ key, id: ++made }));
  const s1 = idx.get({ a: 'x', b: 1 });
  assert.equal(idx.get({ b: '1', a: 'x' }), s1);
  assert.equal(s1.key.pairs, 'a="x",b="1"');
  assert.equal(idx.find({ a: 'y', b: 1 }), undefined);
  assert.equal(idx.size, 1);
  idx.get({ a: 'y', b: 1 });
  assert.throws(() => idx.get({ a: 'z', b: 1 }), (e: unknown) => e instanceof CardinalityError && /maxSeries \(2\)/.test((e as Error).message));
  assert.equal([...idx.values()].length, 2);
  idx.clear();
  assert.equal(idx.size, 0);
  assert.equal(idx.find({ a: 'x', b: 1 }), undefined);
});

test('statsOf turns a histogram into MetricStats', () => {
  const h = new Histogram();
  assert.equal(statsOf(h).count, 0);
  for (let i = 1; i <= 100; i++) h.record(i);
  const s = statsOf(h);
  assert.deepEqual([s.count, s.min, s.max, s.p50, s.p90, s.p95, s.p99, s.p999, s.sum], [100, 1, 100, 50, 90, 95, 99, 100, 5050]);
  assert.ok(Math.abs(s.mean - 50.5) < 1e-12);
});

test('exposition helpers refuse bad arguments; name checks name the caller-given component', async () => {
  const { assertMetricName, assertLabelNames, escapeHelp, escapeLabelValue, formatValue, labelBlock, renderLabelPairs, ExpositionWriter } = await import('../../src/metrics/exposition.ts');
  const { InvalidArgumentError, BlackholeError } = await import('../../src/errors.ts');
  assert.throws(() => assertMetricName('1x', 'Counter'), (e: unknown) => e instanceof BlackholeError && /^Counter name "1x"/.test((e as Error).message));
  assert.throws(() => assertMetricName('ok', 5 as never), (e: unknown) => e instanceof InvalidArgumentError && /^assertMetricName what/.test((e as Error).message));
  assert.throws(() => assertLabelNames(['a-b'], 'Gauge "g"'), (e: unknown) => e instanceof BlackholeError && /^Gauge "g" label name "a-b"/.test((e as Error).message));
  assert.throws(() => assertLabelNames('abc' as never, 'Gauge "g"'), (e: unknown) => e instanceof InvalidArgumentError && /Gauge "g" labelNames must be an array, got "abc"/.test((e as Error).message));
  assert.throws(() => assertLabelNames(['a'], ''), /assertLabelNames what/);
  assert.throws(() => escapeHelp(5 as never), /escapeHelp help must be a string, got 5/);
  assert.throws(() => escapeLabelValue(Symbol('x') as never), /escapeLabelValue value must be a string, got a symbol/);
  assert.throws(() => formatValue('5' as never), /formatValue v must be a number, got "5"/);
  assert.equal(formatValue(-Infinity), '-Inf');
  assert.throws(() => labelBlock(null as never), /labelBlock pairs/);
  assert.throws(() => renderLabelPairs(['a'], ['x', 'y']), /renderLabelPairs values .* one value per name/);
  assert.throws(() => renderLabelPairs(['a'], [1 as never]), /renderLabelPairs names\[0\] and values\[0\] must be strings/);
  const w = new ExpositionWriter();
  assert.throws(() => w.header('up', 'gauges' as never, 'x'), /ExpositionWriter header type/);
  assert.throws(() => w.sample('up', '', '1' as never), /ExpositionWriter sample/);
  assert.throws(() => w.raw(5 as never), /ExpositionWriter raw lines/);
  assert.equal(w.text(), '', 'refused writes wrote nothing');
});
