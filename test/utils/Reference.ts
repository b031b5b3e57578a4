/**
 * A naive, row-at-a-time reference evaluator of logical plans, written straight from
 * `SEMANTICS.md` (§1–§5, §10). It shares no evaluation code with the engine: it imports
 * only the IR data classes (Expr, LogicalPlan, DataType, Storage input types).
 *
 * A relation is a list of rows (arrays of values aligned with the columns) plus what is
 * known about its order and determinism. Row-level runtime errors travel as values
 * ({@link ErrorValue}) and become the query's error only when something observes them
 * (a filter, a sort or group key, an aggregate argument, the final output); errors the
 * reference did not need (an untaken CASE branch, a dropped column) are "latent": an eager
 * engine may fail with them, a lazy one may not.
 */
import * as DataType from "../../src/Engine/DataType.js"
import * as Expr from "../../src/Engine/Expr.js"
import type { GraphInput } from "../../src/Engine/Storage.js"
import type * as LogicalPlan from "../../src/Query/LogicalPlan.js"
import * as Catalog from "./reference/Catalog.js"
import { compile, type Compiled, type EvalContext, PlanError, type RefColumn, resolve } from "./reference/Expressions.js"
import * as V from "./reference/Values.js"
import type { Value } from "./reference/Values.js"

export { PlanError, type RefColumn } from "./reference/Expressions.js"
export { ErrorValue, type Value } from "./reference/Values.js"

/** How much of a result is determined by the semantics: every row, only the row count, or nothing. */
export type Determinism = "full" | "count" | "none"

/** A bound entity of a relation (expands start from the anchor node or the last hyperedge). */
export interface RefBinding {
  readonly qualifier: string
  readonly kind: "node" | "hyperedge"
  readonly labels: ReadonlyArray<string>
}

/** An intermediate result of the reference evaluator. */
export interface Relation {
  readonly columns: ReadonlyArray<RefColumn>
  readonly entities: ReadonlyArray<RefBinding>
  /** The qualifier of the most recently bound node (the expand anchor). */
  readonly anchor?: string | undefined
  readonly rows: ReadonlyArray<ReadonlyArray<Value>>
  /**
   * Order knowledge: `segments[i]` is the segment of row i (non-decreasing). Rows of
   * different segments are in a specified order; within a segment the order is free.
   * Undefined: the whole order is unspecified.
   */
  readonly segments?: ReadonlyArray<number> | undefined
  readonly determinism: Determinism
}

/** A successful reference result. */
export interface ReferenceRows {
  readonly _tag: "Rows"
  /** Output column names in order. */
  readonly columns: ReadonlyArray<string>
  readonly types: ReadonlyArray<DataType.DataType>
  /** Rows keyed by output column name (Int64 as bigint, Float64 as number, lists as arrays). */
  readonly rows: ReadonlyArray<Record<string, unknown>>
  /** The order segments of the rows, when the order is specified (see {@link Relation}). */
  readonly segments?: ReadonlyArray<number> | undefined
  readonly determinism: Determinism
  /** Error tags an eager engine may legitimately fail with. */
  readonly latent: ReadonlyArray<string>
}

/** A failing reference result: `error` is the tag the engine must fail with; `allowed` lists every acceptable tag. */
export interface ReferenceError {
  readonly _tag: "Error"
  readonly error: string
  readonly allowed: ReadonlyArray<string>
  readonly detail: string
  /** Whether the error is a plan-time error (before any data is read). */
  readonly planTime: boolean
}

/** The result of {@link evaluate}. */
export type ReferenceResult = ReferenceRows | ReferenceError

interface Ctx extends EvalContext {
  readonly graph: Catalog.RefGraph
  /** Observed row-level errors. */
  readonly definite: Set<string>
}

/** Records an observed error (the row is then dropped by the caller). */
const observe = (ctx: Ctx, v: Value): v is V.ErrorValue => {
  if (V.isError(v)) {
    ctx.definite.add(v.tag)
    return true
  }
  return false
}

/** Records a computed error as latent (an eager engine raises it even if nothing reads it). */
const noteError = (ctx: Ctx, v: Value): Value => {
  if (V.isError(v)) ctx.latent.add(v.tag)
  return v
}

/** Evaluates a logical plan over a graph. */
export const evaluate = (graph: GraphInput, plan: LogicalPlan.LogicalPlan): ReferenceResult =>
  evaluateOn(Catalog.make(graph), plan)

/** Evaluates a logical plan over an already built reference graph. */
export const evaluateOn = (graph: Catalog.RefGraph, plan: LogicalPlan.LogicalPlan): ReferenceResult => {
  const ctx: Ctx = { graph, latent: new Set(), definite: new Set() }
  // Plan-time checks run first over the whole plan (no rows), as the engine does.
  try {
    schemaOf(graph, plan)
  } catch (e) {
    if (e instanceof PlanError) return { _tag: "Error", error: e.tag, allowed: [e.tag], detail: e.detail, planTime: true }
    throw e
  }
  const relation = run(ctx, plan)
  const conflict = relation.columns.find((c) => c.conflict !== undefined)
  if (conflict !== undefined) {
    return { _tag: "Error", error: "TypeMismatch", allowed: ["TypeMismatch"], detail: conflict.conflict!, planTime: true }
  }
  for (const row of relation.rows) for (const v of row) observe(ctx, v)
  if (relation.determinism !== "full") {
    // Another choice of rows may raise or avoid errors: nothing is definite.
    for (const t of ctx.definite) ctx.latent.add(t)
    ctx.definite.clear()
  }
  if (ctx.definite.size > 0) {
    const tags = [...ctx.definite].sort()
    return {
      _tag: "Error",
      error: tags[0]!,
      allowed: [...new Set([...tags, ...ctx.latent])].sort(),
      detail: "row-level error",
      planTime: false
    }
  }
  const names = relation.columns.map((c) => c.name)
  return {
    _tag: "Rows",
    columns: names,
    types: relation.columns.map((c) => c.type),
    rows: relation.rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]]))),
    segments: relation.segments,
    determinism: relation.determinism,
    latent: [...ctx.latent].sort()
  }
}

