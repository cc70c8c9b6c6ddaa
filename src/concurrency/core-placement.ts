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
 *
 * Bad input. Everything is checked before planning, with typed errors naming
 * `planCorePlacement`, the parameter, the value and the rule; nothing is
 * coerced (`'0'` is not CPU 0). A topology, typically from `readCpuTopology`
 * but possibly hand-built, must hold what `readCpuTopology` guarantees:
 * `cpus` distinct integers 0 to MAX_CPU_ID, `nodes` objects with distinct
 * integer ids and non-empty CPU lists that partition `cpus` (every CPU in
 * exactly one node). Explicit lists hold numbers, each one of `topology.cpus`;
 * load values are finite numbers >= 0. A `'numa'` plan copies a whole node's
 * list per thread, so threads x CPUs of the largest node is bounded by 2^24
 * (a plan must not be able to exhaust the heap).
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { checkArray, checkNumber, checkOptions } from '../validate.ts';
import { MAX_CPU_ID, type CpuTopology, type NumaNode } from './cpu-topology.ts';

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
  else if (load instanceof Map) raw = (cpu) => (load.has(cpu) ? load.get(cpu) : 0);
  else throw new InvalidArgumentError(`planCorePlacement option load must be a function or a Map, got ${describe(load)}`);
  return (cpu) => checkNumber(C, `load of CPU ${cpu}`, raw(cpu), { min: 0 });
}

const C = 'planCorePlacement';
const CPU_RULE = { integer: true, min: 0, max: MAX_CPU_ID } as const;

/** Checks a topology holds what readCpuTopology guarantees (see the design note), before any planning. */
function validateTopology(topology: unknown): asserts topology is CpuTopology {
  if (typeof topology !== 'object' || topology === null || Array.isArray(topology)) {
    throw new InvalidArgumentError(`${C} topology must be a CpuTopology ({ cpus, nodes }), got ${describe(topology)}`);
  }
  const t = topology as { cpus?: unknown; nodes?: unknown };
  const cpus = checkArray<unknown>(C, 'topology.cpus', t.cpus);
  const nodes = checkArray<unknown>(C, 'topology.nodes', t.nodes);
  if (nodes.length === 0 || cpus.length === 0) {
    throw new OutOfRangeError(`${C} topology must have at least one node and one CPU, got ${cpus.length} CPUs in ${nodes.length} nodes`);
  }
  const all = new Set<number>();
  for (let i = 0; i < cpus.length; i++) {
    const cpu = checkNumber(C, `topology.cpus[${i}]`, cpus[i], CPU_RULE);
    if (all.has(cpu)) throw new OutOfRangeError(`${C} topology.cpus must not repeat a CPU, got ${cpu} twice`);
    all.add(cpu);
  }
  const ids = new Set<number>();
  const owner = new Map<number, number>();
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (typeof n !== 'object' || n === null || Array.isArray(n)) {
      throw new InvalidArgumentError(`${C} topology.nodes[${i}] must be an object { id, cpus }, got ${describe(n)}`);
    }
    const node = n as { id?: unknown; cpus?: unknown };
    const id = checkNumber(C, `topology.nodes[${i}].id`, node.id, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
    if (ids.has(id)) throw new OutOfRangeError(`${C} topology.nodes must not repeat a node id, got ${id} twice`);
    ids.add(id);
    const list = checkArray<unknown>(C, `topology.nodes[${i}].cpus`, node.cpus);
    if (list.length === 0) throw new OutOfRangeError(`${C} topology node ${id} must have at least one CPU`);
    for (let j = 0; j < list.length; j++) {
      const cpu = checkNumber(C, `topology.nodes[${i}].cpus[${j}]`, list[j], CPU_RULE);
      if (!all.has(cpu)) throw new OutOfRangeError(`${C} CPU ${cpu} of topology node ${id} must be one of topology.cpus`);
      const other = owner.get(cpu);
      if (other !== undefined) {
        throw new OutOfRangeError(`${C} CPU ${cpu} must be in one topology node, got it in node ${other} and node ${id}`);
      }
      owner.set(cpu, id);
    }
  }
  if (owner.size !== all.size) {
    const orphan = [...all].find((c) => !owner.has(c));
    throw new OutOfRangeError(`${C} topology CPU ${orphan} must be in one of the nodes (the nodes must partition topology.cpus)`);
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

/** Most CPU entries a 'numa' plan may hold in all (threads x CPUs per node): 2^24, about 128 MiB of lists. */
const MAX_NUMA_PLAN_ENTRIES = 2 ** 24;

function numaPlan(topology: CpuTopology, threads: number, loads: ReadonlyMap<number, number>): number[][] {
  // Each thread gets its own copy of a whole node's list: bound the total before building it
  // (65,536 threads on one 8,192-CPU node would be 2^29 entries and exhaust the heap).
  const widest = Math.max(...topology.nodes.map((n) => n.cpus.length));
  if (threads * widest > MAX_NUMA_PLAN_ENTRIES) {
    throw new OutOfRangeError(
      `planCorePlacement threads (${threads}) x CPUs of the largest node (${widest}) must be at most 2^24 CPU entries for the 'numa' policy; use fewer threads`,
    );
  }
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
    for (const cpu of list as readonly unknown[]) {
      if (typeof cpu !== 'number') {
        throw new InvalidArgumentError(`planCorePlacement CPU list of thread ${t} must hold CPU numbers, got ${describe(cpu)}`);
      }
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
  options?: CorePlacementOptions,
): number[][] {
  validateTopology(topology);
  checkNumber(C, 'threads', threads, { integer: true, min: 1, max: MAX_PLACEMENT_THREADS });
  const o = checkOptions<CorePlacementOptions>(C, 'options', options);
  if (Array.isArray(policy)) return explicitPlan(topology, threads, policy);
  if (typeof policy !== 'string' || !POLICIES.includes(policy)) {
    throw new InvalidArgumentError(
      `planCorePlacement policy ${describe(policy)} must be 'spread', 'compact', 'numa' or an array of CPU lists`,
    );
  }
  // Read each CPU's load once, so a load function is called a bounded number of times and sorts stay consistent.
  const loadOf = loadFunction(o.load);
  const loads = new Map<number, number>();
  for (const node of topology.nodes) for (const c of node.cpus) loads.set(c, loadOf(c));
  if (policy === 'numa') return numaPlan(topology, threads, loads);
  const order = policy === 'spread' ? spreadOrder(topology, loads) : compactOrder(topology, loads);
  const plan: number[][] = [];
  for (let t = 0; t < threads; t++) plan.push([order[t % order.length]!]);
  return plan;
}
