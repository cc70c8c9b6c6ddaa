import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NATIVE_MAX_NEEDLE, Searcher, indexOf, indexOfAll } from '../../src/algo/search.ts';
import { ErrorCode } from '../../src/errors.ts';

/** Naive model: every start offset >= from where the needle matches. */
function naiveAll(h: string, n: string, from = 0): number[] {
  const out: number[] = [];
  for (let i = from; i + n.length <= h.length; i++) if (h.startsWith(n, i)) out.push(i);
  return out;
}

function naiveFirst(h: string, n: string, from = 0): number {
  return naiveAll(h, n, from)[0] ?? -1;
}

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

test('finds the first occurrence like String.prototype.indexOf', () => {
  assert.equal(indexOf('haystack with a needle', 'needle'), 16);
  assert.equal(indexOf('abcabc', 'c', 3), 5);
  assert.equal(indexOf('abc', 'd'), -1);
  assert.equal(indexOf('abc', 'abcd'), -1);
  assert.equal(indexOf('abc', 'a', 10), -1);
});

test('an empty needle matches at min(from, length), as natively', () => {
  for (const from of [0, 2, 3, 10]) {
    assert.equal(indexOf('abc', '', from), 'abc'.indexOf('', from), `string from ${from}`);
    assert.equal(indexOf(bytes('abc'), new Uint8Array(0), from), Math.min(from, 3), `bytes from ${from}`);
  }
});

test('searches bytes: Buffer, plain Uint8Array views and UTF-8 string needles', () => {
  const buf = Buffer.from('héllo wörld', 'utf8');
  assert.equal(indexOf(buf, 'wörld'), buf.indexOf('wörld'));
  const arr = new Uint8Array([9, 9, 1, 2, 3, 1, 2, 3]);
  const view = arr.subarray(2);
  assert.equal(indexOf(view, new Uint8Array([1, 2, 3]), 1), 3);
  assert.deepEqual(indexOfAll(view, new Uint8Array([1, 2, 3])), [0, 3]);
  assert.equal(indexOf(view, new Uint8Array([9])), -1, 'a view does not see bytes before its offset');
});

test('indexOfAll reports overlapping occurrences in order', () => {
  assert.deepEqual(indexOfAll('aaaa', 'aa'), [0, 1, 2]);
  assert.deepEqual(indexOfAll('abababa', 'aba', 1), [2, 4]);
  assert.deepEqual(indexOfAll(bytes('abababa'), 'aba'), [0, 2, 4]);
  assert.deepEqual(indexOfAll('abc', 'x'), []);
  assert.deepEqual(indexOfAll(bytes('abc'), 'a', 5), []);
});

test('dense short-needle matches (KMP fallback in indexOfAll) are all reported', () => {
  const h = 'a'.repeat(5000);
  assert.deepEqual(indexOfAll(h, 'a'.repeat(40)), naiveAll(h, 'a'.repeat(40)));
  assert.deepEqual(indexOfAll(bytes(h), 'a'.repeat(40)), naiveAll(h, 'a'.repeat(40)));
});

for (const m of [NATIVE_MAX_NEEDLE - 1, NATIVE_MAX_NEEDLE, NATIVE_MAX_NEEDLE + 1, 1001]) {
  test(`adversarial needle of length ${m}: correct with and without a match`, () => {
    const k = m >> 1;
    const needle = 'a'.repeat(k) + 'b' + 'a'.repeat(m - k - 1);
    const h = 'a'.repeat(20_000);
    assert.equal(indexOf(h, needle), -1);
    assert.equal(indexOf(bytes(h), bytes(needle)), -1);
    const h2 = h + needle + 'a'.repeat(m);
    assert.equal(indexOf(h2, needle), 20_000);
    assert.equal(indexOf(bytes(h2), bytes(needle)), 20_000);
    assert.equal(new Searcher(needle).indexOf(h2), 20_000);
    assert.equal(new Searcher(bytes(needle)).indexOf(bytes(h2)), 20_000);
    assert.deepEqual(indexOfAll(h2, needle), naiveAll(h2, needle));
    assert.deepEqual(new Searcher(needle).indexOfAll(h2, 19_000), naiveAll(h2, needle, 19_000));
  });
}

test('two-byte strings and surrogate pairs are searched by code unit', () => {
  const h = 'ab😀cd😀ĀĀā';
  for (const n of ['😀', '\ud83d', 'cd😀', 'Āā', 'ā']) {
    assert.equal(indexOf(h, n), h.indexOf(n), n);
    assert.deepEqual(indexOfAll(h, n), naiveAll(h, n), n);
  }
  const long = 'Ā'.repeat(300) + 'b';
  const h2 = 'Ā'.repeat(2000) + long;
  assert.equal(indexOf(h2, long), 2000);
});

// Random texts over a tiny alphabet make matches and near-misses common.
const smallText = (alphabet: string[], max: number) => fc.array(fc.constantFrom(...alphabet), { maxLength: max }).map((a) => a.join(''));

