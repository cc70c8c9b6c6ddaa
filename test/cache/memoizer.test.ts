import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Memoizer, memoize, type Memoized } from '../../src/cache/memoizer.ts';
import { InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

/** A function that counts its calls. */
function counted<A extends unknown[], R>(f: (...args: A) => R): { fn: (...args: A) => R; calls: () => number } {
  let n = 0;
  return {
    fn: (...args: A) => {
      n++;
      return f(...args);
    },
    calls: () => n,
  };
}

test('one primitive argument: computed once, then served from the cache', () => {
  const c = counted((x: number) => x * 2);
  const f = memoize(c.fn);
  assert.equal(f(21), 42);
  assert.equal(f(21), 42);
  assert.equal(f(4), 8);
  assert.equal(c.calls(), 2);
  const s = f.stats();
  assert.equal(s.hits, 1);
  assert.equal(s.misses, 2);
  assert.equal(s.size, 2);
  assert.equal(s.trieNodes, 0, 'the fast path builds no trie');
});

test('keys are exact: 1 and "1", -0 and 0 (SameValueZero), NaN, null, undefined', () => {
  const c = counted((x: unknown) => typeof x + String(x));
  const f = memoize(c.fn);
  assert.equal(f(1), 'number1');
  assert.equal(f('1'), 'string1');
  assert.equal(f(NaN), 'numberNaN');
  assert.equal(f(NaN), 'numberNaN');
  assert.equal(f(null), 'objectnull');
  assert.equal(f(undefined), 'undefinedundefined');
  assert.equal(f(undefined), 'undefinedundefined');
  assert.equal(c.calls(), 5);
  assert.equal(f(0), 'number0');
  assert.equal(f(-0), 'number0', '-0 finds the entry of 0');
  assert.equal(c.calls(), 6);
});

test('undefined results are cached (not recomputed)', () => {
  const c = counted((_x: number): undefined => undefined);
  const f = memoize(c.fn);
  assert.equal(f(1), undefined);
  assert.equal(f(1), undefined);
  assert.equal(c.calls(), 1);
  assert.equal(f.has(1), true);
});

test('several arguments: tuple keys by value and identity, arity distinguishes calls', () => {
  const c = counted((...args: unknown[]) => args.length);
  const f = memoize(c.fn);
  const o = { a: 1 };
  const o2 = { a: 1 };
  f(1, 'a', o);
  f(1, 'a', o);
  assert.equal(c.calls(), 1);
  f(1, 'a', o2); // equal-looking but another object
  assert.equal(c.calls(), 2);
  f(1, 'a');
  f(1);
  f();
  f(1, undefined);
  assert.equal(c.calls(), 6);
  f();
  f(1, undefined);
  f(1, 'a');
  assert.equal(c.calls(), 6);
  // One object argument goes through the trie.
  f(o);
  f(o);
  assert.equal(c.calls(), 7);
});

test('maxSize bounds the entries and evicts the least recently used', () => {
  const c = counted((x: number) => x);
  const f = memoize(c.fn, { maxSize: 2 });
  f(1);
  f(2);
  f(1); // 1 is now the most recent
  f(3); // evicts 2
  assert.equal(f.has(1), true);
  assert.equal(f.has(2), false);
  assert.equal(f.has(3), true);
  assert.equal(f.stats().size, 2);
  assert.equal(f.stats().evictions, 1);
});

test('the trie stays bounded under many distinct tuple keys (eviction prunes the path)', () => {
  const f = memoize((a: number, b: string, o: object) => a + b.length + Object.keys(o).length, { maxSize: 50 });
  let maxNodes = 0;
  for (let i = 0; i < 20_000; i++) {
    f(i, `s${i % 997}`, {});
    maxNodes = Math.max(maxNodes, f.stats().trieNodes);
  }
  const s = f.stats();
  assert.equal(s.size, 50);
  // Root's arity node + at most 3 nodes per live entry.
  assert.ok(maxNodes <= 1 + 3 * 51, `trie grew to ${maxNodes} nodes`);
  assert.ok(s.trieNodes <= 1 + 3 * 50);
  f.clear();
  assert.equal(f.stats().trieNodes, 0);
  assert.equal(f.stats().size, 0);
});

test('delete prunes the trie; deleting an uncached call is false', () => {
  const f = memoize((a: number, b: number) => a + b);
  f(1, 2);
  assert.equal(f.stats().trieNodes, 3);
  assert.equal(f.delete(1, 3), false);
  assert.equal(f.delete(1, 2), true);
  assert.equal(f.stats().trieNodes, 0);
  assert.equal(f.delete(1, 2), false);
});

test('a throwing call caches nothing and leaves no trie nodes', () => {
  let fail = true;
  const f = memoize((a: number, b: number) => {
    if (fail) throw new Error('boom');
    return a * b;
  });
  assert.throws(() => f(2, 3), /boom/);
  assert.equal(f.stats().trieNodes, 0);
  fail = false;
  assert.equal(f(2, 3), 6);
});

test('TTL with an injected clock: expired results are recomputed and their trie paths pruned', () => {
  let now = 0;
  const c = counted((a: number, b: number) => a + b + now);
  const f = memoize(c.fn, { ttlMs: 100, clock: () => now });
  assert.equal(f(1, 2), 3);
  now = 99;
  assert.equal(f(1, 2), 3);
  now = 100;
  assert.equal(f(1, 2), 103, 'recomputed after the TTL');
  assert.equal(c.calls(), 2);
  assert.equal(f.stats().expirations, 1);
  assert.equal(f.stats().trieNodes, 3, 'the re-inserted path is reachable, the old one gone');
  now = 150;
  assert.equal(f(1, 2), 103);
  assert.equal(c.calls(), 2);
  // single-argument path expires too
  const g = memoize((x: number) => x + now, { ttlMs: 10, clock: () => now });
  assert.equal(g(1), 151);
  now = 161;
  assert.equal(g(1), 162);
});

test('custom key function', () => {
  const c = counted((user: { id: number; name: string }) => user.name.toUpperCase());
  const f = memoize(c.fn, { key: (u: { id: number }) => u.id });
  assert.equal(f({ id: 1, name: 'ada' }), 'ADA');
  assert.equal(f({ id: 1, name: 'other' }), 'ADA', 'same key, cached');
  assert.equal(c.calls(), 1);
  assert.equal(f.delete({ id: 1, name: '' }), true);
  assert.equal(f({ id: 1, name: 'bob' }), 'BOB');
  assert.equal(f.stats().trieNodes, 0);
});

test('async: concurrent callers share the in-flight promise; fulfilled results stay cached', async () => {
  let calls = 0;
  const f = memoize(async (x: number) => {
    calls++;
    await new Promise((r) => setTimeout(r, 5));
    return x * 10;
  });
  const [a, b] = await Promise.all([f(1), f(1)]);
  assert.equal(a, 10);
  assert.equal(b, 10);
  assert.equal(calls, 1);
  assert.equal(await f(1), 10);
  assert.equal(calls, 1);
});

test('async: a rejection is not cached (the next call retries) and callers still see it', async () => {
  let calls = 0;
  const f = memoize(async (a: number, b: number) => {
    calls++;
    if (calls === 1) throw new Error('transient');
    return a + b;
  });
  const p1 = f(1, 2);
  const p2 = f(1, 2);
  assert.equal(p1, p2, 'shared while pending');
  await assert.rejects(p1, /transient/);
  await assert.rejects(p2, /transient/);
  assert.equal(f.has(1, 2), false);
  assert.equal(f.stats().trieNodes, 0);
  assert.equal(await f(1, 2), 3);
  assert.equal(calls, 2);
  assert.equal(await f(1, 2), 3);
  assert.equal(calls, 2);
});

test('async: a rejection does not remove a newer result stored under the same key', async () => {
  let reject!: (e: Error) => void;
  let n = 0;
  const f = memoize((_x: number) => {
    n++;
    if (n === 1) return new Promise<number>((_, rej) => (reject = rej));
    return Promise.resolve(2);
  });
  const first = f(1);
  f.delete(1);
  const second = f(1);
  reject(new Error('old'));
  await assert.rejects(first, /old/);
  await new Promise((r) => setImmediate(r));
  assert.equal(f(1), second, 'the newer promise is still cached');
});

test('this is passed through', () => {
  const obj = {
    k: 3,
    times: memoize(function (this: { k: number }, x: number) {
      return this.k * x;
    }),
  };
  assert.equal(obj.times(2), 6);
});

test('recursive memoized function (fib) computes each value once', () => {
  let calls = 0;
  const fib: (n: number) => number = memoize((n: number): number => {
    calls++;
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
  }, { maxSize: 200 });
  assert.equal(fib(90), 2880067194370816000);
  assert.equal(calls, 91);
});

test('clear() called from inside fn does not corrupt the trie count', () => {
  let f: Memoized<(a: number, b: number) => number>;
  f = memoize((a: number, b: number) => {
    if (a === 0) f.clear();
    return a + b;
  });
  f(1, 1);
  f(0, 1);
  const s = f.stats();
  assert.equal(s.size, 1);
  assert.equal(s.trieNodes, 3, 'only the path stored after clear() is counted');
  f.delete(0, 1);
  assert.equal(f.stats().trieNodes, 0);
});

test('Memoizer class: call(), has(), delete()', () => {
  const c = counted((a: number, b: string) => `${a}${b}`);
  const m = new Memoizer(c.fn, { maxSize: 10 });
  assert.equal(m.call(1, 'x'), '1x');
  assert.equal(m.call(1, 'x'), '1x');
  assert.equal(c.calls(), 1);
  assert.equal(m.has(1, 'x'), true);
  assert.equal(m.delete(1, 'x'), true);
  assert.equal(m.has(1, 'x'), false);
  assert.equal(m.trieNodes, 0);
});

test('bad options throw typed errors naming the option', () => {
  const id = (x: number) => x;
  for (const maxSize of [0, -1, 1.5, NaN, 2 ** 31]) {
    assert.throws(() => memoize(id, { maxSize }), (e: unknown) => e instanceof OutOfRangeError && /maxSize/.test(e.message));
  }
  assert.throws(() => memoize(id, { ttlMs: 0 }), (e: unknown) => e instanceof OutOfRangeError && /ttlMs/.test(e.message));
  assert.throws(() => memoize(id, { key: 3 as never }), (e: unknown) => e instanceof InvalidArgumentError && /key/.test(e.message));
  assert.throws(() => memoize(42 as never), (e: unknown) => e instanceof InvalidArgumentError && /fn/.test(e.message));
});

test('property: memoize matches a naive LRU model (Map + array) over random calls, deletes and clears', () => {
  const objs = [{}, {}, {}];
  // An argument list: 0-3 arguments from a small domain, so keys repeat and collide often.
  const arg = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('0', 'a', null, undefined), fc.constantFrom(...objs));
  const op = fc.record({ kind: fc.constantFrom('call', 'call', 'call', 'delete', 'clear'), args: fc.array(arg, { maxLength: 3 }) });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 60 }), (maxSize, ops) => {
      let calls = 0;
      const f = memoize((...args: unknown[]) => (calls++, args.length), { maxSize });
      // Model: keys identify (arity, each argument by SameValueZero); order = recency, eldest first.
      const ids = new Map<unknown, number>();
      const id = (v: unknown) => {
        if (!ids.has(v)) ids.set(v, ids.size);
        return ids.get(v)!;
      };
      const keyOf = (args: unknown[]) => `${args.length}:${args.map(id).join(',')}`;
      let order: string[] = [];
      for (const { kind, args } of ops) {
        const k = keyOf(args);
        if (kind === 'call') {
          const before = calls;
          assert.equal(f(...args), args.length);
          const wasCached = order.includes(k);
          assert.equal(calls - before, wasCached ? 0 : 1, `call ${k}: cached in model = ${wasCached}`);
          order = order.filter((x) => x !== k);
          order.push(k);
          if (order.length > maxSize) order.shift();
        } else if (kind === 'delete') {
          assert.equal(f.delete(...args), order.includes(k));
          order = order.filter((x) => x !== k);
        } else {
          f.clear();
          order = [];
        }
        const s = f.stats();
        assert.equal(s.size, order.length);
        assert.ok(s.trieNodes <= 4 * order.length, `trie ${s.trieNodes} nodes for ${order.length} entries`);
      }
    }),
    { numRuns: 300, seed: 20261127 },
  );
});
