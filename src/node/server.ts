/**
 * The reference Blackhole node, first cut: an HTTP server on loopback that
 * measures itself with the metrics layer.
 *
 * Every request is timed on the monotonic clock and tracked as
 * `request.duration` (ms) with bounded labels (method, route, status class),
 * bytes in and out are counted, 5xx responses count as errors, socket and
 * header/request timeouts as timeouts and aborted requests as failures.
 * `GET /metrics` serves the Prometheus exposition, `GET /stats` the spec's
 * PerformanceMetrics snapshot as JSON. Later issues grow it into the full node.
 *
 * Shutdown order (close()): stop accepting, let in-flight requests finish
 * (idle keep-alive sockets are closed at once; anything still open after
 * `shutdownGraceMs` is destroyed), then stop the sampler and the monitor,
 * then drain the pool.
 *
 * Compute: `POST /content/digest` hashes the request body (content
 * addressing) on a ThreadPool, off the event loop; the pool's stats are
 * registered with the monitor as component `compute_pool`.
 *
 * Memory. A body is buffered whole (a pool thread cannot carry a hash's state
 * from one task to the next), so every buffered byte is charged to one
 * node-wide {@link BodyBudget} (`maxInflightBodyBytes`, component
 * `body_budget`). A body with a Content-Length is charged in full when its
 * headers arrive and read straight into one buffer of that size, which is
 * then transferred (not copied) to the pool thread; a chunked body is
 * charged block by block as it streams. What does not fit is answered 503
 * with `Retry-After` at once (before the body is read when the length is
 * known, or as soon as the chunked stream crosses the budget); the rest of
 * that body is read and discarded so the client gets its answer cleanly. A
 * body over `maxBodyBytes` gets 413 the same way. The charge is released
 * when the pool has hashed the body, or when the request fails or is
 * aborted first. `Expect: 100-continue` is honoured: the `100 Continue` is
 * sent only once the body has been admitted.
 *
 * Timeouts. Headers that are not complete `headersTimeoutMs` after the
 * request began, and requests whose body is not complete `requestTimeoutMs`
 * after it began, are answered `408 Request Timeout` (then the socket is
 * closed); Node checks its connections every `min(1000, timeout / 4)` ms, so
 * the answer comes at most that much after the timeout.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { constants as bufferConstants } from 'node:buffer';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { OutOfRangeError, describe } from '../errors.ts';
import { PerformanceMonitor } from '../metrics/monitor.ts';
import { collectPerformanceMetrics } from '../metrics/performance-metrics.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/exposition.ts';
import { ResourceSampler } from '../metrics/resource-sampler.ts';
import { ThreadPool } from '../concurrency/thread-pool.ts';
import { TaskRejectedError } from '../concurrency/errors.ts';
import { checkNumber, checkOptions, checkString, optionalNumber, optionalTimerMs, numberError } from '../validate.ts';
import { BodyBudget, type BodyReservation } from './body-budget.ts';

export { BodyBudget, BodyReservation, type BodyBudgetStats } from './body-budget.ts';

/** The compute task module next to this file (`.ts` from the sources, `.js` from dist). */
const COMPUTE_TASKS = new URL(import.meta.url.endsWith('.ts') ? './compute-tasks.ts' : './compute-tasks.js', import.meta.url);
const DIGESTS = new Set(['sha256', 'sha512', 'sha1', 'md5', 'blake2b512']);
const MiB = 1024 * 1024;
const C = 'Blackhole node';
/** A body of known length below this is one exact buffer, copied to the pool thread; larger ones live in the budget's shared blocks. */
const SMALL_BODY = 64 * 1024;

/** Options of {@link startNode}. Every option is checked: a wrong type is `InvalidArgumentError`, a value outside its rule `OutOfRangeError`. */
export interface NodeOptions {
  /** TCP port, an integer from 0 to 65535; 0 picks a free one. Default 7070. */
  port?: number;
  /** Interface to bind, a non-empty string. Default '127.0.0.1'. */
  host?: string;
  /** How often resources are sampled, ms: 10 to 2^31 - 1. Default 1000. */
  sampleIntervalMs?: number;
  /** How long close() waits for in-flight requests before destroying sockets, ms: 0 to 2^31 - 1. Default 5000. */
  shutdownGraceMs?: number;
  /** Threads of the compute pool, an integer from 1 to 1024. Default 2. */
  computeThreads?: number;
  /** Largest body `POST /content/digest` accepts, bytes (an integer from 0 to 2^32); larger ones get 413. Default 64 MiB. */
  maxBodyBytes?: number;
  /**
   * Node-wide budget for request body bytes held in memory at once, bytes: an
   * integer >= `maxBodyBytes` (so every admissible body can fit). A body that
   * does not fit gets 503 with `Retry-After`. Default 256 MiB, or `maxBodyBytes` if larger.
   */
  maxInflightBodyBytes?: number;
  /** A request whose headers are not complete this long after it began gets 408, ms: an integer from 1 to 2^31 - 1, at most `requestTimeoutMs`. Default 10 000. */
  headersTimeoutMs?: number;
  /** A request not fully received this long after it began gets 408, ms: an integer from 1 to 2^31 - 1, or Infinity for no limit. Default 120 000. */
  requestTimeoutMs?: number;
  /** The `Retry-After` of a 503 (budget or pool full), seconds: an integer from 1 to 3600. Default 1. */
  retryAfterSeconds?: number;
}

