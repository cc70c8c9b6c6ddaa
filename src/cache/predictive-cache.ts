/**
 * PredictiveCache: a read-through cache that learns which key tends to follow
 * which, and fetches a likely next key before it is asked for.
 *
 * Model. A first-order Markov chain over the stream of `get` keys, in bounded
 * memory: for each source key (at most `maxKeys`, held in an {@link LruCache},
 * so the least recently seen source keys are forgotten first) a table of at
 * most `topK` successors with counts. A successor not in a full table replaces
 * the one with the smallest count, starting again from 1 (so a probability is
 * never over-estimated). Every `decayEvery` observations of a source key, its
 * counts and total are multiplied by `decay`, so old habits fade. The
 * probability of successor s after k is count(k -> s) / total(k), where the
 * total also counts successors since dropped from the table.
 *
 * Prefetch. After serving `get(k)` (hit or miss), every successor s of k with
 * probability >= `threshold` is prefetched, provided k has been observed as a
 * source at least `minObservations` times, s is not cached, staged or loading,
 * and fewer than `concurrency` prefetch loads are in progress (otherwise the
 * prediction is dropped and counted: a queued prediction would be stale by the
 * time it ran).
 *
 * "Without evicting hotter entries": prefetched values never go into the
 * wrapped cache directly. They wait in a small staging LRU of
 * `prefetchSlots` entries (a stream buffer, as in hardware prefetchers:
 * Jouppi, ISCA 1990). A prefetch can therefore only displace an older,
 * still-unused prefetch, never an entry a caller has used, whatever the
 * wrapped cache's policy. A staged value that is requested is moved into the
 * wrapped cache with a normal `set`, exactly as a demand-loaded value would be
 * (so a W-TinyLFU cache's admission filter still decides whether it stays).
 * The staging slots are extra memory: to compare at equal memory, give the
 * wrapped cache `prefetchSlots` fewer entries (bench/cache/predictive.ts does).
 *
 * Accounting (all in `stats()`):
 *  - prefetches: prefetch loads started.
 *  - prefetchHits: requests answered by a prefetch (staged, or still loading:
 *    the latter also counted in latePrefetchHits).
 *  - demandLoads: requests that had to start a load (misses of both the cache
 *    and the staging buffer, not joining any load).
 *  - precision = prefetchHits / prefetches: how many prefetches were used.
 *  - coverage = prefetchHits / (prefetchHits + demandLoads): of the requests
 *    the wrapped cache could not answer, the share a prefetch answered, i.e.
 *    the share of would-be misses that warming removed.
 *
 * Loads. A loader that returns a plain value (not a promise) is handled
 * synchronously, so a replay with a synchronous loader is deterministic.
 * Promise loads are single-flight per key (a `get` joins a prefetch or demand
 * load already running). A prefetch that has not settled after
 * `prefetchTimeoutMs` is abandoned (its slot freed, its late value dropped),
 * so `whenIdle()` always settles; its timer is unref'd. Prefetch errors are
 * counted, never thrown; demand-load errors reject the `get` and are not
 * cached.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { numberError } from '../validate.ts';
import { LoadTimeoutError } from './lazy-loader.ts';
import { LruCache } from './lru-cache.ts';

/**
 * The part of the {@link LruCache} API a PredictiveCache needs from the cache it wraps.
 * @example const cache: PredictiveCacheStore<string, Buffer> = new LruCache({ maxEntries: 1000 });
 */
export type PredictiveCacheStore<K, V> = Pick<LruCache<K, V>, 'get' | 'has' | 'set' | 'delete'>;

/**
 * Loads one value for a PredictiveCache (demand loads and prefetches alike).
 * @example const load: PredictiveLoader<number, Row> = (id) => db.row(id);
 */
export type PredictiveLoader<K, V> = (key: K) => Promise<V> | V;

/**
 * Options of {@link PredictiveCache}.
 * @example new PredictiveCache(cache, load, { threshold: 0.7, minObservations: 2, prefetchSlots: 64 })
 */
