// The concurrency area, part "rings": the shared-memory queues and the pool
// built on them (every runtime export of src/concurrency/{spsc-ring,
// mpmc-ring,chase-lev-deque,work-stealing-pool,work-stealing-errors}.ts and
// the ring errors of errors.ts), driven with hostile values by the harness
// (test/fuzz/harness.ts says what is asserted). The semaphore, batchers and
// topology are the "misc" part, ThreadPool the "pool" part.
//
// Nothing blocks long: the valid timeout of every blocking or async call is
// 5 ms, and before each such call the spec sets the ring up so that a wait
// can only end by itself: a timeout of at most 50 ms sometimes finds the ring
// full (writes) or empty (reads) and really waits (then throws
// RingTimeoutError, typed), anything longer (Infinity) always finds room or a
// message, so it never waits. healthy() drains the ring and round-trips a
// probe message through it, so a refused call that moved a counter or left a
// sleeping flag shows.
//
// The WorkStealingPool runs one real worker thread on the task module of the
// unit tests (test/concurrency/fixtures/fork-join-tasks.ts); only its
// `weighted` task (a + 10b + 100c + 1000d, pure arithmetic) is submitted, so a
// hostile argument cannot make a task run long. close() is tried on a
// throwaway pool (a refused close must leave it running tasks; an accepted one
// closes it and the next call starts another).
import assert from 'node:assert/strict';
import {
  ChaseLevDeque,
  DequeOwner,
  DequeStealer,
  MpmcRing,
  STEAL_OK,
  STEAL_EMPTY,
  SpscConsumer,
  SpscProducer,
  SpscRing,
  WorkStealingPool,
} from '../../../src/concurrency/index.ts';
import { any, arr, bool, int, num, opts, str, type AreaSpec, type ClassSpec, privates } from '../harness.ts';


/** Valid timeout of every blocking call: short, so a real wait costs little. */
const T = 5;
/** A finite timeout up to this may find the ring full/empty and wait; anything else never waits. */
const SHORT = 50;
let flip = 0;
/** True when this call may really wait: a short finite timeout, every other time. */
function mayWait(timeoutMs: unknown): boolean {
  return typeof timeoutMs === 'number' && timeoutMs >= 0 && timeoutMs <= SHORT && ++flip % 2 === 0;
}

// --- SpscRing -----------------------------------------------------------------

const SPSC_BYTES = 256;
/** A 6-byte message: longer than the 4-byte hostile Uint8Array, so a short target is tried too. */
const MSG = new Uint8Array([1, 2, 3, 4, 5, 6]);
const PROBE = new Uint8Array([9, 8, 7, 6, 5]);

function drainSpsc(c: SpscConsumer): void {
  while (c.tryRead() !== null);
}

/** Drains the ring, then round-trips a probe message through it. */
function spscRoundTrip(p: SpscProducer, c: SpscConsumer): void {
  drainSpsc(c);
  assert.equal(c.peekLength(), -1, 'the drained ring still shows a message');
  assert.equal(p.tryWrite(PROBE), true, 'an empty ring refused a message');
  assert.equal(c.peekLength(), PROBE.length);
  assert.deepEqual(c.tryRead(), PROBE, 'the probe came back changed');
  assert.equal(c.tryRead(), null);
}

/** Fills the ring completely (8-byte frames tile it), so any write must wait. */
function fillSpsc(p: SpscProducer): void {
  const one = new Uint8Array(1);
  while (p.tryWrite(one));
}

const spscRing: ClassSpec<SpscRing> = {
  name: 'SpscRing',
  make: () => SpscRing.create({ capacityBytes: SPSC_BYTES }),
  ctor: { params: [opts({ capacityBytes: int(SPSC_BYTES) }, undefined, false)], call: (o) => SpscRing.create(o) },
  methods: {
    producer: { params: [] },
    consumer: { params: [] },
    stats: { params: [] },
    from: { params: [any(SpscRing.create({ capacityBytes: 64 }).buffer)], call: (_r, b) => SpscRing.from(b as never) },
    // The constructor wraps an existing buffer (what SpscRing.from does).
    new: { params: [any(SpscRing.create({ capacityBytes: 64 }).buffer)], call: (_r, b) => new SpscRing(b as never) },
  },
  healthy: (r) => {
    assert.deepEqual(r.stats(), { capacityBytes: r.capacityBytes, usedBytes: 0 }, 'a refused call left bytes queued');
    spscRoundTrip(r.producer(), r.consumer());
    assert.equal(r.stats().usedBytes, 0);
  },
};

