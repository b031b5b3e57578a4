/**
 * The local runtime: plans a query once (`QueryPlanner.prepare`) and streams it through
 * the operators in this process, with a fresh `ExecutionContext` per query.
 *
 * The stream of `execute` emits at least one batch: when the query produces no batches it
 * emits one zero-row batch with the output schema (so `collect` keeps the schema).
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
import { Storage, type StorageService } from "../Engine/Storage.js"
import * as Explain from "../Planner/Explain.js"
import * as QueryPlanner from "../Planner/QueryPlanner.js"
import type { LogicalPlan } from "../Query/LogicalPlan.js"
import { type ExplainOptions, type RunOptions, Runtime, type RuntimeService } from "../Query/Runtime.js"
import * as LocalExecutor from "./LocalExecutor.js"

/** Options of {@link layerWith}. */
export interface LocalRuntimeOptions {
  /** Run the optimizer (default true). */
  readonly optimize?: boolean | undefined
  /** Overrides of the engine config (defaults: `ExecutionContext.defaultConfig`). */
  readonly config?: Partial<ExecutionContext.EngineConfig> | undefined
}

/** Ensures at least one batch: a zero-row batch with `schema` when the stream is empty. */
const nonEmpty = <E, R>(
  stream: Stream.Stream<Arrow.RecordBatch, E, R>,
  schema: Arrow.Schema
): Stream.Stream<Arrow.RecordBatch, E, R> =>
  Stream.suspend(() => {
    let emitted = false
    return Stream.concat(
      Stream.tap(stream, () => Effect.sync(() => {
        emitted = true
      })),
      Stream.suspend(() => (emitted ? Stream.empty : Stream.make(Batch.empty(schema))))
    )
  })

/** A Runtime service over a storage, an optimize switch and an engine config. */
export const make = (
  storage: StorageService,
  optimize: boolean,
  config: ExecutionContext.EngineConfig
): RuntimeService => {
  const prepare = (plan: LogicalPlan, options: RunOptions | undefined) =>
    Effect.gen(function*() {
      const snapshot = options?.snapshot ?? (yield* storage.current)
      const prepared = yield* QueryPlanner.prepare(plan, storage, snapshot, config, { optimize })
      const context = ExecutionContext.make({ storage, snapshot, config })
      return { prepared, context }
    })

  const execute = (plan: LogicalPlan, options?: RunOptions): Stream.Stream<Arrow.RecordBatch, ExecutionError> =>
    Stream.unwrap(
      Effect.map(prepare(plan, options), ({ context, prepared }) =>
        nonEmpty(
          Stream.provideService(LocalExecutor.execute(prepared.physical), ExecutionContext.ExecutionContext, context),
          prepared.physical.output.toArrow()
        )
      )
    )

  const explain = (plan: LogicalPlan, options?: ExplainOptions): Effect.Effect<string, ExecutionError> =>
    Effect.gen(function*() {
      const { context, prepared } = yield* prepare(plan, options)
      if (options?.analyze === true) {
        yield* Stream.runDrain(
          Stream.provideService(LocalExecutor.execute(prepared.physical), ExecutionContext.ExecutionContext, context)
        )
      }
      return Explain.render(prepared, options?.analyze === true ? context.metrics : undefined)
    })

  return { execute, explain }
}

/** The local runtime with explicit options (config overrides on top of the defaults). */
export const layerWith = (options: LocalRuntimeOptions = {}): Layer.Layer<Runtime, never, Storage> =>
  Layer.effect(
    Runtime,
    Effect.map(Storage, (storage) =>
      make(storage, options.optimize ?? true, { ...ExecutionContext.defaultConfig, ...options.config }))
  )

/** The local runtime, optimizer on, config read from the environment (`ExecutionContext.config`). */
export const layer: Layer.Layer<Runtime, never, Storage> = Layer.effect(
  Runtime,
  Effect.gen(function*() {
    const storage = yield* Storage
    const config = yield* Effect.orDie(ExecutionContext.config)
    return make(storage, true, config)
  })
)
