/**
 * Applying a list of mutations to a snapshot, producing the next one or InvalidGraphData.
 * Works on new arrays and new chunks only (the previous snapshot is never touched), so a
 * failing commit changes nothing.
 *
 * Removing a node (hyperedge) that a hyperedge still binds to after the commit is refused;
 * remove the hyperedges in the same commit first (or in an earlier one).
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as Batch from "../../Engine/Batch.js"
import * as DataType from "../../Engine/DataType.js"
import * as Column from "../../Engine/Kernels/Column.js"
import { InvalidGraphData } from "../../Engine/ExecutionError.js"
import type { Mutation, PropertyValue, SnapshotId } from "../../Engine/Storage.js"
import { fromArrow, fromGraph, SYSTEM_FIELDS, toId } from "./build.js"
import { allNull, buildColumn, convert, dictionaryEncode, valueType } from "./columns.js"
import * as IdIndex from "./idIndex.js"
import {
  catalogOf,
  type HyperedgeChunk,
  type NodeChunk,
  type Resolved,
  type Snapshot,
  startsOf,
  type StoredColumn,
  type Topology
} from "./snapshot.js"

const fail = (entity: string, detail: string): never => {
  throw new InvalidGraphData({ entity, detail })
}

const idsOf = (chunks: ReadonlyArray<{ readonly ids: BigInt64Array }>) => chunks.map((c) => c.ids)

/** Finds the chunk of a global ordinal (binary search over starts). */
export const chunkOf = (starts: Int32Array, ordinal: number): number => {
  let lo = 0
  let hi = starts.length - 2
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid]! <= ordinal) lo = mid
    else hi = mid - 1
  }
  return lo
}

const keepIndices = (length: number, removed: Uint8Array): Int32Array => {
  let n = 0
  for (let i = 0; i < length; i++) if (removed[i] === 0) n++
  const out = new Int32Array(n)
  let k = 0
  for (let i = 0; i < length; i++) if (removed[i] === 0) out[k++] = i
  return out
}

const gatherIds = (ids: BigInt64Array, keep: Int32Array): BigInt64Array => {
  const out = new BigInt64Array(keep.length)
  for (let i = 0; i < keep.length; i++) out[i] = ids[keep[i]!]!
  return out
}

const gatherColumns = (columns: ReadonlyMap<string, StoredColumn>, keep: Int32Array): Map<string, StoredColumn> => {
  const out = new Map<string, StoredColumn>()
  for (const [name, column] of columns) {
    const data = column.type._tag === "Null"
      ? Arrow.makeData({ type: new Arrow.Null(), length: keep.length })
      : Batch.takeData(column.data, keep)
    out.set(name, { data, type: keep.length > 0 && allNull(data) ? DataType.Null : column.type })
  }
  return out
}

const gatherTopology = (topology: Topology, keep: Int32Array): Topology => {
  if (topology.kind === "edges") {
    return { kind: "edges", source: gatherIds(topology.source, keep), target: gatherIds(topology.target, keep) }
  }
  const n = keep.length
  const offsets = new Int32Array(n + 1)
  for (let i = 0; i < n; i++) {
    const r = keep[i]!
    offsets[i + 1] = offsets[i]! + topology.offsets[r + 1]! - topology.offsets[r]!
  }
  const total = offsets[n]!
  const role = new Int32Array(total)
  const isHyperedge = new Uint8Array(total)
  const targetIds = new BigInt64Array(total)
  const binary = new Uint8Array(n)
  const source = new BigInt64Array(n)
  const target = new BigInt64Array(n)
  const binaryRows: Array<number> = []
  for (let i = 0; i < n; i++) {
    const r = keep[i]!
    let k = offsets[i]!
    for (let j = topology.offsets[r]!; j < topology.offsets[r + 1]!; j++, k++) {
      role[k] = topology.role[j]!
      isHyperedge[k] = topology.isHyperedge[j]!
      targetIds[k] = topology.targetIds[j]!
    }
    if (topology.binary[r] === 1) {
      binary[i] = 1
      binaryRows.push(i)
      source[i] = topology.source[r]!
      target[i] = topology.target[r]!
    }
  }
  return {
    kind: "general",
    roles: topology.roles,
    offsets,
    role,
    isHyperedge,
    targetIds,
    binary,
    binaryRows: Int32Array.from(binaryRows),
    source,
    target
  }
}

/** Removes rows by global ordinal from chunks; empty chunks disappear. */
const removeRows = <C extends NodeChunk | HyperedgeChunk>(
  chunks: ReadonlyArray<C>,
  ordinals: Int32Array,
  rebuild: (chunk: C, keep: Int32Array) => C
): Array<C> => {
  const starts = startsOf(chunks)
  const marks = chunks.map(() => null as Uint8Array | null)
  for (const o of ordinals) {
    const c = chunkOf(starts, o)
    const m = marks[c] ?? (marks[c] = new Uint8Array(chunks[c]!.length))
    m[o - starts[c]!] = 1
  }
  const out: Array<C> = []
  chunks.forEach((chunk, c) => {
    const m = marks[c]
    if (m === null || m === undefined) return out.push(chunk)
    const keep = keepIndices(chunk.length, m)
    if (keep.length > 0) out.push(rebuild(chunk, keep))
    return
  })
  return out
}

