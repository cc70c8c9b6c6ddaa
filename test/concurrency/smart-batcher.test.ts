import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SmartBatcher } from '../../src/concurrency/smart-batcher.ts';
import { BatchQueueFullError, BatchResultError } from '../../src/concurrency/async-batcher.ts';
import { SemaphoreTimeoutError } from '../../src/concurrency/semaphore.ts';
import { ClosedError, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Deferred<T> { promise: Promise<T>; resolve: (v: T) => void }
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((res) => { resolve = res; });
  return { promise, resolve };
}

/** The batcher's age timer is unref'd: hold the event loop open while a test waits on it. */
async function withLoopAlive<T>(body: () => Promise<T>): Promise<T> {
  const keepAlive = setTimeout(() => {}, 10_000);
  try {
    return await body();
  } finally {
    clearTimeout(keepAlive);
  }
}

for (const [fixedMs, perItemMs, target] of [[2, 0.1, 10], [1, 0.05, 10], [5, 0.5, 30]] as const) {
  const ideal = Math.floor((target - fixedMs) / perItemMs);
  test(`batch size settles where latency ${fixedMs} + ${perItemMs} x n ms meets the ${target} ms target (n* = ${ideal})`, async () => {
    let clock = 0;
    const sizes: number[] = [];
    const latencies: number[] = [];
    const b = new SmartBatcher(
      async (items: number[]) => {
        const latency = fixedMs + perItemMs * items.length;
        clock += latency; // the processor's latency, on the injected clock
        sizes.push(items.length);
        latencies.push(latency);
        return items.map((x) => x + 1);
      },
      { targetLatencyMs: target, initialBatchSize: 5, additiveStep: 2, maxBatchSize: 5000, maxQueue: 1000, maxDelayMs: 20, now: () => clock },
    );
    const total = 30_000;
    const ps: Promise<number>[] = [];
    for (let i = 0; i < total; i++) ps.push(b.add(i)); // back-pressure: 29,000 adds wait for room
    const out = await withLoopAlive(() => Promise.all(ps));
    assert.equal(out.length, total);
    assert.equal(out[total - 1], total);
    await b.close();
    const tail = sizes.slice(-40, -1); // the last batch holds the remainder
    for (const n of tail) assert.ok(n >= ideal * 0.9 && n <= ideal * 1.05, `batch size ${n} outside the band around ${ideal}: ${tail.join(',')}`);
    for (const l of latencies.slice(-40, -1)) assert.ok(l >= target * 0.9 && l <= target * 1.05, `latency ${l} outside the band around ${target}`);
    const s = b.stats();
    assert.ok(Math.abs(s.batchSize - ideal) <= ideal * 0.1, `settled batchSize ${s.batchSize}`);
    assert.equal(s.items, total);
    assert.ok(s.latencyMs.max > 0 && s.latencyMs.last > 0);
  });
}

test('an over-target batch cuts the size by at most decreaseFactor and at least by one', async () => {
  let clock = 0;
  const b = new SmartBatcher(
    async (items: number[]) => { clock += 1000; return items; },
    { targetLatencyMs: 10, initialBatchSize: 100, minBatchSize: 10, maxBatchSize: 100, decreaseFactor: 0.5, maxDelayMs: 60_000, now: () => clock },
  );
  await withLoopAlive(() => Promise.all(Array.from({ length: 100 }, (_, i) => b.add(i))));
  assert.equal(b.batchSize, 50);
  await withLoopAlive(() => Promise.all(Array.from({ length: 50 }, (_, i) => b.add(i))));
  assert.equal(b.batchSize, 25);
  await b.close();
});

test('flushes on size without waiting for maxDelayMs', async () => {
  const calls: number[][] = [];
  const b = new SmartBatcher(async (items: number[]) => { calls.push(items); return items; }, {
    targetLatencyMs: 1000, minBatchSize: 3, maxBatchSize: 3, maxDelayMs: 60_000,
  });
  const ps = [1, 2, 3].map((x) => b.add(x));
  assert.deepEqual(await Promise.all(ps), [1, 2, 3]);
  assert.deepEqual(calls, [[1, 2, 3]]);
  await b.close();
});

test('flushes a short batch once its oldest item is maxDelayMs old', async () => {
  const calls: number[][] = [];
  const b = new SmartBatcher(async (items: number[]) => { calls.push(items); return items; }, {
    targetLatencyMs: 1000, initialBatchSize: 100, minBatchSize: 100, maxDelayMs: 15,
  });
  const started = performance.now();
  const out = await withLoopAlive(() => Promise.all([b.add(1), b.add(2)]));
  assert.deepEqual(out, [1, 2]);
  assert.deepEqual(calls, [[1, 2]]);
  assert.ok(performance.now() - started >= 10, 'it did wait for the age bound');
  await b.close();
});

