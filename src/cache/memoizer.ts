/**
 * Memoizer: a bounded, optionally expiring cache in front of a function.
 *
 * Design. Every cached result lives in one {@link LruCache} (the bound, the
 * recency order, TTL and the hit/miss counters all come from it; the spec's
 * sketch kept an array of keys and paid O(n) `indexOf` + `splice` per hit).
 * What the LRU is keyed by depends on the call:
 *  - One primitive argument (the common case): the argument itself. No key
 *    is built and nothing is allocated on a hit: one `Map` lookup inside the
 *    LRU plus a few typed-array writes to move the entry to the front.
 *  - Anything else (zero or several arguments, or one object argument): a
 *    leaf of a trie of `Map`s, one level per argument position, keyed by the
 *    argument's value (primitives) or identity (objects and functions). The
 *    trie is keyed first by the argument count, so `f(1)` (fast path),
 *    `f(1, undefined)` and `f()` never collide. The leaf node object is the
 *    LRU key, so the LRU holds exactly one entry per cached call, whatever the
 *    arity. No `JSON.stringify`: keys are exact (`'1'` and `1` differ, two
 *    equal-looking objects differ) and building a key costs one `Map` lookup
 *    per argument.
 *  - A custom `key(...args)` function: its return value (primitive or object
 *    identity) is the LRU key, and the trie is not used.
 *
 * No leaks: when the LRU drops an entry (eviction, expiry, `delete`), its
 * `dispose` callback receives the leaf node and prunes the trie upward while a
 * node has neither children nor a cached entry. So the trie never holds more
 * than `maxSize` leaves, and at most `maxSize * arity + arity levels` nodes;
 * `stats().trieNodes` reports the live count (tested under churn).
 *
 * Results that are `undefined` are stored as a private sentinel, so "cached
 * undefined" and "absent" stay distinct with a single lookup.
 *
 * Async functions. A returned thenable is cached as is, while pending and
 * after it fulfils, so concurrent callers share one in-flight call. On
 * rejection the entry is removed (only if it still holds that very promise),
 * so the next call retries; the caller still sees the rejection.
 *
 * `this` is passed through to `fn` but is not part of the key (as in
 * fast-memoize and lodash.memoize).
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { numberError } from '../validate.ts';
import { LruCache, type CacheStats, type EvictionReason } from './lru-cache.ts';

/**
 * Options of {@link memoize} and {@link Memoizer}.
 * @example memoize(fib, { maxSize: 10_000, ttlMs: 60_000 })
 */
export interface MemoizeOptions {
  /** Most results kept; least recently used are evicted first. An integer from 1 to 2^30. Default 1000. */
  maxSize?: number;
  /** Results expire this many ms after they were computed. Default Infinity (never). */
  ttlMs?: number;
  /**
   * Builds the cache key from the arguments. The returned primitive (by value)
   * or object (by identity) is the key. Default: the arguments themselves,
   * compared position by position with SameValueZero.
   */
  key?: (...args: never[]) => unknown;
  /** Clock for TTL, in ms. Default `performance.now`. Inject one in tests. */
  clock?: () => number;
}

/**
 * Counters of a memoized function.
 * @example const { hits, misses, size } = memoized.stats();
 */
export interface MemoizeStats extends CacheStats {
  /** Live nodes in the argument trie (0 when only the one-primitive fast path or a `key` function is used). */
  trieNodes: number;
}

/**
 * A memoized function: callable like `fn`, plus cache control.
 * @example const f = memoize(slow); f(1); f.delete(1); f.clear(); f.stats().hits
 */
export type Memoized<F extends (...args: never[]) => unknown> = F & {
  /** Drops the cached result of this call, if any; true if one was dropped. */
  delete(...args: Parameters<F>): boolean;
  /** True if a live (unexpired) result for this call is cached. Does not refresh recency. */
  has(...args: Parameters<F>): boolean;
  /** Drops every cached result. */
  clear(): void;
  /** Hit/miss/eviction counters, the cached-result count and the trie size. */
  stats(): MemoizeStats;
};

