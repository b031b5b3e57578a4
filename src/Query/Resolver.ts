/**
 * Plan-time name resolution and validation (SEMANTICS §2–§5, §7, §10). Runs against the
 * catalog of the pinned snapshot and never reads data.
 *
 * ## The resolved-plan contract (the optimizer and the physical planners rely on it)
 * - Every `NodeScan` / `HyperedgeScan` has `alias` set: the qualifier (alias, else label).
 *   When a scan needs a column set other than its default, `columns` is set (a label-less
 *   scan with type conflicts leaves the conflicting properties out; a scan whose
 *   `labels(q)` / `q._labels` is used reads `_labels`).
 * - Every `Column.name` is an exact full column name of the node's input schema. Graph
 *   functions are gone: `id(q)` → `q._id`, `labels(n)` → `n._labels`, `type(r)` → `r._label`;
 *   `properties(e)` is rejected (`InvalidPlan{reason:"InvalidArgument"}`) until a map type exists.
 * - Every literal has its final type; a NULL literal gets its context's type where the
 *   context has one. A NULL-typed column used where another type is needed is wrapped in a
 *   `Cast`. Int64/Float64 mixes are left to the kernels (which widen Int64 to Float64).
 * - `Project.exprs` are each a `Column` (output name = the column's full name, the field
 *   keeps its qualifier) or an `Alias` (explicit output name, a computed field).
 *   Unaliased computed expressions get `Alias(display text of the bound expression)`.
 *   A bare entity qualifier in `select`/`groupBy` expands to all of that entity's columns.
 * - `WithColumns` becomes a `Project` of every column (a same-named column is replaced in
 *   place; new columns are appended).
 * - `Distinct` becomes an `Aggregate` with every visible column as a key and no aggregates;
 *   `Union{distinct:true}` becomes that `Aggregate` over `Union{distinct:false}`. Union
 *   inputs have identical column names in the same order (the right side is reordered by
 *   a `Project` when needed) and identical types (a side is cast by a `Project` of
 *   `Alias(Cast(col), name)` when its type differs from the unified one).
 * - `Aggregate.keys` are `Column` or `Alias` exprs; `Aggregate.aggregates` are
 *   `Alias(Aggregate)` with a resolved argument.
 * - `Rename` (with `from` an exact full name), `Sort`, `Limit`, `Filter` stay.
 * - `Expand` has `alias` set (target qualifier: alias, else `to`; neither → MissingAlias) and
 *   `edgeAlias` set exactly when edge columns are exposed (single hop and an edge
 *   qualifier: `edgeAs`, else the edge label). Output: input columns, then the target's
 *   (`_id`, `_label`, properties by name; union over all node labels without `to`), then
 *   the edge's (`_id`, `_label`, properties); `targetColumns` / `edgeColumns` (set by
 *   projection pruning) restrict those to the fields listed, and a target or edge whose
 *   `_id` is not fetched is not bound. The anchor becomes the target. Hops must be
 *   integers 1 <= min <= max (else InvalidExpand), max <= `config.hopCap` (else
 *   HopLimitExceeded); `edgeAs` with hops other than 1 is InvalidExpand; a qualifier already
 *   bound is DuplicateQualifier.
 * - `RoleExpand` has `alias` set (alias, else `to`); from a node anchor (`fromRole` set) the
 *   hyperedge's columns (`_id`, `_label`, `_arity`, properties) are exposed under
 *   `edgeAlias` (`edgeAs`, else the edge label). The target is a hyperedge when `to` names
 *   a hyperedge label only, else a node. (Physical operators for expands come later.)
 *
 * ## Schemas
 * Node scans: `_id`, `_label`, then properties by name; hyperedge scans: `_id`, `_label`,
 * `_arity`, properties; binary edge views: `_id`, `_label`, `_arity`, `_source`, `_target`,
 * properties (see `internal/scanSchema.ts`). Entities: an entity stays bound while its
 * `q._id` column is present under its qualifier (so `select` / `agg` / `rename` drop
 * entities whose id column is gone); the anchor stays with its entity, else moves to the
 * most recently bound node left.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as DataType from "../Engine/DataType.js"
import { defaultConfig, type EngineConfig } from "../Engine/ExecutionContext.js"
import { type ExecutionError, InvalidPlan, TypeMismatch } from "../Engine/ExecutionError.js"
import * as Expr from "../Engine/Expr.js"
import { unchecked } from "../Engine/Expr.js"
import { Entity, type Field, PhysicalSchema } from "../Engine/PhysicalSchema.js"
import type { Catalog } from "../Engine/Storage.js"
import { bind, check, coerce, type Typed } from "./internal/expressions.js"
import { scanFields, selectColumns } from "./internal/scanSchema.js"
import * as Scope from "./internal/scope.js"
import * as LogicalPlan from "./LogicalPlan.js"

/** A resolved plan node with its scope and its annotated inputs (in `LogicalPlan.children` order). */
export interface Annotated {
  readonly plan: LogicalPlan.LogicalPlan
  readonly schema: PhysicalSchema
  readonly inputs: ReadonlyArray<Annotated>
}

