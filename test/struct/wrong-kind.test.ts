// A value of the wrong kind where a number is expected ('5', null, a bigint,
// a symbol) is an InvalidArgumentError; a number outside the rule is an
// OutOfRangeError. Both name the component and the parameter. These call
// sites used to throw OutOfRangeError for both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BTree, LinkedHashMap, NumericHeap, PackedRTree, RTree, SkipList } from '../../src/struct/index.ts';
import { indexOf, indexOfAll, Searcher } from '../../src/algo/index.ts';
import { InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

const WRONG: unknown[] = ['5', null, 10n, Symbol('s'), true, [], {}];

function expectKind(call: (v: any) => unknown, wrongRe: RegExp, outOfRule: number): void {
  for (const v of WRONG) {
    assert.throws(() => call(v), (e: unknown) => e instanceof InvalidArgumentError && wrongRe.test((e as Error).message), `wrong kind ${String(typeof v)}`);
  }
  assert.throws(() => call(outOfRule), (e: unknown) => e instanceof OutOfRangeError && wrongRe.test((e as Error).message), `number ${outOfRule}`);
}

test('BTree node sizes: wrong kind vs out of rule', () => {
  expectKind((v) => new BTree({ maxNodeSize: v }), /BTree maxNodeSize/, 3);
  expectKind((v) => new BTree({ maxInnerNodeSize: v }), /BTree maxInnerNodeSize/, 2000);
});

test('RTree maxEntries, PackedRTree numItems and nodeSize, LinkedHashMap options: wrong kind (null is not "left out") vs out of rule', () => {
  expectKind((v) => new RTree({ maxEntries: v }), /RTree maxEntries/, 3);
  expectKind((v) => new PackedRTree(v), /PackedRTree numItems/, 0);
  expectKind((v) => new PackedRTree(4, { nodeSize: v }), /PackedRTree nodeSize/, 1);
  expectKind((v) => new LinkedHashMap({ initialCapacity: v }), /LinkedHashMap initialCapacity/, 0);
  assert.throws(() => new LinkedHashMap({ order: null as never }), (e: unknown) => e instanceof InvalidArgumentError && /LinkedHashMap order/.test((e as Error).message));
});

test('SkipList seed and maxLevel: wrong kind vs out of rule', () => {
  expectKind((v) => new SkipList({ seed: v }), /SkipList seed/, Number.NaN);
  expectKind((v) => new SkipList({ maxLevel: v }), /SkipList maxLevel/, 33);
});

test('NumericHeap initialCapacity: wrong kind vs out of rule', () => {
  expectKind((v) => new NumericHeap({ initialCapacity: v }), /NumericHeap initialCapacity/, 0);
});

test('RTree and PackedRTree nearest: wrong kind vs out of rule, and the trees still answer', () => {
  const t = new RTree<{ minX: number; minY: number; maxX: number; maxY: number }>();
  const box = { minX: 1, minY: 1, maxX: 2, maxY: 2 };
  t.insert(box);
  expectKind((v) => t.nearest(v, 0), /RTree nearest x/, Number.NaN);
  expectKind((v) => t.nearest(0, v), /RTree nearest y/, Number.NaN);
  expectKind((v) => t.nearest(0, 0, v), /RTree nearest k/, -1);
  expectKind((v) => t.nearest(0, 0, 1, v), /RTree nearest maxDistance/, -1);
  assert.deepEqual(t.nearest(0, 0, 1), [box]);

  const p = new PackedRTree(1);
  p.add(1, 1, 2, 2);
  p.finish();
  expectKind((v) => p.nearest(v, 0), /PackedRTree nearest x/, Number.NaN);
  expectKind((v) => p.nearest(0, v), /PackedRTree nearest y/, Number.NaN);
  expectKind((v) => p.nearest(0, 0, v), /PackedRTree nearest k/, -1);
  expectKind((v) => p.nearest(0, 0, 1, v), /PackedRTree nearest maxDistance/, -1);
  assert.deepEqual(p.nearest(0, 0, 1), [0]);
});

test('search from: wrong kind vs out of rule', () => {
  expectKind((v) => indexOf('abcabc', 'c', v), /search indexOf from/, -1);
  expectKind((v) => indexOfAll('abcabc', 'c', v), /search indexOfAll from/, 0.5);
  const s = new Searcher('c');
  expectKind((v) => s.indexOf('abcabc', v), /Searcher indexOf from/, -1);
  expectKind((v) => s.indexOfAll('abcabc', v), /Searcher indexOfAll from/, 1.5);
  assert.deepEqual(s.indexOfAll('abcabc'), [2, 5]);
});
