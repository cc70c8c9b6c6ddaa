/**
 * RedisTier: the shared tier (L2) of a {@link MultiLevelCache}, over
 * node-redis (`redis` package), plus the pub/sub invalidation bus.
 *
 * Reads. Concurrent `get`s are coalesced by an {@link AsyncBatcher} (one
 * batch per tick, at most `maxBatchSize` keys) into one `MGET`. Each value is
 * an envelope (see serializer.ts): an 8-byte absolute expiry, the namespace
 * generation it was written in, and the serialized payload, so the one `MGET`
 * yields the remaining TTL used to promote a hit, with no `PTTL` round trip.
 * The same MGET also reads the namespace's generation key, so a value written
 * before an `invalidateAll()` is a miss. Redis's own `PX` expiry is the
 * authority; the envelope only computes what is left.
 *
 * Writes. `set` and `delete` are small Lua scripts (EVALSHA, loaded once per
 * connection, EVAL when Redis has lost them), and with `{ publish: true }` the
 * same script also PUBLISHes the key: one command, one reply, one deadline for
 * the write and its invalidation. Commands issued in the same tick go out as
 * one pipeline (not a MULTI) and wait for their replies under a single timer.
 *
 * Deletes leave tombstones, and writes carry versions. A delete stores a
 * small tombstone (`\0T<version>`, kept `tombstoneTtlMs`) instead of removing
 * the key; a set is refused when the key holds a tombstone at least as new as
 * the set's version. Versions come from this instance's clock: `Date.now() *
 * 256`, kept strictly increasing. So a SET that timed out in a stalled Redis
 * and is executed late (after the caller moved on and deleted the key) cannot
 * bring the key back. Only deletes are compared with writes: a set never
 * refuses a set (last applied wins), so clock skew between nodes can cost a
 * miss (a set refused by a tombstone that is "newer" only by the skew), never
 * a stale value. Reads see a tombstone as a miss. A promotion from a lower
 * tier (`promote`) is `SET ... NX`: it never replaces a value or a tombstone.
 *
 * Failure handling. The client runs with `disableOfflineQueue` (a command
 * issued while disconnected fails at once instead of waiting for a
 * reconnect) and an `'error'` listener (errors are counted, never thrown at
 * the process). Every round trip races a `commandTimeoutMs` timer
 * (node-redis's own per-command timeout only covers the wait to be written,
 * not the wait for the reply). Results feed a {@link CircuitBreaker}: after
 * `failureThreshold` failed round trips in a row the tier is skipped
 * (operations reject at once with {@link TierUnavailableError}, counted as
 * `skipped`) for `openMs`, then one probe decides; a connection that becomes
 * ready again ends the open period at once (`probeNow`). Every rejection is a
 * typed error (TierTimeoutError, TierUnavailableError with the node-redis
 * error as its cause, or an argument error). The cache turns any rejection
 * into a miss, and remembers failed writes to replay them.
 *
 * Reconnecting. node-redis's own reconnect loop sleeps on a timer nobody can
 * clear, which kept a closed process alive for up to `reconnectMaxDelayMs`;
 * so each client runs with node-redis reconnection off, and this tier
 * reconnects it itself: 20, 40, 80 ... ms, capped at `reconnectMaxDelayMs`,
 * on an unref'd timer that `close()` clears.
 *
 * Invalidation. `subscribeInvalidations` opens a second client (a subscribed
 * connection cannot send other commands) on `invalidationChannel`. A message
 * is `<origin id><type><key>`: the 16-character origin lets a node ignore its
 * own messages, the type is `k` for one key or `*` for everything (after
 * `invalidateAll`); values never travel. After a reconnect node-redis
 * resubscribes before the connection is ready; since messages sent while the
 * subscriber was away are lost, every time it becomes ready and subscribed
 * (the first time included: it may come late) `onResync` runs and the cache
 * clears its L1.
 *
 * Shutdown order: close both batchers (queued writes are flushed), then close
 * the clients (gracefully when connected, destroyed otherwise) and clear the
 * reconnect timers.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createClient, RESP_TYPES } from 'redis';
import { AsyncBatcher } from '../concurrency/async-batcher.ts';
import { BlackholeError, ClosedError, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { checkArray, checkFunction, checkNumber, checkOptions, checkString, optionalBoolean } from '../validate.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { checkSerializer, envelopeExpiry, envelopeGeneration, envelopePayload, tombstone, v8Serializer, wrapEnvelope, type Serializer } from './serializer.ts';
import {
  TierStatsRecorder,
  TierUnavailableError,
  withTimeout,
  type CacheTier,
  type InvalidationHandler,
  type TierEntry,
  type TierStats,
  type TierWriteOptions,
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
  /** Consecutive failed round trips that open the circuit, integer 1 to 2^31 - 1. Default 3. */
  failureThreshold?: number;
  /** How long an open circuit skips Redis before one probe, ms, integer 1 to 2^31 - 1. Default 500. */
  openMs?: number;
  /** Most keys per MGET (and commands per write pipeline), integer 1 to 10 000. Default 100. */
  maxBatchSize?: number;
  /** Pub/sub channel of invalidations. Default 'bh:cache:invalidate'. */
  invalidationChannel?: string;
  /** How long a delete's tombstone stays in Redis (refusing older writes), ms, integer 1 to 2^31 - 1. Default 30 000. */
  tombstoneTtlMs?: number;
  /** Monotonic clock of the circuit breaker, ms (for tests). Default `performance.now`. */
  now?: () => number;
}

