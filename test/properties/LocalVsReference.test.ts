/**
 * Equivalence of the local runtime with the naive reference evaluator over seeded random
 * (graph, query) pairs. On failure fast-check prints the seed and the shrunk case; the
 * error message holds the query as frame code, the graph, and both results.
 *
 * Re-run one case: GRISM_PROP_SEED=<seed> npx vitest run test/properties
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, FastCheck as fc, Layer, Option } from "effect"
import * as LocalRuntime from "../../src/LocalRuntime/LocalRuntime.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import type { GraphInput } from "../../src/Engine/Storage.js"
import * as Compare from "../utils/Compare.js"
import * as Generators from "../utils/Generators.js"
import * as Reference from "../utils/Reference.js"

const seed = Number(process.env["GRISM_PROP_SEED"] ?? 20261124)
const numRuns = Number(process.env["GRISM_PROP_RUNS"] ?? 300)

const showGraph = (graph: GraphInput): string =>
  JSON.stringify(graph, (_k, v) =>
    typeof v === "bigint"
      ? `${v}n`
      : typeof v === "number" && !Number.isFinite(v)
      ? String(v)
      : Object.is(v, -0)
      ? "-0"
      : v)

/** Runs one case; returns a description of the disagreement, or undefined. */
const checkCase = async (graph: GraphInput, seq: ReadonlyArray<number>): Promise<string | undefined> => {
  const ref = Generators.refGraph(graph)
  const query = Generators.buildQuery(ref, seq)
  const expected = Reference.evaluateOn(ref, query.frame.plan)
  const exit = await Effect.runPromiseExit(
    query.frame.collect().pipe(Effect.provide(LocalRuntime.layer.pipe(Layer.provide(InMemoryStorage.layer(graph)))))
  )
  const context = () => `query: ${query.text}\ngraph: ${showGraph(graph)}`
  if (Exit.isFailure(exit)) {
    const failure = Cause.failureOption(exit.cause)
    if (Option.isNone(failure)) return `engine defect: ${Cause.pretty(exit.cause)}\n${context()}`
    const tag = (failure.value as { _tag?: string })._tag ?? String(failure.value)
    if (expected._tag === "Error") {
      return expected.allowed.includes(tag)
        ? undefined
        : `engine failed with ${tag}, reference expects ${expected.allowed.join(" | ")} (${expected.detail})\n` +
          `engine error: ${String((failure.value as Error).message)}\n${context()}`
    }
    if (expected.latent.includes(tag)) return undefined
    return `engine failed with ${tag}: ${String((failure.value as Error).message)}\nreference rows: ${expected.rows.length}\n${context()}`
  }
  if (expected._tag === "Error" && !expected.planTime) {
    // A row-level error (DivisionByZero, ArithmeticOverflow) may be avoided by the optimizer:
    // the order in which pushed-down filters reject rows is unspecified (as in SQL). The
    // unoptimized plan evaluates operators as written and must raise it.
    const unoptimized = await Effect.runPromiseExit(
      query.frame.collect().pipe(
        Effect.provide(LocalRuntime.layerWith({ optimize: false }).pipe(Layer.provide(InMemoryStorage.layer(graph))))
      )
    )
    const tag = Exit.isFailure(unoptimized)
      ? Option.getOrUndefined(Option.map(Cause.failureOption(unoptimized.cause), (e) => (e as { _tag?: string })._tag))
      : undefined
    return tag !== undefined && expected.allowed.includes(tag)
      ? undefined
      : `optimized engine succeeded and the unoptimized one gave ${tag ?? "rows"}; reference expects ${expected.error} (${expected.detail})\n${context()}`
  }
  if (expected._tag === "Error") {
    return `engine succeeded with ${exit.value.numRows} rows, reference expects ${expected.error} (${expected.detail})\n${context()}`
  }
  const diff = Compare.compare(expected, Compare.tableToRows(exit.value))
  return diff === undefined ? undefined : `${diff}\n${context()}`
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
