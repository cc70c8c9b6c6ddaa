// MultiLevelCache: the L1 hit path against our own LruCache.get (the price of
// the multi-level wrapper), and L2 (Redis) hits against bentocache on the same
// redis-server, which the suite starts itself on a free port of 127.0.0.1
// (test/helpers/redis-server.ts) and stops in teardown.
//
// Keys and values are seeded: 1024 keys `k0..k1023`, each value a small
// object { id, name, tags: [3 strings], score }.
import { BentoCache, bentostore } from 'bentocache';
import { redisDriver } from 'bentocache/drivers/redis';
import { memoryDriver } from 'bentocache/drivers/memory';
import { rng, suite } from '../harness.ts';
import { LruCache } from '../../src/cache/lru-cache.ts';
import { MultiLevelCache } from '../../src/cache/multi-level-cache.ts';
import { RedisTier } from '../../src/cache/redis-tier.ts';
import { RedisServer } from '../../test/helpers/redis-server.ts';

const N = 1024;
const keys: string[] = [];
const values: { id: number; name: string; tags: string[]; score: number }[] = [];
const random = rng(20261127);
for (let i = 0; i < N; i++) {
  keys.push(`k${i}`);
  values.push({ id: i, name: `user-${Math.floor(random() * 1e6)}`, tags: ['a', 'bb', 'ccc'], score: random() });
}
const order = new Uint16Array(4096);
for (let i = 0; i < order.length; i++) order[i] = Math.floor(random() * N);

let lru: LruCache<string, unknown>;
let mlc: MultiLevelCache<unknown>;

function fillL1(): void {
  lru = new LruCache<string, unknown>({ maxEntries: 2 * N });
  mlc = new MultiLevelCache<unknown>({ l1: { maxEntries: 2 * N }, ttlMs: Infinity });
  for (let i = 0; i < N; i++) {
    lru.set(keys[i]!, values[i]!);
    void mlc.set(keys[i]!, values[i]!);
  }
}

const WAVE = 100;

async function waves(get: (k: string) => Promise<unknown>, n: number): Promise<number> {
  let found = 0;
  const ps: Promise<unknown>[] = new Array(WAVE);
  let j = 0;
  for (let done = 0; done < n; done += WAVE) {
    const m = Math.min(WAVE, n - done);
    ps.length = m;
    for (let i = 0; i < m; i++) ps[i] = get(keys[order[j++ & 4095]!]!);
    const vs = await Promise.all(ps);
    if (vs[m - 1] !== undefined) found++;
  }
  return found;
}

let redis: RedisServer | null = null;
let l2Cache: MultiLevelCache<unknown>;
let bento: BentoCache<{ cache: ReturnType<typeof bentostore> }>;
let bentoAuto: BentoCache<{ cache: ReturnType<typeof bentostore> }>;

suite('cache/multi-level', (s) => {
  s.case({
    name: 'L1 hit, getLocal',
    note: `one op = one synchronous L1 read of a present key (${N} keys, seeded random order); ours = MultiLevelCache.getLocal (LruCache.get + grace-box check), baseline = our LruCache.get on the same data; target: ours <= 1.3x the baseline`,
    setup: fillL1,
    ours: {
      name: 'blackhole MultiLevelCache.getLocal',
      fn: (n) => {
        let c = 0;
        for (let i = 0; i < n; i++) if (mlc.getLocal(keys[order[i & 4095]!]!) !== undefined) c++;
        return c;
      },
    },
    peers: [
      {
        name: 'blackhole LruCache.get (baseline)',
        fn: (n) => {
          let c = 0;
          for (let i = 0; i < n; i++) if (lru.get(keys[order[i & 4095]!]!) !== undefined) c++;
          return c;
        },
      },
    ],
  });

  s.case({
    name: 'L1 hit, awaited get',
    note: 'one op = one awaited read of a present key; ours = await MultiLevelCache.get (L1 hit: resolved promise), baseline = await LruCache.get (same await shape), bentocache = await get on a memory-only store',
    setup: async () => {
      fillL1();
      bento = new BentoCache({ default: 'cache', stores: { cache: bentostore().useL1Layer(memoryDriver({ maxItems: 2 * N })) } });
      for (let i = 0; i < N; i++) await bento.set({ key: keys[i]!, value: values[i]!, ttl: '1h' });
    },
    teardown: async () => {
      await bento.disconnect();
    },
    ours: {
      name: 'blackhole MultiLevelCache.get',
      fn: async (n) => {
        let c = 0;
        for (let i = 0; i < n; i++) if ((await mlc.get(keys[order[i & 4095]!]!)) !== undefined) c++;
        return c;
      },
    },
    peers: [
      {
        name: 'await LruCache.get (baseline)',
        fn: async (n) => {
          let c = 0;
          for (let i = 0; i < n; i++) if ((await lru.get(keys[order[i & 4095]!]!)) !== undefined) c++;
          return c;
        },
      },
      {
        name: 'bentocache memory L1',
        fn: async (n) => {
          let c = 0;
          for (let i = 0; i < n; i++) if ((await bento.get({ key: keys[order[i & 4095]!]! })) !== undefined) c++;
          return c;
        },
      },
    ],
  });

  s.case({
    name: 'L2 (Redis) hits, 100 concurrent gets',
    note:
      `one op = one get of a present key, issued in waves of ${WAVE} concurrent gets (Promise.all) against a redis-server the suite starts on 127.0.0.1; ` +
      'no L1 on either side. Ours: MultiLevelCache({ l1: false }) over RedisTier (node-redis, one MGET per wave, v8 envelope values). ' +
      'bentocache: L2-only store (redisDriver, ioredis; one GET per key, JSON values), once with a default ioredis connection, once with enableAutoPipelining',
    setup: async () => {
      redis = await RedisServer.start();
      const tier = new RedisTier({ url: redis.url, keyPrefix: 'bh:', commandTimeoutMs: 5000, connectTimeoutMs: 5000 });
      l2Cache = new MultiLevelCache<unknown>({ l1: false, tiers: [tier], ttlMs: 3_600_000, invalidation: false });
      await l2Cache.connect();
      bento = new BentoCache({ default: 'cache', stores: { cache: bentostore().useL2Layer(redisDriver({ connection: { host: '127.0.0.1', port: redis.port } })) } });
      bentoAuto = new BentoCache({
        default: 'cache',
        stores: { cache: bentostore().useL2Layer(redisDriver({ connection: { host: '127.0.0.1', port: redis.port, enableAutoPipelining: true } })) },
      });
      for (let i = 0; i < N; i++) {
        await l2Cache.set(keys[i]!, values[i]!);
        await bento.set({ key: keys[i]!, value: values[i]!, ttl: '1h' });
      }
      // both bentocache instances read the same keys (same default prefix)
      if ((await bentoAuto.get({ key: keys[0]! })) === undefined) throw new Error('bentocache did not find its own writes');
      if ((await l2Cache.get(keys[0]!)) === undefined) throw new Error('MultiLevelCache did not find its own writes');
    },
    teardown: async () => {
      await l2Cache?.close();
      await bento?.disconnect();
      await bentoAuto?.disconnect();
      await redis?.stop();
      redis = null;
    },
    ours: { name: 'blackhole MultiLevelCache (RedisTier, MGET)', fn: (n) => waves((k) => l2Cache.get(k), n) },
    peers: [
      { name: 'bentocache L2 redis (ioredis)', fn: (n) => waves((k) => bento.get({ key: k }), n) },
      { name: 'bentocache L2 redis (ioredis autopipelining)', fn: (n) => waves((k) => bentoAuto.get({ key: k }), n) },
    ],
  });
});
