import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { EmptyExec } from "../../src/Engine/PhysicalPlan.js"
import * as Empty from "../../src/Operators/Empty.js"
import { physicalSchema, runBatches } from "../utils/MockSources.js"

describe("EmptyExec", () => {
  it.effect("emits no batches", () =>
    Effect.gen(function*() {
      const out = yield* runBatches(
        Empty.execute(new EmptyExec({ id: 0, output: physicalSchema([["x", DataType.Int64]]) }))
      )
      expect(out.length).toBe(0)
    }))
})
