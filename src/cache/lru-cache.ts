/**
 * LruCache: a bounded in-memory cache (by entries and/or bytes) with TTL,
 * a dispose callback and hit/miss/eviction statistics, under one of two
 * policies chosen at construction: plain LRU, or W-TinyLFU (a small LRU
 * window in front of a segmented LRU, with admission by an aging frequency
 * sketch and a window size that adapts to the workload).
 *
 * Layout (no object per entry; an entry is a slot number):
 *  - the key index, from key to slot: while every key is an int32, an
 *    {@link IntKeyTable} (open addressing in one Int32Array); from the first
 *    other key on, a native Map (`index`).
 *  - `keyAt[slot]`, `valueAt[slot]`: plain arrays (filled, so never holey;
 *    a free slot's key is FREE_KEY). Kept apart rather than interleaved: a
 *    hit reads only the value, and at 1e5 entries a denser value array keeps
 *    more of the hot entries in cache (interleaving measured 8% slower on
 *    hits).
 *  - `links[2 * slot]` (next) and `links[2 * slot + 1]` (prev): circular
 *    doubly linked lists in one Int32Array, interleaved so that a node's two
 *    links share a cache line (at 100k entries, moving a node touches three
 *    nodes at random addresses; separate next/prev arrays would double the
 *    cache misses). Slots 0..2 are list sentinels: 0 = the LRU list (policy
 *    'lru') or the window (W-TinyLFU), 1 = probation, 2 = protected. For
 *    sentinel h, next(h) is the list's eldest entry and prev(h) its newest;
 *    an empty list points at itself. Sentinels make link/unlink branch-free.
 *  - `expiresAt[slot]` (Float64Array, Infinity = never): allocated on the
 *    first set with a finite TTL, so a cache without TTL never reads a clock.
 *  - `sizes[slot]` (Float64Array): only when `sizeOf` is given.
 *  - W-TinyLFU only: `region[slot]` (Uint8Array: which list), `hashAt[slot]`
 *    (Int32Array: the key's hash, computed once on insert so a hit never
 *    re-hashes a string) and a {@link FrequencySketch}.
 *  - Free slots are chained through next from `freeHead` (0 = none); slots
 *    never used yet start at `nextUnused`. Arrays double when slots run out,
 *    up to maxEntries + 1 + 3 sentinels (an insert links first and evicts
 *    after, so the bound is briefly exceeded by one inside `set`). A full
 *    LRU bounded by entries alone skips that: the new key takes over the
 *    eldest's slot in place (as mnemonist's LRUMap does).
 *
 * Invariants: `count` is the entry count; the index maps every live key to
 * its slot (the IntKeyTable holds exactly the live keys; the Map may also
 * hold stale entries, for keys evicted since, whose slot's key differs, at
 * most about half the live count; see `sweep`); each live slot is on exactly
 * one list; at rest,
 * size <= maxEntries and bytes <= maxBytes. For
 * W-TinyLFU the three counts add up to the size, and after each insert the
 * window holds at most `windowMax` entries.
 *
 * Reentrancy: `dispose` is called only once the structure is consistent, so
 * it may call back into the cache.
 *
 * W-TinyLFU, in short (after Caffeine, B. Manes; see TinyLFU by Einziger,
 * Friedman & Manes 2017): a new key enters the window (an LRU of ~1% of the
 * capacity to start with). The window's overflow moves to probation as a
 * candidate; when the cache is over its bound the candidate competes with
 * probation's eldest entry (the victim) and is admitted only if the sketch
 * says it was seen more often (a candidate with a frequency >= 6 also wins
 * one time in 128 at random, so an attacker cannot pin the victim's slot with
 * colliding keys). A hit in probation promotes to protected (80% of the main
 * space), whose overflow is demoted back to probation. Every sample period
 * (15 x maxEntries requests) a hill climber compares the hit rate with the
 * previous period's and moves the window boundary by a step (6.25% of the
 * capacity at first, decaying by 2% a period, restarting when the hit rate
 * jumps by 10 points), reversing direction when the hit rate fell:
 * recency-heavy workloads grow the window towards LRU, frequency-heavy ones
 * shrink it towards LFU. The window stays within 1..maxEntries - 1.
 *
 * The LRU guard (see `guard`): a keys-only shadow LRU of the same size over a
 * hash-sampled share of the keys (shadow-lru.ts) sees the same accesses;
 * every 512 sampled requests the paired hit counts are compared, and when
 * the shadow leads by more than noise twice in a row the window grows at
 * once. The climber alone follows a popular set that keeps moving far too
 * slowly (up to 22 points below LRU on such traces at 16,000 entries); with
 * the guard W-TinyLFU stays within a point of LRU there, and the guard never
 * fires where frequency pays.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { numberError } from '../validate.ts';
import { FrequencySketch, mix32 } from './frequency-sketch.ts';
import { IntKeyTable } from './int-key-table.ts';
import { ShadowLru } from './shadow-lru.ts';

/** Why an entry left the cache (the third argument of `dispose`). */
export type EvictionReason = 'evict' | 'expire' | 'delete' | 'set' | 'clear';

/**
 * Options for {@link LruCache}. At least one of `maxEntries` / `maxBytes` is required.
 * @example { maxEntries: 10_000, ttlMs: 60_000, policy: 'w-tinylfu' }
 */
export interface LruCacheOptions<K, V> {
  /** Most entries kept: an integer from 1 to 2^30. */
  maxEntries?: number;
  /** Most total size kept, as measured by `sizeOf` (required with it): a positive finite number. Policy 'lru' only. */
  maxBytes?: number;
  /** Size of an entry (bytes or any unit): a finite number >= 0. Called once per `set`. */
  sizeOf?: (value: V, key: K) => number;
  /** Default time to live in ms (> 0; Infinity, the default, = no expiry). */
  ttlMs?: number;
  /** Time source in ms; default `performance.now()`. Inject a fake one in tests. */
  clock?: () => number;
  /** Called after an entry left the cache, with the reason. */
  dispose?: (value: V, key: K, reason: EvictionReason) => void;
  /** 'lru' (default) or 'w-tinylfu' (better hit rates on most workloads; needs `maxEntries`). */
  policy?: 'lru' | 'w-tinylfu';
}

