/**
 * Waiting on shared memory from any thread, for the rings and the
 * work-stealing pool: the async wait, the timeout check, and the adaptive
 * spin policy every blocking loop uses.
 *
 * `Atomics.wait` blocks, so it is only allowed off the main thread; the async
 * variants use `Atomics.waitAsync`, which does not by itself keep Node's event
 * loop alive: a pending wait would let the process exit. So while one is
 * pending we hold a ref'd interval that never fires in practice, and clear it
 * when the wait settles (the one deliberate exception to "timers are unref'd").
 *
 * Spin or park. A thread that finds nothing to do can spin (re-check the
 * shared words for a while) or park (`Atomics.wait` until notified). On idle
 * cores spinning wins: the peer is running, its next store is a few hundred
 * nanoseconds away, and a futex sleep plus wake-up costs tens of
 * microseconds. On busy cores it loses: the peer may be descheduled for a
 * whole time slice (milliseconds), and every microsecond spent spinning is
 * taken from whichever thread shares our core, possibly the very peer we wait
 * for. No fixed spin count is right for both, so {@link AdaptiveSpin} measures
 * at run time whether spinning pays and sets the budget from that:
 *
 *  - a spin that succeeds late in its budget doubles the budget (spinning paid,
 *    and a shorter budget would have missed);
 *  - a spin that runs out of budget and parks halves it (spinning did not pay);
 *  - a gap between two clock readings inside one spin longer than
 *    `preemptMs` means the thread was descheduled while spinning (the
 *    machine is oversubscribed): the budget drops to the minimum at once;
 *  - a park that ends sooner than `shortParkMs` doubles the budget (a spin of
 *    about that length would have caught the event without a sleep).
 * The budget stays within [minSpins, maxSpins]; it starts at `maxSpins`, so
 * a quiet machine behaves exactly as a fixed spin of that length would. The
 * clock is read only every 16 tries and never in a spin that succeeds within
 * its first 15 tries, so a streaming pair pays nothing for the measurement.
 * The policy is per waiting handle (one per thread): it holds no shared state.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { closeSync, openSync, readSync } from 'node:fs';
import { MAX_TIMER_MS } from '../validate.ts';

/** A ref'd interval that keeps the event loop alive while we wait (a pending `Atomics.waitAsync` alone does not). */
const KEEP_ALIVE_MS = 2 ** 30;
function noop(): void {}

