// Tests of the benchmark harness (bench/harness.ts, bench/lib/*) and, by
// spawning it on test/bench/fixtures, of the runner bench/run.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  BENCH_END,
  BENCH_START,
  MAX_ITERATIONS,
  buildReport,
  calibrate,
  compareReports,
  formatNs,
  formatRate,
  measureCase,
  median,
  parseReport,
  registeredSuites,
  renderDocsMarkdown,
  renderTables,
  replaceBetweenMarkers,
  resetRegistry,
  rng,
  rotation,
  speedup,
  suite,
  summarize,
  writeDocs,
  type BenchMeta,
  type CaseOutcome,
  type CaseSpec,
  type ImplResult,
  type MeasureConfig,
} from '../../bench/harness.ts';
import { parseCliArgs } from '../../bench/lib/args.ts';
import { findSuiteFiles } from '../../bench/lib/suite-files.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'bench', 'fixtures');
const TINY: MeasureConfig = { targetSampleMs: 2, warmupMs: 5, samples: 5 };
const META: BenchMeta = { node: 'v20.0.0', cpu: 'Test CPU', cores: 4, commit: 'abc1234', date: '2025-01-01T00:00:00.000Z' };

const tmp = mkdtempSync(join(tmpdir(), 'bench-harness-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function row(suiteName: string, caseName: string, impl: string, medianNs: number): ImplResult {
  return { suite: suiteName, case: caseName, impl, medianNs, minNs: medianNs * 0.9, opsPerSec: 1e9 / medianNs, samples: 15 };
}

function okOutcome(oursNs: number, peerNs: number, note?: string): CaseOutcome {
  const results = [row('metrics/histogram', 'record', 'ours', oursNs), row('metrics/histogram', 'record', 'prom-client', peerNs)];
  return {
    status: 'ok',
    suite: 'metrics/histogram',
    case: 'record',
    note,
    ours: 'ours',
    results,
    comparisons: [{ suite: 'metrics/histogram', case: 'record', peer: 'prom-client', speedup: speedup(peerNs, oursNs) }],
  };
}

describe('statistics', () => {
  it('median of an odd count is the middle value, of an even count the mean of the middle two', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([7]), 7);
    assert.equal(median([10, 10, 1000]), 10, 'an outlier does not move the median');
  });

  it('median does not reorder its input and rejects an empty list', () => {
    const values = [3, 1, 2];
    median(values);
    assert.deepEqual(values, [3, 1, 2]);
    assert.throws(() => median([]), /at least one value/);
  });

  it('summarize reports median, min, ops/s from the median, and the sample count', () => {
    assert.deepEqual(summarize([12, 10, 11, 50]), { medianNs: 11.5, minNs: 10, opsPerSec: 1e9 / 11.5, samples: 4 });
  });

  it('speedup is peer median over our median: above 1 when ours is faster', () => {
    assert.equal(speedup(40, 10), 4);
    assert.equal(speedup(5, 10), 0.5);
  });
});

describe('calibrate', () => {
  const target = 40e6;

  it('reaches the target for a very cheap op despite fixed timer overhead', async () => {
    const n = await calibrate((iterations) => 300 + iterations * 2, target);
    assert.ok(n * 2 > target * 0.8 && n * 2 < target * 1.2, `n=${n}`);
  });

  for (const [opNs, expected] of [[50e6, 1], [40e6, 1], [10e6, 4]] as const) {
    it(`gives ${expected} iteration(s) for an op of ${opNs / 1e6} ms`, async () => {
      const calls: number[] = [];
      const n = await calibrate((iterations) => {
        calls.push(iterations);
        return iterations * opNs;
      }, target);
      assert.equal(n, expected);
      assert.deepEqual(calls, [1], 'one timed call is enough for an expensive op');
    });
  }

  it('starting from a warm estimate, scales down linearly or keeps growing while batches are too short', async () => {
    assert.equal(await calibrate((iterations) => iterations * 10, target, 8e6), 4e6);
    // A first estimate inflated by a one-off lazy initialisation: 1 µs batches are too short to trust.
    const calls: number[] = [];
    const n = await calibrate((iterations) => {
      calls.push(iterations);
      return 1000 + iterations * 10;
    }, target, 40);
    assert.equal(calls[0], 40);
    assert.ok(calls.length > 1 && Math.abs(n * 10 - target) < target * 0.05, `n=${n}`);
  });

  it('stops at MAX_ITERATIONS when the clock never moves', async () => {
    assert.equal(await calibrate(() => 0, target), MAX_ITERATIONS);
  });

  it('accepts an async timer', async () => {
    const n = await calibrate(async (iterations) => iterations * 1000, target);
    assert.equal(n, 40_000);
  });
});

