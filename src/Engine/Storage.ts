/**
 * The Storage service: snapshots, catalogs, scans and atomic commits (SEMANTICS §1, §6).
 *
 * Storage is qualifier-agnostic: scans return columns named by field (`_id`, `name`);
 * the scan operators add the qualifier.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type * as DataType from "./DataType.js"
import type { ExecutionError, InvalidGraphData, SnapshotNotFound } from "./ExecutionError.js"

/** Names an immutable, complete view of the graph. Snapshot ids increase with every commit. */
export type SnapshotId = number

// ---------------------------------------------------------------------------
// Graph input
// ---------------------------------------------------------------------------

/** A property value in JS input. Integer-valued numbers and bigints become Int64 when every value of the property is integral. */
export type PropertyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Date
  | Float32Array
  | ReadonlyArray<PropertyValue>

/** Properties of an entity. */
export type Properties = Readonly<Record<string, PropertyValue>>

/** A node: unique id among nodes, one or more labels (the first is primary). */
export interface NodeInput {
  readonly id: number | bigint
  readonly labels: ReadonlyArray<string>
  readonly properties?: Properties
}

/** A binary edge: a hyperedge with roles `source` and `target`. */
export interface EdgeInput {
  readonly id: number | bigint
  readonly label: string
  readonly source: number | bigint
  readonly target: number | bigint
  readonly properties?: Properties
}

/** A role binding of a hyperedge: to a node or to another hyperedge. */
export type BindingInput =
  | { readonly role: string; readonly node: number | bigint }
  | { readonly role: string; readonly hyperedge: number | bigint }

/** A hyperedge of arity ≥ 2. Edge and hyperedge ids share one namespace. */
export interface HyperedgeInput {
  readonly id: number | bigint
  readonly label: string
  readonly bindings: ReadonlyArray<BindingInput>
  readonly properties?: Properties
}

/** A graph as JS objects. */
export interface GraphInput {
  readonly nodes?: ReadonlyArray<NodeInput>
  readonly edges?: ReadonlyArray<EdgeInput>
  readonly hyperedges?: ReadonlyArray<HyperedgeInput>
}

/**
 * A graph as Arrow tables. Node tables have an Int64 `_id` column and one column per
 * property; every row gets `labels`. Edge tables have Int64 `_id`, `source`, `target`
 * columns and one column per property.
 */
export interface ArrowGraphInput {
  readonly nodes?: ReadonlyArray<{ readonly labels: ReadonlyArray<string>; readonly table: Arrow.Table }>
  readonly edges?: ReadonlyArray<{ readonly label: string; readonly table: Arrow.Table }>
}

/** A change to the graph; a commit applies a list of them atomically. */
export type Mutation =
  | { readonly _tag: "AddGraph"; readonly graph: GraphInput }
  | { readonly _tag: "AddArrow"; readonly input: ArrowGraphInput }
  | { readonly _tag: "RemoveNodes"; readonly ids: ReadonlyArray<number | bigint> }
  | { readonly _tag: "RemoveHyperedges"; readonly ids: ReadonlyArray<number | bigint> }
  | {
    readonly _tag: "SetProperties"
    readonly entity: "node" | "hyperedge"
    readonly id: number | bigint
    readonly properties: Properties
  }

// ---------------------------------------------------------------------------
// Catalog
// ---------------------------------------------------------------------------

/** What a snapshot holds for one label. Property types are decided per (label, property) over the snapshot (SEMANTICS §10). */
export interface LabelInfo {
  readonly label: string
  readonly count: number
  readonly properties: ReadonlyMap<string, DataType.DataType>
}

/** A hyperedge label: its count, how many are binary edges, and the roles seen. */
export interface HyperedgeLabelInfo extends LabelInfo {
  readonly binaryCount: number
  readonly roles: ReadonlyArray<string>
}

