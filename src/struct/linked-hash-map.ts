/**
 * LinkedHashMap: a Map that remembers insertion order or access order, with
 * O(1) move-to-end and O(1) removal of the eldest entry. The base of every
 * LRU in this project.
 *
 * Layout (no object per entry):
 *  - `index`: a native Map from key to slot number.
 *  - `keyAt[slot]`, `valueAt[slot]`: keys and values in parallel plain arrays.
 *  - `next[slot]`, `prev[slot]`: a circular doubly linked list in Int32Arrays.
 *    Slot 0 is the sentinel: next[0] is the eldest entry, prev[0] the newest,
 *    and an empty map has next[0] = prev[0] = 0. The sentinel makes link and
 *    unlink branch-free (no head/tail special cases).
 *  - Free slots are chained through `next` starting at `freeHead` (0 = none);
 *    slots never used yet start at `nextUnused`. A freed slot has prev = -1,
 *    which is how iterators notice that the slot they were about to visit was
 *    deleted under them.
 *
 * Invariants: `index.size` is the entry count; every live slot s has
 * keyAt[s] mapping back to s in `index`, and appears exactly once on the list
 * from the sentinel; list order is eldest to newest. Entries occupy slots
 * 1..capacity; the typed arrays have capacity + 1 entries (the sentinel).
 *
 * Why it is fast: get/set/delete are one native Map operation plus a few
 * typed-array writes, and they allocate nothing in steady state (freed slots
 * are reused, so an LRU at its bound never allocates). A `Map`-based LRU
 * (delete + set to move a key to the end, `keys().next()` to find the eldest)
 * does two hash operations per hit, and V8's ordered hash table keeps deleted
 * entries in place until it rehashes, so finding the eldest walks past every
 * entry deleted from the front since then: thousands of steps per eviction
 * in a 10k-entry cache. The linked list answers in one array read. (The idea
 * of typed-array links by slot index comes from lru-cache.) The order strategy is a boolean fixed in the constructor, a branch
 * the CPU predicts perfectly.
 *
 * Capacity doubles when the slots run out (amortised O(1) set).
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { allocate, numberError } from '../validate.ts';

/**
 * Largest number of entries (slots) a LinkedHashMap allocates: 2^24, the most
 * entries V8's native Map holds ("Map maximum size exceeded" at 2^24). The
 * old bound of 2^30 let `initialCapacity: 2 ** 28` reach V8's array limits
 * and abort the whole process; anything above 2^24 could never be filled.
 */
const MAX_CAPACITY = 2 ** 24;

/**
 * Options for {@link LinkedHashMap}.
 * @example new LinkedHashMap<string, number>({ order: 'access', initialCapacity: 1024 })
 */
export interface LinkedHashMapOptions {
  /** 'insertion' (default): order of first insertion. 'access': get/set move the entry to the newest end (LRU order). */
  order?: 'insertion' | 'access';
  /** Slots allocated up front; an integer from 1 to 2^24 (V8's Map limit). Default 16. Grows by doubling up to 2^24. */
  initialCapacity?: number;
}

/**
 * Options for iterating a {@link LinkedHashMap}.
 * @example map.keys({ reverse: true }) // newest first
 */
export interface LinkedHashMapIterationOptions {
  /** false (default): eldest to newest; true: newest to eldest. */
  reverse?: boolean;
}

/**
 * A hash map ordered by insertion or by access, with O(1) eldest removal.
 * Iterating is safe while deleting or moving the entry just visited; other
 * changes during iteration may end it early or revisit a moved entry, but it
 * always terminates (it visits at most the size it started with).
 * @example
 * const lru = new LinkedHashMap<string, Buffer>({ order: 'access' });
 * lru.set('a', a); lru.set('b', b);
 * lru.get('a');       // 'a' is now the newest
 * lru.removeEldest(); // ['b', b]
 */
