import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  AFFINITY_UNAVAILABLE_WARNING,
  affinitySupport,
  currentCpu,
  currentThreadAffinity,
  pinCurrentThread,
} from '../../src/concurrency/affinity.ts';
import { MAX_CPU_ID, parseCpuList, readCpuTopology } from '../../src/concurrency/cpu-topology.ts';
import { spawnWorker } from '../../src/concurrency/spawn-worker.ts';
import { ErrorCode } from '../../src/errors.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ADDON = `${ROOT}native/affinity/build/Release/blackhole_affinity.node`;
const WORKER = new URL('./fixtures/affinity-worker.ts', import.meta.url);
const LINUX = process.platform === 'linux';
const allowed = readCpuTopology().cpus;

/** This thread's mask as the kernel reports it (no addon involved). */
function ownProcList(): string {
  return /^Cpus_allowed_list:[ \t]*(.*)$/m.exec(readFileSync('/proc/thread-self/status', 'utf8'))![1]!;
}

/** Runs the fixture worker once; rejects after `limitMs` so no test hangs. */
async function runWorker(workerData: Record<string, unknown>, env?: NodeJS.ProcessEnv, limitMs = 30_000): Promise<Record<string, unknown>> {
  const worker = spawnWorker(WORKER, { workerData, ...(env === undefined ? {} : { env }) });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`affinity worker did not report within ${limitMs} ms`)), limitMs);
      worker.once('message', (m: Record<string, unknown>) => {
        clearTimeout(timer);
        resolve(m);
      });
      worker.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      worker.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`affinity worker exited with ${code} before reporting`));
      });
    });
  } finally {
    await worker.terminate();
  }
}

test('the addon is built on this Linux machine and loads', () => {
  if (!LINUX) {
    assert.equal(affinitySupport().available, false);
    return;
  }
  assert.ok(existsSync(ADDON), `${ADDON} must exist: run "node scripts/build-native.mjs"`);
  assert.deepEqual(affinitySupport(), { available: true, reason: null });
  // Reading works on the main thread without changing anything.
  assert.deepEqual(currentThreadAffinity(), parseCpuList(ownProcList()));
  const cpu = currentCpu();
  assert.ok(typeof cpu === 'number' && allowed.includes(cpu), `currentCpu ${cpu} must be one of ${allowed.join(',')}`);
});

for (const cpu of allowed) {
  test(`a worker pinned to CPU ${cpu} runs only there; the main thread's mask is unchanged`, async () => {
    const before = ownProcList();
    const r = await runWorker({ role: 'pin', cpus: [cpu] });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.equal(r.pinned, true);
    assert.equal(r.procList, String(cpu));
    assert.deepEqual(r.affinity, [cpu]);
    assert.equal(r.cpu, cpu);
    assert.equal(ownProcList(), before);
    assert.deepEqual(parseCpuList(before), allowed);
  });
}

test('a worker pinned to two CPUs gets both', async () => {
  assert.ok(allowed.length >= 2, `this test needs two allowed CPUs, the process has ${allowed.join(',')}`);
  const two = [allowed[allowed.length - 1]!, allowed[0]!];
  const r = await runWorker({ role: 'pin', cpus: two });
  assert.equal(r.pinned, true);
  assert.deepEqual(parseCpuList(String(r.procList)), [...two].sort((a, b) => a - b));
  assert.deepEqual(r.affinity, [...two].sort((a, b) => a - b));
  assert.ok(two.includes(r.cpu as number));
});

const outside = [0, 1, 2, 3, 4, 5, 6, 7, 8].find((c) => !allowed.includes(c)) ?? MAX_CPU_ID;
const BAD: [string, unknown, 'TypeError' | 'RangeError'][] = [
  ['an empty list', [], 'RangeError'],
  ['a non-array', '0', 'TypeError'],
  ['a string entry', ['0'], 'TypeError'],
  ['a non-integer', [0.5], 'RangeError'],
  ['NaN', [Number.NaN], 'RangeError'],
  ['a negative CPU', [-1], 'RangeError'],
  ['a CPU past MAX_CPU_ID', [MAX_CPU_ID + 1], 'RangeError'],
  ['a duplicate', [allowed[0], allowed[0]], 'TypeError'],
  [`CPU ${outside}, outside the allowed set`, [outside], 'RangeError'],
];
for (const [name, cpus, kind] of BAD) {
  test(`pinCurrentThread rejects ${name} with a ${kind} naming cpus`, async () => {
    const before = ownProcList();
    assert.throws(
      () => pinCurrentThread(cpus as number[]),
      (e: unknown) =>
        e instanceof (kind === 'TypeError' ? TypeError : RangeError) &&
        (e as { code?: string }).code === (kind === 'TypeError' ? ErrorCode.INVALID_ARG : ErrorCode.OUT_OF_RANGE) &&
        e.message.startsWith('pinCurrentThread cpus'),
    );
    assert.equal(ownProcList(), before);
    // The same in a worker thread, where pinning would really take effect.
    const r = await runWorker({ role: 'pin', cpus });
    assert.equal((r.error as { name?: string } | undefined)?.name, kind, JSON.stringify(r));
  });
}