/** The other handle of each ring the producer and consumer specs make. */
const consumerOf = new WeakMap<SpscProducer, SpscConsumer>();
const producerOf = new WeakMap<SpscConsumer, SpscProducer>();
const spscForCtor = SpscRing.create({ capacityBytes: SPSC_BYTES });

/** Leaves room for any message, or (a short timeout, every other time) a full ring so the write waits and times out. */
function roomFor(p: SpscProducer, timeoutMs: unknown): void {
  drainSpsc(consumerOf.get(p)!);
  if (mayWait(timeoutMs)) fillSpsc(p);
}

const spscProducer: ClassSpec<SpscProducer> = {
  name: 'SpscProducer',
  make: () => {
    const ring = SpscRing.create({ capacityBytes: SPSC_BYTES });
    const p = ring.producer();
    consumerOf.set(p, ring.consumer());
    return p;
  },
  ctor: {
    params: [any(spscForCtor.buffer)],
    call: (b) => new SpscProducer(b),
    healthy: (p, [b]) => spscRoundTrip(p, new SpscConsumer(b as SharedArrayBuffer)),
  },
  methods: {
    tryWrite: { params: [any(MSG)] },
    write: {
      params: [any(MSG), num(T)],
      call: (p: SpscProducer, m: unknown, t: unknown) => {
        roomFor(p, t);
        return p.write(m as never, t as never);
      },
    },
    writeAsync: {
      params: [any(MSG), num(T)],
      call: (p: SpscProducer, m: unknown, t: unknown) => {
        roomFor(p, t);
        return p.writeAsync(m as never, t as never);
      },
    },
    tryWriteBatch: { params: [any(new Uint8Array(16)), int(8), int(2, true)] },
    writeBatch: {
      params: [any(new Uint8Array(16)), int(8), num(T), int(2, true)],
      call: (p: SpscProducer, d: unknown, mb: unknown, t: unknown, c: unknown) => {
        roomFor(p, t);
        return p.writeBatch(d as never, mb as never, t as never, c as never);
      },
    },
  },
  healthy: (p) => spscRoundTrip(p, consumerOf.get(p)!),
};

/** Queues MSG, or (a short timeout, every other time) leaves the ring empty so the read waits and times out. */
function dataFor(c: SpscConsumer, timeoutMs?: unknown): void {
  drainSpsc(c);
  if (timeoutMs === undefined || !mayWait(timeoutMs)) assert.equal(producerOf.get(c)!.tryWrite(MSG), true);
}

const spscConsumer: ClassSpec<SpscConsumer> = {
  name: 'SpscConsumer',
  make: () => {
    const ring = SpscRing.create({ capacityBytes: SPSC_BYTES });
    const c = ring.consumer();
    producerOf.set(c, ring.producer());
    return c;
  },
  ctor: {
    params: [any(spscForCtor.buffer)],
    call: (b) => new SpscConsumer(b),
    healthy: (c, [b]) => spscRoundTrip(new SpscProducer(b as SharedArrayBuffer), c),
  },
  methods: {
    peekLength: { params: [] },
    tryRead: { params: [] },
    tryReadInto: {
      params: [any(new Uint8Array(64))],
      call: (c: SpscConsumer, t: unknown) => {
        dataFor(c);
        return c.tryReadInto(t as never);
      },
    },
    readInto: {
      params: [any(new Uint8Array(64)), num(T)],
      call: (c: SpscConsumer, target: unknown, t: unknown) => {
        dataFor(c, t);
        return c.readInto(target as never, t as never);
      },
    },
    read: {
      params: [num(T)],
      call: (c: SpscConsumer, t: unknown) => {
        dataFor(c, t);
        return c.read(t as never);
      },
    },
    readAsync: {
      params: [num(T)],
      call: (c: SpscConsumer, t: unknown) => {
        dataFor(c, t);
        return c.readAsync(t as never);
      },
    },
    tryReadBatch: {
      params: [any(new Uint8Array(64)), any(new Int32Array(4))],
      call: (c: SpscConsumer, target: unknown, lengths: unknown) => {
        dataFor(c);
        return c.tryReadBatch(target as never, lengths as never);
      },
    },
    readBatch: {
      params: [any(new Uint8Array(64)), any(new Int32Array(4)), num(T)],
      call: (c: SpscConsumer, target: unknown, lengths: unknown, t: unknown) => {
        dataFor(c, t);
        return c.readBatch(target as never, lengths as never, t as never);
      },
    },
  },
  healthy: (c) => spscRoundTrip(producerOf.get(c)!, c),
};