export interface PredictiveCacheOptions {
  /** Prefetch a successor whose probability is at least this; a number in (0, 1]. Default 0.7. */
  threshold?: number;
  /** Times a source key must have been seen before its successors are prefetched; an integer >= 1. Default 2. */
  minObservations?: number;
  /** Source keys tracked (least recently seen forgotten first); an integer >= 1. Default 10000. */
  maxKeys?: number;
  /** Successors kept per source key; an integer from 1 to 64. Default 4. */
  topK?: number;
  /** Decay a source key's counts every this many of its observations; an integer >= 1. Default 32. */
  decayEvery?: number;
  /** Factor the counts are multiplied by at each decay; a number in (0, 1]. Default 0.5 (1 = never forget). */
  decay?: number;
  /** Prefetch loads in progress at once; an integer >= 1. Default 4. */
  concurrency?: number;
  /** Size of the staging buffer prefetched values wait in until requested; an integer >= 1. Default 64. */
  prefetchSlots?: number;
  /** Abandon a prefetch load after this many ms; a number > 0. Default 10000. */
  prefetchTimeoutMs?: number;
  /** TTL passed to the wrapped cache's `set` for values this class stores. Default: the cache's own. */
  ttlMs?: number;
  /** Name used in error messages. Default 'PredictiveCache'. */
  name?: string;
}

/**
 * Counters of a {@link PredictiveCache}; see the accounting notes on the class.
 * @example const { precision, coverage } = pc.stats();
 */
export interface PredictiveCacheStats {
  /** `get` calls. */
  requests: number;
  /** Requests answered by the wrapped cache. */
  cacheHits: number;
  /** Requests that started a load of their own. */
  demandLoads: number;
  /** Requests that joined a demand load already in progress. */
  joins: number;
  /** Prefetch loads started. */
  prefetches: number;
  /** Requests answered by a prefetch (staged or still loading). */
  prefetchHits: number;
  /** The part of prefetchHits whose prefetch was still loading. */
  latePrefetchHits: number;
  /** Staged prefetches pushed out of the staging buffer unused. */
  prefetchesWasted: number;
  /** Prefetch loads that failed or timed out. */
  prefetchErrors: number;
  /** Predictions not fetched because `concurrency` prefetches were already loading. */
  prefetchesDropped: number;
  /** prefetchHits / prefetches (0 when no prefetch was made). */
  precision: number;
  /** prefetchHits / (prefetchHits + demandLoads) (0 when there were neither). */
  coverage: number;
  /** Source keys the model tracks. */
  trackedKeys: number;
  /** Values waiting in the staging buffer. */
  staged: number;
}

/**
 * A predicted successor.
 * @example pc.predict('page-1') // [{ key: 'page-2', probability: 0.9 }]
 */
export interface Prediction<K> {
  /** The predicted next key. */
  key: K;
  /** Its estimated probability of coming next, in (0, 1]. */
  probability: number;
}

/** Successor table of one source key. Counts are floats because of decay. */
class Successors<K> {
  readonly keys: K[];
  readonly counts: Float64Array;
  /** Decayed sum of every observation (including successors since replaced). */
  total: number;
  /** Undecayed observations, for minObservations. */
  seen: number;
  sinceDecay: number;
  constructor(topK: number) {
    this.keys = [];
    this.counts = new Float64Array(topK);
    this.total = 0;
    this.seen = 0;
    this.sinceDecay = 0;
  }
}

/** A load in progress. `isPrefetch` turns false when a request joins it (it then goes to the cache, not staging). */
interface Flight<V> {
  promise: Promise<V>;
  isPrefetch: boolean;
}

const NO_KEY: unique symbol = Symbol('no previous key');

/**
 * A read-through cache with Markov-chain prefetching into a staging buffer.
 * @example
 * const pc = new PredictiveCache(new LruCache<string, Page>({ maxEntries: 900 }), (k) => fetchPage(k), { prefetchSlots: 100 });
 * await pc.get('page-1'); await pc.get('page-2'); // learns 1 -> 2
 * pc.stats().precision
 */
