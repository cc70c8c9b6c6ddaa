/**
 * The results of a run as data and as text: the JSON report (written by
 * `--json`, published as docs/benchmarks.json, read back as a `--compare`
 * baseline), the console tables, and the README's generated Benchmarks
 * section. Everything here is pure apart from `collectMeta` (asks git and
 * the OS) and `writeDocs` (writes the two docs files).
 *
 * The JSON field names are an interface: CI baselines and older
 * docs/benchmarks.json files are read back by `parseReport`, so fields are
 * only ever added, never renamed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { InvalidArgumentError, describe } from '../../src/errors.ts';
import type { CaseOutcome, ImplResult, MeasureConfig, MeasuredCase, PeerComparison } from '../harness.ts';

/**
 * Where and when the numbers were taken.
 * @example { node: 'v20.20.2', cpu: 'AMD EPYC 7B13', cores: 8, commit: '6c9984b-dirty', date: '2025-11-27T06:40:00.000Z' }
 */
export interface BenchMeta {
  /** `process.version`. */
  node: string;
  /** CPU model from `os.cpus()`. */
  cpu: string;
  /** Logical core count from `os.cpus()`. */
  cores: number;
  /** `git rev-parse --short HEAD`, with `-dirty` if the tree has changes; null outside git. */
  commit: string | null;
  /** ISO 8601 time the run started. */
  date: string;
}

/**
 * The results JSON: one row per impl measured, one comparison per peer.
 * @example JSON.stringify(buildReport(meta, outcomes), null, 2)
 */
export interface BenchReport {
  /** The machine, Node version, commit and date. */
  meta: BenchMeta;
  /** One row per (suite, case, impl) of every case that ran to completion. */
  results: ImplResult[];
  /** One row per (suite, case, peer): peer median / our median. */
  comparisons: PeerComparison[];
  /**
   * In docs/benchmarks.json only: the rows published from `--contended` runs
   * (each marked `contended: true`), kept apart so a quiet run never
   * replaces them and a contended run never replaces the quiet rows.
   */
  contended?: ContendedReport;
}

/**
 * The contended rows of docs/benchmarks.json: the same shape as a report,
 * accumulated over `--contended --docs` runs (a case measured again replaces
 * its earlier rows).
 * @example report.contended?.comparisons.find((c) => c.case === 'imbalanced fork/join, 2 threads (ops/s)')
 */
export interface ContendedReport {
  /** Machine, Node, commit and date of the latest contended run published. */
  meta: BenchMeta;
  /** Rows, each with `contended: true`. */
  results: ImplResult[];
  /** Peer comparisons, each with `contended: true`. */
  comparisons: PeerComparison[];
  /** Busy processes per case in those runs. */
  busyProcesses: number;
}

/**
 * The short commit of `repoDir` with `-dirty` when `git status` shows
 * changes (untracked files included), or null when git or the repo is absent.
 * @example gitCommit('/work/main') // '6c9984b-dirty'
 */
