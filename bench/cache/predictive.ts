// Hit rate of PredictiveCache's warming on the glimpse trace (not a timing
// benchmark): `node --import tsx bench/cache/predictive.ts [--sweep] [--oltp]`
// (--sweep: other minObservations / staging shares; --oltp: the OLTP trace
// too, a workload with little sequential structure, to show the precision
// when there is little to predict).
//
// Each request is a `get` with a synchronous fake loader (returns key + 1),
// so a prefetch completes inside the `get` that triggered it and the replay
// is deterministic. "Hit" means answered without a demand load.
//
// Equal memory: "without" is a plain LruCache of `size` entries; "with" is a
// PredictiveCache whose wrapped cache has `size - slots` entries plus a
// staging buffer of `slots` (2% of size, at least 4, by default: a prefetch
// is consumed by the very next request when it is right, so a few slots
// suffice), so both hold at most `size` values. Both policies of the wrapped
// cache are shown.
import { LruCache } from '../../src/cache/lru-cache.ts';
import { PredictiveCache, type PredictiveCacheOptions } from '../../src/cache/predictive-cache.ts';
import { readTrace, type TraceName } from '../../test/helpers/cache-traces.ts';

const SIZES = [250, 500, 1000, 2000];
let keys = readTrace('glimpse');
const load = (k: number): number => k + 1;

function without(size: number, policy: 'lru' | 'w-tinylfu'): number {
  const c = new LruCache<number, number>({ maxEntries: size, policy });
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (c.get(k) !== undefined) hits++;
    else c.set(k, load(k));
  }
  return (100 * hits) / keys.length;
}

function withWarming(size: number, policy: 'lru' | 'w-tinylfu', slotShare: number, options: PredictiveCacheOptions = {}) {
  const slots = Math.max(4, Math.round(size * slotShare));
  const pc = new PredictiveCache(new LruCache<number, number>({ maxEntries: size - slots, policy }), load, { prefetchSlots: slots, ...options });
  for (let i = 0; i < keys.length; i++) void pc.get(keys[i]!);
  const s = pc.stats();
  return { hitRate: (100 * (s.cacheHits + s.prefetchHits)) / s.requests, stats: s };
}

const pct = (x: number): string => x.toFixed(2);

function table(slotShare: number, options: PredictiveCacheOptions, label: string): void {
  console.log(`\n${label}`);
  console.log('| policy | size | hit % without | hit % with warming | prefetches | precision | coverage |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const policy of ['lru', 'w-tinylfu'] as const) {
    for (const size of SIZES) {
      const w = withWarming(size, policy, slotShare, options);
      console.log(
        `| ${policy} | ${size} | ${pct(without(size, policy))} | ${pct(w.hitRate)} | ${w.stats.prefetches} | ${pct(100 * w.stats.precision)}% | ${pct(100 * w.stats.coverage)}% |`,
      );
    }
  }
}

function run(trace: TraceName): void {
  keys = readTrace(trace);
  console.log(`\n## ${trace} trace: ${keys.length} requests; Node ${process.version}`);
  table(0.02, {}, 'Defaults (threshold 0.7, minObservations 2, topK 4, decay 0.5 every 32), staging 2% of size:');
  table(0.02, { minObservations: 1 }, 'minObservations 1, otherwise defaults, staging 2%:');
  if (process.argv.includes('--sweep')) {
    table(0.02, { minObservations: 3 }, 'minObservations 3, staging 2%:');
    for (const share of [0.05, 0.1]) table(share, {}, `defaults, staging ${share * 100}%:`);
  }
}

run('glimpse');
if (process.argv.includes('--oltp')) run('oltp');
