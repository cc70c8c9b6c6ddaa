// MultiLevelCache without Redis: the lower tiers are real in-process tiers
// (MemoryTier, plus small plug-in tiers that are slow or failing), all on one
// injected clock so TTLs and grace periods are deterministic.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MultiLevelCache } from '../../src/cache/multi-level-cache.ts';
import { MemoryTier, TierStatsRecorder, type CacheTier, type TierEntry, type TierStats } from '../../src/cache/tier.ts';
import { BreakerState, CircuitBreaker } from '../../src/cache/circuit-breaker.ts';
import { ClosedError, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';
import { PerformanceMonitor } from '../../src/metrics/monitor.ts';

class FakeClock {
  t = 1000;
  readonly now = (): number => this.t;
}

/** A tier whose every call fails: the cache must never pass that on. */
class BrokenTier implements CacheTier {
  readonly name = 'broken';
  calls = 0;
  private readonly rec = new TierStatsRecorder('broken');
  get(): Promise<TierEntry | undefined> {
    this.calls++;
    this.rec.errors++;
    return Promise.reject(new Error('down'));
  }
  set(): Promise<void> {
    this.calls++;
    return Promise.reject(new Error('down'));
  }
  delete(): Promise<void> {
    this.calls++;
    return Promise.reject(new Error('down'));
  }
  stats(): TierStats {
    return this.rec.snapshot();
  }
}

/** A MemoryTier whose gets wait until released: to observe in-flight reads. */
class GatedTier extends MemoryTier {
  gate: Promise<void> = Promise.resolve();
  open: () => void = () => {};
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  override async get(key: string): Promise<TierEntry | undefined> {
    await this.gate;
    return super.get(key);
  }
}

/** A MemoryTier that can be taken down: every call rejects while `down` (as an unreachable remote tier would). */
class FlakyTier extends MemoryTier {
  down = false;
  invalidateAlls = 0;
  deletes: string[] = [];
  private fail(): Promise<never> {
    return Promise.reject(new Error(`${this.name} down`));
  }
  override get(key: string): Promise<TierEntry | undefined> {
    return this.down ? this.fail() : super.get(key);
  }
  override set(key: string, value: unknown, ttlMs: number): Promise<void> {
    return this.down ? this.fail() : super.set(key, value, ttlMs);
  }
  override delete(key: string): Promise<void> {
    if (this.down) return this.fail();
    this.deletes.push(key);
    return super.delete(key);
  }
  invalidateAll(): Promise<void> {
    if (this.down) return this.fail();
    this.invalidateAlls++;
    this.cache.clear();
    return Promise.resolve();
  }
}

async function until(ms: number, cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}

describe('MultiLevelCache', () => {
  test('get walks the tiers and promotes a hit upwards with its remaining TTL', async () => {
    const clock = new FakeClock();
    const l2 = new MemoryTier({ name: 'l2', maxEntries: 100, clock: clock.now });
    const l3 = new MemoryTier({ name: 'l3', maxEntries: 100, clock: clock.now });
    const cache = new MultiLevelCache<string>({ l1: { maxEntries: 100 }, tiers: [l2, l3], now: clock.now });
    await l3.set('k', 'deep', 1000);
    clock.t += 400;
    assert.equal(await cache.get('k'), 'deep');
    assert.equal(cache.l1!.cache.remainingTtl('k'), 600);
    assert.equal(l2.cache.remainingTtl('k'), 600);
    assert.equal(cache.getLocal('k'), 'deep');
    clock.t += 601;
    assert.equal(cache.getLocal('k'), undefined, 'the promoted copy expires with its source');
    assert.equal(await cache.get('k'), undefined);
    const s = cache.stats();
    assert.equal(s.gets, 2);
    assert.equal(s.hits, 1);
    assert.equal(s.misses, 1);
    assert.deepEqual(Object.keys(s.tiers), ['memory', 'l2', 'l3']);
    assert.equal(s.tiers.l3!.hits, 1);
  });

  test('set writes through to every tier; delete removes everywhere', async () => {
    const l2 = new MemoryTier({ name: 'l2', maxEntries: 100 });
    const l3 = new MemoryTier({ name: 'l3', maxEntries: 100 });
    const cache = new MultiLevelCache<number>({ tiers: [l2, l3], ttlMs: 5000 });
    await cache.set('a', 1);
    await cache.set('b', 2, { ttlMs: 100_000 });
    assert.equal(l2.cache.get('a'), 1);
    assert.equal(l3.cache.get('a'), 1);
    assert.ok(l3.cache.remainingTtl('a') <= 5000);
    assert.ok(l3.cache.remainingTtl('b') > 5000);
    await cache.delete('a');
    assert.equal(cache.getLocal('a'), undefined);
    assert.equal(l2.cache.get('a'), undefined);
    assert.equal(l3.cache.get('a'), undefined);
    assert.equal(await cache.get('a'), undefined);
  });

  test('getOrSet: one load per key however many concurrent callers', async () => {
    const cache = new MultiLevelCache<string>({ tiers: [new MemoryTier({ name: 'l2', maxEntries: 10 })] });
    const d = deferred<string>();
    let calls = 0;
    const loader = (): Promise<string> => {
      calls++;
      return d.promise;
    };
    const ps = Array.from({ length: 20 }, () => cache.getOrSet('k', loader));
    await new Promise((r) => setTimeout(r, 5));
    d.resolve('v');
    assert.deepEqual(await Promise.all(ps), Array(20).fill('v'));
    assert.equal(calls, 1);
    assert.equal(cache.stats().coalesced, 19);
    assert.equal(await cache.getOrSet('k', loader), 'v');
    assert.equal(calls, 1);
  });

  test('getOrSet: a loader error reaches every caller and nothing is cached', async () => {
    const cache = new MultiLevelCache<string>({});
    let calls = 0;
    const failing = async (): Promise<string> => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('db down');
    };
    const rs = await Promise.allSettled([cache.getOrSet('k', failing), cache.getOrSet('k', failing)]);
    assert.deepEqual(rs.map((r) => r.status), ['rejected', 'rejected']);
    assert.equal(calls, 1);
    assert.equal(cache.stats().loadErrors, 1);
    assert.equal(await cache.getOrSet('k', () => 'ok'), 'ok', 'the failure was not cached');
  });

  test('getOrSet reads the tiers before calling the loader', async () => {
    const l2 = new MemoryTier({ name: 'l2', maxEntries: 10 });
    await l2.set('k', 'from-l2', 10_000);
    const cache = new MultiLevelCache<string>({ tiers: [l2] });
    assert.equal(await cache.getOrSet('k', () => assert.fail('loader must not run')), 'from-l2');
  });

  test('grace: a stale value is served at once while exactly one refresh runs', async () => {
    const clock = new FakeClock();
    const cache = new MultiLevelCache<string>({ now: clock.now, ttlMs: 100, graceMs: 1000 });
    assert.equal(await cache.getOrSet('k', () => 'v1'), 'v1');
    clock.t += 150; // stale, inside grace
    assert.equal(await cache.get('k'), undefined, 'get does not serve stale values');
    const d = deferred<string>();
    let refreshes = 0;
    const slow = (): Promise<string> => {
      refreshes++;
      return d.promise;
    };
    assert.equal(await cache.getOrSet('k', slow), 'v1');
    assert.equal(await cache.getOrSet('k', slow), 'v1');
    assert.equal(refreshes, 1);
    d.resolve('v2');
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(await cache.getOrSet('k', slow), 'v2');
    assert.equal(cache.stats().staleServed, 2);
    assert.equal(cache.stats().refreshes, 1);
    clock.t += 100 + 1000 + 1; // past TTL and grace: the loader runs in the foreground
    assert.equal(await cache.getOrSet('k', () => 'v3'), 'v3');
  });

  test('grace: a failed refresh keeps serving the stale value and is counted', async () => {
    const clock = new FakeClock();
    const cache = new MultiLevelCache<string>({ now: clock.now });
    await cache.getOrSet('k', () => 'old', { ttlMs: 100, graceMs: 500 });
    clock.t += 200;
    assert.equal(await cache.getOrSet('k', () => Promise.reject(new Error('x')), { ttlMs: 100, graceMs: 500 }), 'old');
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(cache.stats().loadErrors, 1);
    assert.equal(await cache.getOrSet('k', () => 'new', { ttlMs: 100, graceMs: 500 }), 'old', 'still stale, refresh restarted');
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(await cache.getOrSet('k', () => 'newer'), 'new');
  });

  test('a failing tier never reaches get, getOrSet, set or delete', async () => {
    const broken = new BrokenTier();
    const l3 = new MemoryTier({ name: 'l3', maxEntries: 10 });
    await l3.set('deep', 7, 10_000);
    const cache = new MultiLevelCache<number>({ tiers: [broken, l3] });
    assert.equal(await cache.get('deep'), 7, 'falls through the broken tier');
    assert.equal(await cache.get('none'), undefined);
    await cache.set('x', 1);
    await cache.delete('x');
    assert.equal(await cache.getOrSet('y', () => 2), 2);
    assert.ok(broken.calls >= 5);
    assert.ok(cache.stats().tiers.broken!.errors >= 2);
  });

  test('a read that races a delete does not promote the old value into L1', async () => {
    const l2 = new GatedTier({ name: 'l2', maxEntries: 10 });
    await l2.set('k', 'old', 10_000);
    const cache = new MultiLevelCache<string>({ tiers: [l2] });
    l2.hold();
    const reading = cache.get('k');
    await cache.delete('k');
    await l2.set('k', 'old', 10_000); // the slow read still finds the old value
    l2.open();
    assert.equal(await reading, 'old');
    assert.equal(cache.getLocal('k'), undefined, 'not promoted after the delete');
  });

  test('write-behind: tier writes are queued, coalesced, read back locally and flushed by size, timer and close', async () => {
    const l2 = new MemoryTier({ name: 'l2', maxEntries: 100 });
    const cache = new MultiLevelCache<number>({ l1: { maxEntries: 1 }, tiers: [l2], writeBehind: { flushMs: 30, maxItems: 3 } });
    await cache.set('a', 1);
    await cache.set('a', 2);
    await cache.set('b', 3); // evicts 'a' from the one-entry L1
    assert.equal(l2.cache.get('a'), undefined, 'not written yet');
    assert.equal(await cache.get('a'), 2, 'read from the queue');
    assert.equal(cache.stats().writeBehind.queued, 2);
    await cache.set('c', 4); // third distinct key: flush by size
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(l2.cache.get('a'), 2);
    assert.equal(l2.cache.get('c'), 4);
    assert.equal(cache.stats().writeBehind.flushed, 3, 'two writes of "a" coalesced into one');
    await cache.delete('c');
    assert.equal(l2.cache.get('c'), 4);
    await new Promise((r) => setTimeout(r, 80)); // timer flush
    assert.equal(l2.cache.get('c'), undefined);
    await cache.set('d', 5);
    await cache.close(); // close flushes
    assert.equal(l2.cache.get('d'), 5);
  });

  test('a write the tiers missed is replayed as an invalidation once they answer; until then the key is a miss below L1', async () => {
    const l2 = new FlakyTier({ name: 'l2', maxEntries: 100 });
    await l2.set('k', 'old', 60_000);
    await l2.set('d', 'old', 60_000);
    const cache = new MultiLevelCache<string>({ l1: { maxEntries: 1 }, tiers: [l2], retryQueue: { retryMs: 5 } });
    l2.down = true;
    await cache.set('k', 'new'); // resolves (a tier failure never rejects); L1 has it, L2 still holds 'old'
    await cache.delete('d');
    await cache.set('e', 'x'); // evicts 'k' from the one-entry L1
    assert.equal(cache.getLocal('k'), undefined);
    assert.deepEqual(cache.stats().retryQueue, { queued: 3, added: 3, replayed: 0, overflows: 0, dropped: 0, invalidateAllPending: false });
    l2.down = false;
    // the tier answers again, but holds 'old' for both keys until the replay: this node does not serve them
    assert.equal(await cache.get('k'), undefined);
    assert.equal(await cache.get('d'), undefined);
    await until(2000, () => cache.stats().retryQueue.queued === 0, 'replay');
    assert.deepEqual(l2.deletes, ['k', 'd', 'e'], 'replayed in order, as deletes (not the value, which could overwrite a newer write)');
    assert.equal(l2.cache.get('k'), undefined);
    assert.equal(l2.cache.get('d'), undefined);
    assert.equal(cache.stats().retryQueue.replayed, 3);
    await cache.set('k', 'newer');
    await cache.set('x', 'evicts k from L1');
    assert.equal(await cache.get('k'), 'newer', 'the key is read from the tier again once replayed');
    await cache.close();
  });

  test('a full retry queue overflows: everything is invalidated once the tiers answer (invalidateAll, L1 cleared), and said so in stats', async () => {
    const l2 = new FlakyTier({ name: 'l2', maxEntries: 100 });
    await l2.set('z', 'old', 60_000);
    const cache = new MultiLevelCache<string>({ tiers: [l2], retryQueue: { maxKeys: 2, retryMs: 5 } });
    l2.down = true;
    await cache.set('a', '1');
    await cache.set('b', '2');
    assert.equal(cache.getLocal('a'), '1');
    await cache.set('c', '3'); // third key: overflow
    let rq = cache.stats().retryQueue;
    assert.deepEqual(rq, { queued: 0, added: 2, replayed: 0, overflows: 1, dropped: 3, invalidateAllPending: true });
    assert.equal(cache.getLocal('a'), undefined, 'L1 dropped at the overflow');
    l2.down = false;
    await until(2000, () => !cache.stats().retryQueue.invalidateAllPending, 'invalidate-all');
    assert.equal(l2.invalidateAlls, 1);
    assert.equal(await cache.get('z'), undefined, 'what the tier held before is gone');
    await cache.set('z', 'fresh');
    assert.equal(await cache.get('z'), 'fresh');
    rq = cache.stats().retryQueue;
    assert.equal(rq.overflows, 1);
    await cache.close();
  });

  test('close() makes one last replay attempt and leaves no timer behind', async () => {
    const l2 = new FlakyTier({ name: 'l2', maxEntries: 100 });
    const cache = new MultiLevelCache<string>({ tiers: [l2], retryQueue: { retryMs: 60_000 } });
    l2.down = true;
    await cache.set('k', 'v');
    l2.down = false;
    await cache.close(); // the retry timer (60 s) would not have fired yet
    assert.equal(cache.stats().retryQueue.queued, 0);
    assert.deepEqual(l2.deletes, ['k']);
  });

  test('works without L1, and without tiers', async () => {
    const l2 = new MemoryTier({ name: 'l2', maxEntries: 10 });
    const noL1 = new MultiLevelCache<number>({ l1: false, tiers: [l2] });
    await noL1.set('a', 1);
    assert.equal(await noL1.get('a'), 1);
    assert.equal(noL1.getLocal('a'), undefined);
    assert.equal(noL1.l1, null);
    const onlyL1 = new MultiLevelCache<number>({});
    await onlyL1.set('a', 1);
    assert.equal(await onlyL1.get('a'), 1);
    assert.equal(await onlyL1.getOrSet('b', () => 2), 2);
  });

  test('stats are exposed through a PerformanceMonitor', async () => {
    const monitor = new PerformanceMonitor();
    try {
      const cache = new MultiLevelCache<number>({ tiers: [new MemoryTier({ name: 'l2', maxEntries: 10 })] });
      cache.register(monitor);
      await cache.set('a', 1);
      await cache.get('a');
      await cache.get('zz');
      const report = monitor.generateReport();
      const s = report.sources.cache as ReturnType<typeof cache.stats>;
      assert.equal(s.hits, 1);
      assert.equal(s.tiers.l2!.misses, 1);
      const text = monitor.metrics();
      assert.match(text, /component_stat\{component="cache",stat="tiers.memory.hits"\} 1/);
      assert.match(text, /component_stat\{component="cache",stat="tiers.l2.latency.percentiles.p99"\}/);
    } finally {
      monitor.close();
    }
  });

  test('validates arguments and rejects after close', async () => {
    assert.throws(() => new MultiLevelCache({ ttlMs: 0 }), OutOfRangeError);
    assert.throws(() => new MultiLevelCache({ graceMs: -1 }), /MultiLevelCache graceMs \(-1\) must be a number from 0 to 2\^40 or Infinity/);
    assert.throws(() => new MultiLevelCache({ tiers: [new MemoryTier({ maxEntries: 1 })] }), /tier names must be unique/);
    assert.throws(() => new MultiLevelCache({ tiers: [{} as CacheTier] }), InvalidArgumentError);
    assert.throws(() => new MultiLevelCache({ writeBehind: { flushMs: 0 } }), OutOfRangeError);
    const cache = new MultiLevelCache<number>({});
    await assert.rejects(cache.set('k', undefined as unknown as number), InvalidArgumentError);
    await assert.rejects(cache.set('k', 1, { ttlMs: -5 }), OutOfRangeError);
    await assert.rejects(cache.get(1 as unknown as string), InvalidArgumentError);
    await assert.rejects(cache.getOrSet('k', 'nope' as never), InvalidArgumentError);
    await cache.close();
    await cache.close();
    assert.ok(cache.isClosed);
    await assert.rejects(cache.get('k'), ClosedError);
    await assert.rejects(cache.set('k', 1), ClosedError);
    await assert.rejects(cache.connect(), ClosedError);
  });
});

