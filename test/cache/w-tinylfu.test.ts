import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LruCache, type EvictionReason } from '../../src/cache/lru-cache.ts';
import { FrequencySketch } from '../../src/cache/frequency-sketch.ts';

test('sketch: counts exactly for a few keys and saturates at 15', () => {
  const s = new FrequencySketch(1000);
  for (let i = 0; i < 5; i++) s.increment(7);
  s.increment(8);
  assert.equal(s.frequency(7), 5);
  assert.equal(s.frequency(8), 1);
  assert.equal(s.frequency(9), 0);
  for (let i = 0; i < 40; i++) s.increment(7);
  assert.equal(s.frequency(7), 15);
});

test('sketch: estimates never under-count, and rarely over-count at its rated size', () => {
  const n = 1024;
  const s = new FrequencySketch(n);
  const truth = new Map<number, number>();
  // Keys 0..n-1, key i seen (i % 7) + 1 times: below the aging threshold (10 n).
  for (let i = 0; i < n; i++) for (let j = 0; j <= i % 7; j++) { s.increment(i * 2654435761); truth.set(i, (i % 7) + 1); }
  let over = 0;
  for (const [k, f] of truth) {
    const est = s.frequency(k * 2654435761);
    assert.ok(est >= f, `key ${k}: ${est} < ${f}`);
    if (est > f) over++;
  }
  assert.ok(over < n * 0.05, `${over} of ${n} over-counted`);
});

test('sketch: halves every counter after sampleSize increments (aging)', () => {
  const s = new FrequencySketch(10);
  assert.equal(s.sampleSize, 100);
  for (let i = 0; i < 12; i++) s.increment(1);
  assert.equal(s.frequency(1), 12);
  // 88 more counted increments on other keys trigger exactly one halving.
  let k = 1000;
  while (s.resetCount === 0) s.increment(k++);
  assert.equal(s.resetCount, 1);
  assert.equal(s.frequency(1), 6);
  s.halve();
  assert.equal(s.frequency(1), 3);
  s.clear();
  assert.equal(s.frequency(1), 0);
});

test('admission: a scan of one-hit wonders does not displace frequently used entries', () => {
  const { log, dispose } = recorder();
  const c = new LruCache<string, number>({ maxEntries: 100, policy: 'w-tinylfu', dispose });
  // Fill and make every key popular (6 counts each).
  for (let i = 0; i < 100; i++) c.set(`hot${i}`, i);
  for (let r = 0; r < 5; r++) for (let i = 0; i < 100; i++) c.get(`hot${i}`);
  // A scan of 300 new keys, each seen once (short of the sketch's aging period).
  for (let i = 0; i < 300; i++) c.set(`scan${i}`, i);
  // hot99, the newest key and so the one in the 1-entry window, had to duel
  // a victim as frequent as itself, and ties go to the victim. Beyond that a
  // scan key wins only when the sketch over-counts it (all four of its
  // counters collide with hot keys): rare, not impossible.
  const lost = [];
  for (let i = 0; i < 100; i++) if (c.peek(`hot${i}`) === undefined) lost.push(`hot${i}`);
  assert.ok(lost.includes('hot99'), String(lost));
  assert.ok(lost.length <= 3, `lost ${lost}`);
  assert.equal(c.size, 100);
  assert.ok(log.filter(([, k, r]) => r === 'evict' && k.startsWith('scan')).length >= 297);
  // Under LRU the same scan flushes every hot key.
  const lru = new LruCache<string, number>({ maxEntries: 100 });
  for (let i = 0; i < 100; i++) lru.set(`hot${i}`, i);
  for (let i = 0; i < 300; i++) lru.set(`scan${i}`, i);
  assert.equal([...lru.keys()].filter((k) => k.startsWith('hot')).length, 0);
});

test('admission: a candidate seen more often than the victim is admitted', () => {
  const c = new LruCache<string, number>({ maxEntries: 50, policy: 'w-tinylfu' });
  for (let i = 0; i < 50; i++) c.set(`old${i}`, i);
  // 'new' is requested many times (each a miss followed by set, as a caller would)...
  for (let r = 0; r < 10; r++) {
    if (c.get('new') === undefined) c.set('new', r);
    // ...with other one-off keys pushing it out of the window in between.
    c.set(`filler${r}`, r);
  }
  assert.equal(c.has('new'), true);
});

test('W-TinyLFU: recency beats frequency inside the window; probation hits promote', () => {
  const c = new LruCache<number, number>({ maxEntries: 200, policy: 'w-tinylfu' });
  assert.equal(c.stats().windowMax, 2, '1% window');
  for (let i = 0; i < 200; i++) c.set(i, i);
  assert.equal(c.size, 200);
  // The two newest keys are the window.
  assert.deepEqual([...c.keys()].slice(0, 2), [199, 198]);
  c.get(5);
  c.get(5);
  assert.equal(c.get(5), 5);
});

