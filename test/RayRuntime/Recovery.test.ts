/**
 * Coordinator-owned recovery of lost objects (RayExecutor), on the in-process cluster
 * wrapped by a test cluster that makes objects disappear the way a dead node does: a
 * consumer task (or the final gather) finds an input gone (INPUT_LOST), the executor reruns
 * the producers of the lost outputs — recomputing already released stages when it must —
 * and retries. Also: the bound on recoveries, and BRIDGE_DIED failing at once.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Arrow from "apache-arrow"
import { Cause, Effect, Exit, Option } from "effect"
import { col, count, max } from "../../src/Engine/Expr.js"
import type { ExecutionError } from "../../src/Engine/ExecutionError.js"
import type { Frame } from "../../src/Query/Frame.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import type { ClusterService } from "../../src/RayRuntime/Cluster.js"
import * as InProcessCluster from "../../src/RayRuntime/InProcessCluster.js"
import { type ObjectRef, TaskFailure, type TaskSpec } from "../../src/RayRuntime/Protocol.js"
import * as ExampleGraph from "../../src/Storage/ExampleGraph.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import * as Compare from "../utils/Compare.js"
import { collectOn, localRuntime, runStages } from "./helpers.js"

const graph = ExampleGraph.make(120, 7)

/** Residents and oldest age per city: stages scan → expand + partial agg → final agg. */
const cityStats = () =>
  Hypergraph.nodes("Person", { as: "p" })
    .expand("LIVES_IN", { to: "City", as: "c" })
    .groupBy("c.name")
    .agg({ residents: count(), oldest: max(col("p.age")) })

/** The same sorted by residents: one more (gather) stage after the final aggregate. */
const citiesByResidents = () =>
  Hypergraph.nodes("Person", { as: "p" })
    .expand("LIVES_IN", { to: "City", as: "c" })
    .groupBy("c.name")
    .agg({ residents: count() })
    .orderBy(col("residents").desc(), col("c.name"))

const key = (rows: ReadonlyArray<ReadonlyArray<unknown>>) =>
  rows.map((r) => JSON.stringify(r, (_, v) => (typeof v === "bigint" ? `${v}n` : v))).sort()

/** A test cluster over the in-process one: sees every submit and may intervene. */
interface Wrapped {
  readonly cluster: ClusterService
  readonly inner: ClusterService
  /** Every task submitted: stage, partition, attempt. */
  readonly submitted: Array<{ readonly stage: number; readonly partition: number; readonly attempt: number }>
}

const setup = (hooks: {
  /** Before a task runs: return a failure to fail it instead (after the hook may have dropped objects). */
  readonly beforeSubmit?: (task: TaskSpec, inner: ClusterService) => Effect.Effect<TaskFailure | undefined>
  /** Before a `get`: the hook may drop the object. */
  readonly beforeGet?: (ref: ObjectRef, inner: ClusterService) => Effect.Effect<void>
}) =>
  Effect.gen(function*() {
    const storage = yield* Effect.orDie(InMemoryStorage.make(graph))
    const inner = yield* InProcessCluster.make(storage, { workers: 2 })
    const submitted: Wrapped["submitted"] = []
    const cluster: ClusterService = {
      ...inner,
      submit: (task) =>
        Effect.gen(function*() {
          submitted.push({ stage: task.stage, partition: task.partition, attempt: task.attempt })
          const failure = hooks.beforeSubmit === undefined ? undefined : yield* hooks.beforeSubmit(task, inner)
          return failure === undefined ? yield* inner.submit(task) : yield* Effect.fail(failure)
        }),
      get: (ref) => Effect.zipRight(hooks.beforeGet?.(ref, inner) ?? Effect.void, inner.get(ref))
    }
    return { storage, wrapped: { cluster, inner, submitted } satisfies Wrapped }
  })

/** Runs `frame` through the executor on the wrapped cluster and LocalRuntime; the batches' rows and LocalRuntime's. */
const runBoth = (frame: Frame, wrapped: Wrapped, storage: Parameters<typeof runStages>[0], partitions = 3) =>
  Effect.gen(function*() {
    const local = yield* localRuntime(storage)
    const expected = Compare.tableToRows(yield* Effect.orDie(collectOn(local, frame)))
    const { exit, metrics, stages } = yield* runStages(storage, wrapped.cluster, frame, partitions)
    const actual = Exit.isSuccess(exit) ? Compare.tableToRows(new Arrow.Table(exit.value)) : undefined
    return { exit, metrics, stages, expected, actual }
  })

