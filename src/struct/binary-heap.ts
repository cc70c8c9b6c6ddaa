/**
 * BinaryHeap: a priority queue of arbitrary values ordered by a comparator.
 *
 * Layout: one plain array holding an implicit binary heap (children of i at
 * 2i + 1 and 2i + 2). The comparator follows `Array.prototype.sort`: negative
 * means `a` comes out first, so the default `(a, b) => a - b`-like order is a
 * min-heap.
 *
 * Invariant: for every i > 0, compare(items[(i - 1) >> 1], items[i]) <= 0.
 *
 * Exception safety: every operation first *finds* where things go using only
 * comparator calls, and only then *moves* elements. A comparator that throws
 * therefore leaves the heap exactly as it was (same elements, same valid
 * order), and the error propagates to the caller. This costs nothing extra:
 * the write pass touches the same O(log n) positions the search did and
 * makes no comparator calls.
 *
 * Speed tricks:
 *  - pop(), replace() and heapify sift bottom-up (Floyd): the hole walks down
 *    to a leaf comparing only the two children, then the displaced element
 *    climbs back. The element taken from the end of the array almost always
 *    belongs near the bottom, so this makes about log2(n) + O(1) comparator
 *    calls per pop instead of the 2 log2(n) of the textbook sift-down, and
 *    comparator calls dominate the cost for any non-trivial comparator.
 *  - Moves shift a hole along the path (one write per level), no swaps.
 *  - heapify is Floyd's O(n) bottom-up build over a copy of the input.
 */
import { InvalidArgumentError, describe } from '../errors.ts';

/**
 * Orders two values: negative when `a` must come out before `b`, positive when after, 0 when either may.
 * @example const byDeadline: HeapComparator<Job> = (a, b) => a.deadline - b.deadline;
 */
export type HeapComparator<T> = (a: T, b: T) => number;

/**
 * The default comparator: numbers and strings (and anything else `<` orders)
 * in ascending order, so the heap is a min-heap.
 * @example new BinaryHeap<number>(defaultHeapCompare)
 */
export function defaultHeapCompare<T>(a: T, b: T): number {
  // `<` throws V8's TypeError for symbols and objects without a primitive
  // value; the try costs nothing while nothing throws.
  try {
    return a < b ? -1 : a > b ? 1 : 0;
  } catch {
    throw new InvalidArgumentError(
      `BinaryHeap defaultHeapCompare cannot order ${describe(a)} and ${describe(b)}: the default order takes values \`<\` can compare (numbers, strings, bigints; not symbols); pass a comparator`,
    );
  }
}

/**
 * A binary-heap priority queue: O(log n) push/pop, O(1) peek, O(n) heapify.
 * @example
 * const jobs = new BinaryHeap<Job>((a, b) => a.deadline - b.deadline);
 * jobs.push({ id: 1, deadline: 30 }); jobs.push({ id: 2, deadline: 10 });
 * jobs.pop(); // { id: 2, deadline: 10 }
 */
export class BinaryHeap<T> implements Iterable<T> {
  /** The comparator this heap orders by. */
  readonly compare: HeapComparator<T>;
  private items: T[];

  /**
   * @param compare Ordering; defaults to {@link defaultHeapCompare} (ascending).
   * @param initial Values to heapify in O(n); the array is copied, never modified.
   */
  constructor(compare: HeapComparator<T> = defaultHeapCompare, initial?: Iterable<T>) {
    if (typeof compare !== 'function') {
      throw new InvalidArgumentError(`BinaryHeap compare must be a function, got ${describe(compare)}`);
    }
    this.compare = compare;
    this.items = [];
    if (initial !== undefined) {
      if (initial === null || typeof initial !== 'object' || typeof (initial as Partial<Iterable<T>>)[Symbol.iterator] !== 'function') {
        throw new InvalidArgumentError(`BinaryHeap initial values must be an iterable object (an array, a Set...; not a string), got ${describe(initial)}`);
      }
      const items = Array.from(initial);
      if (items.length === 1 && compare === defaultHeapCompare) compare(items[0]!, items[0]!);
      for (let i = (items.length >> 1) - 1; i >= 0; i--) siftDown(items, i, items[i]!, items.length, compare);
      this.items = items;
    }
  }

