// Two MultiLevelCache nodes sharing one real redis-server, under Redis faults
// in the middle of mixed writes, deletes and reads: a stall (SIGSTOP/SIGCONT),
// a crash (kill -9) and restart, a graceful restart, and faults of one node's
// link only (through a real TCP proxy that can freeze or cut that node's
// connections while the other node keeps working). Every call is recorded
// with its start and end (one process, one clock), and every read is judged
// against the writes that completed before it began:
//
//   a read that returns the value of write W0 is *stale* if some write W of
//   the same key (a set or a delete) started after W0 completed and completed
//   before the read began; its age is how long it has been stale, counted from
//   the later of W's completion and the moment the fault ended (reads during
//   a fault are not judged: a node cut off from the bus cannot know).
//
// The README's guarantee: once Redis is back, no read is stale by more than
// the bound (1 s), a deleted key never comes back, and after the load stops
// every node and Redis agree with the last write. A miss is never stale (a
// cache may always miss). The same file, run as a child process with
// BH_MLC_CLOSE_CHILD=1, is the close() fixture: it must exit by itself.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { MultiLevelCache } from '../../src/cache/multi-level-cache.ts';
import { RedisTier, type RedisTierOptions } from '../../src/cache/redis-tier.ts';
import { RedisServer, freePort } from '../helpers/redis-server.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The stated bound (README, MultiLevelCache, "Consistency under Redis faults"). */
const BOUND_MS = 1000;

/** The tier options of every node: the defaults, spelled out (the bound is stated for them). */
const TIER: RedisTierOptions = { commandTimeoutMs: 100, failureThreshold: 3, openMs: 500, reconnectMaxDelayMs: 500, connectTimeoutMs: 2000 };

interface Write {
  node: string;
  key: string;
  /** Value written (a unique id), or -1 for a delete. */
  id: number;
  start: number;
  end: number;
}
interface Read {
  node: string;
  key: string;
  value: number | undefined;
  start: number;
}

/** A small seeded PRNG (mulberry32), so a run's mix is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class History {
  readonly writes: Write[] = [];
  readonly reads: Read[] = [];
  private nextId = 1;
  id(): number {
    return this.nextId++;
  }
}

/**
 * Keys come and go: every 150 ms a new generation of 6 keys starts being
 * written, and a key is written only while its generation or the next one is
 * current; after that it is only read. So the last writes of many keys fall
 * inside the fault and right after it, and nothing heals a stale copy by
 * writing the key again later (as it would with a fixed hot set).
 */
const GEN_MS = 150;
const PER_GEN = 6;

