/**
 * The ThreadPool's worker runtime: the code every pool thread runs.
 *
 * Loop: read task frames from the request ring, claim each task with a CAS
 * on its slot (QUEUED -> RUNNING; a task the pool took back is answered
 * SKIPPED), run it, write the result frame into the response ring. Results
 * are made visible (TAIL stored) before the next task starts, so a task
 * that never returns (a loop, `process.exit`, an abort it ignores) cannot
 * hold back or take down results already produced: the pool reads them when
 * its timer fires or the thread exits. The pool's thread is rung (notified,
 * and only if it said it is asleep) once per 32 results, when the request
 * ring is momentarily empty, or at once after a task that ran more than
 * 50 µs: a stream of results costs one wake-up, not one each.
 *
 * Idle: spin briefly (a pool that streams tasks keeps the thread hot), then
 * sleep in `Atomics.wait` on the request ring's TAIL in slices of 200 ms,
 * yielding to the event loop between slices. While an async task is in
 * flight the thread must keep its event loop running, so it waits with
 * `Atomics.waitAsync` instead.
 * @internal
 */
import { parentPort, receiveMessageOnPort, workerData, type TransferListItem } from 'node:worker_threads';
import { serialize } from 'node:v8';
import { ChannelReader, ChannelWriter, I_TAIL } from './pool-channel.ts';
import { Decoder, Encoder, NO_SPACE, transferListProblem } from './pool-codec.ts';
import {
  K_DEFINE,
  K_TASK,
  MAX_INLINE,
  R_ERR,
  R_ERR_PORT,
  R_OK,
  R_OK_PORT,
  R_SKIPPED,
  RESULT_HEADER,
  RF_ERROR_OBJECT,
  RF_NOT_FOUND,
  S_ABORTING,
  S_QUEUED,
  S_RUNNING,
  C_MAIN_SLEEPING,
  TASK_HEADER,
  type PoolToWorker,
  type PoolWorkerData,
  type WorkerToPool,
} from './pool-protocol.ts';
import { isTransferResult, type TaskContext } from './task-context.ts';
import { pinCurrentThread } from './affinity.ts';

/** How long an idle thread spins before it sleeps, ms: a futex wake-up costs tens of µs, so a peer that is merely a little behind is caught by the spin. */
const SPIN_MS = 0.05;
const SLEEP_SLICE_MS = 200;
/** Results per wake-up of the pool's thread at most, while tasks stream. */
const PUBLISH_EVERY = 32;
/** A task that ran longer than this has its result's wake-up sent at once, ms. */
const SLOW_TASK_MS = 0.05;

const data = workerData as PoolWorkerData;
const port = data.dataPort;
const reader = new ChannelReader(data.request);
const writer = new ChannelWriter(data.response);
const control = new Int32Array(data.control);
const states = new Int32Array(data.slotStates);
const starts = new Float64Array(data.slotStarts);
const dec = new Decoder(reader.bytes, reader.view);
const enc = new Encoder(writer.bytes, writer.view);
const rbytes = reader.bytes;
const rview = reader.view;
const timeOrigin = performance.timeOrigin;

type TaskFn = (this: TaskContext, ...args: unknown[]) => unknown;
/** By function id: the function, or why it cannot be called. */
const fns: (TaskFn | string | undefined)[] = [];
const modules = new Map<string, Record<string, unknown>>();
/** Running async tasks that asked for a signal, by slot. */
const listening = new Map<number, Context>();
let asyncPending = 0;
let paused = false;
let headDirty = false;

class Context implements TaskContext {
  readonly slot: number;
  readonly id: number;
  done = false;
  private controller: AbortController | null = null;
  constructor(slot: number, id: number) {
    this.slot = slot;
    this.id = id;
  }
  get aborted(): boolean {
    return !this.done && Atomics.load(states, this.slot) === S_ABORTING;
  }
  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.aborted) this.abort();
      else if (!this.done) listening.set(this.slot, this);
    }
    return this.controller.signal;
  }
  throwIfAborted(): void {
    if (this.aborted) throw new DOMException('The task was aborted by its caller', 'AbortError');
  }
  abort(): void {
    this.controller?.abort(new DOMException('The task was aborted by its caller', 'AbortError'));
  }
  finish(): void {
    this.done = true;
    if (this.controller !== null) listening.delete(this.slot);
  }
}

// ------------------------------------------------------------------ results

function ringDoorbell(): void {
  if (Atomics.load(control, C_MAIN_SLEEPING) !== 0 && Atomics.compareExchange(control, C_MAIN_SLEEPING, 1, 0) === 1) {
    Atomics.notify(control, C_MAIN_SLEEPING);
  }
}

/** Results made visible (TAIL stored) since the pool's thread was last rung. */
let unrung = 0;

/** Makes every written result visible without waking the pool's thread: it reads them at its next wake-up, timer or exit handling. */
function publishQuietly(): void {
  if (writer.unpublished === 0) return;
  unrung += writer.unpublished;
  writer.publish();
}

