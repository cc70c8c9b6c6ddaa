// Hit rates (%) of LruCache's two policies on the OLTP and glimpse traces,
// next to the reference plain-LRU and Caffeine W-TinyLFU figures from the
// traces' README, printed as a markdown table; then the shifting-popularity
// traces of trace.ts (LRU and W-TinyLFU per cache size).
//
//   node --import tsx bench/cache/hit-rates.ts
//
// Traces: bench/data/traces (or $BLACKHOLE_TRACES). OLTP is from the ARC paper
// (Megiddo & Modha, FAST 2003), glimpse from the LIRS paper (Jiang & Zhang,
// SIGMETRICS 2002). Each replay is get, then set on a miss, on a fresh cache;
// the result is deterministic.
import { LruCache } from '../../src/cache/lru-cache.ts';
import { SHIFTING_SIZES, SHIFTING_TRACES, readTrace, shiftingTrace, simulateHitRate, type TraceName } from '../../test/helpers/cache-traces.ts';

const SIZES = [250, 500, 1000, 2000];
const REFERENCE: Record<TraceName, { lru: number[]; caffeine: string[] }> = {
  oltp: { lru: [16.47, 23.45, 32.83, 42.47], caffeine: ['~24.5', '~33', '~39.5', '~46'] },
  glimpse: { lru: [0.91, 0.95, 11.21, 57.41], caffeine: ['~15.5', '~33.5', '~50.5', '~58'] },
};

const lines: string[] = [
  '| trace | entries | reference LRU | ours, policy lru | ours, policy w-tinylfu | w-tinylfu - LRU | Caffeine W-TinyLFU (wiki) |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const trace of ['oltp', 'glimpse'] as const) {
  const keys = readTrace(trace);
  SIZES.forEach((n, i) => {
    const lru = simulateHitRate(keys, () => new LruCache<number, number>({ maxEntries: n }));
    const tiny = simulateHitRate(keys, () => new LruCache<number, number>({ maxEntries: n, policy: 'w-tinylfu' }));
    const ref = REFERENCE[trace];
    lines.push(
      `| ${trace} | ${n} | ${ref.lru[i]!.toFixed(2)} | ${lru.toFixed(2)} | ${tiny.toFixed(2)} | ${(tiny - lru >= 0 ? '+' : '') + (tiny - lru).toFixed(2)} | ${ref.caffeine[i]} |`,
    );
  });
}
console.log(lines.join('\n'));

// Shifting popularity (our own traces, see trace.ts): W-TinyLFU minus LRU, in points, per cache size.
const shifting: string[] = [
  `| trace | ${SHIFTING_SIZES.map((n) => `${n} LRU / w-tinylfu (diff)`).join(' | ')} |`,
  `| --- | ${SHIFTING_SIZES.map(() => '---:').join(' | ')} |`,
];
for (const [name, spec] of Object.entries(SHIFTING_TRACES)) {
  const keys = shiftingTrace(spec);
  const cells = SHIFTING_SIZES.map((n) => {
    const lru = simulateHitRate(keys, () => new LruCache<number, number>({ maxEntries: n }));
    const tiny = simulateHitRate(keys, () => new LruCache<number, number>({ maxEntries: n, policy: 'w-tinylfu' }));
    return `${lru.toFixed(1)} / ${tiny.toFixed(1)} (${(tiny - lru >= 0 ? '+' : '') + (tiny - lru).toFixed(1)})`;
  });
  shifting.push(`| ${name} | ${cells.join(' | ')} |`);
}
console.log(`\n${shifting.join('\n')}`);
console.log(`\nNode ${process.version}; hit rate = hits / requests over the whole trace (cold start included).`);
