// The struct area: every runtime export of src/struct/index.ts driven with
// hostile values (test/fuzz/harness.ts says what is asserted). Each healthy()
// check verifies the structure, not just that a call returns: checkValid()
// where it exists, and contents against what the structure itself reports.
import assert from 'node:assert/strict';
import {
  BTree,
  BinaryHeap,
  LinkedHashMap,
  NumericHeap,
  PackedRTree,
  RTree,
  SkipList,
  defaultHeapCompare,
  hilbert16,
  selectDataStructure,
  selectionTable,
} from '../../../src/struct/index.ts';
import { any, arr, bool, fn, int, iter, num, opts, str, type AreaSpec, type ClassSpec, privates } from '../harness.ts';


/** Ascending keys of an ordered map, checked against its own size. */
function checkOrdered(m: { size: number; keys(): Iterable<number>; checkValid(): void; set(k: number, v: unknown): unknown; get(k: number): unknown; delete(k: number): boolean }): void {
  m.checkValid();
  const keys = [...m.keys()];
  assert.equal(keys.length, m.size);
  for (let i = 1; i < keys.length; i++) assert.ok(keys[i - 1]! < keys[i]!, `keys out of order at ${i}`);
  const probe = 123_456.5;
  const had = m.get(probe);
  m.set(probe, 'probe');
  assert.equal(m.get(probe), 'probe');
  if (had === undefined) m.delete(probe);
  else m.set(probe, had);
  m.checkValid();
}


/**
 * Constructor check for ordered maps: with the default order (or the spec's
 * own comparator) the full check; with a fuzzed comparator (a function of the
 * right kind but no order, such as `() => 1`) the map is only as consistent as
 * its comparator, so calls must just not throw untyped.
 */
function orderedCtorHealthy(valid: unknown) {
  return (m: unknown, args: unknown[]): void => {
    const o = args[0] as { comparator?: unknown } | undefined;
    if (o?.comparator === undefined || o.comparator === valid) return checkOrdered(m as never);
    const t = m as { set(k: number, v: unknown): unknown; get(k: number): unknown; delete(k: number): boolean; size: number };
    t.set(1, 'a');
    t.get(1);
    t.delete(1);
    assert.equal(typeof t.size, 'number');
  };
}

const ascending = (a: number, b: number): number => a - b;

const btree: ClassSpec<BTree<number, unknown>> = {
  name: 'BTree',
  make: () => {
    const t = new BTree<number, unknown>({ maxNodeSize: 4, maxInnerNodeSize: 4 });
    for (let i = 0; i < 40; i++) t.set(i, i);
    return t;
  },
  ctor: {
    params: [opts({ comparator: fn(ascending, true), maxNodeSize: int(8, true), maxInnerNodeSize: int(8, true) })],
    call: (o) => new BTree(o),
    healthy: orderedCtorHealthy(ascending),
  },
  methods: {
    fromSorted: { params: [iter([[1, 'a'], [2, 'b']]), opts({ maxNodeSize: int(8, true) })], call: (_t, e, o) => BTree.fromSorted(e, o) },
    // Keys of one natural kind may be numbers or strings: compareKeys('a', 'b') is right.
    compareKeys: { params: [any(1), any(2)] },
    get: { params: [num(3)] },
    has: { params: [num(3)] },
    set: { params: [num(7), any('v')] },
    delete: { params: [num(100)] },
    clear: { params: [] },
    min: { params: [] },
    max: { params: [] },
    lowerBound: { params: [num(5)] },
    upperBound: { params: [num(5)] },
    range: { params: [num(2, true), num(9, true), bool(false, true)], call: (t, lo, hi, r) => [...t.range(lo, hi, r)] },
    forEachRange: { params: [num(2, true), num(9, true), fn(() => {}), bool(false, true)] },
    entries: { params: [bool(false, true)], call: (t, r) => [...t.entries(r)] },
    keys: { params: [bool(false, true)], call: (t, r) => [...t.keys(r)] },
    values: { params: [bool(false, true)], call: (t, r) => [...t.values(r)] },
    checkValid: { params: [] },
  },
  healthy: (t) => checkOrdered(t as never),
};

