import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LinkedHashMap } from '../../src/struct/linked-hash-map.ts';
import { ErrorCode, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

test('insertion order: re-setting a key keeps its place; get does not move', () => {
  const m = new LinkedHashMap<string, number>();
  assert.equal(m.order, 'insertion');
  m.set('a', 1).set('b', 2).set('c', 3);
  m.set('a', 10);
  assert.equal(m.get('b'), 2);
  assert.deepEqual([...m], [['a', 10], ['b', 2], ['c', 3]]);
  assert.deepEqual(m.eldest(), ['a', 10]);
  assert.deepEqual(m.newest(), ['c', 3]);
});

test('access order: get and set move the entry to the newest end; peek and has do not', () => {
  const m = new LinkedHashMap<string, number>({ order: 'access' });
  m.set('a', 1).set('b', 2).set('c', 3);
  assert.equal(m.get('a'), 1);
  assert.deepEqual([...m.keys()], ['b', 'c', 'a']);
  m.set('b', 20);
  assert.deepEqual([...m.keys()], ['c', 'a', 'b']);
  assert.equal(m.peek('c'), 3);
  assert.equal(m.has('c'), true);
  assert.deepEqual([...m.keys()], ['c', 'a', 'b']);
  assert.equal(m.get('missing'), undefined);
  assert.equal(m.peek('missing'), undefined);
  assert.equal(m.has('missing'), false);
});

test('moveToEnd works in both orders and reports absence', () => {
  for (const order of ['insertion', 'access'] as const) {
    const m = new LinkedHashMap<number, string>({ order });
    m.set(1, 'x').set(2, 'y').set(3, 'z');
    assert.equal(m.moveToEnd(1), true);
    assert.equal(m.moveToEnd(1), true, 'already newest');
    assert.equal(m.moveToEnd(9), false);
    assert.deepEqual([...m.keys()], [2, 3, 1], order);
  }
});

test('removeEldest, eldestKey and newestKey; empty map answers undefined', () => {
  const m = new LinkedHashMap<string, number>({ order: 'access' });
  assert.equal(m.eldest(), undefined);
  assert.equal(m.newest(), undefined);
  assert.equal(m.eldestKey(), undefined);
  assert.equal(m.newestKey(), undefined);
  assert.equal(m.removeEldest(), undefined);
  m.set('a', 1).set('b', 2).set('c', 3);
  m.get('a');
  assert.equal(m.eldestKey(), 'b');
  assert.equal(m.newestKey(), 'a');
  assert.deepEqual(m.removeEldest(), ['b', 2]);
  assert.deepEqual(m.removeEldest(), ['c', 3]);
  assert.equal(m.size, 1);
  assert.deepEqual(m.removeEldest(), ['a', 1]);
  assert.equal(m.size, 0);
  assert.equal(m.removeEldest(), undefined);
});

test('delete unlinks from the middle, both ends and the only entry', () => {
  const m = new LinkedHashMap<number, number>();
  for (let i = 0; i < 5; i++) m.set(i, i * i);
  assert.equal(m.delete(2), true);
  assert.equal(m.delete(2), false);
  assert.equal(m.delete(0), true);
  assert.equal(m.delete(4), true);
  assert.deepEqual([...m], [[1, 1], [3, 9]]);
  assert.deepEqual([...m.entries({ reverse: true })], [[3, 9], [1, 1]]);
  m.delete(1);
  m.delete(3);
  assert.equal(m.size, 0);
  assert.deepEqual([...m], []);
  m.set(7, 49);
  assert.deepEqual([...m], [[7, 49]]);
});

test('iteration in both directions: entries, keys, values, forEach', () => {
  const m = new LinkedHashMap<string, number>();
  m.set('x', 1).set('y', 2).set('z', 3);
  assert.deepEqual([...m.entries()], [['x', 1], ['y', 2], ['z', 3]]);
  assert.deepEqual([...m.keys({ reverse: true })], ['z', 'y', 'x']);
  assert.deepEqual([...m.values()], [1, 2, 3]);
  assert.deepEqual([...m.values({ reverse: true })], [3, 2, 1]);
  const seen: string[] = [];
  m.forEach((v, k, map) => {
    assert.equal(map, m);
    seen.push(`${k}=${v}`);
  });
  assert.deepEqual(seen, ['x=1', 'y=2', 'z=3']);
  assert.deepEqual(new Map(m), new Map([['x', 1], ['y', 2], ['z', 3]]));
  assert.throws(() => m.forEach(5 as never), (e: any) => e instanceof TypeError && (e as InvalidArgumentError).code === ErrorCode.INVALID_ARG);
});

test('deleting or moving the visited entry during iteration is safe and terminates', () => {
  const m = new LinkedHashMap<number, number>({ order: 'access' });
  for (let i = 0; i < 6; i++) m.set(i, i);
  const visited: number[] = [];
  for (const k of m.keys()) {
    visited.push(k);
    if (k % 2 === 0) m.delete(k);
    else m.get(k); // moves k to the end
  }
  assert.deepEqual(visited, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...m.keys()], [1, 3, 5]);
  // Deleting the *next* entry ends the walk early instead of following a freed slot.
  const seen: number[] = [];
  for (const k of m.keys()) {
    seen.push(k);
    if (k === 1) m.delete(3);
  }
  assert.deepEqual(seen, [1]);
  const afterClear: number[] = [];
  for (const k of m.keys()) {
    afterClear.push(k);
    m.clear();
  }
  assert.deepEqual(afterClear, [1]);
});

