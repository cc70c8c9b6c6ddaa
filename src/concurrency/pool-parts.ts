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

/** Does nothing (keep-alive timers). */
export function noop(): void {}

/** `Atomics.waitAsync`, typed (the project's TypeScript lib predates ES2024). */
export const atomicsWaitAsync = (
  Atomics as unknown as {
    waitAsync(words: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
  }
).waitAsync;

/** Checks a module location and returns its URL string; throws naming `param` when it is malformed or missing. */
export function toUrl(component: string, param: string, file: unknown): string {
  let url: URL;
  if (file instanceof URL) url = file;
  else if (typeof file === 'string' && file.length > 0) {
    url = /^[a-z][a-z0-9+.-]*:/i.test(file) && !/^[a-z]:[\\/]/i.test(file) ? new URL(file) : pathToFileURL(file);
  } else {
    throw new InvalidArgumentError(`${component} ${param} must be a file URL or a path, got ${describe(file)}`);
  }
  if (url.protocol === 'file:' && !existsSync(fileURLToPath(url))) {
    throw new InvalidArgumentError(`${component} ${param} (${url.href}) does not exist`);
  }
  return url.href;
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

/**
 * The CPU lists for `threads` threads under `policy` (planCorePlacement on
 * this machine's topology); its argument errors are re-thrown naming the pool.
 */
export function placeThreads(component: string, threads: number, policy: PlacementPolicy): number[][] {
  try {
    return planCorePlacement(readCpuTopology(), threads, policy);
  } catch (e) {
    if (e instanceof OutOfRangeError) throw new OutOfRangeError(`${component} affinity: ${e.message}`);
    if (e instanceof InvalidArgumentError) throw new InvalidArgumentError(`${component} affinity: ${e.message}`);
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

