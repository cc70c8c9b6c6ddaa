import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlackholeError, ClosedError, ErrorCode, InvalidArgumentError, OutOfRangeError, describe } from '../src/errors.ts';

test('error classes carry stable codes and stay instances of the built-in kinds', () => {
  const r = new OutOfRangeError('X n (0) must be >= 1');
  assert.ok(r instanceof RangeError);
  assert.equal(r.code, ErrorCode.OUT_OF_RANGE);
  assert.equal(String(r), 'RangeError: X n (0) must be >= 1');
  const t = new InvalidArgumentError('X name must be a string');
  assert.ok(t instanceof TypeError);
  assert.equal(t.code, ErrorCode.INVALID_ARG);
  const c = new ClosedError('ThreadPool');
  assert.ok(c instanceof BlackholeError);
  assert.equal(c.code, 'ERR_BH_CLOSED');
  assert.equal(c.name, 'ClosedError');
  assert.equal(c.message, 'ThreadPool is closed');
  const cause = new Error('root');
  assert.equal(new BlackholeError('ERR_X', 'm', { cause }).cause, cause);
});

test('codes are unique', () => {
  const values = Object.values(ErrorCode);
  assert.equal(new Set(values).size, values.length);
  assert.ok(values.every((v) => v.startsWith('ERR_BH_')));
});

test('describe renders values for messages', () => {
  assert.equal(describe('a'), '"a"');
  assert.equal(describe(3), '3');
  assert.equal(describe(null), 'null');
  assert.equal(describe(undefined), 'undefined');
  assert.equal(describe([1, 2]), 'an array of 2');
  assert.equal(describe({}), 'an object');
  assert.equal(describe(() => 1), 'a function');
  assert.equal(describe(10n), '10n (a bigint)');
  assert.equal(describe(Symbol('s')), 'a symbol');
});
