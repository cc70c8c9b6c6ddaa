import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IntKeyTable } from '../../src/cache/int-key-table.ts';

test('IntKeyTable: get/insert/remove/clear, 0 = absent', () => {
  const t = new IntKeyTable(4);
  assert.equal(t.get(5), 0);
  t.insert(5, 1);
  t.insert(-5, 2);
  t.insert(0, 3);
  t.insert(2 ** 31 - 1, 4);
  t.insert(-(2 ** 31), 5);
  assert.deepEqual([t.get(5), t.get(-5), t.get(0), t.get(2 ** 31 - 1), t.get(-(2 ** 31))], [1, 2, 3, 4, 5]);
  assert.equal(t.size, 5);
  assert.equal(t.remove(0), true);
  assert.equal(t.remove(0), false);
  assert.equal(t.get(0), 0);
  t.clear();
  assert.equal(t.size, 0);
  assert.equal(t.get(5), 0);
});

test('property: IntKeyTable agrees with a Map over random inserts and removes (growth, probe-run shifts)', () => {
  // Keys from a small range so probe runs collide and wrap around the table end.
  const op = fc.record({ insert: fc.boolean(), k: fc.integer({ min: -64, max: 64 }) });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 500 }), (ops) => {
      const t = new IntKeyTable(1);
      const m = new Map<number, number>();
      let v = 1;
      for (const o of ops) {
        if (o.insert) {
          if (!m.has(o.k)) { t.insert(o.k, v); m.set(o.k, v++); }
        } else {
          assert.equal(t.remove(o.k), m.delete(o.k));
        }
        assert.equal(t.size, m.size);
      }
      for (let k = -64; k <= 64; k++) assert.equal(t.get(k), m.get(k) ?? 0, `key ${k}`);
    }),
    { numRuns: 300, seed: 7 },
  );
});
