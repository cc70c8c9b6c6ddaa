/** Cost in units of item `i` of `items` (skewed: the first half holds 90% of the work). */
export function itemCost(i: number, items: number, skewed: boolean): number;
/** Runs items [lo, hi) sequentially; returns a checksum that depends on every step. */
export function sumRange(lo: number, hi: number, items: number, skewed: boolean): number;
