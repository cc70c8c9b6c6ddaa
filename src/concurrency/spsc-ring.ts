/**
 * SpscRing: a single-producer single-consumer ring of variable-length byte
 * messages over one SharedArrayBuffer, for passing data between two threads
 * without postMessage's structured clone and event-loop hop.
 *
 * Memory layout (bytes; Int32 words unless noted):
 *   0    MAGIC 'BHSR', VERSION, CAPACITY (data bytes, a power of two)
 *   64   HEAD               consumer writes, producer reads   (own 64-byte line)
 *   128  TAIL               producer writes, consumer reads   (own line)
 *   192  CONSUMER_SLEEPING  consumer writes, producer reads   (own line)
 *   256  PRODUCER_SLEEPING  producer writes, consumer reads   (own line)
 *   320  data: CAPACITY bytes
 * HEAD and TAIL are free-running 32-bit byte counters (they wrap at 2^32;
 * differences are taken with `| 0`, valid because CAPACITY <= 2^30). A
 * message is a 4-byte length word followed by its bytes, padded to 4, so a
 * length word is always 4-aligned and never straddles the end; the payload
 * may wrap around the end and is copied in two pieces. Invariant:
 * 0 <= TAIL - HEAD <= CAPACITY. Each counter lives on its own line so the two
 * threads never write the same cache line (no false sharing); each side also
 * caches the other's counter and re-reads it only when the cached value says
 * full (producer) or empty (consumer), so the hot path touches the other
 * thread's line once per burst, not once per message.
 *
 * Memory ordering: the producer writes length and payload with plain stores,
 * then publishes with `Atomics.store(TAIL)`; the consumer reads TAIL with
 * `Atomics.load` before reading the bytes. Atomics are sequentially
 * consistent, so the plain stores happen-before the consumer's plain loads.
 * Symmetrically the consumer releases space with `Atomics.store(HEAD)` only
 * after it has copied the bytes out, so the producer never overwrites unread
 * data.
 *
 * Wake-up protocol (the same on both sides; shown for the consumer): a
 * blocking read first spins `SPIN_TRIES` times, then stores
 * CONSUMER_SLEEPING = 1, re-reads TAIL, and only if it is still unchanged
 * sleeps in `Atomics.wait(TAIL, observed)` (or `Atomics.waitAsync` on a
 * thread that may not block). The producer, after `Atomics.store(TAIL)`, loads
 * CONSUMER_SLEEPING and calls `Atomics.notify(TAIL)` only if it is set. Both
 * pairs (store flag, load TAIL) and (store TAIL, load flag) are seq-cst, so at
 * least one side sees the other's store: either the consumer sees the new
 * TAIL and does not sleep, or the producer sees the flag and notifies; and
 * `Atomics.wait` itself re-checks TAIL atomically, so a notify that lands
 * between the check and the sleep is not lost. A busy consumer never sets the
 * flag, so a streaming producer pays one cached load per message and no
 * syscall.
 *
 * Bulk calls: every `Atomics.store` is a full fence (about 20 ns on x86) and
 * every publication pulls a cache line across cores, so `tryWriteBatch` /
 * `tryReadBatch` copy many messages and publish TAIL or HEAD once per call.
 * For 8-byte messages that is the difference between roughly 8M and 25M+
 * messages per second between two threads (bench/concurrency/rings.bench.ts).
 * Payloads of up to 32 bytes are copied with a byte loop: cheaper than the
 * call and bounds setup of `Uint8Array.set` at that size.
 *
 * Roles: `SpscRing.create()` allocates; the other thread wraps the buffer with
 * `SpscRing.from(buffer)`; each side takes its handle (`producer()` or
 * `consumer()`). Exactly one producer handle and one consumer handle may be
 * in use at a time (not enforced: a check would cost an atomic per call).
 * Shutdown: there is no close flag; a side whose peer died sees its blocking
 * calls fail with `RingTimeoutError`.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { RingTimeoutError } from './errors.ts';

import { checkTimeout, waitAsync } from './atomics-wait.ts';
const MAGIC = 0x52534842; // 'BHSR' little-endian
const VERSION = 1;
const I_MAGIC = 0;
const I_VERSION = 1;
const I_CAPACITY = 2;
const I_HEAD = 16;
const I_TAIL = 32;
const I_CONSUMER_SLEEPING = 48;
const I_PRODUCER_SLEEPING = 64;
const DATA_BYTE = 320;
const MIN_CAPACITY = 64;
const MAX_CAPACITY = 2 ** 30;
/**
 * Tries before a blocking call goes to sleep. A futex wake costs tens of
 * microseconds; a few hundred failed tries cost about a microsecond, so a
 * short spin catches the common case of a peer that is merely a little behind.
 */
