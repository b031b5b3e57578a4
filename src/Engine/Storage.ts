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

/** The storage service. */
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
  /** Applies mutations atomically and returns the new snapshot; on a validation error nothing changes. */
  readonly commit: (mutations: ReadonlyArray<Mutation>) => Effect.Effect<SnapshotId, InvalidGraphData>
}

/** The Storage service tag. */
export class Storage extends Context.Tag("@grism/Storage")<Storage, StorageService>() {}
