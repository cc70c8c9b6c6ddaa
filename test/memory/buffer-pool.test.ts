import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BufferPool } from '../../src/memory/buffer-pool.ts';
import { DoubleReleaseError, ForeignReleaseError, MemoryErrorCode } from '../../src/memory/errors.ts';
import { ErrorCode } from '../../src/errors.ts';

test('acquire returns a Buffer of exactly the requested size, backed by its power-of-two class', () => {
  const pool = new BufferPool({ minSize: 64, maxSize: 4096 });
  for (const [size, cls] of [[0, 64], [1, 64], [64, 64], [65, 128], [1000, 1024], [4096, 4096]] as const) {
    const buf = pool.acquire(size);
    assert.ok(Buffer.isBuffer(buf));
    assert.equal(buf.length, size);
    assert.equal(buf.buffer.byteLength, cls, `size ${size}`);
    assert.equal(pool.classSize(size), cls);
  }
});

test('a reused buffer is zero-filled by default', () => {
  const pool = new BufferPool({ minSize: 64, maxSize: 1024 });
  const a = pool.acquire(1000);
  a.fill(0xab);
  pool.release(a);
  const b = pool.acquire(1000);
  assert.equal(b.buffer, a.buffer, 'same backing reused');
  assert.ok(b.every((x) => x === 0));
  assert.equal(pool.stats().hits, 1);
});

test('zeroFill: false leaves old bytes in place', () => {
  const pool = new BufferPool({ zeroFill: false });
  const a = pool.acquire(100);
  a.fill(7);
  pool.release(a);
  const b = pool.acquire(100);
  assert.equal(b[99], 7);
});

test('retained bytes never exceed maxRetainedBytes; extra releases are dropped', () => {
  const pool = new BufferPool({ minSize: 1024, maxSize: 8192, maxRetainedBytes: 10_000 });
  const bufs = [pool.acquire(8192), pool.acquire(1024), pool.acquire(2048), pool.acquire(1024)];
  for (const b of bufs) pool.release(b);
  const s = pool.stats();
  assert.equal(s.retainedBytes, 8192 + 1024, 'the 2048 would pass the budget; the last 1024 would too');
  assert.equal(s.retained, 2);
  assert.equal(s.dropped, 2);
  assert.equal(s.inUse, 0);
  assert.equal(s.inUseBytes, 0);
});

test('double release and stale views throw DoubleReleaseError', () => {
  const pool = new BufferPool();
  const a = pool.acquire(100);
  pool.release(a);
  assert.throws(() => pool.release(a), (e: unknown) => e instanceof DoubleReleaseError && e.code === MemoryErrorCode.DOUBLE_RELEASE && /BufferPool/.test(e.message));
  const b = pool.acquire(100); // reuses a's backing
  assert.equal(b.buffer, a.buffer);
  assert.throws(() => pool.release(a), DoubleReleaseError, 'a stale view cannot release the new owner\'s buffer');
  pool.release(b);
});

test('foreign buffers throw ForeignReleaseError', () => {
  const pool = new BufferPool();
  const other = new BufferPool();
  assert.throws(() => pool.release(Buffer.alloc(64)), (e: unknown) => e instanceof ForeignReleaseError && e.code === MemoryErrorCode.FOREIGN_RELEASE);
  assert.throws(() => pool.release(other.acquire(64)), ForeignReleaseError);
  const mine = pool.acquire(64);
  assert.throws(() => pool.release(mine.subarray(1)), ForeignReleaseError, 'a slice is not the buffer handed out');
  assert.throws(() => pool.release('x' as unknown as Buffer), (e: unknown) => e instanceof TypeError && (e as { code?: string }).code === ErrorCode.INVALID_ARG);
});

test('bad sizes and options throw RangeErrors naming the option and the rule', () => {
  const pool = new BufferPool({ maxSize: 1024 });
  assert.throws(() => pool.acquire(1025), /BufferPool acquire size \(1025\) must be an integer from 0 to maxSize \(1024\)/);
  assert.throws(() => pool.acquire(-1), RangeError);
  assert.throws(() => pool.acquire(1.5), RangeError);
  assert.throws(() => new BufferPool({ minSize: 100 }), /BufferPool minSize \(100\) must be a power of two from 1 to 2\^30/);
  assert.throws(() => new BufferPool({ minSize: 128, maxSize: 64 }), /BufferPool maxSize \(64\) must be a power of two from minSize \(128\) to 2\^30/);
  assert.throws(() => new BufferPool({ maxRetainedBytes: -5 }), /BufferPool maxRetainedBytes \(-5\) must be a safe integer >= 0/);
  assert.throws(() => new BufferPool({ zeroFill: 1 as unknown as boolean }), TypeError);
});

test('clear drops retained backings', () => {
  const pool = new BufferPool();
  pool.release(pool.acquire(10));
  pool.clear();
  assert.deepEqual([pool.stats().retained, pool.stats().retainedBytes], [0, 0]);
});

test('matches a naive model: contents isolated, budget kept, counters exact (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.record({ acquire: fc.integer({ min: 0, max: 5000 }) }), fc.record({ release: fc.nat(30) })), { maxLength: 150 }),
      fc.integer({ min: 0, max: 20_000 }),
      (ops, budget) => {
        const pool = new BufferPool({ minSize: 16, maxSize: 8192, maxRetainedBytes: budget });
        const live: { buf: Buffer; fill: number }[] = [];
        const free = new Map<number, number>(); // class size -> count
        let retainedBytes = 0;
        let fillByte = 1;
        for (const op of ops) {
          if ('acquire' in op) {
            const cls = pool.classSize(op.acquire);
            const buf = pool.acquire(op.acquire);
            if (buf.length !== op.acquire || buf.some((x) => x !== 0)) return false;
            if ((free.get(cls) ?? 0) > 0) { free.set(cls, free.get(cls)! - 1); retainedBytes -= cls; }
            const fill = fillByte++ & 0xff;
            buf.fill(fill);
            live.push({ buf, fill });
          } else if (live.length > 0) {
            const [{ buf, fill }] = live.splice(op.release % live.length, 1);
            if (buf.some((x) => x !== fill)) return false; // another holder wrote into it
            pool.release(buf);
            const cls = buf.buffer.byteLength;
            if (retainedBytes + cls <= budget) { free.set(cls, (free.get(cls) ?? 0) + 1); retainedBytes += cls; }
          }
        }
        const s = pool.stats();
        return s.inUse === live.length && s.retainedBytes === retainedBytes && s.retainedBytes <= budget;
      },
    ),
    { seed: 4242, numRuns: 200 },
  );
});