const SPIN_TRIES = 256;
/** Below this payload size a byte loop beats `Uint8Array.set` (which pays a call and bounds setup). */
const SMALL_COPY = 32;

/**
 * Options of {@link SpscRing.create}.
 * @example SpscRing.create({ capacityBytes: 1 << 16 })
 */
export interface SpscRingOptions {
  /** Data bytes; a power of two from 64 to 2^30. Each message takes 4 + its length rounded up to 4. */
  capacityBytes: number;
}

/** Bytes a message of `length` bytes occupies in the ring. */
function frameBytes(length: number): number {
  return 4 + ((length + 3) & ~3);
}

function asBytes(view: ArrayBufferView, component: string, param: string): Uint8Array {
  if (view instanceof Uint8Array) return view;
  if (!ArrayBuffer.isView(view)) {
    throw new InvalidArgumentError(`${component} ${param} must be a typed array or DataView, got ${describe(view)}`);
  }
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}


/**
 * A single-producer single-consumer ring over a SharedArrayBuffer (see the
 * design note at the top of this file).
 * @example
 * const ring = SpscRing.create({ capacityBytes: 1 << 16 });
 * new Worker(file, { workerData: ring.buffer }); // worker: SpscRing.from(workerData).producer()
 * const consumer = ring.consumer();
 * const msg = await consumer.readAsync(1000);
 */
export class SpscRing {
  /** The shared buffer; send it to the other thread and wrap it with {@link SpscRing.from}. */
  readonly buffer: SharedArrayBuffer;
  /** Data bytes of the ring. */
  readonly capacityBytes: number;
  /** Largest message that fits: capacityBytes - 4. */
  readonly maxMessageBytes: number;
  private readonly words: Int32Array;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.words = new Int32Array(buffer);
    this.capacityBytes = this.words[I_CAPACITY];
    this.maxMessageBytes = this.capacityBytes - 4;
  }

  /**
   * Allocates a new, empty ring.
   * @example const ring = SpscRing.create({ capacityBytes: 4096 })
   */
  static create(options: SpscRingOptions): SpscRing {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError(`SpscRing options must be an object { capacityBytes }, got ${describe(options)}`);
    }
    const cap = options.capacityBytes;
    if (!Number.isInteger(cap) || cap < MIN_CAPACITY || cap > MAX_CAPACITY || (cap & (cap - 1)) !== 0) {
      throw new OutOfRangeError(`SpscRing capacityBytes (${describe(cap)}) must be a power of two from 64 to 2^30`);
    }
    const buffer = new SharedArrayBuffer(DATA_BYTE + cap);
    const words = new Int32Array(buffer);
    words[I_MAGIC] = MAGIC;
    words[I_VERSION] = VERSION;
    words[I_CAPACITY] = cap;
    return new SpscRing(buffer);
  }

  /**
   * Wraps a buffer made by {@link SpscRing.create} (typically in another thread).
   * Throws `InvalidArgumentError` if it is not a SharedArrayBuffer holding a ring of this version.
   * @example const ring = SpscRing.from(workerData.ring)
   */
  static from(buffer: SharedArrayBuffer): SpscRing {
    if (!(buffer instanceof SharedArrayBuffer)) {
      throw new InvalidArgumentError(`SpscRing.from buffer must be a SharedArrayBuffer, got ${describe(buffer)}`);
    }
    if (buffer.byteLength < DATA_BYTE + MIN_CAPACITY) {
      throw new InvalidArgumentError(`SpscRing.from buffer (${buffer.byteLength} bytes) is too small to hold a ring`);
    }
    const words = new Int32Array(buffer, 0, 4);
    if (words[I_MAGIC] !== MAGIC) {
      throw new InvalidArgumentError(`SpscRing.from buffer has magic 0x${(words[I_MAGIC] >>> 0).toString(16)}, expected 0x${MAGIC.toString(16)}: not an SpscRing`);
    }
    if (words[I_VERSION] !== VERSION) {
      throw new InvalidArgumentError(`SpscRing.from buffer has layout version ${words[I_VERSION]}, this code reads version ${VERSION}`);
    }
    const cap = words[I_CAPACITY];
    if (cap < MIN_CAPACITY || (cap & (cap - 1)) !== 0 || buffer.byteLength !== DATA_BYTE + cap) {
      throw new InvalidArgumentError(`SpscRing.from buffer header says capacity ${cap} but the buffer has ${buffer.byteLength} bytes`);
    }
    return new SpscRing(buffer);
  }

  /**
   * The producer-side handle. Use it from one thread only.
   * @example ring.producer().tryWrite(new Uint8Array([1, 2, 3]))
   */
  producer(): SpscProducer {
    return new SpscProducer(this.buffer, this.capacityBytes);
  }

  /**
   * The consumer-side handle. Use it from one thread only.
   * @example const bytes = ring.consumer().tryRead()
   */
  consumer(): SpscConsumer {
    return new SpscConsumer(this.buffer, this.capacityBytes);
  }

  /**
   * Bytes currently queued (a snapshot; the other side may move at once).
   * @example ring.stats().usedBytes
   */
  stats(): { capacityBytes: number; usedBytes: number } {
    const used = (Atomics.load(this.words, I_TAIL) - Atomics.load(this.words, I_HEAD)) | 0;
    return { capacityBytes: this.capacityBytes, usedBytes: used };
  }
}

