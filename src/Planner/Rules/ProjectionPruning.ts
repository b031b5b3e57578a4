/**
 * Projection pruning: every operator keeps only the columns something above it reads,
 * down to the scans, which then read only those fields (`NodeScan.columns` /
 * `HyperedgeScan.columns`, which the physical planner turns into the scan's column list).
 *
 * - Project drops expressions nobody reads (and disappears when it is then the identity);
 *   Aggregate drops unread aggregates (keys always stay: they define the groups);
 * - Filter and Sort add the columns of their predicate / keys; Rename keeps every renamed
 *   column; Expand / RoleExpand pass down what they need of their input and fetch only the
 *   target and edge fields read above them (`targetColumns` / `edgeColumns`);
 * - both branches of a Union keep the same columns in the same order (a branch that
 *   cannot drop a column gets a Project of the union's remaining columns);
 * - every entity's `q._id` column is kept: it is what keeps an entity bound (and the
 *   anchor in place), and an expand reads its anchor's `_id`. So a scan never reads zero
 *   columns and every node keeps its entities. The one exception: the target and edge
 *   bound by an expand with no other expand above it keep their `_id` only when it is
 *   read (nothing above anchors on them; an unread `_id` would only be gathered per row).
 * The plan's own output never changes.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Expr from "../../Engine/Expr.js"
import { unchecked } from "../../Engine/Expr.js"
import type { PhysicalSchema } from "../../Engine/PhysicalSchema.js"
import * as LogicalPlan from "../../Query/LogicalPlan.js"
import * as Resolver from "../../Query/Resolver.js"
import { expandFields, rescan, roleExpandFields, withInputs } from "./internal/plans.js"
import type { Rule } from "./Rule.js"

type Plan = LogicalPlan.LogicalPlan

interface Pruned {
  readonly plan: Plan
  /** Output column names of `plan`, in order. */
  readonly names: ReadonlyArray<string>
}

/** The `q._id` columns of the entities of `schema`, except those of the `loose` qualifiers. */
const entityIds = (schema: PhysicalSchema, loose: ReadonlySet<string>): ReadonlyArray<string> =>
  schema.fields
    .filter((f) => f.qualifier !== undefined && !loose.has(f.qualifier) && f.field === "_id" && f.name === `${f.qualifier}._id`)
    .map((f) => f.name)

/**
 * The qualifiers an Expand / RoleExpand binds with no other expand above it: nothing above
 * anchors on them, so their `_id` columns are fetched only when read.
 */
const looseQualifiers = (root: Resolver.Annotated): ReadonlySet<string> => {
  const out = new Set<string>()
  const visit = (node: Resolver.Annotated, underExpand: boolean): void => {
    const plan = node.plan
    const isExpand = plan._tag === "Expand" || plan._tag === "RoleExpand"
    if (isExpand && !underExpand) {
      if (plan.alias !== undefined) out.add(plan.alias)
      if (plan.edgeAlias !== undefined) out.add(plan.edgeAlias)
    }
    node.inputs.forEach((i) => visit(i, underExpand || isExpand))
  }
  visit(root, false)
  return out
}

const columnsOfAll = (exprs: ReadonlyArray<Expr.Expr>): ReadonlyArray<string> => exprs.flatMap((e) => Expr.columnsOf(e))

const sameNames = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean =>
  a.length === b.length && a.every((n, i) => n === b[i])

/** A Project of exactly these columns over `pruned` (nothing when it already has them in order). */
const conformTo = (pruned: Pruned, names: ReadonlyArray<string>): Pruned =>
  sameNames(pruned.names, names)
    ? pruned
    : { plan: new LogicalPlan.Project({ input: pruned.plan, exprs: names.map((name) => new Expr.Column({ name }, unchecked)) }, unchecked), names }

/** The expand over `input` fetching only these target / edge fields. */
const expandWith = (
  plan: LogicalPlan.Expand | LogicalPlan.RoleExpand,
  input: Plan,
  targetColumns: ReadonlyArray<string>,
  edgeColumns: ReadonlyArray<string>
): Plan => {
  const columns = {
    targetColumns,
    ...(plan.edgeAlias === undefined ? {} : { edgeColumns })
  }
  return plan._tag === "Expand"
    ? new LogicalPlan.Expand({ ...expandFields(plan), ...columns, input }, unchecked)
    : new LogicalPlan.RoleExpand({ ...roleExpandFields(plan), ...columns, input }, unchecked)
}

