/**
 * RTree: a dynamic R-tree over 2-D boxes (insert, remove, search, collision
 * test, k nearest neighbours, bulk load).
 *
 * Layout. Every node keeps its children's bounding boxes in ONE flat array
 * of doubles (`boxes`, 4 per child: minX, minY, maxX, maxY) beside a plain
 * array of the children themselves (items in a leaf, nodes above). A search
 * therefore tests a node's boxes in contiguous memory and only touches an
 * item to hand it back: the item objects (and child nodes that do not
 * intersect) are never dereferenced. A node does not store its own box; its
 * parent's entry is the single copy.
 *
 * Invariants:
 *  - all leaves are at the same depth; `height` is 1 for a leaf;
 *  - `count === children.length <= maxEntries` between calls (a node holds
 *    one more entry only transiently, just before it splits), so `boxes` is
 *    sized `4 * (maxEntries + 1)` once, at creation;
 *  - an internal node's entry `i` is exactly the union of `children[i]`'s
 *    entries (kept tight by insert, split and remove);
 *  - items' own `minX..maxY` must not change while they are in the tree (the
 *    tree copies them; `remove` finds an item through its current box).
 *
 * Algorithms: insertion picks the child needing the least area enlargement
 * (ties: least area) and splits an overflowing node with the R*-tree split
 * (axis with the least margin sum, then the index with the least overlap,
 * then least area), computed with prefix/suffix boxes in O(M) per axis
 * instead of O(M^2). Bulk load is OMT (overlap-minimising top-down packing,
 * Lee & Lee 2003): sort-tile-recursive slices chosen by quickselect rather
 * than a full sort. Removal deletes the entry and drops nodes that become
 * empty, without reinsertion (as rbush does), which keeps it cheap. kNN is
 * best-first search (Hjaltason & Samet) over a private min-queue, pruned by
 * the k-th best distance seen so far, so far subtrees are never queued.
 *
 * Node storage. `boxes` is a plain JS array kept in V8's PACKED_DOUBLE
 * elements kind (each node copies a packed template), not a Float64Array:
 * a Float64Array over 64 bytes gets an off-heap backing store, and creating
 * one per node made splits and the GC that follows them the second biggest
 * cost of inserting (measured: 1e5 inserts took about 20% longer, searches
 * 30-50% longer). Unboxed doubles in a packed array read as fast.
 *
 * Node size. The default `maxEntries` is 16, chosen by measurement on the
 * 1e5-box workload of bench/struct/r-tree.bench.ts (CPU time, best of 10):
 * 9 (rbush's default) and 12 were slower to insert (238 and 181 ms against
 * 156 ms) and no faster to search; with a node's boxes contiguous, a wider
 * node costs little per entry and saves levels.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { numberError } from '../validate.ts';
import { DistanceQueue } from './r-tree-queue.ts';

/**
 * An axis-aligned 2-D box. Items stored in an {@link RTree} are boxes (any
 * object with these four numeric fields, plus whatever else it carries).
 * @example const box: Box = { minX: 0, minY: 0, maxX: 10, maxY: 5 };
 */
export interface Box {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/**
 * Options of an {@link RTree}.
 * @example new RTree({ maxEntries: 16 })
 */
export interface RTreeOptions {
  /** Most entries per node, an integer from 4 to 256 (default 16). */
  maxEntries?: number;
}

/**
 * What {@link RTree.toJSON} returns and {@link RTree.fromJSON} accepts.
 * @example const json: RTreeJSON<Box> = { maxEntries: 16, items: [] };
 */
export interface RTreeJSON<T extends Box = Box> {
  /** Node size of the tree. */
  maxEntries: number;
  /** Every item, in no particular order. */
  items: T[];
}

/** Default node size; see "Node size" in the design note. */
const DEFAULT_MAX_ENTRIES = 16;
const MIN_MAX_ENTRIES = 4;
const MAX_MAX_ENTRIES = 256;

/** One tree node; `children` holds items in a leaf and `RNode`s above. */
class RNode {
  boxes: number[];
  children: unknown[];
  count: number;
  height: number;
  isLeaf: boolean;

