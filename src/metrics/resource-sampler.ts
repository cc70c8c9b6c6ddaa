/**
 * ResourceSampler: what this process (and, for a few figures, the machine) is
 * using, as rates over the interval since the previous sample.
 *
 * Sources, one per section of a {@link ResourceSample}:
 * - cpu: `process.cpuUsage()` deltas (user and system microseconds of this
 *   process), turned into `percent` (100 = one core busy for the whole
 *   interval) and `totalPercent` (share of `os.availableParallelism()` cores,
 *   0-100). `perCore` is machine-wide: busy share of each core from
 *   `os.cpus()` time deltas (user + nice + sys + irq over that plus idle).
 * - memory: `process.memoryUsage()`, bytes, a point-in-time reading.
 * - eventLoop: delay measured the way `monitorEventLoopDelay()` does it (a
 *   timer every `eventLoopResolutionMs` records the time since its previous
 *   run into a `perf_hooks` histogram), but with our own unref()ed interval
 *   and `createHistogram()`. Why not `monitorEventLoopDelay()` itself: its
 *   `reset()` also forgets the previous firing time, so the first firing
 *   after each reset records nothing, and a block that starts right after a
 *   sample (sample(); then 200 ms of synchronous work) vanished entirely
 *   (measured on Node 20.20: max 10 ms instead of 200). Keeping the previous
 *   firing time ourselves makes every interval complete. Values are reported
 *   in ms with the resolution subtracted (clamped at 0), and the histogram is
 *   reset after every sample so each sample covers only its own interval.
 *   The timer only records when it gets to run, so a synchronous block shows
 *   up in the first sample taken after the loop has turned again.
 *   `utilization` is `performance.eventLoopUtilization()` for the interval.
 * - gc: a `PerformanceObserver` on 'gc' entries, counted per interval. Entries
 *   are delivered asynchronously, so a collection shows up once the loop has
 *   turned after it.
 * - disk, network (Linux only, read from `procRoot`, default '/proc'):
 *   `self/io` (bytes this process made storage read/write, and read/write
 *   syscalls), `diskstats` (reads + writes completed by whole devices,
 *   machine-wide) and `net/dev` (bytes and packets of every interface in this
 *   process's network namespace, `lo` excluded unless `includeLoopback`).
 *
 * null means "not known", never "zero": off Linux (default `procRoot` and not
 * `linux`), when a file cannot be read, when a field is missing from it, or
 * when there is no earlier reading to take a difference from (the file was
 * unreadable last time, the device or interface is new, or its counter went
 * backwards because it was reset). Such a reading becomes the baseline for the
 * next sample.
 *
 * Whole devices in diskstats are chosen by name (so fixtures under `procRoot`
 * test it deterministically, without /sys): partitions (sda1, vda2, xvdb1,
 * nvme0n1p1, mmcblk0p1, nbd0p1, dasda1) are skipped because their parent
 * already counts their I/O; so are loop, ram and zram devices (memory, not
 * storage) and the stacked dm-* and md* devices, whose I/O is also counted by
 * the physical devices under them. `disk.devices` lists what was counted.
 *
 * All rates use the injected `now` clock for the interval length. Proc files
 * are small and read synchronously; each sample costs three reads plus
 * `os.cpus()`. Counters are JavaScript numbers: exact below 2^53, which a
 * byte counter reaches after 8 PiB.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, type CpuInfo } from 'node:os';
import { join } from 'node:path';
import {
  constants as perfConstants,
  createHistogram,
  performance,
  PerformanceObserver,
  type EventLoopUtilization,
  type RecordableHistogram,
  type PerformanceObserverEntryList,
} from 'node:perf_hooks';
import { ClosedError, describe, InvalidArgumentError } from '../errors.ts';
import { checkOptions, checkTimerMs } from '../validate.ts';

/**
 * Options of {@link ResourceSampler}.
 * @example new ResourceSampler({ eventLoopResolutionMs: 20, includeLoopback: true })
 */