describe('rotation', () => {
  it('puts every impl in every position once over `count` rounds', () => {
    assert.deepEqual(rotation(3, 0), [0, 1, 2]);
    assert.deepEqual(rotation(3, 1), [1, 2, 0]);
    assert.deepEqual(rotation(3, 4), [1, 2, 0]);
    for (let pos = 0; pos < 3; pos++) {
      assert.deepEqual(new Set([0, 1, 2].map((r) => rotation(3, r)[pos])), new Set([0, 1, 2]));
    }
  });
});

describe('rng', () => {
  it('is deterministic per seed and returns floats in [0, 1)', () => {
    const a = rng(42);
    const b = rng(42);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, rng(43)));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  });
});

describe('suite registration', () => {
  const impl = { name: 'x', fn: (n: number) => n };

  it('registers cases in order and rejects malformed or duplicate ones', () => {
    resetRegistry();
    suite('reg/a', (s) => {
      s.case({ name: 'one', ours: impl, peers: [{ name: 'y', fn: (n) => n }] });
      s.case({ name: 'two', ours: impl, peers: [{ name: 'y', fn: (n) => n }] });
      assert.throws(() => s.case({ name: 'one', ours: impl, peers: [{ name: 'y', fn: (n) => n }] }), /registered twice/);
      assert.throws(() => s.case({ name: 'three', ours: impl, peers: [] }), /peers must be a non-empty array/);
      assert.throws(() => s.case({ name: 'four', ours: impl, peers: [impl] }), /used twice/);
    });
    assert.throws(() => suite('reg/a', () => {}), /registered twice/);
    assert.deepEqual(
      registeredSuites().map((s) => [s.name, s.cases.map((c) => c.name)]),
      [['reg/a', ['one', 'two']]],
    );
    resetRegistry();
    assert.equal(registeredSuites().length, 0);
  });
});

