/**
 * HttpTier: a remote tier (L3, e.g. a CDN or blob-cache service) spoken to
 * over plain HTTP with the global `fetch`:
 *
 *   GET    {baseUrl}/{encodeURIComponent(key)}  200 -> hit (body = serialized value), 404 -> miss
 *   PUT    {baseUrl}/{key}  body = serialized value, `Cache-Control: max-age=<ceil(ttl s)>`
 *   DELETE {baseUrl}/{key}  2xx or 404 -> done
 *
 * The remaining TTL of a hit comes from the response's `Cache-Control:
 * max-age` minus its `Age` header (as an HTTP cache computes freshness);
 * `max-age=0`, `no-store` or `no-cache` make the response a miss, and a
 * response without `max-age` gets `defaultTtlMs`. Each request has a timeout
 * (`AbortSignal.timeout`) and results feed a {@link CircuitBreaker}, as in the
 * Redis tier; any failure rejects and the cache treats it as a miss.
 */
import { ClosedError, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { checkSerializer, v8Serializer, type Serializer } from './serializer.ts';
import {
  TierHttpStatusError,
  TierStatsRecorder,
  TierTimeoutError,
  TierUnavailableError,
  type CacheTier,
  type TierEntry,
  type TierStats,
} from './tier.ts';

/** Options of {@link HttpTier}. @example new HttpTier({ baseUrl: 'http://cache.internal:8080/v1/blobs', timeoutMs: 500 }) */
export interface HttpTierOptions {
  /** Base URL; keys are appended as `/{encodeURIComponent(key)}`. Required. */
  baseUrl: string;
  /** Tier name (the key of its stats). Default 'http'. */
  name?: string;
  /** Turns values into bytes and back. Default {@link v8Serializer}. */
  serializer?: Serializer;
  /** Timeout of one request including its body, ms, integer 1 to 600 000. Default 1000. */
  timeoutMs?: number;
  /** TTL of a hit whose response has no `max-age`, ms (> 0, Infinity allowed). Default 60 000. */
  defaultTtlMs?: number;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
  /** Consecutive failed requests that open the circuit. Default 3. */
  failureThreshold?: number;
  /** How long an open circuit skips the server before one probe, ms. Default 1000. */
  openMs?: number;
}

/** Parses `max-age` (seconds) from a Cache-Control value; -1 if absent, 0 for no-store/no-cache. */
function maxAgeOf(cacheControl: string | null): number {
  if (cacheControl === null) return -1;
  let maxAge = -1;
  for (const part of cacheControl.split(',')) {
    const d = part.trim().toLowerCase();
    if (d === 'no-store' || d === 'no-cache') return 0;
    if (d.startsWith('max-age=')) {
      const n = Number(d.slice(8).replace(/^"|"$/g, ''));
      if (Number.isFinite(n) && n >= 0) maxAge = n;
    }
  }
  return maxAge;
}

/**
 * An HTTP tier: GET/PUT/DELETE {baseUrl}/{key}, honouring Cache-Control: max-age.
 * @example
 * const l3 = new HttpTier({ baseUrl: 'http://cdn.internal/cache' });
 * const cache = new MultiLevelCache({ tiers: [l2, l3] });
 */
export class HttpTier implements CacheTier {
  /** Tier name. */
  readonly name: string;
  /** Base URL, without a trailing slash. */
  readonly baseUrl: string;
  /** Request timeout, ms. */
  readonly timeoutMs: number;
  private readonly defaultTtlMs: number;
  private readonly serializer: Serializer;
  private readonly headers: Record<string, string>;
  private readonly breaker: CircuitBreaker;
  private readonly rec: TierStatsRecorder;
  private readonly unavailable: TierUnavailableError;
  private closed = false;

  constructor(options: HttpTierOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`HttpTier options must be an object, got ${describe(options)}`);
    const { baseUrl } = options;
    if (typeof baseUrl !== 'string' || !/^https?:\/\//.test(baseUrl)) {
      throw new InvalidArgumentError(`HttpTier baseUrl must be an http:// or https:// URL, got ${describe(baseUrl)}`);
    }
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    const name = options.name ?? 'http';
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(`HttpTier name must be a non-empty string, got ${describe(name)}`);
    this.name = name;
    const timeoutMs = options.timeoutMs ?? 1000;
    if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
      throw new OutOfRangeError(`HttpTier timeoutMs (${describe(timeoutMs)}) must be an integer from 1 to 600000`);
    }
    this.timeoutMs = timeoutMs;
    const defaultTtlMs = options.defaultTtlMs ?? 60_000;
    if (typeof defaultTtlMs !== 'number' || !(defaultTtlMs > 0)) {
      throw new OutOfRangeError(`HttpTier defaultTtlMs (${describe(defaultTtlMs)}) must be a number > 0 (Infinity allowed)`);
    }
    this.defaultTtlMs = defaultTtlMs;
    this.serializer = checkSerializer('HttpTier', options.serializer ?? v8Serializer);
    this.headers = { ...(options.headers ?? {}) };
    this.breaker = new CircuitBreaker({ name: `HttpTier ${name} breaker`, failureThreshold: options.failureThreshold ?? 3, openMs: options.openMs ?? 1000 });
    this.rec = new TierStatsRecorder(name);
    this.unavailable = new TierUnavailableError(name, 'circuit open (server failing; skipped until a probe succeeds)');
  }

  /** The URL of `key`. @example tier.urlOf('a b') // '{baseUrl}/a%20b' */
  urlOf(key: string): string {
    return `${this.baseUrl}/${encodeURIComponent(key)}`;
  }

  /**
   * GETs `key`; its remaining TTL is `max-age - Age`.
   * @example const entry = await tier.get('blob:1');
   */
  async get(key: string): Promise<TierEntry | undefined> {
    this.admit();
    const t0 = performance.now();
    try {
      const res = await fetch(this.urlOf(key), { method: 'GET', headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
      if (res.status === 404) {
        await res.body?.cancel();
        this.done(t0);
        this.rec.misses++;
        return undefined;
      }
      if (res.status !== 200) {
        await res.body?.cancel();
        throw new TierHttpStatusError(this.name, 'GET', res.status);
      }
      const bytes = Buffer.from(await res.arrayBuffer());
      this.done(t0);
      const maxAge = maxAgeOf(res.headers.get('cache-control'));
      let ttlMs = this.defaultTtlMs;
      if (maxAge >= 0) {
        const age = Number(res.headers.get('age') ?? 0);
        ttlMs = (maxAge - (Number.isFinite(age) && age > 0 ? age : 0)) * 1000;
      }
      if (!(ttlMs > 0)) {
        this.rec.misses++;
        return undefined;
      }
      const value = this.serializer.deserialize(bytes);
      this.rec.hits++;
      return { value, ttlMs };
    } catch (err) {
      throw this.failed(err, 'GET');
    }
  }

  /**
   * PUTs `value` with `Cache-Control: max-age=<ceil(ttlMs / 1000)>` (none when ttlMs is Infinity).
   * @example await tier.set('blob:1', bytes, 60_000);
   */
  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    this.admit();
    const body = this.serializer.serialize(value);
    const headers: Record<string, string> = { ...this.headers, 'content-type': 'application/octet-stream' };
    if (ttlMs !== Infinity) headers['cache-control'] = `max-age=${Math.max(1, Math.ceil(ttlMs / 1000))}`;
    await this.send('PUT', key, headers, body);
  }

  /** DELETEs `key` (404 counts as done). @example await tier.delete('blob:1'); */
  async delete(key: string): Promise<void> {
    this.admit();
    await this.send('DELETE', key, this.headers, undefined);
  }

  /** Counters, latency per request, breaker state. */
  stats(): TierStats {
    return this.rec.snapshot(this.breaker.stats());
  }

  /** Marks the tier closed; later calls reject with ClosedError. */
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private admit(): void {
    if (this.closed) throw new ClosedError(`HttpTier ${this.name}`);
    if (!this.breaker.allow()) {
      this.rec.skipped++;
      throw this.unavailable;
    }
  }

  private async send(method: 'PUT' | 'DELETE', key: string, headers: Record<string, string>, body: Buffer | undefined): Promise<void> {
    const t0 = performance.now();
    try {
      const res = await fetch(this.urlOf(key), { method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
      await res.body?.cancel();
      if (!(res.status >= 200 && res.status < 300) && !(method === 'DELETE' && res.status === 404)) {
        throw new TierHttpStatusError(this.name, method, res.status);
      }
      this.done(t0);
      this.rec.writes++;
    } catch (err) {
      throw this.failed(err, method);
    }
  }

  private done(t0: number): void {
    this.breaker.success();
    this.rec.latency(t0);
  }

  private failed(err: unknown, method: string): unknown {
    const e = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError') ? new TierTimeoutError(this.name, method, this.timeoutMs) : err;
    this.breaker.failure();
    this.rec.error(e);
    return e;
  }
}
