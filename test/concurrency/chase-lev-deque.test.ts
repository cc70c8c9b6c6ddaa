import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { ErrorCode, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';
import { ChaseLevDeque, DequeOwner, DequeStealer, STEAL_EMPTY, STEAL_OK, STEAL_RETRY } from '../../src/concurrency/chase-lev-deque.ts';
import { startWorker } from '../helpers/worker.ts';

const WORKER = new URL('./fixtures/deque-worker.ts', import.meta.url).href;

test('owner pops LIFO, thieves steal FIFO, empty and full edges', () => {
  const deque = ChaseLevDeque.create({ capacity: 4, itemWords: 2 });
  const owner = deque.owner();
  const stealer = ChaseLevDeque.from(deque.buffer).stealer();
  const out = new Int32Array(2);
  assert.equal(owner.pop(out), false, 'empty pop');
  assert.equal(stealer.steal(out), STEAL_EMPTY, 'empty steal');
  for (let i = 0; i < 4; i++) assert.equal(owner.push(new Int32Array([i, i * 10])), true);
  assert.equal(owner.push(new Int32Array([9, 9])), false, 'full');
  assert.equal(deque.size(), 4);
  assert.equal(stealer.steal(out), STEAL_OK);
  assert.deepEqual([...out], [0, 0], 'steal takes the oldest');
  assert.equal(owner.pop(out), true);
  assert.deepEqual([...out], [3, 30], 'pop takes the newest');
  assert.equal(owner.push(new Int32Array([4, 40])), true);
  assert.equal(owner.push(new Int32Array([5, 50])), true, 'room again after one steal and one pop');
  const order: number[] = [];
  while (owner.pop(out)) order.push(out[0]);
  assert.deepEqual(order, [5, 4, 2, 1]);
  assert.equal(deque.size(), 0);
  assert.equal(stealer.steal(out), STEAL_EMPTY);
});

test('matches a double-ended array model for random push/pop/steal sequences (property)', () => {
  const op = fc.oneof(fc.constant('push' as const), fc.constant('pop' as const), fc.constant('steal' as const));
  fc.assert(
    fc.property(fc.constantFrom(2, 4, 8), fc.array(op, { maxLength: 300 }), (capacity, ops) => {
      const deque = ChaseLevDeque.create({ capacity, itemWords: 3 });
      const owner = deque.owner();
      const stealer = deque.stealer();
      const model: number[] = [];
      const out = new Int32Array(3);
      let next = 0;
      for (const o of ops) {
        if (o === 'push') {
          const fits = model.length < capacity;
          if (owner.push(new Int32Array([next, -next, next * 7])) !== fits) return false;
          if (fits) model.push(next);
          next++;
        } else if (o === 'pop') {
          const want = model.pop();
          if (owner.pop(out) !== (want !== undefined)) return false;
          if (want !== undefined && (out[0] !== want || out[1] !== -want || out[2] !== want * 7)) return false;
        } else {
          const want = model.shift();
          const r = stealer.steal(out);
          if (r !== (want === undefined ? STEAL_EMPTY : STEAL_OK)) return false;
          if (want !== undefined && out[0] !== want) return false;
        }
        if (deque.size() !== model.length) return false;
      }
      return true;
    }),
    { seed: 4242, numRuns: 300 },
  );
});

test('bad options and foreign buffers throw typed errors naming the option', () => {
  for (const capacity of [0, 1, 3, 100, 2 ** 25, 2.5]) {
    assert.throws(() => ChaseLevDeque.create({ capacity, itemWords: 2 }), /ChaseLevDeque capacity \(.*\) must be a power of two from 2 to 2\^24/, `capacity ${capacity}`);
  }
  for (const itemWords of [0, 257, 1.5]) {
    assert.throws(() => ChaseLevDeque.create({ capacity: 4, itemWords }), (e: unknown) => e instanceof RangeError && /itemWords/.test((e as Error).message));
  }
  assert.throws(() => ChaseLevDeque.create(null as never), TypeError);
  assert.throws(() => ChaseLevDeque.from(new SharedArrayBuffer(1024)), /magic/);
  assert.throws(() => ChaseLevDeque.from(new ArrayBuffer(1024) as never), TypeError);
  const d = ChaseLevDeque.create({ capacity: 8, itemWords: 4 });
  assert.equal(ChaseLevDeque.from(d.buffer).capacity, 8);
  assert.equal(ChaseLevDeque.from(d.buffer).itemWords, 4);
});

test('resetAfterOwnerDeath leaves an empty, consistent deque, even after a pop died half-way', () => {
  const deque = ChaseLevDeque.create({ capacity: 4, itemWords: 1 });
  const owner = deque.owner();
  const stealer = deque.stealer();
  const out = new Int32Array(1);
  for (let i = 0; i < 3; i++) owner.push(new Int32Array([i]));
  // Simulate an owner that died after the first step of pop (BOTTOM lowered, never restored).
  const words = new Int32Array(deque.buffer);
  Atomics.sub(words, 32, 1);
  deque.resetAfterOwnerDeath();
  assert.equal(deque.size(), 0);
  assert.equal(stealer.steal(out), STEAL_EMPTY);
  const next = deque.owner();
  assert.equal(next.pop(out), false);
  for (let i = 0; i < 4; i++) assert.equal(next.push(new Int32Array([100 + i])), true);
  assert.equal(next.push(new Int32Array([9])), false, 'full at capacity, not before or after');
  assert.equal(stealer.steal(out), STEAL_OK);
  assert.equal(out[0], 100);
  assert.equal(next.pop(out), true);
  assert.equal(out[0], 103);
});

test('one owner and 2 thieves on real threads: 400k items, every item taken exactly once', async () => {
  const count = 400_000;
  const deque = ChaseLevDeque.create({ capacity: 256, itemWords: 2 });
  const taken = new SharedArrayBuffer(count);
  const done = new SharedArrayBuffer(4);
  const base = { deque: deque.buffer, taken, done, count };
  const started = [
    startWorker(WORKER, { ...base, role: 'owner' }, 60_000),
    startWorker(WORKER, { ...base, role: 'thief' }, 60_000),
    startWorker(WORKER, { ...base, role: 'thief' }, 60_000),
  ];
  try {
    const [owner, t1, t2] = (await Promise.all(started.map((s) => s.result))) as { popped?: number; stolen?: number; retries?: number; corrupt: number }[];
    const counts = new Uint8Array(taken);
    let missing = 0;
    let twice = 0;
    for (let i = 0; i < count; i++) {
      if (counts[i] === 0) missing++;
      else if (counts[i] > 1) twice++;
    }
    assert.equal(missing, 0, 'items never taken');
    assert.equal(twice, 0, 'items taken more than once');
    assert.equal(owner.corrupt + t1.corrupt + t2.corrupt, 0, 'torn items');
    assert.equal(owner.popped! + t1.stolen! + t2.stolen!, count);
    assert.ok(t1.stolen! + t2.stolen! > 0, 'the thieves stole something');
    assert.equal(deque.size(), 0);
    assert.equal(STEAL_RETRY, -1);
  } finally {
    await Promise.all(started.map((s) => s.worker.terminate()));
  }
});

test('options of the wrong kind are InvalidArgumentError; a deque the engine cannot allocate is OutOfRangeError naming the size', () => {
  const invalid = (e: unknown) => e instanceof InvalidArgumentError && e.code === ErrorCode.INVALID_ARG;
  assert.throws(() => ChaseLevDeque.create([] as never), (e: unknown) => invalid(e) && /ChaseLevDeque options must be an object/.test((e as Error).message));
  assert.throws(() => ChaseLevDeque.create({ capacity: '8', itemWords: 2 } as never), (e: unknown) => invalid(e) && /ChaseLevDeque capacity \("8"\)/.test((e as Error).message));
  assert.throws(() => ChaseLevDeque.create({ capacity: 8, itemWords: null } as never), (e: unknown) => invalid(e) && /ChaseLevDeque itemWords \(null\)/.test((e as Error).message));
  assert.throws(() => ChaseLevDeque.create({ capacity: NaN, itemWords: 2 }), OutOfRangeError);
  // The largest options ask for 16 GiB: in a child capped at 8 GB of address space the allocation really fails.
  const out = underMemoryCap(`
    import { ChaseLevDeque } from ${JSON.stringify(new URL('../../src/concurrency/chase-lev-deque.ts', import.meta.url).href)};
    let r;
    try { ChaseLevDeque.create({ capacity: 2 ** 24, itemWords: 256 }); r = { ok: true }; }
    catch (e) { r = { name: e.constructor.name, code: e.code, message: e.message }; }
    r.after = ChaseLevDeque.create({ capacity: 4, itemWords: 1 }).owner().push(new Int32Array(1));
    console.log(JSON.stringify(r));`);
  assert.equal(out.code, ErrorCode.OUT_OF_RANGE, JSON.stringify(out));
  assert.match(out.message as string, /^ChaseLevDeque capacity \(16777216\) x itemWords \(256\) \(\d+ bytes\) could not be allocated/);
  assert.equal(out.after, true);
});

test('handles built from the buffer check it; push, pop and steal refuse a bad array before touching the deque (a thief thread takes every item once)', async () => {
  const count = 30_000;
  const deque = ChaseLevDeque.create({ capacity: 64, itemWords: 2 });
  const invalid = (e: unknown) => e instanceof InvalidArgumentError && e.code === ErrorCode.INVALID_ARG;
  assert.throws(() => new DequeOwner(new SharedArrayBuffer(1024)), (e: unknown) => invalid(e) && /DequeOwner buffer has magic/.test((e as Error).message));
  assert.throws(() => new DequeStealer(NaN as never), (e: unknown) => invalid(e) && /DequeStealer buffer must be a SharedArrayBuffer/.test((e as Error).message));
  assert.throws(() => new DequeOwner(deque.buffer.slice(0, 256)), invalid, 'a truncated copy of the buffer');
  const owner = new DequeOwner(deque.buffer);
  const taken = new SharedArrayBuffer(count);
  const done = new SharedArrayBuffer(4);
  const thief = startWorker(WORKER, { role: 'thief', deque: deque.buffer, taken, done, count }, 60_000);
  const counts = new Uint8Array(taken);
  const doneWords = new Int32Array(done);
  const item = new Int32Array(2);
  const record = (): void => {
    assert.equal(item[1], ~item[0], 'a torn item');
    Atomics.add(counts, item[0], 1);
    Atomics.add(doneWords, 0, 1);
  };
  const kinds = [NaN, 'abcdefgh', [1, 2], new Uint8Array(8), null];
  try {
    for (let id = 0; id < count; id++) {
      item[0] = id;
      item[1] = ~id;
      if (id % 5 === 0) {
        for (const bad of kinds) {
          assert.throws(() => owner.push(bad as never), (e: unknown) => invalid(e) && /DequeOwner push item must be an Int32Array/.test((e as Error).message));
          assert.throws(() => owner.pop(bad as never), (e: unknown) => invalid(e) && /DequeOwner pop out must be an Int32Array/.test((e as Error).message));
          assert.throws(() => deque.stealer().steal(bad as never), (e: unknown) => invalid(e) && /DequeStealer steal out must be an Int32Array/.test((e as Error).message));
        }
        const short = (e: unknown) => e instanceof OutOfRangeError && /length \(1\) must be at least itemWords \(2\)/.test((e as Error).message);
        assert.throws(() => owner.push(new Int32Array(1)), short);
        assert.throws(() => owner.pop(new Int32Array(1)), short);
        assert.throws(() => deque.stealer().steal(new Int32Array(1)), short);
      }
      while (!owner.push(item)) {
        if (owner.pop(item)) record();
        item[0] = id;
        item[1] = ~id;
      }
      if (id % 3 === 2 && owner.pop(item)) record();
    }
    while (owner.pop(item)) record();
    const stolen = (await thief.result) as { stolen: number; corrupt: number };
    assert.equal(stolen.corrupt, 0, 'the thief saw torn items');
    const wrong = counts.findIndex((c) => c !== 1);
    assert.equal(wrong, -1, `item ${wrong} taken ${counts[wrong]} times`);
    assert.equal(deque.size(), 0);
  } finally {
    await thief.worker.terminate();
  }
});

/** Runs the ES module `code` in a child Node whose address space is capped at 8 GB and returns the JSON it prints last. */
function underMemoryCap(code: string): Record<string, unknown> {
  // --jitless: no WebAssembly, whose reservations alone would exceed the cap (tsx then parses without it).
  const args = ['-c', 'ulimit -v 8000000 && exec "$0" "$@"', process.execPath, '--jitless', '--import', 'tsx', '--input-type=module', '-e', code];
  const r = spawnSync('/bin/sh', args, { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}
