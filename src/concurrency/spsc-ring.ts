/**
 * SpscRing: a single-producer single-consumer ring of variable-length byte
 * messages over one SharedArrayBuffer, for passing data between two threads
 * without postMessage's structured clone and event-loop hop.
 *
 * Memory layout (bytes; Int32 words unless noted):
 *   0    MAGIC 'BHSR', VERSION, CAPACITY (data bytes, a power of two)
 *   64   HEAD               consumer writes, producer reads   (own 64-byte line)
 *   128  TAIL               producer writes, consumer reads   (own line)
 *   192  CONSUMER_SLEEPING  consumer sets, producer clears    (own line)
 *   256  PRODUCER_SLEEPING  producer sets, consumer clears    (own line)
 *   320  data: CAPACITY bytes
 * HEAD and TAIL are free-running 32-bit byte counters (they wrap at 2^32;
 * differences are taken with `| 0`, valid because CAPACITY <= 2^30). A
 * message is a 4-byte length word followed by its bytes, padded to 4, so a
 * length word is always 4-aligned and never straddles the end, and HEAD and
 * TAIL are always multiples of 4; the payload may wrap around the end and is
 * copied in two pieces. Invariant: 0 <= TAIL - HEAD <= CAPACITY. Each counter
 * lives on its own line so the two threads never write the same cache line
 * (no false sharing); each side also caches the other's counter and re-reads
 * it only when the cached value says full (producer) or empty (consumer), so
 * the hot path touches the other thread's line once per burst, not once per
 * message.
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
 * blocking read first spins with an adaptive budget (atomics-wait.ts: long
 * on idle cores, short once spins stop paying or the thread gets
 * descheduled), then stores CONSUMER_SLEEPING = HEAD | 1 (HEAD is a multiple
 * of 4, so the flag is never 0 and says which position the consumer waits
 * at), re-reads TAIL, and only if it still equals HEAD sleeps in
 * `Atomics.wait(TAIL, HEAD)` (or `Atomics.waitAsync` on a thread that may not
 * block). The producer, after `Atomics.store(TAIL, t)`, loads the flag; if it
 * is set for a position other than t, it clears it with a compare-and-swap
 * and, if that wins, calls `Atomics.notify(TAIL)`. So each sleep costs at
 * most one notify, however many messages follow before the consumer runs
 * again (on busy cores a woken thread can wait milliseconds for a core; a
 * flag left set would make every write in that time a futex call). A flag
 * set for position t itself belongs to a consumer that has already read the
 * message ending at t and waits for the next one: the producer leaves it
 * alone, and its next write clears it. Both pairs (store flag, load TAIL)
 * and (store TAIL, load flag) are seq-cst, so at least one side sees the
 * other's store; `Atomics.wait` re-checks TAIL atomically, so a notify that
 * lands between the check and the sleep is not lost; and the compare-and-swap
 * clears only a flag whose wait condition (TAIL == position) the write has
 * just made false. A busy consumer never sets the flag, so a streaming
 * producer pays one cached load per message and no syscall.
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
 *
 * Arguments are checked once per call with typeof/instanceof tests, before
 * anything is read or written, so a refused call leaves the ring untouched.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { allocate, checkOptions, numberError } from '../validate.ts';
import { RingTimeoutError } from './errors.ts';
import { AdaptiveSpin, checkTimeout, spinWhileEqual, waitAsync } from './atomics-wait.ts';

const MAGIC = 0x52534842; // 'BHSR' little-endian
/** Layout version 2: the sleeping flags hold a position (version 1 held 1). */
const VERSION = 2;
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
/** Below this payload size a byte loop beats `Uint8Array.set` (which pays a call and bounds setup). */
const SMALL_COPY = 32;
/** Sleeping-flag bit of a batching (contended) side: wake it at a quarter of the ring (queued or free), not at the first change. */
const LAZY = 2;
/** Longest a batching side sleeps before it takes whatever is there. */
const LAZY_MS = 1;

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

function checkUint8(component: string, param: string, v: unknown): void {
  if (!(v instanceof Uint8Array)) throw new InvalidArgumentError(`${component} ${param} must be a Uint8Array, got ${describe(v)}`);
}

/**
 * Checks that `buffer` holds a ring of this layout version and returns its
 * capacity; the errors name `component`.
 */
