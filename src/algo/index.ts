// blackhole-perf/algo: re-exports only.
export { NATIVE_MAX_NEEDLE, Searcher, indexOf, indexOfAll } from './search.ts';
export type { SearchInput } from './search.ts';
export { AHO_CORASICK_DENSE_LIMIT, AhoCorasick, AhoCorasickStream } from './aho-corasick.ts';
export type { AhoCorasickMatch, AhoCorasickMatchCallback, AhoCorasickOptions } from './aho-corasick.ts';
export { optimizeSort, sortNumbers, sortTyped } from './sort.ts';
export type { NumericTypedArray } from './sort.ts';
export { insertionSort, introSort } from './intro-sort.ts';
export type { MutableArrayLike, SortComparator } from './intro-sort.ts';
export { radixSortFloat32, radixSortFloat64, radixSortInt32, radixSortUint32, releaseSortScratch } from './radix-sort.ts';
