/**
 * LimitExec: skips `offset` rows, then passes at most `limit` rows (all when absent),
 * slicing the boundary batches without copying. It stops pulling its input as soon as
 * the limit is reached; a limit of 0 never pulls at all.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Batch from "../Engine/Batch.js"
import type { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { LimitExec } from "../Engine/PhysicalPlan.js"
import { arrowSchema, conform } from "./internal/schema.js"

/** Rows still to skip and still to pass. */
interface State {
  readonly skip: number
  readonly remaining: number
}

/** One input batch's outcome: the rows it contributes (if any) and whether the limit is now reached. */
interface Step {
  readonly batch: Arrow.RecordBatch | undefined
  readonly done: boolean
}

const step = (state: State, batch: Arrow.RecordBatch): readonly [State, Step] => {
  const rows = batch.numRows
  if (state.skip >= rows) {
    return [{ skip: state.skip - rows, remaining: state.remaining }, { batch: undefined, done: false }]
  }
  const start = state.skip
  const end = Math.min(rows, start + state.remaining)
  const remaining = state.remaining - (end - start)
  return [{ skip: 0, remaining }, { batch: Batch.slice(batch, start, end), done: remaining <= 0 }]
}

/** Runs the operator over its input stream. */
export const execute = (
  node: LimitExec,
  input: Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> => {
  const limit = node.limit ?? Infinity
  if (limit <= 0) return Stream.empty
  const schema = arrowSchema(node.output)
  return input.pipe(
    Stream.mapAccum({ skip: Math.max(0, node.offset), remaining: limit } as State, step),
    // ends the stream (and stops pulling the input) right after the step that reached the limit
    Stream.takeUntil((s) => s.done),
    Stream.filterMap((s) =>
      s.batch !== undefined && s.batch.numRows > 0
        ? Option.some(conform(s.batch, schema, node.output))
        : Option.none()
    )
  )
}
