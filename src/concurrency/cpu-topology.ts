/**
 * CPU topology: which CPUs this process may run on, grouped by NUMA node.
 *
 * Design. Two Linux sources are read once, synchronously (a few small files,
 * done at pool construction, never on a hot path):
 *  - `<procRoot>/self/status`, line `Cpus_allowed_list` — the affinity mask the
 *    process inherited (taskset, cgroups cpusets, container limits);
 *  - `<sysRoot>/devices/system/node/node<N>/cpulist` — the CPUs of each NUMA node.
 * Each node's CPUs are intersected with the allowed set; nodes left empty
 * (memory-only nodes, or nodes outside our cpuset) are dropped.
 *
 * Fallbacks, recorded in `source`:
 *  - `'sysfs'`: both sources read;
 *  - `'no-numa'`: the node directory is missing (non-NUMA kernel, some
 *    containers): one node 0 holding every allowed CPU;
 *  - `'os'`: the status file is missing (not Linux): one node 0 holding CPUs
 *    `0..os.availableParallelism()-1`.
 *
 * Invariants of a returned `CpuTopology`: `cpus` is sorted ascending, unique,
 * non-empty; `nodes` is sorted by id, every node non-empty and sorted, nodes
 * are disjoint and their union is `cpus`. (Allowed CPUs that no node lists —
 * only possible for offline CPUs — are dropped, since nothing can run there.)
 *
 * List syntax (`0-3,8,10-11`) follows the kernel's `cpulist` format; the
 * kernel's stride form (`0-8:2/4`) is never printed by sysfs or procfs and is
 * rejected, as is anything else the kernel would not print.
 *
 * Bad input. `parseCpuList` takes a string, `formatCpuList` an array of
 * integers 0 to MAX_CPU_ID, `readCpuTopology` undefined or a plain object
 * whose roots are non-empty strings without NUL bytes; anything else is a
 * typed error naming the function, the parameter, the value and the rule. A
 * root whose files exist but cannot be read (a directory where a file should
 * be, no permission) or hold malformed lists is refused with an error naming
 * the function and the file, never the raw `fs` error.
 */
import { closeSync, openSync, readSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { checkArray, checkNumber, checkOptions, checkString } from '../validate.ts';

/** Highest CPU number accepted by {@link parseCpuList} (the kernel's NR_CPUS ceiling is 8192). @example MAX_CPU_ID === 8191 */
export const MAX_CPU_ID = 8191;

/** Where a {@link CpuTopology} came from. @example if (topo.source !== 'sysfs') console.warn('no NUMA data') */
export type CpuTopologySource = 'sysfs' | 'no-numa' | 'os';

/** One NUMA node: its id and the allowed CPUs on it (sorted, non-empty). @example { id: 0, cpus: [0, 1, 2, 3] } */
export interface NumaNode {
  readonly id: number;
  readonly cpus: readonly number[];
}

/**
 * The CPUs this process may use, grouped by NUMA node.
 * @example const { cpus, nodes, source } = readCpuTopology();
 */
export interface CpuTopology {
  /** Every usable CPU, sorted ascending. */
  readonly cpus: readonly number[];
  /** NUMA nodes with at least one usable CPU, sorted by id. */
  readonly nodes: readonly NumaNode[];
  /** Which sources the data came from. */
  readonly source: CpuTopologySource;
}

/** Options of {@link readCpuTopology}. @example readCpuTopology({ sysRoot: 'fixtures/sys', procRoot: 'fixtures/proc' }) */
export interface ReadCpuTopologyOptions {
  /** Root of the sysfs tree. Default `'/sys'`. */
  sysRoot?: string;
  /** Root of the procfs tree. Default `'/proc'`. */
  procRoot?: string;
}

const ITEM = /^(\d+)(?:-(\d+))?$/;

/**
 * Parses kernel CPU list syntax into sorted, unique CPU numbers. Surrounding
 * whitespace (the trailing newline of a sysfs file) is ignored; an empty list
 * gives `[]`. Malformed text throws `InvalidArgumentError`; a reversed range or
 * a CPU above {@link MAX_CPU_ID} throws `OutOfRangeError`.
 * @example parseCpuList('0-3,8,10-11\n') // [0, 1, 2, 3, 8, 10, 11]
 */
export function parseCpuList(text: string): number[] {
  if (typeof text !== 'string') {
    throw new InvalidArgumentError(`parseCpuList text must be a string, got ${describe(text)}`);
  }
  const body = text.trim();
  if (body === '') return [];
  // One byte per possible CPU, ranges filled natively: a long list of wide
  // ranges costs a memset each, not a loop per CPU.
  const seen = new Uint8Array(MAX_CPU_ID + 1);
  for (const part of body.split(',')) {
    const m = ITEM.exec(part);
    if (m === null) {
      throw new InvalidArgumentError(
        `parseCpuList text ${describe(text)} is malformed at ${describe(part)}: items must be "N" or "N-M" separated by commas`,
      );
    }
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi > MAX_CPU_ID || lo > MAX_CPU_ID) {
      throw new OutOfRangeError(`parseCpuList text ${describe(text)}: CPU ${Math.max(lo, hi)} must be at most ${MAX_CPU_ID}`);
    }
    if (hi < lo) {
      throw new OutOfRangeError(`parseCpuList text ${describe(text)}: range ${describe(part)} must not be reversed`);
    }
    seen.fill(1, lo, hi + 1);
  }
  const out: number[] = [];
  for (let c = 0; c <= MAX_CPU_ID; c++) if (seen[c] === 1) out.push(c);
  return out;
}

