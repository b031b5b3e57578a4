/**
 * Lowers a resolved (and optimized) logical plan to a tree of `*Exec` nodes for the local
 * runtime: pre-order unique ids, each node's output schema, scan columns with their
 * planned types, Sort with `fetch` as a top-k, single-mode hash aggregation.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { EngineConfig } from "../Engine/ExecutionContext.js"
import { type ExecutionError, InvalidPlan } from "../Engine/ExecutionError.js"
import * as Expr from "../Engine/Expr.js"
import { unchecked } from "../Engine/Expr.js"
import * as PhysicalPlan from "../Engine/PhysicalPlan.js"
import type { Catalog } from "../Engine/Storage.js"
import type { LogicalPlan } from "../Query/LogicalPlan.js"
import * as Resolver from "../Query/Resolver.js"
import { conjoin, conjuncts, mayFail } from "./Rules/internal/exprs.js"

const unalias = (e: Expr.Expr): Expr.Expr => (e._tag === "Alias" ? e.operand : e)

const lower = (node: Resolver.Annotated, catalog: Catalog, nextId: () => number): PhysicalPlan.PhysicalPlan => {
  const id = nextId()
  const output = node.schema
  const plan = node.plan
  const input = (i = 0) => lower(node.inputs[i]!, catalog, nextId)
  switch (plan._tag) {
    case "NodeScan":
    case "HyperedgeScan": {
      const fields = {
        id,
        output,
        qualifier: plan.alias!,
        ...(plan.label === undefined ? {} : { label: plan.label }),
        columns: output.fields.map((f) => new PhysicalPlan.ScanColumn({ field: f.field, dataType: f.dataType }, unchecked)),
        ...(plan.limit === undefined ? {} : { limit: plan.limit })
      }
      return plan._tag === "NodeScan"
        ? new PhysicalPlan.NodeScanExec(fields, unchecked)
        : new PhysicalPlan.HyperedgeScanExec({ ...fields, binaryOnly: plan.binaryOnly }, unchecked)
    }
    case "Filter": {
      const below = node.inputs[0]!
      const split = below.plan._tag === "Expand" || below.plan._tag === "RoleExpand"
        ? splitForExpand(plan.predicate, below)
        : undefined
      if (split === undefined || split.pushed === undefined) {
        return new PhysicalPlan.FilterExec({ id, output, input: input(), predicate: plan.predicate }, unchecked)
      }
      if (split.kept === undefined) return lowerExpand(below, catalog, id, nextId, split.pushed)
      const expand = lowerExpand(below, catalog, nextId(), nextId, split.pushed)
      return new PhysicalPlan.FilterExec({ id, output, input: expand, predicate: split.kept }, unchecked)
    }
    case "Project":
      return new PhysicalPlan.ProjectExec({ id, output, input: input(), exprs: plan.exprs.map(unalias) }, unchecked)
    case "Rename":
      return new PhysicalPlan.RenameExec({ id, output, input: input() }, unchecked)
    case "Aggregate": {
      const child = input()
      return new PhysicalPlan.HashAggregateExec({
        id,
        output,
        input: child,
        mode: "single",
        keys: plan.keys.map(unalias),
        aggregates: plan.aggregates.map((alias, i) => {
          const agg = alias.operand as Expr.Aggregate
          return new PhysicalPlan.AggregateSpec({
            name: alias.name,
            fn: agg.fn,
            ...(agg.arg === undefined ? {} : { arg: agg.arg }),
            dataType: output.fields[plan.keys.length + i]!.dataType
          }, unchecked)
        })
      }, unchecked)
    }
    case "Sort":
      return new PhysicalPlan.SortExec({
        id,
        output,
        input: input(),
        keys: plan.keys,
        ...(plan.fetch === undefined ? {} : { fetch: plan.fetch })
      }, unchecked)
    case "Limit":
      return new PhysicalPlan.LimitExec({
        id,
        output,
        input: input(),
        offset: plan.offset,
        ...(plan.limit === undefined ? {} : { limit: plan.limit })
      }, unchecked)
    case "Union": {
      const left = input(0)
      const right = input(1)
      return new PhysicalPlan.UnionExec({ id, output, inputs: [left, right] }, unchecked)
    }
    case "Expand":
    case "RoleExpand":
      return lowerExpand(node, catalog, id, nextId, undefined)
    case "WithColumns":
    case "Distinct":
      throw new InvalidPlan({
        reason: "MalformedPlan",
        detail: `${plan._tag} is not supported by the local physical planner (the plan is not resolved)`
      })
  }
}

/**
 * Splits a Filter right above a (non-optional) expand: the conjuncts that read only the
 * expand's new target / edge columns and cannot fail at run time go into the expand
 * (`pushed`), which evaluates them on the matches before gathering the input's columns;
 * the rest stay in the Filter (`kept`). An optional expand keeps every conjunct above it
 * (a pushed predicate would turn dropped matches into NULL-padded rows).
 */
