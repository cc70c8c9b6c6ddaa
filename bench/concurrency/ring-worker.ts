/**
 * Worker side of bench/concurrency/rings.bench.ts. `workerData.role` picks the job:
 *
 *  - 'spsc-producer': sleeps on control[GEN]; each bump asks for control[OPS]
 *    8-byte messages written into the SpscRing (the main thread consumes),
 *    one `write` each, or `writeBatch` of BATCH messages when `batch` is set.
 *  - 'port-producer': on each { n } from the main thread, posts n 8-byte
 *    Uint8Arrays on the same MessagePort (the pipelined peer).
 *  - 'mpmc-producer': sleeps on control[GEN]; each bump asks for
 *    control[OPS + id] messages enqueued into the MpmcRing.
 *  - 'mpmc-consumer': dequeues forever; counts locally and adds the count to
 *    control[CONSUMED] whenever the queue runs dry, notifying the main thread
 *    once the batch target control[TARGET] is reached. Flushing only when dry
 *    keeps one shared atomic per burst instead of one per message.
 *  - 'port-mpmc-producer' / 'port-mpmc-consumer': the MessagePort peer of the
 *    2 x 2 case: each producer alternates between its ports to the two
 *    consumers; a consumer posts 'done' when its count reaches the cumulative
 *    target the main thread announced.
 *
 * Idle workers sleep in Atomics.wait (or the event loop), so they cost no CPU
 * while the other impl of the case is measured. Teardown terminates them.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { SpscRing } from '../../src/concurrency/spsc-ring.ts';
import { MpmcRing } from '../../src/concurrency/mpmc-ring.ts';
import { RingTimeoutError } from '../../src/concurrency/errors.ts';

/** Indices into the control Int32Array shared with the bench. */
export const GEN = 0;
export const CONSUMED = 1;
export const TARGET = 2;
export const OPS = 3;
export const CONTROL_WORDS = 16;
/** Message size of every case. */
export const MESSAGE_BYTES = 8;
/** Messages per bulk write in the batched SPSC case: 2 KiB, a few lines' worth of a 64 KiB ring. */
export const BATCH = 256;

interface RingWorkerData {
  role: string;
  control: SharedArrayBuffer;
  ring: SharedArrayBuffer;
  id: number;
  batch: boolean;
  port: MessagePort;
  ports: MessagePort[];
}

function nextBatch(control: Int32Array, gen: number): number {
  while (Atomics.load(control, GEN) === gen) Atomics.wait(control, GEN, gen);
  return Atomics.load(control, GEN);
}

function spscProducer(d: RingWorkerData): void {
  const control = new Int32Array(d.control);
  const producer = SpscRing.from(d.ring).producer();
  const msg = new Uint8Array(MESSAGE_BYTES);
  const packed = new Uint8Array(MESSAGE_BYTES * BATCH);
  let gen = 0;
  parentPort!.postMessage('ready');
  for (;;) {
    gen = nextBatch(control, gen);
    const n = Atomics.load(control, OPS);
    if (d.batch) {
      for (let done = 0; done < n; done += BATCH) {
        const k = Math.min(BATCH, n - done);
        packed[0] = done;
        producer.writeBatch(packed, MESSAGE_BYTES, 60_000, k);
      }
    } else {
      for (let i = 0; i < n; i++) {
        msg[0] = i;
        producer.write(msg, 60_000);
      }
    }
  }
}

function mpmcProducer(d: RingWorkerData): void {
  const control = new Int32Array(d.control);
  const q = MpmcRing.from(d.ring);
  const msg = new Uint8Array(MESSAGE_BYTES);
  let gen = 0;
  parentPort!.postMessage('ready');
  for (;;) {
    gen = nextBatch(control, gen);
    const n = Atomics.load(control, OPS + d.id);
    for (let i = 0; i < n; i++) {
      msg[0] = i;
      q.enqueue(msg, 60_000);
    }
  }
}

function mpmcConsumer(d: RingWorkerData): void {
  const control = new Int32Array(d.control);
  const q = MpmcRing.from(d.ring);
  const buf = new Uint8Array(q.slotBytes);
  let local = 0;
  parentPort!.postMessage('ready');
  for (;;) {
    if (q.tryDequeueInto(buf) >= 0) {
      local++;
      continue;
    }
    if (local !== 0) {
      const now = Atomics.add(control, CONSUMED, local) + local;
      local = 0;
      if (now >= Atomics.load(control, TARGET)) Atomics.notify(control, CONSUMED);
    }
    try {
      q.dequeueInto(buf, 1000);
      local++;
    } catch (e) {
      if (!(e instanceof RingTimeoutError)) throw e;
    }
  }
}

function portProducer(d: RingWorkerData): void {
  const msg = new Uint8Array(MESSAGE_BYTES);
  d.port.on('message', (n: number) => {
    for (let i = 0; i < n; i++) {
      msg[0] = i;
      d.port.postMessage(msg);
    }
  });
  parentPort!.postMessage('ready');
}

function portMpmcProducer(d: RingWorkerData): void {
  const msg = new Uint8Array(MESSAGE_BYTES);
  const [a, b] = d.ports;
  parentPort!.on('message', (n: number) => {
    for (let i = 0; i < n; i++) {
      msg[0] = i;
      (i & 1 ? b : a).postMessage(msg);
    }
  });
  parentPort!.postMessage('ready');
}

function portMpmcConsumer(d: RingWorkerData): void {
  let count = 0;
  let target = 0;
  // True from an announcement until its batch is complete (a batch may bring this consumer 0 messages).
  let pending = false;
  const check = (): void => {
    if (pending && count === target) {
      pending = false;
      parentPort!.postMessage('done');
    }
  };
  for (const port of d.ports) {
    port.on('message', () => {
      count++;
      check();
    });
  }
  parentPort!.on('message', (expect: number) => {
    target += expect;
    pending = true;
    check();
  });
  parentPort!.postMessage('ready');
}

const d = workerData as RingWorkerData;
if (d !== null && typeof d === 'object') {
  if (d.role === 'spsc-producer') spscProducer(d);
  else if (d.role === 'mpmc-producer') mpmcProducer(d);
  else if (d.role === 'mpmc-consumer') mpmcConsumer(d);
  else if (d.role === 'port-producer') portProducer(d);
  else if (d.role === 'port-mpmc-producer') portMpmcProducer(d);
  else if (d.role === 'port-mpmc-consumer') portMpmcConsumer(d);
}
