/**
 * CollectExec: buffers its whole input, reserving the memory it holds in the query's
 * pool, then emits the buffered batches. Over the pool's limit it fails with
 * `MemoryExceeded`; the reservation is freed when the stream ends, fails or is interrupted.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Batch from "../Engine/Batch.js"
import type { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { CollectExec } from "../Engine/PhysicalPlan.js"
import { reserve } from "./internal/memory.js"
import { arrowSchema, conform } from "./internal/schema.js"

/** Runs the operator over its input stream. */
export const execute = (
  node: CollectExec,
  input: Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> =>
  Stream.unwrapScoped(
    Effect.gen(function*() {
      const schema = arrowSchema(node.output)
      const reservation = yield* reserve(node)
      const buffered: Array<Arrow.RecordBatch> = []
      yield* Stream.runForEach(input, (batch) =>
        batch.numRows === 0
          ? Effect.void
          : Effect.suspend(() => {
            const out = conform(batch, schema, node.output)
            return Effect.map(reservation.grow(Batch.byteSize(out)), () => {
              buffered.push(out)
            })
          }))
      return Stream.fromIterable(buffered)
    })
  )
