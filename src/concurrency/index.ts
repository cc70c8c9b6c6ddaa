// blackhole-perf/concurrency: re-exports only.
export {};
