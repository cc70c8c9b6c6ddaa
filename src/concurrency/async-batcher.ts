/**
 * AsyncBatcher: coalesces single `load(input)` calls into calls of one batch
 * function, like DataLoader's batching, plus bounds (in-flight batches, queued
 * items), optional de-duplication, per-item errors and pulled stats.
 *
 * Layout. Items gather in the *open* batch: parallel arrays `inputs`,
 * `resolves` (and, with dedupe, `slots`: item -> input index, and a
 * key map). A batch is *sealed* when it reaches `maxBatchSize`, when its window
 * ends (`maxWaitMs` timer, or, for `maxWaitMs: 0`, after the current tick's
 * promise jobs: a resolved-promise job that schedules a `nextTick`, so loads
 * issued from `.then` callbacks of the same tick still join), or on `close()`.
 * Sealed batches wait in a FIFO until fewer than `maxConcurrentBatches` are in
 * flight, then are dispatched.
 *
 * Invariants:
 *  - `queued` = items in the open batch + items in sealed, undispatched
 *    batches; `load` rejects with {@link BatchQueueFullError} at `maxQueue`.
 *  - `inFlight` <= `maxConcurrentBatches`; `pump()` is the only place that
 *    dispatches, and it is guarded against re-entry, so a batch function that
 *    answers synchronously cannot recurse once per waiting batch.
 *  - Every item's promise settles exactly once: with its result, its own
 *    `Error` result, the batch's failure, or a {@link BatchResultError}.
 *  - After `close()` nothing new is accepted; pending items are still flushed,
 *    and the close promise resolves when the last batch settles.
 *
 * Speed. The per-load path allocates only the promise itself: the executor is
 * one module-level function that parks `resolve` in a holder object (no
 * closure per load), and only `resolve` is kept, in a flat array, rather than
 * one `{ resolve, reject }` object per item; an item is rejected by resolving
 * it with a rejected promise (errors are the rare path, and adoption costs only
 * a couple of extra microtasks there). Without dedupe, `inputs` and
 * `resolves` are pre-sized to the previous batch's load count (steady traffic
 * repeats its batch size) and filled by index, so they do not regrow and copy
 * several times per batch; `inputs` is trimmed to its exact length before the
 * batch function sees it. Strategy (dedupe or not, timer or
 * tick) is fixed in the constructor. Timing for stats is taken once per batch,
 * never per item.
 *
 * Bad input. Options are checked once, in the constructor (undefined or a
 * plain object; every field of the right type and inside its rule, no
 * coercion; `maxWaitMs` at most 2^31 - 1, the longest a Node timer honours).
 * `load` takes any input and checks nothing; `loadMany` checks only that it
 * was given an array (one `Array.isArray`), before queuing anything. Argument
 * errors name the component as `AsyncBatcher` (plus the `name` option when one
 * is given), the parameter, the value and the rule.
 */
import { BlackholeError, ClosedError, InvalidArgumentError, describe } from '../errors.ts';
import { Histogram } from '../metrics/histogram.ts';
import { checkFunction, checkNumber, checkOptions, checkString, optionalNumber, optionalTimerMs } from '../validate.ts';

/** Stable codes of the batchers' operational errors. @example if (e.code === BatchErrorCode.BATCH_QUEUE_FULL) shed() */
export const BatchErrorCode = {
  /** A batch function returned a non-array or an array of the wrong length. */
  BATCH_RESULT: 'ERR_BH_BATCH_RESULT',
  /** A batcher's queue of waiting items is at its `maxQueue` bound. */
  BATCH_QUEUE_FULL: 'ERR_BH_BATCH_QUEUE_FULL',
} as const;

/**
 * Rejects every item of a batch whose function returned a non-array or an
 * array whose length differs from the number of inputs.
 * @example try { await batcher.load(1) } catch (e) { if (e instanceof BatchResultError) console.log(e.expected, e.actual) }
 */
