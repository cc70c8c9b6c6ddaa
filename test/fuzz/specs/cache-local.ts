// The cache area, part "local": the in-process caches LruCache (both
// policies), memoize / Memoizer, LazyLoader and PredictiveCache (every
// runtime export of src/cache/{lru-cache,memoizer,lazy-loader,
// predictive-cache}.ts), driven with hostile values by the harness
// (test/fuzz/harness.ts says what is asserted). The tiers are the "tiers"
// part (cache-tiers.ts).
//
// No wall clock: every TTL runs on an injected clock that never moves, so an
// accepted TTL cannot expire an entry under healthy(); loaders answer at once.
import assert from 'node:assert/strict';
import { LazyLoader, LruCache, Memoizer, PredictiveCache, memoize } from '../../../src/cache/index.ts';
import { any, bool, fn, int, iter, num, opts, str, type AreaSpec, type ClassSpec, privates } from '../harness.ts';

const clock = (): number => 1000;
/** A TTL this short expires at once on the fixed clock (1000 + ttl === 1000): an accepted, working cache that keeps nothing. */
const expiresAtOnce = (args: unknown[], index: number): boolean => {
  const t = (args[index] as { ttlMs?: unknown } | undefined)?.ttlMs;
  return typeof t === 'number' && 1000 + t === 1000;
};
const INTERNAL = '@internal entry point of the memoized wrapper (reached through call(), fuzzed here)';

/** An LruCache still stores, finds, overwrites and deletes. */
function lruHealthy(c: LruCache<unknown, unknown>): void {
  const k = `healthy-${Math.random()}`;
  c.set(k, 1);
  // W-TinyLFU may refuse to admit a new key; an overwrite of a present key and a delete always work
  if (c.has(k)) {
    assert.equal(c.get(k), 1);
    c.set(k, 2);
    assert.equal(c.peek(k), 2);
    assert.equal(c.delete(k), true);
  }
  assert.equal(c.has(k), false);
  const s = c.stats();
  assert.ok(Number.isInteger(s.size) && s.size >= 0 && s.hits >= 0 && s.misses >= 0);
}

const lruOptions = {
  maxEntries: int(100, true),
  maxBytes: num(1e6, true),
  sizeOf: fn(() => 1, true),
  ttlMs: num(60_000, true),
  clock: fn(clock, true),
  dispose: fn(() => {}, true),
  policy: str('lru', true),
};

const lruCache: ClassSpec<LruCache<unknown, unknown>> = {
  name: 'LruCache',
  make: () => new LruCache({ maxEntries: 100, clock }),
  ctor: {
    params: [opts(lruOptions, { maxEntries: 100, clock }, false)],
    call: (o) => new LruCache(o),
    // sizeOf is a function of the right kind whose result is judged at set():
    // one that returns a non-number or a negative is refused typed there.
    healthy: (c, args) => {
      const sizeOf = (args[0] as { sizeOf?: unknown } | undefined)?.sizeOf;
      if (typeof sizeOf === 'function') {
        let probe: unknown;
        try {
          probe = (sizeOf as (v: unknown, k: unknown) => unknown)(1, 'k');
        } catch {
          probe = undefined;
        }
        if (!(typeof probe === 'number' && Number.isFinite(probe) && probe >= 0)) {
          assert.throws(() => c.set('k', 1), (e: unknown) => e instanceof Error && /LruCache/.test(e.message));
          return;
        }
      }
      lruHealthy(c);
    },
  },
  methods: {
    get: { params: [any('k')] },
    peek: { params: [any('k')] },
    has: { params: [any('k')] },
    set: { params: [any('k'), any(1), opts({ ttlMs: num(1000, true) })] },
    delete: { params: [any('k')] },
    clear: { params: [] },
    remainingTtl: { params: [any('k')] },
    keys: { params: [], call: (c) => [...c.keys()] },
    stats: { params: [] },
  },
  healthy: lruHealthy,
};

