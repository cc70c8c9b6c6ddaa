import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BTree, DEFAULT_MAX_NODE_SIZE } from '../../src/struct/b-tree.ts';
import { ConcurrentModificationError, StructErrorCode } from '../../src/struct/errors.ts';
import { ErrorCode } from '../../src/errors.ts';

/** The naive model: entries sorted by key, searched linearly. */
class Model {
  entries: [number, number][] = [];
  set(k: number, v: number): void {
    const e = this.entries.find((x) => x[0] === k);
    if (e) e[1] = v;
    else {
      this.entries.push([k, v]);
      this.entries.sort((a, b) => a[0] - b[0]);
    }
  }
  delete(k: number): boolean {
    const i = this.entries.findIndex((x) => x[0] === k);
    if (i < 0) return false;
    this.entries.splice(i, 1);
    return true;
  }
  get(k: number): number | undefined {
    return this.entries.find((x) => x[0] === k)?.[1];
  }
  range(lo: number | undefined, hi: number | undefined, reverse: boolean): [number, number][] {
    const r = this.entries.filter((e) => (lo === undefined || e[0] >= lo) && (hi === undefined || e[0] < hi));
    return reverse ? r.reverse() : r;
  }
  lowerBound(k: number): number | undefined {
    return this.entries.find((e) => e[0] >= k)?.[0];
  }
  upperBound(k: number): number | undefined {
    return this.entries.find((e) => e[0] > k)?.[0];
  }
}

const isCode = (code: string) => (e: unknown) => (e as { code?: string }).code === code;

test('usage: set, get, has, delete, size, min, max', () => {
  const t = new BTree<number, string>();
  assert.equal(t.size, 0);
  assert.equal(t.min(), undefined);
  assert.equal(t.max(), undefined);
  t.set(3, 'c').set(1, 'a').set(2, 'b');
  assert.equal(t.size, 3);
  assert.equal(t.get(2), 'b');
  assert.equal(t.get(4), undefined);
  assert.equal(t.has(1), true);
  assert.equal(t.has(5), false);
  assert.equal(t.min(), 1);
  assert.equal(t.max(), 3);
  t.set(2, 'B');
  assert.equal(t.size, 3);
  assert.equal(t.get(2), 'B');
  assert.equal(t.delete(2), true);
  assert.equal(t.delete(2), false);
  assert.deepEqual([...t], [[1, 'a'], [3, 'c']]);
  assert.equal(t.maxNodeSize, DEFAULT_MAX_NODE_SIZE);
});

test('iterators: entries, keys, values, Symbol.iterator, both directions', () => {
  const t = new BTree<number, string>({ maxNodeSize: 4 });
  for (let i = 0; i < 50; i++) t.set(i * 2, `v${i * 2}`);
  const keys = Array.from({ length: 50 }, (_, i) => i * 2);
  assert.deepEqual([...t.keys()], keys);
  assert.deepEqual([...t.keys(true)], [...keys].reverse());
  assert.deepEqual([...t.values()], keys.map((k) => `v${k}`));
  assert.deepEqual([...t.values(true)], keys.map((k) => `v${k}`).reverse());
  assert.deepEqual([...t.entries()], keys.map((k) => [k, `v${k}`]));
  assert.deepEqual([...t], [...t.entries()]);
  assert.deepEqual([...t.entries(true)], keys.map((k) => [k, `v${k}`]).reverse());
  assert.deepEqual([...t.range(10, 20)].map((e) => e[0]), [10, 12, 14, 16, 18]);
  assert.deepEqual([...t.range(9, 19, true)].map((e) => e[0]), [18, 16, 14, 12, 10]);
  assert.deepEqual([...t.range(95)].map((e) => e[0]), [96, 98]);
  assert.deepEqual([...t.range(undefined, 3)].map((e) => e[0]), [0, 2]);
  assert.deepEqual([...t.range(30, 30)], []);
  assert.deepEqual([...t.range(40, 10)], []);
  assert.deepEqual([...new BTree().range(1, 2, true)], []);
});

