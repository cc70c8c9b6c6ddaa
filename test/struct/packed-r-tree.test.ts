import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { PackedRTree, PackedRTreeStateError, PACKED_R_TREE_STATE, hilbert16 } from '../../src/struct/packed-r-tree.ts';
import { ErrorCode } from '../../src/errors.ts';
import { tsWorkerBoot } from '../../scripts/ts-worker.ts';

type Tuple = [number, number, number, number];

// ---------------------------------------------------------------------------
// Naive model: a linear scan over the boxes, ids being positions.

function scan(boxes: readonly Tuple[], minX: number, minY: number, maxX: number, maxY: number): number[] {
  const out: number[] = [];
  boxes.forEach(([a, b, c, d], id) => {
    if (a <= maxX && b <= maxY && c >= minX && d >= minY) out.push(id);
  });
  return out;
}

function distance2([a, b, c, d]: Tuple, x: number, y: number): number {
  const dx = Math.max(a - x, 0, x - c);
  const dy = Math.max(b - y, 0, y - d);
  return dx * dx + dy * dy;
}

const sorted = (ids: number[]): number[] => [...ids].sort((a, b) => a - b);

function assertNearest(got: number[], boxes: readonly Tuple[], x: number, y: number, k: number, maxDistance = Infinity): void {
  const expected = boxes
    .map((b) => distance2(b, x, y))
    .filter((d) => d <= maxDistance * maxDistance)
    .sort((a, b) => a - b)
    .slice(0, k);
  assert.deepEqual(got.map((id) => distance2(boxes[id]!, x, y)), expected);
  assert.equal(new Set(got).size, got.length, 'no id twice');
}

function build(boxes: readonly Tuple[], nodeSize?: number, shared?: boolean): PackedRTree {
  const index = new PackedRTree(boxes.length, { nodeSize, shared });
  for (const [a, b, c, d] of boxes) index.add(a, b, c, d);
  return index.finish();
}

const coord = fc.integer({ min: -100, max: 100 });
const tupleArb = fc.tuple(coord, coord, fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 })).map(([x, y, w, h]): Tuple => [x, y, x + w, y + h]);

/** Deterministic boxes for the fixed-size tests. */
function grid(count: number): Tuple[] {
  const out: Tuple[] = [];
  for (let i = 0; i < count; i++) {
    const x = (i * 7919) % 1009;
    const y = (i * 104729) % 1013;
    out.push([x, y, x + (i % 5), y + (i % 3)]);
  }
  return out;
}

// ---------------------------------------------------------------------------

test('build, search, collides, nearest and boxOf on a small index', () => {
  const boxes: Tuple[] = [[0, 0, 2, 2], [5, 5, 6, 8], [3, 3, 3, 3]];
  const index = new PackedRTree(3);
  assert.equal(index.isReady, false);
  assert.equal(index.add(0, 0, 2, 2), 0);
  assert.equal(index.add(5, 5, 6, 8), 1);
  assert.equal(index.add(3, 3, 3, 3), 2);
  index.finish();
  assert.equal(index.isReady, true);
  assert.deepEqual(sorted(index.search(1, 1, 3, 3)), [0, 2]);
  assert.deepEqual(index.search(2, 2, 2, 2), [0], 'touching edges count');
  assert.deepEqual(sorted(index.search(-Infinity, -Infinity, Infinity, Infinity)), [0, 1, 2]);
  assert.equal(index.collides(4, 4, 4.5, 4.5), false);
  assert.equal(index.collides(5.5, 7, 9, 9), true);
  assert.deepEqual(index.nearest(3.2, 3.2, 2), [2, 0]);
  assert.deepEqual(index.nearest(3.2, 3.2, 5, 2), [2, 0]);
  assert.deepEqual(index.nearest(3.2, 3.2, 3, Infinity, (id) => id !== 2), [0, 1]);
  assert.deepEqual(index.boxOf(1), { minX: 5, minY: 5, maxX: 6, maxY: 8 });
  assert.deepEqual([index.minX, index.minY, index.maxX, index.maxY], [0, 0, 6, 8]);
  assert.equal(index.data.byteLength, index.byteLength);
  assert.deepEqual(boxes.map((_, id) => id), [0, 1, 2]);
});

