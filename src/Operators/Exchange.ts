/**
 * ExchangeExec and StageInputExec, the two ends of a stage boundary.
 *
 * - `ExchangeExec` is a pass-through when a whole plan runs in one process (the local
 *   runtime): one partition holds every row, so moving rows between partitions changes
 *   nothing. The distributed runtime never executes it: the StageSplitter cuts the plan
 *   there.
 * - `StageInputExec` is the leaf that replaces an Exchange inside a stage. Its batches
 *   come from the runtime running the stage task, which provides {@link StageInputs}.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { ExchangeExec, StageInputExec } from "../Engine/PhysicalPlan.js"

type BatchStream = Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>

/** Runs an Exchange in the local runtime: its input stream, unchanged. */
export const execute = (_node: ExchangeExec, input: BatchStream): BatchStream => input

/**
 * What a stage task reads through its `StageInputExec` leaves: the batches of the node's
 * producer stage meant for this task (see `StageInputExec` for which partitions). Provided
 * by the runtime that runs stage tasks (a worker), per task.
 */
export class StageInputs extends Context.Tag("@grism/StageInputs")<
  StageInputs,
  { readonly read: (node: StageInputExec) => Stream.Stream<Arrow.RecordBatch, ExecutionError> }
>() {}

/**
 * Runs a StageInputExec: the batches {@link StageInputs} supplies for it. Without that
 * service (the plan was not run as a stage task) this is a defect.
 */
export const executeStageInput = (node: StageInputExec): BatchStream =>
  Stream.unwrap(
    Effect.map(Effect.serviceOption(StageInputs), (inputs) =>
      Option.match(inputs, {
        onNone: () =>
          Stream.dieMessage(
            `StageInputExec ${node.id} (stage ${node.stage}) runs only inside a stage task that provides StageInputs`
          ),
        onSome: (service) => service.read(node)
      })
    )
  )
