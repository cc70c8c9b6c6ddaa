// The concurrency area, part "misc": the Semaphore, the batchers, the CPU
// topology readers, core placement and thread affinity (every runtime export
// of src/concurrency/{semaphore,async-batcher,smart-batcher,cpu-topology,
// core-placement,affinity}.ts), driven with hostile values by the harness
// (test/fuzz/harness.ts says what is asserted). The pools and rings are other
// parts' specs.
//
// No wall clock: the SmartBatcher runs on an injected clock with maxDelayMs 0,
// so a batch is due as soon as an item is queued; the AsyncBatcher flushes
// after the current tick. pinCurrentThread with an array runs in a throwaway
// worker (test/concurrency/fixtures/affinity-worker.ts), so an accepted list
// never pins the test's own thread; non-arrays are refused before any syscall
// and are tried on this thread.
import assert from 'node:assert/strict';
import {
  AffinityError,
  AsyncBatcher,
  BatchResultError,
  Semaphore,
  SmartBatcher,
  affinitySupport,
  currentCpu,
  currentThreadAffinity,
  formatCpuList,
  parseCpuList,
  pinCurrentThread,
  planCorePlacement,
  readCpuTopology,
  type CpuTopology,
} from '../../../src/concurrency/index.ts';
import { spawnWorker } from '../../../src/concurrency/spawn-worker.ts';
import { ErrorCode, InvalidArgumentError, OutOfRangeError } from '../../../src/errors.ts';
import { any, arr, fn, int, num, opts, signal, str, type AreaSpec, type ClassSpec, privates } from '../harness.ts';


const identity = async (xs: unknown[]): Promise<unknown[]> => xs;
const clock = (): number => 1000;

/** Settles `p` as a value or an error, for checks that accept either. */
async function outcome<T>(p: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  try {
    return { value: await p };
  } catch (error) {
    return { error };
  }
}

// --- Semaphore ---------------------------------------------------------------

const semaphore: ClassSpec<Semaphore> = {
  name: 'Semaphore',
  make: () => new Semaphore(2),
  ctor: { params: [int(2), opts({ name: str('fuzz', true) })], call: (permits, o) => new Semaphore(permits, o) },
  methods: {
    // Both permits are held, so an accepted acquire really waits (its timer and
    // signal are set up); one release then grants it, and it gives the permit back.
    acquire: {
      params: [opts({ timeoutMs: num(50, true), signal: signal() })],
      call: async (s: Semaphore, o: unknown) => {
        const a = s.tryAcquire()!;
        const b = s.tryAcquire()!;
        let p: Promise<() => void>;
        try {
          p = s.acquire(o as never);
        } finally {
          a();
        }
        try {
          (await p)();
        } finally {
          b();
        }
      },
    },
    tryAcquire: { params: [] },
    close: { params: [] },
  },
  healthy: (s) => {
    assert.equal(s.isClosed, false);
    assert.equal(s.available, s.capacity, 'a refused call took a permit');
    assert.equal(s.waiting, 0, 'a refused call left a waiter');
    const r = s.tryAcquire();
    assert.ok(r !== null);
    r();
    assert.equal(s.available, s.capacity);
  },
  dispose: (s) => s.close(),
};

// --- AsyncBatcher ------------------------------------------------------------

const madeBatchers = new WeakSet<object>();

