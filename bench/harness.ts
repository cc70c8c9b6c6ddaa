/**
 * Benchmark harness: the registration API that suite files code against, and
 * the measurement of one case (ours against its peers).
 *
 * Registration. A suite file (`bench/**\/*.bench.ts`) calls `suite()` at import
 * time; `define` runs at once and each `s.case()` is validated and appended to
 * a module-level registry, which the runner (bench/run.ts) reads after
 * importing every file. Suite files must import this very module (same URL),
 * or they would fill a registry nobody reads.
 *
 * Measuring one case, in order:
 *  1. `setup()` once; if it throws, the case is failed and nothing else runs.
 *  2. Calibrate each impl: time batches of n operations, growing n
 *     geometrically (at most 100x a step, so timer overhead on a tiny first
 *     batch cannot overshoot) until a batch is long enough to extrapolate from,
 *     then scale n linearly to the target sample time. An op slower than the
 *     target gets n = 1.
 *  3. Warm up each impl by running batches of n for `warmupMs` (at least two),
 *     then calibrate again starting from n: the first calibration ran on cold,
 *     interpreted code (and may have paid a lazy initialisation), so it
 *     underestimates n for cheap ops.
 *  4. Take `samples` rounds. Each round runs every impl once, and the order
 *     rotates by one each round. Interleaving means a change in machine state
 *     (CPU frequency, thermal throttling, a noisy neighbour) lands on ours and
 *     on the peers alike instead of on whichever ran last; rotating means no
 *     impl always inherits the garbage of the same predecessor.
 *  5. `teardown()` once, also after a failure, as long as setup succeeded.
 *
 * Contended mode (`measureCase(..., { contended: true })`, `--contended` on
 * the command line): right after setup, one busy process per core is started
 * (bench/lib/busy.ts) and kept running through calibration, warm-up and
 * sampling; they are stopped (killed and reaped) before teardown, also when
 * the case fails. Every row of such a case carries `contended: true`, and
 * the outcome says how many busy processes ran beside it.
 *
 * Invariants: n is fixed per impl for all samples of a case, so every sample
 * does identical work; ns/op = batch ns / n, and includes the loop in the
 * suite's `fn`, which ours and peers share in shape. Each batch's return value
 * (awaited if it is a thenable) is stored in a module-level sink, so the work
 * that produced it cannot be proven dead and removed. The median over samples
 * is the headline figure because it ignores the occasional GC pause; the min
 * is what the machine does at best. Any throw from `fn` or `teardown` fails
 * the whole case: partial numbers are not reported.
 *
 * Sample time: 40 ms keeps hrtime resolution and the per-batch `await`
 * (about a microsecond) below 0.01% of a sample; 15 samples give a stable
 * median. The quick profile (8 ms, 4 samples) is a smoke test for CI, not a
 * measurement to publish.
 *
 * Rendering (tables, README markdown), the JSON report and the baseline
 * comparison live in bench/lib/ and are re-exported at the end of this file.
 */
import { InvalidArgumentError, describe } from '../src/errors.ts';
import { startBusyProcesses, type BusyProcesses } from './lib/busy.ts';

/** One contender in a case: our implementation or a peer. */
export interface Impl {
  /** Display name, e.g. 'blackhole Histogram' or 'prom-client'. */
  name: string;
  /** Runs `iterations` operations; may return a Promise (then awaited). The return value is consumed (kept in a sink) so work is not optimised away. */
  fn: (iterations: number) => unknown;
}

/**
 * One workload measured for ours and each peer.
 * @example
 * s.case({ name: 'record', ours: { name: 'ours', fn: (n) => loop(n) }, peers: [{ name: 'prom-client', fn: (n) => peerLoop(n) }] })
 */
export interface CaseSpec {
  /** Case name, unique within its suite, e.g. 'record'. */
  name: string;
  /** Our implementation. */
  ours: Impl;
  /** One or more peers (npm packages or Node built-ins). */
  peers: Impl[];
  /** Run once before the case (builds the seeded data). */
  setup?: () => void | Promise<void>;
  /** Run once after the case, also when it failed (if setup succeeded). */
  teardown?: () => void | Promise<void>;
  /** A short description of the workload, shown in the docs. */
  note?: string;
  /**
   * Makes this a latency case: each impl's `fn(n)` runs n operations one
   * after another and returns (or resolves to) their individual durations in
   * ns, an array of length n. A sample is then the `percentile` (0 < q <= 100,
   * nearest rank) of those durations instead of their mean, so the reported
   * ns/op is the median over samples of, say, the p99. Iteration counts are
   * still calibrated by wall time.
   */
  percentile?: number;
}

