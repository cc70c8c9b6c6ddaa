import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryArena } from '../../src/memory/memory-arena.ts';
import { ArenaExhaustedError, MemoryErrorCode } from '../../src/memory/errors.ts';
import { ErrorCode } from '../../src/errors.ts';

test('views are carved from one chunk at the default 8-byte alignment', () => {
  const arena = new MemoryArena({ chunkBytes: 1024 });
  const a = arena.bytes(3);
  const b = arena.float64(4);
  const c = arena.dataView(5);
  const d = arena.int32(2, 1); // raised to the element size, 4
  assert.equal(a.buffer, b.buffer);
  assert.deepEqual([a.byteOffset, b.byteOffset, c.byteOffset, d.byteOffset], [0, 8, 40, 48]);
  assert.equal(b.length, 4);
  assert.equal(c.byteLength, 5);
  const s = arena.stats();
  assert.equal(s.usedBytes, 3 + 32 + 5 + 8);
  assert.equal(s.paddingBytes, 5 + 3);
  assert.equal(s.allocations, 4);
  assert.equal(s.chunks, 1);
});

test('a full chunk moves the arena to a new one; reset reuses chunks and zeroes them', () => {
  const arena = new MemoryArena({ chunkBytes: 256 });
  const first = arena.bytes(200);
  first.fill(9);
  const second = arena.bytes(100);
  assert.notEqual(first.buffer, second.buffer);
  second.fill(9);
  assert.equal(arena.stats().chunks, 2);
  assert.equal(arena.stats().capacityBytes, 512);
  arena.reset();
  const again = arena.bytes(256);
  assert.equal(again.buffer, first.buffer, 'the first chunk is reused');
  assert.ok(again.every((x) => x === 0), 'reset zeroed it');
  const next = arena.bytes(100);
  assert.equal(next.buffer, second.buffer);
  assert.ok(next.every((x) => x === 0));
  assert.equal(arena.stats().capacityBytes, 512, 'no new chunk after reset');
  assert.equal(arena.stats().resets, 1);
});

test('zeroOnReset: false leaves old bytes', () => {
  const arena = new MemoryArena({ chunkBytes: 128, zeroOnReset: false });
  arena.bytes(16).fill(3);
  arena.reset();
  assert.equal(arena.bytes(16)[0], 3);
});

test('an allocation larger than a chunk gets its own chunk, dropped on reset', () => {
  const arena = new MemoryArena({ chunkBytes: 256 });
  const small1 = arena.bytes(8);
  const big = arena.float64(100); // 800 bytes
  const small2 = arena.bytes(8);
  assert.notEqual(big.buffer, small1.buffer);
  assert.equal(big.buffer.byteLength, 800);
  assert.equal(small2.buffer, small1.buffer, 'small allocations keep filling the regular chunk');
  assert.equal(small2.byteOffset, 8);
  assert.deepEqual([arena.stats().chunks, arena.stats().largeAllocations, arena.stats().capacityBytes], [2, 1, 1056]);
  arena.reset();
  assert.deepEqual([arena.stats().chunks, arena.stats().capacityBytes], [1, 256]);
});

test('wasm backing: chunks are whole 64 KiB pages and 4096-aligned views land on page offsets', () => {
  const arena = new MemoryArena({ backing: 'wasm', chunkBytes: 10_000 });
  assert.equal(arena.chunkBytes, 65536);
  arena.bytes(1);
  const page = arena.bytes(4096, 4096);
  assert.equal(page.byteOffset, 4096);
  assert.equal(page.buffer.byteLength % 65536, 0);
  const big = arena.bytes(100_000, 4096);
  assert.equal(big.buffer.byteLength, 131072);
  assert.equal(big.byteOffset, 0);
});

test('maxBytes bounds the arena with ArenaExhaustedError', () => {
  const arena = new MemoryArena({ chunkBytes: 128, maxBytes: 256 });
  arena.bytes(128);
  arena.bytes(128);
  assert.throws(() => arena.bytes(1), (e: unknown) => e instanceof ArenaExhaustedError && e.code === MemoryErrorCode.ARENA_EXHAUSTED && e.maxBytes === 256);
  arena.reset();
  arena.bytes(128);
});

test('bad sizes and alignments throw RangeErrors naming the option and the rule', () => {
  const arena = new MemoryArena();
  const isRange = (re: RegExp) => (e: unknown) => e instanceof RangeError && (e as { code?: string }).code === ErrorCode.OUT_OF_RANGE && re.test(e.message);
  assert.throws(() => arena.bytes(8, 3), isRange(/MemoryArena alignment \(3\) must be a power of two from 1 to 4096/));
  assert.throws(() => arena.bytes(8, 8192), isRange(/alignment \(8192\)/));
  assert.throws(() => arena.float64(8, 3), isRange(/MemoryArena alignment \(3\)/), 'checked before raising to the element size');
  assert.throws(() => arena.float64(-1), isRange(/MemoryArena Float64Array length \(-1\) must be an integer from 0 to/));
  assert.throws(() => arena.dataView(1.5), isRange(/MemoryArena dataView byteLength \(1.5\) must be an integer from 0 to 2\^30/));
  assert.throws(() => new MemoryArena({ alignment: 12 }), isRange(/MemoryArena alignment \(12\)/));
  assert.throws(() => new MemoryArena({ chunkBytes: 10 }), isRange(/MemoryArena chunkBytes \(10\) must be an integer from 64 to 2\^30/));
  assert.throws(() => new MemoryArena({ chunkBytes: 1024, maxBytes: 100 }), isRange(/MemoryArena maxBytes \(100\) must be a safe integer >= chunkBytes \(1024\)/));
  assert.throws(() => new MemoryArena({ backing: 'mmap' as 'wasm' }), TypeError);
});

test('allocations are aligned, zeroed, inside their buffer and never overlap (property)', () => {
  const alloc = fc.record({ bytes: fc.integer({ min: 0, max: 700 }), alignShift: fc.integer({ min: 0, max: 8 }), kind: fc.constantFrom('u8', 'f64', 'view') });
  fc.assert(
    fc.property(fc.array(fc.array(alloc, { maxLength: 40 }), { minLength: 1, maxLength: 4 }), (frames) => {
      const arena = new MemoryArena({ chunkBytes: 512 });
      for (const frame of frames) {
        const spans: { buffer: ArrayBufferLike; start: number; end: number }[] = [];
        let used = 0;
        for (const a of frame) {
          const align = 1 << a.alignShift;
          let view: ArrayBufferView;
          if (a.kind === 'u8') view = arena.bytes(a.bytes, align);
          else if (a.kind === 'f64') view = arena.float64(a.bytes >> 3, align);
          else view = arena.dataView(a.bytes, align);
          const effective = a.kind === 'f64' ? Math.max(8, align) : align;
          if (view.byteOffset % effective !== 0) return false;
          if (view.byteOffset + view.byteLength > view.buffer.byteLength) return false;
          const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
          if (bytes.some((x) => x !== 0)) return false;
          bytes.fill(0xff);
          const span = { buffer: view.buffer, start: view.byteOffset, end: view.byteOffset + view.byteLength };
          if (spans.some((s) => s.buffer === span.buffer && s.start < span.end && span.start < s.end)) return false;
          spans.push(span);
          used += view.byteLength;
        }
        if (arena.stats().usedBytes !== used || arena.stats().allocations !== frame.length) return false;
        arena.reset();
      }
      return true;
    }),
    { seed: 77, numRuns: 200 },
  );
});
