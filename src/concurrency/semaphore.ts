/**
 * Semaphore: a counting limiter with FIFO waiters, timeouts and abort signals.
 *
 * Design. `permits` counts free permits; waiters sit in a FIFO array read from
 * `head` (an index, so dequeuing is O(1) and nothing is spliced). A waiter that
 * times out or is aborted is marked `settled` and left in place; it is skipped
 * when reached, and the array is compacted once the dead prefix is more than
 * half of it. `waitingCount` is kept exactly, so `waiting` never counts dead
 * entries.
 *
 * Invariants:
 *  - `permits > 0` implies no live waiter: `release` hands a permit straight to
 *    the oldest live waiter instead of incrementing `permits`, so a late
 *    `tryAcquire` can never overtake a waiter (FIFO fairness).
 *  - Every release function returns exactly one permit, however often it is
 *    called (idempotent), so a double release cannot inflate the count.
 *  - Every waiter promise settles: on grant, timeout, abort, or `close()`.
 *
 * Timers are `unref()`ed so a pending timeout never keeps the process alive.
 */
import { BlackholeError, ClosedError, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';

/** Stable code of {@link SemaphoreTimeoutError}. @example if (e.code === SEMAPHORE_TIMEOUT) retryLater() */
export const SEMAPHORE_TIMEOUT = 'ERR_BH_SEMAPHORE_TIMEOUT';

/**
 * Rejected by `acquire({ timeoutMs })` when no permit was granted in time.
 * @example try { await sem.acquire({ timeoutMs: 50 }) } catch (e) { if (e instanceof SemaphoreTimeoutError) ... }
 */
export class SemaphoreTimeoutError extends BlackholeError {
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number;
  constructor(component: string, timeoutMs: number) {
    super(SEMAPHORE_TIMEOUT, `${component} acquire timed out after ${timeoutMs} ms waiting for a permit`);
    this.timeoutMs = timeoutMs;
  }
}

/** Gives back one permit; calling it again does nothing. @example const release: SemaphoreRelease = await sem.acquire(); release(); */
export type SemaphoreRelease = () => void;

/** Options of {@link Semaphore.acquire}. @example await sem.acquire({ timeoutMs: 100, signal: req.signal }) */
export interface SemaphoreAcquireOptions {
  /** Reject with {@link SemaphoreTimeoutError} after this many ms without a permit; finite, >= 0. Default: wait forever. */
  timeoutMs?: number;
  /** Abort the wait: the promise rejects with `signal.reason` and the waiter is removed. */
  signal?: AbortSignal;
}

/** Options of {@link Semaphore}. @example new Semaphore(4, { name: 'db connections' }) */
export interface SemaphoreOptions {
  /** Name used in error messages. Default `'Semaphore'`. */
  name?: string;
}

interface Waiter {
  resolve: (release: SemaphoreRelease) => void;
  reject: (reason: unknown) => void;
  settled: boolean;
  timer: ReturnType<typeof setTimeout> | null;
  signal: AbortSignal | null;
  onAbort: (() => void) | null;
}

/**
 * A counting semaphore with FIFO fairness.
 * @example
 * const sem = new Semaphore(2);
 * const release = await sem.acquire({ timeoutMs: 1000 });
 * try { await work() } finally { release() }
 */
export class Semaphore {
  /** Name used in error messages. */
  readonly name: string;
  /** The number of permits the semaphore was created with. */
  readonly capacity: number;
  private permits: number;
  private queue: Waiter[];
  private head: number;
  private waitingCount: number;
  private closed: boolean;

  constructor(permits: number, options: SemaphoreOptions = {}) {
    const name = options.name ?? 'Semaphore';
    if (typeof name !== 'string' || name === '') {
      throw new InvalidArgumentError(`Semaphore name must be a non-empty string, got ${describe(name)}`);
    }
    if (!Number.isInteger(permits) || permits < 1) {
      throw new OutOfRangeError(`${name} permits (${describe(permits)}) must be an integer >= 1`);
    }
    this.name = name;
    this.capacity = permits;
    this.permits = permits;
    this.queue = [];
    this.head = 0;
    this.waitingCount = 0;
    this.closed = false;
  }

  /** Free permits right now. @example if (sem.available > 0) ... */
  get available(): number {
    return this.permits;
  }

  /** Callers waiting in `acquire()` (aborted and timed-out ones are not counted). @example sem.waiting // 3 */
  get waiting(): number {
    return this.waitingCount;
  }

  /** True after `close()`. @example sem.isClosed */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Takes a permit if one is free and nobody is waiting; otherwise returns `null`.
   * Throws {@link ClosedError} after `close()`.
   * @example const release = sem.tryAcquire(); if (release) { try { work() } finally { release() } }
   */
  tryAcquire(): SemaphoreRelease | null {
    if (this.closed) throw new ClosedError(this.name);
    if (this.permits > 0) {
      this.permits--;
      return this.makeRelease();
    }
    return null;
  }

  /**
   * Waits for a permit (FIFO) and resolves with its release function.
   * Rejects with {@link SemaphoreTimeoutError} on timeout, with `signal.reason`
   * on abort, with {@link ClosedError} on `close()`.
   * @example const release = await sem.acquire({ signal: AbortSignal.timeout(500) });
   */
  acquire(options: SemaphoreAcquireOptions = {}): Promise<SemaphoreRelease> {
    if (this.closed) return Promise.reject(new ClosedError(this.name));
    const timeoutMs = options.timeoutMs;
    const signal = options.signal ?? null;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0)) {
      return Promise.reject(new OutOfRangeError(`${this.name} acquire timeoutMs (${describe(timeoutMs)}) must be a finite number >= 0`));
    }
    if (signal !== null && typeof (signal as AbortSignal).aborted !== 'boolean') {
      return Promise.reject(new InvalidArgumentError(`${this.name} acquire signal must be an AbortSignal, got ${describe(signal)}`));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.permits > 0) {
      this.permits--;
      return Promise.resolve(this.makeRelease());
    }
    return new Promise<SemaphoreRelease>((resolve, reject) => {
      const w: Waiter = { resolve, reject, settled: false, timer: null, signal, onAbort: null };
      if (timeoutMs !== undefined) {
        w.timer = setTimeout(() => this.drop(w, new SemaphoreTimeoutError(this.name, timeoutMs)), timeoutMs);
        w.timer.unref?.();
      }
      if (signal !== null) {
        w.onAbort = () => this.drop(w, signal.reason);
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.queue.push(w);
      this.waitingCount++;
    });
  }

  /**
   * Rejects every waiter with {@link ClosedError}; later `acquire`/`tryAcquire`
   * fail the same way. Permits already held stay valid and may be released.
   * Safe to call twice.
   * @example sem.close()
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const err = new ClosedError(this.name);
    for (let i = this.head; i < this.queue.length; i++) {
      const w = this.queue[i]!;
      if (!w.settled) this.settle(w, err, null);
    }
    this.queue = [];
    this.head = 0;
    this.waitingCount = 0;
  }

  private makeRelease(): SemaphoreRelease {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.grant();
    };
  }

  /** Hands one permit to the oldest live waiter, or back to the pool. */
  private grant(): void {
    const q = this.queue;
    while (this.head < q.length) {
      const w = q[this.head]!;
      q[this.head++] = undefined as unknown as Waiter; // let GC take it
      if (w.settled) continue;
      this.waitingCount--;
      this.compact();
      this.settle(w, null, this.makeRelease());
      return;
    }
    this.queue = [];
    this.head = 0;
    this.permits++;
  }

  private drop(w: Waiter, reason: unknown): void {
    if (w.settled) return;
    this.waitingCount--;
    this.settle(w, reason, null);
    if (this.waitingCount === 0) {
      // Only dead entries left: drop them all, so timeouts without grants cannot pile up.
      this.queue = [];
      this.head = 0;
    } else this.compact();
  }

  private settle(w: Waiter, reason: unknown, release: SemaphoreRelease | null): void {
    w.settled = true;
    if (w.timer !== null) clearTimeout(w.timer);
    if (w.signal !== null && w.onAbort !== null) w.signal.removeEventListener('abort', w.onAbort);
    w.timer = null;
    w.onAbort = null;
    w.signal = null;
    if (release !== null) w.resolve(release);
    else w.reject(reason);
  }

  /** Drops the consumed/dead prefix once it is the larger half (amortised O(1)). */
  private compact(): void {
    if (this.head > 32 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