test('string keys use code-unit order; lowerBound and upperBound', () => {
  const t = new BTree<string, number>();
  for (const w of ['pear', 'apple', 'fig', 'Zebra', 'banana']) t.set(w, w.length);
  assert.deepEqual([...t.keys()], ['Zebra', 'apple', 'banana', 'fig', 'pear']);
  assert.equal(t.lowerBound('b'), 'banana');
  assert.equal(t.lowerBound('fig'), 'fig');
  assert.equal(t.upperBound('fig'), 'pear');
  assert.equal(t.upperBound('pear'), undefined);
});

test('forEachRange visits [lo, hi) without allocation, stops on false, counts visits', () => {
  const t = new BTree<number, number>({ maxNodeSize: 4 });
  for (let i = 0; i < 100; i++) t.set(i, i * 10);
  const seen: number[] = [];
  assert.equal(t.forEachRange(10, 20, (k, v) => { seen.push(k, v); }), 10);
  assert.deepEqual(seen.filter((_, i) => i % 2 === 0), [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  const back: number[] = [];
  assert.equal(t.forEachRange(10, 20, (k) => { back.push(k); }, true), 10);
  assert.deepEqual(back, [19, 18, 17, 16, 15, 14, 13, 12, 11, 10]);
  const firstThree: number[] = [];
  assert.equal(t.forEachRange(undefined, undefined, (k) => { firstThree.push(k); return firstThree.length < 3; }), 3);
  assert.deepEqual(firstThree, [0, 1, 2]);
  const lastTwo: number[] = [];
  assert.equal(t.forEachRange(undefined, undefined, (k) => { lastTwo.push(k); return lastTwo.length < 2 ? undefined : false; }, true), 2);
  assert.deepEqual(lastTwo, [99, 98]);
  assert.throws(() => t.forEachRange(0, 1, 42 as never), (e: unknown) => e instanceof TypeError && isCode(ErrorCode.INVALID_ARG)(e));
});

test('a custom comparator (descending) orders keys and ranges', () => {
  const t = new BTree<number, number>({ comparator: (a, b) => b - a, maxNodeSize: 4 });
  for (let i = 0; i < 30; i++) t.set(i, i);
  assert.deepEqual([...t.keys()].slice(0, 3), [29, 28, 27]);
  assert.equal(t.min(), 29);
  assert.equal(t.max(), 0);
  assert.deepEqual([...t.range(10, 5)].map((e) => e[0]), [10, 9, 8, 7, 6]);
  assert.equal(t.lowerBound(100), 29);
  t.checkValid();
});

for (const [label, options] of [
  ['maxNodeSize 3', { maxNodeSize: 3 }],
  ['maxNodeSize 1025', { maxNodeSize: 1025 }],
  ['maxNodeSize 4.5', { maxNodeSize: 4.5 }],
  ['maxNodeSize NaN', { maxNodeSize: Number.NaN }],
  ['maxInnerNodeSize 2', { maxInnerNodeSize: 2 }],
  ['maxInnerNodeSize 2048', { maxInnerNodeSize: 2048 }],
] as const) {
  test(`invalid option ${label} throws a RangeError naming the option and the rule`, () => {
    const option = label.split(' ')[0]!;
    assert.throws(
      () => new BTree(options as never),
      (e: unknown) =>
        e instanceof RangeError && new RegExp(`BTree ${option} \\(.*\\) must be an integer from 4 to 1024`).test(e.message) && isCode(ErrorCode.OUT_OF_RANGE)(e),
    );
  });
}

test('a comparator that is not a function, or options that are not an object, are TypeErrors', () => {
  assert.throws(() => new BTree({ comparator: 5 as never }), (e: unknown) => e instanceof TypeError && /BTree comparator/.test(e.message));
  assert.throws(() => new BTree(null as never), (e: unknown) => e instanceof TypeError && /BTree options/.test(e.message));
});

test('NaN keys are rejected with a typed RangeError by every operation', () => {
  for (const t of [new BTree<number, number>(), new BTree<number, number>({ comparator: (a, b) => a - b })]) {
    t.set(1, 1);
    const ops: [string, () => unknown][] = [
      ['set', () => t.set(Number.NaN, 1)],
      ['get', () => t.get(Number.NaN)],
      ['has', () => t.has(Number.NaN)],
      ['delete', () => t.delete(Number.NaN)],
      ['lowerBound', () => t.lowerBound(Number.NaN)],
      ['upperBound', () => t.upperBound(Number.NaN)],
      ['range', () => t.range(Number.NaN, 5)],
      ['forEachRange', () => t.forEachRange(0, Number.NaN, () => {})],
    ];
    for (const [name, op] of ops) {
      assert.throws(op, (e: unknown) => e instanceof RangeError && /NaN/.test(e.message) && isCode(ErrorCode.OUT_OF_RANGE)(e), name);
    }
    assert.equal(t.size, 1);
    t.checkValid();
  }
});

test('the default order rejects keys that are neither numbers nor strings, and mixing the two', () => {
  const t = new BTree<unknown, number>();
  assert.throws(() => t.set({}, 1), (e: unknown) => e instanceof TypeError && /number or a string/.test(e.message) && isCode(ErrorCode.INVALID_ARG)(e));
  t.set(1, 1);
  assert.throws(() => t.set('1', 2), (e: unknown) => e instanceof TypeError && /must be a number like the keys already stored/.test(e.message));
  assert.throws(() => t.get('1'), TypeError);
  assert.equal(t.size, 1);
  t.delete(1);
  t.set('a', 1); // an empty tree accepts either kind again
  assert.deepEqual([...t.keys()], ['a']);
});

test('a throwing comparator propagates and leaves the tree valid and unchanged', () => {
  let armed = false;
  const boom = new Error('comparator failed');
  const cmp = (a: number, b: number): number => {
    if (armed) throw boom;
    return a - b;
  };
  const t = new BTree<number, number>({ comparator: cmp, maxNodeSize: 4 });
  for (let i = 0; i < 200; i += 2) t.set(i, i);
  const before = [...t];
  armed = true;
  for (const op of [() => t.set(51, 1), () => t.set(50, 9), () => t.delete(50), () => t.get(50), () => t.lowerBound(3), () => [...t.range(0, 10)], () => t.forEachRange(0, 10, () => {})]) {
    assert.throws(op, (e: unknown) => e === boom);
  }
  armed = false;
  t.checkValid();
  assert.deepEqual([...t], before);
  assert.throws(() => BTree.fromSorted([[1, 1], [2, 2]], { comparator: () => { throw boom; } }), (e: unknown) => e === boom);
});

test('fromSorted builds a valid tree of every size and rejects unsorted or duplicate keys', () => {
  for (let n = 0; n < 400; n += n < 40 ? 1 : 7) {
    for (const [maxNodeSize, maxInnerNodeSize] of [[4, 4], [5, 5], [7, 4], [4, 9], [64, 64]]) {
      const entries = Array.from({ length: n }, (_, i): [number, number] => [i * 3, i]);
      const t = BTree.fromSorted(entries, { maxNodeSize, maxInnerNodeSize });
      t.checkValid();
      assert.equal(t.size, n);
      assert.deepEqual([...t], entries);
      // Still a working tree afterwards.
      t.set(-1, -1);
      t.delete(0);
      t.checkValid();
    }
  }
  assert.throws(
    () => BTree.fromSorted([[1, 'a'], [3, 'b'], [2, 'c']]),
    (e: unknown) => e instanceof TypeError && /strictly ascending.*key 2 \(2\) is not above key 1 \(3\)/.test(e.message),
  );
  assert.throws(() => BTree.fromSorted([[1, 'a'], [1, 'b']]), (e: unknown) => e instanceof TypeError && /no duplicates/.test(e.message));
  assert.throws(() => BTree.fromSorted([[Number.NaN, 'a']]), RangeError);
  assert.throws(() => BTree.fromSorted(5 as never), TypeError);
  assert.throws(() => BTree.fromSorted([5] as never), TypeError);
});

test('an iterator throws ConcurrentModificationError after the tree changes shape, not after a value update', () => {
  const t = new BTree<number, number>();
  for (let i = 0; i < 10; i++) t.set(i, i);
  const it = t.keys();
  assert.equal(it.next().value, 0);
  t.set(3, 33); // value update: no structural change
  assert.equal(it.next().value, 1);
  t.set(100, 1);
  assert.throws(() => it.next(), (e: unknown) => e instanceof ConcurrentModificationError && isCode(StructErrorCode.CONCURRENT_MODIFICATION)(e));
  const it2 = t.entries();
  t.delete(0);
  assert.throws(() => it2.next(), ConcurrentModificationError);
  const it3 = t.values();
  t.clear();
  assert.throws(() => it3.next(), ConcurrentModificationError);
  assert.equal(t.size, 0);
  t.checkValid();
});

test('sequential inserts and deletes in both orders keep every invariant', () => {
  for (const [maxNodeSize, maxInnerNodeSize] of [[4, 4], [5, 5], [6, 4], [4, 6], [16, 16]]) {
    const t = new BTree<number, number>({ maxNodeSize, maxInnerNodeSize });
    for (let i = 0; i < 2000; i++) t.set(i, i);
    t.checkValid();
    assert.ok(t.height > 1);
    for (let i = 0; i < 2000; i += 2) t.delete(i);
    t.checkValid();
    for (let i = 1999; i >= 0; i -= 2) t.delete(i);
    t.checkValid();
    assert.equal(t.size, 0);
    assert.equal(t.height, 0);
    for (let i = 2000; i > 0; i--) t.set(i, i);
    t.checkValid();
  }
});

// Property tests: random operation sequences against the naive model.
type Op =
  | { op: 'set'; k: number; v: number }
  | { op: 'delete'; k: number }
  | { op: 'get'; k: number }
  | { op: 'range'; lo: number | undefined; hi: number | undefined; reverse: boolean; iterator: boolean }
  | { op: 'bound'; k: number; strict: boolean };

const key = fc.integer({ min: -40, max: 40 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), k: key, v: fc.integer() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('delete' as const), k: key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('get' as const), k: key }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('range' as const), lo: fc.option(key, { nil: undefined }), hi: fc.option(key, { nil: undefined }), reverse: fc.boolean(), iterator: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('bound' as const), k: key, strict: fc.boolean() }) },
);