/** The catalog of one snapshot. */
export interface Catalog {
  readonly snapshot: SnapshotId
  readonly nodeCount: number
  readonly hyperedgeCount: number
  readonly nodeLabels: ReadonlyMap<string, LabelInfo>
  readonly hyperedgeLabels: ReadonlyMap<string, HyperedgeLabelInfo>
}

// ---------------------------------------------------------------------------
// Scans
// ---------------------------------------------------------------------------

/** A column a scan should produce and the type it must have (the planner's type; Int64 data is widened to Float64 when asked, missing properties are NULL). */
export interface ScanColumn {
  readonly field: string
  readonly dataType: DataType.DataType
}

/** Which slice of the rows a scan reads: partition `index` of `count`, disjoint and covering. */
export interface ScanPartition {
  readonly index: number
  readonly count: number
}

/**
 * Options of a node scan. System fields: `_id` (Int64), `_label` (String, the primary
 * label), `_labels` (List<String>). Rows are the nodes carrying `label` in any position,
 * or every node when `label` is absent; a label that does not exist yields no rows.
 */
export interface NodeScanOptions {
  readonly label?: string | undefined
  readonly columns: ReadonlyArray<ScanColumn>
  readonly batchSize: number
  readonly partition?: ScanPartition | undefined
  readonly limit?: number | undefined
}

/**
 * Options of a hyperedge scan. System fields: `_id`, `_label`, `_arity` (Int64); with
 * `binaryOnly`, also `_source` and `_target` (Int64 node ids), and only binary edges.
 */
export interface HyperedgeScanOptions extends NodeScanOptions {
  readonly binaryOnly: boolean
}

/**
 * Options of a role-binding scan: one row per binding of the hyperedges of `label` (every
 * hyperedge when absent, binary edges included: `source` then `target`), hyperedges in
 * storage order, bindings in input order. Columns: `hyperedge` (Int64 id), `position`
 * (Int32, from 0 within its hyperedge), `role` (String), `node` (Int64 node id, NULL when
 * the binding targets a hyperedge) and `hyperedge_target` (Int64 id, NULL for a node).
 */
export interface BindingScanOptions {
  readonly label?: string | undefined
  readonly batchSize: number
}

// ---------------------------------------------------------------------------
// Graph indexes (access paths for expand; never change a result)
// ---------------------------------------------------------------------------

/**
 * CSR adjacency of the binary edges of one label (or all labels) in one direction, over
 * dense node ordinals `0..nodeCount)` of the snapshot. The edges leaving ordinal `i` are
 * positions `offsets[i] .. offsets[i+1]` of `neighbours` (the other end's node ordinal)
 * and `edges` (the edge's hyperedge ordinal), in storage order.
 */
export interface Adjacency {
  readonly offsets: Int32Array
  readonly neighbours: Int32Array
  readonly edges: Int32Array
}

/**
 * The role bindings of the hyperedges of one label (or all), over hyperedge ordinals:
 * hyperedge ordinal `h` binds positions `offsets[h] .. offsets[h+1]` (empty for hyperedges
 * of other labels), each with its role (an index into `roles`), whether it targets a
 * hyperedge (`1`) or a node (`0`), and the target's ordinal. Bindings keep input order.
 */
export interface Bindings {
  readonly roles: ReadonlyArray<string>
  readonly offsets: Int32Array
  readonly role: Int32Array
  readonly targetIsHyperedge: Uint8Array
  readonly target: Int32Array
}

/**
 * The incidence index of one hyperedge label (or all) for one kind of entity: entity
 * ordinal `e` plays a role in positions `offsets[e] .. offsets[e+1]`, each naming the
 * hyperedge ordinal, the role (an index into `roles`) and the binding's position in
 * {@link Bindings} (so repeated roles stay distinct).
 */
export interface Incidence {
  readonly roles: ReadonlyArray<string>
  readonly offsets: Int32Array
  readonly hyperedges: Int32Array
  readonly role: Int32Array
  readonly binding: Int32Array
}

