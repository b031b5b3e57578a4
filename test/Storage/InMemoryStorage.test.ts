import { describe, expect, it } from "@effect/vitest"
import * as Arrow from "apache-arrow"
import { Effect, Exit, Stream } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import type { InvalidGraphData } from "../../src/Engine/ExecutionError.js"
import type { Catalog, GraphInput, Mutation, StorageService } from "../../src/Engine/Storage.js"
import * as ExampleGraph from "../../src/Storage/ExampleGraph.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import { batchesOf, c, graph, idCol, rowsOf, sortedRows } from "./fixtures.js"

const props = (catalog: Catalog, kind: "node" | "hyperedge", label: string) => {
  const info = (kind === "node" ? catalog.nodeLabels : catalog.hyperedgeLabels).get(label)!
  return Object.fromEntries([...info.properties].map(([k, v]) => [k, DataType.display(v)]))
}

const failure = <A>(effect: Effect.Effect<A, InvalidGraphData>) =>
  Effect.map(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) throw new Error("expected InvalidGraphData, the effect succeeded")
    const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
    if (error === undefined) throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
    return error
  })

const storage = () => InMemoryStorage.make(graph)

describe("InMemoryStorage catalog", () => {
  it.effect("counts labels (any position) and types properties per (label, property)", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      expect(yield* s.current).toBe(1)
      const catalog = yield* s.catalog(1)
      expect(catalog.snapshot).toBe(1)
      expect(catalog.nodeCount).toBe(5)
      expect(catalog.hyperedgeCount).toBe(8)
      expect(catalog.nodeLabels.get("Person")!.count).toBe(3)
      expect(catalog.nodeLabels.get("Admin")!.count).toBe(1)
      expect(catalog.nodeLabels.get("City")!.count).toBe(2)
      // score: 1.5 and 2 → Float64; nick only NULL → Null; age missing on Cid still Int64.
      expect(props(catalog, "node", "Person")).toEqual({ age: "Int64", name: "String", nick: "Null", score: "Float64" })
      // Admin sees only Bob: score 2 is integral.
      expect(props(catalog, "node", "Admin")).toEqual({ age: "Int64", name: "String", score: "Int64" })
      // bigint and an integral number → Int64
      expect(props(catalog, "node", "City")).toEqual({ name: "String", pop: "Int64" })
    }))

  it.effect("hyperedge labels: counts, binary counts, roles and properties", () =>
    Effect.gen(function*() {
      const catalog = yield* (yield* storage()).catalog(1)
      const info = (label: string) => {
        const i = catalog.hyperedgeLabels.get(label)!
        return { count: i.count, binaryCount: i.binaryCount, roles: [...i.roles].sort() }
      }
      expect(info("KNOWS")).toEqual({ count: 4, binaryCount: 4, roles: ["source", "target"] })
      expect(info("LIVES_IN")).toEqual({ count: 1, binaryCount: 1, roles: ["source", "target"] })
      expect(info("MEETING")).toEqual({ count: 2, binaryCount: 1, roles: ["attendee", "host", "source", "target", "venue"] })
      expect(info("CITES")).toEqual({ count: 1, binaryCount: 0, roles: ["about", "by"] })
      expect(props(catalog, "hyperedge", "KNOWS")).toEqual({ since: "Int64" })
      expect(props(catalog, "hyperedge", "MEETING")).toEqual({ topic: "String" })
      expect(props(catalog, "hyperedge", "LIVES_IN")).toEqual({})
    }))

  it.effect("a binary edge needs roles exactly source and target, both bound to nodes", () =>
    Effect.gen(function*() {
      const s = yield* InMemoryStorage.make({
        nodes: [{ id: 1, labels: ["N"] }, { id: 2, labels: ["N"] }],
        edges: [{ id: 10, label: "E", source: 1, target: 2 }],
        hyperedges: [
          { id: 11, label: "E", bindings: [{ role: "source", node: 1 }, { role: "target", hyperedge: 10 }] },
          { id: 12, label: "E", bindings: [{ role: "source", node: 1 }, { role: "source", node: 2 }] },
          { id: 13, label: "E", bindings: [{ role: "source", node: 1 }, { role: "to", node: 2 }] },
          { id: 14, label: "E", bindings: [{ role: "source", node: 1 }, { role: "target", node: 2 }, { role: "target", node: 1 }] },
          { id: 15, label: "E", bindings: [{ role: "target", node: 2 }, { role: "source", node: 2 }] }
        ]
      })
      const info = (yield* s.catalog(1)).hyperedgeLabels.get("E")!
      expect(info.count).toBe(6)
      expect(info.binaryCount).toBe(2)
      const binary = yield* sortedRows(s.scanHyperedges(1, { label: "E", columns: [idCol, c("_source", DataType.Int64), c("_target", DataType.Int64)], batchSize: 8, binaryOnly: true }))
      expect(binary).toEqual([{ _id: 10n, _source: 1n, _target: 2n }, { _id: 15n, _source: 2n, _target: 2n }])
    }))

  it.effect("dates, vectors, lists and booleans get their types", () =>
    Effect.gen(function*() {
      const s = yield* InMemoryStorage.make({
        nodes: [
          {
            id: 1,
            labels: ["T"],
            properties: { at: new Date(86_400_000), v: new Float32Array([1, 2]), l: [1, 2], f: [1, 2.5], ok: true, e: [] }
          },
          { id: 2, labels: ["T"], properties: { at: null, v: null, l: [], f: null, ok: false, e: [null] } },
          { id: 3, labels: ["U"], properties: { big: 2n ** 60n, mixed: 1 } },
          { id: 4, labels: ["U"], properties: { mixed: 2n } }
        ]
      })
      const catalog = yield* s.catalog(1)
      expect(props(catalog, "node", "T")).toEqual({
        at: "Timestamp",
        e: "List<Null>",
        f: "List<Float64>",
        l: "List<Int64>",
        ok: "Bool",
        v: "Vector(2)"
      })
      expect(props(catalog, "node", "U")).toEqual({ big: "Int64", mixed: "Int64" })
      const rows = yield* sortedRows(s.scanNodes(1, {
        label: "T",
        columns: [idCol, c("at", DataType.Timestamp), c("v", DataType.Vector(2)), c("l", DataType.List(DataType.Float64)), c("ok", DataType.Bool)],
        batchSize: 10
      }))
      expect(rows).toEqual([
        { _id: 1n, at: 86_400_000, v: [1, 2], l: [1, 2], ok: true },
        { _id: 2n, at: null, v: null, l: [], ok: false }
      ])
    }))

  it.effect("the example graph loads with the counts of its input", () =>
    Effect.gen(function*() {
      const input = ExampleGraph.exampleGraph
      const s = yield* InMemoryStorage.make(input)
      const catalog = yield* s.catalog(1)
      expect(catalog.nodeCount).toBe(input.nodes!.length)
      expect(catalog.hyperedgeCount).toBe(input.edges!.length + (input.hyperedges ?? []).length)
      const persons = input.nodes!.filter((n) => n.labels.includes("Person")).length
      expect(catalog.nodeLabels.get("Person")!.count).toBe(persons)
      const knows = input.edges!.filter((e) => e.label === "KNOWS").length
      expect(catalog.hyperedgeLabels.get("KNOWS")!.binaryCount).toBe(knows)
    }))

  it.effect("an empty storage has an empty snapshot 1", () =>
    Effect.gen(function*() {
      const s = yield* InMemoryStorage.make()
      expect(yield* s.current).toBe(1)
      const catalog = yield* s.catalog(1)
      expect(catalog.nodeCount).toBe(0)
      expect(catalog.nodeLabels.size).toBe(0)
      const rows = yield* sortedRows(s.scanNodes(1, { columns: [idCol], batchSize: 4 }))
      expect(rows).toEqual([])
      const index = yield* s.index(1)
      expect(index.nodeCount).toBe(0)
      expect([...index.adjacency(undefined, "out").offsets]).toEqual([0])
    }))
})

