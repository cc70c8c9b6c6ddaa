import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { PaddedCounters } from '../../src/memory/padded-counters.ts';
import { tsWorkerBoot } from '../../scripts/ts-worker.ts';

const WORKER = new URL('./fixtures/padded-counter-worker.ts', import.meta.url).href;
// Node 20 ignores `--import` in a Worker's execArgv, so the worker registers
// tsx's loader itself before importing the TypeScript entry.
const BOOT = tsWorkerBoot(WORKER);

function runWorker(workerData: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = new Worker(BOOT, { eval: true, workerData });
    w.once('message', () => resolve());
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
  });
}

test('each slot sits on its own 64-byte line of a page-aligned shared buffer', () => {
  const c = new PaddedCounters({ count: 3 });
  assert.ok(c.buffer instanceof SharedArrayBuffer);
  assert.equal(c.buffer.byteLength % 65536, 0);
  c.add(1, 5);
  const words = new Uint32Array(c.buffer);
  assert.equal(words[16], 5, 'slot 1 starts at byte 64');
  assert.equal(words[0] + words[32], 0);
  assert.equal(c.strideBytes, 64);
});

test('four real worker threads incrementing their own slots give exact totals', async () => {
  const count = 4;
  const increments = 200_000;
  const counters = new PaddedCounters({ count });
  await Promise.all(Array.from({ length: count }, (_, slot) => runWorker({ buffer: counters.buffer, count, slot, increments, delta: 1 })));
  for (let s = 0; s < count; s++) assert.equal(counters.get(s), increments, `slot ${s}`);
  assert.equal(counters.total(), count * increments);
});

test('two worker threads adding to the same slot lose nothing, including carries past 2^32', async () => {
  const counters = new PaddedCounters({ count: 1, strideBytes: 128 });
  const delta = 2 ** 32 - 1;
  await Promise.all([0, 1].map(() => runWorker({ buffer: counters.buffer, count: 1, slot: 0, increments: 5000, delta })));
  assert.equal(counters.get(0), 10_000 * delta);
});

test('a second instance attached to the same buffer sees the same counts', () => {
  const a = new PaddedCounters({ count: 2 });
  const b = new PaddedCounters({ count: 2, buffer: a.buffer });
  a.add(0, 7);
  b.add(1);
  assert.deepEqual([b.get(0), a.get(1), a.total()], [7, 1, 8]);
  a.reset();
  assert.equal(b.total(), 0);
});

test('counts match a model of plain numbers, across the 32-bit carry (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(3), fc.integer({ min: 0, max: 2 ** 32 - 1 })), { maxLength: 60 }), (adds) => {
      const c = new PaddedCounters({ count: 4 });
      const model = [0, 0, 0, 0];
      for (const [slot, delta] of adds) {
        c.add(slot, delta);
        model[slot] += delta;
      }
      return model.every((v, s) => c.get(s) === v) && c.total() === model.reduce((x, y) => x + y, 0);
    }),
    { seed: 64, numRuns: 300 },
  );
});

test('bad slots, deltas and options throw RangeErrors naming the rule', () => {
  const c = new PaddedCounters({ count: 2 });
  assert.throws(() => c.add(2), /PaddedCounters slot \(2\) must be an integer from 0 to count - 1 \(1\)/);
  assert.throws(() => c.get(-1), RangeError);
  assert.throws(() => c.add(0, -1), /PaddedCounters add delta \(-1\) must be an integer from 0 to 2\^32 - 1/);
  assert.throws(() => new PaddedCounters({ count: 0 }), /PaddedCounters count \(0\) must be an integer from 1 to 2\^20/);
  assert.throws(() => new PaddedCounters({ count: 1, strideBytes: 48 }), /PaddedCounters strideBytes \(48\) must be a power of two from 8 to 4096/);
  assert.throws(() => new PaddedCounters({ count: 2, buffer: new SharedArrayBuffer(64) }), /PaddedCounters buffer byteLength \(64\) must be >= count x strideBytes \(128\)/);
  assert.throws(() => new PaddedCounters({ count: 1, buffer: new ArrayBuffer(64) as unknown as SharedArrayBuffer }), TypeError);
});

// Issue 11 §4: a bigint slot or delta reached `>>> 0` and threw V8's "Cannot mix BigInt" TypeError.
test('add and get refuse bigint and Symbol slots and deltas with a typed error, and the counters keep counting', () => {
  const c = new PaddedCounters({ count: 2 });
  for (const bad of [-1n, 1n, Symbol('s')]) {
    assert.throws(() => c.add(bad as unknown as number), (e: Error & { code?: string }) => e.code === 'ERR_BH_INVALID_ARG' && /PaddedCounters slot/.test(e.message));
    assert.throws(() => c.get(bad as unknown as number), (e: Error & { code?: string }) => /PaddedCounters slot/.test(e.message) && e.code !== undefined);
    assert.throws(() => c.add(0, bad as unknown as number), (e: Error & { code?: string }) => e.code === 'ERR_BH_INVALID_ARG' && /PaddedCounters add delta/.test(e.message));
  }
  c.add(1, 3);
  assert.equal(c.get(1), 3);
});
