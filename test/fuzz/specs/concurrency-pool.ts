// The concurrency area, part "pool": ThreadPool and transferResult (every
// runtime export of src/concurrency/{thread-pool,task-context}.ts), driven
// with hostile values by the harness (test/fuzz/harness.ts says what is
// asserted). The other parts (misc, rings) are other specs.
//
// Real threads: every pool runs the task module
// test/concurrency/fixtures/pool-tasks.ts on worker threads. healthy() runs
// real tasks (a plain call, a transferList in, a transferResult out, a task of
// another module, an AbortSignal) and checks their results and that the
// counters balance. Pools are small (one thread) and start no thread until
// they are used, so the constructor fuzz costs one thread start per accepted
// construction; every pool is closed (await close()) so no thread outlives
// the test.
//
// close() is fuzzed on the spec's own pool: the instance is a holder, and an
// accepted close swaps in a fresh pool after checking the closed one refuses
// work, so a refused close is checked on the very pool it was refused by.
//
// Every error must name the pool by its label: `ThreadPool`, or
// `ThreadPool "<name>"` when options.name is set. The harness checks for
// "ThreadPool"; the wrappers below also check the label itself.
import assert from 'node:assert/strict';
import { ThreadPool, transferResult, type ThreadInfo, type ThreadSpec } from '../../../src/concurrency/index.ts';
import { isTransferResult } from '../../../src/concurrency/task-context.ts';
import { WorkerStartError } from '../../../src/concurrency/errors.ts';
import { ClosedError } from '../../../src/errors.ts';
import { any, arr, bool, fn, int, isTyped, num, opts, str, type AreaSpec, type ClassSpec } from '../harness.ts';

const TASKS = new URL('../../concurrency/fixtures/pool-tasks.ts', import.meta.url).href;
const OTHER = new URL('../../concurrency/fixtures/pool-other-tasks.ts', import.meta.url).href;

/** The valid threadFactory: gives each thread a small argv entry (a real WorkerOptions field). */
const factory = (info: ThreadInfo): ThreadSpec => ({ argv: [`pool-thread-${info.index}`] });

/** Never aborted: passed as the valid run signal, so every valid run wires and unwires a listener. */
const liveSignal = new AbortController().signal;

/** Every option set: each field is fuzzed against a base where all the others are given. */
const BASE_OPTIONS = {
  filename: TASKS,
  coreThreads: 1,
  maxThreads: 1,
  queueSize: 64,
  keepAliveMs: 60_000,
  allowCoreThreadTimeout: false,
  growth: 'eager',
  rejectionHandler: 'abort',
  threadFactory: factory,
  prestart: false,
  taskTimeoutMs: 30_000,
  abortGraceMs: 1000,
  affinity: 'spread',
  prefetch: 'auto',
  resultSpinUs: 20,
  name: 'fuzz',
};

/** Option fields whose type is a union of kinds: anything of another kind must be refused (null is not "left out"). */
const UNION_FIELDS: Record<string, readonly ('string' | 'function' | 'number' | 'array')[]> = {
  rejectionHandler: ['string', 'function'],
  affinity: ['string', 'array'],
  prefetch: ['number', 'string'],
};

/** The spec's instance: the pool in use (close swaps it) and how its errors name it. */
interface Holder {
  pool: ThreadPool;
  label: string;
}

