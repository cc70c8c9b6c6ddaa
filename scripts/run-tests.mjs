#!/usr/bin/env node
// Runs the whole test suite with node:test. Node 20's `--test` does not glob
// TypeScript files, so this finds them and hands the list over; extra
// arguments (a path fragment) narrow the run: `npm test -- histogram`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

// System tools first (promtool, redis-server, ...): installed when missing and
// root, or a clear stop before any test (scripts/prereqs.mjs).
const prereqs = spawnSync(process.execPath, [join(root, 'scripts', 'prereqs.mjs')], { cwd: root, stdio: 'inherit' });
if (prereqs.status !== 0) process.exit(prereqs.status ?? 1);

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = find(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`run-tests: no test file matches ${JSON.stringify(filters)}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...flags, ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