/** `Atomics.waitAsync` (Node 16+); typed here because the project's TypeScript lib predates ES2024. */
const atomicsWaitAsync = (
  Atomics as unknown as {
    waitAsync(words: Int32Array, index: number, value: number, timeoutMs: number): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

/**
 * `Atomics.waitAsync`, awaited, with the event loop kept alive for the duration.
 * @example await waitAsync(words, TAIL, seen, 1000)
 */
export async function waitAsync(words: Int32Array, index: number, value: number, timeoutMs: number): Promise<void> {
  const result = atomicsWaitAsync(words, index, value, timeoutMs);
  if (!result.async) return;
  const keepAlive = setInterval(noop, KEEP_ALIVE_MS);
  try {
    await result.value;
  } finally {
    clearInterval(keepAlive);
  }
}

/**
 * Throws unless `timeoutMs` is a number from 0 to 2^31 - 1 or Infinity (wait
 * forever): `InvalidArgumentError` for a non-number, `OutOfRangeError` for
 * NaN, a negative or a too large number. Cheap enough for every call: one
 * typeof and two comparisons on the accepted path.
 * @example checkTimeout('SpscConsumer readInto', 100)
 */
export function checkTimeout(component: string, timeoutMs: number): void {
  if (typeof timeoutMs === 'number' && timeoutMs >= 0 && (timeoutMs <= MAX_TIMER_MS || timeoutMs === Infinity)) return;
  const rule = 'must be a number of ms from 0 to 2^31 - 1, or Infinity (wait forever)';
  if (typeof timeoutMs !== 'number') throw new InvalidArgumentError(`${component} timeoutMs ${rule}, got ${describe(timeoutMs)}`);
  throw new OutOfRangeError(`${component} timeoutMs (${describe(timeoutMs)}) ${rule}`);
}

/**
 * Settings of an {@link AdaptiveSpin}.
 * @example new AdaptiveSpin({ minSpins: 8, maxSpins: 256, clock: () => fakeNow })
 */
export interface AdaptiveSpinOptions {
  /** Smallest budget, in tries (a power of two >= 1). Default 8. */
  minSpins?: number;
  /** Largest budget, in tries (a power of two >= minSpins); also the starting budget. Default 256. */
  maxSpins?: number;
  /** A gap longer than this between two clock readings of one spin means the thread was descheduled. Default 0.2 ms. */
  preemptMs?: number;
  /** A park shorter than this would have been caught by a spin: the budget grows. Default 0.05 ms. */
  shortParkMs?: number;
  /** Milliseconds, monotonic. Default `performance.now`. Injected by tests. */
  clock?: () => number;
  /**
   * Cumulative milliseconds this thread has spent runnable but not running
   * (waiting for a core), or null when unknown. Default: read from
   * `/proc/thread-self/schedstat` on Linux, null elsewhere. Injected by tests.
   */
  runQueueWait?: () => number | null;
  /** Least time between two run-queue probes. Default 10 ms. */
  probeMs?: number;
  /** A probe that finds the thread waited for a core more than this fraction of the time marks it contended. Default 0.2. */
  contendedShare?: number;
  /** Contended mode ends this long after it was last confirmed (and a probe no longer sees waiting). Default 100 ms. */
  contendedMs?: number;
}

/**
 * Counters of an {@link AdaptiveSpin} (cumulative).
 * @example spin.stats().preemptions
 */
export interface AdaptiveSpinStats {
  /** Current budget in tries. */
  spins: number;
  /** Spins that found the event. */
  hits: number;
  /** Spins that ran out of budget (and parked). */
  misses: number;
  /** Spins cut short because the thread had been descheduled. */
  preemptions: number;
  /** Parks shorter than `shortParkMs`. */
  shortParks: number;
  /** Parks at least `shortParkMs` long. */
  longParks: number;
  /** True while the thread is judged to be competing for a core (see {@link AdaptiveSpin.contended}). */
  contended: boolean;
  /** Times contended mode was entered. */
  contendedEntries: number;
}

/** Run-queue wait of the calling thread from /proc/thread-self/schedstat, in ms; null once it proved unreadable. */
let schedstatUsable = true;
const schedBuf = Buffer.alloc(96);
/**
 * Cumulative ms the calling thread has waited runnable for a core (Linux
 * schedstat: its second field, in ns), or null where that is not available.
 * About 10 µs a call (open, read, close); the policy calls it at most every
 * `probeMs`.
 * @example const ms = threadRunQueueWaitMs()
 */
export function threadRunQueueWaitMs(): number | null {
  if (!schedstatUsable) return null;
  let fd = -1;
  try {
    fd = openSync('/proc/thread-self/schedstat', 'r');
    const n = readSync(fd, schedBuf, 0, schedBuf.length, 0);
    const text = schedBuf.toString('latin1', 0, n);
    const waitNs = Number(text.split(' ')[1]);
    if (!Number.isFinite(waitNs)) throw new Error('unexpected schedstat');
    return waitNs / 1e6;
  } catch {
    schedstatUsable = false;
    return null;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

function checkPow2(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number') throw new InvalidArgumentError(`AdaptiveSpin ${name} must be a power of two >= ${min}, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < min || v > 2 ** 30 || (v & (v - 1)) !== 0) {
    throw new OutOfRangeError(`AdaptiveSpin ${name} (${describe(v)}) must be a power of two from ${min} to 2^30`);
  }
  return v;
}

function checkPositive(name: string, v: unknown, fallback: number, max = Infinity): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw new InvalidArgumentError(`AdaptiveSpin ${name} must be a finite number > 0, got ${describe(v)}`);
  if (!(v > 0 && v <= max) || !Number.isFinite(v)) throw new OutOfRangeError(`AdaptiveSpin ${name} (${describe(v)}) must be a finite number > 0${max < Infinity ? ` and <= ${max}` : ''}`);
  return v;
}

/** Wait episodes between two clock readings that may trigger a run-queue probe (a power of two). */
const PROBE_EVERY = 256;

/**
 * The adaptive spin budget of one waiting thread (see the design note at the
 * top of this file). A blocking loop calls {@link AdaptiveSpin.begin} when a
 * wait starts, reads the budget from {@link AdaptiveSpin.spins}, calls
 * {@link AdaptiveSpin.tick} every 16 tries, {@link AdaptiveSpin.hit} when a
 * try succeeds or {@link AdaptiveSpin.miss} when the budget runs out, and
 * brackets a park with {@link AdaptiveSpin.parkStart} / {@link AdaptiveSpin.parkEnd}.
 * Internal to the area (not re-exported).
 * @example
 * const spin = new AdaptiveSpin();
 * spin.begin();
 * for (let i = 0; ; i++) {
 *   if (ready()) { spin.hit(i); break; }
 *   if (i >= spin.spins || ((i & 15) === 15 && spin.tick())) { spin.miss(); const t = spin.parkStart(); park(); spin.parkEnd(t); i = -1; }
 * }
 */
export class AdaptiveSpin {
  /** Current budget in tries; read it at the start of a spin. */
  spins: number;
  /**
   * True while the thread is judged to compete for a core: it was
   * descheduled in the middle of a spin, or a run-queue probe found it
   * waiting for a core more than `contendedShare` of the time. While
   * contended the budget stays at `minSpins` (park at once), and callers may
   * batch (the SPSC consumer waits for a quarter of the ring). It ends once a
   * probe sees little waiting and `contendedMs` have passed since it was
   * last confirmed.
   */
  contended: boolean;
  /** Smallest budget. */
  readonly minSpins: number;
  /** Largest budget (and the first). */
  readonly maxSpins: number;
  /** Descheduling threshold, ms. */
  readonly preemptMs: number;
  /** Short-park threshold, ms. */
  readonly shortParkMs: number;
  /** The clock (ms). */
  readonly clock: () => number;
  private readonly _runQueueWait: () => number | null;
  private readonly _probeMs: number;
  private readonly _contendedShare: number;
  private readonly _contendedMs: number;
  private _last: number;
  private _episodes: number;
  private _lastProbe: number;
  private _lastWait: number;
  private _contendedAt: number;
  private _hits: number;
  private _misses: number;
  private _preemptions: number;
  private _shortParks: number;
  private _longParks: number;
  private _contendedEntries: number;

  /**
   * Checks the options (`InvalidArgumentError` / `OutOfRangeError` naming the option).
   * @example new AdaptiveSpin({ maxSpins: 64 })
   */
  constructor(options: AdaptiveSpinOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidArgumentError(`AdaptiveSpin options must be an object when given, got ${describe(options)}`);
    }
    this.minSpins = options.minSpins === undefined ? 8 : checkPow2('minSpins', options.minSpins, 1);
    this.maxSpins = options.maxSpins === undefined ? Math.max(256, this.minSpins) : checkPow2('maxSpins', options.maxSpins, this.minSpins);
    this.preemptMs = checkPositive('preemptMs', options.preemptMs, 0.2);
    this.shortParkMs = checkPositive('shortParkMs', options.shortParkMs, 0.05);
    this._probeMs = checkPositive('probeMs', options.probeMs, 10);
    this._contendedShare = checkPositive('contendedShare', options.contendedShare, 0.2, 1);
    this._contendedMs = checkPositive('contendedMs', options.contendedMs, 100);
    for (const k of ['clock', 'runQueueWait'] as const) {
      if (options[k] !== undefined && typeof options[k] !== 'function') {
        throw new InvalidArgumentError(`AdaptiveSpin ${k} must be a function when given, got ${describe(options[k])}`);
      }
    }
    this.clock = options.clock ?? (() => performance.now());
    this._runQueueWait = options.runQueueWait ?? threadRunQueueWaitMs;
    this.spins = this.maxSpins;
    this.contended = false;
    this._last = -1;
    this._episodes = 0;
    this._lastProbe = -Infinity;
    this._lastWait = -1;
    this._contendedAt = -Infinity;
    this._hits = 0;
    this._misses = 0;
    this._preemptions = 0;
    this._shortParks = 0;
    this._longParks = 0;
    this._contendedEntries = 0;
  }

  /**
   * Call when a wait starts (before the first try of a spin). Costs a counter
   * increment; every 256th call also reads the clock and may probe the run queue.
   * @example spin.begin(); const budget = spin.spins
   */
  begin(): void {
    this._last = -1;
    if ((++this._episodes & (PROBE_EVERY - 1)) === 0) this._probe(this.clock());
  }

  /**
   * Call every 16 tries of a spin (at try 15, 31, ...). Reads the clock; true
   * when the thread was descheduled since the previous reading of this spin,
   * i.e. the spin should stop and park (the thread is now contended and the
   * budget at the minimum).
   * @example if ((i & 15) === 15 && spin.tick()) break
   */
  tick(): boolean {
    const now = this.clock();
    const last = this._last;
    this._last = now;
    if (last >= 0 && now - last > this.preemptMs) {
      this._preemptions++;
      this._enterContended(now);
      this._last = -1;
      return true;
    }
    return false;
  }

  /**
   * The spin found its event at try `tries` (0-based). A late success (in the
   * second half of the budget) doubles the budget, unless contended.
   * @example if (ready()) { spin.hit(i); return }
   */
  hit(tries: number): void {
    this._hits++;
    this._last = -1;
    if (tries * 2 >= this.spins && this.spins < this.maxSpins && !this.contended) this.spins *= 2;
  }

  /**
   * The spin ran out of budget (or was cut short by {@link AdaptiveSpin.tick}):
   * halves the budget; the caller parks next.
   * @example if (i >= spin.spins) { spin.miss(); park() }
   */
  miss(): void {
    this._misses++;
    this._last = -1;
    if (this.spins > this.minSpins) this.spins >>= 1;
  }

  /**
   * Call right before a park; returns the start time to hand to {@link AdaptiveSpin.parkEnd}.
   * @example const t = spin.parkStart(); Atomics.wait(words, i, v, ms); spin.parkEnd(t)
   */
  parkStart(): number {
    return this.clock();
  }

  /**
   * Call right after a park that started at `start`: a short one (woken within
   * `shortParkMs`) doubles the budget, since a spin that long would have
   * caught the event without sleeping (not while contended). Probes the run
   * queue when `probeMs` have passed since the last probe.
   * @example spin.parkEnd(t)
   */
  parkEnd(start: number): void {
    const now = this.clock();
    if (now - start < this.shortParkMs) {
      this._shortParks++;
      if (this.spins < this.maxSpins && !this.contended) this.spins *= 2;
    } else {
      this._longParks++;
    }
    this._probe(now);
  }

  /**
   * The counters, the current budget and the contended state (for tests and diagnostics).
   * @example spin.stats().spins
   */
  stats(): AdaptiveSpinStats {
    return {
      spins: this.spins,
      hits: this._hits,
      misses: this._misses,
      preemptions: this._preemptions,
      shortParks: this._shortParks,
      longParks: this._longParks,
      contended: this.contended,
      contendedEntries: this._contendedEntries,
    };
  }

  private _enterContended(now: number): void {
    if (!this.contended) this._contendedEntries++;
    this.contended = true;
    this._contendedAt = now;
    this.spins = this.minSpins;
  }

  /** At most every probeMs: the share of time spent waiting for a core since the last probe decides the contended state. */
  private _probe(now: number): void {
    const elapsed = now - this._lastProbe;
    if (elapsed < this._probeMs) return;
    const wait = this._runQueueWait();
    const share = wait === null || this._lastWait < 0 ? -1 : (wait - this._lastWait) / elapsed;
    this._lastProbe = now;
    this._lastWait = wait === null ? -1 : wait;
    if (share >= this._contendedShare) this._enterContended(now);
    else if (this.contended && share < this._contendedShare / 4 && now - this._contendedAt >= this._contendedMs) this.contended = false;
  }
}

/**
 * Spins (with `policy`'s budget) while `words[index] === value`; true as soon
 * as it differs, false when the budget ran out or the thread was descheduled
 * (the caller then parks). Counts the outcome in `policy`.
 * @example if (!spinWhileEqual(words, TAIL, head, spin)) park()
 */
export function spinWhileEqual(words: Int32Array, index: number, value: number, policy: AdaptiveSpin): boolean {
  policy.begin();
  const budget = policy.spins;
  for (let i = 0; i < budget; i++) {
    if (Atomics.load(words, index) !== value) {
      policy.hit(i);
      return true;
    }
    if ((i & 15) === 15 && policy.tick()) break;
  }
  policy.miss();
  return false;
}
