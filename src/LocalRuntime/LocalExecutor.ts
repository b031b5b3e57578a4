/**
 * The local executor: runs a physical plan in this process by streaming RecordBatches
 * through the operators, in the current `ExecutionContext`.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Batch from "../Engine/Batch.js"
import type { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { PhysicalPlan } from "../Engine/PhysicalPlan.js"
import * as Execute from "../Operators/Execute.js"
import { arrowSchema } from "../Operators/internal/schema.js"

/** Streams the result of a physical plan in the current ExecutionContext (dictionary-encoded columns decoded). */
export const execute = (plan: PhysicalPlan): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> =>
  Stream.map(Execute.execute(plan), Batch.decodeDictionaries)

/** Runs the plan to completion and returns an Arrow Table with the plan's output schema (nothing partial on failure). */
export const collect = (plan: PhysicalPlan): Effect.Effect<Arrow.Table, ExecutionError, ExecutionContext> =>
  Effect.map(Stream.runCollect(execute(plan)), (chunk) => {
    const schema = arrowSchema(plan.output)
    const batches = Chunk.toArray(chunk).filter((batch) => batch.numRows > 0)
    return new Arrow.Table(schema, batches.length > 0 ? batches : [Batch.empty(schema)])
  })