function labelOf(options: unknown): string {
  const name = typeof options === 'object' && options !== null ? (options as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name !== '' && name !== 'ThreadPool' ? `ThreadPool ${JSON.stringify(name)}` : 'ThreadPool';
}

/** Rethrows `e`, or an AssertionError when a typed error does not name the pool by its label. */
function named(label: string, e: unknown): never {
  if (isTyped(e) && !(e as Error).message.includes(label)) {
    assert.fail(`the error must name the pool as ${label}: ${(e as Error).message}`);
  }
  throw e;
}

/** Settles like `p`, or fails after `ms`: healthy() never waits forever. */
function bounded<T>(p: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new assert.AssertionError({ message: `${what} still pending after ${ms} ms` })), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** A holder of `new ThreadPool(options)` (no default: the constructor fuzz passes `undefined` itself). */
function makeHolder(options: unknown): Holder {
  return { pool: new ThreadPool(options as never), label: labelOf(options) };
}

/** Once nothing is pending, every submission has ended in exactly one counter. */
function assertBalanced(pool: ThreadPool): void {
  const s = pool.stats();
  assert.equal(s.submitted, s.completed + s.failed + s.rejected + s.discarded, `counters do not balance: ${JSON.stringify({ ...s, waitTime: undefined, runTime: undefined })}`);
  assert.ok(s.timedOut + s.aborted <= s.failed);
  assert.equal(s.queued, 0, 'a task was left queued');
  assert.ok(s.threads <= s.threadsStarted, `threads: ${s.threads} of ${s.threadsStarted} started`);
}

/** Runs real tasks on the pool and checks their results (explicit timeouts: a fuzzed taskTimeoutMs of 1e-323 ms must not fail the check). */
async function healthy(h: Holder): Promise<void> {
  const { pool } = h;
  const t = { timeoutMs: 30_000 };
  await bounded(pool.prestartCoreThreads(), 'prestartCoreThreads');
  assert.equal(await bounded(pool.run('add', [20, 22], t), 'run add'), 42);
  const u = new Uint8Array(16).fill(3);
  assert.equal(await bounded(pool.run('sumBytes', [u], { ...t, transferList: [u.buffer] }), 'run with a transferList'), 48);
  assert.equal(u.byteLength, 0, 'the buffer was moved, not copied');
  const b = await bounded(pool.run<Uint8Array>('bytes', [8], t), 'run returning a transferResult');
  assert.ok(b instanceof Uint8Array, 'a transferResult arrives as its value');
  assert.deepEqual([...b], [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(await bounded(pool.run('triple', [14], { ...t, filename: OTHER, signal: liveSignal }), 'run of another module'), 42);
  assertBalanced(pool);
}

const threadPool: ClassSpec<Holder> = {
  name: 'ThreadPool',
  make: () => makeHolder({ ...BASE_OPTIONS }),
  ctor: {
    params: [
      opts(
        {
          filename: str(TASKS),
          coreThreads: int(1, true),
          maxThreads: int(1, true),
          queueSize: int(64, true),
          keepAliveMs: num(60_000, true),
          allowCoreThreadTimeout: bool(false, true),
          growth: str('eager', true),
          rejectionHandler: any('abort', true),
          threadFactory: fn(factory, true),
          prestart: bool(false, true),
          taskTimeoutMs: num(30_000, true),
          abortGraceMs: num(1000, true),
          affinity: any('spread', true),
          prefetch: any('auto', true),
          resultSpinUs: num(20, true),
          name: str('fuzz', true),
        },
        BASE_OPTIONS,
        false,
      ),
    ],
    call: (o: unknown) => {
      let h: Holder;
      try {
        h = makeHolder(o);
      } catch (e) {
        named(labelOf(o), e);
      }
      // Rule 3 for the fields of union kinds (declared 'any' above): a value of neither kind must have been refused.
      for (const [field, kinds] of Object.entries(UNION_FIELDS)) {
        const v = (o as Record<string, unknown>)[field];
        if (v !== undefined && !kinds.some((k) => (k === 'array' ? Array.isArray(v) : typeof v === k))) {
          void h.pool.close();
          assert.fail(`accepted option ${field} = ${typeof v === 'symbol' || typeof v === 'bigint' ? String(v) : JSON.stringify(v)}; it must be ${kinds.join(' or ')}`);
        }
      }
      return h;
    },
    healthy: async (h, [o]) => {
      const f = (o as { threadFactory?: unknown }).threadFactory;
      if (f === undefined || f === factory) return healthy(h);
      // A hostile factory (`() => 1`) is a function, so the constructor takes it; what it returns
      // is only seen when a thread is made: the task fails with WorkerStartError naming the pool, the pool does not spin.
      const refused = (e: unknown): boolean => e instanceof WorkerStartError && e.message.startsWith(`${h.label} worker thread #`);
      await assert.rejects(bounded(h.pool.run('add', [1, 2]), 'run with a junk threadFactory'), refused);
      await assert.rejects(bounded(h.pool.prestartCoreThreads(), 'prestartCoreThreads with a junk threadFactory'), refused);
      const s = h.pool.stats();
      assert.equal(s.threads, 0);
      assert.equal(s.threadsStarted, 0);
      assertBalanced(h.pool);
    },
  },
  methods: {
    run: {
      params: [
        str('add'),
        arr([1, 2], true),
        opts(
          { filename: str(TASKS, true), transferList: arr([], true), signal: { kind: 'signal', valid: liveSignal, optional: true }, timeoutMs: num(30_000, true) },
          { filename: TASKS, transferList: [], signal: liveSignal, timeoutMs: 30_000 },
        ),
      ],
      call: (h: Holder, name: unknown, args: unknown, o: unknown) => h.pool.run(name as string, args as unknown[], o as never).catch((e: unknown) => named(h.label, e)),
    },
    close: {
      params: [opts({ force: bool(false, true) })],
      call: async (h: Holder, o: unknown) => {
        try {
          await h.pool.close(o as never);
        } catch (e) {
          named(h.label, e);
        }
        // Accepted: the pool is closed (a later run is refused) and its threads have exited; go on with a fresh one.
        await assert.rejects(h.pool.run('add', [1, 2]), (e: unknown) => e instanceof ClosedError && e.message === `${h.label} is closed`);
        assertBalanced(h.pool);
        const next = makeHolder({ ...BASE_OPTIONS });
        h.pool = next.pool;
        h.label = next.label;
      },
    },
    stats: { params: [] },
    prestartCoreThreads: { params: [] },
  },
  healthy,
  dispose: (h) => bounded(h.pool.close(), 'close'),
};

// --- transferResult ----------------------------------------------------------

const spec: AreaSpec = {
  area: 'concurrency',
  classes: [threadPool],
  functions: [
    {
      name: 'transferResult',
      // An accepted call gives a wrapper the worker recognises (the pool's healthy() checks one arrives as its value).
      call: (value: unknown, list: unknown) => {
        const r = transferResult(value, list as never);
        assert.ok(isTransferResult(r), 'transferResult returned something the worker would not recognise');
        return r;
      },
      params: [any({ pixels: 1 }), arr([new ArrayBuffer(8)])],
    },
  ],
  exempt: {
    TaskRejectedError: 'an error class: built by the ThreadPool',
    TaskDiscardedError: 'an error class: built by the ThreadPool',
    TaskTimeoutError: 'an error class: built by the ThreadPool',
    TaskNotFoundError: 'an error class: built by the ThreadPool',
    WorkerCrashedError: 'an error class: built by the ThreadPool',
    WorkerStartError: 'an error class: built by the ThreadPool',
  },
};
export default spec;
