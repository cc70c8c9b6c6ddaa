// Priority queues, like for like:
//  - NumericHeap (uint32 ids, float64 priorities, typed arrays) against
//    flatqueue, the usual choice for that job, in both of its modes (growing
//    plain arrays, and fixed-capacity typed arrays).
//  - BinaryHeap (any value, comparator) against heap-js, with the same
//    comparator function object for both.
// One op is a whole workload (1e6 pushes then 1e6 pops, or 1e6 pop+push
// pairs on a heap held at 10,000 items), so the figure is ms per million.
// The steady-state cases are the classic "hold" model of an event scheduler:
// pop the earliest item, then push it back at its time plus a random delay.
// Priorities are seeded uniform floats; every impl gets the same sequence and
// reuses one queue across ops (cleared by draining), as a scheduler would.
import FlatQueue from 'flatqueue';
import { Heap } from 'heap-js';
import { rng, suite } from '../harness.ts';
import { NumericHeap } from '../../src/struct/numeric-heap.ts';
import { BinaryHeap } from '../../src/struct/binary-heap.ts';

const N = 1_000_000;
const STEADY = 10_000;

let priorities: Float64Array;
function seeded(seed: number): Float64Array {
  const next = rng(seed);
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) out[i] = next();
  return out;
}

interface Job {
  id: number;
  priority: number;
}
const byPriority = (a: Job, b: Job): number => a.priority - b.priority;
const byNumber = (a: number, b: number): number => a - b;

let jobs: Job[];
let numbers: number[];

let ours: NumericHeap;
let flatGrowing: FlatQueue<number>;
let flatFixed: FlatQueue<number>;
let oursObj: BinaryHeap<Job>;
let heapJsObj: Heap<Job>;
let oursNum: BinaryHeap<number>;
let heapJsNum: Heap<number>;