describe("InMemoryStorage scans", () => {
  it.effect("node scan: system fields, asked types, widening, missing and all-NULL properties", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      const batches = yield* batchesOf(s.scanNodes(1, {
        label: "Person",
        columns: [
          idCol,
          c("_label", DataType.String),
          c("_labels", DataType.List(DataType.String)),
          c("age", DataType.Float64),
          c("nick", DataType.Int64),
          c("score", DataType.Float64),
          c("zzz", DataType.String)
        ],
        batchSize: 100
      }))
      const schema = batches[0]!.schema
      expect(schema.fields.map((f) => f.name)).toEqual(["_id", "_label", "_labels", "age", "nick", "score", "zzz"])
      expect(schema.fields[3]!.type.typeId).toBe(Arrow.Type.Float)
      expect(schema.fields[4]!.type.typeId).toBe(Arrow.Type.Int)
      for (const batch of batches) {
        for (let k = 0; k < batch.numCols; k++) {
          expect(DataType.equals(DataType.fromArrow(batch.getChildAt(k)!.type)!, DataType.fromArrow(schema.fields[k]!.type)!)).toBe(true)
        }
      }
      const rows = rowsOf(batches).sort((a, b) => (a["_id"] as bigint) < (b["_id"] as bigint) ? -1 : 1)
      expect(rows).toEqual([
        { _id: 1n, _label: "Person", _labels: ["Person"], age: 30, nick: null, score: 1.5, zzz: null },
        { _id: 2n, _label: "Person", _labels: ["Person", "Admin"], age: 25, nick: null, score: 2, zzz: null },
        { _id: 4n, _label: "Person", _labels: ["Person"], age: null, nick: null, score: null, zzz: null }
      ])
    }))

  it.effect("Int64 stays bigint when asked as Int64; a secondary label matches", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      const rows = yield* sortedRows(s.scanNodes(1, { label: "Admin", columns: [idCol, c("age", DataType.Int64), c("_label", DataType.String)], batchSize: 8 }))
      expect(rows).toEqual([{ _id: 2n, age: 25n, _label: "Person" }])
    }))

  it.effect("no label scans every node; an unknown label scans none", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      const all = yield* sortedRows(s.scanNodes(1, { columns: [idCol, c("name", DataType.String)], batchSize: 2 }))
      expect(all).toEqual([
        { _id: 1n, name: "Ann" },
        { _id: 2n, name: "Bob" },
        { _id: 3n, name: "Oslo" },
        { _id: 4n, name: "Cid" },
        { _id: 5n, name: "Rome" }
      ])
      const none = yield* batchesOf(s.scanNodes(1, { label: "Nope", columns: [idCol], batchSize: 2 }))
      expect(rowsOf(none)).toEqual([])
      const noEdges = yield* batchesOf(s.scanHyperedges(1, { label: "Nope", columns: [idCol], batchSize: 2, binaryOnly: false }))
      expect(rowsOf(noEdges)).toEqual([])
    }))

  it.effect("batches hold at most batchSize rows; limit caps the rows", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      for (const batchSize of [1, 2, 3, 7]) {
        const batches = yield* batchesOf(s.scanNodes(1, { columns: [idCol], batchSize }))
        expect(batches.every((b) => b.numRows <= batchSize && b.numRows > 0)).toBe(true)
        expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(5)
      }
      for (const limit of [0, 1, 3, 5, 9]) {
        const batches = yield* batchesOf(s.scanNodes(1, { columns: [idCol], batchSize: 2, limit }))
        expect(rowsOf(batches).length).toBe(Math.min(limit, 5))
      }
      const edges = yield* batchesOf(s.scanHyperedges(1, { columns: [idCol], batchSize: 3, limit: 4, binaryOnly: true }))
      expect(rowsOf(edges).length).toBe(4)
    }))

  it.effect("partitions are disjoint and cover every row", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      for (const count of [1, 2, 3, 4, 7]) {
        const nodeIds: Array<bigint> = []
        const edgeIds: Array<bigint> = []
        for (let index = 0; index < count; index++) {
          const rows = rowsOf(yield* batchesOf(s.scanNodes(1, { columns: [idCol], batchSize: 2, partition: { index, count } })))
          nodeIds.push(...rows.map((r) => r["_id"] as bigint))
          const edges = rowsOf(yield* batchesOf(s.scanHyperedges(1, { columns: [idCol], batchSize: 1, partition: { index, count }, binaryOnly: true })))
          edgeIds.push(...edges.map((r) => r["_id"] as bigint))
        }
        expect(nodeIds.sort((a, b) => Number(a - b))).toEqual([1n, 2n, 3n, 4n, 5n])
        expect(edgeIds.sort((a, b) => Number(a - b))).toEqual([100n, 101n, 102n, 103n, 201n, 203n])
      }
    }))

  it.effect("hyperedge scan: arity, labels and properties", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      const rows = yield* sortedRows(s.scanHyperedges(1, {
        columns: [idCol, c("_label", DataType.String), c("_arity", DataType.Int64), c("topic", DataType.String)],
        batchSize: 3,
        binaryOnly: false
      }))
      expect(rows).toEqual([
        { _id: 100n, _label: "KNOWS", _arity: 2n, topic: null },
        { _id: 101n, _label: "KNOWS", _arity: 2n, topic: null },
        { _id: 102n, _label: "KNOWS", _arity: 2n, topic: null },
        { _id: 103n, _label: "LIVES_IN", _arity: 2n, topic: null },
        { _id: 200n, _label: "MEETING", _arity: 4n, topic: "plans" },
        { _id: 201n, _label: "MEETING", _arity: 2n, topic: "trip" },
        { _id: 202n, _label: "CITES", _arity: 3n, topic: null },
        { _id: 203n, _label: "KNOWS", _arity: 2n, topic: null }
      ])
    }))

  it.effect("binaryOnly scans only binary edges, with source and target whatever the role order", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      const cols = [idCol, c("_source", DataType.Int64), c("_target", DataType.Int64), c("since", DataType.Float64)]
      const all = yield* sortedRows(s.scanHyperedges(1, { columns: cols, batchSize: 2, binaryOnly: true }))
      expect(all).toEqual([
        { _id: 100n, _source: 1n, _target: 2n, since: 2020 },
        { _id: 101n, _source: 1n, _target: 2n, since: 2021 },
        { _id: 102n, _source: 2n, _target: 2n, since: null },
        { _id: 103n, _source: 1n, _target: 3n, since: null },
        { _id: 201n, _source: 4n, _target: 5n, since: null },
        { _id: 203n, _source: 4n, _target: 5n, since: null }
      ])
      const knows = yield* sortedRows(s.scanHyperedges(1, { label: "KNOWS", columns: [idCol], batchSize: 8, binaryOnly: true }))
      expect(knows.map((r) => r["_id"])).toEqual([100n, 101n, 102n, 203n])
      const meeting = yield* sortedRows(s.scanHyperedges(1, { label: "MEETING", columns: [idCol, c("topic", DataType.String)], batchSize: 8, binaryOnly: true }))
      expect(meeting).toEqual([{ _id: 201n, topic: "trip" }])
      const cites = yield* sortedRows(s.scanHyperedges(1, { label: "CITES", columns: [idCol], batchSize: 8, binaryOnly: true }))
      expect(cites).toEqual([])
    }))

  it.effect("binary-only gathering over an n-ary chunk respects batch size and partitions", () =>
    Effect.gen(function*() {
      // MEETING: rows alternate n-ary / binary.
      const hyperedges = Array.from({ length: 10 }, (_, i) => ({
        id: 1000 + i,
        label: "M",
        bindings: i % 2 === 0
          ? [{ role: "source", node: 1 }, { role: "target", node: 2 }]
          : [{ role: "a", node: 1 }, { role: "b", node: 2 }, { role: "c", node: 1 }],
        properties: { k: i }
      }))
      const s = yield* InMemoryStorage.make({ nodes: [{ id: 1, labels: ["N"] }, { id: 2, labels: ["N"] }], hyperedges })
      const ids: Array<bigint> = []
      for (let index = 0; index < 2; index++) {
        const batches = yield* batchesOf(s.scanHyperedges(1, { label: "M", columns: [idCol, c("k", DataType.Int64)], batchSize: 2, binaryOnly: true, partition: { index, count: 2 } }))
        expect(batches.every((b) => b.numRows <= 2)).toBe(true)
        for (const r of rowsOf(batches)) {
          expect(r["k"]).toBe((r["_id"] as bigint) - 1000n)
          ids.push(r["_id"] as bigint)
        }
      }
      expect(ids.sort((a, b) => Number(a - b))).toEqual([1000n, 1002n, 1004n, 1006n, 1008n])
    }))
})

