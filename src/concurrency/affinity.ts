/**
 * Thread CPU affinity: a thread pins itself to a set of CPUs.
 *
 * Design. Node has no affinity API, so the syscalls come from an optional
 * Node-API addon (native/affinity, built by the package's install script).
 * On Linux `sched_setaffinity(0, ...)` acts on the calling thread only, so
 * {@link pinCurrentThread} called inside a worker pins that worker and leaves
 * the main thread and the other workers alone.
 *
 * The addon is loaded lazily, once per thread (each worker has its own module
 * instance), from the first candidate path that exists: next to the sources
 * (`src/concurrency` -> `../../native`) or next to the build output
 * (`dist/src/concurrency` -> `../../../native`). Without it — not built, not
 * Linux, or `BLACKHOLE_NO_NATIVE=1` — pinning is a no-op that returns false
 * and emits one `BH_AFFINITY_UNAVAILABLE` warning per thread; reading a
 * thread's mask still works through `/proc/thread-self/status`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BlackholeError, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { MAX_CPU_ID, formatCpuList, parseCpuList, readCpuTopology } from './cpu-topology.ts';

/** Stable code of {@link AffinityError}. @example if (e.code === AFFINITY_FAILED) ... */
export const AFFINITY_FAILED = 'ERR_BH_AFFINITY_FAILED';

/**
 * Code of the one warning emitted per thread when pinning is unavailable.
 * @example process.on('warning', (w) => { if ((w as { code?: string }).code === AFFINITY_UNAVAILABLE_WARNING) log(w.message) })
 */
export const AFFINITY_UNAVAILABLE_WARNING = 'BH_AFFINITY_UNAVAILABLE';

/**
 * Thrown when the kernel refuses an affinity syscall for CPUs that passed
 * validation (for example a cpuset changed under the process).
 * @example try { pinCurrentThread([3]) } catch (e) { if (e instanceof AffinityError) console.log(e.errno) }
 */
export class AffinityError extends BlackholeError {
  /** The errno name the kernel returned (`'EINVAL'`, `'EPERM'`, ...), or `'UNKNOWN'`. */
  readonly errno: string;
  constructor(message: string, errno: string, cause: unknown) {
    super(AFFINITY_FAILED, message, { cause });
    this.errno = errno;
  }
}

/**
 * Whether thread pinning works in this process, and why not when it does not.
 * @example const { available, reason } = affinitySupport()
 */
export interface AffinitySupport {
  /** True when the addon is loaded and {@link pinCurrentThread} really pins. */
  readonly available: boolean;
  /** Why pinning is unavailable; `null` when it is available. */
  readonly reason: string | null;
}

interface AffinityAddon {
  setAffinity(cpus: number[]): void;
  getAffinity(): number[];
  currentCpu(): number;
}

const ADDON_FILE = 'native/affinity/build/Release/blackhole_affinity.node';
// From src/concurrency (sources, tests) and from dist/src/concurrency (the built package).
const CANDIDATES = [new URL(`../../${ADDON_FILE}`, import.meta.url), new URL(`../../../${ADDON_FILE}`, import.meta.url)];

let addon: AffinityAddon | null = null;
let support: AffinitySupport | null = null;
let warned = false;

