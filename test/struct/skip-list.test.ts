import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SkipList } from '../../src/struct/skip-list.ts';
import { ConcurrentModificationError, StructErrorCode } from '../../src/struct/errors.ts';
import { ErrorCode } from '../../src/errors.ts';

/** The naive model: entries sorted by key. */
class Model {
  entries: [number, number][] = [];
  set(k: number, v: number): void {
    const e = this.entries.find((x) => x[0] === k);
    if (e) e[1] = v;
    else {
      this.entries.push([k, v]);
      this.entries.sort((a, b) => a[0] - b[0]);
    }
  }
  delete(k: number): boolean {
    const i = this.entries.findIndex((x) => x[0] === k);
    if (i < 0) return false;
    this.entries.splice(i, 1);
    return true;
  }
  get(k: number): number | undefined {
    return this.entries.find((x) => x[0] === k)?.[1];
  }
  range(lo: number | undefined, hi: number | undefined): [number, number][] {
    return this.entries.filter((e) => (lo === undefined || e[0] >= lo) && (hi === undefined || e[0] < hi));
  }
}

const isCode = (code: string) => (e: unknown) => (e as { code?: string }).code === code;

test('usage: set, get, has, delete, size, min, max, bounds', () => {
  const s = new SkipList<number, string>({ seed: 1 });
  assert.equal(s.min(), undefined);
  assert.equal(s.max(), undefined);
  s.set(30, 'c').set(10, 'a').set(20, 'b');
  assert.equal(s.size, 3);
  assert.equal(s.get(20), 'b');
  assert.equal(s.get(25), undefined);
  assert.equal(s.has(10), true);
  assert.equal(s.min(), 10);
  assert.equal(s.max(), 30);
  assert.equal(s.lowerBound(11), 20);
  assert.equal(s.lowerBound(20), 20);
  assert.equal(s.upperBound(20), 30);
  assert.equal(s.upperBound(30), undefined);
  s.set(20, 'B');
  assert.equal(s.size, 3);
  assert.deepEqual([...s], [[10, 'a'], [20, 'B'], [30, 'c']]);
  assert.deepEqual([...s.keys()], [10, 20, 30]);
  assert.deepEqual([...s.values()], ['a', 'B', 'c']);
  assert.deepEqual([...s.range(15, 30)], [[20, 'B']]);
  assert.equal(s.delete(20), true);
  assert.equal(s.delete(20), false);
  assert.deepEqual([...s.entries()], [[10, 'a'], [30, 'c']]);
  s.clear();
  assert.equal(s.size, 0);
  s.checkValid();
});

test('the same seed gives the same shape; the levels grow like log4(n)', () => {
  const trace = (seed: number): number[] => {
    const s = new SkipList<number, number>({ seed });
    const levels: number[] = [];
    for (let i = 0; i < 2000; i++) {
      s.set((i * 7919) % 4000, i);
      levels.push(s.levels);
    }
    s.checkValid();
    return levels;
  };
  assert.deepEqual(trace(42), trace(42));
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8].map(trace);
  assert.ok(seeds.some((t) => t.join() !== seeds[0]!.join()), 'different seeds give different shapes');
  for (const t of seeds) {
    // log4(2000) is about 5.5; a height far outside that means a broken generator.
    assert.ok(t[t.length - 1]! >= 4 && t[t.length - 1]! <= 12, `levels ${t[t.length - 1]}`);
  }
});

test('forEachRange visits [lo, hi), stops on false, counts visits', () => {
  const s = new SkipList<number, number>({ seed: 3 });
  for (let i = 0; i < 100; i++) s.set(i, i * 10);
  const seen: number[] = [];
  assert.equal(s.forEachRange(10, 15, (k) => { seen.push(k); }), 5);
  assert.deepEqual(seen, [10, 11, 12, 13, 14]);
  let n = 0;
  assert.equal(s.forEachRange(undefined, undefined, () => ++n < 4), 4);
  assert.equal(s.forEachRange(50, undefined, () => {}), 50);
  assert.throws(() => s.forEachRange(0, 1, 'x' as never), TypeError);
});

