/**
 * The distributed runtime on the in-process cluster: answers computed by hand, EXPLAIN of
 * stages, retries of dead workers (a cluster that fails attempts on purpose), deterministic
 * task failures, interruption, and regressions found by the property suite.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Arrow from "apache-arrow"
import { Cause, Effect, Exit, Fiber, Layer, Option } from "effect"
import { col, count, lit } from "../../src/Engine/Expr.js"
import type { GraphInput } from "../../src/Engine/Storage.js"
import * as LocalRuntime from "../../src/LocalRuntime/LocalRuntime.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import { Runtime } from "../../src/Query/Runtime.js"
import type { ClusterService } from "../../src/RayRuntime/Cluster.js"
import * as InProcessCluster from "../../src/RayRuntime/InProcessCluster.js"
import { TaskFailure } from "../../src/RayRuntime/Protocol.js"
import * as RayRuntime from "../../src/RayRuntime/RayRuntime.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import * as Compare from "../utils/Compare.js"
import { checkCase, smallGraph as graph, localRuntime, multiStorage, runStages } from "./helpers.js"


const person = () => Hypergraph.nodes("Person", { as: "p" })
const rows = (table: Arrow.Table) => Compare.tableToRows(table).rows
const sorted = (r: ReadonlyArray<ReadonlyArray<unknown>>) => [...r].map((x) => [...x]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))

const inProcess = (partitions: number) =>
  RayRuntime.layerInProcess({ partitions }).pipe(Layer.provide(InMemoryStorage.layer(graph)))

/** A storage with the graph, an in-process cluster over it (possibly wrapped) and the runtime. */
const setup = (wrap: (cluster: ClusterService) => ClusterService = (c) => c, delayMs?: number) =>
  Effect.gen(function*() {
    const storage = yield* Effect.orDie(InMemoryStorage.make(graph))
    const inner = yield* InProcessCluster.make(storage, { workers: 2, taskDelayMs: delayMs })
    const cluster = wrap(inner)
    return { storage, inner, cluster }
  })

