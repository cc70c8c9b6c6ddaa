// AsyncBatcher.load against DataLoader.load (cache off), same batch function
// (doubles each key, answered with an already-resolved promise), same window:
// one batch per tick (our maxWaitMs 0 flushes after the tick's promise jobs,
// as DataLoader does). One op = one load; fn(n) issues the loads in waves of
// WAVE synchronous calls and awaits each wave with Promise.all.
import DataLoader from 'dataloader';
import { rng, suite } from '../harness.ts';
import { AsyncBatcher } from '../../src/concurrency/async-batcher.ts';

const N = 4096;
const keys = new Int32Array(N);
const random = rng(20261127);
for (let i = 0; i < N; i++) keys[i] = Math.floor(random() * 1_000_000);

const double = (ks: readonly number[]): Promise<number[]> => {
  const out = new Array<number>(ks.length);
  for (let i = 0; i < ks.length; i++) out[i] = ks[i]! * 2;
  return Promise.resolve(out);
};

type Loader = { load(k: number): Promise<number> };

async function run(loader: Loader, n: number, wave: number): Promise<number> {
  let sum = 0;
  const ps: Promise<number>[] = new Array(wave);
  let j = 0;
  for (let done = 0; done < n; done += wave) {
    const m = Math.min(wave, n - done);
    ps.length = m;
    for (let i = 0; i < m; i++) ps[i] = loader.load(keys[j++ & (N - 1)]!);
    const vs = await Promise.all(ps);
    sum += vs[m - 1]!;
  }
  return sum;
}

let ours: AsyncBatcher<number, number>;
let oursDedupe: AsyncBatcher<number, number>;
let peer: DataLoader<number, number>;

suite('concurrency/async-batcher', (s) => {
  for (const wave of [100, 1000]) {
    s.case({
      name: `load, waves of ${wave}`,
      note: `one load per op; ${wave} synchronous loads per tick, then await all; batch fn doubles keys (resolved promise); per-tick batching, maxBatchSize ${wave}, no cache/dedupe`,
      setup: () => {
        ours = new AsyncBatcher(double, { maxWaitMs: 0, maxBatchSize: wave, maxConcurrentBatches: Infinity, maxQueue: Infinity });
        peer = new DataLoader(double, { cache: false, maxBatchSize: wave });
      },
      teardown: async () => {
        await ours.close();
      },
      ours: { name: 'blackhole AsyncBatcher', fn: (n) => run(ours, n, wave) },
      peers: [{ name: 'dataloader (cache: false)', fn: (n) => run(peer, n, wave) }],
    });
  }
  s.case({
    name: 'load with dedupe, waves of 100',
    note: 'one load per op; 100 loads per tick over 16 distinct keys; ours dedupes within the batch, DataLoader with its per-loader cache cleared after every wave (so both collapse duplicates only within a batch)',
    setup: () => {
      oursDedupe = new AsyncBatcher(double, { maxWaitMs: 0, maxBatchSize: 100, dedupe: true });
      peer = new DataLoader(double, { maxBatchSize: 100 });
    },
    teardown: async () => {
      await oursDedupe.close();
    },
    ours: {
      name: 'blackhole AsyncBatcher',
      fn: async (n) => {
        let sum = 0;
        const ps: Promise<number>[] = [];
        for (let done = 0; done < n; done += 100) {
          const m = Math.min(100, n - done);
          ps.length = m;
          for (let i = 0; i < m; i++) ps[i] = oursDedupe.load(keys[(done + i) & 15]!);
          sum += (await Promise.all(ps))[m - 1]!;
        }
        return sum;
      },
    },
    peers: [
      {
        name: 'dataloader (cache cleared per wave)',
        fn: async (n) => {
          let sum = 0;
          const ps: Promise<number>[] = [];
          for (let done = 0; done < n; done += 100) {
            const m = Math.min(100, n - done);
            ps.length = m;
            for (let i = 0; i < m; i++) ps[i] = peer.load(keys[(done + i) & 15]!);
            sum += (await Promise.all(ps))[m - 1]!;
            peer.clearAll();
          }
          return sum;
        },
      },
    ],
  });
});
