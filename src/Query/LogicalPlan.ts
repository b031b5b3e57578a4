/**
 * Logical plans: what a frame asks for, before resolution. Plain serializable data
 * (Schema classes); the planner resolves names and types against the catalog of the
 * pinned snapshot, optimizes, and lowers to a PhysicalPlan.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Expr from "../Engine/Expr.js"
import { Direction } from "../Engine/PhysicalPlan.js"

const PlanRef = Schema.suspend((): Schema.Schema<LogicalPlan, any> => LogicalPlan)

/** Scan of the nodes carrying `label` (any node when absent; then `alias` is required). */
export class NodeScan extends Schema.TaggedClass<NodeScan>()("NodeScan", {
  label: Schema.optional(Schema.String),
  alias: Schema.optional(Schema.String),
  /** Fields to read (set by projection pruning); every field when absent. */
  columns: Schema.optional(Schema.Array(Schema.String)),
  /** At most this many rows (set by limit pushdown). */
  limit: Schema.optional(Schema.Number)
}) {}

/** Scan of hyperedges of `label`; `binaryOnly` is the `edges(label)` view. */
export class HyperedgeScan extends Schema.TaggedClass<HyperedgeScan>()("HyperedgeScan", {
  label: Schema.optional(Schema.String),
  alias: Schema.optional(Schema.String),
  binaryOnly: Schema.Boolean,
  /** Fields to read (set by projection pruning); every field when absent. */
  columns: Schema.optional(Schema.Array(Schema.String)),
  /** At most this many rows (set by limit pushdown). */
  limit: Schema.optional(Schema.Number)
}) {}

/** Keeps rows whose predicate is TRUE. */
export class Filter extends Schema.TaggedClass<Filter>()("Filter", {
  input: PlanRef,
  predicate: Expr.Expr
}) {}

/** `select`: exactly these output columns. */
export class Project extends Schema.TaggedClass<Project>()("Project", {
  input: PlanRef,
  exprs: Schema.Array(Expr.Expr)
}) {}

/** `withColumn`: every input column, plus (or replacing by name) the aliased expressions. */
export class WithColumns extends Schema.TaggedClass<WithColumns>()("WithColumns", {
  input: PlanRef,
  exprs: Schema.Array(Expr.Alias)
}) {}

/** One renaming. */
export class Renaming extends Schema.Class<Renaming>("Renaming")({
  from: Schema.String,
  to: Schema.String
}) {}

/** Renames columns; nothing else changes. */
export class Rename extends Schema.TaggedClass<Rename>()("Rename", {
  input: PlanRef,
  renamings: Schema.Array(Renaming)
}) {}

/** `groupBy(keys).agg(aggregates)`: group keys first, then one column per aggregate (each an Alias of an Aggregate). */
export class Aggregate extends Schema.TaggedClass<Aggregate>()("Aggregate", {
  input: PlanRef,
  keys: Schema.Array(Expr.Expr),
  aggregates: Schema.Array(Expr.Alias)
}) {}

/** Stable multi-key sort. */
export class Sort extends Schema.TaggedClass<Sort>()("Sort", {
  input: PlanRef,
  keys: Schema.Array(Expr.SortKey),
  /** Keep only the first `fetch` rows (top-k; set when a Limit follows). */
  fetch: Schema.optional(Schema.Number)
}) {}

/** Skips `offset` rows, then returns at most `limit` (all when absent). */
export class Limit extends Schema.TaggedClass<Limit>()("Limit", {
  input: PlanRef,
  limit: Schema.optional(Schema.Number),
  offset: Schema.Number
}) {}

/** Union of two frames with the same column names; `distinct` removes duplicate rows. */
export class Union extends Schema.TaggedClass<Union>()("Union", {
  left: PlanRef,
  right: PlanRef,
  distinct: Schema.Boolean
}) {}

/** Removes duplicate rows, comparing every column. */
export class Distinct extends Schema.TaggedClass<Distinct>()("Distinct", {
  input: PlanRef
}) {}

/** Binary expand from the frame's anchor node (SEMANTICS §5, §10). */
export class Expand extends Schema.TaggedClass<Expand>()("Expand", {
  input: PlanRef,
  edgeLabel: Schema.optional(Schema.String),
  to: Schema.optional(Schema.String),
  alias: Schema.optional(Schema.String),
  edgeAlias: Schema.optional(Schema.String),
  direction: Direction,
  minHops: Schema.Number,
  maxHops: Schema.Number,
  optional: Schema.Boolean,
  /** Target fields to fetch (set by projection pruning); every field when absent. */
  targetColumns: Schema.optional(Schema.Array(Schema.String)),
  /** Edge fields to fetch (set by projection pruning); every field when absent. */
  edgeColumns: Schema.optional(Schema.Array(Schema.String))
}) {}

/**
 * Role expand. From a hyperedge frame (`fromRole` absent): the entities bound under
 * `toRole` of the frame's last hyperedge. From a node anchor: the entities bound under
 * `toRole` in hyperedges of `edgeLabel` where the anchor is bound under `fromRole`.
 */
export class RoleExpand extends Schema.TaggedClass<RoleExpand>()("RoleExpand", {
  input: PlanRef,
  edgeLabel: Schema.optional(Schema.String),
  fromRole: Schema.optional(Schema.String),
  toRole: Schema.String,
  to: Schema.optional(Schema.String),
  alias: Schema.optional(Schema.String),
  edgeAlias: Schema.optional(Schema.String),
  optional: Schema.Boolean,
  /** Target fields to fetch (set by projection pruning); every field when absent. */
  targetColumns: Schema.optional(Schema.Array(Schema.String)),
  /** Hyperedge fields to fetch (set by projection pruning); every field when absent. */
  edgeColumns: Schema.optional(Schema.Array(Schema.String))
}) {}

/** Every logical operator. */
export type LogicalPlan =
  | NodeScan
  | HyperedgeScan
  | Filter
  | Project
  | WithColumns
  | Rename
  | Aggregate
  | Sort
  | Limit
  | Union
  | Distinct
  | Expand
  | RoleExpand

/** Schema of {@link LogicalPlan}; round-trips through JSON. */
export const LogicalPlan: Schema.Schema<LogicalPlan, any> = Schema.Union(
  NodeScan,
  HyperedgeScan,
  Filter,
  Project,
  WithColumns,
  Rename,
  Aggregate,
  Sort,
  Limit,
  Union,
  Distinct,
  Expand,
  RoleExpand
)

/** The direct inputs of a node. */
export const children = (plan: LogicalPlan): ReadonlyArray<LogicalPlan> => {
  switch (plan._tag) {
    case "NodeScan":
    case "HyperedgeScan":
      return []
    case "Union":
      return [plan.left, plan.right]
    default:
      return [plan.input]
  }
}
