import { describe, expect, it } from "@effect/vitest"
import * as Arrow from "apache-arrow"
import { Effect, Stream } from "effect"
import * as Batch from "../../src/Engine/Batch.js"
import * as DataType from "../../src/Engine/DataType.js"
import { HyperedgeScanExec, NodeScanExec, ScanColumn, ScanPartition } from "../../src/Engine/PhysicalPlan.js"
import { Field, PhysicalSchema, Entity } from "../../src/Engine/PhysicalSchema.js"
import * as HyperedgeScan from "../../src/Operators/HyperedgeScan.js"
import * as NodeScan from "../../src/Operators/NodeScan.js"
import { arrowSchema, batchFromRows, fakeStorage, fromBatches, provideContext, rowsOf, testContext } from "../utils/MockSources.js"

const entitySchema = (qualifier: string, kind: "node" | "hyperedge", columns: ReadonlyArray<readonly [string, DataType.DataType]>) =>
  new PhysicalSchema({
    fields: columns.map(([field, dataType]) => new Field({ name: `${qualifier}.${field}`, qualifier, field, dataType })),
    entities: [new Entity({ qualifier, kind, labels: [] })],
    anchor: qualifier
  })

const personColumns = [["_id", DataType.Int64], ["name", DataType.String]] as const

describe("NodeScanExec", () => {
  it.effect("reads storage at the snapshot with the node's options and names columns qualifier.field", () =>
    Effect.gen(function*() {
      const stored = arrowSchema([["_id", DataType.Int64], ["name", DataType.String]])
      const batch = batchFromRows(stored, [[1n, "ann"], [2n, null]])
      const storage = fakeStorage({ nodes: () => fromBatches([batch]) })
      const ctx = testContext({ storage, batchSize: 77 })
      const node = new NodeScanExec({
        id: 0,
        output: entitySchema("p", "node", personColumns),
        qualifier: "p",
        label: "Person",
        columns: personColumns.map(([field, dataType]) => new ScanColumn({ field, dataType })),
        partition: new ScanPartition({ index: 1, count: 3 }),
        limit: 10
      })
      const out = [...(yield* Stream.runCollect(NodeScan.execute(node)).pipe(provideContext(ctx)))]
      expect(storage.nodeScans.length).toBe(1)
      const options = storage.nodeScans[0]!
      expect(options.label).toBe("Person")
      expect(options.batchSize).toBe(77)
      expect(options.limit).toBe(10)
      expect(options.partition).toEqual({ index: 1, count: 3 })
      expect(options.columns.map((c) => c.field)).toEqual(["_id", "name"])
      expect(out.length).toBe(1)
      expect(out[0]!.schema.fields.map((f) => f.name)).toEqual(["p._id", "p.name"])
      expect(Batch.column(out[0]!, 0)).toBe(Batch.column(batch, 0))
      expect(rowsOf(out)).toEqual([{ "p._id": 1n, "p.name": "ann" }, { "p._id": 2n, "p.name": null }])
    }))

  it.effect("a scan that finds nothing emits nothing", () =>
    Effect.gen(function*() {
      const storage = fakeStorage()
      const node = new NodeScanExec({
        id: 0,
        output: entitySchema("p", "node", personColumns),
        qualifier: "p",
        label: "Nobody",
        columns: personColumns.map(([field, dataType]) => new ScanColumn({ field, dataType }))
      })
      const out = yield* Stream.runCollect(NodeScan.execute(node)).pipe(provideContext(testContext({ storage })))
      expect(out.length).toBe(0)
      expect(storage.nodeScans[0]!.label).toBe("Nobody")
    }))
})

describe("HyperedgeScanExec", () => {
  it.effect("passes binaryOnly and the label, and qualifies the columns", () =>
    Effect.gen(function*() {
      const columns = [["_id", DataType.Int64], ["_source", DataType.Int64], ["_target", DataType.Int64], ["w", DataType.Float64]] as const
      const stored = arrowSchema(columns)
      const storage = fakeStorage({ hyperedges: () => fromBatches([batchFromRows(stored, [[10n, 1n, 2n, 0.5]])]) })
      const node = new HyperedgeScanExec({
        id: 4,
        output: entitySchema("k", "hyperedge", columns),
        qualifier: "k",
        label: "KNOWS",
        columns: columns.map(([field, dataType]) => new ScanColumn({ field, dataType })),
        binaryOnly: true
      })
      const out = [...(yield* Stream.runCollect(HyperedgeScan.execute(node)).pipe(provideContext(testContext({ storage }))))]
      const options = storage.hyperedgeScans[0]!
      expect(options.binaryOnly).toBe(true)
      expect(options.label).toBe("KNOWS")
      expect(options.partition).toBeUndefined()
      expect(out[0]!.schema.fields.map((f) => f.name)).toEqual(["k._id", "k._source", "k._target", "k.w"])
      expect(out[0]!.schema.fields[3]!.type.typeId).toBe(Arrow.Type.Float)
      expect(rowsOf(out)).toEqual([{ "k._id": 10n, "k._source": 1n, "k._target": 2n, "k.w": 0.5 }])
    }))

  it.effect("empty hyperedge scan emits nothing", () =>
    Effect.gen(function*() {
      const storage = fakeStorage()
      const node = new HyperedgeScanExec({
        id: 4,
        output: entitySchema("m", "hyperedge", [["_id", DataType.Int64]]),
        qualifier: "m",
        columns: [new ScanColumn({ field: "_id", dataType: DataType.Int64 })],
        binaryOnly: false
      })
      const out = yield* Stream.runCollect(HyperedgeScan.execute(node)).pipe(provideContext(testContext({ storage })))
      expect(out.length).toBe(0)
      expect(storage.hyperedgeScans[0]!.binaryOnly).toBe(false)
      expect(storage.hyperedgeScans[0]!.label).toBeUndefined()
    }))
})
