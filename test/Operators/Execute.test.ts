import { describe, expect, it } from "@effect/vitest"
import * as Arrow from "apache-arrow"
import { Deferred, Effect, Exit, Fiber, Stream } from "effect"
import * as Batch from "../../src/Engine/Batch.js"
import * as DataType from "../../src/Engine/DataType.js"
import { StorageFailure } from "../../src/Engine/ExecutionError.js"
import { col, lit } from "../../src/Engine/Expr.js"
import {
  CollectExec,
  EmptyExec,
  FilterExec,
  LimitExec,
  NodeScanExec,
  ProjectExec,
  ScanColumn,
  SortExec,
  UnionExec,
  type PhysicalPlan
} from "../../src/Engine/PhysicalPlan.js"
import { Entity, Field, PhysicalSchema } from "../../src/Engine/PhysicalSchema.js"
import * as Execute from "../../src/Operators/Execute.js"
import {
  arrowSchema,
  batchFromRows,
  blocking,
  counting,
  erroring,
  fakeStorage,
  fromBatches,
  physicalSchema,
  rowsOf,
  runBatches,
  testContext,
  tracker
} from "../utils/MockSources.js"

const columns = [["_id", DataType.Int64], ["age", DataType.Int64]] as const
const stored = arrowSchema(columns)
const scanOutput = new PhysicalSchema({
  fields: columns.map(([field, dataType]) => new Field({ name: `p.${field}`, qualifier: "p", field, dataType })),
  entities: [new Entity({ qualifier: "p", kind: "node", labels: ["Person"] })],
  anchor: "p"
})
const scan = (id = 0) =>
  new NodeScanExec({
    id,
    output: scanOutput,
    qualifier: "p",
    label: "Person",
    columns: columns.map(([field, dataType]) => new ScanColumn({ field, dataType }))
  })

/** 3 batches of 4 people, ids 0..11, age = 10 + id. */
const people = Array.from({ length: 3 }, (_, b) =>
  batchFromRows(stored, Array.from({ length: 4 }, (_, i) => [BigInt(b * 4 + i), BigInt(10 + b * 4 + i)])))

