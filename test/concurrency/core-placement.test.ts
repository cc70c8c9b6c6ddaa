import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CpuTopology } from '../../src/concurrency/cpu-topology.ts';
import { planCorePlacement, type PlacementPolicyName } from '../../src/concurrency/core-placement.ts';
import { ErrorCode, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

function topology(nodes: number[][], ids?: number[]): CpuTopology {
  return {
    cpus: nodes.flat().sort((a, b) => a - b),
    nodes: nodes.map((cpus, i) => ({ id: ids?.[i] ?? i, cpus })),
    source: 'sysfs',
  };
}

const TWO = topology([[0, 1, 2, 3], [4, 5, 6, 7]]);
const ONE = topology([[0, 1, 2, 3]]);
const UNEVEN = topology([[0, 1], [2, 3, 4, 5]]);

test('spread alternates nodes, then cores within a node', () => {
  assert.deepEqual(planCorePlacement(TWO, 8, 'spread'), [[0], [4], [1], [5], [2], [6], [3], [7]]);
  assert.deepEqual(planCorePlacement(ONE, 3, 'spread'), [[0], [1], [2]]);
  // Node 0 runs out of cores first; the rest go to node 1.
  assert.deepEqual(planCorePlacement(UNEVEN, 6, 'spread'), [[0], [2], [1], [3], [4], [5]]);
});

test('compact fills node 0 before node 1', () => {
  assert.deepEqual(planCorePlacement(TWO, 6, 'compact'), [[0], [1], [2], [3], [4], [5]]);
});

test('numa gives whole nodes, balanced by thread count', () => {
  assert.deepEqual(planCorePlacement(TWO, 3, 'numa'), [[0, 1, 2, 3], [4, 5, 6, 7], [0, 1, 2, 3]]);
  assert.deepEqual(planCorePlacement(ONE, 2, 'numa'), [[0, 1, 2, 3], [0, 1, 2, 3]]);
});

test('threads beyond the CPU count wrap around', () => {
  assert.deepEqual(planCorePlacement(ONE, 6, 'compact'), [[0], [1], [2], [3], [0], [1]]);
  assert.deepEqual(planCorePlacement(UNEVEN, 8, 'spread').slice(6), [[0], [2]]);
});

test('load: least-loaded cores first, least-loaded node first, ties by id', () => {
  const load = new Map([[0, 5], [1, 1], [2, 0], [3, 3], [4, 9], [5, 9], [6, 9], [7, 9]]);
  // Node 0 mean 2.25 < node 1 mean 9, so spread starts on node 0 with its least-loaded core.
  assert.deepEqual(planCorePlacement(TWO, 4, 'spread', { load }), [[2], [4], [1], [5]]);
  assert.deepEqual(planCorePlacement(TWO, 5, 'compact', { load }), [[2], [1], [3], [0], [4]]);
  // numa: first thread to the least-loaded node; with equal counts again, node 0 again wins on load.
  assert.deepEqual(planCorePlacement(TWO, 3, 'numa', { load: (cpu) => (cpu < 4 ? 1 : 0) }), [
    [4, 5, 6, 7],
    [0, 1, 2, 3],
    [4, 5, 6, 7],
  ]);
  // A function and an equivalent map give the same plan.
  assert.deepEqual(
    planCorePlacement(TWO, 8, 'spread', { load: (c) => load.get(c)! }),
    planCorePlacement(TWO, 8, 'spread', { load }),
  );
});

test('explicit lists are validated and normalised', () => {
  assert.deepEqual(planCorePlacement(TWO, 2, [[3, 1, 1], [7]]), [[1, 3], [7]]);
  const err = (re: RegExp) => (e: unknown) =>
    e instanceof RangeError && (e as { code?: string }).code === ErrorCode.OUT_OF_RANGE && re.test(e.message);
  assert.throws(() => planCorePlacement(TWO, 2, [[0], [9]]), err(/CPU 9 of thread 1/));
  assert.throws(() => planCorePlacement(TWO, 2, [[0], []]), err(/thread 1 must not be empty/));
  assert.throws(() => planCorePlacement(TWO, 3, [[0], [1]]), err(/2 CPU lists.*\(3\)/));
  // No coercion: the string '0' is not CPU 0.
  assert.throws(
    () => planCorePlacement(TWO, 1, [['0' as unknown as number]]),
    (e: unknown) => e instanceof InvalidArgumentError && /planCorePlacement CPU list of thread 0 must hold CPU numbers, got "0"/.test((e as Error).message),
  );
});

test('bad arguments are rejected with typed errors naming the value', () => {
  for (const threads of [0, -1, 1.5, NaN, 65537]) {
    assert.throws(() => planCorePlacement(TWO, threads, 'spread'), (e: unknown) => e instanceof RangeError && e.message.includes(`threads (${threads})`));
  }
  assert.throws(() => planCorePlacement(TWO, 1, 'random' as PlacementPolicyName), (e: unknown) => e instanceof TypeError && /"random"/.test((e as Error).message));
  assert.throws(() => planCorePlacement(TWO, 1, 'spread', { load: () => -1 }), /load of CPU 0 \(-1\)/);
  assert.throws(() => planCorePlacement(TWO, 1, 'spread', { load: new Map([[3, NaN]]) }), /load of CPU 3 \(NaN\)/);
  assert.throws(() => planCorePlacement(TWO, 1, 'spread', { load: 5 as unknown as Map<number, number> }), TypeError);
  assert.throws(() => planCorePlacement(topology([]), 1, 'spread'), RangeError);
  assert.throws(() => planCorePlacement(null as unknown as CpuTopology, 1, 'spread'), TypeError);
});

/** Asserts `fn` throws `type` with a message matching `re`. */
function refused(fn: () => unknown, type: typeof InvalidArgumentError | typeof OutOfRangeError, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

test('a malformed hand-built topology is refused typed, naming the field (it crashed or planned garbage)', () => {
  const cases: [unknown, typeof InvalidArgumentError | typeof OutOfRangeError, RegExp][] = [
    // Used to crash: "Cannot read properties of null (reading 'cpus')".
    [{ cpus: [0, 1], nodes: [null], source: 'sysfs' }, InvalidArgumentError, /^planCorePlacement topology.nodes\[0\] must be an object \{ id, cpus \}, got null/],
    [{ cpus: [0, 1], nodes: [{ id: 0, cpus: 'abc' }], source: 'sysfs' }, InvalidArgumentError, /^planCorePlacement topology.nodes\[0\].cpus must be an array, got "abc"/],
    // Used to be planned: strings, NaN and duplicates as CPUs.
    [{ cpus: ['0', '1'], nodes: [{ id: 0, cpus: ['0', '1'] }], source: 'sysfs' }, InvalidArgumentError, /^planCorePlacement topology.cpus\[0\] must be an integer from 0 to 8191, got "0"/],
    [{ cpus: [0, Number.NaN], nodes: [{ id: 0, cpus: [0, Number.NaN] }], source: 'sysfs' }, OutOfRangeError, /topology.cpus\[1\] \(NaN\)/],
    [{ cpus: [0, 1], nodes: [{ id: 0, cpus: [0, 1] }, { id: 1, cpus: [1] }], source: 'sysfs' }, OutOfRangeError, /CPU 1 must be in one topology node, got it in node 0 and node 1/],
    [{ cpus: [0, 1], nodes: [{ id: 0, cpus: [0, 5] }], source: 'sysfs' }, OutOfRangeError, /CPU 5 of topology node 0 must be one of topology.cpus/],
    [{ cpus: [0, 1], nodes: [{ id: 0, cpus: [0] }], source: 'sysfs' }, OutOfRangeError, /topology CPU 1 must be in one of the nodes/],
    [{ cpus: [0, 0], nodes: [{ id: 0, cpus: [0] }], source: 'sysfs' }, OutOfRangeError, /topology.cpus must not repeat a CPU, got 0 twice/],
    [{ cpus: [0, 1], nodes: [{ id: 0, cpus: [0] }, { id: 0, cpus: [1] }], source: 'sysfs' }, OutOfRangeError, /must not repeat a node id, got 0 twice/],
    [{ cpus: [0], nodes: [{ id: '0', cpus: [0] }], source: 'sysfs' }, InvalidArgumentError, /topology.nodes\[0\].id must be an integer/],
    [{ cpus: [0], nodes: [{ id: 10n, cpus: [0] }], source: 'sysfs' }, InvalidArgumentError, /topology.nodes\[0\].id must be an integer.*got 10n/],
    [{ cpus: 5, nodes: [] }, InvalidArgumentError, /^planCorePlacement topology.cpus must be an array, got 5/],
    [[], InvalidArgumentError, /^planCorePlacement topology must be a CpuTopology/],
  ];
  for (const [topo, type, re] of cases) {
    for (const policy of ['spread', 'compact', 'numa', [[0]]] as const) refused(() => planCorePlacement(topo as CpuTopology, 1, policy), type, re);
  }
});

test('threads, policy, options and load refuse non-numbers and null typed, without coercion', () => {
  for (const threads of ['2', 2n, Symbol('t'), null, true, [2]]) {
    refused(() => planCorePlacement(TWO, threads as never, 'spread'), InvalidArgumentError, /^planCorePlacement threads must be an integer from 1 to 65536, got /);
  }
  refused(() => planCorePlacement(TWO, 2 ** 53, 'spread'), OutOfRangeError, /threads \(9007199254740992\) must be an integer from 1 to 65536/);
  // Used to crash on `options.load` of null.
  for (const options of [null, 5, 'spread', []]) {
    refused(() => planCorePlacement(TWO, 1, 'spread', options as never), InvalidArgumentError, /^planCorePlacement options must be an object when given, got /);
  }
  for (const policy of [null, 5, undefined, 'SPREAD']) {
    refused(() => planCorePlacement(TWO, 1, policy as never), InvalidArgumentError, /^planCorePlacement policy .* must be 'spread', 'compact', 'numa' or an array of CPU lists/);
  }
  refused(() => planCorePlacement(TWO, 1, ['0' as never]), InvalidArgumentError, /CPU list of thread 0 must be an array, got "0"/);
  refused(() => planCorePlacement(TWO, 1, [[1n as never]]), InvalidArgumentError, /CPU list of thread 0 must hold CPU numbers, got 1n/);
  // A load of '5' is not 5, a null in a map is not 0.
  refused(() => planCorePlacement(TWO, 1, 'spread', { load: () => '5' as never }), InvalidArgumentError, /^planCorePlacement load of CPU 0 must be a number >= 0, got "5"/);
  refused(() => planCorePlacement(TWO, 1, 'spread', { load: new Map([[2, null as never]]) }), InvalidArgumentError, /load of CPU 2 must be a number >= 0, got null/);
  refused(() => planCorePlacement(TWO, 1, 'spread', { load: () => Infinity }), OutOfRangeError, /load of CPU 0 \(Infinity\)/);
});

test("a 'numa' plan too large to build is refused typed instead of exhausting the heap", () => {
  const big = topology([Array.from({ length: 8192 }, (_, i) => i)]);
  refused(() => planCorePlacement(big, 65536, 'numa'), OutOfRangeError, /^planCorePlacement threads \(65536\) x CPUs of the largest node \(8192\) must be at most 2\^24 CPU entries for the 'numa' policy/);
  // Within the bound it is built, and spread/compact (one CPU per thread) are not limited by node size.
  assert.equal(planCorePlacement(big, 2048, 'numa').length, 2048);
  assert.equal(planCorePlacement(big, 65536, 'spread').length, 65536);
});

// Random topologies: 1-4 nodes of 1-6 CPUs with non-contiguous ids, random loads.
const arbCase = fc
  .record({
    sizes: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
    gap: fc.integer({ min: 0, max: 3 }),
    threads: fc.integer({ min: 1, max: 40 }),
    loads: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 32, maxLength: 32 }),
  })
  .map(({ sizes, gap, threads, loads }) => {
    let next = 0;
    const nodes = sizes.map((n) => Array.from({ length: n }, () => (next += 1 + gap)));
    const load = new Map<number, number>();
    for (const c of nodes.flat()) load.set(c, loads[c % 32]!);
    return { topo: topology(nodes, nodes.map((_, i) => i * 2)), threads, load };
  });

