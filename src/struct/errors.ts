/**
 * Errors of the struct area, and the key checks that throw them.
 *
 * Codes added here follow the rule of src/errors.ts: once published, a code
 * keeps its meaning forever and is never reused. Bad keys are argument errors
 * (`OutOfRangeError` for NaN, `InvalidArgumentError` for a key the default
 * order cannot compare), so they carry the shared codes; only operational
 * failures of a structure get a struct code.
 *
 * The key checks live here so the ordered maps (b-tree, skip-list) reject the
 * same keys with the same messages. They are plain functions with no closure
 * state, cheap enough to call once per operation (never per comparison).
 */
import { BlackholeError, InvalidArgumentError, OutOfRangeError, describe } from '../errors.ts';

/**
 * Stable error codes of the struct area. A code, once published, keeps its meaning forever.
 * @example if ((e as BlackholeError).code === StructErrorCode.CONCURRENT_MODIFICATION) restartScan()
 */
export const StructErrorCode = {
  /** An iterator was advanced after the structure it walks was changed (set of a new key, delete, clear). */
  CONCURRENT_MODIFICATION: 'ERR_BH_STRUCT_CONCURRENT_MODIFICATION',
  /** `checkValid()` found a broken structural invariant (a bug, or a comparator that is not a total order). */
  INVARIANT: 'ERR_BH_STRUCT_INVARIANT',
  /** A PackedRTree method was called in the wrong phase (add after finish, query before it). */
  PACKED_R_TREE_STATE: 'ERR_BH_PACKED_R_TREE_STATE',
} as const;

/**
 * Thrown by an iterator's `next()` when the structure changed since the iterator was created.
 * @example
 * const it = tree.keys(); tree.set(99, 'x'); it.next() // throws ConcurrentModificationError
 */
export class ConcurrentModificationError extends BlackholeError {
  constructor(component: string) {
    super(
      StructErrorCode.CONCURRENT_MODIFICATION,
      `${component} was modified during iteration; an iterator must not be advanced after set of a new key, delete or clear`,
    );
  }
}

/**
 * Thrown by `checkValid()` when a structural invariant does not hold.
 * @example
 * try { tree.checkValid() } catch (e) { if (e instanceof StructureInvariantError) console.error(e.message) }
 */
export class StructureInvariantError extends BlackholeError {
  constructor(component: string, rule: string) {
    super(StructErrorCode.INVARIANT, `${component} invariant broken: ${rule}`);
  }
}

/** Key kinds under the default order: 0 none yet, 1 numbers, 2 strings. @example let kind: NaturalKind = 0; kind = naturalKeyKind('BTree', 'set', 'a', kind); // 2 */
export type NaturalKind = 0 | 1 | 2;

/**
 * Checks a key for the default (natural) order and returns its kind: 1 for a
 * number, 2 for a string. NaN is a `RangeError`; any other type, or a kind
 * different from `kind` (the kind already stored, 0 when empty), a `TypeError`.
 * @example naturalKeyKind('BTree', 'set', 3, 0) // 1
 */
export function naturalKeyKind(component: string, op: string, key: unknown, kind: NaturalKind): 1 | 2 {
  let k: 1 | 2;
  if (typeof key === 'number') {
    if (key !== key) throw new OutOfRangeError(`${component} ${op} key (NaN) must not be NaN: NaN has no place in an order`);
    k = 1;
  } else if (typeof key === 'string') {
    k = 2;
  } else {
    throw new InvalidArgumentError(
      `${component} ${op} key must be a number or a string under the default order (pass a comparator for other keys), got ${describe(key)}`,
    );
  }
  if (kind !== 0 && kind !== k) {
    throw new InvalidArgumentError(
      `${component} ${op} key ${describe(key)} must be a ${kind === 1 ? 'number' : 'string'} like the keys already stored: the default order does not mix numbers and strings`,
    );
  }
  return k;
}

/**
 * Rejects a NaN key (used with a custom comparator, which sees every other value).
 * @example rejectNaN('SkipList', 'get', Number.NaN) // throws OutOfRangeError
 */
export function rejectNaN(component: string, op: string, key: unknown): void {
  if (typeof key === 'number' && key !== key) {
    throw new OutOfRangeError(`${component} ${op} key (NaN) must not be NaN: NaN has no place in an order`);
  }
}

/**
 * Validates a comparator option: undefined (default order) or a function.
 * @example checkComparator('BTree', (a: number, b: number) => b - a)
 */
export function checkComparator(component: string, comparator: unknown): void {
  if (comparator !== undefined && typeof comparator !== 'function') {
    throw new InvalidArgumentError(`${component} comparator must be a function (a, b) => number when given, got ${describe(comparator)}`);
  }
}