/**
 * Producer side of an {@link SpscRing}: non-blocking `tryWrite`, blocking
 * `write` (for worker threads), and `writeAsync` (for threads that must not block).
 * @example
 * const p = SpscRing.from(buffer).producer();
 * p.write(new Float64Array([1.5, 2.5]), 1000); // throws RingTimeoutError if still full after 1 s
 */
export class SpscProducer {
  private readonly words: Int32Array;
  private readonly data: Uint8Array;
  private readonly capacity: number;
  private readonly mask: number;
  /** Our own TAIL (only we write it), kept locally to skip an atomic load. */
  private tail: number;
  /** Last HEAD seen; re-read only when it says the message does not fit. */
  private cachedHead: number;

  /** @internal Use {@link SpscRing.producer}. */
  constructor(buffer: SharedArrayBuffer, capacity: number) {
    this.words = new Int32Array(buffer);
    this.data = new Uint8Array(buffer, DATA_BYTE, capacity);
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.tail = Atomics.load(this.words, I_TAIL);
    this.cachedHead = Atomics.load(this.words, I_HEAD);
  }

  /**
   * Appends one message (the bytes of any typed array) if it fits now.
   * Returns false when the ring is too full; throws `OutOfRangeError` if the
   * message could never fit.
   * @example if (!producer.tryWrite(bytes)) queueLocally(bytes)
   */
  tryWrite(message: ArrayBufferView): boolean {
    const bytes = asBytes(message, 'SpscProducer', 'message');
    const len = bytes.length;
    const need = frameBytes(len);
    const cap = this.capacity;
    if (need > cap) {
      throw new OutOfRangeError(`SpscProducer message length (${len}) must be at most capacityBytes - 4 (${cap - 4})`);
    }
    const tail = this.tail;
    if (cap - ((tail - this.cachedHead) | 0) < need) {
      this.cachedHead = Atomics.load(this.words, I_HEAD);
      if (cap - ((tail - this.cachedHead) | 0) < need) return false;
    }
    const mask = this.mask;
    const off = tail & mask;
    this.words[(DATA_BYTE + off) >> 2] = len;
    const start = (off + 4) & mask;
    const data = this.data;
    if (len <= SMALL_COPY) {
      for (let i = 0; i < len; i++) data[(start + i) & mask] = bytes[i];
    } else {
      const first = cap - start;
      if (len <= first) {
        data.set(bytes, start);
      } else {
        data.set(bytes.subarray(0, first), start);
        data.set(bytes.subarray(first), 0);
      }
    }
    this.tail = (tail + need) | 0;
    Atomics.store(this.words, I_TAIL, this.tail);
    if (Atomics.load(this.words, I_CONSUMER_SLEEPING) !== 0) Atomics.notify(this.words, I_TAIL, 1);
    return true;
  }

