/**
 * Cache-aligned struct-of-arrays: `defineLayout({ x: 'f64', y: 'f64', id: 'u32' })`
 * turns a record schema into typed-array columns that share one buffer.
 *
 * Layout: columns are placed in schema order; each starts at a multiple of
 * {@link CACHE_LINE_BYTES} (64) from the buffer start, and the buffer is
 * sized to the end of the last column rounded up to a whole line:
 *
 *   offset 0        x: Float64Array(capacity)   (padded to 64 bytes)
 *   offset 64·a     y: Float64Array(capacity)   (padded to 64 bytes)
 *   offset 64·b     id: Uint32Array(capacity)   (padded to 64 bytes)
 *
 * Why: a loop over one field (sum every x) then reads contiguous lines that
 * hold nothing but that field, so every byte fetched is used and the loop
 * vectorises, where an array of objects drags every field (and the object
 * headers) through the cache. Starting columns on a line boundary means no
 * line is shared by two columns, so two threads writing different columns of
 * a shared layout never contend for a line. Offsets are relative to the
 * buffer; with `pageAligned: true` the buffer comes from a WebAssembly.Memory
 * (page-aligned), so they are absolute addresses' alignment too.
 *
 * `attach()` rebuilds the columns over an existing buffer, e.g. a
 * SharedArrayBuffer received by a worker: same schema and capacity give the
 * same offsets, so both sides see the same records.
 */
import { allocate, checkOptions, optionalBoolean, numberError } from '../validate.ts';
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { pageAlignedBuffer, sharedPageAlignedBuffer } from './wasm-memory.ts';

/** Bytes in a cache line on x86-64 and most ARM cores. */
export const CACHE_LINE_BYTES = 64;

/** Column element types. */
const FIELD_TYPES = {
  f64: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  u32: Uint32Array,
  i16: Int16Array,
  u16: Uint16Array,
  i8: Int8Array,
  u8: Uint8Array,
} as const;

/**
 * A column element type name.
 * @example const t: FieldType = 'f64'
 */
export type FieldType = keyof typeof FIELD_TYPES;

/**
 * A record schema: field name to element type.
 * @example const schema: LayoutSchema = { x: 'f64', id: 'u32' }
 */
export type LayoutSchema = Record<string, FieldType>;

/**
 * The typed-array columns of a schema.
 * @example const cols: Columns<{ x: 'f64' }> = layout.create(10).columns // { x: Float64Array }
 */
export type Columns<S extends LayoutSchema> = { [K in keyof S]: InstanceType<(typeof FIELD_TYPES)[S[K]]> };

/**
 * Records of a layout: the columns, the buffer holding them and their capacity.
 * @example const { columns: { x, y }, capacity } = layout.create(1000)
 */
export interface StructOfArrays<S extends LayoutSchema> {
  /** One typed array per field, each `capacity` long. */
  readonly columns: Columns<S>;
  /** The single buffer all columns view. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Number of records. */
  readonly capacity: number;
}

/**
 * Options of {@link StructLayout.create}.
 * @example layout.create(1024, { shared: true, pageAligned: true })
 */
export interface StructCreateOptions {
  /** Back the columns with a SharedArrayBuffer so workers can share them. Default false. */
  shared?: boolean;
  /** Use a WebAssembly.Memory buffer (64 KiB pages) so column starts are 64-byte aligned in memory, not only in the buffer. Default false. */
  pageAligned?: boolean;
}

/** Largest capacity accepted (keeps byte offsets within 2^31 for the widest field). */
const MAX_CAPACITY = 2 ** 27;

/**
 * A compiled schema: column offsets for a given capacity and constructors of
 * struct-of-arrays records. Build it with {@link defineLayout}.
 * @example const points = defineLayout({ x: 'f64', y: 'f64' }).create(4096)
 */
export class StructLayout<S extends LayoutSchema> {
  /** Field names in schema (and memory) order. */
  readonly fields: readonly (keyof S & string)[];
  /** Bytes one record takes across all columns, padding excluded. */
  readonly bytesPerRecord: number;
  private readonly types: readonly FieldType[];

