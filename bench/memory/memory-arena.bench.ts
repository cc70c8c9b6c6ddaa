// MemoryArena against plain typed-array construction, for per-frame scratch
// arrays: each op allocates one array and writes two elements; the arena is
// reset every 1024 ops (one "frame"), which is counted in the timing. Sizes:
// 32 bytes (V8 keeps typed arrays up to 64 bytes on the JS heap, its cheapest
// case), 1 KiB (off-heap backing store) and 256-byte DataViews.
import { rng, suite } from '../harness.ts';
import { MemoryArena } from '../../src/memory/memory-arena.ts';

const FRAME = 1024;
const random = rng(20261127);
const values = Float64Array.from({ length: 4096 }, () => random());

let arena: MemoryArena;

suite('memory/memory-arena', (s) => {
  for (const length of [4, 128]) {
    s.case({
      name: `Float64Array(${length})`,
      note: `per op: one ${length * 8}-byte Float64Array, two writes; arena reset every ${FRAME} ops`,
      setup: () => {
        arena = new MemoryArena({ chunkBytes: 1 << 20 });
      },
      ours: {
        name: 'blackhole MemoryArena',
        fn: (n) => {
          let x = 0;
          for (let i = 0; i < n; i++) {
            if ((i & (FRAME - 1)) === 0) arena.reset();
            const a = arena.float64(length);
            a[0] = values[i & 4095];
            a[length - 1] = 1;
            x += a[0];
          }
          return x;
        },
      },
      peers: [
        {
          name: 'new Float64Array',
          fn: (n) => {
            let x = 0;
            for (let i = 0; i < n; i++) {
              const a = new Float64Array(length);
              a[0] = values[i & 4095];
              a[length - 1] = 1;
              x += a[0];
            }
            return x;
          },
        },
      ],
    });
  }

  s.case({
    name: 'DataView(256)',
    note: `per op: one 256-byte DataView, two writes; arena reset every ${FRAME} ops`,
    setup: () => {
      arena = new MemoryArena({ chunkBytes: 1 << 20 });
    },
    ours: {
      name: 'blackhole MemoryArena',
      fn: (n) => {
        let x = 0;
        for (let i = 0; i < n; i++) {
          if ((i & (FRAME - 1)) === 0) arena.reset();
          const v = arena.dataView(256);
          v.setFloat64(0, values[i & 4095]);
          v.setUint32(252, i);
          x += v.getFloat64(0);
        }
        return x;
      },
    },
    peers: [
      {
        name: 'new DataView(new ArrayBuffer)',
        fn: (n) => {
          let x = 0;
          for (let i = 0; i < n; i++) {
            const v = new DataView(new ArrayBuffer(256));
            v.setFloat64(0, values[i & 4095]);
            v.setUint32(252, i);
            x += v.getFloat64(0);
          }
          return x;
        },
      },
    ],
  });
});