describe("RayRuntime on the in-process cluster", () => {
  for (const partitions of [1, 2, 3, 7]) {
    it.effect(`a shuffled aggregate after an expand gives the hand-computed counts (${partitions} partitions)`, () =>
      Effect.gen(function*() {
        const table = yield* person()
          .expand("KNOWS", { to: "Person", as: "f" })
          .groupBy("f.city")
          .agg({ n: count() })
          .collect()
          .pipe(Effect.provide(inProcess(partitions)))
        // Targets: 2 Oslo, 3 Lisboa, 3 Lisboa, 4 Porto, 1 Lisboa, 1 Lisboa, 5 Oslo.
        expect(sorted(rows(table))).toEqual([["Lisboa", 4n], ["Oslo", 2n], ["Porto", 1n]])
      }))
  }

  it.effect("a sort over 3 partitions returns the rows in order", () =>
    Effect.gen(function*() {
      const table = yield* person()
        .filter(col("p.age").gt(26))
        .select("p.name")
        .orderBy(col("p.name").desc())
        .collect()
        .pipe(Effect.provide(inProcess(3)))
      expect(rows(table)).toEqual([["Fay"], ["Dan"], ["Ann"]])
    }))

  it.effect("an empty result keeps the schema", () =>
    Effect.gen(function*() {
      const table = yield* person().filter(col("p.age").gt(100)).select("p.name").collect().pipe(Effect.provide(inProcess(3)))
      expect(table.numRows).toBe(0)
      expect(table.schema.fields.map((f) => f.name)).toEqual(["p.name"])
    }))

  it.effect("explain prints the stages; analyze adds tasks, attempts and rows per output partition", () =>
    Effect.gen(function*() {
      const frame = person().groupBy("p.city").agg({ n: count() })
      const plain = yield* frame.explain().pipe(Effect.provide(inProcess(3)))
      expect(plain).toContain("Stage 0 (parallelism=3)")
      expect(plain).toContain("Shuffle(Hash([p.city], 3))")
      expect(plain).not.toContain("metrics:")
      const analyzed = yield* frame.explain({ analyze: true }).pipe(Effect.provide(inProcess(3)))
      const stage0 = analyzed.split("\n").find((l) => l.startsWith("  metrics:"))!
      expect(stage0).toContain("tasks=3 attempts=3 retries=0")
      // Stage 0 shuffles 3 partial groups (one per city) over 3 output partitions.
      const rowsText = /rows=\[([^\]]*)\]/.exec(stage0)![1]!
      expect(rowsText.split(", ").map(Number).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3)
      expect(analyzed).toMatch(/NodeScanExec\(Person AS p.*rows_out=6/)
    }))

  it.effect("a task whose worker died runs again; the answer is unchanged and the retry is counted", () =>
    Effect.gen(function*() {
      const killed = new Set<string>()
      const { cluster, inner, storage } = yield* setup((c) => ({
        ...c,
        submit: (task) => {
          const key = `${task.stage}/${task.partition}`
          if (task.partition === 1 && !killed.has(key)) {
            killed.add(key)
            return Effect.fail(new TaskFailure({ kind: "WORKER_DIED", worker: "fake", detail: "killed by the test" }))
          }
          return c.submit(task)
        }
      }))
      const frame = person().expand("KNOWS", { to: "Person", as: "f" }).groupBy("f.city").agg({ n: count() })
      const { exit, metrics } = yield* runStages(storage, cluster, frame, 3)
      expect(Exit.isSuccess(exit)).toBe(true)
      const batches = Exit.isSuccess(exit) ? exit.value : []
      expect(sorted(rows(new Arrow.Table(batches)))).toEqual([["Lisboa", 4n], ["Oslo", 2n], ["Porto", 1n]])
      for (const stage of metrics.stages()) {
        expect(stage.attempts).toBe(stage.tasks + 1)
      }
      expect(yield* inner.heldObjects).toEqual([])
    }))

  it.effect("workers that keep dying fail the query after the bounded number of attempts", () =>
    Effect.gen(function*() {
      let submits = 0
      const { cluster, inner, storage } = yield* setup((c) => ({
        ...c,
        submit: () =>
          Effect.suspend(() => {
            submits++
            return Effect.fail(new TaskFailure({ kind: "WORKER_DIED", worker: "fake", detail: "always dies" }))
          })
      }))
      const { exit } = yield* runStages(storage, cluster, person().select("p.name"), 1, 3)
      const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
      expect(error?._tag).toBe("StageFailed")
      if (error?._tag === "StageFailed") {
        expect(error.attempts).toBe(3)
        expect(error.cause._tag).toBe("WorkerFailure")
        if (error.cause._tag === "WorkerFailure") expect(error.cause.kind).toBe("WORKER_DIED")
      }
      expect(submits).toBe(3)
      expect(yield* inner.heldObjects).toEqual([])
    }))

  it.effect("Int64 division by zero in a filter fails with StageFailed(DivisionByZero), once per task at most", () =>
    Effect.gen(function*() {
      const { cluster, inner, storage } = yield* setup()
      const frame = person().filter(col("p.age").div(lit(0)).gt(1)).select("p.name")
      const { exit, metrics, stages } = yield* runStages(storage, cluster, frame, 3)
      const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
      expect(error?._tag).toBe("StageFailed")
      if (error?._tag === "StageFailed") {
        expect(error.cause._tag).toBe("DivisionByZero")
        expect(error.attempts).toBe(1)
        expect(error.stage).toBe(stages.stages[0]!.id)
      }
      const tasks = stages.stages.reduce((n, s) => n + s.partitions, 0)
      const attempts = metrics.stages().reduce((n, s) => n + s.attempts, 0)
      expect(attempts).toBeLessThanOrEqual(tasks)
      expect(yield* inner.heldObjects).toEqual([])
      expect(yield* inner.runningTasks).toBe(0)
      // Through the Runtime service: the same typed error, nothing partial.
      const viaRuntime = yield* frame.collect().pipe(Effect.provide(inProcess(3)), Effect.flip)
      expect(viaRuntime._tag).toBe("StageFailed")
      if (viaRuntime._tag === "StageFailed") expect(viaRuntime.cause._tag).toBe("DivisionByZero")
    }))

  it.live("interrupting a query mid-stage cancels its tasks and frees its objects; the next query succeeds", () =>
    Effect.gen(function*() {
      const { cluster, storage } = yield* setup(undefined, 200)
      const runtime = RayRuntime.make(storage, cluster, { partitions: 3 })
      const frame = person().expand("KNOWS", { to: "Person", as: "f" }).groupBy("f.city").agg({ n: count() })
      const fiber = yield* Effect.fork(Effect.provideService(frame.collect(), Runtime, runtime))
      while ((yield* cluster.runningTasks) === 0) yield* Effect.sleep(5)
      yield* Fiber.interrupt(fiber)
      expect(yield* cluster.runningTasks).toBe(0)
      expect(yield* cluster.heldObjects).toEqual([])
      const table = yield* Effect.provideService(frame.collect(), Runtime, runtime)
      expect(sorted(rows(table))).toEqual([["Lisboa", 4n], ["Oslo", 2n], ["Porto", 1n]])
      expect(yield* cluster.heldObjects).toEqual([])
    }))

  it.effect("the same frame runs unchanged under the local runtime and this layer", () =>
    Effect.gen(function*() {
      const frame = person().filter(col("p.age").gt(26)).select("p.name")
      const program = Effect.map(frame.collect(), (t) => sorted(rows(t)))
      const local = yield* program.pipe(Effect.provide(Layer.provide(LocalRuntime.layer, InMemoryStorage.layer(graph))))
      const distributed = yield* program.pipe(Effect.provide(inProcess(2)))
      expect(distributed).toEqual(local)
      expect(local).toEqual([["Ann"], ["Dan"], ["Fay"]])
    }))
})

describe("RayRuntime regressions from the property suite", () => {
  const cases: ReadonlyArray<readonly [string, GraphInput, ReadonlyArray<number>, number]> = [
    [
      "a sliced batch (limit) is shipped intact",
      { nodes: [{ id: 1, labels: ["Company"], properties: { name: "", age: 0.5, score: Number.NaN, active: false, big: 4611686018427387904n, nick: null } }], edges: [], hyperedges: [] },
      [31946, 0, 7, 59101, 1, 9816, 0, 34311],
      3
    ],
    [
      "Int64 and Float64 columns of a gathered batch keep their values",
      {
        nodes: [
          { id: 1, labels: ["City", "Person"], properties: { name: "", age: null, score: 0.5, active: false, big: 4611686018427387904n } },
          { id: 2, labels: ["City"], properties: { name: "", age: null, score: 0, big: 4611686018427387904n, nick: "" } }
        ],
        edges: [],
        hyperedges: []
      },
      [0, 0, 0, 30517, 57904, 220, 15547],
      7
    ]
  ]
  for (const [name, input, seq, partitions] of cases) {
    it(name, async () => {
      const storage = multiStorage()
      await Effect.runPromise(storage.load(input))
      const cluster = await Effect.runPromise(InProcessCluster.make(storage, { workers: 2 }))
      const problem = await checkCase(
        input,
        seq,
        await Effect.runPromise(localRuntime(storage)),
        RayRuntime.make(storage, cluster, { partitions, config: { batchSize: 3 } })
      )
      expect(problem, problem).toBeUndefined()
    })
  }
})
