/**
 * Command-line options of bench/run.ts. Parsed by hand rather than with
 * `util.parseArgs` so every error names the flag and says what it expects,
 * and so a flag followed by another flag (`--json --quick`) is reported as a
 * missing value instead of writing a file called `--quick`.
 */
import { InvalidArgumentError } from '../../src/errors.ts';

/**
 * Parsed options of the benchmark runner.
 * @example parseCliArgs(['--quick', '--filter', 'histogram']) // { quick: true, filter: 'histogram', ... }
 */
export interface CliOptions {
  /** Case-insensitive substring of `suite › case`; null runs everything. */
  filter: string | null;
  /** Short timing profile: a smoke test, never published. */
  quick: boolean;
  /** Path to write the results JSON to. */
  json: string | null;
  /** Baseline results JSON to compare against. */
  compare: string | null;
  /** Rewrite README's Benchmarks section and docs/benchmarks.json even on a partial or quick run. */
  docs: boolean;
  /** Folder searched for `*.bench.ts`; null means the repo's bench/. */
  dir: string | null;
  /** Measure every case in this process instead of one fresh child process per case. */
  inProcess: boolean;
  /** Run one busy process per core beside each case (rows marked contended, published apart from the quiet ones). */
  contended: boolean;
  /** Print usage and exit. */
  help: boolean;
}

/** Usage text printed by `--help` and after a usage error. */
export const USAGE = `Usage: npm run bench -- [options]

Runs every bench/**/*.bench.ts suite (bench/lib excluded), our implementation
against its peers, and prints a table per case.

Options:
  --filter <text>       run only cases whose "suite › case" contains <text>
                        (case-insensitive), e.g. --filter histogram
  --quick               short samples (CI smoke test); numbers are not published
  --json <file>         write the results as JSON to <file>
  --compare <file>      compare with a baseline results JSON; exit 1 if the
                        median/op of any of our implementations grew more
                        than 10% (peers are shown, not judged)
  --docs                rewrite README.md's Benchmarks section and
                        docs/benchmarks.json even on a filtered or quick run
                        (a full, unfiltered run does this by itself)
  --dir <path>          look for suites under <path> instead of bench/
  --in-process          measure every case in this process (faster start, but
                        the JIT state of one case leaks into the next); by
                        default each case runs in a fresh child process
  --contended           run one busy process per core (a tight loop) beside
                        each case for its whole measurement, stopped after it
                        (also on a failure or Ctrl-C); rows are marked
                        contended, --docs publishes them in their own README
                        section and under "contended" in docs/benchmarks.json
                        (merged by case, the quiet rows stay), and --compare
                        judges them against the baseline's contended rows
  -h, --help            print this help

Exit codes: 0 ok; 1 a case failed, no case matched, or a regression was
flagged; 2 bad usage or unreadable baseline.`;

const SWITCHES = {
  '--quick': 'quick',
  '--docs': 'docs',
  '--in-process': 'inProcess',
  '--contended': 'contended',
} as const;

const VALUE_FLAGS = {
  '--filter': 'filter',
  '--json': 'json',
  '--compare': 'compare',
  '--dir': 'dir',
} as const;

const VALUE_HINTS: Record<keyof typeof VALUE_FLAGS, string> = {
  '--filter': 'text to match against "suite › case"',
  '--json': 'an output file path',
  '--compare': 'a baseline results JSON path',
  '--dir': 'a folder path',
};

/**
 * Parses the runner's arguments (`--flag value` or `--flag=value`). Throws
 * `InvalidArgumentError` naming the flag for an unknown flag, a missing or
 * empty value, a value given to a switch, or a stray positional argument.
 * @example parseCliArgs(['--json=out.json', '--quick']).json // 'out.json'
 */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  const opts: CliOptions = { filter: null, quick: false, json: null, compare: null, docs: false, dir: null, inProcess: false, contended: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      opts.help = true;
      continue;
    }
    if (!arg.startsWith('-')) {
      throw new InvalidArgumentError(`unexpected argument ${JSON.stringify(arg)}; did you mean --filter ${JSON.stringify(arg)}?`);
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (flag in SWITCHES) {
      if (inline !== undefined) throw new InvalidArgumentError(`${flag} takes no value, got ${JSON.stringify(arg)}`);
      opts[SWITCHES[flag as keyof typeof SWITCHES]] = true;
      continue;
    }
    if (!(flag in VALUE_FLAGS)) {
      throw new InvalidArgumentError(`unknown flag ${flag}`);
    }
    const name = flag as keyof typeof VALUE_FLAGS;
    let value = inline;
    if (value === undefined) {
      const next = argv[i + 1];
      // A following flag is not a value: `--json --quick` means the path was forgotten.
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      }
    }
    if (value === undefined) throw new InvalidArgumentError(`${flag} needs a value (${VALUE_HINTS[name]})`);
    if (value === '') throw new InvalidArgumentError(`${flag} needs a non-empty value (${VALUE_HINTS[name]})`);
    opts[VALUE_FLAGS[name]] = value;
  }
  return opts;
}
