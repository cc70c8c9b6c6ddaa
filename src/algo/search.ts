/**
 * Substring search with a linear worst case, over strings (UTF-16 code units)
 * and bytes (`Uint8Array`, `Buffer`).
 *
 * Why not just `indexOf`. V8's `String.prototype.indexOf` and Node's
 * `Buffer.prototype.indexOf` (a copy of V8's searcher) are linear and very
 * fast for short needles (a plain scan for tiny needles, Boyer-Moore-Horspool
 * and Boyer-Moore for longer ones). But the Boyer-Moore tables only cover the last
 * 250 units of the needle (V8's `kBMMaxShift`); for a longer needle a suffix
 * match is followed by a naive check of the rest and a shift of one. Measured
 * on Node 20.20 (x64), haystack `'a'.repeat(2 ** 20)`, needle
 * `'a'.repeat(k) + 'b' + 'a'.repeat(s)`: with s <= 249 (needle length up to
 * 251) every search takes 0.3-0.6 ms; with s >= 250 (needle length 252 and
 * up, whatever k) it takes 90-115 ms, for strings, two-byte strings and
 * Buffers alike. (`'a'.repeat(1000) + 'b'` is not such a case: its last unit
 * mismatches at once and the search stays linear, about 4 ms per MiB.) So
 * the crossover is the needle length: up to
 * {@link NATIVE_MAX_NEEDLE} = 251 units the native search is used directly.
 *
 * Long needles (252 units and more) use a guarded native search: the native
 * searcher looks for the needle's first 251 units (a length it handles in
 * linear time, as measured above), each candidate is verified, and every
 * candidate is charged (512 units for the call plus the needle length)
 * against a budget proportional to the haystack consumed so far (2 units of
 * work per unit scanned, plus 8 needle lengths). On ordinary
 * text candidates are rare, so this runs at native speed; on adversarial text
 * the budget runs out after a few candidates and the search switches to
 * Knuth-Morris-Pratt from the current position, which makes at most two
 * comparisons per haystack unit, amortised (about 4 ms per MiB, against
 * 90-300 ms natively). Total work is therefore linear in haystack + needle
 * for every input. `indexOfAll` guards the short-needle native path the same
 * way, since a periodic needle can match at every offset.
 *
 * KMP state. `codes` holds the needle's units in a typed array (so the inner
 * loop reads no string) and `next` the optimised failure function: next[j] is
 * the longest proper border of needle[0, j) whose following unit differs
 * from needle[j] (or -1), so a mismatch never retries the same unit twice.
 * The tables are built lazily by the free functions (only when the fallback
 * fires) and eagerly, once, by a {@link Searcher}.
 *
 * Offsets are in code units for strings (as `String.prototype.indexOf`) and
 * bytes for byte arrays. A string needle searched in bytes is UTF-8 encoded.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { numberError } from '../validate.ts';

/**
 * Longest needle (in code units or bytes) handed straight to the native
 * searcher; measured crossover, see the design note at the top of this file.
 * @example needle.length <= NATIVE_MAX_NEEDLE // native indexOf is linear here
 */
export const NATIVE_MAX_NEEDLE = 251;

/** Charge for one native call (table setup, call overhead), in units of work. */
const CALL_COST = 512;

/**
 * A haystack or needle: a string, or bytes (`Uint8Array`, `Buffer`).
 * @example const input: SearchInput = Buffer.from('GET / HTTP/1.1')
 */
export type SearchInput = string | Uint8Array;

/** Precomputed KMP tables of one needle. */
interface KmpTables {
  codes: Uint16Array | Uint8Array;
  next: Int32Array;
}

function buildKmp(codes: Uint16Array | Uint8Array): KmpTables {
  const m = codes.length;
  const next = new Int32Array(m + 1);
  next[0] = -1;
  let k = -1;
  for (let j = 0; j < m; ) {
    while (k >= 0 && codes[k] !== codes[j]) k = next[k];
    j++;
    k++;
    // Optimised (strong) failure: skip a border followed by the same unit.
    next[j] = j < m && codes[k] === codes[j] ? next[k] : k;
  }
  return { codes, next };
}