interface Node {
  readonly plan: LogicalPlan.LogicalPlan
  readonly scope: Scope.Scope
  readonly inputs: ReadonlyArray<Node>
}

interface Context {
  readonly catalog: Catalog
  readonly config: EngineConfig
  readonly labelsDemand: ReadonlySet<string>
}

const { fail } = Scope

const duplicateCheck = (fields: ReadonlyArray<Field>, where: string): void => {
  const seen = new Set<string>()
  for (const f of fields) {
    if (seen.has(f.name)) {
      fail(new InvalidPlan({ reason: "DuplicateColumn", detail: `duplicate output column ${f.name} in ${where}; alias one of them` }))
    }
    seen.add(f.name)
  }
}

const checkLimitValue = (value: number | undefined, what: string): void => {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    fail(new InvalidPlan({ reason: "InvalidLimit", detail: `${what} must be a non-negative integer, got ${value}` }))
  }
}

const failOnConflicts = (scope: Scope.Scope): void => {
  const first = [...scope.conflicts.values()][0]
  if (first !== undefined) fail(first.error)
}

const requireOrderable = (typed: Typed, clause: string): void => {
  if (!DataType.isOrderable(typed.type)) {
    fail(
      new TypeMismatch({
        expected: `an orderable (non-list) type for a ${clause} key`,
        actual: DataType.display(typed.type),
        expression: Expr.display(typed.expr)
      })
    )
  }
}

/** The qualifiers whose `_labels` column is used anywhere in the plan. */
const labelsDemand = (plan: LogicalPlan.LogicalPlan): ReadonlySet<string> => {
  const out = new Set<string>()
  const visitExpr = (e: Expr.Expr): void => {
    if (e._tag === "Call" && e.name.toLowerCase() === "labels" && e.args[0]?._tag === "Column") out.add(e.args[0].name)
    if (e._tag === "Column" && e.name.endsWith("._labels")) out.add(e.name.slice(0, -"._labels".length))
    Expr.children(e).forEach(visitExpr)
  }
  const visit = (p: LogicalPlan.LogicalPlan): void => {
    switch (p._tag) {
      case "Filter":
        visitExpr(p.predicate)
        break
      case "Project":
      case "WithColumns":
        p.exprs.forEach(visitExpr)
        break
      case "Aggregate":
        p.keys.forEach(visitExpr)
        p.aggregates.forEach(visitExpr)
        break
      case "Sort":
        p.keys.forEach((k) => visitExpr(k.expr))
        break
      case "Rename":
        p.renamings.forEach((r) => r.from.endsWith("._labels") && out.add(r.from.slice(0, -"._labels".length)))
        break
      default:
        break
    }
    LogicalPlan.children(p).forEach(visit)
  }
  visit(plan)
  return out
}

const columnExprs = (fields: ReadonlyArray<Field>): ReadonlyArray<Expr.Expr> =>
  fields.map((f) => new Expr.Column({ name: f.name }, unchecked))

/** Expands bare entity qualifiers (`col("p")`) into that entity's visible columns. */
const expandQualifiers = (items: ReadonlyArray<Expr.Expr>, scope: Scope.Scope): ReadonlyArray<Expr.Expr> =>
  items.flatMap((e) => {
    if (e._tag === "Column" && scope.schema.field(e.name) === undefined && scope.schema.entity(e.name) !== undefined) {
      return columnExprs(scope.schema.fields.filter((f) => f.qualifier === e.name && !scope.hidden.has(f.name)))
    }
    return [e]
  })

