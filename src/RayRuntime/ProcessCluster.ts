/**
 * A Cluster backed by a pool of N long-lived child Node processes (`worker-main.ts`), one
 * task at a time per process, frames on a dedicated pipe (fd 3; stdout and stderr stay
 * for logging).
 *
 * Choices:
 * - Objects live in the coordinator's store: a task's input bytes travel with its `Run`
 *   frame and its output partitions come back in its `Done` frame. Simple and enough for
 *   one machine; a Ray cluster keeps objects in Ray instead.
 * - The graph: the first task of a snapshot on a worker is preceded by a `LoadGraph`
 *   frame holding the snapshot exported from the coordinator's storage
 *   (`internal/exportGraph`, serialized with `node:v8`), exported once per snapshot and
 *   cached; a worker rebuilds it into an in-memory storage and keeps the last few.
 * - A worker that exits (crash, signal) fails its task with `WORKER_DIED`; its slot gets a
 *   fresh process before it takes another task. A worker that sends an undecodable frame
 *   is killed and treated the same way.
 * - Interrupting `submit` sends `Cancel` and waits for the worker's answer; a worker that
 *   does not answer within `cancelGraceMs` is killed (and respawned).
 *
 * @since 0.1.0
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createRequire } from "node:module"
import type * as net from "node:net"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as v8 from "node:v8"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import { Storage, type StorageService } from "../Engine/Storage.js"
import { Cluster, type ClusterService } from "./Cluster.js"
import * as FrameCodec from "./FrameCodec.js"
import { exportGraph } from "./internal/exportGraph.js"
import * as ObjectStore from "./internal/objectStore.js"
import * as Protocol from "./Protocol.js"
import { PartitionOutput, TaskFailure, TaskResult, type TaskSpec, TaskTimings } from "./Protocol.js"

/** Options of the process pool. */
export interface ProcessClusterOptions {
  /** Number of worker processes. */
  readonly workers: number
  /** How long a cancelled task may take to stop before its worker is killed (default 2000 ms). */
  readonly cancelGraceMs?: number | undefined
  /** How long a new worker may take to greet (default 30 s). */
  readonly startTimeoutMs?: number | undefined
  /** Test hook: every task waits this long in its worker before running. */
  readonly taskDelayMs?: number | undefined
  /** Test hook: called when a task's `Run` frame has been sent to a worker. */
  readonly onTaskSent?: ((sent: { readonly worker: string; readonly pid: number; readonly task: TaskSpec }) => void) | undefined
}

/** The process cluster, with introspection of its processes. */
export interface ProcessClusterService extends ClusterService {
  /** Pids of the live workers, by slot. */
  readonly pids: Effect.Effect<ReadonlyArray<number>>
  /** Pids of every process the pool ever started. */
  readonly spawned: Effect.Effect<ReadonlyArray<number>>
  /** Protocol errors the workers reported (details), oldest first. */
  readonly protocolErrors: Effect.Effect<ReadonlyArray<string>>
  /** Test hook: writes raw bytes to the worker of `slot`. */
  readonly sendRaw: (slot: number, bytes: Uint8Array) => Effect.Effect<void>
}

type Reply =
  | { readonly _tag: "Message"; readonly message: Protocol.FromWorker; readonly blobs: ReadonlyArray<Uint8Array> }
  | { readonly _tag: "Exit"; readonly detail: string }

interface WorkerProcess {
  readonly id: string
  readonly pid: number
  readonly child: ChildProcess
  readonly socket: net.Socket
  readonly loaded: Set<number>
  readonly replies: Map<number, (reply: Reply) => void>
  readonly exited: Deferred.Deferred<void>
  alive: boolean
}

const decodeFromWorker = Schema.decodeUnknownEither(Protocol.FromWorker)
const encodeToWorker = Schema.encodeSync(Protocol.ToWorker)

/** How to start `worker-main`: the `.ts` source through tsx when running from sources, the built `.js` otherwise. */
const workerCommand = (): ReadonlyArray<string> => {
  const fromSources = import.meta.url.endsWith(".ts")
  const entry = fileURLToPath(new URL(fromSources ? "./worker-main.ts" : "./worker-main.js", import.meta.url))
  if (!fromSources) return [entry]
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href
  return ["--import", tsx, entry]
}