  constructor(template: readonly number[], height: number) {
    // A copy of a packed-double template: see "Node storage" in the design note.
    this.boxes = template.slice();
    this.children = [];
    this.count = 0;
    this.height = height;
    this.isLeaf = height === 1;
  }
}

/**
 * A dynamic R-tree of boxes, generic in the item type. Items are objects
 * with `minX, minY, maxX, maxY`; search results are the items themselves.
 * @example
 * const tree = new RTree<Box & { id: string }>();
 * tree.insert({ minX: 0, minY: 0, maxX: 2, maxY: 2, id: 'a' });
 * tree.search(1, 1, 3, 3); // [{ ..., id: 'a' }]
 */
export class RTree<T extends Box = Box> {
  /** Most entries per node. */
  readonly maxEntries: number;
  /** Fewest entries a split leaves in either half (40% of maxEntries, as in the R*-tree paper). */
  readonly minEntries: number;
  private root: RNode;
  private itemCount: number;
  // Scratch space reused by every call (the tree is single-threaded). The
  // only user code that runs while it is live is `equals` and `filter`, and
  // those must not query or change the same tree.
  private readonly pathNodes: RNode[];
  private readonly pathIndex: Int32Array;
  private stack: RNode[];
  private readonly order: Int32Array;
  private readonly sortKeys: Float64Array;
  private readonly prefix: Float64Array;
  private readonly suffix: Float64Array;
  private readonly scratchBoxes: Float64Array;
  private readonly scratchChildren: unknown[];
  private readonly queue: DistanceQueue<unknown>;
  private readonly template: number[];
  private readonly best: Float64Array;

  constructor(options: RTreeOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidArgumentError(`RTree options must be an object, got ${describe(options)}`);
    }
    const maxEntries = options.maxEntries === undefined ? DEFAULT_MAX_ENTRIES : options.maxEntries;
    if (!Number.isInteger(maxEntries) || maxEntries < MIN_MAX_ENTRIES || maxEntries > MAX_MAX_ENTRIES) {
      throw new (numberError(maxEntries))(
        `RTree maxEntries (${describe(maxEntries)}) must be an integer from ${MIN_MAX_ENTRIES} to ${MAX_MAX_ENTRIES}`,
      );
    }
    this.maxEntries = maxEntries;
    this.minEntries = Math.max(2, Math.ceil(maxEntries * 0.4));
    const cap = maxEntries + 1;
    this.template = packedDoubles(4 * cap);
    this.root = new RNode(this.template, 1);
    this.itemCount = 0;
    this.pathNodes = [];
    this.pathIndex = new Int32Array(64);
    this.stack = [];
    this.order = new Int32Array(cap);
    this.sortKeys = new Float64Array(cap);
    this.prefix = new Float64Array(4 * cap);
    this.suffix = new Float64Array(4 * cap);
    this.scratchBoxes = new Float64Array(4 * cap);
    this.scratchChildren = new Array<unknown>(cap).fill(undefined);
    this.queue = new DistanceQueue<unknown>(64, true);
    // k-best distances for nearest(); a larger k skips the pruning.
    this.best = new Float64Array(64);
  }

  /**
   * Number of items in the tree.
   * @example new RTree().size // 0
   */
  get size(): number {
    return this.itemCount;
  }

  /**
   * Adds one item. Throws `RangeError` (`OutOfRangeError`) if a coordinate is
   * NaN or infinite, or if minX > maxX or minY > maxY.
   * @example tree.insert({ minX: 1, minY: 1, maxX: 4, maxY: 3 })
   */
  insert(item: T): this {
    if (item === null || typeof item !== 'object') checkItemBox('RTree insert', item);
    const minX = item.minX;
    const minY = item.minY;
    const maxX = item.maxX;
    const maxY = item.maxY;
    // typeof first (null, [], true, '5' and bigints would pass the range test
    // coerced), then one comparison chain rejects NaN, inverted and infinite
    // boxes; the slow path then says which coordinate broke which rule.
    if (
      typeof minX !== 'number' ||
      typeof minY !== 'number' ||
      typeof maxX !== 'number' ||
      typeof maxY !== 'number' ||
      !(minX <= maxX && minY <= maxY && maxX - minX + (maxY - minY) < Infinity)
    ) {
      checkItemBox('RTree insert', item);
    }
    this.insertEntry(item, minX, minY, maxX, maxY, 1);
    this.itemCount++;
    return this;
  }

