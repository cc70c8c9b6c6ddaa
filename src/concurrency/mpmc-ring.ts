/**
 * MpmcRing: a bounded multi-producer multi-consumer queue of fixed-size slots
 * over one SharedArrayBuffer (Dmitry Vyukov's bounded MPMC queue, written
 * here for Int32 atomics).
 *
 * Memory layout (bytes; Int32 words):
 *   0    MAGIC 'BHMR', VERSION, SLOT_COUNT (power of two), SLOT_BYTES (multiple of 4)
 *   64   ENQUEUE_POS          producers CAS it                 (own 64-byte line)
 *   128  DEQUEUE_POS          consumers CAS it                 (own line)
 *   192  WAITING_CONSUMERS, DATA_EPOCH   (doorbell for sleeping consumers)
 *   256  WAITING_PRODUCERS, SPACE_EPOCH  (doorbell for sleeping producers)
 *   320  SEQ[SLOT_COUNT]      one sequence number per slot
 *   then per slot: LENGTH word + SLOT_BYTES payload
 *
 * Protocol (Vyukov): slot i starts with SEQ = i. A producer reads pos =
 * ENQUEUE_POS; the slot pos & mask is free for it when SEQ == pos; it claims it
 * with compareExchange(ENQUEUE_POS, pos, pos + 1), writes the payload with
 * plain stores, and publishes with Atomics.store(SEQ, pos + 1). A consumer at
 * pos = DEQUEUE_POS finds the slot full when SEQ == pos + 1, claims it by CAS,
 * copies out, and frees it with Atomics.store(SEQ, pos + SLOT_COUNT), which is
 * the value the producer one lap later waits for. SEQ < expected means full
 * (producer) or empty (consumer); SEQ > expected means another thread got
 * there first and the position is re-read. Positions are free-running 32-bit
 * counters compared by `(a - b) | 0`, valid as SLOT_COUNT <= 2^24. The seq-cst
 * SEQ store after the plain payload stores, and the SEQ load before the plain
 * payload loads, give the happens-before edge in both directions.
 *
 * Blocking waits: after a short spin, a waiter increments WAITING_*, reads the
 * EPOCH, retries once, then `Atomics.wait(EPOCH, seen)`. The other side, after
 * each successful operation, loads WAITING_* and only if non-zero bumps the
 * EPOCH and notifies one sleeper. Seq-cst order on (WAITING add, EPOCH load,
 * retry) versus (publish SEQ, WAITING load) guarantees a wake-up is not lost;
 * a waiter woken for an item that another thread took simply waits again.
 *
 * A thread killed between its CAS and its SEQ store leaves that slot stuck:
 * the queue then fills up behind it and blocking producers fail with
 * `RingTimeoutError` instead of hanging. Per-producer FIFO order holds as seen
 * by any single consumer; across consumers there is no global order.
 *
 * Arguments are checked before a position is claimed (a claimed slot must be
 * completed, or it stays stuck): the message and target with one instanceof
 * and one length compare, a timeout with one typeof and two compares, on
 * every call, whether or not it would wait.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { allocate, checkOptions, numberError } from '../validate.ts';
import { RingTimeoutError } from './errors.ts';
import { checkTimeout, waitAsync } from './atomics-wait.ts';

const MAGIC = 0x524d4842; // 'BHMR' little-endian
const VERSION = 1;
const I_MAGIC = 0;
const I_VERSION = 1;
const I_SLOTS = 2;
const I_SLOT_BYTES = 3;
const I_ENQ = 16;
const I_DEQ = 32;
const I_WAITING_CONSUMERS = 48;
const I_DATA_EPOCH = 49;
const I_WAITING_PRODUCERS = 64;
const I_SPACE_EPOCH = 65;
const I_SEQ = 80;
const MAX_SLOTS = 2 ** 24;
const MAX_SLOT_BYTES = 2 ** 20;
/** Failed tries before a blocking call sleeps: about a microsecond of spinning, far below a futex round trip. */
const SPIN_TRIES = 256;

