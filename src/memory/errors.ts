/**
 * Operational errors of the memory area (pools and arenas).
 *
 * Each is a `BlackholeError` with a stable code from {@link MemoryErrorCode};
 * codes are never reused for another meaning. Bad arguments (a negative size,
 * an alignment that is not a power of two) are not here: they throw the shared
 * `OutOfRangeError` / `InvalidArgumentError` from src/errors.ts.
 */
import { BlackholeError } from '../errors.ts';

/** Stable codes of the memory area. */
export const MemoryErrorCode = {
  /** An object or buffer was released to its pool while it was already released. */
  DOUBLE_RELEASE: 'ERR_BH_MEMORY_DOUBLE_RELEASE',
  /** An object or buffer was released to a pool that never handed it out. */
  FOREIGN_RELEASE: 'ERR_BH_MEMORY_FOREIGN_RELEASE',
  /** An arena allocation would take the arena past its `maxBytes` budget. */
  ARENA_EXHAUSTED: 'ERR_BH_MEMORY_ARENA_EXHAUSTED',
} as const;

/**
 * Thrown by `release()` when the object or buffer is already back in the pool
 * (released twice, or a stale handle kept after release).
 * @example try { pool.release(obj) } catch (e) { if (e instanceof DoubleReleaseError) ... }
 */
export class DoubleReleaseError extends BlackholeError {
  constructor(component: string, what: string) {
    super(MemoryErrorCode.DOUBLE_RELEASE, `${component} release: ${what} was already released (double release or a stale handle)`);
  }
}

/**
 * Thrown by `release()` when the object or buffer did not come from this pool.
 * @example try { pool.release({}) } catch (e) { e.code === MemoryErrorCode.FOREIGN_RELEASE }
 */
export class ForeignReleaseError extends BlackholeError {
  constructor(component: string, what: string) {
    super(MemoryErrorCode.FOREIGN_RELEASE, `${component} release: ${what} was not acquired from this pool`);
  }
}

/**
 * Thrown by a `MemoryArena` allocation that would exceed the arena's `maxBytes`.
 * @example new MemoryArena({ chunkBytes: 4096, maxBytes: 4096 }).bytes(8192) // throws ArenaExhaustedError
 */
export class ArenaExhaustedError extends BlackholeError {
  /** Bytes the arena would have needed to hold in total. */
  readonly requestedBytes: number;
  /** The arena's budget. */
  readonly maxBytes: number;
  constructor(requestedBytes: number, maxBytes: number) {
    super(
      MemoryErrorCode.ARENA_EXHAUSTED,
      `MemoryArena needs ${requestedBytes} bytes of chunks but maxBytes is ${maxBytes}; call reset() or raise maxBytes`,
    );
    this.requestedBytes = requestedBytes;
    this.maxBytes = maxBytes;
  }
}
