/**
 * LazyLoader: loads values on first use, caches them in a bounded LRU, and
 * never loads the same key twice at once.
 *
 * Design. Values live in an {@link LruCache} (bound, TTL, recency). Loads in
 * progress live in `flights`, a Map from key to a {@link Flight}: every `get`
 * for a key that is loading joins that flight's promise (single flight). A
 * flight writes its outcome to the cache only if it is still the current
 * flight of its key; `delete(key)` and `clear()` drop flights from the map,
 * so a load started before them can never resurrect a stale value.
 *
 * Errors. A failed load is not cached by default: the next `get` retries.
 * With `negativeTtlMs`, the error is cached (as a private wrapper in the same
 * LRU, with that TTL) and rethrown to callers until it expires.
 *
 * Timeout. With `timeoutMs`, a load that has not settled in time rejects its
 * callers with {@link LoadTimeoutError} and aborts the `AbortSignal` handed to
 * the loader (with that error as the reason), so the loader can stop its I/O.
 * A result that arrives after the timeout is discarded, not cached: the
 * callers have been told the load failed, and the timeout is treated like any
 * other error (cached only under `negativeTtlMs`). Caching a late value would
 * make what a later `get` returns depend on a race. The timer is unref'd and
 * cleared as soon as the load settles.
 *
 * preload. `preload(keys)` loads many keys with at most `concurrency` loads of
 * its own in progress at once (a {@link Semaphore} shared by every `preload`
 * call of this loader, so two overlapping preloads still respect the bound).
 * It resolves with one outcome per key, in order, and never rejects for a
 * failed key. `get` is not limited: the caller controls its own concurrency.
 *
 * Every promise settles: a load either settles or times out, and flights are
 * removed in both cases.
 */
