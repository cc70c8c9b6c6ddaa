import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { ErrorCode, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';
import { MpmcRing } from '../../src/concurrency/mpmc-ring.ts';
import { ConcurrencyErrorCode, RingTimeoutError } from '../../src/concurrency/errors.ts';
import { startWorker } from '../helpers/worker.ts';

const WORKER = new URL('./fixtures/ring-worker.ts', import.meta.url).href;
const start = (workerData: Record<string, unknown>, limitMs?: number) => startWorker(WORKER, workerData, limitMs);

test('FIFO on one thread, with full and empty edges', () => {
  const q = MpmcRing.create({ slots: 4, slotBytes: 8 });
  for (let i = 0; i < 4; i++) assert.equal(q.tryEnqueue(new Uint8Array([i, i + 1])), true);
  assert.equal(q.tryEnqueue(new Uint8Array([9])), false, 'full');
  assert.equal(q.stats().size, 4);
  for (let i = 0; i < 4; i++) assert.deepEqual(q.tryDequeue(), new Uint8Array([i, i + 1]));
  assert.equal(q.tryDequeue(), null, 'empty');
});

test('matches a plain array queue for random enqueue/dequeue sequences (property)', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('enq' as const), len: fc.integer({ min: 0, max: 12 }), fill: fc.nat(255) }),
    fc.record({ kind: fc.constant('deq' as const) }),
  );
  fc.assert(
    fc.property(fc.constantFrom(2, 4, 8), fc.array(op, { maxLength: 200 }), (slots, ops) => {
      const q = MpmcRing.create({ slots, slotBytes: 12 });
      const model: Uint8Array[] = [];
      const scratch = new Uint8Array(12);
      for (const o of ops) {
        if (o.kind === 'enq') {
          const msg = Uint8Array.from({ length: o.len }, (_, i) => (o.fill + i) & 255);
          const fits = model.length < slots;
          if (q.tryEnqueue(msg) !== fits) return false;
          if (fits) model.push(msg);
        } else {
          const n = q.tryDequeueInto(scratch);
          const want = model.shift();
          if (want === undefined ? n !== -1 : n !== want.length || Buffer.compare(scratch.subarray(0, n), want) !== 0) return false;
        }
        if (q.stats().size !== model.length) return false;
      }
      return true;
    }),
    { seed: 1717, numRuns: 300 },
  );
});

test('bad options, oversized messages and foreign buffers throw typed errors naming the option', () => {
  for (const slots of [0, 1, 3, 100, 2 ** 25]) {
    assert.throws(() => MpmcRing.create({ slots, slotBytes: 8 }), /MpmcRing slots \(.*\) must be a power of two from 2 to 2\^24/, `slots ${slots}`);
  }
  for (const slotBytes of [0, 6, 2 ** 21]) {
    assert.throws(() => MpmcRing.create({ slots: 4, slotBytes }), RangeError, `slotBytes ${slotBytes}`);
  }
  const q = MpmcRing.create({ slots: 4, slotBytes: 8 });
  assert.throws(() => q.tryEnqueue(new Uint8Array(9)), /MpmcRing message length \(9\) must be at most slotBytes \(8\)/);
  assert.throws(() => q.tryDequeueInto(new Uint8Array(4)), /MpmcRing target length \(4\) must be at least slotBytes \(8\)/);
  assert.throws(() => MpmcRing.from(new SharedArrayBuffer(1024)), (e: unknown) => e instanceof TypeError && /magic/.test((e as Error).message));
  assert.throws(() => MpmcRing.from({} as never), TypeError);
  assert.deepEqual(MpmcRing.from(q.buffer).stats(), q.stats());
});

test('blocking and async waits time out with RingTimeoutError', async () => {
  const q = MpmcRing.create({ slots: 2, slotBytes: 4 });
  assert.throws(() => q.dequeueInto(new Uint8Array(4), 5), (e: unknown) => e instanceof RingTimeoutError && e.code === ConcurrencyErrorCode.RING_TIMEOUT);
  await assert.rejects(q.dequeueAsync(5), RingTimeoutError);
  q.tryEnqueue(new Uint8Array(4));
  q.tryEnqueue(new Uint8Array(4));
  assert.throws(() => q.enqueue(new Uint8Array(4), 5), /MpmcRing enqueue timed out after 5 ms/);
  await assert.rejects(q.enqueueAsync(new Uint8Array(4), 5), RingTimeoutError);
});