describe("InMemoryStorage snapshots and commits", () => {
  it.effect("a commit makes the next snapshot; older snapshots stay unchanged", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      const next = yield* s.commit([{ _tag: "AddGraph", graph: { nodes: [{ id: 6, labels: ["Person"], properties: { name: "Dee", age: 2.5 } }] } }])
      expect(next).toBe(2)
      expect(yield* s.current).toBe(2)
      expect((yield* s.catalog(1)).nodeLabels.get("Person")!.count).toBe(3)
      expect(props(yield* s.catalog(1), "node", "Person")["age"]).toBe("Int64")
      expect((yield* s.catalog(2)).nodeLabels.get("Person")!.count).toBe(4)
      // types may change from one snapshot to the next
      expect(props(yield* s.catalog(2), "node", "Person")["age"]).toBe("Float64")
      const old = yield* sortedRows(s.scanNodes(1, { label: "Person", columns: [idCol], batchSize: 8 }))
      expect(old.map((r) => r["_id"])).toEqual([1n, 2n, 4n])
      const now = yield* sortedRows(s.scanNodes(2, { label: "Person", columns: [idCol, c("age", DataType.Float64)], batchSize: 8 }))
      expect(now).toEqual([{ _id: 1n, age: 30 }, { _id: 2n, age: 25 }, { _id: 4n, age: null }, { _id: 6n, age: 2.5 }])
    }))

  it.effect("a stream started on snapshot 1 sees none of a commit made while it runs", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      let committed = false
      const rows = rowsOf(yield* batchesOf(
        s.scanNodes(1, { columns: [idCol, c("name", DataType.String)], batchSize: 1 }).pipe(
          Stream.tap(() =>
            committed ? Effect.void : Effect.zipRight(
              Effect.sync(() => committed = true),
              s.commit([
                { _tag: "RemoveHyperedges", ids: [201, 203] },
                { _tag: "RemoveNodes", ids: [5] },
                { _tag: "SetProperties", entity: "node", id: 1, properties: { name: "Zed" } },
                { _tag: "AddGraph", graph: { nodes: [{ id: 9, labels: ["City"], properties: { name: "Bern" } }] } }
              ])
            )
          )
        )
      ))
      expect(committed).toBe(true)
      expect(yield* s.current).toBe(2)
      expect(rows.map((r) => `${r["_id"]}:${r["name"]}`).sort()).toEqual(["1:Ann", "2:Bob", "3:Oslo", "4:Cid", "5:Rome"])
      const after = yield* sortedRows(s.scanNodes(2, { columns: [idCol, c("name", DataType.String)], batchSize: 8 }))
      expect(after.map((r) => `${r["_id"]}:${r["name"]}`)).toEqual(["1:Zed", "2:Bob", "3:Oslo", "4:Cid", "9:Bern"])
    }))

  it.effect("an unknown snapshot is SnapshotNotFound everywhere", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      const tags = [
        yield* Effect.flip(s.catalog(7)),
        yield* Effect.flip(s.index(7)),
        yield* Effect.flip(Stream.runDrain(s.scanNodes(7, { columns: [idCol], batchSize: 1 }))),
        yield* Effect.flip(Stream.runDrain(s.scanHyperedges(0, { columns: [idCol], batchSize: 1, binaryOnly: false })))
      ]
      expect(tags.map((e) => e._tag)).toEqual(["SnapshotNotFound", "SnapshotNotFound", "SnapshotNotFound", "SnapshotNotFound"])
    }))

  it.effect("a failing commit changes nothing, and the next commit gets the next id", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      const before = yield* s.catalog(1)
      const error = yield* failure(s.commit([
        { _tag: "AddGraph", graph: { nodes: [{ id: 7, labels: ["Person"], properties: { name: "New" } }] } },
        { _tag: "SetProperties", entity: "node", id: 1, properties: { name: "Changed" } },
        { _tag: "AddGraph", graph: { nodes: [{ id: 1, labels: ["City"] }] } }
      ]))
      expect(error._tag).toBe("InvalidGraphData")
      expect(yield* s.current).toBe(1)
      expect(yield* s.catalog(1)).toBe(before)
      expect(yield* Effect.flip(s.catalog(2))).toMatchObject({ _tag: "SnapshotNotFound" })
      const rows = yield* sortedRows(s.scanNodes(1, { label: "Person", columns: [idCol, c("name", DataType.String)], batchSize: 8 }))
      expect(rows.map((r) => r["name"])).toEqual(["Ann", "Bob", "Cid"])
      expect(yield* s.commit([])).toBe(2)
    }))

  it.effect("SetProperties merges properties, widens types and works on hyperedges", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      yield* s.commit([
        { _tag: "SetProperties", entity: "node", id: 1, properties: { age: 31.5, city: "Oslo" } },
        { _tag: "SetProperties", entity: "node", id: 4, properties: { nick: "cc" } },
        { _tag: "SetProperties", entity: "hyperedge", id: 203, properties: { since: 1999 } }
      ])
      const catalog = yield* s.catalog(2)
      expect(props(catalog, "node", "Person")).toEqual({ age: "Float64", city: "String", name: "String", nick: "String", score: "Float64" })
      expect(props(catalog, "node", "Admin")).toEqual({ age: "Int64", name: "String", score: "Int64" })
      const rows = yield* sortedRows(s.scanNodes(2, {
        label: "Person",
        columns: [idCol, c("name", DataType.String), c("age", DataType.Float64), c("city", DataType.String), c("nick", DataType.String)],
        batchSize: 8
      }))
      expect(rows).toEqual([
        { _id: 1n, name: "Ann", age: 31.5, city: "Oslo", nick: null },
        { _id: 2n, name: "Bob", age: 25, city: null, nick: null },
        { _id: 4n, name: "Cid", age: null, city: null, nick: "cc" }
      ])
      const knows = yield* sortedRows(s.scanHyperedges(2, { label: "KNOWS", columns: [idCol, c("since", DataType.Int64)], batchSize: 8, binaryOnly: true }))
      expect(knows).toEqual([
        { _id: 100n, since: 2020n },
        { _id: 101n, since: 2021n },
        { _id: 102n, since: null },
        { _id: 203n, since: 1999n }
      ])
    }))

  it.effect("removing a node that hyperedges bind to is refused unless they go in the same commit", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      const error = yield* failure(s.commit([{ _tag: "RemoveNodes", ids: [5] }]))
      expect(error.entity).toContain("hyperedge 201")
      expect(error.detail).toContain("node 5")
      expect(yield* s.commit([{ _tag: "RemoveHyperedges", ids: [201, 203] }, { _tag: "RemoveNodes", ids: [5] }])).toBe(2)
      const catalog = yield* s.catalog(2)
      expect(catalog.nodeLabels.get("City")!.count).toBe(1)
      expect(catalog.hyperedgeLabels.get("KNOWS")!.count).toBe(3)
      expect(catalog.hyperedgeLabels.get("MEETING")!.binaryCount).toBe(0)
      // a hyperedge another hyperedge binds to cannot go alone either
      const bound = yield* failure(s.commit([{ _tag: "RemoveHyperedges", ids: [200] }]))
      expect(bound.detail).toContain("hyperedge 200")
      // unknown ids are refused
      const unknown = yield* failure(s.commit([{ _tag: "RemoveNodes", ids: [42] }]))
      expect(unknown.entity).toBe("node 42")
    }))
})

