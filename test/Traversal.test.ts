/**
 * Graph traversal end to end: frames → resolver → planner → LocalRuntime → the
 * AdjacencyExpand / RoleExpand operators over InMemoryStorage's graph index. Expected
 * rows are derived by hand from the small graph below.
 */
import { describe, expect, it } from "@effect/vitest"
import type * as Arrow from "apache-arrow"
import { Effect, Exit, Layer } from "effect"
import type { ExecutionError } from "../src/Engine/ExecutionError.js"
import { col, lit } from "../src/Engine/Expr.js"
import type { GraphInput } from "../src/Engine/Storage.js"
import * as LocalRuntime from "../src/LocalRuntime/LocalRuntime.js"
import type { Frame } from "../src/Query/Frame.js"
import * as Hypergraph from "../src/Query/Hypergraph.js"
import type { Runtime } from "../src/Query/Runtime.js"
import * as InMemoryStorage from "../src/Storage/InMemoryStorage.js"
import * as Compare from "./utils/Compare.js"
import * as Reference from "./utils/Reference.js"

// KNOWS: ann→bob twice (100, 101), bob→cid (102), cid⟲ (103), cid→ann (104): a cycle with a self loop.
// LIVES_IN: ann→Lisboa, bob→Oslo, cid→Lisboa. dan and eve (Person+Admin) have no edges.
// MEETING 1000: host ann, attendees bob, cid, bob; MEETING 1001: host bob, attendee ann;
// REVIEW 1002: subject → MEETING 1000 (a hyperedge), reviewer eve.
const graph: GraphInput = {
  nodes: [
    { id: 1, labels: ["Person"], properties: { name: "ann", age: 30 } },
    { id: 2, labels: ["Person"], properties: { name: "bob", age: 25 } },
    { id: 3, labels: ["Person"], properties: { name: "cid", age: 41 } },
    { id: 4, labels: ["Person"], properties: { name: "dan" } },
    { id: 5, labels: ["Person", "Admin"], properties: { name: "eve" } },
    { id: 10, labels: ["City"], properties: { name: "Lisboa" } },
    { id: 11, labels: ["City"], properties: { name: "Oslo" } }
  ],
  edges: [
    { id: 100, label: "KNOWS", source: 1, target: 2, properties: { since: 2020 } },
    { id: 101, label: "KNOWS", source: 1, target: 2, properties: { since: 2022 } },
    { id: 102, label: "KNOWS", source: 2, target: 3, properties: { since: 2021 } },
    { id: 103, label: "KNOWS", source: 3, target: 3, properties: { since: 2019 } },
    { id: 104, label: "KNOWS", source: 3, target: 1 },
    { id: 110, label: "LIVES_IN", source: 1, target: 10 },
    { id: 111, label: "LIVES_IN", source: 2, target: 11 },
    { id: 112, label: "LIVES_IN", source: 3, target: 10 }
  ],
  hyperedges: [
    {
      id: 1000,
      label: "MEETING",
      bindings: [{ role: "host", node: 1 }, { role: "attendee", node: 2 }, { role: "attendee", node: 3 }, { role: "attendee", node: 2 }],
      properties: { topic: "plan" }
    },
    { id: 1001, label: "MEETING", bindings: [{ role: "host", node: 2 }, { role: "attendee", node: 1 }], properties: { topic: "retro" } },
    { id: 1002, label: "REVIEW", bindings: [{ role: "subject", hyperedge: 1000 }, { role: "reviewer", node: 5 }] }
  ]
}

const layer = LocalRuntime.layer.pipe(Layer.provide(InMemoryStorage.layer(graph)))
const run = <A>(effect: Effect.Effect<A, ExecutionError, Runtime>) => Effect.provide(effect, layer)

