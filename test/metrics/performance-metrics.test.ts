import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PerformanceMonitor } from '../../src/metrics/monitor.ts';
import { ResourceSampler } from '../../src/metrics/resource-sampler.ts';
import { collectPerformanceMetrics } from '../../src/metrics/performance-metrics.ts';

function clock() {
  let t = 0;
  return { now: () => t, set: (ms: number) => (t = ms) };
}

test('latency, throughput and errors are computed over the monitor window', () => {
  const c = clock();
  const m = new PerformanceMonitor({ now: c.now, windowMs: 60_000, slots: 6 });
  try {
    for (let i = 1; i <= 100; i++) m.track('request.duration', i);
    m.increment('bytes', 5000);
    m.increment('messages', 20);
    m.increment('errors', 5);
    m.increment('timeouts', 2);
    m.increment('failures', 1);
    c.set(10_000); // 10 s covered
    const s = collectPerformanceMetrics(m);
    // The monitor's histograms keep 2 significant digits: within 1%.
    const near = (got: number, exact: number) => assert.ok(Math.abs(got - exact) <= exact * 0.01, `${got} vs ${exact}`);
    near(s.latency.p50, 50);
    near(s.latency.p95, 95);
    near(s.latency.p99, 99);
    assert.equal(s.latency.max, 100, 'max is exact');
    assert.equal(s.throughput.requestsPerSecond, 10);
    assert.equal(s.throughput.bytesPerSecond, 500);
    assert.equal(s.throughput.messagesPerSecond, 2);
    assert.equal(s.errors.errorRate, 0.05);
    assert.equal(s.errors.timeouts, 2);
    assert.equal(s.errors.failures, 1);
    assert.ok(s.resources.memoryUsage > 0, 'rss read directly without a sampler');
    assert.equal(s.resources.cpuUsage, 0);
    assert.equal(s.resources.diskIOPS, null);
    assert.equal(s.resources.networkBandwidth, null);

    c.set(200_000); // everything left the window
    const later = collectPerformanceMetrics(m);
    assert.deepEqual(later.latency, { p50: 0, p95: 0, p99: 0, max: 0 });
    assert.equal(later.throughput.requestsPerSecond, 0);
    assert.equal(later.errors.errorRate, 0, 'no requests: rate 0, not NaN');
    assert.equal(later.errors.timeouts, 0);
  } finally {
    m.close();
  }
});

test('custom metric names and an explicit request counter', () => {
  const c = clock();
  const m = new PerformanceMonitor({ now: c.now });
  try {
    m.track('rpc', 3, { peer: 'a' });
    m.track('rpc', 7, { peer: 'b' });
    m.increment('rpc.calls', 40);
    m.increment('rpc.errors', 4);
    c.set(4000);
    const s = collectPerformanceMetrics(m, null, { latency: 'rpc', requests: 'rpc.calls', errors: 'rpc.errors' });
    assert.equal(s.latency.max, 7, 'label sets are merged');
    assert.equal(s.throughput.requestsPerSecond, 10);
    assert.equal(s.errors.errorRate, 0.1);
  } finally {
    m.close();
  }
});

test('resources come from the sampler: cpu share of all cores, rss, and the Linux-only figures', () => {
  const m = new PerformanceMonitor();
  const sampler = new ResourceSampler();
  try {
    const end = Date.now() + 100;
    while (Date.now() < end); // some CPU to measure
    const s = collectPerformanceMetrics(m, sampler);
    assert.ok(s.resources.cpuUsage > 0 && s.resources.cpuUsage <= 100, `cpu ${s.resources.cpuUsage}`);
    assert.ok(s.resources.memoryUsage > 1e6);
    if (process.platform === 'linux') {
      assert.equal(typeof s.resources.networkBandwidth, 'number');
    } else {
      assert.equal(s.resources.diskIOPS, null);
    }
  } finally {
    sampler.close();
    m.close();
  }
});
