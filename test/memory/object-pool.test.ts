import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ObjectPool } from '../../src/memory/object-pool.ts';
import { DoubleReleaseError, ForeignReleaseError, MemoryErrorCode } from '../../src/memory/errors.ts';
import { BlackholeError, ErrorCode } from '../../src/errors.ts';

interface Vec {
  x: number;
  y: number;
}

const makeVec = (): Vec => ({ x: 0, y: 0 });

test('a released object is reset and handed out again', () => {
  const pool = new ObjectPool<Vec>({ create: makeVec, reset: (v) => { v.x = 0; v.y = 0; } });
  const a = pool.acquire();
  a.x = 5;
  pool.release(a);
  const b = pool.acquire();
  assert.equal(b, a);
  assert.equal(b.x, 0, 'reset ran on release');
  assert.deepEqual(pool.stats(), { hits: 1, misses: 1, created: 1, inUse: 1, retained: 0, dropped: 0 });
});

test('initialSize creates objects up front and they are hits', () => {
  let made = 0;
  const pool = new ObjectPool({ create: () => ({ n: made++ }), initialSize: 3 });
  assert.equal(made, 3);
  assert.deepEqual(pool.stats(), { hits: 0, misses: 0, created: 3, inUse: 0, retained: 3, dropped: 0 });
  pool.acquire();
  pool.acquire();
  assert.equal(pool.stats().hits, 2);
  assert.equal(made, 3);
});

test('objects released past maxRetained are dropped and counted', () => {
  const pool = new ObjectPool({ create: makeVec, maxRetained: 2 });
  const objs = [pool.acquire(), pool.acquire(), pool.acquire()];
  for (const o of objs) pool.release(o);
  assert.deepEqual(pool.stats(), { hits: 0, misses: 3, created: 3, inUse: 0, retained: 2, dropped: 1 });
});

test('releasing an object twice throws DoubleReleaseError with a stable code', () => {
  const pool = new ObjectPool({ create: makeVec });
  const a = pool.acquire();
  pool.release(a);
  assert.throws(
    () => pool.release(a),
    (e: unknown) => e instanceof DoubleReleaseError && e instanceof BlackholeError && e.code === MemoryErrorCode.DOUBLE_RELEASE && /ObjectPool/.test(e.message),
  );
  assert.equal(pool.stats().retained, 1, 'the failed release changed nothing');
});

test('releasing a dropped object again is still a double release', () => {
  const pool = new ObjectPool({ create: makeVec, maxRetained: 0 });
  const a = pool.acquire();
  pool.release(a);
  assert.throws(() => pool.release(a), DoubleReleaseError);
});

test('releasing an object the pool did not create throws ForeignReleaseError', () => {
  const pool = new ObjectPool({ create: makeVec });
  const other = new ObjectPool({ create: makeVec });
  assert.throws(() => pool.release({ x: 1, y: 2 }), (e: unknown) => e instanceof ForeignReleaseError && e.code === MemoryErrorCode.FOREIGN_RELEASE);
  assert.throws(() => pool.release(other.acquire()), ForeignReleaseError);
  assert.equal(pool.stats().inUse, 0);
});

test('clear drops retained objects', () => {
  const pool = new ObjectPool({ create: makeVec, initialSize: 4 });
  pool.clear();
  assert.equal(pool.stats().retained, 0);
  pool.acquire();
  assert.equal(pool.stats().misses, 1);
});

test('bad options throw errors naming the option and the rule', () => {
  assert.throws(() => new ObjectPool({ create: 5 as unknown as () => object }), (e: unknown) => e instanceof TypeError && (e as { code?: string }).code === ErrorCode.INVALID_ARG && /ObjectPool create must be a function, got 5/.test(e.message));
  assert.throws(() => new ObjectPool({ create: makeVec, maxRetained: -1 }), (e: unknown) => e instanceof RangeError && /ObjectPool maxRetained \(-1\) must be an integer from 0 to 2\^30/.test(e.message));
  assert.throws(() => new ObjectPool({ create: makeVec, maxRetained: 2, initialSize: 3 }), /ObjectPool initialSize \(3\) must be an integer from 0 to maxRetained \(2\)/);
  assert.throws(() => new ObjectPool({ create: makeVec, reset: 'no' as unknown as () => void }), /ObjectPool reset must be a function when given, got "no"/);
  assert.throws(() => new ObjectPool({ create: () => 42 as unknown as object }).acquire(), /ObjectPool create must return an object, got 42/);
});

test('matches a naive model over random acquire/release sequences (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 8 }),
      fc.array(fc.oneof(fc.constant(-1), fc.nat(40)), { maxLength: 200 }),
      (maxRetained, ops) => {
        const pool = new ObjectPool({ create: () => ({ id: 0 }), maxRetained });
        const out: { id: number }[] = [];
        let free = 0;
        let hits = 0;
        let misses = 0;
        let dropped = 0;
        for (const op of ops) {
          if (op === -1 || out.length === 0) {
            const o = pool.acquire();
            if (out.includes(o)) return false; // handed out twice
            out.push(o);
            if (free > 0) { free--; hits++; } else misses++;
          } else {
            const [o] = out.splice(op % out.length, 1);
            pool.release(o!);
            if (free < maxRetained) free++; else dropped++;
          }
        }
        const s = pool.stats();
        return s.inUse === out.length && s.retained === free && s.hits === hits && s.misses === misses && s.created === misses && s.dropped === dropped;
      },
    ),
    { seed: 1127, numRuns: 300 },
  );
});

test('the ownership tag is invisible: keys, JSON and spread are unchanged', () => {
  const pool = new ObjectPool({ create: makeVec });
  const v = pool.acquire();
  assert.deepEqual(Object.keys(v), ['x', 'y']);
  assert.deepEqual(Object.getOwnPropertySymbols(v), []);
  assert.equal(JSON.stringify(v), '{"x":0,"y":0}');
  assert.deepEqual({ ...v }, { x: 0, y: 0 });
});

test('a create that returns the same object twice is rejected', () => {
  const shared = { x: 0, y: 0 };
  const pool = new ObjectPool({ create: () => shared });
  pool.acquire();
  assert.throws(() => pool.acquire(), /ObjectPool create must return a new object on every call/);
});

test('frozen objects can be pooled', () => {
  const pool = new ObjectPool({ create: () => Object.freeze({ id: 1 }) });
  const a = pool.acquire();
  pool.release(a);
  assert.equal(pool.acquire(), a);
});

test('a primitive passed to release is a foreign release', () => {
  const pool = new ObjectPool({ create: makeVec });
  assert.throws(() => pool.release(42 as unknown as Vec), ForeignReleaseError);
  assert.throws(() => pool.release(null as unknown as Vec), ForeignReleaseError);
});