test('capacity grows by doubling; clear keeps it; freed slots are reused', () => {
  const m = new LinkedHashMap<number, string>({ initialCapacity: 2 });
  assert.equal(m.capacity, 2);
  for (let i = 0; i < 100; i++) m.set(i, String(i));
  assert.equal(m.capacity, 128);
  assert.equal(m.size, 100);
  assert.deepEqual([...m.keys()], Array.from({ length: 100 }, (_, i) => i));
  // An LRU at its bound: evict one, insert one, forever; capacity stays put.
  for (let i = 100; i < 10_000; i++) {
    m.removeEldest();
    m.set(i, String(i));
  }
  assert.equal(m.capacity, 128);
  assert.equal(m.eldestKey(), 9900);
  m.clear();
  assert.equal(m.size, 0);
  assert.equal(m.capacity, 128);
  assert.deepEqual([...m], []);
  m.set(1, 'one');
  assert.deepEqual([...m], [[1, 'one']]);
});

test('keys follow SameValueZero like Map (NaN, -0, objects)', () => {
  const m = new LinkedHashMap<unknown, number>();
  const obj = {};
  m.set(NaN, 1).set(-0, 2).set(obj, 3);
  assert.equal(m.get(NaN), 1);
  assert.equal(m.get(0), 2);
  assert.equal(m.get(obj), 3);
  assert.equal(m.get({}), undefined);
});

for (const bad of [0, -1, 2.5, 2 ** 31, NaN]) {
  test(`initialCapacity ${String(bad)} throws a RangeError naming the option and the rule`, () => {
    assert.throws(
      () => new LinkedHashMap({ initialCapacity: bad as number }),
      (e: any) => e instanceof RangeError && (e as OutOfRangeError).code === ErrorCode.OUT_OF_RANGE && /LinkedHashMap initialCapacity .* must be an integer from 1 to 2\^24/.test(e.message),
    );
  });
}

test('a bad order or options throw a typed TypeError naming the value', () => {
  assert.throws(() => new LinkedHashMap({ order: 'lru' as never }), (e: any) => e instanceof TypeError && (e as InvalidArgumentError).code === ErrorCode.INVALID_ARG && /order must be "insertion" or "access", got "lru"/.test(e.message));
  assert.throws(() => new LinkedHashMap(null as never), (e: any) => e instanceof TypeError && /options must be an object, got null/.test(e.message));
});

