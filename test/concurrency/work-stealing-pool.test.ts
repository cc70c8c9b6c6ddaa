import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ClosedError, ErrorCode } from '../../src/errors.ts';
import { WorkStealingPool } from '../../src/concurrency/work-stealing-pool.ts';
import { ForkJoinErrorCode, ForkJoinTaskError, ForkJoinWorkerCrashedError } from '../../src/concurrency/work-stealing-errors.ts';

const TASKS = new URL('./fixtures/fork-join-tasks.ts', import.meta.url);
const BAD_MODULE = new URL('./fixtures/fork-join-bad-module.ts', import.meta.url);
const LIMIT = { timeout: 60_000 };

/** Rejects if `p` has not settled within `ms`, so a pending promise fails the test instead of hanging it. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Settles `p` into { ok, value | error } within `ms`. */
async function outcome<T>(p: Promise<T>, ms: number, what: string): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return within(
    p.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
    ms,
    what,
  );
}

function fibSeq(n: number): number {
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

test('fib(n) with fork/join matches a sequential computation', LIMIT, async () => {
  const pool = new WorkStealingPool({ filename: TASKS, threads: 2 });
  try {
    for (const [n, cutoff] of [[0, 0], [1, 0], [10, 2], [20, 6], [24, 10]]) {
      assert.equal(await within(pool.submit('fib', n, cutoff), 20_000, `fib(${n})`), fibSeq(n), `fib(${n}) cutoff ${cutoff}`);
    }
    assert.equal(await pool.submit('weighted', 1, 2, 3, 4), 4321, 'four arguments arrive in order');
    assert.equal(await pool.submit('weighted', 0.5, -1, 1e6, 2 ** 40), 0.5 - 10 + 1e8 + 1000 * 2 ** 40, 'arguments are float64');
    assert.equal(await pool.submit('isNegZero', -0), 1, '-0 arrives as -0');
    assert.equal(await pool.submit('isNegZero', 0), 0);
    const many = await within(Promise.all(Array.from({ length: 3000 }, (_, i) => pool.submit('fib', i % 15, 4))), 30_000, '3000 submissions');
    assert.deepEqual(many, Array.from({ length: 3000 }, (_, i) => fibSeq(i % 15)), 'more submissions than root slots, all correct');
    const s = pool.stats();
    assert.equal(s.submitted, s.completed);
    assert.equal(s.inFlight, 0);
    assert.equal(s.queued, 0);
  } finally {
    await pool.close();
  }
});

test('a parallel sum and a parallel merge sort on shared buffers are correct', LIMIT, async () => {
  const n = 200_000;
  const data = new Float64Array(new SharedArrayBuffer(n * 8));
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    data[i] = (seed % 100_000) - 50_000;
  }
  const expectedSum = data.reduce((a, b) => a + b, 0);
  const expectedSorted = Float64Array.from(data).sort();
  const scratch = new SharedArrayBuffer(n * 8);
  const pool = new WorkStealingPool({ filename: TASKS, threads: 2, shared: [data.buffer as SharedArrayBuffer, scratch] });
  try {
    assert.equal(await within(pool.submit('sumShared', 0, n), 20_000, 'sum'), expectedSum);
    assert.equal(await within(pool.submit('sortShared', 0, n), 20_000, 'sort'), n);
    assert.deepEqual(data, expectedSorted);
  } finally {
    await pool.close();
  }
});

test('idle workers steal: an imbalanced fork/join tree is shared between 2 threads', LIMIT, async () => {
  const pool = new WorkStealingPool({ filename: TASKS, threads: 2 });
  try {
    assert.equal(await within(pool.submit('skewed', 0, 512), 30_000, 'skewed'), 512);
    const { workers } = pool.stats();
    const executed = workers.reduce((a, w) => a + w.executed, 0);
    // 511 forks (one per inner node of the binary split) + the root task.
    assert.equal(executed, 512);
    assert.ok(workers.every((w) => w.stealAttempts > 0), 'both workers tried to steal');
    assert.ok(workers.reduce((a, w) => a + w.stolen, 0) > 0, `nothing was stolen: ${JSON.stringify(workers)}`);
    assert.ok(workers.every((w) => w.executed > 0), `one worker did everything: ${JSON.stringify(workers)}`);
  } finally {
    await pool.close();
  }
});

