/**
 * Shipping a snapshot to worker processes: the exported graph (through `node:v8`, as the
 * process cluster ships it) committed into a fresh in-memory storage has the same catalog
 * and the same rows as the original snapshot.
 */
import { describe, expect, it } from "@effect/vitest"
import * as v8 from "node:v8"
import { Chunk, Effect, FastCheck as fc, Stream } from "effect"
import * as Arrow from "apache-arrow"
import * as Batch from "../../src/Engine/Batch.js"
import * as DataType from "../../src/Engine/DataType.js"
import type { Catalog, GraphInput, HyperedgeLabelInfo, LabelInfo, ScanColumn, StorageService } from "../../src/Engine/Storage.js"
import { exportGraph } from "../../src/RayRuntime/internal/exportGraph.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import * as Compare from "../utils/Compare.js"
import * as Generators from "../utils/Generators.js"

const labelText = (info: LabelInfo) =>
  `${info.label} count=${info.count} ${[...info.properties].map(([k, t]) => `${k}:${DataType.display(t)}`).sort().join(",")}` +
  ("binaryCount" in info ? ` binary=${String(info.binaryCount)} roles=${[...(info as HyperedgeLabelInfo).roles].sort().join(",")}` : "")

const catalogText = (c: Catalog) => ({
  nodeCount: c.nodeCount,
  hyperedgeCount: c.hyperedgeCount,
  nodes: [...c.nodeLabels.values()].map(labelText).sort(),
  hyperedges: [...c.hyperedgeLabels.values()].map(labelText).sort()
})

const tableRows = (batches: ReadonlyArray<Arrow.RecordBatch>) =>
  batches.length === 0 ? [] : Compare.tableToRows(new Arrow.Table(batches.map(Batch.decodeDictionaries))).rows

/** Every row of every label (nodes, hyperedges, binary edges), as comparable rows. */
const content = (storage: StorageService, snapshot: number) =>
  Effect.gen(function*() {
    const catalog = yield* storage.catalog(snapshot)
    const out: Record<string, ReadonlyArray<ReadonlyArray<unknown>>> = {}
    const cols = (info: LabelInfo, system: ReadonlyArray<string>): Array<ScanColumn> => [
      ...system.map((field) => ({ field, dataType: field === "_label" ? DataType.String : field === "_labels" ? DataType.List(DataType.String) : DataType.Int64 })),
      ...[...info.properties].sort(([a], [b]) => a.localeCompare(b)).map(([field, dataType]) => ({ field, dataType }))
    ]
    for (const info of catalog.nodeLabels.values()) {
      const columns = cols(info, ["_id", "_label", "_labels"])
      out[`node ${info.label}`] = tableRows(Chunk.toArray(yield* Stream.runCollect(storage.scanNodes(snapshot, { label: info.label, columns, batchSize: 5 }))))
    }
    for (const info of catalog.hyperedgeLabels.values()) {
      const columns = cols(info, ["_id", "_label", "_arity"])
      out[`hyperedge ${info.label}`] = tableRows(Chunk.toArray(yield* Stream.runCollect(
        storage.scanHyperedges(snapshot, { label: info.label, columns, batchSize: 5, binaryOnly: false })
      )))
      const edgeColumns = cols(info, ["_id", "_source", "_target"])
      out[`edge ${info.label}`] = tableRows(Chunk.toArray(yield* Stream.runCollect(
        storage.scanHyperedges(snapshot, { label: info.label, columns: edgeColumns, batchSize: 5, binaryOnly: true })
      )))
    }
    // Bindings by hyperedge id: (role, kind, target id), in binding order.
    const index = yield* storage.index(snapshot)
    const b = index.bindings(undefined)
    const idCol: Array<ScanColumn> = [{ field: "_id", dataType: DataType.Int64 }]
    const heIds = Arrow.makeVector(index.takeHyperedges(Int32Array.from({ length: index.hyperedgeCount }, (_, i) => i), idCol)[0]!)
    const nodeIds = Arrow.makeVector(index.takeNodes(Int32Array.from({ length: index.nodeCount }, (_, i) => i), idCol)[0]!)
    const bound: Array<Array<unknown>> = []
    for (let h = 0; h < index.hyperedgeCount; h++) {
      const list: Array<string> = []
      for (let k = b.offsets[h]!; k < b.offsets[h + 1]!; k++) {
        const hyper = b.targetIsHyperedge[k] === 1
        list.push(`${b.roles[b.role[k]!]}:${hyper ? "h" : "n"}${String((hyper ? heIds : nodeIds).get(b.target[k]!))}`)
      }
      bound.push([heIds.get(h), list.join(" ")])
    }
    out["bindings"] = bound
    return { catalog: catalogText(catalog), out }
  })

/** Exports, ships through v8, rebuilds; returns a description of the first difference. */
const roundTrip = (input: GraphInput) =>
  Effect.gen(function*() {
    const original = yield* InMemoryStorage.make(input)
    const snapshot = yield* original.current
    const exported = yield* exportGraph(original, snapshot)
    const shipped = v8.deserialize(v8.serialize(exported)) as GraphInput
    const rebuilt = yield* InMemoryStorage.make(shipped)
    const a = yield* content(original, snapshot)
    const b = yield* content(rebuilt, yield* rebuilt.current)
    expect(b.catalog).toEqual(a.catalog)
    expect(Object.keys(b.out).sort()).toEqual(Object.keys(a.out).sort())
    for (const key of Object.keys(a.out)) {
      const diff = Compare.multisetDiff(a.out[key]!, b.out[key]!, 0)
      expect({ key, ...diff }).toEqual({ key, missing: [], extra: [] })
    }
  })

describe("exportGraph", () => {
  it.effect("keeps types per label, NULL-only columns, exotic values and hyperedge bindings", () =>
    roundTrip({
      nodes: [
        // `x` is Int64 in A (all integral) but Float64 in B (2.5 below); the shared node keeps its exact value.
        { id: 1, labels: ["A", "B"], properties: { x: 9_007_199_254_740_993n, when: new Date(86_400_000), v: new Float32Array([1, 2]) } },
        { id: 2, labels: ["B"], properties: { x: 2.5, tags: ["a", "b"], z: -0 } },
        { id: 3, labels: ["A"], properties: { x: null, only: null } },
        { id: 4, labels: ["C", "A"], properties: { f: Number.NaN } },
        { id: 5, labels: ["B", "C"], properties: {} }
      ],
      edges: [{ id: 10, label: "R", source: 1, target: 2, properties: { w: 1 } }],
      hyperedges: [
        { id: 20, label: "M", bindings: [{ role: "target", node: 3 }, { role: "source", node: 4 }] },
        { id: 21, label: "M", bindings: [{ role: "host", node: 1 }, { role: "guest", node: 1 }, { role: "about", hyperedge: 20 }], properties: { note: null } }
      ]
    }).pipe(Effect.orDie))

  it("random graphs round-trip", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(Generators.graph, Generators.multigraph), async (input) => {
        await Effect.runPromise(Effect.orDie(roundTrip(input)))
      }),
      { seed: 20261129, numRuns: 60 }
    )
  })
})
