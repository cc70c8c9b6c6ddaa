// The memory area: every runtime export of src/memory/index.ts driven with
// hostile values (test/fuzz/harness.ts says what is asserted); healthy()
// checks that a pool, arena or counter set still does its job.
import assert from 'node:assert/strict';
import {
  BufferPool,
  MemoryArena,
  ObjectPool,
  PaddedCounters,
  StructLayout,
  defineLayout,
  pageAlignedBuffer,
  sharedPageAlignedBuffer,
} from '../../../src/memory/index.ts';
import { InvalidArgumentError } from '../../../src/errors.ts';
import { any, bool, fn, int, opts, str, type AreaSpec, type ClassSpec, privates } from '../harness.ts';


function objectPoolHealthy(p: ObjectPool<{ n: number }>): void {
  const a = p.acquire();
  const b = p.acquire();
  assert.notEqual(a, b);
  p.release(a);
  p.release(b);
  assert.equal(typeof p.stats().created, 'number');
}

const objectPool: ClassSpec<ObjectPool<{ n: number }>> = {
  name: 'ObjectPool',
  make: () => new ObjectPool({ create: () => ({ n: 0 }), reset: (o) => void (o.n = 0), initialSize: 2, maxRetained: 8 }),
  ctor: {
    params: [opts({ create: fn(() => ({ n: 0 })), reset: fn(() => {}, true), initialSize: int(1, true), maxRetained: int(4, true) }, undefined, false)],
    call: (o) => new ObjectPool(o),
    // A factory is a function of the right kind whose result can only be judged
    // when it is called: one that returns a non-object is refused typed at acquire.
    healthy: (p, args) => {
      const create = (args[0] as { create?: unknown } | undefined)?.create;
      const probe = typeof create === 'function' ? (create as () => unknown)() : undefined;
      if (probe !== null && typeof probe === 'object') return objectPoolHealthy(p as never);
      assert.throws(() => p.acquire(), (e: unknown) => e instanceof InvalidArgumentError && /ObjectPool create must return an object/.test((e as Error).message));
    },
  },
  methods: {
    acquire: { params: [] },
    release: { params: [any({ n: 1 })] },
    clear: { params: [] },
    stats: { params: [] },
  },
  healthy: (p) => objectPoolHealthy(p),
};

const bufferPool: ClassSpec<BufferPool> = {
  name: 'BufferPool',
  make: () => new BufferPool({ minSize: 64, maxSize: 4096 }),
  ctor: { params: [opts({ minSize: int(64, true), maxSize: int(1024, true), maxRetainedBytes: int(1 << 16, true), zeroFill: bool(false, true) })], call: (o) => new BufferPool(o) },
  methods: {
    classSize: { params: [int(100)] },
    acquire: { params: [int(100)] },
    release: { params: [any(Buffer.alloc(8))] },
    clear: { params: [] },
    stats: { params: [] },
  },
  healthy: (p) => {
    const b = p.acquire(100);
    assert.ok(b.length >= 100);
    p.release(b);
    const c = p.acquire(100);
    assert.ok(c.length >= 100);
    p.release(c);
  },
};

const memoryArena: ClassSpec<MemoryArena> = {
  name: 'MemoryArena',
  make: () => new MemoryArena({ chunkBytes: 4096, maxBytes: 1 << 20 }),
  ctor: {
    params: [opts({ chunkBytes: int(4096, true), alignment: int(8, true), maxBytes: int(1 << 20, true), backing: str('array-buffer', true), zeroOnReset: bool(false, true) })],
    call: (o) => new MemoryArena(o),
  },
  methods: {
    bytes: { params: [int(16), int(8, true)] },
    float64: { params: [int(4), int(8, true)] },
    float32: { params: [int(4), int(8, true)] },
    int32: { params: [int(4), int(8, true)] },
    uint32: { params: [int(4), int(8, true)] },
    dataView: { params: [int(16), int(8, true)] },
    reset: { params: [] },
    stats: { params: [] },
  },
  healthy: (a) => {
    const x = a.float64(4);
    x[3] = 1.5;
    assert.equal(x[3], 1.5);
    assert.equal(a.bytes(8).length, 8);
    assert.equal(typeof a.stats().usedBytes, 'number');
  },
};

const paddedCounters: ClassSpec<PaddedCounters> = {
  name: 'PaddedCounters',
  make: () => new PaddedCounters({ count: 4 }),
  ctor: { params: [opts({ count: int(4), strideBytes: int(128, true), buffer: any(undefined, true) }, undefined, false)], call: (o) => new PaddedCounters(o) },
  methods: {
    add: { params: [int(1), int(1, true)] },
    get: { params: [int(1)] },
    total: { params: [] },
    reset: { params: [] },
  },
  healthy: (c) => {
    const before = c.get(0);
    c.add(0, 2);
    assert.equal(c.get(0), before + 2);
    assert.ok(Number.isFinite(c.total()));
  },
};

const layout = () => defineLayout({ x: 'f64', id: 'u32' });
const structLayout: ClassSpec<StructLayout<{ x: 'f64'; id: 'u32' }>> = {
  name: 'StructLayout',
  make: layout,
  ctor: { params: [any({ x: 'f64', id: 'u32' })], call: (s) => new StructLayout(s) },
  methods: {
    offsets: { params: [int(8)] },
    byteLength: { params: [int(8)] },
    create: { params: [int(8), opts({ shared: bool(false, true), pageAligned: bool(false, true) })] },
    attach: { params: [any(new ArrayBuffer(4096)), int(8)] },
  },
  healthy: (l) => {
    const s = l.create(4);
    const col = Object.values(s.columns)[0] as Float64Array;
    col[1] = 2;
    assert.equal(col[1], 2);
    assert.equal(s.capacity, 4);
    assert.ok(l.byteLength(4) > 0);
  },
};

const spec: AreaSpec = {
  area: 'memory',
  classes: [objectPool, bufferPool, memoryArena, paddedCounters, structLayout],
  functions: [
    { name: 'defineLayout', component: 'StructLayout', call: defineLayout, params: [any({ x: 'f64' })] },
    { name: 'pageAlignedBuffer', call: pageAlignedBuffer, params: [int(65536)] },
    { name: 'sharedPageAlignedBuffer', call: sharedPageAlignedBuffer, params: [int(65536)] },
  ],
  exempt: {
    DoubleReleaseError: 'an error class: built by the package',
    ForeignReleaseError: 'an error class',
    ArenaExhaustedError: 'an error class',
  },
  exemptMethods: {
    ObjectPool: privates('make'),
    BufferPool: privates('checkSize', 'classOf'),
    MemoryArena: privates('allocate', 'allocateLarge', 'bump', 'newChunk', 'nextChunk'),
    PaddedCounters: privates('badSlot'),
    StructLayout: privates('checkCapacity'),
  },
};
export default spec;
