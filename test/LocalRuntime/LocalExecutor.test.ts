import { describe, expect, it } from "@effect/vitest"
import * as Arrow from "apache-arrow"
import { Effect, Exit, Stream } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { DivisionByZero, StorageFailure } from "../../src/Engine/ExecutionError.js"
import { col, lit } from "../../src/Engine/Expr.js"
import { EmptyExec, FilterExec, NodeScanExec, ProjectExec, ScanColumn } from "../../src/Engine/PhysicalPlan.js"
import * as LocalExecutor from "../../src/LocalRuntime/LocalExecutor.js"
import {
  arrowSchema,
  batchFromRows,
  erroring,
  fakeStorage,
  fromBatches,
  physicalSchema,
  provideContext,
  rowsOf,
  testContext
} from "../utils/MockSources.js"

const columns = [["_id", DataType.Int64], ["n", DataType.Int64]] as const
const stored = arrowSchema(columns)
const output = physicalSchema([["x._id", DataType.Int64], ["x.n", DataType.Int64]])
const scan = new NodeScanExec({
  id: 0,
  output,
  qualifier: "x",
  label: "X",
  columns: columns.map(([field, dataType]) => new ScanColumn({ field, dataType }))
})
const batches = [
  batchFromRows(stored, [[1n, 5n], [2n, 0n]]),
  batchFromRows(stored, [[3n, 2n]])
]

describe("LocalExecutor", () => {
  it.effect("collect returns a table with the plan's output schema", () =>
    Effect.gen(function*() {
      const ctx = testContext({ storage: fakeStorage({ nodes: () => fromBatches(batches) }) })
      const project = new ProjectExec({
        id: 1,
        output: physicalSchema([["id", DataType.Int64], ["half", DataType.Float64]]),
        input: scan,
        exprs: [col("x._id"), col("x.n").cast(DataType.Float64).div(lit(2.0))]
      })
      const table = yield* LocalExecutor.collect(project).pipe(provideContext(ctx))
      expect(table).toBeInstanceOf(Arrow.Table)
      expect(Arrow.util.compareSchemas(table.schema, project.output.toArrow())).toBe(true)
      expect(table.numRows).toBe(3)
      expect(rowsOf(table)).toEqual([{ id: 1n, half: 2.5 }, { id: 2n, half: 0 }, { id: 3n, half: 1 }])
    }))

  it.effect("collect of an empty result is an empty table with the output schema", () =>
    Effect.gen(function*() {
      const table = yield* LocalExecutor.collect(new EmptyExec({ id: 0, output })).pipe(provideContext(testContext()))
      expect(table.numRows).toBe(0)
      expect(table.schema.fields.map((f) => f.name)).toEqual(["x._id", "x.n"])
      expect(table.schema.fields.map((f) => f.type.typeId)).toEqual([Arrow.Type.Int, Arrow.Type.Int])
    }))

  it.effect("execute streams the batches", () =>
    Effect.gen(function*() {
      const ctx = testContext({ storage: fakeStorage({ nodes: () => fromBatches(batches) }) })
      const out = yield* Stream.runCollect(LocalExecutor.execute(scan)).pipe(provideContext(ctx))
      expect([...out].map((b) => b.numRows)).toEqual([2, 1])
      expect(rowsOf([...out]).map((r) => r["x._id"])).toEqual([1n, 2n, 3n])
    }))

  it.effect("a source error fails collect with the typed error and no partial table", () =>
    Effect.gen(function*() {
      const error = new StorageFailure({ operation: "scan", cause: "boom" })
      const ctx = testContext({ storage: fakeStorage({ nodes: () => erroring(batches, 1, error) }) })
      const exit = yield* Effect.exit(LocalExecutor.collect(scan).pipe(provideContext(ctx)))
      expect(exit).toStrictEqual(Exit.fail(error))
    }))

  it.effect("an evaluation error in a later batch fails collect as a whole", () =>
    Effect.gen(function*() {
      const ctx = testContext({ storage: fakeStorage({ nodes: () => fromBatches(batches) }) })
      // 10 / n: fine for the first row, division by zero on the second
      const filter = new FilterExec({ id: 1, output, input: scan, predicate: lit(10).div(col("x.n")).gt(lit(0)) })
      const exit = yield* Effect.exit(LocalExecutor.collect(filter).pipe(provideContext(ctx)))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        expect(exit.cause._tag === "Fail" && exit.cause.error instanceof DivisionByZero).toBe(true)
      }
    }))
})
