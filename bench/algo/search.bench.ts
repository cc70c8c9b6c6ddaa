// Substring search (indexOf, Searcher) against String.prototype.indexOf and
// Buffer.prototype.indexOf, and Aho-Corasick against one escaped RegExp
// alternation and indexOf per pattern. Every op searches a whole 1 MiB text.
// Text: seeded pseudo-English (3000 words of 2-10 letters drawn with English
// letter frequencies, separated by spaces and the odd punctuation). Setup
// checks that ours and every peer compute the same answer.
import { rng, suite } from '../harness.ts';
import { Searcher, indexOf } from '../../src/algo/search.ts';
import { AhoCorasick } from '../../src/algo/aho-corasick.ts';

const SIZE = 1 << 20;
const LETTERS = 'eeeeeeeeeeeetttttttttaaaaaaaaooooooooiiiiiiinnnnnnnsssssshhhhhhrrrrrrdddlllluuccmmwwffggyyppbbvkjxqz';

function makeText(seed: number): { text: string; words: string[] } {
  const random = rng(seed);
  const words: string[] = [];
  for (let w = 0; w < 3000; w++) {
    const len = 2 + Math.floor(random() * random() * 9);
    let word = '';
    for (let i = 0; i < len; i++) word += LETTERS[Math.floor(random() * LETTERS.length)];
    words.push(word);
  }
  const parts: string[] = [];
  let size = 0;
  while (size < SIZE) {
    // Zipf-like word choice: frequent words are short-listed.
    const word = words[Math.floor(words.length * random() ** 3)];
    const sep = random() < 0.08 ? (random() < 0.5 ? '. ' : ',\n') : ' ';
    parts.push(word, sep);
    size += word.length + sep.length;
  }
  return { text: parts.join('').slice(0, SIZE), words };
}

function check(what: string, ours: number, peer: number): void {
  if (ours !== peer) throw new Error(`${what}: ours ${ours} !== peer ${peer}`);
}

let text = '';
let textBuf = Buffer.alloc(0);
let needle = '';
let needleBuf = Buffer.alloc(0);
let searcher: Searcher;

function setupOrdinary(needleLength: number): void {
  text = makeText(20261127).text;
  textBuf = Buffer.from(text, 'latin1');
  // The needle is the text's tail, so every search scans the whole MiB.
  needle = text.slice(SIZE - needleLength);
  needleBuf = Buffer.from(needle, 'latin1');
  searcher = new Searcher(needle);
  check('string', indexOf(text, needle), text.indexOf(needle));
  check('Buffer', indexOf(textBuf, needleBuf), textBuf.indexOf(needleBuf));
}

function setupAdversarial(): void {
  text = 'a'.repeat(SIZE);
  textBuf = Buffer.from(text, 'latin1');
  needle = 'a'.repeat(500) + 'b' + 'a'.repeat(500);
  needleBuf = Buffer.from(needle, 'latin1');
  searcher = new Searcher(needle);
  check('string', indexOf(text, needle), text.indexOf(needle));
  check('Buffer', indexOf(textBuf, needleBuf), textBuf.indexOf(needleBuf));
}

const stringOurs = { name: 'blackhole indexOf', fn: (n: number) => { let x = 0; for (let i = 0; i < n; i++) x += indexOf(text, needle); return x; } };
const stringSearcher = { name: 'blackhole Searcher', fn: (n: number) => { let x = 0; for (let i = 0; i < n; i++) x += searcher.indexOf(text); return x; } };
const stringNative = { name: 'String.prototype.indexOf', fn: (n: number) => { let x = 0; for (let i = 0; i < n; i++) x += text.indexOf(needle); return x; } };
const bufOurs = { name: 'blackhole indexOf (Buffer)', fn: (n: number) => { let x = 0; for (let i = 0; i < n; i++) x += indexOf(textBuf, needleBuf); return x; } };
const bufNative = { name: 'Buffer.prototype.indexOf', fn: (n: number) => { let x = 0; for (let i = 0; i < n; i++) x += textBuf.indexOf(needleBuf); return x; } };

// Multi-pattern data.
let patterns: string[] = [];
let ac: AhoCorasick;
let alternation: RegExp;
let marks = new Uint8Array(0);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Ours: distinct start offsets at which some pattern occurs. */
function acStarts(): number {
  const m = marks;
  m.fill(0);
  let k = 0;
  ac.forEachMatch(text, (_p, start) => {
    if (m[start] === 0) {
      m[start] = 1;
      k++;
    }
  });
  return k;
}

/** Peer: a zero-width lookahead alternation matches exactly at those offsets. */
function regexStarts(): number {
  const re = alternation;
  re.lastIndex = 0;
  let k = 0;
  while (re.test(text)) {
    k++;
    re.lastIndex++;
  }
  return k;
}

