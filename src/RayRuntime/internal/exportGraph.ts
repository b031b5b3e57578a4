/**
 * Exports one snapshot of any Storage as a `GraphInput` that, committed into an empty
 * in-memory storage, gives the same catalog (labels, property columns and types) and the
 * same rows: how the process cluster ships the coordinator's graph to its workers.
 *
 * - Nodes keep their ids, their label order (the first is primary) and storage order.
 * - A property value is read under each label of its entity; an Int64 reading wins (it is
 *   exact: a Float64 reading of the same value may be widened), so every label's type is
 *   decided again from the same values.
 * - A property missing from an entity is exported as NULL only when every label of the
 *   entity has that property column, so no label gains a column it did not have; a NULL
 *   value that made a column exist is kept for the same reason.
 * - Every hyperedge (binary edges too) is exported with its role bindings in order; a
 *   binary edge is recognised again by its `source` / `target` roles.
 *
 * Runs once per snapshot per cluster (not per query), so it reads values with
 * `Vector.get`, which is fine off the hot path.
 */
import * as Arrow from "apache-arrow"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as DataType from "../../Engine/DataType.js"
import type { ExecutionError } from "../../Engine/ExecutionError.js"
import type {
  BindingInput,
  GraphInput,
  HyperedgeInput,
  LabelInfo,
  NodeInput,
  PropertyValue,
  ScanColumn,
  SnapshotId,
  StorageService
} from "../../Engine/Storage.js"

const batchSize = 65536

/** A JS property value of an Arrow value of `type`. */
const toValue = (value: unknown, type: DataType.DataType): PropertyValue => {
  if (value === null || value === undefined) return null
  switch (type._tag) {
    case "Int64":
      return typeof value === "bigint" ? value : BigInt(value as number)
    case "Float64":
      return Number(value)
    case "Date":
    case "Timestamp":
      return value instanceof Date ? value : new Date(Number(value))
    case "Vector":
      return Float32Array.from(value as ArrayLike<number>)
    case "List": {
      const element = type.element
      return Array.from(value as Iterable<unknown>, (v) => toValue(v, element))
    }
    default:
      return value as PropertyValue
  }
}

/** Rows of every batch as `[column][row]` JS values. */
const readColumns = (
  batches: ReadonlyArray<Arrow.RecordBatch>,
  columns: ReadonlyArray<ScanColumn>
): Array<Array<PropertyValue>> => {
  const out: Array<Array<PropertyValue>> = columns.map(() => [])
  for (const batch of batches) {
    columns.forEach((column, c) => {
      const vector = batch.getChildAt(c)!
      for (let i = 0; i < batch.numRows; i++) out[c]!.push(toValue(vector.get(i), column.dataType))
    })
  }
  return out
}

interface Entity {
  readonly labels: ReadonlyArray<string>
  readonly values: Map<string, { value: PropertyValue; exact: boolean }>
}

/** Merges one label's property reading into the entities (see the module comment). */
const mergeLabel = (
  entities: Map<bigint, Entity>,
  ids: ReadonlyArray<PropertyValue>,
  columns: ReadonlyArray<ScanColumn>,
  values: Array<Array<PropertyValue>>
): void => {
  ids.forEach((id, row) => {
    const entity = entities.get(id as bigint)
    if (entity === undefined) return
    columns.forEach((column, c) => {
      const value = values[c]![row]!
      if (value === null) return
      const exact = column.dataType._tag !== "Float64"
      const held = entity.values.get(column.field)
      if (held === undefined || (!held.exact && exact)) entity.values.set(column.field, { value, exact })
    })
  })
}

/** The properties of an entity: its values, and NULL for columns every label of it has. */
const propertiesOf = (entity: Entity, labels: ReadonlyMap<string, LabelInfo>): Record<string, PropertyValue> => {
  const out: Record<string, PropertyValue> = {}
  const infos = entity.labels.map((l) => labels.get(l)).filter((i): i is LabelInfo => i !== undefined)
  const keys = new Set<string>()
  for (const info of infos) for (const k of info.properties.keys()) keys.add(k)
  for (const k of [...keys].sort()) {
    const held = entity.values.get(k)
    if (held !== undefined) out[k] = held.value
    else if (infos.every((info) => info.properties.has(k))) out[k] = null
  }
  return out
}

const collect = (stream: Stream.Stream<Arrow.RecordBatch, ExecutionError>) =>
  Effect.map(Stream.runCollect(stream), Chunk.toArray)

