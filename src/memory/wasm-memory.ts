/**
 * Page-aligned buffers from `WebAssembly.Memory`.
 *
 * A wasm memory's buffer is reserved with mmap, so it starts on an OS page
 * boundary (and in practice on a 64 KiB one); ArrayBuffers from `new
 * ArrayBuffer` only promise the allocator's alignment (8 or 16 bytes). This is
 * the one place the memory area reaches for wasm, so the ambient type below
 * (the project compiles with lib ES2022, which has no WebAssembly types) stays
 * local to it.
 */
import { allocate, checkNumber } from '../validate.ts';

/** Bytes in one WebAssembly page. */
export const WASM_PAGE_BYTES = 65536;

/** Largest wasm memory: 65536 pages of 64 KiB (4 GiB). */
const MAX_WASM_BYTES = 65536 * 65536;

interface WasmMemoryApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => { readonly buffer: ArrayBuffer | SharedArrayBuffer };
}
declare const WebAssembly: WasmMemoryApi;

/**
 * A zeroed, page-aligned ArrayBuffer of at least `bytes` bytes (rounded up to whole 64 KiB pages).
 * @example const buf = pageAlignedBuffer(4096); buf.byteLength // 65536
 */
export function pageAlignedBuffer(bytes: number): ArrayBuffer {
  checkNumber('pageAlignedBuffer', 'bytes', bytes, { min: 0, max: MAX_WASM_BYTES, note: '(wasm memory is at most 65536 pages of 64 KiB)' });
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE_BYTES));
  return allocate('pageAlignedBuffer', 'bytes', pages * WASM_PAGE_BYTES, () => new WebAssembly.Memory({ initial: pages, maximum: pages }).buffer as ArrayBuffer);
}

/**
 * A zeroed, page-aligned SharedArrayBuffer of at least `bytes` bytes (whole 64 KiB pages).
 * @example const sab = sharedPageAlignedBuffer(64 * 8)
 */
export function sharedPageAlignedBuffer(bytes: number): SharedArrayBuffer {
  checkNumber('sharedPageAlignedBuffer', 'bytes', bytes, { min: 0, max: MAX_WASM_BYTES, note: '(wasm memory is at most 65536 pages of 64 KiB)' });
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE_BYTES));
  return allocate('sharedPageAlignedBuffer', 'bytes', pages * WASM_PAGE_BYTES, () => new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }).buffer as SharedArrayBuffer);
}
