/**
 * Tasks the reference node runs on its ThreadPool (one module, loaded by
 * every pool thread). Kept free of imports from the rest of the node so a
 * pool thread loads only what it runs.
 */
import { createHash } from 'node:crypto';

/** Hex digest of `data` with `algorithm` (any `crypto.createHash` name). */
export function digest(algorithm: string, data: Uint8Array): string {
  return createHash(algorithm).update(data).digest('hex');
}