test("onFull 'wait' applies back-pressure: adds wait for room and all complete", async () => {
  const gates: Deferred<void>[] = [];
  const b = new SmartBatcher(
    async (items: number[]) => { const g = deferred<void>(); gates.push(g); await g.promise; return items.map((x) => -x); },
    { targetLatencyMs: 1e6, minBatchSize: 2, maxBatchSize: 2, maxQueue: 2, maxDelayMs: 60_000 },
  );
  const ps = [1, 2, 3, 4, 5, 6].map((x) => b.add(x));
  await tick();
  const s = b.stats();
  assert.equal(s.inFlight, 1);
  assert.equal(s.queued, 2);
  assert.equal(s.waitingAdds, 2);
  for (let round = 0; round < 3; round++) {
    assert.equal(gates.length, 1, `round ${round}: one batch in flight`);
    gates.shift()!.resolve();
    await tick();
  }
  assert.deepEqual(await Promise.all(ps), [-1, -2, -3, -4, -5, -6]);
  await b.close();
});

test("onFull 'reject' rejects with BatchQueueFullError; a waiting add times out or aborts", async () => {
  const gate = deferred<void>();
  const proc = async (items: number[]) => { await gate.promise; return items; };
  const opts = { targetLatencyMs: 1e6, minBatchSize: 1, maxBatchSize: 1, maxQueue: 1, maxDelayMs: 0 };
  const r = new SmartBatcher(proc, { ...opts, onFull: 'reject' });
  const a = r.add(1); // dispatched
  const bq = r.add(2); // queued
  await assert.rejects(r.add(3), (e) => e instanceof BatchQueueFullError && e.maxQueue === 1);
  assert.equal(r.stats().rejectedFull, 1);

  const w = new SmartBatcher(proc, { ...opts, onFull: 'wait' });
  const c = w.add(1);
  const d = w.add(2);
  await withLoopAlive(() => assert.rejects(w.add(3, { timeoutMs: 5 }), SemaphoreTimeoutError));
  const ac = new AbortController();
  const aborted = w.add(4, { signal: ac.signal });
  ac.abort(new Error('caller gone'));
  await assert.rejects(aborted, /caller gone/);
  assert.equal(w.stats().waitingAdds, 0);
  gate.resolve();
  assert.deepEqual(await Promise.all([a, bq, c, d]), [1, 2, 1, 2]);
  await Promise.all([r.close(), w.close()]);
});

test('a failed batch rejects its items and the queue keeps moving; per-item errors and bad results', async () => {
  let call = 0;
  const b = new SmartBatcher(
    async (items: number[]) => {
      call++;
      if (call === 1) throw new Error('disk full');
      if (call === 2) return [1];
      return items.map((x) => (x === 13 ? new Error('unlucky') : x));
    },
    { targetLatencyMs: 1e6, minBatchSize: 2, maxBatchSize: 2, maxDelayMs: 60_000 },
  );
  const r = await Promise.allSettled([1, 2, 3, 4, 12, 13].map((x) => b.add(x)));
  assert.deepEqual(r.map((x) => x.status), ['rejected', 'rejected', 'rejected', 'rejected', 'fulfilled', 'rejected']);
  assert.equal((r[0] as PromiseRejectedResult).reason.message, 'disk full');
  assert.ok((r[2] as PromiseRejectedResult).reason instanceof BatchResultError);
  assert.equal((r[5] as PromiseRejectedResult).reason.message, 'unlucky');
  assert.equal(b.stats().failedBatches, 2);
  await b.close();
});

test('close processes queued items, rejects waiting adds with ClosedError, and rejects later adds', async () => {
  const gate = deferred<void>();
  const b = new SmartBatcher(async (items: number[]) => { await gate.promise; return items; }, {
    targetLatencyMs: 1e6, minBatchSize: 1, maxBatchSize: 1, maxQueue: 1, maxDelayMs: 60_000,
  });
  const first = b.add(1);
  const queued = b.add(2);
  const waiting = b.add(3);
  const closing = b.close();
  await assert.rejects(waiting, (e) => e instanceof ClosedError && /SmartBatcher is closed/.test((e as Error).message));
  await assert.rejects(b.add(4), ClosedError);
  gate.resolve();
  await closing;
  assert.deepEqual(await Promise.all([first, queued]), [1, 2]);
  assert.equal(b.close(), closing);
});

