// BTree against sorted-btree (the ordered map people use today) and plain
// built-ins: a Map for point lookups, a sorted Float64Array + binary search
// for range scans. Keys are seeded random integers in [0, 2^31); every impl
// sees the same keys in the same order.
//
// sorted-btree runs twice: at its default node size (32, what most users
// get) and at 256 (its maximum, and our default), so the comparison does not
// rest on a configuration difference.
//
// Workloads, each op is one operation:
//  - insert: one set() of a fresh key into a tree growing from empty to N,
//    restarted (new empty tree) when it reaches N, so the figure is the
//    average insert cost over a build of N keys, GC of old trees included.
//  - get: one lookup of a present key in a tree of N keys (2^16 query keys, cycled).
//  - range: one scan of exactly 100 consecutive keys [lo, hi), counting odd keys.
import sortedBTree from 'sorted-btree';
import type SortedBTreeType from 'sorted-btree';
import { rng, suite } from '../harness.ts';
import { BTree } from '../../src/struct/b-tree.ts';

// sorted-btree is CommonJS: the ESM default import is module.exports, whose `default` is the class.
const SortedBTree = sortedBTree.default;
type SortedBTree<K, V> = SortedBTreeType.default<K, V>;

const Q = 1 << 16;
/** sorted-btree's largest node size, the same as our default: the peer tuned as far as it goes. */
const TUNED = 256;

interface Data {
  n: number;
  /** Distinct keys in seeded random (insertion) order. */
  keys: Float64Array;
  /** The same keys ascending. */
  sorted: Float64Array;
  /** Lookup keys, all present. */
  queries: Float64Array;
  /** Range start indexes into `sorted`, each with 100 keys after it. */
  starts: Int32Array;
}

function makeData(n: number, seed: number): Data {
  const random = rng(seed);
  const seen = new Set<number>();
  const keys = new Float64Array(n);
  for (let i = 0; i < n; ) {
    const k = Math.floor(random() * 2 ** 31);
    if (seen.has(k)) continue;
    seen.add(k);
    keys[i++] = k;
  }
  const sorted = Float64Array.from(keys).sort();
  const queries = new Float64Array(Q);
  const starts = new Int32Array(Q);
  for (let i = 0; i < Q; i++) {
    queries[i] = keys[Math.floor(random() * n)]!;
    starts[i] = Math.floor(random() * (n - 101));
  }
  return { n, keys, sorted, queries, starts };
}