const rowsOf = (table: Arrow.Table): Array<Record<string, unknown>> => {
  const { columns, rows } = Compare.tableToRows(table)
  return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])))
}
const collect = (frame: Frame) => run(Effect.map(frame.collect(), (t) => ({ table: t, rows: rowsOf(t) })))
/** Sorted "a>b" strings of two columns (row order is unspecified). */
const pairs = (rows: ReadonlyArray<Record<string, unknown>>, a: string, b: string) => rows.map((r) => `${r[a]}>${r[b]}`).sort()
const failure = (frame: Frame) =>
  run(Effect.map(Effect.exit(frame.collect()), (exit) => (Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined)))

const people = () => Hypergraph.nodes("Person", { as: "p" })

describe("Traversal: binary expand", () => {
  it.effect("out over parallel edges gives one row per edge", () =>
    Effect.gen(function*() {
      const { rows } = yield* collect(people().expand("KNOWS", { as: "f" }))
      expect(pairs(rows, "p.name", "f.name")).toEqual(["ann>bob", "ann>bob", "bob>cid", "cid>ann", "cid>cid"])
    }))

  it.effect("in emits the source of each edge ending at the anchor", () =>
    Effect.gen(function*() {
      const { rows } = yield* collect(people().expand("KNOWS", { as: "f", direction: "in" }))
      expect(pairs(rows, "p.name", "f.name")).toEqual(["ann>cid", "bob>ann", "bob>ann", "cid>bob", "cid>cid"])
    }))

  it.effect("both is out ∪ in and emits a self loop once", () =>
    Effect.gen(function*() {
      const { rows } = yield* collect(people().expand("KNOWS", { as: "f", direction: "both", edgeAs: "k" }))
      expect(pairs(rows, "p.name", "f.name")).toEqual([
        "ann>bob", "ann>bob", "ann>cid", "bob>ann", "bob>ann", "bob>cid", "cid>ann", "cid>bob", "cid>cid"
      ])
      expect(rows.filter((r) => r["k._id"] === 103n).length).toBe(1)
    }))

  it.effect("to keeps only targets with the label and qualifies them by it", () =>
    Effect.gen(function*() {
      const { rows, table } = yield* collect(people().expand(undefined, { to: "City" }))
      expect(pairs(rows, "p.name", "City.name")).toEqual(["ann>Lisboa", "bob>Oslo", "cid>Lisboa"])
      expect(table.schema.fields.map((f) => f.name)).toEqual(["p._id", "p._label", "p.age", "p.name", "City._id", "City._label", "City.name"])
      const admins = yield* collect(people().expand("KNOWS", { direction: "both", to: "Admin" }))
      expect(admins.rows).toEqual([])
    }))

  it.effect("chained expands follow the path: the second starts from the first one's target", () =>
    Effect.gen(function*() {
      const { rows } = yield* collect(people().expand("KNOWS", { as: "f" }).expand("LIVES_IN", { to: "City" }))
      expect(rows.map((r) => `${r["p.name"]}>${r["f.name"]}>${r["City.name"]}`).sort()).toEqual([
        "ann>bob>Oslo", "ann>bob>Oslo", "bob>cid>Lisboa", "cid>ann>Lisboa", "cid>cid>Lisboa"
      ])
    }))

  it.effect("target and edge columns stay visible afterwards, edge columns under edgeAs or the edge label", () =>
    Effect.gen(function*() {
      const filtered = yield* collect(
        people().expand("KNOWS", { as: "f", edgeAs: "k" }).filter(col("k.since").gt(lit(2020))).select("p.name", "f.name", "k.since")
      )
      expect(filtered.rows.map((r) => `${r["p.name"]}>${r["f.name"]}@${r["k.since"]}`).sort()).toEqual(["ann>bob@2022", "bob>cid@2021"])
      const byLabel = yield* collect(people().expand("KNOWS", { as: "f" }).filter(col("KNOWS.since").isNull()))
      expect(byLabel.table.schema.fields.map((f) => f.name)).toEqual([
        "p._id", "p._label", "p.age", "p.name", "f._id", "f._label", "f.age", "f.name", "KNOWS._id", "KNOWS._label", "KNOWS.since"
      ])
      expect(pairs(byLabel.rows, "p.name", "f.name")).toEqual(["cid>ann"])
      const unlabelled = yield* collect(people().expand(undefined, { as: "f" }))
      expect(unlabelled.table.schema.fields.map((f) => f.name).filter((n) => !n.startsWith("p.") && !n.startsWith("f."))).toEqual([])
      expect(unlabelled.rows.length).toBe(8)
    }))

  it.effect("optional expand keeps unmatched rows once with NULL new columns", () =>
    Effect.gen(function*() {
      const { rows } = yield* collect(people().optionalExpand("LIVES_IN", { to: "City", edgeAs: "l" }))
      expect(pairs(rows, "p.name", "City.name")).toEqual(["ann>Lisboa", "bob>Oslo", "cid>Lisboa", "dan>null", "eve>null"])
      const dan = rows.find((r) => r["p.name"] === "dan")!
      expect([dan["City._id"], dan["City._label"], dan["l._id"], dan["l._label"]]).toEqual([null, null, null, null])
    }))

  it.effect("hops: 2 and [1, 3] on a cycle terminate with one row per trail", () =>
    Effect.gen(function*() {
      const ann = people().filter(col("p._id").eq(lit(1)))
      const two = yield* collect(ann.expand("KNOWS", { as: "f", hops: 2 }))
      expect(two.rows.map((r) => r["f.name"]).sort()).toEqual(["cid", "cid"])
      // 1 hop: 100, 101 → bob; 2: +102 → cid; 3: +103 → cid, +104 → ann (each from 100 and from 101)
      const upTo3 = yield* collect(ann.expand("KNOWS", { as: "f", hops: [1, 3] }))
      expect(upTo3.rows.map((r) => r["f.name"]).sort()).toEqual(["ann", "ann", "bob", "bob", "cid", "cid", "cid", "cid"])
      // 4 hops: 100|101, 102, 103, 104 → ann, or 100|101, 102, 104, (100|101 other) → bob; the self loop and each parallel edge once
      const four = yield* collect(ann.expand("KNOWS", { as: "f", hops: 4 }))
      expect(four.rows.map((r) => r["f.name"]).sort()).toEqual(["ann", "ann", "bob", "bob"])
      expect(two.table.schema.fields.map((f) => f.name).some((n) => n.startsWith("KNOWS."))).toBe(false)
    }))

  it.effect("long both-direction trails terminate and agree with the reference evaluator", () =>
    Effect.gen(function*() {
      const frame = people().expand("KNOWS", { as: "f", direction: "both", hops: [1, 8] })
      const { table } = yield* collect(frame)
      const expected = Reference.evaluate(graph, frame.plan)
      expect(expected._tag).toBe("Rows")
      if (expected._tag === "Rows") expect(Compare.compare(expected, Compare.tableToRows(table))).toBeUndefined()
      expect(table.numRows).toBeGreaterThan(20)
    }))

  it.effect("expand from an empty frame gives no rows with the full schema", () =>
    Effect.gen(function*() {
      const ghost = yield* collect(Hypergraph.nodes("Ghost", { as: "g" }).expand("KNOWS", { as: "f" }))
      expect(ghost.rows).toEqual([])
      const none = yield* collect(people().filter(lit(false)).expand("KNOWS", { as: "f", hops: [1, 3] }))
      expect(none.rows).toEqual([])
      const missingLabel = yield* collect(people().expand("NO_SUCH_EDGE", { as: "f" }))
      expect(missingLabel.rows).toEqual([])
    }))

  it.effect("a duplicate qualifier is a clear error that suggests `as`", () =>
    Effect.gen(function*() {
      const sameAlias = yield* failure(people().expand("KNOWS", { as: "p" }))
      expect(sameAlias?._tag).toBe("InvalidPlan")
      expect(sameAlias).toMatchObject({ reason: "DuplicateQualifier" })
      expect(sameAlias?.message).toMatch(/\bp\b/)
      expect(sameAlias?.message).toMatch(/as/)
      const byLabel = yield* failure(Hypergraph.nodes("Person").expand("KNOWS", { to: "Person" }))
      expect(byLabel).toMatchObject({ _tag: "InvalidPlan", reason: "DuplicateQualifier" })
      expect(byLabel?.message).toMatch(/as/)
      const twoEdges = yield* failure(people().expand("KNOWS", { as: "f" }).expand("KNOWS", { as: "g" }))
      expect(twoEdges).toMatchObject({ _tag: "InvalidPlan", reason: "DuplicateQualifier" })
      expect(twoEdges?.message).toMatch(/edgeAs/)
    }))
})

