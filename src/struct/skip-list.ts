/**
 * SkipList: an ordered map over a probabilistic tower of linked lists.
 *
 * Layout. Each entry is one node holding its key, its value and a forward
 * link per level it reaches: levels 0-3 in fields (n0..n3), higher ones in
 * a small array `up`, present only on the 0.4% of nodes taller than 4. A
 * head sentinel (no key) has `maxLevel` links; `level` is the number of
 * levels in use.
 * Level 0 links every node in key order; a node reaches level l + 1 with
 * probability 1/4, so a search skips about 3 of every 4 nodes per level and
 * costs O(log n) expected comparisons, a range [lo, hi) O(log n + k).
 *
 * Invariants: along every level keys are strictly ascending; a node on level
 * l is on every level below it; the head's link on every level >= `level` is null.
 *
 * Randomness is seeded (option `seed`): the tower heights, and so the shape
 * and the exact cost of every operation, are reproducible; tests inject a
 * seed. The generator is mulberry32 (one 32-bit state word, full period),
 * and one draw yields up to 16 levels: each pair of leading zero bits is one
 * level at p = 1/4 (`Math.clz32`), so no loop per level. p = 1/4 rather than
 * 1/2: a third fewer links per node (1.33 against 2) for the same expected
 * number of steps per search, with a little more variance (Pugh 1990,
 * table 1; Redis makes the same choice).
 *
 * Speed tricks: as in the BTree, the order is chosen once in the
 * constructor; without a comparator the search uses `<` inline (numbers or
 * strings, one kind per list, NaN rejected, checked once per operation). The
 * per-level predecessors of an insert or delete go into an array owned by
 * the list, so updates allocate only the new node. Keeping levels 0-3 in
 * node fields rather than in a link array per node made get about 3x and a
 * 100-key scan about 4x faster (1e5 keys): one object per step instead of
 * three, in a structure whose cost is almost all cache misses.
 *
 * Failure safety: every comparator call happens before the first write, so a
 * throwing comparator leaves the list unchanged; the level of a new node is
 * drawn after the search.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { numberError } from '../validate.ts';
import type { KeyComparator } from './b-tree.ts';
import { ConcurrentModificationError, StructureInvariantError, checkComparator, naturalKeyKind, rejectNaN, type NaturalKind } from './errors.ts';

/**
 * Options of {@link SkipList}.
 * @example new SkipList<number, string>({ seed: 42, maxLevel: 12 })
 */
export interface SkipListOptions<K> {
  /** Key order; default: numbers ascending or strings by UTF-16 code units (one kind per list, NaN rejected). */
  comparator?: KeyComparator<K>;
  /** Seed of the tower heights (any finite number; its low 32 bits are used). Default: random. */
  seed?: number;
  /** Most levels, an integer from 1 to 32; default 16 (enough for ~4^16 = 4e9 entries at p = 1/4). */
  maxLevel?: number;
}

/** Links kept in fields: with p = 1/4, 99.6% of nodes are at most 4 high. */
const INLINE_LEVELS = 4;

class SkipNode<K, V> {
  key: K;
  value: V;
  /** Levels this node is linked on. */
  readonly height: number;
  // Forward links of levels 0-3 live in the node itself, so a step along a
  // level reads one object (one cache miss) instead of the node, an array
  // and its backing store; only the rare taller node has `up` (levels 4+).
  n0: SkipNode<K, V> | null;
  n1: SkipNode<K, V> | null;
  n2: SkipNode<K, V> | null;
  n3: SkipNode<K, V> | null;
  readonly up: (SkipNode<K, V> | null)[] | null;
  constructor(key: K, value: V, height: number) {
    this.key = key;
    this.value = value;
    this.height = height;
    this.n0 = null;
    this.n1 = null;
    this.n2 = null;
    this.n3 = null;
    let up: (SkipNode<K, V> | null)[] | null = null;
    if (height > INLINE_LEVELS) {
      up = [];
      for (let l = INLINE_LEVELS; l < height; l++) up.push(null);
    }
    this.up = up;
  }
}