export class BatchResultError extends BlackholeError {
  /** Number of inputs handed to the batch function. */
  readonly expected: number;
  /** Length of what it returned, or -1 if it was not an array. */
  readonly actual: number;
  constructor(component: string, expected: number, result: unknown) {
    const actual = Array.isArray(result) ? result.length : -1;
    super(
      BatchErrorCode.BATCH_RESULT,
      `${component} batch function must return an array of ${expected} results (one per input), got ${describe(result)}`,
    );
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * Rejected by `load`/`add` when the batcher already holds `maxQueue` waiting items.
 * @example try { await batcher.load(1) } catch (e) { if (e instanceof BatchQueueFullError) shed() }
 */
export class BatchQueueFullError extends BlackholeError {
  /** The bound that was reached. */
  readonly maxQueue: number;
  constructor(component: string, maxQueue: number) {
    super(BatchErrorCode.BATCH_QUEUE_FULL, `${component} queue is full: maxQueue (${maxQueue}) items are already waiting`);
    this.maxQueue = maxQueue;
  }
}

/**
 * A batch function: one result per input, in order. An `Error` instance in the
 * array rejects only that item. May answer synchronously or with a promise.
 * @example const fn: BatchFn<number, number> = async (ids) => ids.map((id) => id * 2);
 */
export type BatchFn<I, R> = (inputs: I[]) => PromiseLike<ReadonlyArray<R | Error>> | ReadonlyArray<R | Error>;

/** Options of {@link AsyncBatcher}. @example new AsyncBatcher(fn, { maxBatchSize: 100, maxWaitMs: 2, maxConcurrentBatches: 4, dedupe: true }) */
export interface AsyncBatcherOptions<I> {
  /** Name used in error messages. Default `'AsyncBatcher'`. */
  name?: string;
  /** Most distinct inputs per batch, integer 1 to 2^24. Default 1000. */
  maxBatchSize?: number;
  /** How long the first item of a batch waits for company, ms, 0 to 2^31-1. 0 = flush after the current tick (DataLoader semantics). Default 0. */
  maxWaitMs?: number;
  /** Most batches in flight at once, integer >= 1 or Infinity; sealed batches wait their turn. Default 16. */
  maxConcurrentBatches?: number;
  /** Most items waiting (not yet dispatched), integer >= 1 or Infinity; past it `load` rejects with {@link BatchQueueFullError}. Default 100000. */
  maxQueue?: number;
  /** Merge identical inputs of one batch into one slot and one shared result: `true` keys by the input itself (SameValueZero), a function maps an input to its key. Default false. */
  dedupe?: boolean | ((input: I) => unknown);
  /** Clock for stats, in ms. Default `performance.now`. */
  now?: () => number;
}

/** Min, mean and max of a series; all 0 when empty. @example const { min, mean, max } = batcher.stats().batchSize; */
export interface BatchSeriesSummary {
  min: number;
  mean: number;
  max: number;
}

/**
 * Counters and gauges of an {@link AsyncBatcher}, as returned by `stats()`.
 * @example const { batches, batchSize } = batcher.stats(); console.log(batches, batchSize.mean)
 */
export interface AsyncBatcherStats {
  /** `load` calls accepted (dispatched or queued). */
  loads: number;
  /** Batches dispatched. */
  batches: number;
  /** Inputs handed to the batch function (after dedupe). */
  items: number;
  /** Loads that shared a slot with an identical earlier input of their batch. */
  deduped: number;
  /** Batches whose function threw, rejected or returned a malformed result. */
  failedBatches: number;
  /** Loads rejected because the queue was full. */
  rejectedFull: number;
  /** Items waiting to be dispatched. */
  queued: number;
  /** Batches in flight. */
  inFlight: number;
  /** Distinct inputs per dispatched batch. */
  batchSize: BatchSeriesSummary;
  /** Time from a batch's first item to its dispatch, ms (p50/p99 from a histogram, 3 significant digits). */
  waitMs: BatchSeriesSummary & { p50: number; p99: number };
}

// Per-load promise executor without a closure: it parks the callbacks here and
// `load` moves them into the batch's arrays right after `new Promise` returns.
const parked: { resolve: (value: any) => void } = { resolve: noop };
function park(resolve: (value: any) => void): void {
  parked.resolve = resolve;
}
function noop(): void {}

const resolvedPromise = Promise.resolve();

class Batch<I, R> {
  readonly inputs: I[];
  /** Pre-sized (holey) to the previous batch's size, filled by index up to `count`, so it never regrows mid-batch. */
  readonly resolves: ((value: R | PromiseLike<R>) => void)[];
  /** Loads in this batch (with dedupe, may exceed `inputs.length`). */
  count = 0;
  /** item -> input index; only with dedupe. */
  readonly slots: number[] | null;
  readonly keys: Map<unknown, number> | null;
  readonly firstAt: number;
  timer: ReturnType<typeof setTimeout> | null = null;
  constructor(dedupe: boolean, firstAt: number, capacity: number) {
    this.resolves = new Array(capacity);
    this.inputs = dedupe ? [] : new Array(capacity);
    this.slots = dedupe ? [] : null;
    this.keys = dedupe ? new Map() : null;
    this.firstAt = firstAt;
  }
}

/**
 * The component named by a batcher's argument errors (internal: not re-exported
 * from the index): `kind`, or `kind "<name>"` for a named instance.
 * @example batcherLabel('AsyncBatcher', 'users') // 'AsyncBatcher "users"'
 */
export function batcherLabel(kind: string, name: string): string {
  return name === kind ? kind : `${kind} ${describe(name)}`;
}

/**
 * Batches single loads into calls of one batch function.
 * @example
 * const users = new AsyncBatcher(async (ids: number[]) => db.users(ids), { maxBatchSize: 100, maxWaitMs: 2 });
 * const [a, b] = await Promise.all([users.load(1), users.load(2)]); // one call: db.users([1, 2])
 */
export class AsyncBatcher<I, R> {
  /** Name used in error messages. */
  readonly name: string;
  /** Most distinct inputs per batch. */
  readonly maxBatchSize: number;
  /** Batching window in ms (0 = after the current tick). */
  readonly maxWaitMs: number;
  /** Most batches in flight. */
  readonly maxConcurrentBatches: number;
  /** Most items waiting to be dispatched. */
  readonly maxQueue: number;
  private readonly batchFn: BatchFn<I, R>;
  /** Component named by argument errors. */
  private readonly label: string;
  private readonly keyOf: ((input: I) => unknown) | null;
  private readonly now: () => number;
  private open: Batch<I, R> | null = null;
  private sealed: Batch<I, R>[] = [];
  private sealedHead = 0;
  private queued = 0;
  private inFlight = 0;
  private pumping = false;
  private closed = false;
  /** `maxQueue` while open, -1 once closed: one comparison guards both in `load`. */
  private acceptLimit: number;
  private tickPending = false;
  /** Loads in the last dispatched batch: the capacity hint for the next one. */
  private lastCount = 0;
  /** After this tick's promise jobs, so loads made in `.then` callbacks join too. */
  private readonly onPromiseJob = (): void => {
    process.nextTick(this.onTick);
  };
  /** Seals whatever batch is open: everything loaded since the tick began. */
  private readonly onTick = (): void => {
    this.tickPending = false;
    if (this.open !== null) this.seal(this.open);
  };
  private closePromise: Promise<void> | null = null;
  private closeResolve: (() => void) | null = null;
  // stats
  private loads = 0;
  private batches = 0;
  private items = 0;
  private deduped = 0;
  private failedBatches = 0;
  private rejectedFull = 0;
  private sizeMin = 0;
  private sizeMax = 0;
  private readonly waitHist: Histogram;

  constructor(batchFn: BatchFn<I, R>, options?: AsyncBatcherOptions<I>) {
    const o = checkOptions<AsyncBatcherOptions<I>>('AsyncBatcher', 'options', options);
    const name = o.name === undefined ? 'AsyncBatcher' : checkString('AsyncBatcher', 'name', o.name, { nonEmpty: true });
    const label = batcherLabel('AsyncBatcher', name);
    this.name = name;
    this.label = label;
    this.batchFn = checkFunction<BatchFn<I, R>>(label, 'batchFn', batchFn);
    this.maxBatchSize = optionalNumber(label, 'maxBatchSize', o.maxBatchSize, 1000, { integer: true, min: 1, max: 2 ** 24 });
    this.maxWaitMs = optionalTimerMs(label, 'maxWaitMs', o.maxWaitMs, 0, { integer: true, note: '(0: after the current tick; Node timers cannot wait longer than 2^31 - 1 ms)' });
    const count = { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER, allowInfinity: true } as const;
    this.maxConcurrentBatches = optionalNumber(label, 'maxConcurrentBatches', o.maxConcurrentBatches, 16, count);
    this.maxQueue = optionalNumber(label, 'maxQueue', o.maxQueue, 100_000, count);
    this.acceptLimit = this.maxQueue;
    const dedupe = o.dedupe === undefined ? false : o.dedupe;
    if (typeof dedupe === 'function') this.keyOf = dedupe;
    else if (dedupe === true) this.keyOf = identity;
    else if (dedupe === false) this.keyOf = null;
    else throw new InvalidArgumentError(`${label} dedupe must be a boolean or a function (input) => key, got ${describe(dedupe)}`);
    this.now = o.now === undefined ? () => performance.now() : checkFunction<() => number>(label, 'now', o.now);
    this.waitHist = new Histogram({ name: `${name} wait`, lowestDiscernibleValue: 0.001, highestTrackableValue: 2 ** 31, significantDigits: 3 });
  }

  /** True after `close()`. @example batcher.isClosed */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Queues one input; resolves with its result once its batch completes.
   * Rejects with {@link ClosedError} after `close()`, with
   * {@link BatchQueueFullError} at `maxQueue`, with the item's own `Error`
   * result, with the batch function's error, or with {@link BatchResultError}.
   * @example const user = await users.load(42);
   */
  load(input: I): Promise<R> {
    if (this.queued >= this.acceptLimit) return this.refuse();
    if (this.keyOf !== null) return this.loadKeyed(input);
    const b = this.open ?? this.openBatch();
    const p = new Promise<R>(park);
    const k = b.count++;
    b.inputs[k] = input;
    b.resolves[k] = parked.resolve;
    this.queued++;
    if (b.count >= this.maxBatchSize) this.seal(b);
    return p;
  }

  /**
   * Queues several inputs at once; same as `inputs.map((x) => load(x))`.
   * Throws `InvalidArgumentError` (queuing nothing) when `inputs` is not an array.
   * @example const [a, b] = await Promise.all(users.loadMany([1, 2]));
   */
  loadMany(inputs: readonly I[]): Promise<R>[] {
    if (!Array.isArray(inputs)) throw new InvalidArgumentError(`${this.label} loadMany inputs must be an array, got ${describe(inputs)}`);
    const out = new Array<Promise<R>>(inputs.length);
    for (let i = 0; i < inputs.length; i++) out[i] = this.load(inputs[i]!);
    return out;
  }

  /**
   * Seals the open batch now instead of waiting for its window.
   * @example batcher.load(1); batcher.flush();
   */
  flush(): void {
    if (this.open !== null) this.seal(this.open);
  }

  /**
   * Stops accepting loads, flushes pending items, and resolves once every
   * batch has settled. Later `load`s reject with {@link ClosedError}. Safe to call twice.
   * @example await batcher.close();
   */
  close(): Promise<void> {
    if (this.closePromise !== null) return this.closePromise;
    this.closed = true;
    this.acceptLimit = -1;
    this.closePromise = new Promise<void>((resolve) => {
      this.closeResolve = resolve;
    });
    this.flush();
    this.checkDrained();
    return this.closePromise;
  }

  /**
   * A plain snapshot of counters and gauges (cheap; pulled, not pushed).
   * @example console.log(batcher.stats().batchSize.mean)
   */
  stats(): AsyncBatcherStats {
    const h = this.waitHist;
    return {
      loads: this.loads + this.queued,
      batches: this.batches,
      items: this.items,
      deduped: this.deduped,
      failedBatches: this.failedBatches,
      rejectedFull: this.rejectedFull,
      queued: this.queued,
      inFlight: this.inFlight,
      batchSize: { min: this.sizeMin, mean: this.batches === 0 ? 0 : this.items / this.batches, max: this.sizeMax },
      waitMs: { min: h.min, mean: h.mean, max: h.max, p50: h.percentile(50), p99: h.percentile(99) },
    };
  }

  /** `load` with dedupe: identical keys in the open batch share one input slot. */
  private loadKeyed(input: I): Promise<R> {
    let key: unknown;
    try {
      key = this.keyOf!(input);
    } catch (err) {
      return Promise.reject(err);
    }
    const b = this.open ?? this.openBatch();
    const p = new Promise<R>(park);
    let slot = b.keys!.get(key);
    if (slot === undefined) {
      slot = b.inputs.length;
      b.inputs.push(input);
      b.keys!.set(key, slot);
    } else this.deduped++;
    b.slots!.push(slot);
    b.resolves[b.count++] = parked.resolve;
    this.queued++;
    if (b.inputs.length >= this.maxBatchSize) this.seal(b);
    return p;
  }

  /** The stats clock, read once per batch: a clock that throws or returns a non-number gives NaN (counted as 0 wait), never breaks a batch. */
  private stamp(): number {
    try {
      const t = this.now();
      return typeof t === 'number' ? t : NaN;
    } catch {
      return NaN;
    }
  }

  /** The slow path of `load`: closed, or the queue is at `maxQueue`. */
  private refuse(): Promise<never> {
    if (this.closed) return Promise.reject(new ClosedError(this.name));
    this.rejectedFull++;
    return Promise.reject(new BatchQueueFullError(this.name, this.maxQueue));
  }

  private openBatch(): Batch<I, R> {
    const b = new Batch<I, R>(this.keyOf !== null, this.stamp(), this.lastCount);
    this.open = b;
    if (this.maxWaitMs === 0) {
      // One tick job at a time, holding no batch: when loads keep the microtask
      // queue busy (batches sealed by size), ticks are starved, and one job per
      // batch would pile up with every batch it captured.
      if (!this.tickPending) {
        this.tickPending = true;
        resolvedPromise.then(this.onPromiseJob);
      }
    } else {
      b.timer = setTimeout(() => {
        if (this.open === b) this.seal(b);
      }, this.maxWaitMs);
      b.timer.unref?.();
    }
    return b;
  }

  private seal(b: Batch<I, R>): void {
    if (this.open === b) this.open = null;
    if (b.timer !== null) {
      clearTimeout(b.timer);
      b.timer = null;
    }
    this.sealed.push(b);
    this.pump();
  }

  /** Dispatches sealed batches while there is room; the only dispatcher. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    const q = this.sealed;
    while (this.inFlight < this.maxConcurrentBatches && this.sealedHead < q.length) {
      const b = q[this.sealedHead]!;
      q[this.sealedHead++] = undefined as unknown as Batch<I, R>;
      this.dispatch(b);
    }
    if (this.sealedHead === q.length) {
      q.length = 0;
      this.sealedHead = 0;
    } else if (this.sealedHead > 1024 && this.sealedHead * 2 > q.length) {
      this.sealed = q.slice(this.sealedHead);
      this.sealedHead = 0;
    }
    this.pumping = false;
    this.checkDrained();
  }

  private dispatch(b: Batch<I, R>): void {
    if (b.slots === null && b.inputs.length !== b.count) b.inputs.length = b.count; // trim the capacity hint
    const n = b.inputs.length;
    this.inFlight++;
    this.queued -= b.count;
    this.loads += b.count;
    this.lastCount = b.count < this.maxBatchSize ? b.count : this.maxBatchSize;
    this.batches++;
    this.items += n;
    if (this.batches === 1 || n < this.sizeMin) this.sizeMin = n;
    if (n > this.sizeMax) this.sizeMax = n;
    const waited = this.stamp() - b.firstAt;
    this.waitHist.record(waited > 0 && waited < Infinity ? waited : 0); // a clock that stepped back (or gave junk) counts 0
    let out: PromiseLike<ReadonlyArray<R | Error>> | ReadonlyArray<R | Error>;
    try {
      out = this.batchFn(b.inputs);
    } catch (err) {
      this.fail(b, err);
      return;
    }
    if (out !== null && typeof out === 'object' && typeof (out as PromiseLike<unknown>).then === 'function') {
      (out as PromiseLike<ReadonlyArray<R | Error>>).then(
        (results) => this.complete(b, results),
        (err: unknown) => this.fail(b, err),
      );
    } else this.complete(b, out as ReadonlyArray<R | Error>);
  }

  private complete(b: Batch<I, R>, results: ReadonlyArray<R | Error>): void {
    const n = b.inputs.length;
    if (!Array.isArray(results) || results.length !== n) {
      this.fail(b, new BatchResultError(this.name, n, results));
      return;
    }
    this.inFlight--;
    const res = b.resolves;
    const slots = b.slots;
    const m = b.count;
    // An item's promise rejects by adopting a rejected promise: keeping only
    // `resolve` per item saves an array push on every load (errors are rare).
    if (slots === null) {
      for (let i = 0; i < m; i++) {
        const v = results[i];
        res[i]!(v instanceof Error ? Promise.reject(v) : v);
      }
    } else {
      for (let i = 0; i < m; i++) {
        const v = results[slots[i]!];
        res[i]!(v instanceof Error ? Promise.reject(v) : v);
      }
    }
    this.pump();
  }

  private fail(b: Batch<I, R>, err: unknown): void {
    this.inFlight--;
    this.failedBatches++;
    const res = b.resolves;
    for (let i = 0; i < b.count; i++) res[i]!(Promise.reject(err));
    this.pump();
  }

  private checkDrained(): void {
    if (this.closeResolve !== null && this.inFlight === 0 && this.queued === 0 && this.open === null) {
      const resolve = this.closeResolve;
      this.closeResolve = null;
      resolve();
    }
  }
}

function identity<T>(x: T): T {
  return x;
}
