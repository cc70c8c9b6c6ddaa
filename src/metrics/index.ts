// blackhole-perf/metrics: re-exports only.
export {};
