// ThreadPool faults: crashes, out of memory, aborts, timeouts, forced close and broken modules,
// all with real worker threads. Every wait is bounded, so a hang fails the test instead of stalling it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ThreadPool } from '../../src/concurrency/thread-pool.ts';
import { affinitySupport } from '../../src/concurrency/affinity.ts';
import { readCpuTopology } from '../../src/concurrency/cpu-topology.ts';
import { ConcurrencyErrorCode, TaskTimeoutError, WorkerCrashedError, WorkerStartError } from '../../src/concurrency/errors.ts';
import { ClosedError } from '../../src/errors.ts';
import { bounded as boundedBy } from '../helpers/bounded.ts';

const TASKS = new URL('./fixtures/pool-tasks.ts', import.meta.url);
const BROKEN = new URL('./fixtures/pool-broken-module.ts', import.meta.url);

/** Settles like `p` or rejects after `ms` (default 10_000): no test waits forever on a pool promise. */
const bounded = <T>(p: Promise<T>, ms = 10_000, what = 'pool promise'): Promise<T> => boundedBy(p, ms, what);

test('process.exit in a task fails that task with WorkerCrashedError; tasks behind it run on a replacement thread', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, prefetch: 8 });
  try {
    await pool.prestartCoreThreads();
    const crash = pool.run('exit', [3]);
    const after = [pool.run('add', [1, 2]), pool.run('add', [3, 4]), pool.run('sleep', [5, 'late'])];
    await assert.rejects(bounded(crash), (e: unknown) => {
      assert.ok(e instanceof WorkerCrashedError);
      assert.equal(e.code, ConcurrencyErrorCode.WORKER_CRASHED);
      assert.equal(e.exitCode, 3);
      assert.match(e.message, /worker thread #0 died \(exit code 3\)/);
      return true;
    });
    assert.deepEqual(await bounded(Promise.all(after)), [3, 7, 'late'], 'tasks that had not started are not lost');
    const s = pool.stats();
    assert.equal(s.crashes, 1);
    assert.equal(s.threadsStarted, 2);
    assert.equal(s.threads, 1, 'the crashed core thread was replaced');
    assert.equal(await pool.run('add', [5, 5]), 10);
  } finally {
    await pool.close();
  }
});

test('an uncaught error thrown later in the worker fails the task it was running, with the error as cause', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1 });
  try {
    await assert.rejects(bounded(pool.run('uncaughtLater', [10])), (e: unknown) => {
      assert.ok(e instanceof WorkerCrashedError);
      assert.match(e.message, /Error: uncaught in a timer/);
      assert.equal((e.cause as Error).message, 'uncaught in a timer');
      return true;
    });
    assert.equal(await pool.run('add', [1, 1]), 2);
  } finally {
    await pool.close();
  }
});

test('a thread that runs out of memory under resourceLimits crashes alone; the pool keeps serving', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, threadFactory: () => ({ resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 } }) });
  try {
    await assert.rejects(bounded(pool.run('allocateForever'), 30_000), (e: unknown) => {
      assert.ok(e instanceof WorkerCrashedError);
      assert.equal((e.cause as { code?: string }).code, 'ERR_WORKER_OUT_OF_MEMORY');
      return true;
    });
    assert.equal(await bounded(pool.run('add', [2, 2])), 4);
  } finally {
    await pool.close();
  }
});

test('a task timeout counts from the start of execution, not from submission', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, prefetch: 1 });
  try {
    const first = pool.run('spin', [300]);
    const second = pool.run('sleep', [20, 'in time'], { timeoutMs: 150 });
    assert.equal(await bounded(second), 'in time', 'waited 300 ms in the queue but ran only 20 ms');
    await first;
  } finally {
    await pool.close();
  }
});

