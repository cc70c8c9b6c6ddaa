/**
 * ObjectPool: a bounded free list of reusable objects.
 *
 * Layout: `free` is a plain array used as a stack (push/pop at the end, so the
 * most recently released, cache-warm object is handed out first). Every object
 * this pool creates carries a hidden private-field tag (src/memory/private-tag.ts)
 * holding `id * 2 + 1` while handed out and `id * 2` while released, where
 * `id` is unique per pool; that makes a double release or a foreign release
 * detectable with one in-object load instead of a WeakMap lookup (a hash
 * probe per call, and an ephemeron table every GC must walk).
 *
 * Invariants: every object in `free` has the released tag; `inUse` counts
 * objects with the live tag;
 * `free.length <= maxRetained`. An object released while the pool already
 * retains `maxRetained` is reset and dropped (left to the GC) and counted in
 * `dropped`.
 *
 * Why it can be slower than `new`: V8 allocates short-lived objects by bumping
 * a pointer in the young generation (or removes the allocation by escape
 * analysis) and a scavenge only touches survivors, so an object that dies
 * young costs almost nothing; and a double stored into a field of a reused
 * object is boxed in a new HeapNumber, so re-filling pooled objects with
 * floating-point values still allocates. Pooling wins only when
 * objects live long enough to be promoted to the old generation (where each
 * one makes a later mark-compact dearer) or when construction itself is
 * expensive (large typed arrays, objects with many fields to initialise).
 * docs/readme/memory.md has the measured numbers.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { DoubleReleaseError, ForeignReleaseError } from './errors.ts';
import { isTagged, retag, tag, tagOf } from './private-tag.ts';
import { numberError } from '../validate.ts';

/** Source of pool ids; tags embed the id so one pool rejects another's objects. */
let nextPoolId = 1;

/**
 * Options of an {@link ObjectPool}.
 * @example const opts: ObjectPoolOptions<Vec> = { create: () => ({ x: 0, y: 0 }), reset: (v) => { v.x = 0; v.y = 0; }, maxRetained: 256 }
 */
export interface ObjectPoolOptions<T extends object> {
  /** Makes a new object when the pool is empty. */
  create: () => T;
  /** Called on every released object before it is retained (or dropped); clear references here so the pool does not keep garbage alive. */
  reset?: (obj: T) => void;
  /** Objects created up front, integer from 0 to maxRetained. Default 0. */
  initialSize?: number;
  /** Most released objects kept for reuse, integer from 0 to 2^30. Default 1024. */
  maxRetained?: number;
}

/**
 * Counters of an {@link ObjectPool}, as returned by `stats()`.
 * @example const { hits, misses } = pool.stats(); const hitRate = hits / (hits + misses)
 */
export interface ObjectPoolStats {
  /** Acquires served from the free list. */
  hits: number;
  /** Acquires that had to call `create`. */
  misses: number;
  /** Objects created in total (including `initialSize`). */
  created: number;
  /** Objects handed out and not yet released. */
  inUse: number;
  /** Objects currently held in the free list. */
  retained: number;
  /** Released objects not retained because the pool was full. */
  dropped: number;
}

const MAX_RETAINED_LIMIT = 2 ** 30;

/**
 * A bounded pool of reusable objects; releasing an object twice, or one the
 * pool did not create, throws a typed error.
 * @example
 * const pool = new ObjectPool({ create: () => ({ x: 0, y: 0 }), reset: (p) => { p.x = 0; p.y = 0; } });
 * const p = pool.acquire(); p.x = 3; pool.release(p);
 */
export class ObjectPool<T extends object> {
  /** Most released objects kept for reuse. */
  readonly maxRetained: number;
  private readonly create: () => T;
  private readonly resetFn: ((obj: T) => void) | undefined;
  private readonly free: T[];
  /** Tag of an object of this pool that is handed out. */
  private readonly liveTag: number;
  /** Tag of an object of this pool that is released. */
  private readonly freeTag: number;
  private hits: number;
  private misses: number;
  private created: number;
  private inUse: number;
  private dropped: number;

