/**
 * Runs one stage task wherever a worker lives (in the coordinator for `InProcessCluster`,
 * in a child process for `ProcessCluster`, in a Ray actor's Node process later): decodes
 * the stage's sub-plan with Schema, feeds its `StageInputExec` leaves from the task's
 * input objects (Arrow IPC), runs it with the same operators as the local runtime, splits
 * the output by the task's output partitioning and encodes each partition as Arrow IPC.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as ExecutionContext from "../Engine/ExecutionContext.js"
import { type ExecutionError, invalidPlan } from "../Engine/ExecutionError.js"
import * as Partitioning from "../Engine/Partitioning.js"
import * as PhysicalPlan from "../Engine/PhysicalPlan.js"
import type { SnapshotId, StorageService } from "../Engine/Storage.js"
import { StageInputs } from "../Operators/Exchange.js"
import * as Execute from "../Operators/Execute.js"
import { arrowSchema } from "../Operators/internal/schema.js"
import * as FrameCodec from "./FrameCodec.js"
import * as Ipc from "./internal/ipc.js"
import * as Protocol from "./Protocol.js"
import type { TaskSpec } from "./Protocol.js"

/** What a task produced: one Arrow IPC object per output partition, with its row count. */
export interface TaskOutcome {
  readonly outputs: ReadonlyArray<Uint8Array>
  readonly rows: ReadonlyArray<number>
  readonly operators: ReadonlyArray<Protocol.OperatorCounters>
  readonly runMs: number
}

const decodePlan = Schema.decodeUnknown(PhysicalPlan.PhysicalPlan)

/** Decodes the encoded sub-plan of a task; a plan that does not decode is `InvalidPlan(MalformedPlan)`. */
export const decodeTaskPlan = (plan: unknown): Effect.Effect<PhysicalPlan.PhysicalPlan, ExecutionError> =>
  Effect.mapError(decodePlan(plan), (error) => invalidPlan("MalformedPlan", `stage plan does not decode: ${error.message}`))

/** Encodes a stage sub-plan for a {@link TaskSpec}. */
export const encodeTaskPlan = (plan: PhysicalPlan.PhysicalPlan): unknown => Schema.encodeSync(PhysicalPlan.PhysicalPlan)(plan)

/**
 * Runs a task: `inputs[i]` holds the objects of `task.inputs[i]`, `storage` holds the graph
 * at `snapshot` (the worker's own id of the task's snapshot). Fails with the typed error of
 * the first operator that fails; interruption stops every operator.
 */
export const runTask = (
  task: TaskSpec,
  inputs: ReadonlyArray<ReadonlyArray<Uint8Array>>,
  storage: StorageService,
  snapshot: SnapshotId
): Effect.Effect<TaskOutcome, ExecutionError> =>
  Effect.gen(function*() {
    const started = performance.now()
    const plan = yield* decodeTaskPlan(task.plan)
    const byProducer = new Map<number, ReadonlyArray<Uint8Array>>()
    task.inputs.forEach((input, i) => byProducer.set(input.producer, [...(byProducer.get(input.producer) ?? []), ...(inputs[i] ?? [])]))
    const context = ExecutionContext.make({
      storage,
      snapshot,
      config: { batchSize: task.config.batchSize, hopCap: task.config.hopCap, memoryLimit: task.config.memoryLimit }
    })
    const stageInputs = {
      read: (node: PhysicalPlan.StageInputExec): Stream.Stream<Arrow.RecordBatch, ExecutionError> =>
        Stream.suspend(() => Stream.fromIterable((byProducer.get(node.stage) ?? []).flatMap((bytes) => Ipc.decode(bytes, task.config.batchSize))))
    }
    const spec = task.output
    const n = Partitioning.partitionCount(spec)
    const parts: Array<Array<Arrow.RecordBatch>> = Array.from({ length: n }, () => [])
    const rows = new Array<number>(n).fill(0)
    let seen = 0
    yield* Execute.execute(plan).pipe(
      Stream.provideService(StageInputs, stageInputs),
      Stream.provideService(ExecutionContext.ExecutionContext, context),
      Stream.runForEach((batch) =>
        Effect.sync(() => {
          if (batch.numRows === 0) return
          const split = Partitioning.split(spec, batch, seen)
          seen += batch.numRows
          split.forEach((part, p) => {
            if (part.numRows === 0) return
            parts[p]!.push(part)
            rows[p]! += part.numRows
          })
        })
      )
    )
    const schema = arrowSchema(plan.output)
    const outputs = parts.map((batches) => Ipc.encode(schema, batches))
    const operators = context.metrics.operators().map((m) => new Protocol.OperatorCounters({
      operatorId: m.operatorId,
      operator: m.operator,
      rowsIn: m.rowsIn,
      rowsOut: m.rowsOut,
      batchesIn: m.batchesIn,
      batchesOut: m.batchesOut,
      elapsedMs: m.elapsedMs,
      peakMemory: m.peakMemory
    }))
    return { outputs, rows, operators, runMs: performance.now() - started }
  })

