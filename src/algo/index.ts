// blackhole-perf/algo: re-exports only (filled in as each concept lands).
export {};