describe('CircuitBreaker', () => {
  test('opens after the threshold, skips while open, lets one probe through, and closes on success', () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ failureThreshold: 3, openMs: 100, now: clock.now });
    for (let i = 0; i < 2; i++) {
      assert.ok(b.allow());
      b.failure();
    }
    assert.equal(b.state, BreakerState.CLOSED);
    assert.ok(b.allow());
    b.success(); // a success resets the run
    for (let i = 0; i < 3; i++) b.failure();
    assert.equal(b.state, BreakerState.OPEN);
    assert.equal(b.allow(), false);
    clock.t += 100;
    assert.equal(b.allow(), true, 'one probe');
    assert.equal(b.state, BreakerState.HALF_OPEN);
    assert.equal(b.allow(), false, 'only one probe at a time');
    b.failure();
    assert.equal(b.state, BreakerState.OPEN, 'a failed probe reopens');
    clock.t += 99;
    assert.equal(b.allow(), false);
    clock.t += 1;
    assert.ok(b.allow());
    b.success();
    assert.equal(b.state, BreakerState.CLOSED);
    assert.deepEqual(b.stats(), { state: 0, opens: 2, skipped: 3, probes: 2, consecutiveFailures: 0 });
  });

  test('probeNow ends an open period at once (one probe), and does nothing when closed', () => {
    const clock = new FakeClock();
    const b = new CircuitBreaker({ failureThreshold: 1, openMs: 10_000, now: clock.now });
    b.probeNow();
    assert.equal(b.state, BreakerState.CLOSED);
    b.failure();
    assert.equal(b.allow(), false);
    b.probeNow();
    assert.equal(b.state, BreakerState.HALF_OPEN);
    assert.equal(b.allow(), true, 'the probe, long before openMs');
    assert.equal(b.allow(), false, 'only one');
    b.success();
    assert.equal(b.state, BreakerState.CLOSED);
  });

  test('validates options', () => {
    assert.throws(() => new CircuitBreaker({ failureThreshold: 0 }), /CircuitBreaker failureThreshold \(0\) must be an integer from 1/);
    assert.throws(() => new CircuitBreaker({ openMs: 1.5 }), OutOfRangeError);
    assert.throws(() => new CircuitBreaker({ openMs: 2 ** 31 }), OutOfRangeError);
    assert.throws(() => new CircuitBreaker({ openMs: '5' as never }), InvalidArgumentError);
    assert.throws(() => new CircuitBreaker(null as never), /CircuitBreaker options must be an object/);
    assert.throws(() => new CircuitBreaker({ now: 5 as never }), InvalidArgumentError);
    assert.throws(() => new CircuitBreaker({ name: 'b', failureThreshold: 10n as never }), /CircuitBreaker b failureThreshold must be an integer/);
  });
});
