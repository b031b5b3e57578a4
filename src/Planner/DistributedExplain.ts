/**
 * EXPLAIN text of a distributed plan (SEMANTICS §9): every stage as
 * `Stage n (parallelism=p)`, the exchanges it reads from, its operator chain as an
 * indented tree (one operator per line with its arguments), and its output partitioning
 * with the exchange to its consumer.
 *
 * ```
 * Stage 0 (parallelism=4)
 *   HashAggregateExec(partial, keys=[f.city], aggs=[count(*) AS friends])
 *     AdjacencyExpandExec(out, KNOWS, to=Person AS f)
 *       StageInputExec(stage=…)
 *   output: Hash([f.city], 4) → Stage 1 via Shuffle(Hash([f.city], 4))
 * ```
 *
 * @since 0.1.0
 */
import * as Expr from "../Engine/Expr.js"
import * as Partitioning from "../Engine/Partitioning.js"
import * as PhysicalPlan from "../Engine/PhysicalPlan.js"
import type { Stage, StageGraph } from "./StageSplitter.js"

const list = (exprs: ReadonlyArray<Expr.Expr>) => exprs.map(Expr.display).join(", ")
const sortKeys = (keys: ReadonlyArray<Expr.SortKey>) =>
  keys.map((k) => `${Expr.display(k.expr)} ${k.descending ? "DESC" : "ASC"}`).join(", ")

const partitionText = (p: PhysicalPlan.ScanPartition | undefined) =>
  p === undefined ? "" : `, partitions=${p.count}`

/** One operator with its arguments, as EXPLAIN prints it. */
export const operatorLine = (p: PhysicalPlan.PhysicalPlan): string => {
  switch (p._tag) {
    case "NodeScanExec":
    case "HyperedgeScanExec":
      return `${p._tag}(${p.label ?? "*"} AS ${p.qualifier}, columns=[${p.columns.map((c) => c.field).join(", ")}]` +
        `${p.limit === undefined ? "" : `, limit=${p.limit}`}${partitionText(p.partition)})`
    case "EmptyExec":
      return "EmptyExec"
    case "FilterExec":
      return `FilterExec(${Expr.display(p.predicate)})`
    case "ProjectExec":
      return `ProjectExec(${p.exprs.map((e, i) => `${Expr.display(e)} AS ${p.output.fields[i]?.name}`).join(", ")})`
    case "RenameExec":
      return `RenameExec(${p.output.fields.map((f) => f.name).join(", ")})`
    case "SortExec":
      return `SortExec(${sortKeys(p.keys)}${p.fetch === undefined ? "" : `, fetch=${p.fetch}`})`
    case "LimitExec":
      return `LimitExec(${p.limit ?? "∞"}, offset=${p.offset})`
    case "UnionExec":
      return "UnionExec"
    case "CollectExec":
      return "CollectExec"
    case "HashAggregateExec":
      return `HashAggregateExec(${p.mode}, keys=[${list(p.keys)}], aggs=[${
        p.aggregates.map((a) => `${a.fn}(${a.arg === undefined ? "*" : Expr.display(a.arg)}) AS ${a.name}`).join(", ")
      }])`
    case "AdjacencyExpandExec": {
      const hops = p.minHops === 1 && p.maxHops === 1 ? "" : `, hops=${p.minHops}..${p.maxHops}`
      return `AdjacencyExpandExec(${p.direction}, ${p.edgeLabel ?? "*"}${p.toLabel === undefined ? "" : `, to=${p.toLabel}`}` +
        ` AS ${p.targetQualifier}, anchor=${p.anchorColumn}${hops}${p.optional ? ", optional" : ""})`
    }
    case "RoleExpandExec":
      return `RoleExpandExec(${p.fromRole ?? ""}→${p.toRole}, ${p.edgeLabel ?? "*"}${p.toLabel === undefined ? "" : `, to=${p.toLabel}`}` +
        ` AS ${p.targetQualifier}, anchor=${p.anchorColumn}${p.optional ? ", optional" : ""})`
    case "ExchangeExec":
      return `ExchangeExec(${Partitioning.displayMode(p.mode)})`
    case "StageInputExec":
      return `StageInputExec(Stage ${p.stage} via ${Partitioning.displayMode(p.mode)})`
  }
}

/** A plan as an indented tree, one operator per line. */
export const tree = (plan: PhysicalPlan.PhysicalPlan, depth = 0): string =>
  [`${"  ".repeat(depth)}${operatorLine(plan)}`, ...PhysicalPlan.children(plan).map((c) => tree(c, depth + 1))].join("\n")

/** The text of one stage of a graph. */
export const stage = (graph: StageGraph, s: Stage): string => {
  const consumer = s.consumer === undefined ? undefined : graph.stage(s.consumer)
  const edge = consumer?.inputs.find((i) => i.stage === s.id)
  const target = consumer === undefined || edge === undefined
    ? "result (gathered by the coordinator)"
    : `Stage ${consumer.id} via ${Partitioning.displayMode(edge.mode)}`
  const inputs = s.inputs.map((i) => `Stage ${i.stage} via ${Partitioning.displayMode(i.mode)}`).join(", ")
  return [
    `Stage ${s.id} (parallelism=${s.partitions})`,
    ...(inputs === "" ? [] : [`  inputs: ${inputs}`]),
    tree(s.plan, 1),
    `  output: ${Partitioning.display(s.output)} → ${target}`
  ].join("\n")
}

/** Every stage, producers first, separated by blank lines. */
export const explain = (graph: StageGraph): string => graph.stages.map((s) => stage(graph, s)).join("\n\n")