/**
 * Handed to a suite's `define` callback; each `case()` registers one case.
 * @example suite('metrics/histogram', (s) => { s.case({ name: 'record', ours, peers }) })
 */
export interface SuiteBuilder {
  /** Registers one case; throws `InvalidArgumentError` if the spec is malformed. */
  case(spec: CaseSpec): void;
}

/**
 * A suite as held by the registry.
 * @example for (const s of registeredSuites()) console.log(s.name, s.cases.length)
 */
export interface RegisteredSuite {
  /** Suite name, e.g. 'metrics/histogram'. */
  readonly name: string;
  /** Cases in registration order. */
  readonly cases: readonly CaseSpec[];
}

const registry: { name: string; cases: CaseSpec[] }[] = [];

/**
 * Registers a suite. Call at the top level of a `*.bench.ts` file; `define`
 * runs immediately. Throws `InvalidArgumentError` on a duplicate suite name,
 * a duplicate case or impl name, or a malformed case.
 * @example
 * suite('metrics/histogram', (s) => {
 *   s.case({ name: 'record', ours: { name: 'ours', fn: (n) => { for (let i = 0; i < n; i++) h.record(data[i & 1023]); } }, peers: [peer] });
 * });
 */
export function suite(name: string, define: (s: SuiteBuilder) => void): void {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new InvalidArgumentError(`bench suite name must be a non-empty string, got ${describe(name)}`);
  }
  if (typeof define !== 'function') {
    throw new InvalidArgumentError(`bench suite ${describe(name)}: define must be a function, got ${describe(define)}`);
  }
  if (registry.some((s) => s.name === name)) {
    throw new InvalidArgumentError(`bench suite ${describe(name)} is registered twice; suite names must be unique`);
  }
  const entry = { name, cases: [] as CaseSpec[] };
  define({
    case(spec: CaseSpec): void {
      validateCase(name, spec, entry.cases);
      entry.cases.push(spec);
    },
  });
  registry.push(entry);
}

function validateCase(suiteName: string, spec: CaseSpec, existing: readonly CaseSpec[]): void {
  const where = `bench suite ${describe(suiteName)}`;
  if (spec === null || typeof spec !== 'object') {
    throw new InvalidArgumentError(`${where}: case spec must be an object, got ${describe(spec)}`);
  }
  if (typeof spec.name !== 'string' || spec.name.trim() === '') {
    throw new InvalidArgumentError(`${where}: case name must be a non-empty string, got ${describe(spec.name)}`);
  }
  const at = `${where} case ${describe(spec.name)}`;
  if (existing.some((c) => c.name === spec.name)) {
    throw new InvalidArgumentError(`${at} is registered twice; case names must be unique within a suite`);
  }
  if (!Array.isArray(spec.peers) || spec.peers.length === 0) {
    throw new InvalidArgumentError(`${at}: peers must be a non-empty array of { name, fn }, got ${describe(spec.peers)}`);
  }
  const seen = new Set<string>();
  const labelled: [string, Impl][] = [['ours', spec.ours], ...spec.peers.map((p, i): [string, Impl] => [`peers[${i}]`, p])];
  for (const [label, impl] of labelled) {
    if (impl === null || typeof impl !== 'object') {
      throw new InvalidArgumentError(`${at}: ${label} must be an object { name, fn }, got ${describe(impl)}`);
    }
    if (typeof impl.name !== 'string' || impl.name.trim() === '') {
      throw new InvalidArgumentError(`${at}: ${label}.name must be a non-empty string, got ${describe(impl.name)}`);
    }
    if (typeof impl.fn !== 'function') {
      throw new InvalidArgumentError(`${at}: ${label}.fn must be a function, got ${describe(impl.fn)}`);
    }
    if (seen.has(impl.name)) {
      throw new InvalidArgumentError(`${at}: impl name ${describe(impl.name)} is used twice; ours and peers need distinct names`);
    }
    seen.add(impl.name);
  }
  for (const hook of ['setup', 'teardown'] as const) {
    if (spec[hook] !== undefined && typeof spec[hook] !== 'function') {
      throw new InvalidArgumentError(`${at}: ${hook} must be a function when given, got ${describe(spec[hook])}`);
    }
  }
  if (spec.percentile !== undefined && (typeof spec.percentile !== 'number' || !(spec.percentile > 0 && spec.percentile <= 100))) {
    throw new InvalidArgumentError(`${at}: percentile must be a number in (0, 100] when given, got ${describe(spec.percentile)}`);
  }
  if (spec.note !== undefined && typeof spec.note !== 'string') {
    throw new InvalidArgumentError(`${at}: note must be a string when given, got ${describe(spec.note)}`);
  }
}

