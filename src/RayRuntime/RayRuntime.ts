/**
 * The distributed runtime: plans a query like the local runtime (`QueryPlanner.prepare`),
 * inserts Exchanges (`DistributedPlanner`), cuts the plan into stages (`StageSplitter`)
 * and runs them on a `Cluster` (`RayExecutor`), with a fresh set of metrics per query.
 * It provides the same `Runtime` service as `LocalRuntime.layer`, so frames run unchanged.
 *
 * Layers: {@link layerInProcess} (tasks in this process), {@link layerProcesses} (a pool of
 * local worker processes), {@link layerRay} (Ray actors hosting Node workers, through the
 * Python bridge), and {@link layer} over any `Cluster`.
 *
 * Like the local runtime, `execute` emits at least one batch (a zero-row batch with the
 * output schema when the result is empty). A failed query emits nothing: the result is
 * gathered completely before the first batch is emitted.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Batch from "../Engine/Batch.js"
import * as ExecutionContext from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import * as Metrics from "../Engine/Metrics.js"
import { Storage, type StorageService } from "../Engine/Storage.js"
import * as DistributedPlanner from "../Planner/DistributedPlanner.js"
import * as Explain from "../Planner/Explain.js"
import * as QueryPlanner from "../Planner/QueryPlanner.js"
import * as StageSplitter from "../Planner/StageSplitter.js"
import type { LogicalPlan } from "../Query/LogicalPlan.js"
import { type ExplainOptions, type RunOptions, Runtime, type RuntimeService } from "../Query/Runtime.js"
import { Cluster, type ClusterService } from "./Cluster.js"
import * as InProcessCluster from "./InProcessCluster.js"
import * as explainStages from "./internal/explainStages.js"
import * as ProcessCluster from "./ProcessCluster.js"
import * as RayCluster from "./RayCluster.js"
import * as RayExecutor from "./RayExecutor.js"

/** Options of the distributed runtime. */
export interface RayRuntimeOptions {
  /** Partitions of partitioned stages (default: `config.partitions`, itself 4 by default). */
  readonly partitions?: number | undefined
  /** Run the optimizer (default true). */
  readonly optimize?: boolean | undefined
  /** Overrides of the engine config (defaults: `ExecutionContext.defaultConfig`). */
  readonly config?: Partial<ExecutionContext.EngineConfig> | undefined
  /** Attempts per task when its worker dies (default 3). */
  readonly maxAttempts?: number | undefined
  /** Recomputations of lost inputs (their producers rerun) per query before it fails (default 3). */
  readonly maxRecoveries?: number | undefined
}

/** Everything planned for one query. */
interface Planned {
  readonly prepared: QueryPlanner.Prepared
  readonly distributed: ReturnType<typeof DistributedPlanner.plan>
  readonly stages: StageSplitter.StageGraph
  readonly snapshot: number
}

/** A Runtime service over a storage and a cluster. */
export const make = (storage: StorageService, cluster: ClusterService, options: RayRuntimeOptions = {}): RuntimeService => {
  const config: ExecutionContext.EngineConfig = {
    ...ExecutionContext.defaultConfig,
    ...options.config,
    ...(options.partitions === undefined ? {} : { partitions: options.partitions })
  }
  const optimize = options.optimize ?? true

  const plan = (logical: LogicalPlan, run: RunOptions | undefined): Effect.Effect<Planned, ExecutionError> =>
    Effect.gen(function*() {
      const snapshot = run?.snapshot ?? (yield* storage.current)
      const prepared = yield* QueryPlanner.prepare(logical, storage, snapshot, config, { optimize })
      const distributed = DistributedPlanner.plan(prepared.physical, { partitions: config.partitions })
      return { prepared, distributed, stages: StageSplitter.split(distributed), snapshot }
    })

  const runPlanned = (planned: Planned, metrics: Metrics.QueryMetrics) =>
    RayExecutor.run(planned.stages, {
      cluster,
      snapshot: planned.snapshot,
      config,
      metrics,
      maxAttempts: options.maxAttempts,
      maxRecoveries: options.maxRecoveries
    })

  const execute = (logical: LogicalPlan, run?: RunOptions): Stream.Stream<Arrow.RecordBatch, ExecutionError> =>
    Stream.unwrap(
      Effect.gen(function*() {
        const planned = yield* plan(logical, run)
        const schema = planned.prepared.physical.output.toArrow()
        const batches = yield* runPlanned(planned, Metrics.make())
        const conformed = batches.map((b) => Batch.withSchema(b, schema))
        return Stream.fromIterable(conformed.length > 0 ? conformed : [Batch.empty(schema)])
      })
    )

  const explain = (logical: LogicalPlan, run?: ExplainOptions): Effect.Effect<string, ExecutionError> =>
    Effect.gen(function*() {
      const planned = yield* plan(logical, run)
      const analyze = run?.analyze === true
      const metrics = analyze ? Metrics.make() : undefined
      if (metrics !== undefined) yield* runPlanned(planned, metrics)
      return [
        "== Logical Plan ==",
        Explain.logical(planned.prepared.logical),
        "== Optimized Plan ==",
        Explain.logical(planned.prepared.optimized),
        "== Physical Plan ==",
        Explain.physical(planned.distributed),
        analyze
          ? `== Stages (analyzed, cluster=${cluster.name}) ==`
          : `== Stages (cluster=${cluster.name}) ==`,
        explainStages.stages(planned.stages, metrics)
      ].join("\n")
    })

  return { execute, explain }
}

/** The distributed runtime over whatever `Cluster` is provided (in-process, processes, Ray). */
export const layer = (options: RayRuntimeOptions = {}): Layer.Layer<Runtime, never, Storage | Cluster> =>
  Layer.effect(
    Runtime,
    Effect.gen(function*() {
      const storage = yield* Storage
      const cluster = yield* Cluster
      return make(storage, cluster, options)
    })
  )

/** The distributed runtime with every task run in this process (`workers` tasks at once, default 4). */
export const layerInProcess = (
  options: RayRuntimeOptions & InProcessCluster.InProcessClusterOptions = {}
): Layer.Layer<Runtime, never, Storage> =>
  Layer.provide(layer(options), InProcessCluster.layer(options))

/** The distributed runtime on a pool of `workers` local Node processes, owned by the layer. */
export const layerProcesses = (
  options: RayRuntimeOptions & ProcessCluster.ProcessClusterOptions
): Layer.Layer<Runtime, never, Storage> => Layer.provide(layer(options), ProcessCluster.layer(options))

/**
 * The distributed runtime on Ray: starts a local Ray when `address` is absent, connects to
 * a running cluster otherwise (`"auto"` or `host:port`), and runs every stage task on Ray
 * actors that each own a Node worker. Everything it started stops when the layer closes.
 */
export const layerRay = (
  options: RayRuntimeOptions & RayCluster.RayClusterOptions = {}
): Layer.Layer<Runtime, ExecutionError, Storage> => Layer.provide(layer(options), RayCluster.layer(options))
