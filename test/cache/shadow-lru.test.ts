// ShadowLru, the sampled keys-only LRU that W-TinyLFU's guard measures itself
// against: differential runs against a plain Map-based LRU, with hashes
// chosen to collide in the index (so backward-shift deletion is exercised).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShadowLru } from '../../src/cache/shadow-lru.ts';

/** The reference: a Map in insertion order is an LRU when every access re-inserts. */
class MapLru {
  private readonly m = new Map<number, true>();
  constructor(private readonly capacity: number) {}
  access(h: number): boolean {
    const had = this.m.delete(h);
    this.m.set(h, true);
    if (this.m.size > this.capacity) this.m.delete(this.m.keys().next().value as number);
    return had;
  }
  get size(): number {
    return this.m.size;
  }
}

function xorshift(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x;
  };
}

for (const [capacity, shift, keySpace, label] of [
  [1, 0, 4, 'capacity 1'],
  [7, 0, 20, 'tiny, many collisions'],
  [64, 4, 200, 'sampled hashes (low 4 bits dropped)'],
  [512, 0, 1500, 'table half full'],
  [1000, 6, 5000, 'large'],
] as const) {
  test(`ShadowLru agrees with a reference LRU on every access: ${label}`, () => {
    const rand = xorshift(capacity * 7919 + shift);
    const shadow = new ShadowLru(capacity, shift);
    const ref = new MapLru(capacity);
    // Hashes drawn from a small key space, spread so that many share their index bits.
    const hashes = Array.from({ length: keySpace }, (_, i) => ((Math.imul(i, 0x9e3779b1) & ~0xffff) | (i & 0xff)) << shift);
    for (let i = 0; i < 200_000; i++) {
      const h = hashes[(rand() >>> 0) % keySpace]!;
      assert.equal(shadow.access(h), ref.access(h), `access ${i} of ${h}`);
    }
    assert.equal(shadow.length, ref.size);
  });
}

test('ShadowLru: hashes that land in the same index cell (0, negative, equal low bits) are told apart, and clear() forgets everything', () => {
  const s = new ShadowLru(4);
  for (const h of [0, 8, 16, -8]) assert.equal(s.access(h), false);
  for (const h of [0, 8, 16, -8]) assert.equal(s.access(h), true);
  assert.equal(s.access(24), false); // evicts 0, the eldest
  assert.equal(s.access(0), false); // evicts 8
  assert.equal(s.access(16), true);
  assert.equal(s.length, 4);
  s.clear();
  assert.equal(s.length, 0);
  assert.equal(s.access(16), false);
  assert.equal(s.access(16), true);
});