/** Makes every written result visible and rings the pool's thread if it sleeps. */
function flush(): void {
  publishQuietly();
  if (unrung === 0) return;
  unrung = 0;
  ringDoorbell();
}

function beginResult(): number {
  let off = writer.begin(MAX_INLINE);
  while (off < 0) {
    flush();
    off = writer.beginBlocking(MAX_INLINE, 1000);
  }
  return off;
}

function header(off: number, kind: number, flags: number, slot: number, id: number, runMs: number): void {
  const view = writer.view;
  writer.bytes[off] = kind;
  writer.bytes[off + 1] = flags;
  view.setUint32(off + 4, slot, true);
  view.setUint32(off + 8, id, true);
  view.setFloat32(off + 12, runMs * 1000, true);
}

/** Writes `value` as the result of (slot, id); falls back to v8 bytes, then to the data port. */
function sendValue(kindInline: number, kindPort: number, flags: number, slot: number, id: number, runMs: number, value: unknown): void {
  let transfer: readonly TransferListItem[] | null = null;
  if (isTransferResult(value)) {
    transfer = value.transferList;
    value = value.value;
  }
  const off = beginResult();
  if (transfer === null) {
    enc.end = off + MAX_INLINE;
    let p = enc.value(value, off + RESULT_HEADER, 0);
    if (p < 0 && p !== NO_SPACE) {
      let bytes: Buffer | null = null;
      try {
        bytes = serialize(value);
      } catch (e) {
        // Not cloneable: the caller gets an error instead of a value.
        writer.cancel();
        sendError(slot, id, runMs, new TypeError(`task result could not be cloned: ${(e as Error).message}`));
        return;
      }
      p = enc.v8Bytes(bytes, off + RESULT_HEADER);
    }
    if (p >= 0) {
      header(off, kindInline, flags, slot, id, runMs);
      writer.end(p - off);
      return;
    }
  }
  try {
    if (transfer !== null) {
      const problem = transferListProblem(transfer);
      if (problem !== null) throw new TypeError(problem);
    }
    port.postMessage(value, transfer === null ? undefined : [...transfer]);
  } catch (e) {
    writer.cancel();
    sendError(slot, id, runMs, new TypeError(`task result could not be sent: ${(e as Error).message}`));
    return;
  }
  header(off, kindPort, flags, slot, id, runMs);
  writer.end(RESULT_HEADER);
}

function describeError(e: Error): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(e)) props[key] = (e as unknown as Record<string, unknown>)[key];
  return { name: e.name, message: e.message, stack: e.stack ?? '', props };
}

function sendError(slot: number, id: number, runMs: number, error: unknown, extraFlags = 0): void {
  if (error instanceof Error) {
    const description = describeError(error);
    try {
      serialize(description.props);
    } catch {
      description.props = {};
    }
    sendValue(R_ERR, R_ERR_PORT, RF_ERROR_OBJECT | extraFlags, slot, id, runMs, description);
    return;
  }
  try {
    serialize(error);
  } catch {
    error = String(error);
  }
  sendValue(R_ERR, R_ERR_PORT, extraFlags, slot, id, runMs, error);
}

function sendSkipped(slot: number, id: number): void {
  const off = beginResult();
  header(off, R_SKIPPED, 0, slot, id, 0);
  writer.end(RESULT_HEADER);
}

function settled(ctx: Context, started: number, ok: boolean, value: unknown): void {
  ctx.finish();
  const runMs = performance.now() - started;
  if (ok) sendValue(R_OK, R_OK_PORT, 0, ctx.slot, ctx.id, runMs, value);
  else sendError(ctx.slot, ctx.id, runMs, value);
}

