/**
 * `npm start`: runs the reference node with embedded defaults (no server or
 * configuration needed). SIGINT and SIGTERM shut it down cleanly: in-flight
 * requests finish, then it exits 0.
 *
 * Configuration, all optional, from the environment (integers; startNode
 * checks the ranges, and a bad value exits 2 with the rule):
 *   PORT (default 7070), COMPUTE_THREADS, MAX_BODY_BYTES,
 *   MAX_INFLIGHT_BODY_BYTES, HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS
 *   (`Infinity`: no limit), RETRY_AFTER_SECONDS, SHUTDOWN_GRACE_MS.
 */
import { InvalidArgumentError, OutOfRangeError } from '../errors.ts';
import { startNode, type NodeOptions } from './server.ts';

const SETTINGS: [env: string, option: keyof NodeOptions][] = [
  ['PORT', 'port'],
  ['COMPUTE_THREADS', 'computeThreads'],
  ['MAX_BODY_BYTES', 'maxBodyBytes'],
  ['MAX_INFLIGHT_BODY_BYTES', 'maxInflightBodyBytes'],
  ['HEADERS_TIMEOUT_MS', 'headersTimeoutMs'],
  ['REQUEST_TIMEOUT_MS', 'requestTimeoutMs'],
  ['RETRY_AFTER_SECONDS', 'retryAfterSeconds'],
  ['SHUTDOWN_GRACE_MS', 'shutdownGraceMs'],
];

function optionsFromEnv(): NodeOptions {
  const options: Record<string, number> = {};
  for (const [env, option] of SETTINGS) {
    const raw = process.env[env];
    if (raw === undefined || raw === '') continue;
    if (raw === 'Infinity' && option === 'requestTimeoutMs') {
      options[option] = Infinity;
      continue;
    }
    if (!/^\d{1,16}$/.test(raw)) {
      const rule = env === 'PORT' ? 'an integer from 0 to 65535' : `an integer (the node's ${option} option)`;
      console.error(`blackhole node: ${env} (${JSON.stringify(raw)}) must be ${rule}`);
      process.exit(2);
    }
    options[option] = Number(raw);
  }
  return options;
}

const node = await startNode(optionsFromEnv()).catch((err: NodeJS.ErrnoException) => {
  console.error(`blackhole node: cannot start: ${err.message}`);
  process.exit(err instanceof InvalidArgumentError || err instanceof OutOfRangeError ? 2 : 1);
});
console.log(`blackhole node listening on ${node.url} (GET /metrics, GET /stats, POST /content/digest)`);

let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`blackhole node: ${signal} received, shutting down`);
  node.close().then(
    () => {
      console.log('blackhole node: stopped');
      process.exit(0);
    },
    (err: Error) => {
      console.error(`blackhole node: shutdown failed: ${err.message}`);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
