// blackhole-perf/concurrency: re-exports only.
export { Semaphore, SemaphoreTimeoutError, SEMAPHORE_TIMEOUT, type SemaphoreRelease, type SemaphoreAcquireOptions, type SemaphoreOptions } from './semaphore.ts';
export { AsyncBatcher, BatchErrorCode, BatchResultError, BatchQueueFullError, type BatchFn, type AsyncBatcherOptions, type AsyncBatcherStats, type BatchSeriesSummary } from './async-batcher.ts';
export { SmartBatcher, type SmartBatcherOptions, type SmartBatcherAddOptions, type SmartBatcherStats } from './smart-batcher.ts';
export { SpscRing, SpscProducer, SpscConsumer } from './spsc-ring.ts';
export type { SpscRingOptions } from './spsc-ring.ts';
export { MpmcRing } from './mpmc-ring.ts';
export type { MpmcRingOptions } from './mpmc-ring.ts';
export { ConcurrencyErrorCode, RingTimeoutError } from './errors.ts';
export { readCpuTopology, parseCpuList, formatCpuList, MAX_CPU_ID } from './cpu-topology.ts';
export type { CpuTopology, CpuTopologySource, NumaNode, ReadCpuTopologyOptions } from './cpu-topology.ts';
export { planCorePlacement, MAX_PLACEMENT_THREADS } from './core-placement.ts';
export type { PlacementPolicy, PlacementPolicyName, CpuLoad, CorePlacementOptions } from './core-placement.ts';
