/**
 * Starting a pool's worker runtime.
 *
 * The package ships compiled JavaScript, so a pool normally starts
 * `new Worker(runtimeUrl)`. When the library itself runs from its TypeScript
 * sources (this repository's tests and benchmarks, under tsx), the runtime is
 * a `.ts` file and Node 20 ignores `--import tsx` in a worker's execArgv; the
 * worker is then started from a small eval script that registers tsx's loader
 * first. The same goes for a user task module written in TypeScript: it is
 * imported by the runtime, so it loads whenever the runtime was booted under tsx.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** True when this module was loaded from its `.ts` source (tests, benchmarks), not from `dist`. */
export const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * The URL of a sibling runtime module: `name.ts` from the sources, `name.js` from `dist`.
 * @example runtimeUrl('pool-worker')
 */
export function runtimeUrl(name: string): URL {
  return new URL(`./${name}${RUNNING_FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);
}

/**
 * Starts `entry` in a new worker thread with `options` (eval'd through tsx
 * when `entry` is a TypeScript file).
 * @example spawnWorker(runtimeUrl('pool-worker'), { workerData })
 */
export function spawnWorker(entry: URL, options: WorkerOptions): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
