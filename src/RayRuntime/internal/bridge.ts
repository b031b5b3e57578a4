/**
 * The TypeScript end of the Ray bridge (`python/bridge.py`): spawns the bridge process,
 * speaks frames with it on its fds 3 (requests) and 4 (replies and events), matches
 * replies to requests and task events to tasks, and turns the bridge's death into a typed
 * `BRIDGE_DIED` failure of everything pending, at once (never a hang).
 *
 * Stopping: `close` asks the bridge to shut down (it stops its actors and the local Ray it
 * started), waits a bounded time, then SIGKILLs the bridge and every process it was seen
 * to start (by pid and start time; never `ray stop`).
 */
import { type ChildProcess, spawn as spawnProcess } from "node:child_process"
import type * as net from "node:net"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { FailureKind } from "../../Engine/ExecutionError.js"
import * as FrameCodec from "../FrameCodec.js"
import { ProcessSet } from "./bridgeProcesses.js"

/** Version of the bridge protocol (the `hello` frame carries it). */
export const bridgeProtocolVersion = 1

/** A request the bridge refused or could not serve, or the bridge's death (`BRIDGE_DIED`). */
export class BridgeFailure extends Schema.TaggedError<BridgeFailure>()("BridgeFailure", {
  kind: FailureKind,
  detail: Schema.String
}) {
  get message(): string {
    return `Ray bridge (${this.kind}): ${this.detail}`
  }
}

/** A reply frame: its header fields and blobs. */
export interface Reply {
  readonly header: Readonly<Record<string, unknown>>
  readonly blobs: ReadonlyArray<Uint8Array>
}

/** How one task ended, as the bridge reports it. */
export type TaskEvent =
  | {
    readonly type: "taskDone"
    readonly task: string
    readonly outputs: ReadonlyArray<string>
    readonly meta: Readonly<Record<string, unknown>>
  }
  | {
    readonly type: "taskFailed"
    readonly task: string
    readonly kind: FailureKind
    readonly detail: string
    readonly worker?: string
    readonly error?: unknown
    readonly lost?: ReadonlyArray<string>
  }

/** How to start a bridge. */
export interface BridgeOptions {
  /** The Python interpreter (a venv holding ray 2.58.0). */
  readonly python: string
  /** Path of `bridge.py`. */
  readonly script: string
  /** Extra environment for the bridge (and the Ray it starts). */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** How long the bridge may take to greet (default 30 s). */
  readonly helloTimeoutMs?: number | undefined
  /** Called with each chunk the bridge writes on stderr (default: kept as a tail only). */
  readonly onStderr?: ((text: string) => void) | undefined
}

/** A running bridge. */
export interface Bridge {
  /** The bridge's pid. */
  readonly pid: number
  /** Sends a request and waits for its reply; a refused request fails with its kind. */
  readonly request: (
    type: string,
    fields?: Readonly<Record<string, unknown>>,
    blobs?: ReadonlyArray<Uint8Array>,
    timeoutMs?: number
  ) => Effect.Effect<Reply, BridgeFailure>
  /** Sends a `submit`; the promise settles with the task's event (rejects with `BRIDGE_DIED`). */
  readonly submit: (task: string, fields: Readonly<Record<string, unknown>>) => Promise<TaskEvent>
  /** Node ids the bridge reported dead, oldest first. */
  readonly nodeDeaths: () => ReadonlyArray<string>
  /** The failure the bridge died with, if it died. */
  readonly deathCause: () => BridgeFailure | undefined
  /** Records the processes the bridge started so far (call after it started Ray / workers). */
  readonly trackProcesses: () => void
  /** The tracked processes still alive. */
  readonly trackedAlive: () => ReadonlyArray<number>
  /**
   * Pings the bridge every `periodMs`; a ping unanswered for `timeoutMs` means a wedged
   * bridge, which is then killed and treated as dead. Start it once Ray is up (`init`
   * blocks the bridge's request loop while Ray starts).
   */
  readonly startHeartbeat: (periodMs: number, timeoutMs: number) => void
  /** The last ~64 KiB the bridge wrote on stderr. */
  readonly stderrTail: () => string
  /** Stops the bridge: `shutdown` request, bounded wait, then SIGKILL of it and what it started. */
  readonly close: (timeoutMs?: number) => Effect.Effect<void>
}

