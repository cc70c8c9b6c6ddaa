// PackedRTree against flatbush on the same 1,000,000 seeded boxes (same node
// size, 16, and Float64 coordinates in both): build (add every box, then
// finish), small-box search, collision test and 10 nearest neighbours.
// Boxes are up to 1% of a 1000 x 1000 world wide (skewed toward small);
// queries are 1024 seeded boxes up to 1 unit wide.
import Flatbush from 'flatbush';
import { rng, suite } from '../harness.ts';
import { PackedRTree } from '../../src/struct/packed-r-tree.ts';

const N = 1_000_000;
const Q = 1024;
const WORLD = 1000;

function makeBoxes(seed: number, count: number, maxSize: number): Float64Array {
  const next = rng(seed);
  const out = new Float64Array(4 * count);
  for (let i = 0; i < count; i++) {
    const x = next() * WORLD;
    const y = next() * WORLD;
    out[4 * i] = x;
    out[4 * i + 1] = y;
    out[4 * i + 2] = x + next() ** 2 * maxSize;
    out[4 * i + 3] = y + next() ** 2 * maxSize;
  }
  return out;
}

const boxes = makeBoxes(20261127, N, WORLD / 100);
const queries = makeBoxes(7, Q, 1);

function buildOurs(): PackedRTree {
  const index = new PackedRTree(N);
  for (let i = 0; i < 4 * N; i += 4) index.add(boxes[i]!, boxes[i + 1]!, boxes[i + 2]!, boxes[i + 3]!);
  return index.finish();
}

function buildPeer(): Flatbush {
  const index = new Flatbush(N);
  for (let i = 0; i < 4 * N; i += 4) index.add(boxes[i]!, boxes[i + 1]!, boxes[i + 2]!, boxes[i + 3]!);
  index.finish();
  return index;
}

let ours: PackedRTree;
let peer: Flatbush;

function buildBoth(): void {
  ours = buildOurs();
  peer = buildPeer();
}

suite('struct/packed-r-tree', (s) => {
  s.case({
    name: 'build 1e6',
    note: 'one op = a new index, 1,000,000 add() calls and finish() (Hilbert sort and levels), node size 16',
    ours: { name: 'blackhole PackedRTree', fn: (n) => { let t!: PackedRTree; for (let r = 0; r < n; r++) t = buildOurs(); return t.byteLength; } },
    peers: [{ name: 'flatbush', fn: (n) => { let t!: Flatbush; for (let r = 0; r < n; r++) t = buildPeer(); return t.data.byteLength; } }],
  });

  s.case({
    name: 'search 1e6 (small boxes)',
    note: 'one op = one search with a small seeded box (up to 1 x 1 in a 1000 x 1000 world) on a 1,000,000-box index',
    setup: buildBoth,
    ours: {
      name: 'blackhole PackedRTree',
      fn: (n) => {
        let found = 0;
        for (let i = 0; i < n; i++) {
          const j = 4 * (i & (Q - 1));
          found += ours.search(queries[j]!, queries[j + 1]!, queries[j + 2]!, queries[j + 3]!).length;
        }
        return found;
      },
    },
    peers: [
      {
        name: 'flatbush',
        fn: (n) => {
          let found = 0;
          for (let i = 0; i < n; i++) {
            const j = 4 * (i & (Q - 1));
            found += peer.search(queries[j]!, queries[j + 1]!, queries[j + 2]!, queries[j + 3]!).length;
          }
          return found;
        },
      },
    ],
  });

  s.case({
    name: 'nearest 10 of 1e6',
    note: 'one op = the 10 nearest boxes to a seeded point on a 1,000,000-box index',
    setup: buildBoth,
    ours: {
      name: 'blackhole PackedRTree',
      fn: (n) => {
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const j = 4 * (i & (Q - 1));
          sum += ours.nearest(queries[j]!, queries[j + 1]!, 10)[9]!;
        }
        return sum;
      },
    },
    peers: [
      {
        name: 'flatbush',
        fn: (n) => {
          let sum = 0;
          for (let i = 0; i < n; i++) {
            const j = 4 * (i & (Q - 1));
            sum += peer.neighbors(queries[j]!, queries[j + 1]!, 10)[9]!;
          }
          return sum;
        },
      },
    ],
  });
});