  constructor(schema: S) {
    if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
      throw new InvalidArgumentError(`StructLayout (defineLayout) schema must be an object of field types, got ${describe(schema)}`);
    }
    const fields = Object.keys(schema);
    if (fields.length === 0) throw new InvalidArgumentError('StructLayout (defineLayout) schema must have at least one field, got none');
    const types: FieldType[] = [];
    let bytes = 0;
    for (const name of fields) {
      const type = schema[name];
      if (typeof type !== 'string' || !Object.hasOwn(FIELD_TYPES, type)) {
        throw new InvalidArgumentError(
          `StructLayout (defineLayout) field ${describe(name)} has type ${describe(type)}; it must be one of ${Object.keys(FIELD_TYPES).join(', ')}`,
        );
      }
      types.push(type);
      bytes += FIELD_TYPES[type].BYTES_PER_ELEMENT;
    }
    this.fields = fields as (keyof S & string)[];
    this.types = types;
    this.bytesPerRecord = bytes;
  }

  /**
   * Byte offset of each column for `capacity` records (each a multiple of 64).
   * @example defineLayout({ a: 'u8', b: 'f64' }).offsets(10) // { a: 0, b: 64 }
   */
  offsets(capacity: number): Record<keyof S & string, number> {
    this.checkCapacity(capacity);
    const out = {} as Record<string, number>;
    let offset = 0;
    for (let i = 0; i < this.fields.length; i++) {
      out[this.fields[i]] = offset;
      offset = lineCeil(offset + capacity * FIELD_TYPES[this.types[i]].BYTES_PER_ELEMENT);
    }
    return out as Record<keyof S & string, number>;
  }

  /**
   * Bytes of buffer `capacity` records need (a multiple of 64).
   * @example defineLayout({ x: 'f64' }).byteLength(10) // 128
   */
  byteLength(capacity: number): number {
    this.checkCapacity(capacity);
    let offset = 0;
    for (const t of this.types) offset = lineCeil(offset + capacity * FIELD_TYPES[t].BYTES_PER_ELEMENT);
    return Math.max(offset, CACHE_LINE_BYTES);
  }

  /**
   * Allocates zeroed records for `capacity` entries.
   * @example const { columns } = layout.create(1000); columns.x[0] = 1.5
   */
  create(capacity: number, options: StructCreateOptions = {}): StructOfArrays<S> {
    const bytes = this.byteLength(capacity);
    const o = checkOptions('StructLayout create', 'options', options);
    const shared = optionalBoolean('StructLayout create', 'shared', o.shared, false);
    const pageAligned = optionalBoolean('StructLayout create', 'pageAligned', o.pageAligned, false);
    let buffer: ArrayBuffer | SharedArrayBuffer;
    if (pageAligned) buffer = shared ? sharedPageAlignedBuffer(bytes) : pageAlignedBuffer(bytes);
    else buffer = allocate('StructLayout create', 'capacity', bytes, () => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes)));
    return this.attach(buffer, capacity);
  }

  /**
   * Builds the columns over an existing buffer (e.g. one a worker received);
   * throws `OutOfRangeError` if the buffer is smaller than `byteLength(capacity)`.
   * @example const recs = layout.attach(workerData.buffer, workerData.capacity)
   */
  attach(buffer: ArrayBuffer | SharedArrayBuffer, capacity: number): StructOfArrays<S> {
    if (!(buffer instanceof ArrayBuffer) && !(buffer instanceof SharedArrayBuffer)) {
      throw new InvalidArgumentError(`StructLayout attach buffer must be an ArrayBuffer or SharedArrayBuffer, got ${describe(buffer)}`);
    }
    const need = this.byteLength(capacity);
    if (buffer.byteLength < need) {
      throw new OutOfRangeError(`StructLayout attach buffer byteLength (${buffer.byteLength}) must be >= ${need} for capacity ${capacity}`);
    }
    const columns = {} as Record<string, unknown>;
    let offset = 0;
    for (let i = 0; i < this.fields.length; i++) {
      const ctor = FIELD_TYPES[this.types[i]];
      columns[this.fields[i]] = new ctor(buffer as ArrayBuffer, offset, capacity);
      offset = lineCeil(offset + capacity * ctor.BYTES_PER_ELEMENT);
    }
    return { columns: columns as Columns<S>, buffer, capacity };
  }

  private checkCapacity(capacity: number): void {
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > MAX_CAPACITY) {
      throw new (numberError(capacity))(`StructLayout capacity (${describe(capacity)}) must be an integer from 0 to 2^27`);
    }
  }
}

function lineCeil(n: number): number {
  return Math.ceil(n / CACHE_LINE_BYTES) * CACHE_LINE_BYTES;
}

/**
 * Compiles a record schema into a {@link StructLayout} whose columns start on
 * 64-byte lines of one buffer.
 * @example
 * const particles = defineLayout({ x: 'f64', y: 'f64', id: 'u32' }).create(10_000);
 * const { x, y, id } = particles.columns; x[0] = 1; id[0] = 7;
 */
export function defineLayout<const S extends LayoutSchema>(schema: S): StructLayout<S> {
  return new StructLayout(schema);
}
