/**
 * The ThreadPool's value encoding for its shared-memory fast path.
 *
 * Structured clone (`postMessage`, `v8.serialize`) costs a microsecond or
 * more even for `[1, 2]`; most task arguments and results are small trees of
 * numbers, strings, booleans, arrays and plain objects, which this encoder
 * writes straight into the channel's shared bytes in tens of nanoseconds.
 * Anything else (Date, Map, typed arrays, BigInt, class instances, cycles,
 * sparse arrays, strings with lone surrogates, very deep trees) is handed to
 * `v8.serialize` instead, so the result is always what structured clone
 * would give. Values that structured clone rejects (functions, symbols) are
 * rejected here too.
 *
 * Tags (one byte each), little-endian payloads:
 *   UNDEF NULL FALSE TRUE, INT (int32), NUM (float64), STR (u32 byte length + UTF-8),
 *   ARR (u32 count + values), OBJ (u32 count + (STR key, value) pairs),
 *   V8 (u32 length + v8.serialize bytes).
 * @internal
 */
import { deserialize, serialize } from 'node:v8';
import { describe } from '../errors.ts';

const T_UNDEF = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_INT = 4;
const T_NUM = 5;
const T_STR = 6;
const T_ARR = 7;
const T_OBJ = 8;
const T_V8 = 9;

/** Result of an encode call: the new write position, or one of these negative codes. */
export const NO_SPACE = -1;
/** The value needs structured clone (or cannot be cloned at all). */
export const UNSUPPORTED = -2;
const MAX_DEPTH = 32;
const objectProto = Object.prototype;

/** Buffer's native UTF-8 fast paths (stable since Node 0.x, absent from @types/node). */
export interface FastBuffer extends Buffer {
  utf8Write(s: string, offset: number, length: number): number;
  utf8Slice(start: number, end: number): string;
}
/** `String.prototype.isWellFormed` (ES2024; in Node 20). */
const isWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed;

/**
 * Writes values into a byte region (a Buffer and a DataView over the same
 * shared memory) between `pos` and `end`.
 * @internal
 */
export class Encoder {
  bytes: FastBuffer;
  view: DataView;
  end = 0;

  constructor(bytes: FastBuffer, view: DataView) {
    this.bytes = bytes;
    this.view = view;
  }

  /** Encodes `value` at `pos`; returns the next position, NO_SPACE or UNSUPPORTED. */
  value(value: unknown, pos: number, depth: number): number {
    switch (typeof value) {
      case 'number':
        if ((value | 0) === value && (value !== 0 || 1 / value > 0)) {
          if (pos + 5 > this.end) return NO_SPACE;
          this.bytes[pos] = T_INT;
          this.view.setInt32(pos + 1, value, true);
          return pos + 5;
        }
        if (pos + 9 > this.end) return NO_SPACE;
        this.bytes[pos] = T_NUM;
        this.view.setFloat64(pos + 1, value, true);
        return pos + 9;
      case 'string':
        return this.string(value, pos);
      case 'boolean':
        if (pos + 1 > this.end) return NO_SPACE;
        this.bytes[pos] = value ? T_TRUE : T_FALSE;
        return pos + 1;
      case 'undefined':
        if (pos + 1 > this.end) return NO_SPACE;
        this.bytes[pos] = T_UNDEF;
        return pos + 1;
      case 'object':
        if (value === null) {
          if (pos + 1 > this.end) return NO_SPACE;
          this.bytes[pos] = T_NULL;
          return pos + 1;
        }
        if (depth >= MAX_DEPTH) return UNSUPPORTED;
        if (Array.isArray(value)) return this.array(value, pos, depth + 1);
        {
          const proto: unknown = Object.getPrototypeOf(value);
          if (proto === objectProto || proto === null) return this.object(value as Record<string, unknown>, pos, depth + 1);
        }
        return UNSUPPORTED;
      default:
        return UNSUPPORTED;
    }
  }

  private string(s: string, pos: number): number {
    const n = s.length;
    if (pos + 5 + n * 3 > this.end) {
      // Could still fit (ASCII needs n bytes); only give up if even that cannot.
      if (pos + 5 + n > this.end) return NO_SPACE;
      const bytes = Buffer.byteLength(s, 'utf8');
      if (pos + 5 + bytes > this.end) return NO_SPACE;
    }
    const written = this.bytes.utf8Write(s, pos + 5, this.end - pos - 5);
    // Non-ASCII: UTF-8 would turn a lone surrogate into U+FFFD; structured clone keeps it.
    if (written !== n && !isWellFormed.call(s)) return UNSUPPORTED;
    this.bytes[pos] = T_STR;
    this.view.setUint32(pos + 1, written, true);
    return pos + 5 + written;
  }

