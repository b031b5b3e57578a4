import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { DivisionByZero } from "../../src/Engine/ExecutionError.js"
import { col, lit } from "../../src/Engine/Expr.js"
import { FilterExec } from "../../src/Engine/PhysicalPlan.js"
import * as Filter from "../../src/Operators/Filter.js"
import { batchFromRows, fromBatches, physicalSchema, placeholder, rowsOf, runBatches } from "../utils/MockSources.js"

const output = physicalSchema([["p.name", DataType.String], ["p.ok", DataType.Bool], ["p.age", DataType.Int64]])
const rows = [
  ["ann", true, 30n],
  ["bob", false, 17n],
  ["cid", null, 45n],
  ["dan", true, null]
]

describe("FilterExec", () => {
  it.effect("keeps TRUE rows and drops FALSE and NULL", () =>
    Effect.gen(function*() {
      const node = new FilterExec({ id: 1, output, input: placeholder(output), predicate: col("p.ok") })
      const out = yield* runBatches(Filter.execute(node, fromBatches([batchFromRows(output, rows)])))
      expect(rowsOf(out).map((r) => r["p.name"])).toEqual(["ann", "dan"])
      for (const b of out) expect(b.schema.fields.map((f) => f.name)).toEqual(["p.name", "p.ok", "p.age"])
    }))

  it.effect("a comparison with a NULL operand drops the row", () =>
    Effect.gen(function*() {
      const node = new FilterExec({ id: 1, output, input: placeholder(output), predicate: col("p.age").gt(lit(20)) })
      const out = yield* runBatches(Filter.execute(node, fromBatches([batchFromRows(output, rows)])))
      expect(rowsOf(out).map((r) => r["p.name"])).toEqual(["ann", "cid"])
    }))

  it.effect("drops batches left empty and emits nothing on empty input", () =>
    Effect.gen(function*() {
      const node = new FilterExec({ id: 1, output, input: placeholder(output), predicate: col("p.age").gt(lit(100)) })
      const out = yield* runBatches(
        Filter.execute(node, fromBatches([batchFromRows(output, rows), batchFromRows(output, [])]))
      )
      expect(out).toEqual([])
      const none = yield* runBatches(Filter.execute(node, fromBatches([])))
      expect(none).toEqual([])
    }))

  it.effect("an evaluation error fails the stream with the typed error", () =>
    Effect.gen(function*() {
      const node = new FilterExec({
        id: 1,
        output,
        input: placeholder(output),
        predicate: col("p.age").div(lit(0)).gt(lit(1))
      })
      const exit = yield* Effect.exit(runBatches(Filter.execute(node, fromBatches([batchFromRows(output, rows)]))))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error instanceof DivisionByZero).toBe(true)
    }))
})