  /**
   * Builds a heap from `values` in O(n) (Floyd's heapify); `values` is not modified.
   * @example const h = BinaryHeap.from([5, 1, 4]); h.pop(); // 1
   */
  static from<T>(values: Iterable<T>, compare: HeapComparator<T> = defaultHeapCompare): BinaryHeap<T> {
    if (values === undefined) throw new InvalidArgumentError('BinaryHeap.from values must be an iterable object, got undefined');
    return new BinaryHeap(compare, values);
  }

  /**
   * Number of queued values.
   * @example while (h.size > 0) h.pop()
   */
  get size(): number {
    return this.items.length;
  }

  /**
   * Adds a value. If the comparator throws, the heap is unchanged.
   * @example h.push({ id: 3, deadline: 5 })
   */
  push(value: T): void {
    const items = this.items;
    const compare = this.compare;
    const n = items.length;
    if (n === 0 && compare === defaultHeapCompare) compare(value, value);
    // Search: how far up does `value` go? (comparator calls only)
    let pos = n;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (compare(value, items[parent]!) >= 0) break;
      pos = parent;
    }
    // Move: shift the ancestors between `pos` and the new leaf down one level.
    let i = n;
    while (i > pos) {
      const parent = (i - 1) >> 1;
      items[i] = items[parent]!;
      i = parent;
    }
    items[pos] = value;
  }

  /**
   * Removes and returns the first value, or `undefined` when empty. If the
   * comparator throws, nothing is removed.
   * @example const next = h.pop()
   */
  pop(): T | undefined {
    const items = this.items;
    const n = items.length;
    if (n === 0) return undefined;
    const top = items[0]!;
    const last = n - 1;
    if (last > 0) siftDown(items, 0, items[last]!, last, this.compare);
    items.pop();
    return top;
  }

  /**
   * The first value without removing it; `undefined` when empty.
   * @example if ((h.peek()?.deadline ?? Infinity) <= now) run(h.pop()!)
   */
  peek(): T | undefined {
    return this.items[0];
  }

  /**
   * Removes the first value and adds `value` in one sift (cheaper than pop +
   * push); returns the removed value, or `undefined` (after adding) when empty.
   * @example const done = h.replace(nextJob)
   */
  replace(value: T): T | undefined {
    const items = this.items;
    if (items.length <= 1 && this.compare === defaultHeapCompare) defaultHeapCompare(value, value);
    if (items.length === 0) {
      items.push(value);
      return undefined;
    }
    const top = items[0]!;
    siftDown(items, 0, value, items.length, this.compare);
    return top;
  }

  /**
   * Adds `value` then removes and returns the first value, in one sift;
   * returns `value` itself when it would come out first.
   * @example const smallest = h.pushPop(candidate) // bounded top-k
   */
  pushPop(value: T): T {
    const items = this.items;
    if (items.length === 0 || this.compare(value, items[0]!) <= 0) return value;
    const top = items[0]!;
    siftDown(items, 0, value, items.length, this.compare);
    return top;
  }

  /**
   * Removes every value.
   * @example h.clear()
   */
  clear(): void {
    this.items.length = 0;
  }

  /**
   * A copy of the values in pop order (O(n log n)); the heap is not consumed.
   * @example h.toSortedArray() // [1, 4, 5]
   */
  toSortedArray(): T[] {
    return this.items.slice().sort(this.compare);
  }

  /**
   * Visits the values in internal heap order (not sorted) without consuming them.
   * @example for (const v of h) total += v.size
   */
  [Symbol.iterator](): IterableIterator<T> {
    return this.items.values();
  }
}

/**
 * Places `value` into the hole at `start` of a heap occupying [0, n), where
 * every subtree below `start` is already a heap. Bottom-up, and search-then-move
 * so a throwing comparator leaves `items` untouched.
 */
function siftDown<T>(items: T[], start: number, value: T, n: number, compare: HeapComparator<T>): void {
  // 1. Walk the hole to a leaf along the smaller children.
  let leaf = start;
  const half = n >> 1;
  while (leaf < half) {
    const left = 2 * leaf + 1;
    const right = left + 1;
    leaf = right < n && compare(items[right]!, items[left]!) < 0 ? right : left;
  }
  // 2. Climb back while `value` must come out before the element on the path.
  let pos = leaf;
  while (pos > start && compare(value, items[pos]!) < 0) pos = (pos - 1) >> 1;
  // 3. Move: rotate the path from `pos` up to `start` one level up; `value` lands at `pos`.
  let carry = value;
  while (pos > start) {
    const next = items[pos]!;
    items[pos] = carry;
    carry = next;
    pos = (pos - 1) >> 1;
  }
  items[start] = carry;
}