describe('measureCase', () => {
  it('reports a peer doing 20x the work as slower: speedup > 1', async () => {
    const data = Float64Array.from({ length: 256 }, rng(1));
    const loop = (n: number): number => {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += data[i & 255];
      return acc;
    };
    const spec: CaseSpec = {
      name: 'sum',
      ours: { name: 'ours', fn: loop },
      peers: [{ name: 'slow peer', fn: (n) => loop(n * 20) }],
    };
    const outcome = await measureCase('test/speed', spec, TINY);
    assert.equal(outcome.status, 'ok');
    if (outcome.status !== 'ok') return;
    assert.deepEqual(outcome.results.map((r) => r.impl), ['ours', 'slow peer']);
    for (const r of outcome.results) {
      assert.equal(r.samples, TINY.samples);
      assert.ok(r.minNs > 0 && r.minNs <= r.medianNs);
      assert.equal(r.opsPerSec, 1e9 / r.medianNs);
    }
    const [cmp] = outcome.comparisons;
    assert.equal(cmp.peer, 'slow peer');
    assert.equal(cmp.speedup, outcome.results[1].medianNs / outcome.results[0].medianNs);
    assert.ok(cmp.speedup > 1, `speedup ${cmp.speedup}`);
  });

  it('awaits a promise-returning fn and handles a multi-millisecond op with 1 iteration', async () => {
    // Resolves, asynchronously, no sooner than 3 ms after the call. (Not setTimeout:
    // a timer counts from the event loop's cached time and can fire early by hrtime.)
    const sleep3ms = (): Promise<void> =>
      new Promise((resolve) => {
        const start = process.hrtime.bigint();
        const poll = (): void => {
          if (process.hrtime.bigint() - start >= 3_000_000n) resolve();
          else setImmediate(poll);
        };
        setImmediate(poll);
      });
    const spec: CaseSpec = {
      name: 'sleep',
      ours: { name: 'instant', fn: (n) => n },
      peers: [{ name: 'sleeps 3 ms', fn: sleep3ms }],
    };
    const outcome = await measureCase('test/async', spec, { targetSampleMs: 1, warmupMs: 1, samples: 3 });
    assert.equal(outcome.status, 'ok');
    if (outcome.status !== 'ok') return;
    assert.ok(outcome.results[1].minNs >= 3e6, `peer min ${outcome.results[1].minNs} ns: the promise was awaited`);
    assert.ok(outcome.comparisons[0].speedup > 1);
  });

  it('reports a throwing setup as a failed case and runs nothing else', async () => {
    let calls = 0;
    const outcome = await measureCase(
      'test/fail',
      {
        name: 'setup',
        setup: () => {
          throw new Error('no data');
        },
        ours: { name: 'ours', fn: () => calls++ },
        peers: [{ name: 'peer', fn: () => calls++ }],
        teardown: () => {
          calls++;
        },
      },
      TINY,
    );
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.status === 'failed' ? outcome.error : '', /setup threw: Error: no data/);
    assert.equal(calls, 0);
  });

  it('reports a throwing fn against its impl and still runs teardown', async () => {
    let tornDown = false;
    const outcome = await measureCase(
      'test/fail',
      {
        name: 'fn',
        ours: { name: 'ours', fn: (n) => n },
        peers: [{ name: 'bad peer', fn: () => Promise.reject(new TypeError('boom')) }],
        teardown: async () => {
          tornDown = true;
        },
      },
      TINY,
    );
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.status === 'failed' ? outcome.error : '', /bad peer threw during calibration: TypeError: boom/);
    assert.ok(tornDown);
  });

  it('a latency case reports the requested percentile of the per-op durations fn returns', async () => {
    // Every 10th op "takes" 1000 ns, the others 10 ns: p50 is 10, p95 is 1000.
    const durations = (n: number): number[] => Array.from({ length: n }, (_, i) => (i % 10 === 9 ? 1000 : 10));
    const make = (percentile: number): CaseSpec => ({
      name: `p${percentile}`,
      percentile,
      ours: { name: 'ours', fn: durations },
      peers: [{ name: 'twice as slow', fn: async (n) => durations(n).map((d) => d * 2) }],
    });
    const p50 = await measureCase('test/latency', make(50), TINY);
    const p95 = await measureCase('test/latency', make(95), TINY);
    assert.ok(p50.status === 'ok' && p95.status === 'ok');
    if (p50.status !== 'ok' || p95.status !== 'ok') return;
    assert.equal(p50.results[0].medianNs, 10);
    assert.equal(p95.results[0].medianNs, 1000);
    assert.equal(p95.results[1].medianNs, 2000);
    assert.equal(p95.comparisons[0].speedup, 2);
    const bad = await measureCase('test/latency', { ...make(50), ours: { name: 'ours', fn: () => 5 } }, TINY);
    assert.equal(bad.status, 'failed');
    assert.match(bad.status === 'failed' ? bad.error : '', /must return \d+ per-operation durations in ns/);
    assert.throws(() => suite('test/latency-bad', (s) => s.case({ ...make(50), percentile: 0 })), /percentile must be a number in \(0, 100\]/);
  });

  it('rejects an invalid config', async () => {
    const spec: CaseSpec = { name: 'c', ours: { name: 'a', fn: () => 0 }, peers: [{ name: 'b', fn: () => 0 }] };
    await assert.rejects(measureCase('s', spec, { ...TINY, samples: 0 }), /samples must be an integer/);
  });
});