const tinyLfuCache: ClassSpec<LruCache<unknown, unknown>> = {
  ...lruCache,
  name: 'LruCache',
  make: () => new LruCache({ maxEntries: 100, policy: 'w-tinylfu', clock }),
  ctor: undefined,
};

function memoizerHealthy(m: Memoizer<(a: number, b?: number) => number>): void {
  const before = m.stats().misses;
  assert.equal(m.call(2, 3), 5);
  assert.equal(m.call(2, 3), 5);
  assert.ok(m.stats().misses >= before);
  assert.equal(m.has(2, 3), true);
  assert.equal(m.delete(2, 3), true);
  assert.equal(m.has(2, 3), false);
}

/** The memoized function: never throws, whatever the arguments (their errors would be the caller's, not the cache's). */
const add = (a: number, b = 0): number => (typeof a === 'number' && typeof b === 'number' ? a + b : 0);
const memoOptions = { maxSize: int(100, true), ttlMs: num(60_000, true), key: fn((...a: never[]) => a.join(','), true), clock: fn(clock, true) };

const memoizer: ClassSpec<Memoizer<(a: number, b?: number) => number>> = {
  name: 'Memoizer',
  make: () => new Memoizer(add, { maxSize: 100, clock }),
  ctor: {
    params: [fn(add), opts(memoOptions, { clock })],
    call: (f, o) => new Memoizer(f, o),
    // a key function is judged only when called: one that throws surfaces its error at call()
    healthy: (m, args) => {
      const key = (args[1] as { key?: unknown } | undefined)?.key;
      const f = args[0];
      if (f !== add || (key !== undefined && key !== memoOptions.key.valid) || expiresAtOnce(args, 1)) {
        try {
          m.call(2, 3);
        } catch {
          // a foreign fn or key function may throw: its own error, not ours
        }
        m.clear();
        assert.equal(typeof m.stats().size, 'number');
        return;
      }
      memoizerHealthy(m);
    },
  },
  methods: {
    call: { params: [any(1), any(2)] },
    has: { params: [any(1), any(2)] },
    delete: { params: [any(1), any(2)] },
    clear: { params: [] },
    stats: { params: [] },
  },
  healthy: memoizerHealthy,
};

function loaderHealthy(l: LazyLoader<unknown, unknown>): Promise<void> {
  return (async () => {
    const k = `h-${Math.random()}`;
    assert.equal(await l.get(k), `v:${k}`);
    assert.equal(l.has(k), true);
    assert.equal(l.peek(k), `v:${k}`);
    assert.equal(l.delete(k), true);
    const [o] = await l.preload([k]);
    assert.equal(o!.status, 'fulfilled');
  })();
}

/** The loader: never throws, whatever the key (a key without a string form is the caller's business, not the loader's). */
const loadFn = (k: unknown): string => `v:${typeof k === 'string' ? k : typeof k}`;

const lazyLoader: ClassSpec<LazyLoader<unknown, unknown>> = {
  name: 'LazyLoader',
  make: () => new LazyLoader(loadFn, { maxEntries: 100, clock }),
  ctor: {
    params: [
      fn(loadFn),
      opts({ maxEntries: int(100, true), ttlMs: num(60_000, true), negativeTtlMs: num(1000, true), timeoutMs: num(1000, true), concurrency: int(4, true), clock: fn(clock, true), name: str('fuzz', true) }, { clock }),
    ],
    call: (f, o) => new LazyLoader(f, o),
    healthy: async (l, args) => {
      if (args[0] !== loadFn || expiresAtOnce(args, 1)) {
        // a foreign loader: its result or error is the caller's; the loader object still answers
        await l.get('x').catch(() => undefined);
        l.clear();
        return;
      }
      await loaderHealthy(l);
    },
  },
  methods: {
    get: { params: [any('k')] },
    peek: { params: [any('k')] },
    has: { params: [any('k')] },
    delete: { params: [any('k')] },
    clear: { params: [] },
    preload: { params: [iter(['a', 'b'])] },
    stats: { params: [] },
  },
  healthy: loaderHealthy,
};

