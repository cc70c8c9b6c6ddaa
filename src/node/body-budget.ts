/**
 * The node-wide budget for request body bytes held in memory, and the arena
 * of shared blocks those bytes live in.
 *
 * A per-request limit (`maxBodyBytes`) bounds one body, not the node: sixteen
 * 60 MiB uploads at once are a gigabyte. Every body the node buffers is
 * charged here first; a request whose bytes do not fit is refused (the node
 * answers 503 with `Retry-After`) instead of being buffered. A body of known
 * length is charged in full when its headers arrive, before any byte is read;
 * a chunked body is charged block by block as it streams in. Each request
 * holds one {@link BodyReservation}; releasing it (on completion, error or
 * abort, whichever comes first; releasing twice is a no-op) gives its bytes
 * back.
 *
 * Blocks. Large bodies are stored in fixed-size blocks of `SharedArrayBuffer`
 * (`blockBytes`, 256 KiB by default) that a pool thread reads in place: no
 * copy and no transfer to the thread, and no garbage left for the thread's
 * collector to find. A released block goes back to a free list and is
 * reused, so the blocks ever allocated never exceed `limitBytes`: the bound
 * holds whatever the collectors do. The other side of that: resident memory
 * after a burst stays at the most blocks used at once (at most the budget).
 * A block is charged whole, so a large body is charged up to one block more
 * than its length.
 *
 * Single-threaded: used only on the node's event loop.
 */
/** Counters of a {@link BodyBudget}, as served under `component="body_budget"`. */
export interface BodyBudgetStats {
  /** The budget, bytes. */
  limitBytes: number;
  /** Bytes charged now. */
  inUseBytes: number;
  /** Most bytes ever charged at once. */
  peakBytes: number;
  /** Requests that are holding a reservation now. */
  holders: number;
  /** Charges refused (each a 503). */
  rejected: number;
  /** Size of one block, bytes. */
  blockBytes: number;
  /** Blocks allocated so far (in use or free): never more than limitBytes / blockBytes. */
  blocks: number;
  /** Blocks free for reuse. */
  freeBlocks: number;
}

/**
 * One request's share of the budget.
 * @example const r = budget.open(); if (!r.charge(1024)) refuse(); ... r.release();
 */
export class BodyReservation {
  private held = 0;
  private released = false;
  private readonly taken: SharedArrayBuffer[] = [];

  /** @internal use {@link BodyBudget.open}. */
  constructor(private readonly budget: BodyBudget) {}

  /** Bytes this request holds. */
  get bytes(): number {
    return this.held;
  }

  /**
   * Charges `bytes` more (a non-negative integer, checked by the caller);
   * returns false, charging nothing, when they do not fit or the reservation
   * was released.
   */
  charge(bytes: number): boolean {
    if (this.released || !this.budget.take(bytes, this.held === 0)) return false;
    this.held += bytes;
    return true;
  }

  /**
   * One block from the arena, as a Buffer over shared memory. The caller
   * must have charged its bytes first; it stays this request's until
   * {@link release} (after which it must not be touched: it is reused).
   * Null when the engine cannot allocate another block (treat as over budget).
   */
  block(): Buffer | null {
    const sab = this.budget.takeBlock();
    if (sab === null) return null;
    this.taken.push(sab);
    return Buffer.from(sab);
  }

  /** Gives every byte and block back; later calls do nothing. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.give(this.held, this.held > 0, this.taken);
    this.held = 0;
    this.taken.length = 0;
  }
}

/**
 * A byte budget shared by every request of a node.
 * @example
 * const budget = new BodyBudget(256 * 1024 * 1024);
 * const r = budget.open();
 * if (r.charge(budget.blockBytes)) { const buf = r.block(); ... } else { reply503(); }
 * res.once('close', () => r.release());
 */
export class BodyBudget {
  private inUse = 0;
  private peak = 0;
  private holding = 0;
  private refused = 0;
  private readonly free: SharedArrayBuffer[] = [];
  private made = 0;

  /**
   * @param limitBytes the budget (a non-negative safe integer, checked by the caller).
   * @param blockBytes size of one block (a positive integer, checked by the caller).
   */
  constructor(
    readonly limitBytes: number,
    readonly blockBytes = 256 * 1024,
  ) {}

  /** A new, empty reservation for one request. */
  open(): BodyReservation {
    return new BodyReservation(this);
  }

  /** @internal */
  take(bytes: number, first: boolean): boolean {
    if (this.inUse + bytes > this.limitBytes) {
      this.refused++;
      return false;
    }
    this.inUse += bytes;
    if (this.inUse > this.peak) this.peak = this.inUse;
    if (first && bytes > 0) this.holding++;
    return true;
  }

  /** @internal */
  takeBlock(): SharedArrayBuffer | null {
    const sab = this.free.pop();
    if (sab !== undefined) return sab;
    let made: SharedArrayBuffer;
    try {
      made = new SharedArrayBuffer(this.blockBytes);
    } catch {
      return null; // out of memory: the caller answers as if over budget
    }
    this.made++;
    return made;
  }

  /** @internal */
  give(bytes: number, holder: boolean, blocks: readonly SharedArrayBuffer[]): void {
    this.inUse -= bytes;
    if (holder) this.holding--;
    for (const b of blocks) this.free.push(b);
  }

  /** Current counters. */
  stats(): BodyBudgetStats {
    return {
      limitBytes: this.limitBytes,
      inUseBytes: this.inUse,
      peakBytes: this.peak,
      holders: this.holding,
      rejected: this.refused,
      blockBytes: this.blockBytes,
      blocks: this.made,
      freeBlocks: this.free.length,
    };
  }
}
