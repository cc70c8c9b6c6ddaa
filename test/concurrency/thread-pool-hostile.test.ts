// ThreadPool defects found by hostile testing (issue 11, section 1), each reproduced on real worker threads:
// transfers that crashed workers, finished tasks failed because of a later neighbour, stats that did not
// balance, and timer options that were accepted outside what Node's timers can honour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThreadPool } from '../../src/concurrency/thread-pool.ts';
import { TaskDiscardedError, TaskRejectedError, TaskTimeoutError, WorkerCrashedError, WorkerStartError } from '../../src/concurrency/errors.ts';
import { ClosedError, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';
import { bounded as boundedBy } from '../helpers/bounded.ts';

const TASKS = new URL('./fixtures/pool-tasks.ts', import.meta.url);
const EXITS_AT_IMPORT = new URL('./fixtures/pool-exit-module.ts', import.meta.url);

/** Settles like `p` or rejects after `ms` (default 20_000): no test waits forever on a pool promise. */
const bounded = <T>(p: Promise<T>, ms = 20_000, what = 'pool promise'): Promise<T> => boundedBy(p, ms, what);

/** A fresh 1 KiB-or-more byte array of `fill`, for transfers. */
function bytesOf(size: number, fill: number): Uint8Array {
  const u = new Uint8Array(size);
  u.fill(fill);
  return u;
}

/** Outcome names of settled promises, counted. */
function tally(results: PromiseSettledResult<unknown>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    const key = r.status === 'fulfilled' ? 'ok' : `${(r.reason as Error)?.constructor?.name}: ${String((r.reason as Error)?.message).slice(0, 100)}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

// ------------------------------------------------------------------ 1. transfers

for (const [perTick, rounds, size, fresh] of [
  [8, 20, 1024, false],
  [64, 20, 1024, false],
  [8, 6, 40 * 2 ** 20, true],
] as const) {
  test(`transfers: ${perTick} tasks per tick x ${size >= 2 ** 20 ? `${size / 2 ** 20} MiB` : `${size / 1024} KiB`} in transferList, ${rounds} rounds, ${fresh ? 'each on a fresh pool' : 'on a warm pool'}: every task succeeds, no worker dies`, { timeout: 120_000 }, async () => {
    // The bug: a task whose buffers had been posted to a busy thread was later taken back and given to an
    // idle one, re-posting the now-detached buffers; the receiving worker died deserializing them.
    const make = (): ThreadPool => new ThreadPool({ filename: TASKS, coreThreads: 2, maxThreads: 2 });
    let pool = make();
    try {
      if (!fresh) await pool.prestartCoreThreads();
      for (let r = 0; r < rounds; r++) {
        if (fresh && r > 0) {
          await pool.close();
          pool = make();
        }
        const ps: Promise<number>[] = [];
        const sent: Uint8Array[] = [];
        for (let i = 0; i < perTick; i++) {
          const u = bytesOf(size, (r + i) % 7);
          sent.push(u);
          ps.push(pool.run<number>('sumBytes', [u], { transferList: [u.buffer as ArrayBuffer] }));
        }
        const results = await bounded(Promise.allSettled(ps), 60_000, `round ${r}`);
        assert.deepEqual(tally(results), { ok: perTick }, `round ${r}`);
        results.forEach((res, i) => assert.equal((res as PromiseFulfilledResult<number>).value, size * ((r + i) % 7)));
        for (const u of sent) assert.equal(u.byteLength, 0, 'the buffer was moved, not copied');
      }
      const s = pool.stats();
      assert.equal(s.crashes, 0);
      assert.equal(s.threadsStarted, 2, 'no thread was replaced');
      assert.equal(s.completed, perTick * (fresh ? 1 : rounds));
    } finally {
      await pool.close();
    }
  });
}

test('transfers: a task with a transferList waits for an idle thread instead of queueing behind a long task', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 2, maxThreads: 2, prefetch: 64 });
  try {
    await pool.prestartCoreThreads();
    const long = pool.run('spin', [300]);
    const longTid = await pool.run<number>('whoami'); // the other thread answers while one spins
    const u = bytesOf(1024, 1);
    const t0 = performance.now();
    assert.equal(await bounded(pool.run('sumBytes', [u], { transferList: [u.buffer as ArrayBuffer] })), 1024);
    assert.ok(performance.now() - t0 < 250, 'ran on the idle thread, not after the 300 ms spin');
    assert.equal(typeof longTid, 'number');
    await long;
  } finally {
    await pool.close();
  }
});

test('transfers: a transfer task submitted behind a crash runs on the replacement thread', async () => {
  // Old code sent it ahead to the thread that then called process.exit, requeued it after the crash and
  // re-posted its detached buffer: the replacement died too.
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 1, prefetch: 64 });
  try {
    await pool.prestartCoreThreads();
    const crash = pool.run('exit', [5]);
    const u = bytesOf(4096, 2);
    const after = pool.run<number>('sumBytes', [u], { transferList: [u.buffer as ArrayBuffer] });
    await assert.rejects(bounded(crash), WorkerCrashedError);
    assert.equal(await bounded(after), 8192);
    assert.equal(pool.stats().crashes, 1);
  } finally {
    await pool.close();
  }
});

test('transfers: a detached buffer is refused typed, at run() and when an earlier task of the same tick moved it; no worker dies', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 1 });
  try {
    await pool.prestartCoreThreads();
    const u = bytesOf(64, 3);
    // The thread is busy, so both wait in the queue with the buffer still attached; when the first is
    // posted it moves the buffer, and the second, listing it too, must be refused (it used to kill the thread).
    const busy = pool.run('sleep', [30, 'busy']);
    const first = pool.run('sumBytes', [u], { transferList: [u.buffer as ArrayBuffer] });
    const again = pool.run('sumBytes', [bytesOf(8, 1)], { transferList: [u.buffer as ArrayBuffer] }).catch((e: unknown) => e);
    assert.equal(await bounded(busy), 'busy');
    assert.equal(await bounded(first), 192);
    const err = await bounded(again);
    assert.ok(err instanceof InvalidArgumentError && /^ThreadPool run of task 'sumBytes': transferList\[0\] is a detached ArrayBuffer/.test(err.message), String(err));
    // Now detached at run(): refused before anything is posted.
    await assert.rejects(pool.run('sumBytes', [bytesOf(8, 1)], { transferList: [u.buffer as ArrayBuffer] }), (e: unknown) => e instanceof InvalidArgumentError && /ThreadPool run transferList\[0\] is a detached ArrayBuffer/.test(e.message));
    const view = bytesOf(8, 1);
    await assert.rejects(pool.run('sumBytes', [view], { transferList: [view as never] }), (e: unknown) => e instanceof InvalidArgumentError && /transferList\[0\] is a Uint8Array, which is not transferable itself; list its \.buffer/.test(e.message));
    await assert.rejects(pool.run('sumBytes', [view], { transferList: [new SharedArrayBuffer(8) as never] }), (e: unknown) => e instanceof InvalidArgumentError && /SharedArrayBuffer/.test(e.message));
    await assert.rejects(pool.run('sumBytes', [view], { transferList: [5 as never] }), (e: unknown) => e instanceof InvalidArgumentError && /transferList\[0\] \(5\) must be a transferable object/.test(e.message));
    assert.equal(await pool.run('add', [1, 2]), 3);
    const s = pool.stats();
    assert.equal(s.crashes, 0);
    assert.equal(s.threadsStarted, 1);
  } finally {
    await pool.close();
  }
});

test('transfers: a result whose transferList is bad fails that task with a clear error, not the thread', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1 });
  try {
    await assert.rejects(bounded(pool.run('transferTwice', [16])), (e: unknown) => e instanceof Error && /detached ArrayBuffer/.test(e.message));
    assert.equal(await pool.run('add', [2, 2]), 4);
    assert.equal(pool.stats().crashes, 0);
  } finally {
    await pool.close();
  }
});

// ------------------------------------------------------------------ 2. a later neighbour

for (const trigger of ['timeout', 'process.exit', 'abort ignored'] as const) {
  test(`one thread, 20 trivial tasks then one that ${trigger === 'timeout' ? 'loops past its timeout' : trigger === 'process.exit' ? 'calls process.exit' : 'ignores its abort'}, then 5 more, in one tick: the 20 are delivered, the 5 run on the replacement, only the culprit fails`, async () => {
    // taskTimeoutMs on the pool: finished tasks whose results had not been published used to time out too.
    const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 1, prefetch: 64, abortGraceMs: 50, taskTimeoutMs: trigger === 'timeout' ? 300 : 10_000 });
    try {
      await pool.prestartCoreThreads();
      const before = Array.from({ length: 20 }, () => pool.run<number>('whoami'));
      const ac = new AbortController();
      const culprit =
        trigger === 'timeout' ? pool.run('forever') : trigger === 'process.exit' ? pool.run('exit', [9]) : pool.run('forever', [], { signal: ac.signal });
      const behind = Array.from({ length: 5 }, (_, i) => pool.run<number>('add', [i, 100]));
      const culpritOutcome = culprit.then(
        () => 'resolved',
        (e: unknown) => e,
      );
      // 'forever' has started once the results ahead of it are in (the worker publishes them before it runs a task).
      const firstTids = await bounded(Promise.all(before), 20_000, 'the 20 tasks before the culprit');
      if (trigger === 'abort ignored') ac.abort();
      const err = await bounded(culpritOutcome);
      if (trigger === 'timeout') assert.ok(err instanceof TaskTimeoutError, String(err));
      else if (trigger === 'process.exit') assert.ok(err instanceof WorkerCrashedError && err.exitCode === 9, String(err));
      else assert.equal((err as Error).name, 'AbortError');
      assert.deepEqual(await bounded(Promise.all(behind), 20_000, 'the 5 tasks behind the culprit'), [100, 101, 102, 103, 104]);
      assert.equal(new Set(firstTids).size, 1, 'the first 20 ran on the first thread');
      const later = await pool.run<number>('whoami');
      assert.notEqual(later, firstTids[0], 'the thread was replaced');
      const s = pool.stats();
      assert.equal(s.completed, 26);
      assert.equal(s.failed, 1);
      assert.equal(s.threadsStarted, 2);
      assert.equal(s.crashes, trigger === 'process.exit' ? 1 : 0);
    } finally {
      await pool.close();
    }
  });
}

test('a finished task is not timed out while its thread runs a later task that never returns', async () => {
  // Every task gets a 200 ms timeout; the trivial ones finish at once, then 'forever' holds the thread.
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 1, prefetch: 64, taskTimeoutMs: 200, abortGraceMs: 100 });
  try {
    await pool.prestartCoreThreads();
    const quick = Array.from({ length: 10 }, (_, i) => pool.run('add', [i, 1]));
    const stuck = pool.run('forever').catch((e: unknown) => e);
    assert.deepEqual(await bounded(Promise.all(quick)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok((await bounded(stuck)) instanceof TaskTimeoutError);
    assert.equal(pool.stats().timedOut, 1);
  } finally {
    await pool.close();
  }
});

// ------------------------------------------------------------------ 3. stats balance

test('stats: an already-aborted signal and a closed pool are counted; discard counts once', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 1, queueSize: 0, rejectionHandler: 'discard' });
  await pool.prestartCoreThreads();
  await assert.rejects(pool.run('add', [1, 1], { signal: AbortSignal.abort() }), { name: 'AbortError' });
  let s = pool.stats();
  assert.deepEqual([s.submitted, s.failed, s.aborted], [1, 1, 1]);
  const busy = pool.run('sleep', [100, 'a']);
  await assert.rejects(pool.run('add', [1, 2]), TaskDiscardedError);
  assert.equal(await busy, 'a');
  s = pool.stats();
  assert.deepEqual([s.submitted, s.completed, s.failed, s.rejected, s.discarded], [3, 1, 1, 0, 1], 'a discarded task is not also counted as rejected');
  await pool.close();
  await assert.rejects(pool.run('add', [1, 2]), ClosedError);
  s = pool.stats();
  assert.deepEqual([s.submitted, s.rejected], [4, 1]);
  // A call refused for its arguments is not a submission.
  await assert.rejects(pool.run(5 as never), InvalidArgumentError);
  assert.equal(pool.stats().submitted, 4);
});

test('stats: a 10,000-task storm of results, throws, aborts (before and in flight), timeouts, crashes, rejections and discards balances exactly', { timeout: 240_000 }, async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 2, maxThreads: 3, queueSize: 300, rejectionHandler: 'discard-oldest', abortGraceMs: 30, keepAliveMs: 200 });
  const strict = new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 1, queueSize: 8, rejectionHandler: 'abort', prefetch: 4 });
  let seed = 0x1234;
  const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  // Each outcome is taken as it settles (a pre-aborted task rejects at once).
  const outcomes: { pool: ThreadPool; p: Promise<PromiseSettledResult<unknown>> }[] = [];
  const abortReason = new Error('storm abort');
  try {
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 100; i++) {
        const target = random() < 0.1 ? strict : pool;
        const r = random();
        let p: Promise<unknown>;
        if (r < 0.55) p = target.run('add', [i, round]);
        else if (r < 0.65) p = target.run('fail', ['thrown']);
        else if (r < 0.7) p = target.run('add', [1, 1], { signal: AbortSignal.abort(abortReason) });
        else if (r < 0.8) {
          const ac = new AbortController();
          p = target.run(random() < 0.5 ? 'spinUntilAborted' : 'sleep', [5], { signal: ac.signal });
          if (random() < 0.5) ac.abort(abortReason);
          else setTimeout(() => ac.abort(abortReason), Math.floor(random() * 4));
        } else if (r < 0.9) p = target.run('spinUntilAborted', [20], { timeoutMs: 2 });
        else if (r < 0.903) p = target.run('forever', [], { timeoutMs: 5 });
        else if (r < 0.906) p = target.run('exit', [7]);
        else p = target.run('sleep', [Math.floor(random() * 3), 'slept']);
        outcomes.push({ pool: target, p: p.then((value) => ({ status: 'fulfilled', value }) as const, (reason: unknown) => ({ status: 'rejected', reason }) as const) });
      }
      // Back-pressure, as a caller would: bursts of 100 still overflow the queues now and then
      // (discards, rejections), but most tasks get to run.
      await new Promise((res) => setImmediate(res));
      while (pool.stats().queued > 250) await new Promise((res) => setTimeout(res, 1));
    }
    assert.equal(outcomes.length, 10_000);
    for (const which of [pool, strict]) {
      const mine = outcomes.filter((o) => o.pool === which);
      const settled = await bounded(Promise.all(mine.map((o) => o.p)), 180_000, 'storm outcomes');
      const seen = { completed: 0, failed: 0, rejected: 0, discarded: 0, timedOut: 0, aborted: 0 };
      for (const r of settled) {
        if (r.status === 'fulfilled') seen.completed++;
        else if (r.reason instanceof TaskRejectedError) seen.rejected++;
        else if (r.reason instanceof TaskDiscardedError) seen.discarded++;
        else {
          seen.failed++;
          if (r.reason instanceof TaskTimeoutError) seen.timedOut++;
          else if (r.reason === abortReason) seen.aborted++;
        }
      }
      const s = which.stats();
      const counted = { completed: s.completed, failed: s.failed, rejected: s.rejected, discarded: s.discarded, timedOut: s.timedOut, aborted: s.aborted };
      assert.deepEqual(counted, seen, 'each counter matches what the callers saw');
      assert.equal(s.submitted, mine.length);
      assert.equal(s.completed + s.failed + s.rejected + s.discarded, s.submitted);
      assert.equal(s.queued, 0);
    }
    assert.ok(pool.stats().crashes > 0 && pool.stats().aborted > 0 && pool.stats().timedOut > 0 && pool.stats().discarded > 0, JSON.stringify({ ...pool.stats(), waitTime: 0, runTime: 0 }));
    assert.ok(strict.stats().rejected > 0, 'the strict pool rejected some');
    assert.equal(await bounded(pool.run('add', [1, 2])), 3, 'still serving after the storm');
    assert.equal(await bounded(strict.run('add', [1, 2])), 3);
  } finally {
    await bounded(Promise.all([pool.close(), strict.close()]), 20_000, 'close after the storm');
  }
});

// ------------------------------------------------------------------ 4. timer options

test('taskTimeoutMs 0 is refused (Infinity means none), and every timer option is bounded by 2^31 - 1 ms', async () => {
  const refuse = (o: Record<string, unknown>, re: RegExp): void => {
    assert.throws(() => new ThreadPool({ filename: TASKS, ...o } as never), (e: unknown) => e instanceof OutOfRangeError && re.test((e as Error).message));
  };
  refuse({ taskTimeoutMs: 0 }, /^ThreadPool taskTimeoutMs \(0\) must be a number > 0 and <= 2\^31 - 1 or Infinity \(Infinity: no timeout; 0 is refused\)/);
  refuse({ taskTimeoutMs: 2 ** 31 }, /taskTimeoutMs \(2147483648\)/);
  refuse({ keepAliveMs: 2 ** 31 }, /keepAliveMs \(2147483648\) must be a number from 0 to 2\^31 - 1 or Infinity/);
  refuse({ abortGraceMs: 2 ** 31 }, /abortGraceMs \(2147483648\) must be a number from 0 to 2\^31 - 1/);
  refuse({ abortGraceMs: Infinity }, /abortGraceMs \(Infinity\)/);
  refuse({ resultSpinUs: 2e6 }, /resultSpinUs \(2000000\) must be a number from 0 to 1000000/);
  for (const ok of [{ taskTimeoutMs: Infinity }, { taskTimeoutMs: 2 ** 31 - 1 }, { taskTimeoutMs: 0.5 }, { keepAliveMs: 0 }, { keepAliveMs: Infinity }, { abortGraceMs: 0 }, { abortGraceMs: 2 ** 31 - 1 }]) {
    const p = new ThreadPool({ filename: TASKS, coreThreads: 1, ...ok });
    assert.equal(await p.run('add', [1, 1]), 2, JSON.stringify(ok));
    await p.close();
  }
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1 });
  try {
    await assert.rejects(pool.run('add', [1, 1], { timeoutMs: 0 }), (e: unknown) => e instanceof OutOfRangeError && /ThreadPool run timeoutMs \(0\) must be a number > 0/.test(e.message));
    await assert.rejects(pool.run('add', [1, 1], { timeoutMs: 2 ** 31 }), OutOfRangeError);
    await assert.rejects(pool.run('add', [1, 1], { timeoutMs: '5' as never }), InvalidArgumentError);
    assert.equal(await pool.run('add', [1, 1], { timeoutMs: 2 ** 31 - 1 }), 2);
    assert.equal(await pool.run('add', [1, 1], { timeoutMs: Infinity }), 2);
    assert.equal(pool.stats().submitted, 2, 'refused calls are not submissions');
  } finally {
    await pool.close();
  }
});

// ------------------------------------------------------------------ bad input that reached deep

test('null, arrays and wrong kinds are refused typed, without coercion, naming ThreadPool (and a custom name)', async () => {
  const bad: [Record<string, unknown>, RegExp, new (message: string) => Error][] = [
    [{ coreThreads: '2' }, /ThreadPool coreThreads must be an integer from 0 to 1024, got "2"/, InvalidArgumentError],
    [{ coreThreads: null }, /coreThreads must be an integer/, InvalidArgumentError],
    [{ maxThreads: 2n }, /maxThreads must be an integer from 1 to 1024, got 2n/, InvalidArgumentError],
    [{ queueSize: '5' }, /queueSize must be an integer/, InvalidArgumentError],
    [{ keepAliveMs: null }, /keepAliveMs must be a number/, InvalidArgumentError],
    [{ allowCoreThreadTimeout: 1 }, /allowCoreThreadTimeout must be a boolean/, InvalidArgumentError],
    [{ prestart: 'yes' }, /prestart must be a boolean/, InvalidArgumentError],
    [{ prefetch: '4' }, /prefetch must be 'auto' or an integer from 1 to 64, got "4"/, InvalidArgumentError],
    [{ resultSpinUs: Symbol('x') }, /resultSpinUs must be a number/, InvalidArgumentError],
    [{ taskTimeoutMs: null }, /taskTimeoutMs must be a number/, InvalidArgumentError],
    [{ name: '' }, /ThreadPool name must be a non-empty string/, InvalidArgumentError],
    [{ affinity: 'everywhere' }, /^ThreadPool affinity must be a placement policy/, InvalidArgumentError],
    [{ coreThreads: 1, affinity: [[1e9]] }, /^ThreadPool affinity: CPU 1000000000 of thread 0 must be one of the allowed CPUs/, OutOfRangeError],
    [{ name: 'compute', coreThreads: -1 }, /^ThreadPool "compute" coreThreads \(-1\)/, OutOfRangeError],
  ];
  for (const [o, re, kind] of bad) {
    assert.throws(() => new ThreadPool({ filename: TASKS, ...o } as never), (e: unknown) => e instanceof kind && re.test((e as Error).message), JSON.stringify(o, (_, v) => (typeof v === 'bigint' || typeof v === 'symbol' ? String(v) : v)));
  }
  assert.throws(() => new ThreadPool([] as never), (e: unknown) => e instanceof InvalidArgumentError && /ThreadPool options must be an object/.test((e as Error).message));
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, name: 'compute' });
  try {
    await assert.rejects(pool.run('add', [], null as never), (e: unknown) => e instanceof InvalidArgumentError && /^ThreadPool "compute" run options must be an object/.test((e as Error).message));
    await assert.rejects(pool.run('add', [], [] as never), InvalidArgumentError);
    await assert.rejects(pool.close(null as never), (e: unknown) => e instanceof InvalidArgumentError && /close options must be an object/.test((e as Error).message));
    await assert.rejects(pool.close({ force: 'yes' } as never), (e: unknown) => e instanceof InvalidArgumentError && /close force must be a boolean/.test((e as Error).message));
    assert.equal(await pool.run('add', [1, 2]), 3, 'refused calls left the pool working');
  } finally {
    await pool.close();
  }
});

test('a threadFactory that throws or returns junk fails tasks with WorkerStartError; the pool does not spin', async () => {
  // A thrown null-prototype object cannot be printed with String(): it escaped run() as an untyped TypeError.
  for (const factory of [() => 5, () => null, () => { throw new Error('no threads today'); }, () => ({ execArgv: 5 }), () => { throw Object.create(null); }]) {
    const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, threadFactory: factory as never });
    try {
      await assert.rejects(bounded(pool.run('add', [1, 2])), (e: unknown) => e instanceof WorkerStartError && /^ThreadPool worker thread #0 could not start/.test((e as Error).message));
      await assert.rejects(bounded(pool.prestartCoreThreads()), WorkerStartError);
      const s = pool.stats();
      assert.equal(s.threads, 0);
      assert.equal(s.threadsStarted, 0);
      assert.equal(s.failed, 1);
    } finally {
      await pool.close();
    }
  }
  assert.throws(() => new ThreadPool({ filename: TASKS, coreThreads: 1, prestart: true, threadFactory: () => 5 } as never), WorkerStartError);
});

test('a thread that exits before it is ever ready fails the waiting tasks with WorkerStartError instead of restarting forever', async () => {
  const pool = new ThreadPool({ filename: EXITS_AT_IMPORT, coreThreads: 2, maxThreads: 2 });
  try {
    const results = await bounded(Promise.allSettled([pool.run('anything'), pool.run('anything')]));
    for (const r of results) assert.ok(r.status === 'rejected' && r.reason instanceof WorkerStartError, String((r as PromiseRejectedResult).reason));
    await new Promise((res) => setTimeout(res, 300));
    assert.ok(pool.stats().threadsStarted <= 3, `threads started: ${pool.stats().threadsStarted}`);
  } finally {
    await pool.close({ force: true });
  }
});

test("growth 'queue-full' with coreThreads 0 still starts a thread for the first queued task (as Java does)", async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 0, maxThreads: 2, growth: 'queue-full', queueSize: 10 });
  try {
    assert.equal(await bounded(pool.run('add', [20, 22])), 42);
    assert.equal(pool.stats().threadsStarted, 1);
  } finally {
    await pool.close();
  }
});

// ------------------------------------------------------------------ found by the fuzz spec (test/fuzz/specs/concurrency-pool.ts)

test('null is not "left out": name, rejectionHandler and prefetch null are refused typed (they were taken as the defaults)', () => {
  for (const field of ['name', 'rejectionHandler', 'prefetch']) {
    assert.throws(
      () => new ThreadPool({ filename: TASKS, coreThreads: 1, [field]: null } as never),
      (e: unknown) => e instanceof InvalidArgumentError && e.message.startsWith(`ThreadPool ${field} must be`) && e.message.endsWith('got null'),
      field,
    );
  }
});

test('a task name that could never be sent is refused typed at run() (a long one hung the pool, a lone surrogate corrupted the ring)', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 1, name: 'names' });
  try {
    assert.equal(await bounded(pool.run('add', [1, 2])), 3);
    // 100,000 characters: the define frame (name and module URL, sent once per name) never fit the
    // request ring, so the task and every task behind it waited forever.
    await assert.rejects(
      bounded(pool.run('x'.repeat(100_000)), 5000),
      (e: unknown) => e instanceof OutOfRangeError && /^ThreadPool "names" run name \("x+"\.\.\., 100000 characters\) must be an export name of at most 4096 characters$/.test(e.message),
    );
    // A lone surrogate made the encoder give up mid-frame: the frame was sent with a bogus length
    // ("task 'undefined' is not a function") or the thread never answered.
    for (const bad of ['\ud800', 'a\udc00b']) {
      await assert.rejects(bounded(pool.run(bad), 5000), (e: unknown) => e instanceof OutOfRangeError && /run name .* must be well-formed Unicode/.test(e.message), JSON.stringify(bad));
    }
    assert.equal(await bounded(pool.run('add', [2, 3])), 5, 'the pool still serves, in order');
    assert.equal(await bounded(pool.run('x'.repeat(4096)).catch((e: Error) => e.constructor.name)), 'TaskNotFoundError', 'the longest allowed name reaches the thread');
    const s = pool.stats();
    assert.equal(s.submitted, 3, 'refused names are not submissions');
    assert.equal(s.crashes, 0);
  } finally {
    await pool.close({ force: true }); // a task stuck behind an unsendable frame never drains: force, so a failure here cannot hang the file
  }
});

test('a malformed or over-long module location is refused typed (new URL and fileURLToPath threw untyped TypeErrors)', async () => {
  const bad: [unknown, RegExp, new (message: string) => Error][] = [
    ['http://[', /^ThreadPool filename \("http:\/\/\["\) must be a file URL or a path: Invalid URL$/, InvalidArgumentError],
    ['file://elsewhere/tasks.ts', /^ThreadPool filename \(file:\/\/elsewhere\/tasks\.ts\) must be a file URL of this machine: /, InvalidArgumentError],
    [new URL('file://elsewhere/tasks.ts'), /must be a file URL of this machine/, InvalidArgumentError],
    ['file:///tmp/a%2Fb.ts', /must be a file URL of this machine: .*encoded/, InvalidArgumentError],
    ['/tmp/' + 'x'.repeat(40_000), /^ThreadPool filename \(40005 characters\) must be a URL or path of at most 32768 characters$/, OutOfRangeError],
    [new URL('data:text/javascript,' + '/'.repeat(40_000)), /^ThreadPool filename \(40021 characters\) must be a URL or path of at most 32768/, OutOfRangeError],
  ];
  for (const [filename, re, kind] of bad) {
    assert.throws(() => new ThreadPool({ filename, coreThreads: 1 } as never), (e: unknown) => e instanceof kind && re.test((e as Error).message), String(filename).slice(0, 60));
  }
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1 });
  try {
    await assert.rejects(pool.run('add', [1, 2], { filename: 'http://[' }), (e: unknown) => e instanceof InvalidArgumentError && /^ThreadPool run filename \("http:\/\/\["\)/.test(e.message));
    await assert.rejects(pool.run('add', [1, 2], { filename: 'file://elsewhere/x.ts' }), InvalidArgumentError);
    await assert.rejects(pool.run('add', [1, 2], { filename: 'data:text/javascript,' + ' '.repeat(40_000) }), OutOfRangeError);
    assert.equal(await bounded(pool.run('add', [1, 2])), 3);
    assert.equal(pool.stats().submitted, 1);
  } finally {
    await pool.close();
  }
});

test('affinity errors speak of the pool: explicit lists are checked for kind before their count, which is maxThreads', () => {
  const bad: [unknown, RegExp, new (message: string) => Error][] = [
    // Was "planCorePlacement explicit policy has 1 CPU lists; it must have one per thread (2)": the count
    // was checked before the kinds (an OutOfRangeError for a wrong kind), and "thread" meant maxThreads.
    [[NaN], /^ThreadPool affinity\[0\] must be an array of CPU numbers, got NaN$/, InvalidArgumentError],
    [[['0']], /^ThreadPool affinity\[0\] must hold CPU numbers, got "0"$/, InvalidArgumentError],
    [[[0]], /^ThreadPool affinity has 1 CPU lists; it must have one per thread, as many as maxThreads \(2\)$/, OutOfRangeError],
    [{}, /^ThreadPool affinity must be a placement policy \('spread', 'compact' or 'numa'\) or one CPU list per thread .*, got an object$/, InvalidArgumentError],
    [[[0], []], /^ThreadPool affinity: CPU list of thread 1 must not be empty$/, OutOfRangeError],
  ];
  for (const [affinity, re, kind] of bad) {
    assert.throws(() => new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 2, affinity } as never), (e: unknown) => e instanceof kind && re.test((e as Error).message), JSON.stringify(affinity));
  }
});

test('coreThreads left out is capped at a given maxThreads: { maxThreads: 1 } works on every machine', async () => {
  // Was: coreThreads defaulted to availableParallelism() and `{ maxThreads: 1 }` threw
  // "maxThreads (1) must be >= coreThreads (2)" on any machine with two CPUs or more.
  const pool = new ThreadPool({ filename: TASKS, maxThreads: 1 });
  try {
    await bounded(pool.prestartCoreThreads());
    assert.equal(await bounded(pool.run('add', [1, 2])), 3);
    assert.equal(pool.stats().threads, 1);
    assert.equal(pool.stats().threadsStarted, 1);
  } finally {
    await pool.close();
  }
  assert.throws(() => new ThreadPool({ filename: TASKS, coreThreads: 2, maxThreads: 1 }), (e: unknown) => e instanceof OutOfRangeError && /maxThreads \(1\) must be >= coreThreads \(2\)/.test((e as Error).message));
});