describe('report', () => {
  it('JSON has exactly the documented field names', () => {
    const failed: CaseOutcome = { status: 'failed', suite: 's', case: 'f', note: undefined, error: 'setup threw' };
    const report = buildReport(META, [okOutcome(10.12345, 43.1), failed]);
    const json = JSON.parse(JSON.stringify(report));
    assert.deepEqual(Object.keys(json), ['meta', 'results', 'comparisons']);
    assert.deepEqual(Object.keys(json.meta), ['node', 'cpu', 'cores', 'commit', 'date']);
    assert.equal(json.results.length, 2, 'failed cases have no rows');
    for (const r of json.results) {
      assert.deepEqual(Object.keys(r), ['suite', 'case', 'impl', 'medianNs', 'minNs', 'opsPerSec', 'samples']);
    }
    assert.deepEqual(json.comparisons, [{ suite: 'metrics/histogram', case: 'record', peer: 'prom-client', speedup: 4.257 }]);
    assert.equal(json.results[0].medianNs, 10.123);
    assert.deepEqual(parseReport(json, 'x.json'), json, 'a written report reads back as a baseline');
  });

  it('parseReport names the file and the bad field', () => {
    const bad = { meta: META, results: [{ suite: 's', case: 'c', impl: 'i', medianNs: 'fast' }], comparisons: [] };
    assert.throws(() => parseReport(bad, 'base.json'), /base\.json .*results\[0\]\.medianNs must be a positive number, got "fast"/);
  });

  it('formats times and rates in human units', () => {
    assert.equal(formatNs(3.456), '3.46 ns');
    assert.equal(formatNs(1234), '1.23 µs');
    assert.equal(formatNs(999.7), '1.00 µs');
    assert.equal(formatNs(42.5e6), '42.5 ms');
    assert.equal(formatNs(2.5e9), '2.50 s');
    assert.equal(formatRate(81_300_000), '81.3M');
    assert.equal(formatRate(20), '20.0');
  });

  it('console table shows each impl and the peer speedup; a failed case shows its error', () => {
    const failed: CaseOutcome = { status: 'failed', suite: 's', case: 'f', note: undefined, error: 'setup threw: Error: x' };
    const text = renderTables([okOutcome(10, 43.1, 'seeded values'), failed]);
    assert.match(text, /metrics\/histogram › record {2}\(seeded values\)/);
    assert.match(text, /ours \(ours\)\s+10\.0 ns\s+9\.00 ns\s+100M/);
    assert.match(text, /prom-client\s+43\.1 ns\s+38\.8 ns\s+23\.2M\s+4\.31x/);
    assert.match(text, /s › f\n {2}FAILED: setup threw: Error: x/);
  });
});

describe('README docs section', () => {
  const outcomes = [okOutcome(10, 43.1, 'record 1024 seeded latencies')];
  const markdown = renderDocsMarkdown(outcomes, { meta: META, command: 'npm run bench', config: { targetSampleMs: 40, warmupMs: 250, samples: 15 } });

  it('names machine, Node, command, commit and date, and has one row per case and peer', () => {
    assert.match(markdown, /Machine: Test CPU, 4 cores/);
    assert.match(markdown, /Node: v20\.0\.0/);
    assert.match(markdown, /Command: `npm run bench`/);
    assert.match(markdown, /Commit: `abc1234`/);
    assert.match(markdown, /Date: 2025-01-01T00:00:00\.000Z/);
    assert.match(markdown, /\| metrics\/histogram \| record \| 10\.0 ns \| prom-client \| 43\.1 ns \| 4\.31x \|/);
    assert.match(markdown, /metrics\/histogram › record: record 1024 seeded latencies/);
  });

  it('rewrites only the text between the markers of a README file', () => {
    const before = '# Project\n\nIntro text.\n\n## Benchmarks\n\n';
    const afterText = '\n\n## License\n\nUNLICENSED\n';
    const readmePath = join(tmp, 'README.md');
    const jsonPath = join(tmp, 'docs', 'benchmarks.json');
    writeFileSync(readmePath, `${before}${BENCH_START}\nold hand-edited table\n${BENCH_END}${afterText}`);
    const report = buildReport(META, outcomes);

    assert.deepEqual(writeDocs({ readmePath, jsonPath, report, markdown }), { readme: 'updated' });
    const text = readFileSync(readmePath, 'utf8');
    assert.ok(text.startsWith(`${before}${BENCH_START}\n`), 'text before the markers is preserved');
    assert.ok(text.endsWith(`\n${BENCH_END}${afterText}`), 'text after the markers is preserved');
    assert.ok(!text.includes('old hand-edited table'));
    assert.ok(text.includes('| metrics/histogram | record |'));
    assert.deepEqual(JSON.parse(readFileSync(jsonPath, 'utf8')), report, 'docs/benchmarks.json holds the results JSON');

    writeDocs({ readmePath, jsonPath, report, markdown });
    assert.equal(readFileSync(readmePath, 'utf8'), text, 'regenerating is idempotent');
  });

  it('leaves a README without both markers untouched', () => {
    const jsonPath = join(tmp, 'docs2', 'benchmarks.json');
    const report = buildReport(META, outcomes);
    for (const content of ['# No markers\n', `# Only start\n${BENCH_START}\n`, `${BENCH_END}\nreversed\n${BENCH_START}\n`]) {
      const readmePath = join(tmp, 'README-nomarkers.md');
      writeFileSync(readmePath, content);
      assert.deepEqual(writeDocs({ readmePath, jsonPath, report, markdown }), { readme: 'no-markers' });
      assert.equal(readFileSync(readmePath, 'utf8'), content);
    }
    assert.equal(replaceBetweenMarkers('plain', 'x'), null);
    assert.deepEqual(writeDocs({ readmePath: join(tmp, 'absent.md'), jsonPath, report, markdown }), { readme: 'no-file' });
    assert.ok(!existsSync(join(tmp, 'absent.md')));
  });
});

