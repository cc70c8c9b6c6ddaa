/**
 * ShadowLru: a keys-only LRU of 32-bit key hashes, the yardstick W-TinyLFU
 * measures itself against (internal to the cache area, not exported).
 *
 * W-TinyLFU's own hill climber only compares its hit rate with its previous
 * period's, so it cannot tell "the workload got harder" from "plain LRU would
 * do better here". A shadow answers the second question directly: fed the
 * same accesses, it counts the hits an LRU of the same size would have had.
 * Feeding it every access would cost an LRU update per request; instead it
 * follows a hash-sampled share of the key space (1 key in R, R a power of
 * two) with 1/R of the capacity. Sampling keys (not requests) keeps each
 * sampled key's whole access history, and an LRU of n/R entries over a 1/R
 * key sample has about the hit rate of an LRU of n over all keys (spatial
 * sampling, after SHARDS by Waldspurger et al., FAST 2015).
 *
 * Layout: slots 0..capacity-1 in Int32Arrays (hash, prev, next; one sentinel
 * at index `capacity`), and an open-addressing index (linear probing,
 * backward-shift deletion) of slot + 1 by hash. No allocation after
 * construction.
 */
export class ShadowLru {
  /** Most keys held. */
  readonly capacity: number;
  private readonly hashes: Int32Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly index: Int32Array;
  private readonly mask: number;
  private readonly shift: number;
  private size = 0;

  /**
   * An empty shadow of `capacity` keys (an integer >= 1, checked by the caller).
   * `shift` drops the hash's low bits already used to pick sampled keys.
   * @example const s = new ShadowLru(512, 4)
   */
  constructor(capacity: number, shift = 0) {
    this.capacity = capacity;
    this.shift = shift;
    this.hashes = new Int32Array(capacity);
    this.prev = new Int32Array(capacity + 1);
    this.next = new Int32Array(capacity + 1);
    this.prev[capacity] = capacity;
    this.next[capacity] = capacity;
    let tableSize = 4;
    while (tableSize < capacity * 2) tableSize *= 2;
    this.index = new Int32Array(tableSize);
    this.mask = tableSize - 1;
  }

  /**
   * Records an access of the key with hash `hash`: true if the shadow held it
   * (a hit of the shadow LRU), false if not (it is inserted, evicting the
   * least recently used key when full).
   * @example if (shadow.access(h)) shadowHits++
   */
  access(hash: number): boolean {
    const head = this.capacity;
    let i = (hash >>> this.shift) & this.mask;
    for (;;) {
      const e = this.index[i]!;
      if (e === 0) break;
      const s = e - 1;
      if (this.hashes[s] === hash) {
        if (this.next[s] !== head) {
          // unlink, relink as newest (before the sentinel)
          const p = this.prev[s]!;
          const n = this.next[s]!;
          this.next[p] = n;
          this.prev[n] = p;
          this.linkNewest(s);
        }
        return true;
      }
      i = (i + 1) & this.mask;
    }
    let s: number;
    if (this.size < this.capacity) {
      s = this.size++;
    } else {
      s = this.next[head]!; // eldest
      this.removeFromIndex(this.hashes[s]!, s);
      const n = this.next[s]!;
      this.next[head] = n;
      this.prev[n] = head;
      // removal may have shifted entries into the free cell: find it again
      i = (hash >>> this.shift) & this.mask;
      while (this.index[i] !== 0) i = (i + 1) & this.mask;
    }
    this.hashes[s] = hash;
    this.index[i] = s + 1;
    this.linkNewest(s);
    return false;
  }

  /** Links slot `s` as the newest, just before the sentinel. */
  private linkNewest(s: number): void {
    const head = this.capacity;
    const last = this.prev[head]!;
    this.next[last] = s;
    this.prev[s] = last;
    this.next[s] = head;
    this.prev[head] = s;
  }

  /** Keys held now. @example shadow.length */
  get length(): number {
    return this.size;
  }

  /** Forgets every key. @example shadow.clear() */
  clear(): void {
    this.size = 0;
    this.index.fill(0);
    this.prev[this.capacity] = this.capacity;
    this.next[this.capacity] = this.capacity;
  }

  /** Removes slot `s` (hash `hash`) from the index, shifting later entries of its probe run back. */
  private removeFromIndex(hash: number, s: number): void {
    const mask = this.mask;
    let i = (hash >>> this.shift) & mask;
    while (this.index[i] !== s + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = this.index[j]!;
      if (e === 0) break;
      const home = (this.hashes[e - 1]! >>> this.shift) & mask;
      // move e back to i if its home is not in the cyclic range (i, j]
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        this.index[i] = e;
        i = j;
      }
    }
    this.index[i] = 0;
  }
}
