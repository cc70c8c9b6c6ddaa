// Histogram.record against Node's native HDR histogram (perf_hooks) and
// hdr-histogram-js (its JS and WebAssembly builds), on the same 4096 seeded
// latency-like integers (log-uniform, 1 µs to 10 s in ns), same layout:
// lowest 1, highest 2^53 - 1, 3 significant digits.
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { rng, suite } from '../harness.ts';
import { Histogram } from '../../src/metrics/histogram.ts';

const N = 4096;
const data = new Float64Array(N);
const random = rng(20261127);
for (let i = 0; i < N; i++) data[i] = Math.max(1, Math.round(10 ** (3 + random() * 7)));

let ours: Histogram;
let native: RecordableHistogram;
let hdrJs: hdr.Histogram;
let hdrWasm: hdr.Histogram;

suite('metrics/histogram', (s) => {
  s.case({
    name: 'record',
    note: 'one value per op; 4096 seeded log-uniform values, 3 significant digits',
    setup: async () => {
      await hdr.initWebAssembly();
      ours = new Histogram({ significantDigits: 3 });
      native = createHistogram({ lowest: 1, highest: Number.MAX_SAFE_INTEGER, figures: 3 });
      hdrJs = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: Number.MAX_SAFE_INTEGER, numberOfSignificantValueDigits: 3, bitBucketSize: 64 });
      hdrWasm = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: Number.MAX_SAFE_INTEGER, numberOfSignificantValueDigits: 3, bitBucketSize: 64, useWebAssembly: true });
    },
    teardown: () => {
      hdrWasm.destroy();
    },
    ours: {
      name: 'blackhole Histogram',
      fn: (n) => {
        const h = ours;
        for (let i = 0; i < n; i++) h.record(data[i & (N - 1)]!);
        return h.count;
      },
    },
    peers: [
      {
        name: 'perf_hooks.createHistogram',
        fn: (n) => {
          const h = native;
          for (let i = 0; i < n; i++) h.record(data[i & (N - 1)]!);
          return h.count;
        },
      },
      {
        name: 'hdr-histogram-js (JS)',
        fn: (n) => {
          const h = hdrJs;
          for (let i = 0; i < n; i++) h.recordValue(data[i & (N - 1)]!);
          return h.totalCount;
        },
      },
      {
        name: 'hdr-histogram-js (wasm)',
        fn: (n) => {
          const h = hdrWasm;
          for (let i = 0; i < n; i++) h.recordValue(data[i & (N - 1)]!);
          return h.totalCount;
        },
      },
    ],
  });

  s.case({
    name: 'percentile p99 of 100k values',
    note: 'one p99 query per op on a histogram holding 100,000 values',
    setup: () => {
      ours = new Histogram({ significantDigits: 3 });
      native = createHistogram({ lowest: 1, highest: Number.MAX_SAFE_INTEGER, figures: 3 });
      hdrJs = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: Number.MAX_SAFE_INTEGER, numberOfSignificantValueDigits: 3, bitBucketSize: 64 });
      for (let i = 0; i < 100_000; i++) {
        const v = data[i & (N - 1)]!;
        ours.record(v);
        native.record(v);
        hdrJs.recordValue(v);
      }
    },
    ours: { name: 'blackhole Histogram', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += ours.percentile(99); return x; } },
    peers: [
      { name: 'perf_hooks.createHistogram', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += native.percentile(99); return x; } },
      { name: 'hdr-histogram-js (JS)', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += hdrJs.getValueAtPercentile(99); return x; } },
    ],
  });
});
