/**
 * RenameExec: the input's columns, by position, under the output's names (zero-copy).
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Stream from "effect/Stream"
import type { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { RenameExec } from "../Engine/PhysicalPlan.js"
import { arrowSchema, conform } from "./internal/schema.js"

/** Runs the operator over its input stream. */
export const execute = (
  node: RenameExec,
  input: Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> => {
  const schema = arrowSchema(node.output)
  return Stream.map(input, (batch) => conform(batch, schema, node.output))
}