test('bad options throw typed errors naming the option and value', () => {
  const p = async (x: number[]) => x;
  assert.throws(() => new SmartBatcher(p, { targetLatencyMs: 0 }), (e) => e instanceof OutOfRangeError && /SmartBatcher targetLatencyMs \(0\) must be a number > 0/.test((e as Error).message));
  assert.throws(() => new SmartBatcher(p, { targetLatencyMs: 5, minBatchSize: 10, maxBatchSize: 5 }), OutOfRangeError);
  assert.throws(() => new SmartBatcher(p, { targetLatencyMs: 5, initialBatchSize: 0 }), OutOfRangeError);
  assert.throws(() => new SmartBatcher(p, { targetLatencyMs: 5, decreaseFactor: 1 }), OutOfRangeError);
  assert.throws(() => new SmartBatcher(p, { targetLatencyMs: 5, onFull: 'drop' as 'wait' }), InvalidArgumentError);
  assert.throws(() => new SmartBatcher(null as unknown as typeof p, { targetLatencyMs: 5 }), InvalidArgumentError);
});

/** Asserts `fn` throws (or its promise rejects with) `type`, with a message matching `re`. */
async function refused(fn: () => unknown, type: typeof InvalidArgumentError | typeof OutOfRangeError, re: RegExp): Promise<void> {
  const check = (e: unknown): boolean => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.match((e as Error).message, re);
    return true;
  };
  let out: unknown;
  try {
    out = fn();
  } catch (e) {
    check(e);
    return;
  }
  assert.ok(out instanceof Promise, 'the call neither threw nor returned a promise');
  await assert.rejects(out, check);
}

test('add refuses bad options (NaN, null, a string, a fake signal) typed and enqueues nothing', async () => {
  const calls: number[][] = [];
  const b = new SmartBatcher(async (items: number[]) => { calls.push(items); return items; }, { targetLatencyMs: 1e6, minBatchSize: 1, maxBatchSize: 1, maxDelayMs: 0 });
  const cases: [unknown, typeof InvalidArgumentError | typeof OutOfRangeError, RegExp][] = [
    [{ timeoutMs: Number.NaN }, OutOfRangeError, /^SmartBatcher add timeoutMs \(NaN\) must be a number from 0 to 2\^31 - 1 or Infinity/],
    [{ timeoutMs: -1 }, OutOfRangeError, /timeoutMs \(-1\)/],
    [{ timeoutMs: '5' }, InvalidArgumentError, /^SmartBatcher add timeoutMs must be a number/],
    [{ timeoutMs: 10n }, InvalidArgumentError, /timeoutMs must be a number.*got 10n/],
    [{ signal: { aborted: false } }, InvalidArgumentError, /^SmartBatcher add signal must be an AbortSignal/],
    [null, InvalidArgumentError, /^SmartBatcher add options must be an object when given, got null/],
    [-1, InvalidArgumentError, /add options must be an object/],
    ['wait', InvalidArgumentError, /add options must be an object/],
  ];
  for (const [options, type, re] of cases) {
    await refused(() => b.add(99, options as never), type, re);
    assert.equal(b.stats().added, 0, `add(99, ${String(options)}) enqueued the item`);
  }
  assert.equal(await b.add(7), 7);
  assert.deepEqual(calls, [[7]], 'no refused item ever reached the processor');
  await b.close();
});

test("the full-queue wait is a timer: timeoutMs past 2^31 - 1 ms is refused at once; Infinity waits for room", async () => {
  const gate = deferred<void>();
  const b = new SmartBatcher(async (items: number[]) => { await gate.promise; return items; }, {
    targetLatencyMs: 1e6, minBatchSize: 1, maxBatchSize: 1, maxQueue: 1, maxDelayMs: 0,
  });
  const first = b.add(1); // dispatched
  const second = b.add(2); // queued: the queue is full
  await tick();
  // Node would fire a 2^31 ms timer after 1 ms: it used to reject with SemaphoreTimeoutError after a few ms.
  await refused(() => b.add(3, { timeoutMs: 2 ** 31 }), OutOfRangeError, /^SmartBatcher add timeoutMs \(2147483648\) must be a number from 0 to 2\^31 - 1 or Infinity/);
  await refused(() => b.add(3, { timeoutMs: 2 ** 53 }), OutOfRangeError, /timeoutMs/);
  assert.equal(b.stats().waitingAdds, 0);
  const patient = b.add(3, { timeoutMs: Infinity });
  await tick();
  assert.equal(b.stats().waitingAdds, 1);
  gate.resolve();
  assert.deepEqual(await Promise.all([first, second, patient]), [1, 2, 3]);
  await b.close();
});