export interface ResourceSamplerOptions {
  /** Period of the event-loop delay timer in ms, an integer >= 1; subtracted from each reading. Default 10. */
  eventLoopResolutionMs?: number;
  /** Count the `lo` interface in network figures. Default false. */
  includeLoopback?: boolean;
  /** Directory standing in for /proc (tests point it at fixtures). Default '/proc'. */
  procRoot?: string;
  /** Monotonic clock in ms used to measure intervals. Default `performance.now()`. */
  now?: () => number;
}

/**
 * CPU use over the interval.
 * @example if (sample.cpu.totalPercent > 80) shedLoad()
 */
export interface CpuSample {
  /** CPU time this process spent in user mode during the interval, microseconds. */
  userMicros: number;
  /** CPU time this process spent in the kernel during the interval, microseconds. */
  systemMicros: number;
  /** Process CPU use, percent of one core: 100 = one core fully busy; may exceed 100 with threads. */
  percent: number;
  /** Process CPU use as a share of all available cores, percent 0-100. */
  totalPercent: number;
  /** Cores the share is taken of (`os.availableParallelism()`), a count. */
  cores: number;
  /** Machine-wide busy share of each core over the interval, percent 0-100, by core index (empty if `os.cpus()` is). */
  perCore: number[];
}

/**
 * Memory in use at the moment of the sample, from `process.memoryUsage()`.
 * @example console.log(`${sample.memory.heapUsed / 2 ** 20} MiB heap`)
 */
export interface MemorySample {
  /** Resident set size of the process, bytes. */
  rss: number;
  /** V8 heap in use, bytes. */
  heapUsed: number;
  /** V8 heap reserved, bytes. */
  heapTotal: number;
  /** Memory of C++ objects bound to JavaScript objects, bytes. */
  external: number;
  /** Memory of ArrayBuffers and SharedArrayBuffers (included in `external`), bytes. */
  arrayBuffers: number;
}

/**
 * Event-loop delay and utilization over the interval.
 * @example if ((sample.eventLoop.p99Ms ?? 0) > 50) log.warn('event loop lagging')
 */
export interface EventLoopSample {
  /** Delay timer runs recorded in the interval, a count; 0 makes every delay field null. */
  count: number;
  /** Smallest delay, ms (resolution subtracted, clamped at 0), or null if nothing was recorded. */
  minMs: number | null;
  /** Mean delay, ms (resolution subtracted, clamped at 0), or null if nothing was recorded. */
  meanMs: number | null;
  /** Largest delay, ms (resolution subtracted, clamped at 0), or null if nothing was recorded. */
  maxMs: number | null;
  /** Median delay, ms (resolution subtracted, clamped at 0), or null if nothing was recorded. */
  p50Ms: number | null;
  /** 90th percentile delay, ms (resolution subtracted, clamped at 0), or null if nothing was recorded. */
  p90Ms: number | null;
  /** 99th percentile delay, ms (resolution subtracted, clamped at 0), or null if nothing was recorded. */
  p99Ms: number | null;
  /** Standard deviation of the delay, ms, or null if nothing was recorded. */
  stdDevMs: number | null;
  /** Share of the interval the loop spent outside its poll wait, 0..1. */
  utilization: number;
}

/**
 * Collections of each kind in the interval, counts.
 * @example const full = sample.gc.byKind.major
 */
export interface GcKindCounts {
  /** Scavenges of the young generation, a count. */
  minor: number;
  /** Full mark-sweep-compact collections, a count. */
  major: number;
  /** Incremental marking steps, a count. */
  incremental: number;
  /** Weak-callback processing, a count. */
  weakcb: number;
}

/**
 * Garbage collections observed in the interval.
 * @example if (sample.gc.maxPauseMs > 100) log.warn('long GC pause')
 */
