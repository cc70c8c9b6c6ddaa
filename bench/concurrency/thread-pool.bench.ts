// ThreadPool against piscina, tinypool and workerpool: 2 threads each, the
// same task module (bench/concurrency/fixtures/pool-tasks.mjs; workerpool
// needs its own registration file with the same functions). Every pool is
// started and warmed in setup, so thread start-up is not measured.
//  - throughput: one op = one task; fn(n) submits up to 10 000 tasks at once
//    and awaits them all (many in flight), so the cost per task is the
//    pool's bookkeeping and transport.
//  - latency: one op = one task submitted alone and awaited before the next;
//    the figure is the p50 or p99 of the individual round trips.
//  - scaling: throughput against task size (1 µs to 10 ms of CPU work), to
//    show where the per-task cost stops mattering.
import { Piscina } from 'piscina';
import Tinypool from 'tinypool';
import workerpool from 'workerpool';
import { fileURLToPath } from 'node:url';
import { suite, type Impl } from '../harness.ts';
import { ThreadPool } from '../../src/concurrency/thread-pool.ts';
// The task module itself: used here to calibrate the CPU loop on this thread.
import { work } from './fixtures/pool-tasks.mjs';

const TASKS = new URL('./fixtures/pool-tasks.mjs', import.meta.url);
const WORKERPOOL_TASKS = fileURLToPath(new URL('./fixtures/workerpool-tasks.cjs', import.meta.url));
const THREADS = 2;
const WAVE = 10_000;

let ours: ThreadPool;
let piscina: Piscina;
let tinypool: Tinypool;
let wpool: ReturnType<typeof workerpool.pool>;

/** Iterations of `work` that take about `us` microseconds on this machine. */
function iterationsFor(us: number): number {
  let n = 1000;
  for (;;) {
    const t0 = performance.now();
    for (let r = 0; r < 5; r++) work(n);
    const per = (performance.now() - t0) / 5;
    if (per > 2) return Math.max(1, Math.round((n * us) / (per * 1000)));
    n *= 2;
  }
}

async function startAll(): Promise<void> {
  ours = new ThreadPool({ filename: TASKS, coreThreads: THREADS, maxThreads: THREADS });
  await ours.prestartCoreThreads();
  piscina = new Piscina({ filename: TASKS.href, minThreads: THREADS, maxThreads: THREADS });
  tinypool = new Tinypool({ filename: TASKS.href, minThreads: THREADS, maxThreads: THREADS });
  wpool = workerpool.pool(WORKERPOOL_TASKS, { minWorkers: THREADS, maxWorkers: THREADS, workerType: 'thread' });
  // Warm every pool (threads started, module loaded, JIT warm).
  for (let i = 0; i < 200; i++) {
    await Promise.all([ours.run('inc', [i]), piscina.run(i, { name: 'inc' }), tinypool.run(i, { name: 'inc' }), wpool.exec('inc', [i])]);
  }
}

async function stopAll(): Promise<void> {
  await Promise.all([ours.close(), piscina.destroy(), tinypool.destroy(), wpool.terminate()]);
}

type Submit = (arg: number) => Promise<unknown>;

/** n tasks, up to WAVE in flight at once. */
async function throughput(submit: Submit, n: number, arg: number): Promise<unknown> {
  let last: unknown;
  for (let done = 0; done < n; done += WAVE) {
    const m = Math.min(WAVE, n - done);
    const ps = new Array<Promise<unknown>>(m);
    for (let i = 0; i < m; i++) ps[i] = submit(arg);
    last = (await Promise.all(ps))[m - 1];
  }
  return last;
}

/** n tasks one at a time; returns each round trip in ns. */
async function roundTrips(submit: Submit, n: number): Promise<Float64Array> {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await submit(i);
    out[i] = Number(process.hrtime.bigint() - t0);
  }
  return out;
}

function impls(task: 'inc' | 'work', run: (submit: Submit) => (n: number) => unknown, peers: ('piscina' | 'tinypool' | 'workerpool')[]): { ours: Impl; peers: Impl[] } {
  const all: Record<string, Impl> = {
    piscina: { name: 'piscina', fn: run((a) => piscina.run(a, { name: task })) },
    tinypool: { name: 'tinypool', fn: run((a) => tinypool.run(a, { name: task })) },
    workerpool: { name: 'workerpool', fn: run((a) => wpool.exec(task, [a])) },
  };
  return { ours: { name: 'blackhole ThreadPool', fn: run((a) => ours.run(task, [a])) }, peers: peers.map((p) => all[p]) };
}

suite('concurrency/thread-pool', (s) => {
  s.case({
    name: 'trivial task, many in flight',
    note: `2 threads; one op = one task (x => x + 1); up to ${WAVE} submitted at once, then awaited; pools started and warmed in setup`,
    setup: startAll,
    teardown: stopAll,
    ...impls('inc', (submit) => (n) => throughput(submit, n, 1), ['piscina', 'tinypool', 'workerpool']),
  });

  let iters100 = 0;
  s.case({
    name: '~100 µs CPU task, many in flight',
    note: `2 threads; one op = one task running an integer hash loop calibrated to ~100 µs on this machine; up to ${WAVE} in flight`,
    setup: async () => {
      iters100 = iterationsFor(100);
      await startAll();
    },
    teardown: stopAll,
    ...impls('work', (submit) => (n) => throughput(submit, n, iters100), ['piscina', 'tinypool', 'workerpool']),
  });

  for (const percentile of [50, 99]) {
    s.case({
      name: `round trip latency p${percentile}`,
      note: `2 threads; one task (x => x + 1) submitted alone and awaited before the next; figure = p${percentile} of the individual round trips in a sample (median over samples)`,
      percentile,
      setup: startAll,
      teardown: stopAll,
      ...impls('inc', (submit) => (n) => roundTrips(submit, n), ['piscina', 'tinypool', 'workerpool']),
    });
  }

  for (const percentile of [50, 99]) {
    let quiet: ThreadPool;
    s.case({
      name: `round trip latency p${percentile}, no caller spin`,
      note: `as above, but ours with resultSpinUs: 0, so every result waits for the event loop to wake (Atomics.waitAsync) instead of a short busy-wait on the calling thread`,
      percentile,
      setup: async () => {
        await startAll();
        quiet = new ThreadPool({ filename: TASKS, coreThreads: THREADS, maxThreads: THREADS, resultSpinUs: 0 });
        await quiet.prestartCoreThreads();
        for (let i = 0; i < 200; i++) await quiet.run('inc', [i]);
      },
      teardown: async () => {
        await Promise.all([stopAll(), quiet.close()]);
      },
      ours: { name: 'blackhole ThreadPool (resultSpinUs 0)', fn: (n) => roundTrips((a) => quiet.run('inc', [a]), n) },
      peers: [{ name: 'piscina', fn: (n) => roundTrips((a) => piscina.run(a, { name: 'inc' }), n) }],
    });
  }

  for (const us of [1, 10, 1000, 10_000]) {
    let iters = 0;
    const label = us >= 1000 ? `${us / 1000} ms` : `${us} µs`;
    s.case({
      name: `scaling: ${label} CPU task, many in flight`,
      note: `2 threads; one op = one task running ~${label} of integer hashing; up to ${WAVE} in flight; shows where per-task overhead stops mattering`,
      setup: async () => {
        iters = iterationsFor(us);
        await startAll();
      },
      teardown: stopAll,
      ...impls('work', (submit) => (n) => throughput(submit, n, iters), ['piscina']),
    });
  }
});