function lowerIndex(a: Float64Array, key: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

for (const [label, n] of [['1e5', 100_000], ['1e6', 1_000_000]] as const) {
  let d: Data;
  let ours: BTree<number, number>;
  let theirs: SortedBTree<number, number>;
  let tuned: SortedBTree<number, number>;
  let map: Map<number, number>;
  let oursCursor = 0;
  let theirsCursor = 0;
  let tunedCursor = 0;
  let mapCursor = 0;
  const release = (): void => {
    d = undefined as unknown as Data;
    ours = undefined as unknown as BTree<number, number>;
    theirs = undefined as unknown as SortedBTree<number, number>;
    tuned = undefined as unknown as SortedBTree<number, number>;
    map = undefined as unknown as Map<number, number>;
  };

  suite(`struct/b-tree ${label}`, (s) => {
    s.case({
      name: `insert, ${label} keys`,
      note: `one set() of a fresh random key per op; the tree grows from empty to ${label} keys, then starts over`,
      setup: () => {
        d = makeData(n, 1127);
        ours = new BTree<number, number>();
        theirs = new SortedBTree<number, number>();
        map = new Map<number, number>();
        tuned = new SortedBTree<number, number>(undefined, undefined, TUNED);
        oursCursor = theirsCursor = tunedCursor = mapCursor = 0;
      },
      teardown: release,
      ours: {
        name: 'blackhole BTree',
        fn: (iterations) => {
          const keys = d.keys;
          for (let i = 0; i < iterations; i++) {
            if (oursCursor === n) {
              ours = new BTree<number, number>();
              oursCursor = 0;
            }
            ours.set(keys[oursCursor]!, i);
            oursCursor++;
          }
          return ours.size;
        },
      },
      peers: [
        {
          name: 'sorted-btree',
          fn: (iterations) => {
            const keys = d.keys;
            for (let i = 0; i < iterations; i++) {
              if (theirsCursor === n) {
                theirs = new SortedBTree<number, number>();
                theirsCursor = 0;
              }
              theirs.set(keys[theirsCursor]!, i);
              theirsCursor++;
            }
            return theirs.size;
          },
        },
        {
          name: 'sorted-btree (maxNodeSize 256)',
          fn: (iterations) => {
            const keys = d.keys;
            for (let i = 0; i < iterations; i++) {
              if (tunedCursor === n) {
                tuned = new SortedBTree<number, number>(undefined, undefined, TUNED);
                tunedCursor = 0;
              }
              tuned.set(keys[tunedCursor]!, i);
              tunedCursor++;
            }
            return tuned.size;
          },
        },
        {
          name: 'Map (unordered)',
          fn: (iterations) => {
            const keys = d.keys;
            for (let i = 0; i < iterations; i++) {
              if (mapCursor === n) {
                map = new Map<number, number>();
                mapCursor = 0;
              }
              map.set(keys[mapCursor]!, i);
              mapCursor++;
            }
            return map.size;
          },
        },
      ],
    });

    s.case({
      name: `get, ${label} keys`,
      note: `one lookup of a present key per op in a map of ${label} random keys`,
      setup: () => {
        d = makeData(n, 1127);
        ours = new BTree<number, number>();
        theirs = new SortedBTree<number, number>();
        tuned = new SortedBTree<number, number>(undefined, undefined, TUNED);
        map = new Map<number, number>();
        for (let i = 0; i < n; i++) {
          const k = d.keys[i]!;
          ours.set(k, i);
          theirs.set(k, i);
          tuned.set(k, i);
          map.set(k, i);
        }
      },
      teardown: release,
      ours: {
        name: 'blackhole BTree',
        fn: (iterations) => {
          const t = ours;
          const q = d.queries;
          let x = 0;
          for (let i = 0; i < iterations; i++) x += t.get(q[i & (Q - 1)]!)!;
          return x;
        },
      },
      peers: [
        {
          name: 'sorted-btree',
          fn: (iterations) => {
            const t = theirs;
            const q = d.queries;
            let x = 0;
            for (let i = 0; i < iterations; i++) x += t.get(q[i & (Q - 1)]!)!;
            return x;
          },
        },
        {
          name: 'sorted-btree (maxNodeSize 256)',
          fn: (iterations) => {
            const t = tuned;
            const q = d.queries;
            let x = 0;
            for (let i = 0; i < iterations; i++) x += t.get(q[i & (Q - 1)]!)!;
            return x;
          },
        },
        {
          name: 'Map (unordered)',
          fn: (iterations) => {
            const t = map;
            const q = d.queries;
            let x = 0;
            for (let i = 0; i < iterations; i++) x += t.get(q[i & (Q - 1)]!)!;
            return x;
          },
        },
      ],
    });

    // The callback counts odd keys: a small-integer accumulator, so the
    // closure's context slot never holds a boxed double (that would allocate
    // per call and swamp the scan being measured).
    let sum = 0;
    const add = (k: number): void => {
      sum += k & 1;
    };
    s.case({
      name: `range of 100, ${label} keys`,
      note: `one scan of 100 consecutive keys [lo, hi) per op, counting the odd keys, in a map of ${label} random keys`,
      setup: () => {
        d = makeData(n, 1127);
        ours = new BTree<number, number>();
        theirs = new SortedBTree<number, number>();
        tuned = new SortedBTree<number, number>(undefined, undefined, TUNED);
        for (let i = 0; i < n; i++) {
          const k = d.keys[i]!;
          ours.set(k, i);
          theirs.set(k, i);
          tuned.set(k, i);
        }
      },
      teardown: release,
      ours: {
        name: 'blackhole BTree',
        fn: (iterations) => {
          const t = ours;
          const sorted = d.sorted;
          const starts = d.starts;
          sum = 0;
          for (let i = 0; i < iterations; i++) {
            const s0 = starts[i & (Q - 1)]!;
            t.forEachRange(sorted[s0]!, sorted[s0 + 100]!, add);
          }
          return sum;
        },
      },
      peers: [
        {
          name: 'sorted-btree',
          fn: (iterations) => {
            const t = theirs;
            const sorted = d.sorted;
            const starts = d.starts;
            sum = 0;
            for (let i = 0; i < iterations; i++) {
              const s0 = starts[i & (Q - 1)]!;
              t.forRange(sorted[s0]!, sorted[s0 + 100]!, false, add);
            }
            return sum;
          },
        },
        {
          name: 'sorted-btree (maxNodeSize 256)',
          fn: (iterations) => {
            const t = tuned;
            const sorted = d.sorted;
            const starts = d.starts;
            sum = 0;
            for (let i = 0; i < iterations; i++) {
              const s0 = starts[i & (Q - 1)]!;
              t.forRange(sorted[s0]!, sorted[s0 + 100]!, false, add);
            }
            return sum;
          },
        },
        {
          name: 'sorted Float64Array + binary search',
          fn: (iterations) => {
            const sorted = d.sorted;
            const starts = d.starts;
            let x = 0;
            for (let i = 0; i < iterations; i++) {
              const s0 = starts[i & (Q - 1)]!;
              const hi = sorted[s0 + 100]!;
              for (let j = lowerIndex(sorted, sorted[s0]!); j < sorted.length && sorted[j]! < hi; j++) x += sorted[j]! & 1;
            }
            return x;
          },
        },
      ],
    });
  });
}
