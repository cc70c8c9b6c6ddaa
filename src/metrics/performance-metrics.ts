/**
 * The spec's `PerformanceMetrics` snapshot, computed from a PerformanceMonitor
 * (latency, throughput and errors over its sliding window) and a
 * ResourceSampler (resources). Which monitor metrics feed which field is
 * configurable; the defaults match what the reference node records.
 */
import { BlackholeError, ErrorCode, InvalidArgumentError, describe } from '../errors.ts';
import { checkOptions, checkString } from '../validate.ts';
import { PerformanceMonitor } from './monitor.ts';
import { ResourceSampler } from './resource-sampler.ts';

/** The spec's key performance indicators, exactly its shape. */
export interface PerformanceMetrics {
  /** Request latency over the window, ms. */
  latency: {
    /** 50th percentile. */
    p50: number;
    /** 95th percentile. */
    p95: number;
    /** 99th percentile. */
    p99: number;
    /** Maximum. */
    max: number;
  };
  /** Rates over the window, per second. */
  throughput: {
    /** Requests per second. */
    requestsPerSecond: number;
    /** Bytes (in and out) per second, from the bytes counter. */
    bytesPerSecond: number;
    /** Messages per second, from the messages counter. */
    messagesPerSecond: number;
  };
  /** What the process uses, from the sampler (without one: cpuUsage 0, memoryUsage read directly, the rest null). */
  resources: {
    /** Process CPU as a percentage of all cores (0-100). */
    cpuUsage: number;
    /** Resident set size, bytes. */
    memoryUsage: number;
    /** Storage operations completed per second by the machine's whole disks; null where unknown (off Linux). */
    diskIOPS: number | null;
    /** Network bytes per second, received plus sent; null where unknown (off Linux). */
    networkBandwidth: number | null;
  };
  /** Errors over the window. */
  errors: {
    /** Errors / requests in the window (0-1; 0 with no requests). */
    errorRate: number;
    /** Timeouts in the window. */
    timeouts: number;
    /** Failures in the window. */
    failures: number;
  };
}

/** Monitor metric names feeding the snapshot. */
export interface PerformanceMetricNames {
  /** Tracked metric of request latencies, ms. Default 'request.duration'. */
  latency?: string;
  /** Counter of requests; default: the number of latency samples. */
  requests?: string;
  /** Counter of bytes moved. Default 'bytes'. */
  bytes?: string;
  /** Counter of messages. Default 'messages'. */
  messages?: string;
  /** Counter of errors. Default 'errors'. */
  errors?: string;
  /** Counter of timeouts. Default 'timeouts'. */
  timeouts?: string;
  /** Counter of failures. Default 'failures'. */
  failures?: string;
}

/**
 * Computes the spec's snapshot over the monitor's window.
 * @example const m = collectPerformanceMetrics(monitor, sampler); m.latency.p99;
 */
export function collectPerformanceMetrics(
  monitor: PerformanceMonitor,
  sampler: ResourceSampler | null = null,
  names: PerformanceMetricNames = {},
): PerformanceMetrics {
  const fn = 'collectPerformanceMetrics';
  if (!(monitor instanceof PerformanceMonitor)) throw new InvalidArgumentError(`${fn} monitor must be a PerformanceMonitor, got ${describe(monitor)}`);
  if (sampler !== null && sampler !== undefined && !(sampler instanceof ResourceSampler)) {
    throw new InvalidArgumentError(`${fn} sampler must be a ResourceSampler or null, got ${describe(sampler)}`);
  }
  sampler ??= null;
  names = checkOptions(fn, 'names', names);
  for (const k of ['latency', 'requests', 'bytes', 'messages', 'errors', 'timeouts', 'failures'] as const) {
    if (names[k] !== undefined) checkString(fn, `names.${k}`, names[k], { nonEmpty: true });
  }
  if (monitor.closed) throw new BlackholeError(ErrorCode.CLOSED, `${fn}: the PerformanceMonitor is closed`);
  const latencyName = names.latency ?? 'request.duration';
  const lat = monitor.getWindowStats(latencyName);
  const rate = (n: string | undefined): number => (n === undefined ? 0 : monitor.getCounter(n)?.rate ?? 0);
  const inWindow = (n: string | undefined): number => (n === undefined ? 0 : monitor.getCounter(n)?.windowTotal ?? 0);
  const coveredSeconds = monitor.ticker.coveredMs() / 1000;
  const requests = names.requests !== undefined ? inWindow(names.requests) : lat?.count ?? 0;
  const requestsPerSecond = names.requests !== undefined ? rate(names.requests) : coveredSeconds > 0 ? requests / coveredSeconds : 0;
  const errors = inWindow(names.errors ?? 'errors');
  const s = sampler === null ? null : sampler.stats();
  const net = s?.network;
  return {
    latency: { p50: lat?.p50 ?? 0, p95: lat?.p95 ?? 0, p99: lat?.p99 ?? 0, max: lat?.max ?? 0 },
    throughput: {
      requestsPerSecond,
      bytesPerSecond: rate(names.bytes ?? 'bytes'),
      messagesPerSecond: rate(names.messages ?? 'messages'),
    },
    resources: {
      cpuUsage: s?.cpu.totalPercent ?? 0,
      memoryUsage: s?.memory.rss ?? process.memoryUsage.rss(),
      diskIOPS: s?.disk.iops ?? null,
      networkBandwidth: net && net.rxBytesPerSec !== null && net.txBytesPerSec !== null ? net.rxBytesPerSec + net.txBytesPerSec : null,
    },
    errors: {
      errorRate: requests > 0 ? errors / requests : 0,
      timeouts: inWindow(names.timeouts ?? 'timeouts'),
      failures: inWindow(names.failures ?? 'failures'),
    },
  };
}