/** What `RedisTier.stats()` returns. @example tier.stats().breaker?.state */
export interface RedisTierStats extends TierStats {
  /** 'error' events of both clients. */
  connectionErrors: number;
  /** Reconnect attempts after a lost or failed connection. */
  reconnects: number;
  /** Invalidations received from other nodes (keys, and invalidate-all messages). */
  invalidationsReceived: number;
  /** Times the subscriber became ready and subscribed (the first time included). */
  resyncs: number;
  /** Writes refused because the key holds a newer delete's tombstone. */
  refused: number;
  /** The namespace generation last seen (raised by `invalidateAll`). */
  generation: number;
  /** Whether the data client is connected and ready. */
  isReady: boolean;
}

type Client = ReturnType<typeof createClient>;
type Arg = string | Buffer;

const ORIGIN_LENGTH = 16;
const MSG_KEY = 'k';
const MSG_ALL = '*';
/** Reserved key of a namespace's generation, after the prefix (a user key with this name would collide). */
const GENERATION_KEY = '\u0000bh:generation';

// KEYS[1] key, KEYS[2] generation key; ARGV[1] version, ARGV[2] envelope, ARGV[3] PX ms ('' = none),
// ARGV[4] channel ('' = no publish), ARGV[5] message. Returns { applied (1/0), generation }.
const SET_SCRIPT = `
local head = redis.call('GETRANGE', KEYS[1], 0, 31)
local applied = 1
if string.byte(head, 1) == 0 then
  local tv = tonumber(string.sub(head, 3))
  if tv and tv >= tonumber(ARGV[1]) then applied = 0 end
end
if applied == 1 then
  if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return { applied, tonumber(redis.call('GET', KEYS[2]) or '0') }
`;

// KEYS[1] key; ARGV[1] version, ARGV[2] tombstone, ARGV[3] its PX ms, ARGV[4] channel ('' = none), ARGV[5] message.
// A newer tombstone is kept (an older delete must not lower its version). Returns 1.
const DELETE_SCRIPT = `
local head = redis.call('GETRANGE', KEYS[1], 0, 31)
local keep = false
if string.byte(head, 1) == 0 then
  local tv = tonumber(string.sub(head, 3))
  if tv and tv >= tonumber(ARGV[1]) then keep = true end
end
if not keep then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
return 1
`;

