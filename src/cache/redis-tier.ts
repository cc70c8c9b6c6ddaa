/**
 * RedisTier: the shared tier (L2) of a {@link MultiLevelCache}, over
 * node-redis (`redis` package), plus the pub/sub invalidation bus.
 *
 * Reads. Concurrent `get`s are coalesced by an {@link AsyncBatcher} (one
 * batch per tick, at most `maxBatchSize` keys) into one `MGET`. Each value is
 * an envelope (see serializer.ts): an 8-byte absolute expiry and the
 * serialized payload, so the one `MGET` yields the remaining TTL used to
 * promote a hit, with no `PTTL` round trip. Redis's own `PX` expiry is the
 * authority; the envelope only computes what is left.
 *
 * Writes. `set`, `delete` and `publishInvalidation` go through a second
 * batcher whose batch sends every command at once (node-redis writes commands
 * issued in the same tick in one socket write: a pipeline, not a MULTI) and
 * waits for all replies under a single timer.
 *
 * Failure handling. The client runs with `disableOfflineQueue` (a command
 * issued while disconnected fails at once instead of waiting for a
 * reconnect), a reconnect back-off capped at `reconnectMaxDelayMs`, and an
 * `'error'` listener (errors are counted, never thrown at the process). Every
 * round trip races a `commandTimeoutMs` timer (node-redis's own per-command
 * timeout only covers the wait to be written, not the wait for the reply).
 * Results feed a {@link CircuitBreaker}: after `failureThreshold` failed round
 * trips in a row the tier is skipped (operations reject at once with
 * {@link TierUnavailableError}, counted as `skipped`) for `openMs`, then one
 * probe decides. The cache turns any rejection into a miss.
 *
 * Invalidation. `subscribeInvalidations` opens a second client with the same
 * options (a subscribed connection cannot send other commands; this one keeps
 * node-redis's offline queue so its SUBSCRIBE waits for Redis instead of
 * failing) on `invalidationChannel`. A message is `<origin id><key>`: the
 * 16-character origin lets a node ignore its own messages; values never
 * travel. node-redis resubscribes after a reconnect; since messages sent while
 * the subscriber was away are lost, every time the subscriber becomes ready
 * (the first connect included: it may come late) `onResync` runs and the cache
 * clears its L1.
 *
 * Shutdown order: close both batchers (queued writes are flushed), then close
 * the clients (gracefully when connected, destroyed otherwise).
 */
import { randomBytes } from 'node:crypto';
import { createClient, RESP_TYPES } from 'redis';
import { AsyncBatcher } from '../concurrency/async-batcher.ts';
import { ClosedError, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { checkSerializer, envelopeExpiry, envelopePayload, v8Serializer, wrapEnvelope, type Serializer } from './serializer.ts';
import {
  TierStatsRecorder,
  TierUnavailableError,
  withTimeout,
  type CacheTier,
  type InvalidationHandler,
  type TierEntry,
  type TierStats,
} from './tier.ts';

/** Options of {@link RedisTier}. @example new RedisTier({ url: 'redis://127.0.0.1:6379', keyPrefix: 'blobs:', commandTimeoutMs: 50 }) */
export interface RedisTierOptions {
  /** Tier name (the key of its stats). Default 'redis'. */
  name?: string;
  /** Redis URL, e.g. 'redis://127.0.0.1:6379'. Default 'redis://127.0.0.1:6379'. */
  url?: string;
  /** Prefix of every key stored (not of the pub/sub channel). Default ''. */
  keyPrefix?: string;
  /** Turns values into bytes and back. Default {@link v8Serializer}. */
  serializer?: Serializer;
  /** Longest wait for one round trip, ms, integer 1 to 60 000; past it the command counts as failed. Default 100. */
  commandTimeoutMs?: number;
  /** Longest wait for `connect()`, ms, integer 1 to 600 000. Default 2000. */
  connectTimeoutMs?: number;
  /** Cap of the reconnect back-off, ms, integer 1 to 60 000. Default 500. */
  reconnectMaxDelayMs?: number;
  /** Consecutive failed round trips that open the circuit. Default 3. */
  failureThreshold?: number;
  /** How long an open circuit skips Redis before one probe, ms. Default 500. */
  openMs?: number;
  /** Most keys per MGET (and commands per write pipeline), integer 1 to 10 000. Default 100. */
  maxBatchSize?: number;
  /** Pub/sub channel of invalidations. Default 'bh:cache:invalidate'. */
  invalidationChannel?: string;
}

type Client = ReturnType<typeof createClient>;
type Arg = string | Buffer;

const ORIGIN_LENGTH = 16;

function checkInt(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OutOfRangeError(`RedisTier ${option} (${describe(value)}) must be an integer from ${min} to ${max}`);
  }
  return value;
}

