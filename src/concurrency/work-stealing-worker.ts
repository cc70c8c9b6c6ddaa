/**
 * The runtime inside each WorkStealingPool worker thread (started by
 * work-stealing-pool.ts with spawnWorker; not part of the public API).
 *
 * Startup: import the user's task module, index its exported functions by
 * sorted name (the main thread computes the same order from the names this
 * posts back), post { type: 'ready', names }, then run the scheduling loop
 * synchronously until SHUTDOWN. The loop never returns to the event loop, so
 * everything after 'ready' travels through shared memory.
 *
 * Scheduling loop (`run`): take a descriptor, in this order, and execute it:
 *   1. pop our own deque (LIFO: the subtask we forked last, still cache-warm);
 *   2. steal from our inbox (top-level tasks the main thread placed here);
 *   3. steal from the other workers' deques, then their inboxes, starting at
 *      a rotating victim so thieves do not all hit the same one.
 * With nothing to take, spin SPIN_TRIES times, then sleep (below).
 *
 * Fork/join: `ctx.fork(fn, ...args)` allocates a result slot from this
 * worker's partition, marks it PENDING and pushes a descriptor onto our deque
 * (when the deque is full or the slots are exhausted the subtask runs inline
 * at once and its result is kept locally). `ctx.join(handle)` helps until the
 * slot is DONE or ERROR: it executes whatever `take` finds (very often the
 * very subtask it waits for, popped back from our own deque), and only when
 * there is nothing to take and the slot is still pending does it sleep.
 * Joins are structured: a task's un-joined children are joined (quietly)
 * before its own result is published, also when it threw, so a slot is never
 * freed while a thread may still write it.
 *
 * Sleep and wake-up (no lost wake-ups, no endless busy-wait): a thread that
 * wants to sleep increments SLEEPERS, reads EPOCH, re-checks for work (and,
 * when joining, its slot), and only then `Atomics.wait(EPOCH, seen,
 * SLEEP_MS)`. Whoever makes work available (a fork, a main-thread submission)
 * publishes it and then reads SLEEPERS; if non-zero it bumps EPOCH and
 * notifies one sleeper. A joiner about to sleep also sets the WAITER bit on
 * its slot with a CAS, and the completer, which swaps the final state in with
 * `Atomics.exchange`, bumps EPOCH and notifies everyone if that bit was set.
 * Atomics are sequentially consistent, so in each pair (sleeper: write
 * SLEEPERS then read the work; waker: write the work then read SLEEPERS) at
 * least one side sees the other. The SLEEP_MS timeout is only a backstop.
 *
 * Shutdown: the main thread sets SHUTDOWN, bumps EPOCH and notifies all;
 * idle workers return from `run`, and the thread exits once its event loop
 * is empty. A worker stuck in a task is terminated by the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { ChaseLevDeque, STEAL_OK, STEAL_RETRY, type DequeOwner, type DequeStealer } from './chase-lev-deque.ts';
import { ForkJoinTaskError } from './work-stealing-errors.ts';
import { AdaptiveSpin } from './atomics-wait.ts';
import {
  C_DONE_SEQ,
  C_DONE_TAIL,
  C_EPOCH,
  C_MAIN_WAITING,
  C_SHUTDOWN,
  C_SLEEPERS,
  DESC_WORDS,
  D_ARG0,
  D_ARGC,
  D_FLAGS,
  D_FN,
  D_SLOT,
  FLAG_ROOT,
  SLOT_DONE,
  SLOT_ERROR,
  SLOT_FREE,
  SLOT_PENDING,
  SLOT_STATE_MASK,
  SLOT_WAITER,
  STAT_WORDS,
  S_BUSY,
  S_EXECUTED,
  S_INLINED,
  S_SLEEPS,
  S_STEAL_ATTEMPTS,
  S_STOLEN,
  readErrorText,
  teamLayout,
  writeErrorText,
  type TeamLayout,
} from './work-stealing-layout.ts';

/**
 * Most failed take attempts before a thread sleeps. One attempt looks at
 * every deque and inbox (a few loads each); 256 of them cost some tens of
 * microseconds, about what a futex sleep and wake-up costs, so on idle cores
 * a thread that spins this long and then sleeps wastes at most about twice
 * the optimum. The actual budget adapts (atomics-wait.ts): it shrinks when
 * spins end in sleep anyway and drops to MIN_SPINS while the thread competes
 * for a core (descheduled mid-spin, or waiting in the run queue), where
 * every spin is time taken from another thread, maybe the one we wait for.
 */
