// blackhole-perf/memory: re-exports only (filled in as each concept lands).
export {};