test('minBatchSize above maxBatchSize (given or default) is refused, naming both', async () => {
  const p = async (x: number[]) => x;
  // Used to be accepted: the default maxBatchSize (1000) silently became 2000.
  await refused(() => new SmartBatcher(p, { targetLatencyMs: 5, minBatchSize: 2000 }), OutOfRangeError, /^SmartBatcher minBatchSize \(2000\) must be <= maxBatchSize \(1000, the default\)/);
  await refused(() => new SmartBatcher(p, { targetLatencyMs: 5, minBatchSize: 10, maxBatchSize: 5 }), OutOfRangeError, /^SmartBatcher minBatchSize \(10\) must be <= maxBatchSize \(5\)/);
  await refused(() => new SmartBatcher(p, { targetLatencyMs: 5, minBatchSize: 2, maxBatchSize: 4, initialBatchSize: 5 }), OutOfRangeError, /initialBatchSize \(5\) must be an integer from 2 to 4/);
  const ok = new SmartBatcher(p, { targetLatencyMs: 5, minBatchSize: 2000, maxBatchSize: 4000 });
  assert.equal(ok.batchSize, 2000);
});

test('bigints, symbols, strings and null are not numbers; null is not an options object', async () => {
  const p = async (x: number[]) => x;
  for (const bad of [null, [], 'fast', 5]) {
    await refused(() => new SmartBatcher(p, bad as never), InvalidArgumentError, /^SmartBatcher options must be an object when given/);
  }
  for (const option of ['targetLatencyMs', 'minBatchSize', 'maxBatchSize', 'initialBatchSize', 'maxDelayMs', 'maxQueue', 'maxConcurrentBatches', 'additiveStep', 'decreaseFactor']) {
    for (const bad of ['5', 10n, Symbol('n'), null, true]) {
      await refused(() => new SmartBatcher(p, { targetLatencyMs: 5, [option]: bad }), InvalidArgumentError, new RegExp(`^SmartBatcher ${option} must be `));
    }
  }
  await refused(() => new SmartBatcher(p, { targetLatencyMs: 5, maxDelayMs: 2 ** 31 }), OutOfRangeError, /^SmartBatcher maxDelayMs \(2147483648\) must be an integer from 0 to 2\^31 - 1 \(Node timers/);
  await refused(() => new SmartBatcher(p, { targetLatencyMs: Infinity }), OutOfRangeError, /targetLatencyMs \(Infinity\)/);
  await refused(() => new SmartBatcher(p, { targetLatencyMs: 5, onFull: 5 as never }), InvalidArgumentError, /^SmartBatcher onFull must be one of "wait", "reject", got 5/);
  await refused(() => new SmartBatcher(p, { targetLatencyMs: 5, name: 'writer', maxQueue: 0 }), OutOfRangeError, /^SmartBatcher "writer" maxQueue \(0\)/);
});

test('a clock that returns junk or throws cannot break a batch', async () => {
  for (const now of [() => Number.NaN, () => 10n, () => '5', () => Infinity, () => { throw new Error('clock'); }]) {
    const b = new SmartBatcher(async (items: number[]) => items.map((x) => x + 1), {
      targetLatencyMs: 10, minBatchSize: 2, maxBatchSize: 2, maxDelayMs: 0, now: now as () => number,
    });
    const out = await withLoopAlive(() => Promise.race([
      Promise.all([b.add(1), b.add(2), b.add(3)]),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`clock ${now}: adds did not settle`)), 5_000).unref()),
    ]));
    assert.deepEqual(out, [2, 3, 4]);
    assert.equal(b.stats().latencyMs.max, 0);
    await b.close();
  }
});

test('every add settles like a naive model, with batches within the adaptive bounds (property)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: -5, max: 50 }), { minLength: 1, maxLength: 60 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 10 }),
      fc.integer({ min: 1, max: 3 }),
      async (items, maxBatchSize, maxQueue, maxConcurrentBatches) => {
        let ok = true;
        let clock = 0;
        let inFlight = 0;
        const b = new SmartBatcher(
          async (xs: number[]) => {
            if (xs.length > maxBatchSize || ++inFlight > maxConcurrentBatches) ok = false;
            clock += xs.length;
            await tick();
            inFlight--;
            return xs.map((x) => (x < 0 ? new Error(String(x)) : x * 3));
          },
          { targetLatencyMs: 3, maxBatchSize, maxQueue, maxConcurrentBatches, maxDelayMs: 0, now: () => clock },
        );
        const settled = await Promise.allSettled(items.map((x) => b.add(x)));
        settled.forEach((r, i) => {
          const x = items[i]!;
          if (x < 0) { if (r.status !== 'rejected' || r.reason.message !== String(x)) ok = false; }
          else if (r.status !== 'fulfilled' || r.value !== x * 3) ok = false;
        });
        await b.close();
        const s = b.stats();
        return ok && s.items === items.length && s.queued === 0 && s.waitingAdds === 0;
      },
    ),
    { seed: 99, numRuns: 100 },
  );
});
