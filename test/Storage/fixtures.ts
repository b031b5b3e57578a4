/**
 * A small hand-made graph for the storage tests and helpers to read scans as JS rows.
 *
 * Nodes: 1 Ann [Person], 2 Bob [Person, Admin], 3 Oslo [City], 4 Cid [Person], 5 Rome [City].
 * Binary edges: 100, 101 KNOWS 1→2 (parallel), 102 KNOWS 2→2 (self loop), 103 LIVES_IN 1→3.
 * Hyperedges: 200 MEETING (attendee 1, attendee 2, host 4, venue 3), 201 MEETING (source 4,
 * target 5: a binary edge), 202 CITES (about hyperedge 200, by node 1, about hyperedge 101),
 * 203 KNOWS (target 5, source 4: a binary edge, roles in reverse order).
 */
import * as Arrow from "apache-arrow"
import { Chunk, Effect, Stream } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import type { ExecutionError } from "../../src/Engine/ExecutionError.js"
import type { GraphInput, ScanColumn } from "../../src/Engine/Storage.js"

export const graph: GraphInput = {
  nodes: [
    { id: 1, labels: ["Person"], properties: { name: "Ann", age: 30, score: 1.5 } },
    { id: 2, labels: ["Person", "Admin"], properties: { name: "Bob", age: 25, score: 2 } },
    { id: 3, labels: ["City"], properties: { name: "Oslo", pop: 700000n } },
    { id: 4, labels: ["Person"], properties: { name: "Cid", nick: null } },
    { id: 5, labels: ["City"], properties: { name: "Rome", pop: 2800000 } }
  ],
  edges: [
    { id: 100, label: "KNOWS", source: 1, target: 2, properties: { since: 2020 } },
    { id: 101, label: "KNOWS", source: 1, target: 2, properties: { since: 2021 } },
    { id: 102, label: "KNOWS", source: 2, target: 2 },
    { id: 103, label: "LIVES_IN", source: 1, target: 3 }
  ],
  hyperedges: [
    {
      id: 200,
      label: "MEETING",
      bindings: [{ role: "attendee", node: 1 }, { role: "attendee", node: 2 }, { role: "host", node: 4 }, {
        role: "venue",
        node: 3
      }],
      properties: { topic: "plans" }
    },
    { id: 201, label: "MEETING", bindings: [{ role: "source", node: 4 }, { role: "target", node: 5 }], properties: { topic: "trip" } },
    {
      id: 202,
      label: "CITES",
      bindings: [{ role: "about", hyperedge: 200 }, { role: "by", node: 1 }, { role: "about", hyperedge: 101 }]
    },
    { id: 203, label: "KNOWS", bindings: [{ role: "target", node: 5 }, { role: "source", node: 4 }] }
  ]
}

/** A scan column. */
export const c = (field: string, dataType: DataType.DataType): ScanColumn => ({ field, dataType })

export const idCol = c("_id", DataType.Int64)

/** A JS value of an Arrow cell (lists and vectors as arrays). */
const jsValue = (v: unknown): unknown => {
  if (v === null || v === undefined) return null
  if (typeof v === "object" && v !== null && "toArray" in v && typeof (v as { toArray: unknown }).toArray === "function") {
    return [...(v as unknown as Iterable<unknown>)].map(jsValue)
  }
  return v
}

/** Rows of batches as objects keyed by field. */
export const rowsOf = (batches: ReadonlyArray<Arrow.RecordBatch>): Array<Record<string, unknown>> => {
  const out: Array<Record<string, unknown>> = []
  for (const batch of batches) {
    const names = batch.schema.fields.map((f) => f.name)
    for (let i = 0; i < batch.numRows; i++) {
      const row: Record<string, unknown> = {}
      names.forEach((name, k) => row[name] = jsValue(batch.getChildAt(k)!.get(i)))
      out.push(row)
    }
  }
  return out
}

/** Runs a scan stream and returns its batches. */
export const batchesOf = (stream: Stream.Stream<Arrow.RecordBatch, ExecutionError>) =>
  Effect.map(Stream.runCollect(stream), (chunk) => Chunk.toArray(chunk))

/** Runs a scan stream and returns its rows sorted by `_id`. */
export const sortedRows = (stream: Stream.Stream<Arrow.RecordBatch, ExecutionError>) =>
  Effect.map(batchesOf(stream), (batches) =>
    rowsOf(batches).sort((a, b) => (a["_id"] as bigint) < (b["_id"] as bigint) ? -1 : 1))

/** Values of one column of a list of Arrow data (as from `take`) by row. */
export const takeRows = (names: ReadonlyArray<string>, data: ReadonlyArray<Arrow.Data>): Array<Record<string, unknown>> => {
  const n = data[0]?.length ?? 0
  const out: Array<Record<string, unknown>> = []
  for (let i = 0; i < n; i++) {
    const row: Record<string, unknown> = {}
    names.forEach((name, k) => {
      const d = data[k]!
      row[name] = jsValue(vectorGet(d, i))
    })
    out.push(row)
  }
  return out
}

const vectorGet = (d: Arrow.Data, i: number): unknown => Arrow.makeVector(d).get(i)