test('W-TinyLFU: same API semantics (peek/has/delete/clear/TTL/dispose/remainingTtl)', () => {
  let t = 0;
  const { log, dispose } = recorder();
  const c = new LruCache<string, number>({ maxEntries: 10, policy: 'w-tinylfu', ttlMs: 100, clock: () => t, dispose });
  c.set('a', 1).set('b', 2).set('c', 3, { ttlMs: Infinity });
  assert.equal(c.peek('a'), 1);
  assert.equal(c.has('b'), true);
  assert.equal(c.remainingTtl('a'), 100);
  assert.equal(c.remainingTtl('c'), Infinity);
  assert.equal(c.delete('b'), true);
  assert.equal(c.delete('b'), false);
  c.set('a', 11);
  t = 100;
  assert.equal(c.get('a'), undefined);
  assert.equal(c.get('c'), 3);
  c.clear();
  assert.deepEqual(log, [[2, 'b', 'delete'], [1, 'a', 'set'], [11, 'a', 'expire'], [3, 'c', 'clear']]);
  const s = c.stats();
  assert.deepEqual([s.hits, s.misses, s.expirations, s.size], [1, 1, 1, 0]);
  c.set('z', 26);
  assert.equal(c.get('z'), 26);
});

test('W-TinyLFU: maxEntries 1 and 2 work', () => {
  for (const max of [1, 2]) {
    const c = new LruCache<number, number>({ maxEntries: max, policy: 'w-tinylfu' });
    for (let i = 0; i < 50; i++) { c.set(i % 5, i); c.get(i % 3); assert.ok(c.size <= max); }
    c.set(99, 99);
    assert.ok(c.size >= 1);
  }
});

test('W-TinyLFU: the window adapts on a recency-heavy workload (grows from 1%)', () => {
  const max = 1000;
  const run = (policy: 'lru' | 'w-tinylfu'): { cache: LruCache<number, number>; lateHitRate: number } => {
    const cache = new LruCache<number, number>({ maxEntries: max, policy });
    // A sliding working set: each key is reused while it is recent, then
    // never again. Frequency says little here; recency says everything.
    let next = 0;
    let seed = 1;
    let lateHits = 0;
    const total = 400_000;
    for (let i = 0; i < total; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const k = Math.max(0, next - (seed % 1500));
      if (cache.get(k) === undefined) cache.set(k, i);
      else if (i >= total - 50_000) lateHits++;
      if (i % 3 === 0) next++;
    }
    return { cache, lateHitRate: lateHits / 50_000 };
  };
  const tiny = run('w-tinylfu');
  const lru = run('lru');
  assert.ok(tiny.cache.stats().windowMax > max / 2, `window stayed at ${tiny.cache.stats().windowMax}`);
  // Once adapted, within 2 points of LRU on LRU's home ground.
  assert.ok(tiny.lateHitRate >= lru.lateHitRate - 0.02, `late hit rate ${tiny.lateHitRate} vs LRU ${lru.lateHitRate}`);
});

test('property: W-TinyLFU never exceeds maxEntries, and dispose accounts for every entry', () => {
  // Mostly int32 keys, sometimes a string: the index moves to a Map mid-run.
  const key = fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 0, max: 40 }) }, { weight: 1, arbitrary: fc.constantFrom<number | string>('s', 'k') });
  const op = fc.oneof(
    { weight: 4, arbitrary: fc.record({ t: fc.constant('get' as const), k: key }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('set' as const), k: key, v: fc.integer() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), k: key }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('peek' as const), k: key }) },
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 20 }), fc.array(op, { maxLength: 400 }), (max, ops) => {
      // The model: what should be in the cache, given what dispose reported.
      const live = new Map<number | string, number>();
      const c = new LruCache<number | string, number>({
        maxEntries: max,
        policy: 'w-tinylfu',
        dispose: (v, k, r) => {
          if (r === 'set') return; // the old value of an overwrite: key stays
          assert.equal(live.get(k), v, `disposed ${k} (${r}) with the value last set`);
          live.delete(k);
        },
      });
      let hits = 0;
      let misses = 0;
      for (const o of ops) {
        if (o.t === 'set') {
          live.set(o.k, o.v);
          c.set(o.k, o.v);
        } else if (o.t === 'get') {
          const v = c.get(o.k);
          assert.equal(v, live.get(o.k));
          if (v === undefined) misses++; else hits++;
        } else if (o.t === 'peek') {
          assert.equal(c.peek(o.k), live.get(o.k));
        } else {
          const want = live.has(o.k);
          assert.equal(c.delete(o.k), want);
        }
        assert.ok(c.size <= max, `size ${c.size} > ${max}`);
        assert.equal(c.size, live.size);
      }
      assert.deepEqual(new Set(c.keys()), new Set(live.keys()));
      for (const o of ops) assert.equal(c.peek(o.k), live.get(o.k), `peek ${String(o.k)}`);
      const s = c.stats();
      assert.deepEqual([s.hits, s.misses], [hits, misses]);
      assert.ok(s.windowMax >= 1 && (max === 1 || s.windowMax <= max - 1));
    }),
    { numRuns: 300, seed: 5 },
  );
});

function recorder(): { log: [number, string, EvictionReason][]; dispose: (v: number, k: string, r: EvictionReason) => void } {
  const log: [number, string, EvictionReason][] = [];
  return { log, dispose: (v, k, r) => log.push([v, k, r]) };
}
