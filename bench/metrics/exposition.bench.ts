// Prometheus exposition of 1,000 labelled series: ours (MetricRegistry.metrics)
// against prom-client (register.metrics), same metrics and values:
// a counter with 500 series, a gauge with 300, a fixed-bucket histogram with 200
// (11 default buckets each).
import client from 'prom-client';
import { rng, suite } from '../harness.ts';
import { MetricRegistry } from '../../src/metrics/registry.ts';

let ours: MetricRegistry;
let theirs: client.Registry;

function fill(): void {
  ours = new MetricRegistry();
  theirs = new client.Registry();
  const random = rng(1000);
  const c1 = ours.counter('peer_requests_total', { help: 'Requests per peer.', labelNames: ['peer', 'status'] });
  const c2 = new client.Counter({ name: 'peer_requests_total', help: 'Requests per peer.', labelNames: ['peer', 'status'], registers: [theirs] });
  const g1 = ours.gauge('peer_queue_depth', { help: 'Queue depth per peer.', labelNames: ['peer'] });
  const g2 = new client.Gauge({ name: 'peer_queue_depth', help: 'Queue depth per peer.', labelNames: ['peer'], registers: [theirs] });
  const h1 = ours.histogram('peer_rtt_seconds', { help: 'Round trip per peer.', labelNames: ['peer'] });
  const h2 = new client.Histogram({ name: 'peer_rtt_seconds', help: 'Round trip per peer.', labelNames: ['peer'], registers: [theirs] });
  for (let i = 0; i < 500; i++) {
    const labels = { peer: `peer-${i >> 1}`, status: i & 1 ? 'ok' : 'error' };
    const v = Math.floor(random() * 1e6);
    c1.inc(v, labels);
    c2.inc(labels, v);
  }
  for (let i = 0; i < 300; i++) {
    const v = Math.floor(random() * 100);
    g1.set(v, { peer: `peer-${i}` });
    g2.set({ peer: `peer-${i}` }, v);
  }
  for (let i = 0; i < 200; i++) {
    for (let k = 0; k < 20; k++) {
      const v = random() * random() * 3;
      h1.observe(v, { peer: `peer-${i}` });
      h2.observe({ peer: `peer-${i}` }, v);
    }
  }
}

suite('metrics/exposition', (s) => {
  s.case({
    name: '1000 labelled series',
    note: 'one full text exposition per op (counter 500 series, gauge 300, histogram 200)',
    setup: fill,
    ours: {
      name: 'blackhole MetricRegistry.metrics',
      fn: (n) => {
        let len = 0;
        for (let i = 0; i < n; i++) len += ours.metrics().length;
        return len;
      },
    },
    peers: [
      {
        name: 'prom-client register.metrics',
        fn: async (n) => {
          let len = 0;
          for (let i = 0; i < n; i++) len += (await theirs.metrics()).length;
          return len;
        },
      },
    ],
  });
});
