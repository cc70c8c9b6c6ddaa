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
 * Infinity][float64 BE generation][payload]`. Storing the expiry in the value
 * lets one MGET return both the values and their remaining TTLs (no PTTL round
 * trip). The expiry is wall-clock (`Date.now()`), so skew between nodes'
 * clocks shifts a promoted entry's remaining TTL by that skew; Redis's own PX
 * expiry stays authoritative. The generation is the namespace generation the
 * writer knew: a reader ignores values older than the current one (see
 * RedisTier `invalidateAll`).
 *
 * Tombstone (Redis tier): what a delete leaves behind for a while, `[0x00,
 * 'T'][decimal version]`. Its first byte is 0, which no envelope starts with
 * (an expiry is a positive double >= 2, whose first byte is 0x40 or more).
 * A read treats it as a miss; a write older than it is refused.
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

function serializeV8(value: unknown): Buffer {
  try {
    return v8Serialize(value);
  } catch (err) {
    // DataCloneError (a function, a symbol, a class with private state...): the caller's value, typed.
    throw new InvalidArgumentError(`v8Serializer serialize: the value cannot be serialized (${err instanceof Error ? err.message : String(err)}); functions, symbols and host objects cannot be stored`);
  }
}

function deserializeV8(bytes: Buffer): unknown {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError(`v8Serializer deserialize bytes must be a Buffer or Uint8Array, got ${describe(bytes)}`);
  try {
    return v8Deserialize(bytes);
  } catch (err) {
    throw new InvalidArgumentError(`v8Serializer deserialize: the bytes are not v8-serialized data (${err instanceof Error ? err.message : String(err)})`);
  }
}

/**
 * The default serializer: `node:v8` structured serialization (keeps Buffer,
 * Date, Map, Set, typed arrays, BigInt). A value it cannot encode (a
 * function, a symbol) and bytes it cannot decode throw `InvalidArgumentError`.
 * @example v8Serializer.deserialize(v8Serializer.serialize(new Map([[1, new Date(0)]])))
 */
export const v8Serializer: Serializer = Object.freeze({ serialize: serializeV8, deserialize: deserializeV8 });

/** Bytes of the envelope header (expiry and generation, two float64). */
export const ENVELOPE_HEADER_BYTES = 16;

/**
 * Prefixes `payload` with its absolute expiry (ms since the epoch, or Infinity) and generation.
 * @example const bytes = wrapEnvelope(Date.now() + 5000, 0, v8Serializer.serialize(value));
 */
export function wrapEnvelope(expiresAt: number, generation: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + payload.length);
  out.writeDoubleBE(expiresAt, 0);
  out.writeDoubleBE(generation, 8);
  payload.copy(out, ENVELOPE_HEADER_BYTES);
  return out;
}

/**
 * Reads the expiry of an envelope; NaN if `bytes` is not one (too short, or a tombstone).
 * @example const ttlMs = envelopeExpiry(bytes) - Date.now();
 */
export function envelopeExpiry(bytes: Buffer): number {
  return bytes.length < ENVELOPE_HEADER_BYTES || bytes[0] === 0 ? NaN : bytes.readDoubleBE(0);
}

/**
 * Reads the generation of an envelope (call after {@link envelopeExpiry} said it is one).
 * @example if (envelopeGeneration(bytes) < current) ... // written before invalidateAll
 */
export function envelopeGeneration(bytes: Buffer): number {
  return bytes.readDoubleBE(8);
}

/** First bytes of a tombstone: 0x00 'T'. */
const TOMBSTONE_MARK = Buffer.from([0, 0x54]);

/**
 * A tombstone of `version` (a delete's version, a non-negative integer below 2^53).
 * @example tombstone(42).toString('latin1') // '\0T42'
 */
export function tombstone(version: number): Buffer {
  return Buffer.concat([TOMBSTONE_MARK, Buffer.from(String(version), 'latin1')]);
}

/**
 * Whether `bytes` is a tombstone (a deleted key's marker).
 * @example isTombstone(tombstone(1)) // true
 */
export function isTombstone(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0] === 0 && bytes[1] === 0x54;
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
  if (x === null || typeof x !== 'object' || Array.isArray(x) || typeof x.serialize !== 'function' || typeof x.deserialize !== 'function') {
    throw new InvalidArgumentError(`${component} serializer must be an object with serialize(value) and deserialize(bytes) methods, got ${describe(s)}`);
  }
  return x as Serializer;
}
