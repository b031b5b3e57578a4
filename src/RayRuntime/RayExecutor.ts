/**
 * The stage scheduler of the distributed runtime. Given a query's stage DAG
 * (`StageSplitter.StageGraph`, producers first) and a `Cluster`, it runs every stage's
 * partitions as tasks (at most `cluster.parallelism` at once), hands each consumer task
 * the refs its exchange routes to it, and gathers the result stage's outputs (in task
 * order) into the result batches.
 *
 * Failure and cancellation (SEMANTICS §7–§8):
 * - a task whose worker died (`WORKER_DIED`) runs again, up to `maxAttempts` attempts in
 *   all; its partial output was never kept;
 * - any other failure fails the query with `StageFailed { stage, partition, attempts,
 *   cause }` (the task's typed error, or a `WorkerFailure` naming the failure kind); the
 *   stage's other tasks are cancelled and nothing partial is returned;
 * - interrupting the query interrupts every in-flight `submit` (which cancels its task)
 *   and, in every case, releases every object the query created.
 *
 * Per-stage metrics (`metrics.stage(id)`): tasks, attempts, elapsed time, rows and bytes
 * per output partition, and where each task ran; per-operator counters of the successful
 * attempts are summed into `metrics.operator(...)`.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Effect from "effect/Effect"
import type { EngineConfig } from "../Engine/ExecutionContext.js"
import { type ExecutionError, StageFailed, WorkerFailure } from "../Engine/ExecutionError.js"
import type { QueryMetrics } from "../Engine/Metrics.js"
import * as Partitioning from "../Engine/Partitioning.js"
import type { SnapshotId } from "../Engine/Storage.js"
import * as StageSplitter from "../Planner/StageSplitter.js"
import type { ClusterService } from "./Cluster.js"
import * as Ipc from "./internal/ipc.js"
import { type ObjectRef, TaskConfig, TaskInput, type TaskResult, TaskSpec } from "./Protocol.js"
import * as Worker from "./Worker.js"

/** What a query run needs besides its stages. */
export interface RunContext {
  readonly cluster: ClusterService
  readonly snapshot: SnapshotId
  readonly config: EngineConfig
  readonly metrics: QueryMetrics
  /** Attempts per task when workers die (default 3). */
  readonly maxAttempts?: number | undefined
  /** A name for the query's tasks (default: generated). */
  readonly query?: string | undefined
}

let queries = 0

