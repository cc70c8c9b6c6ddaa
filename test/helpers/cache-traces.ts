// Cache trace utilities for the hit-rate tests and the cache benches (not part
// of the published package): read the OLTP (ARC) and glimpse (LIRS) traces
// kept in bench/data/traces, generate shifting-popularity traces of our own,
// and replay a key stream through a cache.
//
// Trace formats (see bench/data/traces/README.md): OLTP lines are
// `startBlock blockCount ignore requestNo`, every blockCount is 1, so the key
// is the first field; glimpse lines are one integer key each, and a `*` line
// is a checkpoint marker to skip. Both fit in int32, so keys come back as an
// Int32Array (a cache then sees number keys, the common fast case).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The traces this reader knows. */
export type TraceName = 'oltp' | 'glimpse';

const FILES: Record<TraceName, string> = {
  oltp: 'arc-OLTP.lis.gz',
  glimpse: 'lirs-gli.trace.gz',
};

/** `<repo root>/bench/data/traces`, or $BLACKHOLE_TRACES when set. */
export function defaultTraceDir(): string {
  const env = process.env.BLACKHOLE_TRACES;
  if (env !== undefined && env !== '') return env;
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return join(repoRoot, 'bench', 'data', 'traces');
}

const cache = new Map<string, Int32Array>();

/**
 * The keys of a trace, in request order (memoised per process).
 * @example const keys = readTrace('glimpse'); // Int32Array(6015)
 */
export function readTrace(name: TraceName, dir: string = defaultTraceDir()): Int32Array {
  const file = FILES[name];
  if (file === undefined) throw new TypeError(`readTrace name must be "oltp" or "glimpse", got ${JSON.stringify(name)}`);
  const path = join(dir, file);
  const hit = cache.get(path);
  if (hit !== undefined) return hit;
  const text = gunzipSync(readFileSync(path)).toString('latin1');
  const out = new Int32Array(text.length >>> 1);
  let n = 0;
  let pos = 0;
  while (pos < text.length) {
    let eol = text.indexOf('\n', pos);
    if (eol === -1) eol = text.length;
    // First field: digits up to a space (OLTP) or the end of the line (glimpse).
    let v = 0;
    let digits = 0;
    let i = pos;
    for (; i < eol; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      digits++;
    }
    if (digits > 0) {
      if (v > 0x7fffffff) throw new RangeError(`readTrace ${name}: key ${v} does not fit in int32`);
      out[n++] = v;
    } else if (i < eol && text[i] !== '*' && text.slice(pos, eol).trim() !== '') {
      throw new SyntaxError(`readTrace ${name}: unexpected line ${JSON.stringify(text.slice(pos, Math.min(eol, pos + 60)))}`);
    }
    pos = eol + 1;
  }
  const keys = out.slice(0, n);
  cache.set(path, keys);
  return keys;
}

/** The cache surface a replay needs. */
export interface ReplayCache {
  get(key: number): unknown;
  set(key: number, value: number): unknown;
}

/**
 * Replays `keys` through a fresh cache (get; set on a miss) and returns the hit rate in % (0 to 100).
 * @example simulateHitRate(readTrace('oltp'), () => new LruCache({ maxEntries: 500 }))
 */
export function simulateHitRate(keys: ArrayLike<number>, cacheFactory: () => ReplayCache): number {
  const c = cacheFactory();
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (c.get(k) !== undefined) hits++;
    else c.set(k, 1);
  }
  return keys.length === 0 ? 0 : (100 * hits) / keys.length;
}

// ---- synthetic shifting-popularity traces ---------------------------------
//
// The shared traces have a stable popular set. These model one that keeps
// moving, where recency pays and stale frequency misleads an LFU admission
// filter: a Zipf distribution over P "slots" (slot r has weight 1 / (r + 1)^s)
// and a key in each slot. Every `shiftEvery` requests `shiftBy` slots get
// keys never seen before; which slots depends on the mode:
//  - 'rise': new keys enter at the hottest ranks and every key cools by
//    `shiftBy` ranks; the coldest keys leave (news-like: the newest is hottest);
//  - 'fade': new keys enter at the coldest ranks and every key warms by
//    `shiftBy` ranks; the hottest keys leave (items warm up, then vanish);
//  - 'random': `shiftBy` slots picked at random get new keys (the old key
//    vanishes, whatever its rank);
//  - 'phase': every `shiftEvery` requests all P slots get new keys (an abrupt
//    phase change; `shiftBy` is ignored).
// A share `noise` of the requests go to a one-off key (a scan through keys
// never repeated). Everything comes from one 32-bit seed, so a trace is the
// same on every machine and run.

/** Parameters of {@link shiftingTrace}. */
export interface ShiftingTraceSpec {
  /** Requests generated. */
  length: number;
  /** Keys in the popular set at any time. */
  popular: number;
  /** Zipf exponent over the popular set's ranks (0.6 to 1.2 is typical). */
  skew: number;
  /** How the popular set moves (see above). */
  mode: 'rise' | 'fade' | 'random' | 'phase';
  /** Requests between two shifts. */
  shiftEvery: number;
  /** Slots given new keys per shift (ignored by 'phase'). */
  shiftBy: number;
  /** Share of requests (0 to 1) to one-off keys; default 0. */
  noise?: number;
  /** PRNG seed. */
  seed: number;
}