/** Runs `workers` loops per node of seeded get/set/delete until `stop()`; records everything. */
function workload(nodes: Record<string, MultiLevelCache<number>>, history: History, seed: number, workers = 3): { stop: () => Promise<void>; errors: unknown[]; keys: () => string[] } {
  let running = true;
  const errors: unknown[] = [];
  const loops: Promise<void>[] = [];
  const t0 = performance.now();
  const gen = (): number => Math.floor((performance.now() - t0) / GEN_MS);
  const keyOf = (g: number, j: number): string => `g${g}:${j}`;
  let w = 0;
  for (const [name, cache] of Object.entries(nodes)) {
    for (let i = 0; i < workers; i++) {
      const random = rng(seed + w++);
      loops.push(
        (async () => {
          while (running) {
            const g = gen();
            const r = random();
            const start = performance.now();
            try {
              if (r < 0.4) {
                const key = keyOf(Math.max(0, g - Math.floor(random() * 2)), Math.floor(random() * PER_GEN));
                if (r < 0.3) {
                  const id = history.id();
                  await cache.set(key, id);
                  history.writes.push({ node: name, key, id, start, end: performance.now() });
                } else {
                  await cache.delete(key);
                  history.writes.push({ node: name, key, id: -1, start, end: performance.now() });
                }
              } else {
                // half the reads on the keys being written, half on any key written so far
                const rg = random() < 0.5 ? Math.max(0, g - Math.floor(random() * 2)) : Math.floor(random() * (g + 1));
                const key = keyOf(rg, Math.floor(random() * PER_GEN));
                const value = await cache.get(key);
                history.reads.push({ node: name, key, value, start });
              }
            } catch (err) {
              errors.push(err);
            }
            await sleep(1 + Math.floor(random() * 3));
          }
        })(),
      );
    }
  }
  return {
    errors,
    keys: () => [...new Set(history.writes.map((x) => x.key))],
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

interface Stale {
  node: string;
  key: string;
  /** Stale for this long (ms), counted from the later of the superseding write's end and the recovery. */
  age: number;
  /** The superseding write was a delete: the key had come back. */
  resurrected: boolean;
  at: number;
}

/** A fault's window: reads inside it are not judged; ages after it count from its end. */
interface Outage {
  from: number;
  to: number;
}

/** Every stale read that began outside the outages (and after the first began), with its age. */
function staleReads(history: History, outages: Outage[]): Stale[] {
  const byKey = new Map<string, Write[]>();
  const byId = new Map<number, Write>();
  for (const w of history.writes) {
    let list = byKey.get(w.key);
    if (list === undefined) byKey.set(w.key, (list = []));
    list.push(w);
    if (w.id > 0) byId.set(w.id, w);
  }
  const first = outages[0]!.from;
  const out: Stale[] = [];
  for (const r of history.reads) {
    if (r.value === undefined || r.start < first || outages.some((o) => r.start >= o.from && r.start <= o.to)) continue;
    const w0 = byId.get(r.value);
    assert.ok(w0 !== undefined, `read of ${r.key} returned ${r.value}, which no completed write stored`);
    let sup: Write | undefined;
    for (const w of byKey.get(r.key)!) {
      if (w.start > w0.end && w.end < r.start && (sup === undefined || w.end < sup.end)) sup = w;
    }
    if (sup === undefined) continue;
    const recovered = Math.max(...outages.filter((o) => o.to <= r.start).map((o) => o.to));
    out.push({ node: r.node, key: r.key, age: r.start - Math.max(sup.end, recovered), resurrected: sup.id === -1, at: r.start - recovered });
  }
  return out;
}

/** The values a key may hold once writes stopped: the last writes no other write followed (several if they overlapped). */
function finalCandidates(history: History, key: string): Set<number | undefined> {
  const ws = history.writes.filter((w) => w.key === key);
  const out = new Set<number | undefined>([undefined]); // a miss is always allowed
  for (const w of ws) if (!ws.some((x) => x.start > w.end)) out.add(w.id === -1 ? undefined : w.id);
  return out;
}

function summary(stale: Stale[]): string {
  const ages = stale.map((s) => s.age).sort((a, b) => a - b);
  const pct = (p: number): string => (ages.length === 0 ? '-' : ages[Math.min(ages.length - 1, Math.floor(p * ages.length))]!.toFixed(0));
  return `${stale.length} stale reads after recovery (age p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${ages.length === 0 ? '-' : ages[ages.length - 1]!.toFixed(0)} ms; by node ${JSON.stringify(
    Object.fromEntries(['A', 'B'].map((n) => [n, stale.filter((s) => s.node === n).length])),
  )}; past the bound ${stale.filter((s) => s.age > BOUND_MS).length}, resurrected deletes past the bound ${stale.filter((s) => s.age > BOUND_MS && s.resurrected).length})`;
}

/**
 * A TCP proxy in front of the redis-server for one node: `freeze()` stops
 * forwarding in both directions (connections stay open, bytes wait, as in a
 * hung link), `cut()` resets every connection and refuses new ones (as in a
 * lost route); `heal()` undoes either. Real sockets both sides: it produces
 * faults of one node's link, which one shared redis-server cannot.
 */
class LinkProxy {
  readonly url: string;
  private readonly pairs = new Set<[Socket, Socket]>();
  private frozen = false;
  private refusing = false;
  private constructor(
    private readonly server: Server,
    port: number,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async start(targetPort: number): Promise<LinkProxy> {
    const port = await freePort();
    let proxy!: LinkProxy;
    const server = createServer((down) => {
      if (proxy.refusing) {
        down.destroy();
        return;
      }
      const up = connect({ host: '127.0.0.1', port: targetPort });
      const pair: [Socket, Socket] = [down, up];
      proxy.pairs.add(pair);
      const end = (): void => {
        proxy.pairs.delete(pair);
        down.destroy();
        up.destroy();
      };
      for (const [from, to] of [
        [down, up],
        [up, down],
      ] as const) {
        from.on('data', (d) => to.write(d));
        from.on('error', end);
        from.on('close', end);
      }
      if (proxy.frozen) {
        down.pause();
        up.pause();
      }
    });
    proxy = new LinkProxy(server, port);
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    return proxy;
  }

  freeze(): void {
    this.frozen = true;
    for (const [a, b] of this.pairs) {
      a.pause();
      b.pause();
    }
  }

  cut(): void {
    this.refusing = true;
    for (const [a, b] of this.pairs) {
      a.resetAndDestroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  heal(): void {
    this.refusing = false;
    this.frozen = false;
    for (const [a, b] of this.pairs) {
      a.resume();
      b.resume();
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

interface Nodes {
  A: MultiLevelCache<number>;
  B: MultiLevelCache<number>;
  fresh: () => MultiLevelCache<number>;
  close: () => Promise<void>;
}

/** Two connected nodes on `prefix` (A through `urlA` when given), and a factory of L1-less nodes that read Redis directly. */
async function twoNodes(redis: RedisServer, prefix: string, urlA: string = redis.url): Promise<Nodes> {
  const made: MultiLevelCache<number>[] = [];
  const mk = (l1: boolean, url: string): MultiLevelCache<number> => {
    const c = new MultiLevelCache<number>({
      l1: l1 ? { maxEntries: 1000 } : false,
      tiers: [new RedisTier({ url, keyPrefix: `${prefix}:`, invalidationChannel: `inv:${prefix}`, ...TIER })],
      ttlMs: 60_000,
    });
    made.push(c);
    return c;
  };
  const A = mk(true, urlA);
  const B = mk(true, redis.url);
  await Promise.all([A.connect(), B.connect()]);
  return { A, B, fresh: () => mk(false, redis.url), close: async () => void (await Promise.allSettled(made.map((c) => c.close()))) };
}

/** Runs faults; returns their windows (from the fault's start to the moment it ended). */
type Faults = (redis: RedisServer, proxy: LinkProxy) => Promise<Outage[]>;

/** Times one fault: its window is from its start to when `run` resolved (Redis, or the link, is back). */
async function window(run: () => Promise<void>): Promise<Outage> {
  const from = performance.now();
  await run();
  return { from, to: performance.now() };
}

/** Load, faults, load for 2 s after the last one, then judge every read and the final state. */
async function scenario(label: string, faults: Faults, seed: number): Promise<string> {
  const redis = await RedisServer.start();
  const proxy = await LinkProxy.start(redis.port);
  const { A, B, fresh, close } = await twoNodes(redis, label, proxy.url);
  const history = new History();
  try {
    const load = workload({ A, B }, history, seed);
    await sleep(300);
    const outages = await faults(redis, proxy);
    await sleep(BOUND_MS + 1000);
    await load.stop();
    assert.deepEqual(load.errors, [], 'no call rejected');
    const stale = staleReads(history, outages);
    const report = `${label}: ${history.writes.length} writes, ${history.reads.length} reads; ${summary(stale)}`;
    const late = stale.filter((x) => x.age > BOUND_MS);
    assert.deepEqual(late.slice(0, 5), [], `${report}; first reads stale past the bound: ${JSON.stringify(late.slice(0, 5))}`);

    // Quiet now: within the bound every node (and a node without L1, i.e. Redis) agrees with the last writes; twice, so a late write cannot slip in between.
    const C = fresh();
    await C.connect();
    for (const round of [1, 2]) {
      await sleep(round === 1 ? BOUND_MS : 300);
      for (const key of load.keys()) {
        const allowed = finalCandidates(history, key);
        for (const [name, node] of [['A', A], ['B', B], ['Redis', C]] as const) {
          const v = await node.get(key);
          assert.ok(allowed.has(v), `${label}: after the load, ${name} reads ${key} = ${v}; the last writes were ${JSON.stringify([...allowed])}`);
        }
      }
    }
    return report;
  } finally {
    await close();
    await proxy.close();
    await redis.stop();
  }
}

if (process.env.BH_MLC_CLOSE_CHILD === '1') {
  await closeChild();
} else {
  describe('MultiLevelCache: two nodes, one redis-server, faults in the middle of writes', () => {
    test('a 300 ms stall (SIGSTOP/SIGCONT): no read stale past the bound, no deleted key back, nodes agree after', { timeout: 30_000 }, async (t) => {
      t.diagnostic(await scenario('stall', async (r) => [await window(() => r.stall(300))], 11));
    });

    test('kill -9 and restart: no read stale past the bound after the restart, nodes agree after', { timeout: 30_000 }, async (t) => {
      t.diagnostic(
        await scenario('kill', async (r) => [
          await window(async () => {
            await r.kill();
            await sleep(400);
            await r.restart();
          }),
        ], 23),
      );
    });

    test('graceful restart (SIGTERM, same port): no read stale past the bound, nodes agree after', { timeout: 30_000 }, async (t) => {
      t.diagnostic(await scenario('restart', async (r) => [await window(() => r.restart(10_000, { graceful: true }))], 37));
    });

    test("one node's link only: A frozen 400 ms, then cut 400 ms, while B keeps writing; no read stale past the bound, nodes agree after", { timeout: 30_000 }, async (t) => {
      t.diagnostic(
        await scenario('link', async (_r, proxy) => {
          const frozen = await window(async () => {
            proxy.freeze();
            await sleep(400);
            proxy.heal();
          });
          await sleep(700);
          const cut = await window(async () => {
            proxy.cut();
            await sleep(400);
            proxy.heal();
          });
          return [frozen, cut];
        }, 41),
      );
    });

    test('a SET that timed out in a stall and is applied late does not bring back a key deleted after it', { timeout: 20_000 }, async () => {
      const redis = await RedisServer.start();
      const { A, B, fresh, close } = await twoNodes(redis, 'late-set');
      try {
        await A.set('x', 1);
        redis.pause();
        try {
          await A.set('x', 2); // times out: the SET waits in Redis's socket buffer
          for (let i = 0; i < 5; i++) await A.set(`y${i}`, i); // more timeouts: the breaker opens
          await A.delete('x'); // skipped by the open breaker (old code: lost)
        } finally {
          redis.resume(); // the buffered SET x = 2 is applied now
        }
        const back = performance.now();
        const C = fresh();
        await C.connect();
        let lastSeen = -Infinity;
        while (performance.now() - back < BOUND_MS + 1000) {
          const seen = [await A.get('x'), await B.get('x'), await C.get('x')];
          if (seen.some((v) => v !== undefined)) lastSeen = performance.now() - back;
          await sleep(10);
        }
        assert.ok(lastSeen <= BOUND_MS, `x, deleted after its SET, was readable ${lastSeen.toFixed(0)} ms after the stall ended`);
        assert.equal(await C.get('x'), undefined);
      } finally {
        await close();
        await redis.stop();
      }
    });

    test('a set or delete during a stall takes one command timeout, not one per command', { timeout: 20_000 }, async () => {
      const redis = await RedisServer.start();
      const timeoutMs = 300;
      const tier = new RedisTier({ url: redis.url, keyPrefix: 'deadline:', invalidationChannel: 'inv:deadline', commandTimeoutMs: timeoutMs, failureThreshold: 100 });
      const cache = new MultiLevelCache<number>({ tiers: [tier] });
      try {
        await cache.connect();
        await cache.set('k', 1);
        redis.pause();
        try {
          for (const op of [() => cache.set('k', 2), () => cache.delete('k')]) {
            const t0 = performance.now();
            await op();
            const ms = performance.now() - t0;
            assert.ok(ms >= timeoutMs - 5, `returned after ${ms.toFixed(0)} ms, before the timeout`);
            assert.ok(ms < 1.5 * timeoutMs, `took ${ms.toFixed(0)} ms: more than one ${timeoutMs} ms deadline`);
          }
        } finally {
          redis.resume();
        }
      } finally {
        await cache.close();
        await redis.stop();
      }
    });

    test('close() after Redis was killed releases every timer: a child process exits by itself', { timeout: 30_000 }, async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
        env: { ...process.env, BH_MLC_CLOSE_CHILD: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((resolve) => {
        const limit = setTimeout(() => {
          child.kill('SIGKILL');
          resolve(null);
        }, 20_000);
        child.once('exit', (c) => {
          clearTimeout(limit);
          resolve(c);
        });
      });
      assert.equal(code, 0, `child output:\n${out}`);
      const m = /exited (\d+) ms after close/.exec(out);
      assert.ok(m !== null, `child output:\n${out}`);
      // Nothing but the exit itself runs after close(): far below the 5 s reconnect back-off cap used by the child.
      assert.ok(Number(m[1]) < 500, `the process lived ${m[1]} ms after close(): ${out}`);
    });
  });
}

/**
 * The close() fixture: two nodes writing, Redis killed, both nodes closed
 * while their clients are reconnecting (back-off capped at 5 s, so a leftover
 * reconnect timer would keep the process alive visibly long). Prints how long
 * after close() the process exited; a watchdog (unref'd) reports what is still
 * alive after 5 s and exits with code 3.
 */
async function closeChild(): Promise<void> {
  const redis = await RedisServer.start();
  const mk = (): MultiLevelCache<number> =>
    new MultiLevelCache<number>({ tiers: [new RedisTier({ url: redis.url, invalidationChannel: 'inv:close', commandTimeoutMs: 100, reconnectMaxDelayMs: 5000, openMs: 200 })] });
  const a = mk();
  const b = mk();
  await Promise.all([a.connect(), b.connect()]);
  let running = true;
  const loop = async (c: MultiLevelCache<number>): Promise<void> => {
    for (let i = 0; running; i++) {
      await c.set(`k${i % 10}`, i);
      await c.get(`k${(i * 7) % 10}`);
      await sleep(1);
    }
  };
  const loops = [loop(a), loop(b)];
  await sleep(200);
  await redis.kill();
  await sleep(2700); // the clients' reconnect back-off has reached about 2.5 s now
  running = false;
  await Promise.all(loops);
  await a.close();
  await b.close();
  await redis.stop();
  const closedAt = performance.now();
  process.once('exit', () => console.log(`exited ${Math.round(performance.now() - closedAt)} ms after close`));
  setTimeout(() => {
    console.log(`still alive 5 s after close(): ${JSON.stringify(process.getActiveResourcesInfo())}`);
    process.exit(3);
  }, 5000).unref();
}
