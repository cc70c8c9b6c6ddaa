// Packs the package as npm would publish it, installs the tarball into a
// fresh project and imports every subpath of the exports map, from plain
// JavaScript and through the TypeScript declarations: a broken exports map,
// a file missing from `files` or a declaration that does not resolve fails here.
//
// The install is offline and needs no registry metadata: the fresh project
// gets a lockfile whose entries for our runtime dependencies are copied from
// ours, so npm takes their tarballs from its cache, where our own `npm ci`
// or `npm install` put them. (A plain `npm install --offline <tarball>` has
// to resolve version ranges from cached registry metadata, which `npm ci`
// never downloads: on a clean CI machine that failed with ENOTCACHED.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
};

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

/**
 * Our lockfile's entries for the runtime dependency tree (dependencies of
 * the package, transitively; not devDependencies), at the same paths: each
 * name resolves as Node does, from the requiring package's own node_modules
 * up to the top level.
 */
function runtimeLockEntries(): Record<string, LockEntry> {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const out: Record<string, LockEntry> = {};
  const visit = (from: string, name: string, optional: boolean): void => {
    let at = from;
    for (;;) {
      const path = `${at === '' ? '' : `${at}/`}node_modules/${name}`;
      const entry = lock.packages[path];
      if (entry !== undefined) {
        if (out[path] !== undefined) return;
        out[path] = entry;
        for (const dep of Object.keys(entry.dependencies ?? {})) visit(path, dep, false);
        for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(path, dep, true);
        for (const dep of Object.keys(entry.peerDependencies ?? {})) visit(path, dep, entry.peerDependenciesMeta?.[dep]?.optional === true);
        return;
      }
      if (at === '') {
        if (optional) return;
        throw new Error(`package-lock.json has no entry for ${name} (needed by ${from || 'the package'})`);
      }
      const i = at.lastIndexOf('/node_modules/');
      at = i < 0 ? '' : at.slice(0, i);
    }
  };
  for (const name of Object.keys(pkg.dependencies ?? {})) visit('', name, false);
  return out;
}
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** A name each subpath must export, so an empty module fails too. */
const EXPECTED: Record<string, string[]> = {
  '.': ['BlackholeError', 'Histogram', 'PerformanceMonitor'],
  './metrics': ['Histogram', 'PerformanceMonitor', 'MetricRegistry', 'ResourceSampler', 'collectPerformanceMetrics'],
  './struct': ['BTree', 'SkipList', 'LinkedHashMap', 'BinaryHeap', 'NumericHeap', 'RTree', 'PackedRTree', 'selectDataStructure'],
  './algo': ['optimizeSort', 'sortNumbers', 'sortTyped', 'introSort', 'indexOf', 'Searcher', 'AhoCorasick'],
  './memory': ['ObjectPool', 'BufferPool', 'MemoryArena', 'defineLayout', 'PaddedCounters'],
  './concurrency': ['Semaphore', 'AsyncBatcher', 'SmartBatcher', 'SpscRing', 'MpmcRing', 'readCpuTopology', 'planCorePlacement', 'ThreadPool', 'transferResult', 'WorkerCrashedError', 'pinCurrentThread', 'affinitySupport', 'WorkStealingPool', 'ChaseLevDeque', 'ForkJoinTaskError'],
  './cache': ['LruCache', 'memoize', 'Memoizer', 'LazyLoader', 'PredictiveCache', 'MultiLevelCache', 'RedisTier', 'HttpTier', 'MemoryTier', 'CircuitBreaker'],
};

test('the packed tarball installs and every subpath export imports (JS and types)', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bh-pack-'));
  try {
    const out = execFileSync(npm, ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const [{ filename }] = JSON.parse(out.slice(out.indexOf('['))) as [{ filename: string }];
    const app = join(dir, 'app');
    execFileSync('mkdir', ['-p', app]);
    const dependencies = { [pkg.name]: `file:../${filename}` };
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true, dependencies }));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify({
      name: 'app',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'app', version: '1.0.0', dependencies },
        [`node_modules/${pkg.name}`]: {
          version: pkg.version,
          resolved: `file:../${filename}`,
          hasInstallScript: true,
          dependencies: pkg.dependencies ?? {},
        },
        ...runtimeLockEntries(),
      },
    }, null, 2));
    execFileSync(npm, ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: app, stdio: 'pipe' });

    const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json');
    assert.deepEqual(subpaths.sort(), Object.keys(EXPECTED).sort(), 'every subpath has expectations here');
    let js = '';
    let ts = '';
    subpaths.forEach((sub, i) => {
      const spec = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
      js += `const m${i} = await import(${JSON.stringify(spec)});\n`;
      for (const name of EXPECTED[sub]!) js += `if (typeof m${i}[${JSON.stringify(name)}] !== 'function') throw new Error(${JSON.stringify(`${spec} lacks ${name}`)});\n`;
      ts += `import * as t${i} from ${JSON.stringify(spec)};\n`;
      for (const name of EXPECTED[sub]!) ts += `void t${i}.${name};\n`;
    });
    js += "console.log('imports ok');\n";
    writeFileSync(join(app, 'check.mjs'), js);
    assert.match(execFileSync(process.execPath, ['check.mjs'], { cwd: app, encoding: 'utf8' }), /imports ok/);

    // The built ThreadPool starts its compiled worker runtime (not the TypeScript one) and
    // the install script built the affinity addon (this machine has a compiler and Node's headers).
    writeFileSync(join(app, 'tasks.mjs'), 'export function add(a, b) { return a + b; }\n');
    writeFileSync(
      join(app, 'pool.mjs'),
      [
        "import { ThreadPool, affinitySupport } from 'blackhole-perf/concurrency';",
        "const pool = new ThreadPool({ filename: new URL('./tasks.mjs', import.meta.url), coreThreads: 1, affinity: 'spread' });",
        "const sum = await pool.run('add', [40, 2]);",
        'await pool.close();',
        "console.log(`pool ${sum} native ${affinitySupport().available}`);",
      ].join('\n'),
    );
    assert.match(execFileSync(process.execPath, ['pool.mjs'], { cwd: app, encoding: 'utf8' }), /^pool 42 native true$/m);

    writeFileSync(join(app, 'check.ts'), ts);
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(
      process.execPath,
      [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
        '--typeRoots', join(root, 'node_modules', '@types'), '--types', 'node', 'check.ts'],
      { cwd: app, stdio: 'pipe' },
    );
    // Only the build output and the docs ship.
    const listed = execFileSync('tar', ['-tzf', join(dir, filename)], { encoding: 'utf8' }).split('\n').filter(Boolean);
    assert.ok(listed.every((f) => /^package\/(dist\/src\/|README\.md$|package\.json$|native\/affinity\/(binding\.gyp|affinity\.c)$|scripts\/build-native\.mjs$)/.test(f)), `unexpected files: ${listed.filter((f) => !/^package\/(dist\/src\/|README\.md$|package\.json$|native\/affinity\/(binding\.gyp|affinity\.c)$|scripts\/build-native\.mjs$)/.test(f)).join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
