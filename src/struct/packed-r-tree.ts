/**
 * PackedRTree: a static R-tree packed into ONE ArrayBuffer (or
 * SharedArrayBuffer). Add every box, call `finish()`, then query; hand the
 * buffer to a worker (postMessage, transfer, or share) and rebuild the index
 * there with `PackedRTree.from(buffer)`, which copies nothing.
 *
 * Memory layout (`byteOffset` is where it starts; the header is written
 * little-endian, the arrays in the platform's byte order, which is
 * little-endian on every platform Node ships for):
 *
 *   offset 0  u8   magic 0xb7
 *          1  u8   format version (1)
 *          2  u16  nodeSize (2..65535)
 *          4  u32  numItems (>= 1)
 *          8  f64  boxes[4 * numNodes]   minX, minY, maxX, maxY per node
 *          .. u32  indices[numNodes]
 *
 * Node positions: the first `numItems` nodes are the items' boxes, sorted
 * along a Hilbert curve; then each level up, every `nodeSize` consecutive
 * nodes of the level below get one parent; the last node is the root. For an
 * item, `indices[pos]` is the item's id (the order in which it was added);
 * for an internal node it is the position of its first child. Level
 * boundaries are not stored: they follow from numItems and nodeSize, so the
 * header is all `from()` needs. The header is 8 bytes, keeping the f64 boxes
 * 8-byte aligned.
 *
 * Why it is fast:
 *  - Build sorts items by the Hilbert value of their centres (16 bits per
 *    axis, 32-bit keys) with a radix sort (one in-place MSD pass on 11 bits,
 *    then cache-resident buckets; see sortLeaves): O(n) instead of an
 *    O(n log n) comparison sort, which is most of the build.
 *  - The Hilbert value is computed 4 bits of each axis at a time from a
 *    1024-entry table (state x 4 bits of x x 4 bits of y -> 8 output bits and
 *    the next state), generated at load from the one-bit rule: 4 lookups per
 *    point instead of 16 rounds of bit twiddling.
 *  - Queries walk flat typed arrays with an int stack preallocated per
 *    index; nothing is allocated per node. kNN is best-first search whose
 *    queue never takes anything farther than the k-th best item so far.
 *
 * Node size: 16 by default, chosen by measurement on 1e6 seeded boxes
 * (bench/struct/packed-r-tree.bench.ts data, CPU time, best of 10): 8, 16
 * and 32 searched small boxes alike; 8 found 10 nearest about 10% faster
 * but adds twice as many upper nodes (n/7 against n/15), and 32 was about
 * 25% slower at kNN. 16 is also flatbush's default, so the two compare like
 * for like.
 *
 * Invariant after finish(): the box of every internal node is the union of
 * its children's. A PackedRTree never writes to its buffer after finish(),
 * so any number of threads may query one SharedArrayBuffer at once.
 */