// KEYS[1] generation key; ARGV[1] channel ('' = none), ARGV[2] message. Returns the new generation.
const BUMP_SCRIPT = `
local g = redis.call('INCR', KEYS[1])
if ARGV[1] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return g
`;

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');
const SCRIPTS = [SET_SCRIPT, DELETE_SCRIPT, BUMP_SCRIPT];
const SHA: Record<string, string> = { [SET_SCRIPT]: sha1(SET_SCRIPT), [DELETE_SCRIPT]: sha1(DELETE_SCRIPT), [BUMP_SCRIPT]: sha1(BUMP_SCRIPT) };
const SCRIPT_OF_SHA = new Map<string, string>(SCRIPTS.map((s) => [SHA[s]!, s]));

/** Turns anything node-redis rejects with into a typed error naming the tier. */
function typed(tier: string, err: unknown): Error {
  if (err instanceof BlackholeError || err instanceof InvalidArgumentError || err instanceof OutOfRangeError) return err;
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new TierUnavailableError(tier, `Redis: ${msg}`, { cause: err });
}

/**
 * One node-redis client and its reconnect loop (node-redis's own is off: its
 * back-off sleep cannot be cleared by close()). `onReady` runs each time the
 * connection becomes ready.
 */
class Link {
  readonly client: Client;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempts = 0;
  private closed = false;
  private started = false;
  private readonly readyWaiters: (() => void)[] = [];

  constructor(
    url: string,
    connectTimeoutMs: number,
    private readonly capMs: number,
    private readonly onReady: () => void,
    onError: () => void,
    private readonly onReconnect: () => void,
  ) {
    this.client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout: connectTimeoutMs, reconnectStrategy: false },
      commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } },
    }) as unknown as Client;
    this.client.on('error', onError);
    this.client.on('ready', this.ready);
    // reconnectStrategy false: a lost connection ends the client ('terminated'); the loop below starts it again
    this.client.on('terminated', this.retry);
  }

  get isReady(): boolean {
    return this.client.isReady;
  }

  /** Starts connecting (once); resolves when the connection is first ready. */
  start(): Promise<void> {
    const p = this.client.isReady ? Promise.resolve() : new Promise<void>((r) => this.readyWaiters.push(r));
    if (!this.started) {
      this.started = true;
      this.attempt();
    }
    return p;
  }

  private readonly ready = (): void => {
    this.attempts = 0;
    for (const r of this.readyWaiters.splice(0)) r();
    if (!this.closed) this.onReady();
  };

  private readonly attempt = (): void => {
    this.timer = null;
    if (this.closed || this.client.isOpen) return;
    this.client.connect().then(undefined, this.retry);
  };

  private readonly retry = (): void => {
    if (this.closed || this.timer !== null) return;
    const delay = Math.min(20 * 2 ** Math.min(this.attempts, 16), this.capMs);
    this.attempts++;
    this.onReconnect();
    this.timer = setTimeout(this.attempt, delay);
    this.timer.unref();
  };

  /** Stops reconnecting and closes the client (gracefully when ready, within `timeoutMs`; destroyed otherwise). */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const client = this.client;
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
}

