// The cache area, part "tiers": MultiLevelCache, its tiers (MemoryTier,
// RedisTier, HttpTier), TierStatsRecorder, CircuitBreaker and v8Serializer
// (every runtime export of src/cache/{multi-level-cache,tier,redis-tier,
// http-tier,circuit-breaker,serializer}.ts), driven with hostile values by the
// harness (test/fuzz/harness.ts says what is asserted). The in-process caches
// (LruCache, memoize, LazyLoader, PredictiveCache) are the "local" part.
//
// Real parts: RedisTier talks to a redis-server this spec starts on a free
// port (test/helpers/redis-server.ts) when the first RedisTier is made, and
// stops when the last one is disposed; HttpTier to a small in-process HTTP
// cache server started the same way. healthy() round-trips a value through
// the instance, so a refused call that broke a connection or a breaker shows.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CircuitBreaker, HttpTier, MemoryTier, MultiLevelCache, RedisTier, TierStatsRecorder, v8Serializer } from '../../../src/cache/index.ts';
import { PerformanceMonitor } from '../../../src/metrics/monitor.ts';
import { RedisServer } from '../../helpers/redis-server.ts';
import { any, arr, bool, fn, int, num, opts, str, type AreaSpec, type ClassSpec, privates } from '../harness.ts';

const clock = (): number => 1000;

// --- shared servers, started on first use, stopped when the last user is disposed

class Shared<T> {
  private value: Promise<T> | null = null;
  private users = 0;
  private linger: NodeJS.Timeout | undefined;
  constructor(
    private readonly start: () => Promise<T>,
    private readonly stop: (v: T) => Promise<void>,
  ) {}
  async acquire(): Promise<T> {
    this.users++;
    clearTimeout(this.linger);
    this.value ??= this.start();
    return this.value;
  }
  /** The last user's release stops the server a second later, unless someone acquires it first (the harness makes hundreds of instances one after another). */
  async release(): Promise<void> {
    if (--this.users > 0 || this.value === null) return;
    clearTimeout(this.linger);
    this.linger = setTimeout(() => {
      if (this.users > 0 || this.value === null) return;
      const v = this.value;
      this.value = null;
      void v.then((x) => this.stop(x));
    }, 1000);
  }
}

const redis = new Shared(
  () => RedisServer.start(),
  (r) => r.stop(),
);