const asyncBatcher: ClassSpec<AsyncBatcher<unknown, unknown>> = {
  name: 'AsyncBatcher',
  make: () => {
    const b = new AsyncBatcher<unknown, unknown>(identity, { maxBatchSize: 100 });
    madeBatchers.add(b);
    return b;
  },
  ctor: {
    params: [
      fn(identity),
      opts({
        name: str('fuzz', true),
        maxBatchSize: int(10, true),
        maxWaitMs: int(0, true),
        maxConcurrentBatches: int(4, true),
        maxQueue: int(1000, true),
        dedupe: any(false, true),
        now: fn(clock, true),
      }),
    ],
    call: (f, o) => new AsyncBatcher(f, o),
  },
  methods: {
    load: { params: [any(1)], call: (b: AsyncBatcher<unknown, unknown>, x: unknown) => b.load(x) },
    loadMany: { params: [arr([1, 2])], call: (b: AsyncBatcher<unknown, unknown>, xs: unknown) => Promise.all(b.loadMany(xs as unknown[])) },
    flush: { params: [] },
    close: { params: [] },
    stats: { params: [] },
  },
  healthy: async (b) => {
    assert.equal(b.isClosed, false);
    const p = outcome(b.load('probe'));
    b.flush(); // a window (maxWaitMs) accepted by the constructor fuzz must not hold the check up
    const out = await p;
    if (madeBatchers.has(b)) assert.deepEqual(out, { value: 'probe' });
    // A fuzzed batch function (a hostile `() => 1`) answers junk: that is a BatchResultError, never a hang.
    else assert.ok('value' in out || out.error instanceof BatchResultError, `load failed: ${String((out as { error: unknown }).error)}`);
    const s = b.stats();
    assert.equal(s.queued, 0, 'a refused call left items queued');
    assert.equal(s.inFlight, 0);
  },
  dispose: (b) => b.close(),
};

// --- SmartBatcher ------------------------------------------------------------

const smartOptions = { targetLatencyMs: 50, maxDelayMs: 0, now: clock };

const smartBatcher: ClassSpec<SmartBatcher<unknown, unknown>> = {
  name: 'SmartBatcher',
  make: () => {
    const b = new SmartBatcher<unknown, unknown>(identity, { ...smartOptions, maxQueue: 4 });
    madeBatchers.add(b);
    return b;
  },
  ctor: {
    params: [
      fn(identity),
      opts(
        {
          targetLatencyMs: num(50),
          name: str('fuzz', true),
          minBatchSize: int(1, true),
          maxBatchSize: int(100, true),
          initialBatchSize: int(1, true),
          maxDelayMs: int(0, true),
          maxQueue: int(100, true),
          onFull: str('wait', true),
          maxConcurrentBatches: int(1, true),
          additiveStep: int(1, true),
          decreaseFactor: num(0.5, true),
          now: fn(clock, true),
        },
        smartOptions,
        false,
      ),
    ],
    call: (f, o) => new SmartBatcher(f, o),
  },
  methods: {
    add: {
      params: [any(1), opts({ timeoutMs: num(100, true), signal: signal() })],
      call: (b: SmartBatcher<unknown, unknown>, x: unknown, o: unknown) => b.add(x, o as never),
    },
    close: { params: [] },
    stats: { params: [] },
  },
  healthy: async (b) => {
    assert.equal(b.isClosed, false);
    if (madeBatchers.has(b)) {
      // maxDelayMs 0 on a constant clock: the item is due at once.
      assert.equal(await b.add('probe'), 'probe');
      const s = b.stats();
      assert.equal(s.queued, 0, 'a refused add left an item queued');
      assert.equal(s.waitingAdds, 0, 'a refused add left a waiter');
      assert.equal(s.inFlight, 0);
      return;
    }
    // A constructor-fuzzed batcher may hold items for a long maxDelayMs: close flushes them (dispose follows anyway).
    const p = outcome(b.add('probe'));
    await b.close();
    const out = await p;
    assert.ok('value' in out || out.error instanceof BatchResultError, `add failed: ${String((out as { error: unknown }).error)}`);
  },
  dispose: (b) => b.close(),
};

// --- CPU topology and core placement ----------------------------------------

const TOPO: CpuTopology = { cpus: [0, 1, 2, 3], nodes: [{ id: 0, cpus: [0, 1] }, { id: 1, cpus: [2, 3] }], source: 'sysfs' };

// --- Affinity ----------------------------------------------------------------

