import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RTree, type Box } from '../../src/struct/r-tree.ts';
import { ErrorCode } from '../../src/errors.ts';

interface Item extends Box {
  id: number;
}

// ---------------------------------------------------------------------------
// Naive model: a linear scan over an array of items.

function intersects(a: Box, minX: number, minY: number, maxX: number, maxY: number): boolean {
  return a.minX <= maxX && a.minY <= maxY && a.maxX >= minX && a.maxY >= minY;
}

function distance2(b: Box, x: number, y: number): number {
  const dx = Math.max(b.minX - x, 0, x - b.maxX);
  const dy = Math.max(b.minY - y, 0, y - b.maxY);
  return dx * dx + dy * dy;
}

function ids(items: readonly Item[]): number[] {
  return items.map((i) => i.id).sort((a, b) => a - b);
}

/** kNN check that allows ties in any order: same distance sequence, every result a real item. */
function assertNearest(got: Item[], model: Item[], x: number, y: number, k: number, maxDistance = Infinity): void {
  const expected = model
    .map((i) => distance2(i, x, y))
    .filter((d) => d <= maxDistance * maxDistance)
    .sort((a, b) => a - b)
    .slice(0, k);
  assert.deepEqual(
    got.map((i) => distance2(i, x, y)),
    expected,
  );
  assert.equal(new Set(got).size, got.length, 'no item twice');
  for (const item of got) assert.ok(model.includes(item));
}

const coord = fc.integer({ min: -50, max: 50 });
const boxArb = fc.tuple(coord, coord, fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }));
const queryArb = fc.tuple(coord, coord, fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 }));

function toItems(tuples: [number, number, number, number][]): Item[] {
  return tuples.map(([x, y, w, h], id) => ({ minX: x, minY: y, maxX: x + w, maxY: y + h, id }));
}

// ---------------------------------------------------------------------------

test('insert, search, collides, all, size, bounds and clear', () => {
  const tree = new RTree<Item>();
  assert.equal(tree.size, 0);
  assert.deepEqual(tree.search(-Infinity, -Infinity, Infinity, Infinity), []);
  assert.equal(tree.bounds(), undefined);
  const a = { minX: 0, minY: 0, maxX: 2, maxY: 2, id: 1 };
  const b = { minX: 5, minY: 5, maxX: 6, maxY: 8, id: 2 };
  const c = { minX: 3, minY: 3, maxX: 3, maxY: 3, id: 3 }; // a point
  tree.insert(a).insert(b).insert(c);
  assert.equal(tree.size, 3);
  assert.deepEqual(tree.search(1, 1, 3, 3).sort((p, q) => p.id - q.id), [a, c]);
  assert.deepEqual(tree.search(2, 2, 2, 2), [a], 'touching edges count');
  assert.equal(tree.collides(4, 4, 4.5, 4.5), false);
  assert.equal(tree.collides(5.5, 7, 9, 9), true);
  assert.deepEqual(ids(tree.all()), [1, 2, 3]);
  assert.deepEqual(tree.bounds(), { minX: 0, minY: 0, maxX: 6, maxY: 8 });
  assert.deepEqual(tree.nearest(3.2, 3.2, 2), [c, a]);
  tree.clear();
  assert.equal(tree.size, 0);
  assert.deepEqual(tree.all(), []);
  assert.equal(tree.collides(-Infinity, -Infinity, Infinity, Infinity), false);
});

test('a large tree splits into several levels and still finds everything', () => {
  const tree = new RTree<Item>({ maxEntries: 4 });
  const items: Item[] = [];
  for (let i = 0; i < 2000; i++) {
    const x = (i * 7919) % 1000;
    const y = (i * 104729) % 997;
    items.push({ minX: x, minY: y, maxX: x + 3, maxY: y + 3, id: i });
  }
  for (const item of items) tree.insert(item);
  assert.ok(tree.height >= 4, `height ${tree.height}`);
  assert.equal(tree.size, 2000);
  assert.deepEqual(ids(tree.all()), items.map((i) => i.id));
  assert.deepEqual(ids(tree.search(100, 100, 300, 300)), ids(items.filter((i) => intersects(i, 100, 100, 300, 300))));
  for (const item of items) assert.ok(tree.remove(item));
  assert.equal(tree.size, 0);
  assert.equal(tree.height, 1);
});

