import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BinaryHeap, defaultHeapCompare, type HeapComparator } from '../../src/struct/binary-heap.ts';
import { ErrorCode, InvalidArgumentError } from '../../src/errors.ts';

const byNumber: HeapComparator<number> = (a, b) => a - b;

function drain<T>(h: BinaryHeap<T>): T[] {
  const out: T[] = [];
  while (h.size > 0) out.push(h.pop() as T);
  return out;
}

/** Heap order checked through the public API only: draining a copy comes out sorted, same multiset. */
function assertValidHeap(h: BinaryHeap<number>, expected: number[]): void {
  const copy = BinaryHeap.from([...h], byNumber);
  assert.deepEqual(drain(copy), [...expected].sort(byNumber));
  // The internal order must itself be a heap: each peek equals the minimum.
  const inner = [...h];
  assert.equal(h.peek(), inner.length === 0 ? undefined : Math.min(...inner));
}

test('pops in comparator order (min-heap by default)', () => {
  const h = new BinaryHeap<number>();
  for (const v of [5, 3, 8, 1, 9, 2]) h.push(v);
  assert.equal(h.size, 6);
  assert.equal(h.peek(), 1);
  assert.deepEqual(drain(h), [1, 2, 3, 5, 8, 9]);
  assert.equal(h.pop(), undefined);
  assert.equal(h.peek(), undefined);
});

test('a reversed comparator makes a max-heap; strings use the default order', () => {
  const max = new BinaryHeap<number>((a, b) => b - a, [1, 7, 3]);
  assert.deepEqual(drain(max), [7, 3, 1]);
  const words = BinaryHeap.from(['pear', 'apple', 'fig']);
  assert.deepEqual(drain(words), ['apple', 'fig', 'pear']);
  assert.equal(defaultHeapCompare(1, 2), -1);
  assert.equal(defaultHeapCompare('b', 'a'), 1);
  assert.equal(defaultHeapCompare(3, 3), 0);
});

test('objects ordered by a field', () => {
  type Job = { id: number; deadline: number };
  const h = new BinaryHeap<Job>((a, b) => a.deadline - b.deadline);
  h.push({ id: 1, deadline: 30 });
  h.push({ id: 2, deadline: 10 });
  h.push({ id: 3, deadline: 20 });
  assert.deepEqual(drain(h).map((j) => j.id), [2, 3, 1]);
});

test('heapify copies its input and leaves it untouched', () => {
  const input = [9, 4, 7, 1, 8, 2];
  const h = BinaryHeap.from(input, byNumber);
  assert.deepEqual(input, [9, 4, 7, 1, 8, 2]);
  h.push(0);
  assert.deepEqual(input, [9, 4, 7, 1, 8, 2]);
  assert.deepEqual(drain(h), [0, 1, 2, 4, 7, 8, 9]);
  assert.deepEqual(drain(new BinaryHeap(byNumber, new Set([3, 1, 2]))), [1, 2, 3]);
});

test('replace, pushPop, clear, toSortedArray and non-consuming iteration', () => {
  const h = new BinaryHeap<number>(byNumber);
  assert.equal(h.replace(5), undefined);
  assert.equal(h.size, 1);
  assert.equal(h.pushPop(3), 3, 'smaller than the top comes straight back');
  assert.equal(h.pushPop(7), 5);
  assert.deepEqual([...h], [7]);
  h.push(1);
  h.push(4);
  assert.equal(h.replace(6), 1);
  assert.deepEqual(h.toSortedArray(), [4, 6, 7]);
  assert.equal(h.size, 3);
  assert.deepEqual([...h].sort(byNumber), [4, 6, 7]);
  h.clear();
  assert.equal(h.size, 0);
  assert.equal(new BinaryHeap<number>().pushPop(1), 1);
});

test('invalid comparator or initial values throw a typed TypeError', () => {
  assert.throws(() => new BinaryHeap(42 as unknown as HeapComparator<number>), (e: Error & { code?: string }) => e instanceof TypeError && (e as InvalidArgumentError).code === ErrorCode.INVALID_ARG && /BinaryHeap compare must be a function, got 42/.test(e.message));
  assert.throws(() => new BinaryHeap(byNumber, 5 as unknown as number[]), (e: Error & { code?: string }) => e instanceof TypeError && /initial values must be an iterable object .*, got 5/.test(e.message));
  assert.throws(() => new BinaryHeap(byNumber, null as unknown as number[]), (e: Error & { code?: string }) => e instanceof TypeError && /got null/.test(e.message));
});