/** Builds the pool in `scope`: starts `workers` processes; closing the scope kills them all. */
export const make = (
  storage: StorageService,
  options: ProcessClusterOptions
): Effect.Effect<ProcessClusterService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const count = Math.max(1, options.workers)
    const cancelGraceMs = options.cancelGraceMs ?? 2000
    const startTimeoutMs = options.startTimeoutMs ?? 30_000
    const command = workerCommand()
    const store = ObjectStore.make("proc")
    const spawnedPids: Array<number> = []
    const protocolErrors: Array<string> = []
    const graphs = new Map<number, Effect.Effect<Uint8Array, ExecutionError>>()
    let closing = false
    let generation = 0
    let nextTask = 0
    let running = 0

    /** Starts one worker and waits for its Hello. */
    const start = (slot: number): Effect.Effect<WorkerProcess> =>
      Effect.gen(function*() {
        const hello = yield* Deferred.make<void, string>()
        const exited = yield* Deferred.make<void>()
        const env: Record<string, string | undefined> = { ...process.env }
        if (options.taskDelayMs !== undefined) env["GRISM_WORKER_TASK_DELAY_MS"] = String(options.taskDelayMs)
        const child = spawn(process.execPath, [...command], { stdio: ["ignore", "inherit", "inherit", "pipe"], env })
        const socket = child.stdio[3] as net.Socket
        const worker: WorkerProcess = {
          id: `worker-${slot}.${generation++}`,
          pid: child.pid ?? -1,
          child,
          socket,
          loaded: new Set(),
          replies: new Map(),
          exited,
          alive: true
        }
        spawnedPids.push(worker.pid)
        const reader = new FrameCodec.FrameReader()
        const broken = (detail: string) => {
          protocolErrors.push(`${worker.id}: ${detail}`)
          child.kill("SIGKILL")
        }
        socket.on("data", (chunk: Buffer) => {
          let frames: ReadonlyArray<FrameCodec.Frame>
          try {
            frames = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
          } catch (cause) {
            return broken(`undecodable frame from the worker: ${String(cause)}`)
          }
          for (const frame of frames) {
            const decoded = decodeFromWorker(frame.header)
            if (Either.isLeft(decoded)) return broken(`frame from the worker does not decode: ${decoded.left.message}`)
            const message = decoded.right
            switch (message._tag) {
              case "Hello":
                if (message.version !== Protocol.protocolVersion) {
                  Deferred.unsafeDone(hello, Exit.fail(`protocol version ${message.version}, expected ${Protocol.protocolVersion}`))
                } else Deferred.unsafeDone(hello, Exit.void)
                break
              case "ProtocolError":
                protocolErrors.push(`${worker.id}: ${message.detail}`)
                break
              default:
                worker.replies.get(message.id)?.({ _tag: "Message", message, blobs: frame.blobs })
            }
          }
        })
        socket.on("error", () => {})
        child.on("error", (error) => {
          Deferred.unsafeDone(hello, Exit.fail(`could not start: ${error.message}`))
        })
        child.on("exit", (code, signal) => {
          worker.alive = false
          const detail = `${worker.id} (pid ${worker.pid}) exited (${signal ?? `code ${code}`})`
          Deferred.unsafeDone(hello, Exit.fail(detail))
          for (const reply of [...worker.replies.values()]) reply({ _tag: "Exit", detail })
          Deferred.unsafeDone(exited, Exit.void)
        })
        const greeted = yield* Deferred.await(hello).pipe(
          Effect.timeoutFail({ duration: startTimeoutMs, onTimeout: () => `no hello within ${startTimeoutMs} ms` }),
          Effect.either
        )
        if (Either.isLeft(greeted)) {
          child.kill("SIGKILL")
          return yield* Effect.dieMessage(`ProcessCluster: worker ${worker.id} failed to start: ${greeted.left}`)
        }
        return worker
      })

    const kill = (worker: WorkerProcess): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (worker.alive) worker.child.kill("SIGKILL")
        return Deferred.await(worker.exited)
      })

    const slots: Array<WorkerProcess> = yield* Effect.forEach(
      Array.from({ length: count }, (_, i) => i),
      start,
      { concurrency: "unbounded" }
    )
    const idle = yield* Queue.unbounded<number>()
    yield* Queue.offerAll(idle, slots.map((_, i) => i))

    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        closing = true
        yield* Effect.forEach(slots, (worker) =>
          Effect.suspend(() => {
            worker.socket.end()
            return Deferred.await(worker.exited).pipe(
              Effect.timeout(1000),
              Effect.catchAll(() => kill(worker))
            )
          }), { concurrency: "unbounded", discard: true })
        yield* Queue.shutdown(idle)
      })
    )

    /** The live worker of a slot, starting a new one when it died. */
    const ensure = (slot: number): Effect.Effect<WorkerProcess> =>
      Effect.suspend(() => {
        const current = slots[slot]!
        if (current.alive || closing) return Effect.succeed(current)
        return Effect.tap(start(slot), (fresh) => {
          slots[slot] = fresh
        })
      })

    const graphBlob = (snapshot: number): Effect.Effect<Uint8Array, ExecutionError> => {
      let cached = graphs.get(snapshot)
      if (cached === undefined) {
        cached = Effect.runSync(
          Effect.cached(Effect.map(exportGraph(storage, snapshot), (graph) => new Uint8Array(v8.serialize(graph))))
        )
        graphs.set(snapshot, cached)
        while (graphs.size > 4) graphs.delete(graphs.keys().next().value!)
      }
      return cached
    }

    /** Cancels task `id` on `worker`: asks, waits for its answer, kills it when it does not answer in time. */
    const cancel = (worker: WorkerProcess, id: number, reply: Deferred.Deferred<Reply>): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (!worker.alive) return
        worker.socket.write(FrameCodec.encode(encodeToWorker({ _tag: "Cancel", id }) as Record<string, unknown>))
        const answered = yield* Deferred.await(reply).pipe(Effect.timeout(cancelGraceMs), Effect.option)
        if (answered._tag === "None") yield* kill(worker)
      })

    const runOn = (
      slot: number,
      task: TaskSpec,
      inputs: ReadonlyArray<Uint8Array>,
      submitted: number
    ): Effect.Effect<TaskResult, TaskFailure> =>
      Effect.gen(function*() {
        const worker = yield* ensure(slot)
        const queuedMs = performance.now() - submitted
        if (!worker.loaded.has(task.snapshot)) {
          const blob = yield* Effect.mapError(
            graphBlob(task.snapshot),
            (error) => new TaskFailure({ kind: "STAGE_ERROR", worker: "coordinator", detail: error.message, error })
          )
          if (worker.alive) {
            worker.socket.write(
              FrameCodec.encode(encodeToWorker({ _tag: "LoadGraph", snapshot: task.snapshot }) as Record<string, unknown>, [blob])
            )
          }
          worker.loaded.add(task.snapshot)
        }
        const id = nextTask++
        const reply = yield* Deferred.make<Reply>()
        worker.replies.set(id, (r) => Deferred.unsafeDone(reply, Exit.succeed(r)))
        if (!worker.alive) Deferred.unsafeDone(reply, Exit.succeed({ _tag: "Exit", detail: `${worker.id} is not running` }))
        else {
          worker.socket.write(FrameCodec.encode(encodeToWorker({ _tag: "Run", id, task }) as Record<string, unknown>, inputs))
          options.onTaskSent?.({ worker: worker.id, pid: worker.pid, task })
        }
        const answer = yield* Deferred.await(reply).pipe(
          Effect.onInterrupt(() => cancel(worker, id, reply)),
          Effect.ensuring(Effect.sync(() => worker.replies.delete(id)))
        )
        if (answer._tag === "Exit") {
          return yield* Effect.fail(new TaskFailure({ kind: "WORKER_DIED", worker: worker.id, detail: answer.detail }))
        }
        const message = answer.message
        switch (message._tag) {
          case "Done": {
            if (answer.blobs.length !== message.outputs.length) {
              yield* kill(worker)
              return yield* Effect.fail(
                new TaskFailure({ kind: "WORKER_DIED", worker: worker.id, detail: "Done frame with the wrong number of outputs" })
              )
            }
            const outputs = answer.blobs.map((bytes, p) =>
              // Copy out of the frame so the stored object does not pin the whole frame buffer.
              new PartitionOutput({ ref: store.putSync(bytes.slice()), rows: message.outputs[p]!.rows, bytes: bytes.byteLength })
            )
            return new TaskResult({
              outputs,
              worker: worker.id,
              timings: new TaskTimings({ queuedMs, runMs: message.runMs, totalMs: performance.now() - submitted }),
              operators: message.operators
            })
          }
          case "Failed":
            return yield* Effect.fail(
              new TaskFailure(
                message.error === undefined
                  ? { kind: message.kind, worker: worker.id, detail: message.detail }
                  : { kind: message.kind, worker: worker.id, detail: message.detail, error: message.error }
              )
            )
          default:
            return yield* Effect.fail(new TaskFailure({ kind: "CANCELLED", worker: worker.id, detail: "task was cancelled" }))
        }
      })

    const submit = (task: TaskSpec): Effect.Effect<TaskResult, TaskFailure> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const submitted = performance.now()
          running++
          const inputs = yield* restore(Effect.forEach(task.inputs.flatMap((input) => input.refs), store.get))
          const slot = yield* restore(Queue.take(idle))
          return yield* restore(runOn(slot, task, inputs, submitted)).pipe(
            Effect.ensuring(
              // A slot whose worker died gets a fresh process before it takes another task.
              Effect.zipRight(Effect.catchAllCause(ensure(slot), () => Effect.void), Queue.offer(idle, slot))
            )
          )
        }).pipe(Effect.ensuring(Effect.sync(() => running--)))
      )

    return {
      name: "processes",
      parallelism: count,
      put: store.put,
      get: store.get,
      release: store.release,
      submit,
      heldObjects: store.held,
      runningTasks: Effect.sync(() => running),
      pids: Effect.sync(() => slots.filter((w) => w.alive).map((w) => w.pid)),
      spawned: Effect.sync(() => [...spawnedPids]),
      protocolErrors: Effect.sync(() => [...protocolErrors]),
      sendRaw: (slot, bytes) =>
        Effect.sync(() => {
          slots[slot]?.socket.write(bytes)
        })
    }
  })

/** The process pool as a layer over the Storage service; the layer's scope owns the processes. */
export const layer = (options: ProcessClusterOptions): Layer.Layer<Cluster, never, Storage> =>
  Layer.scoped(Cluster, Effect.flatMap(Storage, (storage) => make(storage, options)))
