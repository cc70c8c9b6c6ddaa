/**
 * PaddedCounters: per-thread counters in a SharedArrayBuffer, one per cache line.
 *
 * Layout: slot s occupies bytes [s·stride, s·stride + 8) of the buffer, as two
 * uint32 words: the low word at index s·stride/4 and the high word right after
 * it; the rest of the stride (56 bytes with the default 64) is padding that
 * nobody touches. The buffer comes from a shared `WebAssembly.Memory`, so it
 * starts on a page boundary and every slot really starts on its own line.
 *
 * Why the padding: when two threads increment counters that share a 64-byte
 * line, each write invalidates the other core's copy of the whole line, and
 * the line ping-pongs between cores ("false sharing"), although the threads
 * never touch the same counter. One slot per line lets each core keep its
 * line in Modified state. bench/memory/padded-counters.bench.ts measures it.
 *
 * Protocol: writers `add()` with `Atomics.add` on the low word; when that add
 * carries past 2^32 (the old value plus the delta exceeds 0xffffffff) the same
 * writer adds 1 to the high word. So counts are exact up to 2^53 no matter how
 * many threads add to a slot. Readers load high, low, high and retry until
 * both highs agree; a read that races a carry (the low word wrapped, the high
 * word not yet bumped) can come out up to 2^32 low for that instant, so read
 * totals after the writers have finished (or accept that one-off glitch).
 * Intended use is one writing thread per slot, any number of readers.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { CACHE_LINE_BYTES } from './cache-aligned.ts';
import { sharedPageAlignedBuffer } from './wasm-memory.ts';
import { numberError } from '../validate.ts';

const TWO_32 = 2 ** 32;

/**
 * Options of {@link PaddedCounters}.
 * @example new PaddedCounters({ count: 4 }) // owner side
 * @example new PaddedCounters({ count: 4, buffer: workerData.counters }) // worker side
 */
export interface PaddedCountersOptions {
  /** Number of counters (slots), an integer from 1 to 2^20. */
  count: number;
  /** Bytes per slot, a power of two from 8 to 4096. Default 64 (use 128 where adjacent-line prefetch pairs lines, as on recent Intel and Apple cores). */
  strideBytes?: number;
  /** An existing buffer (from another PaddedCounters' `buffer`) to attach to; omitted, a zeroed page-aligned one is made. */
  buffer?: SharedArrayBuffer;
}

/**
 * Counters in shared memory, each on its own cache line, safe to add to from
 * any thread.
 * @example
 * const counters = new PaddedCounters({ count: 2 });
 * new Worker(file, { workerData: { buffer: counters.buffer } }); // worker: new PaddedCounters({ count: 2, buffer }).add(1)
 * counters.add(0); counters.total() // 1 + whatever the worker added
 */
export class PaddedCounters {
  /** Number of slots. */
  readonly count: number;
  /** Bytes between the starts of two slots. */
  readonly strideBytes: number;
  /** The shared buffer: post it to workers and attach there with the same count and stride. */
  readonly buffer: SharedArrayBuffer;
  private readonly words: Uint32Array;
  private readonly strideWords: number;

  constructor(options: PaddedCountersOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`PaddedCounters options must be an object, got ${describe(options)}`);
    }
    const { count, strideBytes = CACHE_LINE_BYTES, buffer } = options;
    if (!Number.isInteger(count) || count < 1 || count > 2 ** 20) {
      throw new (numberError(count))(`PaddedCounters count (${describe(count)}) must be an integer from 1 to 2^20`);
    }
    if (!Number.isInteger(strideBytes) || strideBytes < 8 || strideBytes > 4096 || (strideBytes & (strideBytes - 1)) !== 0) {
      throw new (numberError(strideBytes))(`PaddedCounters strideBytes (${describe(strideBytes)}) must be a power of two from 8 to 4096`);
    }
    const need = count * strideBytes;
    let sab: SharedArrayBuffer;
    if (buffer === undefined) {
      sab = sharedPageAlignedBuffer(need);
    } else if (!(buffer instanceof SharedArrayBuffer)) {
      throw new InvalidArgumentError(`PaddedCounters buffer must be a SharedArrayBuffer, got ${describe(buffer)}`);
    } else if (buffer.byteLength < need) {
      throw new OutOfRangeError(`PaddedCounters buffer byteLength (${buffer.byteLength}) must be >= count x strideBytes (${need})`);
    } else {
      sab = buffer;
    }
    this.count = count;
    this.strideBytes = strideBytes;
    this.buffer = sab;
    this.words = new Uint32Array(sab, 0, need / 4);
    this.strideWords = strideBytes / 4;
  }

  /**
   * Atomically adds `delta` (an integer from 0 to 2^32 - 1, default 1) to a slot.
   * @example counters.add(threadId)
   */
  add(slot: number, delta = 1): void {
    if (typeof slot !== 'number' || (slot >>> 0) !== slot || slot >= this.count) this.badSlot(slot);
    if (typeof delta !== 'number' || (delta >>> 0) !== delta) {
      throw new (typeof delta === 'number' ? OutOfRangeError : InvalidArgumentError)(`PaddedCounters add delta (${describe(delta)}) must be an integer from 0 to 2^32 - 1`);
    }
    const i = slot * this.strideWords;
    const old = Atomics.add(this.words, i, delta);
    // Carry into the high word; only the writer whose add wrapped the low word does it.
    if (old + delta >= TWO_32) Atomics.add(this.words, i + 1, 1);
  }

  /**
   * The current value of one slot.
   * @example counters.get(0)
   */
  get(slot: number): number {
    if (typeof slot !== 'number' || (slot >>> 0) !== slot || slot >= this.count) this.badSlot(slot);
    const i = slot * this.strideWords;
    for (;;) {
      const hi = Atomics.load(this.words, i + 1);
      const lo = Atomics.load(this.words, i);
      if (Atomics.load(this.words, i + 1) === hi) return hi * TWO_32 + lo;
    }
  }

  /**
   * The sum of every slot.
   * @example counters.total()
   */
  total(): number {
    let sum = 0;
    for (let s = 0; s < this.count; s++) sum += this.get(s);
    return sum;
  }

  /**
   * Sets every slot to zero; call it only while no thread is adding.
   * @example counters.reset()
   */
  reset(): void {
    for (let s = 0; s < this.count; s++) {
      const i = s * this.strideWords;
      Atomics.store(this.words, i, 0);
      Atomics.store(this.words, i + 1, 0);
    }
  }

  private badSlot(slot: number): never {
    throw new (numberError(slot))(`PaddedCounters slot (${describe(slot)}) must be an integer from 0 to count - 1 (${this.count - 1})`);
  }
}