describe('compareReports', () => {
  const baseline = [
    row('s', 'c', 'ours', 100),
    row('s', 'c', 'peer', 100),
    row('s', 'd', 'ours', 100),
    row('s', 'e', 'ours', 100),
    row('s', 'gone', 'ours', 100),
  ];
  const current = [
    row('s', 'c', 'ours', 111), // +11%: regression
    row('s', 'c', 'peer', 105), // +5%: noise
    row('s', 'd', 'ours', 110), // exactly +10%: not "more than"
    row('s', 'e', 'ours', 80), // -20%: improvement
    row('s', 'new', 'ours', 50),
  ];

  it('flags a >10% regression and not a 5% one, and lists improvements', () => {
    const cmp = compareReports(baseline, current);
    assert.deepEqual(cmp.regressions.map((c) => [c.case, c.impl]), [['c', 'ours']]);
    assert.ok(Math.abs(cmp.regressions[0].change - 0.11) < 1e-9);
    assert.deepEqual(cmp.improvements.map((c) => c.case), ['e']);
    assert.equal(cmp.unchanged, 2);
    assert.equal(cmp.onlyInCurrent, 1);
    assert.equal(cmp.onlyInBaseline, 1);
  });

  it('respects a custom threshold', () => {
    assert.equal(compareReports(baseline, current, 0.03).regressions.length, 3);
  });
});

describe('CLI arguments', () => {
  it('parses flags, with separate or inline values', () => {
    assert.deepEqual(parseCliArgs(['--quick', '--filter', 'Histogram', '--json=out.json', '--docs', '--dir', 'x']), {
      filter: 'Histogram',
      quick: true,
      json: 'out.json',
      compare: null,
      docs: true,
      dir: 'x',
      inProcess: false,
      contended: false,
      help: false,
    });
    assert.equal(parseCliArgs(['-h']).help, true);
    assert.equal(parseCliArgs(['--contended']).contended, true);
    assert.throws(() => parseCliArgs(['--contended=2']), /--contended takes no value/);
    assert.equal(parseCliArgs(['--in-process']).inProcess, true);
    assert.throws(() => parseCliArgs(['--in-process=yes']), /--in-process takes no value/);
  });

  it('rejects unknown flags, missing values and stray arguments, naming the flag', () => {
    assert.throws(() => parseCliArgs(['--fast']), /unknown flag --fast/);
    assert.throws(() => parseCliArgs(['--json']), /--json needs a value/);
    assert.throws(() => parseCliArgs(['--compare', '--quick']), /--compare needs a value/);
    assert.throws(() => parseCliArgs(['--filter=']), /--filter needs a non-empty value/);
    assert.throws(() => parseCliArgs(['--quick=yes']), /--quick takes no value/);
    assert.throws(() => parseCliArgs(['histogram']), /unexpected argument "histogram"/);
  });

  it('finds *.bench.ts files recursively and skips the top-level lib folder', () => {
    assert.deepEqual(findSuiteFiles(FIXTURES), [join(FIXTURES, 'tiny.bench.ts')]);
    assert.ok(!findSuiteFiles(join(ROOT, 'bench')).some((f) => f.includes(join('bench', 'lib'))));
  });
});