test('bad boxes are rejected with RangeError naming the coordinate and the rule', () => {
  const tree = new RTree();
  const cases: [Box, RegExp][] = [
    [{ minX: NaN, minY: 0, maxX: 1, maxY: 1 }, /RTree insert minX \(NaN\) must be a finite number/],
    [{ minX: 0, minY: 0, maxX: 1, maxY: NaN }, /RTree insert maxY \(NaN\) must be a finite number/],
    [{ minX: 0, minY: 0, maxX: Infinity, maxY: 1 }, /maxX \(Infinity\) must be a finite number/],
    [{ minX: 2, minY: 0, maxX: 1, maxY: 1 }, /RTree insert minX \(2\) must be <= maxX \(1\)/],
    [{ minX: 0, minY: 3, maxX: 1, maxY: 1 }, /RTree insert minY \(3\) must be <= maxY \(1\)/],
  ];
  for (const [box, message] of cases) {
    assert.throws(() => tree.insert(box), (e: unknown) => e instanceof RangeError && (e as { code?: string }).code === ErrorCode.OUT_OF_RANGE && message.test((e as Error).message));
  }
  assert.throws(() => tree.load([{ minX: 0, minY: 0, maxX: 1, maxY: 1 }, { minX: 1, minY: 0, maxX: 0, maxY: 1 }]), /RTree load item 1 minX \(1\) must be <= maxX \(0\)/);
  assert.equal(tree.size, 0, 'a rejected load leaves the tree unchanged');
  assert.throws(() => tree.search(NaN, 0, 1, 1), RangeError);
  assert.throws(() => tree.search(2, 0, 1, 1), /RTree search minX \(2\) must be <= maxX \(1\)/);
  assert.throws(() => tree.collides(0, 0, 1, NaN), RangeError);
  assert.throws(() => tree.nearest(NaN, 0), RangeError);
  assert.throws(() => tree.nearest(0, 0, -1), /RTree nearest k \(-1\) must be a non-negative integer/);
  assert.throws(() => tree.nearest(0, 0, 1, -1), /maxDistance \(-1\) must be a number >= 0/);
  assert.throws(() => tree.load('boxes' as unknown as Box[]), TypeError);
  assert.throws(() => tree.insert(null as unknown as Box), /RTree insert must be an object with minX, minY, maxX, maxY, got null/);
  assert.throws(() => tree.remove({ minX: 0, minY: 0, maxX: 1, maxY: 1 }, 'eq' as never), (e: unknown) => e instanceof TypeError);
});

test('invalid node sizes throw RangeError naming the option and the rule', () => {
  for (const maxEntries of [3, 257, 4.5, NaN]) {
    assert.throws(
      () => new RTree({ maxEntries }),
      (e: unknown) => e instanceof RangeError && /RTree maxEntries \(.+\) must be an integer from 4 to 256/.test((e as Error).message),
      String(maxEntries),
    );
  }
  assert.throws(() => new RTree(null as never), TypeError);
  assert.equal(new RTree({ maxEntries: 4 }).maxEntries, 4);
  assert.equal(new RTree().maxEntries, 16);
});

test('remove uses identity by default, or the given equality function', () => {
  const tree = new RTree<Item>();
  const a = { minX: 0, minY: 0, maxX: 1, maxY: 1, id: 7 };
  tree.insert(a);
  assert.equal(tree.remove({ ...a }), false, 'a copy is not the same item');
  assert.equal(tree.remove({ ...a }, (x, y) => x.id === y.id), true);
  assert.equal(tree.size, 0);
  assert.equal(tree.remove(a), false, 'already gone');
  assert.equal(tree.remove({ minX: NaN, minY: 0, maxX: 1, maxY: 1, id: 0 }), false);
});

