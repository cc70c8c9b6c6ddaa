// The repository stands alone: no file in it refers to a folder beside it
// (the design and data it once pointed to now live in docs/ and bench/data/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Built from pieces, so this file does not match itself.
const OUTSIDE = new RegExp(['\\.\\.', 'shared'].join('/') + '|' + ['', 'work', 'shared'].join('/'));
/** Installed, generated or binary: not the repository's own text. */
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'build']);
const SKIP_FILES = /\.(gz|node|png|jpg|tgz)$/;

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) yield* files(join(dir, e.name));
    } else if (e.isFile() && !SKIP_FILES.test(e.name)) yield join(dir, e.name);
  }
}

test('no file in the repository refers to the shared folder beside it', () => {
  const hits: string[] = [];
  let seen = 0;
  for (const f of files(ROOT)) {
    seen++;
    readFileSync(f, 'latin1')
      .split('\n')
      .forEach((line, i) => {
        if (OUTSIDE.test(line)) hits.push(`${relative(ROOT, f)}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
  }
  assert.ok(seen > 100, `only ${seen} files found under ${ROOT}`);
  assert.deepEqual(hits, []);
});
