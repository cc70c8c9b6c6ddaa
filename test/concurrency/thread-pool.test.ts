// ThreadPool: values, errors and options, over real worker threads.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { threadId } from 'node:worker_threads';
import fc from 'fast-check';
import { ThreadPool } from '../../src/concurrency/thread-pool.ts';
import { transferResult } from '../../src/concurrency/task-context.ts';
import { ConcurrencyErrorCode, TaskNotFoundError } from '../../src/concurrency/errors.ts';
import { ClosedError, ErrorCode, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

const TASKS = new URL('./fixtures/pool-tasks.ts', import.meta.url);
const OTHER = new URL('./fixtures/pool-other-tasks.ts', import.meta.url);

const pool = new ThreadPool({ filename: TASKS, coreThreads: 2, maxThreads: 2 });
after(() => pool.close({ force: true }));

test('runs named exports with spread arguments and returns their values', async () => {
  assert.equal(await pool.run('add', [2, 40]), 42);
  assert.equal(await pool.run('noop'), undefined);
  const tid = await pool.run<number>('whoami');
  assert.notEqual(tid, threadId, 'the task ran on a worker thread, not the caller');
});

test('values survive the trip as structured clone would give them', async () => {
  const deep: unknown[] = [];
  let cur = deep;
  for (let i = 0; i < 40; i++) {
    const next: unknown[] = [];
    cur.push(i, next);
    cur = next;
  }
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  const values: unknown[] = [
    0, -0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 1.5, NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE,
    '', 'ascii', 'ünïcödé ✓ 😀', '\ud800 lone surrogate', 'x'.repeat(70_000),
    true, false, null, undefined,
    [1, 'two', [3, [4]], { five: 5 }], [1, , 3], // eslint-disable-line no-sparse-arrays
    { a: 1, b: { c: [null, undefined] } }, Object.create(null), JSON.parse('{"__proto__": {"polluted": 1}}'),
    new Date(1234567890), new Map<unknown, unknown>([[1, 'a'], ['b', { c: 2 }]]), new Set([1, 2]), 12345678901234567890n,
    new Uint8Array([1, 2, 3]), new Float64Array([0.5, -1]), /re+gex/gi, new Error('as a value'),
    deep, cyclic,
  ];
  for (const v of values) {
    const back = await pool.run('echo', [v]);
    assert.deepStrictEqual(back, structuredClone(v), `echo of ${typeof v === 'string' ? `string(${v.length})` : Object.prototype.toString.call(v)}`);
  }
  const proto = (await pool.run<Record<string, unknown>>('echo', [JSON.parse('{"__proto__": {"polluted": 1}}')]));
  assert.deepEqual(Object.keys(proto), ['__proto__'], '__proto__ stays an own key');
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
});

test('property: any JSON-like value or structured-clone value echoes unchanged', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.anything({ withDate: true, withMap: true, withSet: true, withTypedArray: true, withBigInt: true, withNullPrototype: true, withSparseArray: true })), async (v) => {
      const back = await pool.run('echo', [v]);
      assert.deepStrictEqual(back, structuredClone(v));
    }),
    { numRuns: 300 },
  );
});

test('many tasks in flight, of mixed sizes: every promise gets its own result (ring wrap-around and port fallback)', async () => {
  const sizes = [0, 10, 1000, 5000, 17_000, 40_000];
  const ps: Promise<unknown>[] = [];
  const want: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const s = `${i}:` + 'abcdefgh'.repeat(sizes[i % sizes.length] / 8);
    want.push(s);
    ps.push(pool.run('echo', [s]));
  }
  const got = await Promise.all(ps);
  assert.deepEqual(got, want);
});

test('tasks run in parallel on both threads', async () => {
  // Each task waits until both have arrived: they return thread ids only if they ran at the same time.
  const sab = new SharedArrayBuffer(4);
  const ids = await Promise.all([pool.run<number>('rendezvous', [sab, 2]), pool.run<number>('rendezvous', [sab, 2])]);
  assert.ok(ids.every((id) => id > 0), `a task waited out its partner: ${ids}`);
  assert.equal(new Set(ids).size, 2, 'on two different threads');
  const busy = await Promise.all([pool.run('spin', [50]).then(() => 0), pool.run<number>('sleep', [10, 'x'])]);
  assert.deepEqual(busy, [0, 'x']);
  const s = pool.stats();
  assert.equal(s.threads, 2);
});