// --- MpmcRing -----------------------------------------------------------------

const SLOTS = 8;
const SLOT_BYTES = 16;

function drainMpmc(q: MpmcRing): void {
  while (q.tryDequeue() !== null);
}

/** Leaves a free slot, or (a short timeout, every other time) a full queue so the enqueue waits and times out. */
function slotFor(q: MpmcRing, timeoutMs: unknown): void {
  drainMpmc(q);
  if (mayWait(timeoutMs)) while (q.tryEnqueue(MSG));
}

/** Queues MSG, or (a short timeout, every other time) leaves the queue empty so the dequeue waits and times out. */
function itemFor(q: MpmcRing, timeoutMs?: unknown): void {
  drainMpmc(q);
  if (timeoutMs === undefined || !mayWait(timeoutMs)) assert.equal(q.tryEnqueue(MSG), true);
}

const mpmcRing: ClassSpec<MpmcRing> = {
  name: 'MpmcRing',
  make: () => MpmcRing.create({ slots: SLOTS, slotBytes: SLOT_BYTES }),
  ctor: { params: [opts({ slots: int(SLOTS), slotBytes: int(SLOT_BYTES) }, undefined, false)], call: (o) => MpmcRing.create(o) },
  methods: {
    tryEnqueue: { params: [any(MSG)] },
    tryDequeueInto: {
      params: [any(new Uint8Array(SLOT_BYTES))],
      call: (q: MpmcRing, t: unknown) => {
        itemFor(q);
        return q.tryDequeueInto(t as never);
      },
    },
    tryDequeue: { params: [] },
    enqueue: {
      params: [any(MSG), num(T)],
      call: (q: MpmcRing, m: unknown, t: unknown) => {
        slotFor(q, t);
        return q.enqueue(m as never, t as never);
      },
    },
    enqueueAsync: {
      params: [any(MSG), num(T)],
      call: (q: MpmcRing, m: unknown, t: unknown) => {
        slotFor(q, t);
        return q.enqueueAsync(m as never, t as never);
      },
    },
    dequeueInto: {
      params: [any(new Uint8Array(SLOT_BYTES)), num(T)],
      call: (q: MpmcRing, target: unknown, t: unknown) => {
        itemFor(q, t);
        return q.dequeueInto(target as never, t as never);
      },
    },
    dequeueAsync: {
      params: [num(T)],
      call: (q: MpmcRing, t: unknown) => {
        itemFor(q, t);
        return q.dequeueAsync(t as never);
      },
    },
    stats: { params: [] },
    from: { params: [any(MpmcRing.create({ slots: 2, slotBytes: 4 }).buffer)], call: (_q, b) => MpmcRing.from(b as never) },
  },
  healthy: (q) => {
    drainMpmc(q);
    assert.equal(q.stats().size, 0, 'the drained queue still counts messages');
    for (let i = 0; i < q.slots; i++) assert.equal(q.tryEnqueue(new Uint8Array([i, 1, 2])), true, `slot ${i} of an empty queue refused`);
    assert.equal(q.tryEnqueue(PROBE), false, 'a full queue took one more');
    for (let i = 0; i < q.slots; i++) assert.deepEqual(q.tryDequeue(), new Uint8Array([i, 1, 2]), 'FIFO order lost');
    assert.equal(q.tryDequeue(), null);
    assert.equal(q.stats().size, 0);
  },
};

// --- ChaseLevDeque and its handles ----------------------------------------------

const ITEM_WORDS = 2;

