/**
 * The immutable data of one snapshot: node and hyperedge chunks (entities added together
 * with the same labels, stored column-wise as Arrow data), id indexes, resolved binding
 * ordinals and the catalog. Chunks are shared between snapshots (copy-on-write: a change
 * makes a new chunk, never edits one).
 *
 * @internal
 */
import type * as Arrow from "apache-arrow"
import * as DataType from "../../Engine/DataType.js"
import { InvalidGraphData } from "../../Engine/ExecutionError.js"
import type { Catalog, GraphIndex, HyperedgeLabelInfo, LabelInfo, SnapshotId } from "../../Engine/Storage.js"
import type { IdIndex } from "./idIndex.js"

/** A stored property column of a chunk and its logical type (Null when every row is NULL). */
export interface StoredColumn {
  readonly data: Arrow.Data
  readonly type: DataType.DataType
}

/** Nodes that share one label set, in storage order. */
export interface NodeChunk {
  readonly length: number
  readonly ids: BigInt64Array
  readonly labels: ReadonlyArray<string>
  readonly columns: ReadonlyMap<string, StoredColumn>
}

/**
 * The role bindings of a hyperedge chunk, by target id. `edges`: every row is a binary edge
 * (`source`, `target`); `general`: CSR bindings plus, per row, whether it is a binary edge
 * and, if so, its source and target ids.
 */
export type Topology =
  | {
    readonly kind: "edges"
    readonly source: BigInt64Array
    readonly target: BigInt64Array
  }
  | {
    readonly kind: "general"
    readonly roles: ReadonlyArray<string>
    readonly offsets: Int32Array
    readonly role: Int32Array
    readonly isHyperedge: Uint8Array
    readonly targetIds: BigInt64Array
    /** Per row: 1 when the hyperedge is a binary edge. */
    readonly binary: Uint8Array
    /** The rows that are binary edges, ascending. */
    readonly binaryRows: Int32Array
    /** Per row: source / target node id of a binary edge (0 otherwise). */
    readonly source: BigInt64Array
    readonly target: BigInt64Array
  }

/** Hyperedges of one label, in storage order. */
export interface HyperedgeChunk {
  readonly length: number
  readonly ids: BigInt64Array
  readonly label: string
  readonly columns: ReadonlyMap<string, StoredColumn>
  readonly topology: Topology
}

/** Binding targets of a topology as ordinals of one snapshot. */
export interface Resolved {
  /** `edges`: per row; `general`: per row, -1 for non-binary rows. */
  readonly source: Int32Array
  readonly target: Int32Array
  /** `general` only: per binding, the target's node or hyperedge ordinal. */
  readonly bindingTarget: Int32Array | null
}

/** One immutable snapshot. */
export interface Snapshot {
  readonly id: SnapshotId
  readonly nodes: ReadonlyArray<NodeChunk>
  readonly hyperedges: ReadonlyArray<HyperedgeChunk>
  /** First ordinal of each chunk (one more entry: the total). */
  readonly nodeStarts: Int32Array
  readonly hyperedgeStarts: Int32Array
  readonly nodeIds: IdIndex
  readonly hyperedgeIds: IdIndex
  readonly resolved: ReadonlyMap<Topology, Resolved>
  readonly catalog: Catalog
  /** The graph index, built on first use. */
  index: GraphIndex | undefined
}

/** Number of binary edges of a chunk. */
export const binaryCount = (chunk: HyperedgeChunk): number =>
  chunk.topology.kind === "edges" ? chunk.length : chunk.topology.binaryRows.length

/** Roles of a chunk in first-appearance order. */
export const rolesOf = (chunk: HyperedgeChunk): ReadonlyArray<string> =>
  chunk.topology.kind === "edges" ? EDGE_ROLES : chunk.topology.roles

const EDGE_ROLES = ["source", "target"] as const

/** Start ordinals of chunks (length + 1 entries). */
export const startsOf = (chunks: ReadonlyArray<{ readonly length: number }>): Int32Array => {
  const out = new Int32Array(chunks.length + 1)
  for (let c = 0; c < chunks.length; c++) out[c + 1] = out[c]! + chunks[c]!.length
  return out
}

interface MutableInfo {
  label: string
  count: number
  binaryCount: number
  roles: Array<string>
  properties: Map<string, DataType.DataType>
}

const addProperties = (info: MutableInfo, columns: ReadonlyMap<string, StoredColumn>, kind: string): void => {
  for (const [name, column] of columns) {
    const prev = info.properties.get(name)
    if (prev === undefined) {
      info.properties.set(name, column.type)
      continue
    }
    const unified = DataType.unify(prev, column.type)
    if (unified === undefined) {
      throw new InvalidGraphData({
        entity: `${kind} label ${info.label}, property ${name}`,
        detail: `values mix ${DataType.display(prev)} and ${DataType.display(column.type)}`
      })
    }
    info.properties.set(name, unified)
  }
}

const freeze = (info: MutableInfo): LabelInfo => ({
  label: info.label,
  count: info.count,
  properties: new Map([...info.properties].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
})

/** The catalog of chunks (SEMANTICS §10); throws InvalidGraphData when a (label, property) mixes types. */
export const catalogOf = (
  snapshot: SnapshotId,
  nodes: ReadonlyArray<NodeChunk>,
  hyperedges: ReadonlyArray<HyperedgeChunk>
): Catalog => {
  const nodeInfos = new Map<string, MutableInfo>()
  let nodeCount = 0
  for (const chunk of nodes) {
    nodeCount += chunk.length
    for (const label of chunk.labels) {
      let info = nodeInfos.get(label)
      if (info === undefined) {
        nodeInfos.set(label, info = { label, count: 0, binaryCount: 0, roles: [], properties: new Map() })
      }
      info.count += chunk.length
      addProperties(info, chunk.columns, "node")
    }
  }
  const edgeInfos = new Map<string, MutableInfo>()
  let hyperedgeCount = 0
  for (const chunk of hyperedges) {
    hyperedgeCount += chunk.length
    let info = edgeInfos.get(chunk.label)
    if (info === undefined) {
      edgeInfos.set(chunk.label, info = { label: chunk.label, count: 0, binaryCount: 0, roles: [], properties: new Map() })
    }
    info.count += chunk.length
    info.binaryCount += binaryCount(chunk)
    for (const role of rolesOf(chunk)) if (!info.roles.includes(role)) info.roles.push(role)
    addProperties(info, chunk.columns, "hyperedge")
  }
  return {
    snapshot,
    nodeCount,
    hyperedgeCount,
    nodeLabels: new Map([...nodeInfos].map(([k, v]) => [k, freeze(v)])),
    hyperedgeLabels: new Map(
      [...edgeInfos].map(([k, v]): [string, HyperedgeLabelInfo] => [
        k,
        { ...freeze(v), binaryCount: v.binaryCount, roles: v.roles }
      ])
    )
  }
}
