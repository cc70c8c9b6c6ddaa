/**
 * Introsort for comparator sorts: quicksort with a depth limit, heapsort past
 * it, binary insertion sort for small partitions. O(n log n) comparisons in
 * the worst case, in place, not stable.
 *
 * Design:
 * - Pivot: median of three for partitions up to NINTHER_MIN elements, Tukey's
 *   ninther (median of three medians of three) above, which keeps the pivot
 *   near the median on sorted, reversed and organ-pipe inputs.
 * - Partition: Hoare's two-index scheme with the pivot parked at `lo`. Both
 *   scans stop on elements equal to the pivot, so inputs with few distinct
 *   keys split evenly instead of degrading to quadratic. Both scans are
 *   bounds-checked, so an inconsistent comparator (random answers, NaN) can
 *   produce a wrong order but never reads outside the partition or loses an
 *   element.
 * - Depth limit 2*floor(log2 n): past it the partition is heapsorted. The
 *   heapsort is Floyd's bottom-up variant (walk down to a leaf along the
 *   larger children, one comparison per level, then climb back to where the
 *   sifted element belongs), about n log2 n comparisons instead of 2 n log2 n
 *   for the textbook sift. Worst case overall is therefore about
 *   2 n log2 n (quicksort levels) + n log2 n (heapsort) = 3 n log2 n;
 *   McIlroy's adversary reaches 2.7-3.0 n log2 n for n = 1e3..1e5, and
 *   test/algo/sort.test.ts holds it under 4 n log2 n. Random input costs
 *   about 1.0 n log2 n.
 * - Partitions of at most INSERTION_MAX elements use binary insertion sort:
 *   comparator calls are the expensive part, and binary search needs about
 *   log2 k of them per element against k/4 for a linear scan.
 * - Exception safety: every routine finishes its comparisons before moving
 *   anything (partition swaps, insertion shifts, heap rotations contain no
 *   comparator call), so a comparator that throws leaves the array a
 *   permutation of its input, and the error propagates unchanged.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';

/** Partitions at most this long are finished by binary insertion sort. */
const INSERTION_MAX = 16;
/** Partitions longer than this choose the ninther as pivot. */
const NINTHER_MIN = 128;

/**
 * Anything indexable and writable with a length: arrays and typed arrays.
 * @example const a: MutableArrayLike<number> = new Float64Array(4)
 */
export interface MutableArrayLike<T> {
  length: number;
  [index: number]: T;
}

/**
 * A comparator: negative when `a` sorts before `b`, positive after, 0 equal.
 * @example const byAge: SortComparator<{ age: number }> = (a, b) => a.age - b.age
 */
export type SortComparator<T> = (a: T, b: T) => number;

/**
 * Sorts `arr` in place with `compare` using introsort and returns it. Not
 * stable (use `Array.prototype.sort` when equal elements must keep their
 * order). About 3 n log2 n comparator calls at worst, for any input including
 * adversarial ones (about 1.0 n log2 n on random input). If `compare` throws, the error propagates and `arr` holds
 * the same elements in some order.
 * @example introSort([{ k: 2 }, { k: 1 }], (a, b) => a.k - b.k) // [{ k: 1 }, { k: 2 }]
 */
export function introSort<T>(arr: T[], compare: SortComparator<T>): T[];
export function introSort<A extends MutableArrayLike<number>>(arr: A, compare: SortComparator<number>): A;
export function introSort<T>(arr: MutableArrayLike<T>, compare: SortComparator<T>): MutableArrayLike<T>;
export function introSort<T>(arr: MutableArrayLike<T>, compare: SortComparator<T>): MutableArrayLike<T> {
  if (typeof compare !== 'function') {
    throw new InvalidArgumentError(`introSort compare must be a function, got ${describe(compare)}`);
  }
  if (arr === null || typeof arr !== 'object' || typeof arr.length !== 'number') {
    throw new InvalidArgumentError(`introSort arr must be an array or a typed array, got ${describe(arr)}`);
  }
  const n = arr.length;
  if (n < 2) return arr;
  introLoop(arr, 0, n, 2 * (31 - Math.clz32(n)), compare);
  return arr;
}

/**
 * Sorts `arr[lo..hi)` in place with binary insertion sort and returns `arr`.
 * Stable; O(n log n) comparisons but O(n^2) moves, so meant for short runs.
 * @example insertionSort([3, 1, 2], (a, b) => a - b) // [1, 2, 3]
 */
