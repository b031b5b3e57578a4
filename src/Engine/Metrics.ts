/**
 * Per-query metrics: one set of counters per physical operator (rows in/out, batches,
 * time, peak memory). Kept in our own structure, not Effect's metric registry, which
 * never forgets a tag.
 *
 * @since 0.1.0
 */

/** Counters of one operator; operators update them as batches pass. */
export interface OperatorMetrics {
  readonly operatorId: number
  readonly operator: string
  rowsIn: number
  rowsOut: number
  batchesIn: number
  batchesOut: number
  /** Time spent in this operator's own work, milliseconds. */
  elapsedMs: number
  /** The largest reservation this operator held, bytes. */
  peakMemory: number
}

/** Counters of one distributed stage. */
export interface StageMetrics {
  readonly stage: number
  tasks: number
  attempts: number
  elapsedMs: number
  /** Rows and bytes written per output partition (skew). */
  readonly outputRows: Array<number>
  readonly outputBytes: Array<number>
  /** Which node or worker ran each task partition. */
  readonly placement: Array<string>
}

/** The metrics of one query. */
export interface QueryMetrics {
  /** The counters of an operator, created on first use. */
  readonly operator: (operatorId: number, operator: string) => OperatorMetrics
  /** The counters of a stage, created on first use. */
  readonly stage: (stage: number) => StageMetrics
  /** Every operator's counters, by operator id. */
  readonly operators: () => ReadonlyArray<OperatorMetrics>
  /** Every stage's counters. */
  readonly stages: () => ReadonlyArray<StageMetrics>
}

/** Fresh, empty metrics for one query. */
export const make = (): QueryMetrics => {
  const operators = new Map<number, OperatorMetrics>()
  const stages = new Map<number, StageMetrics>()
  return {
    operator: (operatorId, operator) => {
      let m = operators.get(operatorId)
      if (m === undefined) {
        m = { operatorId, operator, rowsIn: 0, rowsOut: 0, batchesIn: 0, batchesOut: 0, elapsedMs: 0, peakMemory: 0 }
        operators.set(operatorId, m)
      }
      return m
    },
    stage: (stage) => {
      let m = stages.get(stage)
      if (m === undefined) {
        m = { stage, tasks: 0, attempts: 0, elapsedMs: 0, outputRows: [], outputBytes: [], placement: [] }
        stages.set(stage, m)
      }
      return m
    },
    operators: () => [...operators.values()].sort((a, b) => a.operatorId - b.operatorId),
    stages: () => [...stages.values()].sort((a, b) => a.stage - b.stage)
  }
}