function stringCodes(s: string): Uint16Array {
  const out = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------------------
// KMP scans. `out` null: return the first match; otherwise push every
// (overlapping) match and return -1.

function kmpString(h: string, t: KmpTables, start: number, out: number[] | null): number {
  const codes = t.codes;
  const next = t.next;
  const m = codes.length;
  const n = h.length;
  let j = 0;
  for (let i = start; i < n; i++) {
    const c = h.charCodeAt(i);
    while (j >= 0 && codes[j] !== c) j = next[j];
    j++;
    if (j === m) {
      if (out === null) return i - m + 1;
      out.push(i - m + 1);
      j = next[m];
    }
  }
  return -1;
}

function kmpBytes(h: Uint8Array, t: KmpTables, start: number, out: number[] | null): number {
  const codes = t.codes;
  const next = t.next;
  const m = codes.length;
  const n = h.length;
  let j = 0;
  for (let i = start; i < n; i++) {
    const c = h[i];
    while (j >= 0 && codes[j] !== c) j = next[j];
    j++;
    if (j === m) {
      if (out === null) return i - m + 1;
      out.push(i - m + 1);
      j = next[m];
    }
  }
  return -1;
}

// ---------------------------------------------------------------------------
// Guarded native scans for long needles (see the design note).

function guardedString(h: string, needle: string, prefix: string, tables: KmpTables | null, from: number, out: number[] | null): number {
  const m = needle.length;
  const last = h.length - m;
  let pos = from;
  let work = 0;
  const allowance = 8 * m;
  for (;;) {
    const c = h.indexOf(prefix, pos);
    if (c < 0 || c > last) return -1;
    if (h.startsWith(needle, c)) {
      if (out === null) return c;
      out.push(c);
    }
    work += CALL_COST + m;
    pos = c + 1;
    if (work > 2 * (c - from) + allowance) {
      return kmpString(h, tables ?? buildKmp(stringCodes(needle)), pos, out);
    }
  }
}

function guardedBytes(h: Buffer, needle: Buffer, prefix: Buffer, tables: KmpTables | null, from: number, out: number[] | null): number {
  const m = needle.length;
  const last = h.length - m;
  const p = prefix.length;
  let pos = from;
  let work = 0;
  const allowance = 8 * m;
  for (;;) {
    const c = h.indexOf(prefix, pos);
    if (c < 0 || c > last) return -1;
    let j = p;
    while (j < m && h[c + j] === needle[j]) j++;
    if (j === m) {
      if (out === null) return c;
      out.push(c);
    }
    work += CALL_COST + m;
    pos = c + 1;
    if (work > 2 * (c - from) + allowance) {
      return kmpBytes(h, tables ?? buildKmp(needle), pos, out);
    }
  }
}

/** Every match of a short needle via repeated native calls, falling back to KMP when matches are dense. */
function allNativeString(h: string, needle: string, from: number, out: number[]): void {
  const m = needle.length;
  let pos = from;
  let work = 0;
  for (;;) {
    const c = h.indexOf(needle, pos);
    if (c < 0) return;
    out.push(c);
    pos = c + 1;
    work += 64 + m;
    // Dense, overlapping matches (a periodic needle) would cost m per match.
    if (work > 2 * (c - from) + 8 * m + 1024) {
      kmpString(h, buildKmp(stringCodes(needle)), pos, out);
      return;
    }
  }
}

function allNativeBytes(h: Buffer, needle: Buffer, from: number, out: number[]): void {
  const m = needle.length;
  let pos = from;
  let work = 0;
  for (;;) {
    const c = h.indexOf(needle, pos);
    if (c < 0) return;
    out.push(c);
    pos = c + 1;
    work += 64 + m;
    if (work > 2 * (c - from) + 8 * m + 1024) {
      kmpBytes(h, buildKmp(needle), pos, out);
      return;
    }
  }
}

// ---------------------------------------------------------------------------
// Validation

function checkFrom(where: string, from: number): void {
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 0) {
    throw new (numberError(from))(`${where} from (${describe(from)}) must be a non-negative integer`);
  }
}

