import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CpuTopology } from '../../src/concurrency/cpu-topology.ts';
import { planCorePlacement, type PlacementPolicyName } from '../../src/concurrency/core-placement.ts';
import { ErrorCode } from '../../src/errors.ts';

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
  assert.throws(() => planCorePlacement(TWO, 1, [['0' as unknown as number]]), err(/CPU "0" of thread 0/));
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