export interface GcSample {
  /** Collections of any kind, a count. */
  count: number;
  /** Total time spent in those collections, ms. */
  pauseMs: number;
  /** Longest single collection, ms (0 if none). */
  maxPauseMs: number;
  /** Collections by kind, counts; kinds not listed count only in `count`. */
  byKind: GcKindCounts;
}

/**
 * Storage I/O over the interval (Linux; null elsewhere or when unreadable).
 * @example const mbps = (sample.disk.writeBytesPerSec ?? 0) / 1e6
 */
export interface DiskSample {
  /** Bytes this process caused to be read from storage (`self/io` read_bytes), bytes/s. */
  readBytesPerSec: number | null;
  /** Bytes this process caused to be written to storage (`self/io` write_bytes), bytes/s. */
  writeBytesPerSec: number | null;
  /** Read-like syscalls of this process (`self/io` syscr), calls/s. */
  readSyscallsPerSec: number | null;
  /** Write-like syscalls of this process (`self/io` syscw), calls/s. */
  writeSyscallsPerSec: number | null;
  /** Reads plus writes completed by the whole devices in `devices`, machine-wide, operations/s. */
  iops: number | null;
  /** Whole devices counted in `iops` (in both readings, counters not gone backwards), by kernel name, file order. */
  devices: string[] | null;
}

/**
 * Traffic of one network interface over the interval; rates are null when
 * the interface has no earlier reading (new, or its counters were reset).
 * @example for (const i of sample.network.interfaces ?? []) console.log(i.name, i.rxBytesPerSec)
 */
export interface NetworkInterfaceSample {
  /** Interface name, e.g. 'eth0'. */
  name: string;
  /** Bytes received, bytes/s. */
  rxBytesPerSec: number | null;
  /** Bytes sent, bytes/s. */
  txBytesPerSec: number | null;
  /** Packets received, packets/s. */
  rxPacketsPerSec: number | null;
  /** Packets sent, packets/s. */
  txPacketsPerSec: number | null;
}

/**
 * Network traffic of this process's network namespace over the interval
 * (Linux; null elsewhere or when unreadable). Totals sum the interfaces with
 * an earlier reading.
 * @example const inbound = sample.network.rxBytesPerSec
 */
export interface NetworkSample {
  /** Bytes received on all counted interfaces, bytes/s. */
  rxBytesPerSec: number | null;
  /** Bytes sent on all counted interfaces, bytes/s. */
  txBytesPerSec: number | null;
  /** Packets received on all counted interfaces, packets/s. */
  rxPacketsPerSec: number | null;
  /** Packets sent on all counted interfaces, packets/s. */
  txPacketsPerSec: number | null;
  /** Each interface (without `lo` unless `includeLoopback`), in file order. */
  interfaces: NetworkInterfaceSample[] | null;
}

/**
 * One reading of every source; rates cover `intervalMs` before it.
 * @example const s = sampler.sample(); console.log(s.cpu.percent, s.memory.rss, s.eventLoop.p99Ms)
 */
export interface ResourceSample {
  /** When the sample was taken, wall clock, ms since the Unix epoch. */
  timestamp: number;
  /** When the sample was taken, by the sampler's monotonic `now` clock, ms. */
  monotonicMs: number;
  /** Length of the interval the rates cover (since the previous sample or construction), ms. */
  intervalMs: number;
  /** Process and per-core CPU use. */
  cpu: CpuSample;
  /** Process memory at the moment of the sample. */
  memory: MemorySample;
  /** Event-loop delay and utilization. */
  eventLoop: EventLoopSample;
  /** Garbage collections. */
  gc: GcSample;
  /** Storage I/O (Linux). */
  disk: DiskSample;
  /** Network traffic (Linux). */
  network: NetworkSample;
}

/** Counters of `self/io`; a key missing from the file is null. */
interface IoCounters {
  readBytes: number | null;
  writeBytes: number | null;
  syscr: number | null;
  syscw: number | null;
}

