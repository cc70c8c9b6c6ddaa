// blackhole-perf/struct: re-exports only.
export { BTree, DEFAULT_MAX_NODE_SIZE, DEFAULT_MAX_INNER_NODE_SIZE } from './b-tree.ts';
export type { BTreeOptions, KeyComparator } from './b-tree.ts';
export { SkipList } from './skip-list.ts';
export type { SkipListOptions } from './skip-list.ts';
export { StructErrorCode, ConcurrentModificationError, StructureInvariantError } from './errors.ts';
export { RTree } from './r-tree.ts';
export type { Box, RTreeOptions, RTreeJSON } from './r-tree.ts';
export { PackedRTree, PackedRTreeStateError, PACKED_R_TREE_STATE, hilbert16 } from './packed-r-tree.ts';
export type { PackedRTreeOptions } from './packed-r-tree.ts';
export { LinkedHashMap, type LinkedHashMapOptions, type LinkedHashMapIterationOptions } from './linked-hash-map.ts';
export { BinaryHeap, defaultHeapCompare, type HeapComparator } from './binary-heap.ts';
export { NumericHeap, type NumericHeapOptions } from './numeric-heap.ts';
export { selectDataStructure, selectionTable, USE_CASE_TYPES, type UseCase, type UseCaseType, type StructureName, type DataStructureChoice } from './selector.ts';
