/**
 * WorkStealingPool: fork/join tasks on worker threads that balance their load
 * by stealing from each other's Chase-Lev deques in shared memory.
 *
 * Roles and memory (see work-stealing-layout.ts for the exact layout): each
 * worker owns a ChaseLevDeque it pushes its forked subtasks onto and pops
 * them from; every other worker may steal from it. Only a deque's owner may
 * push at its bottom, so the main thread does not push into workers' deques:
 * each worker also has an inbox, a second ChaseLevDeque whose owner is the
 * main thread; a submission goes into the inbox of the least-loaded worker
 * (fewest queued items in deque + inbox, not busy with a top-level task; ties
 * rotate), and workers steal from inboxes, their own first. Results live in
 * a table of result slots in one control buffer; the main thread owns the
 * root partition of it. A worker completing a top-level task appends the slot
 * to a completion ring and bumps DONE_SEQ; the main thread drains the ring
 * and sleeps in `Atomics.waitAsync(DONE_SEQ)` in between (notified only while
 * it says it waits), so completions cost no message and no event-loop hop on
 * the worker side.
 *
 * Event loop: workers are unref'd. While any submission is unsettled a ref'd
 * interval keeps the process alive; an idle pool never does.
 *
 * Crashes: if a worker dies (exit, uncaught error), every dispatched,
 * unsettled top-level task is rejected with ForkJoinWorkerCrashedError (its
 * subtasks may have been anywhere, including the dead thread), the whole team
 * is terminated and replaced by a fresh one with fresh buffers, and queued,
 * not yet dispatched submissions run on the new team. Replacing every thread,
 * not just the dead one, is what makes this simple and safe: survivors may be
 * mid-task on a rejected tree or waiting for a subtask that will never finish,
 * and stale writes land in buffers nobody reads. A team that dies before it
 * is ready (the task module does not load) is not restarted: the pool becomes
 * failed and every submission rejects with that error.
 *
 * Shutdown order (`close`): refuse new submissions; unless `force`, wait for
 * everything submitted to settle; then set SHUTDOWN, wake all sleepers, and
 * wait for the threads to exit (terminate any that have not within
 * CLOSE_GRACE_MS). With `force`, reject what is unsettled with ClosedError
 * and terminate at once.
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { ClosedError, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { checkOptions, numberError } from '../validate.ts';
import { waitAsync } from './atomics-wait.ts';
import { ChaseLevDeque, type DequeOwner } from './chase-lev-deque.ts';
import { runtimeUrl, spawnWorker } from './spawn-worker.ts';
import { ForkJoinTaskError, ForkJoinWorkerCrashedError } from './work-stealing-errors.ts';
import {
  C_DONE_SEQ,
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
  MAX_ARGS,
  SLOT_ERROR,
  SLOT_FREE,
  SLOT_PENDING,
  SLOT_STATE_MASK,
  STAT_WORDS,
  S_BUSY,
  S_EXECUTED,
  S_INLINED,
  S_SLEEPS,
  S_STEAL_ATTEMPTS,
  S_STOLEN,
  readErrorText,
  teamLayout,
  type TeamLayout,
} from './work-stealing-layout.ts';
import type { WorkStealingWorkerData } from './work-stealing-worker.ts';

export type { ForkJoinContext, ForkJoinHandle, ForkJoinTask } from './work-stealing-worker.ts';

/** Most worker threads a pool may have. */
export const MAX_WORK_STEALING_THREADS = 256;
/**
 * Most deque items of a team in all (threads x dequeCapacity): 768 MiB of
 * deques. Bounded up front because a team is many buffers: near the
 * address-space limit their allocations can make V8 abort the process (a
 * failed GC commit) instead of throwing. A fork past a full deque runs
 * inline, so a smaller deque costs no correctness.
 */
const MAX_TEAM_DEQUE_ITEMS = 2 ** 24;
/** Result slots each worker has for its outstanding forked subtasks; past that, fork runs the subtask inline. */
const SLOTS_PER_WORKER = 8192;
/** Top-level tasks in flight at once (a power of two); more wait in a main-thread queue. */
const ROOT_SLOTS = 1024;
/** Capacity of each worker's inbox (a power of two). */
const INBOX_CAPACITY = 256;
/** How long a graceful close waits for idle threads to leave their loop before terminating them. */
const CLOSE_GRACE_MS = 1000;
const KEEP_ALIVE_MS = 2 ** 30;

