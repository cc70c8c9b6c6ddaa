import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Semaphore, SemaphoreTimeoutError, SEMAPHORE_TIMEOUT, type SemaphoreRelease } from '../../src/concurrency/semaphore.ts';
import { ClosedError, ErrorCode, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

test('tryAcquire takes free permits and release is idempotent', () => {
  const sem = new Semaphore(2);
  assert.equal(sem.available, 2);
  const a = sem.tryAcquire();
  const b = sem.tryAcquire();
  assert.ok(a && b);
  assert.equal(sem.tryAcquire(), null);
  assert.equal(sem.available, 0);
  a();
  a();
  a();
  assert.equal(sem.available, 1, 'a double release returns one permit only');
  b();
  assert.equal(sem.available, 2);
});

test('waiters are served FIFO and a late tryAcquire cannot overtake them', async () => {
  const sem = new Semaphore(1);
  const first = sem.tryAcquire()!;
  const order: number[] = [];
  const ps = [1, 2, 3].map((i) => sem.acquire().then((rel) => { order.push(i); return rel; }));
  assert.equal(sem.waiting, 3);
  first();
  assert.equal(sem.tryAcquire(), null, 'the permit went to waiter 1, not to the newcomer');
  const r1 = await ps[0]!;
  r1();
  const r2 = await ps[1]!;
  r2();
  const r3 = await ps[2]!;
  assert.deepEqual(order, [1, 2, 3]);
  assert.equal(sem.waiting, 0);
  r3();
  assert.equal(sem.available, 1);
});

test('a timeout rejects with SemaphoreTimeoutError and removes the waiter', async () => {
  const sem = new Semaphore(1, { name: 'db slots' });
  const held = sem.tryAcquire()!;
  // The semaphore's timers are unref'd; hold the loop open while we wait on one.
  const keepAlive = setTimeout(() => {}, 5_000);
  const p = sem.acquire({ timeoutMs: 10 });
  const later = sem.acquire();
  assert.equal(sem.waiting, 2);
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof SemaphoreTimeoutError);
    assert.equal((e as SemaphoreTimeoutError).code, SEMAPHORE_TIMEOUT);
    assert.match((e as Error).message, /db slots acquire timed out after 10 ms/);
    return true;
  });
  assert.equal(sem.waiting, 1);
  held();
  const rel = await later; // the timed-out waiter was skipped
  clearTimeout(keepAlive);
  rel();
  assert.equal(sem.available, 1);
});

test('an aborted signal rejects with its reason and removes the waiter', async () => {
  const sem = new Semaphore(1);
  const held = sem.tryAcquire()!;
  const ac = new AbortController();
  const p = sem.acquire({ signal: ac.signal });
  assert.equal(sem.waiting, 1);
  const reason = new Error('client went away');
  ac.abort(reason);
  await assert.rejects(p, (e) => e === reason);
  assert.equal(sem.waiting, 0);
  held();
  assert.equal(sem.available, 1, 'the aborted waiter did not swallow the permit');
  const pre = new AbortController();
  pre.abort('early');
  await assert.rejects(sem.acquire({ signal: pre.signal }), (e) => e === 'early');
  assert.equal(sem.available, 1);
});

test('close rejects every waiter with ClosedError; held permits can still be released', async () => {
  const sem = new Semaphore(1);
  const held = sem.tryAcquire()!;
  const ps = [sem.acquire(), sem.acquire({ timeoutMs: 60_000 })];
  sem.close();
  sem.close();
  for (const p of ps) await assert.rejects(p, (e) => e instanceof ClosedError && (e as ClosedError).code === ErrorCode.CLOSED);
  await assert.rejects(sem.acquire(), ClosedError);
  assert.throws(() => sem.tryAcquire(), ClosedError);
  held();
  assert.equal(sem.waiting, 0);
});

