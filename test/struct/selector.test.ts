import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectDataStructure, selectionTable, USE_CASE_TYPES, type UseCase } from '../../src/struct/selector.ts';
import { ErrorCode, InvalidArgumentError } from '../../src/errors.ts';

const cases: [UseCase, string][] = [
  [{ type: 'frequent_insertion', ordered: true }, 'BTree'],
  [{ type: 'frequent_insertion', ordered: false }, 'Map'],
  [{ type: 'frequent_insertion' }, 'Map'],
  [{ type: 'range_queries' }, 'BTree'],
  [{ type: 'lru_cache' }, 'LinkedHashMap'],
  [{ type: 'priority_queue' }, 'BinaryHeap'],
  [{ type: 'priority_queue', numericPriorities: true }, 'NumericHeap'],
  [{ type: 'spatial_queries' }, 'RTree'],
  [{ type: 'spatial_queries', static: true }, 'PackedRTree'],
  [{ type: 'unordered_lookup' }, 'Map'],
];

for (const [useCase, structure] of cases) {
  test(`${JSON.stringify(useCase)} selects ${structure} with a reason`, () => {
    const choice = selectDataStructure(useCase);
    assert.equal(choice.structure, structure);
    assert.equal(typeof choice.reason, 'string');
    assert.ok(choice.reason.length > 10);
  });
}

test('every use-case type is covered and the table agrees with the function', () => {
  assert.deepEqual([...USE_CASE_TYPES], ['frequent_insertion', 'range_queries', 'lru_cache', 'priority_queue', 'spatial_queries', 'unordered_lookup']);
  const table = selectionTable();
  for (const type of USE_CASE_TYPES) assert.ok(table.some((row) => row.type === type), type);
  for (const row of table) assert.ok(cases.some(([u, s]) => u.type === row.type && s === row.structure), `${row.type} -> ${row.structure}`);
});

test('returned choices are copies: mutating one does not change the next answer', () => {
  const a = selectDataStructure({ type: 'lru_cache' });
  a.structure = 'Map';
  assert.equal(selectDataStructure({ type: 'lru_cache' }).structure, 'LinkedHashMap');
});

test('an unknown use case throws a typed TypeError naming the value and the allowed ones', () => {
  assert.throws(
    () => selectDataStructure({ type: 'graph_search' } as unknown as UseCase),
    (e: unknown) =>
      e instanceof TypeError &&
      (e as InvalidArgumentError).code === ErrorCode.INVALID_ARG &&
      e.message === 'selectDataStructure useCase.type ("graph_search") must be one of "frequent_insertion", "range_queries", "lru_cache", "priority_queue", "spatial_queries", "unordered_lookup"',
  );
  assert.throws(() => selectDataStructure({} as UseCase), /useCase.type \(undefined\) must be one of/);
});

test('a non-object use case or a non-boolean flag throws a typed TypeError', () => {
  assert.throws(() => selectDataStructure('lru_cache' as unknown as UseCase), (e: unknown) => e instanceof InvalidArgumentError && /useCase must be an object \{ type \}, got "lru_cache"/.test(e.message));
  assert.throws(() => selectDataStructure(null as unknown as UseCase), /got null/);
  assert.throws(
    () => selectDataStructure({ type: 'frequent_insertion', ordered: 'yes' } as unknown as UseCase),
    (e: unknown) => e instanceof InvalidArgumentError && /useCase.ordered must be a boolean when given, got "yes"/.test(e.message),
  );
});
