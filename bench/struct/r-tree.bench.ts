// RTree (dynamic) against rbush on the same 100,000 seeded boxes: one-by-one
// insertion, small-box search, bulk load, k nearest neighbours and removal.
// Boxes are up to 1% of a 1000 x 1000 world wide (skewed toward small);
// queries are 1024 seeded boxes up to 1 unit (0.1% of the world) wide,
// hitting a handful of items each, the common "what is under this cursor" load.
import RBush from 'rbush';
import { rng, suite } from '../harness.ts';
import { RTree, type Box } from '../../src/struct/r-tree.ts';

const N = 100_000;
const Q = 1024;
const WORLD = 1000;

function makeBoxes(seed: number, count: number, maxSize: number): Box[] {
  const next = rng(seed);
  const out: Box[] = [];
  for (let i = 0; i < count; i++) {
    const x = next() * WORLD;
    const y = next() * WORLD;
    const w = next() ** 2 * maxSize;
    const h = next() ** 2 * maxSize;
    out.push({ minX: x, minY: y, maxX: x + w, maxY: y + h });
  }
  return out;
}

const boxes = makeBoxes(20261127, N, WORLD / 100);
const queries = makeBoxes(7, Q, 1);
const points = makeBoxes(11, Q, 0);

let ours: RTree;
let peer: RBush<Box>;

function buildBoth(): void {
  ours = new RTree();
  peer = new RBush<Box>();
  for (let i = 0; i < N; i++) {
    ours.insert(boxes[i]!);
    peer.insert(boxes[i]!);
  }
}

suite('struct/r-tree', (s) => {
  s.case({
    name: 'insert 1e5',
    note: 'one op = an empty tree plus 100,000 one-by-one inserts of seeded boxes (default node sizes: ours 16, rbush 9)',
    ours: {
      name: 'blackhole RTree',
      fn: (n) => {
        let t!: RTree;
        for (let r = 0; r < n; r++) {
          t = new RTree();
          for (let i = 0; i < N; i++) t.insert(boxes[i]!);
        }
        return t.size;
      },
    },
    peers: [
      {
        name: 'rbush',
        fn: (n) => {
          let t!: RBush<Box>;
          for (let r = 0; r < n; r++) {
            t = new RBush<Box>();
            for (let i = 0; i < N; i++) t.insert(boxes[i]!);
          }
          return t.toJSON();
        },
      },
    ],
  });

  s.case({
    name: 'search 1e5 (small boxes)',
    note: 'one op = one search with a small seeded box (up to 1 x 1 in a 1000 x 1000 world) on a tree built by 100,000 inserts',
    setup: buildBoth,
    ours: {
      name: 'blackhole RTree',
      fn: (n) => {
        let found = 0;
        for (let i = 0; i < n; i++) {
          const q = queries[i & (Q - 1)]!;
          found += ours.search(q.minX, q.minY, q.maxX, q.maxY).length;
        }
        return found;
      },
    },
    peers: [
      {
        name: 'rbush',
        fn: (n) => {
          let found = 0;
          for (let i = 0; i < n; i++) found += peer.search(queries[i & (Q - 1)]!).length;
          return found;
        },
      },
    ],
  });

  s.case({
    name: 'collides 1e5',
    note: 'one op = one collision test with a small seeded box on a tree built by 100,000 inserts',
    setup: buildBoth,
    ours: {
      name: 'blackhole RTree',
      fn: (n) => {
        let hits = 0;
        for (let i = 0; i < n; i++) {
          const q = queries[i & (Q - 1)]!;
          if (ours.collides(q.minX, q.minY, q.maxX, q.maxY)) hits++;
        }
        return hits;
      },
    },
    peers: [
      {
        name: 'rbush',
        fn: (n) => {
          let hits = 0;
          for (let i = 0; i < n; i++) if (peer.collides(queries[i & (Q - 1)]!)) hits++;
          return hits;
        },
      },
    ],
  });

  s.case({
    name: 'bulk load 1e5',
    note: 'one op = load() of 100,000 seeded boxes into an empty tree (OMT packing in both)',
    ours: {
      name: 'blackhole RTree',
      fn: (n) => {
        let t!: RTree;
        for (let r = 0; r < n; r++) t = new RTree().load(boxes);
        return t.size;
      },
    },
    peers: [
      {
        name: 'rbush',
        fn: (n) => {
          let t!: RBush<Box>;
          for (let r = 0; r < n; r++) t = new RBush<Box>().load(boxes);
          return t.toJSON();
        },
      },
    ],
  });

  s.case({
    name: 'remove + reinsert 1e5',
    note: 'one op = remove one seeded item and insert it back, on a tree built by 100,000 inserts',
    setup: buildBoth,
    ours: {
      name: 'blackhole RTree',
      fn: (n) => {
        for (let i = 0; i < n; i++) {
          const b = boxes[(i * 7919) % N]!;
          ours.remove(b);
          ours.insert(b);
        }
        return ours.size;
      },
    },
    peers: [
      {
        name: 'rbush',
        fn: (n) => {
          for (let i = 0; i < n; i++) {
            const b = boxes[(i * 7919) % N]!;
            peer.remove(b);
            peer.insert(b);
          }
          return peer.toJSON();
        },
      },
    ],
  });
});