/** Binds and types one projection item: a Column stays a Column, anything else becomes an Alias. */
const projectItem = (
  item: Expr.Expr,
  scope: Scope.Scope,
  clause: string
): { readonly expr: Expr.Expr; readonly field: Field; readonly typed: Typed } => {
  const bound = bind(item, scope, { clause, aggregateAllowed: false })
  const typed = check(bound, scope.schema)
  if (typed.expr._tag === "Column") {
    return { expr: typed.expr, field: scope.schema.field(typed.expr.name)!, typed }
  }
  const name = typed.expr._tag === "Alias" ? typed.expr.name : Expr.display(bound)
  const operand = typed.expr._tag === "Alias" ? typed.expr.operand : typed.expr
  return {
    expr: new Expr.Alias({ operand, name }, unchecked),
    field: Scope.computedField(name, typed.type),
    typed
  }
}

const projectNode = (
  input: Node,
  exprs: ReadonlyArray<Expr.Expr>,
  fields: ReadonlyArray<Field>,
  hidden: ReadonlySet<string>,
  conflicts: Scope.Scope["conflicts"]
): Node => ({
  plan: new LogicalPlan.Project({ input: input.plan, exprs }, unchecked),
  scope: { schema: Scope.schemaWith(fields, input.scope.schema), hidden, conflicts },
  inputs: [input]
})

/** Drops hidden columns with a Project (no-op when there are none). */
const dropHidden = (node: Node): Node => {
  if (node.scope.hidden.size === 0) return node
  const fields = node.scope.schema.fields.filter((f) => !node.scope.hidden.has(f.name))
  return projectNode(node, columnExprs(fields), fields, new Set(), node.scope.conflicts)
}

const distinctNode = (input: Node, clause: string): Node => {
  failOnConflicts(input.scope)
  const visible = input.scope.schema.fields.filter((f) => !input.scope.hidden.has(f.name))
  for (const f of visible) {
    requireOrderable({ expr: new Expr.Column({ name: f.name }, unchecked), type: f.dataType }, clause)
  }
  return {
    plan: new LogicalPlan.Aggregate({ input: input.plan, keys: columnExprs(visible), aggregates: [] }, unchecked),
    scope: Scope.plain(Scope.schemaWith(visible, input.scope.schema)),
    inputs: [input]
  }
}

const scanNode = (
  plan: LogicalPlan.NodeScan | LogicalPlan.HyperedgeScan,
  ctx: Context
): Node => {
  const isNode = plan._tag === "NodeScan"
  const kind = isNode ? "node" : plan.binaryOnly ? "edge" : "hyperedge"
  const qualifier = plan.alias ?? plan.label
  if (qualifier === undefined) {
    return fail(
      new InvalidPlan({
        reason: "MissingAlias",
        detail: `a ${isNode ? "node" : kind} scan without a label needs an alias: ${isNode ? "nodes" : kind === "edge" ? "edges" : "hyperedges"}(undefined, { as: "x" })`
      })
    )
  }
  const withLabels = isNode && plan.columns === undefined && ctx.labelsDemand.has(qualifier)
  const all = scanFields(ctx.catalog, kind, plan.label, qualifier, withLabels)
  const fields = selectColumns(all, kind, qualifier, plan.columns)
  const conflicts = plan.columns === undefined ? all.conflicts : []
  const setColumns = plan.columns === undefined && (withLabels || conflicts.length > 0)
  const common = {
    ...(plan.label === undefined ? {} : { label: plan.label }),
    alias: qualifier,
    ...(setColumns ? { columns: fields.map((f) => f.field) } : plan.columns === undefined ? {} : { columns: plan.columns }),
    ...(plan.limit === undefined ? {} : { limit: plan.limit })
  }
  const resolved = isNode
    ? new LogicalPlan.NodeScan(common, unchecked)
    : new LogicalPlan.HyperedgeScan({ ...common, binaryOnly: (plan as LogicalPlan.HyperedgeScan).binaryOnly }, unchecked)
  const entity = new Entity({
    qualifier,
    kind: isNode ? "node" : "hyperedge",
    labels: plan.label === undefined ? [] : [plan.label]
  }, unchecked)
  const schema = new PhysicalSchema(
    isNode ? { fields, entities: [entity], anchor: qualifier } : { fields, entities: [entity] }, unchecked
  )
  return {
    plan: resolved,
    scope: {
      schema,
      hidden: new Set(withLabels ? [`${qualifier}._labels`] : []),
      conflicts: new Map(conflicts.map((c) => [`${qualifier}.${c.field}`, c]))
    },
    inputs: []
  }
}