const splitForExpand = (
  predicate: Expr.Expr,
  expand: Resolver.Annotated
): { readonly pushed: Expr.Expr | undefined; readonly kept: Expr.Expr | undefined } | undefined => {
  const plan = expand.plan
  if ((plan._tag !== "Expand" && plan._tag !== "RoleExpand") || plan.optional) return undefined
  const inputSchema = expand.inputs[0]!.schema
  const added = new Set(expand.schema.names.slice(inputSchema.fields.length))
  const parts = conjuncts(predicate)
  const pushable = (c: Expr.Expr) =>
    Expr.columnsOf(c).length > 0 && Expr.columnsOf(c).every((n) => added.has(n)) && !mayFail(c, expand.schema)
  return { pushed: conjoin(parts.filter(pushable)), kept: conjoin(parts.filter((c) => !pushable(c))) }
}

/** The Exec of an Expand / RoleExpand node with `id`, evaluating `predicate` (pushed from a Filter) on its matches. */
const lowerExpand = (
  node: Resolver.Annotated,
  catalog: Catalog,
  id: number,
  nextId: () => number,
  predicate: Expr.Expr | undefined
): PhysicalPlan.PhysicalPlan => {
  const output = node.schema
  const plan = node.plan
  switch (plan._tag) {
    case "Expand": {
      const child = lower(node.inputs[0]!, catalog, nextId)
      const added = output.fields.slice(child.output.fields.length)
      const columnsOf = (q: string | undefined) =>
        added.filter((f) => q !== undefined && f.qualifier === q).map((f) => new PhysicalPlan.ScanColumn({ field: f.field, dataType: f.dataType }, unchecked))
      return new PhysicalPlan.AdjacencyExpandExec({
        id,
        output,
        input: child,
        anchorColumn: `${child.output.anchor}._id`,
        ...(plan.edgeLabel === undefined ? {} : { edgeLabel: plan.edgeLabel }),
        direction: plan.direction,
        ...(plan.to === undefined ? {} : { toLabel: plan.to }),
        targetQualifier: plan.alias!,
        targetColumns: columnsOf(plan.alias),
        ...(plan.edgeAlias === undefined ? {} : { edgeQualifier: plan.edgeAlias }),
        edgeColumns: columnsOf(plan.edgeAlias),
        minHops: plan.minHops,
        maxHops: plan.maxHops,
        optional: plan.optional,
        ...(predicate === undefined ? {} : { predicate })
      }, unchecked)
    }
    case "RoleExpand": {
      const child = lower(node.inputs[0]!, catalog, nextId)
      const added = output.fields.slice(child.output.fields.length)
      const columnsOf = (q: string | undefined) =>
        added.filter((f) => q !== undefined && f.qualifier === q).map((f) => new PhysicalPlan.ScanColumn({ field: f.field, dataType: f.dataType }, unchecked))
      const fromHyperedge = plan.fromRole === undefined
      const hyperedges = child.output.entities.filter((e) => e.kind === "hyperedge")
      const anchor = fromHyperedge ? hyperedges[hyperedges.length - 1]!.qualifier : child.output.anchor!
      return new PhysicalPlan.RoleExpandExec({
        id,
        output,
        input: child,
        anchorColumn: `${anchor}._id`,
        anchorKind: fromHyperedge ? "hyperedge" : "node",
        ...(plan.edgeLabel === undefined ? {} : { edgeLabel: plan.edgeLabel }),
        ...(plan.fromRole === undefined ? {} : { fromRole: plan.fromRole }),
        toRole: plan.toRole,
        targetKind: Resolver.roleTargetKind(plan, catalog),
        ...(plan.to === undefined ? {} : { toLabel: plan.to }),
        targetQualifier: plan.alias!,
        targetColumns: columnsOf(plan.alias),
        ...(plan.edgeAlias === undefined ? {} : { edgeQualifier: plan.edgeAlias }),
        edgeColumns: columnsOf(plan.edgeAlias),
        optional: plan.optional,
        ...(predicate === undefined ? {} : { predicate })
      }, unchecked)
    }
    default:
      throw new Error(`LocalPhysicalPlanner: ${plan._tag} is not an expand`)
  }
}

/** Maps a resolved logical plan to a physical plan (ids in pre-order). Reads no data. */
export const plan = (
  resolved: LogicalPlan,
  catalog: Catalog,
  _config?: EngineConfig
): Effect.Effect<PhysicalPlan.PhysicalPlan, ExecutionError> =>
  Effect.flatMap(Resolver.annotate(resolved, catalog), (annotated) =>
    Effect.suspend(() => {
      let counter = 0
      try {
        return Effect.succeed(lower(annotated, catalog, () => counter++))
      } catch (error) {
        if (error instanceof InvalidPlan) return Effect.fail(error)
        return Effect.die(error)
      }
    })
  )


