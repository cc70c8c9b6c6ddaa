/**
 * MemoryArena: a chunked bump allocator handing out typed-array and DataView
 * views.
 *
 * Layout: a list of chunks, each one ArrayBuffer (or the buffer of its own
 * `WebAssembly.Memory`). `current` is the chunk being bumped and `offset` the
 * first free byte in it. An allocation rounds `offset` up to its alignment,
 * hands out a view of `[aligned, aligned + bytes)` and moves `offset` past it.
 * When the rest of the chunk is too small the arena moves on to the next
 * retained chunk, or adds a new one. An allocation larger than `chunkBytes`
 * gets a dedicated chunk of its own size, which `reset()` frees.
 *
 * Alignment is relative to the start of a chunk. An ArrayBuffer's start is
 * whatever the allocator gives (at least 8 bytes in practice); a
 * `WebAssembly.Memory` buffer starts on a page boundary, so with
 * `backing: 'wasm'` a view at a multiple of 4096 is truly 4096-aligned in
 * memory (what O_DIRECT and SIMD loads want).
 *
 * Invariants: `0 <= offset <= chunk size`; `usedBytes` counts requested bytes
 * and `paddingBytes` the bytes skipped for alignment or left at the end of a
 * chunk; total chunk bytes never exceed `maxBytes`. Views are not tracked:
 * after `reset()` old views alias new allocations, as with any arena. Every
 * allocation reads as zero: new chunks are zero and, unless `zeroOnReset` is
 * false, `reset()` zeroes the bytes that were used.
 *
 * Why it is fast: one allocation is an add, a mask and a view constructor, and
 * there is no per-object free; a whole frame of scratch arrays goes away with
 * one `reset()`, and the chunks never become garbage.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { ArenaExhaustedError } from './errors.ts';
import { WASM_PAGE_BYTES, pageAlignedBuffer } from './wasm-memory.ts';
import { numberError } from '../validate.ts';
/** Largest alignment accepted: one 4 KiB memory page. */
const MAX_ALIGNMENT = 4096;
/** Largest single chunk or allocation, kept within int32 arithmetic. */
const MAX_CHUNK_BYTES = 2 ** 30;

/**
 * Options of a {@link MemoryArena}.
 * @example const opts: MemoryArenaOptions = { chunkBytes: 1 << 20, alignment: 16, backing: 'wasm' }
 */
export interface MemoryArenaOptions {
  /** Bytes per chunk, an integer from 64 to 2^30 (with wasm backing, rounded up to 64 KiB pages). Default 64 KiB. */
  chunkBytes?: number;
  /** Default alignment in bytes, a power of two from 1 to 4096. Default 8. */
  alignment?: number;
  /** Budget for all chunks together, in bytes; an allocation past it throws ArenaExhaustedError. Default 1 GiB. */
  maxBytes?: number;
  /** 'array-buffer' (default) or 'wasm' (each chunk is a WebAssembly.Memory, page-aligned). */
  backing?: 'array-buffer' | 'wasm';
  /** Zero used bytes on reset() so every allocation reads as zero. Default true. */
  zeroOnReset?: boolean;
}

/**
 * Counters of a {@link MemoryArena}.
 * @example const { usedBytes, capacityBytes } = arena.stats()
 */
export interface MemoryArenaStats {
  /** Chunks held (regular and oversized). */
  chunks: number;
  /** Bytes in all chunks. */
  capacityBytes: number;
  /** Bytes handed out since the last reset. */
  usedBytes: number;
  /** Bytes skipped for alignment or left unused at a chunk's end since the last reset. */
  paddingBytes: number;
  /** Allocations since the last reset. */
  allocations: number;
  /** Allocations since the last reset that got a dedicated chunk. */
  largeAllocations: number;
  /** Times reset() was called. */
  resets: number;
}

/**
 * Any typed-array constructor the arena can allocate.
 * @example const ctor: TypedArrayConstructor<Float64Array> = Float64Array
 */
export interface TypedArrayConstructor<T> {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

function isAlignment(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_ALIGNMENT && (n & (n - 1)) === 0;
}

/**
 * A chunked bump allocator: typed arrays and DataViews carved out of big
 * buffers, freed all at once by `reset()`.
 * @example
 * const arena = new MemoryArena({ chunkBytes: 1 << 16 });
 * const xs = arena.float64(128); const header = arena.dataView(16, 64);
 * arena.reset(); // every view above is now free memory
 */
export class MemoryArena {
  /** Bytes per regular chunk. */
  readonly chunkBytes: number;
  /** Default alignment in bytes. */
  readonly alignment: number;
  /** Budget for all chunks together. */
  readonly maxBytes: number;
  /** Where chunks come from. */
  readonly backing: 'array-buffer' | 'wasm';
  /** Whether reset() zeroes used bytes. */
  readonly zeroOnReset: boolean;
  /** Regular chunks, in bump order; all have chunkBytes bytes. */
  private readonly chunks: ArrayBuffer[];
  /** High-water mark of each regular chunk since the last reset (for zeroing). */
  private readonly used: number[];
  /** Dedicated chunks of oversized allocations. */
  private readonly large: ArrayBuffer[];
  private currentIndex: number;
  private current: ArrayBuffer;
  /** The buffer the last bump() reserved in: `current`, or a dedicated chunk. */
  private target: ArrayBuffer;
  private offset: number;
  private capacityBytes: number;
  private usedBytes: number;
  private paddingBytes: number;
  private allocations: number;
  private largeAllocations: number;
  private resets: number;