const unionNode = (plan: LogicalPlan.Union, ctx: Context): Node => {
  let left = dropHidden(resolveNode(plan.left, ctx))
  let right = dropHidden(resolveNode(plan.right, ctx))
  failOnConflicts(left.scope)
  failOnConflicts(right.scope)
  const leftNames = left.scope.schema.names
  const rightNames = right.scope.schema.names
  const sameSet = leftNames.length === rightNames.length && leftNames.every((n) => rightNames.includes(n))
  if (!sameSet) {
    return fail(
      new InvalidPlan({
        reason: "UnionMismatch",
        detail: `union inputs need the same column names: [${leftNames.join(", ")}] vs [${rightNames.join(", ")}]`
      })
    )
  }
  const types = leftNames.map((name) => {
    const lt = left.scope.schema.field(name)!.dataType
    const rt = right.scope.schema.field(name)!.dataType
    const unified = DataType.unify(lt, rt)
    if (unified === undefined) {
      return fail(
        new TypeMismatch({ expected: DataType.display(lt), actual: DataType.display(rt), expression: `union column ${name}` })
      )
    }
    return unified
  })
  const conform = (side: Node): Node => {
    const fields = leftNames.map((n) => side.scope.schema.field(n)!)
    const inOrder = fields.every((f, i) => side.scope.schema.fields[i]!.name === f.name)
    const sameTypes = fields.every((f, i) => DataType.equals(f.dataType, types[i]!))
    if (inOrder && sameTypes) return side
    const exprs = fields.map((f, i) =>
      DataType.equals(f.dataType, types[i]!)
        ? new Expr.Column({ name: f.name }, unchecked)
        : new Expr.Alias({ operand: new Expr.Cast({ operand: new Expr.Column({ name: f.name }, unchecked), to: types[i]! }, unchecked), name: f.name }, unchecked)
    )
    const outFields = fields.map((f, i) => (DataType.equals(f.dataType, types[i]!) ? f : Scope.computedField(f.name, types[i]!)))
    return projectNode(side, exprs, outFields, new Set(), new Map())
  }
  left = conform(left)
  right = conform(right)
  const fields = left.scope.schema.fields.map((f, i) => Scope.retype(f, types[i]!))
  const entities = left.scope.schema.entities.filter((e) => {
    const other = right.scope.schema.entity(e.qualifier)
    return other !== undefined && other.kind === e.kind
  })
  const anchor = left.scope.schema.anchor
  const schema = new PhysicalSchema(
    anchor !== undefined && entities.some((e) => e.qualifier === anchor)
      ? { fields, entities, anchor }
      : { fields, entities }, unchecked
  )
  const all: Node = {
    plan: new LogicalPlan.Union({ left: left.plan, right: right.plan, distinct: false }, unchecked),
    scope: Scope.plain(schema),
    inputs: [left, right]
  }
  return plan.distinct ? distinctNode(all, "union distinct") : all
}