for (const nodeSize of [2, 4, 16, 100]) {
  test(`search, collides and nearest match a linear scan (property, nodeSize ${nodeSize})`, () => {
    fc.assert(
      fc.property(
        fc.array(tupleArb, { minLength: 1, maxLength: 400, size: 'max' }),
        fc.array(fc.tuple(tupleArb, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 60 })), { minLength: 1, maxLength: 8 }),
        (boxes, queries) => {
          const index = build(boxes, nodeSize);
          for (const [[a, b, c, d], k, maxDistance] of queries) {
            const expected = scan(boxes, a, b, c, d);
            assert.deepEqual(sorted(index.search(a, b, c, d)), expected);
            assert.equal(index.collides(a, b, c, d), expected.length > 0);
            assertNearest(index.nearest(a, b, k), boxes, a, b, k);
            assertNearest(index.nearest(c, d, k, maxDistance), boxes, c, d, k, maxDistance);
            const odd = index.nearest(a, d, k, Infinity, (id) => id % 2 === 1);
            assert.ok(odd.every((id) => id % 2 === 1));
            assertNearest(odd.map((id) => (id - 1) / 2), boxes.filter((_, id) => id % 2 === 1), a, d, k);
          }
          return true;
        },
      ),
      { seed: 3000 + nodeSize, numRuns: 80 },
    );
  });
}

test('clustered boxes (large runs of equal sort keys) match a linear scan (property)', () => {
  const small = fc.integer({ min: 0, max: 3 });
  const clustered = fc.tuple(small, small, small, small).map(([x, y, w, h]): Tuple => [x, y, x + w, y + h]);
  fc.assert(
    fc.property(
      fc.array(fc.oneof({ weight: 9, arbitrary: clustered }, { weight: 1, arbitrary: tupleArb }), { minLength: 33, maxLength: 1500, size: 'max' }),
      fc.array(tupleArb, { minLength: 1, maxLength: 5 }),
      (boxes, queries) => {
        const index = build(boxes, 4);
        for (const [a, b, c, d] of [...queries, [1, 1, 2, 2] as Tuple]) {
          assert.deepEqual(sorted(index.search(a, b, c, d)), scan(boxes, a, b, c, d));
          assertNearest(index.nearest(a, b, 6), boxes, a, b, 6);
          assertNearest(index.nearest(c, d, 100), boxes, c, d, 100);
        }
        return true;
      },
    ),
    { seed: 4242, numRuns: 40 },
  );
});

test('floating-point boxes: search matches a linear scan (property)', () => {
  const f = fc.double({ min: -1e9, max: 1e9, noNaN: true });
  fc.assert(
    fc.property(fc.array(fc.tuple(f, f, f, f), { minLength: 1, maxLength: 300, size: 'max' }), fc.tuple(f, f, f, f), (raw, [p, q, r, s]) => {
      const boxes = raw.map(([a, b, c, d]): Tuple => [Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)]);
      const index = build(boxes, 8);
      const [x0, x1, y0, y1] = [Math.min(p, r), Math.max(p, r), Math.min(q, s), Math.max(q, s)];
      assert.deepEqual(sorted(index.search(x0, y0, x1, y1)), scan(boxes, x0, y0, x1, y1));
      return true;
    }),
    { seed: 99, numRuns: 100 },
  );
});

test('from() rebuilds the index over the same buffer, without copying, also at an offset', () => {
  const boxes = grid(5000);
  const index = build(boxes);
  const again = PackedRTree.from(index.data);
  assert.equal(again.data, index.data);
  assert.equal(again.numItems, 5000);
  assert.equal(again.nodeSize, 16);
  assert.equal(again.isReady, true);
  assert.deepEqual([again.minX, again.minY, again.maxX, again.maxY], [index.minX, index.minY, index.maxX, index.maxY]);
  for (const [a, b, c, d] of grid(50)) {
    assert.deepEqual(again.search(a, b, c + 20, d + 20), index.search(a, b, c + 20, d + 20));
    assert.deepEqual(again.nearest(a, b, 7), index.nearest(a, b, 7));
  }
  const bigger = new ArrayBuffer(index.byteLength + 16);
  new Uint8Array(bigger, 8).set(new Uint8Array(index.data));
  const shifted = PackedRTree.from(bigger, 8);
  assert.deepEqual(shifted.search(0, 0, 300, 300), index.search(0, 0, 300, 300));
  assert.equal(shifted.boxOf(42).minX, boxes[42]![0]);
});

