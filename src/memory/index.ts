// blackhole-perf/memory: re-exports only.
export { ObjectPool, type ObjectPoolOptions, type ObjectPoolStats } from './object-pool.ts';
export { BufferPool, type BufferPoolOptions, type BufferPoolStats } from './buffer-pool.ts';
export { MemoryArena, type MemoryArenaOptions, type MemoryArenaStats, type TypedArrayConstructor } from './memory-arena.ts';
export { CACHE_LINE_BYTES, StructLayout, defineLayout, type FieldType, type LayoutSchema, type Columns, type StructOfArrays, type StructCreateOptions } from './cache-aligned.ts';
export { PaddedCounters, type PaddedCountersOptions } from './padded-counters.ts';
export { WASM_PAGE_BYTES, pageAlignedBuffer, sharedPageAlignedBuffer } from './wasm-memory.ts';
export { MemoryErrorCode, DoubleReleaseError, ForeignReleaseError, ArenaExhaustedError } from './errors.ts';