test('indexOf and indexOfAll equal the naive search (short needles, property)', () => {
  fc.assert(
    fc.property(smallText(['a', 'b'], 300), smallText(['a', 'b'], 8), fc.nat(320), (h, n, from) => {
      if (n.length === 0) return indexOf(h, n, from) === Math.min(from, h.length);
      const all = naiveAll(h, n, from);
      const hb = bytes(h);
      const nb = bytes(n);
      const s = new Searcher(n);
      const sb = new Searcher(nb);
      assert.equal(indexOf(h, n, from), all[0] ?? -1);
      assert.equal(indexOf(hb, nb, from), all[0] ?? -1);
      assert.equal(s.indexOf(h, from), all[0] ?? -1);
      assert.equal(sb.indexOf(hb, from), all[0] ?? -1);
      assert.deepEqual(indexOfAll(h, n, from), all);
      assert.deepEqual(indexOfAll(hb, nb, from), all);
      assert.deepEqual(s.indexOfAll(h, from), all);
      assert.deepEqual(sb.indexOfAll(hb, from), all);
      return true;
    }),
    { seed: 3001, numRuns: 400 },
  );
});

/** Long needles (past the native crossover) and haystacks built from copies and near-copies of them. */
const longCase = fc
  .record({
    needle: fc.array(fc.constantFrom('a', 'a', 'a', 'b'), { minLength: NATIVE_MAX_NEEDLE + 1, maxLength: 400 }).map((a) => a.join('')),
    pieces: fc.array(fc.record({ kind: fc.integer({ min: 0, max: 3 }), cut: fc.nat(), flip: fc.nat() }), { maxLength: 12 }),
    from: fc.nat(3000),
  })
  .map(({ needle, pieces, from }) => {
    let h = '';
    for (const p of pieces) {
      const cut = p.cut % needle.length;
      if (p.kind === 0) h += needle;
      else if (p.kind === 1) h += needle.slice(cut);
      else if (p.kind === 2) h += needle.slice(0, cut);
      else {
        const at = p.flip % needle.length;
        h += needle.slice(0, at) + (needle[at] === 'a' ? 'b' : 'a') + needle.slice(at + 1);
      }
    }
    return { needle, h, from };
  });

test('long needles equal the naive search on near-miss haystacks (property)', () => {
  fc.assert(
    fc.property(longCase, ({ needle, h, from }) => {
      const all = naiveAll(h, needle, from);
      const hb = bytes(h);
      const nb = bytes(needle);
      assert.equal(indexOf(h, needle, from), naiveFirst(h, needle, from));
      assert.equal(indexOf(hb, nb, from), all[0] ?? -1);
      assert.equal(new Searcher(needle).indexOf(h, from), all[0] ?? -1);
      assert.equal(new Searcher(nb).indexOf(hb, from), all[0] ?? -1);
      assert.deepEqual(indexOfAll(h, needle, from), all);
      assert.deepEqual(indexOfAll(hb, nb, from), all);
      assert.deepEqual(new Searcher(needle).indexOfAll(h, from), all);
      return true;
    }),
    { seed: 3002, numRuns: 200 },
  );
});

test('bad arguments throw typed errors that name the parameter', () => {
  const cases: [() => unknown, string, RegExp][] = [
    [() => indexOf('abc', 'a', -1), ErrorCode.OUT_OF_RANGE, /search indexOf from \(-1\) must be a non-negative integer/],
    [() => indexOf('abc', 'a', 1.5), ErrorCode.OUT_OF_RANGE, /from \(1.5\)/],
    [() => indexOf(42 as unknown as string, 'a'), ErrorCode.INVALID_ARG, /haystack must be a string or a Uint8Array, got 42/],
    [() => indexOf('abc', new Uint8Array(1) as unknown as string), ErrorCode.INVALID_ARG, /needle must be a string when the haystack is a string/],
    [() => indexOf(bytes('abc'), 7 as unknown as string), ErrorCode.INVALID_ARG, /needle must be a string or a Uint8Array, got 7/],
    [() => indexOfAll('abc', ''), ErrorCode.OUT_OF_RANGE, /search indexOfAll needle length \(0\) must be at least 1/],
    [() => new Searcher(''), ErrorCode.OUT_OF_RANGE, /Searcher needle length \(0\) must be at least 1/],
    [() => new Searcher(null as unknown as string), ErrorCode.INVALID_ARG, /Searcher needle must be a string or a Uint8Array, got null/],
    [() => new Searcher('ab').indexOf(bytes('ab')), ErrorCode.INVALID_ARG, /Searcher indexOf haystack must be a string for a string needle/],
    [() => new Searcher(bytes('ab')).indexOfAll('ab'), ErrorCode.INVALID_ARG, /Searcher indexOfAll haystack must be a Uint8Array for a byte needle/],
  ];
  for (const [fn, code, message] of cases) {
    assert.throws(fn, (err: unknown) => (err as { code?: string }).code === code && message.test((err as Error).message), String(message));
  }
  assert.throws(() => indexOf('abc', 'a', -1), RangeError);
  assert.throws(() => indexOf(42 as unknown as string, 'a'), TypeError);
});

test('Searcher exposes its needle', () => {
  const s = new Searcher('abc');
  assert.equal(s.needle, 'abc');
  assert.equal(s.length, 3);
  assert.equal(s.isBytes, false);
  assert.equal(new Searcher(bytes('ab')).isBytes, true);
});
