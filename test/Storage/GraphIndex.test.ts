import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import type { GraphIndex } from "../../src/Engine/Storage.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import { batchesOf, c, graph, idCol, rowsOf, takeRows } from "./fixtures.js"

const NODE_IDS = [1n, 2n, 3n, 4n, 5n]
const HYPEREDGE_IDS = [100n, 101n, 102n, 103n, 200n, 201n, 202n, 203n]

/** id ↔ ordinal maps of the index (via its own lookups). */
const maps = (index: GraphIndex) => {
  const nodeOrd = index.nodeOrdinals(BigInt64Array.from(NODE_IDS))
  const edgeOrd = index.hyperedgeOrdinals(BigInt64Array.from(HYPEREDGE_IDS))
  const nodeId = new Map<number, bigint>()
  nodeOrd.forEach((o, i) => nodeId.set(o, NODE_IDS[i]!))
  const edgeId = new Map<number, bigint>()
  edgeOrd.forEach((o, i) => edgeId.set(o, HYPEREDGE_IDS[i]!))
  const node = (id: bigint) => nodeOrd[NODE_IDS.indexOf(id)]!
  const edge = (id: bigint) => edgeOrd[HYPEREDGE_IDS.indexOf(id)]!
  return { nodeId, edgeId, node, edge }
}

const load = Effect.gen(function*() {
  const storage = yield* InMemoryStorage.make(graph)
  const index = yield* storage.index(1)
  return { storage, index, ...maps(index) }
})

