/**
 * SmartBatcher: an adaptive batcher that sizes its batches to hold a target
 * latency per batch, with a bounded queue and back-pressure.
 *
 * Protocol. `add(item)` takes one permit of a {@link Semaphore} sized
 * `maxQueue` (so the queue is bounded) and appends the item to a FIFO queue;
 * when the queue is full, `add` waits for a permit (`onFull: 'wait'`, with an
 * optional timeout or abort signal) or rejects at once with
 * {@link BatchQueueFullError} (`onFull: 'reject'`). The permit is given back
 * when the item's batch is dispatched, so a waiting `add` proceeds as soon as
 * the processor takes work.
 *
 * A batch of up to `batchSize` items is dispatched when (a) `batchSize` items
 * are queued, (b) the oldest queued item has waited `maxDelayMs`, or (c) the
 * batcher is closing; and only while fewer than `maxConcurrentBatches` are in
 * flight (default 1: latency measured with several batches overlapping mixes
 * their costs).
 *
 * Adaptation (AIMD). When a batch completes in latency L:
 *  - L > target: multiplicative decrease, batchSize *= max(decreaseFactor,
 *    target / L), and at least by one. Scaling by target / L lands near the
 *    size that meets the target in one step when latency grows about linearly
 *    with size, instead of halving and climbing back (the sawtooth of plain
 *    AIMD); `decreaseFactor` bounds how far one bad batch can cut.
 *  - L <= target and the batch was full: additive increase by `additiveStep`.
 *    A batch flushed by age says nothing about whether a bigger one would fit,
 *    so it does not grow the size (otherwise idle periods drift to the max).
 *  - A failed batch does not adjust (a fast failure is not a capacity signal).
 * So the size settles in a band just below where latency meets the target.
 *
 * Invariants: every `add` promise settles exactly once (result, its own
 * `Error` result, the batch's failure, a {@link BatchResultError}, a queue or
 * timeout rejection, the signal's reason, or {@link ClosedError}); a failed
 * batch never stalls the queue; after `close()` queued items are still
 * processed and the close promise resolves when the last batch settles.
 * The age timer is `unref()`ed.
 *
 * Bad input. Options are checked once, in the constructor: a plain object
 * with `targetLatencyMs`, every field of the right type and inside its rule
 * (no coercion), `minBatchSize <= initialBatchSize <= maxBatchSize` (a
 * `minBatchSize` above the default `maxBatchSize` is refused, not taken as a
 * new maximum), `maxDelayMs` at most 2^31 - 1 (the longest a Node timer
 * honours). `add` takes any item; its options (undefined or a plain object,
 * `timeoutMs` 0 to 2^31 - 1 or Infinity, `signal` an AbortSignal) are checked
 * with a couple of typeofs before the item takes a queue slot, so a refused
 * `add` queues nothing. Argument errors name the component as `SmartBatcher`
 * (plus the `name` option when one is given), the parameter, the value and the rule.
 */