/**
 * Options of {@link WorkStealingPool}.
 * @example new WorkStealingPool({ filename: new URL('./tasks.js', import.meta.url), threads: 4 })
 */
export interface WorkStealingPoolOptions {
  /** The task module (file URL or path): its exported functions are the tasks. Must exist. */
  filename: URL | string;
  /**
   * Worker threads, an integer from 1 to 256. Default: `os.availableParallelism()`.
   * Each takes a control share of about 160 KB plus its deque (48 bytes per item) in shared memory.
   */
  threads?: number;
  /**
   * Subtasks each worker's deque holds before fork runs them inline; a power
   * of two from 16 to 2^20, and threads x dequeCapacity at most 2^24 (the
   * deques take 48 bytes per item: at most 768 MiB in all; 256 threads of
   * 2^20 would ask for 12 GiB). Default 1024. Shared memory the engine cannot
   * allocate is refused with an `OutOfRangeError` naming threads,
   * dequeCapacity and the bytes.
   */
  dequeCapacity?: number;
  /** Buffers handed to every task as `ctx.shared` (e.g. an array to sort in place). */
  shared?: SharedArrayBuffer[];
}

/**
 * Counters of one worker (cumulative, also over team replacements; a snapshot while running).
 * @example pool.stats().workers[0].stolen
 */
export interface WorkStealingWorkerStats {
  /** Tasks and subtasks run from a deque or inbox. */
  executed: number;
  /** Of those, taken from another worker's deque or inbox. */
  stolen: number;
  /** Steal attempts on other workers (successful or not). */
  stealAttempts: number;
  /** Times the worker went to sleep for lack of work. */
  sleeps: number;
  /** Forks run inline because the deque was full or the worker was out of result slots. */
  inlined: number;
}

/**
 * Snapshot returned by {@link WorkStealingPool.stats}.
 * @example const { submitted, completed, workers } = pool.stats()
 */
export interface WorkStealingPoolStats {
  /** Worker threads per team. */
  threads: number;
  /** Submissions accepted so far. */
  submitted: number;
  /** Submissions settled (resolved or rejected). */
  completed: number;
  /** Dispatched to a worker and not yet settled. */
  inFlight: number;
  /** Accepted but waiting for a free root slot or for the team to start. */
  queued: number;
  /** Teams replaced after a worker crashed. */
  crashes: number;
  /** Per-worker counters. */
  workers: WorkStealingWorkerStats[];
}

/**
 * Options of {@link WorkStealingPool.close}.
 * @example await pool.close({ force: true })
 */
export interface WorkStealingCloseOptions {
  /** Reject unsettled submissions with ClosedError and terminate the threads at once instead of draining. A boolean; default false. */
  force?: boolean;
}

interface Submission {
  fnName: string;
  argc: number;
  a0: number;
  a1: number;
  a2: number;
  a3: number;
  resolve: (value: number) => void;
  reject: (reason: unknown) => void;
}

/** One set of worker threads and the buffers they share. */
interface Team {
  layout: TeamLayout;
  control: SharedArrayBuffer;
  ctl: Int32Array;
  bytes: Uint8Array;
  f64: Float64Array;
  inboxes: DequeOwner[];
  deques: ChaseLevDeque[];
  inboxDeques: ChaseLevDeque[];
  workers: Worker[];
  readyCount: number;
  /** Function names in id order, once the first worker is ready. */
  names: string[] | null;
  byName: Map<string, number>;
  isReady: boolean;
  isStopping: boolean;
  /** Root slot index -> its submission. */
  inFlight: (Submission | null)[];
  freeRoots: number[];
  /** Next completion ring entry to read. */
  head: number;
  exited: Promise<void>[];
}

const NO_ARG = 0;

/**
 * A pool of worker threads running fork/join tasks with work stealing: tasks
 * split themselves into subtasks (`ctx.fork`), wait for them while helping
 * (`ctx.join`), and idle workers steal queued subtasks from busy ones, so an
 * unevenly split workload still keeps every thread busy.
 * @example
 * // tasks.js (the task module)
 * export function fib(ctx, n) {
 *   if (n < 25) return fibSeq(n);
 *   const a = ctx.fork(fib, n - 1);
 *   return fib(ctx, n - 2) + ctx.join(a);
 * }
 * // main
 * const pool = new WorkStealingPool({ filename: new URL('./tasks.js', import.meta.url), threads: 4 });
 * console.log(await pool.submit('fib', 35));
 * await pool.close();
 */