test('from() rejects foreign bytes with a typed error', () => {
  const index = build(grid(100));
  const bytes = new Uint8Array(index.data.slice(0));
  const isInvalid = (pattern: RegExp) => (e: unknown) =>
    e instanceof TypeError && (e as { code?: string }).code === ErrorCode.INVALID_ARG && pattern.test((e as Error).message);
  const wrongMagic = bytes.slice();
  wrongMagic[0] = 0xfb;
  assert.throws(() => PackedRTree.from(wrongMagic.buffer), isInvalid(/magic byte 0xfb; a PackedRTree starts with 0xb7/));
  const wrongVersion = bytes.slice();
  wrongVersion[1] = 9;
  assert.throws(() => PackedRTree.from(wrongVersion.buffer), isInvalid(/format version 9; this build reads version 1/));
  assert.throws(() => PackedRTree.from(bytes.buffer.slice(0, 100)), isInvalid(/100 items need/));
  assert.throws(() => PackedRTree.from(new ArrayBuffer(4)), isInvalid(/shorter than the 8-byte header/));
  assert.throws(() => PackedRTree.from(bytes as unknown as ArrayBuffer), isInvalid(/must be an ArrayBuffer or SharedArrayBuffer/));
  assert.throws(() => PackedRTree.from(bytes.buffer, 3), RangeError);
});

test('bad input: NaN and inverted boxes, node sizes and item counts throw RangeError naming the rule', () => {
  const isRange = (pattern: RegExp) => (e: unknown) =>
    e instanceof RangeError && (e as { code?: string }).code === ErrorCode.OUT_OF_RANGE && pattern.test((e as Error).message);
  const index = new PackedRTree(4);
  assert.throws(() => index.add(NaN, 0, 1, 1), isRange(/PackedRTree add minX \(NaN\) must be a finite number/));
  assert.throws(() => index.add(0, 0, 1, Infinity), isRange(/maxY \(Infinity\) must be a finite number/));
  assert.throws(() => index.add(2, 0, 1, 1), isRange(/PackedRTree add minX \(2\) must be <= maxX \(1\)/));
  assert.throws(() => index.add(0, 2, 1, 1), isRange(/minY \(2\) must be <= maxY \(1\)/));
  for (const nodeSize of [1, 0, 65536, 2.5, NaN]) {
    assert.throws(() => new PackedRTree(10, { nodeSize }), isRange(/PackedRTree nodeSize \(.+\) must be an integer from 2 to 65535/), String(nodeSize));
  }
  for (const numItems of [0, -1, 1.5, 2 ** 32]) {
    assert.throws(() => new PackedRTree(numItems), isRange(/PackedRTree numItems \(.+\) must be an integer from 1 to 4294967295/));
  }
  const done = build(grid(10));
  assert.throws(() => done.search(NaN, 0, 1, 1), isRange(/search minX \(NaN\)/));
  assert.throws(() => done.search(0, 5, 1, 1), isRange(/minY \(5\) must be <= maxY \(1\)/));
  assert.throws(() => done.nearest(0, NaN), RangeError);
  assert.throws(() => done.nearest(0, 0, 1.5), isRange(/k \(1.5\) must be a non-negative integer/));
  assert.throws(() => done.boxOf(10), isRange(/boxOf id \(10\) must be an integer from 0 to 9/));
});

test('calls in the wrong phase throw PackedRTreeStateError with a stable code', () => {
  const index = new PackedRTree(2);
  const isState = (e: unknown) => e instanceof PackedRTreeStateError && e.code === PACKED_R_TREE_STATE;
  assert.throws(() => index.search(0, 0, 1, 1), isState);
  assert.throws(() => index.nearest(0, 0), isState);
  assert.throws(() => index.collides(0, 0, 1, 1), isState);
  index.add(0, 0, 1, 1);
  assert.throws(() => index.finish(), (e: unknown) => isState(e) && /1 of 2 items were added/.test((e as Error).message));
  index.add(1, 1, 2, 2);
  assert.throws(() => index.add(3, 3, 4, 4), (e: unknown) => isState(e) && /all 2 items were already added/.test((e as Error).message));
  index.finish();
  assert.throws(() => index.finish(), isState);
});

test('hilbert16 walks a continuous curve through every cell', () => {
  // Order 8 (256 x 256 cells, the top 16 bits of the order-16 value).
  const cells = new Int32Array(65536).fill(-1);
  for (let x = 0; x < 256; x++) {
    for (let y = 0; y < 256; y++) {
      const d = hilbert16(x << 8, y << 8) >>> 16;
      assert.equal(cells[d], -1, `cell ${d} visited twice`);
      cells[d] = (x << 8) | y;
    }
  }
  for (let d = 1; d < 65536; d++) {
    const [ax, ay, bx, by] = [cells[d - 1]! >> 8, cells[d - 1]! & 255, cells[d]! >> 8, cells[d]! & 255];
    assert.equal(Math.abs(ax - bx) + Math.abs(ay - by), 1, `step ${d}`);
  }
  assert.equal(hilbert16(0, 0), 0);
  assert.equal(hilbert16(65535, 0), 2 ** 32 - 1);
});

