/**
 * Task module of bench/concurrency/work-stealing.bench.ts (loaded by the
 * WorkStealingPool workers) and the per-range entry point of the
 * static-split peer.
 */
import type { ForkJoinContext } from '../../src/concurrency/work-stealing-worker.ts';
import { sumRange } from './work-stealing-kernel.mjs';

const MODULUS = 1000000007;

/** Items per leaf task: 1/128 of the default range, small enough to balance, large enough (about 100 us) to hide the fork cost. */
export const GRAIN = 8;

/**
 * Checksum of items [lo, hi) of `items`: split in halves (fork the left,
 * recurse into the right) down to `grain` items, then the sequential kernel.
 * `skewed` is 1 for the skewed workload, 0 for the uniform one.
 */
export function rangeSum(ctx: ForkJoinContext, lo: number, hi: number, items: number, skewed: number): number {
  if (hi - lo <= GRAIN) return sumRange(lo, hi, items, skewed === 1);
  const mid = (lo + hi) >>> 1;
  const left = ctx.fork(rangeSum, lo, mid, items, skewed);
  const right = rangeSum(ctx, mid, hi, items, skewed);
  return (ctx.join(left) + right) % MODULUS;
}

/** Combines per-range checksums the way rangeSum does. */
export function combine(parts: readonly number[]): number {
  let acc = 0;
  for (const p of parts) acc = (acc + p) % MODULUS;
  return acc;
}
