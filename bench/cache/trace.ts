// Cache trace utilities for the hit-rate test and bench (not part of the
// published package): read the OLTP (ARC) and glimpse (LIRS) traces kept in
// ../shared/traces, and replay a key stream through a cache.
//
// Trace formats (see /work/shared/traces/README.md): OLTP lines are
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

/** `<repo root>/../shared/traces`, or $BLACKHOLE_TRACES when set. */
export function defaultTraceDir(): string {
  const env = process.env.BLACKHOLE_TRACES;
  if (env !== undefined && env !== '') return env;
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return join(repoRoot, '..', 'shared', 'traces');
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
