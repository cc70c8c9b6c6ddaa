/**
 * ChaseLevDeque: a bounded work-stealing deque of fixed-size items over one
 * SharedArrayBuffer (Chase and Lev, "Dynamic Circular Work-Stealing Deque",
 * SPAA 2005; the fixed-capacity variant, with the memory orders of Lê,
 * Pop, Cohen and Zappa Nardelli, PPoPP 2013, all collapsed to seq-cst because
 * that is what JavaScript's Atomics give).
 *
 * One thread owns the deque and pushes and pops at the BOTTOM end (LIFO, so
 * it works on the most recently forked, cache-warm task); any other thread
 * steals at the TOP end (FIFO, so thieves take the oldest, usually largest,
 * piece of work) with one compare-and-swap.
 *
 * Memory layout (bytes; Int32 words):
 *   0    MAGIC 'BHCL', VERSION, CAPACITY (items, a power of two), ITEM_WORDS
 *   64   TOP     thieves CAS it (and the owner, for the last item)   (own 64-byte line)
 *   128  BOTTOM  written by the owner only, read by thieves          (own line)
 *   192  items: CAPACITY x ITEM_WORDS Int32 words; item i lives at (i & (CAPACITY - 1))
 * TOP and BOTTOM are free-running 32-bit counters; sizes are `(BOTTOM - TOP) | 0`,
 * valid because CAPACITY <= 2^24 is far below 2^31. Invariant outside of a
 * pop in progress: 0 <= BOTTOM - TOP <= CAPACITY.
 *
 * The protocol (item writes and reads are plain; only TOP/BOTTOM are atomic):
 *  - push (owner): b = BOTTOM, t = TOP; full if b - t >= CAPACITY; write the
 *    item at b, then `Atomics.store(BOTTOM, b + 1)` publishes it.
 *  - pop (owner): b = BOTTOM - 1; `Atomics.store(BOTTOM, b)` first (this
 *    reserves item b against thieves), then t = TOP. If t < b the item is the
 *    owner's without a race. If t == b it is the last item and a thief may be
 *    taking it at the same moment: both CAS TOP from t to t + 1 and exactly one
 *    wins; the owner then restores BOTTOM = t + 1. If t > b it was empty:
 *    restore BOTTOM = b + 1.
 *  - steal (thief): t = TOP, then b = BOTTOM; empty if b - t <= 0; read item
 *    t, then CAS TOP t -> t + 1. The read happens before the CAS, and the CAS
 *    succeeds only if TOP still equals t, i.e. nobody took item t and the
 *    owner cannot have overwritten its cell (it writes cell t only once
 *    BOTTOM - TOP reaches CAPACITY, which needs TOP to have moved). A lost CAS
 *    returns STEAL_RETRY: the deque may still hold work.
 * Because every Atomics operation is sequentially consistent, the owner's
 * store to BOTTOM in pop and a thief's load of BOTTOM in steal cannot both
 * miss each other: that store-then-load pair is the fence the C11 version
 * needs explicitly.
 *
 * Roles: `ChaseLevDeque.create()` allocates; other threads wrap the same buffer
 * with `ChaseLevDeque.from(buffer)` (or build a handle from it directly,
 * `new DequeOwner(buffer)`, `new DequeStealer(buffer)`). `owner()` returns the push/pop handle:
 * exactly one thread may use it at a time (not enforced, that would cost an
 * atomic per call). `stealer()` handles may be used by any number of threads.
 * The owner may also steal from its own deque.
 *
 * Owner death: if the owning thread dies mid-pop, BOTTOM can be left one
 * below its true value. `resetAfterOwnerDeath()` (called by a thread that
 * knows the owner is gone) empties the deque by moving TOP forward with a CAS
 * past every index a slow thief could still be holding, then BOTTOM to match,
 * so the next owner starts from a consistent empty deque and no in-flight
 * steal can succeed against it.
 *
 * Arguments: push, pop and steal check their Int32Array with one instanceof
 * and one length comparison before anything is read or written (a refused
 * pop or steal has not reserved or taken an item), and throw from a helper
 * off that path.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { allocate, checkOptions, numberError } from '../validate.ts';

const MAGIC = 0x4c434842; // 'BHCL' little-endian
const VERSION = 1;
const I_MAGIC = 0;
const I_VERSION = 1;
const I_CAPACITY = 2;
const I_ITEM_WORDS = 3;
const I_TOP = 16;
const I_BOTTOM = 32;
const I_DATA = 48;
const MIN_CAPACITY = 2;
const MAX_CAPACITY = 2 ** 24;
const MAX_ITEM_WORDS = 256;

/** `steal` result: an item was copied out. */
export const STEAL_OK = 1;
/** `steal` result: the deque was empty. */
export const STEAL_EMPTY = 0;
/** `steal` result: another thread took the top item first; the deque may still hold work, so try again. */
export const STEAL_RETRY = -1;

