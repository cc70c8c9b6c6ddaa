// PerformanceMonitor.track with two labels against prom-client's histogram
// observe with two labels (and its summary), on the same seeded values and
// label sets: 4 methods x 5 routes = 20 series, values in ms.
import client from 'prom-client';
import { rng, suite } from '../harness.ts';
import { PerformanceMonitor } from '../../src/metrics/monitor.ts';

const N = 4096;
const values = new Float64Array(N);
const labelSets: { method: string; route: string }[] = [];
const methods = ['GET', 'PUT', 'POST', 'DELETE'];
const routes = ['/blobs', '/blobs/:id', '/compute/:kernel', '/metrics', '/stats'];
const random = rng(7);
for (let i = 0; i < N; i++) {
  values[i] = random() * random() * 250;
  labelSets.push({ method: methods[Math.floor(random() * 4)]!, route: routes[Math.floor(random() * 5)]! });
}

let monitor: PerformanceMonitor;
let registry: client.Registry;
let promHistogram: client.Histogram<'method' | 'route'>;
let promSummary: client.Summary<'method' | 'route'>;

suite('metrics/monitor', (s) => {
  s.case({
    name: 'track with two labels',
    note: 'one observation per op, 20 label sets, values in ms',
    setup: () => {
      monitor = new PerformanceMonitor();
      registry = new client.Registry();
      promHistogram = new client.Histogram({ name: 'req_duration_ms', help: 'h', labelNames: ['method', 'route'], registers: [registry] });
      promSummary = new client.Summary({ name: 'req_duration_summary_ms', help: 'h', labelNames: ['method', 'route'], registers: [registry], maxAgeSeconds: 60, ageBuckets: 6 });
    },
    teardown: () => {
      monitor.close();
      registry.clear();
    },
    ours: {
      name: 'blackhole PerformanceMonitor.track',
      fn: (n) => {
        const m = monitor;
        for (let i = 0; i < n; i++) m.track('http.request', values[i & (N - 1)]!, labelSets[i & (N - 1)]);
      },
    },
    peers: [
      {
        name: 'prom-client Histogram.observe',
        fn: (n) => {
          const h = promHistogram;
          for (let i = 0; i < n; i++) h.observe(labelSets[i & (N - 1)]!, values[i & (N - 1)]!);
        },
      },
      {
        name: 'prom-client Summary.observe',
        fn: (n) => {
          const h = promSummary;
          for (let i = 0; i < n; i++) h.observe(labelSets[i & (N - 1)]!, values[i & (N - 1)]!);
        },
      },
    ],
  });
});
