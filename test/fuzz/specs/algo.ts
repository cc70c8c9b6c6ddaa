// The algo area: every runtime export of src/algo/index.ts driven with
// hostile values (test/fuzz/harness.ts says what is asserted). Searchers and
// automata are checked against the plain String/Buffer search afterwards.
import assert from 'node:assert/strict';
import {
  AhoCorasick,
  AhoCorasickStream,
  Searcher,
  indexOf,
  indexOfAll,
  insertionSort,
  introSort,
  optimizeSort,
  radixSortFloat32,
  radixSortFloat64,
  radixSortInt32,
  radixSortUint32,
  releaseSortScratch,
  sortNumbers,
  sortTyped,
} from '../../../src/algo/index.ts';
import { any, arr, fn, int, opts, bool, type AreaSpec, type ClassSpec, privates } from '../harness.ts';


const TEXT = 'she sells sea shells by the sea shore';
const byNumber = (a: number, b: number) => a - b;

const ahoCorasick: ClassSpec<AhoCorasick> = {
  name: 'AhoCorasick',
  make: () => new AhoCorasick(['he', 'she', 'sea']),
  ctor: { params: [arr(['he', 'sea']), opts({ sparse: bool(false, true) })], call: (p, o) => new AhoCorasick(p, o) },
  methods: {
    patternLength: { params: [int(0)] },
    count: { params: [any(TEXT)] },
    findAll: { params: [any(TEXT)] },
    forEachMatch: { params: [any(TEXT), fn(() => {})] },
    createStream: { params: [] },
  },
  healthy: (ac) => {
    // An automaton built from byte patterns (a fuzzed constructor may make one) searches bytes only.
    let text: string | Uint8Array = TEXT;
    try {
      ac.count(text);
    } catch {
      text = Buffer.from(TEXT);
    }
    const n = ac.count(text);
    assert.equal(ac.findAll(text).length, n);
    let seen = 0;
    assert.equal(ac.forEachMatch(text, () => void seen++), n);
    assert.equal(seen, n);
  },
};

const ahoCorasickStream: ClassSpec<AhoCorasickStream> = {
  name: 'AhoCorasickStream',
  component: 'AhoCorasick', // its text checks are the automaton's: "AhoCorasick feed text ..."
  make: () => new AhoCorasickStream(new AhoCorasick(['sea'])),
  ctor: { params: [any(new AhoCorasick(['x']))], call: (a) => new AhoCorasickStream(a) },
  methods: {
    feed: { params: [any('the sea'), fn(() => {}, true)] },
    feedAll: { params: [any('sea')] },
    reset: { params: [] },
  },
  healthy: (s) => {
    s.reset();
    assert.equal(s.feedAll('s').length + s.feedAll('ea').length, 1);
    s.reset();
  },
};

const searcher: ClassSpec<Searcher> = {
  name: 'Searcher',
  make: () => new Searcher('sea'),
  ctor: { params: [any('sea')], call: (n) => new Searcher(n) },
  methods: {
    indexOf: { params: [any(TEXT), int(0, true)] },
    indexOfAll: { params: [any(TEXT), int(0, true)] },
  },
  healthy: (s) => {
    // A fuzzed constructor may build a byte-needle searcher: compare with Buffer's own search then.
    let hay: string | Buffer = TEXT;
    try {
      s.indexOf(hay);
    } catch {
      hay = Buffer.from(TEXT);
    }
    const all = s.indexOfAll(hay);
    assert.equal(s.indexOf(hay), all.length > 0 ? all[0] : -1);
    for (let i = 1; i < all.length; i++) assert.ok(all[i]! > all[i - 1]!);
  },
};

const sorted = (a: ArrayLike<number>) => {
  for (let i = 1; i < a.length; i++) assert.ok(!(a[i]! < a[i - 1]!), `not sorted at ${i}`);
};

const spec: AreaSpec = {
  area: 'algo',
  classes: [ahoCorasick, ahoCorasickStream, searcher],
  functions: [
    { name: 'indexOf', call: indexOf, params: [any(TEXT), any('sea'), int(0, true)] },
    { name: 'indexOfAll', call: indexOfAll, params: [any(TEXT), any('sea'), int(0, true)] },
    { name: 'insertionSort', call: (a, c, lo, hi) => insertionSort(a, c, lo, hi), params: [any([3, 1, 2]), fn(byNumber), int(0, true), int(3, true)] },
    { name: 'introSort', call: (a, c) => introSort(a, c), params: [any([3, 1, 2]), fn(byNumber)] },
    { name: 'optimizeSort', call: (a, c) => optimizeSort(a, c), params: [any([3, 1, 2]), fn(byNumber, true)] },
    { name: 'sortNumbers', call: (a) => sorted(sortNumbers(a)), params: [arr([3, 1, 2])] },
    { name: 'sortTyped', call: (a) => sorted(sortTyped(a)), params: [any(new Float64Array([3, 1, 2]))] },
    { name: 'radixSortUint32', call: (a) => sorted(radixSortUint32(a)), params: [any(new Uint32Array([3, 1, 2]))] },
    { name: 'radixSortInt32', call: (a) => sorted(radixSortInt32(a)), params: [any(new Int32Array([3, -1, 2]))] },
    { name: 'radixSortFloat32', call: (a) => radixSortFloat32(a), params: [any(new Float32Array([3, -1, 2]))] },
    { name: 'radixSortFloat64', call: (a) => radixSortFloat64(a), params: [any(new Float64Array([3, -1, 2]))] },
    { name: 'releaseSortScratch', component: '', call: () => releaseSortScratch(), params: [] },
  ],
  exempt: {},
  exemptMethods: {
    AhoCorasick: privates('checkText', 'emit', 'run', 'sparseStep'),
    Searcher: privates('byteHaystack', 'stringHaystack'),
  },
};
export default spec;
