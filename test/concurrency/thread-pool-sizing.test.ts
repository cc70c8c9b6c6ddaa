// ThreadPool sizing (Java semantics), rejection handlers, keep-alive and rebalancing, over real worker threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { threadId } from 'node:worker_threads';
import { ThreadPool } from '../../src/concurrency/thread-pool.ts';
import { ConcurrencyErrorCode, TaskDiscardedError, TaskRejectedError } from '../../src/concurrency/errors.ts';

const TASKS = new URL('./fixtures/pool-tasks.ts', import.meta.url);

async function until(what: string, cond: () => boolean, limitMs = 5000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("growth 'queue-full' (Java): past core, threads are added only when the queue is full; then tasks are rejected", async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 2, queueSize: 2, growth: 'queue-full' });
  try {
    const a = pool.run('sleep', [300, 'a']);
    assert.equal(pool.stats().threads, 1, 'below core a submission starts a thread');
    const b = pool.run('sleep', [10, 'b']);
    const c = pool.run('sleep', [10, 'c']);
    assert.equal(pool.stats().threads, 1, 'the queue takes b and c: no new thread');
    assert.equal(pool.stats().queued, 2);
    const d = pool.run('sleep', [10, 'd']);
    assert.equal(pool.stats().threads, 2, 'queue full: a second thread is added for d');
    const e = pool.run('sleep', [10, 'e']);
    await assert.rejects(e, (err: unknown) => {
      assert.ok(err instanceof TaskRejectedError);
      assert.equal(err.code, ConcurrencyErrorCode.TASK_REJECTED);
      assert.match(err.message, /ThreadPool rejected task 'sleep': 2\/2 threads busy, 2\/2 queued/);
      return true;
    });
    assert.deepEqual(await Promise.all([a, b, c, d]), ['a', 'b', 'c', 'd']);
    assert.equal(pool.stats().rejected, 1);
  } finally {
    await pool.close();
  }
});

test("growth 'eager': a thread is added whenever none is idle, up to maxThreads, then tasks queue", async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 3 });
  try {
    const ps = [pool.run('sleep', [200, 1]), pool.run('sleep', [200, 2]), pool.run('sleep', [200, 3])];
    assert.equal(pool.stats().threads, 3);
    ps.push(pool.run('sleep', [10, 4]));
    assert.equal(pool.stats().threads, 3, 'never past maxThreads');
    assert.equal(pool.stats().queued, 1);
    assert.deepEqual(await Promise.all(ps), [1, 2, 3, 4]);
    // Three more tasks with three idle threads: they run on the threads there are, none is added.
    const started = pool.stats().threadsStarted;
    assert.deepEqual(await Promise.all([5, 6, 7].map((v) => pool.run('sleep', [100, v]))), [5, 6, 7]);
    assert.equal(pool.stats().threadsStarted, started, 'idle threads were reused');
    assert.equal(pool.stats().threads, 3);
  } finally {
    await pool.close();
  }
});

test('queueSize 0 is a hand-off: with every thread busy the next task is rejected at once', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 1, queueSize: 0 });
  try {
    const a = pool.run('sleep', [100, 'a']);
    await assert.rejects(pool.run('add', [1, 2]), TaskRejectedError);
    assert.equal(await a, 'a');
    assert.equal(await pool.run('add', [1, 2]), 3, 'accepted again once the thread is free');
  } finally {
    await pool.close();
  }
});

test("rejectionHandler 'discard' settles the new task with TaskDiscardedError", async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 1, queueSize: 0, rejectionHandler: 'discard' });
  try {
    const a = pool.run('sleep', [100, 'a']);
    await assert.rejects(pool.run('add', [1, 2]), (e: unknown) => e instanceof TaskDiscardedError && e.code === ConcurrencyErrorCode.TASK_DISCARDED && e.task === 'add');
    assert.equal(await a, 'a');
    assert.equal(pool.stats().discarded, 1);
  } finally {
    await pool.close();
  }
});

test("rejectionHandler 'discard-oldest' drops the oldest waiting task and queues the new one", async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 1, queueSize: 1, rejectionHandler: 'discard-oldest' });
  try {
    const a = pool.run('sleep', [150, 'a']);
    const b = pool.run('sleep', [1, 'b']);
    const c = pool.run('sleep', [1, 'c']);
    await assert.rejects(b, (e: unknown) => e instanceof TaskDiscardedError && /discarded to make room for a newer task/.test(e.message));
    assert.deepEqual(await Promise.all([a, c]), ['a', 'c']);
    const d = pool.run('sleep', [100, 'd']);
    const e = pool.run('sleep', [1, 'e']);
    const f = pool.run('sleep', [1, 'f']);
    await assert.rejects(e, TaskDiscardedError);
    assert.deepEqual(await Promise.all([d, f]), ['d', 'f']);
  } finally {
    await pool.close();
  }
});

