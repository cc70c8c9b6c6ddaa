// Header and request timeouts on the wire (raw sockets), concurrent digests
// through the compute pool, and the typed refusal of every bad startNode option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { startNode, type NodeOptions } from '../../src/node/server.ts';
import { InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

const MiB = 1024 * 1024;

/** Sends `head` then one `drip` every `everyMs` until the server answers or closes; resolves with what it said and when. */
function slowClient(port: number, head: string, drip: string, everyMs: number, boundMs: number): Promise<{ reply: string; ms: number; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const sock: Socket = connect(port, '127.0.0.1');
    let reply = '';
    let replyMs = -1;
    const ticker = setInterval(() => {
      if (sock.writable) sock.write(drip);
    }, everyMs);
    const bound = setTimeout(() => {
      clearInterval(ticker);
      sock.destroy();
      reject(new Error(`no answer within ${boundMs} ms (got ${JSON.stringify(reply)})`));
    }, boundMs);
    sock.on('connect', () => sock.write(head));
    sock.on('data', (d: Buffer) => {
      if (replyMs < 0) replyMs = performance.now() - started;
      reply += d.toString('latin1');
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      clearInterval(ticker);
      clearTimeout(bound);
      resolve({ reply, ms: replyMs < 0 ? performance.now() - started : replyMs, closed: true });
    });
  });
}

test('slowloris: headers that never finish get a real 408 status line at headersTimeoutMs, then the socket is closed', { timeout: 60_000 }, async () => {
  const node = await startNode({ port: 0, headersTimeoutMs: 1000 });
  try {
    const r = await slowClient(node.port, 'GET /health HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n', 100, 1000 + 15_000);
    assert.match(r.reply, /^HTTP\/1\.1 408 Request Timeout\r\n/, `got ${JSON.stringify(r.reply)}`);
    assert.match(r.reply, /\r\nConnection: close\r\n/i);
    assert.ok(r.ms >= 950, `not before the timeout (${r.ms.toFixed(0)} ms)`);
    assert.ok(r.closed);
    const stats = await (await fetch(`${node.url}/stats`)).json() as { errors: { timeouts: number } };
    assert.ok(stats.errors.timeouts >= 1, 'a header timeout counts as a timeout');
  } finally {
    await node.close();
  }
});

test('a body that trickles past requestTimeoutMs gets 408 and releases its budget', { timeout: 60_000 }, async () => {
  const node = await startNode({ port: 0, headersTimeoutMs: 500, requestTimeoutMs: 1500, maxInflightBodyBytes: 64 * MiB, maxBodyBytes: 64 * MiB });
  try {
    const r = await slowClient(
      node.port,
      `POST /content/digest HTTP/1.1\r\nHost: x\r\nContent-Length: ${64 * MiB}\r\n\r\n`,
      'x',
      100,
      1500 + 15_000,
    );
    assert.match(r.reply, /^HTTP\/1\.1 408 Request Timeout\r\n/, `got ${JSON.stringify(r.reply)}`);
    assert.ok(r.ms >= 1450, `not before the timeout (${r.ms.toFixed(0)} ms)`);
    // The 64 MiB reservation went with the socket: a full-budget upload fits again.
    let stats = node.budget.stats();
    for (let i = 0; i < 100 && stats.inUseBytes !== 0; i++) {
      await new Promise((res) => setTimeout(res, 20));
      stats = node.budget.stats();
    }
    assert.equal(stats.inUseBytes, 0);
    const body = Buffer.alloc(64 * MiB, 7);
    const res = await fetch(`${node.url}/content/digest`, { method: 'POST', body });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { digest: string }).digest, createHash('sha256').update(body).digest('hex'));
  } finally {
    await node.close();
  }
});

for (const n of [8, 32]) {
  test(`${n} concurrent POST /content/digest uploads of a few MiB all answer 200 with the right digests`, { timeout: 120_000 }, async () => {
    const node = await startNode({ port: 0 });
    try {
      const bodies = Array.from({ length: n }, (_, i) => Buffer.alloc(2 * MiB + i * 4099, (i * 53 + 1) & 0xff));
      const results = await Promise.all(
        bodies.map(async (body) => {
          const res = await fetch(`${node.url}/content/digest`, { method: 'POST', body });
          return { status: res.status, json: (await res.json()) as { digest?: string; bytes?: number; error?: string } };
        }),
      );
      const tally: Record<number, number> = {};
      for (const r of results) tally[r.status] = (tally[r.status] ?? 0) + 1;
      assert.deepEqual(tally, { 200: n }, `statuses ${JSON.stringify(tally)}: ${results.find((r) => r.status !== 200)?.json.error ?? ''}`);
      results.forEach((r, i) => {
        assert.equal(r.json.digest, createHash('sha256').update(bodies[i]!).digest('hex'));
        assert.equal(r.json.bytes, bodies[i]!.length);
      });
      assert.equal(node.budget.stats().inUseBytes, 0);
    } finally {
      await node.close();
    }
  });
}