function load(): AffinitySupport {
  if (support !== null) return support;
  let reason: string | null = null;
  if (process.env.BLACKHOLE_NO_NATIVE === '1') {
    reason = 'BLACKHOLE_NO_NATIVE=1 is set';
  } else if (process.platform !== 'linux') {
    reason = `thread affinity needs Linux (this is ${process.platform})`;
  } else {
    const path = CANDIDATES.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
    if (path === undefined) {
      reason = `the native addon is not built (${ADDON_FILE}; run "node scripts/build-native.mjs" in the package)`;
    } else {
      try {
        addon = createRequire(import.meta.url)(path) as AffinityAddon;
      } catch (e) {
        reason = `the native addon at ${path} failed to load: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
  }
  support = { available: reason === null, reason };
  return support;
}

function errnoName(e: unknown): string {
  const n = (e as { errno?: unknown } | null)?.errno;
  const hit = Object.entries(constants.errno).find(([, v]) => v === n);
  return hit === undefined ? 'UNKNOWN' : hit[0];
}

/**
 * Reports whether {@link pinCurrentThread} really pins here (the addon is
 * built and loads, on Linux, and `BLACKHOLE_NO_NATIVE` is not `1`).
 * @example if (!affinitySupport().available) console.log(affinitySupport().reason)
 */
export function affinitySupport(): AffinitySupport {
  return load();
}

function validate(cpus: readonly number[]): number[] {
  const what = 'pinCurrentThread cpus';
  if (!Array.isArray(cpus)) throw new InvalidArgumentError(`${what} must be an array of CPU numbers, got ${describe(cpus)}`);
  if (cpus.length === 0) throw new OutOfRangeError(`${what} (an array of 0) must name at least one CPU`);
  const seen = new Set<number>();
  for (const cpu of cpus as readonly unknown[]) {
    if (typeof cpu !== 'number') throw new InvalidArgumentError(`${what} must hold numbers, got ${describe(cpu)}`);
    if (!Number.isInteger(cpu) || cpu < 0 || cpu > MAX_CPU_ID) {
      throw new OutOfRangeError(`${what} entry ${describe(cpu)} must be an integer from 0 to ${MAX_CPU_ID}`);
    }
    if (seen.has(cpu)) throw new InvalidArgumentError(`${what} must not repeat a CPU, got ${cpu} twice`);
    seen.add(cpu);
  }
  const allowed = readCpuTopology().cpus;
  for (const cpu of seen) {
    if (!allowed.includes(cpu)) {
      throw new OutOfRangeError(`${what} entry ${cpu} must be one of the process's allowed CPUs (${formatCpuList(allowed)})`);
    }
  }
  return [...seen];
}

/**
 * Pins the calling thread (only it) to `cpus`. Call it inside the worker
 * being pinned. `cpus` must be a non-empty array of distinct integers, each
 * one of the process's allowed CPUs (`readCpuTopology().cpus`); a bad list
 * throws `InvalidArgumentError`/`OutOfRangeError` even when pinning is
 * unavailable. Returns true once pinned; false when pinning is unavailable
 * (see {@link affinitySupport}), after one `BH_AFFINITY_UNAVAILABLE` warning
 * per thread. A refused syscall throws {@link AffinityError}.
 * @example
 * // inside a worker
 * pinCurrentThread(planCorePlacement(readCpuTopology(), n, 'spread')[workerIndex])
 */
export function pinCurrentThread(cpus: readonly number[]): boolean {
  const list = validate(cpus);
  const { reason } = load();
  if (addon === null) {
    if (!warned) {
      warned = true;
      process.emitWarning(`thread pinning is unavailable: ${reason}; threads run unpinned`, { code: AFFINITY_UNAVAILABLE_WARNING });
    }
    return false;
  }
  try {
    addon.setAffinity(list);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new AffinityError(`pinCurrentThread cpus [${formatCpuList(list)}]: ${message}`, errnoName(e), e);
  }
  return true;
}

/**
 * The CPUs the calling thread may run on, sorted: from the addon, else from
 * `/proc/thread-self/status` (Linux without the addon); `null` where neither
 * is available.
 * @example currentThreadAffinity() // [0, 1], or [1] after pinCurrentThread([1])
 */
export function currentThreadAffinity(): number[] | null {
  if (load().available && addon !== null) return addon.getAffinity();
  let status: string;
  try {
    status = readFileSync('/proc/thread-self/status', 'utf8');
  } catch {
    return null;
  }
  const line = /^Cpus_allowed_list:[ \t]*(.*)$/m.exec(status);
  return line === null ? null : parseCpuList(line[1]!);
}

/**
 * The CPU the calling thread is running on right now (`sched_getcpu`), or
 * `null` without the addon. Only a hint: the thread may move at any moment
 * unless it is pinned to one CPU.
 * @example pinCurrentThread([1]); currentCpu() // 1
 */
export function currentCpu(): number | null {
  if (!load().available || addon === null) return null;
  return addon.currentCpu();
}
