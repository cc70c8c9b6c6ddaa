// Lock-free rings against MessagePort, end to end. An op is one 8-byte
// message delivered from a producer thread to a consumer thread; a batch of n
// ops is timed from the moment the producers are told to send n messages to
// the moment the last one has been received, so ns/op = wall time / n and
// throughput = 1e9 / ns-per-op messages per second.
//
// SPSC: one producer worker writes into an SpscRing (64 KiB) that the main
// thread drains, either in bulk (writeBatch of 256 / readBatch) or one call
// per message (write / readInto); the peer is a worker posting n
// Uint8Array(8) messages back-to-back on a MessagePort (pipelined: no
// per-message acknowledgement) that the main thread counts.
// MPMC: two producer workers and two consumer workers on one MpmcRing (1024
// slots of 8 bytes); the peer wires each producer to each consumer with a
// MessageChannel and alternates between them. Needs free cores: on a loaded
// machine the threads take turns and both sides slow down.
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { suite } from '../harness.ts';
import { SpscRing } from '../../src/concurrency/spsc-ring.ts';
import { MpmcRing } from '../../src/concurrency/mpmc-ring.ts';
import { CONSUMED, CONTROL_WORDS, GEN, MESSAGE_BYTES, OPS, TARGET } from './ring-worker.ts';
import { tsWorkerBoot } from '../../scripts/ts-worker.ts';

const WORKER_URL = new URL('./ring-worker.ts', import.meta.url).href;
// Node 20 ignores `--import` in a Worker's execArgv, so each worker registers
// tsx's loader itself before importing the TypeScript entry.
const BOOT = tsWorkerBoot(WORKER_URL);

/** Starts a bench worker and resolves once it reports 'ready'. */
function startWorker(workerData: Record<string, unknown>, transferList: MessagePort[] = []): Promise<Worker> {
  const w = new Worker(BOOT, { eval: true, workerData, transferList });
  return new Promise((resolve, reject) => {
    w.once('message', () => resolve(w));
    w.once('error', reject);
  });
}

let workers: Worker[] = [];
let control: Int32Array;
let spscConsumer: ReturnType<SpscRing['consumer']>;
let scratch: Uint8Array;
let lengths: Int32Array;
let port: MessagePort;
let portWaiter: { left: number; resolve: () => void } | null = null;
let portConsumers: Worker[] = [];
let portProducers: Worker[] = [];

function bump(): void {
  Atomics.add(control, GEN, 1);
  Atomics.notify(control, GEN);
}

/** Ours, SPSC: the producer worker writes n messages, the main thread reads them. */
function spscBatch(n: number): number {
  Atomics.store(control, OPS, n);
  bump();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += spscConsumer.readInto(scratch, 60_000);
  return sum;
}

/** Ours, SPSC batched: the producer worker writes n messages in bulk, the main thread reads them in bulk. */
function spscBulkBatch(n: number): number {
  Atomics.store(control, OPS, n);
  bump();
  let got = 0;
  while (got < n) got += spscConsumer.readBatch(scratch, lengths, 60_000);
  return got;
}

/** Peer, SPSC: the worker posts n messages on the port; resolves when all n arrived. */
function portBatch(n: number): Promise<void> {
  return new Promise((resolve) => {
    portWaiter = { left: n, resolve };
    port.postMessage(n);
  });
}

/** Ours, MPMC: split n over the two producers; block until the consumers have counted n. */
function mpmcBatch(n: number): number {
  Atomics.store(control, CONSUMED, 0);
  Atomics.store(control, TARGET, n);
  Atomics.store(control, OPS, Math.ceil(n / 2));
  Atomics.store(control, OPS + 1, Math.floor(n / 2));
  bump();
  let c: number;
  while ((c = Atomics.load(control, CONSUMED)) < n) Atomics.wait(control, CONSUMED, c, 1000);
  return c;
}

/** Peer, MPMC: tell each consumer what to expect, then start the producers; resolves when both consumers are done. */
function portMpmcBatch(n: number): Promise<void> {
  const perProducer = [Math.ceil(n / 2), Math.floor(n / 2)];
  // Producer p alternates starting at consumer 0: consumer 0 gets ceil(k/2) of its k, consumer 1 floor(k/2).
  const expect = [0, 0];
  for (const k of perProducer) {
    expect[0] += Math.ceil(k / 2);
    expect[1] += Math.floor(k / 2);
  }
  return new Promise((resolve) => {
    let left = 2;
    for (const c of portConsumers) {
      c.once('message', () => {
        if (--left === 0) resolve();
      });
    }
    portConsumers.forEach((c, i) => c.postMessage(expect[i]));
    portProducers.forEach((p, i) => p.postMessage(perProducer[i]));
  });
}