/** Runs the stages and returns the result stage's batches (in task order); nothing partial on failure. */
export const run = (
  graph: StageSplitter.StageGraph,
  context: RunContext
): Effect.Effect<ReadonlyArray<Arrow.RecordBatch>, ExecutionError> => {
  const { cluster, metrics } = context
  const maxAttempts = Math.max(1, context.maxAttempts ?? 3)
  const query = context.query ?? `q${queries++}`
  const config = new TaskConfig({
    batchSize: context.config.batchSize,
    hopCap: context.config.hopCap,
    memoryLimit: context.config.memoryLimit
  })
  /** Every object this query holds. */
  const held = new Set<ObjectRef>()
  /** outputs.get(stage)[task][partition] */
  const outputs = new Map<number, ReadonlyArray<ReadonlyArray<ObjectRef>>>()

  const releaseAll = Effect.suspend(() => {
    const refs = [...held]
    held.clear()
    return cluster.release(refs)
  })

  const inputsOf = (stage: StageSplitter.Stage, partition: number): ReadonlyArray<TaskInput> =>
    stage.inputs.map((input) => {
      const produced = outputs.get(input.stage)
      if (produced === undefined) throw new Error(`RayExecutor: stage ${stage.id} runs before its producer ${input.stage}`)
      return new TaskInput({
        producer: input.stage,
        refs: produced.map((parts) => (input.mode._tag === "Shuffle" ? parts[partition]! : parts[0]!))
      })
    })

  const runTask = (stage: StageSplitter.Stage, partition: number): Effect.Effect<TaskResult, ExecutionError> => {
    const stageMetrics = metrics.stage(stage.id)
    const plan = Worker.encodeTaskPlan(StageSplitter.taskPlan(stage, partition))
    const inputs = inputsOf(stage, partition)
    const attempt = (n: number): Effect.Effect<TaskResult, ExecutionError> => {
      const spec = new TaskSpec({
        query,
        stage: stage.id,
        plan,
        partition,
        attempt: n,
        inputs,
        output: stage.output,
        snapshot: context.snapshot,
        config
      })
      return Effect.uninterruptibleMask((restore) =>
        Effect.sync(() => stageMetrics.attempts++).pipe(
          Effect.zipRight(restore(cluster.submit(spec))),
          // Outputs are recorded before anything can interrupt, so they are always released.
          Effect.tap((result) => Effect.sync(() => result.outputs.forEach((o) => held.add(o.ref))))
        )
      ).pipe(
        Effect.catchTag("TaskFailure", (failure): Effect.Effect<TaskResult, ExecutionError> => {
          if (failure.kind === "WORKER_DIED" && n < maxAttempts) return attempt(n + 1)
          const cause: ExecutionError = failure.kind === "STAGE_ERROR" && failure.error !== undefined
            ? failure.error
            : new WorkerFailure({ kind: failure.kind, detail: failure.detail })
          return Effect.fail(new StageFailed({ stage: stage.id, partition, attempts: n, cause }))
        })
      )
    }
    return attempt(1)
  }

  const runStage = (stage: StageSplitter.Stage): Effect.Effect<void, ExecutionError> =>
    Effect.gen(function*() {
      const started = performance.now()
      const stageMetrics = metrics.stage(stage.id)
      const n = Partitioning.partitionCount(stage.output)
      for (let p = stageMetrics.outputRows.length; p < n; p++) {
        stageMetrics.outputRows.push(0)
        stageMetrics.outputBytes.push(0)
      }
      const results = yield* Effect.forEach(
        Array.from({ length: stage.partitions }, (_, i) => i),
        (partition) => runTask(stage, partition),
        { concurrency: Math.max(1, cluster.parallelism) }
      )
      stageMetrics.tasks += stage.partitions
      results.forEach((result, task) => {
        stageMetrics.placement[task] = result.worker
        result.outputs.forEach((o, p) => {
          stageMetrics.outputRows[p]! += o.rows
          stageMetrics.outputBytes[p]! += o.bytes
        })
        for (const op of result.operators) {
          const m = metrics.operator(op.operatorId, op.operator)
          m.rowsIn += op.rowsIn
          m.rowsOut += op.rowsOut
          m.batchesIn += op.batchesIn
          m.batchesOut += op.batchesOut
          m.elapsedMs += op.elapsedMs
          m.peakMemory = Math.max(m.peakMemory, op.peakMemory)
        }
      })
      stageMetrics.elapsedMs += performance.now() - started
      outputs.set(stage.id, results.map((r) => r.outputs.map((o) => o.ref)))
      // Each producer has one consumer: its outputs are no longer needed.
      for (const input of stage.inputs) {
        const consumed = outputs.get(input.stage) ?? []
        outputs.delete(input.stage)
        const refs = consumed.flat()
        refs.forEach((ref) => held.delete(ref))
        yield* cluster.release(refs)
      }
    })

  return Effect.gen(function*() {
    for (const stage of graph.stages) yield* runStage(stage)
    const result = outputs.get(graph.result) ?? []
    const batches: Array<Arrow.RecordBatch> = []
    for (const parts of result) {
      const bytes = yield* Effect.mapError(
        cluster.get(parts[0]!),
        (failure) => new WorkerFailure({ kind: failure.kind, detail: failure.detail })
      )
      batches.push(...Ipc.decode(bytes, context.config.batchSize))
    }
    return batches
  }).pipe(Effect.ensuring(releaseAll))
}
