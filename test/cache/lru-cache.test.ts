import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LruCache, type EvictionReason } from '../../src/cache/lru-cache.ts';
import { ErrorCode, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

type Disposed<K, V> = [V, K, EvictionReason][];

function recording<K, V>(): { log: Disposed<K, V>; dispose: (v: V, k: K, r: EvictionReason) => void } {
  const log: Disposed<K, V> = [];
  return { log, dispose: (v, k, r) => log.push([v, k, r]) };
}

/** A settable fake clock. */
function fakeClock(start = 1000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

test('get refreshes recency; the least recently used entry is evicted first', () => {
  const { log, dispose } = recording<string, number>();
  const c = new LruCache<string, number>({ maxEntries: 3, dispose });
  c.set('a', 1).set('b', 2).set('c', 3);
  assert.equal(c.get('a'), 1);
  c.set('d', 4); // evicts b
  assert.deepEqual(log, [[2, 'b', 'evict']]);
  assert.equal(c.has('b'), false);
  assert.deepEqual([...c.keys()], ['d', 'a', 'c']);
  c.set('e', 5); // evicts c
  assert.deepEqual([...c.keys()], ['e', 'd', 'a']);
  assert.equal(c.size, 3);
  assert.deepEqual(c.stats(), {
    hits: 1, misses: 0, evictions: 2, expirations: 0, size: 3, bytes: 0, hitRate: 1, windowMax: 0,
  });
});

test('peek and has change neither recency nor hit/miss counts; set of an existing key refreshes it', () => {
  const c = new LruCache<string, number>({ maxEntries: 2 });
  c.set('a', 1).set('b', 2);
  assert.equal(c.peek('a'), 1);
  assert.equal(c.has('a'), true);
  assert.equal(c.peek('zz'), undefined);
  assert.equal(c.has('zz'), false);
  c.set('c', 3); // a was not refreshed: evicted
  assert.equal(c.has('a'), false);
  c.set('b', 20); // b becomes newest
  c.set('d', 4); // evicts c
  assert.deepEqual([...c.keys()], ['d', 'b']);
  assert.equal(c.get('b'), 20);
  assert.equal(c.get('c'), undefined);
  const s = c.stats();
  assert.equal(s.hits, 1);
  assert.equal(s.misses, 1);
});

test('replacing a value disposes the old one with reason "set", but not when it is the same value', () => {
  const { log, dispose } = recording<string, object>();
  const c = new LruCache<string, object>({ maxEntries: 4, dispose });
  const v1 = { v: 1 };
  const v2 = { v: 2 };
  c.set('k', v1);
  c.set('k', v1);
  assert.deepEqual(log, []);
  c.set('k', v2);
  assert.equal(log.length, 1);
  assert.equal(log[0]![0], v1);
  assert.equal(log[0]![2], 'set');
  assert.equal(c.size, 1);
});

test('delete and clear dispose with their reasons; clear keeps the counters', () => {
  const { log, dispose } = recording<number, string>();
  const c = new LruCache<number, string>({ maxEntries: 10, dispose });
  c.set(1, 'a').set(2, 'b').set(3, 'c');
  assert.equal(c.delete(2), true);
  assert.equal(c.delete(2), false);
  assert.deepEqual(log, [['b', 2, 'delete']]);
  c.get(1);
  c.clear();
  assert.deepEqual(log.slice(1), [['c', 3, 'clear'], ['a', 1, 'clear']], 'eldest first');
  assert.equal(c.size, 0);
  assert.equal(c.get(1), undefined);
  assert.deepEqual([...c.keys()], []);
  const s = c.stats();
  assert.equal(s.hits, 1);
  assert.equal(s.misses, 1);
  // Usable again after clear, and slots are reused.
  for (let i = 0; i < 25; i++) c.set(i, String(i));
  assert.equal(c.size, 10);
  assert.deepEqual([...c.keys()], [24, 23, 22, 21, 20, 19, 18, 17, 16, 15]);
});

test('maxBytes bounds the total size; eviction is LRU until it fits', () => {
  const { log, dispose } = recording<string, string>();
  const c = new LruCache<string, string>({ maxBytes: 10, sizeOf: (v) => v.length, dispose });
  assert.equal(c.maxEntries, Infinity);
  c.set('a', 'xxxx').set('b', 'yyyy');
  assert.equal(c.stats().bytes, 8);
  c.set('c', 'zzzzz'); // 13 > 10: evict a -> 9
  assert.deepEqual(log, [['xxxx', 'a', 'evict']]);
  assert.equal(c.stats().bytes, 9);
  c.set('b', 'y'); // shrink in place (old value disposed as 'set')
  assert.equal(c.stats().bytes, 6);
  assert.deepEqual(log[1], ['yyyy', 'b', 'set']);
  c.set('b', 'yyyyyyyy'); // grow: 5 + 8 = 13: evict c (b is newest)
  assert.deepEqual(log.slice(2), [['zzzzz', 'c', 'evict'], ['y', 'b', 'set']]);
  assert.deepEqual([...c.keys()], ['b']);
  assert.equal(c.stats().bytes, 8);
});

test('entries and bytes bounds together: whichever is hit first evicts', () => {
  const c = new LruCache<number, number>({ maxEntries: 3, maxBytes: 100, sizeOf: (v) => v });
  c.set(1, 10).set(2, 10).set(3, 10).set(4, 10);
  assert.deepEqual([...c.keys()], [4, 3, 2]);
  c.set(5, 85);
  assert.deepEqual([...c.keys()], [5, 4]);
  assert.equal(c.stats().bytes, 95);
});

test('a value larger than maxBytes is not stored: old entry removed ("set"), new value disposed ("evict")', () => {
  const { log, dispose } = recording<string, string>();
  const c = new LruCache<string, string>({ maxBytes: 5, sizeOf: (v) => v.length, dispose });
  c.set('a', 'aa').set('big', 'b');
  c.set('big', 'bbbbbbbbbb');
  assert.equal(c.has('big'), false);
  assert.equal(c.get('a'), 'aa');
  assert.deepEqual(log, [['b', 'big', 'set'], ['bbbbbbbbbb', 'big', 'evict']]);
  assert.equal(c.stats().evictions, 1);
  assert.equal(c.stats().bytes, 2);
});

test('sizeOf must return a finite number >= 0: typed errors naming sizeOf, cache unchanged', () => {
  for (const bad of [-1, NaN, Infinity, -Infinity]) {
    const c = new LruCache<string, number>({ maxBytes: 100, sizeOf: (v) => v });
    c.set('ok', 1);
    assert.throws(() => c.set('x', bad), (e: unknown) => {
      assert.ok(e instanceof OutOfRangeError, String(e));
      assert.equal((e as OutOfRangeError).code, ErrorCode.OUT_OF_RANGE);
      assert.match((e as Error).message, /LruCache sizeOf/);
      return true;
    }, `size ${bad}`);
    assert.equal(c.has('x'), false);
    assert.equal(c.size, 1);
    assert.equal(c.stats().bytes, 1);
  }
  const c = new LruCache<string, unknown>({ maxBytes: 100, sizeOf: () => '3' as unknown as number });
  assert.throws(() => c.set('x', 1), (e: unknown) => e instanceof InvalidArgumentError && /sizeOf/.test(e.message));
});

test('constructor validates options with typed errors naming the option', () => {
  const cases: [unknown, RegExp, typeof OutOfRangeError | typeof InvalidArgumentError][] = [
    [{}, /maxEntries or maxBytes/, InvalidArgumentError],
    [{ maxEntries: 0 }, /maxEntries \(0\)/, OutOfRangeError],
    [{ maxEntries: 1.5 }, /maxEntries \(1.5\)/, OutOfRangeError],
    [{ maxEntries: 2 ** 31 }, /maxEntries/, OutOfRangeError],
    [{ maxBytes: -1, sizeOf: () => 1 }, /maxBytes \(-1\)/, OutOfRangeError],
    [{ maxBytes: 10 }, /maxBytes needs a sizeOf/, InvalidArgumentError],
    [{ maxEntries: 1, sizeOf: 3 }, /sizeOf must be a function/, InvalidArgumentError],
    [{ maxEntries: 1, ttlMs: 0 }, /ttlMs \(0\)/, OutOfRangeError],
    [{ maxEntries: 1, ttlMs: NaN }, /ttlMs \(NaN\)/, OutOfRangeError],
    [{ maxEntries: 1, clock: 5 }, /clock/, InvalidArgumentError],
    [{ maxEntries: 1, dispose: 'x' }, /dispose/, InvalidArgumentError],
    [{ maxEntries: 1, policy: 'lfu' }, /policy must be/, InvalidArgumentError],
    [{ maxBytes: 10, sizeOf: () => 1, policy: 'w-tinylfu' }, /not supported with policy "w-tinylfu"/, InvalidArgumentError],
    [null, /options must be an object/, InvalidArgumentError],
  ];
  for (const [opts, re, cls] of cases) {
    assert.throws(() => new LruCache(opts as never), (e: unknown) => e instanceof cls && re.test((e as Error).message), JSON.stringify(opts));
  }
  const c = new LruCache<string, number>({ maxEntries: 2 });
  assert.throws(() => c.set('a', 1, { ttlMs: -5 }), (e: unknown) => e instanceof OutOfRangeError && /set ttlMs \(-5\)/.test(e.message));
});

test('TTL with a fake clock: lazy expiry on get/has/peek, counted as expirations, disposed "expire"', () => {
  const clock = fakeClock();
  const { log, dispose } = recording<string, number>();
  const c = new LruCache<string, number>({ maxEntries: 10, ttlMs: 100, clock: clock.now, dispose });
  c.set('a', 1).set('b', 2).set('c', 3, { ttlMs: Infinity }).set('d', 4, { ttlMs: 500 });
  clock.advance(99);
  assert.equal(c.get('a'), 1);
  assert.equal(c.remainingTtl('a'), 1);
  clock.advance(1);
  assert.equal(c.get('a'), undefined, 'expires at exactly ttlMs');
  assert.equal(c.has('b'), false);
  assert.equal(c.peek('c'), 3);
  assert.equal(c.remainingTtl('c'), Infinity);
  assert.equal(c.remainingTtl('d'), 400);
  assert.equal(c.remainingTtl('zz'), -1);
  assert.deepEqual(log, [[1, 'a', 'expire'], [2, 'b', 'expire']]);
  const s = c.stats();
  assert.equal(s.expirations, 2);
  assert.equal(s.evictions, 0);
  assert.equal(s.hits, 1);
  assert.equal(s.misses, 1);
  clock.advance(400);
  assert.equal(c.remainingTtl('d'), -1);
  assert.equal(c.size, 1);
  assert.equal(c.delete('d'), false);
});

test('TTL: get does not extend the TTL; set resets it; overwriting an expired entry expires it first', () => {
  const clock = fakeClock();
  const { log, dispose } = recording<string, number>();
  const c = new LruCache<string, number>({ maxEntries: 10, clock: clock.now, dispose });
  c.set('a', 1, { ttlMs: 50 });
  clock.advance(40);
  c.get('a');
  clock.advance(10);
  assert.equal(c.has('a'), false);
  c.set('b', 1, { ttlMs: 50 });
  clock.advance(40);
  c.set('b', 2, { ttlMs: 50 });
  clock.advance(40);
  assert.equal(c.get('b'), 2);
  clock.advance(20);
  c.set('b', 3);
  assert.deepEqual(log, [[1, 'a', 'expire'], [1, 'b', 'set'], [2, 'b', 'expire']]);
  assert.equal(c.get('b'), 3);
  assert.equal(c.remainingTtl('b'), Infinity);
});

test('TTL: set trims expired entries from the LRU end instead of evicting live ones', () => {
  const clock = fakeClock();
  const { log, dispose } = recording<number, number>();
  const c = new LruCache<number, number>({ maxEntries: 3, clock: clock.now, dispose });
  c.set(1, 1, { ttlMs: 10 }).set(2, 2, { ttlMs: 10 }).set(3, 3);
  clock.advance(10);
  c.set(4, 4);
  assert.deepEqual(log, [[1, 1, 'expire'], [2, 2, 'expire']]);
  assert.deepEqual([...c.keys()], [4, 3]);
  assert.equal(c.stats().evictions, 0);
  assert.equal(c.stats().expirations, 2);
});

test('without a TTL the clock is never read', () => {
  let reads = 0;
  const c = new LruCache<number, number>({ maxEntries: 4, clock: () => { reads++; return 0; } });
  for (let i = 0; i < 20; i++) { c.set(i, i); c.get(i); c.peek(i - 1); c.has(i - 2); c.remainingTtl(i); }
  assert.equal(reads, 0);
});

test('dispose may call back into the cache', () => {
  let reentered = 0;
  const c: LruCache<number, number> = new LruCache<number, number>({
    maxEntries: 2,
    dispose: (_v, k, reason) => {
      if (reason === 'evict' && k < 100) {
        reentered++;
        assert.equal(c.has(k), false, 'already gone when disposed');
        c.set(k + 100, 0);
      }
    },
  });
  c.set(1, 1).set(2, 2).set(3, 3);
  assert.ok(reentered > 0);
  assert.equal(c.size, 2);
  assert.deepEqual([...c.keys()].length, 2);
});

test('arrays grow past the initial allocation; maxEntries 1 works', () => {
  const c = new LruCache<number, number>({ maxEntries: 200_000, ttlMs: 1e9, sizeOf: () => 1 });
  for (let i = 0; i < 150_000; i++) c.set(i, i);
  assert.equal(c.size, 150_000);
  assert.equal(c.get(0), 0);
  assert.equal(c.get(149_999), 149_999);
  assert.equal(c.stats().bytes, 150_000);
  const one = new LruCache<string, number>({ maxEntries: 1 });
  one.set('a', 1).set('b', 2);
  assert.deepEqual([...one.keys()], ['b']);
});

test('the switch from int32 keys to the Map happens correctly when the cache is full', () => {
  const c = new LruCache<unknown, number>({ maxEntries: 2 });
  c.set(1, 1).set(2, 2).set('x', 3); // evicts 1 while moving to the Map
  assert.equal(c.get(1), undefined);
  assert.equal(c.get(2), 2);
  assert.equal(c.get('x'), 3);
  assert.equal(c.size, 2);
});

test('keys of any type: objects by identity, NaN, -0 as 0 (Map semantics)', () => {
  const c = new LruCache<unknown, number>({ maxEntries: 10 });
  const o = {};
  c.set(o, 1).set({}, 2).set(NaN, 3).set(-0, 4).set('1', 5).set(1n, 6);
  assert.equal(c.get(o), 1);
  assert.equal(c.get({}), undefined);
  assert.equal(c.get(NaN), 3);
  assert.equal(c.get(0), 4);
  assert.equal(c.get(1), undefined);
  assert.equal(c.get(1n), 6);
});

type Key = number | string;

/** The reference: an array ordered least to most recently used. */
class ModelLru {
  entries: [Key, number][] = [];
  constructor(readonly max: number) {}
  // SameValueZero, as a Map: NaN equals NaN, -0 equals 0.
  find(k: Key): number { return this.entries.findIndex((e) => e[0] === k || (e[0] !== e[0] && k !== k)); }
  get(k: Key): number | undefined {
    const i = this.find(k);
    if (i < 0) return undefined;
    const [e] = this.entries.splice(i, 1);
    this.entries.push(e!);
    return e![1];
  }
  peek(k: Key): number | undefined { const i = this.find(k); return i < 0 ? undefined : this.entries[i]![1]; }
  set(k: Key, v: number): Key[] {
    const i = this.find(k);
    // An overwrite keeps the entry's original key (same as the cache).
    const key = i >= 0 ? this.entries[i]![0] : k;
    if (i >= 0) this.entries.splice(i, 1);
    this.entries.push([key, v]);
    const evicted: Key[] = [];
    while (this.entries.length > this.max) evicted.push(this.entries.shift()![0]);
    return evicted;
  }
  delete(k: Key): boolean { const i = this.find(k); if (i < 0) return false; this.entries.splice(i, 1); return true; }
}

const keySets: [string, fc.Arbitrary<Key>][] = [
  ['small ints', fc.integer({ min: 0, max: 12 })],
  // Negative and colliding ints in the int32 table, then a non-int32 key
  // (2^31, a float, a string) moves everything into the Map mid-sequence.
  ['mixed keys', fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: -40, max: 40 }) },
    { weight: 1, arbitrary: fc.constantFrom<Key>(2 ** 31, 0.5, 'k', -(2 ** 31)) },
  )],
  // Map mode from the first key: evicted keys leave stale Map entries that
  // later lookups must read as absent, that a re-set must take over, and
  // that the sweep must delete without touching live ones (NaN included).
  ['string keys', fc.oneof(
    { weight: 20, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constant<Key>(NaN) },
  )],
];