/** Counters of one `net/dev` line. */
interface NetCounters {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

/** One reading of the proc files; null = the file could not be read. */
interface ProcReading {
  io: IoCounters | null;
  /** Whole device name -> reads + writes completed. */
  disks: Map<string, number> | null;
  /** Interface name -> counters, already filtered for loopback. */
  net: Map<string, NetCounters> | null;
}

const NO_PROC: ProcReading = { io: null, disks: null, net: null };
const DEFAULT_RESOLUTION_MS = 10;
const MIN_INTERVAL_MS = 10;
// Loop, RAM-backed and stacked (device-mapper, software RAID) devices: not
// storage, or storage whose I/O the devices underneath already count.
const NOT_PHYSICAL = /^(?:loop|ram|zram|dm-|md)/;
// Partition names: sdX/hdX/vdX/xvdX/dasdX + number, or <disk ending in a digit> + 'p' + number.
const PARTITION = /^(?:(?:sd|hd|vd|xvd|dasd)[a-z]+\d+|(?:nvme\d+n\d+|mmcblk\d+|nbd\d+)p\d+)$/;
const {
  NODE_PERFORMANCE_GC_MINOR,
  NODE_PERFORMANCE_GC_MAJOR,
  NODE_PERFORMANCE_GC_INCREMENTAL,
  NODE_PERFORMANCE_GC_WEAKCB,
} = perfConstants;

/**
 * Samples CPU, memory, event loop, GC, disk and network use of this process.
 * Each `sample()` reports rates over the time since the previous one (the
 * first, since construction); `start()` samples on a timer instead.
 * Construction starts an event-loop delay timer and a GC observer (neither
 * keeps the process alive): call `close()` to stop them.
 * @example
 * const sampler = new ResourceSampler();
 * sampler.start(1000);
 * registry.addSource('resources', () => sampler.stats());
 * // ... on shutdown
 * sampler.close();
 */
export class ResourceSampler {
  private readonly resolutionMs: number;
  private readonly includeLoopback: boolean;
  private readonly procRoot: string;
  /** False off Linux with the default root: no reads are tried at all. */
  private readonly readsProc: boolean;
  private readonly now: () => number;
  private readonly cores: number;
  /** Event-loop delay readings in ns, resolution included; written by the delay timer. */
  private readonly delay: RecordableHistogram;
  private readonly delayTimer: NodeJS.Timeout;
  /** `performance.now()` of the delay timer's previous run (or of its start). */
  private lastTickMs: number;
  private readonly gcObserver: PerformanceObserver;
  // Baselines: the previous reading of each source.
  private lastMs: number;
  private lastCpu: NodeJS.CpuUsage;
  private lastCpuTimes: CpuInfo['times'][];
  private lastElu: EventLoopUtilization;
  private lastProc: ProcReading;
  // GC counts since the previous sample, written by the observer callback.
  private gcCount = 0;
  private gcPauseMs = 0;
  private gcMaxPauseMs = 0;
  private gcMinor = 0;
  private gcMajor = 0;
  private gcIncremental = 0;
  private gcWeakcb = 0;
  private timer: NodeJS.Timeout | null = null;
  private latestSample: ResourceSample | null = null;
  private isClosed = false;