/**
 * Renders CPU numbers in kernel list syntax, merging runs into ranges (any
 * order, repeats allowed). `cpus` must be an array of integers from 0 to
 * {@link MAX_CPU_ID}; anything else throws `InvalidArgumentError`/`OutOfRangeError`.
 * @example formatCpuList([0, 1, 2, 3, 8, 10, 11]) // '0-3,8,10-11'
 */
export function formatCpuList(cpus: readonly number[]): string {
  const list = checkArray<unknown>('formatCpuList', 'cpus', cpus);
  for (let i = 0; i < list.length; i++) checkNumber('formatCpuList', `cpus[${i}]`, list[i], { integer: true, min: 0, max: MAX_CPU_ID });
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Parses a file's list, naming the function and the file in the error. */
function parseFile(path: string, text: string): number[] {
  try {
    return parseCpuList(text);
  } catch (e) {
    if (e instanceof OutOfRangeError) throw new OutOfRangeError(`readCpuTopology ${path}: ${e.message}`);
    if (e instanceof InvalidArgumentError) throw new InvalidArgumentError(`readCpuTopology ${path}: ${e.message}`);
    throw e;
  }
}

/** An `fs` failure other than "missing", as a typed error naming the root option and the file. */
function unreadable(param: string, root: string, path: string, e: unknown): InvalidArgumentError {
  const code = (e as { code?: unknown } | null)?.code;
  const why = typeof code === 'string' ? code : e instanceof Error ? e.message : String(e);
  return new InvalidArgumentError(`readCpuTopology ${param} (${describe(root)}): ${path} exists but could not be read (${why}); it must lead to readable ${param === 'procRoot' ? 'procfs' : 'sysfs'} files`);
}

/** Caps what is read of one file: a status or cpulist file is a few KiB; a root leading to a huge or endless file (/dev/zero) must not be read whole. */
const MAX_FILE_BYTES = 1 << 20;

/** Reads at most MAX_FILE_BYTES of `path`; null when it is missing. */
function readSmall(param: string, root: string, path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if (isMissing(e)) return null;
    throw unreadable(param, root, path, e);
  }
  const buf = Buffer.allocUnsafe(MAX_FILE_BYTES + 1);
  let len = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
      if (len > MAX_FILE_BYTES) {
        throw new OutOfRangeError(`readCpuTopology ${param} (${describe(root)}): ${path} must be at most ${MAX_FILE_BYTES} bytes, like the kernel's files`);
      }
    }
  } catch (e) {
    if (e instanceof OutOfRangeError) throw e;
    throw unreadable(param, root, path, e);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8', 0, len);
}

