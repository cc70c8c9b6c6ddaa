import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, InvalidArgumentError, OutOfRangeError } from '../src/errors.ts';
import {
  MAX_TIMER_MS,
  allocate,
  checkArray,
  checkFunction,
  checkNumber,
  checkOneOf,
  checkOptions,
  checkString,
  checkTimerMs,
  optionalBoolean,
  optionalNumber,
  optionalSignal,
  optionalTimerMs,
  numberError,
  prefixArgumentError,
} from '../src/validate.ts';

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

test('checkOptions: undefined is {}, null, arrays and primitives are refused naming the component', () => {
  assert.deepEqual(checkOptions('X', 'options', undefined), {});
  const o = { a: 1 };
  assert.equal(checkOptions('X', 'options', o), o);
  for (const bad of [null, 5, 'a', [], true, 1n, Symbol('s')]) {
    assert.throws(() => checkOptions('Semaphore', 'options', bad as never), (e: Error) => code(ErrorCode.INVALID_ARG)(e) && /^Semaphore options must be an object/.test(e.message));
  }
});

test('checkNumber: wrong kinds are INVALID_ARG, rule breaks OUT_OF_RANGE, nothing is coerced', () => {
  assert.equal(checkNumber('X', 'n', 3, { integer: true, min: 1, max: 5 }), 3);
  for (const bad of ['5', null, undefined, 10n, Symbol('s'), true, [], { valueOf: () => 5 }]) {
    assert.throws(() => checkNumber('X', 'n', bad), code(ErrorCode.INVALID_ARG));
  }
  assert.throws(() => checkNumber('X', 'n', Number.NaN), code(ErrorCode.OUT_OF_RANGE));
  assert.throws(() => checkNumber('X', 'n', Infinity), code(ErrorCode.OUT_OF_RANGE));
  assert.equal(checkNumber('X', 'n', Infinity, { allowInfinity: true, min: 0 }), Infinity);
  assert.throws(() => checkNumber('X', 'n', -Infinity, { allowInfinity: true, min: 0 }), code(ErrorCode.OUT_OF_RANGE));
  assert.throws(() => checkNumber('X', 'n', 1.5, { integer: true }), code(ErrorCode.OUT_OF_RANGE));
  assert.throws(() => checkNumber('X', 'n', 2 ** 60, { integer: true }), code(ErrorCode.OUT_OF_RANGE));
  assert.throws(() => checkNumber('X', 'n', 0, { min: 0, minExclusive: true }), /X n \(0\) must be a number > 0/);
  assert.throws(() => checkNumber('H', 'max', 2 ** 53 + 2, { integer: true, min: 2, max: 2 ** 53 }), /H max \(9007199254740994\) must be an integer from 2 to 2\^53/);
  assert.equal(checkNumber('H', 'max', 2 ** 53, { integer: true, min: 2, max: 2 ** 53 }), 2 ** 53);
  assert.equal(optionalNumber('X', 'n', undefined, 7), 7);
  assert.throws(() => optionalNumber('X', 'n', null, 7), code(ErrorCode.INVALID_ARG));
});

test('checkTimerMs: refuses delays Node cannot honour (above 2^31 - 1 ms)', () => {
  assert.equal(MAX_TIMER_MS, 2147483647);
  assert.equal(checkTimerMs('X', 'ms', MAX_TIMER_MS), MAX_TIMER_MS);
  assert.throws(() => checkTimerMs('Semaphore acquire', 'timeoutMs', 2 ** 31), /Semaphore acquire timeoutMs \(2147483648\) must be a number from 0 to 2\^31 - 1/);
  assert.throws(() => checkTimerMs('X', 'ms', Infinity), code(ErrorCode.OUT_OF_RANGE));
  assert.equal(checkTimerMs('X', 'ms', Infinity, { allowInfinity: true }), Infinity);
  assert.throws(() => checkTimerMs('X', 'ms', 0, { minExclusive: true }), code(ErrorCode.OUT_OF_RANGE));
  assert.throws(() => checkTimerMs('X', 'ms', -1), code(ErrorCode.OUT_OF_RANGE));
  assert.equal(optionalTimerMs('X', 'ms', undefined, 10), 10);
});

