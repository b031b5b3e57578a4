/**
 * The engine side of the benchmark: loads `InMemoryStorage` from the generated Arrow
 * tables, builds the snapshot's graph index, and runs frames through
 * `LocalRuntime.layer` (one ManagedRuntime for the whole run).
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Stream from "effect/Stream"
import * as ExecutionContext from "../src/Engine/ExecutionContext.js"
import { type ArrowGraphInput, Storage, type SnapshotId, type StorageService } from "../src/Engine/Storage.js"
import * as LocalExecutor from "../src/LocalRuntime/LocalExecutor.js"
import * as LocalRuntime from "../src/LocalRuntime/LocalRuntime.js"
import * as QueryPlanner from "../src/Planner/QueryPlanner.js"
import type { Frame } from "../src/Query/Frame.js"
import type { Runtime } from "../src/Query/Runtime.js"
import * as InMemoryStorage from "../src/Storage/InMemoryStorage.js"

/** A loaded engine: the storage, its snapshot and a runtime over them. */
export interface LoadedEngine {
  readonly storage: StorageService
  readonly snapshot: SnapshotId
  readonly runtime: ManagedRuntime.ManagedRuntime<Runtime, never>
  /** Time of `makeFromArrow` (ms). */
  readonly storageMs: number
  /** Time of the first-use index build (ms). */
  readonly indexMs: number
}

/** Builds the storage from Arrow input and forces the index build the benchmark queries use. */
export const load = async (input: ArrowGraphInput): Promise<LoadedEngine> => {
  const t0 = performance.now()
  const storage = await Effect.runPromise(InMemoryStorage.makeFromArrow(input))
  const t1 = performance.now()
  const snapshot = await Effect.runPromise(storage.current)
  const index = await Effect.runPromise(storage.index(snapshot))
  index.nodeLabelMask("Person")
  index.nodeLabelMask("Company")
  index.adjacency("KNOWS", "out")
  index.adjacency("WORKS_AT", "out")
  const t2 = performance.now()
  const runtime = ManagedRuntime.make(LocalRuntime.layer.pipe(Layer.provide(Layer.succeed(Storage, storage))))
  return { storage, snapshot, runtime, storageMs: t1 - t0, indexMs: t2 - t1 }
}

/** Runs a frame to an Arrow table. */
export const collect = (engine: LoadedEngine, frame: Frame): Promise<Arrow.Table> =>
  engine.runtime.runPromise(frame.collect())

/**
 * Runs a frame once through the same planner and executor as `LocalRuntime` but with a
 * context we keep, and returns the query's peak memory reservation (bytes).
 */
export const peakReservation = (engine: LoadedEngine, frame: Frame): Promise<number> =>
  Effect.runPromise(
    Effect.gen(function*() {
      const config = yield* Effect.orDie(ExecutionContext.config)
      const prepared = yield* QueryPlanner.prepare(frame.plan, engine.storage, engine.snapshot, config, { optimize: true })
      const context = ExecutionContext.make({ storage: engine.storage, snapshot: engine.snapshot, config })
      yield* Stream.runDrain(
        Stream.provideService(LocalExecutor.execute(prepared.physical), ExecutionContext.ExecutionContext, context)
      )
      return context.memory.peak()
    })
  )

/** Releases the runtime. */
export const dispose = (engine: LoadedEngine): Promise<void> => engine.runtime.dispose()