/** The output columns of a plan (names, types, qualifiers), or a thrown {@link PlanError}. Evaluates no rows. */
export const schemaOf = (graph: Catalog.RefGraph, plan: LogicalPlan.LogicalPlan): ReadonlyArray<RefColumn> =>
  run({ graph, latent: new Set(), definite: new Set() }, plan, true).columns

// ---------------------------------------------------------------------------
// Operators
// ---------------------------------------------------------------------------

const invalid = (reason: string, detail: string): never => {
  throw new PlanError("InvalidPlan", `${reason}: ${detail}`)
}

const minDet = (a: Determinism, b: Determinism): Determinism =>
  a === "none" || b === "none" ? "none" : a === "count" || b === "count" ? "count" : "full"

/** Determinism after an operator whose row count depends on row contents. */
const contentDependent = (d: Determinism): Determinism => (d === "full" ? "full" : "none")

/**
 * The entities still bound after the columns changed (select, withColumn, rename, agg,
 * union): an entity stays bound while its `q._id` column is present under its qualifier;
 * the anchor stays with its entity, else moves to the most recently bound node left.
 */
const rebind = (
  input: { readonly entities: ReadonlyArray<RefBinding>; readonly anchor?: string | undefined },
  columns: ReadonlyArray<RefColumn>
): { entities: ReadonlyArray<RefBinding>; anchor: string | undefined } => {
  const entities = input.entities.filter((e) =>
    columns.some((c) => c.qualifier === e.qualifier && c.field === "_id" && c.name === `${e.qualifier}._id`)
  )
  if (input.anchor !== undefined && entities.some((e) => e.qualifier === input.anchor)) return { entities, anchor: input.anchor }
  const nodes = entities.filter((e) => e.kind === "node")
  return { entities, anchor: nodes.length > 0 ? nodes[nodes.length - 1]!.qualifier : undefined }
}

const run = (ctx: Ctx, plan: LogicalPlan.LogicalPlan, schemaOnly = false): Relation => {
  const go = (p: LogicalPlan.LogicalPlan): Relation => run(ctx, p, schemaOnly)
  switch (plan._tag) {
    case "NodeScan":
    case "HyperedgeScan":
      return scan(ctx, plan, schemaOnly)
    case "Filter": {
      const input = go(plan.input)
      const predicate = compile(plan.predicate, input.columns)
      rejectAggregates(plan.predicate)
      if (predicate.type._tag !== "Bool" && predicate.type._tag !== "Null") {
        throw new PlanError("TypeMismatch", `filter predicate must be Bool, got ${DataType.display(predicate.type)}`)
      }
      const rows = input.rows.filter((row) => {
        const v = predicate.eval(row, ctx)
        if (observe(ctx, v)) return false
        return v === true
      })
      return { ...input, rows, segments: undefined, determinism: contentDependent(input.determinism) }
    }
    case "Project": {
      const input = go(plan.input)
      plan.exprs.forEach(rejectAggregates)
      const compiled = plan.exprs.map((e) => compile(e, input.columns))
      const columns = plan.exprs.map((e, i) => outputColumn(e, compiled[i]!, input.columns))
      checkDuplicates(columns.map((c) => c.name))
      const rows = input.rows.map((row) => compiled.map((c) => noteError(ctx, c.eval(row, ctx))))
      return { columns, ...rebind(input, columns), rows, segments: input.segments, determinism: input.determinism }
    }
    case "WithColumns": {
      const input = go(plan.input)
      plan.exprs.forEach(rejectAggregates)
      checkDuplicates(plan.exprs.map((e) => e.name))
      const compiled = plan.exprs.map((e) => compile(e.operand, input.columns))
      const columns = [...input.columns]
      const targets = plan.exprs.map((e, i) => {
        const existing = columns.findIndex((c) => c.name === e.name)
        const type = compiled[i]!.type
        if (existing >= 0) {
          // The replacing column is a computed column of that name (it no longer belongs to an entity).
          columns[existing] = { name: e.name, field: e.name, type }
          return existing
        }
        columns.push({ name: e.name, field: e.name, type })
        return columns.length - 1
      })
      const rows = input.rows.map((row) => {
        const out = [...row]
        compiled.forEach((c, i) => {
          out[targets[i]!] = noteError(ctx, c.eval(row, ctx))
        })
        return out
      })
      return { ...input, columns, ...rebind(input, columns), rows }
    }
    case "Rename": {
      const input = go(plan.input)
      const columns = [...input.columns]
      for (const r of plan.renamings) {
        const i = resolve(columns, r.from)
        const old = columns[i]!
        columns[i] = { name: r.to, field: r.to, type: old.type, conflict: old.conflict }
      }
      checkDuplicates(columns.map((c) => c.name))
      return { ...input, columns, ...rebind(input, columns) }
    }
    case "Aggregate":
      return aggregate(ctx, go(plan.input), plan)
    case "Distinct": {
      const input = go(plan.input)
      checkGroupable(input.columns, "distinct")
      return { ...dedupe(ctx, input), determinism: contentDependent(input.determinism) }
    }
    case "Sort":
      return sort(ctx, go(plan.input), plan)
    case "Limit":
      return limit(ctx, go(plan.input), plan.limit, plan.offset)
    case "Union": {
      const left = go(plan.left)
      const right = go(plan.right)
      if (left.columns.length !== right.columns.length || left.columns.some((c, i) => c.name !== right.columns[i]!.name)) {
        invalid(
          "UnionMismatch",
          `${left.columns.map((c) => c.name).join(", ")} vs ${right.columns.map((c) => c.name).join(", ")}`
        )
      }
      const columns = left.columns.map((c, i): RefColumn => {
        const r = right.columns[i]!
        const conflict = c.conflict ?? r.conflict
        const type = DataType.unify(c.type, r.type)
        if (type === undefined) {
          throw new PlanError(
            "TypeMismatch",
            `union column ${c.name}: ${DataType.display(c.type)} vs ${DataType.display(r.type)}`
          )
        }
        return { name: c.name, qualifier: c.qualifier, field: c.field, type, conflict }
      })
      const widenRow = (row: ReadonlyArray<Value>) =>
        row.map((v, i) => (columns[i]!.type._tag === "Float64" ? V.widen(v) : v))
      const all: Relation = {
        columns,
        ...rebind({ entities: left.entities.filter((e) => right.entities.some((r) => r.qualifier === e.qualifier && r.kind === e.kind)), anchor: left.anchor }, columns),
        rows: [...left.rows.map(widenRow), ...right.rows.map(widenRow)],
        determinism: minDet(left.determinism, right.determinism)
      }
      if (!plan.distinct) return all
      checkGroupable(columns, "union")
      return { ...dedupe(ctx, all), determinism: contentDependent(all.determinism) }
    }
    case "Expand":
      return expand(ctx, go(plan.input), plan, schemaOnly)
    case "RoleExpand":
      return roleExpand(ctx, go(plan.input), plan, schemaOnly)
  }
}

