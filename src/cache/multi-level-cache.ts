/**
 * MultiLevelCache: an in-process L1 ({@link LruCache}) in front of any number
 * of slower tiers (a {@link RedisTier}, an {@link HttpTier}, or your own
 * {@link CacheTier}), each optional.
 *
 * Reads walk down: L1, then each tier in order. A hit in tier i is promoted to
 * L1 and to tiers 0..i-1 with its *remaining* TTL, so a copy never outlives
 * its source. A tier that fails, times out or has its circuit open is a miss
 * (counted in its stats): no tier error reaches `get`/`getOrSet`.
 *
 * Writes go through: `set` stores in L1 at once, then in every tier; the bus
 * tier (the first tier with an invalidation bus) publishes the key in the
 * same round trip (`{ publish: true }`), so a write and its invalidation share
 * one deadline. `delete` removes everywhere the same way. With more than one
 * tier, the key is published once more after every tier answered (another
 * node that re-read a slower tier's old copy drops it again). With
 * `writeBehind`, tier writes are queued (a later write of the same key
 * replaces an earlier queued one), flushed every `flushMs` or at `maxItems`;
 * reads that miss L1 consult the queue first, so a node reads its own writes.
 *
 * Failed writes are replayed. A tier write or delete that fails, times out
 * or is skipped by an open circuit is not forgotten: its key joins the retry
 * queue (insertion-ordered, one entry per key, at most `retryQueue.maxKeys`).
 * Every `retryQueue.retryMs` the queue is replayed, oldest first: one key as
 * a probe, then the rest once it succeeds. A replay *invalidates* the key: it
 * deletes it from every tier (lower tiers first, the bus tier last, with the
 * publish), so every node drops its L1 copy. It does not re-send the value:
 * a replayed value could overwrite a newer write another node made in the
 * meantime, a delete can only cause a miss. Until its replay succeeded, a
 * queued key is a miss below L1 on this node (L2 holds something older than
 * this node's own write). A queue that would pass `maxKeys` overflows: the
 * keys are dropped, the node reads nothing below L1, and as soon as the tiers
 * answer it invalidates everything (`invalidateAll` on the tiers that have
 * it: a new Redis generation, and every node clears its L1), then clears its
 * own L1; `stats().retryQueue` counts all of it. `close()` makes one last
 * replay attempt.
 *
 * getOrSet. One load per key per process: concurrent callers share the
 * in-flight promise (a Map key -> promise, removed when it settles). A load
 * first reads the tiers (another node may have loaded it), then calls the
 * loader and stores the result; a loader error reaches the callers and nothing
 * is cached. With `graceMs`, L1 keeps the entry `graceMs` past its TTL in a
 * small box that records when it stops being fresh; a stale hit inside grace
 * is answered at once while one background load refreshes it (its failure is
 * counted, the stale value is served until grace runs out). Only getOrSet
 * serves stale values; `get` treats a stale box as a miss.
 *
 * Promotion race. A tier read that started before a local write, delete or
 * received invalidation of its key could promote an old value into L1 after
 * it (the reply and the pub/sub message travel on different connections, so
 * their order is unknown). Tier reads in flight register a guard per key
 * (`reading`); a write, delete or invalidation of the key marks its guard
 * stale, and a read whose guard went stale returns its value without
 * promoting it into L1. Conservative: an invalidation of an *older* write
 * that arrives during the read also skips one promotion.
 *
 * Invalidation. Other nodes' keys are deleted from L1 (keys only, never
 * values). When the bus reconnects, messages may have been lost, so L1 is
 * cleared. `l1MaxTtlMs` additionally bounds how long an L1 copy can be stale
 * if the bus itself is down.
 *
 * The consistency guarantee this gives, with a RedisTier as the bus (stated
 * in the README and tested with two nodes against a real redis-server that is
 * stalled, killed and restarted mid-writes): once Redis answers again, no
 * node serves a value older than the newest completed write of its key for
 * longer than about max(openMs, reconnectMaxDelayMs) + retryMs + 2 x
 * commandTimeoutMs (under 1 s with the defaults), and a deleted key never
 * comes back (tombstones refuse late writes, see redis-tier.ts).
 *
 * Speed. An L1 hit is an LruCache lookup and a resolved promise (plus an
 * `instanceof` test once any grace entry has been stored: the grace feature
 * costs nothing until used); latency is timed on one L1 read in 64. `getLocal` is the
 * synchronous L1-only read for callers that cannot afford a promise. The
 * retry queue costs the hit path nothing; an L1 miss checks it only while it
 * is not empty.
 *
 * Bad input. Options and arguments are checked with the shared checks (a
 * typeof per argument on the hot path); errors name `MultiLevelCache` (and the
 * cache's name when it is not the default), the parameter, the value and the rule.
 */