async function stopAll(): Promise<void> {
  await Promise.all(workers.map((w) => w.terminate()));
  workers = [];
  portConsumers = [];
  portProducers = [];
  port?.close();
}

suite('concurrency/rings', (s) => {
  s.case({
    name: 'SpscRing one-way, 8-byte messages (msgs/s)',
    note: 'per op: one 8-byte message from a producer worker to the main thread, written with writeBatch (256 per call) and read with readBatch; a batch of n is timed from start signal to last receipt; the peer posts each message separately (pipelined)',
    setup: async () => {
      control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
      const ring = SpscRing.create({ capacityBytes: 1 << 16 });
      spscConsumer = ring.consumer();
      scratch = new Uint8Array(1 << 16);
      lengths = new Int32Array(8192);
      const channel = new MessageChannel();
      port = channel.port1;
      port.on('message', () => {
        if (portWaiter !== null && --portWaiter.left === 0) {
          const w = portWaiter;
          portWaiter = null;
          w.resolve();
        }
      });
      workers = [
        await startWorker({ role: 'spsc-producer', batch: true, control: control.buffer, ring: ring.buffer }),
        await startWorker({ role: 'port-producer', port: channel.port2 }, [channel.port2]),
      ];
    },
    teardown: stopAll,
    ours: { name: 'SpscRing writeBatch/readBatch', fn: spscBulkBatch },
    peers: [{ name: 'MessagePort.postMessage (pipelined)', fn: portBatch }],
  });

  s.case({
    name: 'SpscRing one-way, 8-byte messages, one call per message (msgs/s)',
    note: 'per op: one 8-byte message from a producer worker to the main thread, one write() and one readInto() per message; a batch of n is timed from start signal to last receipt (pipelined)',
    setup: async () => {
      control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
      const ring = SpscRing.create({ capacityBytes: 1 << 16 });
      spscConsumer = ring.consumer();
      scratch = new Uint8Array(1 << 16);
      lengths = new Int32Array(8192);
      const channel = new MessageChannel();
      port = channel.port1;
      port.on('message', () => {
        if (portWaiter !== null && --portWaiter.left === 0) {
          const w = portWaiter;
          portWaiter = null;
          w.resolve();
        }
      });
      workers = [
        await startWorker({ role: 'spsc-producer', batch: false, control: control.buffer, ring: ring.buffer }),
        await startWorker({ role: 'port-producer', port: channel.port2 }, [channel.port2]),
      ];
    },
    teardown: stopAll,
    ours: { name: 'SpscRing write/readInto', fn: spscBatch },
    peers: [{ name: 'MessagePort.postMessage (pipelined)', fn: portBatch }],
  });

  s.case({
    name: 'MpmcRing 2 producers x 2 consumers (msgs/s)',
    note: 'per op: one 8-byte message from one of two producer workers to one of two consumer workers; a batch of n is timed from start signal to last receipt',
    setup: async () => {
      control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
      const q = MpmcRing.create({ slots: 1024, slotBytes: MESSAGE_BYTES });
      const base = { control: control.buffer, ring: q.buffer };
      workers = await Promise.all([
        startWorker({ ...base, role: 'mpmc-producer', id: 0 }),
        startWorker({ ...base, role: 'mpmc-producer', id: 1 }),
        startWorker({ ...base, role: 'mpmc-consumer', id: 0 }),
        startWorker({ ...base, role: 'mpmc-consumer', id: 1 }),
      ]);
      // channels[p][c] connects producer p to consumer c.
      const channels = [0, 1].map(() => [new MessageChannel(), new MessageChannel()]);
      portProducers = await Promise.all(
        [0, 1].map((p) => {
          const ports = channels[p].map((ch) => ch.port1);
          return startWorker({ role: 'port-mpmc-producer', ports }, ports);
        }),
      );
      portConsumers = await Promise.all(
        [0, 1].map((c) => {
          const ports = [channels[0][c].port2, channels[1][c].port2];
          return startWorker({ role: 'port-mpmc-consumer', ports }, ports);
        }),
      );
      workers.push(...portProducers, ...portConsumers);
    },
    teardown: stopAll,
    ours: { name: 'MpmcRing (SharedArrayBuffer)', fn: mpmcBatch },
    peers: [{ name: 'MessagePort.postMessage (2x2 channels)', fn: portMpmcBatch }],
  });
});