test('toJSON and fromJSON round-trip the items and the node size', () => {
  const items = toItems([[0, 0, 1, 1], [5, 5, 2, 2], [9, 1, 0, 0]]);
  const tree = new RTree<Item>({ maxEntries: 5 }).load(items);
  const copy = RTree.fromJSON<Item>(JSON.parse(JSON.stringify(tree)));
  assert.equal(copy.maxEntries, 5);
  assert.equal(copy.size, 3);
  assert.deepEqual(ids(copy.search(0, 0, 6, 6)), [0, 1]);
  assert.throws(() => RTree.fromJSON(null as never), TypeError);
  assert.throws(() => RTree.fromJSON({ maxEntries: 2, items: [] }), /RTree maxEntries \(2\) must be an integer from 4 to 256/);
});

test('nearest honours k, maxDistance and filter', () => {
  const tree = new RTree<Item>();
  const items = toItems([[0, 0, 0, 0], [10, 0, 0, 0], [20, 0, 0, 0], [30, 0, 0, 0]]);
  tree.load(items);
  assert.deepEqual(ids(tree.nearest(0, 0, 10)), [0, 1, 2, 3]);
  assert.deepEqual(tree.nearest(0, 0, 10, 15).map((i) => i.id), [0, 1]);
  assert.deepEqual(tree.nearest(0, 0, 2, Infinity, (i) => i.id % 2 === 1).map((i) => i.id), [1, 3]);
  assert.deepEqual(tree.nearest(0, 0, 0), []);
});

for (const maxEntries of [4, 9, 16]) {
  test(`search, collides and nearest match a linear scan (property, maxEntries ${maxEntries})`, () => {
    fc.assert(
      fc.property(fc.array(boxArb, { maxLength: 300, size: 'max' }), fc.array(queryArb, { minLength: 1, maxLength: 10 }), fc.boolean(), (tuples, queries, bulk) => {
        const items = toItems(tuples);
        const tree = new RTree<Item>({ maxEntries });
        if (bulk) tree.load(items);
        else for (const item of items) tree.insert(item);
        if (tree.size !== items.length) return false;
        for (const [x, y, w, h] of queries) {
          const expected = items.filter((i) => intersects(i, x, y, x + w, y + h));
          assert.deepEqual(ids(tree.search(x, y, x + w, y + h)), ids(expected));
          assert.equal(tree.collides(x, y, x + w, y + h), expected.length > 0);
          const k = (w % 7) + 1;
          assertNearest(tree.nearest(x, y, k), items, x, y, k);
          assertNearest(tree.nearest(x, y, k, h), items, x, y, k, h);
          const even = tree.nearest(x, y, k, Infinity, (i) => i.id % 2 === 0);
          assertNearest(even, items.filter((i) => i.id % 2 === 0), x, y, k);
          assertNearest(tree.nearest(x, y, 70), items, x, y, 70);
        }
        return true;
      }),
      { seed: 1000 + maxEntries, numRuns: 120 },
    );
  });

  test(`random insert/remove/load sequences match a model array (property, maxEntries ${maxEntries})`, () => {
    type Op = { kind: 'insert'; box: [number, number, number, number] } | { kind: 'remove'; pick: number; byEquals: boolean } | { kind: 'load'; boxes: [number, number, number, number][] };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: boxArb.map((box) => ({ kind: 'insert' as const, box })) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat(), byEquals: fc.boolean() }) },
      { weight: 1, arbitrary: fc.array(boxArb, { maxLength: 60, size: 'max' }).map((boxes) => ({ kind: 'load' as const, boxes })) },
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300, size: 'max' }), fc.array(queryArb, { minLength: 1, maxLength: 5 }), (ops, queries) => {
        const tree = new RTree<Item>({ maxEntries });
        const model: Item[] = [];
        let nextId = 0;
        const make = ([x, y, w, h]: [number, number, number, number]): Item => ({ minX: x, minY: y, maxX: x + w, maxY: y + h, id: nextId++ });
        for (const op of ops) {
          if (op.kind === 'insert') {
            const item = make(op.box);
            tree.insert(item);
            model.push(item);
          } else if (op.kind === 'load') {
            const items = op.boxes.map(make);
            tree.load(items);
            model.push(...items);
          } else if (model.length === 0) {
            assert.equal(tree.remove({ minX: 0, minY: 0, maxX: 0, maxY: 0, id: -1 }), false);
          } else {
            const victim = model.splice(op.pick % model.length, 1)[0]!;
            const removed = op.byEquals ? tree.remove({ ...victim }, (a, b) => a.id === b.id) : tree.remove(victim);
            assert.equal(removed, true);
            assert.equal(tree.remove(victim), false);
          }
          assert.equal(tree.size, model.length);
        }
        assert.deepEqual(ids(tree.all()), ids(model));
        for (const [x, y, w, h] of queries) {
          assert.deepEqual(ids(tree.search(x, y, x + w, y + h)), ids(model.filter((i) => intersects(i, x, y, x + w, y + h))));
          assert.equal(tree.collides(x, y, x + w, y + h), model.some((i) => intersects(i, x, y, x + w, y + h)));
          assertNearest(tree.nearest(x, y, 3), model, x, y, 3);
        }
        return true;
      }),
      { seed: 2000 + maxEntries, numRuns: 100 },
    );
  });
}

