/**
 * Physical plans: trees of `*Exec` nodes as plain serializable data (Schema classes),
 * so a plan or a stage of it can be encoded, sent to a worker and decoded there.
 * `Operators/*` give each node its behaviour.
 *
 * Every node has an `id` (unique in its plan, used for metrics) and its `output` schema.
 * Expressions in a physical plan are resolved: column references use full column names
 * of the input batches and every literal has its final type.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as DataType from "./DataType.js"
import * as Expr from "./Expr.js"
import { ExchangeMode } from "./Partitioning.js"
import { PhysicalSchema } from "./PhysicalSchema.js"

const PlanRef = Schema.suspend((): Schema.Schema<PhysicalPlan, any> => PhysicalPlan)

/** A column a scan reads, with its planned type. */
export class ScanColumn extends Schema.Class<ScanColumn>("ScanColumn")({
  field: Schema.String,
  dataType: DataType.DataType
}) {}

/** Partition `index` of `count`. */
export class ScanPartition extends Schema.Class<ScanPartition>("ScanPartition")({
  index: Schema.Int,
  count: Schema.Int
}) {}

const common = {
  id: Schema.Int,
  output: PhysicalSchema
}

const scanFields = {
  ...common,
  qualifier: Schema.String,
  label: Schema.optional(Schema.String),
  columns: Schema.Array(ScanColumn),
  partition: Schema.optional(ScanPartition),
  limit: Schema.optional(Schema.Int)
}

/** Scans nodes of a label (or all); output columns are `qualifier.field`. */
export class NodeScanExec extends Schema.TaggedClass<NodeScanExec>()("NodeScanExec", scanFields) {}

/** Scans hyperedges of a label (or all); `binaryOnly` restricts to binary edges. */
export class HyperedgeScanExec extends Schema.TaggedClass<HyperedgeScanExec>()("HyperedgeScanExec", {
  ...scanFields,
  binaryOnly: Schema.Boolean
}) {}

/** Emits no rows. */
export class EmptyExec extends Schema.TaggedClass<EmptyExec>()("EmptyExec", common) {}

/** Keeps rows whose predicate is TRUE. */
export class FilterExec extends Schema.TaggedClass<FilterExec>()("FilterExec", {
  ...common,
  input: PlanRef,
  predicate: Expr.Expr
}) {}

/** Evaluates one expression per output column (`output.fields[i]` ← `exprs[i]`). */
export class ProjectExec extends Schema.TaggedClass<ProjectExec>()("ProjectExec", {
  ...common,
  input: PlanRef,
  exprs: Schema.Array(Expr.Expr)
}) {}

/** Renames columns by position: the input's columns under the output's names. */
export class RenameExec extends Schema.TaggedClass<RenameExec>()("RenameExec", {
  ...common,
  input: PlanRef
}) {}

/** Skips `offset` rows, then passes at most `limit` (all when absent); stops pulling once done. */
export class LimitExec extends Schema.TaggedClass<LimitExec>()("LimitExec", {
  ...common,
  input: PlanRef,
  limit: Schema.optional(Schema.Int),
  offset: Schema.Int
}) {}

/** Concatenates its inputs (UNION ALL); inputs have the output's column types. */
export class UnionExec extends Schema.TaggedClass<UnionExec>()("UnionExec", {
  ...common,
  inputs: Schema.Array(PlanRef)
}) {}

/** Buffers its whole input (reserving memory), then emits it. */
export class CollectExec extends Schema.TaggedClass<CollectExec>()("CollectExec", {
  ...common,
  input: PlanRef
}) {}

/** Stable multi-key sort; with `fetch`, a top-k that keeps only the first `fetch` rows. */
export class SortExec extends Schema.TaggedClass<SortExec>()("SortExec", {
  ...common,
  input: PlanRef,
  keys: Schema.Array(Expr.SortKey),
  fetch: Schema.optional(Schema.Int)
}) {}

/** One aggregate of a HashAggregateExec: output name, function, resolved argument and result type. */
export class AggregateSpec extends Schema.Class<AggregateSpec>("AggregateSpec")({
  name: Schema.String,
  fn: Expr.AggregateFn,
  arg: Schema.optional(Expr.Expr),
  dataType: DataType.DataType
}) {}

/** Aggregation modes: `single` does it all; `partial` emits states; `final` merges states. */
export const AggregateMode = Schema.Literal("single", "partial", "final")
/** @see AggregateMode */
export type AggregateMode = typeof AggregateMode.Type

/** Hash aggregation by `keys` (output names = `output.fields[0..keys.length)`). */
export class HashAggregateExec extends Schema.TaggedClass<HashAggregateExec>()("HashAggregateExec", {
  ...common,
  input: PlanRef,
  mode: AggregateMode,
  keys: Schema.Array(Expr.Expr),
  aggregates: Schema.Array(AggregateSpec)
}) {}