  constructor(options: MemoryArenaOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidArgumentError(`MemoryArena options must be an object, got ${describe(options)}`);
    }
    const { chunkBytes = 65536, alignment = 8, maxBytes = 2 ** 30, backing = 'array-buffer', zeroOnReset = true } = options;
    if (backing !== 'array-buffer' && backing !== 'wasm') {
      throw new InvalidArgumentError(`MemoryArena backing must be "array-buffer" or "wasm", got ${describe(backing)}`);
    }
    if (!Number.isInteger(chunkBytes) || chunkBytes < 64 || chunkBytes > MAX_CHUNK_BYTES) {
      throw new (numberError(chunkBytes))(`MemoryArena chunkBytes (${describe(chunkBytes)}) must be an integer from 64 to 2^30`);
    }
    if (!isAlignment(alignment)) {
      throw new (numberError(alignment))(`MemoryArena alignment (${describe(alignment)}) must be a power of two from 1 to 4096`);
    }
    const roundedChunk = backing === 'wasm' ? Math.ceil(chunkBytes / WASM_PAGE_BYTES) * WASM_PAGE_BYTES : chunkBytes;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < roundedChunk) {
      throw new (numberError(maxBytes))(`MemoryArena maxBytes (${describe(maxBytes)}) must be a safe integer >= chunkBytes (${roundedChunk})`);
    }
    if (typeof zeroOnReset !== 'boolean') {
      throw new InvalidArgumentError(`MemoryArena zeroOnReset must be a boolean, got ${describe(zeroOnReset)}`);
    }
    this.chunkBytes = roundedChunk;
    this.alignment = alignment;
    this.maxBytes = maxBytes;
    this.backing = backing;
    this.zeroOnReset = zeroOnReset;
    this.chunks = [];
    this.used = [];
    this.large = [];
    this.capacityBytes = 0;
    this.usedBytes = 0;
    this.paddingBytes = 0;
    this.allocations = 0;
    this.largeAllocations = 0;
    this.resets = 0;
    this.currentIndex = 0;
    this.offset = 0;
    this.current = this.newChunk(roundedChunk);
    this.target = this.current;
    this.chunks.push(this.current);
    this.used.push(0);
  }

  /**
   * A typed array of `length` elements, aligned to `alignment` (default: the
   * arena's, raised to the element size).
   * @example const ids = arena.allocate(Uint32Array, 100)
   */
  allocate<T>(ctor: TypedArrayConstructor<T>, length: number, alignment: number = this.alignment): T {
    const size = ctor.BYTES_PER_ELEMENT;
    if (!Number.isInteger(length) || length < 0 || length * size > MAX_CHUNK_BYTES) {
      throw new (numberError(length))(`MemoryArena ${ctor.name} length (${describe(length)}) must be an integer from 0 to ${MAX_CHUNK_BYTES / size}`);
    }
    if (!isAlignment(alignment)) {
      throw new (numberError(alignment))(`MemoryArena alignment (${describe(alignment)}) must be a power of two from 1 to 4096`);
    }
    const at = this.bump(length * size, alignment < size ? size : alignment);
    return new ctor(this.target, at, length);
  }

  /**
   * A Float64Array of `length` elements.
   * @example const xs = arena.float64(256)
   */
  float64(length: number, alignment?: number): Float64Array {
    return this.allocate(Float64Array, length, alignment);
  }

  /**
   * A Float32Array of `length` elements.
   * @example const xs = arena.float32(256, 16)
   */
  float32(length: number, alignment?: number): Float32Array {
    return this.allocate(Float32Array, length, alignment);
  }

  /**
   * An Int32Array of `length` elements.
   * @example const idx = arena.int32(64)
   */
  int32(length: number, alignment?: number): Int32Array {
    return this.allocate(Int32Array, length, alignment);
  }

  /**
   * A Uint32Array of `length` elements.
   * @example const ids = arena.uint32(64)
   */
  uint32(length: number, alignment?: number): Uint32Array {
    return this.allocate(Uint32Array, length, alignment);
  }

  /**
   * A Uint8Array of `length` bytes.
   * @example const page = arena.bytes(4096, 4096)
   */
  bytes(length: number, alignment?: number): Uint8Array {
    return this.allocate(Uint8Array, length, alignment);
  }

  /**
   * A DataView over `byteLength` bytes.
   * @example const header = arena.dataView(32); header.setUint32(0, 0xbeef)
   */
  dataView(byteLength: number, alignment: number = this.alignment): DataView {
    if (!Number.isInteger(byteLength) || byteLength < 0 || byteLength > MAX_CHUNK_BYTES) {
      throw new (numberError(byteLength))(`MemoryArena dataView byteLength (${describe(byteLength)}) must be an integer from 0 to 2^30`);
    }
    const at = this.bump(byteLength, alignment);
    return new DataView(this.target, at, byteLength);
  }

  /**
   * Frees every allocation at once: regular chunks are kept (and their used
   * bytes zeroed unless zeroOnReset is false), dedicated chunks are dropped.
   * Views handed out earlier must not be used afterwards.
   * @example arena.reset()
   */
  reset(): void {
    this.used[this.currentIndex] = Math.max(this.used[this.currentIndex], this.offset);
    if (this.zeroOnReset) {
      for (let i = 0; i < this.chunks.length; i++) {
        if (this.used[i] > 0) new Uint8Array(this.chunks[i], 0, this.used[i]).fill(0);
      }
    }
    for (let i = 0; i < this.used.length; i++) this.used[i] = 0;
    for (const chunk of this.large) this.capacityBytes -= chunk.byteLength;
    this.large.length = 0;
    this.currentIndex = 0;
    this.current = this.chunks[0];
    this.target = this.current;
    this.offset = 0;
    this.usedBytes = 0;
    this.paddingBytes = 0;
    this.allocations = 0;
    this.largeAllocations = 0;
    this.resets++;
  }

  /**
   * A snapshot of the arena's counters.
   * @example arena.stats().usedBytes
   */
  stats(): MemoryArenaStats {
    return {
      chunks: this.chunks.length + this.large.length,
      capacityBytes: this.capacityBytes,
      usedBytes: this.usedBytes,
      paddingBytes: this.paddingBytes,
      allocations: this.allocations,
      largeAllocations: this.largeAllocations,
      resets: this.resets,
    };
  }

  /**
   * Reserves `bytes` at `alignment`; returns the offset in `this.target`
   * (the current chunk, which may have moved on, or a dedicated chunk).
   */
  private bump(bytes: number, alignment: number): number {
    if (!isAlignment(alignment)) {
      throw new (numberError(alignment))(`MemoryArena alignment (${describe(alignment)}) must be a power of two from 1 to 4096`);
    }
    const mask = alignment - 1;
    let at = (this.offset + mask) & ~mask;
    if (at + bytes > this.current.byteLength) {
      // A fresh chunk starts at offset 0, aligned for any alignment, so only the size decides.
      if (bytes > this.chunkBytes) return this.allocateLarge(bytes);
      this.nextChunk();
      at = 0;
    }
    this.paddingBytes += at - this.offset;
    this.usedBytes += bytes;
    this.allocations++;
    this.offset = at + bytes;
    this.target = this.current;
    return at;
  }

  /** Moves to the next retained chunk, or adds one; the current chunk's tail counts as padding. */
  private nextChunk(): void {
    this.paddingBytes += this.current.byteLength - this.offset;
    this.used[this.currentIndex] = Math.max(this.used[this.currentIndex], this.offset);
    this.currentIndex++;
    if (this.currentIndex === this.chunks.length) {
      this.chunks.push(this.newChunk(this.chunkBytes));
      this.used.push(0);
    }
    this.current = this.chunks[this.currentIndex];
    this.offset = 0;
  }

  /**
   * An allocation that does not fit a chunk gets a dedicated one; the bump
   * position stays in the regular chunk, so small allocations keep filling it.
   */
  private allocateLarge(bytes: number): number {
    const size = this.backing === 'wasm' ? Math.max(WASM_PAGE_BYTES, Math.ceil(bytes / WASM_PAGE_BYTES) * WASM_PAGE_BYTES) : bytes;
    const chunk = this.newChunk(size);
    this.large.push(chunk);
    this.usedBytes += bytes;
    this.allocations++;
    this.largeAllocations++;
    this.target = chunk;
    return 0;
  }

  private newChunk(bytes: number): ArrayBuffer {
    if (this.capacityBytes + bytes > this.maxBytes) throw new ArenaExhaustedError(this.capacityBytes + bytes, this.maxBytes);
    const chunk =
this.backing === 'wasm' ? pageAlignedBuffer(bytes) : new ArrayBuffer(bytes);
    this.capacityBytes += bytes;
    return chunk;
  }
}