const MAX_SPINS = 256;
/** Fewest take attempts before sleeping (contended, or spinning never pays). */
const MIN_SPINS = 8;
/** Backstop timeout of a sleep: a lost wake-up (there should be none) costs this much latency, never a hang. */
const SLEEP_MS = 50;

/** What the main thread passes to each worker. */
export interface WorkStealingWorkerData {
  index: number;
  threads: number;
  filename: string;
  control: SharedArrayBuffer;
  deques: SharedArrayBuffer[];
  inboxes: SharedArrayBuffer[];
  shared: SharedArrayBuffer[];
  slotsPerWorker: number;
  rootSlots: number;
}

/**
 * An opaque handle to a forked subtask, to pass to `ctx.join`.
 * @example const h: ForkJoinHandle = ctx.fork(fib, n - 1)
 */
export type ForkJoinHandle = number & { readonly __forkJoinHandle: unique symbol };

/**
 * A task function of a WorkStealingPool task module: a synchronous function of
 * the context and up to four numbers, returning a number.
 * @example export function fib(ctx: ForkJoinContext, n: number): number { ... }
 */
export type ForkJoinTask = (ctx: ForkJoinContext, a0: number, a1: number, a2: number, a3: number) => number;

/**
 * What a task receives as its first argument: fork subtasks, join them, and
 * reach the pool's shared buffers.
 * @example
 * export function fib(ctx: ForkJoinContext, n: number): number {
 *   if (n < 20) return fibSeq(n);
 *   const left = ctx.fork(fib, n - 1);
 *   const right = fib(ctx, n - 2);
 *   return ctx.join(left) + right;
 * }
 */
export interface ForkJoinContext {
  /**
   * Pushes a subtask onto this worker's deque (where idle workers can steal
   * it) and returns its handle. `task` is an exported function of the task
   * module, or its name. Throws InvalidArgumentError for an unknown task or a
   * non-number argument.
   */
  fork(task: string | ((ctx: ForkJoinContext, ...args: number[]) => number), a0?: number, a1?: number, a2?: number, a3?: number): ForkJoinHandle;
  /**
   * Waits for a subtask while running other tasks, and returns its result;
   * throws ForkJoinTaskError if it threw. Each handle is joined at most once,
   * by the task that forked it. Children not joined are joined automatically
   * when their parent returns.
   */
  join(handle: ForkJoinHandle): number;
  /** The `shared` buffers given to the pool, in order. */
  readonly shared: readonly SharedArrayBuffer[];
  /** Index of the worker running the task (0 to threads - 1). */
  readonly workerIndex: number;
  /** Number of workers in the pool. */
  readonly threads: number;
}

type AnyTask = (ctx: ForkJoinContext, ...args: number[]) => unknown;

/** A failure kept for a subtask that ran inline. */
interface InlineFailure {
  taskName: string;
  error: unknown;
}

class ForkJoinRuntime implements ForkJoinContext {
  readonly shared: readonly SharedArrayBuffer[];
  readonly workerIndex: number;
  readonly threads: number;
  private readonly filename: string;
  private readonly layout: TeamLayout;
  private readonly ctl: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly values: Float64Array;
  private readonly stats: Float64Array;
  private readonly statBase: number;
  private readonly states: number;
  private readonly own: DequeOwner;
  private readonly deques: DequeStealer[];
  private readonly inboxes: DequeStealer[];
  private readonly fns: AnyTask[];
  private readonly names: string[];
  private readonly byName: Map<string, number>;
  private readonly byFn: Map<unknown, number>;
  /** Scratch descriptor for take/execute; execute copies it into locals before running anything. */
  private readonly desc: Int32Array;
  private readonly descArgs: Float64Array;
  /** Scratch descriptor for fork. */
  private readonly forkDesc: Int32Array;
  private readonly forkArgs: Float64Array;
  /** This worker's slot partition: [slotBase, slotBase + slotsPerWorker). */
  private readonly slotBase: number;
  private readonly freeSlots: Int32Array;
  private freeTop: number;
  /** 1 while a slot of ours is forked and not yet joined. */
  private readonly open: Uint8Array;
  /** Forked slots of the frames on the call stack; a frame owns [its start, forkTop). */
  private readonly forkStack: Int32Array;
  private forkTop: number;
  /** Where the running task's frame starts in forkStack. */
  private frameStart: number;
  /** Results of subtasks that ran inline (handle -1 - i); a stack, cut back at frame end. */
  private readonly stash: number[];
  private readonly stashFailures: (InlineFailure | null)[];
  private errorSeq: number;
  private victim: number;
  /** Adaptive spin budget of the idle loop (waiting for any work). */
  private readonly idleSpin: AdaptiveSpin;
  /** Adaptive spin budget of joins (waiting for one subtask with nothing to help with). */
  private readonly joinSpin: AdaptiveSpin;