describe("Execute.execute", () => {
  it.effect("runs a plan of scan, filter, project and limit", () =>
    Effect.gen(function*() {
      const storage = fakeStorage({ nodes: () => fromBatches(people) })
      const ctx = testContext({ storage })
      const filter = new FilterExec({ id: 1, output: scanOutput, input: scan(), predicate: col("p.age").ge(lit(13)) })
      const project = new ProjectExec({
        id: 2,
        output: physicalSchema([["id", DataType.Int64], ["(p.age * 2)", DataType.Int64]]),
        input: filter,
        exprs: [col("p._id"), col("p.age").mul(lit(2))]
      })
      const limit = new LimitExec({ id: 3, output: project.output, input: project, limit: 5, offset: 1 })
      const out = yield* runBatches(Execute.execute(limit), ctx)
      expect(rowsOf(out)).toEqual([4n, 5n, 6n, 7n, 8n].map((id) => ({ id, "(p.age * 2)": (id + 10n) * 2n })))
      for (const b of out) expect(b.schema.fields.map((f) => f.name)).toEqual(["id", "(p.age * 2)"])
    }))

  it.effect("records rows and batches in and out per operator id", () =>
    Effect.gen(function*() {
      const storage = fakeStorage({ nodes: () => fromBatches(people) })
      const ctx = testContext({ storage })
      const filter = new FilterExec({ id: 1, output: scanOutput, input: scan(), predicate: col("p.age").ge(lit(15)) })
      const collect = new CollectExec({ id: 2, output: scanOutput, input: filter })
      const out = yield* runBatches(Execute.execute(collect), ctx)
      expect(out.reduce((n, b) => n + b.numRows, 0)).toBe(7)
      const m = ctx.metrics.operators()
      expect(m.map((o) => [o.operatorId, o.operator])).toEqual([[0, "NodeScanExec"], [1, "FilterExec"], [2, "CollectExec"]])
      expect(m[0]).toMatchObject({ rowsIn: 0, batchesIn: 0, rowsOut: 12, batchesOut: 3 })
      // the first batch (ages 10..13) is dropped entirely
      expect(m[1]).toMatchObject({ rowsIn: 12, batchesIn: 3, rowsOut: 7, batchesOut: 2 })
      expect(m[2]).toMatchObject({ rowsIn: 7, batchesIn: 2, rowsOut: 7, batchesOut: 2 })
      const bytes = out.reduce((n, b) => n + Batch.byteSize(b), 0)
      expect(m[2]!.peakMemory).toBe(bytes)
      expect(m[0]!.peakMemory).toBe(0)
      for (const o of m) expect(o.elapsedMs).toBeGreaterThanOrEqual(0)
      expect(ctx.memory.reserved()).toBe(0)
    }))

  it.live("elapsedMs is each operator's own time: a slow scan is not charged to the filter above it", () =>
    Effect.gen(function*() {
      // the scan waits 60ms before each of its 2 batches
      const slow = fromBatches(people.slice(0, 2)).pipe(Stream.tap(() => Effect.sleep("60 millis")))
      const storage = fakeStorage({ nodes: () => slow })
      const ctx = testContext({ storage })
      const filter = new FilterExec({ id: 1, output: scanOutput, input: scan(), predicate: col("p.age").ge(lit(0)) })
      yield* runBatches(Execute.execute(filter), ctx)
      const scanTime = ctx.metrics.operator(0, "NodeScanExec").elapsedMs
      const filterTime = ctx.metrics.operator(1, "FilterExec").elapsedMs
      expect(scanTime).toBeGreaterThanOrEqual(100)
      expect(filterTime).toBeLessThan(60)
    }))

  it.effect("a union counts the rows of all its inputs", () =>
    Effect.gen(function*() {
      const storage = fakeStorage({ nodes: () => fromBatches(people) })
      const ctx = testContext({ storage })
      const union = new UnionExec({ id: 9, output: scanOutput, inputs: [scan(1), new EmptyExec({ id: 2, output: scanOutput }), scan(3)] })
      const out = yield* runBatches(Execute.execute(union), ctx)
      expect(out.reduce((n, b) => n + b.numRows, 0)).toBe(24)
      expect(ctx.metrics.operator(9, "UnionExec")).toMatchObject({ rowsIn: 24, batchesIn: 6, rowsOut: 24, batchesOut: 6 })
      expect(ctx.metrics.operator(2, "EmptyExec")).toMatchObject({ rowsOut: 0, batchesOut: 0 })
    }))

  it.effect("a limit stops pulling the scan once satisfied", () =>
    Effect.gen(function*() {
      const source = counting(Array.from({ length: 10 }, () => people[0]!))
      const storage = fakeStorage({ nodes: () => source.stream })
      const limit = new LimitExec({ id: 1, output: scanOutput, input: scan(), limit: 6, offset: 0 })
      const out = yield* runBatches(Execute.execute(limit), testContext({ storage }))
      expect(out.reduce((n, b) => n + b.numRows, 0)).toBe(6)
      expect(source.pulled()).toBe(2)
    }))

  it.effect("limit 0 never starts the scan", () =>
    Effect.gen(function*() {
      const storage = fakeStorage({ nodes: () => fromBatches(people) })
      const limit = new LimitExec({ id: 1, output: scanOutput, input: scan(), limit: 0, offset: 0 })
      const ctx = testContext({ storage })
      const out = yield* runBatches(Execute.execute(limit), ctx)
      expect(out).toEqual([])
      expect(storage.nodeScans.length).toBe(0)
      // every operator of the plan is listed, the scan with zero counts
      expect(ctx.metrics.operators().map((o) => [o.operatorId, o.operator, o.rowsOut, o.batchesOut])).toEqual([
        [0, "NodeScanExec", 0, 0],
        [1, "LimitExec", 0, 0]
      ])
    }))

  it.effect("building the stream does no work until it runs", () =>
    Effect.gen(function*() {
      const storage = fakeStorage({ nodes: () => fromBatches(people) })
      const ctx = testContext({ storage })
      const stream = Execute.execute(new CollectExec({ id: 1, output: scanOutput, input: scan() }))
      expect(storage.nodeScans.length).toBe(0)
      expect(ctx.metrics.operators()).toEqual([])
      const out = yield* runBatches(stream, ctx)
      expect(storage.nodeScans.length).toBe(1)
      expect(out.length).toBe(3)
    }))

  it.effect("emitted batches get the node's output schema (names and types)", () =>
    Effect.gen(function*() {
      // storage returns Int64 ages under a different name; the plan wants p.age as Float64
      const output = new PhysicalSchema({
        fields: [
          new Field({ name: "p._id", qualifier: "p", field: "_id", dataType: DataType.Int64 }),
          new Field({ name: "p.age", qualifier: "p", field: "age", dataType: DataType.Float64 })
        ],
        entities: scanOutput.entities
      })
      const node = new NodeScanExec({
        id: 0,
        output,
        qualifier: "p",
        columns: [new ScanColumn({ field: "_id", dataType: DataType.Int64 }), new ScanColumn({ field: "age", dataType: DataType.Float64 })]
      })
      const storage = fakeStorage({ nodes: () => fromBatches([people[0]!]) })
      const out = yield* runBatches(Execute.execute(node), testContext({ storage }))
      const expected = output.toArrow()
      expect(Arrow.util.compareSchemas(expected, out[0]!.schema)).toBe(true)
      expect(rowsOf(out).map((r) => r["p.age"])).toEqual([10, 11, 12, 13])
    }))

  it.effect("a source error fails the stream with that typed error", () =>
    Effect.gen(function*() {
      const error = new StorageFailure({ operation: "scan", cause: "disk gone" })
      const storage = fakeStorage({ nodes: () => erroring(people, 1, error) })
      const filter = new FilterExec({ id: 1, output: scanOutput, input: scan(), predicate: col("p.age").ge(lit(0)) })
      const exit = yield* Effect.exit(runBatches(Execute.execute(filter), testContext({ storage })))
      expect(exit).toStrictEqual(Exit.fail(error))
    }))

  it.live("interrupting a running plan runs finalizers and frees every reservation", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const resource = tracker()
      const storage = fakeStorage({ nodes: () => resource.track(blocking(people, started)) })
      const ctx = testContext({ storage })
      const plan = new CollectExec({ id: 2, output: scanOutput, input: new FilterExec({ id: 1, output: scanOutput, input: scan(), predicate: col("p.age").ge(lit(0)) }) })
      const fiber = yield* Effect.fork(runBatches(Execute.execute(plan), ctx))
      yield* Deferred.await(started)
      expect(ctx.memory.reserved()).toBeGreaterThan(0)
      expect(resource.acquired()).toBe(1)
      yield* Fiber.interrupt(fiber)
      expect(resource.released()).toBe(1)
      expect(ctx.memory.reserved()).toBe(0)
      expect(ctx.metrics.operator(2, "CollectExec").peakMemory).toBeGreaterThan(0)
    }))
})

describe("Execute.capabilities", () => {
  it("classifies every operator", () => {
    const s = scan()
    const cases: ReadonlyArray<readonly [PhysicalPlan, string, boolean]> = [
      [s, "source", false],
      [new EmptyExec({ id: 1, output: scanOutput }), "source", false],
      [new FilterExec({ id: 1, output: scanOutput, input: s, predicate: lit(true) }), "map", false],
      [new ProjectExec({ id: 1, output: scanOutput, input: s, exprs: [] }), "map", false],
      [new LimitExec({ id: 1, output: scanOutput, input: s, offset: 0 }), "streaming", false],
      [new UnionExec({ id: 1, output: scanOutput, inputs: [s] }), "streaming", false],
      [new CollectExec({ id: 1, output: scanOutput, input: s }), "blocking", true],
      [new SortExec({ id: 1, output: scanOutput, input: s, keys: [] }), "blocking", true]
    ]
    for (const [plan, kind, reserves] of cases) {
      expect(Execute.capabilities(plan)).toEqual({ kind, reservesMemory: reserves })
    }
  })
})