test('a throwing task or subtask rejects its top-level promise with ForkJoinTaskError (message, name, stack)', LIMIT, async () => {
  const pool = new WorkStealingPool({ filename: TASKS, threads: 2 });
  try {
    const isBoom = (n: number) => (e: unknown) =>
      e instanceof ForkJoinTaskError &&
      e.code === ForkJoinErrorCode.TASK_FAILED &&
      e.message === `boom ${n}` &&
      e.remoteName === 'TypeError' &&
      e.taskName === 'boom' &&
      /at boom /.test(e.stack ?? '');
    await assert.rejects(within(pool.submit('boom', 1), 10_000, 'boom'), isBoom(1));
    await assert.rejects(within(pool.submit('forkBoom', 2), 10_000, 'forkBoom'), isBoom(2), 'a subtask error makes join throw in the parent');
    assert.equal(await within(pool.submit('catchBoom'), 10_000, 'catchBoom'), 1, 'the parent can catch the join error');
    assert.equal(await within(pool.submit('leaveUnjoined', 50), 10_000, 'leaveUnjoined'), 50, 'un-joined children are joined at return');
    await assert.rejects(pool.submit('joinTwice'), (e: unknown) => e instanceof ForkJoinTaskError && e.remoteName === 'RangeError' && /join handle \(\d+\) must be a handle forked by this task and not joined yet/.test(e.message));
    await assert.rejects(pool.submit('forkUnknown'), (e: unknown) => e instanceof ForkJoinTaskError && /task name "noSuchTask" is not a function exported by file:.*fork-join-tasks\.ts/.test(e.message));
    await assert.rejects(pool.submit('forkBadArg'), (e: unknown) => e instanceof ForkJoinTaskError && /fork\("fib"\) argument 0 must be a number, got "x"/.test(e.message));
    await assert.rejects(pool.submit('notNumber'), (e: unknown) => e instanceof ForkJoinTaskError && /task "notNumber" returned "x"; a task must be a synchronous function returning a number/.test(e.message));
    await assert.rejects(pool.submit('asyncTask'), (e: unknown) => e instanceof ForkJoinTaskError && /returned an object/.test(e.message));
    assert.equal(await pool.submit('fib', 18, 6), fibSeq(18), 'the pool keeps working after failures');
  } finally {
    await pool.close();
  }
});

test('bad submissions reject with typed errors naming the name, the file or the argument', LIMIT, async () => {
  const pool = new WorkStealingPool({ filename: TASKS, threads: 1 });
  try {
    // Before the team is ready the name check is deferred; it must still reject.
    await assert.rejects(within(pool.submit('nope'), 20_000, 'unknown name'), (e: unknown) =>
      e instanceof TypeError && (e as { code?: string }).code === ErrorCode.INVALID_ARG && /task name "nope" is not a function exported by file:.*fork-join-tasks\.ts/.test((e as Error).message));
    await assert.rejects(pool.submit('nope'), /"nope" is not a function exported by/, 'after ready, too');
    await assert.rejects(pool.submit('fib', 1, 'x' as unknown as number), /submit\("fib"\) argument 1 must be a number, got "x"/);
    await assert.rejects(pool.submit('weighted', 1, 2, 3, 4, 5), (e: unknown) => e instanceof RangeError && /got 5 arguments; a task takes at most 4 numbers/.test((e as Error).message));
    await assert.rejects(pool.submit(42 as unknown as string), /submit name must be a string/);
    assert.equal(await pool.submit('whoAmI'), 0);
  } finally {
    await pool.close();
  }
});

