// Fork/join with work stealing against a static split, on an imbalanced
// workload. An op is one checksum over ITEMS items of a CPU-bound kernel
// (bench/concurrency/work-stealing-kernel.mjs, about 13 ms of work on one
// core); every contender uses THREADS worker threads and the same kernel.
//
//  - ours: WorkStealingPool.submit('rangeSum', ...): the task halves its range,
//    forks the left half and recurses into the right, down to GRAIN items;
//    idle workers steal the forked halves.
//  - static split (the peer the issue names): the range is cut up front into
//    THREADS equal contiguous ranges, one per plain worker_threads worker, no
//    stealing; the op ends when the slowest range is done.
//  - poolifier FixedThreadPool: the range cut into CHUNKS equal chunks, one
//    execute() each, so poolifier's queue balances them (dynamic chunking, the
//    usual way to balance with a pool that has no fork/join).
//
// Workloads: 'skewed' puts 90% of the work in the first half of the range
// (so a static split leaves one thread with 9x the work of the other);
// 'uniform' spreads the same total evenly, where a static split is already
// ideal and what is measured is our overhead.
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FixedThreadPool } from 'poolifier';
import { suite } from '../harness.ts';
import { WorkStealingPool } from '../../src/concurrency/work-stealing-pool.ts';
import { ThreadPool } from '../../src/concurrency/thread-pool.ts';
import { tsWorkerBoot } from '../../scripts/ts-worker.ts';
import { combine } from './work-stealing-tasks.ts';

const THREADS = 2;
const ITEMS = 1024;
const CHUNKS = 64;
const TASKS = new URL('./work-stealing-tasks.ts', import.meta.url);
const STATIC_WORKER = tsWorkerBoot(new URL('./static-split-worker.ts', import.meta.url).href);
const POOLIFIER_WORKER = new URL('./work-stealing-poolifier-worker.mjs', import.meta.url);
const KERNEL = new URL('./work-stealing-kernel.mjs', import.meta.url);

/**
 * Runs [0, items) as `threads` equal contiguous ranges, one `run(lo, hi)` per
 * range, all at once, and combines the checksums: the static-split strategy,
 * independent of what executes a range (plain workers here; a ThreadPool
 * variant only needs another `run`).
 * @example await staticSplit(3, 1024, (lo, hi) => pool.run({ lo, hi }))
 */
export async function staticSplit(threads: number, items: number, run: (lo: number, hi: number) => Promise<number>): Promise<number> {
  const parts: Promise<number>[] = [];
  for (let t = 0; t < threads; t++) {
    parts.push(run(Math.floor((t * items) / threads), Math.floor(((t + 1) * items) / threads)));
  }
  return combine(await Promise.all(parts));
}

/** A plain worker_threads worker that answers each range message with its checksum. */
interface StaticWorker {
  worker: Worker;
  /** Resolves the range in flight (one at a time per worker). */
  pending: ((value: number) => void) | null;
}

/** Static split over plain worker_threads workers (one range per worker, posted as a message). */
export function staticSplitOnWorkers(workers: readonly StaticWorker[], items: number, skewed: boolean): Promise<number> {
  let next = 0;
  return staticSplit(workers.length, items, (lo, hi) => {
    const w = workers[next++];
    return new Promise<number>((resolve) => {
      w.pending = resolve;
      w.worker.postMessage({ lo, hi, items, skewed });
    });
  });
}

function startStaticWorker(): Promise<StaticWorker> {
  const worker = new Worker(STATIC_WORKER, { eval: true });
  const w: StaticWorker = { worker, pending: null };
  return new Promise((resolve, reject) => {
    worker.once('message', () => {
      worker.on('message', (value: number) => {
        const done = w.pending;
        w.pending = null;
        done?.(value);
      });
      resolve(w);
    });
    worker.on('error', reject);
  });
}

let pool: WorkStealingPool | null = null;
let threadPool: ThreadPool | null = null;
let staticWorkers: StaticWorker[] = [];
let poolifier: FixedThreadPool<{ lo: number; hi: number; items: number; skewed: boolean }, number> | null = null;
let expected = 0;

