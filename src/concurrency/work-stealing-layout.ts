/**
 * Shared-memory layout of a WorkStealingPool team, used by both the main
 * thread (work-stealing-pool.ts) and the worker runtime (work-stealing-worker.ts).
 * Internal: not re-exported from the area index.
 *
 * A team is one set of worker threads and the buffers they share. A crash
 * replaces the whole team with fresh buffers, so a thread of the old team
 * that is still finishing a task can only ever write into memory nobody reads.
 *
 * Task descriptor (DESC_WORDS Int32 words = 48 bytes, copied in and out of
 * the deques): FN (index into the module's sorted exported function names),
 * ARGC, SLOT (global result-slot index), FLAGS (FLAG_ROOT for a top-level
 * task), then up to four Float64 arguments at bytes 16..47.
 *
 * Control buffer (Int32 words unless noted; hot words on their own 64-byte line):
 *   EPOCH        bumped (and notified) to wake sleepers; pool-wide
 *   SLEEPERS     threads about to sleep or asleep on EPOCH
 *   SHUTDOWN     1 asks every worker to return from its loop
 *   DONE_SEQ     bumped by workers after each top-level completion; the main thread waits on it
 *   DONE_TAIL    ticket counter of the completion ring
 *   MAIN_WAITING 1 while the main thread waits on DONE_SEQ (workers notify only then)
 *   completion ring: rootSlots words, each 0 (empty) or 1 + a root slot index
 *   slot states:  one Int32 per result slot (FREE, PENDING, DONE, ERROR, | WAITER)
 *   slot values:  one Float64 per result slot (the result, or an error reference)
 *   stats:        STAT_WORDS Float64 per worker (each worker's on its own line)
 *   error texts:  ERR_ENTRIES entries of ERR_ENTRY_BYTES per worker
 * Result slots are partitioned: worker w owns [w * slotsPerWorker, (w + 1) *
 * slotsPerWorker) for the subtasks it forks, and the main thread owns the
 * last rootSlots for top-level tasks. Only the owner allocates and frees its
 * slots (no shared free list, so no ABA on allocation); any thread may
 * complete one. A slot is freed only after its result was read, and exactly
 * one thread (the one that took the descriptor from a deque) writes it, so a
 * slot is never written after it is reused.
 */

/** Int32 words per task descriptor. */
export const DESC_WORDS = 12;
/** Descriptor word: function index. */
export const D_FN = 0;
/** Descriptor word: argument count (0 to 4). */
export const D_ARGC = 1;
/** Descriptor word: global result-slot index. */
export const D_SLOT = 2;
/** Descriptor word: flags. */
export const D_FLAGS = 3;
/** Float64 index of the first argument in a Float64Array over the descriptor. */
export const D_ARG0 = 2;
/** Descriptor flag: a top-level task (its completion goes to the main thread). */
export const FLAG_ROOT = 1;
/** Most arguments a task takes (besides its context). */
export const MAX_ARGS = 4;

/** Control words. */
export const C_EPOCH = 16;
export const C_SLEEPERS = 32;
export const C_SHUTDOWN = 48;
export const C_DONE_SEQ = 64;
export const C_DONE_TAIL = 80;
export const C_MAIN_WAITING = 96;
const C_RING = 112;

/** Slot states. */
export const SLOT_FREE = 0;
export const SLOT_PENDING = 1;
export const SLOT_DONE = 2;
export const SLOT_ERROR = 3;
/** Set on a PENDING slot by a joiner that is going to sleep: the completer must wake sleepers. */
export const SLOT_WAITER = 4;
export const SLOT_STATE_MASK = 3;

/** Per-worker stats (Float64 indices within the worker's block). */
export const S_EXECUTED = 0;
export const S_STOLEN = 1;
export const S_STEAL_ATTEMPTS = 2;
export const S_SLEEPS = 3;
export const S_INLINED = 4;
/** Top-level tasks the worker is running right now (a nested one counts too); the main thread reads it to place submissions. */
export const S_BUSY = 5;
/** Float64 words per worker stats block: one 64-byte line. */
export const STAT_WORDS = 8;

/** Error text entries per worker: a worker overwrites its oldest entry after this many errors. */
export const ERR_ENTRIES = 16;
/** Bytes per error text entry (header + UTF-8 task name, error name, message, stack). */
export const ERR_ENTRY_BYTES = 4096;
/** Int32 header words of an error entry: SEQ, then the byte lengths of the four strings. */
export const ERR_HEADER_WORDS = 8;