/**
 * Options of {@link ChaseLevDeque.create}.
 * @example ChaseLevDeque.create({ capacity: 1024, itemWords: 12 })
 */
export interface ChaseLevDequeOptions {
  /** Items the deque holds; a power of two from 2 to 2^24. */
  capacity: number;
  /** Int32 words per item, an integer from 1 to 256 (a Float64 takes two). */
  itemWords: number;
}

/**
 * Checks that `buffer` holds a deque of this layout version and returns its
 * capacity and item size; the errors name `component`.
 */
function dequeHeader(component: string, buffer: unknown): { capacity: number; itemWords: number } {
  if (!(buffer instanceof SharedArrayBuffer)) {
    throw new InvalidArgumentError(`${component} buffer must be a SharedArrayBuffer made by ChaseLevDeque.create, got ${describe(buffer)}`);
  }
  if (buffer.byteLength < (I_DATA + MIN_CAPACITY) * 4) {
    throw new InvalidArgumentError(`${component} buffer (${buffer.byteLength} bytes) is too small to hold a deque`);
  }
  const words = new Int32Array(buffer, 0, 4);
  if (words[I_MAGIC] !== MAGIC) {
    throw new InvalidArgumentError(`${component} buffer has magic 0x${(words[I_MAGIC] >>> 0).toString(16)}, expected 0x${MAGIC.toString(16)}: not a ChaseLevDeque`);
  }
  if (words[I_VERSION] !== VERSION) {
    throw new InvalidArgumentError(`${component} buffer has layout version ${words[I_VERSION]}, this code reads version ${VERSION}`);
  }
  const capacity = words[I_CAPACITY];
  const itemWords = words[I_ITEM_WORDS];
  if (
    capacity < MIN_CAPACITY ||
    capacity > MAX_CAPACITY ||
    (capacity & (capacity - 1)) !== 0 ||
    itemWords < 1 ||
    itemWords > MAX_ITEM_WORDS ||
    buffer.byteLength !== (I_DATA + capacity * itemWords) * 4
  ) {
    throw new InvalidArgumentError(`${component} buffer header says ${capacity} items of ${itemWords} words but the buffer has ${buffer.byteLength} bytes`);
  }
  return { capacity, itemWords };
}

/** Throws the error of an item or output array that is not an Int32Array of at least `itemWords` (off the hot path). */
function badItem(component: string, param: string, v: unknown, itemWords: number): never {
  if (!(v instanceof Int32Array)) throw new InvalidArgumentError(`${component} ${param} must be an Int32Array, got ${describe(v)}`);
  throw new OutOfRangeError(`${component} ${param} length (${v.length}) must be at least itemWords (${itemWords})`);
}

/**
 * A bounded Chase-Lev work-stealing deque over a SharedArrayBuffer (see the
 * design note at the top of this file).
 * @example
 * const deque = ChaseLevDeque.create({ capacity: 256, itemWords: 2 });
 * const owner = deque.owner();
 * owner.push(new Int32Array([7, 8]));
 * // another thread: ChaseLevDeque.from(buffer).stealer().steal(out)
 */
