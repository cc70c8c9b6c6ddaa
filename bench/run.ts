/**
 * The benchmark runner: `npm run bench -- [--filter <text>] [--quick]
 * [--json <file>] [--compare <baseline.json>] [--docs] [--dir <path>]
 * [--in-process] [--contended]`.
 *
 * Order of work, chosen so mistakes surface before minutes of measuring:
 * parse the flags (usage error: exit 2); read the baseline if comparing
 * (missing or malformed: exit 2); import every suite file (one that throws is
 * reported and the rest still run); filter the cases; record the machine and
 * commit; measure each case with progress on stderr; print the tables on
 * stdout; write `--json`; regenerate the docs when this run may publish; and
 * compare. Exit 1 if any case or suite file failed, nothing matched, or a
 * regression was flagged.
 *
 * Isolation: by default every case is measured in a fresh child process
 * (this file again, in worker mode, told which file and case through the
 * BH_BENCH_WORKER environment variable; the outcome comes back over IPC).
 * Ours and the peers of a case still share that one process, as they must,
 * but no case inherits the JIT state, inline caches or heap of the cases
 * before it, so a number does not depend on which suites ran first.
 * `--in-process` measures everything here instead.
 *
 * Publishing (README's marked Benchmarks section and docs/benchmarks.json)
 * happens on a full run: no --filter, no --quick, the repo's own bench/ and no
 * failed case, so partial or noisy numbers never replace the table. `--docs`
 * forces it.
 *
 * Contended runs (`--contended`): each case is measured with one busy
 * process per core beside it (bench/harness.ts starts and stops them in the
 * process that measures the case, bench/lib/busy.ts makes sure none
 * survives). Their rows go to the README's contended section and the
 * `contended` key of docs/benchmarks.json, merged by case, so the quiet
 * table and rows stay as they are.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidArgumentError } from '../src/errors.ts';
import { availableParallelism } from 'node:os';
import {
  BENCH_END,
  BENCH_START,
  CONTENDED_END,
  CONTENDED_START,
  FULL_CONFIG,
  QUICK_CONFIG,
  buildReport,
  collectMeta,
  compareReports,
  measureCase,
  readBaseline,
  registeredSuites,
  renderComparison,
  renderContendedMarkdown,
  renderDocsMarkdown,
  renderTables,
  writeDocs,
  type BenchReport,
  type ContendedReport,
  type CaseOutcome,
  type CaseSpec,
} from './harness.ts';
import { USAGE, parseCliArgs, type CliOptions } from './lib/args.ts';
import { findSuiteFiles } from './lib/suite-files.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_DIR = join(REPO_ROOT, 'bench');
const README_PATH = join(REPO_ROOT, 'README.md');
const DOCS_JSON_PATH = join(REPO_ROOT, 'docs', 'benchmarks.json');
const WORKER_ENV = 'BH_BENCH_WORKER';
/** A case that has not finished after this long is killed and reported as failed. */
const CASE_TIMEOUT_MS = 10 * 60_000;

/** What the parent tells a worker to measure. */
interface WorkerJob {
  file: string;
  suite: string;
  case: string;
  quick: boolean;
  contended: boolean;
}

/** Worker mode: import one suite file, measure one case, send the outcome to the parent. */
async function runWorker(job: WorkerJob): Promise<void> {
  await import(pathToFileURL(job.file).href);
  const spec = registeredSuites()
    .find((s) => s.name === job.suite)
    ?.cases.find((c) => c.name === job.case);
  const outcome: CaseOutcome =
    spec === undefined
      ? { status: 'failed', suite: job.suite, case: job.case, note: undefined, error: `worker: case not found in ${job.file}` }
      : await measureCase(job.suite, spec, job.quick ? QUICK_CONFIG : FULL_CONFIG, { contended: job.contended });
  await new Promise<void>((resolve) => process.send!(outcome, () => resolve()));
}

/** Measures one case in a fresh child process; a crash or a hang becomes a failed case. */
function measureInChild(job: WorkerJob, note: string | undefined): Promise<CaseOutcome> {
  return new Promise((resolve) => {
    const child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: process.execArgv,
      env: { ...process.env, [WORKER_ENV]: JSON.stringify(job) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let outcome: CaseOutcome | null = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), CASE_TIMEOUT_MS);
    child.on('message', (m) => (outcome = m as CaseOutcome));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(
        outcome ?? {
          status: 'failed',
          suite: job.suite,
          case: job.case,
          note,
          error: `worker process ended (${signal ?? `exit code ${code}`}) without a result`,
        },
      );
    });
  });
}

