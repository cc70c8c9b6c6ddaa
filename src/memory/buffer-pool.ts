/**
 * BufferPool: Buffers in power-of-two size classes under a retained-bytes budget.
 *
 * Layout: size class k holds backing ArrayBuffers of exactly `minSize << k`
 * bytes; `free[k]` is a stack of released backings of that class. `acquire(size)`
 * picks the smallest class that fits, pops a backing (or allocates one) and
 * returns a fresh `Buffer` view of exactly `size` bytes at offset 0 of it.
 * Each backing this pool allocates carries a hidden private-field tag
 * (src/memory/private-tag.ts) pointing to its {@link Slot}: the owning pool,
 * the size class and the one view currently handed out (null while released).
 * A tag is one in-object load where a WeakMap would be a hash lookup per
 * release and extra work for every GC.
 *
 * Invariants: a backing is either in exactly one free stack (slot.view ===
 * null) or handed out through exactly one view; `retainedBytes` is the sum of
 * the sizes of backings in the free stacks and never exceeds
 * `maxRetainedBytes` (a release that would pass it drops the backing for the
 * GC). Release checks the view's identity, not just its backing, so releasing
 * a stale view after the backing was handed out again throws instead of
 * stealing the new owner's memory.
 *
 * Zeroing: bytes a caller can see are zero on acquire by default. A new
 * backing is zero already; a reused one has `[0, size)` filled with zero
 * (a memset, far cheaper than a new off-heap allocation). `zeroFill: false`
 * skips it, like `Buffer.allocUnsafe`.
 *
 * Why it helps: `Buffer.alloc(64 KiB)` costs a calloc, an ArrayBuffer with an
 * external backing store and, later, GC work to free it; a pooled acquire is a
 * pop, a small view object and (by default) a memset.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { DoubleReleaseError, ForeignReleaseError } from './errors.ts';
import { isTagged, tag, tagOf } from './private-tag.ts';
import { numberError } from '../validate.ts';

/**
 * Options of a {@link BufferPool}.
 * @example const opts: BufferPoolOptions = { minSize: 1024, maxSize: 1 << 20, maxRetainedBytes: 64 << 20 }
 */
export interface BufferPoolOptions {
  /** Smallest size class in bytes, a power of two from 1 to 2^30. Default 64. */
  minSize?: number;
  /** Largest size class (and largest acquirable size), a power of two from minSize to 2^30. Default 1 MiB. */
  maxSize?: number;
  /** Most bytes kept in released buffers, integer >= 0. Default 16 MiB. */
  maxRetainedBytes?: number;
  /** Zero the visible bytes of a reused buffer on acquire. Default true. */
  zeroFill?: boolean;
}

/**
 * Counters of a {@link BufferPool}.
 * @example const { retainedBytes } = pool.stats()
 */
export interface BufferPoolStats {
  /** Acquires served from a free list. */
  hits: number;
  /** Acquires that allocated a new backing. */
  misses: number;
  /** Buffers handed out and not yet released. */
  inUse: number;
  /** Bytes of backings handed out and not yet released (class sizes, not requested sizes). */
  inUseBytes: number;
  /** Backings held for reuse. */
  retained: number;
  /** Bytes held for reuse (never above maxRetainedBytes). */
  retainedBytes: number;
  /** Released backings dropped because keeping them would pass maxRetainedBytes. */
  dropped: number;
}

/** Per-backing ownership record: the one view handed out, or null while released. */
interface Slot {
  readonly owner: BufferPool;
  readonly sizeClass: number;
  view: Buffer | null;
}

const MAX_CLASS_BYTES = 2 ** 30;

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_CLASS_BYTES && (n & (n - 1)) === 0;
}

/**
 * A pool of Buffers in power-of-two size classes with a retained-bytes budget;
 * releasing a foreign or already released buffer throws a typed error.
 * @example
 * const pool = new BufferPool({ minSize: 1024, maxSize: 1 << 20 });
 * const buf = pool.acquire(3000); // length 3000, backed by a 4096-byte class
 * pool.release(buf);
 */
export class BufferPool {
  /** Smallest class size in bytes. */
  readonly minSize: number;
  /** Largest class size in bytes. */
  readonly maxSize: number;
  /** Budget of bytes kept in released buffers. */
  readonly maxRetainedBytes: number;
  /** Whether reused buffers are zeroed on acquire. */
  readonly zeroFill: boolean;
  private readonly minShift: number;
  private readonly free: ArrayBuffer[][];
  private hits: number;
  private misses: number;
  private inUse: number;
  private inUseBytes: number;
  private retained: number;
  private retainedBytes: number;
  private dropped: number;

