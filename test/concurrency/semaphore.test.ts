import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Semaphore, SemaphoreTimeoutError, SEMAPHORE_TIMEOUT, type SemaphoreRelease } from '../../src/concurrency/semaphore.ts';
import { ClosedError, ErrorCode, OutOfRangeError } from '../../src/errors.ts';

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
  assert.throws(() => new Semaphore(0), (e) => e instanceof OutOfRangeError && /Semaphore permits \(0\) must be an integer >= 1/.test((e as Error).message));
  assert.throws(() => new Semaphore(1.5), OutOfRangeError);
  const sem = new Semaphore(1);
  await assert.rejects(sem.acquire({ timeoutMs: -1 }), (e) => e instanceof RangeError && /timeoutMs \(-1\)/.test((e as Error).message));
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