test('invalid options throw typed errors naming the option', () => {
  assert.throws(() => new WorkStealingPool(undefined as never), /WorkStealingPool options must be an object/);
  assert.throws(() => new WorkStealingPool({} as never), (e: unknown) => e instanceof TypeError && /WorkStealingPool filename must be a file URL or a path to the task module, got undefined/.test((e as Error).message));
  assert.throws(() => new WorkStealingPool({ filename: '/no/such/tasks.js' }), /WorkStealingPool filename \("\/no\/such\/tasks\.js"\) must name an existing file/);
  assert.throws(() => new WorkStealingPool({ filename: new URL('https://example.com/t.js') }), /must be a file: URL or a path/);
  assert.throws(() => new WorkStealingPool({ filename: fileURLToPath(new URL('./fixtures', import.meta.url)) }), /must name an existing file/);
  for (const threads of [0, 257, 1.5, NaN]) {
    assert.throws(() => new WorkStealingPool({ filename: TASKS, threads }), (e: unknown) => e instanceof RangeError && /WorkStealingPool threads \(.*\) must be an integer from 1 to 256/.test((e as Error).message), `threads ${threads}`);
  }
  for (const dequeCapacity of [8, 100, 2 ** 21]) {
    assert.throws(() => new WorkStealingPool({ filename: TASKS, dequeCapacity }), /WorkStealingPool dequeCapacity \(.*\) must be a power of two from 16 to 2\^20/);
  }
  assert.throws(() => new WorkStealingPool({ filename: TASKS, shared: [new ArrayBuffer(8) as never] }), /WorkStealingPool shared\[0\] must be a SharedArrayBuffer, got an object/);
  assert.throws(() => new WorkStealingPool({ filename: TASKS, shared: 'x' as never }), /WorkStealingPool shared must be an array/);
});

test('a worker that calls process.exit rejects every outstanding task with ForkJoinWorkerCrashedError; the pool recovers', LIMIT, async () => {
  const pool = new WorkStealingPool({ filename: TASKS, threads: 2 });
  try {
    assert.equal(await within(pool.submit('fib', 10, 3), 20_000, 'warm-up'), 55);
    const bystander = outcome(pool.submit('spin', 400), 20_000, 'bystander');
    const crashed = outcome(pool.submit('crash', 7), 20_000, 'crash');
    const [b, c] = await Promise.all([bystander, crashed]);
    assert.equal(c.ok, false);
    const err = (c as { error: unknown }).error;
    assert.ok(err instanceof ForkJoinWorkerCrashedError, String(err));
    assert.equal(err.code, 'ERR_BH_FORK_JOIN_WORKER_CRASHED');
    assert.equal(err.exitCode, 7);
    assert.match(err.message, /WorkStealingPool worker [01] exited with code 7/);
    assert.equal(b.ok, false, 'the outstanding bystander was rejected too');
    assert.ok((b as { error: unknown }).error instanceof ForkJoinWorkerCrashedError);

    // A crash inside a subtask, with work of the same tree queued in deques.
    const sub = await outcome(pool.submit('crashInSubtask', 50), 20_000, 'crashInSubtask');
    assert.equal(sub.ok, false);
    assert.ok((sub as { error: unknown }).error instanceof ForkJoinWorkerCrashedError);

    // Fresh team: correct results and stealing still work.
    assert.equal(await within(pool.submit('fib', 22, 8), 20_000, 'after crash'), fibSeq(22));
    assert.equal(await within(pool.submit('skewed', 0, 128), 20_000, 'skewed after crash'), 128);
    const s = pool.stats();
    assert.equal(s.crashes, 2);
    assert.equal(s.submitted, s.completed, 'nothing left pending');
  } finally {
    await within(pool.close(), 10_000, 'close');
  }
});