test('a task that never returns is caught by its timeout; its thread is replaced after the grace period', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, abortGraceMs: 50 });
  try {
    await pool.prestartCoreThreads();
    const started = performance.now();
    await assert.rejects(bounded(pool.run('forever', [], { timeoutMs: 100 })), (e: unknown) => {
      assert.ok(e instanceof TaskTimeoutError);
      assert.equal(e.code, ConcurrencyErrorCode.TASK_TIMEOUT);
      assert.equal(e.timeoutMs, 100);
      return true;
    });
    assert.ok(performance.now() - started >= 95);
    assert.equal(await bounded(pool.run('add', [1, 2])), 3, 'served by the replacement thread');
    const s = pool.stats();
    assert.equal(s.timedOut, 1);
    assert.equal(s.threadsStarted, 2);
    assert.equal(s.crashes, 0, 'a deliberate replacement is not a crash');
  } finally {
    await pool.close();
  }
});

test('the default taskTimeoutMs applies to every task', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, taskTimeoutMs: 50, abortGraceMs: 20 });
  try {
    await assert.rejects(bounded(pool.run('forever')), TaskTimeoutError);
    assert.equal(await bounded(pool.run('add', [1, 1])), 2);
  } finally {
    await pool.close();
  }
});

test('abort removes a queued task: it rejects at once with the signal reason and never runs', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, prefetch: 4 });
  try {
    await pool.prestartCoreThreads();
    const first = pool.run('sleep', [200, 'first']);
    const ac = new AbortController();
    const queued = pool.run('add', [1, 2], { signal: ac.signal });
    const t0 = performance.now();
    ac.abort(new Error('no longer needed'));
    await assert.rejects(queued, { message: 'no longer needed' });
    assert.ok(performance.now() - t0 < 150, 'settled before the task ahead of it finished');
    assert.equal(await first, 'first');
    const s = pool.stats();
    assert.equal(s.completed, 1, 'the aborted task did not run');
    assert.equal(s.aborted, 1);
    await assert.rejects(pool.run('add', [1, 1], { signal: AbortSignal.abort() }), { name: 'AbortError' });
  } finally {
    await pool.close();
  }
});

test('abort reaches a running task through this.aborted and this.signal; the thread is kept when the task stops', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, abortGraceMs: 2000 });
  try {
    await pool.prestartCoreThreads();
    for (const name of ['spinUntilAborted', 'waitForAbort']) {
      const ac = new AbortController();
      const running = pool.run(name, [10_000], { signal: ac.signal });
      await new Promise((r) => setTimeout(r, 50));
      ac.abort();
      await assert.rejects(bounded(running), { name: 'AbortError' });
    }
    // Both tasks noticed and returned, so the same thread serves on.
    assert.equal(await bounded(pool.run('add', [1, 1])), 2);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(pool.stats().threadsStarted, 1);
  } finally {
    await pool.close();
  }
});

test('an aborted task that ignores the signal loses its thread after abortGraceMs', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, abortGraceMs: 50 });
  try {
    await pool.prestartCoreThreads();
    const ac = new AbortController();
    const running = pool.run('forever', [], { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 30));
    ac.abort();
    await assert.rejects(bounded(running), { name: 'AbortError' });
    assert.equal(await bounded(pool.run('add', [2, 3])), 5);
    assert.equal(pool.stats().threadsStarted, 2);
  } finally {
    await pool.close();
  }
});

test('close({ force: true }) rejects running and queued tasks with ClosedError and terminates at once', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1 });
  await pool.prestartCoreThreads();
  const running = pool.run('forever');
  const queued = pool.run('add', [1, 2]);
  const outcomes = [assert.rejects(running, ClosedError), assert.rejects(queued, ClosedError)];
  await new Promise((r) => setTimeout(r, 20));
  await bounded(pool.close({ force: true }), 5000, 'forced close');
  await Promise.all(outcomes);
  assert.equal(pool.stats().threads, 0);
});

test('a graceful close waiting on a task that never ends can be escalated with close({ force: true })', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1 });
  await pool.prestartCoreThreads();
  const stuck = pool.run('forever');
  const outcome = assert.rejects(stuck, ClosedError);
  const graceful = pool.close();
  let gracefulDone = false;
  void graceful.then(() => (gracefulDone = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(gracefulDone, false, 'a graceful close waits for the running task');
  await bounded(pool.close({ force: true }), 5000, 'forced close');
  await bounded(graceful, 5000, 'the earlier graceful close');
  await outcome;
});

