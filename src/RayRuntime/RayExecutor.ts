/**
 * The stage scheduler of the distributed runtime. Given a query's stage DAG
 * (`StageSplitter.StageGraph`, producers first) and a `Cluster`, it runs every stage's
 * partitions as tasks (at most `cluster.parallelism` at once), hands each consumer task
 * the refs its exchange routes to it, and gathers the result stage's outputs (in task
 * order) into the result batches.
 *
 * Failure, recovery and cancellation (SEMANTICS §7–§8, RAY.md "Recovery") — the scheduler
 * owns recovery and speaks only the `Cluster` interface:
 * - a task whose worker died (`WORKER_DIED`) runs again, up to `maxAttempts` attempts in
 *   all; its partial output was never kept;
 * - a task (or the final gather) that finds an input object gone (`INPUT_LOST`) triggers a
 *   recovery: the outputs it names (`TaskFailure.lost`; every input of the task when the
 *   cluster cannot tell) are invalidated, the producer tasks that made them run again —
 *   first recomputing, recursively, any of their own inputs already released — and the
 *   consumer is retried on the new refs. Recoveries run one at a time (a consumer whose
 *   lost refs were already replaced just retries) and at most `maxRecoveries` per query;
 *   then the query fails with `StageFailed(WorkerFailure(INPUT_LOST))`. Each run of a task
 *   has a fresh attempt number, and a result whose attempt is older than the task's
 *   current one is discarded, so late results of superseded attempts are harmless;
 * - `BRIDGE_DIED` (every object is gone) fails the query at once with
 *   `WorkerFailure(BRIDGE_DIED)`;
 * - any other failure fails the query with `StageFailed { stage, partition, attempts,
 *   cause }` (the task's typed error, or a `WorkerFailure` naming the failure kind); the
 *   stage's other tasks are cancelled and nothing partial is returned;
 * - interrupting the query interrupts every in-flight `submit` (which cancels its task)
 *   and, in every case, releases every object the query created.
 *
 * Per-stage metrics (`metrics.stage(id)`): tasks, attempts (recomputations included, so
 * `attempts > tasks` shows retries and recovered producers), elapsed time, rows and bytes
 * per output partition (first successful run of each task), and where each task last ran;
 * per-operator counters of each task's first successful run are summed into
 * `metrics.operator(...)`.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import type { EngineConfig } from "../Engine/ExecutionContext.js"
import { type ExecutionError, StageFailed, WorkerFailure } from "../Engine/ExecutionError.js"
import type { QueryMetrics } from "../Engine/Metrics.js"
import * as Partitioning from "../Engine/Partitioning.js"
import type { SnapshotId } from "../Engine/Storage.js"
import * as StageSplitter from "../Planner/StageSplitter.js"
import type { ClusterService } from "./Cluster.js"
import * as Ipc from "./internal/ipc.js"
import { type ObjectRef, TaskConfig, type TaskFailure, TaskInput, type TaskResult, TaskSpec } from "./Protocol.js"
import * as Worker from "./Worker.js"

/** What a query run needs besides its stages. */
export interface RunContext {
  readonly cluster: ClusterService
  readonly snapshot: SnapshotId
  readonly config: EngineConfig
  readonly metrics: QueryMetrics
  /** Attempts per task when workers die (default 3). */
  readonly maxAttempts?: number | undefined
  /** Recoveries of lost inputs per query (default 3). */
  readonly maxRecoveries?: number | undefined
  /** A name for the query's tasks (default: generated). */
  readonly query?: string | undefined
}

let queries = 0

/**
 * Runs `f(i)` for `i` in `0..n)`, at most `concurrency` at once, results in order. The first
 * failure interrupts the others and waits until they have ended (`Effect.forEach` can
 * return before an interrupted sibling has finished, leaving its task running).
 */