  constructor(d: WorkStealingWorkerData, module: Record<string, unknown>) {
    this.shared = Object.freeze([...d.shared]);
    this.workerIndex = d.index;
    this.threads = d.threads;
    this.filename = d.filename;
    this.layout = teamLayout(d.threads, d.slotsPerWorker, d.rootSlots);
    this.ctl = new Int32Array(d.control);
    this.bytes = new Uint8Array(d.control);
    this.values = new Float64Array(d.control);
    this.stats = this.values;
    this.statBase = this.layout.stats + d.index * STAT_WORDS;
    this.states = this.layout.states;
    this.own = ChaseLevDeque.from(d.deques[d.index]).owner();
    this.deques = d.deques.map((b) => ChaseLevDeque.from(b).stealer());
    this.inboxes = d.inboxes.map((b) => ChaseLevDeque.from(b).stealer());
    this.names = Object.keys(module)
      .filter((k) => typeof module[k] === 'function')
      .sort();
    this.fns = this.names.map((k) => module[k] as AnyTask);
    this.byName = new Map(this.names.map((k, i) => [k, i]));
    this.byFn = new Map(this.fns.map((f, i) => [f, i]));
    this.desc = new Int32Array(DESC_WORDS);
    this.descArgs = new Float64Array(this.desc.buffer);
    this.forkDesc = new Int32Array(DESC_WORDS);
    this.forkArgs = new Float64Array(this.forkDesc.buffer);
    this.slotBase = d.index * d.slotsPerWorker;
    this.freeSlots = new Int32Array(d.slotsPerWorker);
    for (let i = 0; i < d.slotsPerWorker; i++) this.freeSlots[i] = this.slotBase + d.slotsPerWorker - 1 - i;
    this.freeTop = d.slotsPerWorker;
    this.open = new Uint8Array(d.slotsPerWorker);
    this.forkStack = new Int32Array(2 * d.slotsPerWorker);
    this.forkTop = 0;
    this.frameStart = 0;
    this.stash = [];
    this.stashFailures = [];
    this.errorSeq = 1;
    this.victim = d.index;
    // One attempt scans every deque: allow more time between clock readings on big teams before calling it descheduled.
    const spinOptions = { minSpins: MIN_SPINS, maxSpins: MAX_SPINS, preemptMs: 0.2 + 0.01 * d.threads };
    this.idleSpin = new AdaptiveSpin(spinOptions);
    this.joinSpin = new AdaptiveSpin(spinOptions);
  }

  /** The exported function names, in id order. */
  taskNames(): string[] {
    return this.names;
  }

  /** The scheduling loop; returns on SHUTDOWN. */
  run(): void {
    const ctl = this.ctl;
    const spin = this.idleSpin;
    let idle = 0;
    for (;;) {
      if (this.take()) {
        if (idle > 0) spin.hit(idle);
        this.execute();
        idle = 0;
        continue;
      }
      if (Atomics.load(ctl, C_SHUTDOWN) !== 0) return;
      if (idle === 0) spin.begin();
      idle++;
      // Keep looking while the adaptive budget lasts (and we were not descheduled meanwhile).
      if (idle < spin.spins && ((idle & 15) !== 15 || !spin.tick())) continue;
      spin.miss();
      const t = spin.parkStart();
      this.sleep(-1);
      spin.parkEnd(t);
      idle = 0;
    }
  }

