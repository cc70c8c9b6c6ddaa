// LinkedHashMap (access order) as the core of an LRU, against the LRU people
// write with a plain Map: a hit does delete + set to move the key to the
// newest end, eviction takes `map.keys().next().value`. Both sides run the
// same bounded-cache loop on the same seeded, skewed key stream (strings,
// like URLs or ids in a real cache), so the difference is the structure.
import { rng, suite } from '../harness.ts';
import { LinkedHashMap } from '../../src/struct/linked-hash-map.ts';

const STREAM = 1 << 16;
const MAX = 10_000;

/** The classic Map-based LRU, written the way it usually is. */
class MapLru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: K, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value as K);
    this.map.set(key, value);
  }
}

/** The same LRU over LinkedHashMap. */
class LinkedLru<K, V> {
  private readonly map: LinkedHashMap<K, V>;
  constructor(private readonly max: number) {
    this.map = new LinkedHashMap<K, V>({ order: 'access', initialCapacity: max });
  }
  get(key: K): V | undefined {
    return this.map.get(key);
  }
  set(key: K, value: V): void {
    if (!this.map.has(key) && this.map.size >= this.max) this.map.removeEldest();
    this.map.set(key, value);
  }
}

let keys: string[];
let ours: LinkedLru<string, number>;
let peer: MapLru<string, number>;
// Each impl walks the key stream from where its previous batch stopped; a
// batch that restarted at key 0 would replay keys it has just cached and
// measure nothing but hits.
let oursAt = 0;
let peerAt = 0;

/** Keys from a universe of `universe`, skewed so a small set is hot (about 80% hits at 10k entries for 100k keys). */
function stream(seed: number, universe: number): string[] {
  const next = rng(seed);
  const out: string[] = [];
  for (let i = 0; i < STREAM; i++) out.push(`/blob/${Math.floor(universe * next() ** 3)}`);
  return out;
}

suite('struct/linked-hash-map', (s) => {
  for (const [label, universe] of [['mostly hits', 100_000], ['mostly misses', 1_000_000]] as const) {
    s.case({
      name: `LRU get-or-set, ${label}`,
      note: `one op = get a key, set it on a miss (evicting the eldest past ${MAX} entries); 65,536 seeded string keys, cubic skew over ${universe.toLocaleString('en-US')}`,
      setup: () => {
        keys = stream(universe, universe);
        ours = new LinkedLru(MAX);
        peer = new MapLru(MAX);
        oursAt = 0;
        peerAt = 0;
        // Warm both to their bound so every measured op runs at steady state.
        for (const k of keys) {
          if (ours.get(k) === undefined) ours.set(k, 1);
          if (peer.get(k) === undefined) peer.set(k, 1);
        }
      },
      ours: {
        name: 'blackhole LinkedHashMap LRU',
        fn: (n) => {
          const c = ours;
          let at = oursAt;
          let hits = 0;
          for (let i = 0; i < n; i++) {
            const k = keys[at]!;
            at = (at + 1) & (STREAM - 1);
            if (c.get(k) !== undefined) hits++;
            else c.set(k, i);
          }
          oursAt = at;
          return hits;
        },
      },
      peers: [
        {
          name: 'Map LRU (delete + set)',
          fn: (n) => {
            const c = peer;
            let at = peerAt;
            let hits = 0;
            for (let i = 0; i < n; i++) {
              const k = keys[at]!;
              at = (at + 1) & (STREAM - 1);
              if (c.get(k) !== undefined) hits++;
              else c.set(k, i);
            }
            peerAt = at;
            return hits;
          },
        },
      ],
    });
  }
});
