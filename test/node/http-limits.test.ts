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

/** Opens a raw HTTP/1.1 request and returns the socket and everything it receives. */
async function rawRequest(port: number, head: string): Promise<{ sock: Socket; received: () => string; closed: Promise<void> }> {
  const sock = connect(port, '127.0.0.1');
  let got = '';
  sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
  sock.on('error', () => {});
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(head);
  return { sock, received: () => got, closed };
}

async function until(what: string, cond: () => boolean, boundMs = 15_000): Promise<void> {
  const end = performance.now() + boundMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const chunk = (b: Buffer): Buffer => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);

test('chunked bodies are charged as they stream: past the budget 503 + Retry-After at once, past maxBodyBytes 413 at once; Expect: 100-continue is refused before the body', { timeout: 60_000 }, async () => {
  const node = await startNode({ port: 0, maxBodyBytes: MiB, maxInflightBodyBytes: MiB, retryAfterSeconds: 2 });
  try {
    const head = 'POST /content/digest HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
    // A holds 768 KiB of the 1 MiB budget and stays open.
    const a = await rawRequest(node.port, head);
    const partA = Buffer.alloc(768 * 1024, 1);
    a.sock.write(chunk(partA));
    await until('A charged', () => node.budget.stats().inUseBytes >= 768 * 1024);
    // B streams 512 KiB: it crosses the budget and is answered while still sending.
    const b = await rawRequest(node.port, head);
    b.sock.write(chunk(Buffer.alloc(512 * 1024, 2)));
    await until('B answered', () => b.received().includes('\r\n\r\n{'));
    assert.match(b.received(), /^HTTP\/1\.1 503 /);
    assert.match(b.received(), /\r\nRetry-After: 2\r\n/i);
    assert.match(b.received(), /maxInflightBodyBytes 1048576/);
    b.sock.write('0\r\n\r\n'); // B's body ends: its response ends, the connection stays usable
    await until('B ended', () => /\r\n\r\n\{[^}]*\}$/.test(b.received()));
    // C declares a length that does not fit and asks for 100-continue: refused before sending a byte.
    const c = await rawRequest(node.port, `POST /content/digest HTTP/1.1\r\nHost: x\r\nContent-Length: ${512 * 1024}\r\nExpect: 100-continue\r\n\r\n`);
    await c.closed;
    assert.match(c.received(), /^HTTP\/1\.1 503 /);
    assert.doesNotMatch(c.received(), /100 Continue/);
    // A finishes: 200 with the right digest, and the budget is back to zero.
    a.sock.write(chunk(Buffer.alloc(1000, 3)));
    a.sock.write('0\r\n\r\n');
    await until('A answered', () => /\r\n\r\n\{.*\}$/.test(a.received()));
    assert.match(a.received(), /^HTTP\/1\.1 200 /);
    const digest = createHash('sha256').update(partA).update(Buffer.alloc(1000, 3)).digest('hex');
    assert.equal(JSON.parse(a.received().split('\r\n\r\n')[1]!).digest, digest);
    await until('budget released', () => node.budget.stats().inUseBytes === 0);
    // Past maxBodyBytes while streaming: 413 before the body ends.
    const d = await rawRequest(node.port, head);
    d.sock.write(chunk(Buffer.alloc(MiB + 1, 4)));
    await until('D answered', () => d.received().includes('\r\n\r\n{'));
    assert.match(d.received(), /^HTTP\/1\.1 413 /);
    // An accepted Expect: 100-continue upload gets its 100 first.
    const e = await rawRequest(node.port, `POST /content/digest HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`);
    await until('100 Continue', () => e.received().startsWith('HTTP/1.1 100 Continue\r\n'));
    e.sock.write('abc');
    await e.closed;
    assert.match(e.received(), /HTTP\/1\.1 200 /);
    assert.ok(e.received().includes(createHash('sha256').update('abc').digest('hex')));
    for (const x of [a, b, d]) x.sock.destroy();
    await until('all released', () => node.budget.stats().inUseBytes === 0 && node.budget.stats().holders === 0);
    assert.ok(node.budget.stats().blocks <= MiB / node.budget.stats().blockBytes, 'blocks never exceed the budget');
  } finally {
    await node.close();
  }
});

test('BodyBudget: charges refuse past the limit without charging, release is idempotent, blocks are reused', async () => {
  const { BodyBudget } = await import('../../src/node/body-budget.ts');
  const budget = new BodyBudget(1000, 100);
  const a = budget.open();
  const b = budget.open();
  assert.ok(a.charge(600));
  assert.equal(b.charge(500), false, 'does not fit');
  assert.deepEqual({ inUse: budget.stats().inUseBytes, rejected: budget.stats().rejected, holders: budget.stats().holders }, { inUse: 600, rejected: 1, holders: 1 });
  assert.ok(b.charge(400));
  const blocks = [a.block()!, a.block()!];
  assert.equal(blocks[0]!.length, 100);
  assert.ok(blocks[0]!.buffer instanceof SharedArrayBuffer);
  a.release();
  a.release();
  assert.equal(a.charge(1), false, 'a released reservation charges nothing');
  assert.deepEqual({ inUse: budget.stats().inUseBytes, holders: budget.stats().holders, free: budget.stats().freeBlocks }, { inUse: 400, holders: 1, free: 2 });
  const again = b.block()!;
  assert.ok(again.buffer === blocks[1]!.buffer || again.buffer === blocks[0]!.buffer, 'a freed block is reused');
  assert.equal(budget.stats().blocks, 2);
  b.release();
  assert.deepEqual(budget.stats(), { limitBytes: 1000, inUseBytes: 0, peakBytes: 1000, holders: 0, rejected: 1, blockBytes: 100, blocks: 2, freeBlocks: 2 });
});
