/**
 * FilterExec: keeps the rows whose predicate is TRUE (FALSE and NULL rows are dropped);
 * batches left empty are not emitted.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Evaluator from "../Engine/Evaluator.js"
import type { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { FilterExec } from "../Engine/PhysicalPlan.js"
import { arrowSchema, conform } from "./internal/schema.js"

/** Runs the operator over its input stream. */
export const execute = (
  node: FilterExec,
  input: Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> => {
  const schema = arrowSchema(node.output)
  return input.pipe(
    Stream.filter((batch) => batch.numRows > 0),
    Stream.mapEffect((batch) =>
      Effect.map(Evaluator.filterBatch(batch, node.predicate), (kept) => conform(kept, schema, node.output))
    ),
    Stream.filter((batch) => batch.numRows > 0)
  )
}