test('a module that fails to import fails tasks with WorkerStartError instead of restarting threads forever', async () => {
  const pool = new ThreadPool({ filename: BROKEN, coreThreads: 2 });
  try {
    await assert.rejects(bounded(pool.run('anything')), (e: unknown) => {
      assert.ok(e instanceof WorkerStartError);
      assert.equal(e.code, ConcurrencyErrorCode.WORKER_START);
      assert.match(e.message, /could not start: this module is broken on purpose/);
      return true;
    });
    await assert.rejects(bounded(pool.prestartCoreThreads()), WorkerStartError);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(pool.stats().threadsStarted <= 5, `threads started: ${pool.stats().threadsStarted}`);
  } finally {
    await pool.close({ force: true });
  }
});

test('an idle pool does not keep the process alive (no close needed to exit)', () => {
  const script = `
    import { ThreadPool } from ${JSON.stringify(new URL('../../src/concurrency/thread-pool.ts', import.meta.url).href)};
    const pool = new ThreadPool({ filename: ${JSON.stringify(TASKS.href)}, coreThreads: 2 });
    console.log(await pool.run('add', [40, 2]));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(r.signal, null, `the child had to be killed: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '42');
});

test('affinity pins each thread to its planned CPUs (checked in /proc/thread-self/status)', async (t) => {
  const cpus = readCpuTopology().cpus;
  if (!affinitySupport().available) {
    // The fallback must still run tasks, just unpinned.
    const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, affinity: [[cpus[0]]] });
    try {
      assert.equal(await pool.run('add', [1, 1]), 2);
    } finally {
      await pool.close();
    }
    t.diagnostic('native affinity addon not built: checked the unpinned fallback only');
    return;
  }
  const last = cpus[cpus.length - 1];
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, affinity: [[last]] });
  try {
    assert.equal(await pool.run('cpusAllowed'), String(last));
  } finally {
    await pool.close();
  }
  const spread = new ThreadPool({ filename: TASKS, coreThreads: cpus.length, affinity: 'spread', prestart: true });
  try {
    const seen = await Promise.all(cpus.map(() => spread.run<string>('sleep', [50]).then(() => spread.run<string>('cpusAllowed'))));
    for (const s of seen) assert.match(s, /^\d+$/, 'each thread is pinned to exactly one CPU');
  } finally {
    await spread.close();
  }
});

test('stress: a random mix of results, errors, aborts, timeouts and crashes settles every promise and leaves the books balanced', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 2, maxThreads: 3, queueSize: 200, keepAliveMs: 100, abortGraceMs: 30 });
  let seed = 12345;
  const random = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const outcomes: Promise<string>[] = [];
  try {
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 40; i++) {
        const r = random();
        let p: Promise<unknown>;
        if (r < 0.5) p = pool.run('add', [i, round]).then((v) => assert.equal(v, i + round));
        else if (r < 0.6) p = pool.run('fail', ['x']);
        else if (r < 0.7) p = pool.run('sleep', [Math.floor(random() * 5), 'slept']);
        else if (r < 0.8) {
          const ac = new AbortController();
          p = pool.run(random() < 0.5 ? 'spinUntilAborted' : 'sleep', [20], { signal: ac.signal });
          setTimeout(() => ac.abort(), Math.floor(random() * 10));
        } else if (r < 0.88) p = pool.run('spin', [10], { timeoutMs: 3 });
        else if (r < 0.91) p = pool.run('exit', [7]);
        else p = pool.run('echo', ['y'.repeat(Math.floor(random() * 40_000))]);
        outcomes.push(p.then(() => 'ok', (e: unknown) => (e as Error).name ?? 'error'));
      }
      await new Promise((r) => setTimeout(r, Math.floor(random() * 10)));
    }
    const settled = await bounded(Promise.all(outcomes), 60_000, 'stress outcomes');
    assert.equal(settled.length, 800);
    const s = pool.stats();
    assert.equal(s.completed + s.failed + s.rejected, 800, JSON.stringify({ ...s, waitTime: undefined, runTime: undefined }));
    assert.equal(s.queued, 0);
    assert.equal(s.active, 0);
    assert.equal(await bounded(pool.run('add', [1, 2])), 3, 'still serving after the storm');
  } finally {
    await bounded(pool.close(), 10_000, 'close after stress');
  }
});
