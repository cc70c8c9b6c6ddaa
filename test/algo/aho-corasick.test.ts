import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AhoCorasick, type AhoCorasickMatch } from '../../src/algo/aho-corasick.ts';
import { ErrorCode } from '../../src/errors.ts';

type Unit = string | Uint8Array;

/** Naive model: every (pattern, start) with the pattern at that start. */
function naive(text: Unit, patterns: readonly Unit[]): AhoCorasickMatch[] {
  const out: AhoCorasickMatch[] = [];
  for (let p = 0; p < patterns.length; p++) {
    const pat = patterns[p];
    for (let i = 0; i + pat.length <= text.length; i++) {
      let j = 0;
      while (j < pat.length && text[i + j] === pat[j]) j++;
      if (j === pat.length) out.push({ pattern: p, start: i, end: i + pat.length });
    }
  }
  return sorted(out);
}

function sorted(ms: AhoCorasickMatch[]): AhoCorasickMatch[] {
  return [...ms].sort((a, b) => a.end - b.end || a.start - b.start || a.pattern - b.pattern);
}

function isEndOrdered(ms: readonly AhoCorasickMatch[]): boolean {
  for (let i = 1; i < ms.length; i++) if (ms[i].end < ms[i - 1].end) return false;
  return true;
}

test('the classic example: he, she, hers in "ushers"', () => {
  const ac = new AhoCorasick(['he', 'she', 'hers', 'his']);
  assert.deepEqual(ac.findAll('ushers'), [
    { pattern: 1, start: 1, end: 4 },
    { pattern: 0, start: 2, end: 4 },
    { pattern: 2, start: 2, end: 6 },
  ]);
  assert.equal(ac.count('ushers'), 3);
  assert.equal(ac.patternCount, 4);
  assert.equal(ac.patternLength(2), 4);
});

test('duplicate patterns are each reported, in pattern order', () => {
  const ac = new AhoCorasick(['ab', 'b', 'ab']);
  assert.deepEqual(ac.findAll('xab'), [
    { pattern: 0, start: 1, end: 3 },
    { pattern: 2, start: 1, end: 3 },
    { pattern: 1, start: 2, end: 3 },
  ]);
  assert.equal(new AhoCorasick(['a', 'aa']).count('aaa'), 5);
});

test('bytes: Buffer and Uint8Array patterns and texts', () => {
  const ac = new AhoCorasick([Buffer.from('ab'), new Uint8Array([0xff, 0])]);
  assert.equal(ac.isBytes, true);
  const text = new Uint8Array([0x61, 0x62, 0xff, 0, 0x61, 0x62]);
  assert.deepEqual(ac.findAll(text), [
    { pattern: 0, start: 0, end: 2 },
    { pattern: 1, start: 2, end: 4 },
    { pattern: 0, start: 4, end: 6 },
  ]);
  assert.equal(ac.count(text.subarray(1)), 2);
});

test('code units outside every pattern and non-ASCII patterns', () => {
  const ac = new AhoCorasick(['😀', 'é', 'Āx']);
  const text = 'zz😀 é ĀĀx';
  assert.deepEqual(ac.findAll(text), naive(text, ['😀', 'é', 'Āx']));
});

test('forEachMatch calls back with pattern, start and end', () => {
  const ac = new AhoCorasick(['cat', 'at']);
  const seen: number[][] = [];
  const n = ac.forEachMatch('concatenate', (p, start, end) => seen.push([p, start, end]));
  assert.equal(n, 3);
  assert.deepEqual(seen, [[0, 3, 6], [1, 4, 6], [1, 8, 10]]);
});

const patternSet = (alphabet: string[]) =>
  fc.array(fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 6 }).map((a) => a.join('')), { minLength: 1, maxLength: 12 });
const textOf = (alphabet: string[]) => fc.array(fc.constantFrom(...alphabet), { maxLength: 300 }).map((a) => a.join(''));

for (const sparse of [false, true]) {
  test(`findAll, count and forEachMatch equal the naive search (${sparse ? 'sparse' : 'dense'}, property)`, () => {
    fc.assert(
      fc.property(patternSet(['a', 'b', 'c']), textOf(['a', 'b', 'c', 'd']), (patterns, text) => {
        const ac = new AhoCorasick(patterns, { sparse });
        assert.equal(ac.isDense, !sparse);
        const expected = naive(text, patterns);
        const got = ac.findAll(text);
        assert.ok(isEndOrdered(got));
        assert.deepEqual(sorted(got), expected);
        assert.equal(ac.count(text), expected.length);
        const viaCallback: AhoCorasickMatch[] = [];
        ac.forEachMatch(text, (pattern, start, end) => viaCallback.push({ pattern, start, end }));
        assert.deepEqual(viaCallback, got);
        // The same over bytes.
        const acBytes = new AhoCorasick(patterns.map((p) => Buffer.from(p, 'latin1')), { sparse });
        assert.deepEqual(acBytes.findAll(Buffer.from(text, 'latin1')), got);
        assert.equal(acBytes.count(Buffer.from(text, 'latin1')), expected.length);
        return true;
      }),
      { seed: sparse ? 4002 : 4001, numRuns: 300 },
    );
  });
}

