/**
 * Worker of the static-split peer in bench/concurrency/work-stealing.bench.ts:
 * answers each { lo, hi, items, skewed } message with the sequential checksum
 * of that range. No stealing: whatever range it is given, it runs alone.
 */
import { parentPort } from 'node:worker_threads';
import { sumRange } from './work-stealing-kernel.mjs';

parentPort!.on('message', (m: { lo: number; hi: number; items: number; skewed: boolean }) => {
  parentPort!.postMessage(sumRange(m.lo, m.hi, m.items, m.skewed));
});
parentPort!.postMessage('ready');
