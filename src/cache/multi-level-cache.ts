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
 * Writes go through: `set` stores in L1 at once, then in every tier, then
 * publishes the key on the invalidation bus (the first tier that has one);
 * `delete` removes everywhere, then publishes. With `writeBehind`, tier writes
 * are queued (a later write of the same key replaces an earlier queued one),
 * flushed every `flushMs` or at `maxItems`, and published after their flush;
 * reads that miss L1 consult the queue first, so a node reads its own writes.
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
 * Speed. An L1 hit is an LruCache lookup and a resolved promise (plus an
 * `instanceof` test once any grace entry has been stored: the grace feature
 * costs nothing until used); latency is timed on one L1 read in 64. `getLocal` is the
 * synchronous L1-only read for callers that cannot afford a promise.
 */
import { ClosedError, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import type { PerformanceMonitor } from '../metrics/monitor.ts';
import type { LruCacheOptions } from './lru-cache.ts';
import { MemoryTier, type CacheTier, type InvalidationHandler, type MemoryTierOptions, type TierEntry, type TierStats } from './tier.ts';

/** Options of {@link MultiLevelCache}. @example new MultiLevelCache({ l1: { maxEntries: 10_000 }, tiers: [new RedisTier({ url })], ttlMs: 60_000 }) */
export interface MultiLevelCacheOptions<V = unknown> {
  /** Name used in messages and as the default monitor source name. Default 'cache'. */
  name?: string;
  /** L1 options (those of LruCache, string keys), or `false` for no L1. Default `{ maxEntries: 10_000 }`. */
  l1?: MemoryTierOptions<V> | false;
  /** Tiers below L1, fastest first (e.g. `[redisTier, httpTier]`). The cache owns them: `close()` closes them. Default []. */
  tiers?: CacheTier[];
  /** Default TTL of `set`/`getOrSet`, ms (> 0, Infinity = none). Default 300 000. */
  ttlMs?: number;
  /** Longest time an entry stays in L1, ms (> 0, Infinity): bounds staleness if invalidations are lost. Default Infinity. */
  l1MaxTtlMs?: number;
  /** Default grace period of `getOrSet`, ms (>= 0). Default 0. */
  graceMs?: number;
  /** Queue tier writes and flush them in batches (`true` = defaults). Default false (write-through). */
  writeBehind?: boolean | { flushMs?: number; maxItems?: number };
  /** Publish and receive key invalidations through the first tier that supports it. Default true. */
  invalidation?: boolean;
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

function checkTtl(component: string, option: string, v: unknown, allowZero: boolean): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (!allowZero && v === 0)) {
    throw new OutOfRangeError(`${component} ${option} (${describe(v)}) must be a number ${allowZero ? '>= 0' : '> 0'} (Infinity allowed)`);
  }
  return v;
}