test('hundreds of patterns over a small alphabet equal the naive search, dense and sparse', () => {
  let seed = 12345;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 8;
  };
  const word = (len: number): string => Array.from({ length: len }, () => 'abcd'[next() % 4]).join('');
  const patterns = Array.from({ length: 300 }, () => word(1 + (next() % 7)));
  const text = word(5000);
  const expected = naive(text, patterns);
  for (const sparse of [false, true]) {
    const ac = new AhoCorasick(patterns, { sparse });
    assert.deepEqual(sorted(ac.findAll(text)), expected, sparse ? 'sparse' : 'dense');
    assert.equal(ac.count(text), expected.length);
  }
});

test('chunked feeding at random boundaries equals whole-text results (property)', () => {
  fc.assert(
    fc.property(
      patternSet(['a', 'b']),
      textOf(['a', 'b', 'c']),
      fc.array(fc.nat(300), { maxLength: 10 }),
      fc.boolean(),
      (patterns, text, cutsRaw, asBytes) => {
        const cuts = [...new Set(cutsRaw.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const bounds = [0, ...cuts, text.length];
        const ac = asBytes ? new AhoCorasick(patterns.map((p) => Buffer.from(p, 'latin1'))) : new AhoCorasick(patterns);
        const whole: Unit = asBytes ? Buffer.from(text, 'latin1') : text;
        const stream = ac.createStream();
        const streamAll = ac.createStream();
        const viaFeed: AhoCorasickMatch[] = [];
        const viaFeedAll: AhoCorasickMatch[] = [];
        let counted = 0;
        for (let i = 0; i + 1 < bounds.length; i++) {
          const chunk = whole.slice(bounds[i], bounds[i + 1]);
          counted += stream.feed(chunk, (pattern, start, end) => viaFeed.push({ pattern, start, end }));
          viaFeedAll.push(...streamAll.feedAll(chunk));
        }
        const expected = ac.findAll(whole);
        assert.deepEqual(viaFeed, expected);
        assert.deepEqual(viaFeedAll, expected);
        assert.equal(counted, expected.length);
        assert.equal(stream.position, text.length);
        return true;
      },
    ),
    { seed: 4003, numRuns: 300 },
  );
});

test('a stream without a callback counts; reset starts over at offset 0', () => {
  const ac = new AhoCorasick(['needle']);
  const stream = ac.createStream();
  assert.equal(stream.feed('hay nee'), 0);
  assert.equal(stream.feed('dle hay'), 1);
  assert.equal(stream.position, 14);
  stream.reset();
  assert.equal(stream.position, 0);
  assert.deepEqual(stream.feedAll('dle needle'), [{ pattern: 0, start: 4, end: 10 }]);
});

test('bad arguments throw typed errors that name the parameter', () => {
  const ac = new AhoCorasick(['a']);
  const cases: [() => unknown, string, RegExp][] = [
    [() => new AhoCorasick([]), ErrorCode.OUT_OF_RANGE, /AhoCorasick patterns count \(0\) must be at least 1/],
    [() => new AhoCorasick('abc' as unknown as string[]), ErrorCode.INVALID_ARG, /AhoCorasick patterns must be an array/],
    [() => new AhoCorasick(['a', '']), ErrorCode.OUT_OF_RANGE, /AhoCorasick patterns\[1\] length \(0\) must be at least 1/],
    [() => new AhoCorasick(['a', Buffer.from('b')]), ErrorCode.INVALID_ARG, /AhoCorasick patterns\[1\] must be a string like patterns\[0\]/],
    [() => new AhoCorasick(['a'], { sparse: 1 as unknown as boolean }), ErrorCode.INVALID_ARG, /option sparse must be a boolean, got 1/],
    [() => ac.count(Buffer.from('a')), ErrorCode.INVALID_ARG, /AhoCorasick count text must be a string \(patterns are strings\)/],
    [() => ac.forEachMatch('a', null as unknown as () => void), ErrorCode.INVALID_ARG, /forEachMatch onMatch must be a function, got null/],
    [() => ac.patternLength(1), ErrorCode.OUT_OF_RANGE, /patternLength pattern \(1\) must be an integer from 0 to 0/],
    [() => ac.createStream().feed(5 as unknown as string), ErrorCode.INVALID_ARG, /AhoCorasick feed text must be a string/],
  ];
  for (const [fn, code, message] of cases) {
    assert.throws(fn, (err: unknown) => (err as { code?: string }).code === code && message.test((err as Error).message), String(message));
  }
});

test('a first pattern that is neither a string nor bytes is named in the error', () => {
  assert.throws(
    () => new AhoCorasick([3 as unknown as string]),
    (err: unknown) => (err as { code?: string }).code === ErrorCode.INVALID_ARG && /patterns\[0\] must be a string or a Uint8Array, got 3/.test((err as Error).message),
  );
});
