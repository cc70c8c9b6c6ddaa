// blackhole-perf/metrics: histograms, the performance monitor, the resource
// sampler, Prometheus exposition and the PerformanceMetrics snapshot.
export { Histogram, percentileRank, type HistogramOptions, type HistogramSnapshot } from './histogram.ts';
export { WindowTicker, type Clock, type WindowTickerOptions } from './window-ticker.ts';
export { WindowedHistogram } from './windowed-histogram.ts';
export { WindowedCounter } from './windowed-counter.ts';
export {
  PROMETHEUS_CONTENT_TYPE,
  ExpositionWriter,
  LabelIndex,
  CardinalityError,
  assertLabelNames,
  assertMetricName,
  escapeHelp,
  escapeLabelValue,
  formatValue,
  labelBlock,
  renderLabelPairs,
  writeSummarySeries,
  type Labels,
  type MetricType,
  type SeriesKey,
} from './exposition.ts';
export {
  MetricRegistry,
  Counter,
  CounterSeries,
  Gauge,
  GaugeSeries,
  BucketHistogram,
  BucketHistogramSeries,
  Summary,
  SummarySeries,
  DEFAULT_BUCKETS,
  type Collector,
  type MetricOptions,
  type BucketHistogramOptions,
  type SummaryOptions,
  type MetricRegistryOptions,
} from './registry.ts';
export {
  PerformanceMonitor,
  statsOf,
  type MetricStats,
  type StatName,
  type MetricUnit,
  type MetricDefinition,
  type StatsSource,
  type PerformanceMonitorOptions,
  type PerformanceReport,
  type ReportSink,
} from './monitor.ts';
export { AlertEngine, type AlertRule, type AlertEvent, type AlertHost } from './alerts.ts';
export { checkBudgets, BudgetExceededError, type Budget, type BudgetViolation, type BudgetHost } from './budgets.ts';
export {
  ResourceSampler,
  type ResourceSamplerOptions,
  type ResourceSample,
  type CpuSample,
  type MemorySample,
  type EventLoopSample,
  type GcSample,
  type GcKindCounts,
  type DiskSample,
  type NetworkSample,
  type NetworkInterfaceSample,
} from './resource-sampler.ts';
export { collectPerformanceMetrics, type PerformanceMetrics, type PerformanceMetricNames } from './performance-metrics.ts';