  /**
   * Bulk-loads items (OMT packing): much faster than inserting one by one and
   * yields a better tree. On a non-empty tree the result holds the old and
   * the new items, repacked together. Validates every box first, so a bad
   * box leaves the tree unchanged.
   * @example tree.load(boxes)
   */
  load(items: readonly T[]): this {
    if (!Array.isArray(items)) {
      throw new InvalidArgumentError(`RTree load items must be an array, got ${describe(items)}`);
    }
    for (let i = 0; i < items.length; i++) checkItemBox('RTree load', items[i]!, i);
    if (items.length === 0) return this;
    if (items.length < this.minEntries && this.itemCount > 0) {
      for (let i = 0; i < items.length; i++) this.insert(items[i]!);
      return this;
    }
    const all: T[] = this.itemCount > 0 ? this.all() : [];
    for (let i = 0; i < items.length; i++) all.push(items[i]!);
    this.root = this.build(all, 0, all.length - 1, 0);
    this.itemCount = all.length;
    return this;
  }

  /**
   * Removes one item: the first one found that is `=== item`, or for which
   * `equals(stored, item)` is true. The search is guided by `item`'s box,
   * so the box must equal the stored one. Returns whether an item was removed.
   * @example tree.remove(box); tree.remove({ ...box }, (a, b) => a.id === b.id)
   */
  remove(item: T, equals?: (stored: T, item: T) => boolean): boolean {
    if (equals !== undefined && typeof equals !== 'function') {
      throw new InvalidArgumentError(`RTree remove equals must be a function when given, got ${describe(equals)}`);
    }
    if (this.itemCount === 0 || item === null || typeof item !== 'object') return false;
    const minX = item.minX;
    const minY = item.minY;
    const maxX = item.maxX;
    const maxY = item.maxY;
    if (!(minX <= maxX && minY <= maxY)) return false;
    if (!this.removeIn(this.root, item, minX, minY, maxX, maxY, equals)) return false;
    this.itemCount--;
    let root = this.root;
    // Drop root levels with a single child so the height stays minimal.
    while (!root.isLeaf && root.count === 1) root = root.children[0] as RNode;
    if (root.count === 0) root = new RNode(this.template, 1);
    this.root = root;
    return true;
  }

  /**
   * Items whose boxes intersect the query box (touching edges count).
   * Infinite bounds are allowed; NaN or min > max throws `RangeError`.
   * @example tree.search(0, 0, 10, 10) // items overlapping that square
   */
  search(minX: number, minY: number, maxX: number, maxY: number): T[] {
    if (typeof minX !== 'number' || typeof minY !== 'number' || typeof maxX !== 'number' || typeof maxY !== 'number' || !(minX <= maxX && minY <= maxY)) {
      checkQuery('RTree search', minX, minY, maxX, maxY);
    }
    const result: T[] = [];
    let node = this.root;
    const stack = this.stack;
    let top = 0;
    for (;;) {
      const b = node.boxes;
      const ch = node.children;
      const n = node.count;
      if (node.isLeaf) {
        for (let i = 0, j = 0; i < n; i++, j += 4) {
          if (b[j] <= maxX && b[j + 1] <= maxY && b[j + 2] >= minX && b[j + 3] >= minY) result.push(ch[i] as T);
        }
      } else {
        for (let i = 0, j = 0; i < n; i++, j += 4) {
          if (b[j] <= maxX && b[j + 1] <= maxY && b[j + 2] >= minX && b[j + 3] >= minY) stack[top++] = ch[i] as RNode;
        }
      }
      if (top === 0) break;
      node = stack[--top]!;
    }
    return result;
  }

  /**
   * Whether any item intersects the query box; stops at the first one.
   * @example tree.collides(0, 0, 1, 1) // true or false
   */
  collides(minX: number, minY: number, maxX: number, maxY: number): boolean {
    if (typeof minX !== 'number' || typeof minY !== 'number' || typeof maxX !== 'number' || typeof maxY !== 'number' || !(minX <= maxX && minY <= maxY)) {
      checkQuery('RTree collides', minX, minY, maxX, maxY);
    }
    let node = this.root;
    const stack = this.stack;
    let top = 0;
    for (;;) {
      const b = node.boxes;
      const ch = node.children;
      const n = node.count;
      const isLeaf = node.isLeaf;
      for (let i = 0, j = 0; i < n; i++, j += 4) {
        if (b[j] <= maxX && b[j + 1] <= maxY && b[j + 2] >= minX && b[j + 3] >= minY) {
          if (isLeaf) return true;
          stack[top++] = ch[i] as RNode;
        }
      }
      if (top === 0) return false;
      node = stack[--top]!;
    }
  }