describe("InMemoryStorage validation", () => {
  const cases: ReadonlyArray<readonly [string, GraphInput, string]> = [
    ["duplicate node ids", { nodes: [{ id: 1, labels: ["A"] }, { id: 1, labels: ["B"] }] }, "duplicate node id"],
    ["duplicate ids between an edge and a hyperedge", {
      nodes: [{ id: 1, labels: ["A"] }],
      edges: [{ id: 5, label: "E", source: 1, target: 1 }],
      hyperedges: [{ id: 5, label: "H", bindings: [{ role: "a", node: 1 }, { role: "b", node: 1 }] }]
    }, "duplicate hyperedge id"],
    ["a node without labels", { nodes: [{ id: 1, labels: [] }] }, "at least one label"],
    ["an edge to a missing node", { nodes: [{ id: 1, labels: ["A"] }], edges: [{ id: 5, label: "E", source: 1, target: 2 }] }, "node 2"],
    ["a binding to a missing hyperedge", {
      nodes: [{ id: 1, labels: ["A"] }],
      hyperedges: [{ id: 5, label: "H", bindings: [{ role: "a", node: 1 }, { role: "b", hyperedge: 9 }] }]
    }, "hyperedge 9"],
    ["arity < 2", { nodes: [{ id: 1, labels: ["A"] }], hyperedges: [{ id: 5, label: "H", bindings: [{ role: "a", node: 1 }] }] }, "arity 1"],
    ["strings mixed with numbers in one label", {
      nodes: [{ id: 1, labels: ["A"], properties: { p: "x" } }, { id: 2, labels: ["A"], properties: { p: 3 } }]
    }, "String"],
    ["strings mixed with numbers across label sets", {
      nodes: [{ id: 1, labels: ["A"], properties: { p: "x" } }, { id: 2, labels: ["A", "B"], properties: { p: 3 } }]
    }, "mix"],
    ["a non-integer id", { nodes: [{ id: 1.5, labels: ["A"] }] }, "integer"],
    ["a reserved property name", { nodes: [{ id: 1, labels: ["A"], properties: { _id: 3 } }] }, "reserved"],
    ["an unsupported property value", { nodes: [{ id: 1, labels: ["A"], properties: { p: { x: 1 } as never } }] }, "unsupported"],
    ["vectors of different dimensions", {
      nodes: [{ id: 1, labels: ["A"], properties: { v: new Float32Array(2) } }, { id: 2, labels: ["A"], properties: { v: new Float32Array(3) } }]
    }, "Vector"]
  ]
  for (const [name, input, detail] of cases) {
    it.effect(`refuses ${name}`, () =>
      Effect.gen(function*() {
        const error = yield* failure(InMemoryStorage.make(input))
        expect(error._tag).toBe("InvalidGraphData")
        expect(`${error.entity}: ${error.detail}`).toContain(detail)
      }))
  }

  it.effect("refuses a commit whose types clash with the snapshot", () =>
    Effect.gen(function*() {
      const s = yield* storage()
      const error = yield* failure(s.commit([{ _tag: "AddGraph", graph: { nodes: [{ id: 9, labels: ["Person"], properties: { name: 5 } }] } }]))
      expect(error.entity).toContain("Person")
      expect(error.entity).toContain("name")
      const set = yield* failure(s.commit([{ _tag: "SetProperties", entity: "node", id: 2, properties: { name: 7 } }]))
      expect(set.detail).toContain("String")
      expect(yield* s.current).toBe(1)
    }))
})