  constructor(options: BufferPoolOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidArgumentError(`BufferPool options must be an object, got ${describe(options)}`);
    }
    const { minSize = 64, maxSize = 1 << 20, maxRetainedBytes = 16 << 20, zeroFill = true } = options;
    if (!isPowerOfTwo(minSize)) {
      throw new (numberError(minSize))(`BufferPool minSize (${describe(minSize)}) must be a power of two from 1 to 2^30`);
    }
    if (!isPowerOfTwo(maxSize) || maxSize < minSize) {
      throw new (numberError(maxSize))(`BufferPool maxSize (${describe(maxSize)}) must be a power of two from minSize (${minSize}) to 2^30`);
    }
    if (!Number.isSafeInteger(maxRetainedBytes) || maxRetainedBytes < 0) {
      throw new (numberError(maxRetainedBytes))(`BufferPool maxRetainedBytes (${describe(maxRetainedBytes)}) must be a safe integer >= 0`);
    }
    if (typeof zeroFill !== 'boolean') {
      throw new InvalidArgumentError(`BufferPool zeroFill must be a boolean, got ${describe(zeroFill)}`);
    }
    this.minSize = minSize;
    this.maxSize = maxSize;
    this.maxRetainedBytes = maxRetainedBytes;
    this.zeroFill = zeroFill;
    this.minShift = 31 - Math.clz32(minSize);
    const classes = 31 - Math.clz32(maxSize) - this.minShift + 1;
    this.free = [];
    for (let k = 0; k < classes; k++) this.free.push([]);
    this.hits = 0;
    this.misses = 0;
    this.inUse = 0;
    this.inUseBytes = 0;
    this.retained = 0;
    this.retainedBytes = 0;
    this.dropped = 0;
  }

  /**
   * Size in bytes of the class that serves `size` (the smallest power of two
   * >= size and >= minSize).
   * @example new BufferPool({ minSize: 64 }).classSize(100) // 128
   */
  classSize(size: number): number {
    return this.minSize << this.classOf(this.checkSize(size));
  }

  /**
   * A Buffer of exactly `size` bytes (zeroed unless `zeroFill` is false),
   * backed by a pooled block of its size class. Throws `OutOfRangeError` if
   * size is not an integer from 0 to maxSize.
   * @example const buf = pool.acquire(1500)
   */
  acquire(size: number): Buffer {
    const k = this.classOf(this.checkSize(size));
    const stack = this.free[k];
    const bytes = this.minSize << k;
    let backing: ArrayBuffer;
    let slot: Slot;
    let view: Buffer;
    if (stack.length > 0) {
      backing = stack.pop()!;
      slot = tagOf(backing) as Slot;
      this.retained--;
      this.retainedBytes -= bytes;
      this.hits++;
      view = Buffer.from(backing, 0, size);
      if (this.zeroFill) view.fill(0);
    } else {
      backing = new ArrayBuffer(bytes);
      slot = { owner: this, sizeClass: k, view: null };
      tag(backing, slot);
      this.misses++;
      view = Buffer.from(backing, 0, size);
    }
    slot.view = view;
    this.inUse++;
    this.inUseBytes += bytes;
    return view;
  }

  /**
   * Gives a buffer from `acquire` back. Throws `DoubleReleaseError` if it was
   * already released (or is a stale view of a backing handed out again) and
   * `ForeignReleaseError` if this pool did not hand it out.
   * @example pool.release(buf)
   */
  release(buf: Buffer): void {
    if (!(buf instanceof Uint8Array)) {
      throw new InvalidArgumentError(`BufferPool release expects a Buffer, got ${describe(buf)}`);
    }
    const backing = buf.buffer;
    const slot = isTagged(backing) ? (tagOf(backing) as Slot) : undefined;
    if (slot === undefined || slot.owner !== this || buf.byteOffset !== 0) {
      throw new ForeignReleaseError('BufferPool', `a buffer of ${buf.length} bytes`);
    }
    if (slot.view !== buf) {
      throw new DoubleReleaseError('BufferPool', `a buffer of ${buf.length} bytes`);
    }
    slot.view = null;
    const k = slot.sizeClass;
    const bytes = this.minSize << k;
    this.inUse--;
    this.inUseBytes -= bytes;
    if (this.retainedBytes + bytes <= this.maxRetainedBytes) {
      this.free[k].push(backing as ArrayBuffer);
      this.retained++;
      this.retainedBytes += bytes;
    } else {
      this.dropped++;
    }
  }

  /**
   * Drops every retained backing (the GC frees them); buffers in use are unaffected.
   * @example pool.clear(); pool.stats().retainedBytes // 0
   */
  clear(): void {
    for (const stack of this.free) stack.length = 0;
    this.retained = 0;
    this.retainedBytes = 0;
  }

  /**
   * A snapshot of the pool's counters.
   * @example pool.stats().hits
   */
  stats(): BufferPoolStats {
    return {
      hits: this.hits,
      misses: this.misses,
      inUse: this.inUse,
      inUseBytes: this.inUseBytes,
      retained: this.retained,
      retainedBytes: this.retainedBytes,
      dropped: this.dropped,
    };
  }

  private checkSize(size: number): number {
    if (!Number.isInteger(size) || size < 0 || size > this.maxSize) {
      throw new (numberError(size))(`BufferPool acquire size (${describe(size)}) must be an integer from 0 to maxSize (${this.maxSize})`);
    }
    return size;
  }

  /** Class index for a validated size: ceil(log2(max(size, minSize))) - log2(minSize). */
  private classOf(size: number): number {
    if (size <= this.minSize) return 0;
    return 32 - Math.clz32(size - 1) - this.minShift;
  }
}