import { ClosedError, InvalidArgumentError, describe } from '../errors.ts';
import type { PerformanceMonitor } from '../metrics/monitor.ts';
import { checkArray, checkFunction, checkNumber, checkOptions, checkString, checkTimerMs, optionalBoolean, prefixArgumentError } from '../validate.ts';
import type { LruCacheOptions } from './lru-cache.ts';
import { MemoryTier, type CacheTier, type InvalidationHandler, type MemoryTierOptions, type TierEntry, type TierStats, type TierWriteOptions } from './tier.ts';

/** Options of {@link MultiLevelCache}. @example new MultiLevelCache({ l1: { maxEntries: 10_000 }, tiers: [new RedisTier({ url })], ttlMs: 60_000 }) */
export interface MultiLevelCacheOptions<V = unknown> {
  /** Name used in messages and as the default monitor source name. Default 'cache'. */
  name?: string;
  /** L1 options (those of LruCache, string keys), or `false` for no L1. Default `{ maxEntries: 10_000 }`. */
  l1?: MemoryTierOptions<V> | false;
  /** Tiers below L1, fastest first (e.g. `[redisTier, httpTier]`). The cache owns them: `close()` closes them. Default []. */
  tiers?: CacheTier[];
  /** Default TTL of `set`/`getOrSet`, ms (> 0, at most 2^40, or Infinity = none). Default 300 000. */
  ttlMs?: number;
  /** Longest time an entry stays in L1, ms (> 0, at most 2^40, or Infinity): bounds staleness if invalidations are lost. Default Infinity. */
  l1MaxTtlMs?: number;
  /** Default grace period of `getOrSet`, ms (>= 0, at most 2^40, or Infinity). Default 0. */
  graceMs?: number;
  /** Queue tier writes and flush them in batches (`true` = defaults). Default false (write-through). */
  writeBehind?: boolean | { flushMs?: number; maxItems?: number };
  /** Publish and receive key invalidations through the first tier that supports it. Default true. */
  invalidation?: boolean;
  /** Replay of failed tier writes: at most `maxKeys` keys (integer 1 to 2^24, default 100 000), retried every `retryMs` (integer 1 to 2^31 - 1, default 50). */
  retryQueue?: { maxKeys?: number; retryMs?: number };
  /** Monotonic clock for L1 TTLs and grace, ms. Default: `l1.clock` if given, else `performance.now`. */
  now?: () => number;
}

/** Options of one `set`. @example cache.set('k', v, { ttlMs: 5000 }) */
export interface CacheSetOptions {
  /** TTL, ms (> 0, Infinity = none). Default: the cache's `ttlMs`. */
  ttlMs?: number;
}

/** Options of one `getOrSet`. @example cache.getOrSet('k', load, { ttlMs: 60_000, graceMs: 10_000 }) */
export interface GetOrSetOptions extends CacheSetOptions {
  /** How long past its TTL a value may be served from L1 while it is refreshed, ms (>= 0). Default: the cache's `graceMs`. */
  graceMs?: number;
}

/** What `MultiLevelCache.stats()` returns. @example cache.stats().tiers.redis.hits */
export interface MultiLevelCacheStats {
  /** `get` and `getOrSet` calls. */
  gets: number;
  /** Calls answered from some level (stale grace hits included). */
  hits: number;
  /** Calls no level could answer. */
  misses: number;
  /** Per level, by name (L1 first): hits, misses, errors, timeouts, skipped, latency. */
  tiers: Record<string, TierStats>;
  /** Loader calls by getOrSet (foreground and refresh). */
  loads: number;
  /** Loader calls that threw or rejected. */
  loadErrors: number;
  /** getOrSet calls that joined an in-flight load of the same key. */
  coalesced: number;
  /** Stale values served inside a grace period. */
  staleServed: number;
  /** Background refreshes started by stale hits. */
  refreshes: number;
  /** Invalidations published / applied from other nodes / L1 clears after a bus reconnect. */
  invalidations: { published: number; received: number; resyncs: number };
  /** Write-behind queue: entries waiting, flushes done, entries flushed. */
  writeBehind: { queued: number; flushes: number; flushed: number };
  /**
   * Failed tier writes: keys waiting for their replay now, keys added, keys
   * replayed, overflows (the queue was full: everything was invalidated
   * instead), keys dropped by overflows, and whether an invalidate-all is
   * still pending.
   */
  retryQueue: { queued: number; added: number; replayed: number; overflows: number; dropped: number; invalidateAllPending: boolean };
}

/** An L1 value stored with a grace period: fresh until `freshUntil`, then stale until the LruCache drops it. */
class GraceBox<V> {
  constructor(
    readonly value: V,
    readonly freshUntil: number,
  ) {}
}

/** Tier reads of one key in flight; `stale` once the key was written, deleted or invalidated meanwhile. */
class ReadGuard {
  readers = 0;
  stale = false;
}

/** A queued write-behind operation: a value with its absolute expiry (Date.now clock), or a delete. */
class QueuedWrite {
  constructor(
    readonly isDelete: boolean,
    readonly value: unknown,
    readonly expiresAt: number,
  ) {}
}

type Loader<V> = (key: string) => V | Promise<V>;

const L1_SAMPLE_MASK = 63; // time one L1 read in 64: a clock read costs about as much as the lookup