function byteNeedle(where: string, needle: unknown): Buffer {
  if (typeof needle === 'string') return Buffer.from(needle, 'utf8');
  if (needle instanceof Uint8Array) return asBuffer(needle);
  throw new InvalidArgumentError(`${where} needle must be a string or a Uint8Array, got ${describe(needle)}`);
}

function checkStringNeedle(where: string, needle: unknown): asserts needle is string {
  if (typeof needle !== 'string') {
    throw new InvalidArgumentError(`${where} needle must be a string when the haystack is a string, got ${describe(needle)}`);
  }
}

function badHaystack(where: string, haystack: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`${where} haystack must be a string or a Uint8Array, got ${describe(haystack)}`);
}

// ---------------------------------------------------------------------------
// Public API

/**
 * Index of the first occurrence of `needle` in `haystack` at or after `from`,
 * or -1; same result as `String.prototype.indexOf` / `Buffer.prototype.indexOf`
 * (an empty needle matches at `min(from, length)`), but linear in the worst
 * case. A string needle in a byte haystack is UTF-8 encoded.
 * @example indexOf('a'.repeat(1e6), 'a'.repeat(500) + 'b' + 'a'.repeat(500)) // -1, in about a millisecond
 */
export function indexOf(haystack: SearchInput, needle: SearchInput, from = 0): number {
  checkFrom('search indexOf', from);
  if (typeof haystack === 'string') {
    checkStringNeedle('search indexOf', needle);
    const m = needle.length;
    if (m <= NATIVE_MAX_NEEDLE) return m === 0 ? Math.min(from, haystack.length) : haystack.indexOf(needle, from);
    return guardedString(haystack, needle, needle.slice(0, NATIVE_MAX_NEEDLE), null, from, null);
  }
  if (!(haystack instanceof Uint8Array)) throw badHaystack('search indexOf', haystack);
  const h = asBuffer(haystack);
  const nb = byteNeedle('search indexOf', needle);
  const m = nb.length;
  if (m === 0) return Math.min(from, h.length);
  if (from >= h.length) return -1;
  if (m <= NATIVE_MAX_NEEDLE) return h.indexOf(nb, from);
  return guardedBytes(h, nb, nb.subarray(0, NATIVE_MAX_NEEDLE), null, from, null);
}

/**
 * Start offsets of every occurrence of `needle` at or after `from`,
 * overlapping ones included, in increasing order. Linear in the worst case
 * (plus the size of the result). Throws for an empty needle.
 * @example indexOfAll('aaaa', 'aa') // [0, 1, 2]
 */
export function indexOfAll(haystack: SearchInput, needle: SearchInput, from = 0): number[] {
  checkFrom('search indexOfAll', from);
  const out: number[] = [];
  if (typeof haystack === 'string') {
    checkStringNeedle('search indexOfAll', needle);
    const m = needle.length;
    if (m === 0) throw new OutOfRangeError('search indexOfAll needle length (0) must be at least 1');
    if (m <= NATIVE_MAX_NEEDLE) allNativeString(haystack, needle, from, out);
    else guardedString(haystack, needle, needle.slice(0, NATIVE_MAX_NEEDLE), null, from, out);
    return out;
  }
  if (!(haystack instanceof Uint8Array)) throw badHaystack('search indexOfAll', haystack);
  const h = asBuffer(haystack);
  const nb = byteNeedle('search indexOfAll', needle);
  const m = nb.length;
  if (m === 0) throw new OutOfRangeError('search indexOfAll needle length (0) must be at least 1');
  if (from >= h.length) return out;
  if (m <= NATIVE_MAX_NEEDLE) allNativeBytes(h, nb, from, out);
  else guardedBytes(h, nb, nb.subarray(0, NATIVE_MAX_NEEDLE), null, from, out);
  return out;
}

