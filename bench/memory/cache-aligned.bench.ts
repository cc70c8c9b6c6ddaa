// Struct-of-arrays from defineLayout against the two usual layouts, for a
// pass that reads one field of every record (sum of x over 100,000 particles
// of 7 fields): an array of objects, and one interleaved Float64Array with a
// 7-word stride (array of structs). An op is one record visited.
import { rng, suite } from '../harness.ts';
import { defineLayout, type StructOfArrays } from '../../src/memory/cache-aligned.ts';

const COUNT = 100_000;
const FIELDS = 7;

interface ParticleObject {
  x: number;
  y: number;
  z: number;
  vx: number;
  vy: number;
  vz: number;
  id: number;
}

const particleLayout = defineLayout({ x: 'f64', y: 'f64', z: 'f64', vx: 'f64', vy: 'f64', vz: 'f64', id: 'u32' });
let soa: StructOfArrays<{ x: 'f64'; y: 'f64'; z: 'f64'; vx: 'f64'; vy: 'f64'; vz: 'f64'; id: 'u32' }>;
let objects: ParticleObject[];
let interleaved: Float64Array;

suite('memory/cache-aligned', (s) => {
  s.case({
    name: 'sum one field of 100k records',
    note: 'per op: read x of one record in order, 100,000 records of 7 fields (6 f64 + id), seeded',
    setup: () => {
      const random = rng(20261127);
      soa = particleLayout.create(COUNT);
      objects = new Array<ParticleObject>(COUNT);
      interleaved = new Float64Array(COUNT * FIELDS);
      const c = soa.columns;
      for (let i = 0; i < COUNT; i++) {
        const p = { x: random(), y: random(), z: random(), vx: random(), vy: random(), vz: random(), id: i };
        objects[i] = p;
        c.x[i] = p.x; c.y[i] = p.y; c.z[i] = p.z; c.vx[i] = p.vx; c.vy[i] = p.vy; c.vz[i] = p.vz; c.id[i] = i;
        interleaved.set([p.x, p.y, p.z, p.vx, p.vy, p.vz, i], i * FIELDS);
      }
    },
    ours: {
      name: 'defineLayout columns (SoA)',
      fn: (n) => {
        const x = soa.columns.x;
        let sum = 0;
        let i = 0;
        for (let k = 0; k < n; k++) {
          sum += x[i];
          if (++i === COUNT) i = 0;
        }
        return sum;
      },
    },
    peers: [
      {
        name: 'array of objects',
        fn: (n) => {
          const arr = objects;
          let sum = 0;
          let i = 0;
          for (let k = 0; k < n; k++) {
            sum += arr[i].x;
            if (++i === COUNT) i = 0;
          }
          return sum;
        },
      },
      {
        name: 'interleaved Float64Array (AoS)',
        fn: (n) => {
          const a = interleaved;
          let sum = 0;
          let i = 0;
          for (let k = 0; k < n; k++) {
            sum += a[i];
            i += FIELDS;
            if (i === COUNT * FIELDS) i = 0;
          }
          return sum;
        },
      },
    ],
  });
});
