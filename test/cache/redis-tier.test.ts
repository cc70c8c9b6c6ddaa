import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, RESP_TYPES } from 'redis';
import { RedisTier } from '../../src/cache/redis-tier.ts';
import { BreakerState } from '../../src/cache/circuit-breaker.ts';
import { TierTimeoutError, TierUnavailableError } from '../../src/cache/tier.ts';
import { ENVELOPE_HEADER_BYTES } from '../../src/cache/serializer.ts';
import { OutOfRangeError, InvalidArgumentError, ClosedError } from '../../src/errors.ts';
import { RedisServer } from '../helpers/redis-server.ts';

/** Rejects if `p` has not settled within `ms`: no test waits forever. */
function within<T>(ms: number, p: Promise<T>, what = 'operation'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(ms: number, cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(10);
  }
  throw new Error(`${what} not reached within ${ms} ms`);
}

describe('RedisTier', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await RedisServer.start();
  });
  after(async () => {
    await redis?.stop();
  });

  test('round-trips values with their types (Buffer, Date, Map, typed arrays)', async () => {
    const tier = new RedisTier({ url: redis.url, keyPrefix: 'types:' });
    try {
      await tier.connect();
      const value = {
        buf: Buffer.from([0, 1, 2, 255]),
        date: new Date(1_700_000_000_000),
        map: new Map<string, number[]>([['a', [1, 2]]]),
        f64: new Float64Array([1.5, -2]),
        u8: new Uint8Array([9, 8]),
        big: 12345678901234567890n,
        set: new Set(['x']),
      };
      await tier.set('v', value, 10_000);
      const got = await tier.get('v');
      assert.ok(got !== undefined);
      const v = got.value as typeof value;
      assert.ok(Buffer.isBuffer(v.buf));
      assert.deepEqual([...v.buf], [0, 1, 2, 255]);
      assert.ok(v.date instanceof Date);
      assert.equal(v.date.getTime(), 1_700_000_000_000);
      assert.ok(v.map instanceof Map);
      assert.deepEqual(v.map.get('a'), [1, 2]);
      assert.ok(v.f64 instanceof Float64Array);
      assert.deepEqual([...v.f64], [1.5, -2]);
      assert.ok(v.u8 instanceof Uint8Array);
      assert.equal(v.big, 12345678901234567890n);
      assert.ok(v.set instanceof Set && v.set.has('x'));
    } finally {
      await tier.close();
    }
  });

  test('answers the remaining TTL, uses PX so Redis expires the key, and honours keyPrefix', async () => {
    const tier = new RedisTier({ url: redis.url, keyPrefix: 'ttl:' });
    const raw = createClient({ url: redis.url });
    raw.on('error', () => {});
    try {
      await tier.connect();
      await raw.connect();
      await tier.set('long', 'x', 5000);
      const e = await tier.get('long');
      assert.ok(e !== undefined);
      assert.ok(e.ttlMs > 3000 && e.ttlMs <= 5000, `ttlMs ${e.ttlMs}`);
      const pttl = await raw.pTTL('ttl:long');
      assert.ok(pttl > 3000 && pttl <= 5000, `PTTL ${pttl}`);
      await tier.set('short', 'y', 80);
      assert.equal((await tier.get('short'))?.value, 'y');
      await sleep(200);
      assert.equal(await tier.get('short'), undefined);
      assert.equal(await raw.exists('ttl:short'), 0, 'Redis itself expired the key (PX)');
      await tier.set('forever', 'z', Infinity);
      assert.equal(await raw.pTTL('ttl:forever'), -1);
      assert.equal((await tier.get('forever'))?.ttlMs, Infinity);
      await tier.delete('forever');
      assert.equal(await tier.get('forever'), undefined);
    } finally {
      await raw.close();
      await tier.close();
    }
  });

  test('coalesces concurrent gets into one MGET and concurrent writes into one pipeline', async () => {
    const tier = new RedisTier({ url: redis.url, keyPrefix: 'batch:' });
    try {
      await tier.connect();
      const rt0 = tier.stats().latency.count;
      await Promise.all(Array.from({ length: 50 }, (_, i) => tier.set(`k${i}`, i, 10_000)));
      const rt1 = tier.stats().latency.count;
      assert.equal(rt1 - rt0, 1, 'one write round trip for 50 sets');
      const got = await Promise.all(Array.from({ length: 100 }, (_, i) => tier.get(`k${i}`)));
      assert.equal(tier.stats().latency.count - rt1, 1, 'one MGET for 100 gets');
      for (let i = 0; i < 100; i++) assert.equal(got[i]?.value, i < 50 ? i : undefined);
      const s = tier.stats();
      assert.equal(s.hits, 50);
      assert.equal(s.misses, 50);
      assert.equal(s.writes, 50);
      const many = await tier.getMany(['k1', 'k2', 'nope']);
      assert.deepEqual(many.map((e) => e?.value), [1, 2, undefined]);
    } finally {
      await tier.close();
    }
  });

  test('a hung Redis times out, opens the circuit (skips), and a probe closes it again', async () => {
    let now = 0;
    const tier = new RedisTier({ url: redis.url, commandTimeoutMs: 60, failureThreshold: 2, openMs: 150, now: () => now });
    try {
      await tier.connect();
      await tier.set('h', 1, 10_000);
      redis.pause();
      try {
        for (let i = 0; i < 2; i++) {
          const t0 = performance.now();
          await assert.rejects(within(2000, tier.get('h')), TierTimeoutError);
          assert.ok(performance.now() - t0 < 1500, 'bounded by the command timeout, not hanging');
        }
        assert.equal(tier.stats().breaker?.state, BreakerState.OPEN);
        const skipped = tier.stats().skipped;
        await assert.rejects(within(100, tier.get('h')), TierUnavailableError);
        await assert.rejects(within(100, tier.set('h', 2, 1000)), TierUnavailableError);
        assert.equal(tier.stats().skipped, skipped + 2);
        assert.ok(tier.stats().timeouts >= 2);
        now += 149;
        await assert.rejects(tier.get('h'), TierUnavailableError, 'still open 1 ms before openMs (injected clock)');
      } finally {
        redis.resume();
      }
      now += 1; // the open period is over: the next call is the probe
      await until(3000, async () => (await tier.get('h').catch(() => undefined))?.value === 1, 'probe success');
      assert.equal(tier.stats().breaker?.state, BreakerState.CLOSED);
      assert.equal(tier.stats().breaker?.probes, 1);
    } finally {
      await tier.close();
    }
  });

  test('a killed Redis fails fast (no offline queue) and the tier works again after a restart', async () => {
    const tier = new RedisTier({ url: redis.url, commandTimeoutMs: 200, failureThreshold: 100, reconnectMaxDelayMs: 50 });
    try {
      await tier.connect();
      await redis.kill();
      await sleep(50);
      const t0 = performance.now();
      await assert.rejects(within(1000, tier.get('x')));
      assert.ok(performance.now() - t0 < 500);
      await redis.restart();
      await until(5000, async () => {
        try {
          await tier.set('after', 'ok', 10_000);
          return (await tier.get('after'))?.value === 'ok';
        } catch {
          return false;
        }
      }, 'reconnect');
      assert.ok(tier.stats().connectionErrors > 0);
      assert.ok(tier.stats().reconnects > 0);
    } finally {
      await tier.close();
    }
  });

  test('publishes invalidations to other instances only (keys, with an origin id)', async () => {
    const a = new RedisTier({ url: redis.url, invalidationChannel: 'inv-test' });
    const b = new RedisTier({ url: redis.url, invalidationChannel: 'inv-test' });
    const gotA: string[] = [];
    const gotB: string[] = [];
    try {
      await a.connect();
      await b.connect();
      await a.subscribeInvalidations({ onKey: (k) => gotA.push(k), onResync: () => {} });
      await b.subscribeInvalidations({ onKey: (k) => gotB.push(k), onResync: () => {} });
      await a.publishInvalidation('user:1');
      await b.publishInvalidation('user:2');
      await until(1000, () => gotA.length === 1 && gotB.length === 1, 'both invalidations');
      await sleep(30);
      assert.deepEqual(gotA, ['user:2']);
      assert.deepEqual(gotB, ['user:1']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a delete leaves a tombstone: a miss for readers, and a write older than it is refused (a late SET cannot bring the key back)', async () => {
    const a = new RedisTier({ url: redis.url, keyPrefix: 'tomb:' });
    const late = new RedisTier({ url: redis.url, keyPrefix: 'tomb:' });
    const raw = createClient({ url: redis.url, commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } });
    raw.on('error', () => {});
    try {
      await Promise.all([a.connect(), late.connect(), raw.connect()]);
      await a.set('k', 'v1', 10_000);
      await a.delete('k');
      const stored = await raw.sendCommand<Buffer>(['GET', 'tomb:k']);
      assert.equal(stored.subarray(0, 2).toString('latin1'), '\0T', 'a tombstone, not a plain DEL');
      const pttl = await raw.pTTL('tomb:k');
      assert.ok(pttl > 0 && pttl <= a.tombstoneTtlMs, `tombstone PTTL ${pttl}`);
      assert.equal(await a.get('k'), undefined, 'a tombstone reads as a miss');
      // A SET issued before the delete but executed after it (its version is older): refused.
      const realNow = Date.now;
      Date.now = () => realNow() - 5000;
      try {
        await late.set('k', 'stale', 10_000);
      } finally {
        Date.now = realNow;
      }
      assert.equal(late.stats().refused, 1);
      assert.equal(await a.get('k'), undefined, 'the deleted key did not come back');
      await late.set('k', 'v2', 10_000); // a write newer than the delete is applied
      assert.equal((await a.get('k'))?.value, 'v2');
      // promote never overwrites a value or a tombstone; it stores where nothing is
      await a.promote('k', 'promoted', 10_000);
      assert.equal((await a.get('k'))?.value, 'v2');
      await a.delete('k');
      await a.promote('k', 'promoted', 10_000);
      assert.equal(await a.get('k'), undefined);
      await a.promote('fresh', 'promoted', 10_000);
      assert.equal((await a.get('fresh'))?.value, 'promoted');
    } finally {
      await raw.close();
      await a.close();
      await late.close();
    }
  });

  test('set and delete with { publish: true } publish the key in the same round trip', async () => {
    const a = new RedisTier({ url: redis.url, keyPrefix: 'pub:', invalidationChannel: 'inv-pub' });
    const b = new RedisTier({ url: redis.url, keyPrefix: 'pub:', invalidationChannel: 'inv-pub' });
    const got: string[] = [];
    try {
      await a.connect();
      await b.connect();
      await b.subscribeInvalidations({ onKey: (k) => got.push(k), onResync: () => {} });
      const rt = a.stats().latency.count;
      await a.set('k', 1, 10_000, { publish: true });
      await a.delete('k', { publish: true });
      assert.equal(a.stats().latency.count - rt, 2, 'one round trip each');
      await until(1000, () => got.length === 2, 'both invalidations');
      assert.deepEqual(got, ['k', 'k']);
      await assert.rejects(a.set('k', 1, 10_000, { publish: 'yes' as never }), InvalidArgumentError);
      await assert.rejects(a.delete('k', null as never), InvalidArgumentError);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('invalidateAll: values written before are misses on every node, subscribed nodes drop their L1', async () => {
    const a = new RedisTier({ url: redis.url, keyPrefix: 'gen:', invalidationChannel: 'inv-gen' });
    const b = new RedisTier({ url: redis.url, keyPrefix: 'gen:', invalidationChannel: 'inv-gen' });
    let resyncs = 0;
    try {
      await a.connect();
      await b.connect();
      await b.subscribeInvalidations({ onKey: () => {}, onResync: () => resyncs++ });
      assert.equal(resyncs, 1, 'once when first subscribed');
      await a.set('x', 'before', 10_000);
      assert.equal((await b.get('x'))?.value, 'before');
      const g0 = a.stats().generation;
      await a.invalidateAll();
      assert.equal(a.stats().generation, g0 + 1);
      await until(1000, () => resyncs === 2, 'invalidate-all message');
      assert.equal(await b.get('x'), undefined, 'written before the new generation: a miss');
      assert.equal(b.stats().generation, g0 + 1, 'learned from the MGET');
      await a.set('y', 'after', 10_000);
      assert.equal((await b.get('y'))?.value, 'after');
      // A node connecting later learns the generation when its connection becomes ready.
      const c = new RedisTier({ url: redis.url, keyPrefix: 'gen:' });
      try {
        await c.connect();
        await until(1000, () => c.stats().generation === g0 + 1, 'generation read on ready');
        await c.set('z', 'from c', 10_000);
        assert.equal((await b.get('z'))?.value, 'from c');
      } finally {
        await c.close();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('scripts Redis lost (SCRIPT FLUSH) are sent again with EVAL inside the same deadline', async () => {
    const tier = new RedisTier({ url: redis.url, keyPrefix: 'flush:' });
    const raw = createClient({ url: redis.url });
    raw.on('error', () => {});
    try {
      await Promise.all([tier.connect(), raw.connect()]);
      await tier.set('a', 1, 10_000);
      await raw.sendCommand(['SCRIPT', 'FLUSH']);
      await tier.set('a', 2, 10_000);
      assert.equal((await tier.get('a'))?.value, 2);
      await tier.delete('a');
      assert.equal(await tier.get('a'), undefined);
      await tier.invalidateAll();
      assert.equal(tier.stats().errors, 0);
    } finally {
      await raw.close();
      await tier.close();
    }
  });

  test('a connection that comes back ends an open circuit at once, without waiting for openMs', async () => {
    const tier = new RedisTier({ url: redis.url, keyPrefix: 'probe:', failureThreshold: 1, openMs: 600_000, reconnectMaxDelayMs: 50 });
    try {
      await tier.connect();
      await tier.set('k', 1, 60_000);
      await redis.kill();
      await assert.rejects(tier.get('k'));
      assert.equal(tier.stats().breaker?.state, BreakerState.OPEN);
      await redis.restart();
      await until(5000, async () => {
        try {
          await tier.set('k', 2, 60_000);
          return (await tier.get('k'))?.value === 2;
        } catch {
          return false;
        }
      }, 'working again long before the 10-minute open period ends');
      assert.equal(tier.stats().breaker?.state, BreakerState.CLOSED);
    } finally {
      await tier.close();
    }
  });

  test('every rejection is typed: bad arguments, unserializable values, an unconnected client', async () => {
    const tier = new RedisTier({ url: redis.url, keyPrefix: 'typed:' });
    try {
      await assert.rejects(tier.get('x'), TierUnavailableError, 'not connected yet');
      await tier.connect();
      await assert.rejects(tier.get(5 as never), /RedisTier redis get key must be a string, got 5/);
      await assert.rejects(tier.getMany('abc' as never), InvalidArgumentError);
      await assert.rejects(tier.getMany([1] as never), InvalidArgumentError);
      await assert.rejects(tier.set('x', 1, Number.NaN), OutOfRangeError);
      await assert.rejects(tier.set('x', 1, '5' as never), InvalidArgumentError);
      await assert.rejects(tier.set('x', () => 1, 1000), /cannot be serialized/);
      await assert.rejects(tier.subscribeInvalidations(null as never), InvalidArgumentError);
      await assert.rejects(tier.subscribeInvalidations({ onKey: 1, onResync: () => {} } as never), InvalidArgumentError);
      await tier.set('x', 1, 1000);
      assert.equal((await tier.get('x'))?.value, 1, 'still works after the refused calls');
      assert.equal(ENVELOPE_HEADER_BYTES, 16);
    } finally {
      await tier.close();
    }
  });

  test('validates options and rejects after close', async () => {
    assert.throws(() => new RedisTier({ commandTimeoutMs: 0 }), OutOfRangeError);
    assert.throws(() => new RedisTier({ maxBatchSize: 1.5 }), /RedisTier maxBatchSize \(1.5\) must be an integer from 1 to 10000/);
    assert.throws(() => new RedisTier({ name: '' }), InvalidArgumentError);
    assert.throws(() => new RedisTier({ serializer: {} as never }), InvalidArgumentError);
    assert.throws(() => new RedisTier(null as never), /RedisTier options must be an object/);
    assert.throws(() => new RedisTier({ url: 'http://x' }), InvalidArgumentError);
    assert.throws(() => new RedisTier({ openMs: 2 ** 31 }), OutOfRangeError);
    assert.throws(() => new RedisTier({ tombstoneTtlMs: 0 }), OutOfRangeError);
    assert.throws(() => new RedisTier({ commandTimeoutMs: '100' as never }), InvalidArgumentError);
    assert.throws(() => new RedisTier({ now: 1 as never }), InvalidArgumentError);
    const unconnected = new RedisTier({ url: redis.url });
    await assert.rejects(within(1000, unconnected.get('x')), 'a get before connect() rejects, it does not hang');
    await assert.rejects(within(1000, unconnected.set('x', 1, 100)));
    assert.equal(unconnected.stats().errors, 2);
    await unconnected.close();
    const tier = new RedisTier({ url: redis.url });
    await tier.connect();
    await tier.close();
    await tier.close();
    await assert.rejects(tier.get('x'), ClosedError);
    await assert.rejects(tier.set('x', 1, 10), ClosedError);
  });
});
