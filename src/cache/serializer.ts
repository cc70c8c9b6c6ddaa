/**
 * Serializers for the remote tiers of a {@link MultiLevelCache}, and the
 * expiry envelope the Redis tier stores.
 *
 * The default serializer is `node:v8` structured serialization: it keeps
 * `Buffer`, `Date`, `Map`, `Set`, typed arrays, `BigInt`, `RegExp`, nested and
 * cyclic objects, so a value read from Redis has the type it was written with.
 * It does not keep class identity (an instance comes back as a plain object)
 * or functions/symbols (serialize throws). Its bytes are specific to V8's
 * serialization format version; every node of one deployment must run a Node
 * line that reads them (v8 reads older versions, not newer ones). Swap in any
 * `{ serialize, deserialize }` pair (JSON, msgpack) where that matters.
 *
 * Envelope (Redis tier): `[float64 BE absolute expiry, ms since the epoch |
 * Infinity][payload]`. Storing the expiry in the value lets one MGET return
 * both the values and their remaining TTLs (no PTTL round trip). The expiry is
 * wall-clock (`Date.now()`), so skew between nodes' clocks shifts a promoted
 * entry's remaining TTL by that skew; Redis's own PX expiry stays authoritative.
 */
import { deserialize as v8Deserialize, serialize as v8Serialize } from 'node:v8';
import { InvalidArgumentError, describe } from '../errors.ts';

/**
 * Turns values into bytes and back, for tiers that store bytes.
 * @example const json: Serializer = { serialize: (v) => Buffer.from(JSON.stringify(v)), deserialize: (b) => JSON.parse(b.toString()) };
 */
export interface Serializer {
  /** Encodes a value; may throw for values it cannot encode. */
  serialize(value: unknown): Buffer;
  /** Decodes bytes produced by `serialize`. */
  deserialize(bytes: Buffer): unknown;
}

/**
 * The default serializer: `node:v8` structured serialization (keeps Buffer, Date, Map, Set, typed arrays, BigInt).
 * @example v8Serializer.deserialize(v8Serializer.serialize(new Map([[1, new Date(0)]])))
 */
export const v8Serializer: Serializer = Object.freeze({
  serialize: (value: unknown): Buffer => v8Serialize(value),
  deserialize: (bytes: Buffer): unknown => v8Deserialize(bytes),
});

/** Bytes of the envelope header (one float64). */
export const ENVELOPE_HEADER_BYTES = 8;

/**
 * Prefixes `payload` with its absolute expiry (ms since the epoch, or Infinity).
 * @example const bytes = wrapEnvelope(Date.now() + 5000, v8Serializer.serialize(value));
 */
export function wrapEnvelope(expiresAt: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + payload.length);
  out.writeDoubleBE(expiresAt, 0);
  payload.copy(out, ENVELOPE_HEADER_BYTES);
  return out;
}

/**
 * Reads the expiry of an envelope; NaN if `bytes` is too short to be one.
 * @example const ttlMs = envelopeExpiry(bytes) - Date.now();
 */
export function envelopeExpiry(bytes: Buffer): number {
  return bytes.length < ENVELOPE_HEADER_BYTES ? NaN : bytes.readDoubleBE(0);
}

/**
 * The payload of an envelope (a view, no copy).
 * @example serializer.deserialize(envelopePayload(bytes))
 */
export function envelopePayload(bytes: Buffer): Buffer {
  return bytes.subarray(ENVELOPE_HEADER_BYTES);
}

/** Checks that `s` has callable `serialize` and `deserialize`; returns it. */
export function checkSerializer(component: string, s: unknown): Serializer {
  const x = s as Partial<Serializer> | null;
  if (x === null || typeof x !== 'object' || typeof x.serialize !== 'function' || typeof x.deserialize !== 'function') {
    throw new InvalidArgumentError(`${component} serializer must be an object with serialize(value) and deserialize(bytes) methods, got ${describe(s)}`);
  }
  return x as Serializer;
}
