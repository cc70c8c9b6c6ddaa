// A bound on how long a test waits for a promise: a hung promise fails the
// test with a message instead of stalling the run.

/**
 * Settles like `p`, or rejects after `ms` with "`what` still pending after `ms` ms".
 * @example const r = await bounded(pool.run('add', [1, 2]), 10_000, 'add task')
 */
export function bounded<T>(p: Promise<T>, ms = 10_000, what = 'pool promise'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