describe("Traversal: role expand", () => {
  it.effect("from a hyperedge frame, one row per binding under the role (repeated roles too)", () =>
    Effect.gen(function*() {
      const m = Hypergraph.hyperedges("MEETING", { as: "m" })
      const viaRole = yield* collect(m.expandRole("attendee", { as: "a" }))
      expect(pairs(viaRole.rows, "m._id", "a.name")).toEqual(["1000>bob", "1000>bob", "1000>cid", "1001>ann"])
      const viaExpand = yield* collect(m.expand("attendee", { as: "a" }))
      expect(pairs(viaExpand.rows, "m._id", "a.name")).toEqual(pairs(viaRole.rows, "m._id", "a.name"))
    }))

  it.effect("from a node anchor, fromRole → toRole with the hyperedge's columns", () =>
    Effect.gen(function*() {
      const { rows, table } = yield* collect(people().expandRole("attendee", { fromRole: "host", edgeLabel: "MEETING", as: "a" }))
      expect(rows.map((r) => `${r["p.name"]}>${r["a.name"]}@${r["MEETING.topic"]}`).sort()).toEqual([
        "ann>bob@plan", "ann>bob@plan", "ann>cid@plan", "bob>ann@retro"
      ])
      expect(table.schema.fields.map((f) => f.name).slice(-4)).toEqual(["MEETING._id", "MEETING._label", "MEETING._arity", "MEETING.topic"])
    }))

  it.effect("from = to excludes only the anchor's own binding", () =>
    Effect.gen(function*() {
      const { rows } = yield* collect(people().expandRole("attendee", { fromRole: "attendee", edgeLabel: "MEETING", as: "o" }))
      // MEETING 1000 attendees: bob (twice) and cid; ann attends 1001 alone
      expect(pairs(rows, "p.name", "o.name")).toEqual(["bob>bob", "bob>bob", "bob>cid", "bob>cid", "cid>bob", "cid>bob"])
    }))

  it.effect("a role bound to a hyperedge, and the role target as the next anchor", () =>
    Effect.gen(function*() {
      const reviewed = yield* collect(Hypergraph.hyperedges("REVIEW", { as: "r" }).expandRole("subject", { to: "MEETING" }))
      expect(reviewed.rows.map((r) => [r["r._id"], r["MEETING._id"], r["MEETING._arity"], r["MEETING.topic"]])).toEqual([[1002n, 1000n, 4n, "plan"]])
      const hosts = yield* collect(
        Hypergraph.hyperedges("MEETING", { as: "m" }).expandRole("host", { as: "h" }).expand("LIVES_IN", { to: "City" })
      )
      expect(pairs(hosts.rows, "m._id", "City.name")).toEqual(["1000>Lisboa", "1001>Oslo"])
    }))

  it.effect("optional role expand keeps unmatched anchors once", () =>
    Effect.gen(function*() {
      const { rows } = yield* collect(people().expandRole("subject", { fromRole: "reviewer", to: "MEETING", optional: true }))
      expect(pairs(rows, "p.name", "MEETING._id")).toEqual(["ann>null", "bob>null", "cid>null", "dan>null", "eve>1000"])
    }))
})