/** A column with row `row` set to `value` (the column's type widens when it must). */
const setValue = (
  column: StoredColumn | undefined,
  length: number,
  row: number,
  value: PropertyValue,
  entity: string
): StoredColumn => {
  const t = valueType(value)
  if (typeof t === "string") return fail(entity, t)
  let oldType: DataType.DataType = column?.type ?? DataType.Null
  let unified = DataType.unify(oldType, t)
  if (unified === undefined && column !== undefined) {
    // The type may change when no other row holds a value.
    const valid = Column.validity(column.data)
    let others = false
    if (valid === null) others = length > 1
    else for (let i = 0; i < length && !others; i++) others = i !== row && Column.getBit(valid, i)
    if (!others) {
      oldType = DataType.Null
      unified = t
    }
  }
  if (unified === undefined) {
    return fail(entity, `value of type ${DataType.display(t)} does not fit the ${DataType.display(oldType)} values of its label`)
  }
  const target = unified
  let data: Arrow.Data
  if (target._tag === "Null") data = Arrow.makeData({ type: new Arrow.Null(), length })
  else {
    const pieces = [
      convert(column?.data, oldType, target, 0, row),
      buildColumn([value], target),
      convert(column?.data, oldType, target, row + 1, length)
    ]
    const field = new Arrow.Field("v", DataType.toArrow(target), true)
    const schema = new Arrow.Schema([field])
    data = dictionaryEncode(Batch.column(
      Batch.concat(schema, pieces.map((p) => Batch.make(schema, [p]))),
      0
    ))
  }
  return { data, type: allNull(data) ? DataType.Null : target }
}

const resolveTopology = (chunk: HyperedgeChunk, nodeIds: IdIndex.IdIndex, hyperedgeIds: IdIndex.IdIndex): Resolved => {
  const topology = chunk.topology
  const missing = (row: number, role: string, kind: string, id: bigint): never =>
    fail(`hyperedge ${chunk.ids[row]} (${chunk.label})`, `role ${role} binds ${kind} ${id}, which does not exist`)
  if (topology.kind === "edges") {
    const source = nodeIds.lookup(topology.source)
    const target = nodeIds.lookup(topology.target)
    for (let i = 0; i < chunk.length; i++) {
      if (source[i] === -1) missing(i, "source", "node", topology.source[i]!)
      if (target[i] === -1) missing(i, "target", "node", topology.target[i]!)
    }
    return { source, target, bindingTarget: null }
  }
  const asNode = nodeIds.lookup(topology.targetIds)
  const asHyperedge = hyperedgeIds.lookup(topology.targetIds)
  const total = topology.targetIds.length
  const bindingTarget = new Int32Array(total)
  for (let k = 0; k < total; k++) bindingTarget[k] = topology.isHyperedge[k] === 1 ? asHyperedge[k]! : asNode[k]!
  const source = new Int32Array(chunk.length).fill(-1)
  const target = new Int32Array(chunk.length).fill(-1)
  for (let i = 0; i < chunk.length; i++) {
    for (let k = topology.offsets[i]!; k < topology.offsets[i + 1]!; k++) {
      if (bindingTarget[k] === -1) {
        missing(i, topology.roles[topology.role[k]!]!, topology.isHyperedge[k] === 1 ? "hyperedge" : "node", topology.targetIds[k]!)
      }
    }
    if (topology.binary[i] === 1) {
      const k = topology.offsets[i]!
      const first = topology.roles[topology.role[k]!] === "source"
      source[i] = bindingTarget[first ? k : k + 1]!
      target[i] = bindingTarget[first ? k + 1 : k]!
    }
  }
  return { source, target, bindingTarget }
}