const MAX_SIZE = 2 ** 30;

/** Stored in place of an `undefined` result, so a single `get` tells "cached undefined" from "absent". */
const UNDEF: unique symbol = Symbol('undefined result');
/** Returned by a non-creating key lookup when the trie path does not exist (so the call was never cached). */
const NO_KEY: unique symbol = Symbol('no key');

/** One position in the argument trie. A node is a leaf for calls that end at its depth. */
class TrieNode {
  children: Map<unknown, TrieNode> | null;
  readonly parent: TrieNode | null;
  readonly keyInParent: unknown;
  /** The `clear()` generation this node was made in; nodes of an older one are detached. */
  readonly generation: number;
  /** True while the LRU holds an entry keyed by this node. */
  isLeaf: boolean;
  /** True once pruned out of the trie (it may still be someone's key for a moment). */
  isDetached: boolean;
  constructor(parent: TrieNode | null, keyInParent: unknown, generation: number) {
    this.children = null;
    this.parent = parent;
    this.keyInParent = keyInParent;
    this.generation = generation;
    this.isLeaf = false;
    this.isDetached = false;
  }
}

/**
 * The engine behind {@link memoize}: holds the LRU and the trie. Exported as a
 * class too, in the spec's shape (`new Memoizer(fn).call(...args)`).
 * @example
 * const m = new Memoizer((a: number, b: string) => `${a}${b}`, { maxSize: 100 });
 * m.call(1, 'x'); m.call(1, 'x'); // second call is a hit
 */
export class Memoizer<F extends (...args: never[]) => unknown> {
  private readonly fn: F;
  private readonly lru: LruCache<unknown, unknown>;
  private readonly keyFn: ((...args: unknown[]) => unknown) | null;
  /** Root of the trie: children keyed by argument count. */
  private root: TrieNode;
  private nodes: number;
  private generation: number;