  /**
   * Bulk write: appends up to `count` messages of `messageBytes` each, taken
   * back to back from `data`, as many as fit now; publishes TAIL (and checks
   * for a sleeping consumer) once for the whole batch, which is what makes
   * small messages cheap. Returns how many were written (0 when full).
   * @example const k = producer.tryWriteBatch(new Uint8Array(8 * 100), 8) // up to 100 messages of 8 bytes
   */
  tryWriteBatch(data: Uint8Array, messageBytes: number, count = Math.floor(data.length / messageBytes)): number {
    const cap = this.capacity;
    const need = frameBytes(messageBytes);
    if (!Number.isInteger(messageBytes) || messageBytes < 0 || need > cap) {
      throw new OutOfRangeError(`SpscProducer messageBytes (${describe(messageBytes)}) must be an integer from 0 to capacityBytes - 4 (${cap - 4})`);
    }
    if (!Number.isInteger(count) || count < 0 || count * messageBytes > data.length) {
      throw new OutOfRangeError(`SpscProducer count (${describe(count)}) must be an integer from 0 to data.length / messageBytes (${Math.floor(data.length / Math.max(1, messageBytes))})`);
    }
    let tail = this.tail;
    let free = cap - ((tail - this.cachedHead) | 0);
    if (free < need * count) {
      this.cachedHead = Atomics.load(this.words, I_HEAD);
      free = cap - ((tail - this.cachedHead) | 0);
    }
    const k = Math.min(count, Math.floor(free / need));
    if (k === 0) return 0;
    const mask = this.mask;
    const words = this.words;
    const ring = this.data;
    let src = 0;
    for (let m = 0; m < k; m++) {
      const off = tail & mask;
      words[(DATA_BYTE + off) >> 2] = messageBytes;
      const start = (off + 4) & mask;
      if (messageBytes <= SMALL_COPY) {
        for (let i = 0; i < messageBytes; i++) ring[(start + i) & mask] = data[src + i];
      } else {
        const first = cap - start;
        if (messageBytes <= first) {
          ring.set(data.subarray(src, src + messageBytes), start);
        } else {
          ring.set(data.subarray(src, src + first), start);
          ring.set(data.subarray(src + first, src + messageBytes), 0);
        }
      }
      src += messageBytes;
      tail = (tail + need) | 0;
    }
    this.tail = tail;
    Atomics.store(words, I_TAIL, tail);
    if (Atomics.load(words, I_CONSUMER_SLEEPING) !== 0) Atomics.notify(words, I_TAIL, 1);
    return k;
  }

  /**
   * Blocking bulk write: writes all `count` messages of `messageBytes` from
   * `data`, waiting (spin, then `Atomics.wait`) whenever the ring is full.
   * Throws `RingTimeoutError` if no room appears for `timeoutMs` at a stretch.
   * @example producer.writeBatch(packed, 8, 1000)
   */
  writeBatch(data: Uint8Array, messageBytes: number, timeoutMs: number, count = Math.floor(data.length / messageBytes)): void {
    checkTimeout('SpscProducer writeBatch', timeoutMs);
    let done = this.tryWriteBatch(data, messageBytes, count);
    let spins = 0;
    let deadline = -1;
    while (done < count) {
      const k = this.tryWriteBatch(data.subarray(done * messageBytes), messageBytes, count - done);
      if (k > 0) {
        done += k;
        spins = 0;
        deadline = -1;
      } else if (++spins > SPIN_TRIES) {
        if (deadline < 0) deadline = performance.now() + timeoutMs;
        this.sleepWhileFull(deadline, timeoutMs, 'writeBatch');
      }
    }
  }

