/**
 * The ThreadPool's transport: a single-producer single-consumer byte ring
 * over a SharedArrayBuffer whose frames are always contiguous, so a sender
 * encodes a task straight into shared memory and a receiver decodes it in
 * place (no intermediate copy, unlike {@link SpscRing}, whose payloads may
 * wrap around the end).
 *
 * Layout (Int32 word indices; each hot word on its own 64-byte line):
 *   0  MAGIC, 1 CAPACITY
 *   16 HEAD               consumer writes
 *   32 TAIL               producer writes
 *   48 CONSUMER_SLEEPING  consumer writes, producer reads
 *   64 PRODUCER_SLEEPING  producer writes, consumer reads
 *   byte 320: data, CAPACITY bytes (a power of two)
 * A frame is a 4-byte length word at a 4-aligned offset, then the payload,
 * padded to 4. When a frame does not fit before the end of the data, the
 * producer writes the length word WRAP (-1) and starts the frame at offset 0.
 * HEAD and TAIL are free-running byte counters (differences taken with `| 0`).
 *
 * Publication is explicit: `end()` only advances the producer's private tail;
 * `publish()` stores TAIL once (a full fence) for everything written since,
 * and notifies the consumer only if it said it is asleep. The consumer
 * likewise publishes HEAD once per batch. The memory-ordering argument and
 * the sleep protocol are those of SpscRing (see spsc-ring.ts).
 * @internal
 */
import type { FastBuffer } from './pool-codec.ts';

const MAGIC = 0x43504842; // 'BHPC'
const I_MAGIC = 0;
const I_CAPACITY = 1;
/** Word index of HEAD. */
export const I_HEAD = 16;
/** Word index of TAIL. */
export const I_TAIL = 32;
const I_CONSUMER_SLEEPING = 48;
const I_PRODUCER_SLEEPING = 64;
const DATA_BYTE = 320;
const WRAP = -1;

/** Bytes of shared memory a channel of `capacity` data bytes needs. */
export function channelBytes(capacity: number): number {
  return DATA_BYTE + capacity;
}

/**
 * Allocates a channel buffer of `capacity` data bytes (a power of two >= 1024).
 * @internal
 */
export function createChannelBuffer(capacity: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(channelBytes(capacity));
  const words = new Int32Array(sab);
  words[I_MAGIC] = MAGIC;
  words[I_CAPACITY] = capacity;
  return sab;
}

/** Shared views of a channel buffer. */
class ChannelViews {
  readonly words: Int32Array;
  /** Byte view of the data region (offset 0 = first data byte). */
  readonly bytes: FastBuffer;
  readonly view: DataView;
  readonly capacity: number;
  readonly mask: number;
  constructor(sab: SharedArrayBuffer) {
    this.words = new Int32Array(sab);
    if (this.words[I_MAGIC] !== MAGIC) throw new Error('pool channel: bad magic');
    this.capacity = this.words[I_CAPACITY];
    this.mask = this.capacity - 1;
    this.bytes = Buffer.from(sab, DATA_BYTE, this.capacity) as FastBuffer;
    this.view = new DataView(sab, DATA_BYTE, this.capacity);
  }
}

