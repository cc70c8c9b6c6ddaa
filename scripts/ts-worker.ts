/**
 * Starting a worker thread from a TypeScript file, for tests and benchmarks.
 *
 * Node 20 ignores `--import tsx` in a Worker's execArgv, so the worker is
 * started from a small eval script that registers tsx's loader first and then
 * imports the TypeScript entry.
 */

/**
 * The eval source that boots `entry` (a file URL or path) under tsx.
 * @example new Worker(tsWorkerBoot(new URL('./worker.ts', import.meta.url).href), { eval: true })
 */
export function tsWorkerBoot(entry: string): string {
  const api = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
}