export class ChaseLevDeque {
  /** The shared buffer; send it to other threads and wrap it with {@link ChaseLevDeque.from}. */
  readonly buffer: SharedArrayBuffer;
  /** Items the deque holds. */
  readonly capacity: number;
  /** Int32 words per item. */
  readonly itemWords: number;
  private readonly words: Int32Array;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.words = new Int32Array(buffer);
    this.capacity = this.words[I_CAPACITY];
    this.itemWords = this.words[I_ITEM_WORDS];
  }

  /**
   * Allocates an empty deque of `(48 + capacity * itemWords) * 4` bytes.
   * Throws `InvalidArgumentError` for options that are not an object or
   * values that are not numbers, `OutOfRangeError` for a value outside its
   * rule or a size the engine cannot allocate (the largest options ask for
   * 2^24 items of 256 words, 16 GiB: refused typed, naming both and the size).
   * @example const deque = ChaseLevDeque.create({ capacity: 1024, itemWords: 12 })
   */
  static create(options: ChaseLevDequeOptions): ChaseLevDeque {
    if (options === undefined) throw new InvalidArgumentError('ChaseLevDeque options must be an object { capacity, itemWords }, got undefined');
    const { capacity, itemWords } = checkOptions('ChaseLevDeque', 'options', options);
    if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || (capacity & (capacity - 1)) !== 0) {
      throw new (numberError(capacity))(`ChaseLevDeque capacity (${describe(capacity)}) must be a power of two from 2 to 2^24`);
    }
    if (typeof itemWords !== 'number' || !Number.isInteger(itemWords) || itemWords < 1 || itemWords > MAX_ITEM_WORDS) {
      throw new (numberError(itemWords))(`ChaseLevDeque itemWords (${describe(itemWords)}) must be an integer from 1 to ${MAX_ITEM_WORDS}`);
    }
    const bytes = (I_DATA + capacity * itemWords) * 4;
    const buffer = allocate('ChaseLevDeque', `capacity (${capacity}) x itemWords (${itemWords})`, bytes, () => new SharedArrayBuffer(bytes));
    const words = new Int32Array(buffer);
    words[I_MAGIC] = MAGIC;
    words[I_VERSION] = VERSION;
    words[I_CAPACITY] = capacity;
    words[I_ITEM_WORDS] = itemWords;
    return new ChaseLevDeque(buffer);
  }

  /**
   * Wraps a buffer made by {@link ChaseLevDeque.create} (typically in another thread).
   * Throws `InvalidArgumentError` if it is not a SharedArrayBuffer holding a deque of this version.
   * @example const deque = ChaseLevDeque.from(workerData.deque)
   */
  static from(buffer: SharedArrayBuffer): ChaseLevDeque {
    dequeHeader('ChaseLevDeque.from', buffer);
    return new ChaseLevDeque(buffer);
  }

  /**
   * The owner's handle (push and pop at the bottom). One thread at a time.
   * @example const owner = deque.owner(); owner.push(item); owner.pop(out)
   */
  owner(): DequeOwner {
    return new DequeOwner(this.buffer);
  }

  /**
   * A thief's handle (steal at the top). Any number of threads.
   * @example if (deque.stealer().steal(out) === STEAL_OK) run(out)
   */
  stealer(): DequeStealer {
    return new DequeStealer(this.buffer);
  }

  /**
   * Items currently held (a snapshot; clamped to 0 while a pop is in progress).
   * @example if (deque.size() > 0) wakeAThief()
   */
  size(): number {
    const n = (Atomics.load(this.words, I_BOTTOM) - Atomics.load(this.words, I_TOP)) | 0;
    return n > 0 ? n : 0;
  }

  /**
   * Empties the deque after its owner thread died (see the design note): no
   * steal that started earlier can succeed afterwards, and a new owner starts
   * from a consistent empty deque. Never call it while the owner is alive.
   * @example worker.on('exit', () => deque.resetAfterOwnerDeath())
   */
  resetAfterOwnerDeath(): void {
    const w = this.words;
    for (;;) {
      const t = Atomics.load(w, I_TOP);
      // Past BOTTOM (which is at most t + capacity) and past every index a slow thief read.
      const next = (t + 2 * this.capacity) | 0;
      if (Atomics.compareExchange(w, I_TOP, t, next) === t) {
        Atomics.store(w, I_BOTTOM, next);
        return;
      }
    }
  }
}

/**
 * The owner side of a {@link ChaseLevDeque}: push and pop at the bottom (LIFO).
 * @example const owner = deque.owner(); if (!owner.push(item)) runInline(item)
 */
export class DequeOwner {
  private readonly words: Int32Array;
  private readonly mask: number;
  private readonly itemWords: number;

  /**
   * The owner handle of the deque in `buffer`; usually obtained with {@link ChaseLevDeque.owner}.
   * Throws `InvalidArgumentError` if `buffer` does not hold a deque of this version.
   * @example const owner = new DequeOwner(workerData.deque)
   */
  constructor(buffer: SharedArrayBuffer) {
    const { capacity, itemWords } = dequeHeader('DequeOwner', buffer);
    this.words = new Int32Array(buffer);
    this.mask = capacity - 1;
    this.itemWords = itemWords;
  }

