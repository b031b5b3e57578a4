import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { RenameExec } from "../../src/Engine/PhysicalPlan.js"
import * as Batch from "../../src/Engine/Batch.js"
import * as Rename from "../../src/Operators/Rename.js"
import { batchFromRows, fromBatches, physicalSchema, placeholder, rowsOf, runBatches } from "../utils/MockSources.js"

describe("RenameExec", () => {
  it.effect("renames columns by position without copying their data", () =>
    Effect.gen(function*() {
      const inputSchema = physicalSchema([["p.name", DataType.String], ["p.age", DataType.Int64]])
      const output = physicalSchema([["name", DataType.String], ["years", DataType.Int64]])
      const batch = batchFromRows(inputSchema, [["ann", 30n], ["bob", null]])
      const node = new RenameExec({ id: 2, output, input: placeholder(inputSchema) })
      const out = yield* runBatches(Rename.execute(node, fromBatches([batch])))
      expect(out.length).toBe(1)
      expect(out[0]!.schema.fields.map((f) => f.name)).toEqual(["name", "years"])
      expect(Batch.column(out[0]!, 1)).toBe(Batch.column(batch, 1))
      expect(rowsOf(out)).toEqual([{ name: "ann", years: 30n }, { name: "bob", years: null }])
    }))

  it.effect("empty input gives no batches", () =>
    Effect.gen(function*() {
      const output = physicalSchema([["x", DataType.Int64]])
      const node = new RenameExec({ id: 2, output, input: placeholder(output) })
      const out = yield* runBatches(Rename.execute(node, fromBatches([])))
      expect(out.length).toBe(0)
    }))
})
