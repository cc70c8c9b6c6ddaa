// Sorting 1e6 seeded numbers (number[], Uint32Array, Float64Array), 1e3
// numbers, and 1e5 objects by a numeric key, ours against the built-in sorts. Every op sorts
// one fresh copy: the seeded input is first copied into a buffer allocated in
// setup, with the same copy loop for ours and the peer, so both pay the same
// copying cost and neither sorts already-sorted data.
import { rng, suite } from '../harness.ts';
import { introSort } from '../../src/algo/intro-sort.ts';
import { sortNumbers, sortTyped } from '../../src/algo/sort.ts';

const N = 1_000_000;
const N_OBJECTS = 100_000;

let source: number[] = [];
let buffer: number[] = [];
let u32Source = new Uint32Array(0);
let u32Buffer = new Uint32Array(0);
let f64Source = new Float64Array(0);
let f64Buffer = new Float64Array(0);
let objSource: { key: number; id: number }[] = [];
let objBuffer: { key: number; id: number }[] = [];

function copyNumbers(): number[] {
  const src = source;
  const dst = buffer;
  for (let i = 0; i < src.length; i++) dst[i] = src[i];
  return dst;
}

function copyObjects(): { key: number; id: number }[] {
  const src = objSource;
  const dst = objBuffer;
  for (let i = 0; i < src.length; i++) dst[i] = src[i];
  return dst;
}

function numbersSetup(make: (next: () => number) => number, length = N): () => void {
  return () => {
    const next = rng(20261127);
    source = Array.from({ length }, () => make(next));
    buffer = source.slice();
  };
}

const byNumber = (a: number, b: number): number => a - b;
const byKey = (a: { key: number }, b: { key: number }): number => a.key - b.key;

suite('algo/sort', (s) => {
  s.case({
    name: 'number[] 1e6 doubles',
    note: '1e6 seeded uniform doubles in [-1e6, 1e6) in a number[]; one op copies them into a preallocated number[] and sorts it',
    setup: numbersSetup((next) => (next() - 0.5) * 2e6),
    ours: { name: 'blackhole sortNumbers', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += sortNumbers(copyNumbers())[0]; return x; } },
    peers: [{ name: 'Array.prototype.sort((a, b) => a - b)', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += copyNumbers().sort(byNumber)[0]; return x; } }],
  });

  s.case({
    name: 'number[] 1e6 int32',
    note: '1e6 seeded uniform int32 values in a number[]; one op copies them into a preallocated number[] and sorts it',
    setup: numbersSetup((next) => Math.floor(next() * 2 ** 32) | 0),
    ours: { name: 'blackhole sortNumbers', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += sortNumbers(copyNumbers())[0]; return x; } },
    peers: [{ name: 'Array.prototype.sort((a, b) => a - b)', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += copyNumbers().sort(byNumber)[0]; return x; } }],
  });

  s.case({
    name: 'number[] 1e3 doubles',
    note: 'small input: 1e3 seeded uniform doubles in a number[] (below the radix threshold: typed copy and built-in typed sort); one op copies and sorts',
    setup: numbersSetup((next) => (next() - 0.5) * 2e6, 1000),
    ours: { name: 'blackhole sortNumbers', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += sortNumbers(copyNumbers())[0]; return x; } },
    peers: [{ name: 'Array.prototype.sort((a, b) => a - b)', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += copyNumbers().sort(byNumber)[0]; return x; } }],
  });

  s.case({
    name: 'Uint32Array 1e6',
    note: '1e6 seeded uniform uint32 values; one op copies them (set) into a preallocated Uint32Array and sorts it',
    setup: () => {
      const next = rng(20261127);
      u32Source = Uint32Array.from({ length: N }, () => Math.floor(next() * 2 ** 32));
      u32Buffer = new Uint32Array(N);
    },
    ours: { name: 'blackhole sortTyped', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) { u32Buffer.set(u32Source); x += sortTyped(u32Buffer)[0]; } return x; } },
    peers: [{ name: 'Uint32Array.prototype.sort', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) { u32Buffer.set(u32Source); x += u32Buffer.sort()[0]; } return x; } }],
  });

  s.case({
    name: 'Float64Array 1e6',
    note: '1e6 seeded doubles, normally distributed (sum of 4 uniforms, scale 1e3); one op copies them (set) into a preallocated Float64Array and sorts it',
    setup: () => {
      const next = rng(20261127);
      f64Source = Float64Array.from({ length: N }, () => (next() + next() + next() + next() - 2) * 1e3);
      f64Buffer = new Float64Array(N);
    },
    ours: { name: 'blackhole sortTyped', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) { f64Buffer.set(f64Source); x += sortTyped(f64Buffer)[0]; } return x; } },
    peers: [{ name: 'Float64Array.prototype.sort', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) { f64Buffer.set(f64Source); x += f64Buffer.sort()[0]; } return x; } }],
  });

  s.case({
    name: 'objects 1e5 by key (comparator)',
    note: '1e5 seeded objects { key, id } with uniform double keys; one op copies them into a preallocated array and sorts with (a, b) => a.key - b.key',
    setup: () => {
      const next = rng(20261127);
      objSource = Array.from({ length: N_OBJECTS }, (_, id) => ({ key: next(), id }));
      objBuffer = objSource.slice();
    },
    ours: { name: 'blackhole introSort', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += introSort(copyObjects(), byKey)[0].id; return x; } },
    peers: [{ name: 'Array.prototype.sort(compare)', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += copyObjects().sort(byKey)[0].id; return x; } }],
  });
});