function runAgainstModel(t: BTree<number, number>, ops: Op[]): boolean {
  const m = new Model();
  for (const o of ops) {
    switch (o.op) {
      case 'set':
        t.set(o.k, o.v);
        m.set(o.k, o.v);
        break;
      case 'delete':
        if (t.delete(o.k) !== m.delete(o.k)) return false;
        break;
      case 'get':
        if (t.get(o.k) !== m.get(o.k) || t.has(o.k) !== (m.get(o.k) !== undefined)) return false;
        break;
      case 'range': {
        const want = m.range(o.lo, o.hi, o.reverse);
        let got: [number, number][];
        if (o.iterator) got = [...t.range(o.lo, o.hi, o.reverse)];
        else {
          got = [];
          const visited = t.forEachRange(o.lo, o.hi, (k, v) => { got.push([k, v]); }, o.reverse);
          if (visited !== want.length) return false;
        }
        assert.deepEqual(got, want);
        break;
      }
      case 'bound':
        if ((o.strict ? t.upperBound(o.k) : t.lowerBound(o.k)) !== (o.strict ? m.upperBound(o.k) : m.lowerBound(o.k))) return false;
        break;
    }
    if (t.size !== m.entries.length) return false;
  }
  t.checkValid();
  assert.deepEqual([...t], m.entries);
  assert.deepEqual([...t.entries(true)], [...m.entries].reverse());
  return t.min() === m.entries[0]?.[0] && t.max() === m.entries[m.entries.length - 1]?.[0];
}

