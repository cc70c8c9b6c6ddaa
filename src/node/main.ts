/**
 * `npm start`: runs the reference node with embedded defaults (no server or
 * configuration needed). PORT picks the port (default 7070). SIGINT and
 * SIGTERM shut it down cleanly: in-flight requests finish, then it exits 0.
 */
import { startNode } from './server.ts';

function portFromEnv(): number {
  const raw = process.env.PORT;
  if (raw === undefined || raw === '') return 7070;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    console.error(`blackhole node: PORT (${JSON.stringify(raw)}) must be an integer from 0 to 65535`);
    process.exit(2);
  }
  return port;
}

const node = await startNode({ port: portFromEnv() }).catch((err: NodeJS.ErrnoException) => {
  console.error(`blackhole node: cannot start: ${err.message}`);
  process.exit(1);
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
