import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startNode } from '../../src/node/server.ts';
import { assertPromtoolAccepts, checkExposition } from '../helpers/prometheus.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

test('GET /stats returns the PerformanceMetrics snapshot, exactly its shape', async () => {
  const node = await startNode({ port: 0 });
  try {
    for (let i = 0; i < 5; i++) assert.equal((await get(`${node.url}/health`)).status, 200);
    const r = await get(`${node.url}/stats`);
    assert.equal(r.status, 200);
    assert.match(r.type, /application\/json/);
    const m = JSON.parse(r.body);
    assert.deepEqual(Object.keys(m), ['latency', 'throughput', 'resources', 'errors']);
    assert.deepEqual(Object.keys(m.latency), ['p50', 'p95', 'p99', 'max']);
    assert.deepEqual(Object.keys(m.throughput), ['requestsPerSecond', 'bytesPerSecond', 'messagesPerSecond']);
    assert.deepEqual(Object.keys(m.resources), ['cpuUsage', 'memoryUsage', 'diskIOPS', 'networkBandwidth']);
    assert.deepEqual(Object.keys(m.errors), ['errorRate', 'timeouts', 'failures']);
    assert.ok(m.latency.max > 0 && m.latency.p50 <= m.latency.p99 && m.latency.p99 <= m.latency.max);
    assert.ok(m.throughput.requestsPerSecond > 0);
    assert.ok(m.throughput.bytesPerSecond > 0, 'response bytes are counted');
    assert.ok(m.resources.memoryUsage > 0);
    assert.equal(m.errors.errorRate, 0);
  } finally {
    await node.close();
  }
});

test('GET /metrics serves a Prometheus exposition that promtool accepts, with the node own request latencies', async () => {
  const node = await startNode({ port: 0 });
  try {
    await get(`${node.url}/health`);
    assert.equal((await get(`${node.url}/missing`)).status, 404);
    await get(`${node.url}/metrics`);
    const r = await get(`${node.url}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    assertPromtoolAccepts(r.body);
    const { samples } = checkExposition(r.body);
    const count = (route: string, status: string) =>
      samples.find((s) => s.name === 'blackhole_request_duration_seconds_count' && s.labels.route === route && s.labels.status === status)?.value;
    assert.equal(count('/health', '2xx'), 1);
    assert.equal(count('other', '4xx'), 1, 'unknown paths share one bounded route label');
    assert.equal(count('/metrics', '2xx'), 1);
    assert.ok(samples.some((s) => s.name === 'blackhole_component_stat' && s.labels.component === 'process'));
  } finally {
    await node.close();
  }
});

test('methods other than GET get 405 and a 5xx-free error count', async () => {
  const node = await startNode({ port: 0 });
  try {
    const res = await fetch(`${node.url}/stats`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    await res.text();
    const m = JSON.parse((await get(`${node.url}/stats`)).body);
    assert.equal(m.errors.errorRate, 0);
  } finally {
    await node.close();
  }
});

test('a request aborted mid-way counts as a failure; close() waits for in-flight requests then releases everything', async () => {
  const node = await startNode({ port: 0, shutdownGraceMs: 200 });
  const sock = connect(node.port, '127.0.0.1');
  await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
  sock.write('GET /stats HTTP/1.1\r\nHost: x\r\n'); // headers never finished
  await new Promise((r) => setTimeout(r, 50));
  const closed = node.close();
  assert.equal(node.close(), closed, 'close is idempotent');
  await closed; // the half-open socket is destroyed after the grace period
  assert.ok(sock.destroyed || (await new Promise((r) => sock.once('close', () => r(true)))));
  assert.ok(node.monitor.closed);
  await assert.rejects(fetch(`${node.url}/health`));
});

test('bad options are rejected', async () => {
  await assert.rejects(startNode({ port: 70000 }), /port \(70000\) must be an integer from 0 to 65535/);
  await assert.rejects(startNode({ port: 0, shutdownGraceMs: -1 }), /shutdownGraceMs \(-1\)/);
});

test('a port already in use rejects startNode and leaks no timer', async () => {
  const a = await startNode({ port: 0 });
  try {
    await assert.rejects(startNode({ port: a.port }), /EADDRINUSE/);
  } finally {
    await a.close();
  }
});

test('npm start entry: listens on PORT, serves /metrics, and exits 0 on SIGTERM and on SIGINT', async () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/node/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`node did not start: ${out}`)), 20_000);
      child.stdout.on('data', () => {
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
    });
    assert.equal((await fetch(`${url}/health`)).status, 200);
    const metrics = await new Promise<string>((resolve, reject) => {
      request(`${url}/metrics`, { headers: { connection: 'close' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => resolve(body));
      }).on('error', reject).end();
    });
    assert.match(metrics, /# TYPE blackhole_request_duration_seconds summary/);
    child.kill(signal);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 0, out);
    assert.match(out, new RegExp(`${signal} received, shutting down`));
    assert.match(out, /stopped/);
  }
});

test('npm start entry rejects a bad PORT with a clear message', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/node/main.ts'], { cwd: root, env: { ...process.env, PORT: 'abc' } });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  assert.equal(code, 2);
  assert.match(err, /PORT \("abc"\) must be an integer from 0 to 65535/);
});

test('POST /content/digest hashes the body on the compute pool; its stats reach /metrics', async () => {
  const { createHash } = await import('node:crypto');
  const node = await startNode({ port: 0, maxBodyBytes: 1 << 20 });
  try {
    for (const size of [0, 100, 5000, 200_000]) {
      const body = Buffer.alloc(size, size % 251);
      const res = await fetch(`${node.url}/content/digest`, { method: 'POST', body });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { algorithm: 'sha256', digest: createHash('sha256').update(body).digest('hex'), bytes: size });
    }
    const md5 = await fetch(`${node.url}/content/digest?algorithm=md5`, { method: 'POST', body: 'abc' });
    assert.equal(((await md5.json()) as { digest: string }).digest, createHash('md5').update('abc').digest('hex'));
    assert.equal((await fetch(`${node.url}/content/digest?algorithm=rot13`, { method: 'POST', body: 'x' })).status, 400);
    assert.equal((await fetch(`${node.url}/content/digest`)).status, 405);
    assert.equal((await fetch(`${node.url}/content/digest`, { method: 'POST', body: Buffer.alloc((1 << 20) + 1) })).status, 413);
    assert.ok(node.pool.stats().completed >= 5);
    const { samples } = checkExposition(await (await fetch(`${node.url}/metrics`)).text());
    const completed = samples.find((s) => s.name === 'blackhole_component_stat' && s.labels.component === 'compute_pool' && s.labels.stat === 'completed');
    assert.ok(completed !== undefined && completed.value >= 5, 'the pool is registered with the monitor');
  } finally {
    await node.close();
  }
  assert.equal(node.pool.stats().threads, 0, 'close() stops the pool');
});