  constructor(options?: ResourceSamplerOptions) {
    options = checkOptions('ResourceSampler', 'options', options);
    const resolutionMs =
      options.eventLoopResolutionMs === undefined
        ? DEFAULT_RESOLUTION_MS
        : checkTimerMs('ResourceSampler', 'eventLoopResolutionMs', options.eventLoopResolutionMs, { min: 1, integer: true });
    const includeLoopback = options.includeLoopback === undefined ? false : options.includeLoopback;
    if (typeof includeLoopback !== 'boolean') {
      throw new InvalidArgumentError(
        `ResourceSampler includeLoopback must be a boolean, got ${describe(includeLoopback)}`,
      );
    }
    const procRoot = options.procRoot === undefined ? '/proc' : options.procRoot;
    if (typeof procRoot !== 'string' || procRoot.length === 0) {
      throw new InvalidArgumentError(
        `ResourceSampler procRoot must be a non-empty string, got ${describe(procRoot)}`,
      );
    }
    const now = options.now === undefined ? (() => performance.now()) : options.now;
    if (typeof now !== 'function') {
      throw new InvalidArgumentError(`ResourceSampler now must be a function, got ${describe(now)}`);
    }

    this.resolutionMs = resolutionMs;
    this.includeLoopback = includeLoopback;
    this.procRoot = procRoot;
    // An explicit root is read on any platform, so fixture tests run everywhere.
    this.readsProc = process.platform === 'linux' || options.procRoot !== undefined;
    this.now = now;
    this.cores = availableParallelism();

    this.delay = createHistogram();
    this.lastTickMs = performance.now();
    this.delayTimer = setInterval(() => this._onDelayTick(), resolutionMs);
    this.delayTimer.unref();
    this.gcObserver = new PerformanceObserver((list) => this._onGc(list));
    this.gcObserver.observe({ entryTypes: ['gc'] });

    this.lastMs = now();
    this.lastCpu = process.cpuUsage();
    this.lastCpuTimes = cpuTimes();
    this.lastElu = performance.eventLoopUtilization();
    this.lastProc = this._readProc();
  }

  /**
   * Takes a sample covering the time since the previous one (or since
   * construction) and keeps it as {@link latest}.
   * @throws ClosedError after `close()`.
   * @example const { cpu, memory } = sampler.sample()
   */
  sample(): ResourceSample {
    if (this.isClosed) throw new ClosedError('ResourceSampler');
    const nowMs = this.now();
    const intervalMs = Math.max(0, nowMs - this.lastMs);
    const seconds = intervalMs / 1000;

    const cpuNow = process.cpuUsage();
    const cpuTimesNow = cpuTimes();
    const userMicros = cpuNow.user - this.lastCpu.user;
    const systemMicros = cpuNow.system - this.lastCpu.system;
    const percent = intervalMs > 0 ? ((userMicros + systemMicros) / 1000 / intervalMs) * 100 : 0;
    const cpu: CpuSample = {
      userMicros,
      systemMicros,
      percent,
      totalPercent: Math.min(100, percent / this.cores),
      cores: this.cores,
      perCore: perCoreBusy(this.lastCpuTimes, cpuTimesNow),
    };

    const mem = process.memoryUsage();
    const memory: MemorySample = {
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
    };

    const eluNow = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(eluNow, this.lastElu).utilization;
    const eventLoop = this._readDelay(Number.isFinite(utilization) ? utilization : 0);

    const gc: GcSample = {
      count: this.gcCount,
      pauseMs: this.gcPauseMs,
      maxPauseMs: this.gcMaxPauseMs,
      byKind: {
        minor: this.gcMinor,
        major: this.gcMajor,
        incremental: this.gcIncremental,
        weakcb: this.gcWeakcb,
      },
    };
    this.gcCount = this.gcPauseMs = this.gcMaxPauseMs = 0;
    this.gcMinor = this.gcMajor = this.gcIncremental = this.gcWeakcb = 0;

    const procNow = this._readProc();
    const disk = diskSample(this.lastProc, procNow, seconds);
    const network = networkSample(this.lastProc.net, procNow.net, seconds);

    this.lastMs = nowMs;
    this.lastCpu = cpuNow;
    this.lastCpuTimes = cpuTimesNow;
    this.lastElu = eluNow;
    this.lastProc = procNow;
    const sample: ResourceSample = {
      timestamp: Date.now(),
      monotonicMs: nowMs,
      intervalMs,
      cpu,
      memory,
      eventLoop,
      gc,
      disk,
      network,
    };
    this.latestSample = sample;
    return sample;
  }