/**
 * A snapshot of a cache's counters. Counters run from construction (`clear()` keeps them).
 * @example const { hits, misses } = cache.stats(); console.log(hits / (hits + misses))
 */
export interface CacheStats {
  /** `get` calls that found a live entry. */
  hits: number;
  /** `get` calls that found nothing (or an expired entry). */
  misses: number;
  /** Entries removed to respect `maxEntries` / `maxBytes` (including rejected W-TinyLFU candidates and values larger than `maxBytes`). */
  evictions: number;
  /** Entries removed because their TTL ran out. */
  expirations: number;
  /** Entries now. */
  size: number;
  /** Sum of `sizeOf` over the entries now (0 without `sizeOf`). */
  bytes: number;
  /** hits / (hits + misses), 0 before the first `get`. */
  hitRate: number;
  /** W-TinyLFU: the window's current capacity in entries (it adapts, 1 to maxEntries - 1); 0 for 'lru'. */
  windowMax: number;
}

/** Per-call options of {@link LruCache.set}. */
export interface LruCacheSetOptions {
  /** TTL in ms for this entry (> 0, or Infinity), instead of the cache's `ttlMs`. */
  ttlMs?: number;
}

/** The key of a free slot: a value no caller's key can equal. */
const FREE_KEY: unique symbol = Symbol('LruCache.free');
/** Map entries the sweeper examines per insert while stale entries exceed half the live ones. */
const SWEEP_STEP = 4;
/** Most entries a cache may hold. */
const MAX_ENTRIES = 2 ** 30;
/** List sentinels: the LRU list or the W-TinyLFU window, probation, protected. */
const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;
const SENTINELS = 3;
/** Slots allocated up front at most; beyond this, arrays grow by doubling. */
const INITIAL_SLOTS = 1 << 16;
/**
 * Hill climber constants. Step, decay and shares are Caffeine's
 * (BoundedLocalCache). Two differ, from replaying the OLTP trace: Caffeine
 * samples every 10 x maxEntries requests and restarts the step when the hit
 * rate moves by 5 points; OLTP's hit rate swings by more than that between
 * phases, so the climber kept restarting and wandered over the whole range
 * (31.7% at 500 entries against 34.2% for the best fixed window). Sampling
 * 15 x maxEntries requests and restarting only on a 10-point move settles it
 * (33.3 to 33.9% over 8 hash seeds).
 */
const STEP_PERCENT = 0.0625;
const STEP_DECAY = 0.98;
const RESTART_THRESHOLD = 0.1;
const SAMPLE_PERIOD_FACTOR = 15;
const PROTECTED_SHARE = 0.8;
const INITIAL_WINDOW_SHARE = 0.01;
/** A candidate this frequent is admitted over a more frequent victim one time in 128 (hash-flooding defence). */
const WARM_CANDIDATE = 6;
/**
 * The LRU guard (see `guard`): the shadow LRU follows 1 key in R (R a power
 * of two, at most SHADOW_MAX_RATE) with at least SHADOW_MIN_KEYS keys; the
 * comparison is made every GUARD_SAMPLES sampled requests, and the window
 * grows when the shadow's hits exceed ours by more than GUARD_SIGMAS standard
 * deviations plus GUARD_MARGIN of the requests.
 */
/** The LRU guard's state: the shadow and the paired counts since the last check. */
interface GuardState {
  readonly shadow: ShadowLru;
  requests: number;
  ourHits: number;
  shadowHits: number;
  disagree: number;
  streak: number;
  growths: number;
}

const SHADOW_MAX_RATE = 64;
const SHADOW_MIN_KEYS = 512;
const GUARD_SAMPLES = 512;
const GUARD_SIGMAS = 2;
const GUARD_MARGIN = 0.005;
/** Checks in a row that must find LRU ahead before the window grows (one transient lead is not enough). */
const GUARD_STREAK = 2;
/** The window grows by at least this many times the measured lead (as a share of maxEntries). */
const GUARD_GROWTH_PER_LEAD = 4;

// Hashing for the sketch. Numbers hash by value (an integer directly, other
// numbers by their float64 bits), strings by content, objects by an identity
// number handed out on first sight (kept in a WeakMap, so keys stay
// collectable); the sketch only needs a key to hash the same way each time.
const floatView = new Float64Array(1);
const floatWords = new Int32Array(floatView.buffer);
const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

/** A 32-bit hash of any key, stable for the lifetime of the process. */
function hashKey(key: unknown): number {
  switch (typeof key) {
    case 'number':
      if ((key | 0) === key) return mix32(key);
      floatView[0] = key;
      return mix32(floatWords[0]! ^ mix32(floatWords[1]!));
    case 'string':
      return hashString(key);
    case 'object':
    case 'function': {
      if (key === null) return 0;
      let id = objectIds.get(key);
      if (id === undefined) {
        id = nextObjectId++;
        objectIds.set(key, id);
      }
      return mix32(id ^ 0x27d4eb2f);
    }
    case 'symbol':
      return hashString(`@@${key.description ?? ''}`);
    default:
      return hashString(`${typeof key}:${String(key)}`);
  }
}

