/**
 * Core placement: which CPUs each pool thread should be pinned to.
 *
 * Design. A pure function of (topology, thread count, policy, load); the
 * pinning syscall lives elsewhere (the optional native addon). Output is one
 * CPU list per thread, deterministic for equal inputs: every choice is ordered
 * by load, then by id, never by iteration order of a hash or by chance.
 *
 * Policies:
 *  - `'spread'`: one CPU per thread. Node order: least mean load first, ties
 *    by id. Threads go round-robin across nodes; inside a node, cores are
 *    taken least-loaded first (ties by CPU id). A node whose cores are used
 *    up is skipped, so consecutive threads land on different nodes for as
 *    long as more than one node has a free core.
 *  - `'compact'`: one CPU per thread. Nodes in id order; each node is filled
 *    (least-loaded cores first) before the next, keeping threads that share
 *    data on one memory controller.
 *  - `'numa'`: each thread gets the whole CPU set of one node and the kernel
 *    schedules within it. Each thread goes to the node with the fewest threads
 *    so far; ties go to the least mean load, then the lowest id.
 *  - explicit `number[][]`: one non-empty list of allowed CPUs per thread.
 *
 * Wrap-around: with more threads than CPUs, `'spread'` and `'compact'` compute
 * their order over all CPUs once and thread `i` gets entry `i % cpus.length`,
 * so CPUs are shared as evenly as possible (counts differ by at most one).
 *
 * Load is a snapshot (for example the number of threads already pinned per CPU,
 * or a utilisation ratio); missing CPUs count as 0.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import type { CpuTopology, NumaNode } from './cpu-topology.ts';

/** Most threads {@link planCorePlacement} accepts in one plan. @example MAX_PLACEMENT_THREADS === 65536 */
export const MAX_PLACEMENT_THREADS = 65536;

/** A named placement policy. @example const p: PlacementPolicyName = 'spread' */
export type PlacementPolicyName = 'spread' | 'compact' | 'numa';

/** A named policy, or explicit CPU lists (one per thread). @example const p: PlacementPolicy = [[0], [2, 3]] */
export type PlacementPolicy = PlacementPolicyName | readonly (readonly number[])[];

/** Current load per CPU: a function or a map (missing CPUs count as 0). @example const load: CpuLoad = new Map([[0, 2]]) */
export type CpuLoad = ((cpu: number) => number) | ReadonlyMap<number, number>;

/** Options of {@link planCorePlacement}. @example planCorePlacement(topo, 4, 'spread', { load: new Map([[0, 1]]) }) */
export interface CorePlacementOptions {
  /** Load per CPU; lower is preferred. Values must be finite and non-negative. */
  load?: CpuLoad;
}

const POLICIES: readonly string[] = ['spread', 'compact', 'numa'];

function loadFunction(load: CpuLoad | undefined): (cpu: number) => number {
  let raw: (cpu: number) => unknown;
  if (load === undefined) return () => 0;
  if (typeof load === 'function') raw = load;
  else if (load instanceof Map) raw = (cpu) => load.get(cpu) ?? 0;
  else throw new InvalidArgumentError(`planCorePlacement option load must be a function or a Map, got ${describe(load)}`);
  return (cpu) => {
    const v = raw(cpu);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new OutOfRangeError(`planCorePlacement load of CPU ${cpu} (${describe(v)}) must be a finite number >= 0`);
    }
    return v;
  };
}

function validateTopology(topology: CpuTopology): void {
  if (topology === null || typeof topology !== 'object' || !Array.isArray(topology.nodes) || !Array.isArray(topology.cpus)) {
    throw new InvalidArgumentError(`planCorePlacement topology must be a CpuTopology, got ${describe(topology)}`);
  }
  if (topology.nodes.length === 0 || topology.cpus.length === 0) {
    throw new OutOfRangeError('planCorePlacement topology must have at least one node and one CPU');
  }
  for (const n of topology.nodes) {
    if (!Array.isArray(n.cpus) || n.cpus.length === 0) {
      throw new OutOfRangeError(`planCorePlacement topology node ${describe(n.id)} must have at least one CPU`);
    }
  }
}

/** Cores of a node, least-loaded first, ties by CPU id. */
function coresByLoad(node: NumaNode, loads: ReadonlyMap<number, number>): number[] {
  return [...node.cpus].sort((a, b) => loads.get(a)! - loads.get(b)! || a - b);
}

function meanLoad(node: NumaNode, loads: ReadonlyMap<number, number>): number {
  let sum = 0;
  for (const c of node.cpus) sum += loads.get(c)!;
  return sum / node.cpus.length;
}

function nodesById(topology: CpuTopology): NumaNode[] {
  return [...topology.nodes].sort((a, b) => a.id - b.id);
}