  constructor(fn: F, options: MemoizeOptions = {}) {
    if (typeof fn !== 'function') throw new InvalidArgumentError(`Memoizer fn must be a function, got ${describe(fn)}`);
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidArgumentError(`Memoizer options must be an object, got ${describe(options)}`);
    }
    const maxSize = options.maxSize === undefined ? 1000 : options.maxSize;
    if (!Number.isInteger(maxSize) || maxSize < 1 || maxSize > MAX_SIZE) {
      throw new (numberError(maxSize))(`Memoizer maxSize (${describe(maxSize)}) must be an integer from 1 to 2^30`);
    }
    const ttlMs = options.ttlMs === undefined ? Infinity : options.ttlMs;
    if (typeof ttlMs !== 'number' || Number.isNaN(ttlMs) || ttlMs <= 0) {
      throw new (numberError(ttlMs))(`Memoizer ttlMs (${describe(ttlMs)}) must be a number > 0 (Infinity for none)`);
    }
    if (options.key !== undefined && typeof options.key !== 'function') {
      throw new InvalidArgumentError(`Memoizer key must be a function, got ${describe(options.key)}`);
    }
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidArgumentError(`Memoizer clock must be a function, got ${describe(options.clock)}`);
    }
    this.fn = fn;
    this.keyFn = (options.key as ((...args: unknown[]) => unknown) | undefined) ?? null;
    this.generation = 0;
    this.root = new TrieNode(null, undefined, 0);
    this.nodes = 0;
    // Options chosen once here: the LRU only pays for TTL/clock when asked.
    this.lru = new LruCache<unknown, unknown>({
      maxEntries: maxSize,
      ...(ttlMs !== Infinity ? { ttlMs } : {}),
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      dispose: (_value: unknown, key: unknown, reason: EvictionReason) => {
        // 'set' replaces the value under the same leaf: the path stays. 'clear' resets the trie wholesale.
        if (reason !== 'set' && reason !== 'clear' && key instanceof TrieNode) this.prune(key);
      },
    });
  }

  /**
   * Calls the function through the cache, with `this` undefined.
   * @example m.call(2, 'b')
   */
  call(...args: Parameters<F>): ReturnType<F> {
    return this.invoke(undefined, args) as ReturnType<F>;
  }

  /**
   * The one-primitive-argument miss: computes and stores under `arg` itself.
   * The wrapper has checked that `arg` is a primitive, that no `key` function
   * is set, and that the LRU has no live entry for it.
   * @internal
   */
  missPrimitive(self: unknown, arg: unknown): unknown {
    const result = (this.fn as unknown as (this: unknown, a: unknown) => unknown).call(self, arg);
    this.store(arg, result);
    return result;
  }

  /**
   * The LRU, for the wrapper's inlined hit check (saves a call per hit).
   * @internal
   */
  get cacheForFastPath(): LruCache<unknown, unknown> {
    return this.lru;
  }

  /**
   * The general path (any arity, objects, a `key` function). A hit walks the
   * trie without creating anything; only a miss builds the path.
   * @internal
   */
  invoke(self: unknown, args: unknown[]): unknown {
    if (this.keyFn === null) {
      const n = args.length;
      const a0 = args[0];
      if (n !== 1 || (a0 !== null && (typeof a0 === 'object' || typeof a0 === 'function'))) {
        let node = this.root.children === null ? undefined : this.root.children.get(n);
        for (let i = 0; node !== undefined && i < n; i++) {
          const children: Map<unknown, TrieNode> | null = node.children;
          node = children === null ? undefined : children.get(args[i]);
        }
        if (node !== undefined && node.isLeaf) {
          const hit = this.lru.get(node);
          if (hit !== undefined) return hit === UNDEF ? undefined : hit;
          return this.miss(self, args, true); // expired: the miss is counted
        }
        return this.miss(self, args, false);
      }
    }
    const key = this.keyOf(args, true);
    const hit = this.lru.get(key);
    if (hit !== undefined) return hit === UNDEF ? undefined : hit;
    const result = (this.fn as unknown as (...a: unknown[]) => unknown).apply(self, args);
    this.store(key, result);
    return result;
  }

  /** A trie miss: builds the path, calls fn, stores. `counted`: the LRU already counted this miss. */
  private miss(self: unknown, args: unknown[], counted: boolean): unknown {
    let key = this.keyOf(args, true) as TrieNode;
    if (!counted) this.lru.get(key); // a miss, for the statistics
    let result: unknown;
    try {
      result = (this.fn as unknown as (...a: unknown[]) => unknown).apply(self, args);
    } catch (error) {
      // Nothing is cached for a throw: drop the path made for it.
      if (!key.isLeaf) this.prune(key);
      throw error;
    }
    // fn may have called clear() or delete(), or a nested call evicted this path: re-resolve.
    if (key.isDetached || key.generation !== this.generation) key = this.keyOf(args, true) as TrieNode;
    key.isLeaf = true;
    this.store(key, result);
    return result;
  }

  /**
   * Drops the cached result for these arguments; true if one was dropped.
   * @example m.delete(1, 'x')
   */
  delete(...args: Parameters<F>): boolean {
    const key = this.keyOf(args as unknown[], false);
    return key === NO_KEY ? false : this.lru.delete(key);
  }

  /**
   * True if a live result for these arguments is cached (no recency change).
   * @example m.has(1, 'x')
   */
  has(...args: Parameters<F>): boolean {
    const key = this.keyOf(args as unknown[], false);
    return key === NO_KEY ? false : this.lru.has(key);
  }

  /** Drops every cached result and the whole trie. @example m.clear() */
  clear(): void {
    this.lru.clear();
    this.generation++;
    this.root = new TrieNode(null, undefined, this.generation);
    this.nodes = 0;
  }

  /** Counters from the LRU plus the live trie node count. @example m.stats().hits */
  stats(): MemoizeStats {
    return { ...this.lru.stats(), trieNodes: this.nodes };
  }

  /** Live trie nodes (for leak tests and diagnostics). @example m.trieNodes */
  get trieNodes(): number {
    return this.nodes;
  }

  private store(key: unknown, result: unknown): void {
    this.lru.set(key, result === undefined ? UNDEF : result);
    if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof (result as PromiseLike<unknown>).then === 'function') {
      // Cache the pending promise (sharing the in-flight call); forget it if it rejects.
      (result as PromiseLike<unknown>).then(undefined, () => {
        if (this.lru.peek(key) === result) this.lru.delete(key);
      });
    }
  }

  /**
   * The LRU key for these arguments. With `create`, missing trie nodes are
   * made; without, {@link NO_KEY} means "never cached".
   */
  private keyOf(args: unknown[], create: boolean): unknown {
    if (this.keyFn !== null) return this.keyFn(...args);
    const n = args.length;
    if (n === 1) {
      const a = args[0];
      if (a === null || (typeof a !== 'object' && typeof a !== 'function')) return a; // same key as the fast path
    }
    let node = this.child(this.root, n, create);
    for (let i = 0; i < n && node !== undefined; i++) node = this.child(node, args[i], create);
    return node === undefined ? NO_KEY : node;
  }

  private child(node: TrieNode, k: unknown, create: boolean): TrieNode | undefined {
    let children = node.children;
    let next = children?.get(k);
    if (next !== undefined || !create) return next;
    if (children === null) children = node.children = new Map();
    next = new TrieNode(node, k, this.generation);
    children.set(k, next);
    this.nodes++;
    return next;
  }

  /** Unmarks a leaf the LRU dropped and removes every node left with no children and no entry. */
  private prune(leaf: TrieNode): void {
    leaf.isLeaf = false;
    if (leaf.generation !== this.generation) return; // its whole trie was dropped by clear()
    let node: TrieNode = leaf;
    while (node.parent !== null && !node.isLeaf && !node.isDetached && (node.children === null || node.children.size === 0)) {
      const parent: TrieNode = node.parent;
      parent.children!.delete(node.keyInParent);
      node.isDetached = true;
      this.nodes--;
      node = parent;
    }
  }
}

