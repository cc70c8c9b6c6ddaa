// AdaptiveSpin, the spin-or-park policy of the rings and the work-stealing
// pool (issue 11, section 7), on an injected clock and an injected run-queue
// reading: every rule of the policy is checked without racing the wall clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptiveSpin, checkTimeout, spinWhileEqual, threadRunQueueWaitMs } from '../../src/concurrency/atomics-wait.ts';
import { InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

/** A policy on a fake clock (`t.now`, ms) and a fake run-queue wait (`t.wait`, cumulative ms). */
function fake(options: ConstructorParameters<typeof AdaptiveSpin>[0] = {}): { spin: AdaptiveSpin; t: { now: number; wait: number | null } } {
  const t = { now: 1000, wait: 0 as number | null };
  const spin = new AdaptiveSpin({ clock: () => t.now, runQueueWait: () => t.wait, ...options });
  return { spin, t };
}

test('starts at maxSpins (a quiet machine spins as a fixed budget would); a miss halves, down to minSpins', () => {
  const { spin } = fake({ minSpins: 8, maxSpins: 64 });
  assert.equal(spin.spins, 64);
  const seen: number[] = [];
  for (let i = 0; i < 6; i++) {
    spin.miss();
    seen.push(spin.spins);
  }
  assert.deepEqual(seen, [32, 16, 8, 8, 8, 8]);
  assert.equal(spin.stats().misses, 6);
});

test('a late hit (second half of the budget) doubles the budget up to maxSpins; an early hit leaves it', () => {
  const { spin } = fake({ minSpins: 8, maxSpins: 64 });
  spin.miss();
  spin.miss(); // 16
  spin.hit(3); // early: stays
  assert.equal(spin.spins, 16);
  spin.hit(8); // late: doubles
  assert.equal(spin.spins, 32);
  spin.hit(20);
  spin.hit(40);
  assert.equal(spin.spins, 64, 'never past maxSpins');
  assert.equal(spin.stats().hits, 4);
});

test('a gap between two clock readings of one spin longer than preemptMs means descheduled: contended, budget at minimum, spin stops', () => {
  const { spin, t } = fake({ minSpins: 4, maxSpins: 256, preemptMs: 0.2 });
  spin.begin();
  assert.equal(spin.tick(), false, 'first reading only records the time');
  t.now += 0.01;
  assert.equal(spin.tick(), false, '10 µs between readings: still running');
  t.now += 5; // the thread lost its core for 5 ms
  assert.equal(spin.tick(), true);
  const s = spin.stats();
  assert.equal(s.contended, true);
  assert.equal(s.spins, 4);
  assert.equal(s.preemptions, 1);
  assert.equal(s.contendedEntries, 1);
  // while contended, late hits and short parks do not grow the budget
  spin.hit(3);
  spin.parkEnd(spin.parkStart());
  assert.equal(spin.spins, 4);
});

test('a gap across two separate spins is not a preemption (hit, miss and begin reset the reading)', () => {
  const { spin, t } = fake({ preemptMs: 0.2 });
  spin.begin();
  spin.tick();
  spin.hit(15);
  t.now += 50; // the thread did other work between two waits
  spin.begin();
  assert.equal(spin.tick(), false);
  spin.miss();
  t.now += 50;
  assert.equal(spin.tick(), false);
  assert.equal(spin.stats().preemptions, 0);
});

test('a park shorter than shortParkMs doubles the budget (a spin would have caught it); a long park does not', () => {
  const { spin, t } = fake({ minSpins: 8, maxSpins: 256, shortParkMs: 0.05 });
  spin.miss();
  spin.miss(); // 64
  let start = spin.parkStart();
  t.now += 0.01;
  spin.parkEnd(start);
  assert.equal(spin.spins, 128);
  start = spin.parkStart();
  t.now += 3;
  spin.parkEnd(start);
  assert.equal(spin.spins, 128);
  assert.deepEqual([spin.stats().shortParks, spin.stats().longParks], [1, 1]);
});

test('run-queue probes: waiting for a core more than contendedShare of the time enters contended mode; it ends only after contendedMs with little waiting', () => {
  const { spin, t } = fake({ probeMs: 10, contendedShare: 0.2, contendedMs: 100, shortParkMs: 0.05 });
  const park = (ms: number): void => {
    const s = spin.parkStart();
    t.now += ms;
    spin.parkEnd(s);
  };
  park(1); // first probe: records the baseline
  assert.equal(spin.contended, false);
  t.wait = (t.wait as number) + 5; // 5 ms of the next 20 ms waiting for a core: 25%
  park(20);
  assert.equal(spin.contended, true);
  assert.equal(spin.spins, spin.minSpins);
  park(20); // no more waiting, but contendedMs has not passed
  assert.equal(spin.contended, true);
  park(100);
  assert.equal(spin.contended, false, 'a quiet probe after contendedMs ends it');
  t.wait = (t.wait as number) + 1; // 1 ms of 20: 5%, below the threshold
  park(20);
  assert.equal(spin.contended, false);
  assert.equal(spin.stats().contendedEntries, 1);
});

test('probes are rate-limited to one per probeMs, and an unknown run-queue wait (null) never enters contended mode', () => {
  let calls = 0;
  const t = { now: 0 };
  const spin = new AdaptiveSpin({ clock: () => t.now, runQueueWait: () => (calls++, null), probeMs: 10 });
  for (let i = 0; i < 100; i++) {
    const s = spin.parkStart();
    t.now += 0.5;
    spin.parkEnd(s);
  }
  assert.equal(calls, 5, '50 ms of parks, one probe per 10 ms');
  assert.equal(spin.contended, false);
});

test('spinWhileEqual on real shared memory: true as soon as the word differs, false (a miss) when the budget runs out', () => {
  const words = new Int32Array(new SharedArrayBuffer(8));
  const { spin } = fake({ minSpins: 8, maxSpins: 64 });
  assert.equal(spinWhileEqual(words, 0, 0, spin), false);
  assert.equal(spin.stats().misses, 1);
  assert.equal(spin.spins, 32);
  Atomics.store(words, 0, 1);
  assert.equal(spinWhileEqual(words, 0, 0, spin), true);
  assert.equal(spin.stats().hits, 1);
});

test('threadRunQueueWaitMs reads this thread\'s schedstat on Linux: a non-decreasing number of ms', () => {
  const a = threadRunQueueWaitMs();
  if (process.platform !== 'linux') {
    assert.equal(a, null);
    return;
  }
  assert.equal(typeof a, 'number');
  const b = threadRunQueueWaitMs() as number;
  assert.ok(b >= (a as number) && Number.isFinite(b));
});

test('bad options are refused typed, naming AdaptiveSpin and the option', () => {
  assert.throws(() => new AdaptiveSpin(null as never), (e: unknown) => e instanceof InvalidArgumentError && /AdaptiveSpin options must be an object/.test((e as Error).message));
  assert.throws(() => new AdaptiveSpin({ minSpins: 3 }), (e: unknown) => (e instanceof OutOfRangeError || e instanceof InvalidArgumentError) && /AdaptiveSpin minSpins/.test((e as Error).message));
  assert.throws(() => new AdaptiveSpin({ minSpins: 16, maxSpins: 8 }), /AdaptiveSpin maxSpins/);
  assert.throws(() => new AdaptiveSpin({ preemptMs: -1 }), /AdaptiveSpin preemptMs/);
  assert.throws(() => new AdaptiveSpin({ clock: 5 as never }), (e: unknown) => e instanceof InvalidArgumentError && /AdaptiveSpin clock must be a function/.test((e as Error).message));
});

test('checkTimeout: wrong kind InvalidArgumentError, NaN / negative / past 2^31 - 1 OutOfRangeError, Infinity and 2^31 - 1 accepted', () => {
  for (const ok of [0, 1.5, 2 ** 31 - 1, Infinity]) checkTimeout('SpscConsumer read', ok);
  for (const bad of ['5', null, 10n, Symbol('s')]) assert.throws(() => checkTimeout('SpscConsumer read', bad as never), InvalidArgumentError);
  for (const bad of [NaN, -1, 2 ** 31, -Infinity]) assert.throws(() => checkTimeout('SpscConsumer read', bad), (e: unknown) => e instanceof OutOfRangeError && /^SpscConsumer read timeoutMs/.test((e as Error).message));
});