/**
 * The read-only indexes of one snapshot, built once on first use and shared by every query
 * on that snapshot. Ordinals are dense positions of the snapshot's nodes (`0..nodeCount)`)
 * and hyperedges (`0..hyperedgeCount)`).
 */
export interface GraphIndex {
  readonly nodeCount: number
  readonly hyperedgeCount: number
  /** Node ordinals of node ids (`-1` for an id the snapshot does not hold or a NULL slot). */
  readonly nodeOrdinals: (ids: BigInt64Array) => Int32Array
  /** Hyperedge ordinals of hyperedge ids (`-1` when absent). */
  readonly hyperedgeOrdinals: (ids: BigInt64Array) => Int32Array
  /** `1` for node ordinals carrying `label` in any position. */
  readonly nodeLabelMask: (label: string) => Uint8Array
  /** `1` for hyperedge ordinals of `label`. */
  readonly hyperedgeLabelMask: (label: string) => Uint8Array
  /** CSR adjacency of binary edges of `edgeLabel` (all labels when absent); `out`: source → target, `in`: target → source. */
  readonly adjacency: (edgeLabel: string | undefined, direction: "out" | "in") => Adjacency
  /** Role bindings of hyperedges of `label` (all when absent). */
  readonly bindings: (label: string | undefined) => Bindings
  /** Which hyperedges of `label` (all when absent) bind each node (`kind: "node"`) or hyperedge. */
  readonly incidence: (label: string | undefined, kind: "node" | "hyperedge") => Incidence
  /**
   * The columns of the nodes at `ordinals` (one row per entry, in order; `-1` gives an
   * all-NULL row), typed as asked like a scan. Returns Arrow vectors' data in `columns` order.
   */
  readonly takeNodes: (ordinals: Int32Array, columns: ReadonlyArray<ScanColumn>) => ReadonlyArray<Arrow.Data>
  /** Like {@link takeNodes} for hyperedges (system fields `_id`, `_label`, `_arity`, `_source`, `_target`). */
  readonly takeHyperedges: (ordinals: Int32Array, columns: ReadonlyArray<ScanColumn>) => ReadonlyArray<Arrow.Data>
}

/**
 * The storage service. A column asked for as String may come as plain Utf8 or
 * dictionary-encoded (Int32 codes into one Utf8 dictionary, `Batch.isStringDictionary`),
 * in scans and takes alike; operators accept both and a query's result is decoded.
 */
export interface StorageService {
  /** The newest snapshot. */
  readonly current: Effect.Effect<SnapshotId>
  /** The catalog of a snapshot. */
  readonly catalog: (snapshot: SnapshotId) => Effect.Effect<Catalog, SnapshotNotFound>
  /** Nodes of a snapshot, in batches of at most `batchSize` rows. */
  readonly scanNodes: (
    snapshot: SnapshotId,
    options: NodeScanOptions
  ) => Stream.Stream<Arrow.RecordBatch, ExecutionError>
  /** Hyperedges (or binary edges) of a snapshot, in batches of at most `batchSize` rows. */
  readonly scanHyperedges: (
    snapshot: SnapshotId,
    options: HyperedgeScanOptions
  ) => Stream.Stream<Arrow.RecordBatch, ExecutionError>
  /** Role bindings of a snapshot's hyperedges (see {@link BindingScanOptions}), in batches of at most `batchSize` rows. */
  readonly scanBindings: (
    snapshot: SnapshotId,
    options: BindingScanOptions
  ) => Stream.Stream<Arrow.RecordBatch, ExecutionError>
  /** The indexes of a snapshot, built on first use and cached with the snapshot. */
  readonly index: (snapshot: SnapshotId) => Effect.Effect<GraphIndex, SnapshotNotFound>
  /** Applies mutations atomically and returns the new snapshot; on a validation error nothing changes. */
  readonly commit: (mutations: ReadonlyArray<Mutation>) => Effect.Effect<SnapshotId, InvalidGraphData>
}

/** The Storage service tag. */
export class Storage extends Context.Tag("@grism/Storage")<Storage, StorageService>() {}
