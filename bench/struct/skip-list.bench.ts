// SkipList against our BTree and sorted-btree, published as measured (no
// target): a skip list pays a pointer chase per step where a B-tree scans a
// contiguous array, so it is expected to trail both; it is here so the docs
// can say by how much. Same seeded keys as bench/struct/b-tree.bench.ts:
// 1e5 distinct random integers in [0, 2^31).
//  - insert: one set() of a fresh key into a map growing from empty to 1e5, restarted when full.
//  - get: one lookup of a present key (2^16 query keys, cycled).
//  - range: one scan of exactly 100 consecutive keys [lo, hi), counting odd keys.
import sortedBTree from 'sorted-btree';
import type SortedBTreeType from 'sorted-btree';
import { rng, suite } from '../harness.ts';
import { BTree } from '../../src/struct/b-tree.ts';
import { SkipList } from '../../src/struct/skip-list.ts';

// sorted-btree is CommonJS: the ESM default import is module.exports, whose `default` is the class.
const SortedBTree = sortedBTree.default;
type SortedBTree<K, V> = SortedBTreeType.default<K, V>;

const N = 100_000;
const Q = 1 << 16;

let keys: Float64Array;
let sorted: Float64Array;
let queries: Float64Array;
let starts: Int32Array;

function makeData(): void {
  const random = rng(1127);
  const seen = new Set<number>();
  keys = new Float64Array(N);
  for (let i = 0; i < N; ) {
    const k = Math.floor(random() * 2 ** 31);
    if (seen.has(k)) continue;
    seen.add(k);
    keys[i++] = k;
  }
  sorted = Float64Array.from(keys).sort();
  queries = new Float64Array(Q);
  starts = new Int32Array(Q);
  for (let i = 0; i < Q; i++) {
    queries[i] = keys[Math.floor(random() * N)]!;
    starts[i] = Math.floor(random() * (N - 101));
  }
}

type OrderedMap = SkipList<number, number> | BTree<number, number> | SortedBTree<number, number>;

const makers: [string, () => OrderedMap][] = [
  ['blackhole SkipList', () => new SkipList<number, number>({ seed: 7 })],
  ['blackhole BTree', () => new BTree<number, number>()],
  ['sorted-btree', () => new SortedBTree<number, number>()],
];

// One map and cursor per impl, indexed like `makers`.
const maps: OrderedMap[] = [];
const cursors: number[] = [0, 0, 0];

function fill(): void {
  makeData();
  for (let m = 0; m < makers.length; m++) {
    maps[m] = makers[m]![1]();
    for (let i = 0; i < N; i++) maps[m]!.set(keys[i]!, i);
  }
}

function release(): void {
  maps.length = 0;
}

// Every impl has its own function literal for each loop: V8 keeps call-site
// feedback per literal (closures made from one literal share it), so one
// shared loop would see three map classes and go megamorphic for all.
const insertLoops: ((iterations: number) => unknown)[] = [
  (iterations) => {
    let map = maps[0] as SkipList<number, number>;
    let c = cursors[0]!;
    for (let i = 0; i < iterations; i++) {
      if (c === N) {
        map = (maps[0] = makers[0]![1]()) as SkipList<number, number>;
        c = 0;
      }
      map.set(keys[c]!, i);
      c++;
    }
    cursors[0] = c;
    return map.size;
  },
  (iterations) => {
    let map = maps[1] as BTree<number, number>;
    let c = cursors[1]!;
    for (let i = 0; i < iterations; i++) {
      if (c === N) {
        map = (maps[1] = makers[1]![1]()) as BTree<number, number>;
        c = 0;
      }
      map.set(keys[c]!, i);
      c++;
    }
    cursors[1] = c;
    return map.size;
  },
  (iterations) => {
    let map = maps[2] as SortedBTree<number, number>;
    let c = cursors[2]!;
    for (let i = 0; i < iterations; i++) {
      if (c === N) {
        map = (maps[2] = makers[2]![1]()) as SortedBTree<number, number>;
        c = 0;
      }
      map.set(keys[c]!, i);
      c++;
    }
    cursors[2] = c;
    return map.size;
  },
];
const getLoops: ((iterations: number) => unknown)[] = [
  (iterations) => {
    const map = maps[0] as SkipList<number, number>;
    let x = 0;
    for (let i = 0; i < iterations; i++) x += map.get(queries[i & (Q - 1)]!)!;
    return x;
  },
  (iterations) => {
    const map = maps[1] as BTree<number, number>;
    let x = 0;
    for (let i = 0; i < iterations; i++) x += map.get(queries[i & (Q - 1)]!)!;
    return x;
  },
  (iterations) => {
    const map = maps[2] as SortedBTree<number, number>;
    let x = 0;
    for (let i = 0; i < iterations; i++) x += map.get(queries[i & (Q - 1)]!)!;
    return x;
  },
];

let count = 0;
const add = (k: number): void => {
  count += k & 1;
};
const rangeLoops: ((iterations: number) => unknown)[] = [
  (iterations) => {
    const s = maps[0] as unknown as SkipList<number, number>;
    count = 0;
    for (let i = 0; i < iterations; i++) {
      const s0 = starts[i & (Q - 1)]!;
      s.forEachRange(sorted[s0]!, sorted[s0 + 100]!, add);
    }
    return count;
  },
  (iterations) => {
    const t = maps[1] as unknown as BTree<number, number>;
    count = 0;
    for (let i = 0; i < iterations; i++) {
      const s0 = starts[i & (Q - 1)]!;
      t.forEachRange(sorted[s0]!, sorted[s0 + 100]!, add);
    }
    return count;
  },
  (iterations) => {
    const t = maps[2] as unknown as SortedBTree<number, number>;
    count = 0;
    for (let i = 0; i < iterations; i++) {
      const s0 = starts[i & (Q - 1)]!;
      t.forRange(sorted[s0]!, sorted[s0 + 100]!, false, add);
    }
    return count;
  },
];

suite('struct/skip-list', (s) => {
  const impls = (loops: ((iterations: number) => unknown)[]) => ({
    ours: { name: makers[0]![0], fn: loops[0]! },
    peers: [
      { name: makers[1]![0], fn: loops[1]! },
      { name: makers[2]![0], fn: loops[2]! },
    ],
  });
  s.case({
    name: 'insert, 1e5 keys',
    note: 'one set() of a fresh random key per op; the map grows from empty to 1e5 keys, then starts over',
    setup: () => {
      makeData();
      for (let m = 0; m < makers.length; m++) {
        maps[m] = makers[m]![1]();
        cursors[m] = 0;
      }
    },
    teardown: release,
    ...impls(insertLoops),
  });
  s.case({
    name: 'get, 1e5 keys',
    note: 'one lookup of a present key per op in a map of 1e5 random keys',
    setup: fill,
    teardown: release,
    ...impls(getLoops),
  });
  s.case({
    name: 'range of 100, 1e5 keys',
    note: 'one forward scan of 100 consecutive keys [lo, hi) per op, counting odd keys, in a map of 1e5 random keys',
    setup: fill,
    teardown: release,
    ...impls(rangeLoops),
  });
});