function noop(): void {}

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

  constructor(options: MultiLevelCacheOptions<V> = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`MultiLevelCache options must be an object, got ${describe(options)}`);
    const name = options.name ?? 'cache';
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(`MultiLevelCache name must be a non-empty string, got ${describe(name)}`);
    this.name = name;
    this.ttlMs = checkTtl(name, 'ttlMs', options.ttlMs ?? 300_000, false);
    this.l1MaxTtlMs = checkTtl(name, 'l1MaxTtlMs', options.l1MaxTtlMs ?? Infinity, false);
    this.graceMs = checkTtl(name, 'graceMs', options.graceMs ?? 0, true);
    const l1 = options.l1 ?? { maxEntries: 10_000 };
    // One clock for L1 TTLs and grace boxes: `now`, else the L1's own `clock`, else performance.now.
    const now = options.now ?? (l1 !== false && l1 !== null && typeof l1 === 'object' ? l1.clock : undefined) ?? (() => performance.now());
    if (typeof now !== 'function') throw new InvalidArgumentError(`${name} now must be a function returning ms, got ${describe(now)}`);
    this.now = now;

    if (l1 === false) {
      this.l1 = null;
      this.lru = null;
    } else {
      if (l1 === null || typeof l1 !== 'object') throw new InvalidArgumentError(`${name} l1 must be LruCache options or false, got ${describe(l1)}`);
      this.l1 = new MemoryTier<V | GraceBox<V>>(this.l1Options(l1));
      this.lru = this.l1.cache;
    }

    const tiers = options.tiers ?? [];
    if (!Array.isArray(tiers)) throw new InvalidArgumentError(`${name} tiers must be an array of CacheTier, got ${describe(tiers)}`);
    const names = new Set<string>(this.l1 === null ? [] : [this.l1.name]);
    for (const t of tiers) {
      if (t === null || typeof t !== 'object' || typeof t.get !== 'function' || typeof t.set !== 'function' || typeof t.delete !== 'function' || typeof t.stats !== 'function') {
        throw new InvalidArgumentError(`${name} tiers must implement CacheTier (get, set, delete, stats), got ${describe(t)}`);
      }
      if (names.has(t.name)) throw new InvalidArgumentError(`${name} tier names must be unique, "${t.name}" appears twice`);
      names.add(t.name);
    }
    this.tiers = tiers.slice();
    const invalidation = options.invalidation ?? true;
    this.bus = invalidation ? (this.tiers.find((t) => typeof t.publishInvalidation === 'function' && typeof t.subscribeInvalidations === 'function') ?? null) : null;

    const wb = options.writeBehind ?? false;
    this.wbEnabled = wb !== false;
    const wbo = typeof wb === 'object' && wb !== null ? wb : {};
    this.wbFlushMs = wbo.flushMs ?? 50;
    this.wbMaxItems = wbo.maxItems ?? 500;
    if (!Number.isInteger(this.wbFlushMs) || this.wbFlushMs < 1 || this.wbFlushMs > 2 ** 31 - 1) {
      throw new OutOfRangeError(`${name} writeBehind.flushMs (${describe(wbo.flushMs)}) must be an integer from 1 to ${2 ** 31 - 1}`);
    }
    if (!Number.isInteger(this.wbMaxItems) || this.wbMaxItems < 1 || this.wbMaxItems > 1_000_000) {
      throw new OutOfRangeError(`${name} writeBehind.maxItems (${describe(wbo.maxItems)}) must be an integer from 1 to 1000000`);
    }
  }

  /** The LruCache options for L1: the cache's clock, and sizeOf/dispose that see values, not grace boxes. */
  private l1Options(o: MemoryTierOptions<V>): MemoryTierOptions<V | GraceBox<V>> {
    const { sizeOf, dispose, ...rest } = o;
    const out: LruCacheOptions<string, V | GraceBox<V>> & { name?: string } = { ...rest, clock: this.now };
    if (sizeOf !== undefined) out.sizeOf = (v, k) => sizeOf(v instanceof GraceBox ? (v.value as V) : v, k);
    if (dispose !== undefined) out.dispose = (v, k, r) => dispose(v instanceof GraceBox ? (v.value as V) : v, k, r);
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
    if (this.closed) return Promise.reject(new ClosedError(this.name));
    if (this.connected === null) this.connected = this.doConnect();
    return this.connected;
  }

  private async doConnect(): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const t of this.tiers) if (t.connect !== undefined) jobs.push(t.connect());
    if (this.bus !== null) jobs.push(this.bus.subscribeInvalidations!(this.invalidationHandler));
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
      for (const g of this.reading.values()) g.stale = true;
      this.lru?.clear();
    },
  };

  /**
   * Reads L1 only, synchronously (a fresh value or undefined). Counts in L1's stats, not in `gets`.
   * @example const v = cache.getLocal('k') ?? (await cache.get('k'));
   */
  getLocal(key: string): V | undefined {
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
    if (typeof key !== 'string') return Promise.reject(new InvalidArgumentError(`${this.name} key must be a string, got ${describe(key)}`));
    if (this.closed) return Promise.reject(new ClosedError(this.name));
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

  /** Reads the write-behind queue, then the tiers; counts the hit or miss when `count` (not for background refreshes). */
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
    if (tiers.length === 0) {
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
          e = await tiers[i]!.get(key);
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

  /** Copies a hit of tier `i` into L1 and tiers 0..i-1 with its remaining TTL. */
  private promote(key: string, e: TierEntry, i: number, graceMs: number, stale: boolean): void {
    if (this.lru !== null && !stale) this.setL1(key, e.value as V, e.ttlMs, graceMs);
    for (let j = 0; j < i; j++) this.track(this.tiers[j]!.set(key, e.value, e.ttlMs));
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
   * writeBehind), then publishes the key. Resolves when the tiers answered;
   * never rejects because of a tier (failures are counted).
   * @example await cache.set('user:42', user, { ttlMs: 60_000 });
   */
  set(key: string, value: V, options?: CacheSetOptions): Promise<void> {
    if (typeof key !== 'string') return Promise.reject(new InvalidArgumentError(`${this.name} key must be a string, got ${describe(key)}`));
    if (this.closed) return Promise.reject(new ClosedError(this.name));
    if (value === undefined) return Promise.reject(new InvalidArgumentError(`${this.name} value of "${key}" must not be undefined (undefined means a miss)`));
    let ttl: number;
    try {
      ttl = options?.ttlMs === undefined ? this.ttlMs : checkTtl(this.name, 'ttlMs', options.ttlMs, false);
    } catch (err) {
      return Promise.reject(err);
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
    const ps = new Array<Promise<void>>(this.tiers.length);
    for (let i = 0; i < this.tiers.length; i++) ps[i] = this.tiers[i]!.set(key, value, ttlMs).catch(noop);
    return Promise.all(ps).then(() => this.publish(key));
  }

  /**
   * Removes `key` from every level, then publishes it. Never rejects because of a tier.
   * @example await cache.delete('user:42');
   */
  delete(key: string): Promise<void> {
    if (typeof key !== 'string') return Promise.reject(new InvalidArgumentError(`${this.name} key must be a string, got ${describe(key)}`));
    if (this.closed) return Promise.reject(new ClosedError(this.name));
    this.touch(key);
    this.lru?.delete(key);
    if (this.tiers.length === 0) return Promise.resolve();
    if (this.wbEnabled) {
      this.enqueue(key, new QueuedWrite(true, undefined, 0));
      return Promise.resolve();
    }
    const ps = new Array<Promise<void>>(this.tiers.length);
    for (let i = 0; i < this.tiers.length; i++) ps[i] = this.tiers[i]!.delete(key).catch(noop);
    return Promise.all(ps).then(() => this.publish(key));
  }

  private publish(key: string): Promise<void> {
    if (this.bus === null) return Promise.resolve();
    this.published++;
    return this.bus.publishInvalidation!(key).catch(noop);
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
    if (typeof key !== 'string') return Promise.reject(new InvalidArgumentError(`${this.name} key must be a string, got ${describe(key)}`));
    if (typeof loader !== 'function') return Promise.reject(new InvalidArgumentError(`${this.name} loader must be a function (key) => value, got ${describe(loader)}`));
    if (this.closed) return Promise.reject(new ClosedError(this.name));
    let ttl: number;
    let grace: number;
    try {
      ttl = options?.ttlMs === undefined ? this.ttlMs : checkTtl(this.name, 'ttlMs', options.ttlMs, false);
      grace = options?.graceMs === undefined ? this.graceMs : checkTtl(this.name, 'graceMs', options.graceMs, true);
    } catch (err) {
      return Promise.reject(err);
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
    if (this.wbQueue.size >= this.wbMaxItems) this.flush();
    else if (this.wbTimer === null) {
      this.wbTimer = setTimeout(this.onFlushTimer, this.wbFlushMs);
      this.wbTimer.unref();
    }
  }

  private readonly onFlushTimer = (): void => {
    this.wbTimer = null;
    this.flush();
  };

  /**
   * Sends the queued write-behind operations to the tiers now, then publishes
   * their keys. Resolves when the tiers answered (failures are counted by the tiers).
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
    const keys: string[] = [];
    for (const [key, w] of batch) {
      keys.push(key);
      if (w.isDelete) {
        for (const t of this.tiers) ps.push(t.delete(key).catch(noop));
        continue;
      }
      const ttl = w.expiresAt - now;
      if (!(ttl > 0)) continue; // expired while queued: nothing to write
      for (const t of this.tiers) ps.push(t.set(key, w.value, ttl).catch(noop));
    }
    const p = Promise.all(ps).then(() => Promise.all(keys.map((k) => this.publish(k)))).then(noop);
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
    };
  }

  /**
   * Registers the cache as a stats source of `monitor` (pulled at report and scrape time).
   * @example cache.register(monitor); // component_stat{component="cache",stat="tiers.redis.hits"}
   */
  register(monitor: PerformanceMonitor, name: string = this.name): void {
    monitor.register(name, this);
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Flushes write-behind, waits for background tier writes, then closes every
   * tier. Later calls reject with ClosedError. Safe to call twice.
   * @example await cache.close();
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    await Promise.all([...this.pending]);
    await Promise.allSettled(this.tiers.map((t) => (t.close === undefined ? undefined : t.close())));
  }
}