/**
 * Sizes a team's control buffer needs.
 * @example teamLayout(2, 4096, 1024).bytes
 */
export interface TeamLayout {
  threads: number;
  slotsPerWorker: number;
  rootSlots: number;
  /** First global slot index of the main thread's (root) partition. */
  rootBase: number;
  totalSlots: number;
  /** Int32 index of the completion ring. */
  ring: number;
  /** Int32 index of the slot states. */
  states: number;
  /** Float64 index of the slot values. */
  values: number;
  /** Float64 index of the stats. */
  stats: number;
  /** Byte offset of the error texts. */
  errors: number;
  /** Total bytes. */
  bytes: number;
}

/**
 * Computes the layout of a team's control buffer.
 * @example const layout = teamLayout(2, 4096, 1024); new SharedArrayBuffer(layout.bytes)
 */
export function teamLayout(threads: number, slotsPerWorker: number, rootSlots: number): TeamLayout {
  const rootBase = threads * slotsPerWorker;
  const totalSlots = rootBase + rootSlots;
  const ring = C_RING;
  const states = ring + rootSlots;
  const valuesByte = align64((states + totalSlots) * 4);
  const statsByte = align64(valuesByte + totalSlots * 8);
  const errors = align64(statsByte + threads * STAT_WORDS * 8);
  const bytes = errors + threads * ERR_ENTRIES * ERR_ENTRY_BYTES;
  return { threads, slotsPerWorker, rootSlots, rootBase, totalSlots, ring, states, values: valuesByte / 8, stats: statsByte / 8, errors, bytes };
}

function align64(n: number): number {
  return (n + 63) & ~63;
}

/**
 * What a failed task leaves behind in the error table.
 * @example readErrorText(bytes, layout, ref)?.message
 */
export interface ErrorText {
  taskName: string;
  name: string;
  message: string;
  stack: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Writes an error into worker `worker`'s next error entry and returns the
 * reference to store in the result slot (worker * 2^32 + sequence number).
 * Only the worker itself writes its entries. The sequence word is cleared
 * before and set after the text, so a reader can tell a torn entry.
 * @example slotValues[slot] = writeErrorText(bytes, words, layout, 0, seq, text)
 */
export function writeErrorText(bytes: Uint8Array, words: Int32Array, layout: TeamLayout, worker: number, seq: number, text: ErrorText): number {
  const entry = layout.errors + (worker * ERR_ENTRIES + (seq % ERR_ENTRIES)) * ERR_ENTRY_BYTES;
  const header = entry >> 2;
  Atomics.store(words, header, -1);
  let at = entry + ERR_HEADER_WORDS * 4;
  const end = entry + ERR_ENTRY_BYTES;
  const parts = [text.taskName, text.name, text.message, text.stack];
  // Budgets keep a long stack from squeezing out the message.
  const budgets = [128, 128, 1536, end];
  for (let i = 0; i < 4; i++) {
    const limit = Math.min(end, at + budgets[i]);
    const { written } = encoder.encodeInto(parts[i], bytes.subarray(at, limit));
    words[header + 1 + i] = written;
    at += written;
  }
  Atomics.store(words, header, seq);
  return worker * 2 ** 32 + seq;
}

/**
 * Reads the error a slot refers to; null if the entry was overwritten since
 * (more than ERR_ENTRIES later errors in the same worker).
 * @example const text = readErrorText(bytes, words, layout, slotValues[slot])
 */
export function readErrorText(bytes: Uint8Array, words: Int32Array, layout: TeamLayout, ref: number): ErrorText | null {
  const worker = Math.floor(ref / 2 ** 32);
  const seq = ref - worker * 2 ** 32;
  const entry = layout.errors + (worker * ERR_ENTRIES + (seq % ERR_ENTRIES)) * ERR_ENTRY_BYTES;
  const header = entry >> 2;
  if (Atomics.load(words, header) !== seq) return null;
  const parts: string[] = [];
  let at = entry + ERR_HEADER_WORDS * 4;
  for (let i = 0; i < 4; i++) {
    const n = words[header + 1 + i];
    parts.push(decoder.decode(bytes.slice(at, at + n)));
    at += n;
  }
  if (Atomics.load(words, header) !== seq) return null;
  return { taskName: parts[0], name: parts[1], message: parts[2], stack: parts[3] };
}
