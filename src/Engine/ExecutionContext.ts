/**
 * What an operator may touch while a query runs: storage, the pinned snapshot, the
 * memory pool, metrics and config. The runtime builds one per query.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as MemoryPool from "./MemoryPool.js"
import * as Metrics from "./Metrics.js"
import type { SnapshotId, StorageService } from "./Storage.js"

/** Engine settings. */
export interface EngineConfig {
  /** Rows per batch a scan emits. */
  readonly batchSize: number
  /** The largest upper bound a multi-hop expand may ask for. */
  readonly hopCap: number
  /** Bytes a query may reserve for buffered data. */
  readonly memoryLimit: number
  /** Default number of partitions of a distributed runtime. */
  readonly partitions: number
}

/** Defaults: 65536-row batches (fewer, larger batches amortize per-batch stream overhead), hop cap 8, 1 GiB per query, 4 partitions. */
export const defaultConfig: EngineConfig = {
  batchSize: 65_536,
  hopCap: 8,
  memoryLimit: 1024 * 1024 * 1024,
  partitions: 4
}

/** Reads the config from the environment (`GRISM_BATCH_SIZE`, `GRISM_HOP_CAP`, `GRISM_MEMORY_LIMIT`, `GRISM_PARTITIONS`), with the defaults. */
export const config: Config.Config<EngineConfig> = Config.all({
  batchSize: Config.integer("GRISM_BATCH_SIZE").pipe(
    Config.withDefault(defaultConfig.batchSize),
    Config.validate({ message: "batch size must be at least 1", validation: (n) => n >= 1 })
  ),
  hopCap: Config.integer("GRISM_HOP_CAP").pipe(
    Config.withDefault(defaultConfig.hopCap),
    Config.validate({ message: "hop cap must be at least 1", validation: (n) => n >= 1 })
  ),
  memoryLimit: Config.integer("GRISM_MEMORY_LIMIT").pipe(
    Config.withDefault(defaultConfig.memoryLimit),
    Config.validate({ message: "memory limit must be positive", validation: (n) => n > 0 })
  ),
  partitions: Config.integer("GRISM_PARTITIONS").pipe(
    Config.withDefault(defaultConfig.partitions),
    Config.validate({ message: "partitions must be at least 1", validation: (n) => n >= 1 })
  )
})

/** The per-query execution context. */
export interface ExecutionContextService {
  readonly storage: StorageService
  readonly snapshot: SnapshotId
  readonly memory: MemoryPool.MemoryPool
  readonly metrics: Metrics.QueryMetrics
  readonly config: EngineConfig
}

/** The ExecutionContext service tag. */
export class ExecutionContext extends Context.Tag("@grism/ExecutionContext")<
  ExecutionContext,
  ExecutionContextService
>() {}

/** A fresh context for one query: a new memory pool of `config.memoryLimit` and empty metrics. */
export const make = (options: {
  readonly storage: StorageService
  readonly snapshot: SnapshotId
  readonly config?: Partial<EngineConfig>
}): ExecutionContextService => {
  const merged: EngineConfig = { ...defaultConfig, ...options.config }
  return {
    storage: options.storage,
    snapshot: options.snapshot,
    memory: MemoryPool.make(merged.memoryLimit),
    metrics: Metrics.make(),
    config: merged
  }
}

/** Reads the context. */
export const get: Effect.Effect<ExecutionContextService, never, ExecutionContext> = ExecutionContext