const tailBytes = 64 * 1024

interface Pending {
  readonly resolve: (reply: Reply) => void
  readonly reject: (failure: BridgeFailure) => void
}

/** Spawns a bridge and waits for its `hello`. */
export const spawn = (options: BridgeOptions): Effect.Effect<Bridge, BridgeFailure> =>
  Effect.async<Bridge, BridgeFailure>((resume) => {
    const env: Record<string, string | undefined> = { ...process.env, ...options.env }
    let child: ChildProcess
    try {
      child = spawnProcess(options.python, [options.script], {
        stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"],
        env
      })
    } catch (cause) {
      resume(Effect.fail(new BridgeFailure({ kind: "BRIDGE_DIED", detail: `could not start ${options.python}: ${String(cause)}` })))
      return
    }
    if (child.pid === undefined) {
      // spawn reports ENOENT and friends asynchronously, without a pid
      child.on("error", (error) =>
        resume(Effect.fail(new BridgeFailure({ kind: "BRIDGE_DIED", detail: `could not start ${options.python}: ${error.message}` }))))
      return
    }
    const pid = child.pid
    const requests = child.stdio[3] as net.Socket
    const events = child.stdio[4] as net.Socket
    const pending = new Map<number, Pending>()
    const tasks = new Map<string, { resolve: (e: TaskEvent) => void; reject: (f: BridgeFailure) => void }>()
    const deaths: Array<string> = []
    const tracked = new ProcessSet()
    const reader = new FrameCodec.FrameReader()
    let tail = ""
    let nextId = 0
    let dead: BridgeFailure | undefined
    let greeted = false
    let closing = false
    let exited = false
    const exitWaiters: Array<() => void> = []

    const die = (detail: string) => {
      if (dead !== undefined) return
      clearInterval(heartbeat)
      const lastLines = tail.trim().split("\n").slice(-8).join("\n")
      dead = new BridgeFailure({
        kind: "BRIDGE_DIED",
        detail: lastLines.length > 0 ? `${detail}; bridge stderr ends with:\n${lastLines}` : detail
      })
      for (const p of pending.values()) p.reject(dead)
      pending.clear()
      for (const t of tasks.values()) t.reject(dead)
      tasks.clear()
      if (!greeted) resume(Effect.fail(dead))
      if (!exited) child.kill("SIGKILL")
    }

    child.stderr!.setEncoding("utf8")
    child.stderr!.on("data", (text: string) => {
      options.onStderr?.(text)
      tail = (tail + text).slice(-tailBytes)
    })
    child.on("error", (error) => die(`bridge process error: ${error.message}`))
    child.on("exit", (code, signal) => {
      exited = true
      die(closing ? "the bridge was stopped" : `the bridge exited (${signal ?? `code ${code}`})`)
      // Ray's GCS and raylet die with the bridge; agents that outlive it are ours to stop.
      if (!closing) tracked.killAll()
      for (const w of exitWaiters.splice(0)) w()
    })
    requests.on("error", () => {})
    events.on("error", () => {})
    // Usually followed by "exit" (with the code or signal); give it a moment to say so.
    events.on("close", () => setTimeout(() => die("the bridge closed its event channel"), 250).unref())

    const handle = (frame: FrameCodec.Frame) => {
      const h = frame.header
      switch (h["type"]) {
        case "hello": {
          if (h["protocol"] !== bridgeProtocolVersion) {
            return die(`bridge protocol ${String(h["protocol"])}, expected ${bridgeProtocolVersion}`)
          }
          greeted = true
          clearTimeout(helloTimer)
          return resume(Effect.succeed(bridge))
        }
        case "reply": {
          const id = h["id"] as number
          const p = pending.get(id)
          if (p === undefined) return
          pending.delete(id)
          if (h["ok"] === true) return p.resolve({ header: h, blobs: frame.blobs })
          const kind = Schema.is(FailureKind)(h["kind"]) ? h["kind"] : "STAGE_ERROR"
          return p.reject(new BridgeFailure({ kind, detail: String(h["detail"] ?? "request refused") }))
        }
        case "taskDone":
        case "taskFailed": {
          const id = String(h["task"])
          const t = tasks.get(id)
          if (t === undefined) return
          tasks.delete(id)
          return t.resolve(h as unknown as TaskEvent)
        }
        case "nodeDied":
          deaths.push(String(h["nodeId"]))
          return
      }
    }

    events.on("data", (chunk: Buffer) => {
      let frames: ReadonlyArray<FrameCodec.Frame>
      try {
        frames = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
      } catch (cause) {
        return die(`undecodable frame from the bridge: ${String(cause)}`)
      }
      for (const frame of frames) handle(frame)
    })

    const helloTimeoutMs = options.helloTimeoutMs ?? 30_000
    const helloTimer = setTimeout(() => die(`no hello within ${helloTimeoutMs} ms`), helloTimeoutMs)

    const send = (header: Record<string, unknown>, blobs: ReadonlyArray<Uint8Array>): void => {
      requests.write(FrameCodec.encode(header, blobs))
    }

    const request: Bridge["request"] = (type, fields = {}, blobs = [], timeoutMs) =>
      Effect.async<Reply, BridgeFailure>((resumeRequest) => {
        if (dead !== undefined) return resumeRequest(Effect.fail(dead))
        const id = ++nextId
        let timer: ReturnType<typeof setTimeout> | undefined
        pending.set(id, {
          resolve: (reply) => {
            clearTimeout(timer)
            resumeRequest(Effect.succeed(reply))
          },
          reject: (failure) => {
            clearTimeout(timer)
            resumeRequest(Effect.fail(failure))
          }
        })
        if (timeoutMs !== undefined) {
          // A request that never answers means a wedged bridge: treat it as dead.
          timer = setTimeout(() => die(`no reply to ${type} within ${timeoutMs} ms`), timeoutMs)
        }
        send({ ...fields, type, id }, blobs)
        return Effect.sync(() => {
          clearTimeout(timer)
          pending.delete(id)
        })
      })

    const submit: Bridge["submit"] = (task, fields) =>
      new Promise<TaskEvent>((resolve, reject) => {
        if (dead !== undefined) return reject(dead)
        tasks.set(task, { resolve, reject })
        send({ ...fields, type: "submit", id: ++nextId, task }, [])
      })

    const waitExit = (ms: number): Promise<boolean> =>
      new Promise((resolve) => {
        if (exited) return resolve(true)
        const timer = setTimeout(() => resolve(exited), ms)
        exitWaiters.push(() => {
          clearTimeout(timer)
          resolve(true)
        })
      })

    const close: Bridge["close"] = (timeoutMs = 20_000) =>
      Effect.promise(async () => {
        if (!exited) {
          tracked.addDescendants(pid)
          closing = true
          if (dead === undefined) {
            const id = ++nextId
            pending.set(id, { resolve: () => {}, reject: () => {} })
            try {
              send({ type: "shutdown", id }, [])
            } catch {
              // the channel is already gone
            }
          }
          requests.end()
          if (!(await waitExit(timeoutMs))) {
            child.kill("SIGKILL")
            await waitExit(5000)
          }
        }
        tracked.killAll()
      })

    let heartbeat: ReturnType<typeof setInterval> | undefined
    let beating = false
    const startHeartbeat: Bridge["startHeartbeat"] = (periodMs, timeoutMs) => {
      if (heartbeat !== undefined) return
      heartbeat = setInterval(() => {
        if (dead !== undefined || closing) return clearInterval(heartbeat)
        if (beating) return
        beating = true
        Effect.runFork(
          request("ping", {}, [], timeoutMs).pipe(
            Effect.ensuring(Effect.sync(() => {
              beating = false
            })),
            Effect.ignore
          )
        )
      }, periodMs)
      heartbeat.unref()
    }

    const bridge: Bridge = {
      pid,
      request,
      submit,
      nodeDeaths: () => [...deaths],
      deathCause: () => dead,
      trackProcesses: () => {
        if (!exited) tracked.addDescendants(pid)
      },
      trackedAlive: () => tracked.alive().map((p) => p.pid),
      startHeartbeat,
      stderrTail: () => tail,
      close
    }
    return Effect.sync(() => {
      clearTimeout(helloTimer)
      if (!greeted) child.kill("SIGKILL")
    })
  })
