import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CACHE_LINE_BYTES, defineLayout, type FieldType } from '../../src/memory/cache-aligned.ts';

test('columns are typed arrays of the schema types, each starting on a 64-byte line of one buffer', () => {
  const layout = defineLayout({ x: 'f64', y: 'f64', id: 'u32', flag: 'u8' });
  const recs = layout.create(10);
  const { x, y, id, flag } = recs.columns;
  assert.ok(x instanceof Float64Array && y instanceof Float64Array && id instanceof Uint32Array && flag instanceof Uint8Array);
  for (const col of [x, y, id, flag]) {
    assert.equal(col.buffer, recs.buffer);
    assert.equal(col.length, 10);
    assert.equal(col.byteOffset % CACHE_LINE_BYTES, 0);
  }
  assert.deepEqual(layout.offsets(10), { x: 0, y: 128, id: 256, flag: 320 });
  assert.equal(layout.byteLength(10), 384);
  assert.equal(layout.bytesPerRecord, 21);
  assert.deepEqual(layout.fields, ['x', 'y', 'id', 'flag']);
});

test('columns do not alias each other', () => {
  const { columns } = defineLayout({ a: 'i32', b: 'i32' }).create(16);
  columns.a.fill(-1);
  assert.ok(columns.b.every((v) => v === 0));
});

test('shared and page-aligned buffers; attach rebuilds the same view', () => {
  const layout = defineLayout({ x: 'f32', n: 'u16' });
  const shared = layout.create(100, { shared: true, pageAligned: true });
  assert.ok(shared.buffer instanceof SharedArrayBuffer);
  assert.equal(shared.buffer.byteLength % 65536, 0);
  shared.columns.n[99] = 7;
  const again = layout.attach(shared.buffer, 100);
  assert.equal(again.columns.n[99], 7);
  assert.ok(layout.create(4, { shared: true }).buffer instanceof SharedArrayBuffer);
  assert.equal(layout.create(4, { pageAligned: true }).buffer.byteLength, 65536);
});

test('offsets are line-aligned, columns are disjoint and inside the buffer (property)', () => {
  const types: FieldType[] = ['f64', 'f32', 'i32', 'u32', 'i16', 'u16', 'i8', 'u8'];
  const sizes: Record<FieldType, number> = { f64: 8, f32: 4, i32: 4, u32: 4, i16: 2, u16: 2, i8: 1, u8: 1 };
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...types), { minLength: 1, maxLength: 8 }), fc.nat(300), (fieldTypes, capacity) => {
      const schema: Record<string, FieldType> = {};
      fieldTypes.forEach((t, i) => (schema[`f${i}`] = t));
      const layout = defineLayout(schema);
      const recs = layout.create(capacity);
      let prevEnd = 0;
      for (let i = 0; i < fieldTypes.length; i++) {
        const col = recs.columns[`f${i}`];
        if (col.byteOffset % 64 !== 0 || col.byteOffset < prevEnd || col.length !== capacity) return false;
        prevEnd = col.byteOffset + capacity * sizes[fieldTypes[i]!];
      }
      return prevEnd <= recs.buffer.byteLength && recs.buffer.byteLength % 64 === 0 && recs.buffer.byteLength - prevEnd < 64 + (capacity === 0 ? 64 : 0);
    }),
    { seed: 2026, numRuns: 300 },
  );
});

test('bad schemas and capacities throw errors naming the rule', () => {
  assert.throws(() => defineLayout({ x: 'f16' as FieldType }), (e: unknown) => e instanceof TypeError && /StructLayout \(defineLayout\) field "x" has type "f16"; it must be one of f64, f32/.test(e.message));
  assert.throws(() => defineLayout({}), /StructLayout \(defineLayout\) schema must have at least one field/);
  assert.throws(() => defineLayout(null as unknown as Record<string, FieldType>), TypeError);
  assert.throws(() => defineLayout({ x: 'f64' }).create(-1), /StructLayout capacity \(-1\) must be an integer from 0 to 2\^27/);
  assert.throws(() => defineLayout({ x: 'f64' }).attach(new ArrayBuffer(8), 10), /StructLayout attach buffer byteLength \(8\) must be >= 128 for capacity 10/);
});

// Issue 11 §4: create options were truthy-coerced (shared: new Uint8Array(4) made a SharedArrayBuffer);
// pageAlignedBuffer passed any value to WebAssembly.Memory and threw its untyped TypeError.
test('create refuses non-boolean options and page-aligned buffers refuse non-number sizes, typed', async () => {
  const { pageAlignedBuffer, sharedPageAlignedBuffer } = await import('../../src/memory/wasm-memory.ts');
  const l = defineLayout({ x: 'f64' });
  assert.throws(() => l.create(8, { shared: new Uint8Array(4) as unknown as boolean }), (e: Error & { code?: string }) => e.code === 'ERR_BH_INVALID_ARG' && /StructLayout create shared/.test(e.message));
  assert.throws(() => l.create(8, null as never), (e: Error & { code?: string }) => e.code === 'ERR_BH_INVALID_ARG');
  assert.throws(() => pageAlignedBuffer(new Uint8Array(4) as unknown as number), (e: Error & { code?: string }) => e.code === 'ERR_BH_INVALID_ARG' && /pageAlignedBuffer bytes/.test(e.message));
  assert.throws(() => sharedPageAlignedBuffer(-1), (e: Error & { code?: string }) => e.code === 'ERR_BH_OUT_OF_RANGE' && /sharedPageAlignedBuffer bytes/.test(e.message));
  assert.equal(pageAlignedBuffer(1).byteLength, 65536);
  assert.equal(l.create(8).columns.x.length, 8);
});