function checkString(option: string, value: unknown, allowEmpty: boolean): string {
  if (typeof value !== 'string' || (!allowEmpty && value === '')) {
    throw new InvalidArgumentError(`RedisTier ${option} must be a ${allowEmpty ? '' : 'non-empty '}string, got ${describe(value)}`);
  }
  return value;
}

/**
 * The Redis tier: batched MGET reads, pipelined writes, a command timeout, a
 * circuit breaker and pub/sub invalidation.
 * @example
 * const l2 = new RedisTier({ url: 'redis://127.0.0.1:6379', keyPrefix: 'app:' });
 * const cache = new MultiLevelCache({ l1: { maxEntries: 10_000 }, tiers: [l2] });
 * await cache.connect();
 */
export class RedisTier implements CacheTier {
  /** Tier name. */
  readonly name: string;
  /** Key prefix. */
  readonly keyPrefix: string;
  /** Round-trip timeout, ms. */
  readonly commandTimeoutMs: number;
  /** Pub/sub channel of invalidations. */
  readonly invalidationChannel: string;
  /** This instance's origin id on the invalidation channel. */
  readonly originId: string;
  private readonly url: string;
  private readonly serializer: Serializer;
  private readonly connectTimeoutMs: number;
  private readonly reconnectMaxDelayMs: number;
  private readonly client: Client;
  private subscriber: Client | null = null;
  private readonly breaker: CircuitBreaker;
  private readonly rec: TierStatsRecorder;
  private readonly reads: AsyncBatcher<string, TierEntry | undefined>;
  private readonly writes: AsyncBatcher<Arg[], void>;
  private readonly unavailable: TierUnavailableError;
  private closed = false;
  private connectionErrors = 0;
  private reconnects = 0;
  private invalidationsReceived = 0;
  private resyncs = 0;