  /**
   * Samples every `intervalMs` on an unref()ed timer (it does not keep the
   * process alive), keeping the newest as {@link latest}. Calling it again
   * replaces the previous timer.
   * @throws OutOfRangeError unless 10 <= intervalMs <= 2147483647; ClosedError after `close()`.
   * @example sampler.start(5000)
   */
  start(intervalMs: number): void {
    if (this.isClosed) throw new ClosedError('ResourceSampler');
    checkTimerMs('ResourceSampler', 'intervalMs', intervalMs, { min: MIN_INTERVAL_MS });
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /**
   * The newest sample, from `sample()` or the timer, or null if none was taken.
   * @example const cpu = sampler.latest()?.cpu.percent ?? 0
   */
  latest(): ResourceSample | null {
    return this.latestSample;
  }

  /**
   * Metrics-source hook, pulled at report time. With a `start()` timer
   * running it returns the newest sample; otherwise it takes one, so that
   * each pull reports the interval since the previous pull rather than
   * repeating a stale sample. The result is plain data (numbers, strings,
   * null, arrays); do not mutate it, it is also what `latest()` returns.
   * @throws ClosedError after `close()` if no sample was ever taken.
   * @example registry.addSource('resources', () => sampler.stats())
   */
  stats(): ResourceSample {
    if (this.latestSample !== null && (this.timer !== null || this.isClosed)) return this.latestSample;
    return this.sample();
  }

  /**
   * Stops the sampling timer, the event-loop delay timer and the GC observer. Safe
   * to call twice; `latest()` still returns the last sample afterwards.
   * @example process.on('SIGTERM', () => sampler.close())
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    clearInterval(this.delayTimer);
    this.gcObserver.disconnect();
  }

  /** Records how long since the previous run: resolution plus lateness, in ns. */
  private _onDelayTick(): void {
    const t = performance.now();
    // record() takes integers >= 1; a sub-nanosecond gap cannot happen at >= 1 ms resolution.
    this.delay.record(Math.max(1, Math.round((t - this.lastTickMs) * 1e6)));
    this.lastTickMs = t;
  }

  private _onGc(list: PerformanceObserverEntryList): void {
    const entries = list.getEntries();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const pause = entry.duration;
      this.gcCount++;
      this.gcPauseMs += pause;
      if (pause > this.gcMaxPauseMs) this.gcMaxPauseMs = pause;
      // GC entries carry { kind, flags } in `detail`; the base PerformanceEntry type does not declare it.
      const kind = (entry as { detail?: { kind?: number } | null }).detail?.kind;
      if (kind === NODE_PERFORMANCE_GC_MINOR) this.gcMinor++;
      else if (kind === NODE_PERFORMANCE_GC_MAJOR) this.gcMajor++;
      else if (kind === NODE_PERFORMANCE_GC_INCREMENTAL) this.gcIncremental++;
      else if (kind === NODE_PERFORMANCE_GC_WEAKCB) this.gcWeakcb++;
    }
  }

  /** Reads and resets the delay histogram (nanoseconds, resolution included). */
  private _readDelay(utilization: number): EventLoopSample {
    const h = this.delay;
    const count = h.count;
    if (count === 0) {
      return {
        count,
        minMs: null,
        meanMs: null,
        maxMs: null,
        p50Ms: null,
        p90Ms: null,
        p99Ms: null,
        stdDevMs: null,
        utilization,
      };
    }
    const res = this.resolutionMs;
    const sample: EventLoopSample = {
      count,
      minMs: lateMs(h.min, res),
      meanMs: lateMs(h.mean, res),
      maxMs: lateMs(h.max, res),
      p50Ms: lateMs(h.percentile(50), res),
      p90Ms: lateMs(h.percentile(90), res),
      p99Ms: lateMs(h.percentile(99), res),
      stdDevMs: h.stddev / 1e6,
      utilization,
    };
    h.reset();
    return sample;
  }