  /** One sleep of the wake-up protocol (see the design note): flag, re-check HEAD, wait, unflag. */
  private sleepWhileFull(deadline: number, timeoutMs: number, operation: string): void {
    const words = this.words;
    Atomics.store(words, I_PRODUCER_SLEEPING, 1);
    const head = Atomics.load(words, I_HEAD);
    if (head === this.cachedHead) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        Atomics.store(words, I_PRODUCER_SLEEPING, 0);
        throw new RingTimeoutError('SpscProducer', operation, timeoutMs);
      }
      Atomics.wait(words, I_HEAD, head, remaining);
    }
    Atomics.store(words, I_PRODUCER_SLEEPING, 0);
  }

  /**
   * Appends one message, sleeping in `Atomics.wait` while the ring is full
   * (after a short spin). Throws `RingTimeoutError` after `timeoutMs`.
   * Only for threads that may block (workers; Node's main thread allows it
   * too, but it stalls the event loop).
   * @example producer.write(new Int32Array([42]), 500)
   */
  write(message: ArrayBufferView, timeoutMs: number): void {
    if (this.tryWrite(message)) return;
    checkTimeout('SpscProducer write', timeoutMs);
    for (let i = 0; i < SPIN_TRIES; i++) if (this.tryWrite(message)) return;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      this.sleepWhileFull(deadline, timeoutMs, 'write');
      if (this.tryWrite(message)) return;
    }
  }

  /**
   * Like {@link SpscProducer.write} but waits with `Atomics.waitAsync`, so it
   * is safe on a thread that must not block. Rejects with `RingTimeoutError`.
   * @example await producer.writeAsync(bytes, 1000)
   */
  async writeAsync(message: ArrayBufferView, timeoutMs: number): Promise<void> {
    if (this.tryWrite(message)) return;
    checkTimeout('SpscProducer writeAsync', timeoutMs);
    const deadline = performance.now() + timeoutMs;
    const words = this.words;
    for (;;) {
      Atomics.store(words, I_PRODUCER_SLEEPING, 1);
      const head = Atomics.load(words, I_HEAD);
      if (head === this.cachedHead) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          Atomics.store(words, I_PRODUCER_SLEEPING, 0);
          throw new RingTimeoutError('SpscProducer', 'writeAsync', timeoutMs);
        }
        await waitAsync(words, I_HEAD, head, remaining);
      }
      Atomics.store(words, I_PRODUCER_SLEEPING, 0);
      if (this.tryWrite(message)) return;
    }
  }
}

/**
 * Consumer side of an {@link SpscRing}: non-blocking `tryRead`/`tryReadInto`,
 * blocking `readInto`/`read` (for worker threads) and `readAsync`.
 * @example
 * const c = ring.consumer();
 * const buf = new Uint8Array(256);
 * const n = c.tryReadInto(buf); // -1 when empty, else the message length
 */
export class SpscConsumer {
  private readonly words: Int32Array;
  private readonly data: Uint8Array;
  private readonly capacity: number;
  private readonly mask: number;
  /** Our own HEAD (only we write it). */
  private head: number;
  /** Last TAIL seen; re-read only when it says the ring is empty. */
  private cachedTail: number;

  /** @internal Use {@link SpscRing.consumer}. */
  constructor(buffer: SharedArrayBuffer, capacity: number) {
    this.words = new Int32Array(buffer);
    this.data = new Uint8Array(buffer, DATA_BYTE, capacity);
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.head = Atomics.load(this.words, I_HEAD);
    this.cachedTail = Atomics.load(this.words, I_TAIL);
  }

  /**
   * Length of the next message, or -1 if the ring is empty; does not consume it.
   * @example const n = consumer.peekLength(); if (n > buf.length) buf = new Uint8Array(n)
   */
  peekLength(): number {
    if (this.head === this.cachedTail) {
      this.cachedTail = Atomics.load(this.words, I_TAIL);
      if (this.head === this.cachedTail) return -1;
    }
    return this.words[(DATA_BYTE + (this.head & this.mask)) >> 2];
  }

