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
import { FastCheck as fc, Layer, ManagedRuntime } from "effect"
import type { GraphInput } from "../../src/Engine/Storage.js"
import * as LocalRuntime from "../../src/LocalRuntime/LocalRuntime.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import * as Generators from "../utils/Generators.js"
import * as Oracle from "../utils/Oracle.js"
import * as Catalog from "../utils/reference/Catalog.js"
import * as Reference from "../utils/Reference.js"

const seed = Number(process.env["GRISM_PROP_SEED"] ?? 20261129)
/** Graphs per property; each runs several queries (one storage and runtime per graph). */
const numRuns = Number(process.env["GRISM_PROP_RUNS"] ?? 80)
const queriesPerGraph = 3

type Engine = ManagedRuntime.ManagedRuntime<import("../../src/Query/Runtime.js").Runtime, never>

/** Runs `body` with a local runtime over the graph's storage, disposed afterwards. */
const withEngine = async <A>(graph: GraphInput, body: (engine: Engine) => Promise<A>): Promise<A> => {
  const engine = ManagedRuntime.make(LocalRuntime.layer.pipe(Layer.provide(InMemoryStorage.layer(graph)))) as Engine
  try {
    return await body(engine)
  } finally {
    await engine.dispose()
  }
}

/** Runs one query on the engine; returns a description of the disagreement with the reference, or undefined. */
const check = async (engine: Engine, graph: GraphInput, frame: Hypergraph.Frame, text: string): Promise<string | undefined> => {
  const expected = Reference.evaluateOn(Catalog.make(graph), frame.plan)
  const exit = await engine.runPromiseExit(frame.collect())
  return Oracle.verdict(expected, exit, () => `query: ${text}\ngraph: ${Oracle.showGraph(graph)}`)
}

/** Counts of what the generated queries exercised (to make sure the suite is not vacuous). */
const seen = { queries: 0, expand: 0, multiHop: 0, roleFromNode: 0, roleFromHyperedge: 0 }

describe("LocalRuntime vs Reference: traversal", () => {
  it("random traversal queries over random multigraphs give the reference's rows", async () => {
    const cases = fc.tuple(Generators.multigraph, fc.array(Generators.choices, { minLength: queriesPerGraph, maxLength: queriesPerGraph }))
    await fc.assert(
      fc.asyncProperty(cases, ([graph, seqs]) =>
        withEngine(graph, async (engine) => {
          const ref = Generators.refGraph(graph)
          for (const seq of seqs) {
            const query = Generators.buildQuery(ref, seq, { traversal: true })
            if (query.text.includes(".expand(") || query.text.includes("Expand(")) seen.expand++
            if (/"hops":(\[1,[23]\]|[23]|\[2,3\])/.test(query.text)) seen.multiHop++
            if (query.text.includes("fromRole")) seen.roleFromNode++
            if (query.text.startsWith("hyperedges(") && /expand(Role)?\("/.test(query.text)) seen.roleFromHyperedge++
            seen.queries++
            const problem = await check(engine, graph, query.frame, query.text)
            expect(problem, problem).toBeUndefined()
          }
        })),
      { seed, numRuns, endOnFailure: true, verbose: 0 }
    )
    expect(seen.expand).toBeGreaterThan(seen.queries / 8)
    expect(seen.multiHop).toBeGreaterThan(seen.queries / 30)
    expect(seen.roleFromNode).toBeGreaterThan(seen.queries / 30)
    expect(seen.roleFromHyperedge).toBeGreaterThan(seen.queries / 60)
  }, 120_000)

  it("bare traversals (no other operator) agree on many multigraphs, including multi-hop both-direction trails", async () => {
    let nonEmpty = 0
    await fc.assert(
      fc.asyncProperty(
        Generators.multigraph,
        fc.constantFrom<readonly [number, number]>([1, 1], [2, 2], [1, 3], [2, 4], [3, 3]),
        fc.constantFrom<string | undefined>("KNOWS", undefined, "LIVES_IN"),
        fc.constantFrom<string | undefined>(undefined, "Person", "City"),
        (graph, hops, edgeLabel, to) =>
          withEngine(graph, async (engine) => {
            for (const direction of ["out", "in", "both"] as const) {
              const frame = Hypergraph.nodes(undefined, { as: "n" })
                .expand(edgeLabel, { direction, hops, as: "t", ...(to === undefined ? {} : { to }) })
              const text = `nodes(undefined, { as: "n" }).expand(${String(edgeLabel)}, ${JSON.stringify({ direction, hops, to })})`
              const problem = await check(engine, graph, frame, text)
              expect(problem, problem).toBeUndefined()
              const expected = Reference.evaluate(graph, frame.plan)
              if (expected._tag === "Rows" && expected.rows.length > 0) nonEmpty++
            }
          })
      ),
      { seed: seed + 1, numRuns: 40, endOnFailure: true, verbose: 0 }
    )
    expect(nonEmpty).toBeGreaterThan(40)
  }, 120_000)
})

describe("Reference role expand (hand-checked, so the suite's oracle is checked too)", () => {
  const graph: GraphInput = {
    nodes: [1, 2, 3].map((id) => ({ id, labels: ["Person"], properties: { name: `n${id}` } })),
    edges: [{ id: 10, label: "KNOWS", source: 1, target: 2 }],
    hyperedges: [
      { id: 100, label: "MEETING", bindings: [{ role: "host", node: 1 }, { role: "attendee", node: 2 }, { role: "attendee", node: 3 }, { role: "attendee", node: 2 }] },
      { id: 101, label: "REVIEW", bindings: [{ role: "subject", hyperedge: 100 }, { role: "subject", hyperedge: 10 }, { role: "reviewer", node: 3 }] }
    ]
  }
  const rows = (frame: Hypergraph.Frame, a: string, b: string): Array<string> => {
    const result = Reference.evaluate(graph, frame.plan)
    if (result._tag !== "Rows") throw new Error(`reference failed: ${result.error} ${result.detail}`)
    return result.rows.map((r) => `${r[a]}>${r[b]}`).sort()
  }
  const people = Hypergraph.nodes("Person", { as: "p" })

  it("from = to pairs each binding with the others (a node bound twice meets itself)", () => {
    expect(rows(people.expandRole("attendee", { fromRole: "attendee", as: "o" }), "p._id", "o._id")).toEqual([
      "2>2", "2>2", "2>3", "2>3", "3>2", "3>2"
    ])
  })

  it("hyperedge targets, with the hyperedge frame's `expand(role)` meaning the same as expandRole", () => {
    const reviews = Hypergraph.hyperedges("REVIEW", { as: "r" })
    expect(rows(reviews.expandRole("subject", { to: "MEETING" }), "r._id", "MEETING._arity")).toEqual(["101>4"])
    expect(rows(reviews.expandRole("subject", { to: "KNOWS" }), "r._id", "KNOWS._id")).toEqual(["101>10"])
    expect(rows(reviews.expand("reviewer", { as: "x" }), "r._id", "x.name")).toEqual(["101>n3"])
    expect(rows(reviews.expandRole("subject", { as: "x" }), "r._id", "x._id")).toEqual([])
  })

  it("binary edges are hyperedges with roles source and target; optional keeps unmatched rows", () => {
    expect(rows(people.expandRole("target", { fromRole: "source", as: "t", edgeAs: "e" }), "p._id", "e._id")).toEqual(["1>10"])
    expect(rows(people.expandRole("host", { fromRole: "attendee", as: "h", optional: true }), "p._id", "h._id")).toEqual([
      "1>null", "2>1", "2>1", "3>1"
    ])
  })
})