for (const [label, keyArb] of keySets) {
  test(`property: LruCache("lru") matches a Map + array reference model over random op sequences (${label})`, () => {
    const op = fc.oneof(
      fc.record({ t: fc.constant('get' as const), k: keyArb }),
      fc.record({ t: fc.constant('set' as const), k: keyArb, v: fc.integer() }),
      fc.record({ t: fc.constant('peek' as const), k: keyArb }),
      fc.record({ t: fc.constant('has' as const), k: keyArb }),
      fc.record({ t: fc.constant('delete' as const), k: keyArb }),
      fc.record({ t: fc.constant('clear' as const) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(op, { maxLength: 300 }), (max, ops) => {
        const evicted: Key[] = [];
        const c = new LruCache<Key, number>({ maxEntries: max, dispose: (_v, k, r) => { if (r === 'evict') evicted.push(k); } });
        const m = new ModelLru(max);
        let hits = 0;
        let misses = 0;
        let modelEvictions = 0;
        for (const o of ops) {
          switch (o.t) {
            case 'get': {
              const want = m.get(o.k);
              if (want === undefined) misses++; else hits++;
              assert.equal(c.get(o.k), want);
              break;
            }
            case 'set': {
              evicted.length = 0;
              const want = m.set(o.k, o.v);
              modelEvictions += want.length;
              c.set(o.k, o.v);
              assert.deepEqual(evicted, want);
              break;
            }
            case 'peek': assert.equal(c.peek(o.k), m.peek(o.k)); break;
            case 'has': assert.equal(c.has(o.k), m.peek(o.k) !== undefined); break;
            case 'delete': assert.equal(c.delete(o.k), m.delete(o.k)); break;
            case 'clear': c.clear(); m.entries = []; break;
          }
          assert.equal(c.size, m.entries.length);
        }
        assert.deepEqual([...c.keys()], m.entries.map((e) => e[0]).reverse());
        // Every key ever used, live or not: no stale index entry may answer.
        for (const o of ops) if (o.t !== 'clear') assert.equal(c.peek(o.k), m.peek(o.k), `peek ${String(o.k)}`);
        const s = c.stats();
        assert.deepEqual([s.hits, s.misses, s.evictions], [hits, misses, modelEvictions]);
      }),
      { numRuns: 300, seed: 20261127 },
    );
  });
}

test('string keys: an evicted key reads as absent everywhere and can come back; the index stays bounded', () => {
  const { log, dispose } = recording<string, number>();
  const c = new LruCache<string, number>({ maxEntries: 3, dispose });
  for (const k of ['a', 'b', 'c', 'd']) c.set(k, k.charCodeAt(0));
  assert.deepEqual(log, [[97, 'a', 'evict']]);
  // 'a' left its Map entry behind, naming the slot 'd' now holds.
  assert.equal(c.get('a'), undefined);
  assert.equal(c.has('a'), false);
  assert.equal(c.peek('a'), undefined);
  assert.equal(c.delete('a'), false);
  assert.equal(c.remainingTtl('a'), -1);
  assert.equal(c.get('d'), 100);
  c.set('a', 1);
  assert.equal(c.get('a'), 1);
  assert.deepEqual([...c.keys()], ['a', 'd', 'c']);
  assert.deepEqual(c.stats().misses, 1);
  // Churn through many distinct keys: the index (a private Map) keeps at most
  // about 1.5x the live entries, and every old key reads as absent.
  const big = new LruCache<string, number>({ maxEntries: 100 });
  const index = (big as unknown as { index: Map<string, number> }).index;
  let most = 0;
  for (let i = 0; i < 10_000; i++) {
    big.set(`key:${i}`, i);
    most = Math.max(most, index.size);
  }
  assert.equal(big.size, 100);
  assert.ok(most <= 160, `index held ${most} entries for 100 live`);
  for (let i = 0; i < 9_900; i += 7) assert.equal(big.has(`key:${i}`), false);
  for (let i = 9_900; i < 10_000; i++) assert.equal(big.get(`key:${i}`), i);
});

test('a stale entry for the key undefined never answers for a freed slot', () => {
  const c = new LruCache<string | undefined, number>({ maxEntries: 2 });
  c.set(undefined, 1).set('b', 2).set('c', 3); // undefined evicted; its slot now holds 'c'
  assert.equal(c.delete('c'), true); // that slot is free now
  assert.equal(c.get(undefined), undefined);
  assert.equal(c.has(undefined), false);
  c.set(undefined, 4);
  assert.equal(c.get(undefined), 4);
  assert.equal(c.size, 2);
});

test('int32 keys: every key stays findable through table growth and deletions', () => {
  const c = new LruCache<number, number>({ maxBytes: 1e9, sizeOf: () => 1 });
  const keys: number[] = [];
  let x = 12345;
  for (let i = 0; i < 100_000; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    keys.push(x >> (i % 3) * 8); // some small keys too, so probe runs collide
  }
  for (const k of keys) c.set(k, k);
  const live = new Set(keys);
  assert.equal(c.size, live.size);
  for (let i = 0; i < keys.length; i += 2) {
    assert.equal(c.delete(keys[i]!), live.delete(keys[i]!));
  }
  assert.equal(c.size, live.size);
  for (const k of keys) assert.equal(c.get(k), live.has(k) ? k : undefined, `key ${k}`);
  // A string key moves every entry into the Map; all stay findable.
  c.set('now a string' as unknown as number, 1);
  assert.equal(c.get('now a string' as unknown as number), 1);
  for (const k of keys) assert.equal(c.peek(k), live.has(k) ? k : undefined, `key ${k} after the switch`);
  assert.equal(c.size, live.size + 1);
});
