/**
 * A private min-priority queue for the R-trees' nearest-neighbour searches.
 *
 * Layout: a binary heap in two parallel arrays, `values[i]` and its key
 * `keys[i]` (a squared distance) in a growable Float64Array, so a sift moves
 * one number and one reference and compares unboxed doubles. The arrays
 * only grow (doubling) and `clear()` resets the length (and, for object
 * values, releases them), so a packed tree that keeps its queue across
 * queries allocates nothing per query once warm.
 *
 * Invariant: for every i > 0, keys[(i - 1) >> 1] <= keys[i].
 *
 * This is deliberately not the public heap of `blackhole-perf/struct`: it is
 * the smallest thing the kNN loops need (push, pop, peek a key), and keeping
 * it monomorphic per tree keeps those loops fast.
 */

/**
 * Min-queue of values keyed by a number (smallest key first). Internal to
 * the R-trees; not re-exported from the area's index.
 * @example
 * const q = new DistanceQueue<number>();
 * q.push(7, 2.5); q.push(3, 1); q.pop(); // 3
 */
export class DistanceQueue<V> {
  /** Number of queued values. */
  length: number;
  private values: V[];
  private keys: Float64Array;
  private readonly releasesOnClear: boolean;

  /**
   * `releasesOnClear`: whether `clear()` drops the references it holds. Set
   * it for object values (so a cleared queue keeps nothing alive); leave it
   * off for numbers, where truncating the array would only make the next
   * query regrow it.
   */
  constructor(initialCapacity = 64, releasesOnClear = false) {
    this.length = 0;
    this.values = [];
    this.keys = new Float64Array(initialCapacity);
    this.releasesOnClear = releasesOnClear;
  }

  /** Drops every value (keeps the key storage; see `releasesOnClear`). */
  clear(): void {
    this.length = 0;
    if (this.releasesOnClear) this.values.length = 0;
  }

  /** Adds `value` with priority `key` (smaller pops first). */
  push(value: V, key: number): void {
    let pos = this.length++;
    if (pos === this.keys.length) {
      const grown = new Float64Array(pos * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    const keys = this.keys;
    const values = this.values;
    // Sift up: move parents down until the slot for `key` is found.
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      const parentKey = keys[parent];
      if (parentKey <= key) break;
      values[pos] = values[parent];
      keys[pos] = parentKey;
      pos = parent;
    }
    values[pos] = value;
    keys[pos] = key;
  }

  /** Key of the smallest entry; undefined behaviour when empty (check `length`). */
  peekKey(): number {
    return this.keys[0];
  }

  /** Removes and returns the value with the smallest key; undefined when empty. */
  pop(): V | undefined {
    if (this.length === 0) return undefined;
    const values = this.values;
    const keys = this.keys;
    const top = values[0];
    const last = --this.length;
    if (last > 0) {
      const value = values[last];
      const key = keys[last];
      // Sift down the former last entry from the root.
      let pos = 0;
      const half = last >> 1;
      while (pos < half) {
        let child = 2 * pos + 1;
        const right = child + 1;
        if (right < last && keys[right] < keys[child]) child = right;
        if (keys[child] >= key) break;
        values[pos] = values[child];
        keys[pos] = keys[child];
        pos = child;
      }
      values[pos] = value;
      keys[pos] = key;
    }
    // The vacated slot keeps a stale value until the next push or clear();
    // shrinking the array on every pop costs more than it saves.
    return top;
  }
}