test('bad arguments throw typed errors naming the parameter', async () => {
  assert.throws(() => new Semaphore(0), (e) => e instanceof OutOfRangeError && /Semaphore permits \(0\) must be an integer from 1 to 2\^53 - 1/.test((e as Error).message));
  assert.throws(() => new Semaphore(1.5), OutOfRangeError);
  const sem = new Semaphore(1);
  await assert.rejects(sem.acquire({ timeoutMs: -1 }), (e) => e instanceof RangeError && /timeoutMs \(-1\)/.test((e as Error).message));
});

/** Asserts `fn` throws (or its promise rejects with) `type`, with a message matching `re`. */
async function refused(fn: () => unknown, type: typeof InvalidArgumentError | typeof OutOfRangeError, re: RegExp): Promise<void> {
  const check = (e: unknown): boolean => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.match((e as Error).message, re);
    return true;
  };
  let out: unknown;
  try {
    out = fn();
  } catch (e) {
    check(e);
    return;
  }
  assert.ok(out instanceof Promise, 'the call neither threw nor returned a promise');
  await assert.rejects(out, check);
}

test('a null, array or number options object is refused typed (constructor and acquire), taking no permit', async () => {
  await refused(() => new Semaphore(1, null as never), InvalidArgumentError, /^Semaphore options must be an object when given, got null/);
  await refused(() => new Semaphore(1, [] as never), InvalidArgumentError, /Semaphore options/);
  const sem = new Semaphore(1);
  for (const bad of [null, -1, 5, '5', [], 10n, Symbol('x'), true]) {
    await refused(() => sem.acquire(bad as never), InvalidArgumentError, /^Semaphore acquire options must be an object when given/);
    assert.equal(sem.available, 1, `acquire(${String(bad)}) took a permit`);
    assert.equal(sem.waiting, 0);
  }
  // Still works, and a held semaphore queues no waiter for a refused call.
  const release = await sem.acquire();
  await refused(() => sem.acquire(null as never), InvalidArgumentError, /options/);
  assert.equal(sem.waiting, 0);
  release();
  assert.equal(sem.available, 1);
});

test('acquire timeoutMs past 2^31 - 1 ms (Node would fire it after 1 ms) is refused; Infinity waits forever', async () => {
  const sem = new Semaphore(1);
  const held = sem.tryAcquire()!;
  for (const t of [2 ** 31, 2 ** 32, 2 ** 53, 1e308]) {
    await refused(() => sem.acquire({ timeoutMs: t }), OutOfRangeError, /^Semaphore acquire timeoutMs \(\d[\de+]*\) must be a number from 0 to 2\^31 - 1 or Infinity/);
    assert.equal(sem.waiting, 0, `timeoutMs ${t} left a waiter`);
  }
  await refused(() => sem.acquire({ timeoutMs: -1 }), OutOfRangeError, /timeoutMs \(-1\)/);
  await refused(() => sem.acquire({ timeoutMs: Number.NaN }), OutOfRangeError, /timeoutMs \(NaN\)/);
  await refused(() => sem.acquire({ timeoutMs: -Infinity }), OutOfRangeError, /timeoutMs \(-Infinity\)/);
  // The largest timer Node honours is accepted (and does not fire early).
  const longest = sem.acquire({ timeoutMs: 2 ** 31 - 1 });
  // Infinity: no timer at all; granted on release.
  const forever = sem.acquire({ timeoutMs: Infinity });
  assert.equal(sem.waiting, 2);
  await flush();
  held();
  const r1 = await longest;
  r1();
  const r2 = await forever;
  r2();
  assert.equal(sem.available, 1);
});

test('bigints, symbols, strings and null are not numbers: permits and timeoutMs refuse them typed', async () => {
  for (const bad of ['5', 10n, Symbol('n'), null, true, {}, [1]]) {
    await refused(() => new Semaphore(bad as never), InvalidArgumentError, /^Semaphore permits must be an integer from 1 to 2\^53 - 1, got /);
    const sem = new Semaphore(1);
    const held = sem.tryAcquire()!;
    await refused(() => sem.acquire({ timeoutMs: bad as never }), InvalidArgumentError, /^Semaphore acquire timeoutMs must be a number/);
    assert.equal(sem.waiting, 0);
    held();
  }
  // A count past 2^53 - 1 cannot be decremented exactly: refused (it was accepted).
  await refused(() => new Semaphore(2 ** 64), OutOfRangeError, /Semaphore permits \(18446744073709552000\)/);
  await refused(() => new Semaphore(Infinity), OutOfRangeError, /permits \(Infinity\)/);
});