// ---------------------------------------------------------------------------
// Arrow input
// ---------------------------------------------------------------------------

const jsGraph: GraphInput = {
  nodes: [
    { id: 1, labels: ["Person"], properties: { name: "Ann", age: 30n, score: 1.5 } },
    { id: 2, labels: ["Person"], properties: { name: null, age: 41n, score: null } },
    { id: 3, labels: ["Person"], properties: { name: "Cid", age: null, score: 2.25 } },
    { id: 10, labels: ["City", "Place"], properties: { name: "Oslo" } }
  ],
  edges: [
    { id: 100, label: "KNOWS", source: 1, target: 2, properties: { since: 2020n } },
    { id: 101, label: "KNOWS", source: 3, target: 1, properties: { since: null } },
    { id: 102, label: "KNOWS", source: 1, target: 2, properties: { since: 1999n } }
  ]
}

const arrowGraph = () => ({
  nodes: [
    {
      labels: ["Person"],
      table: new Arrow.Table({
        _id: Arrow.vectorFromArray([1n, 2n, 3n], new Arrow.Int64()),
        name: Arrow.vectorFromArray(["Ann", null, "Cid"], new Arrow.Utf8()),
        age: Arrow.vectorFromArray([30n, 41n, null], new Arrow.Int64()),
        score: Arrow.vectorFromArray([1.5, null, 2.25], new Arrow.Float64())
      })
    },
    {
      labels: ["City", "Place"],
      table: new Arrow.Table({
        _id: Arrow.vectorFromArray([10], new Arrow.Int32()),
        name: Arrow.vectorFromArray(["Oslo"], new Arrow.Utf8())
      })
    }
  ],
  edges: [
    {
      label: "KNOWS",
      table: new Arrow.Table({
        _id: Arrow.vectorFromArray([100n, 101n, 102n], new Arrow.Int64()),
        source: Arrow.vectorFromArray([1n, 3n, 1n], new Arrow.Int64()),
        target: Arrow.vectorFromArray([2n, 1n, 2n], new Arrow.Int64()),
        since: Arrow.vectorFromArray([2020n, null, 1999n], new Arrow.Int64())
      })
    }
  ]
})