/**
 * The suites registered so far, in registration order.
 * @example const cases = registeredSuites().flatMap((s) => s.cases)
 */
export function registeredSuites(): readonly RegisteredSuite[] {
  return registry;
}

/**
 * Empties the registry. For tests that register suites in-process.
 * @example afterEach(() => resetRegistry())
 */
export function resetRegistry(): void {
  registry.length = 0;
}

/**
 * Deterministic seeded PRNG for benchmark data (mulberry32, Tommy Ettinger's
 * 32-bit generator: one state word, full 2^32 period, passes gjrand's basic
 * tests; plenty for benchmark inputs). Returns floats in [0, 1).
 * @example const next = rng(42); const data = Float64Array.from({ length: 1024 }, () => next() * 1000);
 */
export function rng(seed: number): () => number {
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new InvalidArgumentError(`rng seed must be a finite number, got ${describe(seed)}`);
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------
// Statistics

/**
 * Median of a non-empty list (mean of the two middle values for an even count).
 * @example median([5, 1, 3]) // 3
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new InvalidArgumentError('median needs at least one value, got an array of 0');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * What one impl's samples reduce to: the figures reported per impl.
 * @example summarize([12, 10, 11]) // { medianNs: 11, minNs: 10, opsPerSec: 90909090.9…, samples: 3 }
 */
export interface SampleSummary {
  /** Median nanoseconds per operation over the samples. */
  medianNs: number;
  /** Fastest sample, nanoseconds per operation. */
  minNs: number;
  /** Operations per second, from the median. */
  opsPerSec: number;
  /** Number of samples taken. */
  samples: number;
}

/**
 * Reduces per-sample ns/op figures to median, min, ops/s (from the median) and count.
 * @example summarize([12, 10, 11]).medianNs // 11
 */
export function summarize(nsPerOp: readonly number[]): SampleSummary {
  const medianNs = median(nsPerOp);
  return { medianNs, minNs: Math.min(...nsPerOp), opsPerSec: 1e9 / medianNs, samples: nsPerOp.length };
}

/**
 * How many times faster ours is than a peer: peer median / our median.
 * Above 1 means ours is faster; 0.5 means ours takes twice as long.
 * @example speedup(43.1, 10) // 4.31
 */
export function speedup(peerMedianNs: number, oursMedianNs: number): number {
  return peerMedianNs / oursMedianNs;
}

// ---------------------------------------------------------------------------
// Calibration and sampling

/**
 * Timing profile of a run.
 * @example measureCase('s', spec, { targetSampleMs: 2, warmupMs: 5, samples: 3 })
 */
export interface MeasureConfig {
  /** Wall time one sample (a batch of n operations) should take. */
  targetSampleMs: number;
  /** Time spent warming up each impl before sampling. */
  warmupMs: number;
  /** Sample rounds; each round runs every impl once. */
  samples: number;
}

/** The profile of a full run, whose numbers may be published. */
export const FULL_CONFIG: Readonly<MeasureConfig> = Object.freeze({ targetSampleMs: 40, warmupMs: 250, samples: 15 });

/** The `--quick` profile: a smoke test (CI), too noisy to publish. */
export const QUICK_CONFIG: Readonly<MeasureConfig> = Object.freeze({ targetSampleMs: 8, warmupMs: 40, samples: 4 });

/**
 * Upper bound on a batch's iteration count. An op the JIT reduced to nothing
 * would otherwise keep calibration growing n forever; 2^30 also keeps
 * `i & mask` style indexing in suites within int32.
 */
export const MAX_ITERATIONS = 2 ** 30;

/**
 * Iteration count that makes a batch last `targetNs`, given that `iterations`
 * took `elapsedNs`: linear scaling, clamped to [1, MAX_ITERATIONS].
 * @example rescaleIterations(1000, 2e6, 40e6) // 20000
 */
export function rescaleIterations(iterations: number, elapsedNs: number, targetNs: number): number {
  const scaled = elapsedNs > 0 ? Math.round((iterations * targetNs) / elapsedNs) : MAX_ITERATIONS;
  return Math.min(MAX_ITERATIONS, Math.max(1, scaled));
}

/**
 * Finds the iteration count for which one batch takes about `targetNs`,
 * starting from `startIterations`. `timeBatch(n)` runs n operations and
 * returns the elapsed nanoseconds; it is injected so this can be checked with
 * a model clock. A batch shorter than a tenth of the target is too short to
 * extrapolate from (timer and call overhead dominate), so n grows, by at most
 * 100x a step, aiming at a quarter of the target; once a batch is long
 * enough, n is scaled linearly (down, too). An op that alone exceeds the
 * target gets 1.
 * @example await calibrate((n) => n * 5, 40e6) // 8000000 (5 ns per op)
 */
export async function calibrate(
  timeBatch: (iterations: number) => number | Promise<number>,
  targetNs: number,
  startIterations = 1,
): Promise<number> {
  let iterations = Math.min(MAX_ITERATIONS, Math.max(1, Math.floor(startIterations)));
  // 64 steps of at least 2x cannot be exhausted below MAX_ITERATIONS; the bound only guards a lying clock.
  for (let step = 0; step < 64; step++) {
    const elapsedNs = await timeBatch(iterations);
    if (elapsedNs >= targetNs / 10 || iterations >= MAX_ITERATIONS) {
      return rescaleIterations(iterations, elapsedNs, targetNs);
    }
    const growth = elapsedNs > 0 ? Math.min(100, Math.max(2, targetNs / 4 / elapsedNs)) : 100;
    iterations = Math.min(MAX_ITERATIONS, Math.ceil(iterations * growth));
  }
  return iterations;
}

/**
 * The impl order for a sample round: round r starts at impl r mod count, so
 * over `count` rounds each impl runs once in every position.
 * @example rotation(3, 1) // [1, 2, 0]
 */
export function rotation(count: number, round: number): number[] {
  const order = new Array<number>(count);
  for (let j = 0; j < count; j++) order[j] = (round + j) % count;
  return order;
}

/** Holds every batch's result so the work producing it stays observable. Never read. */
let sink: unknown;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Runs `fn(iterations)` once, awaiting a thenable result, and returns the elapsed ns. */
async function timeImpl(fn: Impl['fn'], iterations: number): Promise<number> {
  const start = process.hrtime.bigint();
  const result = fn(iterations);
  sink = isThenable(result) ? await result : result;
  return Number(process.hrtime.bigint() - start);
}

/**
 * Runs a latency case's `fn(iterations)` and returns percentile `q` (nearest
 * rank) of the per-operation durations it reports.
 */
async function percentileOfImpl(fn: Impl['fn'], iterations: number, q: number): Promise<number> {
  const result = fn(iterations);
  const durations = isThenable(result) ? await result : result;
  sink = durations;
  if (!(Array.isArray(durations) || durations instanceof Float64Array) || durations.length !== iterations) {
    throw new InvalidArgumentError(`a latency case's fn(${iterations}) must return ${iterations} per-operation durations in ns, got ${describe(durations)}`);
  }
  const sorted = Float64Array.from(durations as ArrayLike<number>).sort();
  return sorted[Math.max(0, Math.ceil((q / 100) * sorted.length) - 1)];
}

/**
 * One impl's measured figures, as they appear in the results JSON.
 * @example { suite: 'metrics/histogram', case: 'record', impl: 'prom-client', medianNs: 53, minNs: 50.1, opsPerSec: 18867924.5, samples: 15 }
 */
export interface ImplResult extends SampleSummary {
  /** Suite name. */
  suite: string;
  /** Case name. */
  case: string;
  /** Impl display name. */
  impl: string;
  /** Measured with one busy process per core beside it (`--contended`); absent on a quiet run. */
  contended?: true;
}

/**
 * A peer's speedup, as it appears in the results JSON.
 * @example { suite: 'metrics/histogram', case: 'record', peer: 'prom-client', speedup: 4.31 }
 */
export interface PeerComparison {
  /** Suite name. */
  suite: string;
  /** Case name. */
  case: string;
  /** Peer display name. */
  peer: string;
  /** Peer median / our median: above 1 means ours is faster. */
  speedup: number;
  /** Measured with one busy process per core beside it (`--contended`); absent on a quiet run. */
  contended?: true;
}

/**
 * A case that ran to completion.
 * @example if (outcome.status === 'ok') console.log(outcome.comparisons[0].speedup)
 */
export interface MeasuredCase {
  /** Discriminant. */
  status: 'ok';
  /** Suite name. */
  suite: string;
  /** Case name. */
  case: string;
  /** The case's workload note, if given. */
  note: string | undefined;
  /** Display name of our impl (the first entry of `results`). */
  ours: string;
  /** Ours first, then the peers in registration order. */
  results: ImplResult[];
  /** One per peer, in registration order. */
  comparisons: PeerComparison[];
  /** Busy processes that ran beside the case (`--contended`); absent on a quiet run. */
  busyProcesses?: number;
}

/**
 * A case whose setup, fn or teardown threw; it has no figures.
 * @example if (outcome.status === 'failed') console.error(outcome.error)
 */
export interface FailedCase {
  /** Discriminant. */
  status: 'failed';
  /** Suite name. */
  suite: string;
  /** Case name. */
  case: string;
  /** The case's workload note, if given. */
  note: string | undefined;
  /** What failed and why, e.g. `setup threw: Error: no data`. */
  error: string;
  /** Busy processes that ran beside the case (`--contended`); absent on a quiet run. */
  busyProcesses?: number;
}

/**
 * What measuring one case yields.
 * @example const outcome: CaseOutcome = await measureCase('metrics/histogram', spec, QUICK_CONFIG)
 */
export type CaseOutcome = MeasuredCase | FailedCase;

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

function validateConfig(config: MeasureConfig): void {
  for (const key of ['targetSampleMs', 'warmupMs'] as const) {
    if (typeof config[key] !== 'number' || !(config[key] > 0) || !Number.isFinite(config[key])) {
      throw new InvalidArgumentError(`MeasureConfig ${key} must be a positive finite number, got ${describe(config[key])}`);
    }
  }
  if (!Number.isInteger(config.samples) || config.samples < 1) {
    throw new InvalidArgumentError(`MeasureConfig samples must be an integer of at least 1, got ${describe(config.samples)}`);
  }
}

/**
 * How to run a case besides its timing profile.
 * @example measureCase('s', spec, QUICK_CONFIG, { contended: true })
 */
export interface MeasureOptions {
  /** Run one busy process per core beside the case for the whole measurement (see the design note). */
  contended?: boolean;
  /** Busy processes to start when contended. Default: one per core (`os.availableParallelism()`). */
  busyProcesses?: number;
}

/**
 * Measures one case (setup, calibrate, warm up, interleaved samples,
 * teardown; see the design note at the top of this file). Never rejects for
 * a failure of the case itself: a throw from setup, fn or teardown (or busy
 * processes that cannot start) yields a `FailedCase`. Rejects only for an
 * invalid `config`.
 * @example
 * const outcome = await measureCase('metrics/histogram', spec, QUICK_CONFIG);
 * if (outcome.status === 'ok') console.log(outcome.comparisons.map((c) => c.speedup));
 */
export async function measureCase(suiteName: string, spec: CaseSpec, config: MeasureConfig, options: MeasureOptions = {}): Promise<CaseOutcome> {
  validateConfig(config);
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`measureCase options must be an object { contended?, busyProcesses? }, got ${describe(options)}`);
  }
  const contended = options.contended === true;
  const head = { suite: suiteName, case: spec.name, note: spec.note };
  try {
    await spec.setup?.();
  } catch (err) {
    return { status: 'failed', ...head, error: `setup threw: ${errorText(err)}` };
  }
  let busy: BusyProcesses | null = null;
  if (contended) {
    try {
      busy = await startBusyProcesses(options.busyProcesses);
    } catch (err) {
      try {
        await spec.teardown?.();
      } catch {
        // the start failure is the error to report
      }
      return { status: 'failed', ...head, error: `busy processes could not start: ${errorText(err)}` };
    }
  }
  const mark = busy === null ? {} : { busyProcesses: busy.pids.length };

  const impls = [spec.ours, ...spec.peers];
  const targetNs = config.targetSampleMs * 1e6;
  const warmupNs = config.warmupMs * 1e6;
  const nsPerOp: number[][] = impls.map(() => []);
  let error: string | undefined;
  // What is running now, so a throw can be reported against its impl and phase.
  let phase = 'calibration';
  let current = impls[0];
  try {
    const iterations: number[] = [];
    for (const impl of impls) {
      current = impl;
      iterations.push(await calibrate((n) => timeImpl(impl.fn, n), targetNs));
    }
    phase = 'warm-up';
    for (let i = 0; i < impls.length; i++) {
      current = impls[i];
      const fn = impls[i].fn;
      const start = process.hrtime.bigint();
      for (let batches = 0; batches < 2 || Number(process.hrtime.bigint() - start) < warmupNs; batches++) {
        await timeImpl(fn, iterations[i]);
      }
      phase = 'recalibration';
      iterations[i] = await calibrate((n) => timeImpl(fn, n), targetNs, iterations[i]);
      phase = 'warm-up';
    }
    phase = 'sampling';
    for (let round = 0; round < config.samples; round++) {
      for (const i of rotation(impls.length, round)) {
        current = impls[i];
        nsPerOp[i].push(
          spec.percentile === undefined
            ? (await timeImpl(impls[i].fn, iterations[i])) / iterations[i]
            : await percentileOfImpl(impls[i].fn, iterations[i], spec.percentile),
        );
      }
    }
  } catch (err) {
    error = `${current.name} threw during ${phase}: ${errorText(err)}`;
  } finally {
    await busy?.stop();
    try {
      await spec.teardown?.();
    } catch (err) {
      const text = `teardown threw: ${errorText(err)}`;
      error = error === undefined ? text : `${error}; ${text}`;
    }
  }
  if (error !== undefined) return { status: 'failed', ...head, error, ...mark };

  const flag = contended ? { contended: true as const } : {};
  const results: ImplResult[] = impls.map((impl, i) => ({
    suite: suiteName,
    case: spec.name,
    impl: impl.name,
    ...summarize(nsPerOp[i]),
    ...flag,
  }));
  const comparisons: PeerComparison[] = results.slice(1).map((r) => ({
    suite: suiteName,
    case: spec.name,
    peer: r.impl,
    speedup: speedup(r.medianNs, results[0].medianNs),
    ...flag,
  }));
  return { status: 'ok', ...head, ours: spec.ours.name, results, comparisons, ...mark };
}

// Pure reporting helpers, re-exported so tests and tools have one import.
export {
  BENCH_END,
  BENCH_START,
  CONTENDED_END,
  CONTENDED_START,
  renderContendedMarkdown,
  buildReport,
  collectMeta,
  formatNs,
  formatRate,
  formatSpeedup,
  parseReport,
  renderDocsMarkdown,
  renderTables,
  replaceBetweenMarkers,
  writeDocs,
} from './lib/report.ts';
export type { BenchMeta, BenchReport, ContendedReport, DocsContext, DocsWriteResult } from './lib/report.ts';
export { BUSY_MARKER, liveBusyProcesses, startBusyProcesses } from './lib/busy.ts';
export type { BusyProcesses } from './lib/busy.ts';
export { compareReports, readBaseline, renderComparison, REGRESSION_THRESHOLD } from './lib/compare.ts';
export type { BaselineComparison, MedianChange } from './lib/compare.ts';