function spreadOrder(topology: CpuTopology, loads: ReadonlyMap<number, number>): number[] {
  const nodes = nodesById(topology)
    .map((node) => ({ node, mean: meanLoad(node, loads), cores: coresByLoad(node, loads) }))
    .sort((a, b) => a.mean - b.mean || a.node.id - b.node.id);
  const order: number[] = [];
  for (let round = 0; ; round++) {
    let took = false;
    for (const n of nodes) {
      if (round < n.cores.length) {
        order.push(n.cores[round]!);
        took = true;
      }
    }
    if (!took) return order;
  }
}

function compactOrder(topology: CpuTopology, loads: ReadonlyMap<number, number>): number[] {
  return nodesById(topology).flatMap((node) => coresByLoad(node, loads));
}

function numaPlan(topology: CpuTopology, threads: number, loads: ReadonlyMap<number, number>): number[][] {
  const nodes = nodesById(topology).map((node) => ({ node, mean: meanLoad(node, loads), count: 0 }));
  const plan: number[][] = [];
  for (let t = 0; t < threads; t++) {
    let best = nodes[0]!;
    for (const n of nodes) {
      if (n.count < best.count || (n.count === best.count && n.mean < best.mean)) best = n;
    }
    best.count++;
    plan.push([...best.node.cpus]);
  }
  return plan;
}

function explicitPlan(topology: CpuTopology, threads: number, lists: readonly (readonly number[])[]): number[][] {
  if (lists.length !== threads) {
    throw new OutOfRangeError(
      `planCorePlacement explicit policy has ${lists.length} CPU lists; it must have one per thread (${threads})`,
    );
  }
  const allowed = new Set(topology.cpus);
  return lists.map((list, t) => {
    if (!Array.isArray(list)) {
      throw new InvalidArgumentError(`planCorePlacement CPU list of thread ${t} must be an array, got ${describe(list)}`);
    }
    if (list.length === 0) {
      throw new OutOfRangeError(`planCorePlacement CPU list of thread ${t} must not be empty`);
    }
    for (const cpu of list) {
      if (!allowed.has(cpu)) {
        throw new OutOfRangeError(
          `planCorePlacement CPU ${describe(cpu)} of thread ${t} must be one of the allowed CPUs (${allowedText(topology)})`,
        );
      }
    }
    return [...new Set(list)].sort((a, b) => a - b);
  });
}

function allowedText(topology: CpuTopology): string {
  const c = topology.cpus;
  return c.length <= 16 ? c.join(',') : `${c.slice(0, 16).join(',')},...`;
}

/**
 * Plans which CPUs each of `threads` threads should be pinned to; returns one
 * sorted CPU list per thread (see the design note for each policy and for
 * wrap-around when threads outnumber CPUs). Bad arguments throw
 * `OutOfRangeError`/`InvalidArgumentError` naming the parameter and value.
 * @example
 * const topo = { cpus: [0, 1, 2, 3], nodes: [{ id: 0, cpus: [0, 1] }, { id: 1, cpus: [2, 3] }], source: 'sysfs' } as const;
 * planCorePlacement(topo, 3, 'spread'); // [[0], [2], [1]]
 * planCorePlacement(topo, 3, 'compact'); // [[0], [1], [2]]
 * planCorePlacement(topo, 3, 'numa'); // [[0, 1], [2, 3], [0, 1]]
 */
export function planCorePlacement(
  topology: CpuTopology,
  threads: number,
  policy: PlacementPolicy,
  options: CorePlacementOptions = {},
): number[][] {
  validateTopology(topology);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_PLACEMENT_THREADS) {
    throw new OutOfRangeError(
      `planCorePlacement threads (${describe(threads)}) must be an integer from 1 to ${MAX_PLACEMENT_THREADS}`,
    );
  }
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`planCorePlacement options must be an object, got ${describe(options)}`);
  }
  if (Array.isArray(policy)) return explicitPlan(topology, threads, policy);
  if (typeof policy !== 'string' || !POLICIES.includes(policy)) {
    throw new InvalidArgumentError(
      `planCorePlacement policy ${describe(policy)} must be 'spread', 'compact', 'numa' or an array of CPU lists`,
    );
  }
  // Read each CPU's load once, so a load function is called a bounded number of times and sorts stay consistent.
  const loadOf = loadFunction(options.load);
  const loads = new Map<number, number>();
  for (const node of topology.nodes) for (const c of node.cpus) loads.set(c, loadOf(c));
  if (policy === 'numa') return numaPlan(topology, threads, loads);
  const order = policy === 'spread' ? spreadOrder(topology, loads) : compactOrder(topology, loads);
  const plan: number[][] = [];
  for (let t = 0; t < threads; t++) plan.push([order[t % order.length]!]);
  return plan;
}
