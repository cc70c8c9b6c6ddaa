/**
 * The tier interface of {@link MultiLevelCache}, the in-process L1 adapter
 * ({@link MemoryTier}), and the pieces the remote tiers share: per-tier stats
 * with a latency histogram, the command timeout, and the cache errors.
 *
 * A tier is small on purpose: `get` answers a value with its remaining TTL (so
 * a hit can be promoted to the tiers above without outliving its source),
 * `set` takes an explicit TTL, `delete` removes. Tiers may add `getMany`
 * (batched reads), `connect`/`close` (lifecycle, driven by the cache),
 * `promote` (store a copy from a lower tier only where nothing is stored),
 * `invalidateAll`, and the invalidation hooks (a shared bus such as Redis
 * pub/sub; a bus tier publishes a write's key in the same round trip when
 * `set`/`delete` get `{ publish: true }`). A remote tier's `get` rejects on
 * failure; the cache counts it and treats it as a miss, so a tier failure
 * never reaches the caller.
 */
import { BlackholeError, InvalidArgumentError, describe } from '../errors.ts';
import { checkNumber, checkOptions, checkString, prefixArgumentError } from '../validate.ts';
import { Histogram, type HistogramSnapshot } from '../metrics/histogram.ts';
import { LruCache, type CacheStats, type LruCacheOptions } from './lru-cache.ts';
import type { CircuitBreakerStats } from './circuit-breaker.ts';

/** Stable codes of the cache's operational errors. @example if (e.code === CacheErrorCode.TIER_TIMEOUT) ... */
export const CacheErrorCode = {
  /** A tier command did not answer within its timeout. */
  TIER_TIMEOUT: 'ERR_BH_CACHE_TIER_TIMEOUT',
  /** A tier is unavailable: its circuit is open, or its client is offline or closed. */
  TIER_UNAVAILABLE: 'ERR_BH_CACHE_TIER_UNAVAILABLE',
  /** An HTTP tier answered with an unexpected status. */
  TIER_HTTP_STATUS: 'ERR_BH_CACHE_TIER_HTTP_STATUS',
} as const;

/**
 * A tier command exceeded its timeout (counted as a failure; never reaches `get` callers).
 * @example new TierTimeoutError('redis', 'MGET', 50)
 */
