/**
 * LSD radix sorts for 32-bit integer and floating-point typed arrays.
 *
 * Layout. Every sort works on unsigned 32-bit words: a Uint32Array view over
 * the caller's buffer (no copy), plus one scratch array of the same length to
 * ping-pong between. Int32 keys become unsigned by flipping the sign bit of
 * the top digit only. Floats use the order-preserving bit transform: flip the
 * sign bit of a positive value, all bits of a negative one. Under it `-0`
 * (0x8000…) sorts just before `+0`, and ±Infinity land at the ends, exactly
 * like `Float64Array.prototype.sort`. NaNs (whatever their sign and payload)
 * are moved to the tail first, so they end last, as the built-in does.
 * Float32 keys are transformed in place and back; Float64 keys are never
 * stored transformed: digits are computed from the raw (lo, hi) words on the
 * fly and the doubles move whole.
 *
 * Why these speed tricks:
 * - 11-bit digits: 3 passes for 32-bit keys, 6 for 64-bit. A 2048-entry count
 *   table (8 KiB) stays in L1 and 2048 scatter streams are still cache
 *   friendly. 8-bit digits need a fourth pass: measured on uniform uint32
 *   keys (Node 20, a loaded 2-core machine, so roughly) 11-bit was 3-25%
 *   faster at 1e6 keys and about 20% faster at 1e5. 16-bit digits would need
 *   65536 scatter streams, far more than the caches and TLB hold.
 * - One counting pass fills the tables of all digits at once, so the input is
 *   read once for counting, then once per scatter pass.
 * - A pass whose digit is the same for every key is skipped (its count table
 *   has one bucket holding everything): small integers or floats of one
 *   magnitude skip passes for free.
 * - Below RADIX_MIN_LENGTH_INT32 / _FLOAT keys, clearing and summing the
 *   tables costs more than it saves; src/algo/sort.ts uses the built-in there.
 *
 * Invariants: no user code runs inside these functions, so the module-level
 * count table cannot be re-entered mid-sort. `sortNumbers` does run user code
 * while it holds scratch (reading and writing a `number[]` that may be a
 * Proxy), so it takes a hold (`holdScratch`) and a sort started from inside
 * that user code gets fresh buffers instead of the ones in use. LSD radix
 * sort is stable, although for plain numbers stability is invisible.
 *
 * Scratch memory: one buffer per slot is kept for reuse when it is at most
 * MAX_RETAINED_SCRATCH_BYTES (8 MiB: 1e6 doubles); larger sorts allocate and
 * drop theirs, so the module never holds more than 16 MiB.
 */
import { InvalidArgumentError, describe } from '../errors.ts';

const BITS = 11;
const RADIX = 1 << BITS;
const MASK = RADIX - 1;

/**
 * Below this many 32-bit integer keys the built-in typed-array sort (C++)
 * beats the radix sort's fixed cost (clearing and summing three 2048-entry
 * tables). Measured on Node 20 with uniform keys: at 2048 keys the built-in
 * took about 5 ns/key against 10 for radix; at 4096 it jumped to 16-22 ns/key
 * against 9.5. src/algo/sort.ts picks the built-in below it.
 * @example if (a.length >= RADIX_MIN_LENGTH_INT32) radixSortUint32(a)
 */
export const RADIX_MIN_LENGTH_INT32 = 4096;

/**
 * The same crossover for floats (the built-in float sort is slower, and the
 * radix sort has six passes for Float64): about 26 ns/key each at 2048 keys,
 * 38 against 26 at 2500.
 * @example if (a.length >= RADIX_MIN_LENGTH_FLOAT) radixSortFloat64(a)
 */
export const RADIX_MIN_LENGTH_FLOAT = 2048;

/**
 * Largest scratch buffer kept between calls, per slot (two slots); bigger ones
 * are allocated per call and left to the GC.
 * @example MAX_RETAINED_SCRATCH_BYTES / 8 // 1048576 doubles
 */
export const MAX_RETAINED_SCRATCH_BYTES = 8 * 1024 * 1024;