export function insertionSort<T>(arr: T[], compare: SortComparator<T>, lo?: number, hi?: number): T[];
export function insertionSort<A extends MutableArrayLike<number>>(arr: A, compare: SortComparator<number>, lo?: number, hi?: number): A;
export function insertionSort<T>(arr: MutableArrayLike<T>, compare: SortComparator<T>, lo?: number, hi?: number): MutableArrayLike<T>;
export function insertionSort<T>(arr: MutableArrayLike<T>, compare: SortComparator<T>, lo = 0, hi?: number): MutableArrayLike<T> {
  if (typeof compare !== 'function') {
    throw new InvalidArgumentError(`insertionSort compare must be a function, got ${describe(compare)}`);
  }
  if (arr === null || typeof arr !== 'object' || typeof arr.length !== 'number') {
    throw new InvalidArgumentError(`insertionSort arr must be an array or a typed array, got ${describe(arr)}`);
  }
  if (typeof lo !== 'number' || (hi !== undefined && typeof hi !== 'number')) {
    throw new InvalidArgumentError(`insertionSort lo and hi must be integers (hi may be left out), got ${describe(lo)} and ${describe(hi)}`);
  }
  const end = hi ?? arr.length;
  if (!Number.isInteger(lo) || !Number.isInteger(end) || lo < 0 || end > arr.length || lo > end) {
    throw new OutOfRangeError(`insertionSort range [${describe(lo)}, ${describe(end)}) must lie within [0, ${arr.length}] with lo <= hi`);
  }
  binaryInsertion(arr, lo, end, compare);
  return arr;
}

function introLoop<T>(a: MutableArrayLike<T>, lo: number, hi: number, depth: number, cmp: SortComparator<T>): void {
  while (hi - lo > INSERTION_MAX) {
    if (depth === 0) {
      heapSort(a, lo, hi, cmp);
      return;
    }
    depth--;
    const n = hi - lo;
    const mid = lo + (n >>> 1);
    let p: number;
    if (n > NINTHER_MIN) {
      const s = n >>> 3;
      p = median3(
        a,
        median3(a, lo, lo + s, lo + 2 * s, cmp),
        median3(a, mid - s, mid, mid + s, cmp),
        median3(a, hi - 1 - 2 * s, hi - 1 - s, hi - 1, cmp),
        cmp,
      );
    } else {
      p = median3(a, lo, mid, hi - 1, cmp);
    }
    const pivot = a[p];
    a[p] = a[lo];
    a[lo] = pivot;
    let i = lo;
    let j = hi;
    for (;;) {
      do i++;
      while (i < hi && cmp(a[i], pivot) < 0);
      do j--;
      while (j > lo && cmp(pivot, a[j]) < 0);
      if (i >= j) break;
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    a[lo] = a[j];
    a[j] = pivot;
    // Recurse into the smaller side and loop on the larger: stack depth stays O(log n).
    if (j - lo < hi - j - 1) {
      introLoop(a, lo, j, depth, cmp);
      lo = j + 1;
    } else {
      introLoop(a, j + 1, hi, depth, cmp);
      hi = j;
    }
  }
  binaryInsertion(a, lo, hi, cmp);
}

/** Index of the median of a[i], a[j], a[k]; comparisons only, no moves. */
function median3<T>(a: MutableArrayLike<T>, i: number, j: number, k: number, cmp: SortComparator<T>): number {
  const x = a[i];
  const y = a[j];
  const z = a[k];
  if (cmp(x, y) < 0) {
    if (cmp(y, z) < 0) return j;
    return cmp(x, z) < 0 ? k : i;
  }
  if (cmp(x, z) < 0) return i;
  return cmp(y, z) < 0 ? k : j;
}

function binaryInsertion<T>(a: MutableArrayLike<T>, lo: number, hi: number, cmp: SortComparator<T>): void {
  for (let i = lo + 1; i < hi; i++) {
    const x = a[i];
    // Already in place: one comparison (sorted runs cost n - 1 in total).
    if (!(cmp(x, a[i - 1]) < 0)) continue;
    // Upper bound in [lo, i - 1): the first element greater than x (keeps equal keys in order).
    let l = lo;
    let r = i - 1;
    while (l < r) {
      const m = (l + r) >>> 1;
      if (cmp(x, a[m]) < 0) r = m;
      else l = m + 1;
    }
    for (let k = i; k > l; k--) a[k] = a[k - 1];
    a[l] = x;
  }
}

/** Floyd's bottom-up heapsort of a[lo..hi), a max-heap rooted at lo. */
function heapSort<T>(a: MutableArrayLike<T>, lo: number, hi: number, cmp: SortComparator<T>): void {
  const n = hi - lo;
  for (let k = (n >>> 1) - 1; k >= 0; k--) siftDown(a, lo, k, n, cmp);
  for (let end = n - 1; end > 0; end--) {
    const t = a[lo];
    a[lo] = a[lo + end];
    a[lo + end] = t;
    siftDown(a, lo, 0, end, cmp);
  }
}

function siftDown<T>(a: MutableArrayLike<T>, lo: number, k: number, n: number, cmp: SortComparator<T>): void {
  // 1. Walk down to a leaf, always to the larger child.
  let j = k;
  for (;;) {
    const c = 2 * j + 1;
    if (c >= n) break;
    j = c + 1 < n && cmp(a[lo + c], a[lo + c + 1]) < 0 ? c + 1 : c;
  }
  // 2. Climb back while the element being sifted is larger.
  const x = a[lo + k];
  while (j > k && cmp(a[lo + j], x) < 0) j = (j - 1) >>> 1;
  // 3. Rotate the path k..j up one level and drop x at j (no comparisons here).
  let carry = a[lo + j];
  a[lo + j] = x;
  while (j > k) {
    j = (j - 1) >>> 1;
    const t = a[lo + j];
    a[lo + j] = carry;
    carry = t;
  }
}
