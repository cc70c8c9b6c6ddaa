/**
 * Aho-Corasick multi-pattern search over strings (UTF-16 code units) or bytes,
 * reporting every occurrence of every pattern (overlapping ones included),
 * over a whole text or a stream fed in chunks.
 *
 * Layout. Units that occur in some pattern are numbered 1..K-1 by a class map
 * (`Int32Array(65536)` for strings: a pattern set may use all 65536 units; `Int32Array(256)` for bytes); every other
 * unit is class 0. States are numbered in insertion order, 0 is the root.
 *  - Dense mode (states x K, K padded to a power of two, <= {@link AHO_CORASICK_DENSE_LIMIT}):
 *    `delta[(s << shift) + c]` is the complete transition function, holding
 *    target states premultiplied (`t << shift`), goto and failure links resolved at
 *    build time, so a step is one class lookup and one array read, with no
 *    failure loop and no branch.
 *  - Sparse mode (larger automata, e.g. many patterns over a wide Unicode
 *    alphabet): goto edges flattened into `edgeStart`/`edgeClass`/`edgeTo`
 *    (CSR, edges of a state contiguous) and the failure link `fail[s]`;
 *    a step follows failure links until an edge exists.
 * Outputs: `firstPattern[s]` is a pattern ending exactly at s (or -1) and
 * `nextPattern[p]` chains duplicates; `dictLink[s]` is the nearest state on s's
 * failure chain that ends a pattern (0: none); `outCount[s]` is how many
 * patterns end at s, so counting costs one add per unit and reporting walks
 * only states that really have output.
 *
 * Invariants: patterns are non-empty, so the root never has output; a
 * stream's state after feeding chunks c1..cn equals the state after the whole
 * text c1+...+cn, so a match spanning a chunk boundary is reported by the
 * chunk in which it ends, with absolute offsets.
 */
import { InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';
import { numberError } from '../validate.ts';

/**
 * Largest dense transition table, in entries (4 bytes each: 64 MiB), counted
 * as states x the alphabet size rounded up to a power of two. Past it the
 * automaton keeps sparse goto edges and failure links instead.
 * @example new AhoCorasick(words).isDense // true unless the table would exceed AHO_CORASICK_DENSE_LIMIT
 */
export const AHO_CORASICK_DENSE_LIMIT = 1 << 24;

/**
 * One occurrence: pattern index, start offset (inclusive) and end offset
 * (exclusive), in code units or bytes; `text.slice(start, end)` is the pattern.
 * @example { pattern: 2, start: 10, end: 14 }
 */
export interface AhoCorasickMatch {
  /** Index of the pattern in the list given to the constructor. */
  pattern: number;
  /** Offset of the first unit of the occurrence. */
  start: number;
  /** Offset just past the occurrence. */
  end: number;
}

/**
 * Called for each occurrence, in order of end offset (ties: longest pattern first).
 * @example const onMatch: AhoCorasickMatchCallback = (pattern, start, end) => hits.push(start)
 */
export type AhoCorasickMatchCallback = (pattern: number, start: number, end: number) => void;

/**
 * Construction options.
 * @example new AhoCorasick(patterns, { sparse: true })
 */
export interface AhoCorasickOptions {
  /** Force sparse (goto + failure) transitions even when a dense table would fit. For tests and tight memory. Default false. */
  sparse?: boolean;
}

/**
 * A compiled set of patterns. Built from strings it searches strings; built
 * from `Uint8Array`s (or Buffers) it searches bytes.
 * @example
 * const ac = new AhoCorasick(['he', 'she', 'hers']);
 * ac.findAll('ushers'); // [{ pattern: 1, start: 1, end: 4 }, { pattern: 0, start: 2, end: 4 }, { pattern: 2, start: 2, end: 6 }]
 */
export class AhoCorasick {
  /** Number of patterns. */
  readonly patternCount: number;
  /** Number of automaton states (the root included). */
  readonly stateCount: number;
  /** Number of unit classes (distinct pattern units, plus one for all others). */
  readonly alphabetSize: number;
  /** True when the automaton searches bytes. */
  readonly isBytes: boolean;
  /** True when transitions are a dense table (see the design note). */
  readonly isDense: boolean;
  private readonly classOf: Int32Array;
  /** log2 of the padded row width of `delta`; dense states are stored as `state << shift`. */
  private readonly shift: number;
  private readonly delta: Int32Array;
  private readonly edgeStart: Int32Array;
  private readonly edgeClass: Int32Array;
  private readonly edgeTo: Int32Array;
  private readonly fail: Int32Array;
  private readonly firstPattern: Int32Array;
  private readonly nextPattern: Int32Array;
  private readonly dictLink: Int32Array;
  private readonly outCount: Int32Array;
  private readonly lengths: Int32Array;
  /** Scratch result of {@link run}: matches found by the last run. */
  private found: number;

  constructor(patterns: readonly (string | Uint8Array)[], options: AhoCorasickOptions = {}) {
    if (!Array.isArray(patterns)) {
      throw new InvalidArgumentError(`AhoCorasick patterns must be an array of strings or of Uint8Arrays, got ${describe(patterns)}`);
    }
    if (patterns.length === 0) throw new OutOfRangeError('AhoCorasick patterns count (0) must be at least 1');
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new InvalidArgumentError(`AhoCorasick options must be an object, got ${describe(options)}`);
    }
    if (options.sparse !== undefined && typeof options.sparse !== 'boolean') {
      throw new InvalidArgumentError(`AhoCorasick option sparse must be a boolean, got ${describe(options.sparse)}`);
    }
    const isBytes = typeof patterns[0] !== 'string';
    if (isBytes && !(patterns[0] instanceof Uint8Array)) {
      throw new InvalidArgumentError(`AhoCorasick patterns[0] must be a string or a Uint8Array, got ${describe(patterns[0])}`);
    }
    const P = patterns.length;
    const lengths = new Int32Array(P);
    for (let p = 0; p < P; p++) {
      const pat = patterns[p];
      if (isBytes ? !(pat instanceof Uint8Array) : typeof pat !== 'string') {
        throw new InvalidArgumentError(
          `AhoCorasick patterns[${p}] must be ${isBytes ? 'a Uint8Array' : 'a string'} like patterns[0], got ${describe(pat)}`,
        );
      }
      if (pat.length === 0) throw new OutOfRangeError(`AhoCorasick patterns[${p}] length (0) must be at least 1`);
      lengths[p] = pat.length;
    }

    // Alphabet classes.
    const classOf = new Int32Array(isBytes ? 256 : 65536);
    let K = 1;
    for (let p = 0; p < P; p++) {
      const pat = patterns[p];
      for (let i = 0; i < pat.length; i++) {
        const u = typeof pat === 'string' ? pat.charCodeAt(i) : pat[i];
        if (classOf[u] === 0) classOf[u] = K++;
      }
    }

    // Trie with sparse children (one Map per state) while building.
    const children: Map<number, number>[] = [new Map()];
    const firstList: number[] = [-1];
    const nextPattern = new Int32Array(P).fill(-1);
    for (let p = 0; p < P; p++) {
      const pat = patterns[p];
      let s = 0;
      for (let i = 0; i < pat.length; i++) {
        const c = classOf[typeof pat === 'string' ? pat.charCodeAt(i) : pat[i]];
        let t = children[s].get(c);
        if (t === undefined) {
          t = children.length;
          children.push(new Map());
          firstList.push(-1);
          children[s].set(c, t);
        }
        s = t;
      }
      // Keep the chain in pattern order: append p at the end.
      if (firstList[s] === -1) firstList[s] = p;
      else {
        let q = firstList[s];
        while (nextPattern[q] !== -1) q = nextPattern[q];
        nextPattern[q] = p;
      }
    }
    const S = children.length;
    const firstPattern = Int32Array.from(firstList);

    // Failure links, dictionary links and output counts, in BFS order.
    const fail = new Int32Array(S);
    const dictLink = new Int32Array(S);
    const outCount = new Int32Array(S);
    const order = new Int32Array(S);
    let head = 0;
    let tail = 0;
    order[tail++] = 0;
    while (head < tail) {
      const s = order[head++];
      for (const [c, t] of children[s]) {
        let f = 0;
        if (s !== 0) {
          f = fail[s];
          while (f !== 0 && !children[f].has(c)) f = fail[f];
          f = children[f].get(c) ?? 0;
        }
        fail[t] = f;
        dictLink[t] = firstPattern[f] !== -1 ? f : dictLink[f];
        let own = 0;
        for (let q = firstPattern[t]; q !== -1; q = nextPattern[q]) own++;
        outCount[t] = own + outCount[f];
        order[tail++] = t;
      }
    }

    // Rows are padded to a power of two so a state is stored premultiplied
    // (row = state << shift): a step is then one add and one load, with no
    // multiply in the loop-carried dependency chain.
    const shift = 32 - Math.clz32(K - 1);
    const isDense = options.sparse !== true && S * 2 ** shift <= AHO_CORASICK_DENSE_LIMIT;
    let delta = new Int32Array(0);
    let edgeStart = new Int32Array(0);
    let edgeClass = new Int32Array(0);
    let edgeTo = new Int32Array(0);
    if (isDense) {
      // Resolve failures into a complete table, parents before children (BFS order),
      // so a missing edge copies the already complete row of the failure state.
      delta = new Int32Array(S << shift);
      for (let i = 0; i < S; i++) {
        const s = order[i];
        const row = s << shift;
        if (s !== 0) delta.copyWithin(row, fail[s] << shift, (fail[s] << shift) + K);
        for (const [c, t] of children[s]) delta[row + c] = t << shift;
      }
    } else {
      edgeStart = new Int32Array(S + 1);
      let edges = 0;
      for (let s = 0; s < S; s++) edges += children[s].size;
      edgeClass = new Int32Array(edges);
      edgeTo = new Int32Array(edges);
      let e = 0;
      for (let s = 0; s < S; s++) {
        edgeStart[s] = e;
        for (const [c, t] of children[s]) {
          edgeClass[e] = c;
          edgeTo[e] = t;
          e++;
        }
      }
      edgeStart[S] = e;
    }

    this.patternCount = P;
    this.stateCount = S;
    this.alphabetSize = K;
    this.isBytes = isBytes;
    this.isDense = isDense;
    this.shift = shift;
    this.classOf = classOf;
    this.delta = delta;
    this.edgeStart = edgeStart;
    this.edgeClass = edgeClass;
    this.edgeTo = edgeTo;
    this.fail = fail;
    this.firstPattern = firstPattern;
    this.nextPattern = nextPattern;
    this.dictLink = dictLink;
    this.outCount = outCount;
    this.lengths = lengths;
    this.found = 0;
  }

  /**
   * Length of pattern `pattern` in code units or bytes.
   * @example new AhoCorasick(['abc']).patternLength(0) // 3
   */
  patternLength(pattern: number): number {
    if (!Number.isInteger(pattern) || pattern < 0 || pattern >= this.patternCount) {
      throw new (numberError(pattern))(`AhoCorasick patternLength pattern (${describe(pattern)}) must be an integer from 0 to ${this.patternCount - 1}`);
    }
    return this.lengths[pattern];
  }

  /**
   * Number of occurrences of all patterns in `text`, overlapping ones included.
   * @example new AhoCorasick(['a', 'aa']).count('aaa') // 5
   */
  count(text: string | Uint8Array): number {
    this.checkText('count', text);
    this.run(text, 0, 0, null, null);
    return this.found;
  }

  /**
   * Every occurrence in `text`, ordered by end offset (ties: longest first).
   * @example new AhoCorasick(['ab', 'b']).findAll('ab') // [{ pattern: 0, start: 0, end: 2 }, { pattern: 1, start: 1, end: 2 }]
   */
  findAll(text: string | Uint8Array): AhoCorasickMatch[] {
    this.checkText('findAll', text);
    const out: AhoCorasickMatch[] = [];
    this.run(text, 0, 0, null, out);
    return out;
  }

  /**
   * Calls `onMatch(pattern, start, end)` for every occurrence, in the order of
   * {@link findAll}, without allocating; returns the number of occurrences.
   * @example ac.forEachMatch(text, (p, start) => marks[start] = 1)
   */
  forEachMatch(text: string | Uint8Array, onMatch: AhoCorasickMatchCallback): number {
    this.checkText('forEachMatch', text);
    if (typeof onMatch !== 'function') {
      throw new InvalidArgumentError(`AhoCorasick forEachMatch onMatch must be a function, got ${describe(onMatch)}`);
    }
    this.run(text, 0, 0, onMatch, null);
    return this.found;
  }

  /**
   * A stream that keeps the automaton state between chunks.
   * @example
   * const stream = ac.createStream();
   * stream.feed('us', cb); stream.feed('hers', cb); // same matches as ac.forEachMatch('ushers', cb)
   */
  createStream(): AhoCorasickStream {
    return new AhoCorasickStream(this);
  }

  /** @internal Occurrences found by the last {@link run} (for streams). */
  get lastRunCount(): number {
    return this.found;
  }

  /** @internal Validates a chunk for a stream. */
  checkText(method: string, text: unknown): void {
    if (this.isBytes ? !(text instanceof Uint8Array) : typeof text !== 'string') {
      throw new InvalidArgumentError(
        `AhoCorasick ${method} text must be ${this.isBytes ? 'a Uint8Array (patterns are bytes)' : 'a string (patterns are strings)'}, got ${describe(text)}`,
      );
    }
  }

  /**
   * @internal Runs the automaton over `text` from `state`; offsets are shifted
   * by `base`. Returns the final state; the match count is left in `found`.
   */
  run(text: string | Uint8Array, state: number, base: number, onMatch: AhoCorasickMatchCallback | null, out: AhoCorasickMatch[] | null): number {
    const classOf = this.classOf;
    const outCount = this.outCount;
    const n = text.length;
    let found = 0;
    if (!this.isDense) {
      let s = state;
      for (let i = 0; i < n; i++) {
        s = this.sparseStep(s, classOf[typeof text === 'string' ? text.charCodeAt(i) : text[i]]);
        if (outCount[s] !== 0) found += onMatch === null && out === null ? outCount[s] : this.emit(s, base + i + 1, onMatch, out);
      }
      this.found = found;
      return s;
    }
    // Dense: `r` is the current state's row (state << shift).
    const delta = this.delta;
    const shift = this.shift;
    let r = state << shift;
    if (onMatch === null && out === null) {
      // Counting only: one add per unit, no branch on output.
      if (typeof text === 'string') {
        for (let i = 0; i < n; i++) {
          r = delta[r + classOf[text.charCodeAt(i)]];
          found += outCount[r >>> shift];
        }
      } else {
        for (let i = 0; i < n; i++) {
          r = delta[r + classOf[text[i]]];
          found += outCount[r >>> shift];
        }
      }
    } else if (typeof text === 'string') {
      for (let i = 0; i < n; i++) {
        r = delta[r + classOf[text.charCodeAt(i)]];
        if (outCount[r >>> shift] !== 0) found += this.emit(r >>> shift, base + i + 1, onMatch, out);
      }
    } else {
      for (let i = 0; i < n; i++) {
        r = delta[r + classOf[text[i]]];
        if (outCount[r >>> shift] !== 0) found += this.emit(r >>> shift, base + i + 1, onMatch, out);
      }
    }
    this.found = found;
    return r >>> shift;
  }

  /** Reports every pattern ending at state `s` with end offset `end`; returns how many. */
  private emit(s: number, end: number, onMatch: AhoCorasickMatchCallback | null, out: AhoCorasickMatch[] | null): number {
    const first = this.firstPattern;
    const nextPattern = this.nextPattern;
    const lengths = this.lengths;
    let k = 0;
    for (let t = first[s] !== -1 ? s : this.dictLink[s]; t !== 0; t = this.dictLink[t]) {
      for (let p = first[t]; p !== -1; p = nextPattern[p]) {
        const start = end - lengths[p];
        if (onMatch !== null) onMatch(p, start, end);
        else out!.push({ pattern: p, start, end });
        k++;
      }
    }
    return k;
  }

  /** One transition in sparse mode: follow failure links until a goto edge exists. */
  private sparseStep(state: number, c: number): number {
    const edgeStart = this.edgeStart;
    const edgeClass = this.edgeClass;
    let s = state;
    for (;;) {
      const end = edgeStart[s + 1];
      for (let e = edgeStart[s]; e < end; e++) if (edgeClass[e] === c) return this.edgeTo[e];
      if (s === 0) return 0;
      s = this.fail[s];
    }
  }
}