test('subtasks queued by a crashed worker never run on the replacement team', LIMIT, async () => {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const pool = new WorkStealingPool({ filename: TASKS, threads: 2, shared: [counter.buffer as SharedArrayBuffer] });
  try {
    const r = await outcome(pool.submit('crashWithQueued', 200, 2), 20_000, 'crashWithQueued');
    assert.equal(r.ok, false);
    assert.ok((r as { error: unknown }).error instanceof ForkJoinWorkerCrashedError);
    assert.equal((r as { error: ForkJoinWorkerCrashedError }).error.exitCode, 5);
    // Let the old team's survivor be terminated, then note how many ran (some may have been stolen before the crash).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ranBefore = Atomics.load(counter, 0);
    assert.ok(ranBefore < 200, `all 200 queued subtasks ran (${ranBefore})`);
    assert.equal(await within(pool.submit('fib', 20, 6), 20_000, 'new team'), fibSeq(20));
    assert.equal(await within(pool.submit('skewed', 0, 64), 20_000, 'new team steals'), 64);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(Atomics.load(counter, 0), ranBefore, 'a stale subtask ran on the new team');
  } finally {
    await within(pool.close(), 10_000, 'close');
  }
});

test('a task module that fails to load rejects submissions with ForkJoinWorkerCrashedError, and close still works', LIMIT, async () => {
  const pool = new WorkStealingPool({ filename: BAD_MODULE, threads: 2 });
  const first = await outcome(pool.submit('anything'), 20_000, 'first submit');
  assert.equal(first.ok, false);
  const err = (first as { error: unknown }).error;
  assert.ok(err instanceof ForkJoinWorkerCrashedError, String(err));
  assert.match(err.message, /before it was ready \(does file:.*fork-join-bad-module\.ts load\?\)/);
  await assert.rejects(within(pool.submit('anything'), 5_000, 'second submit'), ForkJoinWorkerCrashedError);
  await within(pool.close(), 10_000, 'close');
  await assert.rejects(pool.submit('anything'), ClosedError);
});

test('close() drains by default, rejects later submissions, and force-close rejects what is unsettled', LIMIT, async () => {
  const pool = new WorkStealingPool({ filename: TASKS, threads: 2 });
  const slow = pool.submit('spin', 150);
  const queuedBeforeReady = pool.submit('fib', 12, 4);
  const closing = pool.close();
  await assert.rejects(pool.submit('fib', 3, 1), (e: unknown) => e instanceof ClosedError && e.code === ErrorCode.CLOSED && e.message === 'WorkStealingPool is closed');
  assert.equal(await within(slow, 20_000, 'slow'), 150, 'graceful close lets in-flight work finish');
  assert.equal(await within(queuedBeforeReady, 20_000, 'queued'), 144);
  await within(closing, 10_000, 'close');
  assert.equal(pool.close(), closing, 'close is idempotent');

  const forced = new WorkStealingPool({ filename: TASKS, threads: 1 });
  assert.equal(await within(forced.submit('fib', 5, 1), 20_000, 'ready'), 5);
  const running = outcome(forced.submit('spin', 5_000), 20_000, 'running');
  const waiting = outcome(forced.submit('fib', 5, 1), 20_000, 'waiting');
  await new Promise((r) => setTimeout(r, 50));
  await within(forced.close({ force: true }), 10_000, 'force close');
  for (const o of await Promise.all([running, waiting])) {
    assert.equal(o.ok, false);
    assert.ok((o as { error: unknown }).error instanceof ClosedError);
  }
  assert.equal(forced.stats().submitted, forced.stats().completed);
});