const describeStorage = (s: StorageService) =>
  Effect.gen(function*() {
    const catalog = yield* s.catalog(1)
    const labels = (m: ReadonlyMap<string, { count: number; properties: ReadonlyMap<string, DataType.DataType> }>) =>
      [...m].map(([k, v]) => [k, v.count, [...v.properties].map(([p, t]) => `${p}:${DataType.display(t)}`)])
    const nodes = yield* sortedRows(s.scanNodes(1, {
      columns: [idCol, c("_labels", DataType.List(DataType.String)), c("name", DataType.String), c("age", DataType.Int64), c("score", DataType.Float64)],
      batchSize: 2
    }))
    const edges = yield* sortedRows(s.scanHyperedges(1, {
      columns: [idCol, c("_source", DataType.Int64), c("_target", DataType.Int64), c("since", DataType.Float64)],
      batchSize: 2,
      binaryOnly: true
    }))
    const index = yield* s.index(1)
    const adjacency = index.adjacency("KNOWS", "out")
    return {
      nodeLabels: labels(catalog.nodeLabels),
      edgeLabels: labels(catalog.hyperedgeLabels),
      nodes,
      edges,
      adjacency: { offsets: [...adjacency.offsets], neighbours: [...adjacency.neighbours], edges: [...adjacency.edges] }
    }
  })