/** The repository's seed for every shifting trace. */
export const SHIFTING_SEED = 0x5eed_0b1c;

/** Requests per shifting trace: 125 x the largest cache size tried (16,000), so the policy has traffic to adapt on. */
export const SHIFTING_LENGTH = 2_000_000;

/** Cache sizes the shifting traces are replayed at. */
export const SHIFTING_SIZES = [1000, 2000, 5000, 8000, 10_000, 16_000] as const;

/**
 * The named shifting traces the hit-rate test asserts and
 * bench/cache/hit-rates.ts prints: each moving mode at a slow and a fast
 * shift rate (slow: 5 of 40,000 popular keys replaced every 100 requests,
 * the whole set renewed in 800,000 requests; fast: every 10, renewed in
 * 80,000, well inside one climber period of a 16,000-entry cache), and two
 * abrupt phase changes (the whole popular set replaced every 100,000 or
 * 400,000 requests). Each spec fixes its own seed.
 */
export const SHIFTING_TRACES: Record<string, ShiftingTraceSpec> = {
  'rise, slow': { length: SHIFTING_LENGTH, popular: 40_000, skew: 0.9, mode: 'rise', shiftEvery: 100, shiftBy: 5, seed: SHIFTING_SEED + 1 },
  'rise, fast': { length: SHIFTING_LENGTH, popular: 40_000, skew: 0.9, mode: 'rise', shiftEvery: 10, shiftBy: 5, seed: SHIFTING_SEED + 2 },
  'fade, slow': { length: SHIFTING_LENGTH, popular: 40_000, skew: 0.9, mode: 'fade', shiftEvery: 100, shiftBy: 5, seed: SHIFTING_SEED + 3 },
  'fade, fast': { length: SHIFTING_LENGTH, popular: 40_000, skew: 0.9, mode: 'fade', shiftEvery: 10, shiftBy: 5, seed: SHIFTING_SEED + 4 },
  'random, slow': { length: SHIFTING_LENGTH, popular: 40_000, skew: 0.9, mode: 'random', shiftEvery: 100, shiftBy: 5, seed: SHIFTING_SEED + 5 },
  'random, fast': { length: SHIFTING_LENGTH, popular: 40_000, skew: 0.9, mode: 'random', shiftEvery: 10, shiftBy: 5, seed: SHIFTING_SEED + 6 },
  'phase every 100k': { length: SHIFTING_LENGTH, popular: 20_000, skew: 0.8, mode: 'phase', shiftEvery: 100_000, shiftBy: 0, seed: SHIFTING_SEED + 7 },
  'phase every 400k': { length: SHIFTING_LENGTH, popular: 20_000, skew: 0.8, mode: 'phase', shiftEvery: 400_000, shiftBy: 0, seed: SHIFTING_SEED + 8 },
};

/** splitmix32-style generator: a uniform float in [0, 1) per call. */
function seededUniform(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 4294967296;
  };
}

/**
 * Generates a shifting-popularity trace (keys are int32: popular keys count
 * up from 1, one-off noise keys count down from -1).
 * @example const keys = shiftingTrace({ length: 1e6, popular: 50_000, skew: 0.9, mode: 'rise', shiftEvery: 100, shiftBy: 10, seed: 1 })
 */
export function shiftingTrace(spec: ShiftingTraceSpec): Int32Array {
  const { length, popular, skew, mode, shiftEvery, shiftBy } = spec;
  const noise = spec.noise ?? 0;
  const rand = seededUniform(spec.seed);
  // Cumulative Zipf weights for inverse-CDF sampling by binary search.
  const cdf = new Float64Array(popular);
  let total = 0;
  for (let r = 0; r < popular; r++) cdf[r] = total += 1 / Math.pow(r + 1, skew);
  // slot (rank) r holds ring[(head + r) % popular].
  const ring = new Int32Array(popular);
  let nextKey = 1;
  for (let r = 0; r < popular; r++) ring[r] = nextKey++;
  let head = 0;
  let nextNoise = -1;
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    if (i > 0 && i % shiftEvery === 0) {
      if (mode === 'phase') {
        for (let r = 0; r < popular; r++) ring[r] = nextKey++;
      } else if (mode === 'rise') {
        // The coldest shiftBy slots become the hottest, with new keys.
        for (let j = 0; j < shiftBy; j++) {
          head = (head - 1 + popular) % popular;
          ring[head] = nextKey++;
        }
      } else if (mode === 'fade') {
        // The hottest shiftBy slots become the coldest, with new keys.
        for (let j = 0; j < shiftBy; j++) {
          ring[head] = nextKey++;
          head = (head + 1) % popular;
        }
      } else {
        for (let j = 0; j < shiftBy; j++) ring[Math.floor(rand() * popular)] = nextKey++;
      }
    }
    if (noise > 0 && rand() < noise) {
      out[i] = nextNoise--;
      continue;
    }
    const u = rand() * total;
    let lo = 0;
    let hi = popular - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    out[i] = ring[(head + lo) % popular]!;
  }
  return out;
}