const resolveNode = (plan: LogicalPlan.LogicalPlan, ctx: Context): Node => {
  switch (plan._tag) {
    case "NodeScan":
    case "HyperedgeScan":
      return scanNode(plan, ctx)
    case "Filter": {
      const input = resolveNode(plan.input, ctx)
      const bound = bind(plan.predicate, input.scope, { clause: "filter", aggregateAllowed: false })
      const typed = check(bound, input.scope.schema)
      if (typed.type._tag !== "Bool" && typed.type._tag !== "Null") {
        fail(new TypeMismatch({ expected: "Bool", actual: DataType.display(typed.type), expression: Expr.display(bound) }))
      }
      const predicate = coerce(typed, DataType.Bool)
      return { plan: new LogicalPlan.Filter({ input: input.plan, predicate }, unchecked), scope: input.scope, inputs: [input] }
    }
    case "Project": {
      const input = resolveNode(plan.input, ctx)
      const items = expandQualifiers(plan.exprs, input.scope).map((e) => projectItem(e, input.scope, "select"))
      const fields = items.map((i) => i.field)
      duplicateCheck(fields, "select")
      return projectNode(input, items.map((i) => i.expr), fields, new Set(), new Map())
    }
    case "WithColumns": {
      const input = resolveNode(plan.input, ctx)
      const exprs: Array<Expr.Expr> = [...columnExprs(input.scope.schema.fields)]
      const fields: Array<Field> = [...input.scope.schema.fields]
      const added = new Set<string>()
      const hidden = new Set(input.scope.hidden)
      const conflicts = new Map(input.scope.conflicts)
      for (const alias of plan.exprs) {
        if (added.has(alias.name)) {
          fail(new InvalidPlan({ reason: "DuplicateColumn", detail: `duplicate column ${alias.name} in withColumns` }))
        }
        added.add(alias.name)
        const item = projectItem(alias, input.scope, "withColumn")
        const at = fields.findIndex((f) => f.name === alias.name)
        const field = Scope.computedField(alias.name, item.typed.type)
        const expr = item.expr._tag === "Column" ? new Expr.Alias({ operand: item.expr, name: alias.name }, unchecked) : item.expr
        hidden.delete(alias.name)
        conflicts.delete(alias.name)
        if (at >= 0) {
          exprs[at] = expr
          fields[at] = field
        } else {
          exprs.push(expr)
          fields.push(field)
        }
      }
      return projectNode(input, exprs, fields, hidden, conflicts)
    }
    case "Rename": {
      const input = resolveNode(plan.input, ctx)
      const fields = [...input.scope.schema.fields]
      const hidden = new Set(input.scope.hidden)
      const renamings = plan.renamings.map((r) => {
        const from = Scope.resolveColumn(r.from, input.scope)
        const at = fields.findIndex((f) => f.name === from)
        fields[at] = Scope.computedField(r.to, fields[at]!.dataType)
        hidden.delete(from)
        return new LogicalPlan.Renaming({ from, to: r.to }, unchecked)
      })
      duplicateCheck(fields, "rename")
      return {
        plan: new LogicalPlan.Rename({ input: input.plan, renamings }, unchecked),
        scope: { schema: Scope.schemaWith(fields, input.scope.schema), hidden, conflicts: input.scope.conflicts },
        inputs: [input]
      }
    }
    case "Aggregate": {
      const input = resolveNode(plan.input, ctx)
      const keys = expandQualifiers(plan.keys, input.scope).map((k) => {
        const item = projectItem(k, input.scope, "groupBy")
        requireOrderable(item.typed, "groupBy")
        return item
      })
      const aggregates = plan.aggregates.map((a) => {
        const bound = bind(a, input.scope, { clause: "agg", aggregateAllowed: true })
        const operand = bound._tag === "Alias" ? bound.operand : bound
        if (operand._tag !== "Aggregate") {
          return fail(
            new InvalidPlan({
              reason: "AggregateMisuse",
              detail: `agg value ${Expr.display(operand)} must be an aggregate call (count, sum, avg, min, max, collect, …)`
            })
          )
        }
        const typed = check(bound, input.scope.schema)
        const name = a.name
        return {
          expr: new Expr.Alias({ operand: typed.expr._tag === "Alias" ? typed.expr.operand : typed.expr, name }, unchecked),
          field: Scope.computedField(name, typed.type)
        }
      })
      const fields = [...keys.map((k) => k.field), ...aggregates.map((a) => a.field)]
      duplicateCheck(fields, "groupBy/agg")
      return {
        plan: new LogicalPlan.Aggregate({
          input: input.plan,
          keys: keys.map((k) => k.expr),
          aggregates: aggregates.map((a) => a.expr as Expr.Alias)
        }, unchecked),
        scope: Scope.plain(Scope.schemaWith(fields, input.scope.schema)),
        inputs: [input]
      }
    }
    case "Sort": {
      const input = resolveNode(plan.input, ctx)
      checkLimitValue(plan.fetch, "sort fetch")
      const keys = plan.keys.map((k) => {
        const bound = bind(k.expr, input.scope, { clause: "orderBy", aggregateAllowed: false })
        const typed = check(bound, input.scope.schema)
        requireOrderable(typed, "orderBy")
        return new Expr.SortKey({
          expr: typed.expr,
          descending: k.descending,
          ...(k.nullsFirst === undefined ? {} : { nullsFirst: k.nullsFirst })
        }, unchecked)
      })
      return {
        plan: new LogicalPlan.Sort({ input: input.plan, keys, ...(plan.fetch === undefined ? {} : { fetch: plan.fetch }) }, unchecked),
        scope: input.scope,
        inputs: [input]
      }
    }
    case "Limit": {
      checkLimitValue(plan.limit, "limit")
      checkLimitValue(plan.offset, "offset")
      const input = resolveNode(plan.input, ctx)
      return {
        plan: new LogicalPlan.Limit({
          input: input.plan,
          offset: plan.offset,
          ...(plan.limit === undefined ? {} : { limit: plan.limit })
        }, unchecked),
        scope: input.scope,
        inputs: [input]
      }
    }
    case "Distinct":
      return distinctNode(resolveNode(plan.input, ctx), "distinct")
    case "Union":
      return unionNode(plan, ctx)
    case "Expand":
      return expandNode(plan, ctx)
    case "RoleExpand":
      return roleExpandNode(plan, ctx)
  }
}

