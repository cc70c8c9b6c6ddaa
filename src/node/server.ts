/**
 * The reference Blackhole node, first cut: an HTTP server on loopback that
 * measures itself with the metrics layer.
 *
 * Every request is timed on the monotonic clock and tracked as
 * `request.duration` (ms) with bounded labels (method, route, status class),
 * bytes in and out are counted, 5xx responses count as errors, socket
 * timeouts as timeouts and aborted requests as failures. `GET /metrics`
 * serves the Prometheus exposition, `GET /stats` the spec's PerformanceMetrics
 * snapshot as JSON. Later issues grow it into the full node.
 *
 * Shutdown order (close()): stop accepting, let in-flight requests finish
 * (idle keep-alive sockets are closed at once; anything still open after
 * `shutdownGraceMs` is destroyed), then stop the sampler and the monitor.
 *
 * Compute: `POST /content/digest` hashes the request body (content
 * addressing) on a ThreadPool, off the event loop; the pool's stats are
 * registered with the monitor as component `compute_pool`. Bodies above
 * `maxBodyBytes` get 413; a full pool answers 503 (the pool rejects instead
 * of queueing without bound).
 * Shutdown drains the pool after the server stops.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OutOfRangeError, describe } from '../errors.ts';
import { PerformanceMonitor } from '../metrics/monitor.ts';
import { collectPerformanceMetrics } from '../metrics/performance-metrics.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/exposition.ts';
import { ResourceSampler } from '../metrics/resource-sampler.ts';
import { ThreadPool } from '../concurrency/thread-pool.ts';
import { TaskRejectedError } from '../concurrency/errors.ts';

/** The compute task module next to this file (`.ts` from the sources, `.js` from dist). */
const COMPUTE_TASKS = new URL(import.meta.url.endsWith('.ts') ? './compute-tasks.ts' : './compute-tasks.js', import.meta.url);
const DIGESTS = new Set(['sha256', 'sha512', 'sha1', 'md5', 'blake2b512']);

/** Options of {@link startNode}. */
export interface NodeOptions {
  /** TCP port; 0 picks a free one. Default 7070. */
  port?: number;
  /** Interface to bind. Default '127.0.0.1'. */
  host?: string;
  /** How often resources are sampled, ms. Default 1000. */
  sampleIntervalMs?: number;
  /** How long close() waits for in-flight requests before destroying sockets, ms. Default 5000. */
  shutdownGraceMs?: number;
  /** Threads of the compute pool. Default 2. */
  computeThreads?: number;
  /** Largest body `POST /content/digest` accepts, bytes. Default 64 MiB. */
  maxBodyBytes?: number;
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
  /** Stops the node; resolves when every socket and timer is released. Safe to call twice. */
  close(): Promise<void>;
}

const ROUTES = new Set(['/', '/metrics', '/stats', '/health', '/content/digest']);

function routeOf(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0]!;
  return ROUTES.has(path) ? path : 'other';
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  const buf = Buffer.from(body);
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', buf.length);
  res.end(buf);
}

/**
 * Starts the node and resolves once it listens.
 * @example const node = await startNode({ port: 0 }); console.log(node.url); await node.close();
 */