test('string keys and a custom comparator', () => {
  const s = new SkipList<string, number>({ seed: 5 });
  for (const w of ['pear', 'apple', 'fig']) s.set(w, w.length);
  assert.deepEqual([...s.keys()], ['apple', 'fig', 'pear']);
  const d = new SkipList<number, number>({ seed: 5, comparator: (a, b) => b - a });
  for (let i = 0; i < 10; i++) d.set(i, i);
  assert.deepEqual([...d.keys()], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  assert.deepEqual([...d.range(6, 3)].map((e) => e[0]), [6, 5, 4]);
  assert.equal(d.max(), 0);
  d.checkValid();
});

for (const [label, options, pattern] of [
  ['maxLevel 0', { maxLevel: 0 }, /SkipList maxLevel \(0\) must be an integer from 1 to 32/],
  ['maxLevel 33', { maxLevel: 33 }, /SkipList maxLevel \(33\) must be an integer from 1 to 32/],
  ['maxLevel 2.5', { maxLevel: 2.5 }, /SkipList maxLevel/],
  ['seed NaN', { seed: Number.NaN }, /SkipList seed \(NaN\) must be a finite number/],
  ['seed Infinity', { seed: Number.POSITIVE_INFINITY }, /SkipList seed/],
] as const) {
  test(`invalid option ${label} throws a RangeError naming the option and the rule`, () => {
    assert.throws(() => new SkipList(options as never), (e: unknown) => e instanceof RangeError && pattern.test(e.message) && isCode(ErrorCode.OUT_OF_RANGE)(e));
  });
}

test('a non-function comparator is a TypeError', () => {
  assert.throws(() => new SkipList({ comparator: {} as never }), (e: unknown) => e instanceof TypeError && /SkipList comparator/.test(e.message));
});

test('NaN keys are rejected with a typed RangeError; mixed kinds with a TypeError', () => {
  const s = new SkipList<number, number>({ seed: 9 });
  s.set(1, 1);
  for (const op of [() => s.set(Number.NaN, 1), () => s.get(Number.NaN), () => s.has(Number.NaN), () => s.delete(Number.NaN), () => s.lowerBound(Number.NaN), () => s.range(0, Number.NaN)]) {
    assert.throws(op, (e: unknown) => e instanceof RangeError && /NaN/.test(e.message) && isCode(ErrorCode.OUT_OF_RANGE)(e));
  }
  assert.throws(() => (s as unknown as SkipList<unknown, number>).set('x', 1), TypeError);
  const c = new SkipList<number, number>({ seed: 9, comparator: (a, b) => a - b });
  assert.throws(() => c.set(Number.NaN, 1), RangeError);
  assert.equal(s.size, 1);
});

test('a throwing comparator propagates and leaves the list valid and unchanged', () => {
  let armed = false;
  const boom = new Error('comparator failed');
  const s = new SkipList<number, number>({ seed: 11, comparator: (a, b) => { if (armed) throw boom; return a - b; } });
  for (let i = 0; i < 200; i += 2) s.set(i, i);
  const before = [...s];
  armed = true;
  for (const op of [() => s.set(51, 1), () => s.set(50, 9), () => s.delete(50), () => s.get(50), () => s.upperBound(3), () => s.forEachRange(0, 10, () => {})]) {
    assert.throws(op, (e: unknown) => e === boom);
  }
  armed = false;
  s.checkValid();
  assert.deepEqual([...s], before);
});

test('an iterator throws ConcurrentModificationError after the list changes shape', () => {
  const s = new SkipList<number, number>({ seed: 2 });
  for (let i = 0; i < 5; i++) s.set(i, i);
  const it = s.range();
  it.next();
  s.set(1, 100); // value update only
  assert.deepEqual(it.next().value, [1, 100]);
  s.delete(4);
  assert.throws(() => it.next(), (e: unknown) => e instanceof ConcurrentModificationError && isCode(StructErrorCode.CONCURRENT_MODIFICATION)(e));
});

type Op =
  | { op: 'set'; k: number; v: number }
  | { op: 'delete'; k: number }
  | { op: 'get'; k: number }
  | { op: 'range'; lo: number | undefined; hi: number | undefined; iterator: boolean }
  | { op: 'bound'; k: number; strict: boolean };

const key = fc.integer({ min: -40, max: 40 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), k: key, v: fc.integer() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('delete' as const), k: key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('get' as const), k: key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('range' as const), lo: fc.option(key, { nil: undefined }), hi: fc.option(key, { nil: undefined }), iterator: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('bound' as const), k: key, strict: fc.boolean() }) },
);

for (const [label, make] of [
  ['default order', (seed: number) => new SkipList<number, number>({ seed })],
  ['custom comparator, maxLevel 3', (seed: number) => new SkipList<number, number>({ seed, maxLevel: 3, comparator: (a: number, b: number) => a - b })],
] as const) {
  test(`random operations match the sorted-array model, ${label} (property)`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.array(opArb, { maxLength: 400, size: 'max' }), (seed, ops) => {
        const s = make(seed);
        const m = new Model();
        for (const o of ops) {
          if (o.op === 'set') {
            s.set(o.k, o.v);
            m.set(o.k, o.v);
          } else if (o.op === 'delete') {
            if (s.delete(o.k) !== m.delete(o.k)) return false;
          } else if (o.op === 'get') {
            if (s.get(o.k) !== m.get(o.k) || s.has(o.k) !== (m.get(o.k) !== undefined)) return false;
          } else if (o.op === 'range') {
            const want = m.range(o.lo, o.hi);
            const got: [number, number][] = [];
            if (o.iterator) got.push(...s.range(o.lo, o.hi));
            else if (s.forEachRange(o.lo, o.hi, (k, v) => { got.push([k, v]); }) !== want.length) return false;
            assert.deepEqual(got, want);
          } else {
            const want = m.entries.find((e) => (o.strict ? e[0] > o.k : e[0] >= o.k))?.[0];
            if ((o.strict ? s.upperBound(o.k) : s.lowerBound(o.k)) !== want) return false;
          }
          if (s.size !== m.entries.length) return false;
        }
        s.checkValid();
        assert.deepEqual([...s], m.entries);
        return s.min() === m.entries[0]?.[0] && s.max() === m.entries[m.entries.length - 1]?.[0];
      }),
      { seed: 4242, numRuns: 150 },
    );
  });
}