export function gitCommit(repoDir: string): string | null {
  const git = (args: string[]): string =>
    execFileSync('git', args, { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const sha = git(['rev-parse', '--short', 'HEAD']);
    return git(['status', '--porcelain']) === '' ? sha : `${sha}-dirty`;
  } catch {
    return null;
  }
}

/**
 * Collects the run's metadata. Call before measuring, so `commit` and `date`
 * describe the code that ran, not files the run itself wrote.
 * @example const meta = collectMeta(repoRoot)
 */
export function collectMeta(repoDir: string, now: Date = new Date()): BenchMeta {
  const cores = cpus();
  return {
    node: process.version,
    cpu: cores[0]?.model.trim() || 'unknown',
    cores: cores.length,
    commit: gitCommit(repoDir),
    date: now.toISOString(),
  };
}

/** Rounds to `digits` decimals; keeps the JSON readable and its diffs small. */
function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Builds the results JSON from the cases that ran to completion (failed cases
 * have no figures and are left out). Times are rounded to the picosecond.
 * @example writeFileSync('out.json', JSON.stringify(buildReport(meta, outcomes), null, 2))
 */
export function buildReport(meta: BenchMeta, outcomes: readonly CaseOutcome[]): BenchReport {
  const results: ImplResult[] = [];
  const comparisons: PeerComparison[] = [];
  for (const o of outcomes) {
    if (o.status !== 'ok') continue;
    for (const r of o.results) {
      results.push({
        suite: r.suite,
        case: r.case,
        impl: r.impl,
        medianNs: round(r.medianNs, 3),
        minNs: round(r.minNs, 3),
        opsPerSec: round(r.opsPerSec, 2),
        samples: r.samples,
        ...(r.contended === true ? { contended: true as const } : {}),
      });
    }
    for (const c of o.comparisons) {
      comparisons.push({ suite: c.suite, case: c.case, peer: c.peer, speedup: round(c.speedup, 3), ...(c.contended === true ? { contended: true as const } : {}) });
    }
  }
  return { meta: { ...meta }, results, comparisons };
}

function field(row: unknown, key: string): unknown {
  return (row as Record<string, unknown>)[key];
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Checks that parsed JSON is a results report (as written by `--json`) and
 * returns it typed. Throws `InvalidArgumentError` naming `source`, the first
 * offending field and its value.
 * @example const baseline = parseReport(JSON.parse(text), 'docs/benchmarks.json')
 */
export function parseReport(value: unknown, source: string): BenchReport {
  const fail = (path: string, rule: string, got: unknown): never => {
    throw new InvalidArgumentError(`${source} is not a benchmark results file: ${path} must be ${rule}, got ${describe(got)}`);
  };
  if (!isObject(value)) fail('the top level', 'an object { meta, results, comparisons }', value);
  parseRows(value as object, '', fail);
  const contended = field(value, 'contended');
  if (contended !== undefined) {
    if (!isObject(contended)) fail('contended', 'an object { meta, results, comparisons, busyProcesses }', contended);
    parseRows(contended as object, 'contended.', fail);
    const n = field(contended, 'busyProcesses');
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) fail('contended.busyProcesses', 'a positive integer', n);
  }
  return value as BenchReport;
}

/** Checks meta, results and comparisons of a report (or of its contended part, `at` = 'contended.'). */
function parseRows(value: object, at: string, fail: (path: string, rule: string, got: unknown) => never): void {
  const meta = field(value, 'meta');
  if (!isObject(meta)) fail(`${at}meta`, 'an object', meta);
  for (const key of ['node', 'cpu', 'date']) {
    if (typeof field(meta, key) !== 'string') fail(`${at}meta.${key}`, 'a string', field(meta, key));
  }
  if (typeof field(meta, 'cores') !== 'number') fail(`${at}meta.cores`, 'a number', field(meta, 'cores'));
  const commit = field(meta, 'commit');
  if (commit !== null && typeof commit !== 'string') fail(`${at}meta.commit`, 'a string or null', commit);

  const results = field(value, 'results');
  if (!Array.isArray(results)) fail(`${at}results`, 'an array', results);
  (results as unknown[]).forEach((row, i) => {
    if (!isObject(row)) fail(`${at}results[${i}]`, 'an object', row);
    for (const key of ['suite', 'case', 'impl']) {
      if (typeof field(row, key) !== 'string') fail(`${at}results[${i}].${key}`, 'a string', field(row, key));
    }
    for (const key of ['medianNs', 'minNs', 'opsPerSec', 'samples']) {
      const n = field(row, key);
      if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) fail(`${at}results[${i}].${key}`, 'a positive number', n);
    }
    const c = field(row, 'contended');
    if (c !== undefined && c !== true) fail(`${at}results[${i}].contended`, 'true when present', c);
  });
  const comparisons = field(value, 'comparisons');
  if (!Array.isArray(comparisons)) fail(`${at}comparisons`, 'an array', comparisons);
  (comparisons as unknown[]).forEach((row, i) => {
    if (!isObject(row)) fail(`${at}comparisons[${i}]`, 'an object', row);
    for (const key of ['suite', 'case', 'peer']) {
      if (typeof field(row, key) !== 'string') fail(`${at}comparisons[${i}].${key}`, 'a string', field(row, key));
    }
    if (typeof field(row, 'speedup') !== 'number') fail(`${at}comparisons[${i}].speedup`, 'a number', field(row, 'speedup'));
    const c = field(row, 'contended');
    if (c !== undefined && c !== true) fail(`${at}comparisons[${i}].contended`, 'true when present', c);
  });
}

// ---------------------------------------------------------------------------
// Number formatting

/** Three significant digits without exponent notation, moving up a unit when rounding reaches 1000. */
function scaled(value: number, units: readonly (readonly [number, string])[]): string {
  if (!Number.isFinite(value)) return String(value);
  let u = 0;
  while (u < units.length - 1 && Math.abs(value) >= units[u + 1][0]) u++;
  let text = (value / units[u][0]).toPrecision(3);
  if (Math.abs(Number(text)) >= 1000 && u < units.length - 1) {
    u++;
    text = (value / units[u][0]).toPrecision(3);
  }
  // Beyond the unit table (or below 1e-6 of the base unit) toPrecision switches
  // to exponent notation; print that plainly in the base unit rather than as
  // '2.35e+6G'. Such numbers usually mean a fn that ignores its iteration count.
  if (text.includes('e')) return `${value.toExponential(2)}${units[0][1]}`;
  return `${text}${units[u][1]}`;
}