const POLICIES: PlacementPolicyName[] = ['spread', 'compact', 'numa'];

test('property: every plan uses only allowed CPUs, has one list per thread, and is deterministic', () => {
  fc.assert(
    fc.property(arbCase, fc.constantFrom(...POLICIES), fc.boolean(), ({ topo, threads, load }, policy, useLoad) => {
      const opts = useLoad ? { load } : {};
      const plan = planCorePlacement(topo, threads, policy, opts);
      assert.equal(plan.length, threads);
      const allowed = new Set(topo.cpus);
      for (const list of plan) {
        assert.ok(list.length > 0);
        for (const c of list) assert.ok(allowed.has(c));
      }
      assert.deepEqual(planCorePlacement(topo, threads, policy, opts), plan);
      if (policy !== 'numa') {
        // Each CPU is used floor or ceil of threads / cpus times.
        const counts = new Map<number, number>(topo.cpus.map((c) => [c, 0]));
        for (const [c] of plan) counts.set(c!, counts.get(c!)! + 1);
        const lo = Math.floor(threads / topo.cpus.length);
        for (const n of counts.values()) assert.ok(n === lo || n === lo + 1);
      } else {
        // Thread counts per node differ by at most one.
        const per = topo.nodes.map((n) => plan.filter((l) => l[0] === n.cpus[0]).length);
        assert.ok(Math.max(...per) - Math.min(...per) <= 1);
      }
    }),
    { seed: 0x5eed, numRuns: 400 },
  );
});

