import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { RoleExpandExec, ScanColumn } from "../../src/Engine/PhysicalPlan.js"
import type { GraphInput } from "../../src/Engine/Storage.js"
import * as RoleExpand from "../../src/Operators/RoleExpand.js"
import { batchFromRows, fakeStorage, fromBatches, physicalSchema, placeholder, rowsOf, runBatches, testContext } from "../utils/MockSources.js"
import * as TestIndex from "../utils/reference/GraphIndex.js"

const graph: GraphInput = {
  nodes: [
    { id: 1, labels: ["Person"], properties: { name: "ann" } },
    { id: 2, labels: ["Person"], properties: { name: "bob" } },
    { id: 3, labels: ["Person"], properties: { name: "cid" } },
    { id: 4, labels: ["Room"], properties: { name: "r4" } }
  ],
  edges: [{ id: 10, label: "KNOWS", source: 1, target: 2 }],
  hyperedges: [
    {
      id: 100,
      label: "MEETING",
      bindings: [{ role: "host", node: 1 }, { role: "attendee", node: 2 }, { role: "attendee", node: 3 }, { role: "attendee", node: 2 }],
      properties: { topic: "plan" }
    },
    {
      id: 101,
      label: "MEETING",
      bindings: [{ role: "host", node: 2 }, { role: "attendee", node: 1 }, { role: "at", node: 4 }],
      properties: { topic: "retro" }
    },
    { id: 102, label: "REVIEW", bindings: [{ role: "subject", hyperedge: 100 }, { role: "reviewer", node: 1 }] }
  ]
}

const nodeTarget = [
  new ScanColumn({ field: "_id", dataType: DataType.Int64 }),
  new ScanColumn({ field: "_label", dataType: DataType.String }),
  new ScanColumn({ field: "name", dataType: DataType.String })
]
const hyperTarget = [
  new ScanColumn({ field: "_id", dataType: DataType.Int64 }),
  new ScanColumn({ field: "_label", dataType: DataType.String }),
  new ScanColumn({ field: "_arity", dataType: DataType.Int64 })
]
const edgeColumns = [
  new ScanColumn({ field: "_id", dataType: DataType.Int64 }),
  new ScanColumn({ field: "_label", dataType: DataType.String }),
  new ScanColumn({ field: "_arity", dataType: DataType.Int64 }),
  new ScanColumn({ field: "topic", dataType: DataType.String })
]

const meetings = physicalSchema([["m._id", DataType.Int64], ["m._label", DataType.String]])
const people = physicalSchema([["p._id", DataType.Int64], ["p.name", DataType.String]])

interface Options {
  readonly anchorKind: "node" | "hyperedge"
  readonly fromRole?: string
  readonly toRole: string
  readonly edgeLabel?: string
  readonly targetKind?: "node" | "hyperedge"
  readonly toLabel?: string
  readonly edges?: boolean
  readonly optional?: boolean
}

const roleNode = (options: Options): RoleExpandExec => {
  const input = options.anchorKind === "node" ? people : meetings
  const targetKind = options.targetKind ?? "node"
  const targetColumns = targetKind === "node" ? nodeTarget : hyperTarget
  const edges = options.edges ?? false
  return new RoleExpandExec({
    id: 1,
    output: physicalSchema([
      ...input.fields.map((f) => [f.name, f.dataType] as const),
      ...targetColumns.map((c) => [`t.${c.field}`, c.dataType] as const),
      ...(edges ? edgeColumns.map((c) => [`h.${c.field}`, c.dataType] as const) : [])
    ]),
    input: placeholder(input),
    anchorColumn: options.anchorKind === "node" ? "p._id" : "m._id",
    anchorKind: options.anchorKind,
    ...(options.edgeLabel === undefined ? {} : { edgeLabel: options.edgeLabel }),
    ...(options.fromRole === undefined ? {} : { fromRole: options.fromRole }),
    toRole: options.toRole,
    targetKind,
    ...(options.toLabel === undefined ? {} : { toLabel: options.toLabel }),
    targetQualifier: "t",
    targetColumns,
    ...(edges ? { edgeQualifier: "h" } : {}),
    edgeColumns: edges ? edgeColumns : [],
    optional: options.optional ?? false
  })
}

const meetingRows = batchFromRows(meetings, [[100n, "MEETING"], [101n, "MEETING"], [102n, "REVIEW"], [null, null]])
const peopleRows = batchFromRows(people, [[1n, "ann"], [2n, "bob"], [3n, "cid"], [4n, "r4"]])

const run = (node: RoleExpandExec, batchSize?: number) => {
  const index = TestIndex.make(graph)
  const context = testContext({ storage: fakeStorage({ index }), ...(batchSize === undefined ? {} : { batchSize }) })
  const batch = node.anchorKind === "node" ? peopleRows : meetingRows
  return Effect.map(runBatches(RoleExpand.execute(node, fromBatches([batch])), context), (out) => ({ out, rows: rowsOf(out) }))
}

const pairs = (rows: ReadonlyArray<Record<string, unknown>>, from: string, extra?: string): Array<string> =>
  rows.map((r) => `${r[from]}>${r["t._id"]}${extra === undefined ? "" : `:${r[extra]}`}`).sort()