/**
 * The Redis tier: batched MGET reads, pipelined script writes with versions
 * and tombstones, a command timeout, a circuit breaker and pub/sub invalidation.
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
  /** How long a delete's tombstone stays, ms. */
  readonly tombstoneTtlMs: number;
  private readonly url: string;
  private readonly serializer: Serializer;
  private readonly connectTimeoutMs: number;
  private readonly reconnectMaxDelayMs: number;
  private readonly generationKey: string;
  private readonly data: Link;
  private subscriber: Link | null = null;
  private readonly breaker: CircuitBreaker;
  private readonly rec: TierStatsRecorder;
  private readonly reads: AsyncBatcher<string, TierEntry | undefined>;
  private readonly writes: AsyncBatcher<Arg[], unknown>;
  private readonly unavailable: TierUnavailableError;
  private readonly messageKeyPrefix: string;
  private closed = false;
  private lastVersion = 0;
  private generation = 0;
  private connectionErrors = 0;
  private reconnects = 0;
  private invalidationsReceived = 0;
  private resyncs = 0;
  private refused = 0;

  constructor(options?: RedisTierOptions) {
    const o = checkOptions('RedisTier', 'options', options);
    const str = (option: string, v: unknown, fallback: string, nonEmpty: boolean): string => (v === undefined ? fallback : checkString('RedisTier', option, v, { nonEmpty }));
    const int = (option: string, v: unknown, fallback: number, min: number, max: number): number =>
      v === undefined ? fallback : checkNumber('RedisTier', option, v, { integer: true, min, max });
    this.name = str('name', o.name, 'redis', true);
    this.url = str('url', o.url, 'redis://127.0.0.1:6379', true);
    if (!/^rediss?:\/\//.test(this.url)) throw new InvalidArgumentError(`RedisTier url must be a redis:// or rediss:// URL, got ${describe(this.url)}`);
    this.keyPrefix = str('keyPrefix', o.keyPrefix, '', false);
    this.invalidationChannel = str('invalidationChannel', o.invalidationChannel, 'bh:cache:invalidate', true);
    this.serializer = checkSerializer('RedisTier', o.serializer ?? v8Serializer);
    this.commandTimeoutMs = int('commandTimeoutMs', o.commandTimeoutMs, 100, 1, 60_000);
    this.connectTimeoutMs = int('connectTimeoutMs', o.connectTimeoutMs, 2000, 1, 600_000);
    this.reconnectMaxDelayMs = int('reconnectMaxDelayMs', o.reconnectMaxDelayMs, 500, 1, 60_000);
    this.tombstoneTtlMs = int('tombstoneTtlMs', o.tombstoneTtlMs, 30_000, 1, 2 ** 31 - 1);
    const maxBatchSize = int('maxBatchSize', o.maxBatchSize, 100, 1, 10_000);
    const failureThreshold = int('failureThreshold', o.failureThreshold, 3, 1, 2 ** 31 - 1);
    const openMs = int('openMs', o.openMs, 500, 1, 2 ** 31 - 1);
    const now = o.now === undefined ? undefined : checkFunction<() => number>('RedisTier', 'now', o.now);
    this.breaker = new CircuitBreaker({ name: `RedisTier ${this.name} breaker`, failureThreshold, openMs, ...(now === undefined ? {} : { now }) });
    this.rec = new TierStatsRecorder(this.name);
    this.originId = randomBytes(ORIGIN_LENGTH / 2).toString('hex');
    this.messageKeyPrefix = this.originId + MSG_KEY;
    this.generationKey = this.keyPrefix + GENERATION_KEY;
    this.unavailable = new TierUnavailableError(this.name, 'circuit open (Redis failing; skipped until a probe succeeds)');
    this.data = new Link(this.url, this.connectTimeoutMs, this.reconnectMaxDelayMs, this.onDataReady, this.onClientError, this.onReconnecting);
    this.reads = new AsyncBatcher<string, TierEntry | undefined>(this.readBatch, {
      name: `RedisTier ${this.name} reads`,
      maxBatchSize,
      maxWaitMs: 0,
      maxConcurrentBatches: Infinity,
      maxQueue: Infinity,
    });
    this.writes = new AsyncBatcher<Arg[], unknown>(this.writeBatch, {
      name: `RedisTier ${this.name} writes`,
      maxBatchSize,
      maxWaitMs: 0,
      maxConcurrentBatches: Infinity,
      maxQueue: Infinity,
    });
  }

  private readonly onClientError = (): void => {
    this.connectionErrors++;
  };

  private readonly onReconnecting = (): void => {
    this.reconnects++;
  };

  /**
   * The data connection is (again) ready: load the scripts and read the
   * namespace generation first on it (ahead of any other command, so a write
   * right after a reconnect finds its script), and end an open circuit at once.
   */
  private readonly onDataReady = (): void => {
    for (const s of SCRIPTS) this.send(['SCRIPT', 'LOAD', s]).catch(noop);
    this.send<Buffer | null>(['GET', this.generationKey]).then((g) => {
      if (g !== null && g !== undefined) this.seeGeneration(Number(g.toString()));
    }, noop);
    this.breaker.probeNow();
  };

  /**
   * Connects the client. Rejects with a timeout if Redis does not answer
   * within `connectTimeoutMs`; the client keeps retrying in the background and
   * the tier starts working once Redis is reachable.
   * @example await tier.connect();
   */
  async connect(): Promise<void> {
    if (this.closed) throw new ClosedError(`RedisTier ${this.name}`);
    await withTimeout(this.data.start(), this.connectTimeoutMs, this.name, 'connect');
  }

  /** Whether the client is connected and ready for commands. */
  get isReady(): boolean {
    return this.data.isReady;
  }

  private keyError(method: string, key: unknown): InvalidArgumentError {
    return new InvalidArgumentError(`RedisTier ${this.name} ${method} key must be a string, got ${describe(key)}`);
  }

  /**
   * The value and remaining TTL of `key`, via a batched MGET. Rejects on
   * failure, on timeout, or at once (with {@link TierUnavailableError}) while
   * the circuit is open.
   * @example const entry = await tier.get('user:1'); // { value, ttlMs } | undefined
   */
  get(key: string): Promise<TierEntry | undefined> {
    if (typeof key !== 'string') return Promise.reject(this.keyError('get', key));
    if (this.closed) return Promise.reject(new ClosedError(`RedisTier ${this.name}`));
    if (!this.breaker.allow()) {
      this.rec.skipped++;
      return Promise.reject(this.unavailable);
    }
    return this.reads.load(key);
  }

  /** Several keys in one MGET (or more, past `maxBatchSize`). @example const [a, b] = await tier.getMany(['a', 'b']); */
  getMany(keys: readonly string[]): Promise<(TierEntry | undefined)[]> {
    let list: string[];
    try {
      list = checkArray<string>(`RedisTier ${this.name}`, 'getMany keys', keys);
      for (const k of list) if (typeof k !== 'string') throw this.keyError('getMany', k);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.closed) return Promise.reject(new ClosedError(`RedisTier ${this.name}`));
    if (list.length === 0) return Promise.resolve([]);
    if (!this.breaker.allow()) {
      this.rec.skipped += list.length;
      return Promise.reject(this.unavailable);
    }
    return Promise.all(this.reads.loadMany(list));
  }

  /** A version newer than every one this instance issued before (its wall clock, 256 per ms). */
  private nextVersion(): number {
    const v = Math.max(Date.now() * 256, this.lastVersion + 1);
    this.lastVersion = v;
    return v;
  }

  private checkTtl(method: string, ttlMs: unknown): number {
    return checkNumber(`RedisTier ${this.name}`, `${method} ttlMs`, ttlMs, { min: 0, minExclusive: true, max: 2 ** 40, allowInfinity: true });
  }

  private publishFlag(method: string, options: TierWriteOptions | undefined): boolean {
    const o = checkOptions(`RedisTier ${this.name}`, `${method} options`, options);
    return optionalBoolean(`RedisTier ${this.name}`, `${method} options.publish`, o.publish, false);
  }

  private envelope(value: unknown, ttlMs: number): Buffer {
    const expiresAt = ttlMs === Infinity ? Infinity : Date.now() + ttlMs;
    let payload: Buffer;
    try {
      payload = this.serializer.serialize(value);
    } catch (err) {
      throw new InvalidArgumentError(`RedisTier ${this.name} serializer could not serialize the value: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!Buffer.isBuffer(payload)) throw new InvalidArgumentError(`RedisTier ${this.name} serializer must return a Buffer, got ${describe(payload)}`);
    return wrapEnvelope(expiresAt, this.generation, payload);
  }

  /**
   * Stores `value` for `ttlMs` (Infinity = no expiry), unless the key holds a
   * newer delete's tombstone (then the write is refused, counted in
   * `refused`, and resolves). With `{ publish: true }` the key is also
   * published on the invalidation channel by the same command.
   * @example await tier.set('user:1', user, 60_000, { publish: true });
   */
  set(key: string, value: unknown, ttlMs: number, options?: TierWriteOptions): Promise<void> {
    let args: Arg[];
    try {
      if (typeof key !== 'string') throw this.keyError('set', key);
      const ttl = this.checkTtl('set', ttlMs);
      const publish = this.publishFlag('set', options);
      const bytes = this.envelope(value, ttl);
      args = [
        'EVALSHA',
        SHA[SET_SCRIPT]!,
        '2',
        this.keyPrefix + key,
        this.generationKey,
        String(this.nextVersion()),
        bytes,
        ttl === Infinity ? '' : String(Math.max(1, Math.ceil(ttl))),
        publish ? this.invalidationChannel : '',
        publish ? this.messageKeyPrefix + key : '',
      ];
    } catch (err) {
      if (!(err instanceof InvalidArgumentError || err instanceof OutOfRangeError)) this.rec.errors++;
      return Promise.reject(err);
    }
    return this.write(args).then(this.onSetReply);
  }

  private readonly onSetReply = (reply: unknown): void => {
    if (Array.isArray(reply)) {
      if (reply[0] === 0) this.refused++;
      this.seeGeneration(Number(reply[1]));
    }
  };

  private seeGeneration(g: number): void {
    if (g > this.generation) this.generation = g;
  }

  /**
   * Deletes `key`: a tombstone of this delete's version replaces it for
   * `tombstoneTtlMs` (a miss for readers; older writes are refused). With
   * `{ publish: true }` the key is also published by the same command.
   * @example await tier.delete('user:1', { publish: true });
   */
  delete(key: string, options?: TierWriteOptions): Promise<void> {
    let args: Arg[];
    try {
      if (typeof key !== 'string') throw this.keyError('delete', key);
      const publish = this.publishFlag('delete', options);
      const version = this.nextVersion();
      args = [
        'EVALSHA',
        SHA[DELETE_SCRIPT]!,
        '1',
        this.keyPrefix + key,
        String(version),
        tombstone(version),
        String(this.tombstoneTtlMs),
        publish ? this.invalidationChannel : '',
        publish ? this.messageKeyPrefix + key : '',
      ];
    } catch (err) {
      return Promise.reject(err);
    }
    return this.write(args).then(noop);
  }

  /**
   * Stores a copy read from a lower tier, only if Redis has nothing for the
   * key (no value, no tombstone): `SET ... NX`. A promotion never overwrites.
   * @example await tier.promote('blob:1', bytes, 30_000);
   */
  promote(key: string, value: unknown, ttlMs: number): Promise<void> {
    let args: Arg[];
    try {
      if (typeof key !== 'string') throw this.keyError('promote', key);
      const ttl = this.checkTtl('promote', ttlMs);
      const bytes = this.envelope(value, ttl);
      args = ttl === Infinity ? ['SET', this.keyPrefix + key, bytes, 'NX'] : ['SET', this.keyPrefix + key, bytes, 'PX', String(Math.max(1, Math.ceil(ttl))), 'NX'];
    } catch (err) {
      if (!(err instanceof InvalidArgumentError || err instanceof OutOfRangeError)) this.rec.errors++;
      return Promise.reject(err);
    }
    return this.write(args).then(noop);
  }

  /**
   * Invalidates every value of this key prefix at once, on every node: the
   * namespace generation is raised (values written before are misses from
   * now on, and expire by their TTL) and an invalidate-all message makes
   * every subscribed node clear its L1. The cache uses it when its replay
   * queue overflowed (it no longer knows which keys it failed to write).
   * @example await tier.invalidateAll();
   */
  invalidateAll(): Promise<void> {
    const args: Arg[] = ['EVALSHA', SHA[BUMP_SCRIPT]!, '1', this.generationKey, this.invalidationChannel, this.originId + MSG_ALL];
    return this.write(args).then((g) => this.seeGeneration(Number(g)));
  }

  /** Publishes `key` on the invalidation channel (keys only). @example await tier.publishInvalidation('user:1'); */
  publishInvalidation(key: string): Promise<void> {
    if (typeof key !== 'string') return Promise.reject(this.keyError('publishInvalidation', key));
    return this.write(['PUBLISH', this.invalidationChannel, this.messageKeyPrefix + key]).then(noop);
  }

  /**
   * Subscribes to other nodes' invalidations on a second connection.
   * `handler.onResync` runs each time that connection becomes ready and
   * subscribed (first connect and every reconnect), and when another node
   * invalidates everything. Rejects with a timeout if Redis is unreachable
   * for `connectTimeoutMs`; the subscription then completes in the
   * background once Redis answers.
   * @example await tier.subscribeInvalidations({ onKey: (k) => l1.delete(k), onResync: () => l1.clear() });
   */
  async subscribeInvalidations(handler: InvalidationHandler): Promise<void> {
    const component = `RedisTier ${this.name} subscribeInvalidations`;
    const h = checkOptions(component, 'handler', handler as InvalidationHandler | undefined);
    if (handler === undefined) throw new InvalidArgumentError(`${component} handler must be an object with onKey(key) and onResync() methods, got undefined`);
    const onKey = checkFunction<(k: string) => void>(component, 'handler.onKey', h.onKey);
    const onResync = checkFunction<() => void>(component, 'handler.onResync', h.onResync);
    if (this.closed) throw new ClosedError(`RedisTier ${this.name}`);
    if (this.subscriber !== null) throw new InvalidArgumentError(`${component}: this tier already has an invalidation subscriber`);
    const origin = this.originId;
    const listener = (message: Buffer | string): void => {
      const m = typeof message === 'string' ? message : message.toString();
      if (m.startsWith(origin)) return;
      this.invalidationsReceived++;
      if (m.charAt(ORIGIN_LENGTH) === MSG_ALL) onResync.call(h);
      else onKey.call(h, m.slice(ORIGIN_LENGTH + 1));
    };
    let subscribed = false;
    let subscribing: Promise<void> | null = null;
    let resolveFirst!: () => void;
    const first = new Promise<void>((r) => (resolveFirst = r));
    const onReady = (): void => {
      if (subscribed) {
        // node-redis resubscribed before 'ready': messages sent while away are lost, drop everything local
        this.resyncs++;
        onResync.call(h);
        return;
      }
      if (subscribing !== null) return;
      subscribing = sub.client.subscribe(this.invalidationChannel, listener).then(
        () => {
          subscribing = null;
          if (this.closed) return;
          subscribed = true;
          this.resyncs++;
          onResync.call(h); // the first subscription may come late: anything stored before is unvouched
          resolveFirst();
        },
        () => {
          subscribing = null; // the connection dropped before SUBSCRIBE answered: the next ready retries
        },
      );
    };
    const sub = new Link(this.url, this.connectTimeoutMs, this.reconnectMaxDelayMs, onReady, this.onClientError, this.onReconnecting);
    this.subscriber = sub;
    void sub.start();
    await withTimeout(first, this.connectTimeoutMs, this.name, 'SUBSCRIBE');
  }

  /** Counters, latency of each round trip, breaker state, connection errors, reconnects, refused writes, generation. */
  stats(): RedisTierStats {
    return {
      ...this.rec.snapshot(this.breaker.stats()),
      connectionErrors: this.connectionErrors,
      reconnects: this.reconnects,
      invalidationsReceived: this.invalidationsReceived,
      resyncs: this.resyncs,
      refused: this.refused,
      generation: this.generation,
      isReady: this.data.isReady,
    };
  }

  /**
   * Flushes queued writes, closes both connections and stops reconnecting
   * (no timer is left behind). Safe to call twice.
   * @example await tier.close();
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.reads.close(), this.writes.close()]);
    await Promise.all([this.data.close(this.commandTimeoutMs), this.subscriber?.close(this.commandTimeoutMs)]);
  }

  private write(args: Arg[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new ClosedError(`RedisTier ${this.name}`));
    if (!this.breaker.allow()) {
      this.rec.skipped++;
      return Promise.reject(this.unavailable);
    }
    return this.writes.load(args);
  }

  /** `sendCommand`, with a synchronous throw turned into a rejection. */
  private send<T>(args: Arg[]): Promise<T> {
    try {
      return this.data.client.sendCommand<T>(args);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** One MGET for a batch of keys (and the generation key); decodes envelopes into entries. */
  private readonly readBatch = async (keys: string[]): Promise<(TierEntry | undefined | Error)[]> => {
    const n = keys.length;
    const args = new Array<string>(n + 2);
    args[0] = 'MGET';
    args[1] = this.generationKey;
    const prefix = this.keyPrefix;
    for (let i = 0; i < n; i++) args[i + 2] = prefix + keys[i]!;
    const t0 = performance.now();
    let replies: (Buffer | null)[];
    try {
      replies = await withTimeout(this.send<(Buffer | null)[]>(args), this.commandTimeoutMs, this.name, 'MGET');
    } catch (err) {
      this.breaker.failure();
      const e = typed(this.name, err);
      this.rec.error(e);
      throw e;
    }
    this.breaker.success();
    this.rec.latency(t0);
    const g = replies[0];
    const generation = g === null || g === undefined ? 0 : Number(g.toString());
    this.seeGeneration(generation);
    const now = Date.now();
    const out = new Array<TierEntry | undefined | Error>(n);
    for (let i = 0; i < n; i++) {
      const b = replies[i + 1];
      if (b === null || b === undefined) {
        this.rec.misses++;
        out[i] = undefined;
        continue;
      }
      const ttlMs = envelopeExpiry(b) - now;
      // not an envelope (a tombstone, foreign bytes), expired by the writer's clock (skew), or written before invalidateAll: a miss
      if (!(ttlMs > 0) || envelopeGeneration(b) < generation) {
        this.rec.misses++;
        out[i] = undefined;
        continue;
      }
      try {
        out[i] = { value: this.serializer.deserialize(envelopePayload(b)), ttlMs };
        this.rec.hits++;
      } catch (err) {
        this.rec.errors++;
        out[i] = new InvalidArgumentError(`RedisTier ${this.name} serializer could not deserialize "${keys[i]}": ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return out;
  };

  /**
   * Sends a batch of write commands in one pipeline; one timer for all
   * replies. A script Redis has lost (restart, SCRIPT FLUSH) answers
   * NOSCRIPT and is sent again with EVAL inside the same deadline.
   */
  private readonly writeBatch = async (cmds: Arg[][]): Promise<unknown[]> => {
    const n = cmds.length;
    const t0 = performance.now();
    const run = async (): Promise<unknown[]> => {
      const replies = new Array<Promise<unknown>>(n);
      for (let i = 0; i < n; i++) replies[i] = this.send(cmds[i]!).catch(asError);
      const out = await Promise.all(replies);
      let again: number[] | null = null;
      for (let i = 0; i < n; i++) {
        const r = out[i];
        if (r instanceof Error && r.message.startsWith('NOSCRIPT') && cmds[i]![0] === 'EVALSHA') (again ??= []).push(i);
      }
      if (again !== null) {
        const retried = await Promise.all(again.map((i) => this.send(['EVAL', SCRIPT_OF_SHA.get(cmds[i]![1] as string)!, ...cmds[i]!.slice(2)]).catch(asError)));
        again.forEach((i, j) => (out[i] = retried[j]));
      }
      return out;
    };
    let out: unknown[];
    try {
      out = await withTimeout(run(), this.commandTimeoutMs, this.name, 'write pipeline');
    } catch (err) {
      this.breaker.failure();
      const e = typed(this.name, err);
      this.rec.error(e);
      throw e;
    }
    this.rec.latency(t0);
    let failed = 0;
    for (let i = 0; i < n; i++) {
      const r = out[i];
      if (r instanceof Error) {
        failed++;
        this.rec.errors++;
        out[i] = typed(this.name, r);
      } else this.rec.writes++;
    }
    if (failed === n) this.breaker.failure();
    else this.breaker.success();
    return out;
  };
}

function noop(): void {}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
