/**
 * Entry points of the query API: frames over nodes, hyperedges and binary edges.
 *
 * ```ts
 * Hypergraph.nodes("Person", { as: "p" }).filter(col("p.age").gt(21)).collect()
 * ```
 *
 * @since 0.1.0
 */
import { Frame } from "./Frame.js"
import * as LogicalPlan from "./LogicalPlan.js"

/** Options of a scan: the qualifier (required when there is no label). */
export interface ScanOptions {
  readonly as?: string | undefined
}

const scanFields = (label: string | undefined, options: ScanOptions) => ({
  ...(label === undefined ? {} : { label }),
  ...(options.as === undefined ? {} : { alias: options.as })
})

/** A frame of the nodes carrying `label` (every node when absent; then `as` is required). */
export const nodes = (label?: string, options: ScanOptions = {}): Frame =>
  new Frame(new LogicalPlan.NodeScan(scanFields(label, options)))

/** A frame of the hyperedges of `label` (every hyperedge when absent; then `as` is required). */
export const hyperedges = (label?: string, options: ScanOptions = {}): Frame =>
  new Frame(new LogicalPlan.HyperedgeScan({ ...scanFields(label, options), binaryOnly: false }))

/** A frame of the binary edges of `label` (columns `_id`, `_label`, `_arity`, `_source`, `_target`, properties). */
export const edges = (label?: string, options: ScanOptions = {}): Frame =>
  new Frame(new LogicalPlan.HyperedgeScan({ ...scanFields(label, options), binaryOnly: true }))

/** A frame over an existing logical plan. */
export const fromPlan = (plan: LogicalPlan.LogicalPlan): Frame => new Frame(plan)

export { Frame, GroupedFrame } from "./Frame.js"
export type { ExpandOptions, ExpandRoleOptions, OrderItem, SelectItem } from "./Frame.js"
