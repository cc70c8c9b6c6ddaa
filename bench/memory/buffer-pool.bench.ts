// BufferPool against Buffer.alloc and Buffer.allocUnsafe. Each op gets a
// buffer, fills it completely (standing in for a read from a file or socket)
// and gives it back (pool) or drops it (peers), so all impls pay the same
// "use" cost and the difference is allocation, zeroing and GC. Sizes: 1 KiB
// (inside Node's 8 KiB allocUnsafe slab), 16 KiB and 256 KiB (own backing
// stores; 256 KiB is above glibc's mmap threshold).
import { rng, suite, type SuiteBuilder } from '../harness.ts';
import { BufferPool } from '../../src/memory/buffer-pool.ts';

const random = rng(20261127);
const fills = Uint8Array.from({ length: 256 }, () => Math.floor(random() * 256));

let pool: BufferPool;

function addCase(s: SuiteBuilder, size: number, label: string, zeroFill: boolean): void {
  s.case({
    name: `${label}${zeroFill ? '' : ', zeroFill: false'}`,
    note: `per op: get a ${label} buffer, fill all of it, release it${zeroFill ? '; ours zero-fills on reuse' : '; no zeroing'}`,
    setup: () => {
      pool = new BufferPool({ minSize: 1024, maxSize: 1 << 20, maxRetainedBytes: 16 << 20, zeroFill });
    },
    ours: {
      name: zeroFill ? 'blackhole BufferPool' : 'blackhole BufferPool (zeroFill: false)',
      fn: (n) => {
        let x = 0;
        for (let i = 0; i < n; i++) {
          const buf = pool.acquire(size);
          buf.fill(fills[i & 255]);
          x += buf[size - 1];
          pool.release(buf);
        }
        return x;
      },
    },
    peers: [
      {
        name: 'Buffer.alloc',
        fn: (n) => {
          let x = 0;
          for (let i = 0; i < n; i++) {
            const buf = Buffer.alloc(size);
            buf.fill(fills[i & 255]);
            x += buf[size - 1];
          }
          return x;
        },
      },
      {
        name: 'Buffer.allocUnsafe',
        fn: (n) => {
          let x = 0;
          for (let i = 0; i < n; i++) {
            const buf = Buffer.allocUnsafe(size);
            buf.fill(fills[i & 255]);
            x += buf[size - 1];
          }
          return x;
        },
      },
    ],
  });
}

suite('memory/buffer-pool', (s) => {
  addCase(s, 1024, '1 KiB', true);
  addCase(s, 16 * 1024, '16 KiB', true);
  addCase(s, 256 * 1024, '256 KiB', true);
  addCase(s, 256 * 1024, '256 KiB', false);
});