/** The forward link of `x` on level `l` (l < x.height). */
function linkAt<K, V>(x: SkipNode<K, V>, l: number): SkipNode<K, V> | null {
  switch (l) {
    case 0:
      return x.n0;
    case 1:
      return x.n1;
    case 2:
      return x.n2;
    case 3:
      return x.n3;
    default:
      return (x.up as (SkipNode<K, V> | null)[])[l - INLINE_LEVELS];
  }
}

function setLinkAt<K, V>(x: SkipNode<K, V>, l: number, to: SkipNode<K, V> | null): void {
  switch (l) {
    case 0:
      x.n0 = to;
      break;
    case 1:
      x.n1 = to;
      break;
    case 2:
      x.n2 = to;
      break;
    case 3:
      x.n3 = to;
      break;
    default:
      (x.up as (SkipNode<K, V> | null)[])[l - INLINE_LEVELS] = to;
  }
}

function natCompare(a: unknown, b: unknown): number {
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/** Forward iterator over level 0, stopping before an optional exclusive bound. */
class SkipListIterator<K, V> implements IterableIterator<[K, V]> {
  private readonly list: SkipList<K, V>;
  private node: SkipNode<K, V> | null;
  private readonly hasBound: boolean;
  private readonly bound: K | undefined;
  private readonly version: number;
  constructor(list: SkipList<K, V>, node: SkipNode<K, V> | null, hasBound: boolean, bound: K | undefined, version: number) {
    this.list = list;
    this.node = node;
    this.hasBound = hasBound;
    this.bound = bound;
    this.version = version;
  }
  next(): IteratorResult<[K, V]> {
    const node = this.node;
    if (node === null) return { value: undefined, done: true };
    if (this.list.version !== this.version) throw new ConcurrentModificationError('SkipList');
    if (this.hasBound && this.list._compare(node.key, this.bound as K) >= 0) {
      this.node = null;
      return { value: undefined, done: true };
    }
    this.node = node.n0;
    return { value: [node.key, node.value], done: false };
  }
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this;
  }
}

/**
 * An ordered map with O(log n) expected get/set/delete and forward range
 * queries `[lo, hi)`, its shape reproducible from a seed.
 * @example
 * const s = new SkipList<number, string>({ seed: 1 });
 * s.set(2, 'b').set(1, 'a');
 * [...s.range(1, 2)] // [[1, 'a']]
 */
export class SkipList<K = number, V = unknown> implements Iterable<[K, V]> {
  /** Most levels a node can reach. */
  readonly maxLevel: number;
  private readonly cmp: KeyComparator<K>;
  private readonly natural: boolean;
  private kind: NaturalKind;
  private readonly head: SkipNode<K, V>;
  private level: number;
  private count: number;
  private state: number;
  /** Predecessor of the search key on each level, filled by `descend`. */
  private readonly update: SkipNode<K, V>[];
  /** Bumped by every structural change; iterators compare it. @internal */
  version: number;