const forEachTask = <A, E>(
  n: number,
  concurrency: number,
  f: (i: number) => Effect.Effect<A, E>
): Effect.Effect<Array<A>, E> =>
  Effect.scoped(
    Effect.gen(function*() {
      const failed = yield* Deferred.make<never, E>()
      // Closing the scope interrupts the fibers still in the set and waits for them.
      const set = yield* FiberSet.make<void, never>()
      const slots = yield* Effect.makeSemaphore(Math.max(1, concurrency))
      const results = new Array<A>(n)
      for (let i = 0; i < n; i++) {
        yield* FiberSet.run(
          set,
          slots.withPermits(1)(f(i)).pipe(
            Effect.matchCauseEffect({
              onSuccess: (a) => Effect.sync(() => void (results[i] = a)),
              onFailure: (cause) => Cause.isInterruptedOnly(cause) ? Effect.void : Deferred.failCause(failed, cause)
            })
          )
        )
      }
      yield* Effect.raceFirst(FiberSet.awaitEmpty(set), Deferred.await(failed))
      if (yield* Deferred.isDone(failed)) return yield* Deferred.await(failed)
      return results
    })
  )

/** Where a current output ref came from. */
interface Origin {
  readonly stage: number
  readonly task: number
}

/** Runs the stages and returns the result stage's batches (in task order); nothing partial on failure. */
export const run = (
  graph: StageSplitter.StageGraph,
  context: RunContext
): Effect.Effect<ReadonlyArray<Arrow.RecordBatch>, ExecutionError> => {
  const { cluster, metrics } = context
  const maxAttempts = Math.max(1, context.maxAttempts ?? 3)
  const maxRecoveries = Math.max(0, context.maxRecoveries ?? 3)
  const query = context.query ?? `q${queries++}`
  const config = new TaskConfig({
    batchSize: context.config.batchSize,
    hopCap: context.config.hopCap,
    memoryLimit: context.config.memoryLimit
  })
  /** Every object this query holds. */
  const held = new Set<ObjectRef>()
  /** outputs.get(stage)[task][partition]; a task's entry is undefined when its outputs are not available. */
  const outputs = new Map<number, Array<ReadonlyArray<ObjectRef> | undefined>>()
  /** The producing task of every current output ref. */
  const origin = new Map<ObjectRef, Origin>()
  /** The latest attempt number given to each task (`stage/task`). */
  const attemptOf = new Map<string, number>()
  /** The attempt whose outputs are current, per task. */
  const currentAttempt = new Map<string, number>()
  /** Stages whose consumer stage has finished (their outputs were released). */
  const consumed = new Set<number>()
  /** Superseded refs, kept until no running task can read them (end of the current stage). */
  let retired: Array<ObjectRef> = []
  let recoveries = 0
  /** Recoveries run one at a time. */
  const recoveryLock = Effect.unsafeMakeSemaphore(1)

  const key = (stage: number, task: number) => `${stage}/${task}`
  const outputsOf = (stage: number): Array<ReadonlyArray<ObjectRef> | undefined> => {
    let o = outputs.get(stage)
    if (o === undefined) {
      o = Array.from({ length: graph.stage(stage).partitions }, () => undefined)
      outputs.set(stage, o)
    }
    return o
  }

  const releaseAll = Effect.suspend(() => {
    const refs = [...held]
    held.clear()
    return cluster.release(refs)
  })

  const releaseNow = (refs: ReadonlyArray<ObjectRef>) =>
    Effect.suspend(() => {
      refs.forEach((ref) => held.delete(ref))
      return refs.length === 0 ? Effect.void : cluster.release(refs)
    })

  /** Forgets a task's current outputs; they are retired (released at the end of the stage). */
  const invalidate = (stage: number, task: number): void => {
    const o = outputsOf(stage)
    const refs = o[task]
    if (refs === undefined) return
    o[task] = undefined
    currentAttempt.delete(key(stage, task))
    for (const ref of refs) {
      origin.delete(ref)
      retired.push(ref)
    }
  }

  /** Forgets and releases every output of a stage (its consumer no longer needs them). */
  const releaseStage = (stage: number) =>
    Effect.suspend(() => {
      const o = outputs.get(stage) ?? []
      outputs.delete(stage)
      const refs = o.flatMap((parts) => parts ?? [])
      refs.forEach((ref) => origin.delete(ref))
      for (let t = 0; t < o.length; t++) currentAttempt.delete(key(stage, t))
      return releaseNow(refs)
    })

  const releaseRetired = Effect.suspend(() => {
    const refs = retired
    retired = []
    return releaseNow(refs)
  })

  /** The inputs of a task from the current outputs, or undefined when some are not available. */
  const inputsOf = (stage: StageSplitter.Stage, partition: number): ReadonlyArray<TaskInput> | undefined => {
    const inputs: Array<TaskInput> = []
    for (const input of stage.inputs) {
      const produced = outputs.get(input.stage)
      if (produced === undefined || produced.some((parts) => parts === undefined)) return undefined
      inputs.push(
        new TaskInput({
          producer: input.stage,
          refs: produced.map((parts) => (input.mode._tag === "Shuffle" ? parts![partition]! : parts![0]!))
        })
      )
    }
    return inputs
  }

  const stageFailed = (stage: number, partition: number, attempts: number, failure: TaskFailure): ExecutionError =>
    new StageFailed({
      stage,
      partition,
      attempts,
      cause: failure.kind === "STAGE_ERROR" && failure.error !== undefined
        ? failure.error
        : new WorkerFailure({ kind: failure.kind, detail: failure.detail })
    })

  const bridgeDied = (failure: TaskFailure): ExecutionError =>
    new WorkerFailure({ kind: "BRIDGE_DIED", detail: failure.detail })

  /**
   * Recovers from lost objects: invalidates the current outputs among `lost`, reruns their
   * producer tasks (recomputing released inputs first) and releases what was recomputed only
   * for that. `locked` when the caller already holds the recovery lock (a nested recovery).
   */
  const recover = (
    lost: ReadonlyArray<ObjectRef>,
    failedAt: { readonly stage: number; readonly partition: number; readonly attempts: number; readonly failure: TaskFailure },
    locked: boolean
  ): Effect.Effect<void, ExecutionError> => {
    const body = Effect.gen(function*() {
      const targets = new Map<number, Set<number>>()
      for (const ref of lost) {
        const from = origin.get(ref)
        if (from === undefined) continue // already replaced by an earlier recovery
        let tasks = targets.get(from.stage)
        if (tasks === undefined) targets.set(from.stage, tasks = new Set())
        tasks.add(from.task)
      }
      if (targets.size === 0) return
      if (recoveries >= maxRecoveries) {
        return yield* Effect.fail(
          stageFailed(failedAt.stage, failedAt.partition, failedAt.attempts, failedAt.failure)
        )
      }
      recoveries++
      for (const [stage, tasks] of targets) tasks.forEach((task) => invalidate(stage, task))
      for (const [stage, tasks] of targets) yield* ensure(stage, [...tasks])
      // Stages recomputed only to feed the recovered tasks are released again (by the
      // outermost recovery: a nested one runs while those outputs are still being read).
      if (!locked) for (const stage of consumed) if (outputs.has(stage)) yield* releaseStage(stage)
    })
    return locked ? body : recoveryLock.withPermits(1)(body)
  }

  /** Makes the outputs of `tasks` of `stage` available, recomputing released inputs first (holding the recovery lock). */
  const ensure = (stageId: number, tasks: ReadonlyArray<number>): Effect.Effect<void, ExecutionError> =>
    Effect.gen(function*() {
      const stage = graph.stage(stageId)
      const missing = tasks.filter((t) => outputsOf(stageId)[t] === undefined)
      if (missing.length === 0) return
      for (const input of stage.inputs) {
        const all = Array.from({ length: graph.stage(input.stage).partitions }, (_, t) => t)
        yield* ensure(input.stage, all)
      }
      yield* forEachTask(missing.length, cluster.parallelism, (i) => runTask(stage, missing[i]!, true))
    })

  /** Records a successful run's outputs unless a newer attempt of the task superseded it. */
  const record = (stage: number, task: number, attempt: number, result: TaskResult): boolean => {
    const k = key(stage, task)
    const refs = result.outputs.map((o) => o.ref)
    if ((attemptOf.get(k) ?? 0) > attempt || (currentAttempt.get(k) ?? 0) > attempt) {
      retired.push(...refs)
      return false
    }
    invalidate(stage, task)
    outputsOf(stage)[task] = refs
    currentAttempt.set(k, attempt)
    for (const ref of refs) origin.set(ref, { stage, task })
    metrics.stage(stage).placement[task] = result.worker
    return true
  }

  /**
   * Runs one task until it succeeds: retries on WORKER_DIED (bounded) and recovers lost
   * inputs (bounded per query). `recovering` when called from a recovery (lock held).
   */
  const runTask = (
    stage: StageSplitter.Stage,
    partition: number,
    recovering: boolean
  ): Effect.Effect<TaskResult, ExecutionError> => {
    const stageMetrics = metrics.stage(stage.id)
    const plan = Worker.encodeTaskPlan(StageSplitter.taskPlan(stage, partition))
    const k = key(stage.id, partition)
    let attempts = 0
    let died = 0
    let lostRetries = 0
    let waitedForInputs = false

    const attempt: Effect.Effect<TaskResult, ExecutionError> = Effect.suspend(() => {
      const inputs = inputsOf(stage, partition)
      if (inputs === undefined) {
        // A concurrent recovery is replacing some inputs: wait for it, then try again (once).
        if (recovering || waitedForInputs) {
          return Effect.fail(
            new StageFailed({
              stage: stage.id,
              partition,
              attempts,
              cause: new WorkerFailure({ kind: "INPUT_LOST", detail: "the task's inputs are not available" })
            })
          )
        }
        waitedForInputs = true
        return Effect.zipRight(recoveryLock.withPermits(1)(Effect.void), attempt)
      }
      waitedForInputs = false
      const n = (attemptOf.get(k) ?? 0) + 1
      attemptOf.set(k, n)
      attempts++
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
          Effect.tap((result) =>
            Effect.sync(() => {
              result.outputs.forEach((o) => held.add(o.ref))
              record(stage.id, partition, n, result)
            })
          )
        )
      ).pipe(
        Effect.catchTag("TaskFailure", (failure): Effect.Effect<TaskResult, ExecutionError> => {
          switch (failure.kind) {
            case "WORKER_DIED":
              if (++died < maxAttempts) return attempt
              break
            case "INPUT_LOST":
              if (lostRetries++ <= maxRecoveries) {
                const lost = failure.lost ?? inputs.flatMap((input) => input.refs)
                return Effect.zipRight(
                  recover(lost, { stage: stage.id, partition, attempts, failure }, recovering),
                  attempt
                )
              }
              break
            case "BRIDGE_DIED":
              return Effect.fail(bridgeDied(failure))
          }
          return Effect.fail(stageFailed(stage.id, partition, attempts, failure))
        })
      )
    })
    return attempt
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
      outputsOf(stage.id)
      const results = yield* forEachTask(stage.partitions, cluster.parallelism, (partition) => runTask(stage, partition, false))
      stageMetrics.tasks += stage.partitions
      results.forEach((result) => {
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
      // Each producer has one consumer: its outputs are no longer needed.
      for (const input of stage.inputs) {
        consumed.add(input.stage)
        yield* releaseStage(input.stage)
      }
      yield* releaseRetired
    })

  /** Reads one result object, recovering it when it was lost (bounded). */
  const gather = (task: number): Effect.Effect<Uint8Array, ExecutionError> => {
    let tries = 0
    const read: Effect.Effect<Uint8Array, ExecutionError> = Effect.suspend(() => {
      const ref = outputsOf(graph.result)[task]?.[0]
      if (ref === undefined) {
        return Effect.fail(
          new WorkerFailure({ kind: "INPUT_LOST", detail: `result task ${task} has no output` })
        )
      }
      return Effect.catchTag(cluster.get(ref), "TaskFailure", (failure): Effect.Effect<Uint8Array, ExecutionError> => {
        if (failure.kind === "BRIDGE_DIED") return Effect.fail(bridgeDied(failure))
        if (failure.kind === "INPUT_LOST" && tries++ <= maxRecoveries) {
          return Effect.zipRight(
            recover([ref], { stage: graph.result, partition: task, attempts: 1, failure }, false),
            read
          )
        }
        return Effect.fail(new WorkerFailure({ kind: failure.kind, detail: failure.detail }))
      })
    })
    return read
  }

  return Effect.gen(function*() {
    for (const stage of graph.stages) yield* runStage(stage)
    const batches: Array<Arrow.RecordBatch> = []
    const tasks = outputs.get(graph.result)?.length ?? 0
    for (let task = 0; task < tasks; task++) {
      const bytes = yield* gather(task)
      batches.push(...Ipc.decode(bytes, context.config.batchSize))
    }
    return batches
  }).pipe(Effect.ensuring(releaseAll))
}
