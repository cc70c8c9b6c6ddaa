import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';
import { SpscRing } from '../../src/concurrency/spsc-ring.ts';
import { ConcurrencyErrorCode, RingTimeoutError } from '../../src/concurrency/errors.ts';
import { startWorker } from '../helpers/worker.ts';

const WORKER = new URL('./fixtures/ring-worker.ts', import.meta.url).href;
const start = (workerData: Record<string, unknown>, limitMs?: number) => startWorker(WORKER, workerData, limitMs);

test('messages of several lengths come out as they went in, across the wrap-around', () => {
  const ring = SpscRing.create({ capacityBytes: 64 });
  const p = ring.producer();
  const c = ring.consumer();
  for (let round = 0; round < 50; round++) {
    const msg = Uint8Array.from({ length: round % 13 }, (_, i) => (round * 7 + i) & 255);
    assert.equal(p.tryWrite(msg), true);
    assert.deepEqual(c.tryRead(), msg, `round ${round}`);
  }
  assert.equal(c.tryRead(), null);
});

test('a full ring refuses writes until the consumer frees space', () => {
  const ring = SpscRing.create({ capacityBytes: 64 });
  const p = ring.producer();
  const c = ring.consumer();
  let written = 0;
  while (p.tryWrite(new Uint8Array(4))) written++;
  assert.equal(written, 8, '8 frames of 4 + 4 bytes fill 64 bytes');
  assert.equal(ring.stats().usedBytes, 64);
  assert.ok(c.tryRead());
  assert.equal(p.tryWrite(new Uint8Array(4)), true);
  assert.equal(p.tryWrite(new Uint8Array(4)), false);
});

test('typed arrays of any kind are written and read as their bytes', () => {
  const ring = SpscRing.create({ capacityBytes: 256 });
  const p = ring.producer();
  const c = ring.consumer();
  const src = new Float64Array([1.5, -2.25, Math.PI]);
  p.tryWrite(src);
  const out = new Uint8Array(64);
  const n = c.tryReadInto(out);
  assert.equal(n, 24);
  assert.deepEqual(new Float64Array(out.buffer, 0, 3), src);
  p.tryWrite(new Uint8Array(60).fill(9));
  assert.throws(() => c.tryReadInto(new Uint8Array(10)), /SpscConsumer target length \(10\) must be at least the message length \(60\)/);
  assert.equal(c.peekLength(), 60, 'a too-small target leaves the message queued');
  assert.deepEqual(c.tryRead(), new Uint8Array(60).fill(9));
});

test('matches a plain array queue for random write/read sequences (property)', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('write' as const), len: fc.integer({ min: 0, max: 60 }), fill: fc.nat(255) }),
    fc.record({ kind: fc.constant('read' as const) }),
  );
  fc.assert(
    fc.property(fc.constantFrom(64, 128, 256), fc.array(op, { maxLength: 200 }), (cap, ops) => {
      const ring = SpscRing.create({ capacityBytes: cap });
      const p = ring.producer();
      const c = ring.consumer();
      const model: Uint8Array[] = [];
      let modelBytes = 0;
      for (const o of ops) {
        if (o.kind === 'write') {
          const msg = Uint8Array.from({ length: o.len }, (_, i) => (o.fill + i) & 255);
          const frame = 4 + ((o.len + 3) & ~3);
          const fits = modelBytes + frame <= cap;
          if (p.tryWrite(msg) !== fits) return false;
          if (fits) {
            model.push(msg);
            modelBytes += frame;
          }
        } else {
          const got = c.tryRead();
          const want = model.shift();
          if (want === undefined) {
            if (got !== null) return false;
          } else {
            modelBytes -= 4 + ((want.length + 3) & ~3);
            if (got === null || Buffer.compare(got, want) !== 0) return false;
          }
        }
        if (ring.stats().usedBytes !== modelBytes) return false;
      }
      return true;
    }),
    { seed: 4242, numRuns: 300 },
  );
});

