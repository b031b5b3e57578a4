/**
 * RoleExpandExec (placeholder until its implementation lands).
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Stream from "effect/Stream"
import type { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { RoleExpandExec } from "../Engine/PhysicalPlan.js"

/** Runs the operator over its input stream. */
export const execute = (
  node: RoleExpandExec,
  _input: Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> =>
  Stream.die(new Error(`${node._tag} is not implemented yet`))