// ---------------------------------------------------------------------------
// Serving tasks over a frame channel (a worker process, or a Ray actor's Node process)
// ---------------------------------------------------------------------------

/** A byte channel to the coordinator. */
export interface Channel {
  /** Sends bytes (whole frames). */
  readonly write: (bytes: Uint8Array) => void
}

/** A graph loaded in a worker: its storage and the storage's own id of the coordinator's snapshot. */
export interface LoadedGraph {
  readonly storage: StorageService
  readonly snapshot: SnapshotId
}

/** Options of {@link serve}. */
export interface ServeOptions {
  readonly channel: Channel
  /** Builds the storage of a shipped graph (the blob of a `LoadGraph` frame). */
  readonly loadGraph: (blob: Uint8Array) => Effect.Effect<LoadedGraph, ExecutionError>
  /** Test hook: every task waits this long (interruptibly) before it runs. */
  readonly taskDelayMs?: number | undefined
  /** How many shipped snapshots a worker keeps (default 4). */
  readonly keepSnapshots?: number | undefined
}

/** The frame handler of a worker: feed it the bytes read from the coordinator. */
export interface Server {
  readonly push: (chunk: Uint8Array) => void
  /** Tasks running now. */
  readonly running: () => number
  /** Interrupts every running task. */
  readonly shutdown: () => Promise<void>
}

const decodeToWorker = Schema.decodeUnknownEither(Protocol.ToWorker)
const encodeFromWorker = Schema.encodeSync(Protocol.FromWorker)

/**
 * Serves the worker protocol (see `Protocol`): loads shipped graphs, runs tasks (several
 * may run at once, interleaved), cancels them on request, and answers every frame it
 * cannot decode with a `ProtocolError` instead of crashing.
 */