export class TierTimeoutError extends BlackholeError {
  /** The timeout that expired, ms. */
  readonly timeoutMs: number;
  constructor(tier: string, command: string, timeoutMs: number) {
    super(CacheErrorCode.TIER_TIMEOUT, `${tier} tier ${command} did not answer within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A tier is unavailable (circuit open, client offline or closed).
 * @example new TierUnavailableError('redis', 'circuit open')
 */
export class TierUnavailableError extends BlackholeError {
  constructor(tier: string, reason: string, options?: { cause?: unknown }) {
    super(CacheErrorCode.TIER_UNAVAILABLE, `${tier} tier is unavailable: ${reason}`, options);
  }
}

/**
 * An HTTP tier answered with a status other than the expected ones.
 * @example new TierHttpStatusError('http', 'GET', 500)
 */
export class TierHttpStatusError extends BlackholeError {
  /** The HTTP status received. */
  readonly status: number;
  constructor(tier: string, method: string, status: number) {
    super(CacheErrorCode.TIER_HTTP_STATUS, `${tier} tier ${method} answered HTTP ${status}`);
    this.status = status;
  }
}

/** A value read from a tier, with the time it has left (ms, Infinity = no expiry). @example { value: 42, ttlMs: 1500 } */
export interface TierEntry {
  value: unknown;
  ttlMs: number;
}

/** Counters of one tier, as in `MultiLevelCache.stats().tiers[name]`. @example cache.stats().tiers.redis.errors */
export interface TierStats {
  /** Reads that found the key. */
  hits: number;
  /** Reads that did not. */
  misses: number;
  /** Failed commands (reads, writes, deletes, publishes), timeouts included. */
  errors: number;
  /** Commands that timed out (also counted in `errors`). */
  timeouts: number;
  /** Commands not sent because the circuit was open. */
  skipped: number;
  /** Writes and deletes that succeeded. */
  writes: number;
  /** Latency of each command or batch, ms (remote tiers: per round trip; L1: one get in 64 is timed). */
  latency: HistogramSnapshot;
  /** Circuit breaker state, where the tier has one. */
  breaker?: CircuitBreakerStats;
}

/** Options of one tier write. @example tier.set('k', v, 1000, { publish: true }) */
export interface TierWriteOptions {
  /** A bus tier also publishes the key's invalidation, in the same round trip. Other tiers ignore it. Default false. */
  publish?: boolean;
}

/**
 * One level of a {@link MultiLevelCache}. Implement it to plug in another store.
 * @example
 * class MapTier implements CacheTier { name = 'map'; ... }
 */
export interface CacheTier {
  /** Unique name within a cache: the key of its stats. */
  readonly name: string;
  /** The value and its remaining TTL, or undefined on a miss. Rejects on failure. */
  get(key: string): Promise<TierEntry | undefined>;
  /** Several keys at once (optional; the cache uses it when present). */
  getMany?(keys: readonly string[]): Promise<(TierEntry | undefined)[]>;
  /** Stores `value` for `ttlMs` (Infinity = no expiry). Rejects on failure. */
  set(key: string, value: unknown, ttlMs: number, options?: TierWriteOptions): Promise<void>;
  /** Removes `key`. Rejects on failure. */
  delete(key: string, options?: TierWriteOptions): Promise<void>;
  /** Stores a copy read from a lower tier, only if nothing (no value, no delete marker) is stored for `key` (optional; default: `set`). */
  promote?(key: string, value: unknown, ttlMs: number): Promise<void>;
  /** Invalidates every stored value at once, for every node (optional; used when the cache lost track of failed writes). */
  invalidateAll?(): Promise<void>;
  /** Counters and latency. */
  stats(): TierStats;
  /** Opens connections; called by `MultiLevelCache.connect()`. */
  connect?(): Promise<void>;
  /** Releases connections; called by `MultiLevelCache.close()`. */
  close?(): Promise<void>;
  /** Tells the other nodes that `key` changed (keys only, never values). */
  publishInvalidation?(key: string): Promise<void>;
  /** Delivers the other nodes' invalidations; `onResync` when some may have been missed (after a reconnect). */
  subscribeInvalidations?(handler: InvalidationHandler): Promise<void>;
}

/** Receives invalidations from a tier's bus. @example { onKey: (k) => l1.delete(k), onResync: () => l1.clear() } */
export interface InvalidationHandler {
  /** Another node set or deleted `key`. */
  onKey(key: string): void;
  /** Invalidations may have been lost (the bus reconnected), or another node invalidated everything: drop everything local. */
  onResync(): void;
}

/**
 * Counts hits/misses/errors and records latencies for one tier.
 * @example const rec = new TierStatsRecorder('redis'); const t0 = performance.now(); ...; rec.latency(t0);
 */
export class TierStatsRecorder {
  /** Reads that found the key. */
  hits = 0;
  /** Reads that did not. */
  misses = 0;
  /** Failed commands, timeouts included. */
  errors = 0;
  /** Commands that timed out. */
  timeouts = 0;
  /** Commands not sent because the circuit was open. */
  skipped = 0;
  /** Writes and deletes that succeeded. */
  writes = 0;
  private readonly hist: Histogram;
  constructor(name: string) {
    checkString('TierStatsRecorder', 'name', name, { nonEmpty: true });
    this.hist = new Histogram({ name: `${name} latency`, lowestDiscernibleValue: 0.001, highestTrackableValue: 3_600_000, significantDigits: 2 });
  }
  /** Records the time since `startMs` (a `performance.now()` reading; clamped to 0 .. 1 h). */
  latency(startMs: number): void {
    if (typeof startMs !== 'number' || startMs !== startMs) checkNumber('TierStatsRecorder', 'latency startMs', startMs, { allowInfinity: true });
    const ms = performance.now() - startMs;
    this.hist.record(ms > 0 ? (ms < 3_600_000 ? ms : 3_600_000) : 0);
  }
  /** Counts a failure; timeouts are counted twice (as timeout and error). */
  error(err: unknown): void {
    this.errors++;
    if (err instanceof TierTimeoutError) this.timeouts++;
  }
  /** The counters as a {@link TierStats} (with `breaker`, when given, as its breaker stats). */
  snapshot(breaker?: CircuitBreakerStats): TierStats {
    if (breaker !== undefined) checkOptions('TierStatsRecorder', 'snapshot breaker', breaker);
    const s: TierStats = {
      hits: this.hits,
      misses: this.misses,
      errors: this.errors,
      timeouts: this.timeouts,
      skipped: this.skipped,
      writes: this.writes,
      latency: this.hist.snapshot(),
    };
    if (breaker !== undefined) s.breaker = breaker;
    return s;
  }
}

/**
 * Settles with `promise`, or rejects with {@link TierTimeoutError} after
 * `timeoutMs` (an unref'd timer, cleared as soon as `promise` settles). The
 * underlying command is not cancelled; its late answer is ignored.
 * @example await withTimeout(client.sendCommand(['MGET', ...keys]), 50, 'redis', 'MGET');
 */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, tier: string, command: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TierTimeoutError(tier, command, timeoutMs)), timeoutMs);
    timer.unref();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Options of {@link MemoryTier}: those of {@link LruCache} (string keys). */
export type MemoryTierOptions<V = unknown> = LruCacheOptions<string, V> & { name?: string };

/**
 * The in-process tier (L1): an {@link LruCache} behind the tier interface.
 * {@link MultiLevelCache} reads its `cache` synchronously on the hot path; the
 * async methods make it usable anywhere a tier is expected.
 * @example const l1 = new MemoryTier({ maxEntries: 10_000, policy: 'w-tinylfu' });
 */
export class MemoryTier<V = unknown> implements CacheTier {
  /** Tier name. Default 'memory'. */
  readonly name: string;
  /** The underlying cache. */
  readonly cache: LruCache<string, V>;
  private readonly hist: Histogram;
  private writes = 0;

  constructor(options: MemoryTierOptions<V> | LruCache<string, V>) {
    if (options instanceof LruCache) {
      this.name = 'memory';
      this.cache = options;
    } else {
      if (options === undefined) throw new InvalidArgumentError(`MemoryTier options must be LruCache options or an LruCache, got undefined`);
      const { name, ...rest } = checkOptions('MemoryTier', 'options', options);
      this.name = name === undefined ? 'memory' : checkString('MemoryTier', 'name', name, { nonEmpty: true });
      try {
        this.cache = new LruCache<string, V>(rest);
      } catch (err) {
        throw prefixArgumentError(err, 'MemoryTier options'); // the LruCache's own argument errors, named as ours
      }
    }
    this.hist = new Histogram({ name: `${this.name} latency`, lowestDiscernibleValue: 0.000_01, highestTrackableValue: 60_000, significantDigits: 2 });
  }

  /** Records one sampled L1 get latency (ms, clamped to 0 .. 60 000); called by the cache. */
  recordLatency(ms: number): void {
    if (typeof ms !== 'number' || ms !== ms) checkNumber('MemoryTier', 'recordLatency ms', ms, { allowInfinity: true });
    this.hist.record(ms > 0 ? (ms < 60_000 ? ms : 60_000) : 0);
  }

  private key(method: string, key: unknown): string {
    if (typeof key !== 'string') throw new InvalidArgumentError(`MemoryTier ${this.name} ${method} key must be a string, got ${describe(key)}`);
    return key;
  }

  /** Reads `key` with its remaining TTL. @example const e = await tier.get('k'); // { value, ttlMs } | undefined */
  get(key: string): Promise<TierEntry | undefined> {
    try {
      this.key('get', key);
    } catch (err) {
      return Promise.reject(err);
    }
    const value = this.cache.get(key);
    if (value === undefined) return Promise.resolve(undefined);
    return Promise.resolve({ value, ttlMs: this.cache.remainingTtl(key) });
  }

  /** Stores `value` for `ttlMs` (> 0, Infinity = no expiry). @example await tier.set('k', 1, 5000); */
  set(key: string, value: unknown, ttlMs: number, options?: TierWriteOptions): Promise<void> {
    try {
      this.key('set', key);
      checkNumber(`MemoryTier ${this.name}`, 'set ttlMs', ttlMs, { min: 0, minExclusive: true, max: 2 ** 40, allowInfinity: true });
      checkOptions(`MemoryTier ${this.name}`, 'set options', options);
      this.cache.set(key, value as V, { ttlMs });
    } catch (err) {
      return Promise.reject(err);
    }
    this.writes++;
    return Promise.resolve();
  }

  /** Removes `key`. @example await tier.delete('k'); */
  delete(key: string, options?: TierWriteOptions): Promise<void> {
    try {
      this.key('delete', key);
      checkOptions(`MemoryTier ${this.name}`, 'delete options', options);
    } catch (err) {
      return Promise.reject(err);
    }
    this.cache.delete(key);
    this.writes++;
    return Promise.resolve();
  }

  /** Hits and misses of the underlying cache, writes through this tier's `set`/`delete`, and the sampled latency. */
  stats(): TierStats & { cache: CacheStats } {
    const c = this.cache.stats();
    return { hits: c.hits, misses: c.misses, errors: 0, timeouts: 0, skipped: 0, writes: this.writes, latency: this.hist.snapshot(), cache: c };
  }
}