/** An LruCache behind the PredictiveCacheStore shape, printed as "store" when a failure is reported. */
function storeOf(c: LruCache<unknown, unknown>): { get: (k: unknown) => unknown; has: (k: unknown) => boolean; set: (k: unknown, v: unknown) => unknown; delete: (k: unknown) => boolean; toJSON: () => string } {
  return { get: (k) => c.get(k), has: (k) => c.has(k), set: (k, v) => c.set(k, v), delete: (k) => c.delete(k), toJSON: () => 'store' };
}

async function predictiveHealthy(p: PredictiveCache<unknown, unknown>): Promise<void> {
  const k = `p-${Math.random()}`;
  assert.equal(await p.get(k), `v:${k}`);
  assert.ok(Array.isArray(p.predict(k)));
  await p.whenIdle();
  assert.equal(typeof p.stats().demandLoads, 'number');
}

const predictive: ClassSpec<PredictiveCache<unknown, unknown>> = {
  name: 'PredictiveCache',
  make: () => new PredictiveCache(new LruCache({ maxEntries: 100, clock }), loadFn),
  ctor: {
    params: [
      any(storeOf(new LruCache({ maxEntries: 100, clock }))),
      fn(loadFn),
      opts({
        threshold: num(0.3, true),
        minObservations: int(2, true),
        maxKeys: int(1000, true),
        topK: int(4, true),
        decayEvery: int(1000, true),
        decay: num(0.5, true),
        concurrency: int(2, true),
        prefetchSlots: int(4, true),
        prefetchTimeoutMs: num(1000, true),
        ttlMs: num(60_000, true),
        name: str('fuzz', true),
      }),
    ],
    call: (c, f, o) => new PredictiveCache(c, f, o),
    healthy: async (p, args) => {
      if (args[1] !== loadFn || (args[0] as { toJSON?: unknown } | null)?.toJSON === undefined || expiresAtOnce(args, 2)) {
        await p.get('x').catch(() => undefined);
        return;
      }
      await predictiveHealthy(p);
    },
  },
  methods: {
    get: { params: [any('k')] },
    predict: { params: [any('k')] },
    whenIdle: { params: [] },
    stats: { params: [] },
  },
  healthy: predictiveHealthy,
  dispose: (p) => p.whenIdle(),
};

const spec: AreaSpec = {
  area: 'cache',
  classes: [lruCache, tinyLfuCache, memoizer, lazyLoader, predictive],
  functions: [
    {
      name: 'memoize',
      component: 'Memoizer',
      call: (f: unknown, o: unknown) => {
        const m = memoize(f as typeof add, o as never);
        m(1, 2);
        m.has(1, 2);
        m.delete(1, 2);
        return m.stats();
      },
      params: [fn(add), opts(memoOptions, { clock })],
    },
  ],
  exempt: {
    LoadTimeoutError: 'error class: constructed by LazyLoader on a timeout, never from user input',
    LOAD_TIMEOUT: 'error code constant (no calls)',
  },
  exemptMethods: {
    LruCache: privates(
      'addAbsent', 'admit', 'allocate', 'climb', 'demoteProtectedOverflow', 'evictFromMain', 'evictLru', 'extendSlots', 'getChecked', 'getInt', 'grow',
      'guard', 'hasExpired', 'hit', 'hitGeneral', 'indexDelete', 'indexSet', 'insertPlain', 'insertTinyLfu', 'isStale', 'leaveIntMode', 'link', 'lookup',
      'measure', 'moveToNewest', 'moveWindowEldestToProbation', 'observe', 'onHit', 'promote', 'remove', 'replaceEldest', 'resetLists', 'resizeWindow',
      'setGeneral', 'sweep', 'syncFastHit', 'trimExpired', 'unlink', 'updateProtectedMax',
    ),
    Memoizer: { ...privates('child', 'keyOf', 'miss', 'prune', 'store'), missPrimitive: INTERNAL, invoke: INTERNAL },
    LazyLoader: privates('load', 'settle'),
    PredictiveCache: privates('demandLoad', 'observe', 'prefetch', 'prefetchDone', 'prefetchSuccessors'),
  },
};

export default spec;
