import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTier } from '../../src/cache/http-tier.ts';
import { BreakerState } from '../../src/cache/circuit-breaker.ts';
import { TierHttpStatusError, TierTimeoutError, TierUnavailableError } from '../../src/cache/tier.ts';
import { InvalidArgumentError, OutOfRangeError } from '../../src/errors.ts';

/**
 * A tiny real HTTP cache: PUT stores the body and its max-age, GET answers
 * 200 with `Cache-Control: max-age` and `Age` (404 once expired), DELETE
 * removes. `mode` makes it fail or hang, for failure tests.
 */
class BlobServer {
  readonly store = new Map<string, { body: Buffer; maxAge: number; at: number }>();
  readonly log: string[] = [];
  mode: 'ok' | 'error' | 'hang' = 'ok';
  extraAgeS = 0;
  private server: Server | null = null;
  private readonly hung: ServerResponse[] = [];
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}/cache`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = decodeURIComponent((req.url ?? '').replace(/^\/cache\//, ''));
      this.log.push(`${req.method} ${key}`);
      if (this.mode === 'hang') {
        this.hung.push(res);
        return;
      }
      if (this.mode === 'error') {
        res.writeHead(503).end();
        return;
      }
      const now = Date.now();
      if (req.method === 'PUT') {
        const m = /max-age=(\d+)/.exec(req.headers['cache-control'] ?? '');
        this.store.set(key, { body: Buffer.concat(chunks), maxAge: m ? Number(m[1]) : -1, at: now });
        res.writeHead(204).end();
      } else if (req.method === 'DELETE') {
        res.writeHead(this.store.delete(key) ? 204 : 404).end();
      } else {
        const e = this.store.get(key);
        const ageS = e === undefined ? 0 : Math.floor((now - e.at) / 1000) + this.extraAgeS;
        if (e === undefined || (e.maxAge >= 0 && ageS >= e.maxAge)) {
          res.writeHead(404).end();
          return;
        }
        const headers: Record<string, string> = { 'content-type': 'application/octet-stream', age: String(ageS) };
        if (e.maxAge >= 0) headers['cache-control'] = `public, max-age=${e.maxAge}`;
        res.writeHead(200, headers).end(e.body);
      }
    });
  }

  async stop(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}

describe('HttpTier', () => {
  const server = new BlobServer();
  before(() => server.start());
  after(() => server.stop());

  test('PUT/GET/DELETE {base}/{key} with typed values and max-age', async () => {
    const tier = new HttpTier({ baseUrl: server.base });
    const value = { when: new Date(5), tags: new Map([['a', 1]]), bytes: new Uint16Array([7, 8]) };
    await tier.set('user/1 ü', value, 30_000);
    assert.ok(server.log.includes('PUT user/1 ü'), 'key is URL-encoded and decoded by the server');
    assert.equal(server.store.get('user/1 ü')?.maxAge, 30);
    const e = await tier.get('user/1 ü');
    assert.ok(e !== undefined);
    const v = e.value as typeof value;
    assert.ok(v.when instanceof Date && v.when.getTime() === 5);
    assert.ok(v.tags instanceof Map && v.tags.get('a') === 1);
    assert.ok(v.bytes instanceof Uint16Array && v.bytes[1] === 8);
    assert.ok(e.ttlMs > 28_000 && e.ttlMs <= 30_000, `ttlMs ${e.ttlMs}`);
    await tier.delete('user/1 ü');
    assert.equal(await tier.get('user/1 ü'), undefined);
    await tier.delete('never-there'); // 404 on DELETE is fine
    const s = tier.stats();
    assert.equal(s.hits, 1);
    assert.equal(s.misses, 1);
    assert.equal(s.errors, 0);
    assert.equal(s.latency.count, 5);
  });

  test('remaining TTL is max-age minus Age; an exhausted max-age is a miss', async () => {
    const tier = new HttpTier({ baseUrl: server.base });
    await tier.set('aged', 'x', 10_000);
    server.extraAgeS = 4;
    try {
      const e = await tier.get('aged');
      assert.ok(e !== undefined && e.ttlMs <= 6000 && e.ttlMs > 4000, `ttlMs ${e?.ttlMs}`);
      server.extraAgeS = 10;
      assert.equal(await tier.get('aged'), undefined);
    } finally {
      server.extraAgeS = 0;
    }
  });

  test('errors and timeouts reject, count, open the circuit, and a probe closes it', async () => {
    let now = 0;
    const tier = new HttpTier({ baseUrl: server.base, timeoutMs: 80, failureThreshold: 2, openMs: 100, now: () => now });
    await tier.set('p', 1, 10_000);
    server.mode = 'error';
    await assert.rejects(tier.get('p'), (e: unknown) => e instanceof TierHttpStatusError && e.status === 503);
    server.mode = 'hang';
    const t0 = performance.now();
    await assert.rejects(tier.get('p'), TierTimeoutError);
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(tier.stats().breaker?.state, BreakerState.OPEN);
    await assert.rejects(tier.get('p'), TierUnavailableError);
    assert.equal(tier.stats().skipped, 1);
    assert.equal(tier.stats().errors, 2);
    assert.equal(tier.stats().timeouts, 1);
    server.mode = 'ok';
    now += 99;
    await assert.rejects(tier.get('p'), TierUnavailableError, 'still open 1 ms before openMs (injected clock)');
    now += 1;
    assert.equal((await tier.get('p'))?.value, 1, 'the probe');
    assert.equal(tier.stats().breaker?.state, BreakerState.CLOSED);
  });

  test('an unreachable server rejects typed (TierUnavailableError with the cause), and bad arguments are refused typed', async () => {
    const dead = new BlobServer();
    await dead.start();
    const base = dead.base;
    await dead.stop(); // nothing listens there now
    const tier = new HttpTier({ baseUrl: base, failureThreshold: 100 });
    await assert.rejects(tier.get('x'), (e: unknown) => e instanceof TierUnavailableError && (e as Error).cause !== undefined);
    await assert.rejects(tier.set('x', 1, 1000), TierUnavailableError);
    await assert.rejects(tier.delete('x'), TierUnavailableError);
    const ok = new HttpTier({ baseUrl: server.base });
    await assert.rejects(ok.get(5 as never), /HttpTier http key must be a string, got 5/);
    await assert.rejects(ok.set('x', 1, Number.NaN), OutOfRangeError);
    await assert.rejects(ok.set('x', () => 1, 1000), /cannot be serialized/);
    await assert.rejects(ok.set('x', 1, 1000, null as never), InvalidArgumentError);
    assert.throws(() => ok.urlOf('\ud800'), InvalidArgumentError);
    await ok.set('x', 1, 10_000);
    assert.equal((await ok.get('x'))?.value, 1, 'still works after the refused calls');
  });

  test('validates options', () => {
    assert.throws(() => new HttpTier({ baseUrl: 'ftp://x' }), InvalidArgumentError);
    assert.throws(() => new HttpTier({ baseUrl: server.base, timeoutMs: 0 }), /HttpTier timeoutMs \(0\) must be an integer from 1 to 600000/);
    assert.throws(() => new HttpTier({ baseUrl: server.base, defaultTtlMs: -1 }), OutOfRangeError);
    assert.throws(() => new HttpTier(null as never), /HttpTier options must be an object/);
    assert.throws(() => new HttpTier({ baseUrl: server.base, headers: { a: 5 } as never }), /HttpTier headers\["a"\] must be a string/);
    assert.throws(() => new HttpTier({ baseUrl: server.base, headers: { 'bad name': 'x' } }), InvalidArgumentError);
    assert.throws(() => new HttpTier({ baseUrl: server.base, openMs: 2 ** 31 }), OutOfRangeError);
    assert.throws(() => new HttpTier({ baseUrl: server.base, timeoutMs: '5' as never }), InvalidArgumentError);
    assert.equal(new HttpTier({ baseUrl: `${server.base}///` }).urlOf('a b'), `${server.base}/a%20b`);
  });
});
