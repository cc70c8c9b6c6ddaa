/**
 * Busy processes for `--contended` runs: one child `node` process per core,
 * each spinning in a tight integer loop, so a case is measured while other
 * work competes for every core (the situation the rings and the
 * work-stealing pool meet on a loaded machine).
 *
 * No process may outlive the run:
 *  - `stop()` sends SIGKILL to each and resolves once each has exited and
 *    been reaped;
 *  - while any is alive, SIGINT, SIGTERM and SIGHUP handlers kill them all
 *    and then re-raise the signal (so Ctrl-C still ends the run with the
 *    usual status), and an 'exit' handler kills any left over;
 *  - each child checks its parent pid about every 10 ms of spinning and exits
 *    once it has been orphaned (the parent was SIGKILLed, e.g. by the
 *    runner's case timeout, so none of the handlers above ran).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, describe } from '../../src/errors.ts';

/**
 * The loop each busy process runs: about 10 ms of integer work between two
 * looks at its parent; it exits when the parent is gone. Node caches
 * `process.ppid` at startup (and a child still booting when its parent dies
 * would read the adoptive parent), so the parent's pid is passed as an
 * argument and the live parent pid is read from
 * /proc/self/stat on Linux (reparented: it changed); elsewhere
 * `process.kill(parent, 0)` throws once the parent has exited.
 */
export const BUSY_LOOP_SOURCE =
  'const fs = require("node:fs"); const parent = Number(process.argv[2]); let x = 1;' +
  ' const gone = () => { try { if (process.platform === "linux") { const s = fs.readFileSync("/proc/self/stat", "latin1");' +
  ' return Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[1]) !== parent; } process.kill(parent, 0); return false; } catch { return true; } };' +
  ' for (;;) { for (let i = 0; i < 1e7; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;' +
  ' if (gone()) process.exit(x === 0.5 ? 1 : 0); }';

/** Marks the busy processes' command line, so tests and people can tell them apart. */
export const BUSY_MARKER = 'blackhole-bench-busy';

/**
 * A set of running busy processes.
 * @example const busy = await startBusyProcesses(); try { measure() } finally { await busy.stop() }
 */
export interface BusyProcesses {
  /** Their pids. */
  readonly pids: readonly number[];
  /** Kills them all and resolves once every one has exited. Idempotent. */
  stop(): Promise<void>;
}

const alive = new Set<ChildProcess>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let handlersInstalled = false;

function killAll(): void {
  for (const child of alive) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  removeHandlers();
  // Re-raise with the default disposition, so the process ends as it would have.
  process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('exit', killAll);
}

function removeHandlers(): void {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  for (const s of SIGNALS) process.off(s, onSignal);
  process.off('exit', killAll);
}

/**
 * Starts `count` busy processes (default: one per core,
 * `os.availableParallelism()`) and resolves once all are running.
 * Throws `InvalidArgumentError` for a count that is not an integer from 1 to 256.
 * @example const busy = await startBusyProcesses(2); console.log(busy.pids)
 */
export async function startBusyProcesses(count: number = availableParallelism()): Promise<BusyProcesses> {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 256) {
    throw new InvalidArgumentError(`startBusyProcesses count must be an integer from 1 to 256, got ${describe(count)}`);
  }
  installHandlers();
  const children: ChildProcess[] = [];
  const exited: Promise<void>[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const child = spawn(process.execPath, ['-e', BUSY_LOOP_SOURCE, BUSY_MARKER, String(process.pid)], { stdio: 'ignore' });
      alive.add(child);
      children.push(child);
      exited.push(
        new Promise<void>((resolve) => {
          child.once('exit', () => {
            alive.delete(child);
            resolve();
          });
          child.once('error', () => {
            alive.delete(child);
            resolve();
          });
        }),
      );
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    }
  } catch (err) {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(exited);
    if (alive.size === 0) removeHandlers();
    throw err;
  }
  let stopping: Promise<void> | null = null;
  return {
    pids: children.map((c) => c.pid!),
    stop(): Promise<void> {
      stopping ??= (async () => {
        for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
        await Promise.all(exited);
        if (alive.size === 0) removeHandlers();
      })();
      return stopping;
    },
  };
}

/**
 * The busy processes this process has started and not yet seen exit (for tests).
 * @example assert.equal(liveBusyProcesses(), 0)
 */
export function liveBusyProcesses(): number {
  return alive.size;
}