describe("RoleExpandExec", () => {
  describe("from a hyperedge anchor", () => {
    it.effect("emits one row per binding under the role, repeated roles included", () =>
      Effect.gen(function*() {
        const { rows } = yield* run(roleNode({ anchorKind: "hyperedge", toRole: "attendee" }))
        expect(pairs(rows, "m._id")).toEqual(["100>2", "100>2", "100>3", "101>1"])
        expect(rows.find((r) => r["t._id"] === 3n)).toEqual({
          "m._id": 100n, "m._label": "MEETING", "t._id": 3n, "t._label": "Person", "t.name": "cid"
        })
      }))

    it.effect("a hyperedge target is taken from the hyperedges; node bindings do not match it", () =>
      Effect.gen(function*() {
        const hyper = yield* run(roleNode({ anchorKind: "hyperedge", toRole: "subject", targetKind: "hyperedge" }))
        expect(hyper.rows).toEqual([{ "m._id": 102n, "m._label": "REVIEW", "t._id": 100n, "t._label": "MEETING", "t._arity": 4n }])
        const asNode = yield* run(roleNode({ anchorKind: "hyperedge", toRole: "subject" }))
        expect(asNode.rows).toEqual([])
      }))

    it.effect("toLabel filters the targets", () =>
      Effect.gen(function*() {
        const room = yield* run(roleNode({ anchorKind: "hyperedge", toRole: "at", toLabel: "Room" }))
        expect(pairs(room.rows, "m._id")).toEqual(["101>4"])
        const none = yield* run(roleNode({ anchorKind: "hyperedge", toRole: "at", toLabel: "Person" }))
        expect(none.rows).toEqual([])
      }))

    it.effect("optional keeps unmatched rows (and NULL anchors) once with NULL new columns", () =>
      Effect.gen(function*() {
        const { rows } = yield* run(roleNode({ anchorKind: "hyperedge", toRole: "host", optional: true }))
        expect(pairs(rows, "m._id")).toEqual(["100>1", "101>2", "102>null", "null>null"])
        const kept = rows.find((r) => r["m._id"] === 102n)!
        expect([kept["t._label"], kept["t.name"]]).toEqual([null, null])
      }))

    it.effect("an unknown role matches nothing", () =>
      Effect.gen(function*() {
        const { rows } = yield* run(roleNode({ anchorKind: "hyperedge", toRole: "nobody" }))
        expect(rows).toEqual([])
      }))
  })

  describe("from a node anchor", () => {
    it.effect("fromRole → toRole over hyperedges of the label, with the hyperedge's columns", () =>
      Effect.gen(function*() {
        const { rows } = yield* run(roleNode({ anchorKind: "node", fromRole: "host", toRole: "attendee", edgeLabel: "MEETING", edges: true }))
        expect(pairs(rows, "p._id", "h._id")).toEqual(["1>2:100", "1>2:100", "1>3:100", "2>1:101"])
        expect(rows.find((r) => r["t._id"] === 3n)).toEqual({
          "p._id": 1n, "p.name": "ann",
          "t._id": 3n, "t._label": "Person", "t.name": "cid",
          "h._id": 100n, "h._label": "MEETING", "h._arity": 4n, "h.topic": "plan"
        })
      }))

    it.effect("from = to excludes only the anchor's own binding (a node bound twice meets itself)", () =>
      Effect.gen(function*() {
        const { rows } = yield* run(roleNode({ anchorKind: "node", fromRole: "attendee", toRole: "attendee", edgeLabel: "MEETING" }))
        // meeting 100 attendees: bob (#1), cid (#2), bob (#3); meeting 101: ann alone
        expect(pairs(rows, "p._id")).toEqual(["2>2", "2>2", "2>3", "2>3", "3>2", "3>2"])
      }))

    it.effect("each binding of the anchor under fromRole counts (repeated roles)", () =>
      Effect.gen(function*() {
        const { rows } = yield* run(roleNode({ anchorKind: "node", fromRole: "attendee", toRole: "host" }))
        expect(pairs(rows, "p._id")).toEqual(["1>2", "2>1", "2>1", "3>1"])
      }))

    it.effect("without an edge label every hyperedge counts, binary edges included", () =>
      Effect.gen(function*() {
        const { rows } = yield* run(roleNode({ anchorKind: "node", fromRole: "source", toRole: "target", edges: true }))
        expect(pairs(rows, "p._id", "h._label")).toEqual(["1>2:KNOWS"])
        const other = yield* run(roleNode({ anchorKind: "node", fromRole: "source", toRole: "target", edgeLabel: "MEETING" }))
        expect(other.rows).toEqual([])
      }))

    it.effect("optional keeps anchors with no incidence once", () =>
      Effect.gen(function*() {
        const { rows } = yield* run(roleNode({ anchorKind: "node", fromRole: "reviewer", toRole: "subject", targetKind: "hyperedge", optional: true }))
        expect(pairs(rows, "p._id")).toEqual(["1>100", "2>null", "3>null", "4>null"])
      }))

    it.effect("output batches hold at most batchSize rows", () =>
      Effect.gen(function*() {
        const { out, rows } = yield* run(roleNode({ anchorKind: "node", fromRole: "attendee", toRole: "attendee" }), 4)
        expect(rows.length).toBe(6)
        for (const b of out) expect(b.numRows).toBeLessThanOrEqual(4)
        expect(out.length).toBe(2)
      }))
  })
})
