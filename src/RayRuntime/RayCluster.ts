/**
 * A Cluster on a real Ray, through the Python bridge (`python/bridge.py`, spawned and owned
 * by this module's scope). Objects live in Ray's object store as Arrow IPC payloads named
 * by the bridge's string refs; each task runs on one of `workers` async Ray actors
 * (`python/grism_actor.py`, one CPU each), which owns a long-lived Node worker process
 * (`worker-main.ts`) that runs the stage with the same operators as every other cluster.
 *
 * Choices:
 * - With no `address` a local Ray is started (2 CPUs, no dashboard, usage stats off, every
 *   socket on 127.0.0.1 — asserted unless `loopbackOnly: false`) in a short temp dir that
 *   is removed on close. With an `address` the bridge connects and only its own actors are
 *   stopped. Closing never runs `ray stop`.
 * - The graph: each snapshot is exported once (`internal/exportGraph`, `node:v8`), put into
 *   Ray, and passed to every task of that snapshot; an actor ships it to its Node worker on
 *   first use.
 * - At most `workers` tasks are submitted at once and the bridge sends each to the least
 *   busy actor, so no task waits in an actor queue where it could not be rescheduled.
 * - Failure kinds arrive as the closed enum. The bridge's death fails every pending call
 *   with `BRIDGE_DIED` as soon as the process exits; every ref is then gone. A bridge that
 *   stops answering pings (`heartbeatTimeoutMs`) is killed and treated the same way.
 * - `put` and `release` have no error channel in `ClusterService`: `put` on a dead bridge
 *   is a defect carrying the `BRIDGE_DIED` failure, `release` on a dead bridge is a no-op.
 *
 * Needs a Python with `ray==2.58.0`: `scripts/ray-venv.sh` builds `.venv-ray/`;
 * `GRISM_RAY_PYTHON` or the `python` option points elsewhere.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import { createRequire } from "node:module"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as v8 from "node:v8"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { ExecutionError, WorkerFailure } from "../Engine/ExecutionError.js"
import * as Partitioning from "../Engine/Partitioning.js"
import { Storage, type StorageService } from "../Engine/Storage.js"
import { Cluster, type ClusterService } from "./Cluster.js"
import { type Bridge, BridgeFailure, spawn, type TaskEvent } from "./internal/bridge.js"
import { exportGraph } from "./internal/exportGraph.js"
import {
  type ObjectRef,
  OperatorCounters,
  PartitionOutput,
  TaskFailure,
  TaskResult,
  TaskSpec,
  TaskTimings
} from "./Protocol.js"

/** Options of the Ray cluster. */
export interface RayClusterOptions {
  /** Address of a running Ray (`host:port` of its GCS); a local Ray is started when absent. */
  readonly address?: string | undefined
  /** Number of worker actors (one CPU each; default 2). */
  readonly workers?: number | undefined
  /** Object store size of a local Ray (default 512 MiB). */
  readonly objectStoreBytes?: number | undefined
  /** CPUs of a local Ray (default `workers`). */
  readonly numCpus?: number | undefined
  /** Python interpreter with ray 2.58.0 (default `GRISM_RAY_PYTHON`, else `<repo>/.venv-ray/bin/python`). */
  readonly python?: string | undefined
  /**
   * Keep Ray on 127.0.0.1 and refuse nodes elsewhere (default: true when starting a local
   * Ray or connecting to a loopback address). Without it Ray binds every interface and
   * rewrites a loopback address into the machine's external one.
   */
  readonly loopbackOnly?: boolean | undefined
  /** How long starting Ray (or connecting to it) and the workers may take (default 180 s, 60 s to connect). */
  readonly startTimeoutMs?: number | undefined
  /** How often the bridge looks for dead nodes (default 1000 ms). */
  readonly nodePollMs?: number | undefined
  /** Extra environment of the bridge and the Ray it starts (e.g. `RAY_health_check_*`). */
  readonly rayEnv?: Readonly<Record<string, string>> | undefined
  /** Extra environment of the Node workers (e.g. `GRISM_WORKER_TASK_DELAY_MS` in tests). */
  readonly workerEnv?: Readonly<Record<string, string>> | undefined
  /** How long an interrupted task may take to report its end before it is abandoned (default 10 s). */
  readonly cancelWaitMs?: number | undefined
  /** A bridge that answers no ping for this long is killed and treated as dead (default 30 s). */
  readonly heartbeatTimeoutMs?: number | undefined
  /** Forward the bridge's stderr (Ray's driver logs) to this process's stderr. */
  readonly verbose?: boolean | undefined
}

