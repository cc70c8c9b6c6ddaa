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
 *
 * Bad input. Every argument is checked before any state changes (a refused
 * `acquire` takes no permit and queues no waiter): `permits` is an integer from
 * 1 to 2^53 - 1, options are undefined or a plain object, `timeoutMs` is a
 * number from 0 to 2^31 - 1 (the longest a Node timer honours; a larger delay
 * would fire after 1 ms) or Infinity (wait forever, no timer), `signal` an
 * AbortSignal. Argument errors name the component as `Semaphore` (plus the
 * `name` option when one is given), the parameter, the value and the rule.
 */
import { BlackholeError, ClosedError, describe } from '../errors.ts';
import { checkNumber, checkOptions, checkString, optionalSignal, optionalTimerMs } from '../validate.ts';

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
  /** Reject with {@link SemaphoreTimeoutError} after this many ms without a permit: 0 to 2^31 - 1, or Infinity to wait forever. Default: wait forever. */
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
  /** Component named by argument errors: `Semaphore`, or `Semaphore "<name>"`. */
  private readonly label: string;
  private permits: number;
  private queue: Waiter[];
  private head: number;
  private waitingCount: number;
  private closed: boolean;

  constructor(permits: number, options?: SemaphoreOptions) {
    const o = checkOptions<SemaphoreOptions>('Semaphore', 'options', options);
    const name = o.name === undefined ? 'Semaphore' : checkString('Semaphore', 'name', o.name, { nonEmpty: true });
    const label = semaphoreLabel(name);
    checkNumber(label, 'permits', permits, { integer: true, min: 1, max: Number.MAX_SAFE_INTEGER });
    this.name = name;
    this.label = label;
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
  acquire(options?: SemaphoreAcquireOptions): Promise<SemaphoreRelease> {
    let timeoutMs = Infinity;
    let signal: AbortSignal | null = null;
    if (options !== undefined) {
      try {
        const where = `${this.label} acquire`;
        const o = checkOptions<SemaphoreAcquireOptions>(where, 'options', options);
        timeoutMs = optionalTimerMs(where, 'timeoutMs', o.timeoutMs, Infinity, { allowInfinity: true, note: '(Infinity: wait forever); Node timers cannot wait longer than 2^31 - 1 ms' });
        signal = optionalSignal(where, 'signal', o.signal) ?? null;
      } catch (e) {
        return Promise.reject(e);
      }
    }
    if (this.closed) return Promise.reject(new ClosedError(this.name));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.permits > 0) {
      this.permits--;
      return Promise.resolve(this.makeRelease());
    }
    return new Promise<SemaphoreRelease>((resolve, reject) => {
      const w: Waiter = { resolve, reject, settled: false, timer: null, signal, onAbort: null };
      if (timeoutMs !== Infinity) {
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

/** `Semaphore`, or `Semaphore "<name>"` for a named one: argument errors always name the component. */
function semaphoreLabel(name: string): string {
  return name === 'Semaphore' ? name : `Semaphore ${describe(name)}`;
}
