/**
 * EmptyExec: a source that emits no batches.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Stream from "effect/Stream"
import type { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { EmptyExec } from "../Engine/PhysicalPlan.js"

/** Runs the operator: no batches. */
export const execute = (_node: EmptyExec): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> =>
  Stream.empty