async function setup(skewed: boolean): Promise<void> {
  pool = new WorkStealingPool({ filename: TASKS, threads: THREADS });
  staticWorkers = await Promise.all(Array.from({ length: THREADS }, startStaticWorker));
  threadPool = new ThreadPool({ filename: KERNEL, coreThreads: THREADS, maxThreads: THREADS, prefetch: 1 });
  await threadPool.prestartCoreThreads();
  if ((await staticSplitOnThreadPool(skewed)) !== (await staticSplitOnWorkers(staticWorkers, ITEMS, skewed))) {
    throw new Error('checksums differ between the ThreadPool and worker_threads static splits');
  }
  poolifier = new FixedThreadPool(THREADS, fileURLToPath(POOLIFIER_WORKER), { errorHandler: (e) => console.error(e) });
  // Warm every contender once and check that all compute the same checksum.
  expected = await staticSplitOnWorkers(staticWorkers, ITEMS, skewed);
  const ours = await pool.submit('rangeSum', 0, ITEMS, ITEMS, skewed ? 1 : 0);
  const theirs = await chunked(skewed);
  if (ours !== expected || theirs !== expected) {
    throw new Error(`checksums differ: static split ${expected}, WorkStealingPool ${ours}, poolifier ${theirs}`);
  }
}

async function teardown(): Promise<void> {
  // poolifier's destroy() sometimes never settles here (it waits for its
  // workers' exit without holding the event loop open: with nothing else
  // alive the process quit mid-teardown). Bound it, and hold the loop open.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    if (poolifier !== null) await Promise.race([poolifier.destroy(), new Promise((r) => setTimeout(r, 2000))]);
    await pool?.close({ force: true });
    await threadPool?.close({ force: true });
    await Promise.all(staticWorkers.map((w) => w.worker.terminate()));
  } finally {
    clearInterval(keepAlive);
  }
  pool = null;
  threadPool = null;
  staticWorkers = [];
  poolifier = null;
}

/** The static split with our ThreadPool executing the ranges (one task per thread, nothing sent ahead). */
function staticSplitOnThreadPool(skewed: boolean): Promise<number> {
  return staticSplit(THREADS, ITEMS, (lo, hi) => threadPool!.run<number>('sumRange', [lo, hi, ITEMS, skewed]));
}

async function chunked(skewed: boolean): Promise<number> {
  const parts: Promise<number>[] = [];
  for (let c = 0; c < CHUNKS; c++) {
    parts.push(poolifier!.execute({ lo: (c * ITEMS) / CHUNKS, hi: ((c + 1) * ITEMS) / CHUNKS, items: ITEMS, skewed }));
  }
  return combine(await Promise.all(parts));
}

function check(value: number): number {
  if (value !== expected) throw new Error(`checksum ${value}, expected ${expected}`);
  return value;
}

function impls(skewed: boolean) {
  const flag = skewed ? 1 : 0;
  return {
    ours: {
      name: 'WorkStealingPool fork/join',
      fn: async (n: number) => {
        let v = 0;
        for (let i = 0; i < n; i++) v = check(await pool!.submit('rangeSum', 0, ITEMS, ITEMS, flag));
        return v;
      },
    },
    peers: [
      {
        name: 'static split (ThreadPool)',
        fn: async (n: number) => {
          let v = 0;
          for (let i = 0; i < n; i++) v = check(await staticSplitOnThreadPool(skewed));
          return v;
        },
      },
      {
        name: 'static split (worker_threads)',
        fn: async (n: number) => {
          let v = 0;
          for (let i = 0; i < n; i++) v = check(await staticSplitOnWorkers(staticWorkers, ITEMS, skewed));
          return v;
        },
      },
      {
        name: `poolifier (${CHUNKS} chunks)`,
        fn: async (n: number) => {
          let v = 0;
          for (let i = 0; i < n; i++) v = check(await chunked(skewed));
          return v;
        },
      },
    ],
  };
}

suite('concurrency/work-stealing', (s) => {
  s.case({
    name: 'imbalanced fork/join, 2 threads (ops/s)',
    note: `per op: a checksum over ${ITEMS} items of a CPU-bound kernel (~13 ms on one core), 90% of the work in the first half of the range; ${THREADS} threads each; ours forks halves down to 8 items, the static split gives each thread one half, poolifier gets ${CHUNKS} equal chunks`,
    setup: () => setup(true),
    teardown,
    ...impls(true),
  });
  s.case({
    name: 'uniform fork/join, 2 threads (ops/s)',
    note: `per op: the same total work spread evenly over ${ITEMS} items (a static split is ideal here: this measures the fork/join overhead); ${THREADS} threads each`,
    setup: () => setup(false),
    teardown,
    ...impls(false),
  });
});
