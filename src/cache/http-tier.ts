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
 * Redis tier; any failure rejects with a typed error (TierTimeoutError,
 * TierHttpStatusError, or TierUnavailableError carrying fetch's error as its
 * cause) and the cache treats it as a miss.
 */
import { BlackholeError, ClosedError, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { checkFunction, checkNumber, checkOptions, checkString } from '../validate.ts';
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
  type TierWriteOptions,
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
  /** Consecutive failed requests that open the circuit, integer 1 to 2^31 - 1. Default 3. */
  failureThreshold?: number;
  /** How long an open circuit skips the server before one probe, ms, integer 1 to 2^31 - 1. Default 1000. */
  openMs?: number;
  /** Monotonic clock of the circuit breaker, ms (for tests). Default `performance.now`. */
  now?: () => number;
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
    if (options === undefined) throw new InvalidArgumentError('HttpTier options must be an object with a baseUrl, got undefined');
    const o = checkOptions('HttpTier', 'options', options);
    const { baseUrl } = o;
    if (typeof baseUrl !== 'string' || !/^https?:\/\/[^/]/.test(baseUrl)) {
      throw new InvalidArgumentError(`HttpTier baseUrl must be an http:// or https:// URL, got ${describe(baseUrl)}`);
    }
    try {
      new URL(baseUrl);
    } catch {
      throw new InvalidArgumentError(`HttpTier baseUrl must be an http:// or https:// URL, got ${describe(baseUrl)}`);
    }
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    const name = o.name === undefined ? 'http' : checkString('HttpTier', 'name', o.name, { nonEmpty: true });
    this.name = name;
    this.timeoutMs = o.timeoutMs === undefined ? 1000 : checkNumber('HttpTier', 'timeoutMs', o.timeoutMs, { integer: true, min: 1, max: 600_000 });
    this.defaultTtlMs = o.defaultTtlMs === undefined ? 60_000 : checkNumber('HttpTier', 'defaultTtlMs', o.defaultTtlMs, { min: 0, minExclusive: true, max: 2 ** 40, allowInfinity: true });
    this.serializer = checkSerializer('HttpTier', o.serializer ?? v8Serializer);
    const headers: Record<string, string> = {};
    if (o.headers !== undefined) {
      for (const [k, v] of Object.entries(checkOptions('HttpTier', 'headers', o.headers))) {
        if (typeof v !== 'string') throw new InvalidArgumentError(`HttpTier headers["${k}"] must be a string, got ${describe(v)}`);
        headers[k] = v;
      }
      try {
        new Headers(headers);
      } catch (err) {
        throw new InvalidArgumentError(`HttpTier headers must be valid HTTP header names and values: ${(err as Error).message}`);
      }
    }
    this.headers = headers;
    const failureThreshold = o.failureThreshold === undefined ? 3 : checkNumber('HttpTier', 'failureThreshold', o.failureThreshold, { integer: true, min: 1, max: 2 ** 31 - 1 });
    const openMs = o.openMs === undefined ? 1000 : checkNumber('HttpTier', 'openMs', o.openMs, { integer: true, min: 1, max: 2 ** 31 - 1 });
    const now = o.now === undefined ? undefined : checkFunction<() => number>('HttpTier', 'now', o.now);
    this.breaker = new CircuitBreaker({ name: `HttpTier ${name} breaker`, failureThreshold, openMs, ...(now === undefined ? {} : { now }) });
    this.rec = new TierStatsRecorder(name);
    this.unavailable = new TierUnavailableError(name, 'circuit open (server failing; skipped until a probe succeeds)');
  }

  /** The URL of `key`. @example tier.urlOf('a b') // '{baseUrl}/a%20b' */
  urlOf(key: string): string {
    if (typeof key !== 'string') throw new InvalidArgumentError(`HttpTier ${this.name} key must be a string, got ${describe(key)}`);
    try {
      return `${this.baseUrl}/${encodeURIComponent(key)}`;
    } catch {
      throw new InvalidArgumentError(`HttpTier ${this.name} key must be a well-formed string (no lone surrogates), got ${describe(key)}`);
    }
  }

  /**
   * GETs `key`; its remaining TTL is `max-age - Age`.
   * @example const entry = await tier.get('blob:1');
   */
  async get(key: string): Promise<TierEntry | undefined> {
    const url = this.urlOf(key);
    this.admit();
    const t0 = performance.now();
    try {
      const res = await fetch(url, { method: 'GET', headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
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
      let value: unknown;
      try {
        value = this.serializer.deserialize(bytes);
      } catch (err) {
        this.rec.errors++;
        throw new InvalidArgumentError(`HttpTier ${this.name} serializer could not deserialize "${key}": ${err instanceof Error ? err.message : String(err)}`);
      }
      this.rec.hits++;
      return { value, ttlMs };
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err; // counted above; the server answered
      throw this.failed(err, 'GET');
    }
  }

  /**
   * PUTs `value` with `Cache-Control: max-age=<ceil(ttlMs / 1000)>` (none when ttlMs is Infinity).
   * @example await tier.set('blob:1', bytes, 60_000);
   */
  async set(key: string, value: unknown, ttlMs: number, options?: TierWriteOptions): Promise<void> {
    this.urlOf(key);
    checkNumber(`HttpTier ${this.name}`, 'set ttlMs', ttlMs, { min: 0, minExclusive: true, max: 2 ** 40, allowInfinity: true });
    checkOptions(`HttpTier ${this.name}`, 'set options', options);
    let body: Buffer;
    try {
      body = this.serializer.serialize(value);
    } catch (err) {
      this.rec.errors++;
      throw new InvalidArgumentError(`HttpTier ${this.name} serializer could not serialize the value: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.admit();
    const headers: Record<string, string> = { ...this.headers, 'content-type': 'application/octet-stream' };
    if (ttlMs !== Infinity) headers['cache-control'] = `max-age=${Math.max(1, Math.ceil(ttlMs / 1000))}`;
    await this.send('PUT', key, headers, body);
  }

  /** DELETEs `key` (404 counts as done). @example await tier.delete('blob:1'); */
  async delete(key: string, options?: TierWriteOptions): Promise<void> {
    this.urlOf(key);
    checkOptions(`HttpTier ${this.name}`, 'delete options', options);
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
    const e =
      err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
        ? new TierTimeoutError(this.name, method, this.timeoutMs)
        : isTyped(err)
          ? err
          : new TierUnavailableError(this.name, `${method} failed: ${err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err)}`, { cause: err });
    this.breaker.failure();
    this.rec.error(e);
    return e;
  }
}

function isTyped(err: unknown): boolean {
  return err instanceof BlackholeError || err instanceof InvalidArgumentError || err instanceof OutOfRangeError;
}