/** Count tables for up to six digits (64-bit keys), reused by every call. */
const counts = new Uint32Array(6 * RADIX);

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const retained: [ArrayBuffer | null, ArrayBuffer | null] = [null, null];

/** True while `sortNumbers` is reading or writing a `number[]` with retained scratch in use. */
let scratchHeld = false;

/**
 * Marks the retained scratch as in use by the caller, for code that runs user
 * code (a Proxy's traps, index getters on the array) while it holds scratch.
 * Returns false if it is already held: the caller must then pass
 * `isHolder = false` and gets fresh buffers. Internal to src/algo.
 * @example const owns = holdScratch(); try { ... } finally { if (owns) dropScratchHold(); }
 */
export function holdScratch(): boolean {
  if (scratchHeld) return false;
  scratchHeld = true;
  return true;
}

/**
 * Ends a hold taken with `holdScratch()`. Internal to src/algo.
 * @example dropScratchHold()
 */
export function dropScratchHold(): void {
  scratchHeld = false;
}

/**
 * A scratch buffer of at least `bytes` bytes from `slot` (0 or 1). Contents are
 * garbage. While the scratch is held (see `holdScratch`) only the holder gets
 * the retained buffers; anyone else, i.e. a sort started from user code in
 * the middle of another, gets a fresh one. Internal to src/algo.
 * @example const tmp = new Uint32Array(scratchBuffer(0, n * 4), 0, n)
 */
export function scratchBuffer(slot: 0 | 1, bytes: number, isHolder = false): ArrayBuffer {
  if (scratchHeld && !isHolder) return new ArrayBuffer(Math.ceil(bytes / 8) * 8);
  const kept = retained[slot];
  if (kept !== null && kept.byteLength >= bytes) return kept;
  // Grow by half again (within the retention cap) so a run of slightly
  // growing sorts does not reallocate every time; whole 8-byte words.
  const wanted = bytes * 1.5 <= MAX_RETAINED_SCRATCH_BYTES ? bytes * 1.5 : bytes;
  const buf = new ArrayBuffer(Math.ceil(wanted / 8) * 8);
  if (buf.byteLength <= MAX_RETAINED_SCRATCH_BYTES) retained[slot] = buf;
  return buf;
}

/**
 * Drops the scratch buffers kept for reuse (at most 16 MiB), e.g. after a
 * one-off large sort in a memory-tight process. The next sort allocates again.
 * @example sortNumbers(bigArray); releaseSortScratch();
 */
export function releaseSortScratch(): void {
  retained[0] = null;
  retained[1] = null;
}

/**
 * Core LSD pass loop over 32-bit words: sorts `keys[0..n)` using `tmp` and
 * returns whichever of the two holds the result. `topFlip` is XORed into the
 * top (10-bit) digit: 0x200 orders int32 keys, 0 orders uint32 keys.
 * Internal to src/algo.
 * @example const out = sortUint32Words(new Uint32Array(i32.buffer), tmp, i32.length, 0x200)
 */
export function sortUint32Words(keys: Uint32Array, tmp: Uint32Array, n: number, topFlip: number): Uint32Array {
  const c = counts;
  c.fill(0, 0, 3 * RADIX);
  for (let i = 0; i < n; i++) {
    const x = keys[i];
    c[x & MASK]++;
    c[RADIX + ((x >>> BITS) & MASK)]++;
    c[2 * RADIX + ((x >>> (2 * BITS)) ^ topFlip)]++;
  }
  let src = keys;
  let dst = tmp;
  for (let pass = 0; pass < 3; pass++) {
    const base = pass * RADIX;
    const shift = pass * BITS;
    const flip = pass === 2 ? topFlip : 0;
    if (c[base + (((src[0] >>> shift) & MASK) ^ flip)] === n) continue;
    let sum = 0;
    for (let d = base; d < base + RADIX; d++) {
      const k = c[d];
      c[d] = sum;
      sum += k;
    }
    for (let i = 0; i < n; i++) {
      const x = src[i];
      dst[c[base + (((x >>> shift) & MASK) ^ flip)]++] = x;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  return src;
}

// The two scatter loops of the Float64 sort. Keys are not stored
// transformed: each pass reads the raw words and applies the transform on the
// fly (m = hi >> 31 is -1 for negatives, 0 otherwise), so the doubles move as
// single 8-byte values instead of two words (measured 15-25% faster at 1e6
// than moving transformed word pairs). Moving raw doubles through a
// Float64Array is bit-exact here because NaNs, the only values an engine may
// re-encode, were removed beforehand.
function scatterByLo(src: Float64Array, words: Uint32Array, dst: Float64Array, n: number, shift: number, base: number): void {
  const c = counts;
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i];
    const hi = words[2 * i + 1] | 0;
    dst[c[((((lo ^ (hi >> 31)) >>> shift) & MASK) + base)]++] = src[i];
  }
}

