/**
 * FrequencySketch: the approximate, aging access-frequency counter behind
 * W-TinyLFU admission (Einziger, Friedman & Manes, "TinyLFU: A Highly
 * Efficient Cache Admission Policy", 2017).
 *
 * Layout: a count-min sketch of 4 rows, each `width` 4-bit counters (a power
 * of two), packed 8 counters to a word of one Uint32Array: counter c of row r
 * is nibble (r * width + c), i.e. word (r * width + c) >>> 3, bit offset
 * ((r * width + c) & 7) * 4. The width is 4 x the next power of two >= the
 * cache's maximum entries, so the whole sketch costs 8 bytes per cached entry
 * (the same budget Caffeine uses) and stays small enough to sit in cache.
 *
 * Counting: `increment(hash)` adds one to the key's counter in every row
 * (saturating at 15); `frequency(hash)` is the minimum over the rows, which
 * over-counts only when all four rows collide. Row columns come from one
 * 32-bit hash by double hashing (column_r = h1 + r * h2), so callers hash a
 * key once and store the hash.
 *
 * Aging: after `sampleSize` (10 x maximum entries) counted increments every
 * counter is halved (one shift-and-mask per word), so a key that was hot an
 * hour ago does not outvote today's hot keys for ever. 4 bits suffice because
 * admission only compares frequencies, and after halving nothing old stays
 * above 7.
 */
import { OutOfRangeError, describe } from '../errors.ts';

/** Largest maximum-entries value a sketch sizes itself for (the width stops growing there). */
const MAX_SIZED_ENTRIES = 2 ** 26;

/** murmur3's 32-bit finaliser: spreads every input bit over the output. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * A 4-bit count-min sketch with periodic halving, sized for a cache of
 * `maxEntries`. Input is a 32-bit key hash (see {@link mix32}); the sketch
 * re-mixes it, so a plain integer works too.
 * @example
 * const sketch = new FrequencySketch(1000);
 * sketch.increment(42); sketch.increment(42);
 * sketch.frequency(42); // 2
 */
export class FrequencySketch {
  /** Increments counted between two halvings: 10 x maxEntries. */
  readonly sampleSize: number;
  /** Counters per row (a power of two). */
  readonly width: number;
  private readonly table: Uint32Array;
  private readonly mask: number;
  private additions: number;
  private resets: number;

  constructor(maxEntries: number) {
    if (typeof maxEntries !== 'number' || !Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new OutOfRangeError(`FrequencySketch maxEntries (${describe(maxEntries)}) must be a positive integer`);
    }
    const sized = Math.min(maxEntries, MAX_SIZED_ENTRIES);
    let pow = 8;
    while (pow < sized) pow *= 2;
    this.width = pow * 4;
    this.mask = this.width - 1;
    // 4 rows x width nibbles, 8 nibbles a word.
    this.table = new Uint32Array((4 * this.width) >>> 3);
    this.sampleSize = 10 * maxEntries;
    this.additions = 0;
    this.resets = 0;
  }

  /** How many times every counter has been halved so far. */
  get resetCount(): number {
    return this.resets;
  }

  /**
   * The estimated count of `hash` (0 to 15): the smallest of its four counters.
   * @example if (sketch.frequency(candidateHash) > sketch.frequency(victimHash)) admit()
   */
  frequency(hash: number): number {
    const t = this.table;
    const m = this.mask;
    const w = this.width;
    const h1 = mix32(hash);
    const h2 = mix32(h1 ^ 0x5bd1e995) | 1;
    let i = h1 & m;
    let min = (t[i >>> 3]! >>> ((i & 7) << 2)) & 15;
    i = w + ((h1 + h2) & m);
    let c = (t[i >>> 3]! >>> ((i & 7) << 2)) & 15;
    if (c < min) min = c;
    i = 2 * w + ((h1 + 2 * h2) & m);
    c = (t[i >>> 3]! >>> ((i & 7) << 2)) & 15;
    if (c < min) min = c;
    i = 3 * w + ((h1 + 3 * h2) & m);
    c = (t[i >>> 3]! >>> ((i & 7) << 2)) & 15;
    return c < min ? c : min;
  }

  /**
   * Counts one occurrence of `hash`; halves every counter once `sampleSize`
   * increments have been counted since the last halving.
   * @example sketch.increment(hash)
   */
  increment(hash: number): void {
    const w = this.width;
    const m = this.mask;
    const h1 = mix32(hash);
    const h2 = mix32(h1 ^ 0x5bd1e995) | 1;
    let added = this.bump(h1 & m);
    added = this.bump(w + ((h1 + h2) & m)) || added;
    added = this.bump(2 * w + ((h1 + 2 * h2) & m)) || added;
    added = this.bump(3 * w + ((h1 + 3 * h2) & m)) || added;
    // A key whose counters are all saturated adds no information, so it does
    // not advance the aging clock either.
    if (added && ++this.additions >= this.sampleSize) this.halve();
  }

  /**
   * Halves every counter (the aging step). Runs by itself every `sampleSize`
   * increments; public for tests and for callers that want to forget faster.
   * @example sketch.halve()
   */
  halve(): void {
    const t = this.table;
    // Shift each nibble right by one; the mask drops the bit that slid in
    // from the neighbouring nibble.
    for (let i = 0; i < t.length; i++) t[i] = (t[i]! >>> 1) & 0x77777777;
    this.additions = this.additions >>> 1;
    this.resets++;
  }

  /**
   * Sets every counter to zero.
   * @example sketch.clear()
   */
  clear(): void {
    this.table.fill(0);
    this.additions = 0;
  }

  /** Increments one nibble unless it is saturated; true if it changed. */
  private bump(i: number): boolean {
    const word = i >>> 3;
    const shift = (i & 7) << 2;
    const v = this.table[word]!;
    if (((v >>> shift) & 15) === 15) return false;
    this.table[word] = v + (1 << shift);
    return true;
  }
}