/** One Ray node as the bridge sees it. */
export interface RayNode {
  readonly nodeId: string
  readonly address: string
  readonly alive: boolean
  readonly cpus: number
}

/** The Ray cluster, with introspection for tests and EXPLAIN. */
export interface RayClusterService extends ClusterService {
  /** The GCS address of the Ray in use. */
  readonly address: string
  /** Whether this cluster started the Ray it uses (and stops it on close). */
  readonly startedLocal: boolean
  /** The bridge's pid. */
  readonly bridgePid: number
  /** Time to start (or connect to) Ray and to start the workers, milliseconds. */
  readonly startup: { readonly rayMs: number; readonly workersMs: number }
  /** The nodes of the Ray cluster. */
  readonly nodes: Effect.Effect<ReadonlyArray<RayNode>, TaskFailure>
  /** Node ids reported dead since start, oldest first. */
  readonly nodeDeaths: Effect.Effect<ReadonlyArray<string>>
  /** Pid of each worker actor's Node process (0 when none is running). */
  readonly workerPids: Effect.Effect<ReadonlyArray<number>, TaskFailure>
  /** Objects and tasks the bridge holds (tests: nothing left after a query). */
  readonly ping: Effect.Effect<{ readonly refs: number; readonly tasks: number }, TaskFailure>
  /** Pids of the processes the bridge started that are still alive (tests: none after close). */
  readonly trackedProcesses: Effect.Effect<ReadonlyArray<number>>
}

/** Whether `host:port` names this machine's loopback. */
const isLoopback = (address: string): boolean => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$/.test(address.trim())

const repoRoot = fileURLToPath(new URL("../../", import.meta.url))

/** The bridge script: beside this module in sources, under `src/` when running from `dist/`. */
const bridgeScript = (): string => {
  const beside = fileURLToPath(new URL("./python/bridge.py", import.meta.url))
  return fs.existsSync(beside) ? beside : `${repoRoot}src/RayRuntime/python/bridge.py`
}

/** The Python to run the bridge with. */
const defaultPython = (): string => process.env["GRISM_RAY_PYTHON"] ?? `${repoRoot}.venv-ray/bin/python`

/** How an actor starts `worker-main`: the `.ts` source through tsx from sources, the built `.js` otherwise. */
const workerCommand = (): ReadonlyArray<string> => {
  const fromSources = import.meta.url.endsWith(".ts")
  const entry = fileURLToPath(new URL(fromSources ? "./worker-main.ts" : "./worker-main.js", import.meta.url))
  if (!fromSources) return [process.execPath, entry]
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href
  return [process.execPath, "--import", tsx, entry]
}

const encodeTask = Schema.encodeSync(TaskSpec)
const decodeOperators = Schema.decodeUnknownOption(Schema.Array(OperatorCounters))
const decodeError = Schema.decodeUnknownOption(ExecutionError)

const toTaskFailure = (failure: BridgeFailure): TaskFailure =>
  new TaskFailure({ kind: failure.kind, worker: "ray-bridge", detail: failure.detail })

const toStartFailure = (what: string) => (failure: BridgeFailure): WorkerFailure =>
  new WorkerFailure({ kind: failure.kind === "BRIDGE_DIED" ? "BRIDGE_DIED" : failure.kind, detail: `${what}: ${failure.detail}` })

const awaitEvent = (promise: Promise<TaskEvent>): Effect.Effect<TaskEvent, BridgeFailure> =>
  Effect.async<TaskEvent, BridgeFailure>((resume) => {
    promise.then(
      (event) => resume(Effect.succeed(event)),
      (failure: BridgeFailure) => resume(Effect.fail(failure))
    )
  })

const num = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0)

/**
 * Starts the bridge, Ray (or connects to `address`) and the worker actors in `scope`;
 * closing the scope stops the workers, the Ray it started and the bridge. Fails with
 * `WorkerFailure(BRIDGE_DIED)` when any of them cannot start.
 */
