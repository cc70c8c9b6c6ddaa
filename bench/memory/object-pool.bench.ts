// ObjectPool against plain `new`, published whichever way it comes out.
// Three workloads: objects that die at once (V8's best case: young-generation
// bump allocation), objects that stay live across many scavenges (a ring of
// 100,000 live objects, each replaced after 100,000 ops, so `new` objects get
// promoted to the old generation), and objects whose construction is
// expensive (each owns a 2 KiB Float64Array scratch buffer).
//
// Caveat for the long-lived case: ours and the peer share one heap and run
// interleaved, and V8 finishes the old-generation GC that the peer's garbage
// starts at a loop interrupt check of whichever impl runs next, so much of
// that GC is billed to ours (a CPU profile of this case shows GC, not the
// pool, dominating ours). docs/readme/memory.md gives one-impl-per-process
// figures beside the harness's.
//
// Both rings are filled by push: V8 gives `new Array(100000)` dictionary
// (hash table) elements, which would make every ring access a hash lookup.
import { rng, suite } from '../harness.ts';
import { ObjectPool } from '../../src/memory/object-pool.ts';
const RING = 100_000;
let ring: Particle[] = [];
let peerRing: Particle[] = [];
let ringPos = 0;
let peerPos = 0;

/** A small particle record: eight numeric fields, all set in the constructor (one shape). */
class Particle {
  x: number;
  y: number;
  z: number;
  vx: number;
  vy: number;
  vz: number;
  mass: number;
  id: number;
  constructor() {
    this.x = 0;
    this.y = 0;
    this.z = 0;
    this.vx = 0;
    this.vy = 0;
    this.vz = 0;
    this.mass = 0;
    this.id = 0;
  }
}

/** A record that owns a scratch buffer: costly to construct, cheap to reuse. */
class Job {
  id: number;
  scratch: Float64Array;
  constructor() {
    this.id = 0;
    this.scratch = new Float64Array(256);
  }
}

const N = 4096;
const MASK = N - 1;
const values = new Float64Array(N);
const random = rng(20261127);
for (let i = 0; i < N; i++) values[i] = random() * 100;

let pool: ObjectPool<Particle>;
let jobPool: ObjectPool<Job>;

function init(p: Particle, i: number): void {
  const v = values[i & MASK];
  p.x = v;
  p.y = v + 1;
  p.z = v + 2;
  p.vx = -v;
  p.vy = 0.5 * v;
  p.vz = 0;
  p.mass = 1;
  p.id = i;
}

suite('memory/object-pool', (s) => {
  s.case({
    name: 'short-lived object',
    note: 'per op: get an 8-field object, fill it, read it, drop it (pool: release; new: garbage at once)',
    setup: () => {
      pool = new ObjectPool({ create: () => new Particle(), initialSize: 16 });
    },
    ours: {
      name: 'blackhole ObjectPool',
      fn: (n) => {
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const p = pool.acquire();
          init(p, i);
          sum += p.x + p.vy;
          pool.release(p);
        }
        return sum;
      },
    },
    peers: [
      {
        name: 'new (young-generation GC)',
        fn: (n) => {
          let sum = 0;
          for (let i = 0; i < n; i++) {
            const p = new Particle();
            init(p, i);
            sum += p.x + p.vy;
          }
          return sum;
        },
      },
    ],
  });

  s.case({
    name: 'long-lived object (100k live)',
    note: 'per op: replace the oldest of 100,000 live 8-field objects (each lives 100,000 ops, so `new` objects are promoted to the old generation)',
    setup: () => {
      pool = new ObjectPool({ create: () => new Particle(), maxRetained: 1024 });
      ring = [];
      peerRing = [];
      for (let i = 0; i < RING; i++) {
        const p = pool.acquire();
        init(p, i);
        ring.push(p);
        const q = new Particle();
        init(q, i);
        peerRing.push(q);
      }
      ringPos = 0;
      peerPos = 0;
    },
    ours: {
      name: 'blackhole ObjectPool',
      fn: (n) => {
        const r = ring;
        let pos = ringPos;
        let sum = 0;
        for (let i = 0; i < n; i++) {
          pool.release(r[pos]);
          const p = pool.acquire();
          init(p, i);
          r[pos] = p;
          sum += p.x;
          if (++pos === RING) pos = 0;
        }
        ringPos = pos;
        return sum;
      },
    },
    peers: [
      {
        name: 'new (promoted to old generation)',
        fn: (n) => {
          const r = peerRing;
          let pos = peerPos;
          let sum = 0;
          for (let i = 0; i < n; i++) {
            const p = new Particle();
            init(p, i);
            r[pos] = p;
            sum += p.x;
            if (++pos === RING) pos = 0;
          }
          peerPos = pos;
          return sum;
        },
      },
    ],
  });

  s.case({
    name: 'object owning a 2 KiB Float64Array',
    note: 'per op: get a job record holding a 256-element Float64Array, write 8 entries, drop it',
    setup: () => {
      jobPool = new ObjectPool({ create: () => new Job(), initialSize: 16 });
    },
    ours: {
      name: 'blackhole ObjectPool',
      fn: (n) => {
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const j = jobPool.acquire();
          j.id = i;
          const s = j.scratch;
          for (let k = 0; k < 8; k++) s[k] = values[(i + k) & MASK];
          sum += s[7];
          jobPool.release(j);
        }
        return sum;
      },
    },
    peers: [
      {
        name: 'new',
        fn: (n) => {
          let sum = 0;
          for (let i = 0; i < n; i++) {
            const j = new Job();
            j.id = i;
            const s = j.scratch;
            for (let k = 0; k < 8; k++) s[k] = values[(i + k) & MASK];
            sum += s[7];
          }
          return sum;
        },
      },
    ],
  });
});