/**
 * Progress on stderr: on a terminal one line rewritten in place, otherwise
 * (CI logs, pipes) one plain line per step, since `\r` makes a mess of logs.
 */
class Progress {
  readonly isTty: boolean;
  private readonly stream: NodeJS.WriteStream;
  private hasLine: boolean;

  constructor(stream: NodeJS.WriteStream) {
    this.stream = stream;
    this.isTty = stream.isTTY === true;
    this.hasLine = false;
  }

  /** A transient status line. */
  show(text: string): void {
    if (!this.isTty) {
      this.stream.write(`${text}\n`);
      return;
    }
    const width = Math.max(20, (this.stream.columns || 80) - 1); // 0 columns: size unknown
    this.stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.hasLine = true;
  }

  /** A line that stays (a failure, a warning). */
  note(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
  }

  /** Removes the transient line, if any. */
  clear(): void {
    if (this.hasLine) this.stream.write('\r\x1b[2K');
    this.hasLine = false;
  }
}

/** The command as a reader would retype it, for the docs. */
function commandLine(argv: readonly string[]): string {
  const quoted = argv.map((a) => (/^[\w./=:@-]+$/.test(a) ? a : JSON.stringify(a)));
  return quoted.length === 0 ? 'npm run bench' : `npm run bench -- ${quoted.join(' ')}`;
}

function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function usageError(message: string): number {
  process.stderr.write(`bench: ${message}\nRun with --help for usage.\n`);
  return 2;
}