for (const order of ['insertion', 'access'] as const) {
  test(`matches an array-of-pairs model in ${order} order (property)`, () => {
    const key = fc.integer({ min: 0, max: 12 });
    const often = <T,>(arbitrary: fc.Arbitrary<T>) => ({ arbitrary, weight: 6 });
    const op = fc.oneof(
      often(fc.record({ kind: fc.constant('set' as const), k: key, v: fc.integer() })),
      often(fc.record({ kind: fc.constant('get' as const), k: key })),
      often(fc.record({ kind: fc.constant('peek' as const), k: key })),
      often(fc.record({ kind: fc.constant('has' as const), k: key })),
      often(fc.record({ kind: fc.constant('delete' as const), k: key })),
      often(fc.record({ kind: fc.constant('moveToEnd' as const), k: key })),
      often(fc.record({ kind: fc.constant('removeEldest' as const) })),
      { arbitrary: fc.record({ kind: fc.constant('clear' as const) }), weight: 1 },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 1, max: 4 }), (ops, cap) => {
        const m = new LinkedHashMap<number, number>({ order, initialCapacity: cap });
        let model: [number, number][] = [];
        const find = (k: number): number => model.findIndex(([mk]) => mk === k);
        const toEnd = (i: number): void => {
          const [e] = model.splice(i, 1);
          model.push(e!);
        };
        for (const o of ops) {
          switch (o.kind) {
            case 'set': {
              const i = find(o.k);
              if (i < 0) model.push([o.k, o.v]);
              else {
                model[i] = [o.k, o.v];
                if (order === 'access') toEnd(i);
              }
              if (m.set(o.k, o.v) !== m) return false;
              break;
            }
            case 'get': {
              const i = find(o.k);
              const expected = i < 0 ? undefined : model[i]![1];
              if (i >= 0 && order === 'access') toEnd(i);
              if (m.get(o.k) !== expected) return false;
              break;
            }
            case 'peek': {
              const i = find(o.k);
              if (m.peek(o.k) !== (i < 0 ? undefined : model[i]![1])) return false;
              break;
            }
            case 'has':
              if (m.has(o.k) !== find(o.k) >= 0) return false;
              break;
            case 'delete': {
              const i = find(o.k);
              if (i >= 0) model.splice(i, 1);
              if (m.delete(o.k) !== i >= 0) return false;
              break;
            }
            case 'moveToEnd': {
              const i = find(o.k);
              if (i >= 0) toEnd(i);
              if (m.moveToEnd(o.k) !== i >= 0) return false;
              break;
            }
            case 'removeEldest': {
              const expected = model.shift();
              if (JSON.stringify(m.removeEldest()) !== JSON.stringify(expected)) return false;
              break;
            }
            case 'clear':
              model = [];
              m.clear();
              break;
          }
          if (m.size !== model.length) return false;
          if (JSON.stringify(m.eldest()) !== JSON.stringify(model[0])) return false;
          if (JSON.stringify(m.newest()) !== JSON.stringify(model[model.length - 1])) return false;
        }
        return (
          JSON.stringify([...m.entries()]) === JSON.stringify(model) &&
          JSON.stringify([...m.entries({ reverse: true })]) === JSON.stringify([...model].reverse()) &&
          JSON.stringify([...m.values()]) === JSON.stringify(model.map(([, v]) => v))
        );
      }),
      { seed: order === 'access' ? 3004 : 3005, numRuns: 300 },
    );
  });
}

// Issue 11 §4: initialCapacity 2^28 was documented as valid and aborted the process (V8 fatal error) after 20 s.
test('initialCapacity is bounded by what V8 can hold (2^24, the Map limit): larger values are refused at once, typed', () => {
  for (const cap of [2 ** 28, 2 ** 30, 2 ** 24 + 1]) {
    assert.throws(
      () => new LinkedHashMap({ initialCapacity: cap }),
      (e: Error & { code?: string }) => e instanceof OutOfRangeError && e.code === ErrorCode.OUT_OF_RANGE && /LinkedHashMap initialCapacity .* must be an integer from 1 to 2\^24/.test(e.message),
    );
  }
  assert.throws(() => new LinkedHashMap({ initialCapacity: '5' as unknown as number }), InvalidArgumentError);
  assert.throws(() => new LinkedHashMap(null as unknown as object), InvalidArgumentError);
  const m = new LinkedHashMap<number, number>({ initialCapacity: 4 });
  m.set(1, 1);
  assert.equal(m.get(1), 1);
});

test('iteration options refuse a non-boolean reverse and a null options object, at the call', () => {
  const m = new LinkedHashMap<number, number>().set(1, 1).set(2, 2);
  assert.throws(() => m.keys({ reverse: 1 as unknown as boolean }), (e: Error) => e instanceof InvalidArgumentError && /LinkedHashMap iteration reverse/.test(e.message));
  assert.throws(() => m.entries(null as never), InvalidArgumentError);
  assert.deepEqual([...m.keys({ reverse: true })], [2, 1]);
});