const invalidExpand = (detail: string): never => fail(new InvalidPlan({ reason: "InvalidExpand", detail }))

/** Checks that new qualifiers are not already bound (nor used by a column) in the frame. */
const checkQualifiers = (scope: Scope.Scope, qualifiers: ReadonlyArray<string>, option: string): void => {
  const seen = new Set<string>()
  for (const q of qualifiers) {
    const taken = seen.has(q) || scope.schema.entity(q) !== undefined ||
      scope.schema.fields.some((f) => f.qualifier === q || f.name.startsWith(`${q}.`))
    if (taken) {
      fail(
        new InvalidPlan({
          reason: "DuplicateQualifier",
          detail: `qualifier ${q} is already bound in this frame; give the new entity another name with ${option}`
        })
      )
    }
    seen.add(q)
  }
}

/** Qualified fields of a newly bound entity, its conflicts, and whether `_labels` is read (hidden). */
const boundFields = (
  ctx: Context,
  kind: "node" | "hyperedge" | "edge",
  label: string | undefined,
  qualifier: string,
  columns: ReadonlyArray<string> | undefined
) => {
  const withLabels = kind === "node" && columns === undefined && ctx.labelsDemand.has(qualifier)
  const all = scanFields(ctx.catalog, kind, label, qualifier, withLabels)
  return {
    fields: selectColumns(all, kind, qualifier, columns),
    conflicts: columns === undefined ? all.conflicts.map((c) => [`${qualifier}.${c.field}`, c] as const) : [],
    hidden: withLabels ? [`${qualifier}._labels`] : []
  }
}

const edgeSystem = (fields: ReadonlyArray<Field>): ReadonlyArray<Field> =>
  fields.filter((f) => f.field !== "_source" && f.field !== "_target" && f.field !== "_arity")

