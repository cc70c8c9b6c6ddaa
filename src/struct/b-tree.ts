/**
 * BTree: an ordered map (a B+ tree) with a comparator.
 *
 * Layout. Every node keeps its keys in a plain JS array. A leaf also holds a
 * parallel `values` array and links to its neighbours (`prev`/`next`), so a
 * range walk never climbs back up the tree. An internal node holds
 * `children` (one more than its keys) and separator keys: for every i,
 *   max(children[i]) < keys[i] <= min(children[i + 1]).
 * A separator may be stale (its key deleted since); the rule above still
 * holds, which is all the descent needs, so a delete never rewrites parents
 * unless it rebalances. Every node has the same fields (unused ones are null)
 * so all nodes share one hidden class and every property access stays
 * monomorphic.
 *
 * Invariants (checked by `checkValid()`): all leaves at the same depth; every
 * node but the root holds between floor(M / 2) and M keys (M = maxNodeSize
 * for leaves, maxInnerNodeSize for internal nodes); keys strictly ascending
 * within a node and across the leaf chain.
 *
 * Speed tricks, and why.
 * - The order is chosen once, in the constructor. Without a comparator the
 *   tree uses the `<` operator inline in a binary search (`lowerNat`,
 *   `upperNat`): no function call per comparison, which is most of the cost
 *   of a lookup in a tree that calls a comparator. To keep `<` a total order
 *   the default order accepts numbers or strings, not both in one tree, and
 *   rejects NaN; each operation checks its key once (a `typeof`), never per
 *   comparison.
 * - Insert and delete descend iteratively and remember the path in two arrays
 *   owned by the tree, so splits and merges walk back up without recursion,
 *   closures or allocation.
 * - Node size was measured (interleaved in one process, 1e5 and 1e6 random
 *   number keys, the workloads of bench/struct/b-tree.bench.ts, Node 20):
 *   leaves of 32, 64, 128, 256 and 512 keys, and internal nodes of 128 or
 *   256. Each doubling from 32 to 256 made get and range 10-30% faster (a
 *   level less to chase, fewer leaves per range) and insert no slower:
 *   moving up to 2 KB of a leaf in a splice costs less than the cache misses
 *   of a deeper tree. 512 was within noise of 256 on get, at most ~10%
 *   faster on range, and doubles the bytes each insert and delete moves, so
 *   both defaults are 256. Smaller leaves under larger internal nodes
 *   (64/256, 128/256) were not faster, but the two sizes stay separate
 *   options (`maxNodeSize`, `maxInnerNodeSize`) for keys that are costly to
 *   move or compare.
 * - Range walks follow the leaf links; the callback form (`forEachRange`)
 *   allocates nothing per entry.
 *
 * Failure safety: every comparator call happens before the first write of an
 * operation, so a comparator that throws leaves the tree exactly as it was.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { numberError } from '../validate.ts';
import {
  ConcurrentModificationError,
  StructureInvariantError,
  checkComparator,
  naturalKeyKind,
  rejectNaN,
  type NaturalKind,
} from './errors.ts';

/**
 * Orders two keys: negative if a < b, positive if a > b, 0 if equal. Must be a total order.
 * @example const byLength: KeyComparator<string> = (a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
 */
export type KeyComparator<K> = (a: K, b: K) => number;

/**
 * Options of {@link BTree}.
 * @example new BTree<string, number>({ comparator: (a, b) => a.localeCompare(b), maxNodeSize: 32 })
 */
export interface BTreeOptions<K> {
  /** Key order; default: numbers ascending or strings by UTF-16 code units (one kind per tree, NaN rejected). */
  comparator?: KeyComparator<K>;
  /** Most keys a leaf holds, an integer from 4 to 1024; default {@link DEFAULT_MAX_NODE_SIZE} (measured, see the design note). */
  maxNodeSize?: number;
  /** Most keys an internal node holds, an integer from 4 to 1024; default {@link DEFAULT_MAX_INNER_NODE_SIZE}. */
  maxInnerNodeSize?: number;
}

/** Default number of keys per leaf: the fastest in our benchmarks (see the design note). @example new BTree().maxNodeSize === DEFAULT_MAX_NODE_SIZE // true */
export const DEFAULT_MAX_NODE_SIZE = 256;
/** Default number of keys per internal node (see the design note). @example new BTree().maxInnerNodeSize === DEFAULT_MAX_INNER_NODE_SIZE // true */
export const DEFAULT_MAX_INNER_NODE_SIZE = 256;

class BNode<K, V> {
  keys: K[];
  /** Leaf only: values parallel to keys. */
  values: V[] | null;
  /** Internal only: keys.length + 1 children. */
  children: BNode<K, V>[] | null;
  /** Leaf only: neighbours in key order. */
  prev: BNode<K, V> | null;
  next: BNode<K, V> | null;
  constructor(keys: K[], values: V[] | null, children: BNode<K, V>[] | null) {
    this.keys = keys;
    this.values = values;
    this.children = children;
    this.prev = null;
    this.next = null;
  }
}

