// blackhole-perf/concurrency: re-exports only.
export { Semaphore, SemaphoreTimeoutError, SEMAPHORE_TIMEOUT, type SemaphoreRelease, type SemaphoreAcquireOptions, type SemaphoreOptions } from './semaphore.ts';
export { AsyncBatcher, BatchErrorCode, BatchResultError, BatchQueueFullError, type BatchFn, type AsyncBatcherOptions, type AsyncBatcherStats, type BatchSeriesSummary } from './async-batcher.ts';
export { SmartBatcher, type SmartBatcherOptions, type SmartBatcherAddOptions, type SmartBatcherStats } from './smart-batcher.ts';
