import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { LimitExec } from "../../src/Engine/PhysicalPlan.js"
import * as Limit from "../../src/Operators/Limit.js"
import { columnOf, counting, intBatches, physicalSchema, placeholder, runBatches } from "../utils/MockSources.js"

const output = physicalSchema([["x", DataType.Int64]])
const limitNode = (limit: number | undefined, offset: number) =>
  new LimitExec({ id: 1, output, input: placeholder(output), offset, ...(limit === undefined ? {} : { limit }) })

const run = (limit: number | undefined, offset: number, batches = 4, perBatch = 3) =>
  Effect.gen(function*() {
    const source = counting(intBatches("x", batches, perBatch))
    const result = yield* runBatches(Limit.execute(limitNode(limit, offset), source.stream))
    return { values: columnOf(result, "x"), batches: result, pulled: source.pulled() }
  })

describe("LimitExec", () => {
  it.effect("limit 0 emits nothing and pulls nothing", () =>
    Effect.gen(function*() {
      const { pulled, values } = yield* run(0, 0)
      expect(values).toEqual([])
      expect(pulled).toBe(0)
    }))

  it.effect("offset past the end emits nothing", () =>
    Effect.gen(function*() {
      const { batches, values } = yield* run(5, 100)
      expect(values).toEqual([])
      expect(batches).toEqual([])
    }))

  it.effect("offset and limit across batch boundaries slice the boundary batches", () =>
    Effect.gen(function*() {
      // batches [0,1,2] [3,4,5] [6,7,8] [9,10,11]
      const { pulled, values } = yield* run(5, 2)
      expect(values).toEqual([2n, 3n, 4n, 5n, 6n])
      expect(pulled).toBe(3)
    }))

  it.effect("stops pulling its input once the limit is reached", () =>
    Effect.gen(function*() {
      const { pulled, values } = yield* run(4, 0, 10, 3)
      expect(values).toEqual([0n, 1n, 2n, 3n])
      expect(pulled).toBe(2)
    }))

  it.effect("a limit ending exactly on a batch boundary pulls no further batch", () =>
    Effect.gen(function*() {
      const { pulled, values } = yield* run(3, 0, 10, 3)
      expect(values).toEqual([0n, 1n, 2n])
      expect(pulled).toBe(1)
    }))

  it.effect("without a limit, skips the offset and passes the rest", () =>
    Effect.gen(function*() {
      const { pulled, values } = yield* run(undefined, 7)
      expect(values).toEqual([7n, 8n, 9n, 10n, 11n])
      expect(pulled).toBe(4)
    }))

  it.effect("a limit larger than the input returns every row", () =>
    Effect.gen(function*() {
      const { values } = yield* run(100, 0, 2, 2)
      expect(values).toEqual([0n, 1n, 2n, 3n])
    }))

  it.effect("empty input emits nothing", () =>
    Effect.gen(function*() {
      const { values } = yield* run(3, 1, 0, 3)
      expect(values).toEqual([])
    }))

  it.effect("emitted batches carry the output schema", () =>
    Effect.gen(function*() {
      const { batches } = yield* run(4, 1)
      expect(batches.length).toBeGreaterThan(0)
      for (const b of batches) expect(b.schema.fields.map((f) => f.name)).toEqual(["x"])
    }))
})
