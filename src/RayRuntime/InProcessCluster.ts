/**
 * A Cluster that runs every task in the coordinator with the same operators as the local
 * runtime, still moving data between stages as Arrow IPC objects, so splitting, exchange,
 * IPC and the scheduler are exercised without processes. `workers` bounds how many tasks
 * run at once (on Node, interleaved, not in parallel).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Storage, type StorageService } from "../Engine/Storage.js"
import { Cluster, type ClusterService } from "./Cluster.js"
import * as ObjectStore from "./internal/objectStore.js"
import { PartitionOutput, TaskFailure, TaskResult, TaskTimings } from "./Protocol.js"
import * as Worker from "./Worker.js"

/** Options of the in-process cluster. */
export interface InProcessClusterOptions {
  /** Tasks running at once (default 4). */
  readonly workers?: number | undefined
  /** Test hook: every task waits this long (interruptibly) before it runs. */
  readonly taskDelayMs?: number | undefined
}

/** An in-process cluster over `storage`. */
export const make = (storage: StorageService, options: InProcessClusterOptions = {}): Effect.Effect<ClusterService> =>
  Effect.gen(function*() {
    const workers = Math.max(1, options.workers ?? 4)
    const store = ObjectStore.make("local")
    const slots = yield* Effect.makeSemaphore(workers)
    let running = 0
    let nextSlot = 0
    const submit: ClusterService["submit"] = (task) =>
      Effect.gen(function*() {
        const submitted = performance.now()
        const inputs = yield* Effect.forEach(task.inputs, (input) => Effect.forEach(input.refs, store.get))
        return yield* slots.withPermits(1)(
          Effect.gen(function*() {
            const worker = `in-process-${nextSlot++ % workers}`
            const queuedMs = performance.now() - submitted
            if ((options.taskDelayMs ?? 0) > 0) yield* Effect.sleep(options.taskDelayMs!)
            const outcome = yield* Effect.mapError(
              Worker.runTask(task, inputs, storage, task.snapshot),
              (error) => new TaskFailure({ kind: "STAGE_ERROR", worker, detail: error.message, error })
            )
            const outputs = outcome.outputs.map((bytes, p) =>
              new PartitionOutput({ ref: store.putSync(bytes), rows: outcome.rows[p]!, bytes: bytes.byteLength })
            )
            return new TaskResult({
              outputs,
              worker,
              timings: new TaskTimings({ queuedMs, runMs: outcome.runMs, totalMs: performance.now() - submitted }),
              operators: outcome.operators
            })
          })
        )
      }).pipe((run) =>
        Effect.acquireUseRelease(Effect.sync(() => running++), () => run, () => Effect.sync(() => running--))
      )
    return {
      name: "in-process",
      parallelism: workers,
      put: store.put,
      get: store.get,
      release: store.release,
      submit,
      heldObjects: store.held,
      runningTasks: Effect.sync(() => running)
    }
  })

/** The in-process cluster as a layer over the Storage service. */
export const layer = (options: InProcessClusterOptions = {}): Layer.Layer<Cluster, never, Storage> =>
  Layer.effect(Cluster, Effect.flatMap(Storage, (storage) => make(storage, options)))