// ------------------------------------------------------------------ tasks

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function runTask(off: number, kind: number): void {
  const fnId = rview.getUint16(off + 2, true);
  const slot = rview.getUint32(off + 4, true);
  const id = rview.getUint32(off + 8, true);
  if (Atomics.compareExchange(states, slot, S_QUEUED, S_RUNNING) !== S_QUEUED) {
    if (kind !== K_TASK) receiveMessageOnPort(port);
    reader.consume();
    sendSkipped(slot, id);
    return;
  }
  let args: unknown[] | null = null;
  let receiveError: unknown = null;
  if (kind === K_TASK) {
    dec.pos = off + TASK_HEADER;
    args = dec.value() as unknown[];
  } else {
    // The pool refuses detached buffers before posting, so this should not
    // throw; if it does, the task fails with the reason instead of the thread.
    try {
      args = (receiveMessageOnPort(port)?.message as { args: unknown[] } | undefined)?.args ?? null;
      if (args === null) receiveError = new Error('its arguments were not on the data port');
    } catch (e) {
      receiveError = e;
    }
  }
  reader.consume();
  headDirty = true;
  const started = performance.now();
  starts[slot] = timeOrigin + started;
  if (args === null) {
    sendError(slot, id, 0, new TypeError(`task arguments could not be received: ${(receiveError as Error)?.message ?? String(receiveError)}`));
    return;
  }
  // Results of earlier tasks become visible before this one runs: it may
  // never return (a loop, process.exit, a task that ignores its abort), and
  // what is already done must not wait for it nor die with it.
  publishQuietly();
  const fn = fns[fnId];
  if (typeof fn !== 'function') {
    sendError(slot, id, 0, { name: 'TaskNotFoundError', message: fn ?? `function #${fnId} was never defined` }, RF_NOT_FOUND);
    return;
  }
  const ctx = new Context(slot, id);
  let result: unknown;
  try {
    result = fn.apply(ctx, args);
  } catch (e) {
    settled(ctx, started, false, e);
    return;
  }
  if (isThenable(result)) {
    asyncPending++;
    result.then(
      (v) => {
        asyncPending--;
        settled(ctx, started, true, v);
        flush();
      },
      (e: unknown) => {
        asyncPending--;
        settled(ctx, started, false, e);
        flush();
      },
    );
    return;
  }
  ctx.finish();
  const runMs = performance.now() - started;
  sendValue(R_OK, R_OK_PORT, 0, slot, id, runMs, result);
  // Wake the pool's thread for a slow task's result at once, else once per batch (or when the ring runs dry).
  if (runMs > SLOW_TASK_MS || unrung + writer.unpublished >= PUBLISH_EVERY) flush();
}

function define(fnId: number, url: string, name: string, mod: Record<string, unknown>): void {
  const f = mod[name];
  if (typeof f === 'function') fns[fnId] = f as TaskFn;
  else {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
    fns[fnId] = `task '${name}' is not a function exported by ${url} (its exported functions: ${names.join(', ') || 'none'})`;
  }
}

/** Handles a DEFINE frame; returns false when the loop must pause for an import. */
function handleDefine(off: number): boolean {
  const fnId = rview.getUint16(off + 2, true);
  dec.pos = off + 4;
  const url = dec.value() as string;
  const name = dec.value() as string;
  reader.consume();
  headDirty = true;
  const mod = modules.get(url);
  if (mod !== undefined) {
    define(fnId, url, name, mod);
    return true;
  }
  paused = true;
  import(url).then(
    (m: Record<string, unknown>) => {
      modules.set(url, m);
      define(fnId, url, name, m);
      paused = false;
      pump();
    },
    (e: unknown) => {
      fns[fnId] = `could not import ${url}: ${(e as Error)?.message ?? String(e)}`;
      paused = false;
      pump();
    },
  );
  return false;
}

// ------------------------------------------------------------------ loop

function sleepAsync(): void {
  const tail = reader.prepareAsyncSleep();
  if (tail < 0) {
    setImmediate(pump);
    return;
  }
  const r = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, t: number): { async: boolean; value: Promise<string> | string } }).waitAsync(
    reader.words,
    I_TAIL,
    tail,
    SLEEP_SLICE_MS,
  );
  if (!r.async) {
    reader.awake();
    setImmediate(pump);
    return;
  }
  (r.value as Promise<string>).then(() => {
    reader.awake();
    pump();
  });
}

function pump(): void {
  if (paused) return;
  let idle = 0;
  let idleSince = 0;
  for (;;) {
    const off = reader.next();
    if (off >= 0) {
      idle = 0;
      const kind = rbytes[off];
      if (kind === K_DEFINE) {
        if (!handleDefine(off)) {
          reader.publishHead();
          flush();
          return;
        }
      } else runTask(off, kind);
      continue;
    }
    if (headDirty) {
      headDirty = false;
      reader.publishHead();
    }
    flush();
    // Spin about SPIN_MS before sleeping (the clock is read every 64 turns).
    if (idle === 0) idleSince = performance.now();
    if ((++idle & 63) !== 0 || performance.now() - idleSince < SPIN_MS) continue;
    if (asyncPending > 0) {
      sleepAsync();
      return;
    }
    if (!reader.sleep(SLEEP_SLICE_MS)) {
      setImmediate(pump);
      return;
    }
    idle = 0;
  }
}

parentPort?.on('message', (m: PoolToWorker) => {
  if (m.type === 'abort') {
    const ctx = listening.get(m.slot);
    if (ctx !== undefined && ctx.id === m.id) ctx.abort();
  }
});

async function boot(): Promise<void> {
  let pinned = false;
  try {
    if (data.cpus !== null) pinned = pinCurrentThread(data.cpus);
    const mod = (await import(data.filename)) as Record<string, unknown>;
    modules.set(data.filename, mod);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const msg: WorkerToPool = { type: 'boot-error', name: err.name, message: err.message, stack: err.stack ?? '' };
    parentPort?.postMessage(msg);
    return;
  }
  const ready: WorkerToPool = { type: 'ready', pinned };
  parentPort?.postMessage(ready);
  pump();
}

void boot();