test('bulk writes and reads move many messages per call and match the one-at-a-time API', () => {
  const ring = SpscRing.create({ capacityBytes: 128 });
  const p = ring.producer();
  const c = ring.consumer();
  const packed = Uint8Array.from({ length: 8 * 20 }, (_, i) => i);
  assert.equal(p.tryWriteBatch(packed, 8), 10, '10 frames of 12 bytes fit in 128');
  assert.equal(p.tryWriteBatch(packed, 8), 0, 'full');
  const out = new Uint8Array(256);
  const lengths = new Int32Array(4);
  assert.equal(c.tryReadBatch(out, lengths), 4, 'stops when lengths is full');
  assert.deepEqual([...lengths], [8, 8, 8, 8]);
  assert.deepEqual(out.subarray(0, 32), packed.subarray(0, 32));
  assert.deepEqual(c.tryRead(), packed.subarray(32, 40));
  assert.equal(p.tryWriteBatch(packed.subarray(80), 8, 3), 3, 'count limits the batch; wraps around');
  const small = new Uint8Array(20);
  assert.equal(c.tryReadBatch(small, new Int32Array(16)), 2, 'stops when the next message would overflow target');
  let rest = 0;
  while (c.tryReadBatch(out, new Int32Array(16)) > 0) rest++;
  assert.equal(ring.stats().usedBytes, 0);
  assert.ok(rest > 0);
  assert.throws(() => p.tryWriteBatch(packed, 125), /SpscProducer messageBytes \(125\) must be an integer from 0 to capacityBytes - 4 \(124\)/);
  assert.throws(() => p.tryWriteBatch(packed, 8, 21), /SpscProducer count \(21\) must be an integer from 0 to data.length \/ messageBytes \(20\)/);
  p.tryWrite(new Uint8Array(40));
  assert.throws(() => c.tryReadBatch(new Uint8Array(10), lengths), /target length \(10\) must be at least the message length \(40\)/);
});

test('bulk batches match a plain array queue model (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 5 })), { maxLength: 60 }), (steps) => {
      const ring = SpscRing.create({ capacityBytes: 64 });
      const p = ring.producer();
      const c = ring.consumer();
      const model: number[][] = [];
      let used = 0;
      let stamp = 0;
      for (const [size, count, maxRead] of steps) {
        const data = Uint8Array.from({ length: size * count }, () => stamp++ & 255);
        const frame = 4 + ((size + 3) & ~3);
        const expected = Math.min(count, Math.floor((64 - used) / frame));
        if (p.tryWriteBatch(data, size, count) !== expected) return false;
        for (let m = 0; m < expected; m++) model.push([...data.subarray(m * size, (m + 1) * size)]);
        used += expected * frame;
        const out = new Uint8Array(64);
        const lengths = new Int32Array(maxRead);
        const k = c.tryReadBatch(out, lengths);
        if (k !== Math.min(maxRead, model.length)) return false;
        let at = 0;
        for (let m = 0; m < k; m++) {
          const want = model.shift()!;
          if (lengths[m] !== want.length || want.some((b, i) => out[at + i] !== b)) return false;
          at += want.length;
          used -= 4 + ((want.length + 3) & ~3);
        }
      }
      return true;
    }),
    { seed: 99, numRuns: 300 },
  );
});

test('a second wrapper of the same buffer sees the same ring', () => {
  const a = SpscRing.create({ capacityBytes: 128 });
  const b = SpscRing.from(a.buffer);
  a.producer().tryWrite(new Uint8Array([1, 2, 3]));
  assert.equal(b.capacityBytes, 128);
  assert.deepEqual(b.consumer().tryRead(), new Uint8Array([1, 2, 3]));
});

