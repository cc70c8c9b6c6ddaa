import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LazyLoader, LoadTimeoutError, LOAD_TIMEOUT } from '../../src/cache/lazy-loader.ts';
import { BlackholeError, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

/** A promise with its settle functions exposed. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/**
 * Load timers are unref'd, so while a test waits only on one, Node would see
 * an empty event loop and end the test; a ref'd guard timer (bounded, cleared
 * after) keeps the loop alive, and fails the test if it is ever reached.
 */
async function keepAlive<T>(body: () => Promise<T>): Promise<T> {
  const guard = setTimeout(() => assert.fail('test did not finish within 5 s'), 5000);
  try {
    return await body();
  } finally {
    clearTimeout(guard);
  }
}

test('loads once, then serves from the cache', async () => {
  let calls = 0;
  const l = new LazyLoader(async (k: string) => {
    calls++;
    return k.toUpperCase();
  });
  assert.equal(await l.get('a'), 'A');
  assert.equal(await l.get('a'), 'A');
  assert.equal(calls, 1);
  assert.equal(l.peek('a'), 'A');
  assert.equal(l.peek('b'), undefined);
  const s = l.stats();
  assert.equal(s.loads, 1);
  assert.equal(s.hits, 1);
  assert.equal(s.size, 1);
  assert.equal(s.inFlight, 0);
});

test('single flight: concurrent gets share one load', async () => {
  const d = deferred<number>();
  let calls = 0;
  const l = new LazyLoader((_k: string) => {
    calls++;
    return d.promise;
  });
  const ps = [l.get('x'), l.get('x'), l.get('x')];
  assert.equal(l.stats().inFlight, 1);
  d.resolve(7);
  assert.deepEqual(await Promise.all(ps), [7, 7, 7]);
  assert.equal(calls, 1);
  assert.equal(l.stats().joins, 2);
});

test('errors are not cached by default: the next get retries', async () => {
  let calls = 0;
  const l = new LazyLoader(async (_k: string) => {
    calls++;
    if (calls === 1) throw new Error('down');
    return 'ok';
  });
  await assert.rejects(l.get('k'), /down/);
  assert.equal(l.has('k'), false);
  assert.equal(await l.get('k'), 'ok');
  assert.equal(calls, 2);
  assert.equal(l.stats().loadErrors, 1);
});

test('a synchronous throw from the loader rejects (never throws)', async () => {
  const l = new LazyLoader((_k: number): number => {
    throw new Error('sync');
  });
  const p = l.get(1);
  assert.ok(p instanceof Promise);
  await assert.rejects(p, /sync/);
});

test('negativeTtlMs caches the error until it expires (fake clock)', async () => {
  let now = 0;
  let calls = 0;
  const l = new LazyLoader(
    async (_k: string) => {
      calls++;
      if (calls === 1) throw new Error('404');
      return 'found';
    },
    { negativeTtlMs: 100, clock: () => now },
  );
  await assert.rejects(l.get('k'), /404/);
  now = 50;
  await assert.rejects(l.get('k'), /404/);
  assert.equal(calls, 1, 'cached error served');
  assert.equal(l.stats().negativeHits, 1);
  assert.equal(l.peek('k'), undefined, 'peek does not expose errors');
  now = 100;
  assert.equal(await l.get('k'), 'found');
  assert.equal(calls, 2);
});

test('ttlMs expires values (fake clock)', async () => {
  let now = 0;
  let calls = 0;
  const l = new LazyLoader(async (k: number) => k + ++calls, { ttlMs: 10, clock: () => now });
  assert.equal(await l.get(1), 2);
  now = 9;
  assert.equal(await l.get(1), 2);
  now = 10;
  assert.equal(await l.get(1), 3);
});

test('undefined values are cached', async () => {
  let calls = 0;
  const l = new LazyLoader(async (_k: number): Promise<undefined> => {
    calls++;
    return undefined;
  });
  assert.equal(await l.get(1), undefined);
  assert.equal(await l.get(1), undefined);
  assert.equal(calls, 1);
});

test('maxEntries bounds the cache (LRU)', async () => {
  const l = new LazyLoader(async (k: number) => k, { maxEntries: 2 });
  await l.get(1);
  await l.get(2);
  await l.get(1);
  await l.get(3);
  assert.equal(l.has(1), true);
  assert.equal(l.has(2), false);
  assert.equal(l.stats().size, 2);
});

test('timeout: LoadTimeoutError, the signal aborts, the late result is discarded', () => keepAlive(async () => {
  const d = deferred<string>();
  let seenSignal: AbortSignal | null = null;
  let calls = 0;
  const l = new LazyLoader(
    (_k: string, signal: AbortSignal) => {
      calls++;
      seenSignal = signal;
      return calls === 1 ? d.promise : Promise.resolve('fresh');
    },
    { timeoutMs: 20 },
  );
  const err = await l.get('slow').then(
    () => assert.fail('should time out'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof LoadTimeoutError);
  assert.ok(err instanceof BlackholeError);
  assert.equal(err.code, LOAD_TIMEOUT);
  assert.equal(err.code, 'ERR_BH_LOAD_TIMEOUT');
  assert.equal(err.timeoutMs, 20);
  assert.equal(err.key, 'slow');
  assert.equal(seenSignal!.aborted, true);
  assert.equal(seenSignal!.reason, err);
  assert.equal(l.stats().timeouts, 1);
  assert.equal(l.stats().inFlight, 0);
  d.resolve('late');
  await tick();
  assert.equal(l.has('slow'), false, 'late result not cached');
  assert.equal(await l.get('slow'), 'fresh');
}));

test('timeout with negativeTtlMs: the timeout is cached like any error', () => keepAlive(async () => {
  const l = new LazyLoader((_k: string) => new Promise<string>(() => {}), { timeoutMs: 10, negativeTtlMs: 60_000 });
  await assert.rejects(l.get('k'), LoadTimeoutError);
  await assert.rejects(l.get('k'), LoadTimeoutError);
  assert.equal(l.stats().loads, 1);
}));

test('a load that settles in time clears its timer and caches the value', async () => {
  const l = new LazyLoader(async (k: string) => k, { timeoutMs: 1000 });
  assert.equal(await l.get('a'), 'a');
  assert.equal(l.has('a'), true);
  assert.equal(l.stats().timeouts, 0);
});

test('delete during a load: callers get the result, but it is not cached', async () => {
  const d = deferred<number>();
  let calls = 0;
  const l = new LazyLoader((_k: string) => {
    calls++;
    return calls === 1 ? d.promise : Promise.resolve(2);
  });
  const p = l.get('k');
  assert.equal(l.delete('k'), true);
  d.resolve(1);
  assert.equal(await p, 1);
  assert.equal(l.has('k'), false);
  assert.equal(await l.get('k'), 2);
});

test('clear during a load drops it; clear empties the cache', async () => {
  const d = deferred<number>();
  const l = new LazyLoader((k: string) => (k === 'slow' ? d.promise : Promise.resolve(0)));
  await l.get('fast');
  const p = l.get('slow');
  l.clear();
  assert.equal(l.stats().size, 0);
  assert.equal(l.stats().inFlight, 0);
  d.resolve(5);
  assert.equal(await p, 5);
  assert.equal(l.has('slow'), false);
});

test('preload: bounded concurrency, per-key outcomes in order, never rejects', async () => {
  let active = 0;
  let maxActive = 0;
  const l = new LazyLoader(
    async (k: number) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await tick();
      active--;
      if (k % 5 === 0) throw new Error(`bad ${k}`);
      return k * 2;
    },
    { concurrency: 3, maxEntries: 100 },
  );
  const keys = Array.from({ length: 20 }, (_, i) => i + 1);
  const out = await l.preload(keys);
  assert.equal(out.length, 20);
  assert.ok(maxActive <= 3, `maxActive ${maxActive}`);
  assert.equal(maxActive, 3);
  for (let i = 0; i < 20; i++) {
    const o = out[i]!;
    assert.equal(o.key, keys[i]);
    if (keys[i]! % 5 === 0) {
      assert.equal(o.status, 'rejected');
      assert.match(String((o as { reason: Error }).reason.message), /bad/);
    } else {
      assert.deepEqual(o, { key: keys[i], status: 'fulfilled', value: keys[i]! * 2 });
    }
  }
  assert.equal(l.peek(4), 8);
});

test('overlapping preloads share the concurrency bound; cached keys cost no load', async () => {
  let active = 0;
  let maxActive = 0;
  let loads = 0;
  const l = new LazyLoader(
    async (k: number) => {
      loads++;
      active++;
      maxActive = Math.max(maxActive, active);
      await tick();
      active--;
      return k;
    },
    { concurrency: 2 },
  );
  await l.get(1);
  const [a, b] = await Promise.all([l.preload([1, 2, 3, 4]), l.preload([5, 6, 7, 8])]);
  assert.ok(maxActive <= 2, `maxActive ${maxActive}`);
  assert.equal(loads, 8);
  assert.equal(a[0]!.status, 'fulfilled');
  assert.equal(b.length, 4);
  assert.deepEqual(await l.preload([]), []);
});

test('preload of a non-iterable rejects with InvalidArgumentError', async () => {
  const l = new LazyLoader(async (k: number) => k);
  await assert.rejects(l.preload(42 as never), InvalidArgumentError);
});

test('bad options throw typed errors naming the option', () => {
  const f = async (k: number) => k;
  assert.throws(() => new LazyLoader(f, { maxEntries: 0 }), (e: unknown) => e instanceof OutOfRangeError && /maxEntries/.test(e.message));
  assert.throws(() => new LazyLoader(f, { ttlMs: 0 }), (e: unknown) => e instanceof OutOfRangeError && /ttlMs/.test(e.message));
  assert.throws(() => new LazyLoader(f, { negativeTtlMs: -1 }), (e: unknown) => e instanceof OutOfRangeError && /negativeTtlMs/.test(e.message));
  assert.throws(() => new LazyLoader(f, { timeoutMs: NaN }), (e: unknown) => e instanceof OutOfRangeError && /timeoutMs/.test(e.message));
  assert.throws(() => new LazyLoader(f, { timeoutMs: 2 ** 32 }), (e: unknown) => e instanceof OutOfRangeError && /timeoutMs/.test(e.message));
  assert.throws(() => new LazyLoader(f, { concurrency: 0 }), (e: unknown) => e instanceof OutOfRangeError && /concurrency/.test(e.message));
  assert.throws(() => new LazyLoader(null as never), (e: unknown) => e instanceof InvalidArgumentError && /loader/.test(e.message));
});