/** FNV-1a over UTF-16 code units, finished with mix32 for a good spread of the low bits. */
function hashString(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/**
 * A bounded cache: LRU by default, W-TinyLFU with `policy: 'w-tinylfu'`.
 * Same methods and semantics under both policies; only which entry leaves
 * (and whether a new one is kept) differs.
 * @example
 * const cache = new LruCache<string, Buffer>({ maxEntries: 10_000, maxBytes: 64 << 20, sizeOf: (b) => b.length, ttlMs: 60_000 });
 * cache.set('a', buf);
 * cache.get('a');        // buf (now the most recently used)
 * cache.remainingTtl('a'); // ~60000
 * cache.stats();          // { hits: 1, misses: 0, evictions: 0, expirations: 0, size: 1, bytes: buf.length, ... }
 */
export class LruCache<K, V> {
  /** The policy fixed at construction. */
  readonly policy: 'lru' | 'w-tinylfu';
  /** The entry bound (Infinity if only bytes are bounded). */
  readonly maxEntries: number;
  /** The byte bound (Infinity if only entries are bounded). */
  readonly maxBytes: number;
  private readonly isTinyLfu: boolean;
  private readonly sizeOf: ((value: V, key: K) => number) | null;
  private readonly defaultTtl: number;
  private readonly clock: () => number;
  private readonly onDispose: ((value: V, key: K, reason: EvictionReason) => void) | null;
  private readonly maxSlots: number;
  private readonly index: Map<K, number>;
  private table: IntKeyTable | null;
  private count: number;
  /**
   * True while the cache is plain LRU bounded by entries only, with no TTL
   * anywhere (no default TTL, no per-entry TTL set yet) and no sizeOf: `get`
   * and `set` then take a short path with no TTL, byte or policy checks. At
   * 1e5 string keys an op is a few cache misses in the Map plus ours, and the
   * CPU overlaps the misses of consecutive ops only while each op's code is
   * short, so every branch left out of the hot path shows in throughput.
   */
  private plain: boolean;
  /**
   * plain, in Map mode, and no stale Map entry (the Map's size is the live
   * count): a Map hit is then this key's entry, and `get` takes its shortest
   * path (no key compare, one flag). Kept by syncFastHit wherever one of the
   * three changes.
   */
  private fastHit: boolean;
  /** Walks the Map removing stale entries, a few per insert (see `sweep`); null between passes. */
  private sweeper: Iterator<[K, number]> | null;
  /** The key in each slot (FREE_KEY if the slot is free). */
  private keyAt: unknown[];
  /** The value in each slot (undefined if free). */
  private valueAt: unknown[];
  private links: Int32Array;
  private expiresAt: Float64Array | null;
  private sizes: Float64Array | null;
  private freeHead: number;
  private nextUnused: number;
  private totalBytes: number;
  private hits: number;
  private misses: number;
  private evictions: number;
  private expirations: number;
  // W-TinyLFU state (unused, and small, under 'lru').
  private region: Uint8Array | null;
  private hashAt: Int32Array | null;
  private readonly sketch: FrequencySketch | null;
  private windowCount: number;
  private probationCount: number;
  private protectedCount: number;
  private windowMax: number;
  private protectedMax: number;
  private samplePeriod: number;
  private sampleStartHits: number;
  private sampleStartRequests: number;
  private previousHitRate: number;
  private stepSize: number;
  private random: number;
  // The LRU guard: a sampled shadow LRU and paired hit counts since the last check.
  // (one object, so a plain LRU carries two fields for it, not eight)
  private readonly sampleMask: number;
  private readonly guardState: GuardState | null;

  constructor(options: LruCacheOptions<K, V>) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidArgumentError(`LruCache options must be an object, got ${describe(options)}`);
    }
    const { maxEntries, maxBytes, sizeOf, ttlMs, clock, dispose } = options;
    const policy = options.policy === undefined ? 'lru' : options.policy;
    if (policy !== 'lru' && policy !== 'w-tinylfu') {
      throw new InvalidArgumentError(`LruCache policy must be "lru" or "w-tinylfu", got ${describe(policy)}`);
    }
    if (maxEntries === undefined && maxBytes === undefined) {
      throw new InvalidArgumentError('LruCache needs maxEntries or maxBytes (or both), got neither');
    }
    if (maxEntries !== undefined && (typeof maxEntries !== 'number' || !Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > MAX_ENTRIES)) {
      throw new (numberError(maxEntries))(`LruCache maxEntries (${describe(maxEntries)}) must be an integer from 1 to ${MAX_ENTRIES}`);
    }
    if (maxBytes !== undefined) {
      if (typeof maxBytes !== 'number' || !Number.isFinite(maxBytes) || maxBytes <= 0) {
        throw new (numberError(maxBytes))(`LruCache maxBytes (${describe(maxBytes)}) must be a finite number > 0`);
      }
      if (typeof sizeOf !== 'function') {
        throw new InvalidArgumentError(`LruCache maxBytes needs a sizeOf function, got sizeOf ${describe(sizeOf)}`);
      }
      if (policy === 'w-tinylfu') {
        throw new InvalidArgumentError('LruCache maxBytes is not supported with policy "w-tinylfu" (bound it by maxEntries, or use policy "lru")');
      }
    }
    if (policy === 'w-tinylfu' && maxEntries === undefined) {
      throw new InvalidArgumentError('LruCache policy "w-tinylfu" needs maxEntries');
    }
    if (sizeOf !== undefined && typeof sizeOf !== 'function') {
      throw new InvalidArgumentError(`LruCache sizeOf must be a function, got ${describe(sizeOf)}`);
    }
    if (ttlMs !== undefined) checkTtl('ttlMs', ttlMs);
    if (clock !== undefined && typeof clock !== 'function') {
      throw new InvalidArgumentError(`LruCache clock must be a function returning ms, got ${describe(clock)}`);
    }
    if (dispose !== undefined && typeof dispose !== 'function') {
      throw new InvalidArgumentError(`LruCache dispose must be a function, got ${describe(dispose)}`);
    }
    this.policy = policy;
    this.isTinyLfu = policy === 'w-tinylfu';
    this.maxEntries = maxEntries ?? Infinity;
    this.maxBytes = maxBytes ?? Infinity;
    this.sizeOf = sizeOf ?? null;
    this.defaultTtl = ttlMs ?? Infinity;
    this.clock = clock ?? (() => performance.now());
    this.onDispose = dispose ?? null;
    this.maxSlots = maxEntries === undefined ? MAX_ENTRIES + 1 + SENTINELS : maxEntries + 1 + SENTINELS;
    const slots = Math.min(this.maxSlots, INITIAL_SLOTS);
    this.index = new Map();
    this.table = new IntKeyTable(slots);
    this.count = 0;
    this.sweeper = null;
    this.fastHit = false;
    this.plain = policy === 'lru' && maxBytes === undefined && this.sizeOf === null && this.defaultTtl === Infinity;
    this.keyAt = [];
    this.valueAt = [];
    this.extendSlots(slots);
    this.links = new Int32Array(slots * 2);
    this.expiresAt = null;
    this.sizes = this.sizeOf === null ? null : new Float64Array(slots);
    this.freeHead = 0;
    this.nextUnused = SENTINELS;
    this.totalBytes = 0;
    this.hits = 0;
    this.misses = 0;
    this.evictions = 0;
    this.expirations = 0;
    this.resetLists();
    const max = this.maxEntries;
    if (this.isTinyLfu) {
      this.region = new Uint8Array(slots);
      this.hashAt = new Int32Array(slots);
      this.sketch = new FrequencySketch(max);
      this.windowMax = Math.max(1, Math.round(max * INITIAL_WINDOW_SHARE));
      if (max > 1 && this.windowMax >= max) this.windowMax = max - 1;
      this.samplePeriod = SAMPLE_PERIOD_FACTOR * max;
      // Caffeine starts by stepping towards a smaller window; at the 1% start
      // that is clamped, and the first fall in hit rate reverses it.
      this.stepSize = -STEP_PERCENT * max;
      let rate = 1;
      while (rate < SHADOW_MAX_RATE && max / (rate * 2) >= SHADOW_MIN_KEYS) rate *= 2;
      this.sampleMask = rate - 1;
      this.guardState = { shadow: new ShadowLru(Math.max(1, Math.ceil(max / rate)), Math.log2(rate)), requests: 0, ourHits: 0, shadowHits: 0, disagree: 0, streak: 0, growths: 0 };
    } else {
      this.sampleMask = 0;
      this.guardState = null;
      this.region = null;
      this.hashAt = null;
      this.sketch = null;
      this.windowMax = 0;
      this.samplePeriod = 0;
      this.stepSize = 0;
    }
    this.protectedMax = 0;
    this.updateProtectedMax();
    this.windowCount = 0;
    this.probationCount = 0;
    this.protectedCount = 0;
    this.sampleStartHits = 0;
    this.sampleStartRequests = 0;
    this.previousHitRate = 0;
    this.random = 0x9e3779b9 | 0;
  }

  /**
   * Number of live entries (entries past their TTL count until something touches them).
   * @example cache.size
   */
  get size(): number {
    return this.count;
  }

  /**
   * The value for `key`, or undefined if absent or expired; counts a hit or a
   * miss and marks the entry most recently used.
   * @example const v = cache.get('user:1') ?? load('user:1')
   */
  get(key: K): V | undefined {
    const t = this.table;
    if (t !== null) return this.getInt(key, t);
    const s = this.index.get(key);
    if (s !== undefined && this.fastHit) {
      this.hits++;
      this.promote(s);
      return this.valueAt[s] as V;
    }
    return this.getChecked(key, s);
  }

  /** `get` in Map mode for a miss, a possibly stale entry, or a cache that is not plain. */
  private getChecked(key: K, s: number | undefined): V | undefined {
    if (s === undefined || (this.index.size !== this.count && this.isStale(s, key))) {
      this.misses++;
      return undefined;
    }
    return this.hit(s);
  }

  /** Makes `s` the newest entry of the LRU list (a no-op if it already is). */
  private promote(s: number): void {
    if (this.links[WINDOW * 2 + 1] !== s) this.moveToNewest(s, WINDOW);
  }


  /** `get` while every key is an int32 (the IntKeyTable index). */
  private getInt(key: K, t: IntKeyTable): V | undefined {
    const s = typeof key === 'number' && (key | 0) === key ? t.get(key) : 0;
    if (s === 0) {
      this.misses++;
      return undefined;
    }
    return this.hit(s);
  }

  /** `get` after a hit on slot `s`: TTL, then the policy's recency update. */
  private hit(s: number): V | undefined {
    if (this.plain) {
      this.hits++;
      this.promote(s);
      return this.valueAt[s] as V;
    }
    return this.hitGeneral(s);
  }

  /** `get` after a hit, for every cache but a plain one: TTL, then the policy's recency update. */
  private hitGeneral(s: number): V | undefined {
    if (this.expiresAt !== null && this.hasExpired(s)) {
      this.misses++;
      this.remove(s, 'expire');
      return undefined;
    }
    this.hits++;
    if (this.isTinyLfu) {
      this.onHit(s);
      const h = this.hashAt![s]!;
      if ((h & this.sampleMask) === 0) this.observe(h, true);
    } else if (this.links[WINDOW * 2 + 1] !== s) this.moveToNewest(s, WINDOW);
    return this.valueAt[s] as V;
  }

  /**
   * The value for `key` without touching recency or hit/miss counts (an expired entry is removed and reads as absent).
   * @example cache.peek('a')
   */
  peek(key: K): V | undefined {
    const s = this.lookup(key);
    if (s === undefined) return undefined;
    if (this.expiresAt !== null && this.hasExpired(s)) {
      this.remove(s, 'expire');
      return undefined;
    }
    return this.valueAt[s] as V;
  }

  /**
   * Whether `key` has a live entry; no recency or hit/miss change.
   * @example if (!cache.has(k)) cache.set(k, compute(k))
   */
  has(key: K): boolean {
    const s = this.lookup(key);
    if (s === undefined) return false;
    if (this.expiresAt !== null && this.hasExpired(s)) {
      this.remove(s, 'expire');
      return false;
    }
    return true;
  }

  /**
   * Stores `value` under `key` as the most recently used entry, then evicts
   * as needed. Replacing a different value disposes the old one with reason
   * 'set'. A value whose size alone exceeds `maxBytes` is not stored: any old
   * entry for the key is removed (reason 'set') and the new value is disposed
   * at once with reason 'evict' (and counted as an eviction). Under
   * W-TinyLFU a new key may itself be the one evicted (not admitted).
   * @example cache.set('a', 1, { ttlMs: 5_000 })
   */
  set(key: K, value: V, options?: LruCacheSetOptions): this {
    if (this.plain && options === undefined && this.lookup(key) === undefined) {
      this.addAbsent(key, value);
      return this;
    }
    return this.setGeneral(key, value, options);
  }

  /** set's fast path for a plain cache and an absent key: a free slot, or the eldest's. */
  private addAbsent(key: K, value: V): void {
    if (this.count < this.maxEntries) {
      this.insertPlain(key, value);
      return;
    }
    this.replaceEldest(key, value, Infinity);
  }

  private setGeneral(key: K, value: V, options: LruCacheSetOptions | undefined): this {
    let ttl = this.defaultTtl;
    if (options !== undefined) {
      if (options === null || typeof options !== 'object' || Array.isArray(options)) {
        throw new InvalidArgumentError(`LruCache set options must be an object when given, got ${describe(options)}`);
      }
      if (options.ttlMs !== undefined) ttl = checkTtl('set ttlMs', options.ttlMs);
    }
    let size = 0;
    if (this.sizeOf !== null) size = this.measure(value, key);
    if (size > this.maxBytes) {
      const old = this.lookup(key);
      if (old !== undefined) this.remove(old, 'set');
      this.evictions++;
      if (this.onDispose !== null) this.onDispose(value, key, 'evict');
      return this;
    }
    let expiry = Infinity;
    let s: number | undefined;
    if (ttl !== Infinity || this.expiresAt !== null) {
      const now = this.clock();
      if (ttl !== Infinity) {
        expiry = now + ttl;
        if (this.expiresAt === null) {
          this.expiresAt = new Float64Array(this.links.length >>> 1).fill(Infinity);
          this.plain = false;
          this.fastHit = false;
        }
      }
      // Lazy expiry: entries past their TTL at the eldest ends leave now
      // rather than taking a live entry's place.
      this.trimExpired(now);
      s = this.lookup(key);
      // Overwriting an expired entry is an expiry plus a fresh insert.
      if (s !== undefined && this.expiresAt![s]! <= now) {
        this.remove(s, 'expire');
        s = undefined;
      }
    } else {
      s = this.lookup(key);
    }
    if (s !== undefined) {
      const old = this.valueAt[s] as V;
      this.valueAt[s] = value;
      if (this.expiresAt !== null) this.expiresAt[s] = expiry;
      if (this.sizes !== null) {
        this.totalBytes += size - this.sizes[s]!;
        this.sizes[s] = size;
      }
      if (this.isTinyLfu) {
        this.onHit(s);
        const h = this.hashAt![s]!;
        if ((h & this.sampleMask) === 0) this.guardState!.shadow.access(h);
      } else if (this.links[WINDOW * 2 + 1] !== s) this.moveToNewest(s, WINDOW);
      if (this.totalBytes > this.maxBytes) this.evictLru();
      if (this.onDispose !== null && !Object.is(old, value)) this.onDispose(old, key, 'set');
      return this;
    }
    if (this.count >= this.maxEntries && this.sizes === null && !this.isTinyLfu) {
      // Full LRU bounded by entries only: the new entry takes over the
      // eldest's slot in place (one slot touched instead of a free + an
      // allocate, and an unlink + link fused into a move).
      this.replaceEldest(key, value, expiry);
      return this;
    }
    s = this.allocate();
    this.keyAt[s] = key;
    this.valueAt[s] = value;
    if (this.expiresAt !== null) this.expiresAt[s] = expiry;
    if (this.sizes !== null) {
      this.sizes[s] = size;
      this.totalBytes += size;
    }
    this.indexSet(key, s);
    if (this.isTinyLfu) {
      this.insertTinyLfu(s, key);
    } else {
      this.link(s, WINDOW);
      if (this.count > this.maxEntries || this.totalBytes > this.maxBytes) this.evictLru();
    }
    return this;
  }

  /**
   * Removes `key`; true if a live entry was removed (disposed with reason 'delete').
   * @example cache.delete('a')
   */
  delete(key: K): boolean {
    const s = this.lookup(key);
    if (s === undefined) return false;
    if (this.expiresAt !== null && this.hasExpired(s)) {
      this.remove(s, 'expire');
      return false;
    }
    this.remove(s, 'delete');
    return true;
  }

  /**
   * Removes every entry (each disposed with reason 'clear', eldest first). Counters and the W-TinyLFU frequency history are kept.
   * @example cache.clear()
   */
  clear(): void {
    const dispose = this.onDispose;
    let keys: K[] | null = null;
    let values: V[] | null = null;
    if (dispose !== null) {
      keys = [];
      values = [];
      for (const head of [WINDOW, PROBATION, PROTECTED]) {
        for (let s = this.links[head * 2]!; s !== head; s = this.links[s * 2]!) {
          keys.push(this.keyAt[s] as K);
          values.push(this.valueAt[s] as V);
        }
      }
    }
    this.index.clear();
    this.sweeper = null;
    if (this.table !== null) this.table.clear();
    this.count = 0;
    this.keyAt.fill(FREE_KEY);
    this.valueAt.fill(undefined);
    this.freeHead = 0;
    this.nextUnused = SENTINELS;
    this.totalBytes = 0;
    this.windowCount = 0;
    this.probationCount = 0;
    this.protectedCount = 0;
    // the shadow LRU starts empty too, so the guard keeps comparing like with like
    const g = this.guardState;
    if (g !== null) {
      g.shadow.clear();
      g.requests = g.ourHits = g.shadowHits = g.disagree = g.streak = 0;
    }
    this.resetLists();
    this.syncFastHit();
    if (dispose !== null) for (let i = 0; i < keys!.length; i++) dispose(values![i]!, keys![i]!, 'clear');
  }

  /**
   * Milliseconds `key` has left to live: Infinity if it has no TTL, -1 if it
   * is absent or expired. No recency or hit/miss change.
   * @example l2.set(k, v, { ttlMs: l1.remainingTtl(k) })
   */
  remainingTtl(key: K): number {
    const s = this.lookup(key);
    if (s === undefined) return -1;
    if (this.expiresAt === null) return Infinity;
    const e = this.expiresAt[s]!;
    if (e === Infinity) return Infinity;
    const left = e - this.clock();
    if (left <= 0) {
      this.remove(s, 'expire');
      return -1;
    }
    return left;
  }

  /**
   * Keys from most to least recently used (under W-TinyLFU: the window,
   * then protected, then probation, each newest first). Expired entries not
   * yet removed are skipped. Do not modify the cache while iterating.
   * @example [...cache.keys()]
   */
  *keys(): IterableIterator<K> {
    const now = this.expiresAt === null ? 0 : this.clock();
    for (const head of [WINDOW, PROTECTED, PROBATION]) {
      for (let s = this.links[head * 2 + 1]!; s !== head; s = this.links[s * 2 + 1]!) {
        if (this.expiresAt === null || this.expiresAt[s]! > now) yield this.keyAt[s] as K;
      }
    }
  }

  /**
   * A snapshot of the counters.
   * @example cache.stats().hitRate
   */
  stats(): CacheStats {
    const requests = this.hits + this.misses;
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      expirations: this.expirations,
      size: this.count,
      bytes: this.totalBytes,
      hitRate: requests === 0 ? 0 : this.hits / requests,
      windowMax: this.windowMax,
    };
  }

  // ---- internals ----------------------------------------------------------

  // ---- key index ----------------------------------------------------------
  //
  // While every key seen so far is an int32, keys live in an IntKeyTable
  // (one hash and usually one cache line per lookup) instead of the Map. The
  // first other key (a string, a float, an object) moves every entry into
  // the Map for good, a one-time O(size) step; a string-keyed cache pays one
  // predictable branch per call for this.

  /** Whether a Map entry key -> s is stale: slot s holds another key (or is free). */
  private isStale(s: number, key: K): boolean {
    const k = this.keyAt[s];
    // NaN is the one key not === to itself.
    return k !== key && !(k !== k && key !== key);
  }

  private lookup(key: K): number | undefined {
    const t = this.table;
    if (t === null) {
      const index = this.index;
      const s = index.get(key);
      // A stale entry (its key was evicted and the slot given to another
      // key, see sweep) reads as absent; with no stale entries at all (the
      // Map's size is the live count) the key compare is skipped.
      return s === undefined || (index.size !== this.count && this.isStale(s, key)) ? undefined : s;
    }
    if (typeof key !== 'number' || (key | 0) !== key) return undefined;
    const s = t.get(key);
    return s === 0 ? undefined : s;
  }

  private indexSet(key: K, s: number): void {
    this.count++;
    const t = this.table;
    if (t !== null) {
      if (typeof key === 'number' && (key | 0) === key) {
        t.insert(key, s);
        return;
      }
      this.leaveIntMode();
    }
    const index = this.index;
    index.set(key, s);
    if (index.size - this.count > this.count >>> 1) this.sweep();
    else this.syncFastHit();
  }

  private syncFastHit(): void {
    this.fastHit = this.plain && this.table === null && this.index.size === this.count;
  }

  /**
   * Map mode leaves the Map entry of a key evicted by replaceEldest in place
   * (stale: it names a slot that now holds another key, and lookup reads it
   * as absent) instead of deleting it. At 1e5 string keys a Map delete costs
   * as much as a lookup (hash, bucket, and a compare with every key on the
   * chain), and it leaves a hole that the Map later compacts by rehashing the
   * whole table; an evicted key that comes back finds its stale entry and
   * the set only overwrites it. Stale entries are capped at half the live
   * count: past that, each insert advances a sweep over the Map by
   * SWEEP_STEP entries, deleting the stale ones, so the Map holds at most
   * about 1.5x the live keys, and an evicted key stays reachable (not its
   * value, which is released at eviction) until a sweep passes it.
   */
  private sweep(): void {
    const index = this.index;
    let it = this.sweeper;
    if (it === null) it = this.sweeper = index.entries();
    for (let i = 0; i < SWEEP_STEP; i++) {
      const r = it.next();
      if (r.done === true) {
        this.sweeper = null;
        break;
      }
      const [key, s] = r.value;
      if (this.isStale(s, key)) index.delete(key);
    }
    this.syncFastHit();
  }

  private indexDelete(key: K): void {
    this.count--;
    const t = this.table;
    if (t === null) this.index.delete(key);
    else t.remove(key as unknown as number);
  }

  /** The first non-int32 key: every live entry moves into the Map. */
  private leaveIntMode(): void {
    for (let head = 0; head < SENTINELS; head++) {
      for (let s = this.links[head * 2]!; s !== head; s = this.links[s * 2]!) this.index.set(this.keyAt[s] as K, s);
    }
    this.table = null;
    this.syncFastHit();
  }

  // ---- lists and slots ----------------------------------------------------

  private resetLists(): void {
    for (let h = 0; h < SENTINELS; h++) {
      this.links[h * 2] = h;
      this.links[h * 2 + 1] = h;
    }
  }

  private hasExpired(s: number): boolean {
    const e = this.expiresAt![s]!;
    return e !== Infinity && e <= this.clock();
  }

  /** Removes expired entries at the eldest end of each list. */
  private trimExpired(now: number): void {
    const lists = this.isTinyLfu ? SENTINELS : 1;
    for (let h = 0; h < lists; h++) {
      let s = this.links[h * 2]!;
      // Re-read expiresAt each step: a dispose callback may grow the arrays.
      while (s !== h && this.expiresAt![s]! <= now) {
        this.remove(s, 'expire');
        s = this.links[h * 2]!;
      }
    }
  }

  private measure(value: V, key: K): number {
    const size = this.sizeOf!(value, key);
    if (typeof size !== 'number') {
      throw new InvalidArgumentError(`LruCache sizeOf must return a number, got ${describe(size)} for key ${describe(key)}`);
    }
    if (!(size >= 0) || !Number.isFinite(size)) {
      throw new (numberError(size))(`LruCache sizeOf (${describe(size)}) must return a finite number >= 0, for key ${describe(key)}`);
    }
    return size;
  }

  private link(s: number, head: number): void {
    const last = this.links[head * 2 + 1]!;
    this.links[s * 2 + 1] = last;
    this.links[s * 2] = head;
    this.links[last * 2] = s;
    this.links[head * 2 + 1] = s;
  }

  private unlink(s: number): void {
    const p = this.links[s * 2 + 1]!;
    const n = this.links[s * 2]!;
    this.links[p * 2] = n;
    this.links[n * 2 + 1] = p;
  }

  private moveToNewest(s: number, head: number): void {
    this.unlink(s);
    this.link(s, head);
  }

  /** Unlinks and frees a slot, counts it, then calls dispose. */
  private remove(s: number, reason: EvictionReason): void {
    const key = this.keyAt[s] as K;
    const value = this.valueAt[s] as V;
    this.indexDelete(key);
    this.unlink(s);
    if (this.isTinyLfu) {
      const r = this.region![s]!;
      if (r === WINDOW) this.windowCount--;
      else if (r === PROBATION) this.probationCount--;
      else this.protectedCount--;
    }
    if (this.sizes !== null) this.totalBytes -= this.sizes[s]!;
    this.keyAt[s] = FREE_KEY;
    this.valueAt[s] = undefined;
    this.links[s * 2] = this.freeHead;
    this.links[s * 2 + 1] = -1;
    this.freeHead = s;
    if (reason === 'evict') this.evictions++;
    else if (reason === 'expire') this.expirations++;
    if (this.onDispose !== null) this.onDispose(value, key, reason);
  }

  private allocate(): number {
    const s = this.freeHead;
    if (s !== 0) {
      this.freeHead = this.links[s * 2]!;
      return s;
    }
    if (this.nextUnused === this.links.length >>> 1) this.grow();
    return this.nextUnused++;
  }

  /** Appends `slots` free slots to keyAt and valueAt. */
  private extendSlots(slots: number): void {
    const keyAt = this.keyAt;
    const valueAt = this.valueAt;
    for (let i = 0; i < slots; i++) {
      keyAt.push(FREE_KEY);
      valueAt.push(undefined);
    }
  }

  private grow(): void {
    const old = this.links.length >>> 1;
    const cap = Math.min(old * 2, this.maxSlots);
    const links = new Int32Array(cap * 2);
    links.set(this.links);
    this.links = links;
    if (this.hashAt !== null) {
      const h = new Int32Array(cap);
      h.set(this.hashAt);
      this.hashAt = h;
    }
    if (this.region !== null) {
      const r = new Uint8Array(cap);
      r.set(this.region);
      this.region = r;
    }
    if (this.expiresAt !== null) {
      const e = new Float64Array(cap).fill(Infinity);
      e.set(this.expiresAt);
      this.expiresAt = e;
    }
    if (this.sizes !== null) {
      const z = new Float64Array(cap);
      z.set(this.sizes);
      this.sizes = z;
    }
    this.extendSlots(cap - old);
  }

  /** LRU at its entry bound: evicts the eldest entry and reuses its slot for `key` as the newest. */
  private replaceEldest(key: K, value: V, expiry: number): void {
    const s = this.links[WINDOW * 2]!;
    const keyAt = this.keyAt;
    const valueAt = this.valueAt;
    const oldKey = keyAt[s] as K;
    // The old value is read only for dispose: the eldest's valueAt line is
    // cold, and a load nobody uses still waits for memory.
    const oldValue = this.onDispose === null ? undefined : (valueAt[s] as V);
    // In Map mode the old key's entry is left stale (see sweep).
    if (this.table !== null) this.indexDelete(oldKey);
    else this.count--;
    // keyAt first: indexSet may move every live slot into the Map by its keyAt.
    keyAt[s] = key;
    valueAt[s] = value;
    this.indexSet(key, s);
    if (this.expiresAt !== null) this.expiresAt[s] = expiry;
    if (this.links[WINDOW * 2 + 1] !== s) this.moveToNewest(s, WINDOW);
    this.evictions++;
    if (this.onDispose !== null) this.onDispose(oldValue as V, oldKey, 'evict');
  }

  /** A plain LRU under its bound: a new key into a free slot as the newest. */
  private insertPlain(key: K, value: V): void {
    const s = this.allocate();
    this.keyAt[s] = key;
    this.valueAt[s] = value;
    this.indexSet(key, s);
    this.link(s, WINDOW);
  }

  /** LRU: evict the eldest until both bounds hold (the newest entry fits alone, so it is never the one evicted). */
  private evictLru(): void {
    while (this.count > this.maxEntries || this.totalBytes > this.maxBytes) {
      const s = this.links[WINDOW * 2]!;
      if (s === WINDOW) return;
      this.remove(s, 'evict');
    }
  }

  // ---- W-TinyLFU ----------------------------------------------------------

  private updateProtectedMax(): void {
    if (this.isTinyLfu) this.protectedMax = Math.floor((this.maxEntries - this.windowMax) * PROTECTED_SHARE);
  }

  /** A hit (get or overwrite): count it, then LRU within the window/protected, or promote from probation. */
  private onHit(s: number): void {
    this.sketch!.increment(this.hashAt![s]!);
    const r = this.region![s]!;
    if (r === PROBATION) {
      this.unlink(s);
      this.probationCount--;
      this.link(s, PROTECTED);
      this.region![s] = PROTECTED;
      this.protectedCount++;
      this.demoteProtectedOverflow();
    } else if (this.links[r * 2 + 1] !== s) {
      this.moveToNewest(s, r);
    }
  }

  private demoteProtectedOverflow(): void {
    while (this.protectedCount > this.protectedMax) {
      const d = this.links[PROTECTED * 2]!;
      this.unlink(d);
      this.protectedCount--;
      this.link(d, PROBATION);
      this.region![d] = PROBATION;
      this.probationCount++;
    }
  }

  private insertTinyLfu(s: number, key: K): void {
    const hash = hashKey(key);
    this.hashAt![s] = hash;
    this.sketch!.increment(hash);
    if ((hash & this.sampleMask) === 0) this.observe(hash, false);
    if (this.hits + this.misses - this.sampleStartRequests >= this.samplePeriod) this.climb();
    this.link(s, WINDOW);
    this.region![s] = WINDOW;
    this.windowCount++;
    let candidates = 0;
    while (this.windowCount > this.windowMax) {
      this.moveWindowEldestToProbation();
      candidates++;
    }
    if (this.count > this.maxEntries) this.evictFromMain(candidates);
  }

  private moveWindowEldestToProbation(): void {
    const w = this.links[WINDOW * 2]!;
    this.unlink(w);
    this.windowCount--;
    this.link(w, PROBATION);
    this.region![w] = PROBATION;
    this.probationCount++;
  }

  /**
   * Over the bound: the newest candidate (just moved out of the window)
   * duels the eldest entry of the main space; the less frequent one leaves.
   */
  private evictFromMain(candidates: number): void {
    while (this.count > this.maxEntries) {
      let victim = this.links[PROBATION * 2]!;
      const candidate = candidates > 0 ? this.links[PROBATION * 2 + 1]! : -1;
      if (victim === candidate) victim = this.links[victim * 2]!; // skip the candidate itself
      if (victim === PROBATION) victim = this.links[PROTECTED * 2]!;
      if (victim === PROTECTED) victim = this.links[WINDOW * 2]!;
      if (victim === WINDOW) victim = -1;
      candidates--;
      if (candidate === -1) {
        this.remove(victim, 'evict');
      } else if (victim === -1 || !this.admit(this.hashAt![candidate]!, this.hashAt![victim]!)) {
        this.remove(candidate, 'evict');
      } else {
        this.remove(victim, 'evict');
      }
    }
  }

  private admit(candidateHash: number, victimHash: number): boolean {
    const sketch = this.sketch!;
    const cf = sketch.frequency(candidateHash);
    const vf = sketch.frequency(victimHash);
    if (cf > vf) return true;
    if (cf < WARM_CANDIDATE) return false;
    // xorshift32: deterministic, so hit-rate runs are reproducible.
    let x = this.random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.random = x;
    return (x & 127) === 0;
  }

  /** A sampled request (our hit or miss): the shadow LRU sees it too; every GUARD_SAMPLES, the guard compares. */
  private observe(hash: number, ourHit: boolean): void {
    const g = this.guardState!;
    const shadowHit = g.shadow.access(hash);
    g.requests++;
    if (ourHit) g.ourHits++;
    if (shadowHit) g.shadowHits++;
    if (shadowHit !== ourHit) g.disagree++;
    if (g.requests >= GUARD_SAMPLES) this.guard(g);
  }

  /**
   * The LRU guard. On the same sampled requests, an LRU of this size (the
   * shadow) hit more often than we did, by more than noise (GUARD_SIGMAS
   * standard deviations of the paired difference plus GUARD_MARGIN), in
   * GUARD_STREAK checks in a row: recency pays more than the window lets it,
   * and the climber, which compares one period with the last once per
   * 15 x maxEntries requests, is too slow to follow (a popular set that keeps
   * moving, a phase change). The window grows by the larger of its own size
   * (doubling), one climber step and GUARD_GROWTH_PER_LEAD x the lead; the
   * climber keeps its direction, so it can shrink the window again when
   * frequency pays. Never fires while we are at least as good as LRU, so
   * frequency-friendly workloads keep what the climber found.
   */
  private guard(g: GuardState): void {
    const n = g.requests;
    const lead = g.shadowHits - g.ourHits;
    if (lead > GUARD_SIGMAS * Math.sqrt(g.disagree) + GUARD_MARGIN * n) g.streak++;
    else g.streak = 0;
    if (g.streak >= GUARD_STREAK && this.windowMax < this.maxEntries - 1) {
      g.streak = 0;
      g.growths++;
      const step = Math.max(this.windowMax, Math.ceil(STEP_PERCENT * this.maxEntries), Math.ceil(((GUARD_GROWTH_PER_LEAD * lead) / n) * this.maxEntries));
      this.resizeWindow(this.windowMax + step);
    }
    g.requests = g.ourHits = g.shadowHits = g.disagree = 0;
  }

  /**
   * Hill climbing on the window size, once per sample period: keep moving
   * the boundary the same way while the hit rate rises, reverse when it
   * falls; the step decays, and restarts large after a big change in hit rate
   * (a new workload phase).
   */
  private climb(): void {
    const requests = this.hits + this.misses - this.sampleStartRequests;
    const hitRate = requests === 0 ? 0 : (this.hits - this.sampleStartHits) / requests;
    const change = hitRate - this.previousHitRate;
    const amount = change >= 0 ? this.stepSize : -this.stepSize;
    this.stepSize = Math.abs(change) >= RESTART_THRESHOLD
      ? STEP_PERCENT * this.maxEntries * (amount >= 0 ? 1 : -1)
      : STEP_DECAY * amount;
    this.previousHitRate = hitRate;
    this.sampleStartHits = this.hits;
    this.sampleStartRequests = this.hits + this.misses;
    this.resizeWindow(this.windowMax + Math.trunc(amount));
  }

  /** Moves the window/main boundary so the window may hold `target` entries (clamped to 1..max-1). */
  private resizeWindow(target: number): void {
    const max = this.maxEntries;
    if (max < 2) return;
    target = Math.min(max - 1, Math.max(1, target));
    if (target === this.windowMax) return;
    if (target > this.windowMax) {
      // Grow the window: main's eldest entries move into it (as its newest).
      let quota = target - this.windowMax;
      this.windowMax = target;
      this.updateProtectedMax();
      this.demoteProtectedOverflow();
      while (quota-- > 0 && this.windowCount < this.windowMax) {
        let s = this.links[PROBATION * 2]!;
        if (s === PROBATION) s = this.links[PROTECTED * 2]!;
        if (s === PROTECTED) break;
        this.unlink(s);
        if (this.region![s] === PROBATION) this.probationCount--;
        else this.protectedCount--;
        this.link(s, WINDOW);
        this.region![s] = WINDOW;
        this.windowCount++;
      }
    } else {
      this.windowMax = target;
      this.updateProtectedMax();
      while (this.windowCount > this.windowMax) this.moveWindowEldestToProbation();
    }
  }
}

function checkTtl(name: string, ttl: unknown): number {
  if (typeof ttl !== 'number' || Number.isNaN(ttl) || ttl <= 0) {
    throw new (numberError(ttl))(`LruCache ${name} (${describe(ttl)}) must be a number > 0 (Infinity = no expiry)`);
  }
  return ttl;
}