for (const op of ['push', 'pop', 'replace', 'pushPop'] as const) {
  test(`a throwing comparator during ${op} propagates and leaves a valid heap with the same elements`, () => {
    let armed = false;
    let calls = 0;
    let failAt = 0;
    const boom = new Error('comparator failed');
    const cmp: HeapComparator<number> = (a, b) => {
      if (armed && ++calls === failAt) throw boom;
      return a - b;
    };
    const start = [15, 3, 9, 1, 12, 7, 20, 5, 11, 2, 18, 6, 14, 0, 8];
    // Fail at every possible comparator call of the operation in turn.
    for (failAt = 1; failAt <= 12; failAt++) {
      const h = BinaryHeap.from(start, cmp);
      armed = true;
      calls = 0;
      let threw = false;
      try {
        if (op === 'push') h.push(-1);
        else if (op === 'pop') h.pop();
        else if (op === 'replace') h.replace(10);
        else h.pushPop(10);
      } catch (e) {
        assert.equal(e, boom);
        threw = true;
      }
      armed = false;
      if (threw) assertValidHeap(h, start);
    }
  });
}

test('matches a sorted-array model under random operations (property)', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('push' as const), v: fc.integer({ min: -100, max: 100 }) }),
    fc.record({ kind: fc.constant('pop' as const) }),
    fc.record({ kind: fc.constant('replace' as const), v: fc.integer({ min: -100, max: 100 }) }),
    fc.record({ kind: fc.constant('pushPop' as const), v: fc.integer({ min: -100, max: 100 }) }),
    fc.record({ kind: fc.constant('peek' as const) }),
  );
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -100, max: 100 }), { maxLength: 40 }), fc.array(op, { maxLength: 200 }), (initial, ops) => {
      const h = BinaryHeap.from(initial, byNumber);
      const model = [...initial].sort(byNumber);
      const insert = (v: number): void => {
        let i = 0;
        while (i < model.length && model[i]! <= v) i++;
        model.splice(i, 0, v);
      };
      for (const o of ops) {
        if (o.kind === 'push') {
          h.push(o.v);
          insert(o.v);
        } else if (o.kind === 'pop') {
          if (h.pop() !== model.shift()) return false;
        } else if (o.kind === 'replace') {
          if (h.replace(o.v) !== model.shift()) return false;
          insert(o.v);
        } else if (o.kind === 'pushPop') {
          insert(o.v);
          if (h.pushPop(o.v) !== model.shift()) return false;
        } else if (h.peek() !== model[0]) {
          return false;
        }
        if (h.size !== model.length) return false;
      }
      return JSON.stringify(drain(h)) === JSON.stringify(model);
    }),
    { seed: 3002, numRuns: 300 },
  );
});

test('a comparator that throws at random calls never corrupts the heap (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 60 }), fc.integer({ min: 2, max: 9 }), (initial, pushes, every) => {
      let calls = 0;
      let armed = false;
      const cmp: HeapComparator<number> = (a, b) => {
        if (armed && ++calls % every === 0) throw new Error('flaky');
        return a - b;
      };
      const h = BinaryHeap.from(initial, cmp);
      const model = [...initial];
      armed = true;
      for (const v of pushes) {
        try {
          if (v % 3 === 0) {
            const got = h.pop();
            if (got !== (model.length === 0 ? undefined : Math.min(...model))) return false;
            if (got !== undefined) model.splice(model.indexOf(got), 1);
          } else {
            h.push(v);
            model.push(v);
          }
        } catch {
          // expected: the operation had no effect
        }
      }
      armed = false;
      return JSON.stringify(drain(h)) === JSON.stringify(model.sort(byNumber));
    }),
    { seed: 3003, numRuns: 300 },
  );
});

// Issue 11 §4: the default order threw V8's "Cannot convert a Symbol value to a number"; a symbol pushed
// onto an empty heap was stored unchecked and broke every later pop; a string was heapified as characters.
test('the default order refuses values it cannot compare with a typed error, before storing them', () => {
  assert.throws(() => defaultHeapCompare<unknown>(Symbol('x'), 'a'), (e: Error & { code?: string }) => e instanceof TypeError && e.code === ErrorCode.INVALID_ARG && /BinaryHeap defaultHeapCompare cannot order a symbol/.test(e.message));
  const h = new BinaryHeap<unknown>();
  assert.throws(() => h.push(Symbol('x')), (e: Error & { code?: string }) => e.code === ErrorCode.INVALID_ARG);
  assert.throws(() => h.replace(Object.create(null)), (e: Error & { code?: string }) => e.code === ErrorCode.INVALID_ARG);
  assert.equal(h.size, 0);
  h.push(2);
  h.push(1);
  assert.throws(() => h.push(Symbol('y')), (e: Error & { code?: string }) => e.code === ErrorCode.INVALID_ARG);
  assert.deepEqual([h.pop(), h.pop(), h.size], [1, 2, 0]);
  assert.throws(() => new BinaryHeap(undefined, 'abc' as unknown as number[]), (e: Error & { code?: string }) => e.code === ErrorCode.INVALID_ARG && /not a string/.test(e.message));
});
