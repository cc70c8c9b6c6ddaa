// The root entry: shared errors and re-exports of the metrics area (fuzzed in
// specs/metrics.ts, under the same classes).
import { describe } from '../../../src/errors.ts';
import { any, type AreaSpec } from '../harness.ts';

const spec: AreaSpec = {
  area: 'root',
  classes: [],
  functions: [{ name: 'describe', component: '', call: (v: unknown) => describe(v), params: [any(1)] }],
  exempt: {
    BlackholeError: 'an error class: built by the package, any message accepted',
    OutOfRangeError: 'an error class',
    InvalidArgumentError: 'an error class',
    ClosedError: 'an error class',
    Histogram: 'fuzzed in specs/metrics.ts',
    PerformanceMonitor: 'fuzzed in specs/metrics.ts',
    MetricRegistry: 'fuzzed in specs/metrics.ts',
    ResourceSampler: 'fuzzed in specs/metrics.ts',
    collectPerformanceMetrics: 'fuzzed in specs/metrics.ts',
  },
};
export default spec;
