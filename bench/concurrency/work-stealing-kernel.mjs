// The per-item work of bench/concurrency/work-stealing.bench.ts, in plain
// JavaScript so that every contender runs the very same code: our
// WorkStealingPool and the static-split workers (TypeScript, under tsx) and
// the poolifier worker (which Node starts without tsx). Types are in
// work-stealing-kernel.d.mts.

/** Work units of one unit of cost: about two microseconds of integer arithmetic on a 2020s x86 core. */
const UNIT_STEPS = 2000;

/**
 * Cost of item `i` of `items`: in the 'skewed' workload the first half of the
 * range holds 90% of the work (9 units per item against 1); in 'uniform'
 * every item costs 5 units (the same total).
 */
export function itemCost(i, items, skewed) {
  if (!skewed) return 5;
  return i < items >>> 1 ? 9 : 1;
}

/** Runs items [lo, hi) sequentially; returns a checksum that depends on every step. */
export function sumRange(lo, hi, items, skewed) {
  let acc = 0;
  for (let i = lo; i < hi; i++) {
    const steps = itemCost(i, items, skewed) * UNIT_STEPS;
    let x = i;
    for (let k = 0; k < steps; k++) x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
    acc = (acc + (x >>> 16)) % 1000000007;
  }
  return acc;
}