const errorOf = (exit: Exit.Exit<unknown, ExecutionError>): ExecutionError | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

describe("RayExecutor recovery of lost objects", () => {
  it.effect("a consumer whose input vanished (no lost refs reported) reruns the producers and gets LocalRuntime's answer", () =>
    Effect.gen(function*() {
      let dropped: ReadonlyArray<ObjectRef> = []
      const { storage, wrapped } = yield* setup({
        // The first time the final-aggregate stage starts, the input it reads from producer
        // task 1 disappears; the in-process cluster then fails it with a bare INPUT_LOST.
        beforeSubmit: (task, inner) =>
          Effect.gen(function*() {
            if (task.stage === 2 && dropped.length === 0) {
              dropped = [task.inputs[0]!.refs[1]!]
              yield* inner.release(dropped)
            }
            return undefined
          })
      })
      const { exit, metrics, stages, expected, actual } = yield* runBoth(cityStats(), wrapped, storage)
      expect(stages.stages).toHaveLength(3)
      expect(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toBe(true)
      expect(dropped).toHaveLength(1)
      expect(actual!.columns).toEqual(expected.columns)
      expect(key(actual!.rows)).toEqual(key(expected.rows))
      expect(expected.rows.length).toBeGreaterThan(0)
      // The cluster could not tell which input was lost: every producer task of stage 1 reran,
      // after stage 0 (released when stage 1 ended) was recomputed for them; the consumer retried.
      const producer = metrics.stage(1)
      expect(producer.attempts).toBe(2 * producer.tasks)
      expect(wrapped.submitted.filter((s) => s.stage === 1 && s.attempt === 2)).toHaveLength(3)
      expect(metrics.stage(0).attempts).toBe(2 * metrics.stage(0).tasks)
      expect(metrics.stage(2).attempts).toBeGreaterThan(metrics.stage(2).tasks)
      expect(yield* wrapped.inner.heldObjects).toEqual([])
      expect(yield* wrapped.inner.runningTasks).toBe(0)
    }))

  it.effect("with the lost ref reported, only its producer task reruns", () =>
    Effect.gen(function*() {
      let lost: ObjectRef | undefined
      const { storage, wrapped } = yield* setup({
        beforeSubmit: (task, inner) =>
          Effect.gen(function*() {
            if (task.stage !== 2 || lost !== undefined) return undefined
            lost = task.inputs[0]!.refs[2]!
            yield* inner.release([lost])
            return new TaskFailure({ kind: "INPUT_LOST", worker: "test", detail: "node died", lost: [lost] })
          })
      })
      const { exit, metrics, expected, actual } = yield* runBoth(cityStats(), wrapped, storage)
      expect(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toBe(true)
      expect(key(actual!.rows)).toEqual(key(expected.rows))
      expect(metrics.stage(1).attempts).toBe(metrics.stage(1).tasks + 1)
      const reruns = wrapped.submitted.filter((s) => s.stage === 1 && s.attempt > 1)
      expect(reruns).toEqual([{ stage: 1, partition: 2, attempt: 2 }])
      // Its inputs (stage 0's outputs) had been released: stage 0 ran again for it.
      expect(metrics.stage(0).attempts).toBe(2 * metrics.stage(0).tasks)
      expect(yield* wrapped.inner.heldObjects).toEqual([])
    }))

  it.effect("a lost producer whose own inputs were released is recomputed from further up (4 stages)", () =>
    Effect.gen(function*() {
      let lost: ObjectRef | undefined
      const { storage, wrapped } = yield* setup({
        // Stage 3 (the gather-sort) reads stage 2's outputs; stage 1's were released when stage 2 ended.
        beforeSubmit: (task, inner) =>
          Effect.gen(function*() {
            if (task.stage !== 3 || lost !== undefined) return undefined
            lost = task.inputs[0]!.refs[0]!
            yield* inner.release([lost])
            return new TaskFailure({ kind: "INPUT_LOST", worker: "test", detail: "node died", lost: [lost] })
          })
      })
      const { exit, metrics, stages, expected, actual } = yield* runBoth(citiesByResidents(), wrapped, storage)
      expect(stages.stages).toHaveLength(4)
      expect(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toBe(true)
      // Sorted: compare in order.
      expect(actual!.rows.map((r) => JSON.stringify(r, (_, v) => (typeof v === "bigint" ? `${v}n` : v))))
        .toEqual(expected.rows.map((r) => JSON.stringify(r, (_, v) => (typeof v === "bigint" ? `${v}n` : v))))
      // Stage 2 task 0 reran; it needed all of stage 1 again, which needed all of stage 0.
      expect(metrics.stage(2).attempts).toBe(metrics.stage(2).tasks + 1)
      expect(metrics.stage(1).attempts).toBe(2 * metrics.stage(1).tasks)
      expect(metrics.stage(0).attempts).toBe(2 * metrics.stage(0).tasks)
      expect(wrapped.submitted.filter((s) => s.stage === 3).map((s) => s.attempt)).toEqual([1, 2])
      expect(yield* wrapped.inner.heldObjects).toEqual([])
    }))

  it.effect("a result object lost before the final gather is recomputed", () =>
    Effect.gen(function*() {
      let dropped = 0
      const { storage, wrapped } = yield* setup({
        beforeGet: (ref, inner) =>
          Effect.suspend(() => {
            if (dropped++ > 0) return Effect.void
            return inner.release([ref])
          })
      })
      const { exit, metrics, expected, actual } = yield* runBoth(cityStats(), wrapped, storage)
      expect(Exit.isSuccess(exit), Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toBe(true)
      expect(key(actual!.rows)).toEqual(key(expected.rows))
      expect(metrics.stage(2).attempts).toBe(metrics.stage(2).tasks + 1)
      expect(metrics.stage(1).attempts).toBe(2 * metrics.stage(1).tasks)
      expect(metrics.stage(0).attempts).toBe(2 * metrics.stage(0).tasks)
      expect(yield* wrapped.inner.heldObjects).toEqual([])
    }))

  it.effect("inputs that keep vanishing fail the query after the bounded number of recoveries", () =>
    Effect.gen(function*() {
      const { storage, wrapped } = yield* setup({
        beforeSubmit: (task, inner) =>
          Effect.gen(function*() {
            if (task.stage !== 2) return undefined
            const lost = task.inputs[0]!.refs[0]!
            yield* inner.release([lost])
            return new TaskFailure({ kind: "INPUT_LOST", worker: "test", detail: "always lost", lost: [lost] })
          })
      })
      const { exit, metrics } = yield* runBoth(cityStats(), wrapped, storage)
      const error = errorOf(exit)
      expect(error?._tag).toBe("StageFailed")
      if (error?._tag === "StageFailed") {
        expect(error.stage).toBe(2)
        expect(error.cause._tag).toBe("WorkerFailure")
        if (error.cause._tag === "WorkerFailure") expect(error.cause.kind).toBe("INPUT_LOST")
      }
      // Three recoveries (default bound): producer task 0 of stage 1 reran three times.
      expect(wrapped.submitted.filter((s) => s.stage === 1 && s.partition === 0).map((s) => s.attempt)).toEqual([1, 2, 3, 4])
      expect(metrics.stage(1).attempts).toBe(metrics.stage(1).tasks + 3)
      expect(yield* wrapped.inner.heldObjects).toEqual([])
      expect(yield* wrapped.inner.runningTasks).toBe(0)
    }))

  it.effect("BRIDGE_DIED fails the query at once with WorkerFailure(BRIDGE_DIED), without retries", () =>
    Effect.gen(function*() {
      const { storage, wrapped } = yield* setup({
        beforeSubmit: (task) =>
          Effect.succeed(
            task.stage === 1 && task.partition === 0
              ? new TaskFailure({ kind: "BRIDGE_DIED", worker: "ray-bridge", detail: "the bridge exited" })
              : undefined
          )
      })
      const { exit } = yield* runBoth(cityStats(), wrapped, storage)
      const error = errorOf(exit)
      expect(error?._tag).toBe("WorkerFailure")
      if (error?._tag === "WorkerFailure") expect(error.kind).toBe("BRIDGE_DIED")
      expect(wrapped.submitted.every((s) => s.attempt === 1)).toBe(true)
      expect(wrapped.submitted.some((s) => s.stage === 2)).toBe(false)
      expect(yield* wrapped.inner.heldObjects).toEqual([])
      expect(yield* wrapped.inner.runningTasks).toBe(0)
    }))
})