// Binary searches under the default order. Keys are all numbers or all
// strings (enforced per operation), so `<` is a total order here.
/** First index whose key is >= key. */
function lowerNat(keys: unknown[], key: unknown): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as number) < (key as number)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
/** First index whose key is > key. */
function upperNat(keys: unknown[], key: unknown): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as number) <= (key as number)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
function lowerCmp<K>(keys: K[], key: K, cmp: KeyComparator<K>): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(keys[mid], key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
function upperCmp<K>(keys: K[], key: K, cmp: KeyComparator<K>): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(keys[mid], key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
function natCompare(a: unknown, b: unknown): number {
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

const MODE_ENTRIES = 0;
const MODE_KEYS = 1;
const MODE_VALUES = 2;

/**
 * An iterator over a run of leaf slots, forwards or backwards, stopping at an
 * optional bound. A hand-written class rather than a generator: V8 keeps it
 * small and `next()` cheap.
 */
class BTreeIterator<K, V, R> implements IterableIterator<R> {
  private readonly tree: BTree<K, V>;
  private leaf: BNode<K, V> | null;
  private index: number;
  private readonly reverse: boolean;
  private readonly hasBound: boolean;
  private readonly bound: K | undefined;
  private readonly mode: number;
  private readonly version: number;
  constructor(tree: BTree<K, V>, leaf: BNode<K, V> | null, index: number, reverse: boolean, hasBound: boolean, bound: K | undefined, mode: number, version: number) {
    this.tree = tree;
    this.leaf = leaf;
    this.index = index;
    this.reverse = reverse;
    this.hasBound = hasBound;
    this.bound = bound;
    this.mode = mode;
    this.version = version;
  }
  next(): IteratorResult<R> {
    const leaf = this.leaf;
    if (leaf === null) return { value: undefined, done: true };
    if (this.tree.version !== this.version) throw new ConcurrentModificationError('BTree');
    const i = this.index;
    const key = leaf.keys[i];
    if (this.hasBound) {
      // Forwards the bound is exclusive (stop at key >= hi); backwards inclusive (stop at key < lo).
      const c = this.tree._compare(key, this.bound as K);
      if (this.reverse ? c < 0 : c >= 0) {
        this.leaf = null;
        return { value: undefined, done: true };
      }
    }
    if (this.reverse) {
      if (i > 0) this.index = i - 1;
      else {
        this.leaf = leaf.prev;
        this.index = leaf.prev === null ? 0 : leaf.prev.keys.length - 1;
      }
    } else if (i + 1 < leaf.keys.length) this.index = i + 1;
    else {
      this.leaf = leaf.next;
      this.index = 0;
    }
    const value = (leaf.values as V[])[i];
    const out = this.mode === MODE_ENTRIES ? [key, value] : this.mode === MODE_KEYS ? key : value;
    return { value: out as R, done: false };
  }
  [Symbol.iterator](): IterableIterator<R> {
    return this;
  }
}

/**
 * An ordered map: get/set/has/delete in O(log n), ordered iteration and
 * half-open range queries `[lo, hi)` forwards and backwards.
 * @example
 * const t = new BTree<number, string>();
 * t.set(3, 'c').set(1, 'a').set(2, 'b');
 * [...t.keys()]          // [1, 2, 3]
 * [...t.range(2, 10)]    // [[2, 'b'], [3, 'c']]
 */
export class BTree<K = number, V = unknown> implements Iterable<[K, V]> {
  /** Most keys per leaf. */
  readonly maxNodeSize: number;
  /** Most keys per internal node. */
  readonly maxInnerNodeSize: number;
  /** Fewest keys per leaf other than the root: floor(maxNodeSize / 2). */
  private readonly minKeys: number;
  /** Fewest keys per internal node other than the root: floor(maxInnerNodeSize / 2). */
  private readonly minInnerKeys: number;
  private readonly cmp: KeyComparator<K>;
  /** True when no comparator was given: searches use `<` inline. */
  private readonly natural: boolean;
  /** Under the default order, the kind of the stored keys (0 while empty). */
  private kind: NaturalKind;
  private root: BNode<K, V>;
  private count: number;
  private depth: number;
  /** Bumped by every structural change; iterators compare it. @internal */
  version: number;
  // The path of the last descent: pathNodes[d] is the internal node at depth
  // d, pathIndex[d] the child taken. Reused, so a descent allocates nothing.
  private readonly pathNodes: BNode<K, V>[];
  private readonly pathIndex: number[];

  /**
   * @example new BTree<number, string>({ maxNodeSize: 32 })
   */
  constructor(options: BTreeOptions<K> = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidArgumentError(`BTree options must be an object when given, got ${describe(options)}`);
    }
    const { comparator, maxNodeSize = DEFAULT_MAX_NODE_SIZE, maxInnerNodeSize = DEFAULT_MAX_INNER_NODE_SIZE } = options;
    checkComparator('BTree', comparator);
    for (const [name, value] of [['maxNodeSize', maxNodeSize], ['maxInnerNodeSize', maxInnerNodeSize]] as const) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 4 || value > 1024) {
        throw new (numberError(value))(`BTree ${name} (${describe(value)}) must be an integer from 4 to 1024`);
      }
    }
    this.maxNodeSize = maxNodeSize;
    this.maxInnerNodeSize = maxInnerNodeSize;
    this.minKeys = maxNodeSize >>> 1;
    this.minInnerKeys = maxInnerNodeSize >>> 1;
    this.natural = comparator === undefined;
    this.cmp = comparator ?? (natCompare as KeyComparator<K>);
    this.kind = 0;
    this.root = new BNode<K, V>([], [], null);
    this.count = 0;
    this.depth = 0;
    this.version = 0;
    this.pathNodes = [];
    this.pathIndex = [];
  }

  /**
   * Builds a tree from entries already in strictly ascending key order, in
   * O(n), with every node filled evenly (no splits). Throws
   * `InvalidArgumentError` on an entry that is not above its predecessor
   * (duplicates included), naming both indexes.
   * @example BTree.fromSorted([[1, 'a'], [2, 'b']]).get(2) // 'b'
   */
  static fromSorted<K, V>(entries: Iterable<readonly [K, V]>, options: BTreeOptions<K> = {}): BTree<K, V> {
    const tree = new BTree<K, V>(options);
    if (entries === null || typeof entries !== 'object' || typeof (entries as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new InvalidArgumentError(`BTree.fromSorted entries must be an iterable of [key, value], got ${describe(entries)}`);
    }
    const keys: K[] = [];
    const values: V[] = [];
    let kind: NaturalKind = 0;
    for (const entry of entries) {
      const i = keys.length;
      if (!Array.isArray(entry)) {
        throw new InvalidArgumentError(`BTree.fromSorted entry ${i} must be a [key, value] array, got ${describe(entry)}`);
      }
      const key = entry[0] as K;
      if (tree.natural) kind = naturalKeyKind('BTree', 'fromSorted', key, kind);
      else rejectNaN('BTree', 'fromSorted', key);
      if (i > 0 && tree.cmp(keys[i - 1], key) >= 0) {
        throw new InvalidArgumentError(
          `BTree.fromSorted keys must be strictly ascending (no duplicates): key ${i} (${describe(key)}) is not above key ${i - 1} (${describe(keys[i - 1])})`,
        );
      }
      keys.push(key);
      values.push(entry[1]);
    }
    tree.kind = kind;
    tree.buildFrom(keys, values);
    return tree;
  }

  /** Number of entries. @example new BTree().size // 0 */
  get size(): number {
    return this.count;
  }

  /** Levels below the root (0 while the root is a leaf). @example new BTree().height // 0 */
  get height(): number {
    return this.depth;
  }

  /**
   * Compares two keys with the tree's order (the comparator, or the default order).
   * @example new BTree().compareKeys(1, 2) // -1
   */
  compareKeys(a: K, b: K): number {
    if (this.natural) naturalKeyKind('BTree', 'compareKeys', b, naturalKeyKind('BTree', 'compareKeys', a, 0));
    return this.cmp(a, b);
  }

  /** The order without key checks, for iterators whose keys were checked when stored. @internal */
  _compare(a: K, b: K): number {
    return this.cmp(a, b);
  }

  private checkKey(op: string, key: K): void {
    if (this.natural) naturalKeyKind('BTree', op, key, this.count === 0 ? 0 : this.kind);
    else rejectNaN('BTree', op, key);
  }

  /** Descends to the leaf that holds or would hold `key`, recording the path. */
  private descend(key: K): BNode<K, V> {
    let node = this.root;
    let d = 0;
    const pathNodes = this.pathNodes;
    const pathIndex = this.pathIndex;
    if (this.natural) {
      while (node.children !== null) {
        const i = upperNat(node.keys, key);
        pathNodes[d] = node;
        pathIndex[d] = i;
        d++;
        node = node.children[i];
      }
    } else {
      const cmp = this.cmp;
      while (node.children !== null) {
        const i = upperCmp(node.keys, key, cmp);
        pathNodes[d] = node;
        pathIndex[d] = i;
        d++;
        node = node.children[i];
      }
    }
    return node;
  }

  /**
   * The value stored under `key`, or undefined.
   * @example new BTree<number, string>().set(1, 'a').get(1) // 'a'
   */
  get(key: K): V | undefined {
    let node = this.root;
    if (this.natural) {
      if (typeof key !== 'number' || key !== key || (this.kind !== 1 && this.kind !== 0)) this.checkKey('get', key);
      while (node.children !== null) node = node.children[upperNat(node.keys, key)];
      const keys = node.keys;
      const i = lowerNat(keys, key);
      return i < keys.length && keys[i] === key ? (node.values as V[])[i] : undefined;
    }
    rejectNaN('BTree', 'get', key);
    const cmp = this.cmp;
    while (node.children !== null) node = node.children[upperCmp(node.keys, key, cmp)];
    const keys = node.keys;
    const i = lowerCmp(keys, key, cmp);
    return i < keys.length && cmp(keys[i], key) === 0 ? (node.values as V[])[i] : undefined;
  }

  /**
   * Whether `key` is present.
   * @example new BTree().set(1, 'a').has(1) // true
   */
  has(key: K): boolean {
    let node = this.root;
    if (this.natural) {
      if (typeof key !== 'number' || key !== key || (this.kind !== 1 && this.kind !== 0)) this.checkKey('has', key);
      while (node.children !== null) node = node.children[upperNat(node.keys, key)];
      const keys = node.keys;
      const i = lowerNat(keys, key);
      return i < keys.length && keys[i] === key;
    }
    rejectNaN('BTree', 'has', key);
    const cmp = this.cmp;
    while (node.children !== null) node = node.children[upperCmp(node.keys, key, cmp)];
    const keys = node.keys;
    const i = lowerCmp(keys, key, cmp);
    return i < keys.length && cmp(keys[i], key) === 0;
  }

  /**
   * Stores `value` under `key` (replacing the value of an equal key, which keeps its original key object). Returns the tree.
   * @example new BTree<string, number>().set('a', 1).set('b', 2).size // 2
   */
  set(key: K, value: V): this {
    let k: NaturalKind = 0;
    if (this.natural) {
      // Fast path: a number key in a number tree needs no call.
      if (typeof key === 'number' && key === key && this.kind === 1) k = 1;
      else k = naturalKeyKind('BTree', 'set', key, this.count === 0 ? 0 : this.kind);
    } else rejectNaN('BTree', 'set', key);
    const leaf = this.descend(key);
    const keys = leaf.keys;
    let i: number;
    if (this.natural) {
      i = lowerNat(keys, key);
      if (i < keys.length && keys[i] === key) {
        (leaf.values as V[])[i] = value;
        return this;
      }
    } else {
      i = lowerCmp(keys, key, this.cmp);
      if (i < keys.length && this.cmp(keys[i], key) === 0) {
        (leaf.values as V[])[i] = value;
        return this;
      }
    }
    // No comparator calls from here on: the write cannot be interrupted.
    if (this.natural) this.kind = k;
    const values = leaf.values as V[];
    if (i === keys.length) {
      keys.push(key);
      values.push(value);
    } else {
      keys.splice(i, 0, key);
      values.splice(i, 0, value);
    }
    this.count++;
    this.version++;
    if (keys.length > this.maxNodeSize) this.splitUp(leaf);
    return this;
  }

  /** Splits an overfull node and walks up the recorded path while parents overflow. */
  private splitUp(node: BNode<K, V>): void {
    let d = this.depth;
    while (node.keys.length > (node.children === null ? this.maxNodeSize : this.maxInnerNodeSize)) {
      const keys = node.keys;
      let right: BNode<K, V>;
      let separator: K;
      if (node.children === null) {
        const half = keys.length >>> 1;
        right = new BNode<K, V>(keys.splice(half), (node.values as V[]).splice(half), null);
        separator = right.keys[0];
        right.next = node.next;
        right.prev = node;
        if (node.next !== null) node.next.prev = right;
        node.next = right;
      } else {
        // keys.length = max + 1: the middle key moves up, the halves keep the rest.
        const mid = keys.length >>> 1;
        separator = keys[mid];
        right = new BNode<K, V>(keys.splice(mid + 1), null, node.children.splice(mid + 1));
        keys.length = mid;
      }
      if (d === 0) {
        this.root = new BNode<K, V>([separator], null, [node, right]);
        this.depth++;
        return;
      }
      d--;
      const parent = this.pathNodes[d];
      const at = this.pathIndex[d];
      parent.keys.splice(at, 0, separator);
      (parent.children as BNode<K, V>[]).splice(at + 1, 0, right);
      node = parent;
    }
  }

  /**
   * Removes `key`; returns whether it was present.
   * @example const t = new BTree().set(1, 'a'); t.delete(1) // true
   */
  delete(key: K): boolean {
    if (!(typeof key === 'number' && key === key && this.kind === 1 && this.natural)) this.checkKey('delete', key);
    const leaf = this.descend(key);
    const keys = leaf.keys;
    let i: number;
    if (this.natural) {
      i = lowerNat(keys, key);
      if (i >= keys.length || keys[i] !== key) return false;
    } else {
      i = lowerCmp(keys, key, this.cmp);
      if (i >= keys.length || this.cmp(keys[i], key) !== 0) return false;
    }
    keys.splice(i, 1);
    (leaf.values as V[]).splice(i, 1);
    this.count--;
    this.version++;
    if (keys.length < this.minKeys && this.depth > 0) this.rebalance(leaf);
    return true;
  }

  /** Restores the fill bound after a delete: borrow from a sibling, else merge, walking up the path. */
  private rebalance(node: BNode<K, V>): void {
    let d = this.depth;
    let min = this.minKeys;
    while (d > 0 && node.keys.length < min) {
      d--;
      const parent = this.pathNodes[d];
      const at = this.pathIndex[d];
      const siblings = parent.children as BNode<K, V>[];
      const left = at > 0 ? siblings[at - 1] : null;
      const right = at + 1 < siblings.length ? siblings[at + 1] : null;
      if (node.children === null) {
        const values = node.values as V[];
        if (left !== null && left.keys.length > min) {
          node.keys.unshift(left.keys.pop() as K);
          values.unshift((left.values as V[]).pop() as V);
          parent.keys[at - 1] = node.keys[0];
          return;
        }
        if (right !== null && right.keys.length > min) {
          node.keys.push(right.keys.shift() as K);
          values.push((right.values as V[]).shift() as V);
          parent.keys[at] = right.keys[0];
          return;
        }
        if (left !== null) {
          pushAll(left.keys, node.keys);
          pushAll(left.values as V[], values);
          unlinkLeaf(node);
          parent.keys.splice(at - 1, 1);
          siblings.splice(at, 1);
        } else if (right !== null) {
          pushAll(node.keys, right.keys);
          pushAll(values, right.values as V[]);
          unlinkLeaf(right);
          parent.keys.splice(at, 1);
          siblings.splice(at + 1, 1);
        }
      } else {
        const children = node.children;
        if (left !== null && left.keys.length > min) {
          node.keys.unshift(parent.keys[at - 1]);
          parent.keys[at - 1] = left.keys.pop() as K;
          children.unshift((left.children as BNode<K, V>[]).pop() as BNode<K, V>);
          return;
        }
        if (right !== null && right.keys.length > min) {
          node.keys.push(parent.keys[at]);
          parent.keys[at] = right.keys.shift() as K;
          children.push((right.children as BNode<K, V>[]).shift() as BNode<K, V>);
          return;
        }
        if (left !== null) {
          left.keys.push(parent.keys[at - 1]);
          pushAll(left.keys, node.keys);
          pushAll(left.children as BNode<K, V>[], children);
          parent.keys.splice(at - 1, 1);
          siblings.splice(at, 1);
        } else if (right !== null) {
          node.keys.push(parent.keys[at]);
          pushAll(node.keys, right.keys);
          pushAll(children, right.children as BNode<K, V>[]);
          parent.keys.splice(at, 1);
          siblings.splice(at + 1, 1);
        }
      }
      node = parent;
      min = this.minInnerKeys;
    }
    const root = this.root;
    if (root.children !== null && root.keys.length === 0) {
      this.root = root.children[0];
      this.depth--;
    }
  }

  /**
   * Removes every entry.
   * @example const t = new BTree().set(1, 'a'); t.clear(); t.size // 0
   */
  clear(): void {
    this.root = new BNode<K, V>([], [], null);
    this.count = 0;
    this.depth = 0;
    this.kind = 0;
    this.version++;
  }

  private firstLeaf(): BNode<K, V> {
    let node = this.root;
    while (node.children !== null) node = node.children[0];
    return node;
  }

  private lastLeaf(): BNode<K, V> {
    let node = this.root;
    while (node.children !== null) node = node.children[node.children.length - 1];
    return node;
  }

  /**
   * The smallest key, or undefined when empty.
   * @example new BTree().set(2, 'b').set(1, 'a').min() // 1
   */
  min(): K | undefined {
    const leaf = this.firstLeaf();
    return leaf.keys.length > 0 ? leaf.keys[0] : undefined;
  }

  /**
   * The largest key, or undefined when empty.
   * @example new BTree().set(2, 'b').set(1, 'a').max() // 2
   */
  max(): K | undefined {
    const leaf = this.lastLeaf();
    return leaf.keys.length > 0 ? leaf.keys[leaf.keys.length - 1] : undefined;
  }

  /**
   * Finds the first slot whose key is >= key (strict: > key), as a leaf and
   * an index; `index === leaf.keys.length` only when no such key exists.
   */
  private seek(key: K, strict: boolean): { leaf: BNode<K, V>; index: number } {
    let node = this.root;
    let i: number;
    if (this.natural) {
      while (node.children !== null) node = node.children[upperNat(node.keys, key)];
      i = strict ? upperNat(node.keys, key) : lowerNat(node.keys, key);
    } else {
      const cmp = this.cmp;
      while (node.children !== null) node = node.children[upperCmp(node.keys, key, cmp)];
      i = strict ? upperCmp(node.keys, key, cmp) : lowerCmp(node.keys, key, cmp);
    }
    // A stale separator can leave every key of this leaf below `key`; the
    // next leaf's keys are all >= the separator, which is > key.
    if (i === node.keys.length && node.next !== null) return { leaf: node.next, index: 0 };
    return { leaf: node, index: i };
  }

  /**
   * The smallest key >= `key`, or undefined.
   * @example new BTree().set(10, 'a').set(20, 'b').lowerBound(11) // 20
   */
  lowerBound(key: K): K | undefined {
    this.checkKey('lowerBound', key);
    const { leaf, index } = this.seek(key, false);
    return index < leaf.keys.length ? leaf.keys[index] : undefined;
  }

  /**
   * The smallest key > `key`, or undefined.
   * @example new BTree().set(10, 'a').set(20, 'b').upperBound(10) // 20
   */
  upperBound(key: K): K | undefined {
    this.checkKey('upperBound', key);
    const { leaf, index } = this.seek(key, true);
    return index < leaf.keys.length ? leaf.keys[index] : undefined;
  }

  /** Start slot of a forward walk from `lo` (undefined: the first key). */
  private forwardStart(lo: K | undefined): { leaf: BNode<K, V> | null; index: number } {
    if (lo === undefined) {
      const leaf = this.firstLeaf();
      return { leaf: leaf.keys.length > 0 ? leaf : null, index: 0 };
    }
    const at = this.seek(lo, false);
    return at.index < at.leaf.keys.length ? at : { leaf: null, index: 0 };
  }

  /** Start slot of a backward walk: the last key < hi (undefined: the last key). */
  private backwardStart(hi: K | undefined): { leaf: BNode<K, V> | null; index: number } {
    let leaf: BNode<K, V> | null;
    let index: number;
    if (hi === undefined) {
      leaf = this.lastLeaf();
      index = leaf.keys.length - 1;
    } else {
      const at = this.seek(hi, false);
      leaf = at.leaf;
      index = at.index - 1;
    }
    if (index < 0) {
      leaf = leaf.prev;
      index = leaf === null ? 0 : leaf.keys.length - 1;
    }
    return { leaf: leaf !== null && leaf.keys.length > 0 ? leaf : null, index };
  }

  private checkBounds(op: string, lo: K | undefined, hi: K | undefined): void {
    if (lo !== undefined) this.checkKey(op, lo);
    if (hi !== undefined) this.checkKey(op, hi);
  }

  /**
   * Entries with lo <= key < hi, ascending, or descending when `reverse`.
   * Either bound may be undefined (unbounded). The iterator throws
   * `ConcurrentModificationError` if the tree changes shape while it is in use.
   * @example [...tree.range(10, 20)]          // keys 10..19 ascending
   * @example [...tree.range(10, 20, true)]    // keys 19..10 descending
   */
  range(lo?: K, hi?: K, reverse = false): IterableIterator<[K, V]> {
    return this.makeIterator<[K, V]>(lo, hi, reverse, MODE_ENTRIES, 'range');
  }

  private makeIterator<R>(lo: K | undefined, hi: K | undefined, reverse: boolean, mode: number, op: string): IterableIterator<R> {
    if (typeof reverse !== 'boolean') throw new InvalidArgumentError(`BTree ${op} reverse must be a boolean when given, got ${describe(reverse)}`);
    this.checkBounds(op, lo, hi);
    if (reverse) {
      const { leaf, index } = this.backwardStart(hi);
      return new BTreeIterator<K, V, R>(this, leaf, index, true, lo !== undefined, lo, mode, this.version);
    }
    const { leaf, index } = this.forwardStart(lo);
    return new BTreeIterator<K, V, R>(this, leaf, index, false, hi !== undefined, hi, mode, this.version);
  }

  /**
   * Calls `fn(key, value)` for each entry with lo <= key < hi (ascending, or
   * descending when `reverse`), without allocating per entry; `fn` returning
   * `false` stops the walk. Returns the number of entries visited. The tree
   * must not be changed from inside `fn`.
   * @example let sum = 0; tree.forEachRange(0, 100, (k) => { sum += k; });
   */
  forEachRange(lo: K | undefined, hi: K | undefined, fn: (key: K, value: V) => unknown, reverse = false): number {
    this.checkBounds('forEachRange', lo, hi);
    if (typeof reverse !== 'boolean') throw new InvalidArgumentError(`BTree forEachRange reverse must be a boolean when given, got ${describe(reverse)}`);
    if (typeof fn !== 'function') {
      throw new InvalidArgumentError(`BTree forEachRange fn must be a function, got ${describe(fn)}`);
    }
    let visited = 0;
    const natural = this.natural;
    const cmp = this.cmp;
    if (!reverse) {
      // The descent is inlined (not `forwardStart`) so no position object is
      // allocated per call: a short range is dominated by this part.
      let leaf: BNode<K, V> | null = this.root;
      let index = 0;
      if (lo === undefined) {
        while (leaf.children !== null) leaf = leaf.children[0];
      } else if (natural) {
        while (leaf.children !== null) leaf = leaf.children[upperNat(leaf.keys, lo)];
        index = lowerNat(leaf.keys, lo);
      } else {
        while (leaf.children !== null) leaf = leaf.children[upperCmp(leaf.keys, lo, cmp)];
        index = lowerCmp(leaf.keys, lo, cmp);
      }
      // index may equal keys.length (all keys of this leaf below lo, or an
      // empty root): the loop below then simply moves on to the next leaf.
      const bounded = hi !== undefined;
      while (leaf !== null) {
        const keys = leaf.keys;
        if (keys.length === 0) return visited;
        const values = leaf.values as V[];
        // Find where this leaf's run ends once (a leaf wholly below hi needs
        // no comparison per key), then call fn in a tight loop.
        let end = keys.length;
        let last = false;
        if (bounded) {
          const top = keys[end - 1];
          if (natural ? !((top as number) < (hi as number)) : cmp(top, hi as K) >= 0) {
            end = natural ? lowerNat(keys, hi) : lowerCmp(keys, hi as K, cmp);
            last = true;
          }
        }
        for (let i = index; i < end; i++) {
          if (fn(keys[i], values[i]) === false) return visited + i - index + 1;
        }
        if (end > index) visited += end - index;
        if (last) return visited;
        leaf = leaf.next;
        index = 0;
      }
      return visited;
    }
    let { leaf, index } = this.backwardStart(hi);
    const bounded = lo !== undefined;
    while (leaf !== null) {
      const keys = leaf.keys;
      const values = leaf.values as V[];
      // Mirror image: the run stops at the first key >= lo, found once per leaf.
      let stop = 0;
      let last = false;
      if (bounded) {
        const bottom = keys[0];
        if (natural ? (bottom as number) < (lo as number) : cmp(bottom, lo as K) < 0) {
          stop = natural ? lowerNat(keys, lo) : lowerCmp(keys, lo as K, cmp);
          last = true;
        }
      }
      for (let i = index; i >= stop; i--) {
        if (fn(keys[i], values[i]) === false) return visited + index - i + 1;
      }
      if (index >= stop) visited += index - stop + 1;
      if (last) return visited;
      leaf = leaf.prev;
      index = leaf === null ? 0 : leaf.keys.length - 1;
    }
    return visited;
  }

  /**
   * All entries in ascending key order (descending when `reverse`).
   * @example [...new BTree().set(2, 'b').set(1, 'a').entries()] // [[1, 'a'], [2, 'b']]
   */
  entries(reverse = false): IterableIterator<[K, V]> {
    return this.makeIterator<[K, V]>(undefined, undefined, reverse, MODE_ENTRIES, 'entries');
  }

  /**
   * All keys in ascending order (descending when `reverse`).
   * @example [...new BTree().set(2, 'b').set(1, 'a').keys()] // [1, 2]
   */
  keys(reverse = false): IterableIterator<K> {
    return this.makeIterator<K>(undefined, undefined, reverse, MODE_KEYS, 'keys');
  }

  /**
   * All values in ascending key order (descending when `reverse`).
   * @example [...new BTree().set(2, 'b').set(1, 'a').values()] // ['a', 'b']
   */
  values(reverse = false): IterableIterator<V> {
    return this.makeIterator<V>(undefined, undefined, reverse, MODE_VALUES, 'values');
  }

  /**
   * Same as `entries()`.
   * @example for (const [k, v] of tree) console.log(k, v)
   */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** Replaces the contents with sorted, validated keys and values, filling nodes evenly. */
  private buildFrom(keys: K[], values: V[]): void {
    const n = keys.length;
    const max = this.maxNodeSize;
    const maxInner = this.maxInnerNodeSize;
    this.count = n;
    this.version++;
    if (n <= max) {
      this.root = new BNode<K, V>(keys, values, null);
      this.depth = 0;
      return;
    }
    // Leaves: ceil(n / max) of them, sizes differing by at most one, so each
    // holds at least max / 2 keys.
    let level: BNode<K, V>[] = [];
    let mins: K[] = [];
    const leafCount = Math.ceil(n / max);
    let start = 0;
    let prev: BNode<K, V> | null = null;
    for (let j = 0; j < leafCount; j++) {
      const end = start + Math.floor(n / leafCount) + (j < n % leafCount ? 1 : 0);
      const leaf = new BNode<K, V>(keys.slice(start, end), values.slice(start, end), null);
      leaf.prev = prev;
      if (prev !== null) prev.next = leaf;
      prev = leaf;
      level.push(leaf);
      mins.push(keys[start]);
      start = end;
    }
    let depth = 0;
    // Internal levels: at most maxInner + 1 children per node, spread evenly.
    while (level.length > 1) {
      const c = level.length;
      const nodeCount = Math.ceil(c / (maxInner + 1));
      const next: BNode<K, V>[] = [];
      const nextMins: K[] = [];
      let s = 0;
      for (let j = 0; j < nodeCount; j++) {
        const e = s + Math.floor(c / nodeCount) + (j < c % nodeCount ? 1 : 0);
        next.push(new BNode<K, V>(mins.slice(s + 1, e), null, level.slice(s, e)));
        nextMins.push(mins[s]);
        s = e;
      }
      level = next;
      mins = nextMins;
      depth++;
    }
    this.root = level[0];
    this.depth = depth;
  }

  /**
   * Verifies every structural invariant (leaf depth, fill bounds, key order,
   * separators, leaf links, size) and throws `StructureInvariantError` naming
   * the first broken one. O(n); for tests and debugging.
   * @example tree.checkValid()
   */
  checkValid(): void {
    const leaves: BNode<K, V>[] = [];
    const total = this.checkNode(this.root, 0, undefined, undefined, leaves);
    if (total !== this.count) throw new StructureInvariantError('BTree', `size is ${this.count} but the leaves hold ${total} keys`);
    for (let i = 0; i < leaves.length; i++) {
      const leaf = leaves[i];
      if (leaf.prev !== (i > 0 ? leaves[i - 1] : null) || leaf.next !== (i + 1 < leaves.length ? leaves[i + 1] : null)) {
        throw new StructureInvariantError('BTree', `leaf ${i} is not linked to its neighbours`);
      }
    }
  }

  private checkNode(node: BNode<K, V>, depth: number, lo: K | undefined, hi: K | undefined, leaves: BNode<K, V>[]): number {
    const keys = node.keys;
    const isRoot = node === this.root;
    const isLeaf = node.children === null;
    const fewest = isLeaf ? this.minKeys : this.minInnerKeys;
    const most = isLeaf ? this.maxNodeSize : this.maxInnerNodeSize;
    if (keys.length > most || (!isRoot && keys.length < fewest)) {
      throw new StructureInvariantError('BTree', `a ${isLeaf ? 'leaf' : 'internal node'} at depth ${depth} holds ${keys.length} keys, outside ${fewest}..${most}`);
    }
    for (let i = 0; i < keys.length; i++) {
      if (i > 0 && this.cmp(keys[i - 1], keys[i]) >= 0) throw new StructureInvariantError('BTree', `keys at depth ${depth} are not strictly ascending`);
      if (node.children === null) {
        if ((lo !== undefined && this.cmp(keys[i], lo) < 0) || (hi !== undefined && this.cmp(keys[i], hi) >= 0)) {
          throw new StructureInvariantError('BTree', `a leaf key lies outside the separators above it`);
        }
      }
    }
    if (node.children === null) {
      if (depth !== this.depth) throw new StructureInvariantError('BTree', `a leaf is at depth ${depth}, not ${this.depth}`);
      if (node.values === null || node.values.length !== keys.length) throw new StructureInvariantError('BTree', 'a leaf has keys and values of different lengths');
      leaves.push(node);
      return keys.length;
    }
    if (node.children.length !== keys.length + 1) throw new StructureInvariantError('BTree', `an internal node has ${keys.length} keys but ${node.children.length} children`);
    if (isRoot && keys.length === 0) throw new StructureInvariantError('BTree', 'the root is an internal node without keys');
    let total = 0;
    for (let i = 0; i < node.children.length; i++) {
      total += this.checkNode(node.children[i], depth + 1, i === 0 ? lo : keys[i - 1], i === keys.length ? hi : keys[i], leaves);
    }
    return total;
  }
}

function pushAll<T>(target: T[], source: T[]): void {
  for (let i = 0; i < source.length; i++) target.push(source[i]);
}

function unlinkLeaf<K, V>(leaf: BNode<K, V>): void {
  if (leaf.prev !== null) leaf.prev.next = leaf.next;
  if (leaf.next !== null) leaf.next.prev = leaf.prev;
  leaf.prev = null;
  leaf.next = null;
}