test('search with floating-point boxes matches a linear scan (property)', () => {
  const f = fc.double({ min: -1e6, max: 1e6, noNaN: true });
  fc.assert(
    fc.property(fc.array(fc.tuple(f, f, f, f), { maxLength: 200, size: 'max' }), fc.tuple(f, f, f, f), (raw, [a, b, c, d]) => {
      const items: Item[] = raw.map(([p, q, r, s], id) => ({ minX: Math.min(p, r), minY: Math.min(q, s), maxX: Math.max(p, r), maxY: Math.max(q, s), id }));
      const tree = new RTree<Item>({ maxEntries: 5 });
      for (const item of items) tree.insert(item);
      const [x0, x1, y0, y1] = [Math.min(a, c), Math.max(a, c), Math.min(b, d), Math.max(b, d)];
      assert.deepEqual(ids(tree.search(x0, y0, x1, y1)), ids(items.filter((i) => intersects(i, x0, y0, x1, y1))));
      return true;
    }),
    { seed: 77, numRuns: 100 },
  );
});

// Issue 11 §4: coordinates of the wrong type were coerced by the range test and stored raw.
test('insert, search and collides refuse non-number coordinates (null, [], true, strings, bigints) and leave the tree as it was', () => {
  const tree = new RTree();
  tree.insert({ minX: 0, minY: 0, maxX: 1, maxY: 1 });
  const bad: unknown[] = [
    { minX: null, minY: [], maxX: true, maxY: '5' },
    { minX: 0n, minY: 0n, maxX: 1n, maxY: 1n },
    { minX: 0, minY: 0, maxX: '2', maxY: 2 },
  ];
  for (const b of bad) {
    assert.throws(
      () => tree.insert(b as Box),
      (e: Error & { code?: string }) => e instanceof TypeError && e.code === ErrorCode.INVALID_ARG && /RTree insert minX|RTree insert maxX/.test(e.message),
    );
  }
  assert.throws(() => tree.search(0n as unknown as number, 0, 5, 5), (e: Error & { code?: string }) => e.code === ErrorCode.INVALID_ARG && /RTree search minX/.test(e.message));
  assert.throws(() => tree.collides('0' as unknown as number, 0, 5, 5), (e: Error & { code?: string }) => e.code === ErrorCode.INVALID_ARG && /RTree collides minX/.test(e.message));
  assert.equal(tree.size, 1);
  assert.equal(tree.search(-1, -1, 2, 2).length, 1);
  // Inverted boxes and NaN stay refused (documented: min must be <= max).
  assert.throws(() => tree.insert({ minX: 2, minY: 0, maxX: 1, maxY: 1 }), RangeError);
  assert.throws(() => tree.insert({ minX: Number.NaN, minY: 0, maxX: 1, maxY: 1 }), RangeError);
  assert.equal(tree.size, 1);
});