export const serve = (options: ServeOptions): Server => {
  const reader = new FrameCodec.FrameReader()
  const graphs = new Map<number, Effect.Effect<LoadedGraph, ExecutionError>>()
  const fibers = new Map<number, Fiber.RuntimeFiber<TaskOutcome, ExecutionError>>()
  const keep = options.keepSnapshots ?? 4

  const send = (message: Protocol.FromWorker, blobs: ReadonlyArray<Uint8Array> = []): void => {
    try {
      options.channel.write(FrameCodec.encode(encodeFromWorker(message) as Record<string, unknown>, blobs))
    } catch (cause) {
      options.channel.write(FrameCodec.encode({ _tag: "ProtocolError", detail: `could not encode a reply: ${String(cause)}` }))
    }
  }
  const protocolError = (detail: string) => send({ _tag: "ProtocolError", detail })
  const failed = (id: number, kind: Protocol.FailureKind, detail: string, error?: ExecutionError) =>
    send(error === undefined ? { _tag: "Failed", id, kind, detail } : { _tag: "Failed", id, kind, detail, error })

  const run = (id: number, task: TaskSpec, blobs: ReadonlyArray<Uint8Array>): void => {
    const expected = task.inputs.reduce((n, input) => n + input.refs.length, 0)
    if (blobs.length !== expected) {
      return failed(id, "STAGE_ERROR", "input count mismatch", invalidPlan("MalformedPlan", `task ${id} carries ${blobs.length} inputs, expected ${expected}`))
    }
    const graph = graphs.get(task.snapshot)
    if (graph === undefined) return failed(id, "INPUT_LOST", `snapshot ${task.snapshot} was not shipped to this worker`)
    const inputs: Array<ReadonlyArray<Uint8Array>> = []
    let at = 0
    for (const input of task.inputs) {
      inputs.push(blobs.slice(at, at + input.refs.length))
      at += input.refs.length
    }
    const delay = options.taskDelayMs ?? 0
    const program = Effect.flatMap(
      delay > 0 ? Effect.zipRight(Effect.sleep(delay), graph) : graph,
      (loaded) => runTask(task, inputs, loaded.storage, loaded.snapshot)
    )
    const fiber = Effect.runFork(program)
    fibers.set(id, fiber)
    fiber.addObserver((exit) => {
      fibers.delete(id)
      if (Exit.isSuccess(exit)) {
        const outcome = exit.value
        return send(
          {
            _tag: "Done",
            id,
            outputs: outcome.outputs.map((bytes, p) => ({ rows: outcome.rows[p]!, bytes: bytes.byteLength })),
            operators: outcome.operators,
            runMs: outcome.runMs
          },
          outcome.outputs
        )
      }
      if (Cause.isInterruptedOnly(exit.cause)) return send({ _tag: "Cancelled", id })
      const error = Cause.failureOption(exit.cause)
      if (Option.isSome(error)) return failed(id, "STAGE_ERROR", error.value.message, error.value)
      return failed(id, "STAGE_ERROR", `defect: ${Cause.pretty(exit.cause)}`)
    })
  }

  const handle = (frame: FrameCodec.Frame): void => {
    const decoded = decodeToWorker(frame.header)
    if (Either.isLeft(decoded)) return protocolError(`frame does not decode: ${decoded.left.message}`)
    const message = decoded.right
    switch (message._tag) {
      case "LoadGraph": {
        const blob = frame.blobs[0]
        if (blob === undefined) return protocolError("LoadGraph without its graph blob")
        graphs.delete(message.snapshot)
        graphs.set(message.snapshot, Effect.runSync(Effect.cached(options.loadGraph(blob))))
        while (graphs.size > keep) graphs.delete(graphs.keys().next().value!)
        return
      }
      case "Run":
        return run(message.id, message.task, frame.blobs)
      case "Cancel": {
        const fiber = fibers.get(message.id)
        if (fiber !== undefined) Effect.runFork(Fiber.interrupt(fiber))
        return
      }
    }
  }

  /**
   * Reads the frames of a chunk. A frame whose body does not decode is consumed by the
   * reader and answered with a ProtocolError; the frames after it are read on. (Frames
   * completed earlier in the same chunk are lost with it: `FrameReader.push` throws
   * them away; the coordinator never sends malformed frames.)
   */
  const read = (chunk: Uint8Array): ReadonlyArray<FrameCodec.Frame> => {
    const frames: Array<FrameCodec.Frame> = []
    let next = chunk
    for (let guard = 0; guard < 1_000_000; guard++) {
      try {
        frames.push(...reader.push(next))
        return frames
      } catch (cause) {
        protocolError(cause instanceof Error ? cause.message : String(cause))
        next = new Uint8Array(0)
      }
    }
    return frames
  }

  const push = (chunk: Uint8Array): void => {
    const frames = read(chunk)
    for (const frame of frames) {
      try {
        handle(frame)
      } catch (cause) {
        protocolError(`frame handling failed: ${String(cause)}`)
      }
    }
  }

  return {
    push,
    running: () => fibers.size,
    shutdown: () => Effect.runPromise(Effect.asVoid(Fiber.interruptAll([...fibers.values()])))
  }
}