/** A minimal HTTP cache: PUT stores the body, GET answers it with max-age 60, DELETE removes. */
function startBlobServer(): Promise<{ server: Server; base: string }> {
  const store = new Map<string, Buffer>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = req.url ?? '';
      if (req.method === 'PUT') {
        store.set(key, Buffer.concat(chunks));
        res.writeHead(204).end();
      } else if (req.method === 'DELETE') {
        res.writeHead(store.delete(key) ? 204 : 404).end();
      } else {
        const b = store.get(key);
        if (b === undefined) res.writeHead(404).end();
        else res.writeHead(200, { 'cache-control': 'max-age=60' }).end(b);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/c` })));
}

const blobs = new Shared(startBlobServer, ({ server }) => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

// Valid values that must be replaced per call (a URL known only once a server runs).
const REDIS_URL = 'redis://fuzz.invalid:1';
const HTTP_URL = 'http://fuzz.invalid/c';
let redisUrl = '';
let httpBase = '';

let seq = 0;
/** The valid name `base` becomes a new name on every call; any other value is passed as fuzzed. */
const fresh = (v: unknown, base: string): unknown => (v === base ? `${base}-${++seq}` : v);

// --- CircuitBreaker -----------------------------------------------------------

const circuitBreaker: ClassSpec<CircuitBreaker> = {
  name: 'CircuitBreaker',
  make: () => new CircuitBreaker({ now: clock }),
  ctor: {
    params: [opts({ name: str('fuzz', true), failureThreshold: int(3, true), openMs: int(100, true), now: fn(clock, true) })],
    call: (o) => new CircuitBreaker(o),
  },
  methods: {
    allow: { params: [] },
    success: { params: [] },
    failure: { params: [] },
    probeNow: { params: [] },
    stats: { params: [] },
  },
  healthy: (b) => {
    assert.equal(typeof b.allow(), 'boolean');
    b.success();
    assert.equal(b.state, 0);
    assert.equal(b.allow(), true);
    assert.equal(typeof b.stats().opens, 'number');
  },
};

// --- TierStatsRecorder --------------------------------------------------------

const tierStatsRecorder: ClassSpec<TierStatsRecorder> = {
  name: 'TierStatsRecorder',
  make: () => new TierStatsRecorder('fuzz'),
  ctor: { params: [str('fuzz')], call: (n) => new TierStatsRecorder(n) },
  methods: {
    latency: { params: [num(1)], call: (r: TierStatsRecorder, t: number) => r.latency(t === 1 ? performance.now() : t) },
    error: { params: [any(new Error('x'))] },
    snapshot: { params: [opts({}, undefined, true)] },
  },
  healthy: (r) => {
    const before = r.snapshot().latency.count;
    r.latency(performance.now());
    const s = r.snapshot();
    assert.equal(s.latency.count, before + 1);
    assert.ok(Number.isFinite(s.latency.max));
    assert.ok(Number.isFinite(s.errors));
  },
};

// --- MemoryTier ---------------------------------------------------------------

async function tierRoundTrip(t: { set(k: string, v: unknown, ttl: number): Promise<void>; get(k: string): Promise<{ value: unknown } | undefined>; delete(k: string): Promise<void> }): Promise<void> {
  const key = `healthy-${++seq}`;
  await t.set(key, { n: seq, d: new Date(5) }, 10_000);
  const e = await t.get(key);
  assert.ok(e !== undefined, 'a value just written is read back');
  assert.equal((e.value as { n: number }).n, seq);
  await t.delete(key);
  assert.equal(await t.get(key), undefined);
}

const memoryTier: ClassSpec<MemoryTier> = {
  name: 'MemoryTier',
  make: () => new MemoryTier({ name: 'l2', maxEntries: 100 }),
  ctor: {
    // the LruCache fields are the local part's (its LruCache spec fuzzes them); MemoryTier adds `name`
    params: [opts({ name: str('l2', true) }, { maxEntries: 100 }, false)],
    call: (o) => new MemoryTier(o),
  },
  methods: {
    get: { params: [str('k')] },
    set: { params: [str('k'), any(1), num(10_000), opts({})] },
    delete: { params: [str('k'), opts({})] },
    recordLatency: { params: [num(0.5)] },
    stats: { params: [] },
  },
  healthy: (t) => tierRoundTrip(t),
};

// --- MultiLevelCache ----------------------------------------------------------

let monitor: PerformanceMonitor | null = null;
const MONITOR = Symbol('the fuzz monitor');

const multiLevelCache: ClassSpec<MultiLevelCache<unknown>> = {
  name: 'MultiLevelCache',
  make: () => new MultiLevelCache<unknown>({ l1: { maxEntries: 100 }, tiers: [new MemoryTier({ name: 'l2', maxEntries: 100 })], retryQueue: { retryMs: 1 } }),
  ctor: {
    params: [
      opts({
        name: str('fuzz', true),
        l1: any({ maxEntries: 10 }, true),
        tiers: arr([], true),
        ttlMs: num(10_000, true),
        l1MaxTtlMs: num(10_000, true),
        graceMs: num(0, true),
        writeBehind: any(false, true),
        invalidation: bool(true, true),
        retryQueue: opts({ maxKeys: int(100, true), retryMs: int(50, true) }),
        now: fn(() => performance.now(), true),
      }),
    ],
    call: (o) => new MultiLevelCache(o),
    // Odd but valid options (a 5e-324 ms l1MaxTtlMs, no L1 and no tiers) may keep nothing: a read is the value or a miss.
    healthy: async (c) => {
      const key = `healthy-${++seq}`;
      await c.set(key, seq, { ttlMs: 60_000 });
      const v = await c.get(key);
      assert.ok(v === seq || v === undefined, `read back ${String(v)}`);
      assert.equal(await c.getOrSet(`${key}-l`, () => 'loaded'), 'loaded');
      await c.delete(key);
      assert.equal(await c.get(key), undefined);
      assert.equal(typeof c.stats().gets, 'number');
      await c.close();
    },
  },
  methods: {
    get: { params: [str('k')] },
    getLocal: { params: [str('k')] },
    set: { params: [str('k'), any(1), opts({ ttlMs: num(10_000, true) })] },
    delete: { params: [str('k')] },
    getOrSet: { params: [str('k'), fn(() => 2), opts({ ttlMs: num(10_000, true), graceMs: num(0, true) })] },
    register: {
      params: [any(MONITOR), str('fuzz', true)],
      call: (c: MultiLevelCache<unknown>, m: unknown, name: unknown) => c.register((m === MONITOR ? (monitor ??= new PerformanceMonitor()) : m) as PerformanceMonitor, fresh(name, 'fuzz') as string),
    },
    flush: { params: [] },
    connect: { params: [] },
    close: { params: [] },
    stats: { params: [] },
  },
  healthy: async (c) => {
    assert.equal(c.isClosed, false);
    const key = `healthy-${++seq}`;
    const stores = Object.keys(c.stats().tiers).length > 0; // l1: false and no tiers stores nothing
    await c.set(key, seq, { ttlMs: 60_000 });
    assert.equal(await c.get(key), stores ? seq : undefined);
    assert.equal(c.getLocal(key), c.l1 === null ? undefined : seq);
    assert.equal(await c.getOrSet(`${key}-l`, () => 'loaded'), 'loaded');
    await c.delete(key);
    assert.equal(await c.get(key), undefined);
    assert.equal(typeof c.stats().retryQueue.queued, 'number');
  },
  dispose: async (c) => {
    await c.close();
    monitor?.close();
    monitor = null;
  },
};

// --- RedisTier ----------------------------------------------------------------

const redisTier: ClassSpec<RedisTier> = {
  name: 'RedisTier',
  make: async () => {
    redisUrl = (await redis.acquire()).url;
    // generous timeouts: healthy() must not fail because the machine is busy
    const t = new RedisTier({ url: redisUrl, keyPrefix: 'fuzz:', invalidationChannel: 'fuzz:inv', commandTimeoutMs: 2000, connectTimeoutMs: 5000 });
    await t.connect();
    return t;
  },
  ctor: {
    params: [
      opts({
        name: str('fuzz', true),
        url: str(REDIS_URL, true),
        keyPrefix: str('fuzz:', true),
        serializer: any(v8Serializer, true),
        commandTimeoutMs: int(1000, true),
        connectTimeoutMs: int(2000, true),
        reconnectMaxDelayMs: int(100, true),
        failureThreshold: int(3, true),
        openMs: int(500, true),
        maxBatchSize: int(100, true),
        invalidationChannel: str('fuzz:inv', true),
        tombstoneTtlMs: int(10_000, true),
        now: fn(() => performance.now(), true),
      }, { url: REDIS_URL, commandTimeoutMs: 2000, connectTimeoutMs: 5000 }),
    ],
    call: async (o: Record<string, unknown> | undefined) => {
      redisUrl = (await redis.acquire()).url;
      try {
        return new RedisTier(o !== null && typeof o === 'object' && o.url === REDIS_URL ? { ...o, url: redisUrl } : (o as never));
      } catch (err) {
        await redis.release();
        throw err;
      }
    },
    healthy: async (t) => {
      await t.connect();
      await tierRoundTrip(t);
    },
  },
  methods: {
    get: { params: [str('k')] },
    getMany: { params: [arr(['a', 'b'])] },
    set: { params: [str('k'), any(1), num(10_000), opts({ publish: bool(false, true) })] },
    delete: { params: [str('k'), opts({ publish: bool(false, true) })] },
    promote: { params: [str('p'), any(1), num(10_000)] },
    publishInvalidation: { params: [str('k')] },
    subscribeInvalidations: { params: [opts({ onKey: fn(() => {}), onResync: fn(() => {}) }, undefined, false)] },
    invalidateAll: { params: [] },
    connect: { params: [] },
    close: { params: [] },
    stats: { params: [] },
  },
  healthy: (t) => tierRoundTrip(t),
  dispose: async (t) => {
    await t.close();
    await redis.release();
  },
};

// a call answers within its 2 s command timeout; the harness's default bound is 2 s too
for (const m of Object.values(redisTier.methods)) m.settleMs = 5000;

// --- HttpTier -----------------------------------------------------------------

const httpTier: ClassSpec<HttpTier> = {
  name: 'HttpTier',
  make: async () => {
    httpBase = (await blobs.acquire()).base;
    return new HttpTier({ baseUrl: httpBase });
  },
  ctor: {
    params: [
      opts(
        {
          baseUrl: str(HTTP_URL),
          name: str('fuzz', true),
          serializer: any(v8Serializer, true),
          timeoutMs: int(1000, true),
          defaultTtlMs: num(60_000, true),
          headers: opts({}),
          failureThreshold: int(3, true),
          openMs: int(1000, true),
          now: fn(() => performance.now(), true),
        },
        undefined,
        false,
      ),
    ],
    call: async (o: Record<string, unknown> | undefined) => {
      httpBase = (await blobs.acquire()).base;
      try {
        return new HttpTier(o !== null && typeof o === 'object' && o.baseUrl === HTTP_URL ? ({ ...o, baseUrl: httpBase } as never) : (o as never));
      } catch (err) {
        await blobs.release();
        throw err;
      }
    },
  },
  methods: {
    get: { params: [str('k')] },
    set: { params: [str('k'), any(1), num(10_000), opts({})] },
    delete: { params: [str('k'), opts({})] },
    urlOf: { params: [str('k')] },
    close: { params: [] },
    stats: { params: [] },
  },
  healthy: (t) => tierRoundTrip(t),
  dispose: async (t) => {
    await t.close();
    await blobs.release();
  },
};

const spec: AreaSpec = {
  area: 'cache',
  classes: [circuitBreaker, tierStatsRecorder, memoryTier, multiLevelCache, redisTier, httpTier],
  functions: [
    { name: 'v8Serializer', component: 'v8Serializer', call: (v: unknown) => v8Serializer.deserialize(v8Serializer.serialize(v)), params: [any({ a: 1 })] },
    { name: 'v8Serializer.deserialize', component: 'v8Serializer', call: (b: unknown) => v8Serializer.deserialize(b as Buffer), params: [any(v8Serializer.serialize({ a: 1 }))] },
  ],
  exempt: {
    CacheErrorCode: 'constant table of error codes (no calls)',
    TierTimeoutError: 'error class: constructed by the tiers, never from user input',
    TierUnavailableError: 'error class: constructed by the tiers, never from user input',
    TierHttpStatusError: 'error class: constructed by the HTTP tier, never from user input',
    BreakerState: 'constant table of breaker states (no calls)',
  },
  exemptMethods: {
    CircuitBreaker: privates('trip'),
    MemoryTier: privates('key'),
    MultiLevelCache: privates(
      'afterAll', 'deleteTiers', 'doConnect', 'doLoad', 'drain', 'dropL1', 'enqueue', 'failed', 'invalidateAllTiers', 'keyError', 'l1Options', 'load',
      'promote', 'readBelow', 'replay', 'replayKey', 'scheduleRetry', 'setL1', 'store', 'timedLocal', 'touch', 'track', 'writeTiers',
    ),
    RedisTier: privates('checkTtl', 'envelope', 'keyError', 'nextVersion', 'publishFlag', 'seeGeneration', 'send', 'write'),
    HttpTier: privates('admit', 'done', 'failed', 'send'),
  },
};

export default spec;
