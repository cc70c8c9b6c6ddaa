// poolifier worker of bench/concurrency/work-stealing.bench.ts (plain
// JavaScript: poolifier starts it with `new Worker(file)`, without tsx).
import { ThreadWorker } from 'poolifier';
import { sumRange } from './work-stealing-kernel.mjs';

export default new ThreadWorker((m) => sumRange(m.lo, m.hi, m.items, m.skewed));