/** Longest finite TTL or grace, ms: 2^40 (about 35 years; Redis PX and HTTP max-age take it as an integer). */
const MAX_TTL_MS = 2 ** 40;

function checkTtl(component: string, option: string, v: unknown, allowZero: boolean): number {
  return checkNumber(component, option, v, { min: 0, minExclusive: !allowZero, max: MAX_TTL_MS, allowInfinity: true });
}

function noop(): void {}

const PUBLISH: TierWriteOptions = Object.freeze({ publish: true });
/** Keys replayed per round of the retry queue. */
const REPLAY_CHUNK = 500;

/** Calls a plug-in tier method; a synchronous throw becomes a rejection. */
function call(f: () => Promise<unknown>): Promise<unknown> {
  try {
    return f();
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * A multi-level cache: L1 in process, then Redis, HTTP or any {@link CacheTier}.
 * @example
 * const cache = new MultiLevelCache<User>({
 *   l1: { maxEntries: 10_000 },
 *   tiers: [new RedisTier({ url: 'redis://127.0.0.1:6379', keyPrefix: 'users:' })],
 *   ttlMs: 60_000,
 * });
 * await cache.connect();
 * const user = await cache.getOrSet('42', (id) => db.user(id), { graceMs: 10_000 });
 */
export class MultiLevelCache<V = unknown> {
  /** Name used in messages and as the monitor source name. */
  readonly name: string;
  /** Default TTL, ms. */
  readonly ttlMs: number;
  /** Default grace period of getOrSet, ms. */
  readonly graceMs: number;
  /** The L1 tier, or null without one. */
  readonly l1: MemoryTier<V | GraceBox<V>> | null;
  private readonly label: string;
  private readonly lru: MemoryTier<V | GraceBox<V>>['cache'] | null;
  private readonly tiers: CacheTier[];
  private readonly bus: CacheTier | null;
  private readonly l1MaxTtlMs: number;
  private readonly now: () => number;
  private readonly inflight = new Map<string, Promise<V | undefined>>();
  private readonly pending = new Set<Promise<unknown>>();
  // write-behind
  private readonly wbEnabled: boolean;
  private readonly wbFlushMs: number;
  private readonly wbMaxItems: number;
  private wbQueue = new Map<string, QueuedWrite>();
  private wbTimer: ReturnType<typeof setTimeout> | null = null;
  // retry queue: key -> sequence number of its latest failure (insertion order = replay order)
  private readonly retry = new Map<string, number>();
  private readonly retryMaxKeys: number;
  private readonly retryMs: number;
  private retrySeq = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** The replay in progress, if any. */
  private draining: Promise<void> | null = null;
  /** The retry queue overflowed: nothing below L1 is vouched for until an invalidate-all succeeded. */
  private overflowed = false;
  private closed = false;
  private connected: Promise<void> | null = null;
  private readonly reading = new Map<string, ReadGuard>();
  /** Set once the first grace box is stored; until then L1 reads skip the box test. */
  private hasGraceEntries = false;
  private l1Ops = 0;
  // stats
  private gets = 0;
  private hits = 0;
  private misses = 0;
  private loads = 0;
  private loadErrors = 0;
  private coalesced = 0;
  private staleServed = 0;
  private refreshes = 0;
  private published = 0;
  private received = 0;
  private resyncs = 0;
  private flushes = 0;
  private flushed = 0;
  private retryAdded = 0;
  private replayed = 0;
  private overflows = 0;
  private dropped = 0;

  constructor(options?: MultiLevelCacheOptions<V>) {
    const o = checkOptions('MultiLevelCache', 'options', options);
    const name = o.name === undefined ? 'cache' : checkString('MultiLevelCache', 'name', o.name, { nonEmpty: true });
    this.name = name;
    const label = name === 'cache' ? 'MultiLevelCache' : `MultiLevelCache ${name}`;
    this.label = label;
    this.ttlMs = o.ttlMs === undefined ? 300_000 : checkTtl(label, 'ttlMs', o.ttlMs, false);
    this.l1MaxTtlMs = o.l1MaxTtlMs === undefined ? Infinity : checkTtl(label, 'l1MaxTtlMs', o.l1MaxTtlMs, false);
    this.graceMs = o.graceMs === undefined ? 0 : checkTtl(label, 'graceMs', o.graceMs, true);
    const l1 = o.l1 === undefined ? { maxEntries: 10_000 } : o.l1 === false ? false : checkOptions(label, 'l1', o.l1 as MemoryTierOptions<V>);
    // One clock for L1 TTLs and grace boxes: `now`, else the L1's own `clock`, else performance.now.
    if (l1 !== false && l1.clock !== undefined) checkFunction(label, 'l1.clock', l1.clock);
    const now = o.now !== undefined ? checkFunction<() => number>(label, 'now', o.now) : l1 !== false && l1.clock !== undefined ? l1.clock : () => performance.now();
    this.now = now;

    const tiers = o.tiers === undefined ? [] : checkArray<CacheTier>(label, 'tiers', o.tiers);
    const names = new Set<string>(l1 === false ? [] : [l1.name ?? 'memory']);
    for (const t of tiers) {
      if (t === null || typeof t !== 'object' || typeof t.get !== 'function' || typeof t.set !== 'function' || typeof t.delete !== 'function' || typeof t.stats !== 'function') {
        throw new InvalidArgumentError(`${label} tiers must implement CacheTier (get, set, delete, stats), got ${describe(t)}`);
      }
      if (typeof t.name !== 'string' || t.name === '') throw new InvalidArgumentError(`${label} tier name must be a non-empty string, got ${describe(t.name)}`);
      if (names.has(t.name)) throw new InvalidArgumentError(`${label} tier names must be unique, "${t.name}" appears twice`);
      names.add(t.name);
    }
    const invalidation = optionalBoolean(label, 'invalidation', o.invalidation, true);

    const wb = o.writeBehind === undefined ? false : o.writeBehind;
    if (typeof wb !== 'boolean') checkOptions(label, 'writeBehind', wb);
    const wbo = typeof wb === 'object' ? wb : {};
    const wbFlushMs = wbo.flushMs === undefined ? 50 : checkTimerMs(label, 'writeBehind.flushMs', wbo.flushMs, { min: 1, integer: true });
    const wbMaxItems = wbo.maxItems === undefined ? 500 : checkNumber(label, 'writeBehind.maxItems', wbo.maxItems, { integer: true, min: 1, max: 1_000_000 });

    const rq = checkOptions(label, 'retryQueue', o.retryQueue);
    this.retryMaxKeys = rq.maxKeys === undefined ? 100_000 : checkNumber(label, 'retryQueue.maxKeys', rq.maxKeys, { integer: true, min: 1, max: 2 ** 24 });
    this.retryMs = rq.retryMs === undefined ? 50 : checkTimerMs(label, 'retryQueue.retryMs', rq.retryMs, { min: 1, integer: true });

    // Everything is checked: build (the L1 LruCache checks its own options).
    if (l1 === false) {
      this.l1 = null;
      this.lru = null;
    } else {
      try {
        this.l1 = new MemoryTier<V | GraceBox<V>>(this.l1Options(l1));
      } catch (err) {
        throw prefixArgumentError(err, `${label} l1`);
      }
      this.lru = this.l1.cache;
    }
    this.tiers = tiers.slice();
    this.bus = invalidation ? (this.tiers.find((t) => typeof t.publishInvalidation === 'function' && typeof t.subscribeInvalidations === 'function') ?? null) : null;
    this.wbEnabled = wb !== false;
    this.wbFlushMs = wbFlushMs;
    this.wbMaxItems = wbMaxItems;
  }

  /** The LruCache options for L1: the cache's clock, and sizeOf/dispose that see values, not grace boxes. */
  private l1Options(o: MemoryTierOptions<V>): MemoryTierOptions<V | GraceBox<V>> {
    const { sizeOf, dispose, ...rest } = o;
    const out: LruCacheOptions<string, V | GraceBox<V>> & { name?: string } = { ...rest, clock: this.now };
    if (sizeOf !== undefined) {
      if (typeof sizeOf !== 'function') throw new InvalidArgumentError(`${this.label} l1.sizeOf must be a function, got ${describe(sizeOf)}`);
      out.sizeOf = (v, k) => sizeOf(v instanceof GraceBox ? (v.value as V) : v, k);
    }
    if (dispose !== undefined) {
      if (typeof dispose !== 'function') throw new InvalidArgumentError(`${this.label} l1.dispose must be a function, got ${describe(dispose)}`);
      out.dispose = (v, k, r) => dispose(v instanceof GraceBox ? (v.value as V) : v, k, r);
    }
    return out;
  }

  /**
   * Connects every tier that has `connect()` and subscribes to invalidations.
   * Rejects with the first failure once all have settled (a RedisTier keeps
   * connecting and subscribing in the background; the cache works from L1 and
   * the other tiers meanwhile).
   * @example await cache.connect();
   */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError(this.label));
    if (this.connected === null) this.connected = this.doConnect();
    return this.connected;
  }

  private async doConnect(): Promise<void> {
    const jobs: Promise<unknown>[] = [];
    for (const t of this.tiers) if (typeof t.connect === 'function') jobs.push(call(() => t.connect!()));
    if (this.bus !== null) jobs.push(call(() => this.bus!.subscribeInvalidations!(this.invalidationHandler)));
    for (const r of await Promise.allSettled(jobs)) if (r.status === 'rejected') throw r.reason;
  }

  private readonly invalidationHandler: InvalidationHandler = {
    onKey: (key: string): void => {
      this.received++;
      this.touch(key);
      this.lru?.delete(key);
    },
    onResync: (): void => {
      this.resyncs++;
      this.dropL1();
    },
  };

  /** Clears L1; tier reads in flight must not promote what they read before. */
  private dropL1(): void {
    for (const g of this.reading.values()) g.stale = true;
    this.lru?.clear();
  }

  private keyError(method: string, key: unknown): InvalidArgumentError {
    return new InvalidArgumentError(`${this.label} ${method} key must be a string, got ${describe(key)}`);
  }

  /**
   * Reads L1 only, synchronously (a fresh value or undefined). Counts in L1's stats, not in `gets`.
   * @example const v = cache.getLocal('k') ?? (await cache.get('k'));
   */
  getLocal(key: string): V | undefined {
    if (typeof key !== 'string') throw this.keyError('getLocal', key);
    const lru = this.lru;
    if (lru === null) return undefined;
    const raw = lru.get(key);
    // No grace entry was ever stored: every L1 value is a plain value (the common case costs one boolean test).
    if (!this.hasGraceEntries || raw === undefined || !(raw instanceof GraceBox)) return raw as V | undefined;
    return this.now() < raw.freshUntil ? raw.value : undefined;
  }

  /**
   * The value of `key` from the first level that has it (promoted to the
   * levels above), or undefined. Never rejects because of a tier.
   * @example const v = await cache.get('user:42');
   */
  get(key: string): Promise<V | undefined> {
    if (typeof key !== 'string') return Promise.reject(this.keyError('get', key));
    if (this.closed) return Promise.reject(new ClosedError(this.label));
    this.gets++;
    if (this.lru !== null) {
      const v = (++this.l1Ops & L1_SAMPLE_MASK) === 0 ? this.timedLocal(key) : this.getLocal(key);
      if (v !== undefined) {
        this.hits++;
        return Promise.resolve(v);
      }
    }
    return this.readBelow(key, 0, true);
  }

  private timedLocal(key: string): V | undefined {
    const t0 = performance.now();
    const v = this.getLocal(key);
    this.l1!.recordLatency(performance.now() - t0);
    return v;
  }

  /**
   * Reads the write-behind queue, then the tiers; counts the hit or miss when
   * `count` (not for background refreshes). A key waiting in the retry queue
   * (or any key, after an overflow) is a miss here: the tiers hold something
   * older than this node's own failed write.
   */
  private async readBelow(key: string, graceMs: number, count: boolean): Promise<V | undefined> {
    if (this.wbEnabled) {
      const q = this.wbQueue.get(key);
      if (q !== undefined) {
        if (q.isDelete) {
          if (count) this.misses++;
          return undefined;
        }
        if (count) this.hits++;
        return q.value as V;
      }
    }
    const tiers = this.tiers;
    if (tiers.length === 0 || this.overflowed || (this.retry.size !== 0 && this.retry.has(key))) {
      if (count) this.misses++;
      return undefined;
    }
    let guard = this.reading.get(key);
    if (guard === undefined) {
      guard = new ReadGuard();
      this.reading.set(key, guard);
    }
    guard.readers++;
    try {
      for (let i = 0; i < tiers.length; i++) {
        let e: TierEntry | undefined;
        try {
          e = (await tiers[i]!.get(key)) as TierEntry | undefined;
        } catch {
          continue; // counted by the tier; a failing tier is a miss
        }
        if (e !== undefined) {
          if (count) this.hits++;
          this.promote(key, e, i, graceMs, guard.stale);
          return e.value as V;
        }
      }
    } finally {
      if (--guard.readers === 0 && this.reading.get(key) === guard) this.reading.delete(key);
    }
    if (count) this.misses++;
    return undefined;
  }

  /** Marks in-flight tier reads of `key` stale: they must not promote into L1. */
  private touch(key: string): void {
    const g = this.reading.get(key);
    if (g !== undefined) g.stale = true;
  }

  /** Copies a hit of tier `i` into L1 and tiers 0..i-1 with its remaining TTL (where nothing is stored: `promote`). */
  private promote(key: string, e: TierEntry, i: number, graceMs: number, stale: boolean): void {
    if (stale) return; // written, deleted or invalidated meanwhile: the copy may be old
    if (this.lru !== null) this.setL1(key, e.value as V, e.ttlMs, graceMs);
    for (let j = 0; j < i; j++) {
      const t = this.tiers[j]!;
      this.track(call(() => (typeof t.promote === 'function' ? t.promote(key, e.value, e.ttlMs) : t.set(key, e.value, e.ttlMs))));
    }
  }

  private setL1(key: string, value: V, ttlMs: number, graceMs: number): void {
    const ttl = Math.min(ttlMs, this.l1MaxTtlMs);
    if (graceMs > 0 && ttl !== Infinity) {
      this.hasGraceEntries = true;
      this.lru!.set(key, new GraceBox(value, this.now() + ttl), { ttlMs: ttl + graceMs });
    } else {
      this.lru!.set(key, value, { ttlMs: ttl });
    }
  }

  /** Keeps a background tier write so close() can wait for it; its failure is already counted by the tier. */
  private track(p: Promise<unknown>): void {
    const t = p.then(noop, noop);
    this.pending.add(t);
    void t.then(() => this.pending.delete(t));
  }

  /**
   * Stores `value` in L1 and every tier (or queues the tier writes with
   * writeBehind); the bus tier publishes the key with its write. Resolves
   * when the tiers answered (one round trip); never rejects because of a
   * tier (failures are counted, and the key is replayed).
   * @example await cache.set('user:42', user, { ttlMs: 60_000 });
   */
  set(key: string, value: V, options?: CacheSetOptions): Promise<void> {
    if (typeof key !== 'string') return Promise.reject(this.keyError('set', key));
    if (this.closed) return Promise.reject(new ClosedError(this.label));
    if (value === undefined) return Promise.reject(new InvalidArgumentError(`${this.label} set value of "${key}" must not be undefined (undefined means a miss)`));
    let ttl = this.ttlMs;
    if (options !== undefined) {
      try {
        const o = checkOptions(this.label, 'set options', options);
        if (o.ttlMs !== undefined) ttl = checkTtl(this.label, 'set options.ttlMs', o.ttlMs, false);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.store(key, value, ttl, 0);
  }

  private store(key: string, value: V, ttlMs: number, graceMs: number): Promise<void> {
    this.touch(key);
    if (this.lru !== null) this.setL1(key, value, ttlMs, graceMs);
    if (this.tiers.length === 0) return Promise.resolve();
    if (this.wbEnabled) {
      this.enqueue(key, new QueuedWrite(false, value, ttlMs === Infinity ? Infinity : Date.now() + ttlMs));
      return Promise.resolve();
    }
    return this.writeTiers(key, value, ttlMs);
  }

  /** Writes one key to every tier (the bus tier publishes with it); a failure queues the key for replay. */
  private writeTiers(key: string, value: unknown, ttlMs: number): Promise<void> {
    const tiers = this.tiers;
    const bus = this.bus;
    if (tiers.length === 1) {
      const t = tiers[0]!;
      if (t === bus) this.published++;
      return call(() => (t === bus ? t.set(key, value, ttlMs, PUBLISH) : t.set(key, value, ttlMs))).then(noop, () => this.failed(key));
    }
    const ps = new Array<Promise<boolean>>(tiers.length);
    for (let i = 0; i < tiers.length; i++) {
      const t = tiers[i]!;
      if (t === bus) this.published++;
      ps[i] = call(() => (t === bus ? t.set(key, value, ttlMs, PUBLISH) : t.set(key, value, ttlMs))).then(yes, no);
    }
    return Promise.all(ps).then((oks) => this.afterAll(key, oks));
  }

  /** Deletes one key from every tier (the bus tier publishes with it); a failure queues the key for replay. */
  private deleteTiers(key: string): Promise<void> {
    const tiers = this.tiers;
    const bus = this.bus;
    if (tiers.length === 1) {
      const t = tiers[0]!;
      if (t === bus) this.published++;
      return call(() => (t === bus ? t.delete(key, PUBLISH) : t.delete(key))).then(noop, () => this.failed(key));
    }
    const ps = new Array<Promise<boolean>>(tiers.length);
    for (let i = 0; i < tiers.length; i++) {
      const t = tiers[i]!;
      if (t === bus) this.published++;
      ps[i] = call(() => (t === bus ? t.delete(key, PUBLISH) : t.delete(key))).then(yes, no);
    }
    return Promise.all(ps).then((oks) => this.afterAll(key, oks));
  }

  /**
   * After a multi-tier write: replay on any failure; otherwise publish once
   * more in the background (a node that re-read a slower tier's old copy
   * after the first invalidation drops it now).
   */
  private afterAll(key: string, oks: boolean[]): void {
    if (oks.includes(false)) {
      this.failed(key);
      return;
    }
    const bus = this.bus;
    if (bus === null) return;
    this.published++;
    this.track(call(() => bus.publishInvalidation!(key)).then(noop, () => this.failed(key)));
  }

  /** Records that a tier write of `key` failed: it joins the retry queue (or the queue overflows). */
  private failed(key: string): void {
    if (this.overflowed) return; // everything will be invalidated anyway
    if (this.retry.has(key)) this.retry.delete(key); // moves to the end: replay follows the latest failure
    else if (this.retry.size >= this.retryMaxKeys) {
      this.overflows++;
      this.dropped += this.retry.size + 1;
      this.retry.clear();
      this.overflowed = true;
      this.dropL1();
      this.scheduleRetry();
      return;
    }
    this.retry.set(key, ++this.retrySeq);
    this.retryAdded++;
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null || this.closed) return;
    this.retryTimer = setTimeout(this.onRetryTimer, this.retryMs);
    this.retryTimer.unref();
  }

  private readonly onRetryTimer = (): void => {
    this.retryTimer = null;
    void this.drain();
  };

  /** Starts a replay of the retry queue, or joins the one in progress. */
  private drain(): Promise<void> {
    if (this.draining === null) {
      this.draining = this.replay().finally(() => {
        this.draining = null;
        if (this.retry.size > 0 || this.overflowed) this.scheduleRetry();
      });
    }
    return this.draining;
  }

  /**
   * Replays the retry queue: an invalidate-all first after an overflow, then
   * the keys oldest first, one as a probe and then in chunks. A key whose
   * replay failed moves to the end (so one bad key cannot block the rest);
   * the round stops when a whole chunk failed (the caller tries again in
   * `retryMs`).
   */
  private async replay(): Promise<void> {
    if (this.overflowed) {
      if (!(await this.invalidateAllTiers())) return;
      this.overflowed = false;
      this.dropL1();
    }
    let chunk = 1; // the first key probes the tiers
    let budget = this.retry.size; // each key at most once per round
    while (this.retry.size > 0 && budget > 0) {
      const batch: [string, number][] = [];
      for (const e of this.retry) {
        batch.push(e);
        if (batch.length === Math.min(chunk, budget)) break;
      }
      budget -= batch.length;
      const oks = await Promise.all(batch.map(([k]) => this.replayKey(k)));
      let done = 0;
      for (let i = 0; i < batch.length; i++) {
        const [k, seq] = batch[i]!;
        if (this.retry.get(k) !== seq) continue; // failed again meanwhile: it stays, at its new place
        this.retry.delete(k);
        if (oks[i]) {
          done++;
          this.replayed++;
          // an in-flight read may have fetched the value the replay just deleted: it must not promote it
          this.touch(k);
        } else this.retry.set(k, seq); // to the end
      }
      if (done === 0) return;
      chunk = REPLAY_CHUNK;
    }
  }

  /** Invalidates one key everywhere: lower tiers first, then the bus tier with its publish. True if every tier answered. */
  private async replayKey(key: string): Promise<boolean> {
    const tiers = this.tiers;
    const bus = this.bus;
    if (tiers.length > 1) {
      const others = tiers.filter((t) => t !== bus).map((t) => call(() => t.delete(key)).then(yes, no));
      if ((await Promise.all(others)).includes(false)) return false;
      if (bus === null) return true;
    }
    const last = bus ?? tiers[0]!;
    if (last === bus) this.published++;
    return call(() => (last === bus ? last.delete(key, PUBLISH) : last.delete(key))).then(yes, no);
  }

  /** After an overflow: invalidate-all on every tier that can; true if they all answered. */
  private async invalidateAllTiers(): Promise<boolean> {
    const ps = this.tiers.filter((t) => typeof t.invalidateAll === 'function').map((t) => call(() => t.invalidateAll!()).then(yes, no));
    return !(await Promise.all(ps)).includes(false);
  }

  /**
   * Removes `key` from every level; the bus tier publishes it with the delete
   * (which leaves a tombstone in Redis). Never rejects because of a tier
   * (failures are counted, and the key is replayed).
   * @example await cache.delete('user:42');
   */
  delete(key: string): Promise<void> {
    if (typeof key !== 'string') return Promise.reject(this.keyError('delete', key));
    if (this.closed) return Promise.reject(new ClosedError(this.label));
    this.touch(key);
    this.lru?.delete(key);
    if (this.tiers.length === 0) return Promise.resolve();
    if (this.wbEnabled) {
      this.enqueue(key, new QueuedWrite(true, undefined, 0));
      return Promise.resolve();
    }
    return this.deleteTiers(key);
  }

  /**
   * The cached value of `key`, or the loader's result (stored with `ttlMs`).
   * One load per key per process; with `graceMs`, a stale L1 value is served
   * while one background load refreshes it. Loader errors reject (nothing is
   * cached); tier errors never do. A loader result of `undefined` is returned
   * but not cached.
   * @example const user = await cache.getOrSet('user:42', () => db.user(42), { ttlMs: 60_000, graceMs: 5_000 });
   */
  getOrSet(key: string, loader: Loader<V>, options?: GetOrSetOptions): Promise<V | undefined> {
    if (typeof key !== 'string') return Promise.reject(this.keyError('getOrSet', key));
    if (typeof loader !== 'function') return Promise.reject(new InvalidArgumentError(`${this.label} getOrSet loader must be a function (key) => value, got ${describe(loader)}`));
    if (this.closed) return Promise.reject(new ClosedError(this.label));
    let ttl = this.ttlMs;
    let grace = this.graceMs;
    if (options !== undefined) {
      try {
        const o = checkOptions(this.label, 'getOrSet options', options);
        if (o.ttlMs !== undefined) ttl = checkTtl(this.label, 'getOrSet options.ttlMs', o.ttlMs, false);
        if (o.graceMs !== undefined) grace = checkTtl(this.label, 'getOrSet options.graceMs', o.graceMs, true);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    this.gets++;
    if (this.lru !== null) {
      const raw = this.lru.get(key);
      if (raw !== undefined) {
        if (!(raw instanceof GraceBox)) {
          this.hits++;
          return Promise.resolve(raw);
        }
        if (this.now() < raw.freshUntil) {
          this.hits++;
          return Promise.resolve(raw.value);
        }
        // stale, inside grace: answer now, refresh once in the background
        this.hits++;
        this.staleServed++;
        if (!this.inflight.has(key)) {
          this.refreshes++;
          this.load(key, loader, ttl, grace, false).catch(noop);
        }
        return Promise.resolve(raw.value);
      }
    }
    const p = this.inflight.get(key);
    if (p !== undefined) {
      this.coalesced++;
      return p;
    }
    return this.load(key, loader, ttl, grace, true);
  }

  /** Reads the tiers, else calls the loader and stores; registered as the key's one in-flight load. */
  private load(key: string, loader: Loader<V>, ttl: number, grace: number, count: boolean): Promise<V | undefined> {
    const p = this.doLoad(key, loader, ttl, grace, count);
    this.inflight.set(key, p);
    const done = (): void => {
      if (this.inflight.get(key) === p) this.inflight.delete(key);
    };
    p.then(done, done);
    return p;
  }

  private async doLoad(key: string, loader: Loader<V>, ttl: number, grace: number, count: boolean): Promise<V | undefined> {
    const found = await this.readBelow(key, grace, count);
    if (found !== undefined) return found;
    this.loads++;
    let value: V;
    try {
      value = await loader(key);
    } catch (err) {
      this.loadErrors++;
      throw err;
    }
    if (value === undefined) return undefined;
    if (!this.closed) this.track(this.store(key, value, ttl, grace));
    return value;
  }

  private enqueue(key: string, w: QueuedWrite): void {
    this.wbQueue.set(key, w);
    if (this.wbQueue.size >= this.wbMaxItems) void this.flush();
    else if (this.wbTimer === null) {
      this.wbTimer = setTimeout(this.onFlushTimer, this.wbFlushMs);
      this.wbTimer.unref();
    }
  }

  private readonly onFlushTimer = (): void => {
    this.wbTimer = null;
    void this.flush();
  };

  /**
   * Sends the queued write-behind operations to the tiers now (each key's
   * write carries its invalidation). Resolves when the tiers answered
   * (failures are counted by the tiers, and their keys replayed).
   * @example await cache.flush();
   */
  flush(): Promise<void> {
    if (this.wbTimer !== null) {
      clearTimeout(this.wbTimer);
      this.wbTimer = null;
    }
    if (this.wbQueue.size === 0) return Promise.resolve();
    const batch = this.wbQueue;
    this.wbQueue = new Map();
    this.flushes++;
    this.flushed += batch.size;
    const now = Date.now();
    const ps: Promise<void>[] = [];
    for (const [key, w] of batch) {
      const ttl = w.expiresAt - now;
      // a delete, or a write that expired while queued: older copies below must go
      ps.push(w.isDelete || !(ttl > 0) ? this.deleteTiers(key) : this.writeTiers(key, w.value, ttl));
    }
    const p = Promise.all(ps).then(noop);
    this.track(p);
    return p;
  }

  /** Counters of the cache and of each level. @example cache.stats().tiers.redis.breaker?.state */
  stats(): MultiLevelCacheStats {
    const tiers: Record<string, TierStats> = {};
    if (this.l1 !== null) tiers[this.l1.name] = this.l1.stats();
    for (const t of this.tiers) {
      try {
        tiers[t.name] = t.stats();
      } catch {
        // a broken plug-in tier must not break the cache's stats
      }
    }
    return {
      gets: this.gets,
      hits: this.hits,
      misses: this.misses,
      tiers,
      loads: this.loads,
      loadErrors: this.loadErrors,
      coalesced: this.coalesced,
      staleServed: this.staleServed,
      refreshes: this.refreshes,
      invalidations: { published: this.published, received: this.received, resyncs: this.resyncs },
      writeBehind: { queued: this.wbQueue.size, flushes: this.flushes, flushed: this.flushed },
      retryQueue: {
        queued: this.retry.size,
        added: this.retryAdded,
        replayed: this.replayed,
        overflows: this.overflows,
        dropped: this.dropped,
        invalidateAllPending: this.overflowed,
      },
    };
  }

  /**
   * Registers the cache as a stats source of `monitor` (pulled at report and scrape time).
   * @example cache.register(monitor); // component_stat{component="cache",stat="tiers.redis.hits"}
   */
  register(monitor: PerformanceMonitor, name: string = this.name): void {
    if (monitor === null || typeof monitor !== 'object' || typeof (monitor as { register?: unknown }).register !== 'function') {
      throw new InvalidArgumentError(`${this.label} register monitor must be a PerformanceMonitor, got ${describe(monitor)}`);
    }
    checkString(this.label, 'register name', name, { nonEmpty: true });
    try {
      monitor.register(name, this);
    } catch (err) {
      if (err instanceof Error && !err.message.includes('MultiLevelCache')) err.message = `${this.label} register: ${err.message}`;
      throw err;
    }
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Flushes write-behind, waits for background tier writes, makes one last
   * attempt at the retry queue, then closes every tier and clears every
   * timer. Later calls reject with ClosedError. Safe to call twice.
   * @example await cache.close();
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    await this.flush();
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    if (this.retry.size > 0 || this.overflowed) await this.drain();
    await Promise.allSettled(this.tiers.map((t) => (typeof t.close === 'function' ? call(() => t.close!()) : undefined)));
  }
}

function yes(): boolean {
  return true;
}

function no(): boolean {
  return false;
}
