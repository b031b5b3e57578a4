/**
 * NodeScanExec: reads nodes of a label from storage at the query's snapshot and names
 * the columns `qualifier.field` (the node's output schema) without copying.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { NodeScanExec } from "../Engine/PhysicalPlan.js"
import { arrowSchema, conform } from "./internal/schema.js"

/** Runs the scan (a source: it takes no input). */
export const execute = (node: NodeScanExec): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> =>
  Stream.unwrap(
    Effect.map(ExecutionContext, (context) => {
      const schema = arrowSchema(node.output)
      return context.storage
        .scanNodes(context.snapshot, {
          label: node.label,
          columns: node.columns,
          batchSize: context.config.batchSize,
          partition: node.partition,
          limit: node.limit
        })
        .pipe(Stream.map((batch) => conform(batch, schema, node.output)))
    })
  )