import { BlackholeError, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { numberError } from '../validate.ts';
import { Semaphore } from '../concurrency/semaphore.ts';
import { LruCache } from './lru-cache.ts';

/** Stable code of {@link LoadTimeoutError}. @example if (e.code === LOAD_TIMEOUT) ... */
export const LOAD_TIMEOUT = 'ERR_BH_LOAD_TIMEOUT';

/**
 * Rejected by `LazyLoader.get` (and reported by `preload`) when a load takes longer than `timeoutMs`.
 * @example try { await loader.get('k') } catch (e) { if (e instanceof LoadTimeoutError) console.log(e.timeoutMs) }
 */
export class LoadTimeoutError extends BlackholeError {
  /** The timeout that expired, in ms. */
  readonly timeoutMs: number;
  /** The key whose load timed out. */
  readonly key: unknown;
  constructor(component: string, key: unknown, timeoutMs: number) {
    super(LOAD_TIMEOUT, `${component} load of ${describe(key)} timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
    this.key = key;
  }
}

/**
 * Loads one value. Receives an `AbortSignal` that aborts when the load times out.
 * @example const load: Loader<string, User> = (id, signal) => fetch(`/users/${id}`, { signal }).then((r) => r.json());
 */
export type Loader<K, V> = (key: K, signal: AbortSignal) => Promise<V> | V;

/**
 * Options of {@link LazyLoader}.
 * @example new LazyLoader(load, { maxEntries: 10_000, ttlMs: 60_000, negativeTtlMs: 1_000, timeoutMs: 5_000, concurrency: 8 })
 */
export interface LazyLoaderOptions {
  /** Most values (and cached errors) kept; an integer >= 1. Default 1000. */
  maxEntries?: number;
  /** A loaded value expires this many ms after it was loaded. Default Infinity (never). */
  ttlMs?: number;
  /** Cache a failed load's error for this many ms (0 = do not cache errors). Default 0. */
  negativeTtlMs?: number;
  /** Fail a load that has not settled after this many ms with {@link LoadTimeoutError}. Default Infinity (no timeout). */
  timeoutMs?: number;
  /** Most loads `preload` runs at once (across all its calls); an integer from 1 to 65536. Default 8. */
  concurrency?: number;
  /** Clock for TTLs, in ms. Default `performance.now`. */
  clock?: () => number;
  /** Name used in error messages. Default 'LazyLoader'. */
  name?: string;
}

/**
 * The outcome of one key of {@link LazyLoader.preload}.
 * @example for (const o of await loader.preload(keys)) if (o.status === 'rejected') log(o.key, o.reason)
 */
export type PreloadOutcome<K, V> =
  | { key: K; status: 'fulfilled'; value: V }
  | { key: K; status: 'rejected'; reason: unknown };

/**
 * Counters of a {@link LazyLoader}.
 * @example const { hits, loads, loadErrors } = loader.stats();
 */
export interface LazyLoaderStats {
  /** `get` calls answered from the cache (values or cached errors). */
  hits: number;
  /** `get` calls answered by joining a load already in progress. */
  joins: number;
  /** Loads started. */
  loads: number;
  /** Loads that failed (including timeouts). */
  loadErrors: number;
  /** Loads that timed out. */
  timeouts: number;
  /** `get` calls answered with a cached error. */
  negativeHits: number;
  /** Cached entries (values and errors). */
  size: number;
  /** Loads in progress. */
  inFlight: number;
}

/** A cached failure (only with negativeTtlMs). */
class Failure {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

/** Stored in place of an `undefined` value. */
const UNDEF: unique symbol = Symbol('undefined value');

/** One load in progress. */
interface Flight<V> {
  promise: Promise<V>;
}

/**
 * Lazy, single-flight, bounded loading of values by key.
 * @example
 * const users = new LazyLoader((id: string) => db.user(id), { maxEntries: 5000, ttlMs: 60_000, timeoutMs: 2000 });
 * const [a, b] = await Promise.all([users.get('42'), users.get('42')]); // one db call
 * await users.preload(['1', '2', '3']); // at most 8 at once
 */
export class LazyLoader<K, V> {
  /** Name used in error messages. */
  readonly name: string;
  private readonly loader: Loader<K, V>;
  private readonly cache: LruCache<K, unknown>;
  private readonly flights: Map<K, Flight<V>>;
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly timeoutMs: number;
  private readonly semaphore: Semaphore;
  private readonly concurrency: number;
  private hits: number;
  private joins: number;
  private loads: number;
  private loadErrors: number;
  private timeouts: number;
  private negativeHits: number;

  constructor(loader: Loader<K, V>, options: LazyLoaderOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidArgumentError(`LazyLoader options must be an object, got ${describe(options)}`);
    }
    const name = options.name === undefined ? 'LazyLoader' : options.name;
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(`LazyLoader name must be a non-empty string, got ${describe(name)}`);
    if (typeof loader !== 'function') throw new InvalidArgumentError(`${name} loader must be a function, got ${describe(loader)}`);
    const maxEntries = options.maxEntries === undefined ? 1000 : options.maxEntries;
    if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > 2 ** 30) {
      throw new (numberError(maxEntries))(`${name} maxEntries (${describe(maxEntries)}) must be an integer from 1 to 2^30`);
    }
    const ttlMs = checkDuration(name, 'ttlMs', options.ttlMs === undefined ? Infinity : options.ttlMs, false);
    const negativeTtlMs = checkDuration(name, 'negativeTtlMs', options.negativeTtlMs === undefined ? 0 : options.negativeTtlMs, true);
    const timeoutMs = checkDuration(name, 'timeoutMs', options.timeoutMs === undefined ? Infinity : options.timeoutMs, false);
    if (timeoutMs !== Infinity && timeoutMs > 2 ** 31 - 1) {
      throw new OutOfRangeError(`${name} timeoutMs (${describe(timeoutMs)}) must be at most 2^31 - 1 (a timer's limit) or Infinity`);
    }
    const concurrency = options.concurrency === undefined ? 8 : options.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 65536) {
      throw new (numberError(concurrency))(`${name} concurrency (${describe(concurrency)}) must be an integer from 1 to 65536`);
    }
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidArgumentError(`${name} clock must be a function, got ${describe(options.clock)}`);
    }
    this.name = name;
    this.loader = loader;
    this.cache = new LruCache<K, unknown>({
      maxEntries,
      ...(ttlMs !== Infinity ? { ttlMs } : {}),
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
    });
    this.flights = new Map();
    this.ttlMs = ttlMs;
    this.negativeTtlMs = negativeTtlMs;
    this.timeoutMs = timeoutMs;
    this.concurrency = concurrency;
    this.semaphore = new Semaphore(concurrency, { name: `${name} preload` });
    this.hits = 0;
    this.joins = 0;
    this.loads = 0;
    this.loadErrors = 0;
    this.timeouts = 0;
    this.negativeHits = 0;
  }

  /**
   * The value for `key`: from the cache, from the load in progress, or from a
   * new load. Rejects with the loader's error, a cached error (negativeTtlMs),
   * or {@link LoadTimeoutError}.
   * @example const user = await users.get('42');
   */
  get(key: K): Promise<V> {
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.hits++;
      if (cached instanceof Failure) {
        this.negativeHits++;
        return Promise.reject(cached.error);
      }
      return Promise.resolve((cached === UNDEF ? undefined : cached) as V);
    }
    const flight = this.flights.get(key);
    if (flight !== undefined) {
      this.joins++;
      return flight.promise;
    }
    return this.load(key);
  }

  /**
   * The cached value for `key` without loading, refreshing recency or
   * counting; `undefined` if absent, expired or a cached error.
   * @example loader.peek('42')
   */
  peek(key: K): V | undefined {
    const cached = this.cache.peek(key);
    if (cached === undefined || cached === UNDEF || cached instanceof Failure) return undefined;
    return cached as V;
  }

  /**
   * True if a value or an error for `key` is cached (not expired).
   * @example if (!loader.has(k)) showSpinner()
   */
  has(key: K): boolean {
    return this.cache.has(key);
  }

  /**
   * Forgets `key`: its cached value or error, and any load in progress (whose
   * callers still get its outcome, but which will not be cached). True if
   * anything was dropped.
   * @example loader.delete('42') // after the user changed
   */
  delete(key: K): boolean {
    const hadFlight = this.flights.delete(key);
    return this.cache.delete(key) || hadFlight;
  }

  /** Forgets every cached value and error and every load in progress. @example loader.clear() */
  clear(): void {
    this.flights.clear();
    this.cache.clear();
  }

  /**
   * Loads every key with at most `concurrency` preload loads at once, and
   * resolves with one outcome per key, in input order. Never rejects because
   * a key failed. Cached keys cost no load.
   * @example const outcomes = await loader.preload(['a', 'b', 'c']);
   */
  preload(keys: Iterable<K>): Promise<PreloadOutcome<K, V>[]> {
    if (keys === null || typeof keys !== 'object' || typeof (keys as Iterable<K>)[Symbol.iterator] !== 'function') {
      return Promise.reject(new InvalidArgumentError(`${this.name} preload keys must be an iterable object (an array, a Set...), got ${describe(keys)}`));
    }
    const list = Array.from(keys);
    const outcomes = new Array<PreloadOutcome<K, V>>(list.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < list.length) {
        const i = next++;
        const key = list[i]!;
        if (this.cache.has(key) || this.flights.has(key)) {
          outcomes[i] = await this.settle(key);
          continue;
        }
        const release = await this.semaphore.acquire();
        try {
          outcomes[i] = await this.settle(key);
        } finally {
          release();
        }
      }
    };
    const workers: Promise<void>[] = [];
    for (let w = 0; w < Math.min(this.concurrency, list.length); w++) workers.push(worker());
    return Promise.all(workers).then(() => outcomes);
  }

  /** Counters and sizes. @example loader.stats().inFlight */
  stats(): LazyLoaderStats {
    return {
      hits: this.hits,
      joins: this.joins,
      loads: this.loads,
      loadErrors: this.loadErrors,
      timeouts: this.timeouts,
      negativeHits: this.negativeHits,
      size: this.cache.size,
      inFlight: this.flights.size,
    };
  }

  private settle(key: K): Promise<PreloadOutcome<K, V>> {
    return this.get(key).then(
      (value) => ({ key, status: 'fulfilled', value }),
      (reason: unknown) => ({ key, status: 'rejected', reason }),
    );
  }

  private load(key: K): Promise<V> {
    this.loads++;
    const controller = new AbortController();
    const flight: Flight<V> = { promise: undefined as unknown as Promise<V> };
    let started: Promise<V>;
    try {
      started = Promise.resolve(this.loader(key, controller.signal));
    } catch (error) {
      started = Promise.reject(error);
    }
    let timer: ReturnType<typeof setTimeout> | null = null;
    let raced = started;
    if (this.timeoutMs !== Infinity) {
      const timeoutMs = this.timeoutMs;
      raced = new Promise<V>((resolve, reject) => {
        timer = setTimeout(() => {
          timer = null;
          this.timeouts++;
          const error = new LoadTimeoutError(this.name, key, timeoutMs);
          controller.abort(error);
          reject(error);
        }, timeoutMs);
        timer.unref?.();
        started.then(resolve, reject); // after a timeout these are no-ops: the late result is discarded
      });
    }
    flight.promise = raced.then(
      (value) => {
        if (timer !== null) clearTimeout(timer);
        if (this.flights.get(key) === flight) {
          this.flights.delete(key);
          this.cache.set(key, value === undefined ? UNDEF : value, this.ttlMs !== Infinity ? { ttlMs: this.ttlMs } : undefined);
        }
        return value;
      },
      (error: unknown) => {
        if (timer !== null) clearTimeout(timer);
        this.loadErrors++;
        if (this.flights.get(key) === flight) {
          this.flights.delete(key);
          if (this.negativeTtlMs > 0) this.cache.set(key, new Failure(error), { ttlMs: this.negativeTtlMs });
        }
        throw error;
      },
    );
    this.flights.set(key, flight);
    return flight.promise;
  }
}

function checkDuration(name: string, option: string, value: unknown, zeroOk: boolean): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (!zeroOk && value === 0)) {
    throw new (numberError(value))(`${name} ${option} (${describe(value)}) must be a number ${zeroOk ? '>= 0' : '> 0'} (Infinity for none)`);
  }
  return value;
}