  /**
   * The `k` items nearest to the point (x, y), nearest first, by Euclidean
   * distance to the item's box (0 inside it). Only items within
   * `maxDistance` and accepted by `filter` count (`filter` may also be called
   * for candidates that are not returned; it must not use this tree). Ties
   * come in any order.
   * @example tree.nearest(5, 5, 3) // the three items closest to (5, 5)
   */
  nearest(x: number, y: number, k = 1, maxDistance = Infinity, filter?: (item: T) => boolean): T[] {
    checkNearest('RTree nearest', x, y, k, maxDistance);
    if (filter !== undefined && typeof filter !== 'function') {
      throw new InvalidArgumentError(`RTree nearest filter must be a function when given, got ${describe(filter)}`);
    }
    const result: T[] = [];
    if (k === 0 || this.itemCount === 0) return result;
    const queue = this.queue;
    queue.clear();
    // Pruning bound: the k-th smallest distance among accepted items queued
    // so far (maxDistance until k are queued); nothing farther can be in the
    // answer, so it is never queued. Tracked (sorted, in `best`) for small k.
    let bound = maxDistance * maxDistance;
    const best = this.best;
    const isTracking = k <= best.length;
    let bestCount = 0;
    let node: RNode | undefined = this.root;
    while (node !== undefined) {
      const b = node.boxes;
      const ch = node.children;
      const isLeaf = node.isLeaf;
      for (let i = 0, j = 0; i < node.count; i++, j += 4) {
        const d2 = boxDistance2(x, y, b[j], b[j + 1], b[j + 2], b[j + 3]);
        if (d2 > bound) continue;
        if (!isLeaf) {
          queue.push(ch[i], d2);
          continue;
        }
        if (filter !== undefined && !filter(ch[i] as T)) continue;
        queue.push(ch[i], d2);
        if (isTracking) {
          let p = bestCount < k ? bestCount++ : k - 1;
          while (p > 0 && best[p - 1] > d2) {
            best[p] = best[p - 1];
            p--;
          }
          best[p] = d2;
          if (bestCount === k) bound = best[k - 1];
        }
      }
      node = undefined;
      // Pop items until the queue's head is a node: an item at the head is
      // no farther than anything not yet expanded, so it is the next answer.
      while (queue.length > 0) {
        const head = queue.pop();
        if (head instanceof RNode) {
          node = head;
          break;
        }
        result.push(head as T);
        if (result.length === k) {
          queue.clear();
          return result;
        }
      }
    }
    queue.clear();
    return result;
  }

