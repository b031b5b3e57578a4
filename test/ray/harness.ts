/** Shared helpers of the real-Ray suites: storage of the example graph, a cluster in its own scope, process checks. */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as readline from "node:readline"
import { fileURLToPath } from "node:url"
import * as Arrow from "apache-arrow"
import { Effect, Exit, Scope } from "effect"
import { Storage, type StorageService } from "../../src/Engine/Storage.js"
import * as RayCluster from "../../src/RayRuntime/RayCluster.js"
import * as ExampleGraph from "../../src/Storage/ExampleGraph.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import type { GraphInput } from "../../src/Engine/Storage.js"

/** The example graph the demo uses. */
export const exampleGraph: GraphInput = ExampleGraph.exampleGraph

/** An in-memory storage holding `graph`. */
export const storageOf = (graph: GraphInput): Promise<StorageService> =>
  Effect.runPromise(Effect.provide(Storage, InMemoryStorage.layer(graph)))

/** A Ray cluster in its own scope; `close` stops everything it started. */
export interface Started {
  readonly cluster: RayCluster.RayClusterService
  readonly close: () => Promise<void>
  readonly startMs: number
}

/** Starts a Ray cluster over `storage`. */
export const startCluster = async (storage: StorageService, options: RayCluster.RayClusterOptions): Promise<Started> => {
  const scope = Effect.runSync(Scope.make())
  const started = performance.now()
  const cluster = await Effect.runPromise(Scope.extend(RayCluster.make(storage, options), scope)).catch(async (e) => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw e
  })
  return {
    cluster,
    startMs: performance.now() - started,
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

/** SIGKILLs one process by pid; refuses pids that would signal a group (0, -1) or init. */
export const killPid = (pid: number): void => {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`refusing to kill pid ${pid}`)
  process.kill(pid, "SIGKILL")
}

/** Whether a process with this pid exists (and is not a zombie). */
export const alive = (pid: number): boolean => {
  if (!Number.isInteger(pid) || pid <= 1) return false
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return false
  }
}

/** Waits until `check` holds (polling), up to `ms`. */
export const eventually = async (check: () => boolean | Promise<boolean>, ms: number, every = 100): Promise<boolean> => {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, every))
  }
}

/** The values of column `name` of an Arrow IPC stream, as plain JS values. */
export const columnOf = (ipc: Uint8Array, name: string): Array<unknown> => {
  const table = Arrow.tableFromIPC(ipc)
  const column = table.getChild(name)
  if (column === null) throw new Error(`no column ${name} in ${table.schema.fields.map((f) => f.name).join(", ")}`)
  return [...column].map((v) => (typeof v === "bigint" ? Number(v) : v))
}

/** The repository root and the venv python the global setup prepared. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url))
export const rayPython = process.env["GRISM_RAY_PYTHON"] ?? `${repoRoot}.venv-ray/bin/python`

/** A multi-node test Ray (test/ray/multinode.py: a 0-CPU head and two 1-CPU nodes) driven over its stdin/stdout. */
export interface MultiNode {
  readonly info: { readonly address: string; readonly nodes: ReadonlyArray<string>; readonly pid: number }
  /** Kills worker node `index` for real; resolves with the id of the node it killed. */
  readonly kill: (index: number) => Promise<unknown>
  /** Stops the cluster (EOF on stdin), SIGKILLs the script if it does not exit within 30 s; resolves whether it exited by itself. */
  readonly stop: () => Promise<boolean>
}

/** Starts multinode.py with its temp dir; resolves once the cluster is ready. */
export const startMultiNode = async (tempDir: string): Promise<MultiNode> => {
  const child = spawn(rayPython, [`${repoRoot}test/ray/multinode.py`, tempDir], { stdio: ["pipe", "pipe", "ignore"] })
  const answers = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]()
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await answers.next()
    if (line.done) throw new Error("multinode.py ended")
    return JSON.parse(line.value) as Record<string, unknown>
  }
  const info = (await next()) as unknown as MultiNode["info"]
  return {
    info,
    kill: async (index) => {
      child.stdin!.write(`kill ${index}\n`)
      return (await next())["killed"]
    },
    stop: async () => {
      child.stdin!.end() // multinode.py stops its cluster at EOF
      const exited = await eventually(() => child.exitCode !== null || child.signalCode !== null, 30_000)
      if (!exited && child.pid !== undefined) killPid(child.pid)
      return exited
    }
  }
}