/**
 * Memoizes `fn` with an LRU bound, optional TTL and exact tuple keys. One
 * primitive argument takes an allocation-free fast path; promises are shared
 * while pending and forgotten on rejection.
 * @example
 * const area = memoize((w: number, h: number) => w * h, { maxSize: 10_000 });
 * area(3, 4); // computed
 * area(3, 4); // cached
 * const user = memoize((id: string) => db.fetchUser(id), { ttlMs: 30_000 }); // async: rejections not cached
 */
export function memoize<F extends (...args: never[]) => unknown>(fn: F, options: MemoizeOptions = {}): Memoized<F> {
  const m = new Memoizer(fn, options);
  let memoized: (this: unknown, ...args: unknown[]) => unknown;
  if (options.key !== undefined) {
    memoized = function (this: unknown, ...args: unknown[]) {
      return m.invoke(this, args);
    };
  } else {
    const lru = m.cacheForFastPath;
    // The general path takes the arguments as an array (rest parameter); the
    // wrapper forwards to it with `apply(this, arguments)`, which V8 compiles
    // without materialising `arguments`, so a one-primitive hit allocates nothing.
    const general = function (this: unknown, ...args: unknown[]) {
      return m.invoke(this, args);
    };
    memoized = function (this: unknown, a?: unknown) {
      if (arguments.length === 1 && (a === null || (typeof a !== 'object' && typeof a !== 'function'))) {
        const hit = lru.get(a);
        if (hit !== undefined) return hit === UNDEF ? undefined : hit;
        return m.missPrimitive(this, a);
      }
      // eslint-disable-next-line prefer-rest-params
      return general.apply(this, arguments as unknown as unknown[]);
    };
  }
  const out = memoized as unknown as Memoized<F>;
  out.delete = (...args: Parameters<F>) => m.delete(...args);
  out.has = (...args: Parameters<F>) => m.has(...args);
  out.clear = () => m.clear();
  out.stats = () => m.stats();
  return out;
}
