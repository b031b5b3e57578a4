/**
 * Equivalence of the local runtime with the naive reference evaluator on traversal
 * queries: random multigraphs (parallel edges, self loops, multi-label and isolated nodes,
 * n-ary hyperedges with repeated roles, hyperedges bound to hyperedges, binary edges given
 * as role bindings) and random binary / role expands mixed with filter, select, groupBy,
 * orderBy and limit. The reference evaluator and the engine share no evaluation code.
 *
 * Re-run one case: GRISM_PROP_SEED=<seed> npx vitest run test/properties/TraversalVsReference.test.ts
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, FastCheck as fc, Layer, Option } from "effect"
import type { GraphInput } from "../../src/Engine/Storage.js"
import * as LocalRuntime from "../../src/LocalRuntime/LocalRuntime.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import * as Compare from "../utils/Compare.js"
import * as Generators from "../utils/Generators.js"
import * as Catalog from "../utils/reference/Catalog.js"
import * as Reference from "../utils/Reference.js"

const seed = Number(process.env["GRISM_PROP_SEED"] ?? 20261129)
const numRuns = Number(process.env["GRISM_PROP_RUNS"] ?? 400)

const showGraph = (graph: GraphInput): string =>
  JSON.stringify(graph, (_k, v) =>
    typeof v === "bigint"
      ? `${v}n`
      : typeof v === "number" && !Number.isFinite(v)
      ? String(v)
      : Object.is(v, -0)
      ? "-0"
      : v)

/** Runs one query on the local runtime over the graph; returns a description of the disagreement, or undefined. */
const check = async (graph: GraphInput, frame: Hypergraph.Frame, text: string): Promise<string | undefined> => {
  const expected = Reference.evaluateOn(Catalog.make(graph), frame.plan)
  const exit = await Effect.runPromiseExit(
    frame.collect().pipe(Effect.provide(LocalRuntime.layer.pipe(Layer.provide(InMemoryStorage.layer(graph)))))
  )
  const context = () => `query: ${text}\ngraph: ${showGraph(graph)}`
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
  if (expected._tag === "Error") {
    return `engine succeeded with ${exit.value.numRows} rows, reference expects ${expected.error} (${expected.detail})\n${context()}`
  }
  const diff = Compare.compare(expected, Compare.tableToRows(exit.value))
  return diff === undefined ? undefined : `${diff}\n${context()}`
}

/** Counts of what the generated queries exercised (to make sure the suite is not vacuous). */
const seen = { expand: 0, multiHop: 0, roleFromNode: 0, roleFromHyperedge: 0, rows: 0, nonEmpty: 0 }

describe("LocalRuntime vs Reference: traversal", () => {
  it("random traversal queries over random multigraphs give the reference's rows", async () => {
    await fc.assert(
      fc.asyncProperty(Generators.traversalCase, async ([graph, seq]) => {
        const query = Generators.buildQuery(Generators.refGraph(graph), seq, { traversal: true })
        if (query.text.includes(".expand(") || query.text.includes("Expand(")) seen.expand++
        if (/"hops":(\[1,[23]\]|[23]|\[2,3\])/.test(query.text)) seen.multiHop++
        if (query.text.includes("fromRole")) seen.roleFromNode++
        if (query.text.startsWith("hyperedges(") && /expand(Role)?\("/.test(query.text)) seen.roleFromHyperedge++
        const problem = await check(graph, query.frame, query.text)
        expect(problem, problem).toBeUndefined()
      }),
      { seed, numRuns, endOnFailure: true, verbose: 0 }
    )
    expect(seen.expand).toBeGreaterThan(numRuns / 4)
    expect(seen.multiHop).toBeGreaterThan(numRuns / 20)
    expect(seen.roleFromNode).toBeGreaterThan(numRuns / 20)
    expect(seen.roleFromHyperedge).toBeGreaterThan(numRuns / 40)
  }, 120_000)

  it("bare traversals (no other operator) agree on many multigraphs, including multi-hop both-direction trails", async () => {
    let nonEmpty = 0
    await fc.assert(
      fc.asyncProperty(
        Generators.multigraph,
        fc.constantFrom("out", "in", "both"),
        fc.constantFrom<readonly [number, number]>([1, 1], [2, 2], [1, 3], [2, 4], [3, 3]),
        fc.constantFrom<string | undefined>("KNOWS", undefined, "LIVES_IN"),
        fc.constantFrom<string | undefined>(undefined, "Person", "City"),
        async (graph, direction, hops, edgeLabel, to) => {
          const frame = Hypergraph.nodes(undefined, { as: "n" })
            .expand(edgeLabel, { direction, hops, as: "t", ...(to === undefined ? {} : { to }) })
          const text = `nodes(undefined, { as: "n" }).expand(${String(edgeLabel)}, ${JSON.stringify({ direction, hops, to })})`
          const problem = await check(graph, frame, text)
          expect(problem, problem).toBeUndefined()
          const expected = Reference.evaluate(graph, frame.plan)
          if (expected._tag === "Rows" && expected.rows.length > 0) nonEmpty++
        }
      ),
      { seed: seed + 1, numRuns: 150, endOnFailure: true, verbose: 0 }
    )
    expect(nonEmpty).toBeGreaterThan(50)
  }, 120_000)
})
