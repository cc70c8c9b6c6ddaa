// The contended mode of the benchmarks (issue 11, section 7): busy processes
// that really run beside a case and never outlive the run, rows marked
// contended, and the contended section of the docs rendered from them.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BUSY_MARKER, liveBusyProcesses, startBusyProcesses } from '../../bench/lib/busy.ts';
import { FULL_CONFIG, renderContendedMarkdown, type ContendedReport } from '../../bench/harness.ts';
import { InvalidArgumentError } from '../../src/errors.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'bench', 'fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'bench-contended-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** CPU ticks (user + system) a process has used, from /proc/<pid>/stat. */
const cpuTicks = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 20 ms for up to `ms` (a bound on a liveness check, not a timing claim). */
async function eventually(cond: () => boolean, ms: number, what: string): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (cond()) return;
  assert.fail(`${what}: not within ${ms} ms`);
}

test('startBusyProcesses runs the requested number of processes that burn CPU, and stop() reaps every one', async () => {
  const busy = await startBusyProcesses(2);
  try {
    assert.equal(busy.pids.length, 2);
    assert.equal(liveBusyProcesses(), 2);
    for (const pid of busy.pids) {
      assert.ok(alive(pid));
      assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), new RegExp(BUSY_MARKER));
    }
    if (process.platform === 'linux') {
      const before = busy.pids.map(cpuTicks);
      await eventually(() => busy.pids.every((pid, i) => cpuTicks(pid) > before[i]), 10_000, 'busy processes use CPU');
    }
  } finally {
    await busy.stop();
  }
  assert.equal(liveBusyProcesses(), 0);
  for (const pid of busy.pids) assert.equal(alive(pid), false, `pid ${pid} still alive after stop()`);
  await busy.stop(); // idempotent
});

test('a bad count is refused typed, and nothing is started', async () => {
  for (const bad of [0, -1, 1.5, 257, '2', null, 2n]) {
    await assert.rejects(startBusyProcesses(bad as never), (e: unknown) => e instanceof InvalidArgumentError && /startBusyProcesses count must be an integer from 1 to 256/.test((e as Error).message));
  }
  assert.equal(liveBusyProcesses(), 0);
});

test('busy processes of a parent killed with SIGKILL (no handler runs) exit by themselves', async () => {
  const src = `import { startBusyProcesses } from ${JSON.stringify(join(ROOT, 'bench', 'lib', 'busy.ts'))};
const b = await startBusyProcesses(2); process.stdout.write(b.pids.join(',') + '\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', src], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', () => reject(new Error(`parent exited before printing pids: ${out}`)));
  });
  const pids = line.split(',').map(Number);
  assert.equal(pids.length, 2);
  assert.ok(pids.every(alive));
  child.kill('SIGKILL');
  await eventually(() => !pids.some(alive), 15_000, 'orphaned busy processes exit');
});

test('bench/run.ts --contended marks every row and comparison contended and counts the busy processes', () => {
  const out = join(tmp, 'contended.json');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'run.ts'), '--dir', FIXTURES, '--quick', '--filter', 'tiny › sum', '--contended', '--json', out], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\[contended: \d+ busy processes?\]/);
  const json = JSON.parse(readFileSync(out, 'utf8'));
  assert.ok(json.results.length >= 2);
  for (const row of json.results) assert.equal(row.contended, true);
  for (const c of json.comparisons) assert.equal(c.contended, true);
});

test('renderContendedMarkdown: one row per comparison with our median and min beside the peer, and the busy-process count', () => {
  const row = (impl: string, medianNs: number, minNs: number) => ({ suite: 's', case: 'c', impl, medianNs, minNs, maxNs: medianNs * 2, samples: 10, spread: 0.1, contended: true as const });
  const report = {
    meta: { node: 'v20.20.2', cpu: 'test cpu', cores: 2, commit: 'abc1234', date: '2026-12-04T00:00:00.000Z' },
    results: [row('ours', 100, 90), row('peer', 2500, 2000)],
    comparisons: [{ suite: 's', case: 'c', peer: 'peer', speedup: 25, contended: true as const }],
    busyProcesses: 2,
  } as unknown as ContendedReport;
  const md = renderContendedMarkdown(report, { command: 'npm run bench -- --contended', config: FULL_CONFIG });
  assert.match(md, /with 2 busy processes/);
  assert.match(md, /\| s \| c \| 100 ns \| 90(\.0)? ns \| peer \| 2\.50 µs \| 25\.0+x \|/);
  const empty = renderContendedMarkdown({ ...report, results: [], comparisons: [] }, { command: 'x', config: FULL_CONFIG });
  assert.match(empty, /no case measured/);
});