/**
 * Incremental search over a text that arrives in chunks: the automaton state
 * carries across `feed` calls, so an occurrence spanning chunks is reported
 * (by the chunk it ends in) with offsets counted from the start of the stream.
 * @example
 * const stream = new AhoCorasick(['needle']).createStream();
 * stream.feed('hay nee');
 * stream.feed('dle hay', (p, start, end) => console.log(p, start, end)); // 0 4 10
 */
export class AhoCorasickStream {
  /** The automaton this stream runs. */
  readonly automaton: AhoCorasick;
  private state: number;
  private offset: number;

  constructor(automaton: AhoCorasick) {
    if (!(automaton instanceof AhoCorasick)) {
      throw new InvalidArgumentError(`AhoCorasickStream automaton must be an AhoCorasick, got ${describe(automaton)}`);
    }
    this.automaton = automaton;
    this.state = 0;
    this.offset = 0;
  }

  /** Units (code units or bytes) fed so far: the absolute offset of the next chunk. */
  get position(): number {
    return this.offset;
  }

  /**
   * Feeds the next chunk; calls `onMatch` (if given) for each occurrence that
   * ends in this chunk and returns how many there were.
   * @example stream.feed(chunk, (pattern, start, end) => hits.push([pattern, start, end]))
   */
  feed(chunk: string | Uint8Array, onMatch?: AhoCorasickMatchCallback): number {
    const ac = this.automaton;
    ac.checkText('feed', chunk);
    if (onMatch !== undefined && typeof onMatch !== 'function') {
      throw new InvalidArgumentError(`AhoCorasickStream feed onMatch must be a function when given, got ${describe(onMatch)}`);
    }
    this.state = ac.run(chunk, this.state, this.offset, onMatch ?? null, null);
    this.offset += chunk.length;
    return ac.lastRunCount;
  }

  /**
   * Feeds the next chunk and returns the occurrences ending in it.
   * @example stream.feedAll('abc') // [{ pattern: 0, start: 1, end: 3 }]
   */
  feedAll(chunk: string | Uint8Array): AhoCorasickMatch[] {
    const ac = this.automaton;
    ac.checkText('feedAll', chunk);
    const out: AhoCorasickMatch[] = [];
    this.state = ac.run(chunk, this.state, this.offset, null, out);
    this.offset += chunk.length;
    return out;
  }

  /**
   * Forgets all input: the next chunk starts at offset 0 in the root state.
   * @example stream.reset()
   */
  reset(): void {
    this.state = 0;
    this.offset = 0;
  }
}