for (const [maxNodeSize, maxInnerNodeSize] of [[4, 4], [5, 5], [8, 4], [4, 7], [256, 256]]) {
  test(`random operations match the sorted-array model, leaves ${maxNodeSize}, internal nodes ${maxInnerNodeSize} (property)`, () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400, size: 'max' }), (ops) => runAgainstModel(new BTree<number, number>({ maxNodeSize, maxInnerNodeSize }), ops)),
      { seed: 3000 + maxNodeSize * 10 + maxInnerNodeSize, numRuns: 150 },
    );
  });
}

test('random operations match the model with a custom comparator (property)', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 300, size: 'max' }), (ops) => runAgainstModel(new BTree<number, number>({ comparator: (a, b) => a - b, maxNodeSize: 4 }), ops)),
    { seed: 77, numRuns: 150 },
  );
});

test('a tree bulk-loaded from sorted input then mutated matches the model (property)', () => {
  fc.assert(
    fc.property(fc.uniqueArray(key, { maxLength: 80, size: 'max' }), fc.array(opArb, { maxLength: 200, size: 'max' }), (initial, ops) => {
      const sorted = [...initial].sort((a, b) => a - b);
      const t = BTree.fromSorted(sorted.map((k): [number, number] => [k, k]), { maxNodeSize: 4 });
      const m = new Model();
      for (const k of sorted) m.set(k, k);
      for (const o of ops) {
        if (o.op === 'set') {
          t.set(o.k, o.v);
          m.set(o.k, o.v);
        } else if (o.op === 'delete') t.delete(o.k), m.delete(o.k);
      }
      t.checkValid();
      assert.deepEqual([...t], m.entries);
      return true;
    }),
    { seed: 11, numRuns: 150 },
  );
});