const WORKER = new URL('./fixtures/packed-r-tree-worker.ts', import.meta.url).href;
// Node 20 ignores `--import` in a Worker's execArgv, so the worker registers
// tsx's loader itself before importing the TypeScript entry.
const BOOT = tsWorkerBoot(WORKER);

async function queryInWorker(data: ArrayBuffer | SharedArrayBuffer, transfer: boolean, queries: Tuple[], points: [number, number][]) {
  const worker = new Worker(BOOT, { eval: true });
  try {
    // Messages queue on the worker's port until its listener is attached.
    worker.postMessage({ data, queries, points }, transfer ? [data as ArrayBuffer] : []);
    // once() rejects if the worker emits 'error' first.
    const [reply] = await once(worker, 'message');
    return reply as { isShared: boolean; numItems: number; search: number[][]; nearest: number[][] };
  } finally {
    await worker.terminate();
  }
}

for (const shared of [false, true]) {
  test(`a worker thread queries the ${shared ? 'shared' : 'transferred'} buffer and gets the main thread's results`, async () => {
    const boxes = grid(20_000);
    const index = build(boxes, 16, shared);
    const queries: Tuple[] = grid(40).map(([a, b, c, d]) => [a, b, c + 30, d + 30]);
    const points = grid(40).map(([a, b]): [number, number] => [a + 0.5, b + 0.25]);
    const expectedSearch = queries.map(([a, b, c, d]) => index.search(a, b, c, d));
    const expectedNearest = points.map(([x, y]) => index.nearest(x, y, 5));
    assert.ok(expectedSearch.some((r) => r.length > 1), 'queries hit something');
    const reply = await queryInWorker(index.data, !shared, queries, points);
    assert.equal(reply.isShared, shared);
    assert.equal(reply.numItems, 20_000);
    assert.deepEqual(reply.search, expectedSearch);
    assert.deepEqual(reply.nearest, expectedNearest);
    if (shared) {
      // Still usable here: both threads read the same memory.
      assert.deepEqual(index.search(...queries[0]!), expectedSearch[0]);
    } else {
      assert.equal(index.data.byteLength, 0, 'the transferred buffer is detached on this side');
    }
  });
}

// Issue 11 §4: add() coerced null, [], true, '5' to 0, 0, 1, 5; a huge numItems failed with V8's untyped allocation error.
test('add refuses non-number coordinates instead of coercing them, and the index still fills', () => {
  const index = new PackedRTree(2);
  assert.throws(
    () => index.add(null as unknown as number, [] as unknown as number, true as unknown as number, '5' as unknown as number),
    (e: Error & { code?: string }) => e instanceof TypeError && e.code === ErrorCode.INVALID_ARG && /PackedRTree add minX must be a finite number, got null/.test(e.message),
  );
  assert.throws(() => index.add(0n as unknown as number, 0, 1, 1), (e: Error & { code?: string }) => e.code === ErrorCode.INVALID_ARG);
  assert.throws(() => index.add(0, 0, Number.NaN, 1), RangeError);
  assert.throws(() => index.add(2, 0, 1, 1), (e: Error & { code?: string }) => e.code === ErrorCode.OUT_OF_RANGE && /minX \(2\) must be <= maxX/.test(e.message));
  assert.equal(index.add(0, 0, 1, 1), 0);
  assert.equal(index.add(2, 2, 3, 3), 1);
  index.finish();
  assert.deepEqual(index.search(0, 0, 1, 1), [0]);
});

test('a numItems too large to allocate throws OutOfRangeError, not an untyped allocation failure', () => {
  assert.throws(
    () => new PackedRTree(2 ** 31),
    (e: Error & { code?: string }) => e instanceof RangeError && e.code === ErrorCode.OUT_OF_RANGE && /PackedRTree numItems/.test(e.message),
  );
  assert.throws(() => new PackedRTree('5' as unknown as number), (e: Error & { code?: string }) => e.code === ErrorCode.INVALID_ARG && /PackedRTree numItems/.test(e.message));
});

test('hilbert16 refuses non-integers and values outside 0..65535 instead of truncating them', () => {
  assert.throws(() => hilbert16(3, new Uint8Array(4) as unknown as number), (e: Error & { code?: string }) => e.code === ErrorCode.INVALID_ARG && /hilbert16 y/.test(e.message));
  assert.throws(() => hilbert16(65536, 0), (e: Error & { code?: string }) => e.code === ErrorCode.OUT_OF_RANGE && /hilbert16 x \(65536\)/.test(e.message));
  assert.throws(() => hilbert16(0.5, 0), RangeError);
  assert.equal(hilbert16(0, 0), 0);
});
