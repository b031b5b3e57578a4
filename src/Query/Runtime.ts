/**
 * The Runtime service: runs a logical plan and explains it. `LocalRuntime.layer` and the
 * Ray runtime layers provide it; frames need nothing else, so swapping the layer swaps
 * where a query runs.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Stream from "effect/Stream"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { SnapshotId } from "../Engine/Storage.js"
import type { LogicalPlan } from "./LogicalPlan.js"

/** Options of a run: the snapshot to pin (the newest when absent). */
export interface RunOptions {
  readonly snapshot?: SnapshotId | undefined
}

/** Options of EXPLAIN. */
export interface ExplainOptions extends RunOptions {
  /** Run the query and add per-operator (and per-stage) metrics. */
  readonly analyze?: boolean | undefined
}

/** A runtime. */
export interface RuntimeService {
  /** Plans and runs a query; the stream fails with a typed error and yields nothing partial on plan-time errors. */
  readonly execute: (plan: LogicalPlan, options?: RunOptions) => Stream.Stream<Arrow.RecordBatch, ExecutionError>
  /** The logical, optimized and physical plans as text; with `analyze`, runs the query and adds metrics. */
  readonly explain: (plan: LogicalPlan, options?: ExplainOptions) => Effect.Effect<string, ExecutionError>
}

/** The Runtime service tag. */
export class Runtime extends Context.Tag("@grism/Runtime")<Runtime, RuntimeService>() {}
