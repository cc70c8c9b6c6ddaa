/**
 * `--compare <baseline.json>`: checks a run against an earlier results file
 * (a CI artifact or the published docs/benchmarks.json). Rows are matched on
 * (suite, case, impl); a row whose median time per op grew by more than the
 * threshold is a regression, one that shrank by more than it an improvement.
 * Rows present on one side only are counted, not judged.
 *
 * The threshold is 10% because interleaved medians on one machine repeat
 * within a few percent, so 10% is past the noise; comparing runs from
 * different machines is meaningless and the report prints the baseline's
 * machine so a reader can tell.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../../src/errors.ts';
import type { ImplResult } from '../harness.ts';
import { formatNs, parseReport, type BenchReport } from './report.ts';

/** Fractional growth of median/op past which a row counts as a regression (0.1 = 10%). */
export const REGRESSION_THRESHOLD = 0.1;

/**
 * One (suite, case, impl) row whose median moved past the threshold.
 * @example { suite: 'metrics/histogram', case: 'record', impl: 'ours', baselineNs: 10, currentNs: 12, change: 0.2 }
 */
export interface MedianChange {
  /** Suite name. */
  suite: string;
  /** Case name. */
  case: string;
  /** Impl display name. */
  impl: string;
  /** Median ns/op in the baseline. */
  baselineNs: number;
  /** Median ns/op in this run. */
  currentNs: number;
  /** current / baseline - 1: +0.2 is 20% slower, -0.2 is 20% faster. */
  change: number;
}

/**
 * The outcome of a comparison.
 * @example if (compareReports(base.results, report.results).regressions.length > 0) process.exitCode = 1
 */
export interface BaselineComparison {
  /** Rows that got slower by more than the threshold, worst first. */
  regressions: MedianChange[];
  /** Rows that got faster by more than the threshold, best first. */
  improvements: MedianChange[];
  /** Rows present in both within the threshold. */
  unchanged: number;
  /** Rows of this run absent from the baseline (new cases or impls). */
  onlyInCurrent: number;
  /** Rows of the baseline absent from this run (filtered out, failed or removed). */
  onlyInBaseline: number;
  /** The threshold applied, as a fraction. */
  threshold: number;
}

function key(r: ImplResult): string {
  return JSON.stringify([r.suite, r.case, r.impl]);
}

/**
 * Matches rows on (suite, case, impl) and sorts the matches into regressions
 * (median grew by more than `threshold`), improvements (shrank by more than
 * it) and unchanged.
 * @example compareReports([{ ...row, medianNs: 100 }], [{ ...row, medianNs: 111 }]).regressions.length // 1
 */
export function compareReports(
  baseline: readonly ImplResult[],
  current: readonly ImplResult[],
  threshold: number = REGRESSION_THRESHOLD,
): BaselineComparison {
  if (!(threshold >= 0) || !Number.isFinite(threshold)) {
    throw new InvalidArgumentError(`compareReports threshold must be a non-negative fraction (0.1 = 10%), got ${threshold}`);
  }
  const before = new Map(baseline.map((r) => [key(r), r]));
  const out: BaselineComparison = { regressions: [], improvements: [], unchanged: 0, onlyInCurrent: 0, onlyInBaseline: 0, threshold };
  const matched = new Set<string>();
  for (const r of current) {
    const k = key(r);
    const b = before.get(k);
    if (b === undefined) {
      out.onlyInCurrent++;
      continue;
    }
    matched.add(k);
    const change: MedianChange = {
      suite: r.suite,
      case: r.case,
      impl: r.impl,
      baselineNs: b.medianNs,
      currentNs: r.medianNs,
      change: r.medianNs / b.medianNs - 1,
    };
    // Multiplying rather than comparing `change` keeps exactly +10% from counting through float error.
    if (r.medianNs > b.medianNs * (1 + threshold)) out.regressions.push(change);
    else if (r.medianNs < b.medianNs * (1 - threshold)) out.improvements.push(change);
    else out.unchanged++;
  }
  out.onlyInBaseline = [...before.keys()].filter((k) => !matched.has(k)).length;
  out.regressions.sort((a, b) => b.change - a.change);
  out.improvements.sort((a, b) => a.change - b.change);
  return out;
}

function percent(change: number): string {
  return `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}%`;
}

/**
 * The comparison as console text: the baseline's provenance, each regression
 * on its own line, the improvements on one line, and the counts.
 * @example process.stdout.write(renderComparison(cmp, 'docs/benchmarks.json', baseline.meta))
 */
export function renderComparison(cmp: BaselineComparison, baselinePath: string, baselineMeta: BenchReport['meta']): string {
  const pct = `${Math.round(cmp.threshold * 100)}%`;
  const lines = [
    `Compared with ${baselinePath} (commit ${baselineMeta.commit ?? 'unknown'}, ${baselineMeta.date}, ` +
      `${baselineMeta.cpu}, Node ${baselineMeta.node}):`,
  ];
  if (cmp.regressions.length === 0) {
    lines.push(`  no regressions (no median/op grew more than ${pct})`);
  } else {
    lines.push(`  ${cmp.regressions.length} regression(s), median/op grew more than ${pct}:`);
    for (const c of cmp.regressions) {
      lines.push(
        `    ${c.suite} › ${c.case} › ${c.impl}: ${formatNs(c.baselineNs)} -> ${formatNs(c.currentNs)} (${percent(c.change)})`,
      );
    }
  }
  if (cmp.improvements.length > 0) {
    const list = cmp.improvements.map((c) => `${c.suite} › ${c.case} › ${c.impl} (${percent(c.change)})`).join(', ');
    lines.push(`  improved: ${list}`);
  }
  lines.push(
    `  ${cmp.unchanged} within ${pct}; ${cmp.onlyInCurrent} not in the baseline; ${cmp.onlyInBaseline} in the baseline only`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * Reads and validates a baseline results file. Throws `InvalidArgumentError`
 * (the runner exits 2) when the file is missing, is not JSON, or is not a
 * results report; the message names the flag and the path.
 * @example const baseline = readBaseline('docs/benchmarks.json')
 */
export function readBaseline(path: string): BenchReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InvalidArgumentError(`--compare: baseline file not found: ${path}`);
    throw new InvalidArgumentError(`--compare: cannot read baseline file ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`--compare: baseline file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return parseReport(value, path);
  } catch (err) {
    throw new InvalidArgumentError(`--compare: ${(err as Error).message}`);
  }
}