test('bad capacities, oversized messages and foreign buffers throw typed errors naming the option', () => {
  for (const cap of [0, 32, 100, 63.5, 2 ** 31]) {
    assert.throws(() => SpscRing.create({ capacityBytes: cap }), (e: unknown) => e instanceof RangeError && /SpscRing capacityBytes \(.*\) must be a power of two from 64 to 2\^30/.test((e as Error).message), `capacity ${cap}`);
  }
  assert.throws(() => SpscRing.create(null as never), TypeError);
  const ring = SpscRing.create({ capacityBytes: 64 });
  assert.throws(() => ring.producer().tryWrite(new Uint8Array(61)), /SpscProducer message length \(61\) must be at most capacityBytes - 4 \(60\)/);
  assert.equal(ring.producer().tryWrite(new Uint8Array(60)), true, 'capacity - 4 is the largest message');
  assert.throws(() => ring.producer().tryWrite('abc' as never), TypeError);
  assert.throws(() => SpscRing.from(new ArrayBuffer(512) as never), /SpscRing.from buffer must be a SharedArrayBuffer/);
  assert.throws(() => SpscRing.from(new SharedArrayBuffer(512)), (e: unknown) => e instanceof TypeError && /magic/.test((e as Error).message));
  const wrongVersion = SpscRing.create({ capacityBytes: 64 }).buffer;
  new Int32Array(wrongVersion)[1] = 99;
  assert.throws(() => SpscRing.from(wrongVersion), /layout version 99/);
  assert.throws(() => SpscRing.create({ capacityBytes: 64 }).consumer().readInto(new Uint8Array(64), -1), /SpscConsumer readInto timeoutMs \(-1\) must be a number of ms from 0 to 2\^31 - 1/);
});

test('blocking and async waits time out with RingTimeoutError', async () => {
  const ring = SpscRing.create({ capacityBytes: 64 });
  const c = ring.consumer();
  assert.throws(() => c.readInto(new Uint8Array(64), 5), (e: unknown) => e instanceof RingTimeoutError && e.code === ConcurrencyErrorCode.RING_TIMEOUT);
  await assert.rejects(c.readAsync(5), RingTimeoutError);
  assert.throws(() => c.read(5), /SpscConsumer read timed out after 5 ms/);
  const p = ring.producer();
  while (p.tryWrite(new Uint8Array(8)));
  assert.throws(() => p.write(new Uint8Array(8), 5), /SpscProducer write timed out after 5 ms/);
  await assert.rejects(p.writeAsync(new Uint8Array(8), 5), RingTimeoutError);
  assert.throws(() => p.writeBatch(new Uint8Array(16), 8, 5), RingTimeoutError);
  const fresh = SpscRing.create({ capacityBytes: 64 }).consumer();
  assert.throws(() => fresh.readBatch(new Uint8Array(64), new Int32Array(4), 5), /SpscConsumer readBatch timed out after 5 ms/);
});

test('readAsync on the main thread wakes when a worker writes', async () => {
  const ring = SpscRing.create({ capacityBytes: 1024 });
  const { worker, result } = start({ role: 'spsc-producer', ring: ring.buffer, count: 3, timeoutMs: 5000 });
  try {
    const c = ring.consumer();
    for (let i = 0; i < 3; i++) {
      const msg = await c.readAsync(5000);
      assert.equal(new DataView(msg.buffer).getInt32(0, true), i);
    }
    assert.deepEqual(await result, { sent: 3 });
  } finally {
    await worker.terminate();
  }
});

test('a million 4-byte messages between two worker threads arrive once each, in order', async () => {
  const count = 1_000_000;
  const ring = SpscRing.create({ capacityBytes: 4096 });
  const progress = new SharedArrayBuffer(4);
  const producer = start({ role: 'spsc-producer', ring: ring.buffer, count, timeoutMs: 10_000 });
  const consumer = start({ role: 'spsc-consumer', ring: ring.buffer, count, timeoutMs: 10_000, progress });
  try {
    const [sent, received] = await Promise.all([producer.result, consumer.result]);
    assert.deepEqual(sent, { sent: count });
    assert.deepEqual(received, { received: count, ok: true });
  } finally {
    await Promise.all([producer.worker.terminate(), consumer.worker.terminate()]);
  }
});

