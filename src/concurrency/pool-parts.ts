/**
 * ThreadPool internals: the task record, the per-thread state, the pool's
 * FIFO queue and option checks. Not part of the public API.
 * @internal
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MessagePort, TransferListItem, Worker } from 'node:worker_threads';
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { ChannelReader, ChannelWriter } from './pool-channel.ts';
import { Decoder, Encoder } from './pool-codec.ts';
import { planCorePlacement, type PlacementPolicy } from './core-placement.ts';
import { readCpuTopology } from './cpu-topology.ts';
import type { ThreadSpec } from './thread-pool-types.ts';

/** Tasks that can be in flight (sent to threads) at once; more wait in the pool's queue. */
export const MAX_SLOTS = 1 << 15;
/** Largest `maxThreads`. */
export const MAX_THREADS = 1024;
/** Largest `prefetch`. */
export const MAX_PREFETCH = 64;
/** Weight of the newest run time in the moving average that sizes `prefetch: 'auto'`. */
export const EWMA = 0.05;

/** One submitted task, from `run` until it settles. */
export class Task {
  id = 0;
  fnId = 0;
  slot = -1;
  thread: PoolThread | null = null;
  settled = false;
  /**
   * Its `transferList` was posted to `thread`: the buffers now live there,
   * so the task can no longer be sent anywhere else (it is handed only to an
   * idle thread, never sent ahead or moved).
   */
  transferred = false;
  submitAt = 0;
  timer: NodeJS.Timeout | null = null;
  onAbort: (() => void) | null = null;
  resolve!: (v: unknown) => void;
  reject!: (e: unknown) => void;
  constructor(
    readonly name: string,
    readonly url: string,
    readonly args: readonly unknown[],
    /** Undefined when the caller gave none or an empty one. */
    readonly transferList: readonly TransferListItem[] | undefined,
    readonly signal: AbortSignal | undefined,
    readonly timeoutMs: number,
  ) {}
}

/** The pool's side of one worker thread: its rings, its tasks in flight, its state. */
export class PoolThread {
  readonly writer: ChannelWriter;
  readonly reader: ChannelReader;
  readonly enc: Encoder;
  readonly dec: Decoder;
  /** Tasks sent and not answered, oldest first (cancelled ones leave this list at once). */
  readonly inflight: Task[] = [];
  /** Frames sent and not answered (inflight plus cancelled ones awaiting their SKIPPED). */
  outstanding = 0;
  /** Slots of cancelled frames awaiting SKIPPED. */
  readonly skipping = new Set<number>();
  readonly known = new Set<number>();
  ready = false;
  dead = false;
  retiring = false;
  idleSince = 0;
  lastError: Error | null = null;
  bootError: Error | null = null;
  terminateReason: string | null = null;
  dirty = false;
  constructor(
    readonly index: number,
    readonly worker: Worker,
    request: SharedArrayBuffer,
    response: SharedArrayBuffer,
    readonly port: MessagePort,
  ) {
    this.writer = new ChannelWriter(request);
    this.reader = new ChannelReader(response);
    this.enc = new Encoder(this.writer.bytes, this.writer.view);
    this.dec = new Decoder(this.reader.bytes, this.reader.view);
  }
}

/** A first-in first-out queue on a growable ring of slots. */
export class TaskQueue {
  private items: (Task | undefined)[] = new Array(16);
  private head = 0;
  size = 0;
  push(t: Task): void {
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) & (this.items.length - 1)] = t;
    this.size++;
  }
  unshift(t: Task): void {
    if (this.size === this.items.length) this.grow();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = t;
    this.size++;
  }
  peek(): Task {
    return this.items[this.head] as Task;
  }
  shift(): Task {
    const t = this.items[this.head] as Task;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.size--;
    return t;
  }
  remove(t: Task): boolean {
    const mask = this.items.length - 1;
    for (let i = 0; i < this.size; i++) {
      if (this.items[(this.head + i) & mask] === t) {
        for (let j = i; j < this.size - 1; j++) this.items[(this.head + j) & mask] = this.items[(this.head + j + 1) & mask];
        this.items[(this.head + this.size - 1) & mask] = undefined;
        this.size--;
        return true;
      }
    }
    return false;
  }
  drain(): Task[] {
    const out: Task[] = [];
    while (this.size > 0) out.push(this.shift());
    return out;
  }
  private grow(): void {
    const old = this.items;
    const next = new Array<Task | undefined>(old.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.items = next;
    this.head = 0;
  }
}