function ringCapacity(component: string, buffer: unknown): number {
  if (!(buffer instanceof SharedArrayBuffer)) {
    throw new InvalidArgumentError(`${component} buffer must be a SharedArrayBuffer made by SpscRing.create, got ${describe(buffer)}`);
  }
  if (buffer.byteLength < DATA_BYTE + MIN_CAPACITY) {
    throw new InvalidArgumentError(`${component} buffer (${buffer.byteLength} bytes) is too small to hold a ring`);
  }
  const words = new Int32Array(buffer, 0, 4);
  if (words[I_MAGIC] !== MAGIC) {
    throw new InvalidArgumentError(`${component} buffer has magic 0x${(words[I_MAGIC] >>> 0).toString(16)}, expected 0x${MAGIC.toString(16)}: not an SpscRing`);
  }
  if (words[I_VERSION] !== VERSION) {
    throw new InvalidArgumentError(`${component} buffer has layout version ${words[I_VERSION]}, this code reads version ${VERSION}`);
  }
  const cap = words[I_CAPACITY];
  if (cap < MIN_CAPACITY || (cap & (cap - 1)) !== 0 || buffer.byteLength !== DATA_BYTE + cap) {
    throw new InvalidArgumentError(`${component} buffer header says capacity ${cap} but the buffer has ${buffer.byteLength} bytes`);
  }
  return cap;
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

  /**
   * Wraps a buffer made by {@link SpscRing.create}; the same as {@link SpscRing.from}.
   * @example const ring = new SpscRing(workerData.ring)
   */
  constructor(buffer: SharedArrayBuffer) {
    this.capacityBytes = ringCapacity('SpscRing', buffer);
    this.buffer = buffer;
    this.words = new Int32Array(buffer);
    this.maxMessageBytes = this.capacityBytes - 4;
  }

  /**
   * Allocates a new, empty ring. Throws `InvalidArgumentError` for options
   * that are not an object or a capacity that is not a number,
   * `OutOfRangeError` for a capacity outside the rule or one the engine
   * cannot allocate.
   * @example const ring = SpscRing.create({ capacityBytes: 4096 })
   */
  static create(options: SpscRingOptions): SpscRing {
    if (options === undefined) throw new InvalidArgumentError('SpscRing options must be an object { capacityBytes }, got undefined');
    const o = checkOptions('SpscRing', 'options', options);
    const cap = o.capacityBytes;
    if (typeof cap !== 'number' || !Number.isInteger(cap) || cap < MIN_CAPACITY || cap > MAX_CAPACITY || (cap & (cap - 1)) !== 0) {
      throw new (numberError(cap))(`SpscRing capacityBytes (${describe(cap)}) must be a power of two from 64 to 2^30`);
    }
    const buffer = allocate('SpscRing', 'capacityBytes', DATA_BYTE + cap, () => new SharedArrayBuffer(DATA_BYTE + cap));
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
    ringCapacity('SpscRing.from', buffer);
    return new SpscRing(buffer);
  }

  /**
   * The producer-side handle. Use it from one thread only.
   * @example ring.producer().tryWrite(new Uint8Array([1, 2, 3]))
   */
  producer(): SpscProducer {
    return new SpscProducer(this.buffer);
  }

  /**
   * The consumer-side handle. Use it from one thread only.
   * @example const bytes = ring.consumer().tryRead()
   */
  consumer(): SpscConsumer {
    return new SpscConsumer(this.buffer);
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
  /** How long we spin for room before sleeping (adapts to whether spinning pays). */
  private readonly spin: AdaptiveSpin;

  /**
   * The producer handle of the ring in `buffer`; usually obtained with {@link SpscRing.producer}.
   * @example const p = new SpscProducer(ring.buffer)
   */
  constructor(buffer: SharedArrayBuffer) {
    const capacity = ringCapacity('SpscProducer', buffer);
    this.words = new Int32Array(buffer);
    this.data = new Uint8Array(buffer, DATA_BYTE, capacity);
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.tail = Atomics.load(this.words, I_TAIL);
    this.cachedHead = Atomics.load(this.words, I_HEAD);
    this.spin = new AdaptiveSpin();
  }

  /**
   * Appends one message (the bytes of any typed array) if it fits now.
   * Returns false when the ring is too full; throws `OutOfRangeError` if the
   * message could never fit.
   * @example if (!producer.tryWrite(bytes)) queueLocally(bytes)
   */
  tryWrite(message: ArrayBufferView): boolean {
    return this._write(asBytes(message, 'SpscProducer', 'message'));
  }

  private _write(bytes: Uint8Array): boolean {
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
    const next = (tail + need) | 0;
    this.tail = next;
    Atomics.store(this.words, I_TAIL, next);
    const sleeping = Atomics.load(this.words, I_CONSUMER_SLEEPING);
    if (sleeping !== 0) this._wakeConsumer(sleeping, next);
    return true;
  }

  /** Wakes a consumer sleeping at a position other than `tail` (see the design note): one notify per sleep. */
  private _wakeConsumer(flag: number, tail: number): void {
    if ((flag & LAZY) !== 0) {
      // A batching consumer (contended mode): wake it once a quarter of the ring is queued.
      if (((tail - (flag & ~3)) | 0) < this.capacity >> 2) return;
    } else if ((flag ^ 1) === tail) {
      return;
    }
    if (Atomics.compareExchange(this.words, I_CONSUMER_SLEEPING, flag, 0) === flag) {
      Atomics.notify(this.words, (flag & LAZY) !== 0 ? I_CONSUMER_SLEEPING : I_TAIL, 1);
    }
  }

  /**
   * Bulk write: appends up to `count` messages of `messageBytes` each, taken
   * back to back from `data`, as many as fit now; publishes TAIL (and checks
   * for a sleeping consumer) once for the whole batch, which is what makes
   * small messages cheap. Returns how many were written (0 when full).
   * `count` defaults to `data.length / messageBytes` (and must be given for
   * zero-length messages).
   * @example const k = producer.tryWriteBatch(new Uint8Array(8 * 100), 8) // up to 100 messages of 8 bytes
   */
  tryWriteBatch(data: Uint8Array, messageBytes: number, count?: number): number {
    const k = this._checkBatch('tryWriteBatch', data, messageBytes, count);
    return this._writeBatch(data, messageBytes, k);
  }

  /** Checks the bulk-write arguments once; returns the message count. */
  private _checkBatch(operation: string, data: Uint8Array, messageBytes: number, count: number | undefined): number {
    checkUint8(`SpscProducer ${operation}`, 'data', data);
    const cap = this.capacity;
    if (typeof messageBytes !== 'number' || !Number.isInteger(messageBytes) || messageBytes < 0 || frameBytes(messageBytes) > cap) {
      throw new (numberError(messageBytes))(`SpscProducer messageBytes (${describe(messageBytes)}) must be an integer from 0 to capacityBytes - 4 (${cap - 4})`);
    }
    const most = messageBytes === 0 ? 2 ** 30 : Math.floor(data.length / messageBytes);
    if (count === undefined) {
      if (messageBytes === 0) throw new InvalidArgumentError('SpscProducer count must be given for messages of 0 bytes, got undefined');
      return most;
    }
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0 || count > most) {
      throw new (numberError(count))(`SpscProducer count (${describe(count)}) must be an integer from 0 to data.length / messageBytes (${messageBytes === 0 ? '2^30' : most})`);
    }
    return count;
  }

  private _writeBatch(data: Uint8Array, messageBytes: number, count: number): number {
    const cap = this.capacity;
    const need = frameBytes(messageBytes);
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
    const sleeping = Atomics.load(words, I_CONSUMER_SLEEPING);
    if (sleeping !== 0) this._wakeConsumer(sleeping, tail);
    return k;
  }

  /**
   * Blocking bulk write: writes all `count` messages of `messageBytes` from
   * `data`, waiting (adaptive spin, then `Atomics.wait`) whenever the ring is
   * full. Throws `RingTimeoutError` if no room appears for `timeoutMs` at a
   * stretch (0 to 2^31 - 1 ms, or Infinity).
   * @example producer.writeBatch(packed, 8, 1000)
   */
  writeBatch(data: Uint8Array, messageBytes: number, timeoutMs: number, count?: number): void {
    checkTimeout('SpscProducer writeBatch', timeoutMs);
    const total = this._checkBatch('writeBatch', data, messageBytes, count);
    let done = this._writeBatch(data, messageBytes, total);
    const need = frameBytes(messageBytes);
    while (done < total) {
      this._waitForRoom(need, timeoutMs, 'writeBatch', false);
      done += this._writeBatch(done === 0 ? data : data.subarray(done * messageBytes), messageBytes, total - done);
    }
  }

  /**
   * Waits until `need` bytes are free: adaptive spin on HEAD, then sleep with
   * the wake-up protocol; throws RingTimeoutError after `timeoutMs`.
   */
  private _waitForRoom(need: number, timeoutMs: number, operation: string, batching: boolean): void {
    const words = this.words;
    const cap = this.capacity;
    const tail = this.tail;
    const spin = this.spin;
    let deadline = -1;
    for (;;) {
      const head = Atomics.load(words, I_HEAD);
      this.cachedHead = head;
      if (cap - ((tail - head) | 0) >= need) return;
      if (!spin.contended && spinWhileEqual(words, I_HEAD, head, spin)) continue;
      if (deadline < 0) deadline = performance.now() + timeoutMs;
      if (batching && spin.contended && this._lazyWait(head, deadline)) continue;
      Atomics.store(words, I_PRODUCER_SLEEPING, head | 1);
      if (Atomics.load(words, I_HEAD) === head) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          Atomics.store(words, I_PRODUCER_SLEEPING, 0);
          throw new RingTimeoutError('SpscProducer', operation, timeoutMs);
        }
        const t = spin.parkStart();
        Atomics.wait(words, I_HEAD, head, remaining);
        spin.parkEnd(t);
      }
      Atomics.store(words, I_PRODUCER_SLEEPING, 0);
    }
  }

  /**
   * Contended mode: sleeps until the consumer has freed a quarter of the ring
   * or LAZY_MS passed, so both sides work in bursts (see the design note).
   * True when HEAD moved.
   */
  private _lazyWait(head: number, deadline: number): boolean {
    const words = this.words;
    const flag = head | LAZY | 1;
    Atomics.store(words, I_PRODUCER_SLEEPING, flag);
    if (((Atomics.load(words, I_HEAD) - head) | 0) < this.capacity >> 2) {
      const remaining = deadline - performance.now();
      if (remaining > 0) {
        const t = this.spin.parkStart();
        Atomics.wait(words, I_PRODUCER_SLEEPING, flag, remaining < LAZY_MS ? remaining : LAZY_MS);
        this.spin.parkEnd(t);
      }
    }
    Atomics.store(words, I_PRODUCER_SLEEPING, 0);
    return Atomics.load(words, I_HEAD) !== head;
  }

  /**
   * Appends one message, sleeping in `Atomics.wait` while the ring is full
   * (after an adaptive spin). Throws `RingTimeoutError` after `timeoutMs`
   * (0 to 2^31 - 1 ms, or Infinity). Only for threads that may block
   * (workers; Node's main thread allows it too, but it stalls the event loop).
   * @example producer.write(new Int32Array([42]), 500)
   */
  write(message: ArrayBufferView, timeoutMs: number): void {
    checkTimeout('SpscProducer write', timeoutMs);
    const bytes = asBytes(message, 'SpscProducer', 'message');
    if (this._write(bytes)) return;
    const need = frameBytes(bytes.length);
    do this._waitForRoom(need, timeoutMs, 'write', true);
    while (!this._write(bytes));
  }

  /**
   * Like {@link SpscProducer.write} but waits with `Atomics.waitAsync`, so it
   * is safe on a thread that must not block. Rejects with `RingTimeoutError`.
   * @example await producer.writeAsync(bytes, 1000)
   */
  async writeAsync(message: ArrayBufferView, timeoutMs: number): Promise<void> {
    checkTimeout('SpscProducer writeAsync', timeoutMs);
    const bytes = asBytes(message, 'SpscProducer', 'message');
    if (this._write(bytes)) return;
    const deadline = performance.now() + timeoutMs;
    const words = this.words;
    for (;;) {
      const head = this.cachedHead;
      Atomics.store(words, I_PRODUCER_SLEEPING, head | 1);
      if (Atomics.load(words, I_HEAD) === head) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          Atomics.store(words, I_PRODUCER_SLEEPING, 0);
          throw new RingTimeoutError('SpscProducer', 'writeAsync', timeoutMs);
        }
        await waitAsync(words, I_HEAD, head, remaining);
      }
      Atomics.store(words, I_PRODUCER_SLEEPING, 0);
      if (this._write(bytes)) return;
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
  /** How long we spin for data before sleeping (adapts to whether spinning pays). */
  private readonly spin: AdaptiveSpin;

  /**
   * The consumer handle of the ring in `buffer`; usually obtained with {@link SpscRing.consumer}.
   * @example const c = new SpscConsumer(ring.buffer)
   */
  constructor(buffer: SharedArrayBuffer) {
    const capacity = ringCapacity('SpscConsumer', buffer);
    this.words = new Int32Array(buffer);
    this.data = new Uint8Array(buffer, DATA_BYTE, capacity);
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.head = Atomics.load(this.words, I_HEAD);
    this.cachedTail = Atomics.load(this.words, I_TAIL);
    this.spin = new AdaptiveSpin();
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
   * Copies the next message into `target` (a Uint8Array, from its start) and
   * consumes it. Returns the message length, or -1 if the ring is empty.
   * Throws `OutOfRangeError` (leaving the message queued) if `target` is too small.
   * @example const n = consumer.tryReadInto(scratch); if (n >= 0) handle(scratch.subarray(0, n))
   */
  tryReadInto(target: Uint8Array): number {
    checkUint8('SpscConsumer tryReadInto', 'target', target);
    return this._readInto(target);
  }

  private _readInto(target: Uint8Array): number {
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
    const next = (head + frameBytes(len)) | 0;
    this.head = next;
    Atomics.store(this.words, I_HEAD, next);
    const sleeping = Atomics.load(this.words, I_PRODUCER_SLEEPING);
    if (sleeping !== 0) this._wakeProducer(sleeping, next);
    return len;
  }

  /** Wakes a producer sleeping at a HEAD other than `head` (see the design note): one notify per sleep. */
  private _wakeProducer(flag: number, head: number): void {
    if ((flag & LAZY) !== 0) {
      // A batching producer (contended mode): wake it once a quarter of the ring is free again.
      if (((head - (flag & ~3)) | 0) < this.capacity >> 2) return;
    } else if ((flag ^ 1) === head) {
      return;
    }
    if (Atomics.compareExchange(this.words, I_PRODUCER_SLEEPING, flag, 0) === flag) {
      Atomics.notify(this.words, (flag & LAZY) !== 0 ? I_PRODUCER_SLEEPING : I_HEAD, 1);
    }
  }

  /**
   * Consumes the next message into a new Uint8Array, or returns null if the ring is empty.
   * @example const msg = consumer.tryRead()
   */
  tryRead(): Uint8Array | null {
    const len = this.peekLength();
    if (len < 0) return null;
    const out = new Uint8Array(len);
    this._readInto(out);
    return out;
  }

  /**
   * Bulk read: consumes as many queued messages as fit, packing their bytes
   * back to back into `target` (a Uint8Array) and their lengths into
   * `lengths` (an Int32Array); publishes HEAD (and checks for a sleeping
   * producer) once for the batch. Returns the number of messages read (0
   * when empty). Throws `OutOfRangeError` if the next message alone is
   * longer than `target`.
   * @example const k = consumer.tryReadBatch(bytes, lengths) // message i is lengths[i] bytes
   */
  tryReadBatch(target: Uint8Array, lengths: Int32Array): number {
    this._checkBatch('tryReadBatch', target, lengths);
    return this._readBatch(target, lengths);
  }

  private _checkBatch(operation: string, target: Uint8Array, lengths: Int32Array): void {
    checkUint8(`SpscConsumer ${operation}`, 'target', target);
    if (!(lengths instanceof Int32Array)) throw new InvalidArgumentError(`SpscConsumer ${operation} lengths must be an Int32Array, got ${describe(lengths)}`);
  }

  private _readBatch(target: Uint8Array, lengths: Int32Array): number {
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
    const sleeping = Atomics.load(words, I_PRODUCER_SLEEPING);
    if (sleeping !== 0) this._wakeProducer(sleeping, head);
    return k;
  }

  /**
   * Blocking bulk read: like {@link SpscConsumer.tryReadBatch} but waits
   * (adaptive spin, then `Atomics.wait`) until at least one message is
   * queued; throws `RingTimeoutError` after `timeoutMs` (0 to 2^31 - 1 ms, or Infinity).
   * @example const k = consumer.readBatch(bytes, lengths, 1000)
   */
  readBatch(target: Uint8Array, lengths: Int32Array, timeoutMs: number): number {
    checkTimeout('SpscConsumer readBatch', timeoutMs);
    this._checkBatch('readBatch', target, lengths);
    let k = this._readBatch(target, lengths);
    if (k > 0 || lengths.length === 0) return k;
    do this._waitForData(timeoutMs, 'readBatch', false);
    while ((k = this._readBatch(target, lengths)) === 0);
    return k;
  }

  /**
   * Waits until TAIL moves past our HEAD: adaptive spin, then sleep with the
   * wake-up protocol; throws RingTimeoutError after `timeoutMs`.
   */
  private _waitForData(timeoutMs: number, operation: string, batching: boolean): void {
    const words = this.words;
    const head = this.head;
    const spin = this.spin;
    if (!spin.contended && spinWhileEqual(words, I_TAIL, head, spin)) return;
    const deadline = performance.now() + timeoutMs;
    if (batching && spin.contended && this._lazyWait(head, deadline)) return;
    for (;;) {
      Atomics.store(words, I_CONSUMER_SLEEPING, head | 1);
      if (Atomics.load(words, I_TAIL) !== head) break;
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        Atomics.store(words, I_CONSUMER_SLEEPING, 0);
        throw new RingTimeoutError('SpscConsumer', operation, timeoutMs);
      }
      const t = spin.parkStart();
      Atomics.wait(words, I_TAIL, head, remaining);
      spin.parkEnd(t);
      if (Atomics.load(words, I_TAIL) !== head) break;
    }
    Atomics.store(words, I_CONSUMER_SLEEPING, 0);
  }

  /**
   * Contended mode: sleeps until a quarter of the ring is queued or LAZY_MS
   * passed, so the consumer drains in bursts and stays off the cores while the
   * producer fills (see the design note). True when data is queued.
   */
  private _lazyWait(head: number, deadline: number): boolean {
    const words = this.words;
    const flag = head | LAZY | 1;
    Atomics.store(words, I_CONSUMER_SLEEPING, flag);
    if (((Atomics.load(words, I_TAIL) - head) | 0) < this.capacity >> 2) {
      const remaining = deadline - performance.now();
      if (remaining > 0) {
        const t = this.spin.parkStart();
        Atomics.wait(words, I_CONSUMER_SLEEPING, flag, remaining < LAZY_MS ? remaining : LAZY_MS);
        this.spin.parkEnd(t);
      }
    }
    Atomics.store(words, I_CONSUMER_SLEEPING, 0);
    return Atomics.load(words, I_TAIL) !== head;
  }

  /**
   * Like {@link SpscConsumer.tryReadInto} but waits (adaptive spin, then
   * `Atomics.wait`) while the ring is empty; throws `RingTimeoutError` after
   * `timeoutMs` (0 to 2^31 - 1 ms, or Infinity).
   * @example const n = consumer.readInto(scratch, 1000)
   */
  readInto(target: Uint8Array, timeoutMs: number): number {
    checkTimeout('SpscConsumer readInto', timeoutMs);
    checkUint8('SpscConsumer readInto', 'target', target);
    let n = this._readInto(target);
    if (n >= 0) return n;
    do this._waitForData(timeoutMs, 'readInto', true);
    while ((n = this._readInto(target)) < 0);
    return n;
  }

  /**
   * Waits (adaptive spin, then `Atomics.wait`) for the next message and
   * returns a copy; throws `RingTimeoutError` after `timeoutMs` (0 to
   * 2^31 - 1 ms, or Infinity).
   * @example const msg = consumer.read(1000)
   */
  read(timeoutMs: number): Uint8Array {
    checkTimeout('SpscConsumer read', timeoutMs);
    let msg = this.tryRead();
    if (msg !== null) return msg;
    do this._waitForData(timeoutMs, 'read', true);
    while ((msg = this.tryRead()) === null);
    return msg;
  }

  /**
   * Waits with `Atomics.waitAsync` (safe on the main thread) for the next
   * message and resolves with a copy; rejects with `RingTimeoutError`.
   * @example const msg = await consumer.readAsync(1000)
   */
  async readAsync(timeoutMs: number): Promise<Uint8Array> {
    checkTimeout('SpscConsumer readAsync', timeoutMs);
    const first = this.tryRead();
    if (first !== null) return first;
    const deadline = performance.now() + timeoutMs;
    const words = this.words;
    for (;;) {
      const head = this.head;
      Atomics.store(words, I_CONSUMER_SLEEPING, head | 1);
      if (Atomics.load(words, I_TAIL) === head) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          Atomics.store(words, I_CONSUMER_SLEEPING, 0);
          throw new RingTimeoutError('SpscConsumer', 'readAsync', timeoutMs);
        }
        await waitAsync(words, I_TAIL, head, remaining);
      }
      Atomics.store(words, I_CONSUMER_SLEEPING, 0);
      const msg = this.tryRead();
      if (msg !== null) return msg;
    }
  }
}