  fork(task: string | AnyTask, a0?: number, a1?: number, a2?: number, a3?: number): ForkJoinHandle {
    const fnId = typeof task === 'function' ? this.byFn.get(task) : this.byName.get(task);
    if (fnId === undefined) throw this.unknownTask(task);
    const argc = a3 !== undefined ? 4 : a2 !== undefined ? 3 : a1 !== undefined ? 2 : a0 !== undefined ? 1 : 0;
    if (argc > 0 && typeof a0 !== 'number') throw badArg(this.names[fnId], 0, a0);
    if (argc > 1 && typeof a1 !== 'number') throw badArg(this.names[fnId], 1, a1);
    if (argc > 2 && typeof a2 !== 'number') throw badArg(this.names[fnId], 2, a2);
    if (argc > 3 && typeof a3 !== 'number') throw badArg(this.names[fnId], 3, a3);
    if (this.freeTop > 0 && this.forkTop < this.forkStack.length) {
      const slot = this.freeSlots[--this.freeTop];
      const f = this.forkDesc;
      f[D_FN] = fnId;
      f[D_ARGC] = argc;
      f[D_SLOT] = slot;
      f[D_FLAGS] = 0;
      const args = this.forkArgs;
      args[D_ARG0] = a0 as number;
      args[D_ARG0 + 1] = a1 as number;
      args[D_ARG0 + 2] = a2 as number;
      args[D_ARG0 + 3] = a3 as number;
      Atomics.store(this.ctl, this.states + slot, SLOT_PENDING);
      if (this.own.push(f)) {
        this.open[slot - this.slotBase] = 1;
        this.forkStack[this.forkTop++] = slot;
        if (Atomics.load(this.ctl, C_SLEEPERS) > 0) wake(this.ctl, 1);
        return slot as ForkJoinHandle;
      }
      Atomics.store(this.ctl, this.states + slot, SLOT_FREE);
      this.freeTop++;
    }
    // No room to publish it: run it now, keep the outcome for join.
    this.stats[this.statBase + S_INLINED]++;
    const i = this.stash.length;
    try {
      this.stash.push(this.call(fnId, argc, a0 as number, a1 as number, a2 as number, a3 as number));
      this.stashFailures.push(null);
    } catch (error) {
      this.stash.push(NaN);
      this.stashFailures.push({ taskName: this.names[fnId], error });
    }
    return (-1 - i) as ForkJoinHandle;
  }

  join(handle: ForkJoinHandle): number {
    if (typeof handle !== 'number' || !Number.isInteger(handle)) {
      throw new InvalidArgumentError(`WorkStealingPool join handle must be a handle returned by fork, got ${describe(handle)}`);
    }
    if (handle < 0) {
      const i = -1 - handle;
      if (i >= this.stash.length) throw notPending(handle);
      const failure = this.stashFailures[i];
      if (failure !== null) throw asTaskError(failure.taskName, failure.error);
      return this.stash[i];
    }
    const local = handle - this.slotBase;
    if (local < 0 || local >= this.open.length || this.open[local] === 0) throw notPending(handle);
    const state = this.help(handle);
    this.open[local] = 0;
    const value = this.values[this.layout.values + handle];
    this.release(handle);
    if (state === SLOT_ERROR) throw this.errorFrom(value);
    return value;
  }

  /** Finds a descriptor to run and copies it into `desc`. */
  private take(): boolean {
    const out = this.desc;
    if (this.own.pop(out)) return true;
    const me = this.workerIndex;
    for (;;) {
      let r = this.inboxes[me].steal(out);
      if (r === STEAL_OK) return true;
      let contended = r === STEAL_RETRY;
      const n = this.threads;
      if (n > 1) {
        const stats = this.stats;
        const sb = this.statBase;
        this.victim = this.victim + 1 < n ? this.victim + 1 : 0;
        for (let k = 0; k < n; k++) {
          let v = this.victim + k;
          if (v >= n) v -= n;
          if (v === me) continue;
          stats[sb + S_STEAL_ATTEMPTS]++;
          r = this.deques[v].steal(out);
          if (r === STEAL_OK || (r = this.inboxes[v].steal(out)) === STEAL_OK) {
            stats[sb + S_STOLEN]++;
            return true;
          }
          if (r === STEAL_RETRY) contended = true;
        }
      }
      // A lost race means someone else made progress and there may be more: look again.
      if (!contended) return false;
    }
  }

  /** True if any deque or inbox looks non-empty. */
  private anyWork(): boolean {
    for (let v = 0; v < this.threads; v++) {
      if (this.deques[v].size() > 0 || this.inboxes[v].size() > 0) return true;
    }
    return false;
  }

