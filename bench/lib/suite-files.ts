/**
 * Finds suite files: every `*.bench.ts` under a folder, recursively, except
 * the folder's own `lib/` (shared helpers, not suites), `node_modules` and
 * dot-folders. Sorted, so suites run and print in the same order everywhere.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Absolute paths of the suite files under `dir`, sorted.
 * @example findSuiteFiles('/work/main/bench') // ['/work/main/bench/metrics/histogram.bench.ts', ...]
 */
export function findSuiteFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string, isTop: boolean): void => {
    const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name === 'node_modules' || entry.name.startsWith('.') || (isTop && entry.name === 'lib')) continue;
        walk(path, false);
      } else if (entry.isFile() && entry.name.endsWith('.bench.ts')) {
        out.push(path);
      }
    }
  };
  walk(dir, true);
  return out;
}