export class LinkedHashMap<K, V> implements Iterable<[K, V]> {
  /** The order this map keeps: fixed at construction. */
  readonly order: 'insertion' | 'access';
  private readonly isAccessOrder: boolean;
  private readonly index: Map<K, number>;
  private keyAt: (K | undefined)[];
  private valueAt: (V | undefined)[];
  private next: Int32Array;
  private prev: Int32Array;
  private freeHead: number;
  private nextUnused: number;

  constructor(options: LinkedHashMapOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidArgumentError(`LinkedHashMap options must be an object, got ${describe(options)}`);
    }
    const order = options.order === undefined ? 'insertion' : options.order;
    if (order !== 'insertion' && order !== 'access') {
      throw new InvalidArgumentError(`LinkedHashMap order must be "insertion" or "access", got ${describe(order)}`);
    }
    const cap = options.initialCapacity === undefined ? 16 : options.initialCapacity;
    if (typeof cap !== 'number') {
      throw new InvalidArgumentError(`LinkedHashMap initialCapacity must be an integer from 1 to 2^24, got ${describe(cap)}`);
    }
    if (!Number.isInteger(cap) || cap < 1 || cap > MAX_CAPACITY) {
      throw new (numberError(cap))(`LinkedHashMap initialCapacity (${describe(cap)}) must be an integer from 1 to 2^24 (V8's Map limit)`);
    }
    this.order = order;
    this.isAccessOrder = order === 'access';
    this.index = new Map();
    // Filled (not holey) arrays keep element loads on the fast path.
    this.keyAt = new Array<K | undefined>(cap + 1).fill(undefined);
    this.valueAt = new Array<V | undefined>(cap + 1).fill(undefined);
    this.next = allocate('LinkedHashMap', 'initialCapacity', 4 * (cap + 1), () => new Int32Array(cap + 1));
    this.prev = allocate('LinkedHashMap', 'initialCapacity', 4 * (cap + 1), () => new Int32Array(cap + 1));
    this.freeHead = 0;
    this.nextUnused = 1;
  }

  /**
   * Number of entries.
   * @example if (lru.size > max) lru.removeEldest()
   */
  get size(): number {
    return this.index.size;
  }

  /**
   * Entry slots allocated; grows by doubling, reset by nothing but construction.
   * @example new LinkedHashMap({ initialCapacity: 64 }).capacity // 64
   */
  get capacity(): number {
    return this.next.length - 1;
  }

  /**
   * The value for `key`, or `undefined`. In access order this makes the entry the newest.
   * @example const hit = lru.get(url)
   */
  get(key: K): V | undefined {
    const slot = this.index.get(key);
    if (slot === undefined) return undefined;
    if (this.isAccessOrder) this.toEnd(slot);
    return this.valueAt[slot];
  }

  /**
   * The value for `key`, or `undefined`, never changing the order.
   * @example const v = lru.peek(key) // inspect without refreshing
   */
  peek(key: K): V | undefined {
    const slot = this.index.get(key);
    return slot === undefined ? undefined : this.valueAt[slot];
  }

  /**
   * Whether `key` is present; never changes the order.
   * @example if (!map.has(id)) map.set(id, load(id))
   */
  has(key: K): boolean {
    return this.index.has(key);
  }

  /**
   * Sets `key` to `value`. A new key becomes the newest entry. An existing key
   * keeps its place in insertion order and becomes the newest in access order.
   * @example map.set('k', 1).set('j', 2)
   */
  set(key: K, value: V): this {
    const slot = this.index.get(key);
    if (slot !== undefined) {
      this.valueAt[slot] = value;
      if (this.isAccessOrder) this.toEnd(slot);
      return this;
    }
    const s = this.allocate();
    this.keyAt[s] = key;
    this.valueAt[s] = value;
    this.index.set(key, s);
    // Link before the sentinel, i.e. as the newest entry.
    const next = this.next;
    const prev = this.prev;
    const tail = prev[0]!;
    prev[s] = tail;
    next[s] = 0;
    next[tail] = s;
    prev[0] = s;
    return this;
  }

  /**
   * Removes `key`; returns whether it was present.
   * @example map.delete('k') // true
   */
  delete(key: K): boolean {
    const slot = this.index.get(key);
    if (slot === undefined) return false;
    this.index.delete(key);
    this.release(slot);
    return true;
  }

  /**
   * Makes `key` the newest entry (in either order); returns whether it was present.
   * @example map.moveToEnd('k')
   */
  moveToEnd(key: K): boolean {
    const slot = this.index.get(key);
    if (slot === undefined) return false;
    this.toEnd(slot);
    return true;
  }

  /**
   * The eldest entry as [key, value] (the least recently used in access order), or `undefined` when empty.
   * @example const [k, v] = map.eldest() ?? []
   */
  eldest(): [K, V] | undefined {
    const s = this.next[0]!;
    return s === 0 ? undefined : [this.keyAt[s] as K, this.valueAt[s] as V];
  }

  /**
   * The newest entry as [key, value], or `undefined` when empty.
   * @example map.newest()?.[0]
   */
  newest(): [K, V] | undefined {
    const s = this.prev[0]!;
    return s === 0 ? undefined : [this.keyAt[s] as K, this.valueAt[s] as V];
  }

  /**
   * The eldest key without allocating, or `undefined` when empty.
   * @example const victim = lru.eldestKey()
   */
  eldestKey(): K | undefined {
    return this.keyAt[this.next[0]!];
  }

  /**
   * The newest key without allocating, or `undefined` when empty.
   * @example map.newestKey()
   */
  newestKey(): K | undefined {
    return this.keyAt[this.prev[0]!];
  }

  /**
   * Removes the eldest entry and returns it as [key, value], or `undefined` when empty.
   * @example while (lru.size > max) dispose(lru.removeEldest()!)
   */
  removeEldest(): [K, V] | undefined {
    const s = this.next[0]!;
    if (s === 0) return undefined;
    const key = this.keyAt[s] as K;
    const value = this.valueAt[s] as V;
    this.index.delete(key);
    this.release(s);
    return [key, value];
  }

  /**
   * Removes every entry; keeps the allocated capacity.
   * @example map.clear()
   */
  clear(): void {
    this.index.clear();
    this.keyAt.fill(undefined);
    this.valueAt.fill(undefined);
    this.next[0] = 0;
    // Mark every slot free, so a live iterator stops instead of walking stale links.
    this.prev.fill(-1);
    this.prev[0] = 0;
    this.freeHead = 0;
    this.nextUnused = 1;
  }

  /**
   * [key, value] pairs, eldest first (or newest first with `{ reverse: true }`).
   * @example for (const [k, v] of map.entries({ reverse: true })) ...
   */
  entries(options?: LinkedHashMapIterationOptions): IterableIterator<[K, V]> {
    return this.mapSlots(this.slots(options), (s) => [this.keyAt[s] as K, this.valueAt[s] as V]);
  }

  /**
   * Keys, eldest first (or newest first with `{ reverse: true }`).
   * @example [...map.keys()]
   */
  keys(options?: LinkedHashMapIterationOptions): IterableIterator<K> {
    return this.mapSlots(this.slots(options), (s) => this.keyAt[s] as K);
  }

  /**
   * Values, eldest first (or newest first with `{ reverse: true }`).
   * @example [...map.values({ reverse: true })]
   */
  values(options?: LinkedHashMapIterationOptions): IterableIterator<V> {
    return this.mapSlots(this.slots(options), (s) => this.valueAt[s] as V);
  }

  private *mapSlots<R>(slots: Generator<number, void, undefined>, pick: (s: number) => R): IterableIterator<R> {
    for (const s of slots) yield pick(s);
  }

  /**
   * Same as {@link LinkedHashMap.entries}: eldest first.
   * @example new Map(linked) // copies in order
   */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /**
   * Calls `fn(value, key, map)` for each entry, eldest first, like `Map.prototype.forEach`.
   * @example map.forEach((v, k) => console.log(k, v))
   */
  forEach(fn: (value: V, key: K, map: this) => void): void {
    if (typeof fn !== 'function') {
      throw new InvalidArgumentError(`LinkedHashMap forEach callback must be a function, got ${describe(fn)}`);
    }
    for (const s of this.slots(undefined)) fn(this.valueAt[s] as V, this.keyAt[s] as K, this);
  }

  /** Live slots in list order; see the class note for what mutation during iteration does. */
  private slots(options: LinkedHashMapIterationOptions | undefined): Generator<number, void, undefined> {
    // Checked here, eagerly (not inside the generator), so a bad call throws where it is made.
    let reverse = false;
    if (options !== undefined) {
      if (options === null || typeof options !== 'object' || Array.isArray(options)) {
        throw new InvalidArgumentError(`LinkedHashMap iteration options must be an object when given, got ${describe(options)}`);
      }
      if (options.reverse !== undefined && typeof options.reverse !== 'boolean') {
        throw new InvalidArgumentError(`LinkedHashMap iteration reverse must be a boolean when given, got ${describe(options.reverse)}`);
      }
      reverse = options.reverse === true;
    }
    return this.walk(reverse);
  }

  private *walk(reverse: boolean): Generator<number, void, undefined> {
    let remaining = this.index.size;
    // Read the arrays through `this` on every step: growth may replace them.
    let s = reverse ? this.prev[0]! : this.next[0]!;
    while (s !== 0 && remaining > 0) {
      // Capture the successor before yielding, so deleting or moving `s` is safe.
      const following = reverse ? this.prev[s]! : this.next[s]!;
      remaining--;
      yield s;
      if (following !== 0 && this.prev[following] === -1) return; // deleted under us
      s = following;
    }
  }

  /** Unlinks `slot` and relinks it as the newest entry. */
  private toEnd(slot: number): void {
    const next = this.next;
    const prev = this.prev;
    const tail = prev[0]!;
    if (tail === slot) return;
    const p = prev[slot]!;
    const n = next[slot]!;
    next[p] = n;
    prev[n] = p;
    prev[slot] = tail;
    next[slot] = 0;
    next[tail] = slot;
    prev[0] = slot;
  }

  /** Unlinks `slot`, clears its references for the GC and puts it on the free chain. */
  private release(slot: number): void {
    const next = this.next;
    const prev = this.prev;
    const p = prev[slot]!;
    const n = next[slot]!;
    next[p] = n;
    prev[n] = p;
    this.keyAt[slot] = undefined;
    this.valueAt[slot] = undefined;
    prev[slot] = -1;
    next[slot] = this.freeHead;
    this.freeHead = slot;
  }

  /** A free slot: from the free chain, else never-used space, else after growing. */
  private allocate(): number {
    const f = this.freeHead;
    if (f !== 0) {
      this.freeHead = this.next[f]!;
      return f;
    }
    if (this.nextUnused === this.next.length) this.grow();
    return this.nextUnused++;
  }

  private grow(): void {
    const cap = this.next.length - 1;
    if (cap >= MAX_CAPACITY) {
      throw new OutOfRangeError(`LinkedHashMap size cannot exceed 2^24 entries (V8's Map limit)`);
    }
    const nextCap = Math.min(MAX_CAPACITY, cap * 2);
    const next = new Int32Array(nextCap + 1);
    next.set(this.next);
    const prev = new Int32Array(nextCap + 1);
    prev.set(this.prev);
    this.next = next;
    this.prev = prev;
    for (let i = cap + 1; i <= nextCap; i++) {
      this.keyAt.push(undefined);
      this.valueAt.push(undefined);
    }
  }
}
