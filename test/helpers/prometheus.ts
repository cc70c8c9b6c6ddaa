// Test helpers for the Prometheus text format: run the real promtool, and
// check what promtool does not (cumulative buckets, +Inf == _count, no
// duplicate series, every family declared once before its samples).
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';

/** Runs `promtool check metrics` on `text`; fails the test with promtool's words if it objects. */
export function assertPromtoolAccepts(text: string): void {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    assert.fail('promtool is not installed: apt-get install -y --no-install-recommends prometheus (.ci/run does this)');
  }
  assert.equal(r.status, 0, `promtool check metrics rejected the exposition:\n${r.stdout}${r.stderr}\n--- text ---\n${text.slice(0, 4000)}`);
}

/** One parsed sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;

function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) out[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  return out;
}

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  if (v === 'NaN') return NaN;
  const n = Number(v);
  assert.ok(!Number.isNaN(n), `bad sample value ${v}`);
  return n;
}

/** Parses an exposition and asserts the structural rules promtool does not check. Returns the samples. */
export function checkExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  let current = '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const name = line.slice(7).split(' ', 1)[0]!;
      assert.ok(!helps.has(name), `HELP for ${name} appears twice`);
      helps.add(name);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ') as [string, string];
      assert.ok(!types.has(name), `TYPE for ${name} appears twice (a family must be declared once)`);
      types.set(name, type);
      current = name;
      continue;
    }
    const m = SAMPLE.exec(line);
    assert.ok(m, `unparseable line: ${line}`);
    const name = m[1]!;
    const labels = parseLabels(m[3] ?? '');
    const family = [current, `${current}_bucket`, `${current}_sum`, `${current}_count`].includes(name) ? current : name;
    assert.equal(family, current, `sample ${name} is not under its family's TYPE line (current family ${current})`);
    const key = `${name}{${Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',')}}`;
    assert.ok(!seen.has(key), `duplicate series ${key}`);
    seen.add(key);
    samples.push({ name, labels, value: parseValue(m[4]!) });
  }
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const groups = new Map<string, { le: number; v: number }[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le, ...rest } = s.labels;
      assert.ok(le !== undefined, `${family}_bucket without le`);
      const k = JSON.stringify(Object.entries(rest).sort());
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push({ le: parseValue(le), v: s.value });
    }
    for (const [k, buckets] of groups) {
      for (let i = 1; i < buckets.length; i++) {
        assert.ok(buckets[i]!.le > buckets[i - 1]!.le, `${family}${k}: le not increasing`);
        assert.ok(buckets[i]!.v >= buckets[i - 1]!.v, `${family}${k}: buckets not cumulative`);
      }
      const last = buckets[buckets.length - 1]!;
      assert.equal(last.le, Infinity, `${family}${k}: last bucket is not +Inf`);
      const labels = Object.fromEntries(JSON.parse(k) as [string, string][]);
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
      assert.ok(count, `${family}${k}: no _count`);
      assert.equal(last.v, count.value, `${family}${k}: +Inf bucket (${last.v}) != _count (${count.value})`);
    }
  }
  return { samples, types };
}
