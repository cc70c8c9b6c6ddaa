// memoize() against fast-memoize and moize: the overhead of a memoized call
// that hits, over a seeded stream of arguments drawn from a working set of
// WORKING distinct calls (after the first pass every call is a hit). The
// memoized function is trivial so the cache is what gets measured.
//
// Fairness: ours and moize are bounded at MAX_SIZE entries (moize's maxSize;
// its cache is an array scanned linearly, which is its design, not a
// misconfiguration). fast-memoize has no bound at all (its default cache is a
// plain object, never evicted), so it does strictly less work than a bounded
// cache; it is shown both so and with its pluggable `cache` option backed by
// lru-cache at the same bound (the fair comparison for a bounded memoizer). Three-argument calls: fast-memoize keys them with JSON.stringify
// (so equal-looking objects collide, and the key is built on every call);
// ours keys by value/identity through a trie; moize compares arguments with
// SameValueZero, like ours.
import fastMemoizeImport from 'fast-memoize';
import moizeImport from 'moize';
import { LRUCache } from 'lru-cache';
import { rng, suite } from '../harness.ts';
import { memoize } from '../../src/cache/memoizer.ts';

const MAX_SIZE = 1024;

type AnyFn = (...args: never[]) => unknown;
type Memo = <F extends AnyFn>(fn: F, options?: { maxSize?: number; cache?: { create: () => unknown } }) => F;
/** CommonJS interop: Node hands over module.exports, while both .d.ts files declare an ES default export. */
function interop(m: unknown): Memo {
  return (typeof m === 'function' ? m : (m as { default: unknown }).default) as Memo;
}
const fastMemoize = interop(fastMemoizeImport);
const moize = interop(moizeImport);

/** fast-memoize's pluggable cache, backed by lru-cache: the same bound as ours. */
const boundedCache = { create: () => new LRUCache<string | number, number>({ max: MAX_SIZE }) };

const WORKING = 256;
const N = 4096; // stream length (power of two, indexed with a mask)

const random = rng(20261127);
const nums = new Float64Array(WORKING);
const strs: string[] = [];
const objs: { id: number }[] = [];
for (let i = 0; i < WORKING; i++) {
  nums[i] = Math.floor(random() * 1_000_000);
  strs.push(`key-${Math.floor(random() * 1_000_000).toString(36)}`);
  objs.push({ id: i });
}
/** Indices into the working set, in call order. */
const stream = new Int32Array(N);
for (let i = 0; i < N; i++) stream[i] = Math.floor(random() * WORKING);

const one = (x: number): number => x * 2 + 1;
const three = (x: number, s: string, o: { id: number }): number => x + s.length + o.id;

const oneStr = (x: string): number => x.length * 2 + 1;

type One = (x: number) => number;
type OneStr = (x: string) => number;
type Three = (x: number, s: string, o: { id: number }) => number;

function runOne(f: One, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += f(nums[stream[i & (N - 1)]!]!);
  return sum;
}

function runOneStr(f: OneStr, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += f(strs[stream[i & (N - 1)]!]!);
  return sum;
}

function runThree(f: Three, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const j = stream[i & (N - 1)]!;
    sum += f(nums[j]!, strs[j]!, objs[j]!);
  }
  return sum;
}

let oursOne: One;
let fastOne: One;
let fastLruOne: One;
let moizeOne: One;
let oursStr: OneStr;
let fastStr: OneStr;
let fastLruStr: OneStr;
let moizeStr: OneStr;
let oursThree: Three;
let fastThree: Three;
let fastLruThree: Three;
let moizeThree: Three;

suite('cache/memoizer', (s) => {
  s.case({
    name: 'one number argument, hits',
    note: `one call per op; ${WORKING} distinct numbers, seeded uniform stream (all hits after warm-up); ours, moize and fast-memoize + lru-cache bounded at ${MAX_SIZE}; plain fast-memoize is unbounded (a plain-object cache, never evicted)`,
    setup: () => {
      oursOne = memoize(one, { maxSize: MAX_SIZE });
      fastOne = fastMemoize(one);
      fastLruOne = fastMemoize(one, { cache: boundedCache });
      moizeOne = moize(one, { maxSize: MAX_SIZE });
    },
    ours: { name: 'blackhole memoize', fn: (n) => runOne(oursOne, n) },
    peers: [
      { name: 'fast-memoize (unbounded)', fn: (n) => runOne(fastOne, n) },
      { name: `fast-memoize + lru-cache (max ${MAX_SIZE})`, fn: (n) => runOne(fastLruOne, n) },
      { name: `moize (maxSize ${MAX_SIZE})`, fn: (n) => runOne(moizeOne, n) },
    ],
  });
  s.case({
    name: 'one string argument, hits',
    note: `one call per op; ${WORKING} distinct strings of ~10 chars, seeded uniform stream (all hits after warm-up); bounded peers at ${MAX_SIZE} as above; fast-memoize serialises a string argument with JSON.stringify (by design: it treats strings as unsafe object keys)`,
    setup: () => {
      oursStr = memoize(oneStr, { maxSize: MAX_SIZE });
      fastStr = fastMemoize(oneStr);
      fastLruStr = fastMemoize(oneStr, { cache: boundedCache });
      moizeStr = moize(oneStr, { maxSize: MAX_SIZE });
    },
    ours: { name: 'blackhole memoize', fn: (n) => runOneStr(oursStr, n) },
    peers: [
      { name: 'fast-memoize (unbounded)', fn: (n) => runOneStr(fastStr, n) },
      { name: `fast-memoize + lru-cache (max ${MAX_SIZE})`, fn: (n) => runOneStr(fastLruStr, n) },
      { name: `moize (maxSize ${MAX_SIZE})`, fn: (n) => runOneStr(moizeStr, n) },
    ],
  });
  s.case({
    name: 'three arguments (number, string, object), hits',
    note: `one call per op; ${WORKING} distinct (number, string, object) tuples, seeded uniform stream (all hits after warm-up); bounded peers at ${MAX_SIZE} as above; fast-memoize keys by JSON.stringify(args), ours and moize by value/identity`,
    setup: () => {
      oursThree = memoize(three, { maxSize: MAX_SIZE });
      fastThree = fastMemoize(three);
      fastLruThree = fastMemoize(three, { cache: boundedCache });
      moizeThree = moize(three, { maxSize: MAX_SIZE });
    },
    ours: { name: 'blackhole memoize', fn: (n) => runThree(oursThree, n) },
    peers: [
      { name: 'fast-memoize (unbounded)', fn: (n) => runThree(fastThree, n) },
      { name: `fast-memoize + lru-cache (max ${MAX_SIZE})`, fn: (n) => runThree(fastLruThree, n) },
      { name: `moize (maxSize ${MAX_SIZE})`, fn: (n) => runThree(moizeThree, n) },
    ],
  });
});