test('a task error reaches the caller with its name, message, stack and own properties', async () => {
  const err = await pool.run('fail', ['boom']).then(() => null, (e: unknown) => e as Error & { code: string; detail: number });
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'RangeError');
  assert.equal(err.message, 'boom');
  assert.equal(err.code, 'E_FIXTURE');
  assert.equal(err.detail, 42);
  assert.match(err.stack ?? '', /pool-tasks\.ts:\d+/, 'the stack points into the task module');
  await assert.rejects(pool.run('failAsync', ['later']), { message: 'later' });
  await assert.rejects(pool.run('throwString'), (e) => e === 'plain string');
});

test('an unknown export or a non-function export is a TaskNotFoundError listing the exports', async () => {
  await assert.rejects(pool.run('nope'), (e: unknown) => {
    assert.ok(e instanceof TaskNotFoundError);
    assert.equal(e.code, ConcurrencyErrorCode.TASK_NOT_FOUND);
    assert.match(e.message, /'nope' is not a function exported by .*pool-tasks\.ts \(its exported functions: add, /);
    return true;
  });
  await assert.rejects(pool.run('notAFunction'), TaskNotFoundError);
  assert.equal(await pool.run('add', [1, 1]), 2, 'the pool still serves');
});

test('a per-task filename runs another module; a missing one is a typed error naming the option', async () => {
  assert.equal(await pool.run('triple', [5], { filename: OTHER }), 15);
  assert.equal(await pool.run('triple', [6], { filename: OTHER.href }), 18);
  await assert.rejects(pool.run('triple', [1], { filename: new URL('./fixtures/missing.ts', import.meta.url) }), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.match((e as Error).message, /ThreadPool run filename \(.*missing\.ts\) does not exist/);
    return true;
  });
});

test('transferList moves buffers to the worker; transferResult moves them back', async () => {
  const data = new Uint8Array(100_000).fill(1);
  const sum = await pool.run('sumBytes', [data], { transferList: [data.buffer] });
  assert.equal(sum, 100_000);
  assert.equal(data.byteLength, 0, 'the caller no longer owns the transferred buffer');
  const small = new Uint8Array([1, 2, 3]);
  assert.equal(await pool.run('sumBytes', [small], { transferList: [small.buffer] }), 6);
  assert.equal(small.byteLength, 0);
  const back = await pool.run<Uint8Array>('bytes', [300]);
  assert.ok(back instanceof Uint8Array);
  assert.equal(back.length, 300);
  assert.equal(back[299], 299 & 255);
  assert.throws(() => transferResult(1, 'x' as never), (e: unknown) => e instanceof InvalidArgumentError && /transferResult transferList must be an array, got/.test(e.message));
});

test('arguments that cannot be cloned are rejected with a typed error naming the argument', async () => {
  await assert.rejects(pool.run('echo', [1, () => 2]), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.match((e as Error).message, /ThreadPool run args\[1\] of task 'echo' could not be cloned/);
    return true;
  });
  await assert.rejects(pool.run('echo', [Symbol('s')]), /args\[0\]/);
  await assert.rejects(pool.run('returnFunction'), (e: unknown) => e instanceof TypeError && /task result could not be cloned/.test(e.message));
  assert.equal(await pool.run('add', [2, 3]), 5, 'the pool still serves');
});

test('bad run arguments are typed errors', async () => {
  await assert.rejects(pool.run(''), (e: unknown) => e instanceof InvalidArgumentError && /run name must be a non-empty export name/.test(e.message));
  await assert.rejects(pool.run('add', 1 as unknown as unknown[]), /run args must be an array/);
  await assert.rejects(pool.run('add', [], { timeoutMs: -1 }), (e: unknown) => e instanceof OutOfRangeError && /run timeoutMs \(-1\)/.test(e.message));
  await assert.rejects(pool.run('add', [], { signal: {} as AbortSignal }), /run signal must be an AbortSignal/);
  await assert.rejects(pool.run('add', [], { transferList: 'x' as never }), /run transferList must be an array/);
});