test('a consumer terminated mid-run makes the producer fail with RingTimeoutError, not hang', async () => {
  const ring = SpscRing.create({ capacityBytes: 256 });
  const progress = new SharedArrayBuffer(4);
  const producer = start({ role: 'spsc-producer', ring: ring.buffer, count: 10_000_000, timeoutMs: 200 });
  const consumer = start({ role: 'spsc-consumer', ring: ring.buffer, count: 10_000_000, timeoutMs: 10_000, progress });
  consumer.result.catch(() => {});
  try {
    const counter = new Int32Array(progress);
    const deadline = Date.now() + 15_000;
    while (Atomics.load(counter, 0) < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.ok(Atomics.load(counter, 0) >= 1000, 'consumer made progress');
    await consumer.worker.terminate();
    const outcome = await producer.result;
    assert.equal(outcome.error, ConcurrencyErrorCode.RING_TIMEOUT);
    assert.ok((outcome.sent as number) < 10_000_000);
  } finally {
    await Promise.all([producer.worker.terminate(), consumer.worker.terminate()]);
  }
});

test('every call checks its timeout and target before touching the ring (a worker producer keeps every message)', async () => {
  const range = (e: unknown) => e instanceof OutOfRangeError && /timeoutMs \(.*\) must be a number of ms from 0 to 2\^31 - 1/.test((e as Error).message);
  const invalid = (e: unknown) => e instanceof InvalidArgumentError && e.code === ErrorCode.INVALID_ARG;
  // Producer side, on a ring with room: a refused write writes nothing.
  const side = SpscRing.create({ capacityBytes: 64 });
  const p = side.producer();
  assert.throws(() => p.write(new Uint8Array([1]), NaN), range);
  assert.throws(() => p.write(new Uint8Array([1]), 2 ** 31), range);
  assert.throws(() => p.write(new Uint8Array([1]), '5' as never), invalid);
  await assert.rejects(p.writeAsync(new Uint8Array([1]), -1), range);
  assert.throws(() => p.writeBatch(new Uint8Array(8), 4, NaN), range);
  assert.throws(() => p.write(NaN as never, 10), (e: unknown) => invalid(e) && /SpscProducer message must be a typed array or DataView/.test((e as Error).message));
  assert.equal(side.stats().usedBytes, 0, 'a refused write queued bytes');

  // Consumer side, against a producer thread: a refused read takes nothing.
  const ring = SpscRing.create({ capacityBytes: 256 });
  const count = 2000;
  const { worker, result } = start({ role: 'spsc-producer', ring: ring.buffer, count, timeoutMs: 20_000 });
  try {
    const c = ring.consumer();
    const buf = new Uint8Array(64);
    const view = new Int32Array(buf.buffer, 0, 1);
    for (let i = 0; i < count; i++) {
      if (i % 7 === 0) {
        assert.throws(() => c.readInto(NaN as never, 10), (e: unknown) => invalid(e) && /SpscConsumer readInto target must be a Uint8Array, got NaN/.test((e as Error).message));
        assert.throws(() => c.readInto(buf, NaN), range);
        assert.throws(() => c.read(null as never), invalid);
        assert.throws(() => c.readBatch(buf, new Int32Array(4), -1), range);
        assert.throws(() => c.readBatch(buf, [0, 0] as never, 10), invalid);
        assert.throws(() => c.tryReadInto([] as never), invalid);
        await assert.rejects(c.readAsync(Symbol('t') as never), invalid);
      }
      assert.equal(c.readInto(buf, 20_000), 4);
      assert.equal(view[0], i, 'a message was lost or reordered');
    }
    assert.deepEqual(await result, { sent: count });
    assert.equal(ring.stats().usedBytes, 0);
  } finally {
    await worker.terminate();
  }
});