import { StructErrorCode } from './errors.ts';
import { BlackholeError, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { DistanceQueue } from './r-tree-queue.ts';
import { allocate, numberError } from '../validate.ts';

/** First header byte of every PackedRTree buffer. */
const MAGIC = 0xb7;
/** Format version written to and accepted from the header. */
const VERSION = 1;
const HEADER_BYTES = 8;
const DEFAULT_NODE_SIZE = 16;
const MAX_NODE_SIZE = 65535;
/** Largest item count the u32 header and indices can hold. */
const MAX_ITEMS = 2 ** 32 - 1;

/**
 * Stable code of {@link PackedRTreeStateError}. (To be moved to the struct
 * area's error registry once it exists.)
 * @example if (err.code === PACKED_R_TREE_STATE) index.finish()
 */
export const PACKED_R_TREE_STATE = StructErrorCode.PACKED_R_TREE_STATE;

/**
 * Thrown when a PackedRTree method is called in the wrong phase: `add()`
 * after every item was added, `finish()` twice or too early, a query before
 * `finish()`. Code {@link PACKED_R_TREE_STATE}.
 * @example try { index.search(0, 0, 1, 1) } catch (e) { if (e instanceof PackedRTreeStateError) index.finish() }
 */
export class PackedRTreeStateError extends BlackholeError {
  constructor(message: string) {
    super(PACKED_R_TREE_STATE, message);
  }
}

/**
 * Options of a {@link PackedRTree}.
 * @example new PackedRTree(1000, { nodeSize: 16, shared: true })
 */
export interface PackedRTreeOptions {
  /** Children per node, an integer from 2 to 65535 (default 16). */
  nodeSize?: number;
  /** Allocate a SharedArrayBuffer (queryable from many workers at once) instead of an ArrayBuffer. */
  shared?: boolean;
}

/** Hilbert lookup table; see the design note. Entry: (8 output bits << 2) | next state. */
const HILBERT_TABLE = buildHilbertTable();

function buildHilbertTable(): Uint16Array {
  const table = new Uint16Array(4 * 256);
  for (let state = 0; state < 4; state++) {
    for (let nx = 0; nx < 16; nx++) {
      for (let ny = 0; ny < 16; ny++) {
        // state bit 0: axes swapped; bit 1: both axes complemented. The two
        // commute, so the state is just the pair of flags.
        let s = state;
        let out = 0;
        for (let bit = 3; bit >= 0; bit--) {
          let rx = (nx >> bit) & 1;
          let ry = (ny >> bit) & 1;
          if (s & 2) {
            rx ^= 1;
            ry ^= 1;
          }
          if (s & 1) {
            const t = rx;
            rx = ry;
            ry = t;
          }
          out = (out << 2) | ((3 * rx) ^ ry);
          // The quadrant's orientation: the lower two quadrants are
          // reflected (swap; the lower-right one also complemented).
          if (ry === 0) {
            if (rx === 1) s ^= 2;
            s ^= 1;
          }
        }
        table[(state << 8) | (nx << 4) | ny] = (out << 2) | s;
      }
    }
  }
  return table;
}

/**
 * Position of the cell (x, y), each 0..65535, along a Hilbert curve of
 * order 16 (a 32-bit unsigned value). Exported for tests and for callers
 * that want to pre-sort their own data.
 * @example hilbert16(0, 0) // 0
 */
export function hilbert16(x: number, y: number): number {
  // Checked here, at the public entry; finish() calls hilbertCell directly with cells it computed.
  if (typeof x !== 'number' || typeof y !== 'number' || !(x >= 0 && x <= 65535 && y >= 0 && y <= 65535) || x % 1 !== 0 || y % 1 !== 0) {
    const [name, v] = typeof x !== 'number' || !(x >= 0 && x <= 65535) || x % 1 !== 0 ? ['x', x] : ['y', y];
    if (typeof v !== 'number') throw new InvalidArgumentError(`hilbert16 ${name} must be an integer from 0 to 65535, got ${describe(v)}`);
    throw new (numberError(v))(`hilbert16 ${name} (${describe(v)}) must be an integer from 0 to 65535`);
  }
  return hilbertCell(x, y);
}

function hilbertCell(x: number, y: number): number {
  const t = HILBERT_TABLE;
  let e = t[(((x >> 12) & 15) << 4) | ((y >> 12) & 15)];
  let d = e >> 2;
  e = t[((e & 3) << 8) | (((x >> 8) & 15) << 4) | ((y >> 8) & 15)];
  d = (d << 8) | (e >> 2);
  e = t[((e & 3) << 8) | (((x >> 4) & 15) << 4) | ((y >> 4) & 15)];
  d = (d << 8) | (e >> 2);
  e = t[((e & 3) << 8) | ((x & 15) << 4) | (y & 15)];
  return ((d << 8) | (e >> 2)) >>> 0;
}

/** Level ends (exclusive node positions), leaves first; the last level holds the root alone. */
function levelEnds(numItems: number, nodeSize: number): number[] {
  const ends: number[] = [numItems];
  let n = numItems;
  let total = numItems;
  do {
    n = Math.ceil(n / nodeSize);
    total += n;
    ends.push(total);
  } while (n !== 1);
  return ends;
}

/**
 * A static, packed R-tree of boxes in one buffer. Items are identified by
 * the order they were added (0, 1, 2, ...).
 * @example
 * const index = new PackedRTree(boxes.length);
 * for (const b of boxes) index.add(b.minX, b.minY, b.maxX, b.maxY);
 * index.finish();
 * index.search(0, 0, 10, 10); // ids of the boxes meeting that square
 */
export class PackedRTree {
  /** Number of items the index holds. */
  readonly numItems: number;
  /** Children per node. */
  readonly nodeSize: number;
  /** The buffer holding header, boxes and indices; post or share it. */
  readonly data: ArrayBuffer | SharedArrayBuffer;
  /** Where the index starts inside `data`. */
  readonly byteOffset: number;
  /** Bytes the index occupies in `data`. */
  readonly byteLength: number;
  /** Bounds of all items (Infinity / -Infinity until the first add). */
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  private readonly boxes: Float64Array;
  private readonly indices: Uint32Array;
  private readonly levels: Int32Array;
  private readonly numNodes: number;
  private readonly stack: Int32Array;
  private readonly queue: DistanceQueue<number>;
  private readonly best: Float64Array;
  private added: number;
  private isFinished: boolean;

  /**
   * Builds an empty index for `numItems` boxes (an integer from 1 to
   * 2^32 - 1). The third and fourth parameters are for `from()` only.
   * @example new PackedRTree(1_000_000, { nodeSize: 16 })
   */
  constructor(numItems: number, options: PackedRTreeOptions = {}, data?: ArrayBuffer | SharedArrayBuffer, byteOffset = 0) {
    if (typeof numItems !== 'number') {
      throw new InvalidArgumentError(`PackedRTree numItems must be an integer from 1 to ${MAX_ITEMS}, got ${describe(numItems)}`);
    }
    if (!Number.isInteger(numItems) || numItems < 1 || numItems > MAX_ITEMS) {
      throw new (numberError(numItems))(`PackedRTree numItems (${describe(numItems)}) must be an integer from 1 to ${MAX_ITEMS}`);
    }
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidArgumentError(`PackedRTree options must be an object, got ${describe(options)}`);
    }
    const nodeSize = options.nodeSize === undefined ? DEFAULT_NODE_SIZE : options.nodeSize;
    if (!Number.isInteger(nodeSize) || nodeSize < 2 || nodeSize > MAX_NODE_SIZE) {
      throw new (numberError(nodeSize))(`PackedRTree nodeSize (${describe(nodeSize)}) must be an integer from 2 to ${MAX_NODE_SIZE}`);
    }
    const ends = levelEnds(numItems, nodeSize);
    const numNodes = ends[ends.length - 1]!;
    const byteLength = HEADER_BYTES + numNodes * 4 * 8 + numNodes * 4;
    this.numItems = numItems;
    this.nodeSize = nodeSize;
    this.numNodes = numNodes;
    this.levels = Int32Array.from(ends);
    this.byteLength = byteLength;
    this.byteOffset = byteOffset;
    const fresh = data === undefined;
    if (options.shared !== undefined && typeof options.shared !== 'boolean') {
      throw new InvalidArgumentError(`PackedRTree shared must be a boolean when given, got ${describe(options.shared)}`);
    }
    this.data =
      data ??
      allocate('PackedRTree', 'numItems', byteLength, () => (options.shared === true ? new SharedArrayBuffer(byteLength) : new ArrayBuffer(byteLength)));
    this.boxes = new Float64Array(this.data, byteOffset + HEADER_BYTES, numNodes * 4);
    this.indices = new Uint32Array(this.data, byteOffset + HEADER_BYTES + numNodes * 32, numNodes);
    // A search keeps at most one pending child (two ints) per entry of each level.
    this.stack = new Int32Array(2 * nodeSize * ends.length + 2);
    this.queue = new DistanceQueue<number>();
    // k-best distances for nearest(); k above this skips the tracking.
    this.best = new Float64Array(64);
    this.minX = Infinity;
    this.minY = Infinity;
    this.maxX = -Infinity;
    this.maxY = -Infinity;
    if (fresh) {
      const header = new DataView(this.data, byteOffset, HEADER_BYTES);
      header.setUint8(0, MAGIC);
      header.setUint8(1, VERSION);
      header.setUint16(2, nodeSize, true);
      header.setUint32(4, numItems, true);
      this.added = 0;
      this.isFinished = false;
    } else {
      const root = 4 * (numNodes - 1);
      this.minX = this.boxes[root];
      this.minY = this.boxes[root + 1];
      this.maxX = this.boxes[root + 2];
      this.maxY = this.boxes[root + 3];
      this.added = numItems;
      this.isFinished = true;
    }
  }

  /**
   * Rebuilds a finished index over `data` (as produced by another
   * PackedRTree's `data`, possibly in another thread) without copying.
   * Throws `InvalidArgumentError` (a TypeError) if the bytes are not a
   * PackedRTree of a supported version or are too short.
   * @example worker.on('message', (buf) => { const index = PackedRTree.from(buf); })
   */
  static from(data: ArrayBuffer | SharedArrayBuffer, byteOffset = 0): PackedRTree {
    const isBuffer = data instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && data instanceof SharedArrayBuffer);
    if (!isBuffer) {
      throw new InvalidArgumentError(`PackedRTree.from data must be an ArrayBuffer or SharedArrayBuffer, got ${describe(data)}`);
    }
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset % 8 !== 0) {
      throw new (numberError(byteOffset))(`PackedRTree.from byteOffset (${describe(byteOffset)}) must be a non-negative multiple of 8`);
    }
    if (data.byteLength < byteOffset + HEADER_BYTES) {
      throw new InvalidArgumentError(
        `PackedRTree.from data (${data.byteLength} bytes from offset ${byteOffset}) is shorter than the ${HEADER_BYTES}-byte header`,
      );
    }
    const header = new DataView(data, byteOffset, HEADER_BYTES);
    const magic = header.getUint8(0);
    if (magic !== MAGIC) {
      throw new InvalidArgumentError(
        `PackedRTree.from data has magic byte 0x${magic.toString(16)}; a PackedRTree starts with 0x${MAGIC.toString(16)}`,
      );
    }
    const version = header.getUint8(1);
    if (version !== VERSION) {
      throw new InvalidArgumentError(`PackedRTree.from data has format version ${version}; this build reads version ${VERSION}`);
    }
    const nodeSize = header.getUint16(2, true);
    const numItems = header.getUint32(4, true);
    if (nodeSize < 2 || numItems < 1) {
      throw new InvalidArgumentError(`PackedRTree.from data has a corrupt header (nodeSize ${nodeSize}, numItems ${numItems})`);
    }
    const ends = levelEnds(numItems, nodeSize);
    const numNodes = ends[ends.length - 1]!;
    const needed = HEADER_BYTES + numNodes * 36;
    if (data.byteLength - byteOffset < needed) {
      throw new InvalidArgumentError(
        `PackedRTree.from data holds ${data.byteLength - byteOffset} bytes from offset ${byteOffset}; ${numItems} items need ${needed}`,
      );
    }
    return new PackedRTree(numItems, { nodeSize }, data, byteOffset);
  }

  /**
   * Whether `finish()` has run (always true for an index made by `from()`).
   * @example index.isReady // false until finish()
   */
  get isReady(): boolean {
    return this.isFinished;
  }

  /**
   * Adds a box and returns its id (0 for the first, then 1, 2, ...). Throws
   * `RangeError` for NaN or infinite coordinates or min > max, and
   * `PackedRTreeStateError` once all `numItems` boxes were added.
   * @example const id = index.add(0, 0, 10, 5)
   */
  add(minX: number, minY: number, maxX: number, maxY: number): number {
    // typeof first: `null <= true` and `'5' - []` would otherwise pass the range test coerced.
    if (
      typeof minX !== 'number' ||
      typeof minY !== 'number' ||
      typeof maxX !== 'number' ||
      typeof maxY !== 'number' ||
      !(minX <= maxX && minY <= maxY && maxX - minX + (maxY - minY) < Infinity)
    ) {
      checkBox('PackedRTree add', minX, minY, maxX, maxY, true);
    }
    const id = this.added;
    if (id >= this.numItems) {
      throw new PackedRTreeStateError(`PackedRTree add: all ${this.numItems} items were already added`);
    }
    this.added = id + 1;
    const j = 4 * id;
    const b = this.boxes;
    b[j] = minX;
    b[j + 1] = minY;
    b[j + 2] = maxX;
    b[j + 3] = maxY;
    if (minX < this.minX) this.minX = minX;
    if (minY < this.minY) this.minY = minY;
    if (maxX > this.maxX) this.maxX = maxX;
    if (maxY > this.maxY) this.maxY = maxY;
    return id;
  }

  /**
   * Sorts the items along a Hilbert curve and builds the levels above them.
   * Throws `PackedRTreeStateError` unless exactly `numItems` boxes were added
   * and finish() has not run yet.
   * @example index.finish()
   */
  finish(): this {
    if (this.isFinished) throw new PackedRTreeStateError('PackedRTree finish: the index is already finished');
    if (this.added !== this.numItems) {
      throw new PackedRTreeStateError(`PackedRTree finish: ${this.added} of ${this.numItems} items were added; add them all first`);
    }
    const n = this.numItems;
    const boxes = this.boxes;
    const indices = this.indices;
    if (n <= this.nodeSize) {
      // A single leaf level under the root: order does not matter.
      for (let i = 0; i < n; i++) indices[i] = i;
    } else {
      this.sortLeaves();
    }
    // Each level up: one parent per nodeSize consecutive nodes below.
    const nodeSize = this.nodeSize;
    const levels = this.levels;
    let pos = 0;
    let out = levels[0];
    for (let level = 0; level < levels.length - 1; level++) {
      const end = levels[level];
      while (pos < end) {
        const first = pos;
        let x0 = Infinity;
        let y0 = Infinity;
        let x1 = -Infinity;
        let y1 = -Infinity;
        const stop = Math.min(pos + nodeSize, end);
        for (; pos < stop; pos++) {
          const j = 4 * pos;
          if (boxes[j] < x0) x0 = boxes[j];
          if (boxes[j + 1] < y0) y0 = boxes[j + 1];
          if (boxes[j + 2] > x1) x1 = boxes[j + 2];
          if (boxes[j + 3] > y1) y1 = boxes[j + 3];
        }
        const o = 4 * out;
        boxes[o] = x0;
        boxes[o + 1] = y0;
        boxes[o + 2] = x1;
        boxes[o + 3] = y1;
        indices[out] = first;
        out++;
      }
    }
    this.isFinished = true;
    return this;
  }

  /**
   * Reorders the leaf boxes by the Hilbert value of their centres and
   * records each one's id in `indices`, in place.
   *
   * A first version sorted the keys (LSD radix) and then gathered the boxes
   * into place; the gather dominated, since a million random 32-byte reads
   * from a 32 MB array miss the cache every time. So this is MSD instead:
   * one in-place pass (American flag sort) moves key, id and box together
   * into 2048 buckets by the top 11 key bits, touching memory only at the
   * 2048 bucket heads, and needs no 32 MB scratch copy. Each bucket, a few
   * hundred items for data spread over the plane, then sits in cache and is
   * sorted on the low 21 bits (insertion sort when tiny, else two stable
   * counting passes of 11 and 10 bits) and written back in order.
   */
  private sortLeaves(): void {
    const n = this.numItems;
    const boxes = this.boxes;
    const indices = this.indices;
    const width = this.maxX - this.minX || 1;
    const height = this.maxY - this.minY || 1;
    // Centre scaled to 0..65535: ((min + max) - 2 lo) * 65535 / (2 extent).
    const sx = 65535 / width / 2;
    const sy = 65535 / height / 2;
    const ox = 2 * this.minX;
    const oy = 2 * this.minY;
    const keys = new Uint32Array(n);
    const starts = new Uint32Array(2049);
    for (let i = 0, j = 0; i < n; i++, j += 4) {
      const key = hilbertCell(Math.floor((boxes[j] + boxes[j + 2] - ox) * sx), Math.floor((boxes[j + 1] + boxes[j + 3] - oy) * sy));
      keys[i] = key;
      starts[(key >>> 21) + 1]++;
      indices[i] = i;
    }
    let largest = 0;
    for (let d = 0; d < 2048; d++) {
      if (starts[d + 1] > largest) largest = starts[d + 1];
      starts[d + 1] += starts[d];
    }
    // In-place MSD pass (American flag sort): follow each displaced item to
    // its bucket's head, carrying key, id and box, until the cycle closes.
    const heads = starts.slice(0, 2048);
    for (let d = 0; d < 2048; d++) {
      const end = starts[d + 1];
      let i = heads[d];
      while (i < end) {
        let key = keys[i];
        let bucket = key >>> 21;
        if (bucket !== d) {
          let id = indices[i];
          let j = 4 * i;
          let x0 = boxes[j];
          let y0 = boxes[j + 1];
          let x1 = boxes[j + 2];
          let y1 = boxes[j + 3];
          do {
            const at = heads[bucket]++;
            const k = keys[at];
            keys[at] = key;
            key = k;
            const t = indices[at];
            indices[at] = id;
            id = t;
            j = 4 * at;
            let v = boxes[j];
            boxes[j] = x0;
            x0 = v;
            v = boxes[j + 1];
            boxes[j + 1] = y0;
            y0 = v;
            v = boxes[j + 2];
            boxes[j + 2] = x1;
            x1 = v;
            v = boxes[j + 3];
            boxes[j + 3] = y1;
            y1 = v;
            bucket = key >>> 21;
          } while (bucket !== d);
          keys[i] = key;
          indices[i] = id;
          j = 4 * i;
          boxes[j] = x0;
          boxes[j + 1] = y0;
          boxes[j + 2] = x1;
          boxes[j + 3] = y1;
        }
        heads[d] = ++i;
      }
    }
    // Each bucket, in cache now, is sorted on the low 21 bits: a permutation
    // of its slots, then a copy of its boxes and ids written back in order.
    const perm = new Uint32Array(largest);
    const permOut = new Uint32Array(largest);
    const localBoxes = new Float64Array(4 * largest);
    const localIds = new Uint32Array(largest);
    const low = new Uint32Array(2048);
    for (let d = 0; d < 2048; d++) {
      const from = starts[d];
      const size = starts[d + 1] - from;
      if (size < 2) continue;
      if (size <= 32) {
        for (let i = 0; i < size; i++) {
          const key = keys[from + i];
          let p = i - 1;
          while (p >= 0 && keys[from + perm[p]] > key) {
            perm[p + 1] = perm[p];
            p--;
          }
          perm[p + 1] = i;
        }
      } else {
        for (let i = 0; i < size; i++) perm[i] = i;
        // LSD over the low 21 bits: 11 then 10, both stable.
        for (let pass = 0; pass < 2; pass++) {
          const shift = pass === 0 ? 0 : 11;
          const mask = pass === 0 ? 2047 : 1023;
          low.fill(0, 0, mask + 1);
          for (let i = 0; i < size; i++) low[(keys[from + i] >>> shift) & mask]++;
          let sum = 0;
          for (let b = 0; b <= mask; b++) {
            const c = low[b];
            low[b] = sum;
            sum += c;
          }
          for (let i = 0; i < size; i++) {
            const p = perm[i];
            permOut[low[(keys[from + p] >>> shift) & mask]++] = p;
          }
          perm.set(permOut.subarray(0, size));
        }
      }
      localBoxes.set(boxes.subarray(4 * from, 4 * (from + size)));
      localIds.set(indices.subarray(from, from + size));
      for (let i = 0; i < size; i++) {
        const p = perm[i];
        const s = 4 * p;
        const o = 4 * (from + i);
        boxes[o] = localBoxes[s];
        boxes[o + 1] = localBoxes[s + 1];
        boxes[o + 2] = localBoxes[s + 2];
        boxes[o + 3] = localBoxes[s + 3];
        indices[from + i] = localIds[p];
      }
    }
  }

  /**
   * Ids of the items whose boxes intersect the query box (edges count).
   * Infinite bounds are allowed; NaN or min > max throws `RangeError`.
   * @example index.search(0, 0, 10, 10) // [3, 17, ...]
   */
  search(minX: number, minY: number, maxX: number, maxY: number): number[] {
    if (!this.isFinished) throw new PackedRTreeStateError('PackedRTree search: call finish() first');
    if (typeof minX !== 'number' || typeof minY !== 'number' || typeof maxX !== 'number' || typeof maxY !== 'number' || !(minX <= maxX && minY <= maxY)) {
      checkBox('PackedRTree search', minX, minY, maxX, maxY, false);
    }
    const boxes = this.boxes;
    const indices = this.indices;
    const levels = this.levels;
    const stack = this.stack;
    const nodeSize = this.nodeSize;
    const numItems = this.numItems;
    const result: number[] = [];
    // Stack entries are pairs: first child position, level of the children.
    let top = 0;
    let first = this.numNodes - 1;
    let level = levels.length - 1;
    for (;;) {
      const end = Math.min(first + nodeSize, levels[level]);
      if (first < numItems) {
        for (let pos = first; pos < end; pos++) {
          const j = 4 * pos;
          if (boxes[j] <= maxX && boxes[j + 1] <= maxY && boxes[j + 2] >= minX && boxes[j + 3] >= minY) {
            result.push(indices[pos]);
          }
        }
      } else {
        for (let pos = first; pos < end; pos++) {
          const j = 4 * pos;
          if (boxes[j] <= maxX && boxes[j + 1] <= maxY && boxes[j + 2] >= minX && boxes[j + 3] >= minY) {
            stack[top++] = indices[pos];
            stack[top++] = level - 1;
          }
        }
      }
      if (top === 0) return result;
      level = stack[--top];
      first = stack[--top];
    }
  }

  /**
   * Whether any item intersects the query box; stops at the first one.
   * @example index.collides(0, 0, 1, 1)
   */
  collides(minX: number, minY: number, maxX: number, maxY: number): boolean {
    if (!this.isFinished) throw new PackedRTreeStateError('PackedRTree collides: call finish() first');
    if (typeof minX !== 'number' || typeof minY !== 'number' || typeof maxX !== 'number' || typeof maxY !== 'number' || !(minX <= maxX && minY <= maxY)) {
      checkBox('PackedRTree collides', minX, minY, maxX, maxY, false);
    }
    const boxes = this.boxes;
    const indices = this.indices;
    const levels = this.levels;
    const stack = this.stack;
    const nodeSize = this.nodeSize;
    const numItems = this.numItems;
    let top = 0;
    let first = this.numNodes - 1;
    let level = levels.length - 1;
    for (;;) {
      const end = Math.min(first + nodeSize, levels[level]);
      const isLeafLevel = first < numItems;
      for (let pos = first; pos < end; pos++) {
        const j = 4 * pos;
        if (boxes[j] <= maxX && boxes[j + 1] <= maxY && boxes[j + 2] >= minX && boxes[j + 3] >= minY) {
          if (isLeafLevel) return true;
          stack[top++] = indices[pos];
          stack[top++] = level - 1;
        }
      }
      if (top === 0) return false;
      level = stack[--top];
      first = stack[--top];
    }
  }

  /**
   * Ids of the `k` items nearest to (x, y), nearest first, by Euclidean
   * distance to the item's box (0 inside it); only items within
   * `maxDistance` and accepted by `filter` count (`filter` may also be
   * called for candidates that are not returned; it must not query this
   * index). Ties come in any order.
   * @example index.nearest(5, 5, 3) // the three closest ids
   */
  nearest(x: number, y: number, k = 1, maxDistance = Infinity, filter?: (id: number) => boolean): number[] {
    if (!this.isFinished) throw new PackedRTreeStateError('PackedRTree nearest: call finish() first');
    if (typeof x !== 'number' || Number.isNaN(x)) throw new (numberError(x))(`PackedRTree nearest x (${describe(x)}) must be a number, not NaN`);
    if (typeof y !== 'number' || Number.isNaN(y)) throw new (numberError(y))(`PackedRTree nearest y (${describe(y)}) must be a number, not NaN`);
    if (!Number.isInteger(k) || k < 0) throw new (numberError(k))(`PackedRTree nearest k (${describe(k)}) must be a non-negative integer`);
    if (typeof maxDistance !== 'number' || !(maxDistance >= 0)) {
      throw new (numberError(maxDistance))(`PackedRTree nearest maxDistance (${describe(maxDistance)}) must be a number >= 0`);
    }
    if (filter !== undefined && typeof filter !== 'function') {
      throw new InvalidArgumentError(`PackedRTree nearest filter must be a function when given, got ${describe(filter)}`);
    }
    const result: number[] = [];
    if (k === 0) return result;
    const boxes = this.boxes;
    const indices = this.indices;
    const levels = this.levels;
    const nodeSize = this.nodeSize;
    const numItems = this.numItems;
    const queue = this.queue;
    queue.clear();
    // Pruning bound: the k-th smallest distance among accepted items queued
    // so far (while fewer are queued, maxDistance). Nothing farther can be in
    // the answer, so it is never queued; for small k, kept sorted in `best`.
    let bound = maxDistance * maxDistance;
    const best = this.best;
    const isTracking = k <= best.length;
    let bestCount = 0;
    // Queue values: a node's position (>= 0), or -(id + 1) for an item.
    let node = this.numNodes - 1;
    for (;;) {
      const first = indices[node];
      let level = 0;
      while (levels[level] <= first) level++;
      const end = Math.min(first + nodeSize, levels[level]);
      if (first < numItems) {
        for (let pos = first; pos < end; pos++) {
          const j = 4 * pos;
          const minX = boxes[j];
          const minY = boxes[j + 1];
          const maxX = boxes[j + 2];
          const maxY = boxes[j + 3];
          const dx = x < minX ? minX - x : x > maxX ? x - maxX : 0;
          const dy = y < minY ? minY - y : y > maxY ? y - maxY : 0;
          const d2 = dx * dx + dy * dy;
          if (d2 > bound) continue;
          const id = indices[pos];
          if (filter !== undefined && !filter(id)) continue;
          queue.push(-id - 1, d2);
          if (isTracking) {
            // Insert d2 into the sorted k best; the k-th becomes the bound.
            let p = bestCount < k ? bestCount++ : k - 1;
            while (p > 0 && best[p - 1] > d2) {
              best[p] = best[p - 1];
              p--;
            }
            best[p] = d2;
            if (bestCount === k) bound = best[k - 1];
          }
        }
      } else {
        for (let pos = first; pos < end; pos++) {
          const j = 4 * pos;
          const minX = boxes[j];
          const minY = boxes[j + 1];
          const maxX = boxes[j + 2];
          const maxY = boxes[j + 3];
          const dx = x < minX ? minX - x : x > maxX ? x - maxX : 0;
          const dy = y < minY ? minY - y : y > maxY ? y - maxY : 0;
          const d2 = dx * dx + dy * dy;
          if (d2 <= bound) queue.push(pos, d2);
        }
      }
      node = -1;
      // An item at the head is no farther than anything unexpanded: emit it.
      while (queue.length > 0) {
        const head = queue.pop()!;
        if (head >= 0) {
          node = head;
          break;
        }
        result.push(-head - 1);
        if (result.length === k) {
          queue.clear();
          return result;
        }
      }
      if (node < 0) return result;
    }
  }

  /**
   * The box of item `id` (as added).
   * @example index.boxOf(0) // { minX: 0, minY: 0, maxX: 10, maxY: 5 }
   */
  boxOf(id: number): { minX: number; minY: number; maxX: number; maxY: number } {
    if (!Number.isInteger(id) || id < 0 || id >= this.numItems) {
      throw new (numberError(id))(`PackedRTree boxOf id (${describe(id)}) must be an integer from 0 to ${this.numItems - 1}`);
    }
    const b = this.boxes;
    if (!this.isFinished) {
      if (id >= this.added) throw new PackedRTreeStateError(`PackedRTree boxOf: item ${id} was not added yet`);
      return { minX: b[4 * id], minY: b[4 * id + 1], maxX: b[4 * id + 2], maxY: b[4 * id + 3] };
    }
    const indices = this.indices;
    for (let pos = 0; pos < this.numItems; pos++) {
      if (indices[pos] === id) {
        const j = 4 * pos;
        return { minX: b[j], minY: b[j + 1], maxX: b[j + 2], maxY: b[j + 3] };
      }
    }
    /* c8 ignore next */
    throw new PackedRTreeStateError(`PackedRTree boxOf: item ${id} is missing from a corrupt index`);
  }
}

function checkBox(where: string, minX: number, minY: number, maxX: number, maxY: number, finite: boolean): void {
  const names = ['minX', 'minY', 'maxX', 'maxY'];
  const values = [minX, minY, maxX, maxY];
  for (let i = 0; i < 4; i++) {
    const v = values[i];
    if (typeof v !== 'number') {
      throw new InvalidArgumentError(`${where} ${names[i]} must be a ${finite ? 'finite number' : 'number, not NaN'}, got ${describe(v)}`);
    }
    if (Number.isNaN(v) || (finite && !Number.isFinite(v))) {
      throw new (numberError(v))(`${where} ${names[i]} (${describe(v)}) must be a ${finite ? 'finite number' : 'number, not NaN'}`);
    }
  }
  if (minX > maxX) throw new OutOfRangeError(`${where} minX (${minX}) must be <= maxX (${maxX})`);
  if (minY > maxY) throw new OutOfRangeError(`${where} minY (${minY}) must be <= maxY (${maxY})`);
}