/** Producer side: `begin` a frame, write its payload at the returned offset, `end` it, `publish` a batch. @internal */
export class ChannelWriter extends ChannelViews {
  private tail: number;
  private cachedHead: number;
  private frameStart = 0;
  private saved = 0;
  /** Frames ended but not yet published. */
  unpublished = 0;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.tail = Atomics.load(this.words, I_TAIL);
    this.cachedHead = Atomics.load(this.words, I_HEAD);
  }

  /** Largest payload one frame can ever hold. */
  get maxPayload(): number {
    return (this.capacity >> 1) - 8;
  }

  /**
   * Reserves room for a payload of up to `maxPayload` bytes; returns the
   * data offset to write it at, or -1 if the ring has no room now.
   */
  begin(maxPayload: number): number {
    const need = 4 + ((maxPayload + 3) & ~3);
    const cap = this.capacity;
    let tail = this.tail;
    let off = tail & this.mask;
    const contiguous = cap - off;
    const total = contiguous < need ? contiguous + need : need;
    if (cap - ((tail - this.cachedHead) | 0) < total) {
      this.cachedHead = Atomics.load(this.words, I_HEAD);
      if (cap - ((tail - this.cachedHead) | 0) < total) return -1;
    }
    this.saved = tail;
    if (contiguous < need) {
      this.view.setInt32(off, WRAP, true);
      tail = (tail + contiguous) | 0;
      off = 0;
    }
    this.tail = tail;
    this.frameStart = off;
    return off + 4;
  }

  /** Ends the frame begun last with `length` payload bytes (at most what `begin` reserved). */
  end(length: number): void {
    this.view.setInt32(this.frameStart, length, true);
    this.tail = (this.tail + 4 + ((length + 3) & ~3)) | 0;
    this.unpublished++;
  }

  /** Abandons the frame begun last (nothing of it becomes visible). */
  cancel(): void {
    this.tail = this.saved;
  }

  /** Makes every ended frame visible; wakes the consumer if it sleeps. Returns whether it notified. */
  publish(): boolean {
    if (this.unpublished === 0) return false;
    this.unpublished = 0;
    Atomics.store(this.words, I_TAIL, this.tail);
    if (Atomics.load(this.words, I_CONSUMER_SLEEPING) !== 0) {
      Atomics.notify(this.words, I_TAIL, 1);
      return true;
    }
    return false;
  }

  /**
   * Blocks (worker threads only) until `begin(maxPayload)` can succeed or
   * `timeoutMs` passes; returns the offset or -1. The consumer must be
   * draining for this to return early.
   */
  beginBlocking(maxPayload: number, timeoutMs: number): number {
    let off = this.begin(maxPayload);
    if (off >= 0) return off;
    this.publish();
    const deadline = performance.now() + timeoutMs;
    const words = this.words;
    for (;;) {
      Atomics.store(words, I_PRODUCER_SLEEPING, 1);
      const head = Atomics.load(words, I_HEAD);
      if ((off = this.begin(maxPayload)) >= 0) break;
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      Atomics.wait(words, I_HEAD, head, Math.min(remaining, 50));
    }
    Atomics.store(words, I_PRODUCER_SLEEPING, 0);
    return off;
  }
}

/** Consumer side: `next` gives the offset of the next frame's payload (and `length`), `consume` moves past it. @internal */
export class ChannelReader extends ChannelViews {
  private head: number;
  private cachedTail: number;
  /** Payload length of the frame returned by the last `next()`. */
  length = 0;
  private frameBytes = 0;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.head = Atomics.load(this.words, I_HEAD);
    this.cachedTail = Atomics.load(this.words, I_TAIL);
  }

  /** Data offset of the next frame's payload, or -1 if none is published. */
  next(): number {
    let head = this.head;
    if (head === this.cachedTail) {
      this.cachedTail = Atomics.load(this.words, I_TAIL);
      if (head === this.cachedTail) return -1;
    }
    let off = head & this.mask;
    let len = this.view.getInt32(off, true);
    if (len === WRAP) {
      head = (head + this.capacity - off) | 0;
      this.head = head;
      off = 0;
      len = this.view.getInt32(0, true);
    }
    this.length = len;
    this.frameBytes = 4 + ((len + 3) & ~3);
    return off + 4;
  }

  /** Moves past the frame returned by the last `next()` (the producer may reuse it after `publishHead`). */
  consume(): void {
    this.head = (this.head + this.frameBytes) | 0;
  }

  /** Publishes HEAD (frees the consumed space) and wakes a producer waiting for room. */
  publishHead(): void {
    Atomics.store(this.words, I_HEAD, this.head);
    if (Atomics.load(this.words, I_PRODUCER_SLEEPING) !== 0) Atomics.notify(this.words, I_HEAD, 1);
  }

  /** True when a frame is published and not consumed (a fresh read of TAIL). */
  hasData(): boolean {
    return Atomics.load(this.words, I_TAIL) !== this.head;
  }

  /**
   * Blocks (worker threads only) until a frame is published or `timeoutMs`
   * passes; says it is asleep first so the producer notifies. Returns whether data is there.
   */
  sleep(timeoutMs: number): boolean {
    const words = this.words;
    Atomics.store(words, I_CONSUMER_SLEEPING, 1);
    const tail = Atomics.load(words, I_TAIL);
    if (tail === this.head) Atomics.wait(words, I_TAIL, tail, timeoutMs);
    Atomics.store(words, I_CONSUMER_SLEEPING, 0);
    return Atomics.load(words, I_TAIL) !== this.head;
  }

  /** The TAIL value to wait on and marks the consumer asleep (for `Atomics.waitAsync`); -1 if data is already there. */
  prepareAsyncSleep(): number {
    Atomics.store(this.words, I_CONSUMER_SLEEPING, 1);
    const tail = Atomics.load(this.words, I_TAIL);
    if (tail !== this.head) {
      Atomics.store(this.words, I_CONSUMER_SLEEPING, 0);
      return -1;
    }
    return tail;
  }

  /** Clears the asleep mark after an async wait. */
  awake(): void {
    Atomics.store(this.words, I_CONSUMER_SLEEPING, 0);
  }
}