/** Exports the graph of `snapshot` (see the module comment). */
export const exportGraph = (storage: StorageService, snapshot: SnapshotId): Effect.Effect<GraphInput, ExecutionError> =>
  Effect.gen(function*() {
    const catalog = yield* storage.catalog(snapshot)
    const index = yield* storage.index(snapshot)

    // Nodes: ids and labels in storage order, then each label's properties.
    const nodeCols: Array<ScanColumn> = [
      { field: "_id", dataType: DataType.Int64 },
      { field: "_labels", dataType: DataType.List(DataType.String) }
    ]
    const [nodeIds, nodeLabels] = readColumns(
      yield* collect(storage.scanNodes(snapshot, { columns: nodeCols, batchSize })),
      nodeCols
    ) as [Array<PropertyValue>, Array<PropertyValue>]
    const nodes = new Map<bigint, Entity>()
    nodeIds.forEach((id, i) => nodes.set(id as bigint, { labels: nodeLabels[i] as Array<string>, values: new Map() }))
    for (const info of catalog.nodeLabels.values()) {
      const columns: Array<ScanColumn> = [...info.properties].map(([field, dataType]) => ({ field, dataType }))
      if (columns.length === 0) continue
      const all: Array<ScanColumn> = [{ field: "_id", dataType: DataType.Int64 }, ...columns]
      const read = readColumns(yield* collect(storage.scanNodes(snapshot, { label: info.label, columns: all, batchSize })), all)
      mergeLabel(nodes, read[0]!, columns, read.slice(1))
    }
    const nodeInputs: Array<NodeInput> = [...nodes].map(([id, entity]) => ({
      id,
      labels: entity.labels,
      properties: propertiesOf(entity, catalog.nodeLabels)
    }))

    // Hyperedges by ordinal (the order of the bindings index), then each label's properties.
    const hyperedgeCount = index.hyperedgeCount
    const ordinals = Int32Array.from({ length: hyperedgeCount }, (_, i) => i)
    const heCols: Array<ScanColumn> = [
      { field: "_id", dataType: DataType.Int64 },
      { field: "_label", dataType: DataType.String }
    ]
    const heData = index.takeHyperedges(ordinals, heCols)
    const heIds = Arrow.makeVector(heData[0]! as Arrow.Data<Arrow.Int64>)
    const heLabels = Arrow.makeVector(heData[1]! as Arrow.Data<Arrow.Utf8>)
    const nodeIdByOrdinal = Arrow.makeVector(
      index.takeNodes(Int32Array.from({ length: index.nodeCount }, (_, i) => i), [nodeCols[0]!])[0]! as Arrow.Data<Arrow.Int64>
    )
    const hyperedges = new Map<bigint, Entity>()
    const order: Array<bigint> = []
    for (let h = 0; h < hyperedgeCount; h++) {
      const id = heIds.get(h) as bigint
      order.push(id)
      hyperedges.set(id, { labels: [heLabels.get(h) as string], values: new Map() })
    }
    for (const info of catalog.hyperedgeLabels.values()) {
      const columns: Array<ScanColumn> = [...info.properties].map(([field, dataType]) => ({ field, dataType }))
      if (columns.length === 0) continue
      const all: Array<ScanColumn> = [{ field: "_id", dataType: DataType.Int64 }, ...columns]
      const read = readColumns(
        yield* collect(storage.scanHyperedges(snapshot, { label: info.label, columns: all, batchSize, binaryOnly: false })),
        all
      )
      mergeLabel(hyperedges, read[0]!, columns, read.slice(1))
    }
    const bindings = index.bindings(undefined)
    const hyperedgeInputs: Array<HyperedgeInput> = order.map((id, h) => {
      const entity = hyperedges.get(id)!
      const bound: Array<BindingInput> = []
      for (let b = bindings.offsets[h]!; b < bindings.offsets[h + 1]!; b++) {
        const role = bindings.roles[bindings.role[b]!]!
        const target = bindings.target[b]!
        bound.push(
          bindings.targetIsHyperedge[b] === 1
            ? { role, hyperedge: heIds.get(target) as bigint }
            : { role, node: nodeIdByOrdinal.get(target) as bigint }
        )
      }
      return { id, label: entity.labels[0]!, bindings: bound, properties: propertiesOf(entity, catalog.hyperedgeLabels) }
    })
    return { nodes: nodeInputs, hyperedges: hyperedgeInputs }
  })
