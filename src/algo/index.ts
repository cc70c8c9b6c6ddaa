// blackhole-perf/algo: re-exports only.
export { NATIVE_MAX_NEEDLE, Searcher, indexOf, indexOfAll } from './search.ts';
export type { SearchInput } from './search.ts';
export { AHO_CORASICK_DENSE_LIMIT, AhoCorasick, AhoCorasickStream } from './aho-corasick.ts';
export type { AhoCorasickMatch, AhoCorasickMatchCallback, AhoCorasickOptions } from './aho-corasick.ts';