const skipList: ClassSpec<SkipList<number, unknown>> = {
  name: 'SkipList',
  make: () => {
    const s = new SkipList<number, unknown>({ seed: 1 });
    for (let i = 0; i < 40; i++) s.set(i, i);
    return s;
  },
  ctor: { params: [opts({ comparator: fn(ascending, true), seed: num(7, true), maxLevel: int(12, true) })], call: (o) => new SkipList(o), healthy: orderedCtorHealthy(ascending) },
  methods: {
    // Keys of one natural kind may be numbers or strings: compareKeys('a', 'b') is right.
    compareKeys: { params: [any(1), any(2)] },
    get: { params: [num(3)] },
    has: { params: [num(3)] },
    set: { params: [num(7), any('v')] },
    delete: { params: [num(100)] },
    clear: { params: [] },
    min: { params: [] },
    max: { params: [] },
    lowerBound: { params: [num(5)] },
    upperBound: { params: [num(5)] },
    range: { params: [num(2, true), num(9, true)], call: (s, lo, hi) => [...s.range(lo, hi)] },
    forEachRange: { params: [num(2, true), num(9, true), fn(() => {})] },
    entries: { params: [], call: (s) => [...s.entries()] },
    keys: { params: [], call: (s) => [...s.keys()] },
    values: { params: [], call: (s) => [...s.values()] },
    checkValid: { params: [] },
  },
  healthy: (s) => checkOrdered(s as never),
};

/** A model of a LinkedHashMap: its entries in order must equal the map's own. */
const linkedHashMap: ClassSpec<LinkedHashMap<unknown, unknown>> = {
  name: 'LinkedHashMap',
  make: () => {
    const m = new LinkedHashMap<unknown, unknown>({ order: 'access', initialCapacity: 4 });
    for (let i = 0; i < 10; i++) m.set(i, i);
    return m;
  },
  ctor: { params: [opts({ order: str('insertion', true), initialCapacity: int(8, true) })], call: (o) => new LinkedHashMap(o) },
  methods: {
    get: { params: [any(1)] },
    peek: { params: [any(1)] },
    has: { params: [any(1)] },
    set: { params: [any('k'), any('v')] },
    delete: { params: [any(2)] },
    moveToEnd: { params: [any(3)] },
    eldest: { params: [] },
    newest: { params: [] },
    eldestKey: { params: [] },
    newestKey: { params: [] },
    removeEldest: { params: [] },
    clear: { params: [] },
    entries: { params: [opts({ reverse: bool(false, true) })], call: (m, o) => [...m.entries(o)] },
    keys: { params: [opts({ reverse: bool(false, true) })], call: (m, o) => [...m.keys(o)] },
    values: { params: [opts({ reverse: bool(false, true) })], call: (m, o) => [...m.values(o)] },
    forEach: { params: [fn(() => {})] },
  },
  healthy: (m) => {
    const forward = [...m.entries()];
    const backward = [...m.entries({ reverse: true })];
    assert.equal(forward.length, m.size);
    assert.deepEqual(backward.reverse(), forward);
    for (const [k, v] of forward) assert.equal(m.peek(k), v);
    const key = Symbol('probe');
    m.set(key, 1);
    assert.equal(m.newestKey(), key);
    assert.equal(m.delete(key), true);
    assert.equal([...m.keys()].length, m.size);
  },
};

function drainCheck<T>(h: { size: number; pop(): T | undefined; push(v: T): void }, less: (a: T, b: T) => boolean): void {
  const out: T[] = [];
  const n = h.size;
  for (let i = 0; i < n; i++) out.push(h.pop() as T);
  assert.equal(h.size, 0);
  for (let i = 1; i < out.length; i++) assert.ok(!less(out[i]!, out[i - 1]!), `heap order broken at ${i}`);
  for (const v of out) h.push(v);
  assert.equal(h.size, n);
}

