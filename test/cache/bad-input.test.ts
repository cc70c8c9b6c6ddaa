// Bad input to the in-process caches (issue 11, section 4): a value of the
// wrong kind is InvalidArgumentError, a number outside its rule
// OutOfRangeError, null is not "left out", an array is not options, and a
// refused call leaves the cache working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LazyLoader, LruCache, Memoizer, PredictiveCache, memoize } from '../../src/cache/index.ts';
import { InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

const typed = (kind: typeof InvalidArgumentError | typeof OutOfRangeError, re: RegExp) => (e: unknown) => e instanceof kind && re.test((e as Error).message);

test('LruCache: set options null or an array are refused typed (was: Cannot read properties of null) and the cache keeps working', () => {
  const c = new LruCache<string, number>({ maxEntries: 4 });
  assert.throws(() => c.set('k', 1, null as never), typed(InvalidArgumentError, /^LruCache set options must be an object when given, got null/));
  assert.throws(() => c.set('k', 1, [] as never), InvalidArgumentError);
  assert.throws(() => c.set('k', 1, { ttlMs: '5' as never }), typed(InvalidArgumentError, /LruCache set ttlMs \("5"\) must be a number > 0/));
  assert.throws(() => c.set('k', 1, { ttlMs: -1 }), typed(OutOfRangeError, /LruCache set ttlMs \(-1\)/));
  c.set('k', 1);
  assert.equal(c.get('k'), 1);
});

test('LruCache: options of the wrong kind are InvalidArgumentError (null is not the default), numbers outside the rule OutOfRangeError', () => {
  for (const [o, kind, re] of [
    [{ maxEntries: null }, InvalidArgumentError, /LruCache maxEntries \(null\)/],
    [{ maxEntries: '5' }, InvalidArgumentError, /LruCache maxEntries \("5"\)/],
    [{ maxEntries: 10n }, InvalidArgumentError, /LruCache maxEntries \(10n \(a bigint\)\)/],
    [{ maxEntries: 0 }, OutOfRangeError, /LruCache maxEntries \(0\) must be an integer from 1/],
    [{ maxEntries: 4, ttlMs: null }, InvalidArgumentError, /LruCache ttlMs \(null\)/],
    [{ maxEntries: 4, policy: null }, InvalidArgumentError, /LruCache policy must be "lru" or "w-tinylfu", got null/],
    [{ maxBytes: '100', sizeOf: () => 1 }, InvalidArgumentError, /LruCache maxBytes/],
  ] as const) {
    assert.throws(() => new LruCache(o as never), typed(kind, re), JSON.stringify(o, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)));
  }
  assert.throws(() => new LruCache([] as never), typed(InvalidArgumentError, /LruCache options must be an object/));
  const c = new LruCache<string, number>({ maxBytes: 10, sizeOf: () => '3' as never });
  assert.throws(() => c.set('a', 1), typed(InvalidArgumentError, /LruCache sizeOf must return a number, got "3"/));
  assert.equal(c.size, 0);
});

test('Memoizer / memoize: null options fields and arrays are refused, not taken as defaults', () => {
  const f = (a: number): number => a * 2;
  assert.throws(() => new Memoizer(f, { maxSize: null as never }), typed(InvalidArgumentError, /Memoizer maxSize \(null\)/));
  assert.throws(() => new Memoizer(f, { ttlMs: null as never }), typed(InvalidArgumentError, /Memoizer ttlMs \(null\)/));
  assert.throws(() => new Memoizer(f, { maxSize: 0 }), typed(OutOfRangeError, /Memoizer maxSize \(0\)/));
  assert.throws(() => new Memoizer(f, [] as never), typed(InvalidArgumentError, /Memoizer options must be an object/));
  assert.throws(() => memoize(f, { maxSize: '10' as never }), InvalidArgumentError);
  assert.equal(memoize(f, { maxSize: 10 })(4), 8);
});

test('LazyLoader: null options fields and arrays are refused, not taken as defaults', () => {
  const load = (k: string): string => k.toUpperCase();
  for (const field of ['maxEntries', 'ttlMs', 'negativeTtlMs', 'timeoutMs', 'concurrency', 'name'] as const) {
    assert.throws(() => new LazyLoader(load, { [field]: null } as never), typed(InvalidArgumentError, new RegExp(`LazyLoader ${field}`)), field);
  }
  assert.throws(() => new LazyLoader(load, [] as never), typed(InvalidArgumentError, /LazyLoader options must be an object/));
  assert.throws(() => new LazyLoader(load, { concurrency: 0 }), typed(OutOfRangeError, /LazyLoader concurrency \(0\)/));
});

test('PredictiveCache: null options fields and arrays are refused, not taken as defaults', async () => {
  const store = new LruCache<string, string>({ maxEntries: 10 });
  const load = (k: string): string => k;
  for (const field of ['threshold', 'decay', 'minObservations', 'maxKeys', 'topK', 'decayEvery', 'concurrency', 'prefetchSlots', 'prefetchTimeoutMs', 'ttlMs', 'name'] as const) {
    assert.throws(() => new PredictiveCache(store, load, { [field]: null } as never), typed(InvalidArgumentError, new RegExp(`PredictiveCache ${field}`)), field);
  }
  assert.throws(() => new PredictiveCache(store, load, [] as never), typed(InvalidArgumentError, /PredictiveCache options must be an object/));
  assert.throws(() => new PredictiveCache(store, load, { topK: 0 }), typed(OutOfRangeError, /PredictiveCache topK \(0\)/));
  const p = new PredictiveCache(store, load);
  assert.equal(await p.get('a'), 'a');
});
