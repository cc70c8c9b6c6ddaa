#!/usr/bin/env node
// The system tools the tests and benchmarks need, checked (and installed) in
// one place: `npm test` (scripts/run-tests.mjs) and `.ci/run` both run this
// before anything else.
//
// Each tool is found on PATH or in the usual sbin directories. When some are
// missing and we run as root on a Debian-like system, the missing packages are
// installed with `apt-get update` then `apt-get install --no-install-recommends`,
// saying what and why. Otherwise it stops before any test with one line per
// missing tool and the exact command that installs it.
//
//   node scripts/prereqs.mjs            check, install what is missing when root
//   node scripts/prereqs.mjs --check    check only (exit 1 when something is missing)
//   node scripts/prereqs.mjs --list     print the table and exit
//
// BLACKHOLE_NO_INSTALL=1 turns installing off (a developer machine that wants
// to be told rather than changed).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The tools, the Debian package that brings each, and why we need it. Later
 * areas add theirs here (and only here).
 */
export const PREREQUISITES = [
  { tool: 'promtool', pkg: 'prometheus', why: 'the metrics tests check our Prometheus exposition with the real promtool' },
  { tool: 'redis-server', pkg: 'redis-server', why: 'the cache tests and benchmarks start their own redis-server on a free port' },
];

const SEARCH = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The full path of `tool`, or undefined. */
export function findTool(tool) {
  for (const dir of SEARCH) {
    if (dir === '') continue;
    const p = join(dir, tool);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The prerequisites not found on this machine. */
export function missingPrerequisites() {
  return PREREQUISITES.filter((p) => findTool(p.tool) === undefined);
}

function installCommand(pkgs) {
  return `apt-get update && apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
}

function main() {
  const args = new Set(process.argv.slice(2));
  if (args.has('--list')) {
    for (const p of PREREQUISITES) console.log(`${p.tool.padEnd(14)} ${p.pkg.padEnd(14)} ${findTool(p.tool) ?? 'missing'}  (${p.why})`);
    return 0;
  }
  let missing = missingPrerequisites();
  if (missing.length === 0) return 0;
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  const canInstall =
    !args.has('--check') &&
    process.env.BLACKHOLE_NO_INSTALL !== '1' &&
    typeof process.getuid === 'function' &&
    process.getuid() === 0 &&
    findTool('apt-get') !== undefined;
  if (canInstall) {
    for (const m of missing) console.error(`prereqs: installing ${m.pkg} (for ${m.tool}): ${m.why}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (update.status === 0) {
      spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env });
    }
    missing = missingPrerequisites();
    if (missing.length === 0) return 0;
    console.error('prereqs: apt-get did not install everything:');
  } else {
    console.error('prereqs: missing system tools (nothing was run):');
  }
  for (const m of missing) console.error(`  ${m.tool}: ${m.why}; install with: ${installCommand([m.pkg])}`);
  return 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exit(main());
