/**
 * The metrics wrapper the dispatcher puts around every operator's stream.
 *
 * Per emitted batch it counts `batchesOut` / `rowsOut` of the node and `batchesIn` /
 * `rowsIn` of its parent (so a node's input counts are exactly its children's output).
 * Time is measured per pull: from the moment the consumer asks for the next batch to the
 * moment it gets it. The wrapper adds that time to the parent's "time in children", and
 * records as the node's `elapsedMs` its pull time minus the time its own children took in
 * the meantime, i.e. the operator's own time excluding its inputs (and excluding the time
 * its consumer spends between pulls). Batches are conformed to the node's output schema.
 *
 * @internal
 */
import type * as Arrow from "apache-arrow"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { ExecutionContext } from "../../Engine/ExecutionContext.js"
import type { ExecutionError } from "../../Engine/ExecutionError.js"
import type { OperatorMetrics } from "../../Engine/Metrics.js"
import type { PhysicalPlan } from "../../Engine/PhysicalPlan.js"
import { arrowSchema, conform } from "./schema.js"

/** Milliseconds spent inside the pulls of an operator's children, per metrics record (per query). */
const childTime = new WeakMap<OperatorMetrics, { ms: number }>()

const timingOf = (metrics: OperatorMetrics): { ms: number } => {
  let timing = childTime.get(metrics)
  if (timing === undefined) {
    timing = { ms: 0 }
    childTime.set(metrics, timing)
  }
  return timing
}

/** Wraps the stream of `node` (whose consumer is `parent`, if any) to record its metrics and conform its batches. */
export const instrument = (
  node: PhysicalPlan,
  parent: PhysicalPlan | undefined,
  stream: Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> =>
  Stream.fromPull(
    Effect.gen(function*() {
      const context = yield* ExecutionContext
      const own = context.metrics.operator(node.id, node._tag)
      const up = parent === undefined ? undefined : context.metrics.operator(parent.id, parent._tag)
      const ownChildren = timingOf(own)
      const upChildren = up === undefined ? undefined : timingOf(up)
      const schema = arrowSchema(node.output)
      const pull = yield* Stream.toPull(stream)
      const record = (chunk: Chunk.Chunk<Arrow.RecordBatch>): Chunk.Chunk<Arrow.RecordBatch> => {
        const out = Chunk.map(chunk, (batch) => conform(batch, schema, node.output))
        for (const batch of out) {
          own.batchesOut++
          own.rowsOut += batch.numRows
          if (up !== undefined) {
            up.batchesIn++
            up.rowsIn += batch.numRows
          }
        }
        return out
      }
      return Effect.suspend(() => {
        const childrenBefore = ownChildren.ms
        const start = performance.now()
        return pull.pipe(
          Effect.map(record),
          Effect.ensuring(
            Effect.sync(() => {
              const spent = performance.now() - start
              own.elapsedMs += Math.max(0, spent - (ownChildren.ms - childrenBefore))
              if (upChildren !== undefined) upChildren.ms += spent
            })
          )
        )
      })
    })
  )
