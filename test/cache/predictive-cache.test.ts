import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LruCache } from '../../src/cache/lru-cache.ts';
import { PredictiveCache } from '../../src/cache/predictive-cache.ts';
import { LoadTimeoutError } from '../../src/cache/lazy-loader.ts';
import { InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';
import { readTrace } from '../helpers/cache-traces.ts';

/** A synchronous loader that records the keys it was asked for. */
function recordingLoader(): { load: (k: string) => string; loaded: string[] } {
  const loaded: string[] = [];
  return { load: (k: string) => (loaded.push(k), `v:${k}`), loaded };
}

async function replay(pc: PredictiveCache<string, string>, keys: string[]): Promise<void> {
  for (const k of keys) await pc.get(k);
}

test('serves values read-through and caches them in the wrapped cache', async () => {
  const { load, loaded } = recordingLoader();
  const cache = new LruCache<string, string>({ maxEntries: 10 });
  const pc = new PredictiveCache(cache, load);
  assert.equal(await pc.get('a'), 'v:a');
  assert.equal(await pc.get('a'), 'v:a');
  assert.deepEqual(loaded, ['a']);
  assert.equal(cache.peek('a'), 'v:a');
  const s = pc.stats();
  assert.equal(s.requests, 2);
  assert.equal(s.cacheHits, 1);
  assert.equal(s.demandLoads, 1);
});

test('learns a -> b and prefetches b after minObservations, into staging, not the cache', async () => {
  const { load, loaded } = recordingLoader();
  // A cache of 1 entry: nothing survives between requests, so every hit on b is the prefetch's doing.
  const cache = new LruCache<string, string>({ maxEntries: 1 });
  const pc = new PredictiveCache(cache, load, { minObservations: 2, threshold: 0.7 });
  await replay(pc, ['a', 'b', 'x', 'a', 'b', 'x']); // a -> b seen twice
  assert.equal(pc.stats().prefetches, 0, 'no prefetch before the second observation is complete');
  assert.deepEqual(pc.predict('a'), [{ key: 'b', probability: 1 }]);
  loaded.length = 0;
  await pc.get('a'); // now predicts b
  assert.deepEqual(loaded, ['a', 'b'], 'a loaded on demand, b prefetched');
  assert.equal(pc.stats().prefetches, 1);
  assert.equal(pc.stats().staged, 1);
  assert.equal(cache.has('b'), false, 'the prefetch did not touch the wrapped cache');
  assert.equal(cache.has('a'), true, 'the hotter entry was not evicted by the prefetch');
  loaded.length = 0;
  assert.equal(await pc.get('b'), 'v:b');
  assert.deepEqual(loaded, ['x'], 'b came from the prefetch (and b -> x, seen twice, prefetched x)');
  assert.equal(cache.has('b'), true, 'a used prefetch is promoted into the cache');
  const s = pc.stats();
  assert.equal(s.prefetchHits, 1);
  assert.equal(s.prefetches, 2);
  assert.equal(s.precision, 0.5);
  assert.equal(s.coverage, 1 / (1 + s.demandLoads));
  await pc.get('x'); // uses the x prefetch, and prefetches a (x -> a seen twice)
  assert.equal(pc.stats().prefetchHits, 2);
  assert.equal(pc.stats().prefetches, 3);
  assert.equal(pc.stats().precision, 2 / 3);
});

test('below the threshold nothing is prefetched', async () => {
  const { load, loaded } = recordingLoader();
  const pc = new PredictiveCache(new LruCache<string, string>({ maxEntries: 1 }), load, { minObservations: 1, threshold: 0.7 });
  // a -> b and a -> c alternate: 50% each (b -> a and c -> a are certain, so a is prefetched).
  await replay(pc, ['a', 'b', 'a', 'c', 'a', 'b', 'a', 'c', 'a']);
  assert.deepEqual(pc.predict('a'), []);
  assert.equal(loaded.filter((k) => k === 'b').length, 2, 'b only loaded on demand');
  assert.equal(loaded.filter((k) => k === 'c').length, 2, 'c only loaded on demand');
  // With a 0.4 threshold both qualify.
  const pc2 = new PredictiveCache(new LruCache<string, string>({ maxEntries: 1 }), load, { minObservations: 1, threshold: 0.4 });
  await replay(pc2, ['a', 'b', 'a', 'c', 'a', 'b', 'a', 'c', 'a']);
  assert.equal(pc2.predict('a').length, 2);
});

test('decay lets a new habit replace an old one', async () => {
  const { load } = recordingLoader();
  const pc = new PredictiveCache(new LruCache<string, string>({ maxEntries: 4 }), load, { minObservations: 1, decayEvery: 4, decay: 0.25, topK: 2 });
  const seq: string[] = [];
  for (let i = 0; i < 20; i++) seq.push('a', 'b');
  await replay(pc, seq);
  assert.equal(pc.predict('a')[0]!.key, 'b');
  const seq2: string[] = [];
  for (let i = 0; i < 12; i++) seq2.push('a', 'c');
  await replay(pc, seq2);
  const p = pc.predict('a');
  assert.equal(p.length, 1);
  assert.equal(p[0]!.key, 'c');
  // Without decay neither reaches 0.7 (20/32 and 12/32).
  const pc2 = new PredictiveCache(new LruCache<string, string>({ maxEntries: 4 }), load, { minObservations: 1, decay: 1, topK: 2 });
  await replay(pc2, [...seq, ...seq2]);
  assert.deepEqual(pc2.predict('a').map((x) => x.key), []);
});

test('memory is bounded: maxKeys source keys, topK successors each', async () => {
  const { load } = recordingLoader();
  const pc = new PredictiveCache(new LruCache<string, string>({ maxEntries: 8 }), load, { maxKeys: 100, topK: 3 });
  for (let i = 0; i < 5000; i++) await pc.get(`k${(i * 7919) % 3001}`);
  assert.equal(pc.stats().trackedKeys, 100);
  // topK: a source with many successors keeps only 3; the probability of the dominant one stays honest.
  const pc2 = new PredictiveCache(new LruCache<string, string>({ maxEntries: 8 }), load, { minObservations: 1, topK: 3, threshold: 0.01, decay: 1 });
  for (let i = 0; i < 50; i++) await replay(pc2, ['s', `t${i}`]);
  const p = pc2.predict('s');
  assert.ok(p.length <= 3);
  for (const x of p) assert.ok(x.probability <= 1 / 49 + 1e-9, `probability ${x.probability} over-estimated`);
});

test('prefetches only use the staging slots: a wrong prediction never evicts a used entry', async () => {
  const { load } = recordingLoader();
  const cache = new LruCache<string, string>({ maxEntries: 3 });
  const pc = new PredictiveCache(cache, load, { minObservations: 1, prefetchSlots: 2 });
  await replay(pc, ['h1', 'h2', 'h3']); // hot entries fill the cache
  // Teach p -> q1, q2, q3 once each via other keys, then predict without ever using them.
  for (let i = 0; i < 10; i++) await replay(pc, [`p${i}`, `q${i}`]);
  assert.ok(pc.stats().staged <= 2);
  const before = pc.stats();
  // Predictions that are never used are wasted, and counted.
  for (let i = 0; i < 10; i++) await pc.get(`p${i}`);
  const s = pc.stats();
  assert.ok(s.prefetches > before.prefetches);
  assert.ok(s.staged <= 2);
  assert.ok(s.prefetchesWasted > 0);
  assert.ok(s.precision < 1);
});

test('async loader: a get joins an in-flight prefetch (late prefetch hit), whenIdle settles', async () => {
  const resolvers = new Map<string, (v: string) => void>();
  const loads: string[] = [];
  const load = (k: string) =>
    new Promise<string>((resolve) => {
      loads.push(k);
      resolvers.set(k, resolve);
    });
  const pc = new PredictiveCache(new LruCache<string, string>({ maxEntries: 1 }), load, { minObservations: 1 });
  const pa = pc.get('a');
  resolvers.get('a')!('A');
  await pa;
  const pb = pc.get('b');
  resolvers.get('b')!('B');
  await pb;
  const pz = pc.get('z');
  resolvers.get('z')!('Z');
  await pz;
  // Model: a -> b -> z -> a. The 1-entry cache holds z, so get(a) loads a and prefetches b.
  const pa2 = pc.get('a');
  assert.deepEqual(loads, ['a', 'b', 'z', 'a', 'b']);
  const pb2 = pc.get('b'); // joins the prefetch
  resolvers.get('a')!('A');
  resolvers.get('b')!('B2');
  assert.equal(await pa2, 'A');
  assert.equal(await pb2, 'B2');
  await pc.whenIdle();
  const s = pc.stats();
  assert.equal(s.prefetchHits, 1);
  assert.equal(s.latePrefetchHits, 1);
  assert.equal(s.prefetches, 1);
});

test('prefetch concurrency is bounded; excess predictions are dropped and counted', async () => {
  const pending: (() => void)[] = [];
  let active = 0;
  let maxActive = 0;
  const load = (k: string) =>
    new Promise<string>((resolve) => {
      active++;
      maxActive = Math.max(maxActive, active);
      pending.push(() => {
        active--;
        resolve(k);
      });
    });
  const cache = new LruCache<string, string>({ maxEntries: 100 });
  const pc = new PredictiveCache(cache, load, { minObservations: 1, threshold: 0.1, concurrency: 2 });
  // Teach a -> b, c, d (one each) with synchronous-looking resolution.
  for (const next of ['b', 'c', 'd']) {
    const p1 = pc.get('a');
    while (pending.length) pending.shift()!();
    await p1;
    const p2 = pc.get(next);
    while (pending.length) pending.shift()!();
    await p2;
    await pc.whenIdle();
  }
  for (const k of ['b', 'c', 'd']) cache.delete(k);
  const before = pc.stats();
  const p = pc.get('a'); // cached: a; predicts b, c, d but only 2 may load
  assert.equal(pc.stats().prefetches - before.prefetches, 2);
  assert.equal(pc.stats().prefetchesDropped - before.prefetchesDropped, 1);
  while (pending.length) pending.shift()!();
  await p;
  await pc.whenIdle();
  assert.ok(maxActive <= 2, `maxActive ${maxActive}`);
});

test('prefetch errors are counted, not thrown; demand-load errors reject and are not cached', async () => {
  let failB = true;
  const load = (k: string): Promise<string> => (k === 'b' && failB ? Promise.reject(new Error('b down')) : Promise.resolve(k));
  const pc = new PredictiveCache(new LruCache<string, string>({ maxEntries: 1 }), load, { minObservations: 1 });
  await pc.get('a');
  await assert.rejects(pc.get('b'), /b down/);
  await pc.get('a'); // prefetches b, which fails
  await pc.whenIdle();
  assert.equal(pc.stats().prefetchErrors, 1);
  failB = false;
  assert.equal(await pc.get('b'), 'b');
});

test('a prefetch that never settles is abandoned after prefetchTimeoutMs; whenIdle still resolves', async () => {
  const guard = setTimeout(() => assert.fail('did not finish in 5 s'), 5000);
  try {
    let hang = false;
    const load = (k: string) => (hang && k === 'b' ? new Promise<string>(() => {}) : Promise.resolve(k));
    const pc = new PredictiveCache(new LruCache<string, string>({ maxEntries: 1 }), load, { minObservations: 1, prefetchTimeoutMs: 20 });
    await pc.get('a');
    await pc.get('b');
    await pc.get('z'); // the 1-entry cache now holds z
    hang = true;
    await pc.get('a'); // prefetch of b hangs
    const joined = pc.get('b'); // joins the hanging prefetch
    await pc.whenIdle();
    await assert.rejects(joined, LoadTimeoutError);
    assert.equal(pc.stats().prefetchErrors, 1);
  } finally {
    clearTimeout(guard);
  }
});

test('glimpse trace: warming raises the hit rate at equal memory (LRU: 490 + 10 staging vs 500)', () => {
  const keys = readTrace('glimpse');
  const load = (k: number) => k;
  const size = 500;
  const plain = new LruCache<number, number>({ maxEntries: size });
  let plainHits = 0;
  for (let i = 0; i < keys.length; i++) {
    if (plain.get(keys[i]!) !== undefined) plainHits++;
    else plain.set(keys[i]!, keys[i]!);
  }
  const slots = 10;
  const pc = new PredictiveCache(new LruCache<number, number>({ maxEntries: size - slots }), load, { prefetchSlots: slots });
  for (let i = 0; i < keys.length; i++) void pc.get(keys[i]!);
  const s = pc.stats();
  const plainRate = plainHits / keys.length;
  const warmRate = (s.cacheHits + s.prefetchHits) / s.requests;
  assert.ok(plainRate < 0.02, `plain LRU ${plainRate}`);
  assert.ok(warmRate > 0.3, `with warming ${warmRate}`);
  assert.ok(s.precision > 0.95, `precision ${s.precision}`);
});

test('bad arguments throw typed errors naming the option', () => {
  const c = new LruCache<string, string>({ maxEntries: 2 });
  const l = (k: string) => k;
  assert.throws(() => new PredictiveCache(c, l, { threshold: 0 }), (e: unknown) => e instanceof OutOfRangeError && /threshold/.test(e.message));
  assert.throws(() => new PredictiveCache(c, l, { threshold: 1.5 }), (e: unknown) => e instanceof OutOfRangeError && /threshold/.test(e.message));
  assert.throws(() => new PredictiveCache(c, l, { decay: 0 }), (e: unknown) => e instanceof OutOfRangeError && /decay/.test(e.message));
  assert.throws(() => new PredictiveCache(c, l, { topK: 0 }), (e: unknown) => e instanceof OutOfRangeError && /topK/.test(e.message));
  assert.throws(() => new PredictiveCache(c, l, { minObservations: 0.5 }), (e: unknown) => e instanceof OutOfRangeError && /minObservations/.test(e.message));
  assert.throws(() => new PredictiveCache(c, l, { prefetchSlots: 0 }), (e: unknown) => e instanceof OutOfRangeError && /prefetchSlots/.test(e.message));
  assert.throws(() => new PredictiveCache({} as never, l), (e: unknown) => e instanceof InvalidArgumentError && /cache/.test(e.message));
  assert.throws(() => new PredictiveCache(c, 3 as never), (e: unknown) => e instanceof InvalidArgumentError && /loader/.test(e.message));
});