import { ClosedError, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { Histogram } from '../metrics/histogram.ts';
import { checkFunction, checkNumber, checkOneOf, checkOptions, checkString, optionalNumber, optionalSignal, optionalTimerMs, numberError } from '../validate.ts';
import { BatchQueueFullError, BatchResultError, batcherLabel, type BatchFn, type BatchSeriesSummary } from './async-batcher.ts';
import { Semaphore, type SemaphoreRelease } from './semaphore.ts';

/** Options of {@link SmartBatcher}. @example new SmartBatcher(fn, { targetLatencyMs: 20, maxBatchSize: 500, onFull: 'reject' }) */
export interface SmartBatcherOptions {
  /** Name used in error messages. Default `'SmartBatcher'`. */
  name?: string;
  /** Latency per batch to aim for, ms, > 0. Required. */
  targetLatencyMs: number;
  /** Smallest adaptive batch size, integer >= 1. Default 1. */
  minBatchSize?: number;
  /** Largest adaptive batch size, integer from minBatchSize to 2^24. Default 1000 (a larger minBatchSize needs an explicit maxBatchSize). */
  maxBatchSize?: number;
  /** Starting batch size, from minBatchSize to maxBatchSize. Default minBatchSize. */
  initialBatchSize?: number;
  /** Longest an item waits in the queue before its (possibly short) batch is flushed, ms, integer 0 to 2^31-1. Default 10. */
  maxDelayMs?: number;
  /** Most items queued (not yet dispatched), integer >= 1. Default 10000. */
  maxQueue?: number;
  /** When the queue is full: `'wait'` for room (back-pressure) or `'reject'` with {@link BatchQueueFullError}. Default `'wait'`. */
  onFull?: 'wait' | 'reject';
  /** Most batches in flight, integer >= 1. Default 1. */
  maxConcurrentBatches?: number;
  /** Additive increase per full, on-target batch, integer >= 1. Default 1. */
  additiveStep?: number;
  /** Lowest factor of one multiplicative decrease, in (0, 1). Default 0.5. */
  decreaseFactor?: number;
  /** Clock in ms, for latency and age. Default `performance.now`. */
  now?: () => number;
}

/** Options of {@link SmartBatcher.add}. @example await batcher.add(item, { timeoutMs: 1000 }) */
export interface SmartBatcherAddOptions {
  /** With `onFull: 'wait'`, reject with a `SemaphoreTimeoutError` if no room frees up in time: ms from 0 to 2^31 - 1, or Infinity (the default) to wait as long as it takes. */
  timeoutMs?: number;
  /** With `onFull: 'wait'`, stop waiting for room: rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/**
 * Counters and gauges of a {@link SmartBatcher}, as returned by `stats()`.
 * @example const { batchSize, latencyMs } = batcher.stats();
 */
export interface SmartBatcherStats {
  /** Items accepted into the queue. */
  added: number;
  /** Batches dispatched. */
  batches: number;
  /** Items dispatched. */
  items: number;
  /** Batches that threw, rejected or returned a malformed result. */
  failedBatches: number;
  /** `add` calls rejected because the queue was full (`onFull: 'reject'`). */
  rejectedFull: number;
  /** Items queued, not yet dispatched. */
  queued: number;
  /** `add` calls waiting for room in the queue. */
  waitingAdds: number;
  /** Batches in flight. */
  inFlight: number;
  /** The current adaptive batch size. */
  batchSize: number;
  /** Sizes of dispatched batches. */
  batchSizes: BatchSeriesSummary;
  /** Batch latency, ms (p50/p99 from a histogram, 3 significant digits); `last` is the most recent. */
  latencyMs: BatchSeriesSummary & { p50: number; p99: number; last: number };
}

interface Entry<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (reason: unknown) => void;
  release: SemaphoreRelease;
  at: number;
}

function intFrom(min: number, max: number): { integer: true; min: number; max: number } {
  return { integer: true, min, max };
}

/**
 * Adaptive batcher: grows batches while they finish under `targetLatencyMs`, shrinks them when they do not.
 * @example
 * const writer = new SmartBatcher(async (rows: Row[]) => db.insertMany(rows), { targetLatencyMs: 20, maxBatchSize: 500 });
 * await writer.add(row); // resolves with this row's result
 */
export class SmartBatcher<T, R> {
  /** Name used in error messages. */
  readonly name: string;
  /** Latency per batch aimed for, ms. */
  readonly targetLatencyMs: number;
  /** Smallest adaptive batch size. */
  readonly minBatchSize: number;
  /** Largest adaptive batch size. */
  readonly maxBatchSize: number;
  /** Age flush bound, ms. */
  readonly maxDelayMs: number;
  /** Queue bound. */
  readonly maxQueue: number;
  /** Full-queue policy. */
  readonly onFull: 'wait' | 'reject';
  /** Most batches in flight. */
  readonly maxConcurrentBatches: number;
  private readonly processor: BatchFn<T, R>;
  /** Component named by argument errors. */
  private readonly label: string;
  private readonly additiveStep: number;
  private readonly decreaseFactor: number;
  private readonly now: () => number;
  private readonly slots: Semaphore;
  private size: number;
  private queue: Entry<T, R>[] = [];
  private head = 0;
  private inFlight = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ageDue = false;
  private pumping = false;
  private closed = false;
  private closePromise: Promise<void> | null = null;
  private closeResolve: (() => void) | null = null;
  // stats
  private added = 0;
  private batches = 0;
  private items = 0;
  private failedBatches = 0;
  private rejectedFull = 0;
  private sizeMin = 0;
  private sizeMax = 0;
  private lastLatency = 0;
  private readonly latencyHist: Histogram;

  constructor(processor: BatchFn<T, R>, options: SmartBatcherOptions) {
    const o = checkOptions<SmartBatcherOptions>('SmartBatcher', 'options', options);
    const name = o.name === undefined ? 'SmartBatcher' : checkString('SmartBatcher', 'name', o.name, { nonEmpty: true });
    const label = batcherLabel('SmartBatcher', name);
    this.name = name;
    this.label = label;
    this.processor = checkFunction<BatchFn<T, R>>(label, 'processor', processor);
    this.targetLatencyMs = checkNumber(label, 'targetLatencyMs', o.targetLatencyMs, { min: 0, minExclusive: true, note: '(required)' });
    const min = optionalNumber(label, 'minBatchSize', o.minBatchSize, 1, intFrom(1, 2 ** 24));
    const max = optionalNumber(label, 'maxBatchSize', o.maxBatchSize, 1000, intFrom(1, 2 ** 24));
    if (min > max) {
      const which = o.maxBatchSize === undefined ? `${max}, the default` : String(max);
      throw new OutOfRangeError(`${label} minBatchSize (${min}) must be <= maxBatchSize (${which})`);
    }
    this.minBatchSize = min;
    this.maxBatchSize = max;
    this.size = optionalNumber(label, 'initialBatchSize', o.initialBatchSize, min, { ...intFrom(min, max), note: '(from minBatchSize to maxBatchSize)' });
    this.maxDelayMs = optionalTimerMs(label, 'maxDelayMs', o.maxDelayMs, 10, { integer: true });
    this.maxQueue = optionalNumber(label, 'maxQueue', o.maxQueue, 10_000, intFrom(1, 2 ** 30));
    this.maxConcurrentBatches = optionalNumber(label, 'maxConcurrentBatches', o.maxConcurrentBatches, 1, intFrom(1, 2 ** 20));
    this.additiveStep = optionalNumber(label, 'additiveStep', o.additiveStep, 1, intFrom(1, 2 ** 24));
    const df: unknown = o.decreaseFactor === undefined ? 0.5 : o.decreaseFactor;
    if (typeof df !== 'number') throw new InvalidArgumentError(`${label} decreaseFactor must be a number > 0 and < 1, got ${describe(df)}`);
    if (!(df > 0 && df < 1)) throw new (numberError(df))(`${label} decreaseFactor (${describe(df)}) must be a number > 0 and < 1`);
    this.decreaseFactor = df;
    this.onFull = o.onFull === undefined ? 'wait' : checkOneOf(label, 'onFull', o.onFull, ['wait', 'reject'] as const);
    this.now = o.now === undefined ? () => performance.now() : checkFunction<() => number>(label, 'now', o.now);
    this.slots = new Semaphore(this.maxQueue, { name: `${name} queue` });
    this.latencyHist = new Histogram({ name: `${name} latency`, lowestDiscernibleValue: 0.001, highestTrackableValue: 2 ** 31, significantDigits: 3 });
  }

  /** The current adaptive batch size. @example batcher.batchSize // 64 */
  get batchSize(): number {
    return this.size;
  }

  /** True after `close()`. @example batcher.isClosed */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Queues one item; resolves with its result once its batch completes. When
   * the queue is full it waits for room or rejects, per `onFull`.
   * @example const id = await batcher.add(row, { timeoutMs: 1000 });
   */
  add(item: T, options?: SmartBatcherAddOptions): Promise<R> {
    if (options !== undefined) {
      const bad = this.checkAddOptions(options);
      if (bad !== null) return Promise.reject(bad);
    }
    if (this.closed) return Promise.reject(new ClosedError(this.name));
    const release = this.slots.tryAcquire();
    if (release !== null) return this.enqueue(item, release);
    if (this.onFull === 'reject') {
      this.rejectedFull++;
      return Promise.reject(new BatchQueueFullError(this.name, this.maxQueue));
    }
    return this.slots.acquire(options).then(
      (rel) => this.enqueue(item, rel),
      (err: unknown) => {
        throw err instanceof ClosedError ? new ClosedError(this.name) : err;
      },
    );
  }

  /**
   * Stops accepting items, rejects `add`s still waiting for room with
   * {@link ClosedError}, processes everything queued, and resolves once the last
   * batch settles. Safe to call twice.
   * @example await batcher.close();
   */
  close(): Promise<void> {
    if (this.closePromise !== null) return this.closePromise;
    this.closed = true;
    this.closePromise = new Promise<void>((resolve) => {
      this.closeResolve = resolve;
    });
    this.slots.close();
    this.pump();
    return this.closePromise;
  }

  /**
   * A plain snapshot of counters and gauges.
   * @example console.log(batcher.stats().batchSize)
   */
  stats(): SmartBatcherStats {
    const h = this.latencyHist;
    return {
      added: this.added,
      batches: this.batches,
      items: this.items,
      failedBatches: this.failedBatches,
      rejectedFull: this.rejectedFull,
      queued: this.queue.length - this.head,
      waitingAdds: this.slots.waiting,
      inFlight: this.inFlight,
      batchSize: this.size,
      batchSizes: { min: this.sizeMin, mean: this.batches === 0 ? 0 : this.items / this.batches, max: this.sizeMax },
      latencyMs: { min: h.min, mean: h.mean, max: h.max, p50: h.percentile(50), p99: h.percentile(99), last: this.lastLatency },
    };
  }

  /** The injected clock: one that throws or returns a non-number gives NaN, which never breaks a batch (see the callers). */
  private stamp(): number {
    try {
      const t = this.now();
      return typeof t === 'number' ? t : NaN;
    } catch {
      return NaN;
    }
  }

  /** The error for bad `add` options, or null: checked before the item takes a slot. */
  private checkAddOptions(options: SmartBatcherAddOptions): Error | null {
    try {
      const where = `${this.label} add`;
      const o = checkOptions<SmartBatcherAddOptions>(where, 'options', options);
      optionalTimerMs(where, 'timeoutMs', o.timeoutMs, Infinity, { allowInfinity: true, note: '(Infinity: wait for room as long as it takes); Node timers cannot wait longer than 2^31 - 1 ms' });
      optionalSignal(where, 'signal', o.signal);
      return null;
    } catch (e) {
      return e as Error;
    }
  }

  private enqueue(item: T, release: SemaphoreRelease): Promise<R> {
    if (this.closed && this.closeResolve === null) {
      // Closed and fully drained between the permit grant and now.
      release();
      return Promise.reject(new ClosedError(this.name));
    }
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject, release, at: this.stamp() });
      this.added++;
      this.pump();
    });
  }

  /** Dispatches every batch that is due and has room; the only dispatcher. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    while (this.inFlight < this.maxConcurrentBatches) {
      const queued = this.queue.length - this.head;
      if (queued === 0) break;
      if (queued < this.size && !this.ageDue && !this.closed && !this.isHeadStale()) break;
      this.ageDue = false;
      this.dispatch(Math.min(queued, this.size));
    }
    this.pumping = false;
    this.armTimer();
    this.checkDrained();
  }

  private isHeadStale(): boolean {
    return this.stamp() - this.queue[this.head]!.at >= this.maxDelayMs;
  }

  /** Keeps one age timer while items are queued, due when the head item turns maxDelayMs old. */
  private armTimer(): void {
    const queued = this.queue.length - this.head;
    if (queued === 0) {
      if (this.timer !== null) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      return;
    }
    if (this.timer !== null) return;
    const left = this.maxDelayMs - (this.stamp() - this.queue[this.head]!.at);
    const wait = left > 0 ? Math.min(this.maxDelayMs, left) : 0; // NaN (a clock giving junk): flush at once
    this.timer = setTimeout(() => {
      this.timer = null;
      this.ageDue = true;
      this.pump();
    }, wait);
    this.timer.unref?.();
  }

  private dispatch(n: number): void {
    const batch = this.queue.slice(this.head, this.head + n);
    this.head += n;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    const inputs = new Array<T>(n);
    for (let i = 0; i < n; i++) {
      inputs[i] = batch[i]!.item;
      batch[i]!.release(); // room for a waiting add
    }
    this.inFlight++;
    this.batches++;
    this.items += n;
    if (this.batches === 1 || n < this.sizeMin) this.sizeMin = n;
    if (n > this.sizeMax) this.sizeMax = n;
    const startedAt = this.stamp();
    let out: PromiseLike<ReadonlyArray<R | Error>> | ReadonlyArray<R | Error>;
    try {
      out = this.processor(inputs);
    } catch (err) {
      this.fail(batch, err);
      return;
    }
    if (out !== null && typeof out === 'object' && typeof (out as PromiseLike<unknown>).then === 'function') {
      (out as PromiseLike<ReadonlyArray<R | Error>>).then(
        (results) => this.complete(batch, results, startedAt),
        (err: unknown) => this.fail(batch, err),
      );
    } else this.complete(batch, out as ReadonlyArray<R | Error>, startedAt);
  }

  private complete(batch: Entry<T, R>[], results: ReadonlyArray<R | Error>, startedAt: number): void {
    const n = batch.length;
    if (!Array.isArray(results) || results.length !== n) {
      this.fail(batch, new BatchResultError(this.name, n, results));
      return;
    }
    const took = this.stamp() - startedAt;
    const latency = took > 0 && took < Infinity ? took : 0; // a clock that stepped back (or gave junk) counts 0
    this.lastLatency = latency;
    this.latencyHist.record(latency);
    this.adapt(n, latency);
    this.inFlight--;
    for (let i = 0; i < n; i++) {
      const v = results[i];
      if (v instanceof Error) batch[i]!.reject(v);
      else batch[i]!.resolve(v as R);
    }
    this.pump();
  }

  private adapt(n: number, latency: number): void {
    const target = this.targetLatencyMs;
    if (latency > target) {
      const scaled = Math.floor(this.size * Math.max(this.decreaseFactor, target / latency));
      this.size = Math.max(this.minBatchSize, Math.min(this.size - 1, scaled));
    } else if (n >= this.size) {
      this.size = Math.min(this.maxBatchSize, this.size + this.additiveStep);
    }
  }

  private fail(batch: Entry<T, R>[], err: unknown): void {
    this.inFlight--;
    this.failedBatches++;
    for (let i = 0; i < batch.length; i++) batch[i]!.reject(err);
    this.pump();
  }

  private checkDrained(): void {
    if (this.closeResolve !== null && this.inFlight === 0 && this.queue.length === this.head) {
      const resolve = this.closeResolve;
      this.closeResolve = null;
      if (this.timer !== null) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      resolve();
    }
  }
}
