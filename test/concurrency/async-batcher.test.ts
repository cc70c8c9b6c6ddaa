import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AsyncBatcher,
  BatchErrorCode,
  BatchQueueFullError,
  BatchResultError,
} from '../../src/concurrency/async-batcher.ts';
import { ClosedError, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Deferred<T> { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void }
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** Records every call; answers keys doubled. */
function recorder() {
  const calls: number[][] = [];
  const fn = async (keys: number[]): Promise<number[]> => {
    calls.push([...keys]);
    return keys.map((k) => k * 2);
  };
  return { calls, fn };
}

test('loads made in the same tick share one batch call, in order', async () => {
  const { calls, fn } = recorder();
  const b = new AsyncBatcher(fn);
  const out = await Promise.all([b.load(1), b.load(2), b.load(3)]);
  assert.deepEqual(out, [2, 4, 6]);
  assert.deepEqual(calls, [[1, 2, 3]]);
  const s = b.stats();
  assert.equal(s.batches, 1);
  assert.equal(s.items, 3);
  assert.equal(s.loads, 3);
  assert.deepEqual(s.batchSize, { min: 3, mean: 3, max: 3 });
  assert.ok(s.waitMs.max >= 0);
  await b.close();
});

test('loads issued from .then callbacks of the same tick still join the batch', async () => {
  const { calls, fn } = recorder();
  const b = new AsyncBatcher(fn);
  const p1 = b.load(1);
  const p2 = Promise.resolve().then(() => b.load(2));
  const p3 = Promise.resolve().then(() => Promise.resolve()).then(() => b.load(3));
  assert.deepEqual(await Promise.all([p1, p2, p3]), [2, 4, 6]);
  assert.deepEqual(calls, [[1, 2, 3]]);
  await b.close();
});

for (const size of [1, 2, 3, 7]) {
  test(`maxBatchSize ${size} splits 10 loads into batches of at most ${size}`, async () => {
    const { calls, fn } = recorder();
    const b = new AsyncBatcher(fn, { maxBatchSize: size });
    const keys = Array.from({ length: 10 }, (_, i) => i);
    assert.deepEqual(await Promise.all(b.loadMany(keys)), keys.map((k) => k * 2));
    assert.deepEqual(calls.flat(), keys);
    assert.ok(calls.every((c) => c.length <= size));
    assert.equal(calls.length, Math.ceil(10 / size));
    await b.close();
  });
}

test('maxWaitMs gathers loads across ticks into one batch', async () => {
  const keepAlive = setTimeout(() => {}, 5_000); // the batcher's timer is unref'd
  try {
    const { calls, fn } = recorder();
    // A window far longer than two ticks take even on busy cores (a 30 ms one was missed under load).
    const b = new AsyncBatcher(fn, { maxWaitMs: 1_500 });
    const p1 = b.load(1);
    await tick();
    await tick();
    const p2 = b.load(2);
    assert.deepEqual(await Promise.all([p1, p2]), [2, 4]);
    assert.deepEqual(calls, [[1, 2]]);
    await b.close();
  } finally {
    clearTimeout(keepAlive);
  }
});

test('an Error in the result array rejects only its own item', async () => {
  const b = new AsyncBatcher(async (keys: number[]) => keys.map((k) => (k % 2 === 0 ? new Error(`no ${k}`) : k)));
  const results = await Promise.allSettled([b.load(1), b.load(2), b.load(3)]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.equal((results[1] as PromiseRejectedResult).reason.message, 'no 2');
  await b.close();
});

for (const [label, bad] of [['too short', [1]], ['too long', [1, 2, 3]], ['not an array', { 0: 1, 1: 2, length: 2 }], ['undefined', undefined]] as const) {
  test(`a result ${label} rejects the whole batch with BatchResultError`, async () => {
    const b = new AsyncBatcher(async (_keys: number[]) => bad as unknown as number[], { name: 'users' });
    const results = await Promise.allSettled([b.load(1), b.load(2)]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason;
      assert.ok(e instanceof BatchResultError);
      assert.equal(e.code, BatchErrorCode.BATCH_RESULT);
      assert.equal(e.expected, 2);
      assert.match(e.message, /users batch function must return an array of 2 results/);
    }
    assert.equal(b.stats().failedBatches, 1);
    await b.close();
  });
}

for (const mode of ['throws', 'rejects'] as const) {
  test(`a batch function that ${mode} rejects every item of its batch and does not stall the queue`, async () => {
    let n = 0;
    const boom = new Error('backend down');
    const b = new AsyncBatcher(
      (keys: number[]) => {
        if (n++ === 0) {
          if (mode === 'throws') throw boom;
          return Promise.reject(boom);
        }
        return keys.map((k) => k + 1);
      },
      { maxConcurrentBatches: 1 },
    );
    const first = await Promise.allSettled([b.load(1), b.load(2)]);
    assert.ok(first.every((r) => r.status === 'rejected' && r.reason === boom));
    assert.deepEqual(await Promise.all([b.load(3), b.load(4)]), [4, 5]);
    await b.close();
  });
}

test('maxConcurrentBatches bounds batches in flight; excess items wait their turn', async () => {
  const pending: { keys: number[]; d: Deferred<number[]> }[] = [];
  let peak = 0;
  let inFlight = 0;
  const b = new AsyncBatcher(
    (keys: number[]) => {
      const d = deferred<number[]>();
      pending.push({ keys, d });
      peak = Math.max(peak, ++inFlight);
      return d.promise.finally(() => inFlight--);
    },
    { maxBatchSize: 2, maxConcurrentBatches: 2 },
  );
  const ps = b.loadMany([1, 2, 3, 4, 5, 6, 7]);
  await tick();
  assert.equal(pending.length, 2, 'only two batches were started');
  assert.equal(b.stats().inFlight, 2);
  assert.equal(b.stats().queued, 3);
  while (pending.length > 0) {
    const { keys, d } = pending.shift()!;
    d.resolve(keys.map((k) => k * 10));
    await tick();
  }
  assert.deepEqual(await Promise.all(ps), [10, 20, 30, 40, 50, 60, 70]);
  assert.equal(peak, 2);
  await b.close();
});

test('maxQueue rejects loads beyond the bound with BatchQueueFullError', async () => {
  const d = deferred<number[]>();
  const b = new AsyncBatcher((keys: number[]) => d.promise.then(() => keys), { maxBatchSize: 2, maxConcurrentBatches: 1, maxQueue: 3 });
  const accepted = b.loadMany([1, 2, 3, 4, 5]); // 1,2 dispatch at once; 3,4,5 queue
  const over = b.load(6);
  await assert.rejects(over, (e) => e instanceof BatchQueueFullError && e.code === 'ERR_BH_BATCH_QUEUE_FULL' && e.maxQueue === 3);
  assert.equal(b.stats().rejectedFull, 1);
  d.resolve([]);
  assert.deepEqual(await Promise.all(accepted), [1, 2, 3, 4, 5]);
  await b.close();
});

test('dedupe: identical keys in one batch share one slot and one result', async () => {
  const { calls, fn } = recorder();
  const b = new AsyncBatcher(fn, { dedupe: true });
  assert.deepEqual(await Promise.all(b.loadMany([5, 1, 5, 5, 2, 1])), [10, 2, 10, 10, 4, 2]);
  assert.deepEqual(calls, [[5, 1, 2]]);
  assert.equal(b.stats().deduped, 3);
  assert.equal(b.stats().items, 3);
  await b.close();
});

test('dedupe with a key function; a throwing key function rejects only that load', async () => {
  const calls: { id: number }[][] = [];
  const b = new AsyncBatcher(
    async (objs: { id: number }[]) => {
      calls.push(objs);
      return objs.map((o) => o.id);
    },
    { dedupe: (o: { id: number }) => { if (o.id < 0) throw new Error('bad id'); return o.id; } },
  );
  const ps = [b.load({ id: 1 }), b.load({ id: 1 }), b.load({ id: -1 }), b.load({ id: 2 })];
  const r = await Promise.allSettled(ps);
  assert.deepEqual(r.map((x) => x.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  assert.equal(calls.length, 1);
  assert.equal(calls[0]!.length, 2);
  await b.close();
});

test('close flushes pending items, waits for in-flight ones, then later loads reject with ClosedError', async () => {
  const keepAlive = setTimeout(() => {}, 5_000);
  try {
    const { calls, fn } = recorder();
    const b = new AsyncBatcher(fn, { maxWaitMs: 60_000 });
    const ps = b.loadMany([1, 2]);
    const closing = b.close();
    assert.equal(b.close(), closing, 'close twice returns the same promise');
    await closing;
    assert.deepEqual(await Promise.all(ps), [2, 4]);
    assert.deepEqual(calls, [[1, 2]]);
    assert.ok(b.isClosed);
    await assert.rejects(b.load(3), (e) => e instanceof ClosedError && e.code === 'ERR_BH_CLOSED');
  } finally {
    clearTimeout(keepAlive);
  }
});

test('close resolves only after slow in-flight batches settle', async () => {
  const d = deferred<number[]>();
  const b = new AsyncBatcher((keys: number[]) => d.promise.then(() => keys));
  const p = b.load(7);
  await tick();
  let closed = false;
  const closing = b.close().then(() => { closed = true; });
  await tick();
  assert.equal(closed, false);
  d.resolve([]);
  await closing;
  assert.equal(await p, 7);
});

test('bad options throw typed errors naming the option and value', () => {
  const fn = async (k: number[]) => k;
  assert.throws(() => new AsyncBatcher(fn, { maxBatchSize: 0 }), (e) => e instanceof OutOfRangeError && /AsyncBatcher maxBatchSize \(0\) must be an integer from 1/.test((e as Error).message));
  assert.throws(() => new AsyncBatcher(fn, { maxWaitMs: -1 }), OutOfRangeError);
  assert.throws(() => new AsyncBatcher(fn, { maxConcurrentBatches: 1.5 }), OutOfRangeError);
  assert.throws(() => new AsyncBatcher(fn, { maxQueue: 0 }), OutOfRangeError);
  assert.throws(() => new AsyncBatcher(fn, { dedupe: 'yes' as unknown as boolean }), InvalidArgumentError);
  assert.throws(() => new AsyncBatcher(42 as unknown as typeof fn), (e) => e instanceof InvalidArgumentError && /batchFn must be a function, got 42/.test((e as Error).message));
});

/** Asserts `fn` throws `type` with a message matching `re`. */
function refused(fn: () => unknown, type: typeof InvalidArgumentError | typeof OutOfRangeError, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

test('a null, array or string options object is refused typed', () => {
  const fn = async (k: number[]) => k;
  for (const bad of [null, [], 'fast', 5, 10n]) {
    refused(() => new AsyncBatcher(fn, bad as never), InvalidArgumentError, /^AsyncBatcher options must be an object when given, got /);
  }
});

test('bigints, symbols, strings and null are not numbers: every numeric option refuses them typed', () => {
  const fn = async (k: number[]) => k;
  for (const option of ['maxBatchSize', 'maxWaitMs', 'maxConcurrentBatches', 'maxQueue']) {
    for (const bad of ['5', 10n, Symbol('n'), null, true, [3]]) {
      refused(() => new AsyncBatcher(fn, { [option]: bad }), InvalidArgumentError, new RegExp(`^AsyncBatcher ${option} must be an integer`));
    }
  }
  refused(() => new AsyncBatcher(fn, { now: 5 as never }), InvalidArgumentError, /^AsyncBatcher now must be a function, got 5/);
  refused(() => new AsyncBatcher(fn, { name: null as never }), InvalidArgumentError, /^AsyncBatcher name must be a non-empty string, got null/);
  // null is not false: dedupe must be a boolean or a key function.
  refused(() => new AsyncBatcher(fn, { dedupe: null as never }), InvalidArgumentError, /^AsyncBatcher dedupe must be a boolean or a function \(input\) => key, got null/);
});

test('maxWaitMs is a timer: bounded by 2^31 - 1 ms, the rule stated in the error', () => {
  const fn = async (k: number[]) => k;
  for (const bad of [2 ** 31, 2 ** 53, Infinity, -1, Number.NaN]) {
    refused(() => new AsyncBatcher(fn, { maxWaitMs: bad }), OutOfRangeError, /^AsyncBatcher maxWaitMs \(.+\) must be an integer from 0 to 2\^31 - 1 .*Node timers cannot wait longer than 2\^31 - 1 ms/);
  }
  assert.equal(new AsyncBatcher(fn, { maxWaitMs: 2 ** 31 - 1 }).maxWaitMs, 2 ** 31 - 1);
});

test('loadMany refuses a non-array (undefined, a string, a number) typed and queues nothing', async () => {
  const { calls, fn } = recorder();
  const b = new AsyncBatcher(fn, { name: 'users' });
  for (const bad of [undefined, null, 'abc', 5, { length: 2, 0: 1, 1: 2 }, new Set([1])]) {
    refused(() => b.loadMany(bad as never), InvalidArgumentError, /^AsyncBatcher "users" loadMany inputs must be an array, got /);
    assert.equal(b.stats().queued, 0, `loadMany(${String(bad)}) queued items`);
  }
  // The batcher still works, and a string was never taken as three inputs.
  assert.deepEqual(await Promise.all(b.loadMany([1, 2])), [2, 4]);
  assert.deepEqual(calls, [[1, 2]]);
  await b.close();
});

test('a clock that returns junk or throws cannot break a batch (stats count 0 wait)', async () => {
  for (const now of [() => Number.NaN, () => 10n, () => '5', () => Infinity, () => { throw new Error('clock'); }]) {
    const b = new AsyncBatcher(async (k: number[]) => k.map((x) => x + 1), { now: now as () => number });
    const out = await Promise.race([
      Promise.all([b.load(1), b.load(2)]),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`clock ${now}: loads did not settle`)), 5_000).unref()),
    ]);
    assert.deepEqual(out, [2, 3]);
    const s = b.stats();
    assert.equal(s.batches, 1);
    assert.equal(s.waitMs.max, 0);
    await b.close();
  }
});

test('argument errors of a named batcher name the component and the name', () => {
  refused(() => new AsyncBatcher(42 as never, { name: 'users' }), InvalidArgumentError, /^AsyncBatcher "users" batchFn must be a function, got 42/);
  refused(() => new AsyncBatcher(async (k: number[]) => k, { name: 'users', maxQueue: 0 }), OutOfRangeError, /^AsyncBatcher "users" maxQueue \(0\)/);
});

test('every load settles like a naive model: doubled, or its own error (property)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(fc.integer({ min: -20, max: 20 }), { maxLength: 12 }), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 3 }),
      fc.boolean(),
      async (waves, maxBatchSize, maxConcurrentBatches, dedupe) => {
        let inFlight = 0;
        let ok = true;
        const b = new AsyncBatcher(
          async (keys: number[]) => {
            if (keys.length > maxBatchSize) ok = false;
            if (dedupe && new Set(keys).size !== keys.length) ok = false;
            if (++inFlight > maxConcurrentBatches) ok = false;
            await tick();
            inFlight--;
            return keys.map((k) => (k < 0 ? new Error(String(k)) : k * 2));
          },
          { maxBatchSize, maxConcurrentBatches, dedupe },
        );
        const all: Promise<void>[] = [];
        for (const wave of waves) {
          for (const k of wave) {
            all.push(b.load(k).then(
              (v) => { if (k < 0 || v !== k * 2) ok = false; },
              (e: Error) => { if (k >= 0 || e.message !== String(k)) ok = false; },
            ));
          }
          await Promise.resolve();
        }
        await b.close();
        await Promise.all(all);
        const s = b.stats();
        return ok && s.loads === waves.flat().length && s.queued === 0 && s.inFlight === 0;
      },
    ),
    { seed: 7, numRuns: 120 },
  );
});
