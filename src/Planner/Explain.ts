/**
 * EXPLAIN text (SEMANTICS §9): logical, optimized and physical plans as indented trees,
 * one operator per line with its arguments (`Filter((p.age > 21))`,
 * `Expand(out, KNOWS, to=Person AS f)`), two spaces per level, children in input order.
 * `explain analyze` adds each physical operator's counters from `Engine/Metrics`:
 * `[rows_in=… rows_out=… batches=… time=…ms peak_mem=…B]`.
 *
 * @since 0.1.0
 */
import * as Expr from "../Engine/Expr.js"
import * as Partitioning from "../Engine/Partitioning.js"
import type { OperatorMetrics, QueryMetrics } from "../Engine/Metrics.js"
import * as PhysicalPlan from "../Engine/PhysicalPlan.js"
import * as LogicalPlan from "../Query/LogicalPlan.js"

const list = (exprs: ReadonlyArray<Expr.Expr>): string => exprs.map(Expr.display).join(", ")

/** `expr ASC|DESC [NULLS FIRST|LAST]` (the nulls placement only when the key sets it). */
const sortKey = (k: Expr.SortKey): string =>
  `${Expr.display(k.expr)} ${k.descending ? "DESC" : "ASC"}${
    k.nullsFirst === undefined ? "" : k.nullsFirst ? " NULLS FIRST" : " NULLS LAST"
  }`

const limitArgs = (limit: number | undefined, offset: number): string =>
  limit === undefined ? `offset=${offset}` : offset === 0 ? `${limit}` : `${limit}, offset=${offset}`

const hops = (min: number, max: number): string => (min === 1 && max === 1 ? "" : `, hops=${min === max ? min : `${min}..${max}`}`)

const opt = (...parts: ReadonlyArray<string | undefined | false>): string => parts.filter((p) => typeof p === "string").join("")

const scanArgs = (
  label: string | undefined,
  alias: string | undefined,
  columns: ReadonlyArray<string> | undefined,
  limit: number | undefined
): string =>
  opt(
    label ?? "*",
    alias !== undefined && ` AS ${alias}`,
    columns !== undefined && `, columns=[${columns.join(", ")}]`,
    limit !== undefined && `, limit=${limit}`
  )

/** One line for a logical operator (without indentation). */
export const logicalLine = (p: LogicalPlan.LogicalPlan): string => {
  switch (p._tag) {
    case "NodeScan":
      return `NodeScan(${scanArgs(p.label, p.alias, p.columns, p.limit)})`
    case "HyperedgeScan":
      return `${p.binaryOnly ? "EdgeScan" : "HyperedgeScan"}(${scanArgs(p.label, p.alias, p.columns, p.limit)})`
    case "Filter":
      return `Filter(${Expr.display(p.predicate)})`
    case "Project":
      return `Project(${list(p.exprs)})`
    case "WithColumns":
      return `WithColumns(${list(p.exprs)})`
    case "Rename":
      return `Rename(${p.renamings.map((r) => `${r.from} → ${r.to}`).join(", ")})`
    case "Aggregate":
      return `Aggregate(keys=[${list(p.keys)}], aggs=[${list(p.aggregates)}])`
    case "Sort":
      return `Sort(${p.keys.map(sortKey).join(", ")}${p.fetch === undefined ? "" : `, fetch=${p.fetch}`})`
    case "Limit":
      return `Limit(${limitArgs(p.limit, p.offset)})`
    case "Union":
      return p.distinct ? "Union(distinct)" : "Union(all)"
    case "Distinct":
      return "Distinct"
    case "Expand":
      return `Expand(${
        opt(
          p.direction,
          `, ${p.edgeLabel ?? "*"}`,
          p.to !== undefined && `, to=${p.to}`,
          p.alias !== undefined && ` AS ${p.alias}`,
          p.edgeAlias !== undefined && `, edge AS ${p.edgeAlias}`,
          hops(p.minHops, p.maxHops),
          p.optional && ", optional",
          fetched(p.targetColumns, p.edgeColumns)
        )
      })`
    case "RoleExpand":
      return `RoleExpand(${
        opt(
          p.fromRole !== undefined && `${p.fromRole} → `,
          p.toRole,
          p.edgeLabel !== undefined && `, ${p.edgeLabel}`,
          p.to !== undefined && `, to=${p.to}`,
          p.alias !== undefined && ` AS ${p.alias}`,
          p.edgeAlias !== undefined && `, edge AS ${p.edgeAlias}`,
          p.optional && ", optional",
          fetched(p.targetColumns, p.edgeColumns)
        )
      })`
  }
}

/** The target / edge fields an expand fetches, when pruning restricted them. */
const fetched = (target: ReadonlyArray<string> | undefined, edge: ReadonlyArray<string> | undefined): string =>
  (target === undefined ? "" : `, columns=[${target.join(", ")}]`) + (edge === undefined ? "" : `, edgeColumns=[${edge.join(", ")}]`)

const indent = (depth: number): string => "  ".repeat(depth)

/** A logical plan as an indented tree. */
export const logical = (plan: LogicalPlan.LogicalPlan): string => {
  const lines: Array<string> = []
  const visit = (p: LogicalPlan.LogicalPlan, depth: number): void => {
    lines.push(`${indent(depth)}${logicalLine(p)}`)
    for (const c of LogicalPlan.children(p)) visit(c, depth + 1)
  }
  visit(plan, 0)
  return lines.join("\n")
}

