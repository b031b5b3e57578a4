/**
 * Minimal plan printers used by `LocalRuntime.explain` (one operator per line, indented).
 *
 * @internal
 */
import * as Expr from "../../Engine/Expr.js"
import type { QueryMetrics } from "../../Engine/Metrics.js"
import * as PhysicalPlan from "../../Engine/PhysicalPlan.js"
import * as LogicalPlan from "../../Query/LogicalPlan.js"

const list = (exprs: ReadonlyArray<Expr.Expr>) => exprs.map(Expr.display).join(", ")
const sortKeys = (keys: ReadonlyArray<Expr.SortKey>) =>
  keys.map((k) => `${Expr.display(k.expr)} ${k.descending ? "DESC" : "ASC"}`).join(", ")

const logicalLine = (p: LogicalPlan.LogicalPlan): string => {
  switch (p._tag) {
    case "NodeScan":
    case "HyperedgeScan": {
      const what = p._tag === "NodeScan" ? "NodeScan" : p.binaryOnly ? "EdgeScan" : "HyperedgeScan"
      const cols = p.columns === undefined ? "" : `, columns=[${p.columns.join(", ")}]`
      const limit = p.limit === undefined ? "" : `, limit=${p.limit}`
      return `${what}(${p.label ?? "*"}${p.alias === undefined ? "" : ` AS ${p.alias}`}${cols}${limit})`
    }
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
      return `Sort(${sortKeys(p.keys)}${p.fetch === undefined ? "" : `, fetch=${p.fetch}`})`
    case "Limit":
      return `Limit(${p.limit ?? "∞"}, offset=${p.offset})`
    case "Union":
      return p.distinct ? "Union(distinct)" : "Union(all)"
    case "Distinct":
      return "Distinct"
    case "Expand":
      return `Expand(${p.direction}, ${p.edgeLabel ?? "*"}${p.to === undefined ? "" : `, to=${p.to}`}${p.alias === undefined ? "" : ` AS ${p.alias}`})`
    case "RoleExpand":
      return `RoleExpand(${p.fromRole ?? ""}→${p.toRole})`
  }
}

/** The logical plan as an indented tree. */
export const logical = (plan: LogicalPlan.LogicalPlan, depth = 0): string =>
  [`${"  ".repeat(depth)}${logicalLine(plan)}`, ...LogicalPlan.children(plan).map((c) => logical(c, depth + 1))].join("\n")

const physicalLine = (p: PhysicalPlan.PhysicalPlan): string => {
  switch (p._tag) {
    case "NodeScanExec":
    case "HyperedgeScanExec":
      return `${p._tag}(${p.label ?? "*"} AS ${p.qualifier}, columns=[${p.columns.map((c) => c.field).join(", ")}]${p.limit === undefined ? "" : `, limit=${p.limit}`})`
    case "FilterExec":
      return `FilterExec(${Expr.display(p.predicate)})`
    case "ProjectExec":
      return `ProjectExec(${p.exprs.map((e, i) => `${Expr.display(e)} AS ${p.output.fields[i]?.name}`).join(", ")})`
    case "SortExec":
      return `SortExec(${sortKeys(p.keys)}${p.fetch === undefined ? "" : `, fetch=${p.fetch}`})`
    case "LimitExec":
      return `LimitExec(${p.limit ?? "∞"}, offset=${p.offset})`
    case "HashAggregateExec":
      return `HashAggregateExec(${p.mode}, keys=[${list(p.keys)}], aggs=[${p.aggregates.map((a) => `${a.fn}(${a.arg === undefined ? "*" : Expr.display(a.arg)}) AS ${a.name}`).join(", ")}])`
    default:
      return p._tag
  }
}

/** The physical plan as an indented tree, with per-operator metrics when given. */
export const physical = (plan: PhysicalPlan.PhysicalPlan, metrics?: QueryMetrics, depth = 0): string => {
  const m = metrics?.operators().find((o) => o.operatorId === plan.id)
  const suffix = m === undefined
    ? ""
    : ` [rows_in=${m.rowsIn}, rows_out=${m.rowsOut}, batches=${m.batchesOut}, time=${m.elapsedMs.toFixed(2)}ms, peak_mem=${m.peakMemory}]`
  return [
    `${"  ".repeat(depth)}${physicalLine(plan)}${suffix}`,
    ...PhysicalPlan.children(plan).map((c) => physical(c, metrics, depth + 1))
  ].join("\n")
}