const TIME_UNITS = [[1, ' ns'], [1e3, ' µs'], [1e6, ' ms'], [1e9, ' s']] as const;
const COUNT_UNITS = [[1, ''], [1e3, 'k'], [1e6, 'M'], [1e9, 'G']] as const;

/**
 * A duration in nanoseconds in human units, three significant digits.
 * @example formatNs(1234) // '1.23 µs'
 */
export function formatNs(ns: number): string {
  return scaled(ns, TIME_UNITS);
}

/**
 * An operations-per-second figure with a k/M/G suffix.
 * @example formatRate(81_300_000) // '81.3M'
 */
export function formatRate(perSec: number): string {
  return scaled(perSec, COUNT_UNITS);
}

/**
 * A speedup ratio as printed in tables: two decimals, none from 100x up
 * (where they are noise).
 * @example formatSpeedup(4.3127) // '4.31x'
 */
export function formatSpeedup(ratio: number): string {
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio.toFixed(2)}x`;
}

// ---------------------------------------------------------------------------
// Console tables

function caseTitle(o: CaseOutcome): string {
  return `${o.suite} › ${o.case}`;
}

/** Lays out rows as columns; `right[i]` right-aligns column i. */
function columns(rows: readonly string[][], right: readonly boolean[], indent: string): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) => indent + r.map((cell, c) => (right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('   ').trimEnd())
    .join('\n');
}

/**
 * The console report: per case a title line (with the note) and a table of
 * impl, median/op, min/op, ops/s and each peer's speedup against ours; a
 * failed case shows its error instead.
 * @example process.stdout.write(renderTables(outcomes))
 */
export function renderTables(outcomes: readonly CaseOutcome[]): string {
  const blocks = outcomes.map((o) => {
    const busy = o.busyProcesses === undefined ? '' : `  [contended: ${o.busyProcesses} busy processes]`;
    const title = caseTitle(o) + busy + (o.note ? `  (${o.note})` : '');
    if (o.status === 'failed') return `${title}\n  FAILED: ${o.error}`;
    const speedups = new Map(o.comparisons.map((c) => [c.peer, c.speedup]));
    const rows = [
      ['impl', 'median/op', 'min/op', 'ops/s', 'vs ours'],
      ...o.results.map((r, i) => [
        i === 0 ? `${r.impl} (ours)` : r.impl,
        formatNs(r.medianNs),
        formatNs(r.minNs),
        formatRate(r.opsPerSec),
        i === 0 ? '' : formatSpeedup(speedups.get(r.impl) ?? Number.NaN),
      ]),
    ];
    return `${title}\n${columns(rows, [false, true, true, true, true], '  ')}`;
  });
  const footer = 'vs ours = peer median / our median; above 1x means ours is faster.';
  return `${blocks.join('\n\n')}\n\n${footer}\n`;
}

// ---------------------------------------------------------------------------
// README section

/** Opening marker of the generated Benchmarks section in README.md. */
export const BENCH_START = '<!-- bench:start -->';
/** Closing marker of the generated Benchmarks section in README.md. */
export const BENCH_END = '<!-- bench:end -->';

/**
 * What the docs section states about how its numbers were made.
 * @example { meta, command: 'npm run bench', config: FULL_CONFIG }
 */
export interface DocsContext {
  /** Machine, Node version, commit, date. */
  meta: BenchMeta;
  /** The command line that produced the numbers, e.g. `npm run bench`. */
  command: string;
  /** The timing profile used. */
  config: MeasureConfig;
}

function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

/**
 * The markdown that goes between the README markers: how the numbers were
 * made (machine, cores, Node, command, commit, date, method), a table with
 * one row per case and peer, the workload notes, and any case that failed.
 * @example replaceBetweenMarkers(readme, renderDocsMarkdown(outcomes, { meta, command: 'npm run bench', config: FULL_CONFIG }))
 */
export function renderDocsMarkdown(outcomes: readonly CaseOutcome[], ctx: DocsContext): string {
  const { meta, command, config } = ctx;
  const lines = [
    '<!-- Generated by bench/run.ts; do not edit by hand: rerun `npm run bench`. -->',
    '',
    `- Machine: ${cell(meta.cpu)}, ${meta.cores} cores`,
    `- Node: ${meta.node}`,
    `- Command: \`${command}\``,
    `- Commit: ${meta.commit === null ? 'unknown (not a git checkout)' : `\`${meta.commit}\``}`,
    `- Date: ${meta.date}`,
    `- Method: per impl, ${config.warmupMs} ms warm-up, then ${config.samples} samples of about ` +
      `${config.targetSampleMs} ms each, interleaved with the peers; times are the median per operation.`,
    '',
    'Speedup is the peer\'s median time divided by ours: above 1x means blackhole-perf is faster.',
    '',
    '| Suite | Case | Ours (median/op) | Peer | Peer (median/op) | Speedup |',
    '| --- | --- | ---: | --- | ---: | ---: |',
  ];
  const measured = outcomes.filter((o): o is MeasuredCase => o.status === 'ok');
  for (const o of measured) {
    const oursNs = o.results[0].medianNs;
    for (const c of o.comparisons) {
      const peer = o.results.find((r) => r.impl === c.peer);
      lines.push(
        `| ${cell(o.suite)} | ${cell(o.case)} | ${formatNs(oursNs)} | ${cell(c.peer)} | ` +
          `${peer ? formatNs(peer.medianNs) : '?'} | ${formatSpeedup(c.speedup)} |`,
      );
    }
  }
  if (measured.length === 0) lines.push('| (no case measured) | | | | | |');
  const notes = outcomes.filter((o) => o.note);
  if (notes.length > 0) {
    lines.push('', 'Workloads:', '');
    for (const o of notes) lines.push(`- ${cell(caseTitle(o))}: ${cell(o.note ?? '')}`);
  }
  const failed = outcomes.filter((o) => o.status === 'failed');
  if (failed.length > 0) {
    lines.push('', `Not measured (failed in this run): ${failed.map((o) => cell(caseTitle(o))).join(', ')}.`);
  }
  return lines.join('\n');
}

/** Opening marker of the generated contended-benchmarks section in README.md. */
export const CONTENDED_START = '<!-- bench:contended:start -->';
/** Closing marker of the generated contended-benchmarks section in README.md. */
export const CONTENDED_END = '<!-- bench:contended:end -->';

/**
 * The markdown between the README's contended markers, rendered from the
 * accumulated contended rows of docs/benchmarks.json: how they were made,
 * then one row per case and peer, each with the spread of our samples
 * (min and median) so a reader can see how noisy a busy machine is.
 * @example renderContendedMarkdown(docs.contended, { command: 'npm run bench -- --contended', config: FULL_CONFIG })
 */
export function renderContendedMarkdown(report: ContendedReport, ctx: { command: string; config: MeasureConfig }): string {
  const { meta } = report;
  const lines = [
    '<!-- Generated by bench/run.ts --contended; do not edit by hand. -->',
    '',
    `- Machine: ${cell(meta.cpu)}, ${meta.cores} cores, with ${report.busyProcesses} busy processes (one tight loop per core) running beside every case for its whole measurement`,
    `- Node: ${meta.node}`,
    `- Command (latest): \`${ctx.command}\``,
    `- Commit (latest): ${meta.commit === null ? 'unknown (not a git checkout)' : `\`${meta.commit}\``}`,
    `- Date (latest): ${meta.date}`,
    `- Method: as above (${ctx.config.samples} samples per impl, interleaved); cases measured in earlier contended runs keep their rows until measured again.`,
    '',
    '| Suite | Case | Ours (median/op) | Ours (min/op) | Peer | Peer (median/op) | Speedup |',
    '| --- | --- | ---: | ---: | --- | ---: | ---: |',
  ];
  const rowOf = new Map(report.results.map((r) => [JSON.stringify([r.suite, r.case, r.impl]), r]));
  const oursOf = new Map<string, ImplResult>();
  for (const r of report.results) {
    const k = JSON.stringify([r.suite, r.case]);
    // Ours is the one impl of a case that is not a peer in any comparison.
    const isPeer = report.comparisons.some((c) => c.suite === r.suite && c.case === r.case && c.peer === r.impl);
    if (!isPeer && !oursOf.has(k)) oursOf.set(k, r);
  }
  for (const c of report.comparisons) {
    const ours = oursOf.get(JSON.stringify([c.suite, c.case]));
    const peer = rowOf.get(JSON.stringify([c.suite, c.case, c.peer]));
    lines.push(
      `| ${cell(c.suite)} | ${cell(c.case)} | ${ours ? formatNs(ours.medianNs) : '?'} | ${ours ? formatNs(ours.minNs) : '?'} | ${cell(c.peer)} | ` +
        `${peer ? formatNs(peer.medianNs) : '?'} | ${formatSpeedup(c.speedup)} |`,
    );
  }
  if (report.comparisons.length === 0) lines.push('| (no case measured) | | | | | | |');
  return lines.join('\n');
}

/**
 * Replaces whatever lies between the first `start` marker (default
 * `BENCH_START`) and the next `end` marker (default `BENCH_END`) with `body`,
 * keeping the markers and everything outside them. Returns null when either
 * marker is missing (or the end precedes the start).
 * @example replaceBetweenMarkers('a\n<!-- bench:start -->\nold\n<!-- bench:end -->\nb', 'new') // 'a\n<!-- bench:start -->\nnew\n<!-- bench:end -->\nb'
 */
export function replaceBetweenMarkers(text: string, body: string, start: string = BENCH_START, end: string = BENCH_END): string | null {
  const from = text.indexOf(start);
  if (from < 0) return null;
  const bodyStart = from + start.length;
  const to = text.indexOf(end, bodyStart);
  if (to < 0) return null;
  return `${text.slice(0, bodyStart)}\n${body.trimEnd()}\n${text.slice(to)}`;
}

/**
 * What `writeDocs` did to the README: rewrote the section, or left the file
 * alone because it or its markers are missing.
 * @example if (writeDocs(opts).readme === 'no-markers') console.error('add the markers')
 */
export interface DocsWriteResult {
  /** `updated`, or why the README was not touched. */
  readme: 'updated' | 'no-file' | 'no-markers';
}

/** The docs JSON already on disk, or null when it is missing or not a report. */
function readExistingDocs(path: string): BenchReport | null {
  if (!existsSync(path)) return null;
  try {
    return parseReport(JSON.parse(readFileSync(path, 'utf8')), path);
  } catch {
    return null;
  }
}

/**
 * Writes the docs results JSON to `jsonPath` (creating its folder) and
 * rewrites the matching marked section of the README at `readmePath`.
 *
 * A quiet run (no `contended`) replaces the quiet rows and the
 * `BENCH_START`/`BENCH_END` section, and keeps the `contended` part of the
 * JSON already there. A contended run (`contended` given, `report` holding
 * its rows) keeps the quiet rows, merges its rows into the `contended` part
 * (a case measured again replaces its earlier rows) and rewrites the
 * `CONTENDED_START`/`CONTENDED_END` section with `contended.render(merged)`.
 * A README without the markers is left untouched and reported as such.
 * @example writeDocs({ readmePath: 'README.md', jsonPath: 'docs/benchmarks.json', report, markdown })
 */
export function writeDocs(opts: {
  readmePath: string;
  jsonPath: string;
  report: BenchReport;
  markdown: string;
  contended?: { busyProcesses: number; render: (merged: ContendedReport) => string };
}): DocsWriteResult {
  mkdirSync(dirname(opts.jsonPath), { recursive: true });
  const existing = readExistingDocs(opts.jsonPath);
  let json: BenchReport;
  let markdown = opts.markdown;
  let markers: [string, string] = [BENCH_START, BENCH_END];
  if (opts.contended === undefined) {
    json = { ...opts.report };
    delete json.contended;
    if (existing?.contended !== undefined) json.contended = existing.contended;
  } else {
    const measured = new Set(opts.report.results.map((r) => JSON.stringify([r.suite, r.case])));
    const keep = <T extends { suite: string; case: string }>(rows: readonly T[] | undefined): T[] =>
      (rows ?? []).filter((r) => !measured.has(JSON.stringify([r.suite, r.case])));
    const merged: ContendedReport = {
      meta: { ...opts.report.meta },
      results: [...keep(existing?.contended?.results), ...opts.report.results],
      comparisons: [...keep(existing?.contended?.comparisons), ...opts.report.comparisons],
      busyProcesses: opts.contended.busyProcesses,
    };
    json = existing === null ? { meta: { ...opts.report.meta }, results: [], comparisons: [] } : { meta: existing.meta, results: existing.results, comparisons: existing.comparisons };
    json.contended = merged;
    markdown = opts.contended.render(merged);
    markers = [CONTENDED_START, CONTENDED_END];
  }
  writeFileSync(opts.jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  if (!existsSync(opts.readmePath)) return { readme: 'no-file' };
  const next = replaceBetweenMarkers(readFileSync(opts.readmePath, 'utf8'), markdown, markers[0], markers[1]);
  if (next === null) return { readme: 'no-markers' };
  writeFileSync(opts.readmePath, next);
  return { readme: 'updated' };
}