const scan = (
  ctx: Ctx,
  plan: LogicalPlan.NodeScan | LogicalPlan.HyperedgeScan,
  schemaOnly: boolean
): Relation => {
  const nodes = plan._tag === "NodeScan"
  const qualifier = plan.alias ?? plan.label
  if (qualifier === undefined) invalid("MissingAlias", "a scan without a label needs `as`")
  const q = qualifier!
  const types = nodes ? ctx.graph.nodeTypes : ctx.graph.hyperedgeTypes
  const props = [...Catalog.scanProperties(types, plan.label).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const system: Array<RefColumn> = [
    { name: `${q}._id`, qualifier: q, field: "_id", type: DataType.Int64 },
    { name: `${q}._label`, qualifier: q, field: "_label", type: DataType.String },
    ...(nodes ? [] : [{ name: `${q}._arity`, qualifier: q, field: "_arity", type: DataType.Int64 }])
  ]
  const columns: Array<RefColumn> = [
    ...system,
    ...props.map(([field, t]): RefColumn =>
      "type" in t
        ? { name: `${q}.${field}`, qualifier: q, field, type: t.type }
        : { name: `${q}.${field}`, qualifier: q, field, type: DataType.Null, conflict: t.conflict }
    )
  ]
  if (plan.columns !== undefined) {
    for (const c of plan.columns) {
      if (!columns.some((col) => col.field === c)) throw new PlanError("ColumnNotFound", `${q}.${c}`)
    }
  }
  const binding: RefBinding = { qualifier: q, kind: nodes ? "node" : "hyperedge", labels: plan.label === undefined ? [] : [plan.label] }
  const relation = { columns, entities: [binding], anchor: nodes ? q : undefined, determinism: "full" as const }
  if (schemaOnly) return { ...relation, rows: [] }
  const entities = (nodes ? ctx.graph.nodes : ctx.graph.hyperedges).filter((e) =>
    (plan.label === undefined || e.labels.includes(plan.label)) &&
    (nodes || plan._tag !== "HyperedgeScan" || !plan.binaryOnly || isBinary(e))
  )
  let rows = entities.map((e) => [
    e.id,
    e.labels[0]!,
    ...(nodes ? [] : [BigInt(e.bindings.length)]),
    ...props.map(([field, t]) => ("type" in t ? Catalog.convert(e.properties[field], t.type) : null))
  ])
  let determinism: Determinism = "full"
  if (plan.limit !== undefined && plan.limit < rows.length) {
    rows = rows.slice(0, plan.limit)
    determinism = "count"
  }
  return { ...relation, rows, determinism }
}

/** The hop cap of the default configuration (SEMANTICS §5: an upper bound is required). */
export const hopCap = 8

/** System and property columns of an entity bound under `q` (`_id`, `_label`, then properties by name). */
const entityColumns = (
  q: string,
  props: ReadonlyArray<readonly [string, Catalog.PropertyType]>
): Array<RefColumn> => [
  { name: `${q}._id`, qualifier: q, field: "_id", type: DataType.Int64 },
  { name: `${q}._label`, qualifier: q, field: "_label", type: DataType.String },
  ...props.map(([field, t]): RefColumn =>
    "type" in t
      ? { name: `${q}.${field}`, qualifier: q, field, type: t.type }
      : { name: `${q}.${field}`, qualifier: q, field, type: DataType.Null, conflict: t.conflict }
  )
]

const sortedProps = (types: ReadonlyMap<string, ReadonlyMap<string, DataType.DataType>>, label: string | undefined) =>
  [...Catalog.scanProperties(types, label).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

const entityValues = (
  e: Catalog.RefEntity | undefined,
  props: ReadonlyArray<readonly [string, Catalog.PropertyType]>
): Array<Value> =>
  e === undefined
    ? [null, null, ...props.map(() => null)]
    : [e.id, e.labels[0]!, ...props.map(([field, t]) => ("type" in t ? Catalog.convert(e.properties[field], t.type) : null))]

/** Binary expand (SEMANTICS §5 Expand, §10 Expand columns / Hops / Binary edge). */
const expand = (ctx: Ctx, input: Relation, plan: LogicalPlan.Expand, schemaOnly: boolean): Relation => {
  const anchor = input.anchor
  if (anchor === undefined && plan.edgeLabel !== undefined && input.entities.some((e) => e.kind === "hyperedge")) {
    // `expand(role)` on a frame with hyperedges and no node: the role expand of its hyperedge.
    if (plan.minHops !== 1 || plan.maxHops !== 1 || plan.edgeAlias !== undefined || plan.direction !== "out") {
      invalid("InvalidExpand", "hops, direction and edgeAs do not apply to expand(role) from a hyperedge")
    }
    return roleExpandRows(ctx, input, {
      toRole: plan.edgeLabel,
      optional: plan.optional,
      fromRole: undefined,
      edgeLabel: undefined,
      to: plan.to,
      alias: plan.alias,
      edgeAlias: undefined
    }, schemaOnly)
  }
  const anchorAt = anchor === undefined ? -1 : input.columns.findIndex((c) => c.name === `${anchor}._id`)
  if (anchor === undefined || anchorAt < 0) invalid("InvalidExpand", "the frame has no anchor node")
  const { minHops, maxHops } = plan
  if (!Number.isSafeInteger(minHops) || !Number.isSafeInteger(maxHops) || minHops < 1 || maxHops < minHops) {
    invalid("InvalidExpand", `hops [${minHops}, ${maxHops}]`)
  }
  if (maxHops > hopCap) invalid("HopLimitExceeded", `${maxHops} > ${hopCap}`)
  const single = minHops === 1 && maxHops === 1
  if (plan.edgeAlias !== undefined && !single) invalid("InvalidExpand", "edgeAs needs a single hop")
  const target = plan.alias ?? plan.to
  if (target === undefined) invalid("MissingAlias", "an expand without `to` needs `as`")
  const edgeQ = single ? (plan.edgeAlias ?? plan.edgeLabel) : undefined
  const qualifiers = [target!, ...(edgeQ === undefined ? [] : [edgeQ])]
  if (edgeQ === target) invalid("DuplicateQualifier", target!)
  for (const q of qualifiers) {
    const taken = input.entities.some((e) => e.qualifier === q) ||
      input.columns.some((c) => c.qualifier === q || c.name.startsWith(`${q}.`))
    if (taken) invalid("DuplicateQualifier", q)
  }
  const nodeProps = sortedProps(ctx.graph.nodeTypes, plan.to)
  // Without an edge label, the edge's properties are the union over the labels that have binary edges (§10).
  const edgeTypes = plan.edgeLabel !== undefined
    ? ctx.graph.hyperedgeTypes
    : new Map([...ctx.graph.hyperedgeTypes].filter(([label]) => ctx.graph.hyperedges.some((h) => h.labels[0] === label && isBinary(h))))
  const edgeProps = edgeQ === undefined ? [] : sortedProps(edgeTypes, plan.edgeLabel)
  const columns = [
    ...input.columns,
    ...entityColumns(target!, nodeProps),
    ...(edgeQ === undefined ? [] : entityColumns(edgeQ, edgeProps))
  ]
  checkDuplicates(columns.map((c) => c.name))
  const entities: Array<RefBinding> = [
    ...input.entities,
    { qualifier: target!, kind: "node", labels: plan.to === undefined ? [] : [plan.to] },
    ...(edgeQ === undefined ? [] : [{ qualifier: edgeQ, kind: "hyperedge" as const, labels: plan.edgeLabel === undefined ? [] : [plan.edgeLabel] }])
  ]
  const base = { columns, entities, anchor: target, segments: undefined }
  if (schemaOnly) return { ...base, rows: [], determinism: input.determinism }
  const nodesById = new Map(ctx.graph.nodes.map((n) => [n.id, n]))
  const edges = ctx.graph.hyperedges.filter((e) => isBinary(e) && (plan.edgeLabel === undefined || e.labels[0] === plan.edgeLabel))
  const endpoint = (e: Catalog.RefEntity, role: string) => e.bindings.find((b) => b.role === role)!.id
  /** One step from `from`: (edge, next node) pairs. */
  const step = (from: bigint): Array<readonly [Catalog.RefEntity, bigint]> => {
    const out: Array<readonly [Catalog.RefEntity, bigint]> = []
    for (const e of edges) {
      const source = endpoint(e, "source")
      const tgt = endpoint(e, "target")
      const forward = source === from && plan.direction !== "in"
      const backward = tgt === from && plan.direction !== "out"
      if (forward) out.push([e, tgt])
      if (backward && !(forward && source === tgt)) out.push([e, source])
    }
    return out
  }
  const rows: Array<ReadonlyArray<Value>> = []
  for (const row of input.rows) {
    const start = row[anchorAt!]
    const results: Array<readonly [Catalog.RefEntity, Catalog.RefEntity]> = [] // (last edge, final node)
    if (typeof start === "bigint") {
      const walk = (at: bigint, used: ReadonlyArray<Catalog.RefEntity>) => {
        if (used.length >= minHops) {
          const node = nodesById.get(at)
          if (node !== undefined && (plan.to === undefined || node.labels.includes(plan.to))) results.push([used[used.length - 1]!, node])
        }
        if (used.length === maxHops) return
        for (const [e, next] of step(at)) if (!used.includes(e)) walk(next, [...used, e])
      }
      walk(start, [])
    }
    for (const [edge, node] of results) {
      rows.push([...row, ...entityValues(node, nodeProps), ...(edgeQ === undefined ? [] : entityValues(edge, edgeProps))])
    }
    if (results.length === 0 && plan.optional) {
      rows.push([...row, ...entityValues(undefined, nodeProps), ...(edgeQ === undefined ? [] : entityValues(undefined, edgeProps))])
    }
  }
  return { ...base, rows, determinism: contentDependent(input.determinism) }
}

/** What a role expand asks for (the fields of `LogicalPlan.RoleExpand`). */
interface RoleExpandSpec {
  readonly toRole: string
  readonly optional: boolean
  readonly fromRole: string | undefined
  readonly edgeLabel: string | undefined
  readonly to: string | undefined
  readonly alias: string | undefined
  readonly edgeAlias: string | undefined
}

const roleExpand = (ctx: Ctx, input: Relation, plan: LogicalPlan.RoleExpand, schemaOnly: boolean): Relation =>
  roleExpandRows(ctx, input, {
    toRole: plan.toRole,
    optional: plan.optional,
    fromRole: plan.fromRole,
    edgeLabel: plan.edgeLabel,
    to: plan.to,
    alias: plan.alias,
    edgeAlias: plan.edgeAlias
  }, schemaOnly)

/** Columns of a hyperedge bound under `q`: `_id`, `_label`, `_arity`, then properties by name. */
const hyperedgeColumns = (q: string, props: ReadonlyArray<readonly [string, Catalog.PropertyType]>): Array<RefColumn> => {
  const [id, label, ...rest] = entityColumns(q, props)
  return [id!, label!, { name: `${q}._arity`, qualifier: q, field: "_arity", type: DataType.Int64 }, ...rest]
}

const hyperedgeValues = (
  e: Catalog.RefEntity | undefined,
  props: ReadonlyArray<readonly [string, Catalog.PropertyType]>
): Array<Value> => {
  const [id, label, ...rest] = entityValues(e, props)
  return [id!, label!, e === undefined ? null : BigInt(e.bindings.length), ...rest]
}

/**
 * Role expand (SEMANTICS §1, §5 Role expand). From the frame's last hyperedge (no
 * `fromRole`): one row per binding under `toRole`. From the anchor node: for each binding
 * of the anchor under `fromRole` in a hyperedge of `edgeLabel`, one row per binding under
 * `toRole` other than that same binding. Only bindings to an entity of the target's kind
 * (a hyperedge when `to` names a hyperedge label and no node label, else a node) carrying
 * `to` match. From a node, the hyperedge's columns follow under `edgeAs`, else its label.
 */
const roleExpandRows = (ctx: Ctx, input: Relation, plan: RoleExpandSpec, schemaOnly: boolean): Relation => {
  const fromHyperedge = plan.fromRole === undefined
  const hyperedgeEntities = input.entities.filter((e) => e.kind === "hyperedge")
  if (fromHyperedge && hyperedgeEntities.length === 0) invalid("InvalidExpand", "expandRole without fromRole needs a hyperedge")
  if (!fromHyperedge && input.anchor === undefined) invalid("InvalidExpand", "expandRole with fromRole needs a node anchor")
  const anchor = fromHyperedge ? hyperedgeEntities[hyperedgeEntities.length - 1]!.qualifier : input.anchor!
  const anchorAt = input.columns.findIndex((c) => c.name === `${anchor}._id`)
  if (anchorAt < 0) invalid("InvalidExpand", `no ${anchor}._id column`)
  const target = plan.alias ?? plan.to
  if (target === undefined) invalid("MissingAlias", "a role expand without `to` needs `as`")
  const hyperTarget = plan.to !== undefined && ctx.graph.hyperedgeTypes.has(plan.to) && !ctx.graph.nodeTypes.has(plan.to)
  const edgeQ = fromHyperedge ? undefined : (plan.edgeAlias ?? plan.edgeLabel)
  const qualifiers = [target!, ...(edgeQ === undefined ? [] : [edgeQ])]
  if (edgeQ === target) invalid("DuplicateQualifier", target!)
  for (const q of qualifiers) {
    const taken = input.entities.some((e) => e.qualifier === q) ||
      input.columns.some((c) => c.qualifier === q || c.name.startsWith(`${q}.`))
    if (taken) invalid("DuplicateQualifier", q)
  }
  const targetProps = sortedProps(hyperTarget ? ctx.graph.hyperedgeTypes : ctx.graph.nodeTypes, plan.to)
  const edgeProps = edgeQ === undefined ? [] : sortedProps(ctx.graph.hyperedgeTypes, plan.edgeLabel)
  const columns = [
    ...input.columns,
    ...(hyperTarget ? hyperedgeColumns(target!, targetProps) : entityColumns(target!, targetProps)),
    ...(edgeQ === undefined ? [] : hyperedgeColumns(edgeQ, edgeProps))
  ]
  checkDuplicates(columns.map((c) => c.name))
  const entities: Array<RefBinding> = [
    ...input.entities,
    { qualifier: target!, kind: hyperTarget ? "hyperedge" : "node", labels: plan.to === undefined ? [] : [plan.to] },
    ...(edgeQ === undefined ? [] : [{ qualifier: edgeQ, kind: "hyperedge" as const, labels: plan.edgeLabel === undefined ? [] : [plan.edgeLabel] }])
  ]
  const base = { columns, entities, anchor: hyperTarget ? input.anchor : target, segments: undefined }
  if (schemaOnly) return { ...base, rows: [], determinism: input.determinism }
  const nodesById = new Map(ctx.graph.nodes.map((n) => [n.id, n]))
  const hyperedgesById = new Map(ctx.graph.hyperedges.map((h) => [h.id, h]))
  const targetKind = hyperTarget ? "hyperedge" : "node"
  /** The entity bound by a binding when it is of the target's kind and carries `to`. */
  const targetOf = (b: Catalog.RefEntity["bindings"][number]): Catalog.RefEntity | undefined => {
    if (b.kind !== targetKind) return undefined
    const e = (b.kind === "node" ? nodesById : hyperedgesById).get(b.id)
    return e !== undefined && (plan.to === undefined || e.labels.includes(plan.to)) ? e : undefined
  }
  const targetValues = (e: Catalog.RefEntity | undefined) => (hyperTarget ? hyperedgeValues(e, targetProps) : entityValues(e, targetProps))
  const rows: Array<ReadonlyArray<Value>> = []
  for (const row of input.rows) {
    const id = row[anchorAt]
    const found: Array<readonly [Catalog.RefEntity, Catalog.RefEntity]> = [] // (target, hyperedge)
    if (typeof id === "bigint" && fromHyperedge) {
      const h = hyperedgesById.get(id)
      for (const b of h?.bindings ?? []) {
        const t = b.role === plan.toRole ? targetOf(b) : undefined
        if (t !== undefined) found.push([t, h!])
      }
    } else if (typeof id === "bigint") {
      for (const h of ctx.graph.hyperedges) {
        if (plan.edgeLabel !== undefined && h.labels[0] !== plan.edgeLabel) continue
        h.bindings.forEach((own, i) => {
          if (own.role !== plan.fromRole || own.kind !== "node" || own.id !== id) return
          h.bindings.forEach((b, j) => {
            if (j === i && plan.fromRole === plan.toRole) return
            const t = b.role === plan.toRole ? targetOf(b) : undefined
            if (t !== undefined) found.push([t, h])
          })
        })
      }
    }
    for (const [t, h] of found) {
      rows.push([...row, ...targetValues(t), ...(edgeQ === undefined ? [] : hyperedgeValues(h, edgeProps))])
    }
    if (found.length === 0 && plan.optional) {
      rows.push([...row, ...targetValues(undefined), ...(edgeQ === undefined ? [] : hyperedgeValues(undefined, edgeProps))])
    }
  }
  return { ...base, rows, determinism: contentDependent(input.determinism) }
}

const isBinary = (e: Catalog.RefEntity): boolean =>
  e.bindings.length === 2 &&
  e.bindings.every((b) => b.kind === "node") &&
  [...e.bindings.map((b) => b.role)].sort().join(",") === "source,target"

const hasAggregate = (e: Expr.Expr): boolean => e._tag === "Aggregate" || Expr.children(e).some(hasAggregate)

const rejectAggregates = (e: Expr.Expr): void => {
  if (hasAggregate(e)) invalid("AggregateMisuse", `${Expr.display(e)} outside agg`)
}

const checkDuplicates = (names: ReadonlyArray<string>): void => {
  const seen = new Set<string>()
  for (const n of names) {
    if (seen.has(n)) invalid("DuplicateColumn", n)
    seen.add(n)
  }
}

const checkGroupable = (columns: ReadonlyArray<RefColumn>, what: string): void => {
  for (const c of columns) {
    if (c.conflict !== undefined) throw new PlanError("TypeMismatch", c.conflict)
    if (!DataType.isOrderable(c.type)) {
      throw new PlanError("TypeMismatch", `${what} over ${c.name} of type ${DataType.display(c.type)}`)
    }
  }
}

/** The output column of a projected expression (§3 output names). */
const outputColumn = (e: Expr.Expr, compiled: Compiled, input: ReadonlyArray<RefColumn>): RefColumn => {
  if (e._tag === "Alias") return { name: e.name, field: e.name, type: compiled.type }
  if (e._tag === "Column") {
    const c = input[resolve(input, e.name)]!
    return { name: c.name, qualifier: c.qualifier, field: c.field, type: c.type }
  }
  const name = Expr.display(bindNames(e, input))
  return { name, field: name, type: compiled.type }
}

/** The expression with every column reference replaced by the full name it resolves to (for display names). */
const bindNames = (e: Expr.Expr, columns: ReadonlyArray<RefColumn>): Expr.Expr => {
  const go = (x: Expr.Expr): Expr.Expr => bindNames(x, columns)
  switch (e._tag) {
    case "Literal":
      return e
    case "Column":
      return new Expr.Column({ name: columns[resolve(columns, e.name)]!.name })
    case "Binary":
      return new Expr.Binary({ op: e.op, left: go(e.left), right: go(e.right) })
    case "Unary":
      return new Expr.Unary({ op: e.op, operand: go(e.operand) })
    case "Case":
      return new Expr.Case({
        ...(e.operand === undefined ? {} : { operand: go(e.operand) }),
        branches: e.branches.map((b) => new Expr.CaseBranch({ when: go(b.when), then: go(b.then) })),
        ...(e.otherwise === undefined ? {} : { otherwise: go(e.otherwise) })
      })
    case "In":
      return new Expr.In({ operand: go(e.operand), list: e.list.map(go) })
    case "Between":
      return new Expr.Between({ operand: go(e.operand), low: go(e.low), high: go(e.high) })
    case "Call":
      return new Expr.Call({ name: e.name, args: e.args.map(go) })
    case "Cast":
      return new Expr.Cast({ operand: go(e.operand), to: e.to })
    case "Aggregate":
      return e.arg === undefined ? e : new Expr.Aggregate({ fn: e.fn, arg: go(e.arg) })
    case "Alias":
      return new Expr.Alias({ operand: go(e.operand), name: e.name })
  }
}

/** Keeps the first row of every group of equal rows (grouping equality). */
const dedupe = (ctx: Ctx, input: Relation): Relation => {
  const seen = new Set<string>()
  const rows: Array<ReadonlyArray<Value>> = []
  for (const row of input.rows) {
    if (row.some((v) => observe(ctx, v))) continue
    const key = V.rowKey(row)
    if (seen.has(key)) continue
    seen.add(key)
    rows.push(row)
  }
  return { columns: input.columns, entities: input.entities, anchor: input.anchor, rows, determinism: input.determinism }
}

const sortComparator = (keys: ReadonlyArray<Expr.SortKey>) => (a: ReadonlyArray<Value>, b: ReadonlyArray<Value>): number => {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    const x = a[i]!
    const y = b[i]!
    if (x === null || y === null) {
      if (x === y) continue
      const nullFirst = key.nullsFirst ?? key.descending
      return (x === null) === nullFirst ? -1 : 1
    }
    const c = V.compareValues(x, y)
    if (c !== 0) return key.descending ? -c : c
  }
  return 0
}

const sort = (ctx: Ctx, input: Relation, plan: LogicalPlan.Sort): Relation => {
  plan.keys.forEach((k) => rejectAggregates(k.expr))
  const compiled = plan.keys.map((k) => compile(k.expr, input.columns))
  compiled.forEach((c, i) => {
    if (!DataType.isOrderable(c.type)) {
      throw new PlanError("TypeMismatch", `sort key ${Expr.display(plan.keys[i]!.expr)} of type ${DataType.display(c.type)}`)
    }
  })
  const keyed: Array<{ keys: Array<Value>; row: ReadonlyArray<Value> }> = []
  for (const row of input.rows) {
    const keys = compiled.map((c) => c.eval(row, ctx))
    if (keys.some((k) => observe(ctx, k))) continue
    keyed.push({ keys, row })
  }
  const cmp = sortComparator(plan.keys)
  keyed.sort((a, b) => cmp(a.keys, b.keys)) // Array.prototype.sort is stable
  const segments: Array<number> = []
  keyed.forEach((k, i) => {
    segments.push(i === 0 ? 0 : cmp(keyed[i - 1]!.keys, k.keys) === 0 ? segments[i - 1]! : segments[i - 1]! + 1)
  })
  const sorted: Relation = {
    ...input,
    rows: keyed.map((k) => k.row),
    segments,
    determinism: input.determinism
  }
  return plan.fetch === undefined ? sorted : limit(ctx, sorted, plan.fetch, 0)
}

const limit = (ctx: Ctx, input: Relation, n: number | undefined, offset: number): Relation => {
  if ((n !== undefined && (n < 0 || !Number.isInteger(n))) || offset < 0 || !Number.isInteger(offset)) {
    invalid("InvalidLimit", `limit ${n} offset ${offset}`)
  }
  const total = input.rows.length
  const start = Math.min(offset, total)
  const end = n === undefined ? total : Math.min(total, start + n)
  const segments = input.segments ?? input.rows.map(() => 0)
  // The window's multiset is determined when every segment cut by a boundary holds identical rows.
  const cutIsClean = (at: number): boolean => {
    if (at <= 0 || at >= total || segments[at - 1] !== segments[at]) return true
    const seg = segments[at]!
    const keys = new Set<string>()
    input.rows.forEach((row, i) => {
      if (segments[i] === seg) keys.add(V.rowKey(row))
    })
    return keys.size <= 1
  }
  const determined = cutIsClean(start) && cutIsClean(end)
  input.rows.forEach((row, i) => {
    if (i < start || i >= end) for (const v of row) if (V.isError(v)) ctx.latent.add(v.tag)
  })
  let determinism = input.determinism
  if (!determined && determinism === "full") determinism = "count"
  return {
    ...input,
    rows: input.rows.slice(start, end),
    segments: input.segments?.slice(start, end),
    determinism
  }
}

// ---------------------------------------------------------------------------
// Aggregation
// ---------------------------------------------------------------------------

const aggregate = (ctx: Ctx, input: Relation, plan: LogicalPlan.Aggregate): Relation => {
  plan.keys.forEach(rejectAggregates)
  const keys = plan.keys.map((k) => compile(k, input.columns))
  const keyColumns = plan.keys.map((k, i) => outputColumn(k, keys[i]!, input.columns))
  keys.forEach((k, i) => {
    if (!DataType.isOrderable(k.type)) {
      throw new PlanError("TypeMismatch", `group key ${keyColumns[i]!.name} of type ${DataType.display(k.type)}`)
    }
  })
  const aggs = plan.aggregates.map((alias) => compileAggregate(alias, input.columns))
  const columns: Array<RefColumn> = [
    ...keyColumns,
    ...plan.aggregates.map((a, i): RefColumn => ({ name: a.name, field: a.name, type: aggs[i]!.type }))
  ]
  checkDuplicates(columns.map((c) => c.name))
  const groups = new Map<string, { key: Array<Value>; rows: Array<ReadonlyArray<Value>> }>()
  for (const row of input.rows) {
    const key = keys.map((k) => k.eval(row, ctx))
    if (key.some((v) => observe(ctx, v))) continue
    const id = V.rowKey(key)
    let group = groups.get(id)
    if (group === undefined) groups.set(id, (group = { key, rows: [] }))
    group.rows.push(row)
  }
  if (keys.length === 0 && groups.size === 0) groups.set("", { key: [], rows: [] })
  const rows = [...groups.values()].map((g) => [...g.key, ...aggs.map((a) => noteError(ctx, a.run(g.rows, ctx)))])
  const determinism = keys.length === 0
    ? (input.determinism === "full" ? "full" : "count")
    : contentDependent(input.determinism)
  return { columns, ...rebind(input, columns), rows, determinism }
}

interface CompiledAggregate {
  readonly type: DataType.DataType
  readonly run: (rows: ReadonlyArray<ReadonlyArray<Value>>, ctx: Ctx) => Value
}

const compileAggregate = (alias: Expr.Alias, columns: ReadonlyArray<RefColumn>): CompiledAggregate => {
  const agg = alias.operand
  if (agg._tag !== "Aggregate") throw new Error(`reference: unsupported aggregate expression ${Expr.display(agg)}`)
  const text = Expr.display(agg)
  if (agg.arg === undefined) {
    if (agg.fn !== "count") invalid("AggregateMisuse", `${agg.fn} needs an argument`)
    return { type: DataType.Int64, run: (rows) => BigInt(rows.length) }
  }
  rejectAggregates(agg.arg)
  const arg = compile(agg.arg, columns)
  const t = arg.type
  const values = (rows: ReadonlyArray<ReadonlyArray<Value>>, ctx: Ctx): Array<Value> => {
    const out: Array<Value> = []
    for (const row of rows) {
      const v = arg.eval(row, ctx)
      if (observe(ctx, v)) continue
      if (v !== null) out.push(v)
    }
    return out
  }
  const distinct = (vs: ReadonlyArray<Value>): Array<Value> => {
    const seen = new Set<string>()
    return vs.filter((v) => {
      const k = V.keyOf(v)
      if (seen.has(k)) return false
      seen.add(k)
      return true
    })
  }
  const numeric = t._tag === "Null" || DataType.isNumeric(t)
  switch (agg.fn) {
    case "count":
      return { type: DataType.Int64, run: (rows, ctx) => BigInt(values(rows, ctx).length) }
    case "countDistinct":
      if (!DataType.isOrderable(t)) throw new PlanError("TypeMismatch", `${text} over ${DataType.display(t)}`)
      return { type: DataType.Int64, run: (rows, ctx) => BigInt(distinct(values(rows, ctx)).length) }
    case "sum":
      if (!numeric) throw new PlanError("TypeMismatch", `${text}: expected a number, got ${DataType.display(t)}`)
      return {
        type: t,
        run: (rows, ctx) => {
          const vs = values(rows, ctx)
          if (vs.length === 0) return null
          if (t._tag === "Int64") {
            let total = 0n
            let pos = 0n
            let neg = 0n
            for (const v of vs) {
              const x = v as bigint
              total += x
              if (x > 0n) pos += x
              else neg += x
            }
            if (pos > V.INT64_MAX || neg < V.INT64_MIN) ctx.latent.add("ArithmeticOverflow")
            return V.checkInt(total, text)
          }
          return vs.reduce((acc: number, v) => acc + Number(v), 0)
        }
      }
    case "avg":
      if (!numeric) throw new PlanError("TypeMismatch", `${text}: expected a number, got ${DataType.display(t)}`)
      return {
        type: DataType.Float64,
        run: (rows, ctx) => {
          const vs = values(rows, ctx)
          if (vs.length === 0) return null
          if (t._tag === "Int64") {
            let total = 0n
            let pos = 0n
            let neg = 0n
            for (const v of vs) {
              total += v as bigint
              if ((v as bigint) > 0n) pos += v as bigint
              else neg += v as bigint
            }
            if (pos > V.INT64_MAX || neg < V.INT64_MIN) ctx.latent.add("ArithmeticOverflow")
            return Number(total) / vs.length
          }
          return vs.reduce((acc: number, v) => acc + Number(v), 0) / vs.length
        }
      }
    case "min":
    case "max": {
      if (!DataType.isOrderable(t)) throw new PlanError("TypeMismatch", `${text} over ${DataType.display(t)}`)
      const sign = agg.fn === "min" ? -1 : 1
      return {
        type: t,
        run: (rows, ctx) => {
          let best: Value = null
          for (const v of values(rows, ctx)) {
            if (best === null || V.compareValues(v, best) * sign > 0) best = v
          }
          return best
        }
      }
    }
    case "collect":
      return { type: DataType.List(t), run: (rows, ctx) => values(rows, ctx) }
    case "collectDistinct":
      if (!DataType.isOrderable(t)) throw new PlanError("TypeMismatch", `${text} over ${DataType.display(t)}`)
      return { type: DataType.List(t), run: (rows, ctx) => distinct(values(rows, ctx)) }
  }
}