  /**
   * Every item, in tree order.
   * @example tree.all().length === tree.size // true
   */
  all(): T[] {
    const result: T[] = [];
    const stack: RNode[] = [this.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node.isLeaf) for (let i = 0; i < node.count; i++) result.push(node.children[i] as T);
      else for (let i = 0; i < node.count; i++) stack.push(node.children[i] as RNode);
    }
    return result;
  }

  /**
   * Removes every item.
   * @example tree.clear(); tree.size // 0
   */
  clear(): this {
    this.root = new RNode(this.template, 1);
    this.itemCount = 0;
    this.stack = [];
    return this;
  }

  /**
   * Bounds of all items, or undefined when empty.
   * @example tree.bounds() // { minX: 0, minY: 0, maxX: 100, maxY: 80 }
   */
  bounds(): Box | undefined {
    if (this.itemCount === 0) return undefined;
    const out = [0, 0, 0, 0];
    unionInto(this.root, out, 0);
    return { minX: out[0], minY: out[1], maxX: out[2], maxY: out[3] };
  }

  /**
   * A JSON-ready snapshot: the node size and every item. The tree's shape is
   * not kept; {@link RTree.fromJSON} bulk-loads the items again.
   * @example const json = JSON.stringify(tree); const copy = RTree.fromJSON(JSON.parse(json));
   */
  toJSON(): RTreeJSON<T> {
    return { maxEntries: this.maxEntries, items: this.all() };
  }

  /**
   * Rebuilds a tree from {@link RTree.toJSON}'s output (bulk load).
   * @example RTree.fromJSON({ maxEntries: 16, items: [{ minX: 0, minY: 0, maxX: 1, maxY: 1 }] })
   */
  static fromJSON<T extends Box>(json: RTreeJSON<T>): RTree<T> {
    if (json === null || typeof json !== 'object' || !Array.isArray(json.items)) {
      throw new InvalidArgumentError(`RTree.fromJSON json must be an object { maxEntries, items: [] }, got ${describe(json)}`);
    }
    return new RTree<T>({ maxEntries: json.maxEntries }).load(json.items);
  }

  /**
   * Height of the tree (1 for a single leaf); for diagnostics and tests.
   * @example new RTree().height // 1
   */
  get height(): number {
    return this.root.height;
  }

  // -------------------------------------------------------------------------
  // Insertion

  /** Inserts `entry` (an item, or a node of height `height - 1`) at the level whose nodes have height `height`. */
  private insertEntry(entry: unknown, minX: number, minY: number, maxX: number, maxY: number, height: number): void {
    const path = this.pathNodes;
    const pathIndex = this.pathIndex;
    let node = this.root;
    let depth = 0;
    path[0] = node;
    while (node.height > height) {
      const b = node.boxes;
      let best = 0;
      let bestGrowth = Infinity;
      let bestArea = Infinity;
      for (let i = 0, j = 0; i < node.count; i++, j += 4) {
        const x0 = b[j];
        const y0 = b[j + 1];
        const x1 = b[j + 2];
        const y1 = b[j + 3];
        const area = (x1 - x0) * (y1 - y0);
        const grown = ((x1 > maxX ? x1 : maxX) - (x0 < minX ? x0 : minX)) * ((y1 > maxY ? y1 : maxY) - (y0 < minY ? y0 : minY));
        const growth = grown - area;
        if (growth < bestGrowth || (growth === bestGrowth && area < bestArea)) {
          bestGrowth = growth;
          bestArea = area;
          best = i;
        }
      }
      // The entry goes into this child, so its box can be extended now.
      const j = 4 * best;
      if (minX < b[j]) b[j] = minX;
      if (minY < b[j + 1]) b[j + 1] = minY;
      if (maxX > b[j + 2]) b[j + 2] = maxX;
      if (maxY > b[j + 3]) b[j + 3] = maxY;
      pathIndex[depth] = best;
      node = node.children[best] as RNode;
      path[++depth] = node;
    }
    appendEntry(node, entry, minX, minY, maxX, maxY);
    // Split overflowing nodes bottom-up; a level that did not split leaves
    // its parent's count unchanged, so the walk stops there.
    while (depth >= 0) {
      const full = path[depth]!;
      if (full.count <= this.maxEntries) break;
      const sibling = this.split(full);
      if (depth === 0) {
        const root = new RNode(this.template, full.height + 1);
        appendNode(root, full);
        appendNode(root, sibling);
        this.root = root;
      } else {
        const parent = path[depth - 1]!;
        unionInto(full, parent.boxes, 4 * pathIndex[depth - 1]);
        appendNode(parent, sibling);
      }
      depth--;
    }
  }

  /** R*-tree split of a node holding maxEntries + 1 entries; returns the new sibling. */
  private split(node: RNode): RNode {
    const total = node.count;
    const m = this.minEntries;
    const b = node.boxes;
    const marginX = this.sortAndMargin(b, total, 0, m);
    const marginY = this.sortAndMargin(b, total, 1, m);
    // The order is left sorted by minY; re-sort by minX if x is the better axis.
    if (marginX < marginY) this.sortAndMargin(b, total, 0, m);
    const order = this.order;
    const pre = this.prefix;
    const suf = this.suffix;
    let bestK = m;
    let bestOverlap = Infinity;
    let bestArea = Infinity;
    for (let k = m; k <= total - m; k++) {
      const l = 4 * (k - 1);
      const r = 4 * k;
      const ox = Math.min(pre[l + 2], suf[r + 2]) - Math.max(pre[l], suf[r]);
      const oy = Math.min(pre[l + 3], suf[r + 3]) - Math.max(pre[l + 1], suf[r + 1]);
      const overlap = ox > 0 && oy > 0 ? ox * oy : 0;
      const area = (pre[l + 2] - pre[l]) * (pre[l + 3] - pre[l + 1]) + (suf[r + 2] - suf[r]) * (suf[r + 3] - suf[r + 1]);
      if (overlap < bestOverlap || (overlap === bestOverlap && area < bestArea)) {
        bestOverlap = overlap;
        bestArea = area;
        bestK = k;
      }
    }
    // Redistribute: the first bestK entries (in sorted order) stay.
    const oldBoxes = this.scratchBoxes;
    const oldChildren = this.scratchChildren;
    for (let i = 0, end = 4 * total; i < end; i++) oldBoxes[i] = b[i];
    const ch = node.children;
    for (let i = 0; i < total; i++) oldChildren[i] = ch[i];
    ch.length = 0;
    node.count = 0;
    const sibling = new RNode(this.template, node.height);
    for (let i = 0; i < total; i++) {
      const src = order[i];
      const j = 4 * src;
      appendEntry(i < bestK ? node : sibling, oldChildren[src], oldBoxes[j], oldBoxes[j + 1], oldBoxes[j + 2], oldBoxes[j + 3]);
      oldChildren[src] = undefined;
    }
    return sibling;
  }

  /**
   * Sorts entry indices by min coordinate on `axis` (0 x, 1 y) into `order`,
   * fills the prefix/suffix unions for that order and returns the sum of
   * margins of every allowed split (the R*-tree axis criterion).
   */
  private sortAndMargin(b: number[], total: number, axis: number, m: number): number {
    const order = this.order;
    const keys = this.sortKeys;
    // Insertion sort: at most 257 entries and usually 17, nearly sorted by
    // the previous axis' pass often enough; no comparator calls.
    for (let i = 0; i < total; i++) {
      const key = b[4 * i + axis];
      let p = i - 1;
      while (p >= 0 && keys[p] > key) {
        keys[p + 1] = keys[p];
        order[p + 1] = order[p];
        p--;
      }
      keys[p + 1] = key;
      order[p + 1] = i;
    }
    const pre = this.prefix;
    const suf = this.suffix;
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < total; i++) {
      const j = 4 * order[i];
      if (b[j] < x0) x0 = b[j];
      if (b[j + 1] < y0) y0 = b[j + 1];
      if (b[j + 2] > x1) x1 = b[j + 2];
      if (b[j + 3] > y1) y1 = b[j + 3];
      const o = 4 * i;
      pre[o] = x0;
      pre[o + 1] = y0;
      pre[o + 2] = x1;
      pre[o + 3] = y1;
    }
    x0 = Infinity;
    y0 = Infinity;
    x1 = -Infinity;
    y1 = -Infinity;
    for (let i = total - 1; i >= 0; i--) {
      const j = 4 * order[i];
      if (b[j] < x0) x0 = b[j];
      if (b[j + 1] < y0) y0 = b[j + 1];
      if (b[j + 2] > x1) x1 = b[j + 2];
      if (b[j + 3] > y1) y1 = b[j + 3];
      const o = 4 * i;
      suf[o] = x0;
      suf[o + 1] = y0;
      suf[o + 2] = x1;
      suf[o + 3] = y1;
    }
    let margin = 0;
    for (let k = m; k <= total - m; k++) {
      const l = 4 * (k - 1);
      const r = 4 * k;
      margin += pre[l + 2] - pre[l] + (pre[l + 3] - pre[l + 1]) + (suf[r + 2] - suf[r]) + (suf[r + 3] - suf[r + 1]);
    }
    return margin;
  }

  // -------------------------------------------------------------------------
  // Removal

  private removeIn(
    node: RNode,
    item: T,
    minX: number,
    minY: number,
    maxX: number,
    maxY: number,
    equals: ((stored: T, item: T) => boolean) | undefined,
  ): boolean {
    const b = node.boxes;
    const ch = node.children;
    if (node.isLeaf) {
      for (let i = 0; i < node.count; i++) {
        if (equals === undefined ? ch[i] === item : equals(ch[i] as T, item)) {
          removeAt(node, i);
          return true;
        }
      }
      return false;
    }
    for (let i = 0, j = 0; i < node.count; i++, j += 4) {
      if (b[j] <= minX && b[j + 1] <= minY && b[j + 2] >= maxX && b[j + 3] >= maxY) {
        const child = ch[i] as RNode;
        if (this.removeIn(child, item, minX, minY, maxX, maxY, equals)) {
          if (child.count === 0) removeAt(node, i);
          else unionInto(child, b, j);
          return true;
        }
      }
    }
    return false;
  }

  // -------------------------------------------------------------------------
  // Bulk load (OMT)

  /** Packs items[left..right] into a subtree of the given height (0: choose it, this is the root). */
  private build(items: T[], left: number, right: number, height: number): RNode {
    const n = right - left + 1;
    const max = this.maxEntries;
    const cap = max + 1;
    if (height === 0) height = n <= max ? 1 : Math.ceil(Math.log(n) / Math.log(max));
    // Floating-point log can land one level short; make sure max^height >= n.
    while (max ** height < n) height++;
    const node = new RNode(this.template, height);
    if (height === 1) {
      for (let i = left; i <= right; i++) {
        const it = items[i]!;
        appendEntry(node, it, it.minX, it.minY, it.maxX, it.maxY);
      }
      return node;
    }
    // As few children as the level below can hold, each as full as the others.
    const childCapacity = max ** (height - 1);
    const children = Math.ceil(n / childCapacity);
    const perChild = Math.ceil(n / children);
    const perSlice = perChild * Math.ceil(Math.sqrt(children));
    multiSelect(items, left, right, perSlice, 0);
    for (let i = left; i <= right; i += perSlice) {
      const sliceEnd = Math.min(i + perSlice - 1, right);
      multiSelect(items, i, sliceEnd, perChild, 1);
      for (let j = i; j <= sliceEnd; j += perChild) {
        appendNode(node, this.build(items, j, Math.min(j + perChild - 1, sliceEnd), height - 1));
      }
    }
    return node;
  }
}