  private _readProc(): ProcReading {
    if (!this.readsProc) return NO_PROC;
    const root = this.procRoot;
    const io = readText(join(root, 'self', 'io'));
    const disks = readText(join(root, 'diskstats'));
    const net = readText(join(root, 'net', 'dev'));
    return {
      io: io === null ? null : parseIo(io),
      disks: disks === null ? null : parseDiskstats(disks),
      net: net === null ? null : parseNetDev(net, this.includeLoopback),
    };
  }
}

/** A delay in ns from the histogram -> ms late beyond the timer's own period. */
function lateMs(ns: number, resolutionMs: number): number {
  return Math.max(0, ns / 1e6 - resolutionMs);
}

function cpuTimes(): CpuInfo['times'][] {
  return cpus().map((c) => c.times);
}

/** Busy share of each core between two `os.cpus()` readings, for cores in both. */
function perCoreBusy(before: CpuInfo['times'][], after: CpuInfo['times'][]): number[] {
  const n = Math.min(before.length, after.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const a = before[i];
    const b = after[i];
    const busy = b.user - a.user + (b.nice - a.nice) + (b.sys - a.sys) + (b.irq - a.irq);
    const total = busy + (b.idle - a.idle);
    out[i] = total > 0 ? Math.min(100, Math.max(0, (busy / total) * 100)) : 0;
  }
  return out;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

/** A non-negative integer counter, or null for anything else. */
function counter(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null;
  return Number(text);
}

/** `self/io`: "key: value" lines; unknown keys ignored, missing ones null. */
function parseIo(text: string): IoCounters {
  const io: IoCounters = { readBytes: null, writeBytes: null, syscr: null, syscw: null };
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const value = counter(line.slice(colon + 1).trim());
    switch (line.slice(0, colon).trim()) {
      case 'read_bytes':
        io.readBytes = value;
        break;
      case 'write_bytes':
        io.writeBytes = value;
        break;
      case 'syscr':
        io.syscr = value;
        break;
      case 'syscw':
        io.syscw = value;
        break;
    }
  }
  return io;
}

/**
 * `diskstats`: "major minor name reads merged sectors ms writes ...". Kernels
 * have appended columns over time (discard in 4.18, flush in 5.5), so only
 * the first eight are read; shorter or malformed lines are skipped.
 */
function parseDiskstats(text: string): Map<string, number> {
  const disks = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const name = f[2];
    if (NOT_PHYSICAL.test(name) || PARTITION.test(name)) continue;
    const reads = counter(f[3]);
    const writes = counter(f[7]);
    if (reads === null || writes === null) continue;
    disks.set(name, reads + writes);
  }
  return disks;
}

/**
 * `net/dev`: two header lines, then "name: <receive columns> <transmit
 * columns>". Column positions come from the second header line ("face |bytes
 * packets ...|bytes packets ...") so added columns do not shift them; without
 * a usable header the classic layout (rx bytes, packets at 0, 1; tx at 8, 9)
 * is assumed. Lines too short for those columns are skipped.
 */
function parseNetDev(text: string, includeLoopback: boolean): Map<string, NetCounters> {
  const lines = text.split('\n');
  let rxBytesAt = 0;
  let rxPacketsAt = 1;
  let txBytesAt = 8;
  let txPacketsAt = 9;
  const header = lines.find((l) => l.split('|').length >= 3 && /\bbytes\b/.test(l));
  if (header !== undefined) {
    const [, rx, tx] = header.split('|');
    const rxCols = rx.trim().split(/\s+/);
    const txCols = tx.trim().split(/\s+/);
    const rb = rxCols.indexOf('bytes');
    const rp = rxCols.indexOf('packets');
    const tb = txCols.indexOf('bytes');
    const tp = txCols.indexOf('packets');
    if (rb >= 0 && rp >= 0 && tb >= 0 && tp >= 0) {
      rxBytesAt = rb;
      rxPacketsAt = rp;
      txBytesAt = rxCols.length + tb;
      txPacketsAt = rxCols.length + tp;
    }
  }
  const need = Math.max(rxBytesAt, rxPacketsAt, txBytesAt, txPacketsAt) + 1;
  const out = new Map<string, NetCounters>();
  for (const line of lines) {
    if (line.includes('|')) continue;
    // Counters hold no ':', so the last one ends the name (old kernels print "eth0:123" with no space).
    const colon = line.lastIndexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name.length === 0 || (name === 'lo' && !includeLoopback)) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/);
    if (f.length < need) continue;
    const rxBytes = counter(f[rxBytesAt]);
    const rxPackets = counter(f[rxPacketsAt]);
    const txBytes = counter(f[txBytesAt]);
    const txPackets = counter(f[txPacketsAt]);
    if (rxBytes === null || rxPackets === null || txBytes === null || txPackets === null) continue;
    out.set(name, { rxBytes, rxPackets, txBytes, txPackets });
  }
  return out;
}

