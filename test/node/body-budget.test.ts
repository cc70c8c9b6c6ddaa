// The node-wide budget for request body bytes, end to end: a real node in a
// child process (`npm start`'s entry, configured through its environment),
// real sockets, the child's peak resident memory read from /proc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const MiB = 1024 * 1024;
const BUDGET = 256 * MiB;
/**
 * What the node may hold besides the budget: the runtime with its two pool
 * threads (about 125 MiB resident here, TypeScript compiled by tsx in each
 * thread) and socket read buffers not yet collected (up to about 150 MiB
 * seen). Peaks measured with a 256 MiB budget: 490-530 MiB.
 */
const OVERHEAD = 350 * MiB;

async function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/node/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`node did not start: ${out}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`node exited (${code}): ${out}`)));
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
  });
  return { child, url, out: () => out };
}

async function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(t);
  return code;
}

function procStatusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

interface Upload {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The sha256 of what was sent (all of it, for a 200). */
  expected: string;
}

/**
 * Uploads `pieces` copies of `piece` to POST /content/digest, honouring
 * backpressure. `chunked` leaves Content-Length out. With `expectContinue` the
 * body waits for `100 Continue` and for `gate` (so a test can hold every body
 * until every admission decision is made). A response that arrives before the
 * body is finished ends the upload (the node answers 503 early).
 */
function upload(
  url: string,
  piece: Buffer,
  pieces: number,
  opts: { chunked?: boolean; expectContinue?: boolean; gate?: Promise<void>; decided?: () => void } = {},
): Promise<Upload> {
  const hash = createHash('sha256');
  for (let i = 0; i < pieces; i++) hash.update(piece);
  const expected = hash.digest('hex');
  return new Promise<Upload>((resolve, reject) => {
    const headers: Record<string, string | number> = { connection: 'close' };
    if (!opts.chunked) headers['content-length'] = piece.length * pieces;
    if (opts.expectContinue) headers.expect = '100-continue';
    const req = request(`${url}/content/digest`, { method: 'POST', headers });
    let done = false;
    let sent = 0;
    const pump = (): void => {
      while (!done && sent < pieces) {
        sent++;
        const more = req.write(piece);
        if (sent === pieces) {
          req.end();
          return;
        }
        if (!more) {
          req.once('drain', pump);
          return;
        }
      }
    };
    req.on('response', (res) => {
      opts.decided?.();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        done = true;
        if (sent < pieces) req.destroy();
        resolve({ status: res.statusCode!, headers: res.headers, body, expected });
      });
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (!done) reject(err);
    });
    if (opts.expectContinue) {
      req.on('continue', () => {
        opts.decided?.();
        void (opts.gate ?? Promise.resolve()).then(pump);
      });
      req.flushHeaders();
    } else {
      pump();
    }
  });
}

function checkOutcome(u: Upload, bytes: number): void {
  if (u.status === 200) {
    assert.deepEqual(JSON.parse(u.body), { algorithm: 'sha256', digest: u.expected, bytes });
  } else {
    assert.equal(u.status, 503, `only 200 or 503, got ${u.status}: ${u.body}`);
    assert.match(String(u.headers['retry-after']), /^[1-9]\d*$/, 'a 503 says when to retry');
    assert.match(JSON.parse(u.body).error, /budget|saturated/);
  }
}

const pieces = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.alloc(MiB, (i * 37 + 11) & 0xff));

test('sixteen concurrent 60 MiB uploads: the node-wide body budget answers 503 + Retry-After past it, digests stay right, RSS stays under budget + 350 MiB, and the budget is released', { timeout: 300_000 }, async (t) => {
  const { child, url, out } = await startChild({ MAX_INFLIGHT_BODY_BYTES: String(BUDGET) });
  try {
    const piece = pieces(16);
    const bytes = 60 * MiB;

    // 1. Expect: 100-continue, every body held until all 16 are decided: admission by Content-Length is exact.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let decided = 0;
    const onDecided = (): void => {
      if (++decided === 16) release();
    };
    const first = await Promise.all(piece.map((p) => upload(url, p, 60, { expectContinue: true, gate, decided: onDecided })));
    for (const u of first) checkOutcome(u, bytes);
    const ok = first.filter((u) => u.status === 200).length;
    assert.equal(ok, Math.floor(BUDGET / bytes), `as many as fit in the budget are admitted (${first.map((u) => u.status).join(',')})`);

    // 2. Plain uploads, all headers at once: some are refused, the admitted ones hash right.
    const second = await Promise.all(piece.map((p) => upload(url, p, 60)));
    for (const u of second) checkOutcome(u, bytes);
    assert.ok(second.some((u) => u.status === 503), `16 x 60 MiB cannot all fit in 256 MiB (${second.map((u) => u.status).join(',')})`);
    assert.ok(second.some((u) => u.status === 200));

    // 3. Chunked uploads (no Content-Length): streamed bytes are counted as they arrive.
    const third = await Promise.all(piece.slice(0, 8).map((p) => upload(url, p, 60, { chunked: true })));
    for (const u of third) checkOutcome(u, bytes);

    const hwm = procStatusKiB(child.pid!, 'VmHWM') * 1024;
    t.diagnostic(`child peak RSS (VmHWM) ${(hwm / MiB).toFixed(0)} MiB, bound ${(BUDGET + OVERHEAD) / MiB} MiB`);
    assert.ok(hwm < BUDGET + OVERHEAD, `peak RSS ${(hwm / MiB).toFixed(0)} MiB must stay under budget + 350 MiB = ${(BUDGET + OVERHEAD) / MiB} MiB`);

    // 4. Everything was released: uploads that fit one by one all succeed, and the budget reads zero.
    for (const p of piece.slice(0, 4)) {
      const u = await upload(url, p, 60);
      assert.equal(u.status, 200, u.body);
      checkOutcome(u, bytes);
    }
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /blackhole_component_stat\{component="body_budget",stat="inUseBytes"\} 0\b/);
    assert.match(metrics, /blackhole_component_stat\{component="body_budget",stat="limitBytes"\} 268435456\b/);
    const rejected = /blackhole_component_stat\{component="body_budget",stat="rejected"\} (\d+)/.exec(metrics);
    assert.ok(rejected && Number(rejected[1]) >= 12, 'refusals are counted');
  } finally {
    assert.equal(await stopChild(child), 0, out());
  }
});

test('npm start entry refuses a bad MAX_INFLIGHT_BODY_BYTES / HEADERS_TIMEOUT_MS with a clear message', async () => {
  for (const [name, value, rule] of [
    ['MAX_INFLIGHT_BODY_BYTES', '12abc', /MAX_INFLIGHT_BODY_BYTES \("12abc"\) must be an integer/],
    ['HEADERS_TIMEOUT_MS', '-5', /HEADERS_TIMEOUT_MS \("-5"\) must be an integer/],
    ['HEADERS_TIMEOUT_MS', String(2 ** 31), /headersTimeoutMs \(2147483648\) must be an integer from 1 to 2\^31 - 1/],
  ] as const) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/node/main.ts'], { cwd: root, env: { ...process.env, PORT: '0', [name]: value } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000); // a node that started anyway fails the test, bounded
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(kill);
    assert.equal(code, 2, err);
    assert.match(err, rule);
  }
});
