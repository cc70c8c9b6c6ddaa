#!/usr/bin/env node
// Builds the optional thread-affinity addon (native/affinity) with node-gyp.
// Runs as the package's `install` script, and by hand: `node scripts/build-native.mjs`.
//
// It never fails an install: on any problem it prints one line saying the
// addon was not built (the library then works without thread pinning) and
// exits 0. It never downloads: node-gyp fetches Node's headers when it has
// none, so the build is skipped unless `<nodedir>/include/node/node_api.h`
// exists, where nodedir is npm's `nodedir` setting (npm_config_nodedir) or
// else the prefix Node runs from (`/usr` for /usr/bin/node); that directory is
// passed to node-gyp explicitly, so it never looks elsewhere.
//
// BLACKHOLE_SKIP_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const addonDir = join(root, 'native', 'affinity');
const output = join(addonDir, 'build', 'Release', 'blackhole_affinity.node');
const FALLBACK = 'the library works without thread pinning';
// A build takes about a second; the bound only stops a wedged toolchain from hanging an install.
const BUILD_LIMIT_MS = 5 * 60_000;

function notBuilt(reason) {
  console.warn(`blackhole-perf: native affinity addon not built (${reason}); ${FALLBACK}.`);
  process.exit(0);
}

/** node-gyp's entry script: npm's own (npm_config_node_gyp inside lifecycle scripts), else the copy bundled with npm. */
function findNodeGyp() {
  const prefix = dirname(dirname(process.execPath));
  const candidates = [
    process.env.npm_config_node_gyp,
    join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    // Windows installs keep node_modules beside node.exe.
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((p) => typeof p === 'string' && p !== '' && existsSync(p)) ?? null;
}

/** The first line of node-gyp's output that says why it failed (a compiler or gyp error), else its summary line. */
function failureLine(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const own = lines.filter((l) => !/^gyp (info|http|WARN|ERR!)/.test(l));
  const why =
    own.find((l) => /error|not found|no such|cannot|could not|failed/i.test(l)) ??
    lines.find((l) => /^gyp ERR! (?!stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l)) ??
    lines.at(-1) ??
    'no output';
  return why.length > 240 ? `${why.slice(0, 240)}...` : why;
}

function main() {
  if (process.env.BLACKHOLE_SKIP_NATIVE === '1') {
    console.log(`blackhole-perf: skipped the native affinity addon (BLACKHOLE_SKIP_NATIVE=1); ${FALLBACK}.`);
    return;
  }
  if (!existsSync(join(addonDir, 'binding.gyp'))) notBuilt(`${addonDir}/binding.gyp is missing`);

  const configured = process.env.npm_config_nodedir;
  const nodedir = configured ? resolve(configured) : dirname(dirname(process.execPath));
  const header = join(nodedir, 'include', 'node', 'node_api.h');
  if (!existsSync(header)) {
    notBuilt(`no Node headers at ${header}; set npm's nodedir to a directory holding include/node (nothing is downloaded)`);
  }

  const gyp = findNodeGyp();
  const args = ['rebuild', `--nodedir=${nodedir}`];
  // Outside npm and without a bundled copy, node-gyp may still be on PATH.
  const [cmd, argv] = gyp === null ? ['node-gyp', args] : [process.execPath, [gyp, ...args]];
  const started = Date.now();
  const r = spawnSync(cmd, argv, {
    cwd: addonDir,
    encoding: 'utf8',
    timeout: BUILD_LIMIT_MS,
    // Pin the header location for every node-gyp step, too.
    env: { ...process.env, npm_config_nodedir: nodedir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.error) {
    const code = /** @type {{ code?: string }} */ (r.error).code;
    if (code === 'ENOENT') notBuilt('node-gyp was not found');
    if (code === 'ETIMEDOUT') notBuilt(`node-gyp did not finish within ${BUILD_LIMIT_MS / 1000} s`);
    notBuilt(`node-gyp could not run: ${r.error.message}`);
  }
  if (r.status !== 0) notBuilt(`node-gyp exited with ${r.status ?? r.signal}: ${failureLine(`${r.stdout}\n${r.stderr}`)}`);
  if (!existsSync(output)) notBuilt(`node-gyp succeeded but ${output} is missing`);
  console.log(`blackhole-perf: built the native affinity addon (${relative(root, output)}) in ${Date.now() - started} ms.`);
}

try {
  main();
} catch (e) {
  notBuilt(`unexpected error: ${e instanceof Error ? e.message : String(e)}`);
}
process.exit(0);
