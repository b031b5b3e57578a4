/**
 * Grism — a hypergraph query engine on Effect and Apache Arrow.
 *
 * Build a query with {@link Hypergraph} frames and the expression builders, run it as an
 * Effect with a `Runtime` layer (`LocalRuntime.layer`, or a `RayRuntime` layer) and a
 * `Storage` layer (`InMemoryStorage.layer(graph)`).
 *
 * @since 0.1.0
 */

/** Query entry points: `Hypergraph.nodes(...)`, `.hyperedges(...)`, `.edges(...)`. */
export * as Hypergraph from "./Query/Hypergraph.js"
export type { ExpandOptions, ExpandRoleOptions, Frame, GroupedFrame, OrderItem, SelectItem } from "./Query/Frame.js"
/** The functions of SEMANTICS §4 as expression builders. */
export * as Functions from "./Query/Functions.js"
/** Logical plans (serializable), for users who build plans directly. */
export * as LogicalPlan from "./Query/LogicalPlan.js"
/** The `Runtime` service every runtime layer provides. */
export * as Runtime from "./Query/Runtime.js"

/** Expression IR and builders. */
export * as Expr from "./Engine/Expr.js"
export {
  avg,
  call,
  col,
  collect,
  collectDistinct,
  count,
  countDistinct,
  lit,
  max,
  min,
  sum,
  typedLit,
  when
} from "./Engine/Expr.js"
/** Logical data types and their Arrow mapping. */
export * as DataType from "./Engine/DataType.js"
/** Every error a query can fail with, as one tagged union. */
export * as ExecutionError from "./Engine/ExecutionError.js"
/** Engine configuration and the per-query execution context. */
export * as ExecutionContext from "./Engine/ExecutionContext.js"
/** The Storage service interface (snapshots, catalog, scans, indexes, commits). */
export * as Storage from "./Engine/Storage.js"
/** Physical plans (serializable `*Exec` trees). */
export * as PhysicalPlan from "./Engine/PhysicalPlan.js"

/** The embedded storage backend. */
export * as InMemoryStorage from "./Storage/InMemoryStorage.js"
/** A small deterministic social graph for demos and tests. */
export * as ExampleGraph from "./Storage/ExampleGraph.js"

/** Planning: resolve → optimize → physical plan. */
export * as QueryPlanner from "./Planner/QueryPlanner.js"
/** The single-process runtime. */
export * as LocalRuntime from "./LocalRuntime/LocalRuntime.js"
/** The distributed runtime: worker processes or Ray, behind the same `Runtime` service. */
export * as RayRuntime from "./RayRuntime/RayRuntime.js"
