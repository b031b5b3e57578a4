import { describe, expect, it } from "@effect/vitest"
import * as Arrow from "apache-arrow"
import { Effect } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { col, lit } from "../../src/Engine/Expr.js"
import { ProjectExec } from "../../src/Engine/PhysicalPlan.js"
import * as Project from "../../src/Operators/Project.js"
import { batchFromRows, fromBatches, physicalSchema, placeholder, rowsOf, runBatches } from "../utils/MockSources.js"

const input = physicalSchema([["p.name", DataType.String], ["p.age", DataType.Int64]])
const rows = [["ann", 30n], ["bob", null]]

describe("ProjectExec", () => {
  it.effect("computes each expression into the output column of the same position and name", () =>
    Effect.gen(function*() {
      const output = physicalSchema([["p.name", DataType.String], ["(p.age + 1)", DataType.Int64], ["one", DataType.Bool]])
      const node = new ProjectExec({
        id: 2,
        output,
        input: placeholder(input),
        exprs: [col("p.name"), col("p.age").add(lit(1)), lit(true)]
      })
      const out = yield* runBatches(Project.execute(node, fromBatches([batchFromRows(input, rows)])))
      expect(out.length).toBe(1)
      expect(out[0]!.schema.fields.map((f) => f.name)).toEqual(["p.name", "(p.age + 1)", "one"])
      expect(rowsOf(out)).toEqual([
        { "p.name": "ann", "(p.age + 1)": 31n, one: true },
        { "p.name": "bob", "(p.age + 1)": null, one: true }
      ])
    }))

  it.effect("casts a result to the output type (Int64 to Float64, NULL literal to String)", () =>
    Effect.gen(function*() {
      const output = physicalSchema([["age", DataType.Float64], ["nothing", DataType.String]])
      const node = new ProjectExec({ id: 2, output, input: placeholder(input), exprs: [col("p.age"), lit(null)] })
      const out = yield* runBatches(Project.execute(node, fromBatches([batchFromRows(input, rows)])))
      expect(out[0]!.getChildAt(0)!.type.typeId).toBe(Arrow.Type.Float)
      expect(out[0]!.getChildAt(1)!.type.typeId).toBe(Arrow.Type.Utf8)
      expect(rowsOf(out)).toEqual([{ age: 30, nothing: null }, { age: null, nothing: null }])
    }))

  it.effect("keeps one row per input row with no columns", () =>
    Effect.gen(function*() {
      const node = new ProjectExec({ id: 2, output: physicalSchema([]), input: placeholder(input), exprs: [] })
      const out = yield* runBatches(Project.execute(node, fromBatches([batchFromRows(input, rows)])))
      expect(out.map((b) => b.numRows)).toEqual([2])
    }))

  it.effect("empty input emits nothing", () =>
    Effect.gen(function*() {
      const output = physicalSchema([["p.name", DataType.String]])
      const node = new ProjectExec({ id: 2, output, input: placeholder(input), exprs: [col("p.name")] })
      const out = yield* runBatches(Project.execute(node, fromBatches([])))
      expect(out).toEqual([])
    }))
})