// ---------------------------------------------------------------------------
// Node helpers (module functions: monomorphic, no `this`).

/** A PACKED_DOUBLE_ELEMENTS array of `length` zeros (never holey, never Smi). */
function packedDoubles(length: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < length; i++) out.push(0.5);
  out.fill(0);
  return out;
}

function appendEntry(node: RNode, entry: unknown, minX: number, minY: number, maxX: number, maxY: number): void {
  const j = 4 * node.count;
  const b = node.boxes;
  b[j] = minX;
  b[j + 1] = minY;
  b[j + 2] = maxX;
  b[j + 3] = maxY;
  node.children.push(entry);
  node.count++;
}

function appendNode(parent: RNode, child: RNode): void {
  const j = 4 * parent.count;
  unionInto(child, parent.boxes, j);
  parent.children.push(child);
  parent.count++;
}

/** Writes the union of `node`'s entries to out[at..at+3]. */
function unionInto(node: RNode, out: number[], at: number): void {
  const b = node.boxes;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let j = 0, end = 4 * node.count; j < end; j += 4) {
    if (b[j] < x0) x0 = b[j];
    if (b[j + 1] < y0) y0 = b[j + 1];
    if (b[j + 2] > x1) x1 = b[j + 2];
    if (b[j + 3] > y1) y1 = b[j + 3];
  }
  out[at] = x0;
  out[at + 1] = y0;
  out[at + 2] = x1;
  out[at + 3] = y1;
}