/**
 * A needle compiled once for many searches: the native/guarded choice, the
 * prefix and the KMP tables are made in the constructor. A searcher built
 * from a string searches strings; one built from bytes searches bytes.
 * @example
 * const s = new Searcher('needle');
 * s.indexOf('haystack with a needle'); // 16
 * s.indexOfAll('needle needle');       // [0, 7]
 */
export class Searcher {
  /** The needle, as given. */
  readonly needle: SearchInput;
  /** Needle length in code units (strings) or bytes. */
  readonly length: number;
  /** True when the searcher searches byte haystacks. */
  readonly isBytes: boolean;
  private readonly text: string;
  private readonly bytes: Buffer;
  private readonly prefixText: string;
  private readonly prefixBytes: Buffer;
  private readonly tables: KmpTables;
  private readonly isLong: boolean;

  constructor(needle: SearchInput) {
    if (typeof needle !== 'string' && !(needle instanceof Uint8Array)) {
      throw new InvalidArgumentError(`Searcher needle must be a string or a Uint8Array, got ${describe(needle)}`);
    }
    if (needle.length === 0) throw new OutOfRangeError('Searcher needle length (0) must be at least 1');
    this.needle = needle;
    this.length = needle.length;
    this.isBytes = typeof needle !== 'string';
    this.isLong = needle.length > NATIVE_MAX_NEEDLE;
    if (typeof needle === 'string') {
      this.text = needle;
      this.bytes = Buffer.alloc(0);
      this.prefixText = needle.slice(0, NATIVE_MAX_NEEDLE);
      this.prefixBytes = this.bytes;
      this.tables = buildKmp(stringCodes(needle));
    } else {
      this.text = '';
      // A private copy: the KMP tables must keep describing the needle even if the caller reuses its buffer.
      this.bytes = Buffer.from(needle);
      this.prefixText = '';
      this.prefixBytes = this.bytes.subarray(0, NATIVE_MAX_NEEDLE);
      this.tables = buildKmp(this.bytes);
    }
  }

  /**
   * First occurrence at or after `from`, or -1.
   * @example new Searcher(Buffer.from('ab')).indexOf(Buffer.from('xxab')) // 2
   */
  indexOf(haystack: SearchInput, from = 0): number {
    checkFrom('Searcher indexOf', from);
    if (this.isBytes) {
      const h = this.byteHaystack('indexOf', haystack);
      if (from >= h.length) return -1;
      if (!this.isLong) return h.indexOf(this.bytes, from);
      return guardedBytes(h, this.bytes, this.prefixBytes, this.tables, from, null);
    }
    const h = this.stringHaystack('indexOf', haystack);
    if (!this.isLong) return h.indexOf(this.text, from);
    return guardedString(h, this.text, this.prefixText, this.tables, from, null);
  }

  /**
   * Every occurrence (overlapping ones included) at or after `from`, in order.
   * @example new Searcher('aa').indexOfAll('aaaa') // [0, 1, 2]
   */
  indexOfAll(haystack: SearchInput, from = 0): number[] {
    checkFrom('Searcher indexOfAll', from);
    const out: number[] = [];
    if (this.isBytes) {
      const h = this.byteHaystack('indexOfAll', haystack);
      if (from >= h.length) return out;
      if (!this.isLong) allNativeBytes(h, this.bytes, from, out);
      else guardedBytes(h, this.bytes, this.prefixBytes, this.tables, from, out);
      return out;
    }
    const h = this.stringHaystack('indexOfAll', haystack);
    if (!this.isLong) allNativeString(h, this.text, from, out);
    else guardedString(h, this.text, this.prefixText, this.tables, from, out);
    return out;
  }

  private byteHaystack(method: string, haystack: unknown): Buffer {
    if (!(haystack instanceof Uint8Array)) {
      throw new InvalidArgumentError(`Searcher ${method} haystack must be a Uint8Array for a byte needle, got ${describe(haystack)}`);
    }
    return asBuffer(haystack);
  }

  private stringHaystack(method: string, haystack: unknown): string {
    if (typeof haystack !== 'string') {
      throw new InvalidArgumentError(`Searcher ${method} haystack must be a string for a string needle, got ${describe(haystack)}`);
    }
    return haystack;
  }
}
