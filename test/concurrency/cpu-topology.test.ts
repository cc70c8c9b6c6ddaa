import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { MAX_CPU_ID, formatCpuList, parseCpuList, readCpuTopology } from '../../src/concurrency/cpu-topology.ts';
import { ErrorCode, InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/topology/', import.meta.url));
function fixture(name: string): { sysRoot: string; procRoot: string } {
  return { sysRoot: `${FIXTURES}${name}/sys`, procRoot: `${FIXTURES}${name}/proc` };
}

test('parseCpuList reads singles, ranges and the trailing newline', () => {
  assert.deepEqual(parseCpuList('0-3,8,10-11\n'), [0, 1, 2, 3, 8, 10, 11]);
  assert.deepEqual(parseCpuList('5'), [5]);
  assert.deepEqual(parseCpuList('7-7'), [7]);
  assert.deepEqual(parseCpuList('\n'), []);
  assert.deepEqual(parseCpuList(''), []);
  // Unordered and overlapping items are tolerated and normalised.
  assert.deepEqual(parseCpuList('4,0-2,1'), [0, 1, 2, 4]);
});

for (const bad of ['0-3,,5', ',1', '1,', '1 - 2', 'a', '1-', '-1', '0-8:2/4', '1.5', '0x1', '1;2']) {
  test(`parseCpuList rejects malformed ${JSON.stringify(bad)} with a TypeError naming the text`, () => {
    assert.throws(
      () => parseCpuList(bad),
      (e: unknown) =>
        e instanceof TypeError &&
        (e as { code?: string }).code === ErrorCode.INVALID_ARG &&
        e.message.includes(JSON.stringify(bad)),
    );
  });
}

test('parseCpuList rejects reversed ranges and CPUs past MAX_CPU_ID with a RangeError', () => {
  for (const bad of ['3-1', `${MAX_CPU_ID + 1}`, `0-${MAX_CPU_ID + 1}`, '99999999999999999999']) {
    assert.throws(
      () => parseCpuList(bad),
      (e: unknown) =>
        e instanceof RangeError && (e as { code?: string }).code === ErrorCode.OUT_OF_RANGE && e.message.includes(bad),
      bad,
    );
  }
  assert.throws(() => parseCpuList(42 as unknown as string), TypeError);
});

test('formatCpuList merges runs', () => {
  assert.equal(formatCpuList([11, 0, 1, 2, 3, 8, 10]), '0-3,8,10-11');
  assert.equal(formatCpuList([]), '');
  assert.equal(formatCpuList([4]), '4');
});

test('property: rendering a random CPU set as a list and parsing it back is the identity', () => {
  // Naive renderer (independent of formatCpuList): random choice of singles vs ranges per run.
  const render = (sorted: number[], useRanges: boolean[]): string => {
    const parts: string[] = [];
    let i = 0;
    let k = 0;
    while (i < sorted.length) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
      if (useRanges[k++ % useRanges.length]) parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
      else for (let x = i; x <= j; x++) parts.push(`${sorted[x]}`);
      i = j + 1;
    }
    return parts.join(',');
  };
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 120 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
      (set, useRanges) => {
        const sorted = [...set].sort((a, b) => a - b);
        assert.deepEqual(parseCpuList(render(sorted, useRanges)), sorted);
        assert.deepEqual(parseCpuList(formatCpuList(set) + '\n'), sorted);
      },
    ),
    { seed: 0x70b0, numRuns: 300 },
  );
});