  constructor(options: ObjectPoolOptions<T>) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`ObjectPool options must be an object, got ${describe(options)}`);
    }
    const { create, reset, initialSize = 0, maxRetained = 1024 } = options;
    if (typeof create !== 'function') {
      throw new InvalidArgumentError(`ObjectPool create must be a function, got ${describe(create)}`);
    }
    if (reset !== undefined && typeof reset !== 'function') {
      throw new InvalidArgumentError(`ObjectPool reset must be a function when given, got ${describe(reset)}`);
    }
    if (!Number.isInteger(maxRetained) || maxRetained < 0 || maxRetained > MAX_RETAINED_LIMIT) {
      throw new (numberError(maxRetained))(`ObjectPool maxRetained (${describe(maxRetained)}) must be an integer from 0 to 2^30`);
    }
    if (!Number.isInteger(initialSize) || initialSize < 0 || initialSize > maxRetained) {
      throw new (numberError(initialSize))(`ObjectPool initialSize (${describe(initialSize)}) must be an integer from 0 to maxRetained (${maxRetained})`);
    }
    this.maxRetained = maxRetained;
    this.create = create;
    this.resetFn = reset;
    this.free = [];
    const id = nextPoolId++;
    this.liveTag = id * 2 + 1;
    this.freeTag = id * 2;
    this.hits = 0;
    this.misses = 0;
    this.created = 0;
    this.inUse = 0;
    this.dropped = 0;
    for (let i = 0; i < initialSize; i++) {
      this.free.push(this.make());
    }
  }

  /**
   * Takes an object from the pool, creating one if none is retained.
   * @example const buf = pool.acquire()
   */
  acquire(): T {
    let obj: T;
    if (this.free.length > 0) {
      obj = this.free.pop()!;
      this.hits++;
    } else {
      obj = this.make();
      this.misses++;
    }
    retag(obj, this.liveTag);
    this.inUse++;
    return obj;
  }

  /**
   * Returns an object to the pool: it is reset, then retained if the pool
   * holds fewer than `maxRetained`, else dropped. Throws `DoubleReleaseError`
   * if it is already released and `ForeignReleaseError` if this pool did not
   * create it.
   * @example pool.release(obj)
   */
  release(obj: T): void {
    if (obj === null || typeof obj !== 'object' || !isTagged(obj)) throw new ForeignReleaseError('ObjectPool', describe(obj));
    const state = tagOf(obj);
    if (state !== this.liveTag) {
      if (state === this.freeTag) throw new DoubleReleaseError('ObjectPool', 'the object');
      throw new ForeignReleaseError('ObjectPool', 'the object');
    }
    retag(obj, this.freeTag);
    this.inUse--;
    // Reset before retaining so a retained object holds no references (and a throwing reset drops the object).
    if (this.resetFn !== undefined) this.resetFn(obj);
    if (this.free.length < this.maxRetained) this.free.push(obj);
    else this.dropped++;
  }

  /**
   * Drops every retained object (they stay owned: releasing one again still throws).
   * @example pool.clear(); pool.stats().retained // 0
   */
  clear(): void {
    this.free.length = 0;
  }

  /**
   * A snapshot of the pool's counters.
   * @example pool.stats() // { hits: 9, misses: 1, created: 1, inUse: 0, retained: 1, dropped: 0 }
   */
  stats(): ObjectPoolStats {
    return {
      hits: this.hits,
      misses: this.misses,
      created: this.created,
      inUse: this.inUse,
      retained: this.free.length,
      dropped: this.dropped,
    };
  }

  private make(): T {
    const obj = this.create();
    if (obj === null || typeof obj !== 'object') {
      throw new InvalidArgumentError(`ObjectPool create must return an object, got ${describe(obj)}`);
    }
    if (isTagged(obj)) {
      throw new InvalidArgumentError('ObjectPool create must return a new object on every call; it returned one a pool already owns');
    }
    tag(obj, this.freeTag);
    this.created++;
    return obj;
  }
}