test("property: 'spread' uses a different node for consecutive threads while another node has a free core", () => {
  fc.assert(
    fc.property(arbCase, fc.boolean(), ({ topo, threads, load }, useLoad) => {
      const plan = planCorePlacement(topo, threads, 'spread', useLoad ? { load } : {});
      const nodeOf = new Map<number, number>();
      for (const n of topo.nodes) for (const c of n.cpus) nodeOf.set(c, n.id);
      const free = new Map(topo.nodes.map((n) => [n.id, n.cpus.length]));
      const firstPass = Math.min(threads, topo.cpus.length);
      for (let t = 0; t < firstPass; t++) {
        const node = nodeOf.get(plan[t]![0]!)!;
        if (t > 0) {
          const prev = nodeOf.get(plan[t - 1]![0]!)!;
          const otherFree = [...free].some(([id, n]) => id !== prev && n > 0);
          if (otherFree) assert.notEqual(node, prev, `thread ${t}`);
        }
        free.set(node, free.get(node)! - 1);
      }
      // No CPU repeats before every CPU is used.
      assert.equal(new Set(plan.slice(0, firstPass).map((l) => l[0])).size, firstPass);
    }),
    { seed: 0x5b4ead, numRuns: 400 },
  );
});

test("property: 'compact' fills node 0 first, then each node in id order", () => {
  fc.assert(
    fc.property(arbCase, fc.boolean(), ({ topo, threads, load }, useLoad) => {
      const plan = planCorePlacement(topo, threads, 'compact', useLoad ? { load } : {});
      const expectedNodes = topo.nodes.flatMap((n) => n.cpus.map(() => n.id));
      const nodeOf = new Map<number, number>();
      for (const n of topo.nodes) for (const c of n.cpus) nodeOf.set(c, n.id);
      for (let t = 0; t < threads; t++) {
        assert.equal(nodeOf.get(plan[t]![0]!), expectedNodes[t % expectedNodes.length]);
      }
    }),
    { seed: 0xc0a9ac7, numRuns: 400 },
  );
});

test('property: the first thread placed on a node gets its least-loaded core (naive model)', () => {
  fc.assert(
    fc.property(arbCase, fc.constantFrom<PlacementPolicyName>('spread', 'compact'), ({ topo, threads, load }, policy) => {
      const plan = planCorePlacement(topo, threads, policy, { load });
      for (const node of topo.nodes) {
        const first = plan.find((l) => node.cpus.includes(l[0]!));
        if (first === undefined) continue;
        const min = Math.min(...node.cpus.map((c) => load.get(c)!));
        const naive = node.cpus.filter((c) => load.get(c) === min).sort((a, b) => a - b)[0];
        assert.equal(first[0], naive);
      }
      if (policy === 'spread') {
        // The very first thread goes to the node with the least mean load (ties: lowest id).
        const mean = (cpus: readonly number[]) => cpus.reduce((s, c) => s + load.get(c)!, 0) / cpus.length;
        const best = [...topo.nodes].sort((a, b) => mean(a.cpus) - mean(b.cpus) || a.id - b.id)[0]!;
        assert.ok(best.cpus.includes(plan[0]![0]!));
      }
    }),
    { seed: 0x10ad, numRuns: 400 },
  );
});