test('checkArray: arrays pass, iterables only when allowed, strings never', () => {
  const a = [1];
  assert.equal(checkArray('X', 'labels', a), a);
  assert.throws(() => checkArray('Counter', 'labelNames', 'abc'), /Counter labelNames must be an array, got "abc"/);
  assert.throws(() => checkArray('X', 'xs', 5), code(ErrorCode.INVALID_ARG));
  assert.deepEqual(checkArray('X', 'xs', new Set([1, 2]), { iterable: true }), [1, 2]);
  assert.throws(() => checkArray('X', 'xs', 'ab', { iterable: true }), code(ErrorCode.INVALID_ARG));
  assert.throws(() => checkArray('X', 'xs', [1, 2, 3], { maxLength: 2 }), code(ErrorCode.OUT_OF_RANGE));
});

test('checkFunction, checkString, optionalBoolean, checkOneOf, optionalSignal', () => {
  const f = () => 1;
  assert.equal(checkFunction('X', 'fn', f), f);
  assert.throws(() => checkFunction('X', 'fn', 1), code(ErrorCode.INVALID_ARG));
  assert.equal(checkString('X', 's', ''), '');
  assert.throws(() => checkString('X', 's', '', { nonEmpty: true }), code(ErrorCode.INVALID_ARG));
  assert.throws(() => checkString('X', 's', 5), code(ErrorCode.INVALID_ARG));
  assert.equal(optionalBoolean('X', 'b', undefined, true), true);
  assert.throws(() => optionalBoolean('X', 'b', 1, true), code(ErrorCode.INVALID_ARG));
  assert.equal(checkOneOf('X', 'mode', 'a', ['a', 'b'] as const), 'a');
  assert.throws(() => checkOneOf('X', 'mode', 'c', ['a', 'b'] as const), /X mode must be one of "a", "b", got "c"/);
  const s = new AbortController().signal;
  assert.equal(optionalSignal('X', 'signal', s), s);
  assert.equal(optionalSignal('X', 'signal', undefined), undefined);
  assert.throws(() => optionalSignal('X', 'signal', {}), code(ErrorCode.INVALID_ARG));
});

test('allocate turns an engine allocation failure into a typed OutOfRangeError', () => {
  assert.throws(
    () => allocate('MpmcRing', 'slots * slotBytes', 2 ** 44, () => new ArrayBuffer(2 ** 44)),
    (e: Error) => code(ErrorCode.OUT_OF_RANGE)(e) && /MpmcRing slots \* slotBytes \(17592186044416 bytes\) could not be allocated/.test(e.message),
  );
  assert.equal(allocate('X', 'n', 8, () => 42), 42);
});

test('numberError: OutOfRangeError for a number outside its rule, InvalidArgumentError for anything else', () => {
  assert.equal(numberError(-1), OutOfRangeError);
  assert.equal(numberError(Number.NaN), OutOfRangeError);
  for (const v of ['5', null, undefined, 10n, Symbol('s'), {}, [], true]) assert.equal(numberError(v), InvalidArgumentError, String(typeof v));
});

test('prefixArgumentError keeps the kind of an argument error and prefixes its message; anything else passes through', () => {
  const a = prefixArgumentError(new OutOfRangeError('LruCache maxEntries (0) must be an integer from 1'), 'MemoryTier options');
  assert.ok(a instanceof OutOfRangeError);
  assert.equal((a as Error).message, 'MemoryTier options: LruCache maxEntries (0) must be an integer from 1');
  const b = prefixArgumentError(new InvalidArgumentError('x must be a number, got "5"'), 'MultiLevelCache l1');
  assert.ok(b instanceof InvalidArgumentError);
  assert.match((b as Error).message, /^MultiLevelCache l1: x must be a number/);
  const other = new Error('boom');
  assert.equal(prefixArgumentError(other, 'p'), other);
  assert.equal(prefixArgumentError('str', 'p'), 'str');
});