/** A running node. */
export interface BlackholeNode {
  /** Base URL, e.g. `http://127.0.0.1:7070`. */
  readonly url: string;
  /** The port bound. */
  readonly port: number;
  /** The node's monitor (its registry serves /metrics). */
  readonly monitor: PerformanceMonitor;
  /** The node's resource sampler. */
  readonly sampler: ResourceSampler;
  /** The node's compute pool. */
  readonly pool: ThreadPool;
  /** The node-wide body budget (its stats are served as component `body_budget`). */
  readonly budget: BodyBudget;
  /** Stops the node; resolves when every socket and timer is released. Safe to call twice. */
  close(): Promise<void>;
}

const ROUTES = new Set(['/', '/metrics', '/stats', '/health', '/content/digest']);

function routeOf(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0]!;
  return ROUTES.has(path) ? path : 'other';
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  if (res.destroyed || res.writableEnded) return;
  const buf = Buffer.from(body);
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', buf.length);
  res.end(buf);
}

const json = (v: unknown): string => JSON.stringify(v);

interface Settings {
  port: number;
  host: string;
  sampleIntervalMs: number;
  graceMs: number;
  threads: number;
  maxBody: number;
  budget: number;
  headersTimeoutMs: number;
  /** 0: none (Node's convention). */
  requestTimeoutMs: number;
  retryAfter: number;
}