/**
 * Options of {@link MpmcRing.create}.
 * @example MpmcRing.create({ slots: 1024, slotBytes: 8 })
 */
export interface MpmcRingOptions {
  /** Number of slots; a power of two from 2 to 2^24. */
  slots: number;
  /** Largest message in bytes; a multiple of 4 from 4 to 2^20. */
  slotBytes: number;
}


/**
 * A bounded multi-producer multi-consumer queue over a SharedArrayBuffer. Any
 * number of threads may enqueue and dequeue through their own `MpmcRing.from`
 * wrappers of the same buffer.
 * @example
 * const q = MpmcRing.create({ slots: 1024, slotBytes: 16 });
 * q.tryEnqueue(new Uint32Array([7]));
 * const out = new Uint8Array(16);
 * q.tryDequeueInto(out); // 4
 */
export class MpmcRing {
  /** The shared buffer; send it to other threads and wrap it with {@link MpmcRing.from}. */
  readonly buffer: SharedArrayBuffer;
  /** Number of slots. */
  readonly slots: number;
  /** Largest message in bytes. */
  readonly slotBytes: number;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly mask: number;
  /** Int32 index of slot 0's LENGTH word. */
  private readonly slotBase: number;
  /** Int32 words per slot: LENGTH + payload. */
  private readonly slotWords: number;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.words = new Int32Array(buffer);
    this.bytes = new Uint8Array(buffer);
    this.slots = this.words[I_SLOTS];
    this.slotBytes = this.words[I_SLOT_BYTES];
    this.mask = this.slots - 1;
    this.slotBase = I_SEQ + this.slots;
    this.slotWords = 1 + (this.slotBytes >> 2);
  }

  /**
   * Allocates a new, empty queue of `(80 + slots) * 4 + slots * (4 + slotBytes)`
   * bytes. Throws `InvalidArgumentError` for options that are not an object
   * or values that are not numbers, `OutOfRangeError` for a value outside its
   * rule or a size the engine cannot allocate (the largest options ask for
   * 2^24 slots of 2^20 bytes, 16 TiB: refused typed, naming both and the size).
   * @example const q = MpmcRing.create({ slots: 256, slotBytes: 8 })
   */
  static create(options: MpmcRingOptions): MpmcRing {
    if (options === undefined) throw new InvalidArgumentError('MpmcRing options must be an object { slots, slotBytes }, got undefined');
    const { slots, slotBytes } = checkOptions('MpmcRing', 'options', options);
    if (typeof slots !== 'number' || !Number.isInteger(slots) || slots < 2 || slots > MAX_SLOTS || (slots & (slots - 1)) !== 0) {
      throw new (numberError(slots))(`MpmcRing slots (${describe(slots)}) must be a power of two from 2 to 2^24`);
    }
    if (typeof slotBytes !== 'number' || !Number.isInteger(slotBytes) || slotBytes < 4 || slotBytes > MAX_SLOT_BYTES || slotBytes % 4 !== 0) {
      throw new (numberError(slotBytes))(`MpmcRing slotBytes (${describe(slotBytes)}) must be a multiple of 4 from 4 to 2^20`);
    }
    const bytes = totalBytes(slots, slotBytes);
    const buffer = allocate('MpmcRing', `slots (${slots}) x slotBytes (${slotBytes})`, bytes, () => new SharedArrayBuffer(bytes));
    const words = new Int32Array(buffer);
    words[I_MAGIC] = MAGIC;
    words[I_VERSION] = VERSION;
    words[I_SLOTS] = slots;
    words[I_SLOT_BYTES] = slotBytes;
    for (let i = 0; i < slots; i++) words[I_SEQ + i] = i;
    return new MpmcRing(buffer);
  }

  /**
   * Wraps a buffer made by {@link MpmcRing.create}; throws `InvalidArgumentError` for anything else.
   * @example const q = MpmcRing.from(workerData.queue)
   */
  static from(buffer: SharedArrayBuffer): MpmcRing {
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new InvalidArgumentError(`MpmcRing.from buffer must be a SharedArrayBuffer, got ${describe(buffer)}`);
    }
    if (buffer.byteLength < I_SEQ * 4) {
      throw new InvalidArgumentError(`MpmcRing.from buffer (${buffer.byteLength} bytes) is too small to hold a queue`);
    }
    const words = new Int32Array(buffer, 0, 4);
    if (words[I_MAGIC] !== MAGIC) {
      throw new InvalidArgumentError(`MpmcRing.from buffer has magic 0x${(words[I_MAGIC] >>> 0).toString(16)}, expected 0x${MAGIC.toString(16)}: not an MpmcRing`);
    }
    if (words[I_VERSION] !== VERSION) {
      throw new InvalidArgumentError(`MpmcRing.from buffer has layout version ${words[I_VERSION]}, this code reads version ${VERSION}`);
    }
    const slots = words[I_SLOTS];
    const slotBytes = words[I_SLOT_BYTES];
    if (slots < 2 || (slots & (slots - 1)) !== 0 || slotBytes < 4 || slotBytes % 4 !== 0 || buffer.byteLength !== totalBytes(slots, slotBytes)) {
      throw new InvalidArgumentError(`MpmcRing.from buffer header (slots ${slots}, slotBytes ${slotBytes}) does not match its ${buffer.byteLength} bytes`);
    }
    return new MpmcRing(buffer);
  }

  /**
   * Enqueues one message (the bytes of any typed array) if a slot is free;
   * returns false when the queue is full. Throws `OutOfRangeError` if the
   * message is longer than `slotBytes`.
   * @example if (!q.tryEnqueue(msg)) backOff()
   */
  tryEnqueue(message: ArrayBufferView): boolean {
    const src = message instanceof Uint8Array ? message : toBytes(message);
    const len = src.length;
    if (len > this.slotBytes) {
      throw new OutOfRangeError(`MpmcRing message length (${len}) must be at most slotBytes (${this.slotBytes})`);
    }
    const words = this.words;
    const mask = this.mask;
    let pos = Atomics.load(words, I_ENQ);
    let idx: number;
    for (;;) {
      idx = pos & mask;
      const dif = (Atomics.load(words, I_SEQ + idx) - pos) | 0;
      if (dif === 0) {
        const seen = Atomics.compareExchange(words, I_ENQ, pos, (pos + 1) | 0);
        if (seen === pos) break;
        pos = seen;
      } else if (dif < 0) {
        return false;
      } else {
        pos = Atomics.load(words, I_ENQ);
      }
    }
    const lenIndex = this.slotBase + idx * this.slotWords;
    words[lenIndex] = len;
    const bytes = this.bytes;
    const at = (lenIndex + 1) << 2;
    if (len <= 32) {
      for (let i = 0; i < len; i++) bytes[at + i] = src[i];
    } else {
      bytes.set(src, at);
    }
    Atomics.store(words, I_SEQ + idx, (pos + 1) | 0);
    if (Atomics.load(words, I_WAITING_CONSUMERS) !== 0) {
      Atomics.add(words, I_DATA_EPOCH, 1);
      Atomics.notify(words, I_DATA_EPOCH, 1);
    }
    return true;
  }

  /**
   * Dequeues one message into `target` (from its start) and returns its
   * length, or -1 if the queue is empty. `target` must be a Uint8Array
   * holding `slotBytes` (checked up front, so a message is never lost to a
   * short or wrong buffer): `InvalidArgumentError` / `OutOfRangeError` otherwise.
   * @example const n = q.tryDequeueInto(scratch)
   */
  tryDequeueInto(target: Uint8Array): number {
    if (!(target instanceof Uint8Array) || target.length < this.slotBytes) this._badTarget(target);
    const words = this.words;
    const mask = this.mask;
    let pos = Atomics.load(words, I_DEQ);
    let idx: number;
    for (;;) {
      idx = pos & mask;
      const dif = (Atomics.load(words, I_SEQ + idx) - ((pos + 1) | 0)) | 0;
      if (dif === 0) {
        const seen = Atomics.compareExchange(words, I_DEQ, pos, (pos + 1) | 0);
        if (seen === pos) break;
        pos = seen;
      } else if (dif < 0) {
        return -1;
      } else {
        pos = Atomics.load(words, I_DEQ);
      }
    }
    const lenIndex = this.slotBase + idx * this.slotWords;
    const len = words[lenIndex];
    const bytes = this.bytes;
    const at = (lenIndex + 1) << 2;
    if (len <= 32) {
      for (let i = 0; i < len; i++) target[i] = bytes[at + i];
    } else {
      target.set(bytes.subarray(at, at + len));
    }
    Atomics.store(words, I_SEQ + idx, (pos + this.slots) | 0);
    if (Atomics.load(words, I_WAITING_PRODUCERS) !== 0) {
      Atomics.add(words, I_SPACE_EPOCH, 1);
      Atomics.notify(words, I_SPACE_EPOCH, 1);
    }
    return len;
  }

  /** Throws the error of a `target` that is not a Uint8Array of at least `slotBytes` (off the hot path). */
  private _badTarget(target: unknown): never {
    if (!(target instanceof Uint8Array)) throw new InvalidArgumentError(`MpmcRing target must be a Uint8Array, got ${describe(target)}`);
    throw new OutOfRangeError(`MpmcRing target length (${target.length}) must be at least slotBytes (${this.slotBytes})`);
  }

  /**
   * Dequeues one message as a new Uint8Array, or null if the queue is empty.
   * @example const msg = q.tryDequeue()
   */
  tryDequeue(): Uint8Array | null {
    const scratch = new Uint8Array(this.slotBytes);
    const n = this.tryDequeueInto(scratch);
    return n < 0 ? null : scratch.slice(0, n);
  }

  /**
   * Enqueues, waiting (spin, then `Atomics.wait`) while the queue is full;
   * throws `RingTimeoutError` after `timeoutMs` (0 to 2^31 - 1 ms, or
   * Infinity; checked even when there is room). For threads that may block.
   * @example q.enqueue(msg, 1000)
   */
  enqueue(message: ArrayBufferView, timeoutMs: number): void {
    checkTimeout('MpmcRing enqueue', timeoutMs);
    if (this.tryEnqueue(message)) return;
    for (let i = 0; i < SPIN_TRIES; i++) if (this.tryEnqueue(message)) return;
    const deadline = performance.now() + timeoutMs;
    const words = this.words;
    Atomics.add(words, I_WAITING_PRODUCERS, 1);
    try {
      for (;;) {
        const epoch = Atomics.load(words, I_SPACE_EPOCH);
        if (this.tryEnqueue(message)) return;
        const remaining = deadline - performance.now();
        if (remaining <= 0) throw new RingTimeoutError('MpmcRing', 'enqueue', timeoutMs);
        Atomics.wait(words, I_SPACE_EPOCH, epoch, remaining);
      }
    } finally {
      Atomics.sub(words, I_WAITING_PRODUCERS, 1);
    }
  }

  /**
   * Dequeues into `target`, waiting (spin, then `Atomics.wait`) while the
   * queue is empty; returns the length; throws `RingTimeoutError` after
   * `timeoutMs` (0 to 2^31 - 1 ms, or Infinity; checked even when a message is queued).
   * @example const n = q.dequeueInto(scratch, 1000)
   */
  dequeueInto(target: Uint8Array, timeoutMs: number): number {
    checkTimeout('MpmcRing dequeueInto', timeoutMs);
    let n = this.tryDequeueInto(target);
    if (n >= 0) return n;
    for (let i = 0; i < SPIN_TRIES; i++) if ((n = this.tryDequeueInto(target)) >= 0) return n;
    const deadline = performance.now() + timeoutMs;
    const words = this.words;
    Atomics.add(words, I_WAITING_CONSUMERS, 1);
    try {
      for (;;) {
        const epoch = Atomics.load(words, I_DATA_EPOCH);
        if ((n = this.tryDequeueInto(target)) >= 0) return n;
        const remaining = deadline - performance.now();
        if (remaining <= 0) throw new RingTimeoutError('MpmcRing', 'dequeueInto', timeoutMs);
        Atomics.wait(words, I_DATA_EPOCH, epoch, remaining);
      }
    } finally {
      Atomics.sub(words, I_WAITING_CONSUMERS, 1);
    }
  }

  /**
   * Like {@link MpmcRing.dequeueInto} but waits with `Atomics.waitAsync`
   * (safe on the main thread) and resolves with a copy; rejects with `RingTimeoutError`.
   * @example const msg = await q.dequeueAsync(1000)
   */
  async dequeueAsync(timeoutMs: number): Promise<Uint8Array> {
    checkTimeout('MpmcRing dequeueAsync', timeoutMs);
    const first = this.tryDequeue();
    if (first !== null) return first;
    const deadline = performance.now() + timeoutMs;
    const words = this.words;
    Atomics.add(words, I_WAITING_CONSUMERS, 1);
    try {
      for (;;) {
        const epoch = Atomics.load(words, I_DATA_EPOCH);
        const msg = this.tryDequeue();
        if (msg !== null) return msg;
        const remaining = deadline - performance.now();
        if (remaining <= 0) throw new RingTimeoutError('MpmcRing', 'dequeueAsync', timeoutMs);
        await waitAsync(words, I_DATA_EPOCH, epoch, remaining);
      }
    } finally {
      Atomics.sub(words, I_WAITING_CONSUMERS, 1);
    }
  }

  /**
   * Like {@link MpmcRing.enqueue} but waits with `Atomics.waitAsync`; rejects with `RingTimeoutError`.
   * @example await q.enqueueAsync(msg, 1000)
   */
  async enqueueAsync(message: ArrayBufferView, timeoutMs: number): Promise<void> {
    checkTimeout('MpmcRing enqueueAsync', timeoutMs);
    if (this.tryEnqueue(message)) return;
    const deadline = performance.now() + timeoutMs;
    const words = this.words;
    Atomics.add(words, I_WAITING_PRODUCERS, 1);
    try {
      for (;;) {
        const epoch = Atomics.load(words, I_SPACE_EPOCH);
        if (this.tryEnqueue(message)) return;
        const remaining = deadline - performance.now();
        if (remaining <= 0) throw new RingTimeoutError('MpmcRing', 'enqueueAsync', timeoutMs);
        await waitAsync(words, I_SPACE_EPOCH, epoch, remaining);
      }
    } finally {
      Atomics.sub(words, I_WAITING_PRODUCERS, 1);
    }
  }

  /**
   * Approximate number of queued messages (a snapshot; others may move at once).
   * @example q.stats().size
   */
  stats(): { slots: number; slotBytes: number; size: number } {
    const size = (Atomics.load(this.words, I_ENQ) - Atomics.load(this.words, I_DEQ)) | 0;
    return { slots: this.slots, slotBytes: this.slotBytes, size: Math.max(0, Math.min(this.slots, size)) };
  }
}

function totalBytes(slots: number, slotBytes: number): number {
  return (I_SEQ + slots) * 4 + slots * (4 + slotBytes);
}

function toBytes(view: ArrayBufferView): Uint8Array {
  if (!ArrayBuffer.isView(view)) {
    throw new InvalidArgumentError(`MpmcRing message must be a typed array or DataView, got ${describe(view)}`);
  }
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