/**
 * Text of a thrown value that may not be an Error: `String(e)`, or its kind
 * when even that throws (a null-prototype object, a throwing toString).
 */
export function thrownText(e: unknown): string {
  try {
    return String(e);
  } catch {
    return `a thrown ${describe(e).replace(/^an? /, '')} that cannot be printed`;
  }
}

/** Does nothing (keep-alive timers). */
export function noop(): void {}

/** `Atomics.waitAsync`, typed (the project's TypeScript lib predates ES2024). */
export const atomicsWaitAsync = (
  Atomics as unknown as {
    waitAsync(words: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

/**
 * Longest module URL (`href`, characters) and export name a task may have.
 * Each (URL, name) pair is sent to a thread once, in one frame of its request
 * ring; with these bounds that frame always fits (a longer one could never be
 * sent, and every task behind it would wait forever).
 */
export const MAX_URL_CHARS = 32 * 1024;
/** See {@link MAX_URL_CHARS}. */
export const MAX_TASK_NAME_CHARS = 4096;

/** `String.prototype.isWellFormed` (ES2024; in Node 20). */
const isWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed;

/**
 * Checks a task's export name the first time a pool sees it (names already
 * seen skip this): at most {@link MAX_TASK_NAME_CHARS} characters and well-formed
 * UTF-16 (a module cannot export a name with a lone surrogate, and the name
 * is sent to the thread as UTF-8).
 */
export function checkTaskName(component: string, name: string): void {
  if (name.length > MAX_TASK_NAME_CHARS) {
    throw new OutOfRangeError(`${component} run name (${describe(name.slice(0, 32))}..., ${name.length} characters) must be an export name of at most ${MAX_TASK_NAME_CHARS} characters`);
  }
  if (!isWellFormed.call(name)) {
    throw new OutOfRangeError(`${component} run name (${describe(name)}) must be well-formed Unicode (no lone surrogates): no module can export such a name`);
  }
}

/** Checks a module location and returns its URL string; throws naming `param` when it is malformed, too long or missing. */
export function toUrl(component: string, param: string, file: unknown): string {
  let url: URL;
  if (file instanceof URL) url = file;
  else if (typeof file === 'string' && file.length > 0) {
    if (file.length > MAX_URL_CHARS) throw tooLong(component, param, file.length);
    try {
      url = /^[a-z][a-z0-9+.-]*:/i.test(file) && !/^[a-z]:[\\/]/i.test(file) ? new URL(file) : pathToFileURL(file);
    } catch (e) {
      throw new InvalidArgumentError(`${component} ${param} (${describe(file)}) must be a file URL or a path: ${(e as Error).message}`);
    }
  } else {
    throw new InvalidArgumentError(`${component} ${param} must be a file URL or a path, got ${describe(file)}`);
  }
  if (url.href.length > MAX_URL_CHARS) throw tooLong(component, param, url.href.length);
  if (url.protocol === 'file:') {
    let path: string;
    try {
      path = fileURLToPath(url); // refuses a host (file://server/x) or an encoded '/' in the path
    } catch (e) {
      throw new InvalidArgumentError(`${component} ${param} (${url.href}) must be a file URL of this machine: ${(e as Error).message}`);
    }
    if (!existsSync(path)) throw new InvalidArgumentError(`${component} ${param} (${url.href}) does not exist`);
  }
  return url.href;
}

function tooLong(component: string, param: string, chars: number): OutOfRangeError {
  return new OutOfRangeError(`${component} ${param} (${chars} characters) must be a URL or path of at most ${MAX_URL_CHARS} characters`);
}

/** The named rejection handlers. */
export const REJECTION_HANDLERS: readonly string[] = ['abort', 'caller-runs', 'discard', 'discard-oldest'];

/** Largest `resultSpinUs`: one second of busy-waiting per tick is already far past useful. */
export const MAX_SPIN_US = 1_000_000;

/** Rule of `taskTimeoutMs` and `run`'s `timeoutMs`: 0 is refused (it would time out every task); Infinity means none. */
export const TASK_TIMEOUT_RULE = {
  min: 0,
  minExclusive: true,
  allowInfinity: true,
  note: '(Infinity: no timeout; 0 is refused); Node timers cannot wait longer than 2^31 - 1 ms',
} as const;

/**
 * Checks what a `threadFactory` returned (undefined or a plain object of
 * worker options; the Worker constructor checks the fields themselves).
 */
export function checkThreadSpec(component: string, spec: unknown): ThreadSpec {
  if (spec === undefined) return {};
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new InvalidArgumentError(`${component} threadFactory must return an object of worker options or undefined, got ${describe(spec)}`);
  }
  return spec as ThreadSpec;
}

const PLACEMENT_NAMES: readonly string[] = ['spread', 'compact', 'numa'];

/**
 * The CPU lists for `threads` (maxThreads) threads under `policy`
 * (planCorePlacement on this machine's topology). Explicit lists are checked
 * here first, in the pool's terms (wrong kinds before the count, which must be
 * maxThreads); planCorePlacement's other errors are re-thrown naming the pool
 * and its affinity option.
 */
export function placeThreads(component: string, threads: number, policy: PlacementPolicy): number[][] {
  if (!Array.isArray(policy)) {
    if (typeof policy !== 'string' || !PLACEMENT_NAMES.includes(policy)) {
      throw new InvalidArgumentError(`${component} affinity must be a placement policy ('spread', 'compact' or 'numa') or one CPU list per thread (an array of arrays of CPU numbers), got ${describe(policy)}`);
    }
  } else {
    const lists = policy as readonly unknown[];
    for (let i = 0; i < lists.length; i++) {
      const list = lists[i];
      if (!Array.isArray(list)) throw new InvalidArgumentError(`${component} affinity[${i}] must be an array of CPU numbers, got ${describe(list)}`);
      for (const cpu of list as readonly unknown[]) {
        if (typeof cpu !== 'number') throw new InvalidArgumentError(`${component} affinity[${i}] must hold CPU numbers, got ${describe(cpu)}`);
      }
    }
    if (lists.length !== threads) {
      throw new OutOfRangeError(`${component} affinity has ${lists.length} CPU lists; it must have one per thread, as many as maxThreads (${threads})`);
    }
  }
  try {
    return planCorePlacement(readCpuTopology(), threads, policy);
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^planCorePlacement /, '') : thrownText(e);
    if (e instanceof OutOfRangeError) throw new OutOfRangeError(`${component} affinity: ${why}`);
    if (e instanceof InvalidArgumentError) throw new InvalidArgumentError(`${component} affinity: ${why}`);
    throw e;
  }
}

/** Built-in error classes a worker's error is rebuilt as, by name. */
export const STANDARD_ERRORS: Record<string, ErrorConstructor> = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

/** The caller-side copy of a worker's error: same class for the standard ones, same name, message, stack and own properties. */
export function rebuildError(desc: Record<string, unknown>): Error {
  const name = String(desc.name);
  const e = new (Object.hasOwn(STANDARD_ERRORS, name) ? STANDARD_ERRORS[name] : Error)(String(desc.message));
  if (e.name !== name) e.name = name;
  if (typeof desc.stack === 'string' && desc.stack.length > 0) e.stack = desc.stack;
  const props = desc.props;
  if (typeof props === 'object' && props !== null) Object.assign(e, props);
  return e;
}