suite('struct/binary-heap', (s) => {
  s.case({
    name: 'NumericHeap push/pop 1e6',
    note: 'one op = push 1,000,000 (id, seeded random float64 priority) then pop all; queue reused',
    setup: () => {
      priorities = seeded(20261127);
      ours = new NumericHeap();
      flatGrowing = new FlatQueue<number>();
      flatFixed = new FlatQueue<number>(N);
    },
    ours: {
      name: 'blackhole NumericHeap',
      fn: (n) => {
        const q = ours;
        const pr = priorities;
        let sum = 0;
        for (let r = 0; r < n; r++) {
          for (let i = 0; i < N; i++) q.push(i, pr[i]!);
          for (let i = 0; i < N; i++) sum += q.pop()!;
        }
        return sum;
      },
    },
    peers: [
      {
        name: 'flatqueue',
        fn: (n) => {
          const q = flatGrowing;
          const pr = priorities;
          let sum = 0;
          for (let r = 0; r < n; r++) {
            for (let i = 0; i < N; i++) q.push(i, pr[i]!);
            for (let i = 0; i < N; i++) sum += q.pop()!;
          }
          return sum;
        },
      },
      {
        name: 'flatqueue (fixed capacity)',
        fn: (n) => {
          const q = flatFixed;
          const pr = priorities;
          let sum = 0;
          for (let r = 0; r < n; r++) {
            for (let i = 0; i < N; i++) q.push(i, pr[i]!);
            for (let i = 0; i < N; i++) sum += q.pop()!;
          }
          return sum;
        },
      },
    ],
  });

  s.case({
    name: 'NumericHeap hold 1e6 at 10k',
    note: 'one op = 1,000,000 times: pop the earliest of 10,000 items, push it back at its priority + a seeded random delay (event scheduler)',
    setup: () => {
      priorities = seeded(20261128);
      ours = new NumericHeap();
      flatGrowing = new FlatQueue<number>();
      for (let i = 0; i < STEADY; i++) {
        ours.push(i, priorities[i]!);
        flatGrowing.push(i, priorities[i]!);
      }
    },
    ours: {
      name: 'blackhole NumericHeap',
      fn: (n) => {
        const q = ours;
        const pr = priorities;
        let sum = 0;
        for (let r = 0; r < n; r++) {
          for (let i = 0; i < N; i++) {
            const t = q.peekPriority()!;
            const id = q.pop()!;
            q.push(id, t + pr[i]!);
            sum += id;
          }
        }
        return sum;
      },
    },
    peers: [
      {
        name: 'flatqueue',
        fn: (n) => {
          const q = flatGrowing;
          const pr = priorities;
          let sum = 0;
          for (let r = 0; r < n; r++) {
            for (let i = 0; i < N; i++) {
              const t = q.peekValue()!;
              const id = q.pop()!;
              q.push(id, t + pr[i]!);
              sum += id;
            }
          }
          return sum;
        },
      },
    ],
  });

  s.case({
    name: 'BinaryHeap push/pop 1e6 objects',
    note: 'one op = push 1,000,000 { id, priority } objects then pop all, comparator (a, b) => a.priority - b.priority',
    setup: () => {
      const pr = seeded(20261129);
      jobs = Array.from({ length: N }, (_, i) => ({ id: i, priority: pr[i]! }));
      oursObj = new BinaryHeap<Job>(byPriority);
      heapJsObj = new Heap<Job>(byPriority);
    },
    ours: {
      name: 'blackhole BinaryHeap',
      fn: (n) => {
        const h = oursObj;
        const src = jobs;
        let sum = 0;
        for (let r = 0; r < n; r++) {
          for (let i = 0; i < N; i++) h.push(src[i]!);
          for (let i = 0; i < N; i++) sum += h.pop()!.id;
        }
        return sum;
      },
    },
    peers: [
      {
        name: 'heap-js',
        fn: (n) => {
          const h = heapJsObj;
          const src = jobs;
          let sum = 0;
          for (let r = 0; r < n; r++) {
            for (let i = 0; i < N; i++) h.push(src[i]!);
            for (let i = 0; i < N; i++) sum += h.pop()!.id;
          }
          return sum;
        },
      },
    ],
  });

  s.case({
    name: 'BinaryHeap push/pop 1e6 numbers',
    note: 'one op = push 1,000,000 seeded random numbers then pop all, comparator (a, b) => a - b',
    setup: () => {
      numbers = Array.from(seeded(20261130));
      oursNum = new BinaryHeap<number>(byNumber);
      heapJsNum = new Heap<number>(byNumber);
    },
    ours: {
      name: 'blackhole BinaryHeap',
      fn: (n) => {
        const h = oursNum;
        const src = numbers;
        let sum = 0;
        for (let r = 0; r < n; r++) {
          for (let i = 0; i < N; i++) h.push(src[i]!);
          for (let i = 0; i < N; i++) sum += h.pop()!;
        }
        return sum;
      },
    },
    peers: [
      {
        name: 'heap-js',
        fn: (n) => {
          const h = heapJsNum;
          const src = numbers;
          let sum = 0;
          for (let r = 0; r < n; r++) {
            for (let i = 0; i < N; i++) h.push(src[i]!);
            for (let i = 0; i < N; i++) sum += h.pop()!;
          }
          return sum;
        },
      },
    ],
  });

  s.case({
    name: 'BinaryHeap hold 1e6 objects at 10k',
    note: 'one op = 1,000,000 times: pop the earliest of 10,000 { id, priority } objects, push it back with priority + a seeded random delay',
    setup: () => {
      priorities = seeded(20261131);
      jobs = Array.from({ length: N }, (_, i) => ({ id: i, priority: priorities[i]! }));
      oursObj = new BinaryHeap<Job>(byPriority, jobs.slice(0, STEADY));
      // Separate objects per heap: the hold loop mutates priorities.
      heapJsObj = Heap.heapify(jobs.slice(0, STEADY).map((j) => ({ ...j })), byPriority);
    },
    ours: {
      name: 'blackhole BinaryHeap',
      fn: (n) => {
        const h = oursObj;
        const pr = priorities;
        let sum = 0;
        for (let r = 0; r < n; r++) {
          for (let i = 0; i < N; i++) {
            const job = h.pop()!;
            job.priority += pr[i]!;
            h.push(job);
            sum += job.id;
          }
        }
        return sum;
      },
    },
    peers: [
      {
        name: 'heap-js',
        fn: (n) => {
          const h = heapJsObj;
          const pr = priorities;
          let sum = 0;
          for (let r = 0; r < n; r++) {
            for (let i = 0; i < N; i++) {
              const job = h.pop()!;
              job.priority += pr[i]!;
              h.push(job);
              sum += job.id;
            }
          }
          return sum;
        },
      },
    ],
  });
});