const binaryHeap: ClassSpec<BinaryHeap<unknown>> = {
  name: 'BinaryHeap',
  make: () => new BinaryHeap<unknown>(undefined, [5, 3, 8, 1]),
  ctor: { params: [fn(defaultHeapCompare, true), iter([3, 1, 2], true)], call: (c, i) => new BinaryHeap(c, i) },
  methods: {
    from: { params: [iter([3, 1, 2]), fn(defaultHeapCompare, true)], call: (_h, v, c) => BinaryHeap.from(v, c) },
    push: { params: [any(4)] },
    pop: { params: [] },
    peek: { params: [] },
    replace: { params: [any(6)] },
    pushPop: { params: [any(2)] },
    clear: { params: [] },
    toSortedArray: { params: [] },
  },
  healthy: (h) => {
    // Pop order must follow the heap's own comparator (a fuzzed one may be any function). The
    // default order is a total order only over one kind of value: with hostile mixed values
    // accepted ('5', {}, NaN...) the order is unspecified, but nothing may be lost.
    const values = [...h];
    const ordered = h.compare === defaultHeapCompare && values.every((v) => typeof v === 'number' && v === v);
    drainCheck(h, ordered ? (a, b) => defaultHeapCompare(a, b) < 0 : () => false);
    assert.equal([...h].length, values.length);
    const n = h.size;
    h.push(0);
    assert.equal(h.size, n + 1);
    assert.equal(h.toSortedArray().length, n + 1);
  },
};

const numericHeap: ClassSpec<NumericHeap> = {
  name: 'NumericHeap',
  make: () => {
    const q = new NumericHeap({ initialCapacity: 2 });
    for (let i = 0; i < 10; i++) q.push(i, 10 - i);
    return q;
  },
  ctor: { params: [opts({ initialCapacity: int(8, true) })], call: (o) => new NumericHeap(o) },
  methods: {
    push: { params: [int(1), num(2)] },
    pop: { params: [] },
    peek: { params: [] },
    peekPriority: { params: [] },
    replace: { params: [int(2), num(3)] },
    pushPop: { params: [int(3), num(4)] },
    clear: { params: [] },
    shrink: { params: [] },
  },
  healthy: (q) => {
    // Not a[1] - b[1]: accepted priorities include ±Infinity (Infinity - Infinity is NaN).
    const items = [...q].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    assert.equal(items.length, q.size);
    const prios: number[] = [];
    while (q.size > 0) {
      prios.push(q.peekPriority() as number);
      q.pop();
    }
    for (let i = 1; i < prios.length; i++) assert.ok(prios[i - 1]! <= prios[i]!, 'priorities out of order');
    // Ties come in any order, and -0 ties with 0 (+ 0 makes both 0).
    assert.deepEqual(prios.map((p) => p + 0), items.map((x) => x[1] + 0));
    for (const [id, p] of items) q.push(id, p);
  },
};

const box = (x: number) => ({ minX: x, minY: x, maxX: x + 1, maxY: x + 1 });