function scatterByHi(src: Float64Array, words: Uint32Array, dst: Float64Array, n: number, shift: number, base: number): void {
  const c = counts;
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1] | 0;
    dst[c[((((hi ^ ((hi >> 31) | 0x80000000)) >>> shift) & MASK) + base)]++] = src[i];
  }
}

/**
 * Sorts `a[0..n)`, which must hold no NaN, with up to six 11-bit LSD passes
 * over the order-preserving transform of the doubles' bits, using `tmp` (at
 * least n long) as the other buffer. Returns whichever of `a` and `tmp` holds
 * the sorted values. Little-endian hosts only (see RADIX_FLOAT64_SUPPORTED).
 * Internal to src/algo.
 * @example const out = sortFloat64NoNaN(values, new Float64Array(values.length), values.length)
 */
export function sortFloat64NoNaN(a: Float64Array, tmp: Float64Array, n: number): Float64Array {
  if (n < 2) return a;
  const c = counts;
  c.fill(0);
  const words = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const raw = words[2 * i + 1] | 0;
    const m = raw >> 31;
    const lo = (words[2 * i] ^ m) >>> 0;
    const hi = (raw ^ (m | 0x80000000)) >>> 0;
    c[lo & MASK]++;
    c[RADIX + ((lo >>> BITS) & MASK)]++;
    c[2 * RADIX + (lo >>> (2 * BITS))]++;
    c[3 * RADIX + (hi & MASK)]++;
    c[4 * RADIX + ((hi >>> BITS) & MASK)]++;
    c[5 * RADIX + (hi >>> (2 * BITS))]++;
  }
  // Any one key's digits tell whether a pass can be skipped: the pass is a
  // no-op exactly when that key's bucket holds all n keys.
  const m0 = (words[1] | 0) >> 31;
  const firstLo = (words[0] ^ m0) >>> 0;
  const firstHi = ((words[1] | 0) ^ (m0 | 0x80000000)) >>> 0;
  let src = a;
  let dst = tmp;
  for (let pass = 0; pass < 6; pass++) {
    const base = pass * RADIX;
    const shift = (pass % 3) * BITS;
    if (c[base + (((pass < 3 ? firstLo : firstHi) >>> shift) & MASK)] === n) continue;
    let sum = 0;
    for (let d = base; d < base + RADIX; d++) {
      const k = c[d];
      c[d] = sum;
      sum += k;
    }
    const srcWords = new Uint32Array(src.buffer, src.byteOffset, 2 * n);
    if (pass < 3) scatterByLo(src, srcWords, dst, n, shift, base);
    else scatterByHi(src, srcWords, dst, n, shift, base);
    const t = src;
    src = dst;
    dst = t;
  }
  return src;
}

/**
 * Moves NaNs to the tail of `a[0..n)` (order of the rest kept); returns the
 * count of non-NaN values. Internal to src/algo.
 * @example partitionNaN(Float64Array.of(NaN, 1), 2) // 1, array now [1, NaN]
 */
export function partitionNaN(a: Float64Array | Float32Array, n: number): number {
  let j = 0;
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (v === v) a[j++] = v;
  }
  if (j < n) a.fill(NaN, j, n);
  return j;
}