export const make = (
  storage: StorageService,
  options: RayClusterOptions = {}
): Effect.Effect<RayClusterService, WorkerFailure, Scope.Scope> =>
  Effect.gen(function*() {
    const workers = Math.max(1, options.workers ?? 2)
    const local = options.address === undefined
    const loopbackOnly = options.loopbackOnly ?? (local || isLoopback(options.address!))
    // Ray retries an unreachable address for minutes: give up on a connect sooner.
    const startTimeoutMs = options.startTimeoutMs ?? (local ? 180_000 : 60_000)
    const cancelWaitMs = options.cancelWaitMs ?? 10_000
    const python = options.python ?? defaultPython()
    if (!fs.existsSync(python)) {
      return yield* Effect.fail(
        new WorkerFailure({
          kind: "BRIDGE_DIED",
          detail: `no Python for the Ray bridge at ${python}: run scripts/ray-venv.sh or set GRISM_RAY_PYTHON`
        })
      )
    }
    const tempDir = local ? fs.mkdtempSync("/tmp/grr-") : undefined
    const t0 = performance.now()
    const bridge: Bridge = yield* Effect.acquireRelease(
      Effect.mapError(
        spawn({
          python,
          script: bridgeScript(),
          env: { RAY_USAGE_STATS_ENABLED: "0", ...(loopbackOnly ? { RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER: "0" } : {}), ...options.rayEnv },
          onStderr: options.verbose ? (text) => process.stderr.write(text) : undefined
        }),
        toStartFailure("the bridge did not start")
      ),
      (b) =>
        Effect.ensuring(
          b.close(),
          Effect.sync(() => {
            if (tempDir !== undefined) fs.rmSync(tempDir, { recursive: true, force: true })
          })
        )
    ).pipe(
      Effect.tapError(() =>
        Effect.sync(() => {
          if (tempDir !== undefined) fs.rmSync(tempDir, { recursive: true, force: true })
        })
      )
    )
    const init = yield* Effect.mapError(
      bridge.request(
        "init",
        {
          ...(local ? {} : { address: options.address }),
          numCpus: options.numCpus ?? workers,
          objectStoreBytes: options.objectStoreBytes ?? 512 * 1024 * 1024,
          tempDir,
          loopbackOnly,
          nodePollMs: options.nodePollMs ?? 1000
        },
        [],
        startTimeoutMs
      ),
      toStartFailure(local ? "Ray did not start" : `could not connect to Ray at ${options.address}`)
    )
    bridge.trackProcesses()
    const t1 = performance.now()
    yield* Effect.mapError(
      bridge.request(
        "createWorkers",
        { count: workers, command: workerCommand(), env: options.workerEnv ?? {}, cwd: repoRoot },
        [],
        startTimeoutMs
      ),
      toStartFailure("the Ray worker actors did not start")
    )
    bridge.trackProcesses()
    bridge.startHeartbeat(1000, options.heartbeatTimeoutMs ?? 30_000)
    const t2 = performance.now()

    const held = new Set<ObjectRef>()
    const graphs = new Map<number, Effect.Effect<string, TaskFailure>>()
    const slots = yield* Effect.makeSemaphore(workers)
    let running = 0
    let nextTask = 0

    const put: ClusterService["put"] = (bytes) =>
      bridge.request("put", {}, [bytes]).pipe(
        Effect.map((reply) => {
          const ref = String(reply.header["ref"]) as ObjectRef
          held.add(ref)
          return ref
        }),
        Effect.orDieWith(toTaskFailure)
      )

    const get: ClusterService["get"] = (ref) =>
      bridge.request("get", { refs: [ref] }).pipe(
        Effect.map((reply) => reply.blobs[0]!),
        Effect.mapError(toTaskFailure)
      )

    const release: ClusterService["release"] = (refs) =>
      Effect.suspend(() => {
        const ours = [...refs].filter((ref) => held.delete(ref))
        if (ours.length === 0 || bridge.deathCause() !== undefined) return Effect.void
        return Effect.ignore(bridge.request("release", { refs: ours }))
      })

    /** The Ray ref of the exported graph at `snapshot` (exported and put once). */
    const graphRef = (snapshot: number): Effect.Effect<string, TaskFailure> => {
      let cached = graphs.get(snapshot)
      if (cached === undefined) {
        cached = Effect.runSync(
          Effect.cached(
            exportGraph(storage, snapshot).pipe(
              Effect.mapError((error) => new TaskFailure({ kind: "STAGE_ERROR", worker: "coordinator", detail: error.message, error })),
              Effect.flatMap((graph) =>
                Effect.mapError(bridge.request("put", {}, [new Uint8Array(v8.serialize(graph))]), toTaskFailure)
              ),
              Effect.map((reply) => String(reply.header["ref"]))
            )
          )
        )
        graphs.set(snapshot, cached)
      }
      return cached
    }

    /** After an interruption: ask Ray to cancel, then wait (bounded) until the task has ended. */
    const cancel = (id: string, ended: Promise<TaskEvent>): Effect.Effect<void> =>
      Effect.gen(function*() {
        yield* Effect.ignore(bridge.request("cancel", { task: id }))
        const event = yield* awaitEvent(ended).pipe(Effect.timeout(cancelWaitMs), Effect.option)
        if (Option.isSome(event) && event.value.type === "taskDone" && bridge.deathCause() === undefined) {
          // Finished before the cancel reached it: its outputs are not kept.
          yield* Effect.ignore(bridge.request("release", { refs: event.value.outputs }))
        }
      })

    const toResult = (task: TaskSpec, event: TaskEvent, submitted: number, sent: number): Effect.Effect<TaskResult, TaskFailure> => {
      if (event.type === "taskFailed") {
        const error = event.error === undefined ? Option.none() : decodeError(event.error)
        const lost = event.lost !== undefined && event.lost.length > 0 ? event.lost as ReadonlyArray<ObjectRef> : undefined
        const detail = lost !== undefined ? `${event.detail} (lost: ${lost.join(", ")})` : event.detail
        return Effect.fail(
          new TaskFailure({
            kind: event.kind,
            worker: event.worker ?? "ray",
            detail,
            ...(Option.isSome(error) ? { error: error.value } : {}),
            ...(lost !== undefined ? { lost } : {})
          })
        )
      }
      const meta = event.meta
      const infos = Array.isArray(meta["outputs"]) ? (meta["outputs"] as Array<Record<string, unknown>>) : []
      const expected = Partitioning.partitionCount(task.output)
      if (event.outputs.length !== expected) {
        return Effect.fail(
          new TaskFailure({ kind: "STAGE_ERROR", worker: String(meta["worker"]), detail: `task returned ${event.outputs.length} outputs, expected ${expected}` })
        )
      }
      const outputs = event.outputs.map((ref, p) => {
        held.add(ref as ObjectRef)
        return new PartitionOutput({ ref: ref as ObjectRef, rows: num(infos[p]?.["rows"]), bytes: num(infos[p]?.["bytes"]) })
      })
      return Effect.succeed(
        new TaskResult({
          outputs,
          worker: String(meta["worker"] ?? "ray"),
          timings: new TaskTimings({
            queuedMs: sent - submitted + num(meta["queuedMs"]),
            runMs: num(meta["runMs"]),
            totalMs: performance.now() - submitted
          }),
          operators: Option.getOrElse(decodeOperators(meta["operators"]), () => [])
        })
      )
    }

    const submit: ClusterService["submit"] = (task) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const submitted = performance.now()
          running++
          const graph = yield* restore(graphRef(task.snapshot))
          // One task per actor at a time: wait here (interruptibly), not in an actor queue.
          yield* restore(slots.take(1))
          const id = `t${++nextTask}`
          const sent = performance.now()
          const ended = bridge.submit(id, {
            spec: encodeTask(task),
            numOutputs: Partitioning.partitionCount(task.output),
            snapshot: task.snapshot,
            graph,
            inputs: task.inputs.flatMap((input) => input.refs)
          })
          const event = yield* restore(Effect.mapError(awaitEvent(ended), toTaskFailure)).pipe(
            Effect.onInterrupt(() => cancel(id, ended)),
            Effect.ensuring(slots.release(1))
          )
          return yield* toResult(task, event, submitted, sent)
        }).pipe(Effect.ensuring(Effect.sync(() => running--)))
      )

    return {
      name: "ray",
      parallelism: workers,
      put,
      get,
      release,
      submit,
      heldObjects: Effect.sync(() => [...held]),
      runningTasks: Effect.sync(() => running),
      address: String(init.header["address"]),
      startedLocal: init.header["startedLocal"] === true,
      bridgePid: bridge.pid,
      startup: { rayMs: t1 - t0, workersMs: t2 - t1 },
      nodes: bridge.request("nodes").pipe(
        Effect.map((reply) => reply.header["nodes"] as ReadonlyArray<RayNode>),
        Effect.mapError(toTaskFailure)
      ),
      nodeDeaths: Effect.sync(() => bridge.nodeDeaths()),
      workerPids: bridge.request("workers").pipe(
        Effect.map((reply) => (reply.header["workers"] as Array<{ workerPid: number }>).map((w) => w.workerPid)),
        Effect.mapError(toTaskFailure)
      ),
      ping: bridge.request("ping").pipe(
        Effect.map((reply) => ({ refs: num(reply.header["refs"]), tasks: num(reply.header["tasks"]) })),
        Effect.mapError(toTaskFailure)
      ),
      trackedProcesses: Effect.sync(() => bridge.trackedAlive())
    }
  })

/** The Ray cluster as a layer over the Storage service; the layer's scope owns the bridge and what it started. */
export const layer = (options: RayClusterOptions = {}): Layer.Layer<Cluster, WorkerFailure, Storage> =>
  Layer.scoped(Cluster, Effect.flatMap(Storage, (storage) => make(storage, options)))