  private array(a: readonly unknown[], pos: number, depth: number): number {
    const n = a.length;
    if (pos + 5 > this.end) return NO_SPACE;
    this.bytes[pos] = T_ARR;
    this.view.setUint32(pos + 1, n, true);
    pos += 5;
    for (let i = 0; i < n; i++) {
      const v = a[i];
      if (v === undefined && !(i in a)) return UNSUPPORTED; // a hole: structured clone keeps it
      pos = this.value(v, pos, depth);
      if (pos < 0) return pos;
    }
    return pos;
  }

  private object(o: Record<string, unknown>, pos: number, depth: number): number {
    if (pos + 5 > this.end) return NO_SPACE;
    const start = pos;
    pos += 5;
    let count = 0;
    for (const key in o) {
      if (!Object.prototype.hasOwnProperty.call(o, key)) continue;
      pos = this.string(key, pos);
      if (pos < 0) return pos;
      pos = this.value(o[key], pos, depth);
      if (pos < 0) return pos;
      count++;
    }
    this.bytes[start] = T_OBJ;
    this.view.setUint32(start + 1, count, true);
    return pos;
  }

  /** Writes already-serialized structured-clone bytes as one V8 value. */
  v8Bytes(data: Uint8Array, pos: number): number {
    if (pos + 5 + data.length > this.end) return NO_SPACE;
    this.bytes[pos] = T_V8;
    this.view.setUint32(pos + 1, data.length, true);
    this.bytes.set(data, pos + 5);
    return pos + 5 + data.length;
  }
}

/** Reads values written by {@link Encoder}. @internal */
export class Decoder {
  bytes: FastBuffer;
  view: DataView;
  /** Position after the last value read. */
  pos = 0;

  constructor(bytes: FastBuffer, view: DataView) {
    this.bytes = bytes;
    this.view = view;
  }

  /** Reads the value at `this.pos` and advances past it. */
  value(): unknown {
    const bytes = this.bytes;
    const pos = this.pos;
    switch (bytes[pos]) {
      case T_INT:
        this.pos = pos + 5;
        return this.view.getInt32(pos + 1, true);
      case T_NUM:
        this.pos = pos + 9;
        return this.view.getFloat64(pos + 1, true);
      case T_STR: {
        const n = this.view.getUint32(pos + 1, true);
        this.pos = pos + 5 + n;
        return bytes.utf8Slice(pos + 5, pos + 5 + n);
      }
      case T_UNDEF:
        this.pos = pos + 1;
        return undefined;
      case T_NULL:
        this.pos = pos + 1;
        return null;
      case T_FALSE:
        this.pos = pos + 1;
        return false;
      case T_TRUE:
        this.pos = pos + 1;
        return true;
      case T_ARR: {
        const n = this.view.getUint32(pos + 1, true);
        this.pos = pos + 5;
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = this.value();
        return out;
      }
      case T_OBJ: {
        const n = this.view.getUint32(pos + 1, true);
        this.pos = pos + 5;
        const out: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          const key = this.value() as string;
          const v = this.value();
          if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
          else out[key] = v;
        }
        return out;
      }
      case T_V8: {
        const n = this.view.getUint32(pos + 1, true);
        this.pos = pos + 5 + n;
        // deserialize copies what it needs; the slice must not be kept (the ring reuses it).
        return deserialize(bytes.subarray(pos + 5, pos + 5 + n));
      }
      default:
        throw new Error(`pool codec: unknown tag ${bytes[pos]} at ${pos}`);
    }
  }
}

/**
 * Structured-clone bytes of `value`, or throws the DataCloneError it raises.
 * @internal
 */
export function v8Serialize(value: unknown): Buffer {
  return serialize(value);
}

/**
 * What is wrong with a transfer list, or null when nothing this cheap check
 * can see is (postMessage judges the rest: plain objects, duplicates).
 * Caught here: non-objects; typed arrays and DataViews (not transferable
 * themselves: their `.buffer` is); SharedArrayBuffers (shared, never
 * transferred); detached ArrayBuffers, which `postMessage` accepts but the
 * receiver then fails on with "Unable to deserialize cloned data" (Node 20
 * has no `ArrayBuffer.prototype.detached`: a detached buffer has byteLength
 * 0 and refuses a view, tried only for empty buffers).
 * @internal
 */
export function transferListProblem(list: readonly unknown[]): string | null {
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (item instanceof ArrayBuffer) {
      if (item.byteLength === 0) {
        try {
          new Uint8Array(item);
        } catch {
          return `transferList[${i}] is a detached ArrayBuffer (already transferred); a buffer can be transferred once`;
        }
      }
      continue;
    }
    if (typeof item !== 'object' || item === null) return `transferList[${i}] (${describe(item)}) must be a transferable object (an ArrayBuffer, a MessagePort)`;
    if (ArrayBuffer.isView(item)) return `transferList[${i}] is a ${item.constructor.name}, which is not transferable itself; list its .buffer`;
    if (item instanceof SharedArrayBuffer) return `transferList[${i}] is a SharedArrayBuffer, which is shared, never transferred; pass it in the arguments only`;
  }
  return null;
}