export class PredictiveCache<K, V> {
  /** Name used in error messages. */
  readonly name: string;
  private readonly cache: PredictiveCacheStore<K, V>;
  private readonly loader: PredictiveLoader<K, V>;
  private readonly model: LruCache<K, Successors<K>>;
  private readonly staging: LruCache<K, V>;
  private readonly flights: Map<K, Flight<V>>;
  private readonly threshold: number;
  private readonly minObservations: number;
  private readonly topK: number;
  private readonly decayEvery: number;
  private readonly decay: number;
  private readonly concurrency: number;
  private readonly prefetchTimeoutMs: number;
  private readonly setOptions: { ttlMs: number } | undefined;
  private prev: K | typeof NO_KEY;
  private prefetchesInFlight: number;
  private idleWaiters: (() => void)[];
  private requests: number;
  private cacheHits: number;
  private demandLoads: number;
  private joins: number;
  private prefetches: number;
  private prefetchHits: number;
  private latePrefetchHits: number;
  private prefetchesWasted: number;
  private prefetchErrors: number;
  private prefetchesDropped: number;

  constructor(cache: PredictiveCacheStore<K, V>, loader: PredictiveLoader<K, V>, options: PredictiveCacheOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidArgumentError(`PredictiveCache options must be an object, got ${describe(options)}`);
    }
    const name = options.name === undefined ? 'PredictiveCache' : options.name;
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(`PredictiveCache name must be a non-empty string, got ${describe(name)}`);
    if (cache === null || typeof cache !== 'object' || typeof cache.get !== 'function' || typeof cache.set !== 'function' || typeof cache.has !== 'function' || typeof cache.delete !== 'function') {
      throw new InvalidArgumentError(`${name} cache must have get/has/set/delete (the LruCache API), got ${describe(cache)}`);
    }
    if (typeof loader !== 'function') throw new InvalidArgumentError(`${name} loader must be a function, got ${describe(loader)}`);
    const threshold = options.threshold === undefined ? 0.7 : options.threshold;
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) {
      throw new (numberError(threshold))(`${name} threshold (${describe(threshold)}) must be a number in (0, 1]`);
    }
    const decay = options.decay === undefined ? 0.5 : options.decay;
    if (typeof decay !== 'number' || !(decay > 0 && decay <= 1)) {
      throw new (numberError(decay))(`${name} decay (${describe(decay)}) must be a number in (0, 1]`);
    }
    const minObservations = checkInt(name, 'minObservations', (options.minObservations === undefined ? 2 : options.minObservations), 1, 2 ** 30);
    const maxKeys = checkInt(name, 'maxKeys', (options.maxKeys === undefined ? 10_000 : options.maxKeys), 1, 2 ** 30);
    const topK = checkInt(name, 'topK', (options.topK === undefined ? 4 : options.topK), 1, 64);
    const decayEvery = checkInt(name, 'decayEvery', (options.decayEvery === undefined ? 32 : options.decayEvery), 1, 2 ** 30);
    const concurrency = checkInt(name, 'concurrency', (options.concurrency === undefined ? 4 : options.concurrency), 1, 65536);
    const prefetchSlots = checkInt(name, 'prefetchSlots', (options.prefetchSlots === undefined ? 64 : options.prefetchSlots), 1, 2 ** 30);
    const prefetchTimeoutMs = (options.prefetchTimeoutMs === undefined ? 10_000 : options.prefetchTimeoutMs);
    if (typeof prefetchTimeoutMs !== 'number' || !(prefetchTimeoutMs > 0 && prefetchTimeoutMs <= 2 ** 31 - 1)) {
      throw new (numberError(prefetchTimeoutMs))(`${name} prefetchTimeoutMs (${describe(prefetchTimeoutMs)}) must be a number from above 0 to 2^31 - 1`);
    }
    const ttlMs = options.ttlMs;
    if (ttlMs !== undefined && (typeof ttlMs !== 'number' || !(ttlMs > 0))) {
      throw new (numberError(ttlMs))(`${name} ttlMs (${describe(ttlMs)}) must be a number > 0 (Infinity for none)`);
    }
    this.name = name;
    this.cache = cache;
    this.loader = loader;
    this.model = new LruCache<K, Successors<K>>({ maxEntries: maxKeys });
    this.staging = new LruCache<K, V>({
      maxEntries: prefetchSlots,
      dispose: (_v: V, _k: K, reason) => {
        if (reason === 'evict' || reason === 'expire') this.prefetchesWasted++;
      },
    });
    this.flights = new Map();
    this.threshold = threshold;
    this.minObservations = minObservations;
    this.topK = topK;
    this.decayEvery = decayEvery;
    this.decay = decay;
    this.concurrency = concurrency;
    this.prefetchTimeoutMs = prefetchTimeoutMs;
    this.setOptions = ttlMs === undefined ? undefined : { ttlMs };
    this.prev = NO_KEY;
    this.prefetchesInFlight = 0;
    this.idleWaiters = [];
    this.requests = 0;
    this.cacheHits = 0;
    this.demandLoads = 0;
    this.joins = 0;
    this.prefetches = 0;
    this.prefetchHits = 0;
    this.latePrefetchHits = 0;
    this.prefetchesWasted = 0;
    this.prefetchErrors = 0;
    this.prefetchesDropped = 0;
  }

  /**
   * The value for `key`, from the cache, the staging buffer, a load in
   * progress or a new load; then prefetches `key`'s likely successors in the
   * background. Rejects with the loader's error on a failed demand load.
   * @example const page = await pc.get('page-2');
   */
  get(key: K): Promise<V> {
    this.requests++;
    if (this.prev !== NO_KEY) this.observe(this.prev, key);
    this.prev = key;
    let result: Promise<V>;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.cacheHits++;
      result = Promise.resolve(cached);
    } else {
      const staged = this.staging.peek(key);
      if (staged !== undefined) {
        this.prefetchHits++;
        this.staging.delete(key);
        this.cache.set(key, staged, this.setOptions);
        result = Promise.resolve(staged);
      } else {
        const flight = this.flights.get(key);
        if (flight !== undefined) {
          if (flight.isPrefetch) {
            flight.isPrefetch = false; // claimed: its value goes to the cache, not to staging
            this.prefetchHits++;
            this.latePrefetchHits++;
          } else this.joins++;
          result = flight.promise;
        } else {
          this.demandLoads++;
          result = this.demandLoad(key);
        }
      }
    }
    this.prefetchSuccessors(key);
    return result;
  }

  /**
   * The successors of `key` the model currently predicts at or above
   * `threshold`, most likely first (empty before `minObservations`).
   * @example pc.predict('a') // [{ key: 'b', probability: 0.93 }]
   */
  predict(key: K): Prediction<K>[] {
    const t = this.model.peek(key);
    const out: Prediction<K>[] = [];
    if (t === undefined || t.seen < this.minObservations || t.total <= 0) return out;
    for (let i = 0; i < t.keys.length; i++) {
      const probability = t.counts[i]! / t.total;
      if (probability >= this.threshold) out.push({ key: t.keys[i]!, probability });
    }
    return out.sort((a, b) => b.probability - a.probability);
  }

  /**
   * Resolves once no prefetch load is in progress (each settles or is
   * abandoned after `prefetchTimeoutMs`, so this always resolves).
   * @example await pc.whenIdle(); pc.stats().staged
   */
  whenIdle(): Promise<void> {
    if (this.prefetchesInFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Counters, precision and coverage; see the class notes. @example pc.stats().coverage */
  stats(): PredictiveCacheStats {
    return {
      requests: this.requests,
      cacheHits: this.cacheHits,
      demandLoads: this.demandLoads,
      joins: this.joins,
      prefetches: this.prefetches,
      prefetchHits: this.prefetchHits,
      latePrefetchHits: this.latePrefetchHits,
      prefetchesWasted: this.prefetchesWasted,
      prefetchErrors: this.prefetchErrors,
      prefetchesDropped: this.prefetchesDropped,
      precision: this.prefetches === 0 ? 0 : this.prefetchHits / this.prefetches,
      coverage: this.prefetchHits + this.demandLoads === 0 ? 0 : this.prefetchHits / (this.prefetchHits + this.demandLoads),
      trackedKeys: this.model.size,
      staged: this.staging.size,
    };
  }

  /** Records one transition from -> to. */
  private observe(from: K, to: K): void {
    let t = this.model.get(from);
    if (t === undefined) {
      t = new Successors<K>(this.topK);
      this.model.set(from, t);
    }
    const keys = t.keys;
    const counts = t.counts;
    let i = keys.indexOf(to);
    if (i >= 0) counts[i]! += 1;
    else if (keys.length < this.topK) {
      counts[keys.length] = 1;
      keys.push(to);
    } else {
      // Replace the weakest successor; the newcomer starts from 1, so it is never over-estimated.
      i = 0;
      for (let j = 1; j < keys.length; j++) if (counts[j]! < counts[i]!) i = j;
      keys[i] = to;
      counts[i] = 1;
    }
    t.total += 1;
    if (t.seen < 2 ** 30) t.seen++;
    if (++t.sinceDecay >= this.decayEvery) {
      t.sinceDecay = 0;
      const d = this.decay;
      for (let j = 0; j < keys.length; j++) counts[j]! *= d;
      t.total *= d;
    }
  }

  private prefetchSuccessors(key: K): void {
    const t = this.model.peek(key);
    if (t === undefined || t.seen < this.minObservations) return;
    const min = this.threshold * t.total;
    for (let i = 0; i < t.keys.length; i++) {
      if (t.counts[i]! < min) continue;
      const s = t.keys[i]!;
      if (this.cache.has(s) || this.staging.has(s) || this.flights.has(s)) continue;
      if (this.prefetchesInFlight >= this.concurrency) {
        this.prefetchesDropped++;
        continue;
      }
      this.prefetch(s);
    }
  }

  private prefetch(key: K): void {
    this.prefetches++;
    let value: Promise<V> | V;
    try {
      value = this.loader(key);
    } catch {
      this.prefetchErrors++;
      return;
    }
    if (!isPromiseLike(value)) {
      this.staging.set(key, value);
      return;
    }
    this.prefetchesInFlight++;
    let settled = false;
    let rejectLate: (e: unknown) => void = () => {};
    const flight: Flight<V> = { promise: undefined as unknown as Promise<V>, isPrefetch: true };
    const timer = setTimeout(() => {
      // Abandon: free the slot; a request that joined it gets the timeout as its error.
      if (settled) return;
      settled = true;
      this.prefetchErrors++;
      if (this.flights.get(key) === flight) this.flights.delete(key);
      rejectLate(new LoadTimeoutError(this.name, key, this.prefetchTimeoutMs));
      this.prefetchDone();
    }, this.prefetchTimeoutMs);
    timer.unref?.();
    flight.promise = new Promise<V>((resolve, reject) => {
      rejectLate = reject;
      Promise.resolve(value).then(
        (v) => {
          if (settled) return; // late value after abandonment: dropped
          settled = true;
          clearTimeout(timer);
          if (this.flights.get(key) === flight) {
            this.flights.delete(key);
            if (flight.isPrefetch) this.staging.set(key, v);
            else this.cache.set(key, v, this.setOptions);
          }
          resolve(v);
          this.prefetchDone();
        },
        (e: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.prefetchErrors++;
          if (this.flights.get(key) === flight) this.flights.delete(key);
          reject(e);
          this.prefetchDone();
        },
      );
    });
    // Nobody may be waiting on a prefetch: keep its failure from becoming an unhandled rejection.
    flight.promise.catch(() => {});
    this.flights.set(key, flight);
  }

  private prefetchDone(): void {
    if (--this.prefetchesInFlight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private demandLoad(key: K): Promise<V> {
    let value: Promise<V> | V;
    try {
      value = this.loader(key);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!isPromiseLike(value)) {
      this.cache.set(key, value, this.setOptions);
      return Promise.resolve(value);
    }
    const flight: Flight<V> = { promise: undefined as unknown as Promise<V>, isPrefetch: false };
    flight.promise = Promise.resolve(value).then(
      (v) => {
        if (this.flights.get(key) === flight) {
          this.flights.delete(key);
          this.cache.set(key, v, this.setOptions);
        }
        return v;
      },
      (e: unknown) => {
        if (this.flights.get(key) === flight) this.flights.delete(key);
        throw e;
      },
    );
    this.flights.set(key, flight);
    return flight.promise;
  }
}

function isPromiseLike<V>(value: Promise<V> | V): value is Promise<V> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

function checkInt(name: string, option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new (numberError(value))(`${name} ${option} (${describe(value)}) must be an integer from ${min} to ${max}`);
  }
  return value;
}