const expandNode = (plan: LogicalPlan.Expand, ctx: Context): Node => {
  const input = resolveNode(plan.input, ctx)
  const anchor = input.scope.schema.anchor
  if (anchor === undefined && plan.edgeLabel !== undefined && input.scope.schema.entities.some((e) => e.kind === "hyperedge")) {
    return roleExpandFromHyperedge(plan, plan.edgeLabel, ctx)
  }
  if (anchor === undefined) return invalidExpand("expand needs a node anchor: the frame has no bound node left")
  const { maxHops, minHops } = plan
  if (!Number.isSafeInteger(minHops) || !Number.isSafeInteger(maxHops) || minHops < 1 || maxHops < minHops) {
    return invalidExpand(`hops must be integers with 1 <= min <= max, got [${minHops}, ${maxHops}]`)
  }
  if (maxHops > ctx.config.hopCap) {
    return fail(
      new InvalidPlan({ reason: "HopLimitExceeded", detail: `hops upper bound ${maxHops} exceeds the hop cap ${ctx.config.hopCap}` })
    )
  }
  const single = minHops === 1 && maxHops === 1
  if (plan.edgeAlias !== undefined && !single) {
    return invalidExpand(`edgeAs is only allowed with a single hop (hops: ${minHops === maxHops ? minHops : `[${minHops}, ${maxHops}]`})`)
  }
  const target = plan.alias ?? plan.to
  if (target === undefined) {
    return fail(new InvalidPlan({ reason: "MissingAlias", detail: "an expand without `to` needs an alias for its target: expand(label, { as: \"x\" })" }))
  }
  const edge = single ? plan.edgeAlias ?? plan.edgeLabel : undefined
  checkQualifiers(input.scope, edge === undefined ? [target] : [target, edge], "{ as: ... } / { edgeAs: ... }")
  const t = boundFields(ctx, "node", plan.to, target, plan.targetColumns)
  const e = edge === undefined ? undefined : boundFields(ctx, "edge", plan.edgeLabel, edge, plan.edgeColumns)
  const fields = [...input.scope.schema.fields, ...t.fields, ...(e === undefined ? [] : edgeSystem(e.fields))]
  const bound = Scope.retainEntities(fields, [
    ...input.scope.schema.entities,
    new Entity({ qualifier: target, kind: "node", labels: plan.to === undefined ? [] : [plan.to] }, unchecked),
    ...(edge === undefined ? [] : [new Entity({ qualifier: edge, kind: "hyperedge", labels: plan.edgeLabel === undefined ? [] : [plan.edgeLabel] }, unchecked)])
  ], target)
  return {
    plan: new LogicalPlan.Expand({
      input: input.plan,
      direction: plan.direction,
      minHops,
      maxHops,
      optional: plan.optional,
      alias: target,
      ...(plan.edgeLabel === undefined ? {} : { edgeLabel: plan.edgeLabel }),
      ...(plan.to === undefined ? {} : { to: plan.to }),
      ...(edge === undefined ? {} : { edgeAlias: edge }),
      ...(plan.targetColumns === undefined ? {} : { targetColumns: plan.targetColumns }),
      ...(edge === undefined || plan.edgeColumns === undefined ? {} : { edgeColumns: plan.edgeColumns })
    }, unchecked),
    scope: {
      schema: new PhysicalSchema(bound.anchor === undefined ? { fields, entities: bound.entities } : { fields, entities: bound.entities, anchor: bound.anchor }, unchecked),
      hidden: new Set([...input.scope.hidden, ...t.hidden]),
      conflicts: new Map([...input.scope.conflicts, ...t.conflicts, ...(e === undefined ? [] : e.conflicts)])
    },
    inputs: [input]
  }
}

/**
 * `expand(role, { to?, as? })` on a frame whose only entities are hyperedges (no node
 * anchor): the role expand of its hyperedge. Hops and `edgeAs` do not apply there.
 */
const roleExpandFromHyperedge = (plan: LogicalPlan.Expand, role: string, ctx: Context): Node => {
  if (plan.minHops !== 1 || plan.maxHops !== 1 || plan.edgeAlias !== undefined || plan.direction !== "out") {
    return invalidExpand(`expand("${role}") from a hyperedge frame is a role expand: hops, direction and edgeAs do not apply`)
  }
  return roleExpandNode(
    new LogicalPlan.RoleExpand({
      input: plan.input,
      toRole: role,
      optional: plan.optional,
      ...(plan.to === undefined ? {} : { to: plan.to }),
      ...(plan.alias === undefined ? {} : { alias: plan.alias })
    }, unchecked),
    ctx
  )
}

/** The kind of a role expand's target: a hyperedge when `to` names a hyperedge label only, else a node. */
export const roleTargetKind = (plan: LogicalPlan.RoleExpand, catalog: Catalog): "node" | "hyperedge" =>
  plan.to !== undefined && catalog.hyperedgeLabels.has(plan.to) && !catalog.nodeLabels.has(plan.to) ? "hyperedge" : "node"

