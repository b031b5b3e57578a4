/**
 * ProjectExec: evaluates `exprs[i]` into output column i for every batch (one output
 * row per input row), casting a result to the output field's type where Grism converts
 * implicitly (Int64 → Float64, Null → any type). Empty input batches are skipped.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Batch from "../Engine/Batch.js"
import * as Evaluator from "../Engine/Evaluator.js"
import type { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { ProjectExec } from "../Engine/PhysicalPlan.js"
import { arrowSchema } from "./internal/schema.js"

/** Runs the operator over its input stream. */
export const execute = (
  node: ProjectExec,
  input: Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> => {
  const schema = arrowSchema(node.output)
  const fields = node.output.fields
  if (fields.length !== node.exprs.length) {
    return Stream.die(new Error(`${node._tag} ${node.id}: ${node.exprs.length} expressions for ${fields.length} output columns`))
  }
  return Stream.mapEffect(Stream.filter(input, (batch) => batch.numRows > 0), (batch) =>
    Effect.map(
      Effect.forEach(node.exprs, (expr, i) =>
        Effect.map(Evaluator.evaluatePreservingDictionary(expr, batch), (data) =>
          Arrow.util.compareTypes(schema.fields[i]!.type, data.type)
            ? data
            : Batch.castKeepingDictionary(data, fields[i]!.dataType)
        )),
      (columns) => Batch.make(schema, columns, batch.numRows)
    ))
}