/** Expand directions. */
export const Direction = Schema.Literal("out", "in", "both")
/** @see Direction */
export type Direction = typeof Direction.Type

/**
 * Binary expand over CSR adjacency from the anchor's `_id` column: one row per
 * (input row, path of `minHops..maxHops` edges), appending the target's columns and,
 * for single hops, the edge's columns.
 */
export class AdjacencyExpandExec extends Schema.TaggedClass<AdjacencyExpandExec>()("AdjacencyExpandExec", {
  ...common,
  input: PlanRef,
  anchorColumn: Schema.String,
  edgeLabel: Schema.optional(Schema.String),
  direction: Direction,
  toLabel: Schema.optional(Schema.String),
  targetQualifier: Schema.String,
  targetColumns: Schema.Array(ScanColumn),
  edgeQualifier: Schema.optional(Schema.String),
  edgeColumns: Schema.Array(ScanColumn),
  minHops: Schema.Int,
  maxHops: Schema.Int,
  optional: Schema.Boolean,
  /** See {@link RoleExpandExec.predicate}. */
  predicate: Schema.optional(Expr.Expr)
}) {}

/**
 * Role expand over hyperedges. From a hyperedge frame (`fromRole` absent): one row per
 * entity bound under `toRole` in the hyperedge of `anchorColumn`. From a node anchor:
 * every entity bound under `toRole` in each hyperedge of `edgeLabel` where the anchor is
 * bound under `fromRole` (its own binding excluded when the roles are equal).
 */
export class RoleExpandExec extends Schema.TaggedClass<RoleExpandExec>()("RoleExpandExec", {
  ...common,
  input: PlanRef,
  anchorColumn: Schema.String,
  anchorKind: Schema.Literal("node", "hyperedge"),
  edgeLabel: Schema.optional(Schema.String),
  fromRole: Schema.optional(Schema.String),
  toRole: Schema.String,
  targetKind: Schema.Literal("node", "hyperedge"),
  toLabel: Schema.optional(Schema.String),
  targetQualifier: Schema.String,
  targetColumns: Schema.Array(ScanColumn),
  edgeQualifier: Schema.optional(Schema.String),
  edgeColumns: Schema.Array(ScanColumn),
  optional: Schema.Boolean,
  /**
   * A filter pushed into the expand: a predicate over the target's and edge's columns
   * only, evaluated on the matches before the input's columns are gathered; matches where
   * it is not TRUE are dropped. Never set on an optional expand.
   */
  predicate: Schema.optional(Expr.Expr)
}) {}

/**
 * A stage boundary (SEMANTICS §8): moves its input's rows between partitions by `mode`
 * (Shuffle by a PartitioningSpec, Broadcast, Gather). A pass-through in the local
 * runtime; the distributed planner inserts it and the StageSplitter cuts the plan there.
 */
export class ExchangeExec extends Schema.TaggedClass<ExchangeExec>()("ExchangeExec", {
  ...common,
  input: PlanRef,
  mode: ExchangeMode
}) {}

/**
 * A stage's leaf that reads the output of producer stage `stage` through an exchange of
 * `mode` (it replaces that ExchangeExec and keeps its `id` and `output`). Task `i` of the
 * consuming stage reads: Shuffle → output partition `i` of every producer task;
 * Gather / Broadcast → the (single) output of every producer task. The runtime that runs
 * the stage supplies these batches (see `Operators/Exchange.StageInputs`).
 */
export class StageInputExec extends Schema.TaggedClass<StageInputExec>()("StageInputExec", {
  ...common,
  stage: Schema.Int,
  mode: ExchangeMode
}) {}

/** Every physical operator. */
export type PhysicalPlan =
  | NodeScanExec
  | HyperedgeScanExec
  | EmptyExec
  | FilterExec
  | ProjectExec
  | RenameExec
  | LimitExec
  | UnionExec
  | CollectExec
  | SortExec
  | HashAggregateExec
  | AdjacencyExpandExec
  | RoleExpandExec
  | ExchangeExec
  | StageInputExec

/** Schema of {@link PhysicalPlan}; round-trips through JSON. */
export const PhysicalPlan: Schema.Schema<PhysicalPlan, any> = Schema.Union(
  NodeScanExec,
  HyperedgeScanExec,
  EmptyExec,
  FilterExec,
  ProjectExec,
  RenameExec,
  LimitExec,
  UnionExec,
  CollectExec,
  SortExec,
  HashAggregateExec,
  AdjacencyExpandExec,
  RoleExpandExec,
  ExchangeExec,
  StageInputExec
)

/** The direct inputs of a node. */
export const children = (plan: PhysicalPlan): ReadonlyArray<PhysicalPlan> => {
  switch (plan._tag) {
    case "NodeScanExec":
    case "HyperedgeScanExec":
    case "EmptyExec":
    case "StageInputExec":
      return []
    case "UnionExec":
      return plan.inputs
    default:
      return [plan.input]
  }
}
