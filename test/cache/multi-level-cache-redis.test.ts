// MultiLevelCache over a real redis-server started by the test (and stopped by it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MultiLevelCache, type MultiLevelCacheOptions } from '../../src/cache/multi-level-cache.ts';
import { RedisTier, type RedisTierOptions } from '../../src/cache/redis-tier.ts';
import { BreakerState } from '../../src/cache/circuit-breaker.ts';
import { RedisServer, freePort } from '../helpers/redis-server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(ms: number, cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(5);
  }
  throw new Error(`${what} not reached within ${ms} ms`);
}

describe('MultiLevelCache over Redis', () => {
  let redis: RedisServer;
  const open: MultiLevelCache<unknown>[] = [];
  let prefixN = 0;

  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    await Promise.allSettled(open.map((c) => c.close()));
    await redis?.stop();
  });

  /** A connected cache on the test's Redis; all caches of one test share `prefix` and channel. */
  async function node<V>(prefix: string, options: MultiLevelCacheOptions<V> = {}, tier: RedisTierOptions = {}): Promise<MultiLevelCache<V>> {
    const l2 = new RedisTier({ url: redis.url, keyPrefix: `${prefix}:`, invalidationChannel: `inv:${prefix}`, ...tier });
    const cache = new MultiLevelCache<V>({ l1: { maxEntries: 1000 }, tiers: [l2], ...options });
    open.push(cache as MultiLevelCache<unknown>);
    await cache.connect();
    return cache;
  }

  test('entries expire in L2 (and in L1) with their TTL', async () => {
    const p = `ttl${prefixN++}`;
    const a = await node<string>(p);
    const b = await node<string>(p);
    await a.set('k', 'v', { ttlMs: 120 });
    assert.equal(await b.get('k'), 'v', 'read from L2 by another node');
    assert.ok(b.l1!.cache.remainingTtl('k') <= 120, 'promoted with the remaining TTL');
    await sleep(250);
    assert.equal(await a.get('k'), undefined);
    assert.equal(await b.get('k'), undefined);
    const fresh = await node<string>(p);
    assert.equal(await fresh.get('k'), undefined, 'gone from Redis too');
  });

  test('two nodes sharing Redis: a set or delete on one drops the key from the other\'s L1 within 100 ms', async () => {
    const p = `inv${prefixN++}`;
    const a = await node<string>(p);
    const b = await node<string>(p);
    await a.set('user', 'v1');
    // let a's invalidation of v1 land first: a read racing an invalidation of its key is (safely) not promoted
    await until(1000, () => b.stats().invalidations.received === 1, 'first invalidation');
    assert.equal(await b.get('user'), 'v1');
    assert.equal(b.getLocal('user'), 'v1', 'b holds it in L1');

    await a.set('user', 'v2');
    const t0 = performance.now();
    await until(1000, () => b.getLocal('user') === undefined, 'invalidation of set');
    const setMs = performance.now() - t0;
    assert.equal(await b.get('user'), 'v2');

    await a.delete('user');
    const t1 = performance.now();
    await until(1000, () => b.getLocal('user') === undefined, 'invalidation of delete');
    const delMs = performance.now() - t1;
    assert.equal(await b.get('user'), undefined);
    assert.ok(setMs <= 100 && delMs <= 100, `invalidations arrived after ${setMs.toFixed(1)} / ${delMs.toFixed(1)} ms`);
    assert.ok(b.stats().invalidations.received >= 2);
    assert.equal(a.stats().invalidations.received, 0, 'a ignores its own messages');
    assert.equal(a.getLocal('user'), undefined);
  });

  test('values keep their type across nodes (Buffer, Date, Map, typed arrays)', async () => {
    const p = `types${prefixN++}`;
    const a = await node<unknown>(p);
    const b = await node<unknown>(p);
    await a.set('v', { b: Buffer.from('hi'), d: new Date(42), m: new Map([[1, 'one']]), f: new Float32Array([0.5]) });
    const v = (await b.get('v')) as { b: Buffer; d: Date; m: Map<number, string>; f: Float32Array };
    assert.ok(Buffer.isBuffer(v.b) && v.b.toString() === 'hi');
    assert.ok(v.d instanceof Date && v.d.getTime() === 42);
    assert.ok(v.m instanceof Map && v.m.get(1) === 'one');
    assert.ok(v.f instanceof Float32Array && v.f[0] === 0.5);
  });

  test('getOrSet: one load per key per process; a second node reads the first node\'s load from Redis', async () => {
    const p = `load${prefixN++}`;
    const a = await node<number>(p);
    const b = await node<number>(p);
    let loads = 0;
    const loader = async (): Promise<number> => {
      loads++;
      await sleep(20);
      return 7;
    };
    const rs = await Promise.all(Array.from({ length: 30 }, () => a.getOrSet('n', loader)));
    assert.ok(rs.every((x) => x === 7));
    assert.equal(loads, 1);
    await until(1000, async () => (await b.getOrSet('n', loader)) === 7, 'b read');
    assert.equal(loads, 1, 'b found it in Redis');
  });

  test('Redis killed in the middle of a load: no call hangs, no error escapes, L1 answers, L2 is used again after a restart', async () => {
    const p = `kill${prefixN++}`;
    const timeoutMs = 100;
    const tierOptions: RedisTierOptions = { commandTimeoutMs: timeoutMs, failureThreshold: 3, openMs: 100, reconnectMaxDelayMs: 50 };
    const a = await node<number>(p, {}, tierOptions);
    for (let i = 0; i < 50; i++) await a.set(`hot${i}`, i);

    let maxMs = 0;
    let errors = 0;
    let calls = 0;
    let l1Answers = 0;
    let running = true;
    const worker = async (w: number): Promise<void> => {
      let i = 0;
      while (running) {
        const t0 = performance.now();
        try {
          const hot = i % 50;
          if ((await a.get(`hot${hot}`)) === hot) l1Answers++;
          const v = await a.getOrSet(`cold${w}:${i}`, async (k) => k.length);
          assert.equal(v, `cold${w}:${i}`.length);
          await a.set(`w${w}`, i);
        } catch {
          errors++;
        }
        maxMs = Math.max(maxMs, performance.now() - t0);
        calls++;
        i++;
        await sleep(1);
      }
    };
    const resyncsBefore = a.stats().invalidations.resyncs;
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    await sleep(100);
    await redis.kill();
    await sleep(600);
    const tier = a.stats().tiers.redis!;
    assert.ok(tier.errors > 0, 'failures are counted');
    assert.ok(tier.skipped > 0, 'the open circuit skipped Redis');
    await redis.restart();
    // L2 in use again: the breaker closes and a fresh node reads a's writes from Redis.
    const redisStats = () => a.stats().tiers.redis as ReturnType<RedisTier['stats']>;
    await until(5000, () => redisStats().breaker?.state === BreakerState.CLOSED && redisStats().isReady, 'breaker closed');
    running = false;
    await Promise.all(workers);
    assert.equal(errors, 0, 'no error escaped get/getOrSet/set');
    assert.ok(calls > 50);
    assert.ok(l1Answers > 0);
    // an operation of three calls, each bounded by the command timeout; generous slack for a noisy 2-core box
    assert.ok(maxMs < 3 * timeoutMs + 1500, `slowest call ${maxMs.toFixed(0)} ms`);
    await a.set('after', 99);
    const b = await node<number>(p, {}, tierOptions);
    const hitsBefore = b.stats().tiers.redis!.hits;
    assert.equal(await b.get('after'), 99);
    assert.equal(b.stats().tiers.redis!.hits, hitsBefore + 1, 'served by L2');
    await until(2000, () => a.stats().invalidations.resyncs > resyncsBefore, 'L1 cleared after the bus reconnected');
  });

  test('Redis down at connect(): connect rejects in bounded time, the cache serves L1, and L2 plus invalidation start once Redis is up', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const mk = () =>
      new MultiLevelCache<string>({
        tiers: [new RedisTier({ url, keyPrefix: 'late:', invalidationChannel: 'inv:late', connectTimeoutMs: 150, commandTimeoutMs: 100, reconnectMaxDelayMs: 50, openMs: 50 })],
      });
    const a = mk();
    const b = mk();
    open.push(a as MultiLevelCache<unknown>, b as MultiLevelCache<unknown>);
    const t0 = performance.now();
    await assert.rejects(a.connect());
    await assert.rejects(b.connect());
    assert.ok(performance.now() - t0 < 2000);
    await a.set('k', 'local');
    assert.equal(await a.get('k'), 'local', 'L1 answers while Redis is down');
    assert.equal(await b.get('k'), undefined, 'no error, just a miss');
    const late = await RedisServer.start({ port });
    try {
      await until(5000, async () => {
        await a.set('k', 'shared');
        return (await b.get('k')) === 'shared';
      }, 'L2 shared after Redis came up');
      await until(5000, async () => {
        await a.set('k2', 'x');
        await b.get('k2');
        await a.set('k2', 'y');
        await sleep(30);
        return b.getLocal('k2') === undefined && b.stats().invalidations.received > 0;
      }, 'invalidations flowing');
    } finally {
      await a.close();
      await b.close();
      await late.stop();
    }
  });
});