async function main(argv: readonly string[]): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseCliArgs(argv);
  } catch (err) {
    if (err instanceof InvalidArgumentError) return usageError(err.message);
    throw err;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  let baseline: BenchReport | null = null;
  if (opts.compare !== null) {
    try {
      baseline = readBaseline(resolve(opts.compare));
    } catch (err) {
      if (err instanceof InvalidArgumentError) return usageError(err.message);
      throw err;
    }
  }

  const dir = opts.dir === null ? DEFAULT_DIR : resolve(opts.dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return usageError(`--dir: not a folder: ${opts.dir ?? dir}`);
  const files = findSuiteFiles(dir);
  if (files.length === 0) {
    process.stderr.write(`bench: no *.bench.ts suite files under ${display(dir)}\n`);
    return 1;
  }

  const progress = new Progress(process.stderr);
  const loadFailures: string[] = [];
  const fileOfSuite = new Map<string, string>();
  for (const file of files) {
    if (progress.isTty) progress.show(`loading ${display(file)}`);
    try {
      const before = registeredSuites().length;
      await import(pathToFileURL(file).href);
      for (const s of registeredSuites().slice(before)) fileOfSuite.set(s.name, file);
    } catch (err) {
      const text = `suite file ${display(file)} failed to load: ${errorText(err)}`;
      loadFailures.push(text);
      progress.note(`FAILED ${text}`);
    }
  }
  progress.clear();

  const all: { suite: string; spec: CaseSpec }[] = registeredSuites().flatMap((s) =>
    s.cases.map((spec) => ({ suite: s.name, spec })),
  );
  const needle = opts.filter?.toLowerCase() ?? null;
  const selected = all.filter((c) => needle === null || `${c.suite} › ${c.spec.name}`.toLowerCase().includes(needle));
  if (selected.length === 0) {
    const what = opts.filter === null ? 'no benchmark case is registered' : `no benchmark case matches --filter ${JSON.stringify(opts.filter)}`;
    process.stderr.write(
      `bench: ${what} (${all.length} case(s) in ${registeredSuites().length} suite(s) from ${files.length} file(s) under ${display(dir)})\n`,
    );
    return 1;
  }

  const config = opts.quick ? QUICK_CONFIG : FULL_CONFIG;
  const meta = collectMeta(REPO_ROOT);
  const startedMs = performance.now();
  const outcomes: CaseOutcome[] = [];
  for (const [i, c] of selected.entries()) {
    progress.show(`[${i + 1}/${selected.length}] ${c.suite} › ${c.spec.name}`);
    const outcome = opts.inProcess
      ? await measureCase(c.suite, c.spec, config, { contended: opts.contended })
      : await measureInChild(
          { file: fileOfSuite.get(c.suite)!, suite: c.suite, case: c.spec.name, quick: opts.quick, contended: opts.contended },
          c.spec.note,
        );
    if (outcome.status === 'failed') progress.note(`FAILED ${c.suite} › ${c.spec.name}: ${outcome.error}`);
    outcomes.push(outcome);
  }
  progress.clear();

  process.stdout.write(`\n${renderTables(outcomes)}`);
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
  process.stderr.write(
    `bench: ${outcomes.length - failed} case(s) measured, ${failed} failed, in ${seconds} s` +
      `${opts.quick ? ' (--quick: smoke-test numbers, not for publishing)' : ''}\n`,
  );
  for (const text of loadFailures) process.stderr.write(`bench: ${text}\n`);

  const report = buildReport(meta, outcomes);
  if (opts.json !== null) {
    const path = resolve(opts.json);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`bench: results written to ${display(path)}\n`);
  }

  const isFullRun = opts.filter === null && !opts.quick && opts.dir === null;
  const isComplete = failed === 0 && loadFailures.length === 0;
  if (opts.docs || (isFullRun && isComplete)) {
    const markdown = renderDocsMarkdown(outcomes, { meta, command: commandLine(argv), config });
    const busyProcesses = outcomes.find((o) => o.busyProcesses !== undefined)?.busyProcesses ?? availableParallelism();
    const contended = opts.contended
      ? { busyProcesses, render: (merged: ContendedReport) => renderContendedMarkdown(merged, { command: commandLine(argv), config }) }
      : undefined;
    const written = writeDocs({ readmePath: README_PATH, jsonPath: DOCS_JSON_PATH, report, markdown, contended });
    process.stderr.write(`bench: docs results written to ${display(DOCS_JSON_PATH)}\n`);
    if (written.readme === 'updated') {
      process.stderr.write(`bench: README ${opts.contended ? 'contended ' : ''}Benchmarks section regenerated in ${display(README_PATH)}\n`);
    } else if (written.readme === 'no-file') {
      process.stderr.write(`bench: ${display(README_PATH)} not found; the Benchmarks table was not written\n`);
    } else {
      const [start, end] = opts.contended ? [CONTENDED_START, CONTENDED_END] : [BENCH_START, BENCH_END];
      process.stderr.write(`bench: ${display(README_PATH)} has no ${start} ... ${end} markers; left untouched\n`);
    }
    if (!isComplete) process.stderr.write('bench: warning: published docs omit the failed cases (--docs was given)\n');
  } else if (isFullRun) {
    process.stderr.write('bench: docs not updated because a case or suite file failed (pass --docs to publish anyway)\n');
  }

  let regressions = 0;
  if (baseline !== null && opts.compare !== null) {
    // Judge our implementations only: a peer that got slower says something
    // about the machine, not about us.
    const ours = (r: BenchReport) => {
      const peers = new Set(r.comparisons.map((c) => JSON.stringify([c.suite, c.case, c.peer])));
      return r.results.filter((x) => !peers.has(JSON.stringify([x.suite, x.case, x.impl])));
    };
    // A contended run is judged against the baseline's contended rows (docs/benchmarks.json keeps them apart).
    const base = opts.contended ? (baseline.contended ?? { ...baseline, results: [], comparisons: [] }) : baseline;
    const cmp = compareReports(ours(base), ours(report));
    process.stdout.write(`\n${renderComparison(cmp, opts.compare, baseline.meta)}`);
    regressions = cmp.regressions.length;
  }

  return failed > 0 || loadFailures.length > 0 || regressions > 0 ? 1 : 0;
}

const workerJob = process.env[WORKER_ENV];
if (workerJob !== undefined) {
  runWorker(JSON.parse(workerJob) as WorkerJob).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
} else main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // A suite that leaves a handle open (a timer, a socket) must not hang the
    // runner; an unref'd timer only fires if something else keeps us alive.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: unknown) => {
    process.stderr.write(`bench: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 2000).unref();
  },
);