const rTree: ClassSpec<RTree> = {
  name: 'RTree',
  make: () => {
    const t = new RTree({ maxEntries: 4 });
    for (let i = 0; i < 30; i++) t.insert(box(i));
    return t;
  },
  ctor: { params: [opts({ maxEntries: int(8, true) })], call: (o) => new RTree(o) },
  methods: {
    fromJSON: { params: [any({ maxEntries: 8, items: [box(1)] })], call: (_t, j) => RTree.fromJSON(j) },
    insert: { params: [any(box(3))] },
    load: { params: [arr([box(1), box(2)])] },
    remove: { params: [any(box(100)), fn((a: unknown, b: unknown) => a === b, true)] },
    search: { params: [num(0), num(0), num(5), num(5)] },
    collides: { params: [num(0), num(0), num(5), num(5)] },
    nearest: { params: [num(1), num(1), int(2, true), num(100, true), fn(() => true, true)] },
    all: { params: [] },
    clear: { params: [] },
    bounds: { params: [] },
    toJSON: { params: [] },
  },
  healthy: (t) => {
    const all = t.all();
    assert.equal(all.length, t.size);
    const everywhere = t.search(-Infinity, -Infinity, Infinity, Infinity);
    assert.equal(everywhere.length, t.size);
    for (const it of all) for (const k of ['minX', 'minY', 'maxX', 'maxY'] as const) assert.equal(typeof it[k], 'number');
    const b = box(1e6);
    t.insert(b);
    assert.ok(t.search(1e6, 1e6, 1e6, 1e6).includes(b));
    assert.ok(t.remove(b));
    assert.equal(t.size, all.length);
  },
};

function packed(): PackedRTree {
  const p = new PackedRTree(20, { nodeSize: 4 });
  for (let i = 0; i < 20; i++) p.add(i, i, i + 1, i + 1);
  return p.finish();
}

const packedRTree: ClassSpec<PackedRTree> = {
  name: 'PackedRTree',
  make: packed,
  ctor: { params: [int(4), opts({ nodeSize: int(4, true), shared: bool(false, true) })], call: (n, o) => new PackedRTree(n, o) },
  methods: {
    from: { params: [any(packed().data), int(0, true)], call: (_p, d, o) => PackedRTree.from(d, o) },
    add: { params: [num(0), num(0), num(1), num(1)], call: (_p, ...a) => new PackedRTree(2).add(...(a as [number, number, number, number])) },
    finish: { params: [] },
    search: { params: [num(0), num(0), num(5), num(5)] },
    collides: { params: [num(0), num(0), num(5), num(5)] },
    nearest: { params: [num(1), num(1), int(2, true), num(100, true), fn(() => true, true)] },
  },
  healthy: (p) => {
    if (!p.isReady) return;
    const ids = p.search(-Infinity, -Infinity, Infinity, Infinity).sort((a, b) => a - b);
    assert.equal(ids.length, p.numItems);
    assert.deepEqual(p.nearest(0, 0, 1), [0]);
  },
};

const spec: AreaSpec = {
  area: 'struct',
  classes: [btree, skipList, linkedHashMap, binaryHeap, numericHeap, rTree, packedRTree],
  functions: [
    { name: 'defaultHeapCompare', call: defaultHeapCompare, params: [any(1), any(2)] },
    { name: 'hilbert16', call: hilbert16, params: [int(3), int(5)] },
    {
      name: 'selectDataStructure',
      call: selectDataStructure,
      params: [opts({ type: str('lru_cache'), ordered: bool(false, true), numericPriorities: bool(false, true), static: bool(false, true) }, undefined, false)],
    },
    { name: 'selectionTable', component: '', call: () => selectionTable(), params: [] },
  ],
  exempt: {
    ConcurrentModificationError: 'an error class: built by the package',
    StructureInvariantError: 'an error class',
    PackedRTreeStateError: 'an error class',
  },
  exemptMethods: {
    BTree: privates('backwardStart', 'buildFrom', 'checkBounds', 'checkKey', 'checkNode', 'descend', 'firstLeaf', 'forwardStart', 'lastLeaf', 'makeIterator', 'rebalance', 'seek', 'splitUp'),
    SkipList: privates('checkKey', 'descend', 'isEqual', 'nextRandom', 'randomLevel', 'startAt'),
    LinkedHashMap: privates('allocate', 'grow', 'mapSlots', 'release', 'slots', 'toEnd', 'walk'),
    NumericHeap: privates('grow', 'reject', 'siftDownFromRoot', 'siftDownLarge', 'siftDownSmall'),
    RTree: privates('build', 'insertEntry', 'removeIn', 'sortAndMargin', 'split'),
    PackedRTree: privates('boxOf', 'sortLeaves'),
  },
};
export default spec;