test('the addon reports a refused syscall with errno text', () => {
  const raw = createRequire(import.meta.url)(ADDON) as { setAffinity(c: number[]): void };
  const before = ownProcList();
  // A CPU that is not online: the kernel answers EINVAL (no usable CPU in the mask).
  assert.throws(
    () => raw.setAffinity([MAX_CPU_ID]),
    (e: unknown) =>
      e instanceof Error && /sched_setaffinity failed: .*errno 22/.test(e.message) &&
      (e as { errno?: number }).errno === 22 && (e as { syscall?: string }).syscall === 'sched_setaffinity',
  );
  assert.equal(ownProcList(), before);
});

test('with BLACKHOLE_NO_NATIVE=1 pinning returns false with one warning, and reading falls back to /proc', () => {
  const script = `
    import { pinCurrentThread, currentThreadAffinity, currentCpu, affinitySupport } from ${JSON.stringify(new URL('../../src/concurrency/affinity.ts', import.meta.url).href)};
    const warnings = [];
    process.on('warning', (w) => warnings.push({ code: w.code, message: w.message }));
    const results = [pinCurrentThread([${allowed[0]}]), pinCurrentThread([${allowed[0]}])];
    setImmediate(() => console.log(JSON.stringify({ results, warnings, affinity: currentThreadAffinity(), cpu: currentCpu(), support: affinitySupport() })));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--no-warnings', '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, BLACKHOLE_NO_NATIVE: '1' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    results: boolean[];
    warnings: { code: string; message: string }[];
    affinity: number[] | null;
    cpu: number | null;
    support: { available: boolean; reason: string | null };
  };
  assert.deepEqual(out.results, [false, false]);
  assert.equal(out.warnings.length, 1);
  assert.equal(out.warnings[0]!.code, AFFINITY_UNAVAILABLE_WARNING);
  assert.match(out.warnings[0]!.message, /BLACKHOLE_NO_NATIVE=1/);
  assert.deepEqual(out.support, { available: false, reason: 'BLACKHOLE_NO_NATIVE=1 is set' });
  assert.equal(out.cpu, null);
  assert.deepEqual(out.affinity, LINUX ? allowed : null);
});

test('without the addon the warning is once per thread: each worker warns once', async () => {
  const env = { ...process.env, BLACKHOLE_NO_NATIVE: '1' };
  const [a, b] = await Promise.all([
    runWorker({ role: 'fallback', cpus: [allowed[0]] }, env),
    runWorker({ role: 'fallback', cpus: [allowed[0]] }, env),
  ]);
  for (const r of [a, b]) {
    assert.deepEqual(r.results, [false, false]);
    assert.deepEqual(r.warnings, [AFFINITY_UNAVAILABLE_WARNING]);
  }
});

function runBuildScript(env: NodeJS.ProcessEnv): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [`${ROOT}scripts/build-native.mjs`], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.error, undefined, `build script did not finish: ${String(r.error)}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('build script: BLACKHOLE_SKIP_NATIVE=1 exits 0 and says it skipped', () => {
  const { status, output } = runBuildScript({ BLACKHOLE_SKIP_NATIVE: '1' });
  assert.equal(status, 0);
  assert.match(output, /skipped the native affinity addon \(BLACKHOLE_SKIP_NATIVE=1\)/);
});

test('build script: Node headers missing -> exits 0 with the not-built message, downloads nothing', () => {
  const had = existsSync(ADDON);
  const { status, output } = runBuildScript({ npm_config_nodedir: '/nonexistent/blackhole-nodedir', BLACKHOLE_SKIP_NATIVE: '' });
  assert.equal(status, 0);
  assert.match(output, /native affinity addon not built \(no Node headers at \/nonexistent\/blackhole-nodedir\/include\/node\/node_api\.h/);
  assert.match(output, /the library works without thread pinning/);
  assert.equal(output.trim().split('\n').length, 1, output);
  // node-gyp never ran: a rebuild would have removed the existing addon first.
  assert.equal(existsSync(ADDON), had);
});