  /** Runs the descriptor in `desc` and publishes its outcome. */
  private execute(): void {
    const d = this.desc;
    const fnId = d[D_FN];
    const argc = d[D_ARGC];
    const slot = d[D_SLOT];
    const flags = d[D_FLAGS];
    const args = this.descArgs;
    const a0 = smallInt(args[D_ARG0]);
    const a1 = smallInt(args[D_ARG0 + 1]);
    const a2 = smallInt(args[D_ARG0 + 2]);
    const a3 = smallInt(args[D_ARG0 + 3]);
    const stats = this.stats;
    const sb = this.statBase;
    stats[sb + S_EXECUTED]++;
    const isRoot = (flags & FLAG_ROOT) !== 0;
    if (isRoot) stats[sb + S_BUSY]++;
    const frame = this.forkTop;
    const parentFrame = this.frameStart;
    this.frameStart = frame;
    const stashFrame = this.stash.length;
    let value = 0;
    let state = SLOT_DONE;
    try {
      value = this.call(fnId, argc, a0, a1, a2, a3);
    } catch (error) {
      state = SLOT_ERROR;
      value = this.recordError(this.names[fnId], error);
    }
    this.joinRest(frame);
    this.frameStart = parentFrame;
    this.stash.length = stashFrame;
    this.stashFailures.length = stashFrame;
    if (isRoot) stats[sb + S_BUSY]--;
    this.publish(slot, state, value, flags);
  }

  /** Calls task `fnId`; throws if it does not return a number. */
  private call(fnId: number, argc: number, a0: number, a1: number, a2: number, a3: number): number {
    const fn = this.fns[fnId];
    let r: unknown;
    switch (argc) {
      case 0:
        r = fn(this);
        break;
      case 1:
        r = fn(this, a0);
        break;
      case 2:
        r = fn(this, a0, a1);
        break;
      case 3:
        r = fn(this, a0, a1, a2);
        break;
      default:
        r = fn(this, a0, a1, a2, a3);
    }
    if (typeof r !== 'number') {
      throw new InvalidArgumentError(
        `WorkStealingPool task ${describe(this.names[fnId])} returned ${describe(r)}; a task must be a synchronous function returning a number`,
      );
    }
    return r;
  }

  /** Joins (ignoring failures) the children of the frame starting at `frame` that were not joined. */
  private joinRest(frame: number): void {
    for (let i = this.forkTop - 1; i >= frame; i--) {
      const slot = this.forkStack[i];
      const local = slot - this.slotBase;
      if (this.open[local] === 0) continue;
      this.help(slot);
      this.open[local] = 0;
      this.release(slot);
    }
    this.forkTop = frame;
  }

  /** Helps until `slot` is DONE or ERROR; returns that state. */
  private help(slot: number): number {
    const ctl = this.ctl;
    const at = this.states + slot;
    const spin = this.joinSpin;
    let spins = 0;
    for (;;) {
      const s = Atomics.load(ctl, at) & SLOT_STATE_MASK;
      if (s === SLOT_DONE || s === SLOT_ERROR) {
        if (spins > 0) spin.hit(spins);
        return s;
      }
      if (this.take()) {
        if (spins > 0) spin.hit(spins);
        this.execute();
        spins = 0;
        continue;
      }
      if (spins === 0) spin.begin();
      spins++;
      if (spins < spin.spins && ((spins & 15) !== 15 || !spin.tick())) continue;
      spin.miss();
      // Ask the completer to wake us, unless it completed in the meantime.
      const seen = Atomics.compareExchange(ctl, at, SLOT_PENDING, SLOT_PENDING | SLOT_WAITER);
      if (seen === SLOT_PENDING || seen === (SLOT_PENDING | SLOT_WAITER)) {
        const t = spin.parkStart();
        this.sleep(at);
        spin.parkEnd(t);
      }
      spins = 0;
    }
  }

  /** Sleeps on EPOCH unless work (or, with slotAt >= 0, the awaited slot) shows up first. */
  private sleep(slotAt: number): void {
    const ctl = this.ctl;
    Atomics.add(ctl, C_SLEEPERS, 1);
    const epoch = Atomics.load(ctl, C_EPOCH);
    const done = slotAt >= 0 && (Atomics.load(ctl, slotAt) & SLOT_STATE_MASK) >= SLOT_DONE;
    if (!done && !this.anyWork() && Atomics.load(ctl, C_SHUTDOWN) === 0) {
      this.stats[this.statBase + S_SLEEPS]++;
      Atomics.wait(ctl, C_EPOCH, epoch, SLEEP_MS);
    }
    Atomics.sub(ctl, C_SLEEPERS, 1);
  }

