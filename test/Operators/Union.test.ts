import { describe, expect, it } from "@effect/vitest"
import * as Arrow from "apache-arrow"
import { Effect } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { UnionExec } from "../../src/Engine/PhysicalPlan.js"
import * as Union from "../../src/Operators/Union.js"
import { arrowSchema, batchFromRows, fromBatches, physicalSchema, placeholder, rowsOf, runBatches } from "../utils/MockSources.js"

describe("UnionExec", () => {
  it.effect("concatenates its inputs in order, keeping duplicates", () =>
    Effect.gen(function*() {
      const output = physicalSchema([["n", DataType.Int64]])
      const s = arrowSchema([["n", DataType.Int64]])
      const node = new UnionExec({ id: 3, output, inputs: [placeholder(output, 1), placeholder(output, 2)] })
      const out = yield* runBatches(
        Union.execute(node, [
          fromBatches([batchFromRows(s, [[1n], [2n]]), batchFromRows(s, [[3n]])]),
          fromBatches([batchFromRows(s, [[1n], [2n]])])
        ])
      )
      expect(rowsOf(out).map((r) => r.n)).toEqual([1n, 2n, 3n, 1n, 2n])
    }))

  it.effect("widens Int64 inputs to a Float64 output and renames to the output names", () =>
    Effect.gen(function*() {
      const output = physicalSchema([["v", DataType.Float64], ["s", DataType.String]])
      const ints = arrowSchema([["a.v", DataType.Int64], ["a.s", DataType.String]])
      const floats = arrowSchema([["b.v", DataType.Float64], ["b.s", DataType.String]])
      const node = new UnionExec({ id: 3, output, inputs: [placeholder(output, 1), placeholder(output, 2)] })
      const out = yield* runBatches(
          Union.execute(node, [
            fromBatches([batchFromRows(ints, [[1n, "x"], [null, "y"], [-3n, null]])]),
            fromBatches([batchFromRows(floats, [[2.5, "z"]])])
          ])
      )
      for (const b of out) {
        expect(b.schema.fields.map((f) => f.name)).toEqual(["v", "s"])
        expect(b.schema.fields[0]!.type.typeId).toBe(Arrow.Type.Float)
        expect(b.schema.fields[1]!.type.typeId).toBe(Arrow.Type.Utf8)
        expect(b.getChildAt(0)!.type.typeId).toBe(Arrow.Type.Float)
      }
      expect(rowsOf(out)).toEqual([
        { v: 1, s: "x" },
        { v: null, s: "y" },
        { v: -3, s: null },
        { v: 2.5, s: "z" }
      ])
    }))

  it.effect("a Null-typed input column becomes NULLs of the output type", () =>
    Effect.gen(function*() {
      const output = physicalSchema([["v", DataType.String]])
      const nulls = arrowSchema([["v", DataType.Null]])
      const strings = arrowSchema([["v", DataType.String]])
      const node = new UnionExec({ id: 3, output, inputs: [placeholder(output, 1), placeholder(output, 2)] })
      const out = yield* runBatches(
          Union.execute(node, [
            fromBatches([batchFromRows(strings, [["a"]])]),
            fromBatches([batchFromRows(nulls, [[null], [null]])])
          ])
      )
      for (const b of out) expect(b.getChildAt(0)!.type.typeId).toBe(Arrow.Type.Utf8)
      expect(rowsOf(out).map((r) => r.v)).toEqual(["a", null, null])
    }))

  it.effect("empty inputs give an empty output", () =>
    Effect.gen(function*() {
      const output = physicalSchema([["n", DataType.Int64]])
      const node = new UnionExec({ id: 3, output, inputs: [placeholder(output, 1), placeholder(output, 2)] })
      const out = yield* runBatches(Union.execute(node, [fromBatches([]), fromBatches([])]))
      expect(out.length).toBe(0)
      const none = yield* runBatches(Union.execute(new UnionExec({ id: 4, output, inputs: [] }), []))
      expect(none.length).toBe(0)
    }))
})