describe('bench/run.ts end to end', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'run.ts'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
  const docsJson = join(ROOT, 'docs', 'benchmarks.json');
  const readme = join(ROOT, 'README.md');
  const stamp = (p: string): number | null => (existsSync(p) ? statSync(p).mtimeMs : null);
  const resultsPath = join(tmp, 'results.json');

  it('--quick --filter measures the matching case, prints the table and writes --json, not the docs', () => {
    const docsBefore = [stamp(docsJson), stamp(readme)];
    const r = run('--dir', FIXTURES, '--quick', '--filter', 'TINY › SUM', '--json', resultsPath);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /\[1\/1\] fixture\/tiny › sum\n/, 'plain progress lines when stderr is not a TTY');
    assert.match(r.stdout, /fixture\/tiny › sum/);
    assert.match(r.stdout, /typed loop x20 .*\d+\.\d\dx/);
    assert.doesNotMatch(r.stdout, /broken/);

    const json = JSON.parse(readFileSync(resultsPath, 'utf8'));
    assert.deepEqual(Object.keys(json), ['meta', 'results', 'comparisons']);
    assert.equal(json.meta.node, process.version);
    assert.equal(typeof json.meta.cpu, 'string');
    assert.ok(json.meta.cores >= 1);
    assert.ok(json.meta.commit === null || /^[0-9a-f]{4,}(-dirty)?$/.test(json.meta.commit), json.meta.commit);
    assert.ok(!Number.isNaN(Date.parse(json.meta.date)));
    assert.deepEqual(json.results.map((x: ImplResult) => x.impl), ['typed loop', 'typed loop x20']);
    assert.equal(json.results[0].samples, 4);
    assert.equal(json.comparisons.length, 1);
    assert.ok(json.comparisons[0].speedup > 1, `speedup ${json.comparisons[0].speedup}`);
    assert.deepEqual([stamp(docsJson), stamp(readme)], docsBefore, 'a filtered quick run never touches the docs');
  });

  it('--compare exits 1 when a median grew more than 10% over the baseline', () => {
    const current = JSON.parse(readFileSync(resultsPath, 'utf8'));
    // A baseline twice as fast as anything this machine just measured.
    const baseline = { ...current, results: current.results.map((x: ImplResult) => ({ ...x, medianNs: x.medianNs / 2 })) };
    const baselinePath = join(tmp, 'baseline.json');
    writeFileSync(baselinePath, JSON.stringify(baseline));
    const r = run('--dir', FIXTURES, '--quick', '--filter', 'tiny › sum', '--compare', baselinePath);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /1 regression\(s\)/, 'only our implementation is judged, not the peer');
    assert.match(r.stdout, /fixture\/tiny › sum › typed loop: .* -> .* \(\+\d+\.\d%\)/);
  });

  it('a failing case is reported and the run goes on, exit 1', () => {
    const r = run('--dir', FIXTURES, '--quick', '--filter', 'broken');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\[2\/2\] fixture\/tiny › broken peer/);
    assert.match(r.stdout, /broken setup\n {2}FAILED: setup threw: Error: fixture setup failure/);
    assert.match(r.stdout, /broken peer\n {2}FAILED: throwing peer threw during calibration: Error: fixture peer failure/);
  });

  it('each case runs in a fresh process by default; --in-process shares one', () => {
    const isolated = run('--dir', FIXTURES, '--quick', '--filter', 'leak');
    assert.equal(isolated.status, 0, isolated.stdout + isolated.stderr);
    const shared = run('--dir', FIXTURES, '--quick', '--filter', 'leak', '--in-process');
    assert.equal(shared.status, 1);
    assert.match(shared.stdout, /leak reader\n {2}FAILED: setup threw: Error: saw state left by an earlier case/);
  });

  it('a worker that dies is a failed case, not a dead run', () => {
    const r = run('--dir', FIXTURES, '--quick', '--filter', 'crashing');
    assert.equal(r.status, 1);
    assert.match(r.stdout, /crashing worker\n {2}FAILED: worker process ended \(exit code 7\) without a result/);
  });

  it('no matching case: says so, exit 1', () => {
    const r = run('--dir', FIXTURES, '--quick', '--filter', 'no-such-case');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no benchmark case matches --filter "no-such-case"/);
  });

  it('usage errors exit 2 and name the flag; --help prints usage', () => {
    const unknown = run('--dir', FIXTURES, '--fast');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown flag --fast/);
    const missing = run('--dir', FIXTURES, '--json');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--json needs a value/);
    const noBaseline = run('--dir', FIXTURES, '--compare', join(tmp, 'missing.json'));
    assert.equal(noBaseline.status, 2);
    assert.match(noBaseline.stderr, /--compare: baseline file not found: .*missing\.json/);
    const help = run('--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: npm run bench/);
  });
});