/** Rate of a counter between readings; null if either is unknown or it went backwards (reset). */
function rate(before: number | null | undefined, after: number | null, seconds: number): number | null {
  if (before === null || before === undefined || after === null || after < before) return null;
  return seconds > 0 ? (after - before) / seconds : 0;
}

function diskSample(before: ProcReading, after: ProcReading, seconds: number): DiskSample {
  const a = before.io;
  const b = after.io;
  let iops: number | null = null;
  let devices: string[] | null = null;
  if (before.disks !== null && after.disks !== null) {
    let ops = 0;
    devices = [];
    for (const [name, now] of after.disks) {
      const then = before.disks.get(name);
      if (then === undefined || now < then) continue;
      ops += now - then;
      devices.push(name);
    }
    iops = seconds > 0 ? ops / seconds : 0;
  }
  return {
    readBytesPerSec: a === null || b === null ? null : rate(a.readBytes, b.readBytes, seconds),
    writeBytesPerSec: a === null || b === null ? null : rate(a.writeBytes, b.writeBytes, seconds),
    readSyscallsPerSec: a === null || b === null ? null : rate(a.syscr, b.syscr, seconds),
    writeSyscallsPerSec: a === null || b === null ? null : rate(a.syscw, b.syscw, seconds),
    iops,
    devices,
  };
}

function networkSample(
  before: Map<string, NetCounters> | null,
  after: Map<string, NetCounters> | null,
  seconds: number,
): NetworkSample {
  if (before === null || after === null) {
    return {
      rxBytesPerSec: null,
      txBytesPerSec: null,
      rxPacketsPerSec: null,
      txPacketsPerSec: null,
      interfaces: null,
    };
  }
  let rxBytes = 0;
  let txBytes = 0;
  let rxPackets = 0;
  let txPackets = 0;
  const interfaces: NetworkInterfaceSample[] = [];
  for (const [name, now] of after) {
    const then = before.get(name);
    const isContinuous =
      then !== undefined &&
      now.rxBytes >= then.rxBytes &&
      now.txBytes >= then.txBytes &&
      now.rxPackets >= then.rxPackets &&
      now.txPackets >= then.txPackets;
    if (!isContinuous) {
      interfaces.push({ name, rxBytesPerSec: null, txBytesPerSec: null, rxPacketsPerSec: null, txPacketsPerSec: null });
      continue;
    }
    rxBytes += now.rxBytes - then.rxBytes;
    txBytes += now.txBytes - then.txBytes;
    rxPackets += now.rxPackets - then.rxPackets;
    txPackets += now.txPackets - then.txPackets;
    interfaces.push({
      name,
      rxBytesPerSec: rate(then.rxBytes, now.rxBytes, seconds),
      txBytesPerSec: rate(then.txBytes, now.txBytes, seconds),
      rxPacketsPerSec: rate(then.rxPackets, now.rxPackets, seconds),
      txPacketsPerSec: rate(then.txPackets, now.txPackets, seconds),
    });
  }
  const per = (n: number): number => (seconds > 0 ? n / seconds : 0);
  return {
    rxBytesPerSec: per(rxBytes),
    txBytesPerSec: per(txBytes),
    rxPacketsPerSec: per(rxPackets),
    txPacketsPerSec: per(txPackets),
    interfaces,
  };
}