  /**
   * Copies `item` (its first `itemWords` words) onto the bottom; false when
   * full. Throws `InvalidArgumentError` unless `item` is an Int32Array,
   * `OutOfRangeError` if it is shorter than `itemWords`.
   * @example owner.push(new Int32Array([1, 2]))
   */
  push(item: Int32Array): boolean {
    if (!(item instanceof Int32Array) || item.length < this.itemWords) badItem('DequeOwner push', 'item', item, this.itemWords);
    const w = this.words;
    const b = Atomics.load(w, I_BOTTOM);
    const t = Atomics.load(w, I_TOP);
    if (((b - t) | 0) > this.mask) return false;
    const n = this.itemWords;
    const base = I_DATA + (b & this.mask) * n;
    for (let i = 0; i < n; i++) w[base + i] = item[i];
    Atomics.store(w, I_BOTTOM, (b + 1) | 0);
    return true;
  }

  /**
   * Moves the bottom (most recently pushed) item into `out`; false when
   * empty. Throws (taking nothing) `InvalidArgumentError` unless `out` is an
   * Int32Array, `OutOfRangeError` if it is shorter than `itemWords`.
   * @example while (owner.pop(out)) run(out)
   */
  pop(out: Int32Array): boolean {
    if (!(out instanceof Int32Array) || out.length < this.itemWords) badItem('DequeOwner pop', 'out', out, this.itemWords);
    const w = this.words;
    const b = (Atomics.load(w, I_BOTTOM) - 1) | 0;
    Atomics.store(w, I_BOTTOM, b);
    const t = Atomics.load(w, I_TOP);
    const size = (b - t) | 0;
    if (size < 0) {
      Atomics.store(w, I_BOTTOM, (b + 1) | 0);
      return false;
    }
    const n = this.itemWords;
    const base = I_DATA + (b & this.mask) * n;
    for (let i = 0; i < n; i++) out[i] = w[base + i];
    if (size > 0) return true;
    // The last item: race the thieves for it on TOP.
    const won = Atomics.compareExchange(w, I_TOP, t, (t + 1) | 0) === t;
    Atomics.store(w, I_BOTTOM, (t + 1) | 0);
    return won;
  }

  /**
   * Items currently held, as seen by the owner.
   * @example if (owner.size() === 0) goSteal()
   */
  size(): number {
    const n = (Atomics.load(this.words, I_BOTTOM) - Atomics.load(this.words, I_TOP)) | 0;
    return n > 0 ? n : 0;
  }
}

/**
 * The thief side of a {@link ChaseLevDeque}: steal at the top (FIFO).
 * @example const r = stealer.steal(out); if (r === STEAL_OK) run(out); else if (r === STEAL_RETRY) tryAgain()
 */
export class DequeStealer {
  private readonly words: Int32Array;
  private readonly mask: number;
  private readonly itemWords: number;

  /**
   * A thief handle of the deque in `buffer`; usually obtained with {@link ChaseLevDeque.stealer}.
   * Throws `InvalidArgumentError` if `buffer` does not hold a deque of this version.
   * @example const stealer = new DequeStealer(workerData.deque)
   */
  constructor(buffer: SharedArrayBuffer) {
    const { capacity, itemWords } = dequeHeader('DequeStealer', buffer);
    this.words = new Int32Array(buffer);
    this.mask = capacity - 1;
    this.itemWords = itemWords;
  }

  /**
   * Moves the top (oldest) item into `out`. Returns {@link STEAL_OK},
   * {@link STEAL_EMPTY}, or {@link STEAL_RETRY} when another thread won the
   * race. Throws (taking nothing) `InvalidArgumentError` unless `out` is an
   * Int32Array, `OutOfRangeError` if it is shorter than `itemWords`.
   * @example if (stealer.steal(out) === STEAL_OK) run(out)
   */
  steal(out: Int32Array): number {
    if (!(out instanceof Int32Array) || out.length < this.itemWords) badItem('DequeStealer steal', 'out', out, this.itemWords);
    const w = this.words;
    const t = Atomics.load(w, I_TOP);
    const b = Atomics.load(w, I_BOTTOM);
    if (((b - t) | 0) <= 0) return STEAL_EMPTY;
    const n = this.itemWords;
    const base = I_DATA + (t & this.mask) * n;
    for (let i = 0; i < n; i++) out[i] = w[base + i];
    return Atomics.compareExchange(w, I_TOP, t, (t + 1) | 0) === t ? STEAL_OK : STEAL_RETRY;
  }

  /**
   * Items currently held (a snapshot).
   * @example if (stealer.size() > 0) trySteal()
   */
  size(): number {
    const n = (Atomics.load(this.words, I_BOTTOM) - Atomics.load(this.words, I_TOP)) | 0;
    return n > 0 ? n : 0;
  }
}