const roleExpandNode = (plan: LogicalPlan.RoleExpand, ctx: Context): Node => {
  const input = resolveNode(plan.input, ctx)
  const schema = input.scope.schema
  const fromHyperedge = plan.fromRole === undefined
  if (fromHyperedge && !schema.entities.some((e) => e.kind === "hyperedge")) {
    return invalidExpand("expandRole without fromRole needs a hyperedge in the frame")
  }
  if (!fromHyperedge && schema.anchor === undefined) return invalidExpand("expandRole with fromRole needs a node anchor")
  const target = plan.alias ?? plan.to
  if (target === undefined) {
    return fail(new InvalidPlan({ reason: "MissingAlias", detail: "a role expand without `to` needs an alias for its target: { as: \"x\" }" }))
  }
  const targetKind = roleTargetKind(plan, ctx.catalog)
  const edge = fromHyperedge ? undefined : plan.edgeAlias ?? plan.edgeLabel
  checkQualifiers(input.scope, edge === undefined ? [target] : [target, edge], "{ as: ... } / { edgeAs: ... }")
  const t = boundFields(ctx, targetKind, plan.to, target, plan.targetColumns)
  const e = edge === undefined ? undefined : boundFields(ctx, "hyperedge", plan.edgeLabel, edge, plan.edgeColumns)
  const fields = [...schema.fields, ...t.fields, ...(e === undefined ? [] : e.fields)]
  const { anchor, entities } = Scope.retainEntities(fields, [
    ...schema.entities,
    new Entity({ qualifier: target, kind: targetKind, labels: plan.to === undefined ? [] : [plan.to] }, unchecked),
    ...(edge === undefined ? [] : [new Entity({ qualifier: edge, kind: "hyperedge", labels: plan.edgeLabel === undefined ? [] : [plan.edgeLabel] }, unchecked)])
  ], targetKind === "node" ? target : schema.anchor)
  return {
    plan: new LogicalPlan.RoleExpand({
      input: input.plan,
      toRole: plan.toRole,
      optional: plan.optional,
      alias: target,
      ...(plan.edgeLabel === undefined ? {} : { edgeLabel: plan.edgeLabel }),
      ...(plan.fromRole === undefined ? {} : { fromRole: plan.fromRole }),
      ...(plan.to === undefined ? {} : { to: plan.to }),
      ...(edge === undefined ? {} : { edgeAlias: edge }),
      ...(plan.targetColumns === undefined ? {} : { targetColumns: plan.targetColumns }),
      ...(edge === undefined || plan.edgeColumns === undefined ? {} : { edgeColumns: plan.edgeColumns })
    }, unchecked),
    scope: {
      schema: new PhysicalSchema(anchor === undefined ? { fields, entities } : { fields, entities, anchor }, unchecked),
      hidden: new Set([...input.scope.hidden, ...t.hidden]),
      conflicts: new Map([...input.scope.conflicts, ...t.conflicts, ...(e === undefined ? [] : e.conflicts)])
    },
    inputs: [input]
  }
}

const toAnnotated = (node: Node): Annotated => ({
  plan: node.plan,
  schema: node.scope.schema,
  inputs: node.inputs.map(toAnnotated)
})

const run = <A>(f: () => A): Effect.Effect<A, ExecutionError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(f())
    } catch (error) {
      if (error instanceof Scope.ResolveFailure) return Effect.fail(error.error)
      return Effect.die(error)
    }
  })

const resolveTop = (plan: LogicalPlan.LogicalPlan, catalog: Catalog, config: EngineConfig): Node => {
  const node = resolveNode(plan, { catalog, config, labelsDemand: labelsDemand(plan) })
  failOnConflicts(node.scope)
  return dropHidden(node)
}

/**
 * Resolves and validates a logical plan against a catalog: the RESOLVED plan (see the
 * module doc for its contract) and its output schema. Reads no data.
 */
export const resolve = (
  plan: LogicalPlan.LogicalPlan,
  catalog: Catalog,
  config: EngineConfig = defaultConfig
): Effect.Effect<{ readonly plan: LogicalPlan.LogicalPlan; readonly schema: PhysicalSchema }, ExecutionError> =>
  run(() => {
    const node = resolveTop(plan, catalog, config)
    return { plan: node.plan, schema: node.scope.schema }
  })

/** The output schema of a resolved (sub)plan (resolution is idempotent on resolved plans). */
export const schemaOf = (plan: LogicalPlan.LogicalPlan, catalog: Catalog): Effect.Effect<PhysicalSchema, ExecutionError> =>
  run(() => resolveNode(plan, { catalog, config: { ...defaultConfig, hopCap: Number.MAX_SAFE_INTEGER }, labelsDemand: labelsDemand(plan) }).scope.schema)

/** A resolved plan with the output schema of every node (for the physical planners). */
export const annotate = (plan: LogicalPlan.LogicalPlan, catalog: Catalog): Effect.Effect<Annotated, ExecutionError> =>
  run(() => toAnnotated(resolveNode(plan, { catalog, config: { ...defaultConfig, hopCap: Number.MAX_SAFE_INTEGER }, labelsDemand: labelsDemand(plan) })))

/** The type of a resolved expression (exact column names) over a schema. */
export const typeOf = (expr: Expr.Expr, schema: PhysicalSchema): Either.Either<DataType.DataType, ExecutionError> => {
  try {
    return Either.right(check(expr, schema).type)
  } catch (error) {
    if (error instanceof Scope.ResolveFailure) return Either.left(error.error)
    throw error
  }
}