test('a signal that is not an AbortSignal is refused typed, before it is used', async () => {
  const sem = new Semaphore(1);
  const held = sem.tryAcquire()!;
  // Duck-typed { aborted } used to pass the check and then crash in addEventListener.
  for (const bad of [{ aborted: false }, null, 'signal', 5]) {
    await refused(() => sem.acquire({ signal: bad as never }), InvalidArgumentError, /^Semaphore acquire signal must be an AbortSignal when given/);
  }
  assert.equal(sem.waiting, 0);
  held();
  assert.equal(sem.available, 1);
});

test('argument errors of a named semaphore name the component and the name', async () => {
  await refused(() => new Semaphore(0, { name: 'db slots' }), OutOfRangeError, /^Semaphore "db slots" permits \(0\)/);
  await refused(() => new Semaphore(1, { name: '' }), InvalidArgumentError, /^Semaphore name must be a non-empty string, got ""/);
  await refused(() => new Semaphore(1, { name: 5 as never }), InvalidArgumentError, /^Semaphore name must be a non-empty string, got 5/);
  const sem = new Semaphore(1, { name: 'db slots' });
  await refused(() => sem.acquire({ timeoutMs: '5' as never }), InvalidArgumentError, /^Semaphore "db slots" acquire timeoutMs must be/);
});

test('matches a naive FIFO model under random acquire/tryAcquire/release/abort (property)', async () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('acquire' as const) }),
    fc.record({ kind: fc.constant('try' as const) }),
    fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }),
  );
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), async (permits, ops) => {
      const sem = new Semaphore(permits);
      // model
      let free = permits;
      const queue: number[] = [];
      const heldModel = new Set<number>();
      // real
      const held = new Map<number, SemaphoreRelease>();
      const controllers = new Map<number, AbortController>();
      const granted: number[] = [];
      const expectedGrants: number[] = [];
      let next = 0;
      const grantModel = (): void => {
        const id = queue.shift();
        if (id === undefined) free++;
        else {
          heldModel.add(id);
          expectedGrants.push(id);
        }
      };
      for (const o of ops) {
        if (o.kind === 'acquire') {
          const id = next++;
          const ac = new AbortController();
          controllers.set(id, ac);
          sem.acquire({ signal: ac.signal }).then(
            (rel) => {
              held.set(id, rel);
              granted.push(id);
            },
            () => {},
          );
          if (free > 0 && queue.length === 0) {
            free--;
            heldModel.add(id);
            expectedGrants.push(id);
          } else queue.push(id);
        } else if (o.kind === 'try') {
          const id = next++;
          const rel = sem.tryAcquire();
          const modelOk = free > 0;
          if (modelOk) {
            free--;
            heldModel.add(id);
            expectedGrants.push(id);
          }
          if ((rel !== null) !== modelOk) return false;
          if (rel) {
            held.set(id, rel);
            granted.push(id);
          }
        } else if (o.kind === 'release') {
          await flush();
          const ids = [...heldModel];
          if (ids.length === 0) continue;
          const id = ids[o.pick % ids.length]!;
          heldModel.delete(id);
          const rel = held.get(id)!;
          held.delete(id);
          rel();
          rel(); // idempotent
          grantModel();
        } else {
          if (queue.length === 0) continue;
          const id = queue.splice(o.pick % queue.length, 1)[0]!;
          controllers.get(id)!.abort();
        }
        await flush();
        if (sem.available !== free || sem.waiting !== queue.length) return false;
      }
      await flush();
      sem.close();
      return JSON.stringify(granted) === JSON.stringify(expectedGrants);
    }),
    { seed: 4242, numRuns: 150 },
  );
});