/** Applies the mutations to `previous` (or to an empty graph) and returns snapshot `id`; throws InvalidGraphData. */
export const apply = (previous: Snapshot | undefined, mutations: ReadonlyArray<Mutation>, id: SnapshotId): Snapshot => {
  let nodes: Array<NodeChunk> = [...(previous?.nodes ?? [])]
  let hyperedges: Array<HyperedgeChunk> = [...(previous?.hyperedges ?? [])]
  let nodesAdded = false
  let hyperedgesAdded = false
  let nodesReordered = false
  let hyperedgesReordered = false
  // Temporary id indexes for removals and updates (rebuilt when the chunk lists change).
  let nodeLookup: IdIndex.IdIndex | undefined = previous?.nodeIds
  let hyperedgeLookup: IdIndex.IdIndex | undefined = previous?.hyperedgeIds
  const nodeIndex = () => nodeLookup ??= IdIndex.build(idsOf(nodes))
  const hyperedgeIndex = () => hyperedgeLookup ??= IdIndex.build(idsOf(hyperedges))
  const ordinalsOf = (index: IdIndex.IdIndex, ids: ReadonlyArray<number | bigint>, kind: string): Int32Array => {
    const wanted = BigInt64Array.from(ids.map((i) => toId(i, kind)))
    const ordinals = index.lookup(wanted)
    ordinals.forEach((o, i) => {
      if (o === -1) fail(`${kind} ${wanted[i]}`, `no ${kind} with this id`)
    })
    return ordinals
  }
  const add = (graph: { nodes: Array<NodeChunk>; hyperedges: Array<HyperedgeChunk> }) => {
    if (graph.nodes.length > 0) {
      nodes = [...nodes, ...graph.nodes]
      nodesAdded = true
      nodeLookup = undefined
    }
    if (graph.hyperedges.length > 0) {
      hyperedges = [...hyperedges, ...graph.hyperedges]
      hyperedgesAdded = true
      hyperedgeLookup = undefined
    }
  }

  for (const mutation of mutations) {
    switch (mutation._tag) {
      case "AddGraph":
        add(fromGraph(mutation.graph))
        break
      case "AddArrow":
        add(fromArrow(mutation.input))
        break
      case "RemoveNodes": {
        if (mutation.ids.length === 0) break
        const ordinals = ordinalsOf(nodeIndex(), mutation.ids, "node")
        nodes = removeRows(nodes, ordinals, (chunk, keep) => ({
          length: keep.length,
          ids: gatherIds(chunk.ids, keep),
          labels: chunk.labels,
          columns: gatherColumns(chunk.columns, keep)
        }))
        nodesReordered = true
        nodeLookup = undefined
        break
      }
      case "RemoveHyperedges": {
        if (mutation.ids.length === 0) break
        const ordinals = ordinalsOf(hyperedgeIndex(), mutation.ids, "hyperedge")
        hyperedges = removeRows(hyperedges, ordinals, (chunk, keep) => ({
          length: keep.length,
          ids: gatherIds(chunk.ids, keep),
          label: chunk.label,
          columns: gatherColumns(chunk.columns, keep),
          topology: gatherTopology(chunk.topology, keep)
        }))
        hyperedgesReordered = true
        hyperedgeLookup = undefined
        break
      }
      case "SetProperties": {
        const isNode = mutation.entity === "node"
        const kind = isNode ? "node" : "hyperedge"
        const ordinal = ordinalsOf(isNode ? nodeIndex() : hyperedgeIndex(), [mutation.id], kind)[0]!
        const chunks: ReadonlyArray<NodeChunk | HyperedgeChunk> = isNode ? nodes : hyperedges
        const starts = startsOf(chunks)
        const c = chunkOf(starts, ordinal)
        const chunk = chunks[c]!
        const row = ordinal - starts[c]!
        const columns = new Map(chunk.columns)
        const properties = mutation.properties ?? {}
        for (const [name, value] of Object.entries(properties)) {
          const entity = `${kind} ${mutation.id}, property ${name}`
          if (SYSTEM_FIELDS.has(name)) fail(entity, `property name ${name} is reserved for a system field`)
          if (value === undefined) fail(entity, "undefined is not a property value (use null)")
          columns.set(name, setValue(columns.get(name), chunk.length, row, value, entity))
        }
        if (isNode) {
          nodes = [...nodes]
          nodes[c] = { ...(chunk as NodeChunk), columns }
        } else {
          hyperedges = [...hyperedges]
          hyperedges[c] = { ...(chunk as HyperedgeChunk), columns }
        }
        break
      }
      default:
        fail("mutation", `unknown mutation ${(mutation as { _tag: string })._tag}`)
    }
  }

  // Ids must be unique (nodes; hyperedges and edges share one namespace).
  const nodeIds = previous !== undefined && !nodesAdded && !nodesReordered ? previous.nodeIds : IdIndex.build(idsOf(nodes))
  if (nodeIds.duplicate !== undefined) fail(`node ${nodeIds.duplicate}`, "duplicate node id")
  const hyperedgeIds = previous !== undefined && !hyperedgesAdded && !hyperedgesReordered
    ? previous.hyperedgeIds
    : IdIndex.build(idsOf(hyperedges))
  if (hyperedgeIds.duplicate !== undefined) {
    fail(`hyperedge ${hyperedgeIds.duplicate}`, "duplicate hyperedge id (edges and hyperedges share one id namespace)")
  }

  // Every binding must name an entity of the new snapshot. Ordinals of earlier chunks are
  // unchanged when nothing was removed, so their resolution carries over.
  const stable = previous !== undefined && !nodesReordered && !hyperedgesReordered
  const resolved = new Map<Topology, Resolved>()
  for (const chunk of hyperedges) {
    const carried = stable ? previous.resolved.get(chunk.topology) : undefined
    resolved.set(chunk.topology, carried ?? resolveTopology(chunk, nodeIds, hyperedgeIds))
  }

  return {
    id,
    nodes,
    hyperedges,
    nodeStarts: startsOf(nodes),
    hyperedgeStarts: startsOf(hyperedges),
    nodeIds,
    hyperedgeIds,
    resolved,
    catalog: catalogOf(id, nodes, hyperedges),
    index: undefined
  }
}
