// False sharing, measured: two worker threads each increment their own
// counter, either on separate 64-byte lines (PaddedCounters, ours) or in
// adjacent 4-byte slots of one line (the usual Int32Array of counters, the
// peer). An op is one increment; a batch of n ops splits n between the two
// threads, which run at the same time, so ns/op is wall time / total
// increments. Needs two free cores to show the effect: on a loaded machine the
// threads take turns and the gap narrows.
import { Worker } from 'node:worker_threads';
import { suite } from '../harness.ts';
import { PaddedCounters } from '../../src/memory/padded-counters.ts';
import { CONTROL_WORDS, DONE, GEN, OPS, STOP } from './counter-worker.ts';
import { tsWorkerBoot } from '../../scripts/ts-worker.ts';

const WORKER_URL = new URL('./counter-worker.ts', import.meta.url).href;
// Node 20 ignores `--import` in a Worker's execArgv, so each worker registers
// tsx's loader itself before importing the TypeScript entry.
const BOOT = tsWorkerBoot(WORKER_URL);

/** Two workers sharing one counters buffer, driven through a control doorbell. */
class CounterPair {
  readonly control: Int32Array;
  readonly workers: Worker[];
  readonly counters: SharedArrayBuffer;

  private constructor(mode: 'padded' | 'adjacent', counters: SharedArrayBuffer) {
    this.control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
    this.counters = counters;
    this.workers = [0, 1].map(
      (slot) => new Worker(BOOT, { eval: true, workerData: { control: this.control.buffer, counters, slot, mode } }),
    );
  }

  static async start(mode: 'padded' | 'adjacent', counters: SharedArrayBuffer): Promise<CounterPair> {
    const pair = new CounterPair(mode, counters);
    await Promise.all(
      pair.workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
          }),
      ),
    );
    return pair;
  }

  /** Runs n increments split over both threads and blocks until both are done. */
  run(n: number): number {
    const c = this.control;
    Atomics.store(c, OPS, Math.ceil(n / 2));
    Atomics.store(c, OPS + 1, Math.floor(n / 2));
    Atomics.store(c, DONE, 0);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    let done: number;
    while ((done = Atomics.load(c, DONE)) < 2) Atomics.wait(c, DONE, done);
    return done;
  }

  async stop(): Promise<void> {
    Atomics.store(this.control, STOP, 1);
    Atomics.add(this.control, GEN, 1);
    Atomics.notify(this.control, GEN);
    await Promise.all(this.workers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
  }
}

let padded: CounterPair | undefined;
let adjacent: CounterPair | undefined;
let paddedCounters: PaddedCounters;

suite('memory/padded-counters', (s) => {
  s.case({
    name: 'two threads increment their own counter',
    note: 'per op: one Atomics.add by one of two concurrently running worker threads; ns/op = wall time / total increments',
    setup: async () => {
      paddedCounters = new PaddedCounters({ count: 2 });
      padded = await CounterPair.start('padded', paddedCounters.buffer);
      adjacent = await CounterPair.start('adjacent', new SharedArrayBuffer(64));
    },
    teardown: async () => {
      await Promise.all([padded?.stop(), adjacent?.stop()]);
    },
    ours: { name: 'PaddedCounters (64-byte stride)', fn: (n) => padded!.run(n) + paddedCounters.get(0) },
    peers: [{ name: 'adjacent Int32Array slots', fn: (n) => adjacent!.run(n) }],
  });
});