test('2 producers x 2 consumers pass a million messages, each received once, in order per producer', async () => {
  const producers = 2;
  const perProducer = 500_000;
  const total = producers * perProducer;
  const q = MpmcRing.create({ slots: 1024, slotBytes: 4 });
  const seen = new SharedArrayBuffer(total);
  const done = new SharedArrayBuffer(4);
  const workers = [
    ...[0, 1].map((id) => start({ role: 'mpmc-producer', ring: q.buffer, count: perProducer, id, timeoutMs: 10_000 })),
    ...[0, 1].map(() => start({ role: 'mpmc-consumer', ring: q.buffer, total, perProducer, producers, seen, done })),
  ];
  try {
    const results = await Promise.all(workers.map((w) => w.result));
    assert.deepEqual(results.slice(0, 2), [{ sent: perProducer }, { sent: perProducer }]);
    const consumers = results.slice(2) as { received: number; ordered: boolean }[];
    assert.equal(consumers[0].received + consumers[1].received, total);
    assert.ok(consumers.every((c) => c.ordered), 'each consumer saw each producer in order');
    const counts = new Uint8Array(seen);
    const wrong = counts.findIndex((c) => c !== 1);
    assert.equal(wrong, -1, `message ${wrong} received ${counts[wrong]} times`);
  } finally {
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
});

test('consumers terminated mid-run make blocked producers fail with RingTimeoutError, not hang', async () => {
  const q = MpmcRing.create({ slots: 64, slotBytes: 4 });
  const perProducer = 10_000_000;
  const total = 2 * perProducer;
  const seen = new SharedArrayBuffer(0x1000000 * 2);
  const done = new SharedArrayBuffer(4);
  const producers = [0, 1].map((id) => start({ role: 'mpmc-producer', ring: q.buffer, count: perProducer, id, timeoutMs: 200 }));
  const consumers = [0, 1].map(() => start({ role: 'mpmc-consumer', ring: q.buffer, total, perProducer: 0x1000000, producers: 2, seen, done }));
  for (const c of consumers) c.result.catch(() => {});
  try {
    const counter = new Int32Array(done);
    const deadline = Date.now() + 15_000;
    while (Atomics.load(counter, 0) < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.ok(Atomics.load(counter, 0) >= 1000, 'consumers made progress');
    await Promise.all(consumers.map((c) => c.worker.terminate()));
    const outcomes = await Promise.all(producers.map((p) => p.result));
    for (const o of outcomes) assert.equal(o.error, ConcurrencyErrorCode.RING_TIMEOUT);
  } finally {
    await Promise.all([...producers, ...consumers].map((w) => w.worker.terminate()));
  }
});

test('options of the wrong kind are InvalidArgumentError, sizes outside the rule OutOfRangeError', () => {
  const invalid = (e: unknown) => e instanceof InvalidArgumentError && e.code === ErrorCode.INVALID_ARG;
  assert.throws(() => MpmcRing.create([] as never), (e: unknown) => invalid(e) && /MpmcRing options must be an object/.test((e as Error).message));
  assert.throws(() => MpmcRing.create(undefined as never), invalid);
  assert.throws(() => MpmcRing.create({ slots: '8', slotBytes: 8 } as never), (e: unknown) => invalid(e) && /MpmcRing slots \("8"\)/.test((e as Error).message));
  assert.throws(() => MpmcRing.create({ slots: 8, slotBytes: null } as never), (e: unknown) => invalid(e) && /MpmcRing slotBytes \(null\)/.test((e as Error).message));
  assert.throws(() => MpmcRing.create({ slots: 8, slotBytes: 10n } as never), invalid);
  assert.throws(() => MpmcRing.create({ slots: NaN, slotBytes: 8 }), OutOfRangeError);
});

test('a queue the engine cannot allocate is refused typed, naming slots, slotBytes and the size', () => {
  // In a child whose address space is capped at 8 GB, so the allocation really fails
  // (an overcommitting machine might hand out 16 TiB of untouched pages).
  const out = underMemoryCap(`
    import { MpmcRing } from ${JSON.stringify(new URL('../../src/concurrency/mpmc-ring.ts', import.meta.url).href)};
    let r;
    try { MpmcRing.create({ slots: 2 ** 24, slotBytes: 2 ** 20 }); r = { ok: true }; }
    catch (e) { r = { name: e.constructor.name, code: e.code, message: e.message }; }
    const q = MpmcRing.create({ slots: 4, slotBytes: 8 });
    r.after = q.tryEnqueue(new Uint8Array([5])) && q.tryDequeue()[0];
    console.log(JSON.stringify(r));`);
  assert.equal(out.code, ErrorCode.OUT_OF_RANGE, JSON.stringify(out));
  assert.equal(out.name, 'OutOfRangeError');
  assert.match(out.message as string, /^MpmcRing slots \(16777216\) x slotBytes \(1048576\) \(\d+ bytes\) could not be allocated/);
  assert.equal(out.after, 5, 'smaller queues still work after the refusal');
});

test('a target that is not a Uint8Array is refused before a message is claimed (a worker producer keeps every message)', async () => {
  const q = MpmcRing.create({ slots: 4, slotBytes: 4 });
  const count = 5000;
  const { worker, result } = start({ role: 'mpmc-producer', ring: q.buffer, count, id: 0, timeoutMs: 20_000 });
  try {
    const buf = new Uint8Array(4);
    const view = new Int32Array(buf.buffer);
    const invalid = (e: unknown) => e instanceof InvalidArgumentError && /MpmcRing target must be a Uint8Array/.test((e as Error).message);
    for (let seq = 0; seq < count; seq++) {
      if (seq % 7 === 0) {
        assert.throws(() => q.tryDequeueInto(NaN as never), invalid);
        assert.throws(() => q.tryDequeueInto([0, 0, 0, 0] as never), invalid);
        assert.throws(() => q.dequeueInto(new Int32Array(4) as never, 1000), invalid);
        assert.throws(() => q.tryDequeueInto(new Uint8Array(2)), (e: unknown) => e instanceof OutOfRangeError && /target length \(2\) must be at least slotBytes \(4\)/.test((e as Error).message));
      }
      assert.equal(q.dequeueInto(buf, 20_000), 4);
      assert.equal(view[0], seq, 'a message was lost or reordered');
    }
    assert.deepEqual(await result, { sent: count });
    assert.equal(q.stats().size, 0);
    // Every slot is still usable: a full lap after the refusals.
    for (let i = 0; i < 4; i++) assert.equal(q.tryEnqueue(new Uint8Array([i])), true, `slot ${i} stuck`);
    for (let i = 0; i < 4; i++) assert.deepEqual(q.tryDequeue(), new Uint8Array([i]));
  } finally {
    await worker.terminate();
  }
});

test('every blocking and async call checks its timeout first, even when it would not wait', async () => {
  const q = MpmcRing.create({ slots: 2, slotBytes: 4 });
  const range = (e: unknown) => e instanceof OutOfRangeError && /timeoutMs \(.*\) must be a number of ms from 0 to 2\^31 - 1/.test((e as Error).message);
  assert.throws(() => q.enqueue(new Uint8Array([1]), NaN), range, 'room in the queue');
  assert.throws(() => q.enqueue(new Uint8Array([1]), 2 ** 31), range);
  await assert.rejects(q.enqueueAsync(new Uint8Array([1]), -1), range);
  await assert.rejects(q.enqueueAsync(new Uint8Array([1]), '5' as never), InvalidArgumentError);
  assert.equal(q.stats().size, 0, 'a refused enqueue queued its message');
  q.tryEnqueue(new Uint8Array([7]));
  assert.throws(() => q.dequeueInto(new Uint8Array(4), NaN), range, 'a message is queued');
  await assert.rejects(q.dequeueAsync(null as never), InvalidArgumentError);
  assert.equal(q.stats().size, 1, 'a refused dequeue took the message');
  assert.deepEqual(await q.dequeueAsync(10), new Uint8Array([7]));
});

/** Runs the ES module `code` in a child Node whose address space is capped at 8 GB and returns the JSON it prints last. */
function underMemoryCap(code: string): Record<string, unknown> {
  // --jitless: no WebAssembly, whose reservations alone would exceed the cap (tsx then parses without it).
  const args = ['-c', 'ulimit -v 8000000 && exec "$0" "$@"', process.execPath, '--jitless', '--import', 'tsx', '--input-type=module', '-e', code];
  const r = spawnSync('/bin/sh', args, { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}