  /**
   * Copies the next message into `target` (from its start) and consumes it.
   * Returns the message length, or -1 if the ring is empty. Throws
   * `OutOfRangeError` (leaving the message queued) if `target` is too small.
   * @example const n = consumer.tryReadInto(scratch); if (n >= 0) handle(scratch.subarray(0, n))
   */
  tryReadInto(target: Uint8Array): number {
    const head = this.head;
    if (head === this.cachedTail) {
      this.cachedTail = Atomics.load(this.words, I_TAIL);
      if (head === this.cachedTail) return -1;
    }
    const mask = this.mask;
    const off = head & mask;
    const len = this.words[(DATA_BYTE + off) >> 2];
    if (len > target.length) {
      throw new OutOfRangeError(`SpscConsumer target length (${target.length}) must be at least the message length (${len})`);
    }
    const start = (off + 4) & mask;
    const data = this.data;
    if (len <= SMALL_COPY) {
      for (let i = 0; i < len; i++) target[i] = data[(start + i) & mask];
    } else {
      const first = this.capacity - start;
      if (len <= first) {
        target.set(data.subarray(start, start + len));
      } else {
        target.set(data.subarray(start), 0);
        target.set(data.subarray(0, len - first), first);
      }
    }
    this.head = (head + frameBytes(len)) | 0;
    Atomics.store(this.words, I_HEAD, this.head);
    if (Atomics.load(this.words, I_PRODUCER_SLEEPING) !== 0) Atomics.notify(this.words, I_HEAD, 1);
    return len;
  }

  /**
   * Consumes the next message into a new Uint8Array, or returns null if the ring is empty.
   * @example const msg = consumer.tryRead()
   */
  tryRead(): Uint8Array | null {
    const len = this.peekLength();
    if (len < 0) return null;
    const out = new Uint8Array(len);
    this.tryReadInto(out);
    return out;
  }

  /**
   * Bulk read: consumes as many queued messages as fit, packing their bytes
   * back to back into `target` and their lengths into `lengths`; publishes
   * HEAD (and checks for a sleeping producer) once for the batch. Returns the
   * number of messages read (0 when empty). Throws `OutOfRangeError` if the
   * next message alone is longer than `target`.
   * @example const k = consumer.tryReadBatch(bytes, lengths) // message i is lengths[i] bytes
   */
  tryReadBatch(target: Uint8Array, lengths: Int32Array): number {
    let head = this.head;
    // One fresh TAIL load per batch (not the cached one): a batch should take everything queued.
    const tail = (this.cachedTail = Atomics.load(this.words, I_TAIL));
    if (head === tail) return 0;
    const mask = this.mask;
    const words = this.words;
    const ring = this.data;
    const max = lengths.length;
    let k = 0;
    let dst = 0;
    while (head !== tail && k < max) {
      const off = head & mask;
      const len = words[(DATA_BYTE + off) >> 2];
      if (dst + len > target.length) {
        if (k === 0) {
          throw new OutOfRangeError(`SpscConsumer target length (${target.length}) must be at least the message length (${len})`);
        }
        break;
      }
      const start = (off + 4) & mask;
      if (len <= SMALL_COPY) {
        for (let i = 0; i < len; i++) target[dst + i] = ring[(start + i) & mask];
      } else {
        const first = this.capacity - start;
        if (len <= first) {
          target.set(ring.subarray(start, start + len), dst);
        } else {
          target.set(ring.subarray(start), dst);
          target.set(ring.subarray(0, len - first), dst + first);
        }
      }
      lengths[k++] = len;
      dst += len;
      head = (head + frameBytes(len)) | 0;
    }
    if (k === 0) return 0;
    this.head = head;
    Atomics.store(words, I_HEAD, head);
    if (Atomics.load(words, I_PRODUCER_SLEEPING) !== 0) Atomics.notify(words, I_HEAD, 1);
    return k;
  }

