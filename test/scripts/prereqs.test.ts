// The prerequisite step: finds the tools, and where it cannot install them,
// stops with one line per missing tool and the exact command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain .mjs script without declarations
import { PREREQUISITES, findTool, missingPrerequisites } from '../../scripts/prereqs.mjs';

const script = fileURLToPath(new URL('../../scripts/prereqs.mjs', import.meta.url));

test('every prerequisite is present on this machine after the step (npm test ran it first)', () => {
  assert.deepEqual(missingPrerequisites(), []);
  for (const p of PREREQUISITES as { tool: string }[]) assert.ok(findTool(p.tool), p.tool);
});

test('with the tools out of reach and installing off, it stops with one line per tool and the command', () => {
  const empty = mkdtempSync(join(tmpdir(), 'bh-prereqs-'));
  try {
    const r = spawnSync(process.execPath, [script], { env: { PATH: empty, BLACKHOLE_NO_INSTALL: '1' }, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /missing system tools \(nothing was run\)/);
    for (const p of PREREQUISITES as { tool: string; pkg: string }[]) {
      assert.match(r.stderr, new RegExp(`  ${p.tool}: .*install with: apt-get update && apt-get install -y --no-install-recommends ${p.pkg}\\n`));
    }
    const check = spawnSync(process.execPath, [script, '--check'], { env: { PATH: empty }, encoding: 'utf8' });
    assert.equal(check.status, 1);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('with everything found it says nothing and succeeds', () => {
  const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});