const prune = (node: Resolver.Annotated, requiredAbove: ReadonlySet<string>, loose: ReadonlySet<string>): Pruned => {
  const plan = node.plan
  const required = new Set([...requiredAbove, ...entityIds(node.schema, loose)])
  const child = (i: number, needs: Iterable<string>) => prune(node.inputs[i]!, new Set(needs), loose)
  switch (plan._tag) {
    case "NodeScan":
    case "HyperedgeScan": {
      const fields = node.schema.fields.filter((f) => required.has(f.name))
      const names = fields.map((f) => f.name)
      if (plan.columns === undefined && fields.length === node.schema.fields.length) return { plan, names }
      const columns = fields.map((f) => f.field)
      if (plan.columns !== undefined && sameNames(plan.columns, columns)) return { plan, names }
      return { plan: rescan(plan, columns, plan.limit), names }
    }
    case "Filter": {
      const input = child(0, [...required, ...Expr.columnsOf(plan.predicate)])
      return { plan: withInputs(plan, [input.plan]), names: input.names }
    }
    case "Sort": {
      const input = child(0, [...required, ...columnsOfAll(plan.keys.map((k) => k.expr))])
      return { plan: withInputs(plan, [input.plan]), names: input.names }
    }
    case "Limit": {
      const input = child(0, required)
      return { plan: withInputs(plan, [input.plan]), names: input.names }
    }
    case "Project": {
      let kept = plan.exprs.filter((e) => required.has(Expr.outputName(e)))
      if (kept.length === 0) kept = plan.exprs.slice(0, 1)
      const input = child(0, columnsOfAll(kept))
      const names = kept.map(Expr.outputName)
      const identity = kept.every((e) => e._tag === "Column") && sameNames(names, input.names)
      if (identity) return input
      return { plan: new LogicalPlan.Project({ input: input.plan, exprs: kept }, unchecked), names }
    }
    case "Rename": {
      const back = new Map(plan.renamings.map((r) => [r.to, r.from] as const))
      const forward = new Map(plan.renamings.map((r) => [r.from, r.to] as const))
      const input = child(0, [...[...required].map((n) => back.get(n) ?? n), ...plan.renamings.map((r) => r.from)])
      return { plan: withInputs(plan, [input.plan]), names: input.names.map((n) => forward.get(n) ?? n) }
    }
    case "Aggregate": {
      let aggregates = plan.aggregates.filter((a) => required.has(a.name))
      if (plan.keys.length === 0 && aggregates.length === 0) aggregates = plan.aggregates.slice(0, 1)
      const input = child(0, columnsOfAll([...plan.keys, ...aggregates]))
      return {
        plan: new LogicalPlan.Aggregate({ input: input.plan, keys: plan.keys, aggregates }, unchecked),
        names: [...plan.keys.map(Expr.outputName), ...aggregates.map((a) => a.name)]
      }
    }
    case "Union": {
      const target = node.schema.fields.filter((f) => required.has(f.name)).map((f) => f.name)
      const left = conformTo(child(0, target), target)
      const right = conformTo(child(1, target), target)
      return { plan: withInputs(plan, [left.plan, right.plan]), names: target }
    }
    case "Expand":
    case "RoleExpand": {
      const inputSchema = node.inputs[0]!.schema
      const inputNames = new Set(inputSchema.names)
      const input = child(0, [...required].filter((n) => inputNames.has(n)))
      const added = node.schema.fields.slice(inputSchema.fields.length).filter((f) => required.has(f.name))
      const fieldsOf = (qualifier: string | undefined) =>
        added.filter((f) => qualifier !== undefined && f.qualifier === qualifier).map((f) => f.field)
      const rebuilt = expandWith(plan, input.plan, fieldsOf(plan.alias), fieldsOf(plan.edgeAlias))
      return { plan: rebuilt, names: [...input.names, ...added.map((f) => f.name)] }
    }
    default: {
      const inputs = node.inputs.map((i) => prune(i, new Set(i.schema.names), loose))
      return { plan: withInputs(plan, inputs.map((i) => i.plan)), names: node.schema.names }
    }
  }
}

/** Reads only the columns the query needs, down to the scans. */
export const rule: Rule = {
  name: "ProjectionPruning",
  apply: (plan, catalog) =>
    Effect.map(Resolver.annotate(plan, catalog), (annotated) => {
      const names = annotated.schema.names
      return conformTo(prune(annotated, new Set(names), looseQualifiers(annotated)), names).plan
    })
}