export class WorkStealingPool {
  /** Worker threads per team. */
  readonly threads: number;
  /** Capacity of each worker's deque. */
  readonly dequeCapacity: number;
  /** The task module's URL. */
  readonly filename: string;
  private readonly shared: SharedArrayBuffer[];
  private team: Team;
  private readonly queue: Submission[];
  private queueHead: number;
  private submitted: number;
  private completed: number;
  private crashes: number;
  private readonly carriedStats: Float64Array;
  private isClosed: boolean;
  private closing: Promise<void> | null;
  private failure: ForkJoinWorkerCrashedError | null;
  private isPumping: boolean;
  private keepAlive: ReturnType<typeof setInterval> | null;
  private nextWorker: number;
  private idleWaiters: (() => void)[];
  private readonly desc: Int32Array;
  private readonly descArgs: Float64Array;

  /**
   * Validates the options, checks that the task module exists and starts the threads.
   * Throws InvalidArgumentError / OutOfRangeError naming the bad option.
   * @example const pool = new WorkStealingPool({ filename: './dist/tasks.js', threads: 2 })
   */
  constructor(options: WorkStealingPoolOptions) {
    if (options === undefined) {
      throw new InvalidArgumentError('WorkStealingPool options must be an object { filename, threads?, dequeCapacity?, shared? }, got undefined');
    }
    checkOptions('WorkStealingPool', 'options', options);
    this.filename = resolveFilename(options.filename);
    const threads = options.threads === undefined ? availableParallelism() : options.threads;
    if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_WORK_STEALING_THREADS) {
      throw new (numberError(threads))(`WorkStealingPool threads (${describe(threads)}) must be an integer from 1 to ${MAX_WORK_STEALING_THREADS}`);
    }
    const cap = options.dequeCapacity === undefined ? 1024 : options.dequeCapacity;
    if (typeof cap !== 'number' || !Number.isInteger(cap) || cap < 16 || cap > 2 ** 20 || (cap & (cap - 1)) !== 0) {
      throw new (numberError(cap))(`WorkStealingPool dequeCapacity (${describe(cap)}) must be a power of two from 16 to 2^20`);
    }
    if (threads * cap > MAX_TEAM_DEQUE_ITEMS) {
      throw new OutOfRangeError(
        `WorkStealingPool threads (${threads}) x dequeCapacity (${cap}) must be at most 2^24 deque items in all (48 bytes each: 768 MiB), got ${threads * cap}; use fewer threads or a smaller dequeCapacity`,
      );
    }
    const shared = options.shared === undefined ? [] : options.shared;
    if (!Array.isArray(shared)) {
      throw new InvalidArgumentError(`WorkStealingPool shared must be an array of SharedArrayBuffer, got ${describe(shared)}`);
    }
    shared.forEach((b, i) => {
      if (!(b instanceof SharedArrayBuffer)) {
        throw new InvalidArgumentError(`WorkStealingPool shared[${i}] must be a SharedArrayBuffer, got ${describe(b)}`);
      }
    });
    this.threads = threads;
    this.dequeCapacity = cap;
    this.shared = [...shared];
    this.queue = [];
    this.queueHead = 0;
    this.submitted = 0;
    this.completed = 0;
    this.crashes = 0;
    this.carriedStats = new Float64Array(threads * STAT_WORDS);
    this.isClosed = false;
    this.closing = null;
    this.failure = null;
    this.isPumping = false;
    this.keepAlive = null;
    this.nextWorker = 0;
    this.idleWaiters = [];
    this.desc = new Int32Array(DESC_WORDS);
    this.descArgs = new Float64Array(this.desc.buffer);
    this.team = this.startTeam();
  }

  /**
   * Runs the exported task `name` of the task module with up to four number
   * arguments on some worker; resolves with its result. Rejects with
   * ClosedError after close(), InvalidArgumentError for an unknown name or a
   * non-number argument, ForkJoinTaskError if the task (or a subtask it
   * joined) threw, ForkJoinWorkerCrashedError if a worker died meanwhile.
   * @example const n = await pool.submit('sumRange', 0, 1e6)
   */
  submit(name: string, ...args: number[]): Promise<number> {
    if (this.isClosed) return Promise.reject(new ClosedError('WorkStealingPool'));
    if (this.failure !== null) return Promise.reject(this.failure);
    if (typeof name !== 'string') {
      return Promise.reject(new InvalidArgumentError(`WorkStealingPool submit name must be a string naming an exported function of ${this.filename}, got ${describe(name)}`));
    }
    if (args.length > MAX_ARGS) {
      return Promise.reject(new OutOfRangeError(`WorkStealingPool submit(${describe(name)}) got ${args.length} arguments; a task takes at most ${MAX_ARGS} numbers`));
    }
    for (let i = 0; i < args.length; i++) {
      if (typeof args[i] !== 'number') {
        return Promise.reject(new InvalidArgumentError(`WorkStealingPool submit(${describe(name)}) argument ${i} must be a number, got ${describe(args[i])}`));
      }
    }
    const names = this.team.names;
    if (names !== null && !this.team.byName.has(name)) return Promise.reject(this.unknownTask(name));
    return new Promise<number>((resolve, reject) => {
      this.submitted++;
      this.queue.push({
        fnName: name,
        argc: args.length,
        a0: args[0] ?? NO_ARG,
        a1: args[1] ?? NO_ARG,
        a2: args[2] ?? NO_ARG,
        a3: args[3] ?? NO_ARG,
        resolve,
        reject,
      });
      this.updateKeepAlive();
      this.dispatch();
    });
  }

  /**
   * Per-worker counters and submission counts (a snapshot).
   * @example assert(pool.stats().workers.some((w) => w.stolen > 0))
   */
  stats(): WorkStealingPoolStats {
    const team = this.team;
    const workers: WorkStealingWorkerStats[] = [];
    for (let w = 0; w < this.threads; w++) {
      const at = team.layout.stats + w * STAT_WORDS;
      const c = w * STAT_WORDS;
      const f = team.f64;
      const carried = this.carriedStats;
      workers.push({
        executed: f[at + S_EXECUTED] + carried[c + S_EXECUTED],
        stolen: f[at + S_STOLEN] + carried[c + S_STOLEN],
        stealAttempts: f[at + S_STEAL_ATTEMPTS] + carried[c + S_STEAL_ATTEMPTS],
        sleeps: f[at + S_SLEEPS] + carried[c + S_SLEEPS],
        inlined: f[at + S_INLINED] + carried[c + S_INLINED],
      });
    }
    const inFlight = team.layout.rootSlots - team.freeRoots.length;
    return {
      threads: this.threads,
      submitted: this.submitted,
      completed: this.completed,
      inFlight,
      queued: this.queue.length - this.queueHead,
      crashes: this.crashes,
      workers,
    };
  }

  /**
   * Stops the pool: later submissions reject with ClosedError. By default
   * waits for everything already submitted to settle, then lets the threads
   * exit; with `{ force: true }` rejects unsettled submissions with
   * ClosedError and terminates the threads at once. Idempotent.
   * @example await pool.close()
   */
  close(options?: WorkStealingCloseOptions): Promise<void> {
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      return Promise.reject(new InvalidArgumentError(`WorkStealingPool close options must be an object { force? } when given, got ${describe(options)}`));
    }
    const f = options?.force;
    if (f !== undefined && typeof f !== 'boolean') {
      return Promise.reject(new InvalidArgumentError(`WorkStealingPool close force must be a boolean, got ${describe(f)}`));
    }
    const force = f === true;
    this.isClosed = true;
    if (force) this.rejectAll(new ClosedError('WorkStealingPool'));
    if (this.closing === null) {
      this.closing = (async () => {
        while (this.unsettled() > 0 && !force) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
        await this.stopTeam(this.team, force);
        this.updateKeepAlive();
      })();
    } else if (force) {
      // A graceful close is draining: cut it short.
      void this.stopTeam(this.team, true);
    }
    return this.closing;
  }

  // -------------------------------------------------------------------------
  // Teams

  /**
   * Allocates a team's shared memory (before any thread starts), turning an
   * allocation failure into an OutOfRangeError naming the options and the size.
   */
  private allocateTeam(): { layout: TeamLayout; control: SharedArrayBuffer; deques: ChaseLevDeque[]; inboxDeques: ChaseLevDeque[] } {
    const threads = this.threads;
    const layout = teamLayout(threads, SLOTS_PER_WORKER, ROOT_SLOTS);
    const dequeBytes = (capacity: number) => 192 + capacity * DESC_WORDS * 4;
    const bytes = layout.bytes + threads * (dequeBytes(this.dequeCapacity) + dequeBytes(INBOX_CAPACITY));
    try {
      const control = new SharedArrayBuffer(layout.bytes);
      const deques: ChaseLevDeque[] = [];
      const inboxDeques: ChaseLevDeque[] = [];
      for (let w = 0; w < threads; w++) {
        deques.push(ChaseLevDeque.create({ capacity: this.dequeCapacity, itemWords: DESC_WORDS }));
        inboxDeques.push(ChaseLevDeque.create({ capacity: INBOX_CAPACITY, itemWords: DESC_WORDS }));
      }
      return { layout, control, deques, inboxDeques };
    } catch (e) {
      // V8's "Array buffer allocation failed", or ChaseLevDeque's typed form of it (also a RangeError).
      if (!(e instanceof RangeError)) throw e;
      throw new OutOfRangeError(
        `WorkStealingPool threads (${threads}) x dequeCapacity (${this.dequeCapacity}) need ${bytes} bytes of shared memory, which could not be allocated; use fewer threads or a smaller dequeCapacity`,
      );
    }
  }

  private startTeam(): Team {
    const threads = this.threads;
    const { layout, control, deques, inboxDeques } = this.allocateTeam();
    const freeRoots: number[] = [];
    for (let i = ROOT_SLOTS - 1; i >= 0; i--) freeRoots.push(i);
    const team: Team = {
      layout,
      control,
      ctl: new Int32Array(control),
      bytes: new Uint8Array(control),
      f64: new Float64Array(control),
      inboxes: inboxDeques.map((d) => d.owner()),
      deques,
      inboxDeques,
      workers: [],
      readyCount: 0,
      names: null,
      byName: new Map(),
      isReady: false,
      isStopping: false,
      inFlight: new Array<Submission | null>(ROOT_SLOTS).fill(null),
      freeRoots,
      head: 0,
      exited: [],
    };
    const entry = runtimeUrl('work-stealing-worker');
    for (let w = 0; w < threads; w++) {
      const workerData: WorkStealingWorkerData = {
        index: w,
        threads,
        filename: this.filename,
        control,
        deques: deques.map((d) => d.buffer),
        inboxes: inboxDeques.map((d) => d.buffer),
        shared: this.shared,
        slotsPerWorker: SLOTS_PER_WORKER,
        rootSlots: ROOT_SLOTS,
      };
      const worker = spawnWorker(entry, { workerData });
      team.workers.push(worker);
      team.exited.push(new Promise<void>((resolve) => worker.once('exit', () => resolve())));
      worker.on('message', (m: { type?: string; names?: string[] }) => {
        if (m?.type === 'ready' && Array.isArray(m.names)) this.onReady(team, m.names);
      });
      worker.on('error', (error: Error) => this.onCrash(team, w, `failed: ${error.message}`, undefined, error));
      worker.on('exit', (code: number) => this.onCrash(team, w, `exited with code ${code}`, code, undefined));
      // After the listeners: adding a 'message' listener refs the worker's port again.
      worker.unref();
    }
    return team;
  }

  private onReady(team: Team, names: string[]): void {
    if (team !== this.team || team.isStopping) return;
    if (team.names === null) {
      team.names = names;
      team.byName = new Map(names.map((n, i) => [n, i]));
    }
    if (++team.readyCount === this.threads) {
      team.isReady = true;
      this.dispatch();
    }
  }

  private onCrash(team: Team, index: number, detail: string, exitCode: number | undefined, cause: unknown): void {
    if (team !== this.team || team.isStopping) return;
    const wasReady = team.isReady;
    const error = new ForkJoinWorkerCrashedError(index, wasReady ? detail : `${detail} before it was ready (does ${this.filename} load?)`, exitCode, cause);
    void this.stopTeam(team, true);
    // Carry the counters over; the new team starts from zero.
    for (let i = 0; i < this.carriedStats.length; i++) this.carriedStats[i] += team.f64[team.layout.stats + i];
    if (!wasReady) {
      this.failure = error;
      this.rejectAll(error);
      return;
    }
    this.crashes++;
    for (let slot = 0; slot < team.inFlight.length; slot++) {
      const s = team.inFlight[slot];
      if (s === null) continue;
      team.inFlight[slot] = null;
      this.settle();
      s.reject(error);
    }
    if (this.isClosed && this.unsettled() === 0) return;
    try {
      this.team = this.startTeam();
    } catch (e) {
      // No memory for a replacement team: the pool fails as if its threads could not start.
      this.failure = new ForkJoinWorkerCrashedError(index, `${detail}; no replacement team could be started: ${(e as Error).message}`, exitCode, e);
      this.rejectAll(this.failure);
    }
    this.updateKeepAlive();
  }

  private async stopTeam(team: Team, force: boolean): Promise<void> {
    if (!team.isStopping) {
      team.isStopping = true;
      Atomics.store(team.ctl, C_SHUTDOWN, 1);
      Atomics.add(team.ctl, C_EPOCH, 1);
      Atomics.notify(team.ctl, C_EPOCH);
      // Wake the pump if it waits on this team.
      Atomics.add(team.ctl, C_DONE_SEQ, 1);
      Atomics.notify(team.ctl, C_DONE_SEQ);
    }
    if (force) {
      await Promise.all(team.workers.map((w) => w.terminate()));
      return;
    }
    const exited = Promise.all(team.exited);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), CLOSE_GRACE_MS);
    });
    const outcome = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (outcome === 'late') await Promise.all(team.workers.map((w) => w.terminate()));
  }

  // -------------------------------------------------------------------------
  // Dispatch and completion

  /** Moves queued submissions into free root slots and workers' inboxes. */
  private dispatch(): void {
    const team = this.team;
    if (!team.isReady || team.isStopping) return;
    const ctl = team.ctl;
    let pushed = false;
    while (this.queueHead < this.queue.length && team.freeRoots.length > 0) {
      const s = this.queue[this.queueHead];
      const fnId = team.byName.get(s.fnName);
      if (fnId === undefined) {
        this.dequeue();
        this.settle();
        s.reject(this.unknownTask(s.fnName));
        continue;
      }
      const target = this.leastLoaded(team);
      if (target < 0) break;
      const root = team.freeRoots.pop()!;
      const slot = team.layout.rootBase + root;
      const d = this.desc;
      d[D_FN] = fnId;
      d[D_ARGC] = s.argc;
      d[D_SLOT] = slot;
      d[D_FLAGS] = FLAG_ROOT;
      const a = this.descArgs;
      a[D_ARG0] = s.a0;
      a[D_ARG0 + 1] = s.a1;
      a[D_ARG0 + 2] = s.a2;
      a[D_ARG0 + 3] = s.a3;
      Atomics.store(ctl, team.layout.states + slot, SLOT_PENDING);
      if (!team.inboxes[target].push(d)) {
        // Cannot happen (leastLoaded skips full inboxes, and only this thread pushes); keep the submission queued if it does.
        team.freeRoots.push(root);
        break;
      }
      team.inFlight[root] = s;
      this.dequeue();
      pushed = true;
    }
    if (pushed) {
      if (Atomics.load(ctl, C_SLEEPERS) > 0) {
        Atomics.add(ctl, C_EPOCH, 1);
        Atomics.notify(ctl, C_EPOCH, this.threads);
      }
      if (!this.isPumping) void this.pump();
    }
  }

  /** The worker with the fewest queued items (each top-level task it is running counts as one); -1 if every inbox is full. */
  private leastLoaded(team: Team): number {
    const n = this.threads;
    let best = -1;
    let bestLoad = Infinity;
    const start = this.nextWorker;
    for (let k = 0; k < n; k++) {
      const w = (start + k) % n;
      const inbox = team.inboxDeques[w].size();
      if (inbox >= INBOX_CAPACITY) continue;
      const load = inbox + team.deques[w].size() + team.f64[team.layout.stats + w * STAT_WORDS + S_BUSY];
      if (load < bestLoad) {
        bestLoad = load;
        best = w;
        if (load === 0) break;
      }
    }
    this.nextWorker = (start + 1) % n;
    return best;
  }

  private dequeue(): void {
    this.queueHead++;
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** Drains completions while anything is in flight, sleeping in Atomics.waitAsync in between. */
  private async pump(): Promise<void> {
    this.isPumping = true;
    try {
      for (;;) {
        const team = this.team;
        if (team.freeRoots.length === team.layout.rootSlots || team.isStopping) break;
        const ctl = team.ctl;
        Atomics.store(ctl, C_MAIN_WAITING, 1);
        const seen = Atomics.load(ctl, C_DONE_SEQ);
        if (this.drain(team) > 0) {
          Atomics.store(ctl, C_MAIN_WAITING, 0);
          this.dispatch();
          continue;
        }
        await waitAsync(ctl, C_DONE_SEQ, seen, Infinity);
        Atomics.store(ctl, C_MAIN_WAITING, 0);
      }
    } finally {
      this.isPumping = false;
    }
    // A crash may have started a new team with work while we were leaving.
    const team = this.team;
    if (team.freeRoots.length < team.layout.rootSlots && !team.isStopping) void this.pump();
  }

  /** Settles the completed top-level tasks in the ring; returns how many. */
  private drain(team: Team): number {
    const ctl = team.ctl;
    const { ring, rootSlots, rootBase, states, values } = team.layout;
    let count = 0;
    for (;;) {
      const at = ring + (team.head & (rootSlots - 1));
      const entry = Atomics.load(ctl, at);
      if (entry === 0) return count;
      Atomics.store(ctl, at, 0);
      team.head++;
      const root = entry - 1;
      const slot = rootBase + root;
      const state = Atomics.load(ctl, states + slot) & SLOT_STATE_MASK;
      const value = team.f64[values + slot];
      Atomics.store(ctl, states + slot, SLOT_FREE);
      const s = team.inFlight[root];
      team.inFlight[root] = null;
      team.freeRoots.push(root);
      count++;
      if (s === null) continue;
      this.settle();
      if (state === SLOT_ERROR) {
        const text = readErrorText(team.bytes, ctl, team.layout, value);
        s.reject(
          text === null
            ? new ForkJoinTaskError(s.fnName, 'Error', 'the task failed; its error text was overwritten by later errors', '')
            : new ForkJoinTaskError(text.taskName, text.name, text.message, text.stack),
        );
      } else {
        s.resolve(value);
      }
    }
  }

  // -------------------------------------------------------------------------
  // Bookkeeping

  private unsettled(): number {
    return this.submitted - this.completed;
  }

  private settle(): void {
    this.completed++;
    if (this.unsettled() === 0) {
      this.updateKeepAlive();
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Rejects everything queued or in flight with `error`. */
  private rejectAll(error: Error): void {
    const team = this.team;
    for (let root = 0; root < team.inFlight.length; root++) {
      const s = team.inFlight[root];
      if (s === null) continue;
      team.inFlight[root] = null;
      this.settle();
      s.reject(error);
    }
    while (this.queueHead < this.queue.length) {
      const s = this.queue[this.queueHead];
      this.dequeue();
      this.settle();
      s.reject(error);
    }
  }

  /** Holds a ref'd interval exactly while a submission is unsettled (workers are unref'd). */
  private updateKeepAlive(): void {
    const needed = this.unsettled() > 0;
    if (needed && this.keepAlive === null) this.keepAlive = setInterval(noop, KEEP_ALIVE_MS);
    else if (!needed && this.keepAlive !== null) {
      clearInterval(this.keepAlive);
      this.keepAlive = null;
    }
  }

  private unknownTask(name: string): InvalidArgumentError {
    return new InvalidArgumentError(`WorkStealingPool task name ${describe(name)} is not a function exported by ${this.filename}`);
  }
}

function noop(): void {}

/** Checks the task module option and returns its file URL (href). */
function resolveFilename(filename: unknown): string {
  let url: URL;
  if (filename instanceof URL) url = filename;
  else if (typeof filename === 'string' && filename !== '') {
    url = filename.startsWith('file:') ? new URL(filename) : pathToFileURL(filename);
  } else {
    throw new InvalidArgumentError(`WorkStealingPool filename must be a file URL or a path to the task module, got ${describe(filename)}`);
  }
  if (url.protocol !== 'file:') {
    throw new InvalidArgumentError(`WorkStealingPool filename (${describe(url.href)}) must be a file: URL or a path`);
  }
  const path = fileURLToPath(url);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new InvalidArgumentError(`WorkStealingPool filename (${describe(path)}) must name an existing file`);
  }
  return url.href;
}
