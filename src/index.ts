// blackhole-perf: the root entry holds the types every area shares and the
// most common metrics types; each area also has its own subpath export
// (blackhole-perf/metrics, ...).
export * from './errors.ts';
export { Histogram, PerformanceMonitor, MetricRegistry, ResourceSampler, collectPerformanceMetrics } from './metrics/index.ts';
export type { HistogramOptions, MetricStats, PerformanceMetrics, PerformanceMonitorOptions } from './metrics/index.ts';
