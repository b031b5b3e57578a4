/**
 * The Cluster service: where the distributed runtime keeps Arrow IPC objects and runs
 * stage tasks. Implemented in-process (`InProcessCluster`), by a pool of local Node
 * worker processes (`ProcessCluster`) and, later, by Ray through a bridge. The scheduler
 * (`RayExecutor`) only speaks this interface, so a new implementation needs no scheduler
 * change.
 *
 * Contract:
 * - objects are immutable byte arrays (one Arrow IPC stream per partition) named by an
 *   {@link ObjectRef}; `release` frees them (releasing an unknown ref is a no-op);
 * - `submit` runs one task and returns one output object per partition of the task's
 *   output partitioning, or fails with a {@link TaskFailure} whose `kind` is a closed
 *   enum. Interrupting the fiber of `submit` cancels the task: when the interruption
 *   completes, nothing of that task runs any more and its outputs are not kept;
 * - every worker reads the graph at the task's snapshot: the implementation makes the
 *   coordinator's storage available to its workers (shipping it when they live elsewhere).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { ObjectRef, TaskFailure, TaskResult, TaskSpec } from "./Protocol.js"

export type { ObjectRef, TaskFailure, TaskResult, TaskSpec } from "./Protocol.js"

/** A cluster. */
export interface ClusterService {
  /** A short name for EXPLAIN and placement (`in-process`, `processes`, `ray`). */
  readonly name: string
  /** How many tasks can run at once. */
  readonly parallelism: number
  /** Stores an Arrow IPC object. */
  readonly put: (bytes: Uint8Array) => Effect.Effect<ObjectRef>
  /** Reads an object; an unknown (released or lost) ref fails with `INPUT_LOST`. */
  readonly get: (ref: ObjectRef) => Effect.Effect<Uint8Array, TaskFailure>
  /** Frees objects. */
  readonly release: (refs: Iterable<ObjectRef>) => Effect.Effect<void>
  /** Runs a task; interrupting the returned effect cancels it. */
  readonly submit: (task: TaskSpec) => Effect.Effect<TaskResult, TaskFailure>
  /** Refs of every object held (tests: nothing left after a query). */
  readonly heldObjects: Effect.Effect<ReadonlyArray<ObjectRef>>
  /** Number of tasks submitted and not yet finished or cancelled (tests: zero when idle). */
  readonly runningTasks: Effect.Effect<number>
}

/** The Cluster service tag. */
export class Cluster extends Context.Tag("@grism/Cluster")<Cluster, ClusterService>() {}