function checkTyped(name: string, a: unknown, ctor: Function): void {
  if (!(a instanceof ctor)) {
    throw new InvalidArgumentError(`${name} arr must be a ${ctor.name}, got ${describe(a)}`);
  }
}

function u32View(a: Int32Array | Uint32Array | Float32Array | Float64Array, words: number): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, words);
}

/**
 * Sorts a Uint32Array ascending in place with an 11-bit LSD radix sort and
 * returns it. Linear time; uses one scratch array of the same length.
 * @example radixSortUint32(Uint32Array.of(3, 4294967295, 0)) // Uint32Array [0, 3, 4294967295]
 */
export function radixSortUint32(arr: Uint32Array): Uint32Array {
  checkTyped('radixSortUint32', arr, Uint32Array);
  const n = arr.length;
  if (n < 2) return arr;
  const tmp = new Uint32Array(scratchBuffer(0, n * 4), 0, n);
  const out = sortUint32Words(arr, tmp, n, 0);
  if (out !== arr) arr.set(out);
  return arr;
}

/**
 * Sorts an Int32Array ascending in place with an 11-bit LSD radix sort (sign
 * bit flipped in the top digit) and returns it.
 * @example radixSortInt32(Int32Array.of(5, -2147483648, -1)) // Int32Array [-2147483648, -1, 5]
 */
export function radixSortInt32(arr: Int32Array): Int32Array {
  checkTyped('radixSortInt32', arr, Int32Array);
  const n = arr.length;
  if (n < 2) return arr;
  const keys = u32View(arr, n);
  const tmp = new Uint32Array(scratchBuffer(0, n * 4), 0, n);
  const out = sortUint32Words(keys, tmp, n, 0x200);
  if (out !== keys) keys.set(out);
  return arr;
}

/**
 * Sorts a Float32Array in place with an LSD radix sort on the order-preserving
 * bit transform; same order as `Float32Array.prototype.sort`: `-0` before
 * `+0`, NaN last.
 * @example radixSortFloat32(Float32Array.of(1, NaN, -0, 0, -Infinity)) // [-Infinity, -0, 0, 1, NaN]
 */
export function radixSortFloat32(arr: Float32Array): Float32Array {
  checkTyped('radixSortFloat32', arr, Float32Array);
  const m = partitionNaN(arr, arr.length);
  if (m < 2) return arr;
  const keys = u32View(arr, m);
  for (let i = 0; i < m; i++) {
    const x = keys[i];
    keys[i] = x >= 0x80000000 ? ~x : x | 0x80000000;
  }
  const tmp = new Uint32Array(scratchBuffer(0, m * 4), 0, m);
  const out = sortUint32Words(keys, tmp, m, 0);
  for (let i = 0; i < m; i++) {
    const y = out[i];
    keys[i] = y >= 0x80000000 ? y ^ 0x80000000 : ~y;
  }
  return arr;
}

/**
 * Sorts a Float64Array in place with an LSD radix sort (six 11-bit digits) on
 * the order-preserving bit transform; same order as
 * `Float64Array.prototype.sort`: `-0` before `+0`, NaN last.
 * @example radixSortFloat64(Float64Array.of(2.5, NaN, -1e300, 0, -0)) // [-1e300, -0, 0, 2.5, NaN]
 */
export function radixSortFloat64(arr: Float64Array): Float64Array {
  checkTyped('radixSortFloat64', arr, Float64Array);
  if (!IS_LITTLE_ENDIAN) return arr.sort();
  const m = partitionNaN(arr, arr.length);
  if (m < 2) return arr;
  const tmp = new Float64Array(scratchBuffer(0, m * 8), 0, m);
  const out = sortFloat64NoNaN(arr, tmp, m);
  if (out !== arr) arr.set(out.subarray(0, m));
  return arr;
}

/**
 * True on little-endian hosts, where the Float64 word-pair layout holds (on
 * big-endian hosts the float64 paths fall back to the built-in sort).
 * @example if (RADIX_FLOAT64_SUPPORTED) radixSortFloat64(data)
 */
export const RADIX_FLOAT64_SUPPORTED = IS_LITTLE_ENDIAN;