/** Empties the deque (owner pops), then checks LIFO for the owner and FIFO for a thief. */
function dequeWorks(o: DequeOwner, s: DequeStealer): void {
  const out = new Int32Array(ITEM_WORDS);
  while (o.pop(out));
  assert.equal(o.size(), 0, 'the drained deque still counts items');
  assert.equal(s.steal(out), STEAL_EMPTY);
  for (const v of [1, 2, 3]) assert.equal(o.push(new Int32Array([v, -v])), true, 'an empty deque refused an item');
  assert.equal(s.size(), 3);
  assert.equal(o.pop(out), true);
  assert.deepEqual([...out], [3, -3], 'the owner did not pop the newest item');
  assert.equal(s.steal(out), STEAL_OK);
  assert.deepEqual([...out], [1, -1], 'the thief did not steal the oldest item');
  assert.equal(o.pop(out), true);
  assert.deepEqual([...out], [2, -2]);
  assert.equal(o.pop(out), false);
  assert.equal(s.size(), 0);
}

const dequeForCtor = ChaseLevDeque.create({ capacity: 8, itemWords: ITEM_WORDS });

const chaseLevDeque: ClassSpec<ChaseLevDeque> = {
  name: 'ChaseLevDeque',
  make: () => ChaseLevDeque.create({ capacity: 8, itemWords: ITEM_WORDS }),
  ctor: { params: [opts({ capacity: int(8), itemWords: int(ITEM_WORDS) }, undefined, false)], call: (o) => ChaseLevDeque.create(o) },
  methods: {
    owner: { params: [] },
    stealer: { params: [] },
    size: { params: [] },
    resetAfterOwnerDeath: { params: [] },
    from: { params: [any(dequeForCtor.buffer)], call: (_d, b) => ChaseLevDeque.from(b as never) },
  },
  healthy: (d) => {
    if (d.itemWords === ITEM_WORDS) dequeWorks(d.owner(), d.stealer());
    else {
      // A constructor-fuzzed deque of another item size: one item in and out.
      const item = Int32Array.from({ length: d.itemWords }, (_, i) => i + 1);
      const out = new Int32Array(d.itemWords);
      assert.equal(d.owner().push(item), true);
      assert.equal(d.stealer().steal(out), STEAL_OK);
      assert.deepEqual(out, item);
    }
    assert.equal(d.size(), 0);
  },
};

const dequeOf = new WeakMap<object, ChaseLevDeque>();

/** Pushes an item when the deque is empty, so a pop or steal has something to take. */
function itemIn(d: ChaseLevDeque): void {
  if (d.size() === 0) assert.equal(d.owner().push(new Int32Array([7, 7])), true);
}

const dequeOwner: ClassSpec<DequeOwner> = {
  name: 'DequeOwner',
  make: () => {
    const d = ChaseLevDeque.create({ capacity: 8, itemWords: ITEM_WORDS });
    const o = d.owner();
    dequeOf.set(o, d);
    return o;
  },
  ctor: {
    params: [any(dequeForCtor.buffer)],
    call: (b) => new DequeOwner(b),
    healthy: (o, [b]) => dequeWorks(o, ChaseLevDeque.from(b as SharedArrayBuffer).stealer()),
  },
  methods: {
    push: { params: [any(new Int32Array([4, 5]))] },
    pop: {
      params: [any(new Int32Array(ITEM_WORDS))],
      call: (o: DequeOwner, out: unknown) => {
        itemIn(dequeOf.get(o)!);
        return o.pop(out as never);
      },
    },
    size: { params: [] },
  },
  healthy: (o) => dequeWorks(o, dequeOf.get(o)!.stealer()),
};

const dequeStealer: ClassSpec<DequeStealer> = {
  name: 'DequeStealer',
  make: () => {
    const d = ChaseLevDeque.create({ capacity: 8, itemWords: ITEM_WORDS });
    const s = d.stealer();
    dequeOf.set(s, d);
    return s;
  },
  ctor: {
    params: [any(dequeForCtor.buffer)],
    call: (b) => new DequeStealer(b),
    healthy: (s, [b]) => dequeWorks(ChaseLevDeque.from(b as SharedArrayBuffer).owner(), s),
  },
  methods: {
    steal: {
      params: [any(new Int32Array(ITEM_WORDS))],
      call: (s: DequeStealer, out: unknown) => {
        itemIn(dequeOf.get(s)!);
        return s.steal(out as never);
      },
    },
    size: { params: [] },
  },
  healthy: (s) => dequeWorks(dequeOf.get(s)!.owner(), s),
};

