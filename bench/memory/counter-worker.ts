/**
 * Worker side of bench/memory/padded-counters.bench.ts: one thread that
 * increments one counter slot on request.
 *
 * Doorbell protocol over a small Int32Array `control` (shared with the bench):
 *   [GEN]      the bench bumps it (and notifies) to start a batch or to stop
 *   [STOP]     1 when the worker must exit after the next GEN change
 *   [OPS + s]  increments slot s must do in this batch (written before GEN)
 *   [DONE]     each worker adds 1 (and notifies) when its batch is finished
 * The worker sleeps in Atomics.wait on GEN between batches, so an idle worker
 * costs no CPU while the other impl of the case is being measured.
 *
 * `mode` picks the layout under test: 'padded' goes through PaddedCounters
 * (each slot on its own 64-byte line), 'adjacent' does Atomics.add on
 * neighbouring Int32Array elements (both slots on one line).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PaddedCounters } from '../../src/memory/padded-counters.ts';

/** Indices into the control array. */
export const GEN = 0;
export const STOP = 1;
export const DONE = 2;
export const OPS = 3;
export const CONTROL_WORDS = 8;

interface CounterWorkerData {
  control: SharedArrayBuffer;
  counters: SharedArrayBuffer;
  slot: number;
  mode: 'padded' | 'adjacent';
}

function runPadded(counters: PaddedCounters, slot: number, n: number): void {
  for (let i = 0; i < n; i++) counters.add(slot);
}

function runAdjacent(words: Int32Array, slot: number, n: number): void {
  for (let i = 0; i < n; i++) Atomics.add(words, slot, 1);
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'control' in workerData) {
  const data = workerData as CounterWorkerData;
  const control = new Int32Array(data.control);
  const padded = data.mode === 'padded' ? new PaddedCounters({ count: 2, buffer: data.counters }) : null;
  const words = new Int32Array(data.counters);
  let gen = Atomics.load(control, GEN);
  parentPort.postMessage('ready');
  for (;;) {
    Atomics.wait(control, GEN, gen);
    gen = Atomics.load(control, GEN);
    if (Atomics.load(control, STOP) === 1) break;
    const n = Atomics.load(control, OPS + data.slot);
    if (padded !== null) runPadded(padded, data.slot, n);
    else runAdjacent(words, data.slot, n);
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
}
