/**
 * Equivalence of the local runtime with the naive reference evaluator over seeded random
 * (graph, query) pairs. On failure fast-check prints the seed and the shrunk case; the
 * error message holds the query as frame code, the graph, and both results.
 *
 * Re-run one case: GRISM_PROP_SEED=<seed> npx vitest run test/properties
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, FastCheck as fc, Layer } from "effect"
import * as LocalRuntime from "../../src/LocalRuntime/LocalRuntime.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import type { GraphInput } from "../../src/Engine/Storage.js"
import * as Generators from "../utils/Generators.js"
import * as Oracle from "../utils/Oracle.js"
import * as Reference from "../utils/Reference.js"

const seed = Number(process.env["GRISM_PROP_SEED"] ?? 20261124)
const numRuns = Number(process.env["GRISM_PROP_RUNS"] ?? 300)

/** Runs one case; returns a description of the disagreement, or undefined. */
const checkCase = async (graph: GraphInput, seq: ReadonlyArray<number>): Promise<string | undefined> => {
  const ref = Generators.refGraph(graph)
  const query = Generators.buildQuery(ref, seq)
  const expected = Reference.evaluateOn(ref, query.frame.plan)
  const exit = await Effect.runPromiseExit(
    query.frame.collect().pipe(Effect.provide(LocalRuntime.layer.pipe(Layer.provide(InMemoryStorage.layer(graph)))))
  )
  const context = () => `query: ${query.text}\ngraph: ${Oracle.showGraph(graph)}`
  if (Exit.isSuccess(exit) && expected._tag === "Error" && !expected.planTime) {
    // A row-level error (DivisionByZero, ArithmeticOverflow) may be avoided by the optimizer:
    // the order in which pushed-down filters reject rows is unspecified (as in SQL). The
    // unoptimized plan evaluates operators as written and must raise it.
    const unoptimized = await Effect.runPromiseExit(
      query.frame.collect().pipe(
        Effect.provide(LocalRuntime.layerWith({ optimize: false }).pipe(Layer.provide(InMemoryStorage.layer(graph))))
      )
    )
    const tag = Oracle.failureTag(unoptimized)
    return tag !== undefined && expected.allowed.includes(tag)
      ? undefined
      : `optimized engine succeeded and the unoptimized one gave ${tag ?? "rows"}; reference expects ${expected.error} (${expected.detail})\n${context()}`
  }
  return Oracle.verdict(expected, exit, context)
}

describe("LocalRuntime vs Reference", () => {
  it("random queries over random graphs give the reference's rows", async () => {
    await fc.assert(
      fc.asyncProperty(Generators.testCase, async ([graph, seq]) => {
        const problem = await checkCase(graph, seq)
        expect(problem, problem).toBeUndefined()
      }),
      { seed, numRuns, endOnFailure: false, verbose: 1 }
    )
  })
})