// --- WorkStealingPool -----------------------------------------------------------

const TASKS = new URL('../../concurrency/fixtures/fork-join-tasks.ts', import.meta.url);
/** A worker booting through tsx on busy cores. */
const BOOT_MS = 60_000;

async function poolWorks(p: WorkStealingPool): Promise<void> {
  assert.equal(await p.submit('weighted', 1, 2, 3, 4), 4321, 'the pool answered a task wrongly');
  const s = p.stats();
  assert.equal(s.submitted, s.completed, 'a submission was left unsettled');
  assert.equal(s.inFlight, 0);
  assert.equal(s.queued, 0);
}

/** The pool close() is tried on; replaced after an accepted close. */
let closeTarget: WorkStealingPool | null = null;

const workStealingPool: ClassSpec<WorkStealingPool> = {
  name: 'WorkStealingPool',
  make: async () => {
    const p = new WorkStealingPool({ filename: TASKS, threads: 1 });
    await poolWorks(p);
    return p;
  },
  ctor: {
    params: [
      opts(
        {
          // A file URL or a path: no Kind for that, and every hostile value is neither (the URL here is the valid one).
          filename: any(TASKS),
          threads: int(1, true),
          dequeCapacity: int(16, true),
          shared: arr([], true),
        },
        { filename: TASKS, threads: 1 },
        false,
      ),
    ],
    call: (o) => new WorkStealingPool(o),
  },
  methods: {
    submit: {
      params: [str('weighted'), num(1), num(2), num(3), num(4)],
      call: (p: WorkStealingPool, name: unknown, ...args: unknown[]) => p.submit(name as never, ...(args as number[])),
      settleMs: BOOT_MS,
    },
    stats: { params: [] },
    close: {
      params: [opts({ force: bool(false, true) })],
      settleMs: BOOT_MS,
      call: async (_p: WorkStealingPool, o: unknown) => {
        closeTarget ??= new WorkStealingPool({ filename: TASKS, threads: 1 });
        const target = closeTarget;
        try {
          await target.close(o as never);
        } catch (e) {
          await poolWorks(target); // a refused close leaves the pool running
          throw e;
        }
        closeTarget = null;
        await assert.rejects(target.submit('weighted', 1, 2, 3, 4), /WorkStealingPool is closed/);
      },
    },
  },
  healthy: poolWorks,
  dispose: async (p) => {
    await p.close();
    const t = closeTarget;
    closeTarget = null;
    await t?.close({ force: true });
  },
};

const spec: AreaSpec = {
  area: 'concurrency',
  classes: [spscRing, spscProducer, spscConsumer, mpmcRing, chaseLevDeque, dequeOwner, dequeStealer, workStealingPool],
  functions: [],
  exempt: {
    ConcurrencyErrorCode: 'a constant table of error codes',
    RingTimeoutError: 'an error class: built by the rings when a blocking call times out',
    MAX_WORK_STEALING_THREADS: 'a constant (the WorkStealingPool threads bound, fuzzed through the constructor)',
    ForkJoinErrorCode: 'a constant table of error codes',
    ForkJoinTaskError: 'an error class: built by the WorkStealingPool for a failed task',
    ForkJoinWorkerCrashedError: 'an error class: built by the WorkStealingPool when a worker dies',
    STEAL_OK: 'a constant (a DequeStealer.steal result)',
    STEAL_EMPTY: 'a constant (a DequeStealer.steal result)',
    STEAL_RETRY: 'a constant (a DequeStealer.steal result)',
  },
  exemptMethods: {
    WorkStealingPool: privates(
      'allocateTeam',
      'dequeue',
      'dispatch',
      'drain',
      'leastLoaded',
      'onCrash',
      'onReady',
      'pump',
      'rejectAll',
      'settle',
      'startTeam',
      'stopTeam',
      'unknownTask',
      'unsettled',
      'updateKeepAlive',
    ),
  },
};
export default spec;