describe("InMemoryStorage Arrow input", () => {
  it.effect("Arrow tables give the same catalog, scans and index as the same graph in JS", () =>
    Effect.gen(function*() {
      const fromJs = yield* describeStorage(yield* InMemoryStorage.make(jsGraph))
      const fromArrow = yield* describeStorage(yield* InMemoryStorage.makeFromArrow(arrowGraph()))
      expect(fromArrow).toEqual(fromJs)
      expect(fromJs.nodes).toEqual([
        { _id: 1n, _labels: ["Person"], name: "Ann", age: 30n, score: 1.5 },
        { _id: 2n, _labels: ["Person"], name: null, age: 41n, score: null },
        { _id: 3n, _labels: ["Person"], name: "Cid", age: null, score: 2.25 },
        { _id: 10n, _labels: ["City", "Place"], name: "Oslo", age: null, score: null }
      ])
      expect(fromJs.edges.map((e) => [e["_id"], e["_source"], e["_target"], e["since"]])).toEqual([
        [100n, 1n, 2n, 2020],
        [101n, 3n, 1n, null],
        [102n, 1n, 2n, 1999]
      ])
    }))

  it.effect("AddArrow commits append to a JS graph and are validated", () =>
    Effect.gen(function*() {
      const s = yield* InMemoryStorage.make({ nodes: [{ id: 1, labels: ["Person"], properties: { name: "Ann" } }] })
      const more = arrowGraph()
      const error = yield* failure(s.commit([{ _tag: "AddArrow", input: { nodes: [more.nodes[0]!] } }]))
      expect(error.detail).toContain("duplicate")
      const ok: Mutation = {
        _tag: "AddArrow",
        input: {
          nodes: [{
            labels: ["Person"],
            table: new Arrow.Table({ _id: Arrow.vectorFromArray([2n, 3n], new Arrow.Int64()), name: Arrow.vectorFromArray(["Bo", "Cy"], new Arrow.Utf8()) })
          }],
          edges: [{
            label: "KNOWS",
            table: new Arrow.Table({
              _id: Arrow.vectorFromArray([7n], new Arrow.Int64()),
              source: Arrow.vectorFromArray([1n], new Arrow.Int64()),
              target: Arrow.vectorFromArray([3n], new Arrow.Int64())
            })
          }]
        }
      }
      expect(yield* s.commit([ok])).toBe(2)
      const rows = yield* sortedRows(s.scanNodes(2, { label: "Person", columns: [idCol, c("name", DataType.String)], batchSize: 8 }))
      expect(rows).toEqual([{ _id: 1n, name: "Ann" }, { _id: 2n, name: "Bo" }, { _id: 3n, name: "Cy" }])
      const dangling = yield* failure(s.commit([{
        _tag: "AddArrow",
        input: {
          edges: [{
            label: "KNOWS",
            table: new Arrow.Table({
              _id: Arrow.vectorFromArray([8n], new Arrow.Int64()),
              source: Arrow.vectorFromArray([1n], new Arrow.Int64()),
              target: Arrow.vectorFromArray([99n], new Arrow.Int64())
            })
          }]
        }
      }]))
      expect(dangling.detail).toContain("node 99")
      const noId = yield* failure(InMemoryStorage.makeFromArrow({
        nodes: [{ labels: ["A"], table: new Arrow.Table({ x: Arrow.vectorFromArray([1n], new Arrow.Int64()) }) }]
      }))
      expect(noId.detail).toContain("_id")
    }))
})