const AFFINITY_WORKER = new URL('../../concurrency/fixtures/affinity-worker.ts', import.meta.url);
const ownCpus = [...(currentThreadAffinity() ?? readCpuTopology().cpus)];

/** Runs pinCurrentThread(cpus) in a fresh worker and rethrows its error as the same typed class. */
async function pinInWorker(cpus: unknown[]): Promise<boolean> {
  const worker = spawnWorker(AFFINITY_WORKER, { workerData: { role: 'pin', cpus } });
  try {
    const m = await new Promise<{ pinned?: boolean; error?: { name: string; code: string; message: string } }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`affinity worker exited with ${code} before reporting`)));
    });
    if (m.error === undefined) return m.pinned!;
    const { code, message } = m.error;
    if (code === ErrorCode.INVALID_ARG) throw new InvalidArgumentError(message);
    if (code === ErrorCode.OUT_OF_RANGE) throw new OutOfRangeError(message);
    if (code === 'ERR_BH_AFFINITY_FAILED') throw new AffinityError(message, 'UNKNOWN', m.error);
    throw new Error(`untyped ${m.error.name} in the worker: ${message}`);
  } finally {
    await worker.terminate();
  }
}

/** Only structured-cloneable arrays can go to the worker; anything else is refused by the shape checks before any syscall. */
function cloneable(xs: unknown[]): boolean {
  return xs.every((x) => x === null || ['number', 'string', 'boolean', 'undefined', 'bigint'].includes(typeof x));
}

const spec: AreaSpec = {
  area: 'concurrency',
  classes: [semaphore, asyncBatcher, smartBatcher],
  functions: [
    { name: 'parseCpuList', call: (t) => parseCpuList(t), params: [str('0-3,8')] },
    { name: 'formatCpuList', call: (c) => formatCpuList(c), params: [arr([0, 1, 2, 8])] },
    {
      name: 'readCpuTopology',
      call: (o) => readCpuTopology(o),
      params: [opts({ sysRoot: str('/sys', true), procRoot: str('/proc', true) })],
    },
    {
      name: 'planCorePlacement',
      call: (t, n, p, o) => planCorePlacement(t, n, p, o),
      params: [
        opts({ cpus: arr([0, 1, 2, 3]), nodes: arr(TOPO.nodes.map((n) => ({ ...n }))), source: any('sysfs') }, { ...TOPO }, false),
        int(3),
        any('spread'),
        opts({ load: any(new Map([[0, 1]]), true) }),
      ],
    },
    {
      name: 'pinCurrentThread',
      call: (cpus: unknown) => (Array.isArray(cpus) && cloneable(cpus) ? pinInWorker(cpus) : pinCurrentThread(cpus as never)),
      params: [arr(ownCpus)],
      settleMs: 60_000, // a worker booting through tsx on busy cores
    },
    { name: 'affinitySupport', call: () => affinitySupport(), params: [] },
    { name: 'currentThreadAffinity', call: () => currentThreadAffinity(), params: [] },
    { name: 'currentCpu', call: () => currentCpu(), params: [] },
  ],
  exempt: {
    SemaphoreTimeoutError: 'an error class: built by the Semaphore',
    BatchResultError: 'an error class: built by the batchers',
    BatchQueueFullError: 'an error class: built by the batchers',
    AffinityError: 'an error class: built by pinCurrentThread',
  },
  exemptMethods: {
    Semaphore: privates('compact', 'drop', 'grant', 'makeRelease', 'settle'),
    AsyncBatcher: privates('checkDrained', 'complete', 'dispatch', 'fail', 'loadKeyed', 'openBatch', 'pump', 'refuse', 'seal', 'stamp'),
    SmartBatcher: privates('adapt', 'armTimer', 'checkAddOptions', 'checkDrained', 'complete', 'dispatch', 'enqueue', 'fail', 'isHeadStale', 'pump', 'stamp'),
  },
};
export default spec;