test('every bad startNode option is refused with a typed error naming it, and nothing is left running', async () => {
  const bad: [unknown, typeof InvalidArgumentError | typeof OutOfRangeError, RegExp][] = [
    [null, InvalidArgumentError, /Blackhole node options must be an object/],
    [[], InvalidArgumentError, /options must be an object/],
    [{ port: '7070' }, InvalidArgumentError, /port must be an integer from 0 to 65535, got/],
    [{ port: 70000 }, OutOfRangeError, /port \(70000\) must be an integer from 0 to 65535/],
    [{ port: 1.5 }, OutOfRangeError, /port \(1\.5\)/],
    [{ host: 5 }, InvalidArgumentError, /host must be a non-empty string/],
    [{ host: '' }, InvalidArgumentError, /host must be a non-empty string/],
    [{ sampleIntervalMs: 2 ** 31 }, OutOfRangeError, /sampleIntervalMs \(2147483648\)/],
    [{ sampleIntervalMs: 0 }, OutOfRangeError, /sampleIntervalMs \(0\)/],
    [{ shutdownGraceMs: -1 }, OutOfRangeError, /shutdownGraceMs \(-1\)/],
    [{ shutdownGraceMs: 2 ** 31 }, OutOfRangeError, /shutdownGraceMs \(2147483648\) must be .*2\^31 - 1/],
    [{ shutdownGraceMs: 10n }, InvalidArgumentError, /shutdownGraceMs must be/],
    [{ computeThreads: 0 }, OutOfRangeError, /computeThreads \(0\)/],
    [{ computeThreads: '2' }, InvalidArgumentError, /computeThreads must be/],
    [{ maxBodyBytes: -1 }, OutOfRangeError, /maxBodyBytes \(-1\)/],
    [{ maxBodyBytes: NaN }, OutOfRangeError, /maxBodyBytes \(NaN\)/],
    [{ maxBodyBytes: 2 ** 40 }, OutOfRangeError, /maxBodyBytes \(1099511627776\)/],
    [{ maxInflightBodyBytes: Symbol('x') }, InvalidArgumentError, /maxInflightBodyBytes must be/],
    [{ maxInflightBodyBytes: 1.5 }, OutOfRangeError, /maxInflightBodyBytes \(1\.5\)/],
    [{ maxBodyBytes: 10 * MiB, maxInflightBodyBytes: MiB }, OutOfRangeError, /maxInflightBodyBytes \(1048576\) must be at least maxBodyBytes \(10485760\)/],
    [{ headersTimeoutMs: 2 ** 31 }, OutOfRangeError, /headersTimeoutMs \(2147483648\) must be an integer from 1 to 2\^31 - 1/],
    [{ headersTimeoutMs: 0 }, OutOfRangeError, /headersTimeoutMs \(0\)/],
    [{ headersTimeoutMs: Infinity }, OutOfRangeError, /headersTimeoutMs \(Infinity\)/],
    [{ headersTimeoutMs: null }, InvalidArgumentError, /headersTimeoutMs must be/],
    [{ requestTimeoutMs: 2 ** 31 }, OutOfRangeError, /requestTimeoutMs \(2147483648\)/],
    [{ requestTimeoutMs: -1 }, OutOfRangeError, /requestTimeoutMs \(-1\)/],
    [{ headersTimeoutMs: 5000, requestTimeoutMs: 1000 }, OutOfRangeError, /headersTimeoutMs \(5000\) must be at most requestTimeoutMs \(1000\)/],
    [{ retryAfterSeconds: 0 }, OutOfRangeError, /retryAfterSeconds \(0\)/],
    [{ retryAfterSeconds: '1' }, InvalidArgumentError, /retryAfterSeconds must be/],
  ];
  for (const [options, type, message] of bad) {
    await assert.rejects(startNode(options as NodeOptions), (err: Error) => {
      assert.ok(err instanceof type, `${String(options && JSON.stringify(options, (_k, v) => (typeof v === 'bigint' || typeof v === 'symbol' ? String(v) : v)))}: ${err.constructor.name}: ${err.message}`);
      assert.match(err.message, /^Blackhole node /);
      assert.match(err.message, message);
      return true;
    });
  }
  // A refused call started nothing; a good one still works (requestTimeoutMs Infinity: no whole-request limit).
  const node = await startNode({ port: 0, headersTimeoutMs: 2000, requestTimeoutMs: Infinity, retryAfterSeconds: 3 });
  try {
    assert.equal((await fetch(`${node.url}/health`)).status, 200);
  } finally {
    await node.close();
  }
});
