// Starting a fixture worker thread whose result is its one message.
import { Worker } from 'node:worker_threads';
import { tsWorkerBoot } from '../../scripts/ts-worker.ts';

/**
 * Starts the TypeScript worker `entry` (a file URL); `result` resolves with its
 * one message and rejects on an error, an exit without a message, or after
 * `limitMs`, so no test waits forever. The caller terminates `worker`.
 */
export function startWorker(
  entry: string,
  workerData: Record<string, unknown>,
  limitMs = 30_000,
): { worker: Worker; result: Promise<Record<string, unknown>> } {
  const worker = new Worker(tsWorkerBoot(entry), { eval: true, workerData });
  const result = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${String(workerData.role)} did not finish within ${limitMs} ms`)), limitMs);
    worker.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as Record<string, unknown>);
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${String(workerData.role)} exited with ${code} before reporting`));
    });
  });
  return { worker, result };
}