function readAllowed(procRoot: string): number[] | null {
  const path = join(procRoot, 'self', 'status');
  const status = readSmall('procRoot', procRoot, path);
  if (status === null) return null;
  const line = /^Cpus_allowed_list:[ \t]*(.*)$/m.exec(status);
  if (line === null) {
    throw new InvalidArgumentError(`readCpuTopology ${path} must contain a Cpus_allowed_list line`);
  }
  const cpus = parseFile(path, line[1]!);
  if (cpus.length === 0) {
    throw new OutOfRangeError(`readCpuTopology ${path} Cpus_allowed_list ${describe(line[1])} must name at least one CPU`);
  }
  return cpus;
}

function readNodes(sysRoot: string, allowed: ReadonlySet<number>): NumaNode[] | null {
  const dir = join(sysRoot, 'devices', 'system', 'node');
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    if (isMissing(e)) return null;
    throw unreadable('sysRoot', sysRoot, dir, e);
  }
  const nodes: NumaNode[] = [];
  for (const name of entries) {
    const m = /^node(\d+)$/.exec(name);
    if (m === null) continue;
    const path = join(dir, name, 'cpulist');
    const text = readSmall('sysRoot', sysRoot, path);
    if (text === null) continue; // a node without a cpulist has no CPUs
    const cpus = parseFile(path, text).filter((c) => allowed.has(c));
    if (cpus.length > 0) nodes.push({ id: Number(m[1]), cpus });
  }
  nodes.sort((a, b) => a.id - b.id);
  // The kernel never lists a CPU under two nodes; if a broken tree does, the lower node keeps it.
  const claimed = new Set<number>();
  const out: NumaNode[] = [];
  for (const n of nodes) {
    const cpus = n.cpus.filter((c) => !claimed.has(c));
    for (const c of cpus) claimed.add(c);
    if (cpus.length > 0) out.push({ id: n.id, cpus });
  }
  return out;
}

function rootOption(name: string, v: unknown, fallback: string): string {
  if (v === undefined) return fallback;
  const root = checkString('readCpuTopology', name, v, { nonEmpty: true });
  if (root.includes('\0')) throw new InvalidArgumentError(`readCpuTopology ${name} (${describe(root)}) must be a path without NUL bytes`);
  return root;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Reads the CPUs this process may use and their NUMA nodes (see the design
 * note for sources and fallbacks). Synchronous; call it once and keep the result.
 * @example
 * const topo = readCpuTopology();
 * console.log(topo.source, topo.nodes.map((n) => `${n.id}: ${formatCpuList(n.cpus)}`));
 */
export function readCpuTopology(options?: ReadCpuTopologyOptions): CpuTopology {
  const o = checkOptions<ReadCpuTopologyOptions>('readCpuTopology', 'options', options);
  const sysRoot = rootOption('sysRoot', o.sysRoot, '/sys');
  const procRoot = rootOption('procRoot', o.procRoot, '/proc');
  const allowed = readAllowed(procRoot);
  if (allowed === null) {
    const cpus = range(Math.max(1, availableParallelism()));
    return { cpus, nodes: [{ id: 0, cpus }], source: 'os' };
  }
  const nodes = readNodes(sysRoot, new Set(allowed));
  // A node directory listing no allowed CPU tells us nothing useful: treat it as missing.
  if (nodes === null || nodes.length === 0) {
    return { cpus: allowed, nodes: [{ id: 0, cpus: allowed }], source: 'no-numa' };
  }
  const cpus = nodes.flatMap((n) => n.cpus).sort((a, b) => a - b);
  return { cpus, nodes, source: 'sysfs' };
}