  /** Makes a slot's outcome visible and wakes whoever waits for it. */
  private publish(slot: number, state: number, value: number, flags: number): void {
    const ctl = this.ctl;
    this.values[this.layout.values + slot] = value;
    const old = Atomics.exchange(ctl, this.states + slot, state);
    if ((old & SLOT_WAITER) !== 0) wake(ctl, Infinity);
    if ((flags & FLAG_ROOT) !== 0) {
      const ticket = Atomics.add(ctl, C_DONE_TAIL, 1);
      Atomics.store(ctl, this.layout.ring + (ticket & (this.layout.rootSlots - 1)), slot - this.layout.rootBase + 1);
      Atomics.add(ctl, C_DONE_SEQ, 1);
      if (Atomics.load(ctl, C_MAIN_WAITING) !== 0) Atomics.notify(ctl, C_DONE_SEQ);
    }
  }

  private release(slot: number): void {
    Atomics.store(this.ctl, this.states + slot, SLOT_FREE);
    this.freeSlots[this.freeTop++] = slot;
    // Pop joined entries off the top of the running frame so fork/join loops do not fill the stack.
    while (this.forkTop > this.frameStart && this.open[this.forkStack[this.forkTop - 1] - this.slotBase] === 0) this.forkTop--;
  }

  /** Stores an error's texts for whoever reads the slot; returns the reference to put in the slot's value. */
  private recordError(taskName: string, error: unknown): number {
    let text;
    if (error instanceof ForkJoinTaskError) {
      text = { taskName: error.taskName, name: error.remoteName, message: error.message, stack: error.stack ?? '' };
    } else if (error instanceof Error) {
      text = { taskName, name: error.name, message: error.message, stack: error.stack ?? '' };
    } else {
      text = { taskName, name: 'Error', message: `task threw a non-Error value: ${String(error)}`, stack: '' };
    }
    return writeErrorText(this.bytes, this.ctl, this.layout, this.workerIndex, this.errorSeq++, text);
  }

  private errorFrom(ref: number): ForkJoinTaskError {
    const text = readErrorText(this.bytes, this.ctl, this.layout, ref);
    if (text === null) return new ForkJoinTaskError('(unknown)', 'Error', 'a subtask failed; its error text was overwritten by later errors', '');
    return new ForkJoinTaskError(text.taskName, text.name, text.message, text.stack);
  }

  private unknownTask(task: unknown): InvalidArgumentError {
    const what = typeof task === 'function' ? `function ${describe((task as { name?: unknown }).name ?? '')}` : `name ${describe(task)}`;
    return new InvalidArgumentError(`WorkStealingPool task ${what} is not a function exported by ${this.filename}`);
  }
}

function badArg(taskName: string, index: number, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`WorkStealingPool fork(${describe(taskName)}) argument ${index} must be a number, got ${describe(value)}`);
}

function notPending(handle: number): OutOfRangeError {
  return new OutOfRangeError(`WorkStealingPool join handle (${handle}) must be a handle forked by this task and not joined yet`);
}

function asTaskError(taskName: string, error: unknown): ForkJoinTaskError {
  if (error instanceof ForkJoinTaskError) return error;
  if (error instanceof Error) return new ForkJoinTaskError(taskName, error.name, error.message, error.stack ?? '');
  return new ForkJoinTaskError(taskName, 'Error', `task threw a non-Error value: ${String(error)}`, '');
}

/**
 * `v` itself, but as an int32 when it is one (not -0). Values read from a
 * Float64Array are float64 to the JIT; a task that gets them raw and inlines
 * its integer loop over them can end up with float64 loop counters (measured:
 * leaves 2x slower in some runs). Handing integers over as int32 keeps the
 * task's code on small-integer paths, as if it had been called directly.
 */
function smallInt(v: number): number {
  const i = v | 0;
  return i === v && (i !== 0 || 1 / v > 0) ? i : v;
}

/** Bumps EPOCH and wakes up to `count` sleepers. */
function wake(ctl: Int32Array, count: number): void {
  Atomics.add(ctl, C_EPOCH, 1);
  Atomics.notify(ctl, C_EPOCH, count);
}

const data = workerData as WorkStealingWorkerData | null;
if (parentPort !== null && data !== null && typeof data === 'object' && typeof data.filename === 'string') {
  const module = (await import(data.filename)) as Record<string, unknown>;
  const runtime = new ForkJoinRuntime(data, module);
  parentPort.postMessage({ type: 'ready', names: runtime.taskNames() });
  runtime.run();
}