const projected = (e: Expr.Expr, name: string | undefined): string => {
  const text = Expr.display(e)
  return name === undefined || (e._tag === "Column" && e.name === name) ? text : `${text} AS ${name}`
}

const columns = (cs: ReadonlyArray<PhysicalPlan.ScanColumn>): string => `columns=[${cs.map((c) => c.field).join(", ")}]`

/** One line for a physical operator (without indentation or metrics). */
export const physicalLine = (p: PhysicalPlan.PhysicalPlan): string => {
  switch (p._tag) {
    case "NodeScanExec":
    case "HyperedgeScanExec":
      return `${p._tag}(${
        opt(
          `${p.label ?? "*"} AS ${p.qualifier}`,
          p._tag === "HyperedgeScanExec" && p.binaryOnly && ", binary",
          `, ${columns(p.columns)}`,
          p.partition !== undefined && `, partition=${p.partition.index}/${p.partition.count}`,
          p.limit !== undefined && `, limit=${p.limit}`
        )
      })`
    case "EmptyExec":
      return "EmptyExec"
    case "FilterExec":
      return `FilterExec(${Expr.display(p.predicate)})`
    case "ProjectExec":
      return `ProjectExec(${p.exprs.map((e, i) => projected(e, p.output.fields[i]?.name)).join(", ")})`
    case "RenameExec": {
      const from = p.input.output.names
      const renamed = p.output.names.flatMap((to, i) => (from[i] !== to ? [`${from[i]} → ${to}`] : []))
      return `RenameExec(${renamed.join(", ")})`
    }
    case "LimitExec":
      return `LimitExec(${limitArgs(p.limit, p.offset)})`
    case "UnionExec":
      return "UnionExec"
    case "CollectExec":
      return "CollectExec"
    case "SortExec":
      return `SortExec(${p.keys.map(sortKey).join(", ")}${p.fetch === undefined ? "" : `, fetch=${p.fetch}`})`
    case "HashAggregateExec":
      return `HashAggregateExec(${p.mode}, keys=[${list(p.keys)}], aggs=[${
        p.aggregates.map((a) => `${a.fn}(${a.arg === undefined ? "*" : Expr.display(a.arg)}) AS ${a.name}`).join(", ")
      }])`
    case "AdjacencyExpandExec":
      return `AdjacencyExpandExec(${
        opt(
          p.direction,
          `, ${p.edgeLabel ?? "*"}`,
          `, from=${p.anchorColumn}`,
          p.toLabel !== undefined && `, to=${p.toLabel}`,
          ` AS ${p.targetQualifier}`,
          p.edgeQualifier !== undefined && `, edge AS ${p.edgeQualifier}`,
          hops(p.minHops, p.maxHops),
          p.optional && ", optional",
          p.predicate !== undefined && `, where=${Expr.display(p.predicate)}`
        )
      })`
    case "RoleExpandExec":
      return `RoleExpandExec(${
        opt(
          p.fromRole !== undefined && `${p.fromRole} → `,
          p.toRole,
          p.edgeLabel !== undefined && `, ${p.edgeLabel}`,
          `, from=${p.anchorColumn}`,
          p.toLabel !== undefined && `, to=${p.toLabel}`,
          ` AS ${p.targetQualifier} (${p.targetKind})`,
          p.edgeQualifier !== undefined && `, edge AS ${p.edgeQualifier}`,
          p.optional && ", optional",
          p.predicate !== undefined && `, where=${Expr.display(p.predicate)}`
        )
      })`
    case "ExchangeExec":
      return `ExchangeExec(${Partitioning.displayMode(p.mode)})`
    case "StageInputExec":
      return `StageInputExec(stage=${p.stage}, ${Partitioning.displayMode(p.mode)})`
  }
}

/** The analyze suffix of one operator. */
export const metricsText = (m: OperatorMetrics): string =>
  `[rows_in=${m.rowsIn} rows_out=${m.rowsOut} batches=${m.batchesOut} time=${m.elapsedMs.toFixed(2)}ms peak_mem=${m.peakMemory}B]`

/** A physical plan as an indented tree; with metrics, each line ends with its operator's counters. */
export const physical = (plan: PhysicalPlan.PhysicalPlan, metrics?: QueryMetrics): string => {
  const byId = new Map((metrics?.operators() ?? []).map((m) => [m.operatorId, m] as const))
  const lines: Array<string> = []
  const visit = (p: PhysicalPlan.PhysicalPlan, depth: number): void => {
    const m = byId.get(p.id)
    lines.push(`${indent(depth)}${physicalLine(p)}${m === undefined ? "" : ` ${metricsText(m)}`}`)
    for (const c of PhysicalPlan.children(p)) visit(c, depth + 1)
  }
  visit(plan, 0)
  return lines.join("\n")
}

/** The plans of one query, as `explain` shows them. */
export interface Plans {
  readonly logical: LogicalPlan.LogicalPlan
  readonly optimized: LogicalPlan.LogicalPlan
  readonly physical: PhysicalPlan.PhysicalPlan
}

/** The full EXPLAIN text: the three sections; with metrics (analyze), the physical plan carries the counters. */
export const render = (plans: Plans, metrics?: QueryMetrics): string =>
  [
    "== Logical Plan ==",
    logical(plans.logical),
    "== Optimized Plan ==",
    logical(plans.optimized),
    metrics === undefined ? "== Physical Plan ==" : "== Physical Plan (analyzed) ==",
    physical(plans.physical, metrics)
  ].join("\n")
