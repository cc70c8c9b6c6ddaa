// Drives every exported constructor, method and function of every area with
// hostile values (test/fuzz/harness.ts says what is asserted), and checks that
// the specs cover every runtime export: a new export without a spec, or a new
// public method missing from its class's spec, fails here.
//
// Seeded: FUZZ_SEED (default 0x5eed) and FUZZ_RUNS (runs per method, default
// 40) reproduce or widen a run; a failure prints the seed and the call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { fuzzClass, fuzzFunction, publicMethods, type AreaSpec } from './harness.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const here = fileURLToPath(new URL('.', import.meta.url));
const src = fileURLToPath(new URL('../../src/', import.meta.url));

// Spec files are test/fuzz/specs/<area>.ts or <area>-<part>.ts (one area may
// have several, each owned by the part it fuzzes); parts of an area are merged.
const specFiles = readdirSync(join(here, 'specs')).filter((f) => f.endsWith('.ts')).sort();
const byArea = new Map<string, AreaSpec>();
for (const f of specFiles) {
  const part = (await import(pathToFileURL(join(here, 'specs', f)).href)).default as AreaSpec;
  const into = byArea.get(part.area);
  if (into === undefined) {
    byArea.set(part.area, { ...part, classes: [...part.classes], functions: [...part.functions], exempt: { ...part.exempt }, exemptMethods: { ...part.exemptMethods } });
  } else {
    into.classes.push(...part.classes);
    into.functions.push(...part.functions);
    Object.assign(into.exempt, part.exempt);
    Object.assign((into.exemptMethods ??= {}), part.exemptMethods);
  }
}
const specs = [...byArea.values()];

// Every area with an index (but the reference node, which is not a library export) has a spec.
const areas = readdirSync(src, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'node' && existsSync(join(src, d.name, 'index.ts')))
  .map((d) => d.name);

test('every area has a fuzz spec', () => {
  const have = new Set(specs.map((s) => s.area));
  for (const a of [...areas, 'root']) assert.ok(have.has(a), `no fuzz spec for area ${a} (add test/fuzz/specs/${a}.ts)`);
});

for (const spec of specs) {
  const modPath = spec.area === 'root' ? join(src, 'index.ts') : join(src, spec.area, 'index.ts');
  test(`${spec.area}: the specs cover every runtime export and public method`, async () => {
    const mod = (await import(pathToFileURL(modPath).href)) as Record<string, unknown>;
    const covered = new Map<string, unknown>();
    for (const c of spec.classes) covered.set(c.name, c);
    for (const f of spec.functions) covered.set(f.name, f);
    const missing: string[] = [];
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value !== 'function') continue;
      if (name in spec.exempt || covered.has(name)) continue;
      missing.push(name);
    }
    assert.deepEqual(missing, [], `exports of ${spec.area} with no fuzz spec`);
    for (const c of spec.classes) {
      const ctor = mod[c.name];
      if (typeof ctor !== 'function' || ctor.prototype === undefined) continue;
      const exempt = spec.exemptMethods?.[c.name] ?? {};
      const unfuzzed = publicMethods(ctor).filter((m) => !(m in c.methods) && !(m in exempt));
      assert.deepEqual(unfuzzed, [], `public methods of ${c.name} with no fuzz spec (list them in methods, with params: [] when they take none)`);
    }
  });
  for (const c of spec.classes) {
    test(`${spec.area}: ${c.name} refuses hostile input with typed errors and keeps working (seed ${SEED})`, { timeout: 300_000 }, async () => {
      await fuzzClass(c, SEED, RUNS);
    });
  }
  for (const f of spec.functions) {
    test(`${spec.area}: ${f.name}() refuses hostile input with typed errors (seed ${SEED})`, { timeout: 120_000 }, async () => {
      await fuzzFunction(f, SEED, RUNS);
    });
  }
}
