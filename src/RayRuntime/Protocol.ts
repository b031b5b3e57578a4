/**
 * The messages of the distributed runtime, as Schemas: what the scheduler hands a
 * `Cluster` (a {@link TaskSpec}), what comes back ({@link TaskResult} or a
 * {@link TaskFailure} with a closed {@link FailureKind}), and the frames spoken between
 * the coordinator and a worker process ({@link ToWorker}, {@link FromWorker}). Every
 * header is decoded with these Schemas on arrival; failure kinds travel as the enum,
 * never as text to parse (RAY.md "Recovery").
 *
 * Wire protocol (one frame each, `FrameCodec`; binary payloads are blobs):
 * - worker → coordinator `Hello { version, pid }` once at start;
 * - coordinator → worker `LoadGraph { snapshot }` + one blob (the exported snapshot);
 * - coordinator → worker `Run { id, task }` + one blob per input ref, in the order of
 *   `task.inputs[*].refs`;
 * - worker → coordinator `Done { id, outputs, operators, runMs }` + one blob per output
 *   partition, or `Failed { id, kind, detail, error? }`;
 * - coordinator → worker `Cancel { id }`, answered by `Cancelled { id }` (or by the
 *   task's own `Done`/`Failed` when it finished first);
 * - worker → coordinator `ProtocolError { detail }` for a frame it could not decode.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { ExecutionError, FailureKind } from "../Engine/ExecutionError.js"
import { PartitioningSpec } from "../Engine/Partitioning.js"

export { FailureKind }

/** Version of the worker protocol; a worker greeting with another version is refused. */
export const protocolVersion = 1

/** Names one immutable Arrow IPC object held by a cluster. */
export const ObjectRef = Schema.String.pipe(Schema.brand("@grism/ObjectRef"))
/** @see ObjectRef */
export type ObjectRef = typeof ObjectRef.Type

/** The objects a task reads from one producer stage (in producer-task order). */
export class TaskInput extends Schema.Class<TaskInput>("TaskInput")({
  producer: Schema.Int,
  refs: Schema.Array(ObjectRef)
}) {}

/** The engine settings a task runs with. */
export class TaskConfig extends Schema.Class<TaskConfig>("TaskConfig")({
  batchSize: Schema.Int,
  hopCap: Schema.Int,
  memoryLimit: Schema.Number
}) {}

/**
 * One task: partition `partition` of stage `stage` (its sub-plan as encoded JSON in
 * `plan`), reading `inputs` and splitting its output by `output`. `snapshot` is the
 * coordinator's pinned snapshot; `attempt` counts from 1.
 */
export class TaskSpec extends Schema.Class<TaskSpec>("TaskSpec")({
  query: Schema.String,
  stage: Schema.Int,
  plan: Schema.Unknown,
  partition: Schema.Int,
  attempt: Schema.Int,
  inputs: Schema.Array(TaskInput),
  output: PartitioningSpec,
  snapshot: Schema.Int,
  config: TaskConfig
}) {}

/** One output partition of a task: where it is and how big. */
export class PartitionOutput extends Schema.Class<PartitionOutput>("PartitionOutput")({
  ref: ObjectRef,
  rows: Schema.Int,
  bytes: Schema.Int
}) {}

/** Per-operator counters of one task (summed into the query's metrics). */
export class OperatorCounters extends Schema.Class<OperatorCounters>("OperatorCounters")({
  operatorId: Schema.Int,
  operator: Schema.String,
  rowsIn: Schema.Number,
  rowsOut: Schema.Number,
  batchesIn: Schema.Number,
  batchesOut: Schema.Number,
  elapsedMs: Schema.Number,
  peakMemory: Schema.Number
}) {}

/** Timings of a task, milliseconds: waiting for a worker, running on it, end to end. */
export class TaskTimings extends Schema.Class<TaskTimings>("TaskTimings")({
  queuedMs: Schema.Number,
  runMs: Schema.Number,
  totalMs: Schema.Number
}) {}

/** What a successful task produced: one output per partition of `TaskSpec.output`. */
export class TaskResult extends Schema.Class<TaskResult>("TaskResult")({
  outputs: Schema.Array(PartitionOutput),
  worker: Schema.String,
  timings: TaskTimings,
  operators: Schema.Array(OperatorCounters)
}) {}

/**
 * A task that did not produce its outputs. `kind` is closed: `STAGE_ERROR` (deterministic,
 * `error` holds the typed cause), `WORKER_DIED` (retry elsewhere), `INPUT_LOST` (an input
 * ref is gone), `OOM`, `CANCELLED`, `BRIDGE_DIED`.
 */
export class TaskFailure extends Schema.TaggedError<TaskFailure>()("TaskFailure", {
  kind: FailureKind,
  worker: Schema.String,
  detail: Schema.String,
  error: Schema.optional(ExecutionError),
  /** With `INPUT_LOST`: the input refs known to be gone (absent when the cluster cannot tell). */
  lost: Schema.optional(Schema.Array(ObjectRef))
}) {
  get message(): string {
    return `Task failed (${this.kind}) on ${this.worker}: ${this.error?.message ?? this.detail}`
  }
}

// ---------------------------------------------------------------------------
// Worker process frames
// ---------------------------------------------------------------------------

/** Loads the exported snapshot in the frame's blob under the coordinator's snapshot id. */
export const LoadGraph = Schema.TaggedStruct("LoadGraph", { snapshot: Schema.Int })

/** Runs a task; input objects follow as blobs. */
export const Run = Schema.TaggedStruct("Run", { id: Schema.Int, task: TaskSpec })

/** Cancels a running task. */
export const Cancel = Schema.TaggedStruct("Cancel", { id: Schema.Int })

/** Every frame the coordinator sends a worker. */
export const ToWorker = Schema.Union(LoadGraph, Run, Cancel)
/** @see ToWorker */
export type ToWorker = typeof ToWorker.Type

/** Output counts of one partition (its bytes are the matching blob). */
export const OutputInfo = Schema.Struct({ rows: Schema.Int, bytes: Schema.Int })

/** The worker is ready. */
export const Hello = Schema.TaggedStruct("Hello", { version: Schema.Int, pid: Schema.Int })

/** A task finished; one blob per output partition. */
export const Done = Schema.TaggedStruct("Done", {
  id: Schema.Int,
  outputs: Schema.Array(OutputInfo),
  operators: Schema.Array(OperatorCounters),
  runMs: Schema.Number
})

/** A task failed. */
export const Failed = Schema.TaggedStruct("Failed", {
  id: Schema.Int,
  kind: FailureKind,
  detail: Schema.String,
  error: Schema.optional(ExecutionError)
})

/** A task was cancelled before it finished. */
export const Cancelled = Schema.TaggedStruct("Cancelled", { id: Schema.Int })

/** A frame the worker could not decode (it stays up). */
export const ProtocolError = Schema.TaggedStruct("ProtocolError", { detail: Schema.String })

/** Every frame a worker sends the coordinator. */
export const FromWorker = Schema.Union(Hello, Done, Failed, Cancelled, ProtocolError)
/** @see FromWorker */
export type FromWorker = typeof FromWorker.Type