/** Removes entry i by moving the last entry into its slot (order inside a node is free). */
function removeAt(node: RNode, i: number): void {
  const last = node.count - 1;
  const ch = node.children;
  if (i !== last) {
    const b = node.boxes;
    const j = 4 * i;
    const l = 4 * last;
    b[j] = b[l];
    b[j + 1] = b[l + 1];
    b[j + 2] = b[l + 2];
    b[j + 3] = b[l + 3];
    ch[i] = ch[last];
  }
  ch.pop();
  node.count = last;
}

/**
 * Squared distance from (x, y) to a box; 0 inside it.
 * @internal shared with the packed tree through copy, not import: both are hot.
 */
function boxDistance2(x: number, y: number, minX: number, minY: number, maxX: number, maxY: number): number {
  const dx = x < minX ? minX - x : x > maxX ? x - maxX : 0;
  const dy = y < minY ? minY - y : y > maxY ? y - maxY : 0;
  return dx * dx + dy * dy;
}

function keyOf(item: Box, axis: number): number {
  return axis === 0 ? item.minX : item.minY;
}

/**
 * Rearranges items[left..right] so that every run of `n` items (counted from
 * `left`) holds no key greater than any key of a later run: divide and
 * conquer over quickselect, O(N log(N/n)).
 */