  /**
   * Blocking bulk read: like {@link SpscConsumer.tryReadBatch} but waits
   * (spin, then `Atomics.wait`) until at least one message is queued; throws
   * `RingTimeoutError` after `timeoutMs`.
   * @example const k = consumer.readBatch(bytes, lengths, 1000)
   */
  readBatch(target: Uint8Array, lengths: Int32Array, timeoutMs: number): number {
    let k = this.tryReadBatch(target, lengths);
    if (k > 0) return k;
    checkTimeout('SpscConsumer readBatch', timeoutMs);
    for (let i = 0; i < SPIN_TRIES; i++) if ((k = this.tryReadBatch(target, lengths)) > 0) return k;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      this.sleepWhileEmpty(deadline, timeoutMs, 'readBatch');
      if ((k = this.tryReadBatch(target, lengths)) > 0) return k;
    }
  }

  /** One sleep of the wake-up protocol (see the design note): flag, re-check TAIL, wait, unflag. */
  private sleepWhileEmpty(deadline: number, timeoutMs: number, operation: string): void {
    const words = this.words;
    Atomics.store(words, I_CONSUMER_SLEEPING, 1);
    const tail = Atomics.load(words, I_TAIL);
    if (tail === this.head) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        Atomics.store(words, I_CONSUMER_SLEEPING, 0);
        throw new RingTimeoutError('SpscConsumer', operation, timeoutMs);
      }
      Atomics.wait(words, I_TAIL, tail, remaining);
    }
    Atomics.store(words, I_CONSUMER_SLEEPING, 0);
  }

  /**
   * Like {@link SpscConsumer.tryReadInto} but waits (spin, then `Atomics.wait`)
   * while the ring is empty; throws `RingTimeoutError` after `timeoutMs`.
   * @example const n = consumer.readInto(scratch, 1000)
   */
  readInto(target: Uint8Array, timeoutMs: number): number {
    let n = this.tryReadInto(target);
    if (n >= 0) return n;
    checkTimeout('SpscConsumer readInto', timeoutMs);
    for (let i = 0; i < SPIN_TRIES; i++) if ((n = this.tryReadInto(target)) >= 0) return n;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      this.sleepWhileEmpty(deadline, timeoutMs, 'readInto');
      if ((n = this.tryReadInto(target)) >= 0) return n;
    }
  }

  /**
   * Waits (spin, then `Atomics.wait`) for the next message and returns a copy;
   * throws `RingTimeoutError` after `timeoutMs`.
   * @example const msg = consumer.read(1000)
   */
  read(timeoutMs: number): Uint8Array {
    let msg = this.tryRead();
    if (msg !== null) return msg;
    checkTimeout('SpscConsumer read', timeoutMs);
    for (let i = 0; i < SPIN_TRIES; i++) if ((msg = this.tryRead()) !== null) return msg;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      this.sleepWhileEmpty(deadline, timeoutMs, 'read');
      if ((msg = this.tryRead()) !== null) return msg;
    }
  }

  /**
   * Waits with `Atomics.waitAsync` (safe on the main thread) for the next
   * message and resolves with a copy; rejects with `RingTimeoutError`.
   * @example const msg = await consumer.readAsync(1000)
   */
  async readAsync(timeoutMs: number): Promise<Uint8Array> {
    const first = this.tryRead();
    if (first !== null) return first;
    checkTimeout('SpscConsumer readAsync', timeoutMs);
    const deadline = performance.now() + timeoutMs;
    const words = this.words;
    for (;;) {
      Atomics.store(words, I_CONSUMER_SLEEPING, 1);
      const tail = Atomics.load(words, I_TAIL);
      if (tail === this.head) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          Atomics.store(words, I_CONSUMER_SLEEPING, 0);
          throw new RingTimeoutError('SpscConsumer', 'readAsync', timeoutMs);
        }
        await waitAsync(words, I_TAIL, tail, remaining);
      }
      Atomics.store(words, I_CONSUMER_SLEEPING, 0);
      const msg = this.tryRead();
      if (msg !== null) return msg;
    }
  }
}
