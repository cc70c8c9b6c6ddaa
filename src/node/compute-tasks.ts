/**
 * Tasks the reference node runs on its ThreadPool (one module, loaded by
 * every pool thread). Kept free of imports from the rest of the node so a
 * pool thread loads only what it runs.
 */
import { createHash } from 'node:crypto';

/**
 * Hex digest of `data` (one buffer, or the parts of one body in order) with
 * `algorithm` (any `crypto.createHash` name).
 * @example digest('sha256', [Buffer.from('ab'), Buffer.from('c')]) === digest('sha256', Buffer.from('abc'))
 */
export function digest(algorithm: string, data: Uint8Array | readonly Uint8Array[]): string {
  const hash = createHash(algorithm);
  if (data instanceof Uint8Array) hash.update(data);
  else for (const part of data) hash.update(part);
  return hash.digest('hex');
}
