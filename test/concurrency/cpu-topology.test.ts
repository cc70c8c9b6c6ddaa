import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { MAX_CPU_ID, formatCpuList, parseCpuList, readCpuTopology } from '../../src/concurrency/cpu-topology.ts';
import { ErrorCode } from '../../src/errors.ts';

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