  /**
   * @example new SkipList<string, number>({ seed: 7 })
   */
  constructor(options: SkipListOptions<K> = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidArgumentError(`SkipList options must be an object when given, got ${describe(options)}`);
    }
    const { comparator, seed = Math.floor(Math.random() * 2 ** 32), maxLevel = 16 } = options;
    checkComparator('SkipList', comparator);
    if (typeof seed !== 'number' || !Number.isFinite(seed)) {
      throw new (numberError(seed))(`SkipList seed (${describe(seed)}) must be a finite number`);
    }
    if (typeof maxLevel !== 'number' || !Number.isInteger(maxLevel) || maxLevel < 1 || maxLevel > 32) {
      throw new (numberError(maxLevel))(`SkipList maxLevel (${describe(maxLevel)}) must be an integer from 1 to 32`);
    }
    this.maxLevel = maxLevel;
    this.natural = comparator === undefined;
    this.cmp = comparator ?? (natCompare as KeyComparator<K>);
    this.kind = 0;
    this.head = new SkipNode<K, V>(undefined as K, undefined as V, maxLevel);
    this.level = 1;
    this.count = 0;
    this.state = seed >>> 0;
    this.update = new Array<SkipNode<K, V>>(maxLevel).fill(this.head);
    this.version = 0;
  }

  /** Number of entries. @example new SkipList().size // 0 */
  get size(): number {
    return this.count;
  }

  /** Levels in use (1 when empty); a function of the seed and the operations so far. @example new SkipList().levels // 1 */
  get levels(): number {
    return this.level;
  }

  /**
   * Compares two keys with the list's order.
   * @example new SkipList().compareKeys(2, 1) // 1
   */
  compareKeys(a: K, b: K): number {
    if (this.natural) naturalKeyKind('SkipList', 'compareKeys', b, naturalKeyKind('SkipList', 'compareKeys', a, 0));
    return this.cmp(a, b);
  }

  /** The order without key checks, for iterators whose keys were checked when stored. @internal */
  _compare(a: K, b: K): number {
    return this.cmp(a, b);
  }

  private checkKey(op: string, key: K): void {
    if (this.natural) naturalKeyKind('SkipList', op, key, this.count === 0 ? 0 : this.kind);
    else rejectNaN('SkipList', op, key);
  }

  /** mulberry32: the next 32 random bits. */
  private nextRandom(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A tower height: P(height > h) = 4^-h, capped at maxLevel. */
  private randomLevel(): number {
    let level = 1;
    for (;;) {
      const zeros = Math.clz32(this.nextRandom()) >>> 1;
      level += zeros;
      if (zeros < 16 || level >= this.maxLevel) break;
    }
    return level < this.maxLevel ? level : this.maxLevel;
  }

  /** The last node with key < `key` (the head if none); with `record`, fills `update` per level. */
  private descend(key: K, record: boolean): SkipNode<K, V> {
    let x = this.head;
    const update = this.update;
    if (this.natural) {
      for (let l = this.level - 1; l >= 0; l--) {
        let nx = linkAt(x, l);
        while (nx !== null && (nx.key as number) < (key as number)) {
          x = nx;
          nx = linkAt(x, l);
        }
        if (record) update[l] = x;
      }
    } else {
      const cmp = this.cmp;
      for (let l = this.level - 1; l >= 0; l--) {
        let nx = linkAt(x, l);
        while (nx !== null && cmp(nx.key, key) < 0) {
          x = nx;
          nx = linkAt(x, l);
        }
        if (record) update[l] = x;
      }
    }
    return x;
  }

  private isEqual(node: SkipNode<K, V> | null, key: K): node is SkipNode<K, V> {
    return node !== null && (this.natural ? node.key === key : this.cmp(node.key, key) === 0);
  }

  /**
   * The value stored under `key`, or undefined.
   * @example new SkipList<number, string>().set(1, 'a').get(1) // 'a'
   */
  get(key: K): V | undefined {
    this.checkKey('get', key);
    const node = this.descend(key, false).n0;
    return this.isEqual(node, key) ? node.value : undefined;
  }

  /**
   * Whether `key` is present.
   * @example new SkipList().set(1, 'a').has(1) // true
   */
  has(key: K): boolean {
    this.checkKey('has', key);
    return this.isEqual(this.descend(key, false).n0, key);
  }

  /**
   * Stores `value` under `key` (an equal key keeps its original key object). Returns the list.
   * @example new SkipList<string, number>().set('a', 1).size // 1
   */
  set(key: K, value: V): this {
    let k: NaturalKind = 0;
    if (this.natural) k = naturalKeyKind('SkipList', 'set', key, this.count === 0 ? 0 : this.kind);
    else rejectNaN('SkipList', 'set', key);
    const found = this.descend(key, true).n0;
    if (this.isEqual(found, key)) {
      found.value = value;
      return this;
    }
    // No comparator calls from here on.
    if (this.natural) this.kind = k;
    const height = this.randomLevel();
    const update = this.update;
    if (height > this.level) {
      for (let l = this.level; l < height; l++) update[l] = this.head;
      this.level = height;
    }
    const node = new SkipNode<K, V>(key, value, height);
    for (let l = 0; l < height; l++) {
      const prev = update[l];
      setLinkAt(node, l, linkAt(prev, l));
      setLinkAt(prev, l, node);
    }
    this.count++;
    this.version++;
    return this;
  }

  /**
   * Removes `key`; returns whether it was present.
   * @example new SkipList().set(1, 'a').delete(1) // true
   */
  delete(key: K): boolean {
    this.checkKey('delete', key);
    const node = this.descend(key, true).n0;
    if (!this.isEqual(node, key)) return false;
    const update = this.update;
    for (let l = 0; l < node.height; l++) setLinkAt(update[l], l, linkAt(node, l));
    while (this.level > 1 && linkAt(this.head, this.level - 1) === null) this.level--;
    this.count--;
    this.version++;
    return true;
  }

  /**
   * Removes every entry (the random sequence continues; it is not reseeded).
   * @example s.clear(); s.size // 0
   */
  clear(): void {
    for (let l = 0; l < this.maxLevel; l++) setLinkAt(this.head, l, null);
    this.level = 1;
    this.count = 0;
    this.kind = 0;
    this.version++;
  }

  /**
   * The smallest key, or undefined when empty.
   * @example new SkipList().set(2, 'b').set(1, 'a').min() // 1
   */
  min(): K | undefined {
    const first = this.head.n0;
    return first === null ? undefined : first.key;
  }

  /**
   * The largest key, or undefined when empty (O(log n) expected: a walk along the top of each level).
   * @example new SkipList().set(2, 'b').set(1, 'a').max() // 2
   */
  max(): K | undefined {
    let x = this.head;
    for (let l = this.level - 1; l >= 0; l--) {
      let nx = linkAt(x, l);
      while (nx !== null) {
        x = nx;
        nx = linkAt(x, l);
      }
    }
    return x === this.head ? undefined : x.key;
  }

  /**
   * The smallest key >= `key`, or undefined.
   * @example new SkipList().set(10, 'a').lowerBound(5) // 10
   */
  lowerBound(key: K): K | undefined {
    this.checkKey('lowerBound', key);
    const node = this.descend(key, false).n0;
    return node === null ? undefined : node.key;
  }

  /**
   * The smallest key > `key`, or undefined.
   * @example new SkipList().set(10, 'a').set(20, 'b').upperBound(10) // 20
   */
  upperBound(key: K): K | undefined {
    this.checkKey('upperBound', key);
    let node = this.descend(key, false).n0;
    if (this.isEqual(node, key)) node = node.n0;
    return node === null ? undefined : node.key;
  }

  private startAt(lo: K | undefined, hi: K | undefined, op: string): SkipNode<K, V> | null {
    if (lo !== undefined) this.checkKey(op, lo);
    if (hi !== undefined) this.checkKey(op, hi);
    return lo === undefined ? this.head.n0 : this.descend(lo, false).n0;
  }

  /**
   * Entries with lo <= key < hi in ascending order; either bound may be
   * undefined. The iterator throws `ConcurrentModificationError` if the list
   * changes shape while it is in use.
   * @example [...s.range(10, 20)] // entries with keys 10..19
   */
  range(lo?: K, hi?: K): IterableIterator<[K, V]> {
    const start = this.startAt(lo, hi, 'range');
    return new SkipListIterator<K, V>(this, start, hi !== undefined, hi, this.version);
  }

  /**
   * Calls `fn(key, value)` for each entry with lo <= key < hi, ascending,
   * without allocating per entry; `fn` returning `false` stops the walk.
   * Returns the number of entries visited. Do not change the list inside `fn`.
   * @example let n = 0; s.forEachRange(0, 100, () => { n++; });
   */
  forEachRange(lo: K | undefined, hi: K | undefined, fn: (key: K, value: V) => unknown): number {
    let node = this.startAt(lo, hi, 'forEachRange');
    if (typeof fn !== 'function') {
      throw new InvalidArgumentError(`SkipList forEachRange fn must be a function, got ${describe(fn)}`);
    }
    let visited = 0;
    if (hi === undefined) {
      while (node !== null) {
        visited++;
        if (fn(node.key, node.value) === false) return visited;
        node = node.n0;
      }
    } else if (this.natural) {
      while (node !== null && (node.key as number) < (hi as number)) {
        visited++;
        if (fn(node.key, node.value) === false) return visited;
        node = node.n0;
      }
    } else {
      const cmp = this.cmp;
      while (node !== null && cmp(node.key, hi) < 0) {
        visited++;
        if (fn(node.key, node.value) === false) return visited;
        node = node.n0;
      }
    }
    return visited;
  }

  /**
   * All entries in ascending key order.
   * @example [...new SkipList().set(2, 'b').set(1, 'a').entries()] // [[1, 'a'], [2, 'b']]
   */
  entries(): IterableIterator<[K, V]> {
    return this.range();
  }

  /**
   * All keys in ascending order.
   * @example [...new SkipList().set(2, 'b').set(1, 'a').keys()] // [1, 2]
   */
  *keys(): IterableIterator<K> {
    for (const [k] of this.range()) yield k;
  }

  /**
   * All values in ascending key order.
   * @example [...new SkipList().set(2, 'b').set(1, 'a').values()] // ['a', 'b']
   */
  *values(): IterableIterator<V> {
    for (const [, v] of this.range()) yield v;
  }

  /**
   * Same as `entries()`.
   * @example for (const [k, v] of list) console.log(k, v)
   */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.range();
  }

  /**
   * Verifies the invariants (ascending keys on every level, every tower
   * linked on all its levels, the unused levels empty, the size) and throws
   * `StructureInvariantError` naming the first broken one. O(n log n); for
   * tests and debugging.
   * @example list.checkValid()
   */
  checkValid(): void {
    const bad = (rule: string): never => {
      throw new StructureInvariantError('SkipList', rule);
    };
    for (let l = this.level; l < this.maxLevel; l++) if (linkAt(this.head, l) !== null) bad(`level ${l} is above the top level ${this.level - 1} but not empty`);
    let onLevel0 = 0;
    for (let l = 0; l < this.level; l++) {
      let expected: SkipNode<K, V> | null = this.head.n0;
      let x = linkAt(this.head, l);
      let prev: SkipNode<K, V> | null = null;
      while (x !== null) {
        if (l === 0) onLevel0++;
        if (prev !== null && this.cmp(prev.key, x.key) >= 0) bad(`keys on level ${l} are not strictly ascending`);
        // Every node on level 0 between prev and x must be too short for level l.
        while (expected !== null && expected !== x) {
          if (expected.height > l) bad(`a node of height ${expected.height} is missing from level ${l}`);
          expected = expected.n0;
        }
        if (expected === null) bad(`a node on level ${l} is not on level 0`);
        expected = (expected as SkipNode<K, V>).n0;
        prev = x;
        x = linkAt(x, l);
      }
      while (expected !== null) {
        if (expected.height > l) bad(`a node of height ${expected.height} is missing from level ${l}`);
        expected = expected.n0;
      }
    }
    if (onLevel0 !== this.count) bad(`size is ${this.count} but level 0 holds ${onLevel0} nodes`);
  }
}