test('a 2-node machine: nodes intersected with the allowed CPUs, empty nodes dropped', () => {
  const topo = readCpuTopology(fixture('two-node'));
  assert.equal(topo.source, 'sysfs');
  assert.deepEqual(topo.cpus, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(topo.nodes, [
    { id: 0, cpus: [0, 1, 2, 3] },
    { id: 1, cpus: [4, 5] },
  ]);
});

test('a 1-node machine', () => {
  const topo = readCpuTopology(fixture('one-node'));
  assert.deepEqual(topo, { cpus: [0, 1, 2, 3], nodes: [{ id: 0, cpus: [0, 1, 2, 3] }], source: 'sysfs' });
});

test('a missing node directory gives one node 0 with the allowed CPUs', () => {
  const topo = readCpuTopology(fixture('no-node-dir'));
  assert.deepEqual(topo, { cpus: [0, 2], nodes: [{ id: 0, cpus: [0, 2] }], source: 'no-numa' });
});

test('a missing status file (not Linux) falls back to os.availableParallelism()', () => {
  const topo = readCpuTopology({ sysRoot: `${FIXTURES}absent/sys`, procRoot: `${FIXTURES}absent/proc` });
  const n = availableParallelism();
  assert.equal(topo.source, 'os');
  assert.deepEqual(topo.cpus, Array.from({ length: n }, (_, i) => i));
  assert.deepEqual(topo.nodes, [{ id: 0, cpus: topo.cpus }]);
});

test('a malformed Cpus_allowed_list names the file and the text', () => {
  assert.throws(
    () => readCpuTopology(fixture('bad-list')),
    (e: unknown) => e instanceof TypeError && e.message.includes('status') && e.message.includes('"0-3,,5"'),
  );
});

test('bad options are rejected', () => {
  assert.throws(() => readCpuTopology({ sysRoot: '' }), /sysRoot/);
  assert.throws(() => readCpuTopology({ procRoot: 7 as unknown as string }), /procRoot/);
});

test('this machine: non-empty, sorted, each CPU < 1024, nodes partition the CPUs', () => {
  const topo = readCpuTopology();
  if (process.platform === 'linux') assert.notEqual(topo.source, 'os');
  assert.ok(topo.cpus.length > 0);
  // availableParallelism() is the affinity mask's size on Linux (newer libuv may lower it further for a cgroup CPU quota).
  if (process.platform === 'linux') assert.ok(topo.cpus.length >= availableParallelism());
  assert.deepEqual([...topo.cpus].sort((a, b) => a - b), topo.cpus);
  for (const c of topo.cpus) assert.ok(Number.isInteger(c) && c >= 0 && c < 1024, `cpu ${c}`);
  assert.deepEqual(topo.nodes.flatMap((n) => n.cpus).sort((a, b) => a - b), topo.cpus);
});

/** Asserts `fn` throws `type` with a message matching `re`. */
function refused(fn: () => unknown, type: typeof InvalidArgumentError | typeof OutOfRangeError, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

test('formatCpuList refuses non-arrays and non-CPU entries typed (a string was split, NaN and -1 rendered)', () => {
  for (const bad of ['0-3', 5, null, undefined, new Set([1]), { length: 1, 0: 1 }]) {
    refused(() => formatCpuList(bad as never), InvalidArgumentError, /^formatCpuList cpus must be an array, got /);
  }
  for (const bad of ['1', 1n, null, Symbol('c'), [1]]) {
    refused(() => formatCpuList([0, bad] as never), InvalidArgumentError, /^formatCpuList cpus\[1\] must be an integer from 0 to 8191, got /);
  }
  for (const bad of [Number.NaN, -1, 1.5, MAX_CPU_ID + 1, Infinity]) {
    refused(() => formatCpuList([bad]), OutOfRangeError, /^formatCpuList cpus\[0\] \(.+\) must be an integer from 0 to 8191/);
  }
  assert.equal(formatCpuList([3, 3, 1, 2]), '1-3');
});

test('readCpuTopology refuses null options, non-strings and NUL bytes typed', () => {
  for (const bad of [null, 5, '/sys', []]) {
    refused(() => readCpuTopology(bad as never), InvalidArgumentError, /^readCpuTopology options must be an object when given, got /);
  }
  for (const name of ['sysRoot', 'procRoot']) {
    for (const bad of [null, 7, 7n, Symbol('r'), '', ['/sys']]) {
      refused(() => readCpuTopology({ [name]: bad }), InvalidArgumentError, new RegExp(`^readCpuTopology ${name} must be a non-empty string, got `));
    }
    // Used to reach fs and throw its untyped ERR_INVALID_ARG_VALUE.
    refused(() => readCpuTopology({ [name]: '/proc\0x' }), InvalidArgumentError, new RegExp(`^readCpuTopology ${name} \\(".*"\\) must be a path without NUL bytes`));
  }
});

test('a root whose files exist but cannot be read, or are huge, is refused typed naming the option and file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bh-topology-'));
  try {
    // self/status is a directory: fs used to throw an untyped EISDIR.
    mkdirSync(join(dir, 'dirproc', 'self', 'status'), { recursive: true });
    refused(() => readCpuTopology({ procRoot: join(dir, 'dirproc') }), InvalidArgumentError, /^readCpuTopology procRoot \(".*dirproc"\): .*status exists but could not be read \(EISDIR\)/);
    // A node's cpulist is a directory.
    mkdirSync(join(dir, 'proc', 'self'), { recursive: true });
    writeFileSync(join(dir, 'proc', 'self', 'status'), 'Name:\tnode\nCpus_allowed_list:\t0-1\n');
    mkdirSync(join(dir, 'sys', 'devices', 'system', 'node', 'node0', 'cpulist'), { recursive: true });
    refused(() => readCpuTopology({ procRoot: join(dir, 'proc'), sysRoot: join(dir, 'sys') }), InvalidArgumentError, /^readCpuTopology sysRoot .*cpulist exists but could not be read \(EISDIR\)/);
    // An endless file is not read whole.
    if (process.platform === 'linux') {
      mkdirSync(join(dir, 'zero', 'self'), { recursive: true });
      symlinkSync('/dev/zero', join(dir, 'zero', 'self', 'status'));
      refused(() => readCpuTopology({ procRoot: join(dir, 'zero') }), OutOfRangeError, /^readCpuTopology procRoot .*status must be at most 1048576 bytes/);
    }
    // A malformed list names the function, not only parseCpuList.
    writeFileSync(join(dir, 'proc', 'self', 'status'), 'Cpus_allowed_list:\t0-x\n');
    refused(() => readCpuTopology({ procRoot: join(dir, 'proc') }), InvalidArgumentError, /^readCpuTopology .*status: parseCpuList text/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseCpuList: a long list of wide ranges is normalised like a short one', () => {
  const text = Array.from({ length: 2000 }, () => `0-${MAX_CPU_ID}`).join(',');
  const cpus = parseCpuList(text);
  assert.equal(cpus.length, MAX_CPU_ID + 1);
  assert.equal(cpus[MAX_CPU_ID], MAX_CPU_ID);
  assert.deepEqual(parseCpuList('9,3-4,3'), [3, 4, 9]);
});