test('invalid options fail at construction with typed errors naming the option and the rule', () => {
  const cases: [Record<string, unknown>, RegExp, unknown][] = [
    [{ coreThreads: 2, maxThreads: 1 }, /^ThreadPool maxThreads \(1\) must be >= coreThreads \(2\)$/, OutOfRangeError],
    [{ coreThreads: -1 }, /coreThreads \(-1\) must be an integer from 0 to 1024/, OutOfRangeError],
    [{ maxThreads: 0 }, /maxThreads \(0\) must be an integer from 1 to 1024/, OutOfRangeError],
    [{ queueSize: 1.5 }, /queueSize \(1\.5\) must be an integer from 0/, OutOfRangeError],
    [{ keepAliveMs: -5 }, /keepAliveMs \(-5\)/, OutOfRangeError],
    [{ growth: 'lazy' }, /growth must be one of "eager", "queue-full", got "lazy"/, InvalidArgumentError],
    [{ rejectionHandler: 'drop' }, /rejectionHandler must be 'abort', 'caller-runs', 'discard', 'discard-oldest' or a function/, InvalidArgumentError],
    [{ prefetch: 0 }, /prefetch \(0\) must be an integer from 1 to 64/, OutOfRangeError],
    [{ abortGraceMs: Infinity }, /abortGraceMs \(Infinity\)/, OutOfRangeError],
    [{ threadFactory: 5 }, /threadFactory must be a function/, InvalidArgumentError],
    [{ filename: new URL('./fixtures/missing.ts', import.meta.url) }, /ThreadPool filename \(.*missing\.ts\) does not exist/, InvalidArgumentError],
    [{ filename: 42 }, /ThreadPool filename must be a file URL or a path, got 42/, InvalidArgumentError],
    [{ affinity: 'everywhere' }, /policy/, Error],
  ];
  for (const [opts, message, kind] of cases) {
    assert.throws(() => new ThreadPool({ filename: TASKS, ...opts } as never), (e: unknown) => {
      assert.ok(e instanceof (kind as typeof Error), `${JSON.stringify(opts)}: ${String(e)}`);
      assert.match((e as Error).message, message);
      return true;
    });
  }
  assert.throws(() => new ThreadPool(null as never), /options must be an object/);
  const codes = [new OutOfRangeError('x').code, new InvalidArgumentError('x').code];
  assert.deepEqual(codes, [ErrorCode.OUT_OF_RANGE, ErrorCode.INVALID_ARG]);
});

test('a path string works as filename', async () => {
  const p = new ThreadPool({ filename: TASKS.pathname, coreThreads: 1 });
  try {
    assert.equal(await p.run('add', [1, 2]), 3);
  } finally {
    await p.close();
  }
});

test('stats count outcomes and record wait and run times', async () => {
  const p = new ThreadPool({ filename: TASKS, coreThreads: 1 });
  try {
    await p.prestartCoreThreads();
    await Promise.all([p.run('spin', [5]), p.run('add', [1, 2]), p.run('fail', ['x']).catch(() => {})]);
    const s = p.stats();
    assert.equal(s.completed, 2);
    assert.equal(s.failed, 1);
    assert.equal(s.threads, 1);
    assert.equal(s.queued, 0);
    assert.equal(s.runTime.count, 3);
    assert.ok(s.runTime.max >= 4.5, `the 5 ms spin shows in runTime.max (${s.runTime.max})`);
    assert.equal(s.waitTime.count, 3);
    assert.ok(s.waitTime.max >= 4, `a task queued behind the spin waited (${s.waitTime.max} ms)`);
  } finally {
    await p.close();
  }
});

test('close drains running and queued tasks, then rejects new submissions with ClosedError', async () => {
  const p = new ThreadPool({ filename: TASKS, coreThreads: 1 });
  const running = [p.run('sleep', [50, 'a']), p.run('sleep', [10, 'b']), p.run('add', [1, 1])];
  const closed = p.close();
  await assert.rejects(p.run('add', [1, 2]), (e: unknown) => e instanceof ClosedError && e.code === ErrorCode.CLOSED);
  assert.deepEqual(await Promise.all(running), ['a', 'b', 2]);
  await closed;
  assert.equal(p.stats().threads, 0);
  assert.equal(p.close(), closed, 'close is idempotent');
});