function settingsOf(options: NodeOptions | undefined): Settings {
  const o = checkOptions<NodeOptions>(C, 'options', options);
  const port = optionalNumber(C, 'port', o.port, 7070, { integer: true, min: 0, max: 65535 });
  const host = o.host === undefined ? '127.0.0.1' : checkString(C, 'host', o.host, { nonEmpty: true });
  const sampleIntervalMs = optionalTimerMs(C, 'sampleIntervalMs', o.sampleIntervalMs, 1000, { min: 10 });
  const graceMs = optionalTimerMs(C, 'shutdownGraceMs', o.shutdownGraceMs, 5000);
  const threads = optionalNumber(C, 'computeThreads', o.computeThreads, 2, { integer: true, min: 1, max: 1024 });
  const maxBody = optionalNumber(C, 'maxBodyBytes', o.maxBodyBytes, 64 * MiB, { integer: true, min: 0, max: bufferConstants.MAX_LENGTH });
  const budget = optionalNumber(C, 'maxInflightBodyBytes', o.maxInflightBodyBytes, Math.max(256 * MiB, maxBody), { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
  if (budget < maxBody) {
    throw new (numberError(budget))(`${C} maxInflightBodyBytes (${describe(budget)}) must be at least maxBodyBytes (${describe(maxBody)}), or a body the node accepts could never fit`);
  }
  const headersTimeoutMs = optionalTimerMs(C, 'headersTimeoutMs', o.headersTimeoutMs, 10_000, { min: 1, integer: true });
  const requestTimeout = optionalTimerMs(C, 'requestTimeoutMs', o.requestTimeoutMs, 120_000, { min: 1, integer: true, allowInfinity: true });
  if (headersTimeoutMs > requestTimeout) {
    throw new OutOfRangeError(`${C} headersTimeoutMs (${headersTimeoutMs}) must be at most requestTimeoutMs (${requestTimeout})`);
  }
  const retryAfter = optionalNumber(C, 'retryAfterSeconds', o.retryAfterSeconds, 1, { integer: true, min: 1, max: 3600 });
  return { port, host, sampleIntervalMs, graceMs, threads, maxBody, budget, headersTimeoutMs, requestTimeoutMs: requestTimeout === Infinity ? 0 : requestTimeout, retryAfter };
}

/**
 * Starts the node and resolves once it listens; rejects with a typed error
 * (`InvalidArgumentError` / `OutOfRangeError`) for a bad option, before
 * anything is started.
 * @example const node = await startNode({ port: 0, maxInflightBodyBytes: 128 * 1024 * 1024 }); console.log(node.url); await node.close();
 */
export async function startNode(options?: NodeOptions): Promise<BlackholeNode> {
  const s = settingsOf(options);
  const { maxBody } = s;
  const monitor = new PerformanceMonitor({ prefix: 'blackhole_' });
  monitor.define('request.duration', { unit: 'ms', help: 'Time to serve an HTTP request.', labelNames: ['method', 'route', 'status'] });
  monitor.define('bytes', { help: 'Bytes received and sent over HTTP.' });
  const sampler = new ResourceSampler();
  let pool: ThreadPool;
  try {
    sampler.start(s.sampleIntervalMs);
    monitor.register('process', sampler);
    pool = new ThreadPool({ filename: COMPUTE_TASKS, coreThreads: s.threads, maxThreads: s.threads, queueSize: 1024, name: 'compute pool' });
  } catch (err) {
    sampler.close();
    monitor.close();
    throw err;
  }
  monitor.register('compute_pool', pool);
  const budget = new BodyBudget(s.budget);
  monitor.register('body_budget', budget);
  const retryAfter = String(s.retryAfter);

  /** The response in progress on each socket, until its request has been read to the end. */
  const current = new WeakMap<Duplex, ServerResponse>();
  /** Sockets closed by a header/request timeout (counted as timeouts, not as failures). */
  const timedOut = new WeakSet<Duplex>();

  /**
   * Answers before the body has been read (413, 503): the response goes out at
   * once, the rest of the body is read and discarded, and the response ends
   * when the body does, so the client is never reset mid-upload. A client
   * still waiting for `100 Continue` has sent no body: the socket is closed
   * after the answer instead.
   */
  const answerEarly = (req: IncomingMessage, res: ServerResponse, status: number, body: object, awaitingContinue: boolean): void => {
    if (res.destroyed || res.headersSent) return;
    const buf = Buffer.from(json(body));
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Content-Length', buf.length);
    if (status === 503) res.setHeader('Retry-After', retryAfter);
    if (awaitingContinue) {
      res.setHeader('Connection', 'close');
      res.end(buf);
      return;
    }
    res.write(buf);
    req.removeAllListeners('data');
    req.on('data', noop);
    if (req.complete) res.end();
    else req.once('end', () => res.end());
    req.resume();
  };

  const digestBody = (req: IncomingMessage, res: ServerResponse, algorithm: string, awaitingContinue: boolean): void => {
    const hold: BodyReservation = budget.open();
    let inPool = false;
    res.once('close', () => {
      if (!inPool) hold.release();
    });
    const overBudget = (): void => {
      hold.release();
      answerEarly(req, res, 503, { error: `request bodies in flight would exceed the node's budget (maxInflightBodyBytes ${budget.limitBytes}), retry later` }, awaitingContinue);
    };
    const tooLarge = (): void => {
      hold.release();
      answerEarly(req, res, 413, { error: `body larger than maxBodyBytes (${maxBody})` }, awaitingContinue);
    };
    const header = req.headers['content-length'];
    // Node's parser has checked Content-Length is digits (and refused it beside Transfer-Encoding).
    const declared = header === undefined ? -1 : Number(header);
    const blockBytes = budget.blockBytes;
    const parts: Buffer[] = [];
    let target: Buffer | null = null; // the part being filled
    let fill = 0; // bytes in target
    let size = 0;
    if (declared >= 0) {
      if (declared > maxBody) return tooLarge();
      // A small body is one exact buffer, copied to the pool thread; a large one lives in shared blocks, charged in full now.
      const charge = declared < SMALL_BODY ? declared : Math.ceil(declared / blockBytes) * blockBytes;
      if (!hold.charge(charge)) return overBudget();
      if (declared < SMALL_BODY) parts.push((target = Buffer.allocUnsafeSlow(declared)));
    }
    if (awaitingContinue) res.writeContinue();
    const onData = (chunk: Buffer): void => {
      if (size + chunk.length > maxBody) return tooLarge(); // chunked only: a declared length was checked
      size += chunk.length;
      let at = 0;
      while (at < chunk.length) {
        if (target === null || fill === target.length) {
          if ((declared < 0 && !hold.charge(blockBytes)) || (target = hold.block()) === null) {
            req.off('data', onData);
            return overBudget();
          }
          parts.push(target);
          fill = 0;
        }
        const n = chunk.copy(target, fill, at);
        fill += n;
        at += n;
      }
    };
    req.on('data', onData);
    req.on('end', () => {
      if (res.headersSent || res.destroyed) return;
      if (target !== null) parts[parts.length - 1] = target.subarray(0, fill);
      inPool = true;
      // Shared blocks are read in place by the pool thread: nothing is copied or transferred.
      pool.run<string>('digest', [algorithm, parts]).then(
        (hex) => {
          hold.release();
          send(res, 200, 'application/json', json({ algorithm, digest: hex, bytes: size }));
        },
        (err: Error) => {
          hold.release();
          if (res.headersSent || res.destroyed) return;
          if (err instanceof TaskRejectedError) {
            res.setHeader('Retry-After', retryAfter);
            send(res, 503, 'application/json', json({ error: 'compute pool saturated, retry later' }));
          } else {
            send(res, 500, 'application/json', json({ error: err.message }));
          }
        },
      );
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse, awaitingContinue = false): void => {
    const start = performance.now();
    const route = routeOf(req.url);
    const socket = req.socket;
    current.set(socket, res);
    let received = 0;
    req.on('data', (chunk: Buffer) => (received += chunk.length));
    res.on('finish', () => {
      if (req.complete && current.get(socket) === res) current.delete(socket);
    });
    req.on('end', () => {
      if (res.writableFinished && current.get(socket) === res) current.delete(socket);
    });
    res.on('close', () => {
      if (monitor.closed) return; // a socket destroyed by close() reports after the monitor has stopped
      if (!res.writableFinished) {
        if (!timedOut.has(socket)) monitor.increment('failures');
        return;
      }
      const status = `${Math.floor(res.statusCode / 100)}xx`;
      monitor.track('request.duration', performance.now() - start, { method: req.method ?? 'GET', route, status });
      monitor.increment('bytes', received + Number(res.getHeader('Content-Length') ?? 0));
      if (res.statusCode >= 500) monitor.increment('errors');
    });
    try {
      if (route === '/content/digest') {
        if (req.method !== 'POST') {
          res.setHeader('Allow', 'POST');
          send(res, 405, 'application/json', json({ error: `method ${req.method} not allowed` }));
          return;
        }
        const algorithm = new URL(req.url ?? '/', 'http://node').searchParams.get('algorithm') ?? 'sha256';
        if (!DIGESTS.has(algorithm)) {
          send(res, 400, 'application/json', json({ error: `algorithm must be one of ${[...DIGESTS].join(', ')}` }));
          return;
        }
        digestBody(req, res, algorithm, awaitingContinue);
        return;
      }
      if (awaitingContinue) res.writeContinue();
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        send(res, 405, 'application/json', json({ error: `method ${req.method} not allowed` }));
        return;
      }
      switch (route) {
        case '/metrics':
          send(res, 200, PROMETHEUS_CONTENT_TYPE, monitor.metrics());
          return;
        case '/stats':
          send(res, 200, 'application/json', json(collectPerformanceMetrics(monitor, sampler)));
          return;
        case '/health':
          send(res, 200, 'application/json', '{"status":"ok"}');
          return;
        case '/':
          send(res, 200, 'application/json', json({ name: 'blackhole-perf reference node', endpoints: ['/metrics', '/stats', '/health', 'POST /content/digest?algorithm=sha256'] }));
          return;
        default:
          send(res, 404, 'application/json', json({ error: 'not found' }));
      }
    } catch (err) {
      if (!res.headersSent) send(res, 500, 'application/json', json({ error: (err as Error).message }));
      else res.destroy(err as Error);
    }
  };

  const shortest = s.requestTimeoutMs === 0 ? s.headersTimeoutMs : Math.min(s.headersTimeoutMs, s.requestTimeoutMs);
  const server: Server = createServer({
    headersTimeout: s.headersTimeoutMs,
    requestTimeout: s.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(1, Math.min(1000, Math.floor(shortest / 4))),
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => handle(req, res));
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => handle(req, res, true));
  server.on('timeout', (socket: Socket) => {
    if (!monitor.closed) monitor.increment('timeouts');
    socket.destroy();
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (timeout) timedOut.add(socket);
    if (!monitor.closed) monitor.increment(timeout ? 'timeouts' : 'failures');
    // A status line only where no response has started on this socket (never into the middle of one).
    const res = current.get(socket);
    if (socket.writable && (res === undefined || !res.headersSent)) {
      const status =
        timeout ? '408 Request Timeout' : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    }
    // Close once that is flushed; a peer still sending cannot hold the socket open.
    const sock = socket as Socket;
    if (typeof sock.destroySoon === 'function') sock.destroySoon();
    else socket.destroy();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(s.port, s.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    sampler.close();
    monitor.close();
    await pool.close({ force: true });
    throw err;
  }
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;

  return {
    url: `http://${s.host}:${bound}`,
    port: bound,
    monitor,
    sampler,
    pool,
    budget,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), s.graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          sampler.close();
          monitor.close();
          pool.close().then(resolve, resolve);
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function noop(): void {}