export async function startNode(options: NodeOptions = {}): Promise<BlackholeNode> {
  const port = options.port ?? 7070;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new OutOfRangeError(`Blackhole node port (${describe(port)}) must be an integer from 0 to 65535`);
  }
  const graceMs = options.shutdownGraceMs ?? 5000;
  if (!Number.isFinite(graceMs) || graceMs < 0) {
    throw new OutOfRangeError(`Blackhole node shutdownGraceMs (${describe(graceMs)}) must be a finite number >= 0`);
  }
  const maxBody = options.maxBodyBytes ?? 64 * 1024 * 1024;
  if (!Number.isInteger(maxBody) || maxBody < 0) {
    throw new OutOfRangeError(`Blackhole node maxBodyBytes (${describe(maxBody)}) must be an integer >= 0`);
  }
  const host = options.host ?? '127.0.0.1';
  const monitor = new PerformanceMonitor({ prefix: 'blackhole_' });
  monitor.define('request.duration', { unit: 'ms', help: 'Time to serve an HTTP request.', labelNames: ['method', 'route', 'status'] });
  monitor.define('bytes', { help: 'Bytes received and sent over HTTP.' });
  const sampler = new ResourceSampler();
  sampler.start(options.sampleIntervalMs ?? 1000);
  monitor.register('process', sampler);
  const threads = options.computeThreads ?? 2;
  const pool = new ThreadPool({ filename: COMPUTE_TASKS, coreThreads: threads, maxThreads: threads, queueSize: 1024, name: 'compute pool' });
  monitor.register('compute_pool', pool);

  const digestBody = (req: IncomingMessage, res: ServerResponse, algorithm: string): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        send(res, 413, 'application/json', JSON.stringify({ error: `body larger than maxBodyBytes (${maxBody})` }));
        return;
      }
      const body = Buffer.concat(chunks, size);
      // Move the bytes to the pool thread when the buffer is ours alone (not a slice of Node's shared pool).
      const own = body.byteOffset === 0 && body.buffer.byteLength === body.length;
      pool.run<string>('digest', [algorithm, body], own ? { transferList: [body.buffer] } : undefined).then(
        (hex) => send(res, 200, 'application/json', JSON.stringify({ algorithm, digest: hex, bytes: size })),
        (err: Error) => {
          if (res.headersSent || res.destroyed) return;
          if (err instanceof TaskRejectedError) send(res, 503, 'application/json', JSON.stringify({ error: 'compute pool saturated, retry later' }));
          else send(res, 500, 'application/json', JSON.stringify({ error: err.message }));
        },
      );
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const start = performance.now();
    const route = routeOf(req.url);
    let received = 0;
    req.on('data', (chunk: Buffer) => (received += chunk.length));
    res.on('close', () => {
      if (!res.writableFinished) {
        monitor.increment('failures');
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
          send(res, 405, 'application/json', JSON.stringify({ error: `method ${req.method} not allowed` }));
          return;
        }
        const algorithm = new URL(req.url ?? '/', 'http://node').searchParams.get('algorithm') ?? 'sha256';
        if (!DIGESTS.has(algorithm)) {
          send(res, 400, 'application/json', JSON.stringify({ error: `algorithm must be one of ${[...DIGESTS].join(', ')}` }));
          return;
        }
        digestBody(req, res, algorithm);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        send(res, 405, 'application/json', JSON.stringify({ error: `method ${req.method} not allowed` }));
        return;
      }
      switch (route) {
        case '/metrics':
          send(res, 200, PROMETHEUS_CONTENT_TYPE, monitor.metrics());
          return;
        case '/stats':
          send(res, 200, 'application/json', JSON.stringify(collectPerformanceMetrics(monitor, sampler)));
          return;
        case '/health':
          send(res, 200, 'application/json', '{"status":"ok"}');
          return;
        case '/':
          send(res, 200, 'application/json', JSON.stringify({ name: 'blackhole-perf reference node', endpoints: ['/metrics', '/stats', '/health', 'POST /content/digest?algorithm=sha256'] }));
          return;
        default:
          send(res, 404, 'application/json', JSON.stringify({ error: 'not found' }));
      }
    } catch (err) {
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: (err as Error).message }));
      else res.destroy(err as Error);
    }
  };

  const server: Server = createServer(handle);
  server.on('timeout', (socket) => {
    monitor.increment('timeouts');
    socket.destroy();
  });
  server.on('clientError', (_err, socket) => {
    monitor.increment('failures');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
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
    url: `http://${host}:${bound}`,
    port: bound,
    monitor,
    sampler,
    pool,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
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
