import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { AdjacencyExpandExec, type Direction, ScanColumn } from "../../src/Engine/PhysicalPlan.js"
import type { GraphInput } from "../../src/Engine/Storage.js"
import * as AdjacencyExpand from "../../src/Operators/AdjacencyExpand.js"
import { batchFromRows, fakeStorage, fromBatches, physicalSchema, placeholder, rowsOf, runBatches, testContext } from "../utils/MockSources.js"
import * as TestIndex from "../utils/reference/GraphIndex.js"

// ann(1) ─KNOWS 10, 11 (parallel)→ bob(2) ⟲ KNOWS 12 (self loop)
// ann(1) ─LIVES_IN 13→ paris(3, City);  paris(3) ─KNOWS 14→ ann(1);  zoe(4, Person+Company) isolated
const graph: GraphInput = {
  nodes: [
    { id: 1, labels: ["Person"], properties: { name: "ann" } },
    { id: 2, labels: ["Person"], properties: { name: "bob" } },
    { id: 3, labels: ["City"], properties: { name: "paris" } },
    { id: 4, labels: ["Company", "Person"], properties: { name: "zoe" } }
  ],
  edges: [
    { id: 10, label: "KNOWS", source: 1, target: 2, properties: { w: 1 } },
    { id: 11, label: "KNOWS", source: 1, target: 2, properties: { w: 2 } },
    { id: 12, label: "KNOWS", source: 2, target: 2, properties: { w: 3 } },
    { id: 13, label: "LIVES_IN", source: 1, target: 3 },
    { id: 14, label: "KNOWS", source: 3, target: 1, properties: { w: 4 } }
  ]
}

const inputSchema = physicalSchema([["p._id", DataType.Int64], ["p.name", DataType.String]])
const people = batchFromRows(inputSchema, [[1n, "ann"], [2n, "bob"], [3n, "paris"], [4n, "zoe"]])

const targetColumns = [
  new ScanColumn({ field: "_id", dataType: DataType.Int64 }),
  new ScanColumn({ field: "_label", dataType: DataType.String }),
  new ScanColumn({ field: "name", dataType: DataType.String })
]
const edgeColumns = [
  new ScanColumn({ field: "_id", dataType: DataType.Int64 }),
  new ScanColumn({ field: "_label", dataType: DataType.String }),
  new ScanColumn({ field: "w", dataType: DataType.Int64 })
]

interface Options {
  readonly direction?: Direction
  readonly edgeLabel?: string
  readonly toLabel?: string
  readonly edges?: boolean
  readonly hops?: readonly [number, number]
  readonly optional?: boolean
}

const expandNode = (options: Options = {}, input = inputSchema): AdjacencyExpandExec => {
  const edges = options.edges ?? false
  const output = physicalSchema([
    ...input.fields.map((f) => [f.name, f.dataType] as const),
    ...targetColumns.map((c) => [`f.${c.field}`, c.dataType] as const),
    ...(edges ? edgeColumns.map((c) => [`k.${c.field}`, c.dataType] as const) : [])
  ])
  return new AdjacencyExpandExec({
    id: 1,
    output,
    input: placeholder(input),
    anchorColumn: "p._id",
    ...(options.edgeLabel === undefined ? {} : { edgeLabel: options.edgeLabel }),
    direction: options.direction ?? "out",
    ...(options.toLabel === undefined ? {} : { toLabel: options.toLabel }),
    targetQualifier: "f",
    targetColumns,
    ...(edges ? { edgeQualifier: "k" } : {}),
    edgeColumns: edges ? edgeColumns : [],
    minHops: options.hops?.[0] ?? 1,
    maxHops: options.hops?.[1] ?? 1,
    optional: options.optional ?? false
  })
}

const run = (node: AdjacencyExpandExec, batches = [people], g: GraphInput = graph, batchSize?: number) => {
  const index = TestIndex.make(g)
  const context = testContext({ storage: fakeStorage({ index }), ...(batchSize === undefined ? {} : { batchSize }) })
  return Effect.map(runBatches(AdjacencyExpand.execute(node, fromBatches(batches)), context), (out) => ({ out, index, rows: rowsOf(out) }))
}