describe("GraphIndex ordinals and masks", () => {
  it.effect("ordinals are dense, lookups of unknown ids give -1, and take(_id) inverts them", () =>
    Effect.gen(function*() {
      const { index } = yield* load
      expect(index.nodeCount).toBe(5)
      expect(index.hyperedgeCount).toBe(8)
      const ords = index.nodeOrdinals(BigInt64Array.from(NODE_IDS))
      expect([...ords].sort()).toEqual([0, 1, 2, 3, 4])
      const edges = index.hyperedgeOrdinals(BigInt64Array.from(HYPEREDGE_IDS))
      expect([...edges].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
      expect([...index.nodeOrdinals(BigInt64Array.from([0n, 100n, -1n, 2n ** 62n]))]).toEqual([-1, -1, -1, -1])
      expect([...index.hyperedgeOrdinals(BigInt64Array.from([1n, 204n]))]).toEqual([-1, -1])
      const taken = takeRows(["_id"], index.takeNodes(ords, [idCol]))
      expect(taken.map((r) => r["_id"])).toEqual(NODE_IDS)
      const takenEdges = takeRows(["_id"], index.takeHyperedges(edges, [idCol]))
      expect(takenEdges.map((r) => r["_id"])).toEqual(HYPEREDGE_IDS)
    }))

  it.effect("label masks mark entities carrying the label in any position", () =>
    Effect.gen(function*() {
      const { index, nodeId, edgeId } = yield* load
      const marked = (mask: Uint8Array, ids: Map<number, bigint>) =>
        [...mask].flatMap((v, o) => (v === 1 ? [ids.get(o)!] : [])).sort((a, b) => Number(a - b))
      expect(marked(index.nodeLabelMask("Person"), nodeId)).toEqual([1n, 2n, 4n])
      expect(marked(index.nodeLabelMask("Admin"), nodeId)).toEqual([2n])
      expect(marked(index.nodeLabelMask("Nope"), nodeId)).toEqual([])
      expect(index.nodeLabelMask("Nope").length).toBe(5)
      expect(marked(index.hyperedgeLabelMask("KNOWS"), edgeId)).toEqual([100n, 101n, 102n, 203n])
      expect(marked(index.hyperedgeLabelMask("MEETING"), edgeId)).toEqual([200n, 201n])
    }))

  it.effect("the index is cached per snapshot; a later commit gets its own", () =>
    Effect.gen(function*() {
      const { storage, index } = yield* load
      expect(yield* storage.index(1)).toBe(index)
      expect(index.adjacency("KNOWS", "out")).toBe(index.adjacency("KNOWS", "out"))
      expect(index.bindings(undefined)).toBe(index.bindings(undefined))
      expect(index.incidence("MEETING", "node")).toBe(index.incidence("MEETING", "node"))
      yield* storage.commit([{ _tag: "AddGraph", graph: { edges: [{ id: 300, label: "KNOWS", source: 3, target: 1 }] } }])
      const next = yield* storage.index(2)
      expect(next).not.toBe(index)
      expect(next.hyperedgeCount).toBe(9)
      expect(index.hyperedgeCount).toBe(8)
      expect(index.adjacency("KNOWS", "out").neighbours.length).toBe(4)
      expect(next.adjacency("KNOWS", "out").neighbours.length).toBe(5)
    }))
})

describe("GraphIndex adjacency", () => {
  /** Per node id: the (neighbour id, edge id) list of an adjacency, in CSR order. */
  const lists = (index: GraphIndex, nodeId: Map<number, bigint>, edgeId: Map<number, bigint>, label: string | undefined, direction: "out" | "in") => {
    const a = index.adjacency(label, direction)
    expect(a.offsets.length).toBe(index.nodeCount + 1)
    const out: Record<string, Array<string>> = {}
    for (let o = 0; o < index.nodeCount; o++) {
      const items: Array<string> = []
      for (let p = a.offsets[o]!; p < a.offsets[o + 1]!; p++) items.push(`${nodeId.get(a.neighbours[p]!)}/${edgeId.get(a.edges[p]!)}`)
      if (items.length > 0) out[String(nodeId.get(o))] = items
    }
    return out
  }

  it.effect("out and in over one label: parallel edges twice, a self loop once per direction, reversed roles", () =>
    Effect.gen(function*() {
      const { index, nodeId, edgeId } = yield* load
      expect(lists(index, nodeId, edgeId, "KNOWS", "out")).toEqual({
        "1": ["2/100", "2/101"],
        "2": ["2/102"],
        "4": ["5/203"]
      })
      expect(lists(index, nodeId, edgeId, "KNOWS", "in")).toEqual({
        "2": ["1/100", "1/101", "2/102"],
        "5": ["4/203"]
      })
    }))

  it.effect("all labels: every binary edge, none of the n-ary hyperedges", () =>
    Effect.gen(function*() {
      const { index, nodeId, edgeId } = yield* load
      expect(lists(index, nodeId, edgeId, undefined, "out")).toEqual({
        "1": ["2/100", "2/101", "3/103"],
        "2": ["2/102"],
        "4": ["5/201", "5/203"]
      })
      expect(lists(index, nodeId, edgeId, undefined, "in")).toEqual({
        "2": ["1/100", "1/101", "2/102"],
        "3": ["1/103"],
        "5": ["4/201", "4/203"]
      })
      expect(lists(index, nodeId, edgeId, "MEETING", "out")).toEqual({ "4": ["5/201"] })
      expect(lists(index, nodeId, edgeId, "CITES", "out")).toEqual({})
      expect(lists(index, nodeId, edgeId, "Nope", "in")).toEqual({})
    }))
})

describe("GraphIndex bindings and incidence", () => {
  const bindingList = (index: GraphIndex, nodeId: Map<number, bigint>, edgeId: Map<number, bigint>, label: string | undefined) => {
    const b = index.bindings(label)
    expect(b.offsets.length).toBe(index.hyperedgeCount + 1)
    const out: Record<string, Array<string>> = {}
    for (let h = 0; h < index.hyperedgeCount; h++) {
      const items: Array<string> = []
      for (let k = b.offsets[h]!; k < b.offsets[h + 1]!; k++) {
        const target = b.targetIsHyperedge[k] === 1 ? `h${edgeId.get(b.target[k]!)}` : `n${nodeId.get(b.target[k]!)}`
        items.push(`${b.roles[b.role[k]!]}:${target}`)
      }
      if (items.length > 0) out[String(edgeId.get(h))] = items
    }
    return out
  }

  it.effect("bindings keep input order, repeated roles and hyperedge targets", () =>
    Effect.gen(function*() {
      const { index, nodeId, edgeId } = yield* load
      expect(bindingList(index, nodeId, edgeId, "MEETING")).toEqual({
        "200": ["attendee:n1", "attendee:n2", "host:n4", "venue:n3"],
        "201": ["source:n4", "target:n5"]
      })
      expect(bindingList(index, nodeId, edgeId, "CITES")).toEqual({ "202": ["about:h200", "by:n1", "about:h101"] })
      expect(bindingList(index, nodeId, edgeId, undefined)).toEqual({
        "100": ["source:n1", "target:n2"],
        "101": ["source:n1", "target:n2"],
        "102": ["source:n2", "target:n2"],
        "103": ["source:n1", "target:n3"],
        "200": ["attendee:n1", "attendee:n2", "host:n4", "venue:n3"],
        "201": ["source:n4", "target:n5"],
        "202": ["about:h200", "by:n1", "about:h101"],
        "203": ["target:n5", "source:n4"]
      })
      expect(bindingList(index, nodeId, edgeId, "Nope")).toEqual({})
    }))

  const incidenceList = (
    index: GraphIndex,
    nodeId: Map<number, bigint>,
    edgeId: Map<number, bigint>,
    label: string | undefined,
    kind: "node" | "hyperedge"
  ) => {
    const inc = index.incidence(label, kind)
    const b = index.bindings(label)
    const count = kind === "node" ? index.nodeCount : index.hyperedgeCount
    expect(inc.offsets.length).toBe(count + 1)
    const out: Record<string, Array<string>> = {}
    for (let e = 0; e < count; e++) {
      const items: Array<string> = []
      for (let p = inc.offsets[e]!; p < inc.offsets[e + 1]!; p++) {
        const k = inc.binding[p]!
        // the binding position names this entity under this role in that hyperedge
        expect(b.target[k]).toBe(e)
        expect(b.targetIsHyperedge[k]).toBe(kind === "node" ? 0 : 1)
        expect(b.roles[b.role[k]!]).toBe(inc.roles[inc.role[p]!])
        expect(k >= b.offsets[inc.hyperedges[p]!]! && k < b.offsets[inc.hyperedges[p]! + 1]!).toBe(true)
        items.push(`${edgeId.get(inc.hyperedges[p]!)}:${inc.roles[inc.role[p]!]}`)
      }
      if (items.length > 0) out[String((kind === "node" ? nodeId : edgeId).get(e))] = items
    }
    return out
  }

  it.effect("incidence of nodes and hyperedges per label", () =>
    Effect.gen(function*() {
      const { index, nodeId, edgeId } = yield* load
      expect(incidenceList(index, nodeId, edgeId, "MEETING", "node")).toEqual({
        "1": ["200:attendee"],
        "2": ["200:attendee"],
        "3": ["200:venue"],
        "4": ["200:host", "201:source"],
        "5": ["201:target"]
      })
      expect(incidenceList(index, nodeId, edgeId, "CITES", "node")).toEqual({ "1": ["202:by"] })
      expect(incidenceList(index, nodeId, edgeId, undefined, "hyperedge")).toEqual({
        "101": ["202:about"],
        "200": ["202:about"]
      })
      expect(incidenceList(index, nodeId, edgeId, "MEETING", "hyperedge")).toEqual({})
      const all = incidenceList(index, nodeId, edgeId, undefined, "node")
      expect(all["1"]).toEqual(["100:source", "101:source", "103:source", "200:attendee", "202:by"])
      expect(all["2"]).toEqual(["100:target", "101:target", "102:source", "102:target", "200:attendee"])
    }))

  it.effect("repeated roles stay distinct bindings", () =>
    Effect.gen(function*() {
      const s = yield* InMemoryStorage.make({
        nodes: [{ id: 1, labels: ["P"] }, { id: 2, labels: ["P"] }],
        hyperedges: [{ id: 9, label: "M", bindings: [{ role: "a", node: 1 }, { role: "a", node: 1 }, { role: "a", node: 2 }] }]
      })
      const index = yield* s.index(1)
      const one = index.nodeOrdinals(BigInt64Array.from([1n]))[0]!
      const inc = index.incidence("M", "node")
      expect(inc.offsets[one + 1]! - inc.offsets[one]!).toBe(2)
      const positions = [...inc.binding.subarray(inc.offsets[one]!, inc.offsets[one + 1]!)]
      expect(positions).toEqual([0, 1])
    }))
})

describe("GraphIndex take", () => {
  it.effect("takeNodes gathers typed columns by ordinal; -1 gives a NULL row", () =>
    Effect.gen(function*() {
      const { index, node } = yield* load
      const columns = [idCol, c("name", DataType.String), c("age", DataType.Float64), c("_labels", DataType.List(DataType.String)), c("nick", DataType.Int64), c("pop", DataType.Int64)]
      const rows = takeRows(
        columns.map((x) => x.field),
        index.takeNodes(Int32Array.from([node(2n), -1, node(1n), node(3n), node(2n)]), columns)
      )
      expect(rows).toEqual([
        { _id: 2n, name: "Bob", age: 25, _labels: ["Person", "Admin"], nick: null, pop: null },
        { _id: null, name: null, age: null, _labels: null, nick: null, pop: null },
        { _id: 1n, name: "Ann", age: 30, _labels: ["Person"], nick: null, pop: null },
        { _id: 3n, name: "Oslo", age: null, _labels: ["City"], nick: null, pop: 700000n },
        { _id: 2n, name: "Bob", age: 25, _labels: ["Person", "Admin"], nick: null, pop: null }
      ])
      expect(index.takeNodes(new Int32Array(0), columns).every((d) => d.length === 0)).toBe(true)
    }))

  it.effect("takeHyperedges gives system fields, NULL source/target for n-ary rows", () =>
    Effect.gen(function*() {
      const { index, edge } = yield* load
      const columns = [idCol, c("_label", DataType.String), c("_arity", DataType.Int64), c("_source", DataType.Int64), c("_target", DataType.Int64), c("since", DataType.Float64), c("topic", DataType.String)]
      const rows = takeRows(columns.map((x) => x.field), index.takeHyperedges(Int32Array.from([edge(203n), edge(200n), -1, edge(100n)]), columns))
      expect(rows).toEqual([
        { _id: 203n, _label: "KNOWS", _arity: 2n, _source: 4n, _target: 5n, since: null, topic: null },
        { _id: 200n, _label: "MEETING", _arity: 4n, _source: null, _target: null, since: null, topic: "plans" },
        { _id: null, _label: null, _arity: null, _source: null, _target: null, since: null, topic: null },
        { _id: 100n, _label: "KNOWS", _arity: 2n, _source: 1n, _target: 2n, since: 2020, topic: null }
      ])
    }))

  it.effect("takes whose ordinals lie in one chunk (not the first) read that chunk: labels, properties, -1", () =>
    Effect.gen(function*() {
      const { index, node, edge } = yield* load
      const columns = [idCol, c("_label", DataType.String), c("name", DataType.String), c("pop", DataType.Int64), c("age", DataType.Float64)]
      const cities = takeRows(columns.map((x) => x.field), index.takeNodes(Int32Array.from([node(5n), node(3n), node(5n)]), columns))
      expect(cities).toEqual([
        { _id: 5n, _label: "City", name: "Rome", pop: 2800000n, age: null },
        { _id: 3n, _label: "City", name: "Oslo", pop: 700000n, age: null },
        { _id: 5n, _label: "City", name: "Rome", pop: 2800000n, age: null }
      ])
      const withNull = takeRows(["_label", "name"], index.takeNodes(Int32Array.from([-1, node(3n), -1]), [columns[1]!, columns[2]!]))
      expect(withNull).toEqual([{ _label: null, name: null }, { _label: "City", name: "Oslo" }, { _label: null, name: null }])
      const allNull = takeRows(["_label", "name"], index.takeNodes(Int32Array.from([-1, -1]), [columns[1]!, columns[2]!]))
      expect(allNull).toEqual([{ _label: null, name: null }, { _label: null, name: null }])
      const edgeColumns = [idCol, c("_label", DataType.String), c("since", DataType.Int64)]
      const meetings = takeRows(["_id", "_label", "since"], index.takeHyperedges(Int32Array.from([edge(201n), edge(200n)]), edgeColumns))
      expect(meetings.map((r) => [r["_id"], r["_label"]])).toEqual([[201n, "MEETING"], [200n, "MEETING"]])
      const knows = takeRows(["_id", "_label"], index.takeHyperedges(Int32Array.from([edge(101n), edge(100n), edge(101n)]), edgeColumns))
      expect(knows).toEqual([{ _id: 101n, _label: "KNOWS" }, { _id: 100n, _label: "KNOWS" }, { _id: 101n, _label: "KNOWS" }])
    }))

  it.effect("take of every ordinal equals a scan of every entity, column for column", () =>
    Effect.gen(function*() {
      const { storage, index } = yield* load
      const columns = [idCol, c("_label", DataType.String), c("_labels", DataType.List(DataType.String)), c("name", DataType.String), c("age", DataType.Float64), c("score", DataType.Float64), c("pop", DataType.Float64)]
      const scanned = rowsOf(yield* batchesOf(storage.scanNodes(1, { columns, batchSize: 2 })))
      const all = Int32Array.from({ length: index.nodeCount }, (_, i) => i)
      const taken = takeRows(columns.map((x) => x.field), index.takeNodes(all, columns))
      expect(taken).toEqual(scanned)
      const edgeColumns = [idCol, c("_label", DataType.String), c("_arity", DataType.Int64), c("since", DataType.Int64), c("topic", DataType.String)]
      const scannedEdges = rowsOf(yield* batchesOf(storage.scanHyperedges(1, { columns: edgeColumns, batchSize: 3, binaryOnly: false })))
      const allEdges = Int32Array.from({ length: index.hyperedgeCount }, (_, i) => i)
      expect(takeRows(edgeColumns.map((x) => x.field), index.takeHyperedges(allEdges, edgeColumns))).toEqual(scannedEdges)
    }))

  it.effect("after removals, ordinals stay dense and take still matches", () =>
    Effect.gen(function*() {
      const { storage } = yield* load
      yield* storage.commit([{ _tag: "RemoveHyperedges", ids: [201, 203, 100] }, { _tag: "RemoveNodes", ids: [5] }])
      const index = yield* storage.index(2)
      expect(index.nodeCount).toBe(4)
      expect(index.hyperedgeCount).toBe(5)
      const ords = index.nodeOrdinals(BigInt64Array.from([1n, 2n, 3n, 4n, 5n]))
      expect([...ords].slice(0, 4).sort()).toEqual([0, 1, 2, 3])
      expect(ords[4]).toBe(-1)
      const a = index.adjacency("KNOWS", "out")
      const one = ords[0]!
      const two = ords[1]!
      expect([...a.neighbours.subarray(a.offsets[one]!, a.offsets[one + 1]!)]).toEqual([two])
      const edgeIds = takeRows(["_id"], index.takeHyperedges(a.edges.subarray(a.offsets[one]!, a.offsets[one + 1]!), [idCol]))
      expect(edgeIds).toEqual([{ _id: 101n }])
      // CITES still binds hyperedge 101 and 200, at their new ordinals
      const b = index.bindings("CITES")
      const hs = index.hyperedgeOrdinals(BigInt64Array.from([202n, 200n, 101n]))
      const h = hs[0]!
      expect([...b.target.subarray(b.offsets[h]!, b.offsets[h + 1]!)]).toEqual([hs[1]!, ords[0]!, hs[2]!])
    }))
})