test('the process stays alive while a task is outstanding and exits on its own once the pool is idle', LIMIT, () => {
  const script = fileURLToPath(new URL('./fixtures/fork-join-exit.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.error, undefined, `child did not exit within 30 s: ${String(r.error)}`);
  assert.equal(r.stdout.trim(), `result ${fibSeq(20)}`, r.stderr);
  assert.equal(r.status, 0);
});

test('options of the wrong kind are InvalidArgumentError: null is not "left out", an array is not options', () => {
  const invalid = (re: RegExp) => (e: unknown) => e instanceof TypeError && (e as { code?: string }).code === ErrorCode.INVALID_ARG && re.test((e as Error).message);
  assert.throws(() => new WorkStealingPool([] as never), invalid(/WorkStealingPool options must be an object when given, got/));
  assert.throws(() => new WorkStealingPool({ filename: TASKS, threads: null } as never), invalid(/WorkStealingPool threads \(null\) must be an integer from 1 to 256/));
  assert.throws(() => new WorkStealingPool({ filename: TASKS, threads: '2' } as never), invalid(/WorkStealingPool threads \("2"\)/));
  assert.throws(() => new WorkStealingPool({ filename: TASKS, dequeCapacity: null } as never), invalid(/WorkStealingPool dequeCapacity \(null\) must be a power of two/));
  assert.throws(() => new WorkStealingPool({ filename: TASKS, dequeCapacity: 1024n } as never), invalid(/WorkStealingPool dequeCapacity/));
  assert.throws(() => new WorkStealingPool({ filename: TASKS, shared: null } as never), invalid(/WorkStealingPool shared must be an array/));
});

test('close options are checked: a refused close leaves the pool running', LIMIT, async () => {
  const pool = new WorkStealingPool({ filename: TASKS, threads: 1 });
  try {
    assert.equal(await within(pool.submit('weighted', 1, 2, 3, 4), 20_000, 'ready'), 4321);
    const invalid = (e: unknown) => e instanceof TypeError && (e as { code?: string }).code === ErrorCode.INVALID_ARG;
    await assert.rejects(pool.close({ force: 'yes' } as never), (e: unknown) => invalid(e) && /WorkStealingPool close force must be a boolean, got "yes"/.test((e as Error).message));
    await assert.rejects(pool.close({ force: 1 } as never), invalid);
    await assert.rejects(pool.close([] as never), (e: unknown) => invalid(e) && /WorkStealingPool close options must be an object/.test((e as Error).message));
    await assert.rejects(pool.close(null as never), invalid);
    assert.equal(await within(pool.submit('weighted', 4, 3, 2, 1), 20_000, 'after refused closes'), 1234, 'the pool still runs tasks');
  } finally {
    await within(pool.close({ force: false }), 10_000, 'close');
  }
});

test('a team is bounded to 2^24 deque items before anything is allocated (many buffers near the address-space limit made V8 abort)', () => {
  // In a child capped at 8 GB of address space: 256 deques of 2^20 items ask for 12 GiB, and allocating them
  // one by one ends in a V8 out-of-memory abort there; the bound refuses them typed before the first.
  const r = spawnSync(
    '/bin/sh',
    [
      '-c',
      'ulimit -v 8000000 && exec "$0" "$@"',
      process.execPath,
      '--jitless', // no WebAssembly, whose reservations alone would exceed the cap (tsx then parses without it)
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `import { WorkStealingPool } from ${JSON.stringify(new URL('../../src/concurrency/work-stealing-pool.ts', import.meta.url).href)};
       const out = [];
       for (const [threads, dequeCapacity] of [[256, 2 ** 20], [17, 2 ** 20], [256, 2 ** 17]]) {
         try { new WorkStealingPool({ filename: ${JSON.stringify(TASKS.href)}, threads, dequeCapacity }); out.push({ ok: true }); }
         catch (e) { out.push({ name: e.constructor.name, code: e.code, message: e.message }); }
       }
       console.log(JSON.stringify(out));`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { code?: string; message?: string }[];
  for (const [i, items] of [[0, 2 ** 28], [1, 17 * 2 ** 20], [2, 2 ** 25]] as const) {
    assert.equal(out[i].code, ErrorCode.OUT_OF_RANGE, JSON.stringify(out[i]));
    assert.match(out[i].message!, new RegExp(`^WorkStealingPool threads \\(\\d+\\) x dequeCapacity \\(\\d+\\) must be at most 2\\^24 deque items in all \\(48 bytes each: 768 MiB\\), got ${items}`));
  }
});