/** Rows as compact "from>to" strings, sorted (row order is unspecified). */
const pairs = (rows: ReadonlyArray<Record<string, unknown>>, extra?: string): Array<string> =>
  rows.map((r) => `${r["p._id"]}>${r["f._id"]}${extra === undefined ? "" : `:${r[extra]}`}`).sort()

describe("AdjacencyExpandExec", () => {
  it.effect("out: one row per matching edge, parallel edges give duplicate rows", () =>
    Effect.gen(function*() {
      const { rows } = yield* run(expandNode({ edgeLabel: "KNOWS", edges: true }))
      expect(pairs(rows, "k._id")).toEqual(["1>2:10", "1>2:11", "2>2:12", "3>1:14"])
      const first = rows.find((r) => r["k._id"] === 11n)!
      expect(first).toEqual({
        "p._id": 1n, "p.name": "ann",
        "f._id": 2n, "f._label": "Person", "f.name": "bob",
        "k._id": 11n, "k._label": "KNOWS", "k.w": 2n
      })
    }))

  it.effect("in: anchor is the edge's target, the source is emitted", () =>
    Effect.gen(function*() {
      const { rows } = yield* run(expandNode({ edgeLabel: "KNOWS", direction: "in", edges: true }))
      expect(pairs(rows, "k._id")).toEqual(["1>3:14", "2>1:10", "2>1:11", "2>2:12"])
    }))

  it.effect("both: out ∪ in with a self loop emitted once", () =>
    Effect.gen(function*() {
      const { rows } = yield* run(expandNode({ edgeLabel: "KNOWS", direction: "both", edges: true }))
      expect(pairs(rows, "k._id")).toEqual(["1>2:10", "1>2:11", "1>3:14", "2>1:10", "2>1:11", "2>2:12", "3>1:14"])
    }))

  it.effect("without an edge label every binary edge is followed; a missing label yields no rows", () =>
    Effect.gen(function*() {
      const all = yield* run(expandNode())
      expect(pairs(all.rows)).toEqual(["1>2", "1>2", "1>3", "2>2", "3>1"])
      const ghost = yield* run(expandNode({ edgeLabel: "GHOST" }))
      expect(ghost.rows).toEqual([])
    }))

  it.effect("to keeps only targets carrying the label in any position", () =>
    Effect.gen(function*() {
      const city = yield* run(expandNode({ toLabel: "City" }))
      expect(pairs(city.rows)).toEqual(["1>3"])
      const withCompany: GraphInput = { ...graph, edges: [...graph.edges!, { id: 15, label: "KNOWS", source: 2, target: 4 }] }
      const company = yield* run(expandNode({ toLabel: "Company" }), [people], withCompany)
      expect(pairs(company.rows)).toEqual(["2>4"])
      expect(company.rows[0]!["f._label"]).toBe("Company")
    }))

  it.effect("optional keeps each unmatched input row once with NULL new columns", () =>
    Effect.gen(function*() {
      const { rows } = yield* run(expandNode({ edgeLabel: "KNOWS", toLabel: "City", edges: true, optional: true }))
      expect(rows.length).toBe(4)
      for (const r of rows) {
        expect([r["f._id"], r["f._label"], r["f.name"], r["k._id"], r["k._label"], r["k.w"]]).toEqual([null, null, null, null, null, null])
      }
      expect(rows.map((r) => r["p.name"]).sort()).toEqual(["ann", "bob", "paris", "zoe"])
      const mixed = yield* run(expandNode({ edgeLabel: "LIVES_IN", optional: true }))
      expect(pairs(mixed.rows)).toEqual(["1>3", "2>null", "3>null", "4>null"])
    }))

  it.effect("a NULL or unknown anchor id matches nothing (kept by optional)", () =>
    Effect.gen(function*() {
      const batch = batchFromRows(inputSchema, [[null, "nobody"], [99n, "ghost"], [1n, "ann"]])
      const plain = yield* run(expandNode({ edgeLabel: "LIVES_IN" }), [batch])
      expect(pairs(plain.rows)).toEqual(["1>3"])
      const kept = yield* run(expandNode({ edgeLabel: "LIVES_IN", optional: true }), [batch])
      expect(pairs(kept.rows)).toEqual(["1>3", "99>null", "null>null"])
    }))

  it.effect("input columns are carried to every output row, in the output's column order", () =>
    Effect.gen(function*() {
      const { out } = yield* run(expandNode({ edgeLabel: "KNOWS", edges: true }))
      for (const b of out) {
        expect(b.schema.fields.map((f) => f.name)).toEqual([
          "p._id", "p.name", "f._id", "f._label", "f.name", "k._id", "k._label", "k.w"
        ])
      }
      expect(rowsOf(out).filter((r) => r["p._id"] === 1n).map((r) => r["p.name"])).toEqual(["ann", "ann"])
    }))

  it.effect("hops: 2 on a cycle follows trails only and terminates", () =>
    Effect.gen(function*() {
      // a(1) → b(2) → c(3) → a(1)
      const cycle: GraphInput = {
        nodes: [1, 2, 3].map((id) => ({ id, labels: ["Person"], properties: { name: `n${id}` } })),
        edges: [
          { id: 10, label: "KNOWS", source: 1, target: 2 },
          { id: 11, label: "KNOWS", source: 2, target: 3 },
          { id: 12, label: "KNOWS", source: 3, target: 1 }
        ]
      }
      const start = batchFromRows(inputSchema, [[1n, "n1"]])
      const two = yield* run(expandNode({ hops: [2, 2] }), [start], cycle)
      expect(pairs(two.rows)).toEqual(["1>3"])
      const upTo3 = yield* run(expandNode({ hops: [1, 3] }), [start], cycle)
      expect(pairs(upTo3.rows)).toEqual(["1>1", "1>2", "1>3"])
      // both directions: a-b, a-c, a-b-c, a-c-b, a-b-c-a, a-c-b-a (each edge at most once per path)
      const both = yield* run(expandNode({ hops: [1, 8], direction: "both" }), [start], cycle)
      expect(pairs(both.rows)).toEqual(["1>1", "1>1", "1>2", "1>2", "1>3", "1>3"])
    }))

  it.effect("a trail never repeats an edge: parallel edges and self loops are each used once per path", () =>
    Effect.gen(function*() {
      // paths from ann over KNOWS, out, up to 5 hops: 10, 11, 10-12, 11-12; from bob: 12; from paris: 14, 14-10, 14-11, 14-10-12, 14-11-12
      const { rows } = yield* run(expandNode({ edgeLabel: "KNOWS", hops: [1, 5] }))
      expect(pairs(rows)).toEqual(["1>2", "1>2", "1>2", "1>2", "2>2", "3>1", "3>2", "3>2", "3>2", "3>2"])
      // minimum hops 2: only paths of 2..5 edges
      const longer = yield* run(expandNode({ edgeLabel: "KNOWS", hops: [2, 5] }))
      expect(pairs(longer.rows)).toEqual(["1>2", "1>2", "3>2", "3>2", "3>2", "3>2"])
    }))

  it.effect("to applies only to the final node of a multi-hop path", () =>
    Effect.gen(function*() {
      // paris → ann → (LIVES_IN) paris: 2 hops over any label ending at a City
      const { rows } = yield* run(expandNode({ hops: [2, 2], toLabel: "City" }))
      expect(pairs(rows)).toEqual(["3>3"])
    }))

  it.effect("output batches hold at most batchSize rows and cover every match", () =>
    Effect.gen(function*() {
      const { out, rows } = yield* run(expandNode({ edgeLabel: "KNOWS", hops: [1, 5] }), [people], graph, 3)
      expect(out.length).toBeGreaterThan(1)
      for (const b of out) expect(b.numRows).toBeLessThanOrEqual(3)
      expect(rows.length).toBe(10)
    }))

  it.effect("an empty input emits nothing and never asks storage for the index", () =>
    Effect.gen(function*() {
      const context = testContext({ storage: fakeStorage() }) // no index: asking for it would die
      const out = yield* runBatches(
        AdjacencyExpand.execute(expandNode(), fromBatches([batchFromRows(inputSchema, [])])),
        context
      )
      expect(out).toEqual([])
    }))

  it.effect("the index's adjacency is built once per execution, not per batch", () =>
    Effect.gen(function*() {
      const { index, rows } = yield* run(expandNode({ edgeLabel: "KNOWS", direction: "both" }), [people, people, people])
      expect(rows.length).toBe(21)
      expect(index.requests).toEqual(["adjacency(KNOWS, out)", "adjacency(KNOWS, in)"])
    }))
})