test('checkValid reports a broken order (a comparator that changed its mind) with a struct code', () => {
  let flipped = false;
  const t = new BTree<number, number>({ comparator: (a, b) => (flipped ? b - a : a - b), maxNodeSize: 4 });
  for (let i = 0; i < 20; i++) t.set(i, i);
  t.checkValid();
  flipped = true;
  assert.throws(() => t.checkValid(), (e: unknown) => e instanceof Error && e.name === 'StructureInvariantError' && isCode(StructErrorCode.INVARIANT)(e));
});

test('string keys under the default order match a sorted model (property)', () => {
  const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'Z', 'é'), maxLength: 4 });
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), word), { maxLength: 300, size: 'max' }), word, word, (ops, lo, hi) => {
      const t = new BTree<string, number>({ maxNodeSize: 4, maxInnerNodeSize: 5 });
      const m = new Map<string, number>();
      ops.forEach(([add, k], i) => {
        if (add) {
          t.set(k, i);
          m.set(k, i);
        } else if (t.delete(k) !== m.delete(k)) throw new Error(`delete ${k} disagrees`);
      });
      t.checkValid();
      const sorted = [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      assert.deepEqual([...t.keys()], sorted);
      assert.deepEqual([...t.range(lo, hi, true)].map((e) => e[0]), sorted.filter((k) => k >= lo && k < hi).reverse());
      assert.equal(t.lowerBound(lo), sorted.find((k) => k >= lo));
      assert.equal(t.upperBound(lo), sorted.find((k) => k > lo));
      return sorted.every((k) => t.get(k) === m.get(k));
    }),
    { seed: 5150, numRuns: 150 },
  );
});

// Issue 11 §4: an array was taken as options; reverse was truthy-coerced; compareKeys coerced any value.
test('options, reverse and compareKeys refuse values of the wrong kind with a typed error', () => {
  assert.throws(() => new BTree([] as never), (e: Error & { code?: string }) => e instanceof TypeError && e.code === 'ERR_BH_INVALID_ARG' && /BTree options/.test(e.message));
  const t = new BTree<number, string>().set(1, 'a').set(2, 'b');
  assert.throws(() => t.range(0, 5, 'yes' as unknown as boolean), (e: Error & { code?: string }) => e.code === 'ERR_BH_INVALID_ARG' && /BTree range reverse/.test(e.message));
  assert.throws(() => t.forEachRange(0, 5, () => {}, 1 as unknown as boolean), (e: Error & { code?: string }) => e.code === 'ERR_BH_INVALID_ARG');
  assert.throws(() => t.compareKeys(1, new Uint8Array(4) as unknown as number), (e: Error & { code?: string }) => e.code === 'ERR_BH_INVALID_ARG' && /BTree compareKeys key/.test(e.message));
  assert.deepEqual([...t.range(0, 5, true)].map(([k]) => k), [2, 1]);
  t.checkValid();
});
