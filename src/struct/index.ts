// blackhole-perf/struct: re-exports only (filled in as each concept lands).
export {};
