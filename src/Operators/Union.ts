/**
 * UnionExec (UNION ALL): its inputs one after the other, in order. Each batch is put
 * under the output schema: columns by position, renamed to the output's names and cast
 * to its types where Grism widens implicitly (Int64 → Float64, Null → any type).
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Stream from "effect/Stream"
import type { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { UnionExec } from "../Engine/PhysicalPlan.js"
import { arrowSchema, conform } from "./internal/schema.js"

/** Runs the operator over its inputs' streams (one per `node.inputs`, same order). */
export const execute = (
  node: UnionExec,
  inputs: ReadonlyArray<Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>>
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> => {
  const schema = arrowSchema(node.output)
  return inputs.reduce<Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>>(
    (all, input) =>
      Stream.concat(
        all,
        input.pipe(
          Stream.filter((batch) => batch.numRows > 0),
          Stream.map((batch) => conform(batch, schema, node.output))
        )
      ),
    Stream.empty
  )
}
