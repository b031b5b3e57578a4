/**
 * Helpers over logical plan nodes shared by the rules: rebuilding a node with new
 * inputs, and the pass-through shape of per-row operators.
 *
 * @internal
 */
import { unchecked } from "../../../Engine/Expr.js"
import * as LogicalPlan from "../../../Query/LogicalPlan.js"

type Plan = LogicalPlan.LogicalPlan

/** The same node with new inputs (in `LogicalPlan.children` order); scans are returned as is. */
export const withInputs = (plan: Plan, inputs: ReadonlyArray<Plan>): Plan => {
  switch (plan._tag) {
    case "NodeScan":
    case "HyperedgeScan":
      return plan
    case "Union":
      return new LogicalPlan.Union({ left: inputs[0]!, right: inputs[1]!, distinct: plan.distinct }, unchecked)
    case "Filter":
      return new LogicalPlan.Filter({ input: inputs[0]!, predicate: plan.predicate }, unchecked)
    case "Project":
      return new LogicalPlan.Project({ input: inputs[0]!, exprs: plan.exprs }, unchecked)
    case "WithColumns":
      return new LogicalPlan.WithColumns({ input: inputs[0]!, exprs: plan.exprs }, unchecked)
    case "Rename":
      return new LogicalPlan.Rename({ input: inputs[0]!, renamings: plan.renamings }, unchecked)
    case "Aggregate":
      return new LogicalPlan.Aggregate({ input: inputs[0]!, keys: plan.keys, aggregates: plan.aggregates }, unchecked)
    case "Sort":
      return new LogicalPlan.Sort({ ...sortFields(plan), input: inputs[0]! }, unchecked)
    case "Limit":
      return new LogicalPlan.Limit({ ...limitFields(plan), input: inputs[0]! }, unchecked)
    case "Distinct":
      return new LogicalPlan.Distinct({ input: inputs[0]! }, unchecked)
    case "Expand":
      return new LogicalPlan.Expand({ ...expandFields(plan), input: inputs[0]! }, unchecked)
    case "RoleExpand":
      return new LogicalPlan.RoleExpand({ ...roleExpandFields(plan), input: inputs[0]! }, unchecked)
  }
}

/** Rebuilds every node bottom-up with `f` applied after its inputs were rewritten. */
export const transformUp = (plan: Plan, f: (plan: Plan) => Plan): Plan => {
  const inputs = LogicalPlan.children(plan)
  const rewritten = inputs.map((i) => transformUp(i, f))
  const same = rewritten.every((r, i) => r === inputs[i])
  return f(same ? plan : withInputs(plan, rewritten))
}

/** The fields of a Sort other than its input (optional fields left out when absent). */
export const sortFields = (plan: LogicalPlan.Sort) => ({
  keys: plan.keys,
  ...(plan.fetch === undefined ? {} : { fetch: plan.fetch })
})

/** The fields of a Limit other than its input. */
export const limitFields = (plan: LogicalPlan.Limit) => ({
  offset: plan.offset,
  ...(plan.limit === undefined ? {} : { limit: plan.limit })
})

/** The fields of a scan (both kinds share them) other than `columns` and `limit`. */
export const scanBase = (plan: LogicalPlan.NodeScan | LogicalPlan.HyperedgeScan) => ({
  ...(plan.label === undefined ? {} : { label: plan.label }),
  ...(plan.alias === undefined ? {} : { alias: plan.alias })
})

/** A scan with new `columns` / `limit` (undefined: absent). */
export const rescan = (
  plan: LogicalPlan.NodeScan | LogicalPlan.HyperedgeScan,
  columns: ReadonlyArray<string> | undefined,
  limit: number | undefined
): LogicalPlan.NodeScan | LogicalPlan.HyperedgeScan => {
  const fields = {
    ...scanBase(plan),
    ...(columns === undefined ? {} : { columns }),
    ...(limit === undefined ? {} : { limit })
  }
  return plan._tag === "NodeScan"
    ? new LogicalPlan.NodeScan(fields, unchecked)
    : new LogicalPlan.HyperedgeScan({ ...fields, binaryOnly: plan.binaryOnly }, unchecked)
}

/** The fields of an Expand other than its input. */
export const expandFields = (plan: LogicalPlan.Expand) => ({
  direction: plan.direction,
  minHops: plan.minHops,
  maxHops: plan.maxHops,
  optional: plan.optional,
  ...(plan.edgeLabel === undefined ? {} : { edgeLabel: plan.edgeLabel }),
  ...(plan.to === undefined ? {} : { to: plan.to }),
  ...(plan.alias === undefined ? {} : { alias: plan.alias }),
  ...(plan.edgeAlias === undefined ? {} : { edgeAlias: plan.edgeAlias }),
  ...(plan.targetColumns === undefined ? {} : { targetColumns: plan.targetColumns }),
  ...(plan.edgeColumns === undefined ? {} : { edgeColumns: plan.edgeColumns })
})

/** The fields of a RoleExpand other than its input. */
export const roleExpandFields = (plan: LogicalPlan.RoleExpand) => ({
  toRole: plan.toRole,
  optional: plan.optional,
  ...(plan.edgeLabel === undefined ? {} : { edgeLabel: plan.edgeLabel }),
  ...(plan.fromRole === undefined ? {} : { fromRole: plan.fromRole }),
  ...(plan.to === undefined ? {} : { to: plan.to }),
  ...(plan.alias === undefined ? {} : { alias: plan.alias }),
  ...(plan.edgeAlias === undefined ? {} : { edgeAlias: plan.edgeAlias }),
  ...(plan.targetColumns === undefined ? {} : { targetColumns: plan.targetColumns }),
  ...(plan.edgeColumns === undefined ? {} : { edgeColumns: plan.edgeColumns })
})

/** An empty relation with the schema of `input`: `Limit(0)` over it (a zero limit never pulls its input). */
export const emptyOf = (input: Plan): Plan => new LogicalPlan.Limit({ input, limit: 0, offset: 0 }, unchecked)