test("rejectionHandler 'caller-runs' runs the task on the calling thread", async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 1, queueSize: 0, rejectionHandler: 'caller-runs' });
  try {
    const a = pool.run('sleep', [150, 'a']);
    assert.equal(await pool.run('whoami'), threadId, 'ran here, not in the worker');
    assert.equal(await pool.run('add', [20, 22]), 42);
    await assert.rejects(pool.run('fail', ['on caller']), { name: 'RangeError', message: 'on caller' });
    assert.equal(await a, 'a');
  } finally {
    await pool.close();
  }
});

test('a rejection handler function decides: its value becomes the result', async () => {
  const seen: string[] = [];
  const pool = new ThreadPool({
    filename: TASKS,
    coreThreads: 1,
    maxThreads: 1,
    queueSize: 0,
    rejectionHandler: (task, p) => {
      seen.push(`${task.name}(${task.args.join(',')}) ${p === pool}`);
      return `fallback for ${task.name}`;
    },
  });
  try {
    const a = pool.run('sleep', [100, 'a']);
    assert.equal(await pool.run('add', [1, 2]), 'fallback for add');
    assert.deepEqual(seen, ['add(1,2) true']);
    assert.equal(await a, 'a');
  } finally {
    await pool.close();
  }
});

test('threads above core retire after keepAliveMs idle; with allowCoreThreadTimeout core threads do too', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 1, maxThreads: 3, keepAliveMs: 50 });
  try {
    const burst = Promise.all([pool.run('sleep', [50]), pool.run('sleep', [50]), pool.run('sleep', [50])]);
    assert.equal(pool.stats().threads, 3);
    await burst;
    assert.equal(pool.stats().threadsStarted, 3);
    await until('threads above core to retire', () => pool.stats().threads === 1);
    assert.equal(await pool.run('add', [1, 1]), 2);
  } finally {
    await pool.close();
  }
  const all = new ThreadPool({ filename: TASKS, coreThreads: 2, keepAliveMs: 50, allowCoreThreadTimeout: true });
  try {
    await Promise.all([all.run('sleep', [20]), all.run('sleep', [20])]);
    await until('core threads to retire', () => all.stats().threads === 0);
    assert.equal(await all.run('add', [2, 2]), 4, 'a retired pool starts a thread again');
    assert.equal(all.stats().threadsStarted, 3);
  } finally {
    await all.close();
  }
});

test('tasks sent ahead to a busy thread are taken back by an idle one (a long task does not hold up the ones behind it)', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 2, prefetch: 8 });
  try {
    await pool.prestartCoreThreads();
    const order: string[] = [];
    const long = pool.run('spin', [400]).then(() => order.push('long'));
    const shorts = Array.from({ length: 12 }, (_, i) => pool.run('spin', [5]).then(() => order.push(`s${i}`)));
    await Promise.all([long, ...shorts]);
    assert.equal(order[order.length - 1], 'long', `every short task finished before the long one: ${order.join(' ')}`);
  } finally {
    await pool.close();
  }
});

test('prestart starts all core threads; prestartCoreThreads waits for them', async () => {
  const pool = new ThreadPool({ filename: TASKS, coreThreads: 2, prestart: true });
  try {
    assert.equal(pool.stats().threads, 2);
    await pool.prestartCoreThreads();
    assert.equal(pool.stats().threadsStarted, 2);
  } finally {
    await pool.close();
  }
});

test('threadFactory sets per-thread worker options (env) and sees each thread index', async () => {
  const indexes: number[] = [];
  const pool = new ThreadPool({
    filename: TASKS,
    coreThreads: 2,
    threadFactory: (info) => {
      indexes.push(info.index);
      return { env: { POOL_THREAD: `t${info.index}` } };
    },
  });
  try {
    const got = new Set(await Promise.all([pool.run('sleep', [50]).then(() => 'x'), pool.run<string>('env', ['POOL_THREAD'])]));
    assert.ok(got.has('t0') || got.has('t1'), [...got].join());
    assert.deepEqual(indexes, [0, 1]);
  } finally {
    await pool.close();
  }
});