  constructor(options: RedisTierOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`RedisTier options must be an object, got ${describe(options)}`);
    this.name = checkString('name', options.name ?? 'redis', false);
    this.url = checkString('url', options.url ?? 'redis://127.0.0.1:6379', false);
    this.keyPrefix = checkString('keyPrefix', options.keyPrefix ?? '', true);
    this.invalidationChannel = checkString('invalidationChannel', options.invalidationChannel ?? 'bh:cache:invalidate', false);
    this.serializer = checkSerializer('RedisTier', options.serializer ?? v8Serializer);
    this.commandTimeoutMs = checkInt('commandTimeoutMs', options.commandTimeoutMs ?? 100, 1, 60_000);
    this.connectTimeoutMs = checkInt('connectTimeoutMs', options.connectTimeoutMs ?? 2000, 1, 600_000);
    this.reconnectMaxDelayMs = checkInt('reconnectMaxDelayMs', options.reconnectMaxDelayMs ?? 500, 1, 60_000);
    const maxBatchSize = checkInt('maxBatchSize', options.maxBatchSize ?? 100, 1, 10_000);
    this.breaker = new CircuitBreaker({ name: `RedisTier ${this.name} breaker`, failureThreshold: options.failureThreshold ?? 3, openMs: options.openMs ?? 500 });
    this.rec = new TierStatsRecorder(this.name);
    this.originId = randomBytes(ORIGIN_LENGTH / 2).toString('hex');
    this.unavailable = new TierUnavailableError(this.name, 'circuit open (Redis failing; skipped until a probe succeeds)');
    this.client = this.makeClient();
    this.client.on('error', this.onClientError);
    this.client.on('reconnecting', this.onReconnecting);
    this.reads = new AsyncBatcher<string, TierEntry | undefined>(this.readBatch, {
      name: `RedisTier ${this.name} reads`,
      maxBatchSize,
      maxWaitMs: 0,
      maxConcurrentBatches: Infinity,
      maxQueue: Infinity,
    });
    this.writes = new AsyncBatcher<Arg[], void>(this.writeBatch, {
      name: `RedisTier ${this.name} writes`,
      maxBatchSize,
      maxWaitMs: 0,
      maxConcurrentBatches: Infinity,
      maxQueue: Infinity,
    });
  }

  /** A client; data connections refuse commands while offline, the subscriber queues its SUBSCRIBE until connected. */
  private makeClient(disableOfflineQueue = true): Client {
    const cap = this.reconnectMaxDelayMs;
    return createClient({
      url: this.url,
      disableOfflineQueue,
      socket: {
        connectTimeout: this.connectTimeoutMs,
        // 20, 40, 80 ... ms, capped: a restarted Redis is found again within `cap` ms.
        reconnectStrategy: (retries: number) => Math.min(20 * 2 ** Math.min(retries, 16), cap),
      },
      commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } },
    }) as unknown as Client;
  }

  private readonly onClientError = (): void => {
    this.connectionErrors++;
  };

  private readonly onReconnecting = (): void => {
    this.reconnects++;
  };

  /**
   * Connects the client. Rejects with a timeout if Redis does not answer
   * within `connectTimeoutMs`; the client keeps retrying in the background and
   * the tier starts working once Redis is reachable.
   * @example await tier.connect();
   */
  async connect(): Promise<void> {
    if (this.closed) throw new ClosedError(`RedisTier ${this.name}`);
    if (this.client.isOpen) return;
    const p = this.client.connect();
    p.catch(() => {}); // the race below reports; a late rejection must not be unhandled
    await withTimeout(p, this.connectTimeoutMs, this.name, 'connect');
  }

  /** Whether the client is connected and ready for commands. */
  get isReady(): boolean {
    return this.client.isReady;
  }

  /**
   * The value and remaining TTL of `key`, via a batched MGET. Rejects on
   * failure, on timeout, or at once (with {@link TierUnavailableError}) while
   * the circuit is open.
   * @example const entry = await tier.get('user:1'); // { value, ttlMs } | undefined
   */
  get(key: string): Promise<TierEntry | undefined> {
    if (this.closed) return Promise.reject(new ClosedError(`RedisTier ${this.name}`));
    if (!this.breaker.allow()) {
      this.rec.skipped++;
      return Promise.reject(this.unavailable);
    }
    return this.reads.load(key);
  }

  /** Several keys in one MGET (or more, past `maxBatchSize`). */
  getMany(keys: readonly string[]): Promise<(TierEntry | undefined)[]> {
    if (this.closed) return Promise.reject(new ClosedError(`RedisTier ${this.name}`));
    if (!this.breaker.allow()) {
      this.rec.skipped += keys.length;
      return Promise.reject(this.unavailable);
    }
    return Promise.all(this.reads.loadMany(keys));
  }

  /**
   * Stores `value` for `ttlMs` (Infinity = no expiry) with `SET key env PX ttl`.
   * @example await tier.set('user:1', user, 60_000);
   */
  set(key: string, value: unknown, ttlMs: number): Promise<void> {
    let bytes: Buffer;
    try {
      const expiresAt = ttlMs === Infinity ? Infinity : Date.now() + ttlMs;
      bytes = wrapEnvelope(expiresAt, this.serializer.serialize(value));
    } catch (err) {
      this.rec.errors++;
      return Promise.reject(err);
    }
    const args: Arg[] = ttlMs === Infinity ? ['SET', this.keyPrefix + key, bytes] : ['SET', this.keyPrefix + key, bytes, 'PX', String(Math.max(1, Math.ceil(ttlMs)))];
    return this.write(args);
  }

  /** Removes `key` (`DEL`). @example await tier.delete('user:1'); */
  delete(key: string): Promise<void> {
    return this.write(['DEL', this.keyPrefix + key]);
  }

  /** Publishes `key` on the invalidation channel (keys only). @example await tier.publishInvalidation('user:1'); */
  publishInvalidation(key: string): Promise<void> {
    return this.write(['PUBLISH', this.invalidationChannel, this.originId + key]);
  }

  /**
   * Subscribes to other nodes' invalidations on a second connection.
   * `handler.onResync` runs each time that connection becomes ready (first
   * connect and every reconnect). Rejects with a timeout if Redis is unreachable for
   * `connectTimeoutMs`; the subscription then completes in the background
   * once Redis answers.
   * @example await tier.subscribeInvalidations({ onKey: (k) => l1.delete(k), onResync: () => l1.clear() });
   */
  async subscribeInvalidations(handler: InvalidationHandler): Promise<void> {
    if (this.closed) throw new ClosedError(`RedisTier ${this.name}`);
    if (this.subscriber !== null) throw new InvalidArgumentError(`RedisTier ${this.name} already has an invalidation subscriber`);
    const sub = this.makeClient(false);
    this.subscriber = sub;
    sub.on('error', this.onClientError);
    sub.on('ready', () => {
      this.resyncs++;
      handler.onResync();
    });
    const origin = this.originId;
    const listener = (message: string): void => {
      if (message.startsWith(origin)) return;
      this.invalidationsReceived++;
      handler.onKey(message.slice(ORIGIN_LENGTH));
    };
    // connect() keeps retrying until Redis answers, and SUBSCRIBE waits in the offline queue meanwhile:
    // if the timeout below fires, the subscription still completes in the background.
    const connecting = sub.connect();
    const subscribing = sub.subscribe(this.invalidationChannel, listener);
    connecting.catch(() => {});
    subscribing.catch(() => {});
    await withTimeout(Promise.all([connecting, subscribing]), this.connectTimeoutMs, this.name, 'SUBSCRIBE');
  }

  /** Counters, latency of each round trip, breaker state, connection errors and reconnects. */
  stats(): TierStats & { connectionErrors: number; reconnects: number; invalidationsReceived: number; resyncs: number; isReady: boolean } {
    return {
      ...this.rec.snapshot(this.breaker.stats()),
      connectionErrors: this.connectionErrors,
      reconnects: this.reconnects,
      invalidationsReceived: this.invalidationsReceived,
      resyncs: this.resyncs,
      isReady: this.client.isReady,
    };
  }

  /**
   * Flushes queued writes and closes both connections. Safe to call twice.
   * @example await tier.close();
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.reads.close(), this.writes.close()]);
    await Promise.all([closeClient(this.client, this.commandTimeoutMs), this.subscriber === null ? undefined : closeClient(this.subscriber, this.commandTimeoutMs)]);
  }

  private write(args: Arg[]): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError(`RedisTier ${this.name}`));
    if (!this.breaker.allow()) {
      this.rec.skipped++;
      return Promise.reject(this.unavailable);
    }
    return this.writes.load(args);
  }

  /** `sendCommand`, with a synchronous throw (client not open) turned into a rejection. */
  private send<T>(args: Arg[]): Promise<T> {
    try {
      return this.client.sendCommand<T>(args);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** One MGET for a batch of keys; decodes envelopes into entries. */
  private readonly readBatch = async (keys: string[]): Promise<(TierEntry | undefined | Error)[]> => {
    const n = keys.length;
    const args = new Array<string>(n + 1);
    args[0] = 'MGET';
    const prefix = this.keyPrefix;
    for (let i = 0; i < n; i++) args[i + 1] = prefix + keys[i]!;
    const t0 = performance.now();
    let replies: (Buffer | null)[];
    try {
      replies = await withTimeout(this.send<(Buffer | null)[]>(args), this.commandTimeoutMs, this.name, 'MGET');
    } catch (err) {
      this.breaker.failure();
      this.rec.error(err);
      throw err;
    }
    this.breaker.success();
    this.rec.latency(t0);
    const now = Date.now();
    const out = new Array<TierEntry | undefined | Error>(n);
    for (let i = 0; i < n; i++) {
      const b = replies[i];
      if (b === null || b === undefined) {
        this.rec.misses++;
        out[i] = undefined;
        continue;
      }
      const expiresAt = envelopeExpiry(b);
      const ttlMs = expiresAt - now;
      if (!(ttlMs > 0)) {
        // expired by the writer's clock (skew) or not an envelope: a miss
        this.rec.misses++;
        out[i] = undefined;
        continue;
      }
      try {
        out[i] = { value: this.serializer.deserialize(envelopePayload(b)), ttlMs };
        this.rec.hits++;
      } catch (err) {
        this.rec.errors++;
        out[i] = err instanceof Error ? err : new Error(String(err));
      }
    }
    return out;
  };

  /** Sends a batch of write commands in one pipeline; one timer for all replies. */
  private readonly writeBatch = async (cmds: Arg[][]): Promise<(undefined | Error)[]> => {
    const n = cmds.length;
    const replies = new Array<Promise<undefined | Error>>(n);
    for (let i = 0; i < n; i++) replies[i] = this.send(cmds[i]!).then(ok, asError);
    const t0 = performance.now();
    let out: (undefined | Error)[];
    try {
      out = await withTimeout(Promise.all(replies), this.commandTimeoutMs, this.name, 'write pipeline');
    } catch (err) {
      this.breaker.failure();
      this.rec.error(err);
      throw err;
    }
    this.rec.latency(t0);
    let failed = 0;
    for (let i = 0; i < n; i++) {
      if (out[i] === undefined) this.rec.writes++;
      else {
        failed++;
        this.rec.errors++;
      }
    }
    if (failed === n) this.breaker.failure();
    else this.breaker.success();
    return out;
  };
}

function ok(): undefined {
  return undefined;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

async function closeClient(client: Client, timeoutMs: number): Promise<void> {
  if (!client.isOpen) return;
  if (!client.isReady) {
    client.destroy();
    return;
  }
  try {
    await withTimeout(client.close(), Math.max(timeoutMs, 1000), 'redis', 'close');
  } catch {
    client.destroy();
  }
}
