/**
 * EXPLAIN text of a distributed query: every stage (`Stage n (parallelism=p)`, its input
 * exchanges, its operator chain, its output partitioning); with analyze, operator counters
 * on each line and a metrics line per stage (tasks, retries, time, rows and bytes per
 * output partition, skew, placement).
 */
import type { QueryMetrics, StageMetrics } from "../../Engine/Metrics.js"
import * as DistributedExplain from "../../Planner/DistributedExplain.js"
import * as Explain from "../../Planner/Explain.js"
import type { StageGraph } from "../../Planner/StageSplitter.js"

/** Largest partition over the mean (1 = even; 0 when nothing was written). */
const skew = (rows: ReadonlyArray<number>): number => {
  const total = rows.reduce((a, b) => a + b, 0)
  if (total === 0 || rows.length === 0) return 0
  return Math.max(...rows) / (total / rows.length)
}

/** The metrics line of one stage. */
export const stageMetricsText = (m: StageMetrics): string =>
  `  metrics: tasks=${m.tasks} attempts=${m.attempts} retries=${Math.max(0, m.attempts - m.tasks)} ` +
  `time=${m.elapsedMs.toFixed(2)}ms rows=[${m.outputRows.join(", ")}] bytes=[${m.outputBytes.join(", ")}] ` +
  `shuffled=${m.outputBytes.reduce((a, b) => a + b, 0)}B skew=${skew(m.outputRows).toFixed(2)} ` +
  `placement=[${m.placement.join(", ")}]`

/** Every stage of the graph; with metrics, the analyzed form. */
export const stages = (graph: StageGraph, metrics?: QueryMetrics): string => {
  if (metrics === undefined) return DistributedExplain.explain(graph)
  const byStage = new Map(metrics.stages().map((m) => [m.stage, m] as const))
  return graph.stages
    .map((s) => {
      const lines = DistributedExplain.stage(graph, s).split("\n")
      const header = lines.filter((l) => l.startsWith("Stage ") || l.startsWith("  inputs: "))
      const output = lines.filter((l) => l.startsWith("  output: "))
      const tree = Explain.physical(s.plan, metrics).split("\n").map((l) => `  ${l}`)
      const m = byStage.get(s.id)
      return [...header, ...tree, ...output, ...(m === undefined ? [] : [stageMetricsText(m)])].join("\n")
    })
    .join("\n\n")
}