function multiSelect(items: Box[], left: number, right: number, n: number, axis: number): void {
  const stack = [left, right];
  while (stack.length > 0) {
    const hi = stack.pop()!;
    const lo = stack.pop()!;
    if (hi - lo <= n) continue;
    const mid = lo + Math.ceil((hi - lo) / n / 2) * n;
    quickselect(items, mid, lo, hi, axis);
    stack.push(lo, mid, mid, hi);
  }
}

/** Moves the item of rank k (within left..right) to index k, smaller keys before it, larger after. */
function quickselect(items: Box[], k: number, left: number, right: number, axis: number): void {
  while (right > left) {
    // Median of three as the pivot, which also guards the sorted input case.
    const mid = (left + right) >> 1;
    if (keyOf(items[mid]!, axis) < keyOf(items[left]!, axis)) swap(items, mid, left);
    if (keyOf(items[right]!, axis) < keyOf(items[left]!, axis)) swap(items, right, left);
    if (keyOf(items[right]!, axis) < keyOf(items[mid]!, axis)) swap(items, right, mid);
    const pivot = keyOf(items[mid]!, axis);
    let i = left;
    let j = right;
    while (i <= j) {
      while (keyOf(items[i]!, axis) < pivot) i++;
      while (keyOf(items[j]!, axis) > pivot) j--;
      if (i <= j) {
        swap(items, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

function swap(items: Box[], i: number, j: number): void {
  const t = items[i]!;
  items[i] = items[j]!;
  items[j] = t;
}

// ---------------------------------------------------------------------------
// Validation (slow paths only: the hot paths test with one comparison chain).

function checkCoordinate(where: string, name: string, value: unknown): void {
  if (typeof value !== 'number') {
    throw new InvalidArgumentError(`${where} ${name} must be a finite number, got ${describe(value)}`);
  }
  if (!Number.isFinite(value)) {
    throw new (numberError(value))(`${where} ${name} (${describe(value)}) must be a finite number`);
  }
}

function checkItemBox(where: string, item: Box, index?: number): void {
  const at = index === undefined ? where : `${where} item ${index}`;
  if (item === null || typeof item !== 'object') {
    throw new InvalidArgumentError(`${at} must be an object with minX, minY, maxX, maxY, got ${describe(item)}`);
  }
  checkCoordinate(at, 'minX', item.minX);
  checkCoordinate(at, 'minY', item.minY);
  checkCoordinate(at, 'maxX', item.maxX);
  checkCoordinate(at, 'maxY', item.maxY);
  if (item.minX > item.maxX) throw new OutOfRangeError(`${at} minX (${item.minX}) must be <= maxX (${item.maxX})`);
  if (item.minY > item.maxY) throw new OutOfRangeError(`${at} minY (${item.minY}) must be <= maxY (${item.maxY})`);
}

function checkQuery(where: string, minX: number, minY: number, maxX: number, maxY: number): void {
  const names = ['minX', 'minY', 'maxX', 'maxY'];
  const values = [minX, minY, maxX, maxY];
  for (let i = 0; i < 4; i++) {
    if (typeof values[i] !== 'number') {
      throw new InvalidArgumentError(`${where} ${names[i]} must be a number, not NaN, got ${describe(values[i])}`);
    }
    if (Number.isNaN(values[i])) {
      throw new (numberError(values[i]))(`${where} ${names[i]} (${describe(values[i])}) must be a number, not NaN`);
    }
  }
  if (minX > maxX) throw new OutOfRangeError(`${where} minX (${minX}) must be <= maxX (${maxX})`);
  if (minY > maxY) throw new OutOfRangeError(`${where} minY (${minY}) must be <= maxY (${maxY})`);
}

function checkNearest(where: string, x: number, y: number, k: number, maxDistance: number): void {
  if (typeof x !== 'number' || Number.isNaN(x)) throw new (numberError(x))(`${where} x (${describe(x)}) must be a number, not NaN`);
  if (typeof y !== 'number' || Number.isNaN(y)) throw new (numberError(y))(`${where} y (${describe(y)}) must be a number, not NaN`);
  if (!Number.isInteger(k) || k < 0) throw new (numberError(k))(`${where} k (${describe(k)}) must be a non-negative integer`);
  if (typeof maxDistance !== 'number' || !(maxDistance >= 0)) {
    throw new (numberError(maxDistance))(`${where} maxDistance (${describe(maxDistance)}) must be a number >= 0`);
  }
}