/** Peer: native indexOf for each pattern, marking every occurrence's start. */
function indexOfStarts(): number {
  const m = marks;
  m.fill(0);
  let k = 0;
  for (const p of patterns) {
    for (let i = text.indexOf(p); i !== -1; i = text.indexOf(p, i + 1)) {
      if (m[i] === 0) {
        m[i] = 1;
        k++;
      }
    }
  }
  return k;
}

function indexOfCount(): number {
  let k = 0;
  for (const p of patterns) for (let i = text.indexOf(p); i !== -1; i = text.indexOf(p, i + 1)) k++;
  return k;
}

function setupMulti(): void {
  const made = makeText(20261127);
  text = made.text;
  const random = rng(7);
  const set = new Set<string>();
  // 700 words of the vocabulary (3+ letters, so most occur) and 300 random strings (most never occur).
  while (set.size < 700) {
    const w = made.words[Math.floor(random() * made.words.length)];
    if (w.length >= 3) set.add(w);
  }
  while (set.size < 1000) {
    let s = '';
    const len = 4 + Math.floor(random() * 9);
    for (let i = 0; i < len; i++) s += LETTERS[Math.floor(random() * LETTERS.length)];
    set.add(s);
  }
  patterns = [...set];
  ac = new AhoCorasick(patterns);
  alternation = new RegExp(`(?=${patterns.map(escapeRegExp).join('|')})`, 'g');
  marks = new Uint8Array(text.length);
  const starts = acStarts();
  check('starts vs RegExp', starts, regexStarts());
  check('starts vs indexOf', starts, indexOfStarts());
  check('count vs indexOf', ac.count(text), indexOfCount());
}

suite('algo/search', (s) => {
  s.case({
    name: 'string, ordinary text, 16-char needle',
    note: '1 MiB pseudo-English string, needle = its last 16 chars (whole text scanned); short needles go to the native search',
    setup: () => setupOrdinary(16),
    ours: stringOurs,
    peers: [stringNative],
  });
  s.case({
    name: 'Buffer, ordinary text, 16-byte needle',
    note: '1 MiB pseudo-English Buffer, needle = its last 16 bytes',
    setup: () => setupOrdinary(16),
    ours: bufOurs,
    peers: [bufNative],
  });
  s.case({
    name: 'string, ordinary text, 400-char needle',
    note: '1 MiB pseudo-English string, needle = its last 400 chars (past the 251-unit crossover: guarded native search)',
    setup: () => setupOrdinary(400),
    ours: stringOurs,
    peers: [stringNative],
  });
  s.case({
    name: 'Buffer, ordinary text, 400-byte needle',
    note: '1 MiB pseudo-English Buffer, needle = its last 400 bytes (guarded native search)',
    setup: () => setupOrdinary(400),
    ours: bufOurs,
    peers: [bufNative],
  });
  s.case({
    name: 'string, adversarial 1001-char needle',
    note: "haystack 'a' x 2^20, needle 'a' x 500 + 'b' + 'a' x 500 (no match); V8 re-checks 250+ chars at every offset",
    setup: setupAdversarial,
    ours: stringOurs,
    peers: [stringNative, stringSearcher],
  });
  s.case({
    name: 'Buffer, adversarial 1001-byte needle',
    note: "haystack 'a' x 2^20 bytes, needle 'a' x 500 + 'b' + 'a' x 500 (no match)",
    setup: setupAdversarial,
    ours: bufOurs,
    peers: [bufNative],
  });
  s.case({
    name: '1000 patterns, start offsets of any match',
    note:
      '1 MiB pseudo-English string, 1000 patterns (700 vocabulary words, 300 random strings); computes the number of distinct ' +
      'offsets at which some pattern starts. RegExp: one escaped alternation inside a lookahead, /(?=p1|p2|...)/g, stepped ' +
      'with test(); indexOf: every occurrence of each pattern marked in a bitmap. Ours: AhoCorasick.forEachMatch marking the same bitmap',
    setup: setupMulti,
    ours: { name: 'blackhole AhoCorasick', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += acStarts(); return x; } },
    peers: [
      { name: 'RegExp alternation', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += regexStarts(); return x; } },
      { name: 'indexOf per pattern', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += indexOfStarts(); return x; } },
    ],
  });
  s.case({
    name: '1000 patterns, count all occurrences',
    note: 'same text and patterns; total number of (pattern, offset) occurrences, overlapping ones included. Ours: AhoCorasick.count',
    setup: setupMulti,
    ours: { name: 'blackhole AhoCorasick', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += ac.count(text); return x; } },
    peers: [{ name: 'indexOf per pattern', fn: (n) => { let x = 0; for (let i = 0; i < n; i++) x += indexOfCount(); return x; } }],
  });
});
