/**
 * The distributed runtime on a pool of worker processes: equivalence with the local
 * runtime on random graphs (each graph is a new snapshot shipped to the workers), a worker
 * SIGKILLed mid-stage, a deterministic task failure, malformed frames, and interruption.
 * Every process the pools started is gone after teardown.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as Arrow from "apache-arrow"
import { Cause, Effect, Exit, FastCheck as fc, Fiber, Layer, Option, Scope } from "effect"
import { col, count, lit } from "../../src/Engine/Expr.js"
import * as LocalRuntime from "../../src/LocalRuntime/LocalRuntime.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import { Runtime } from "../../src/Query/Runtime.js"
import * as FrameCodec from "../../src/RayRuntime/FrameCodec.js"
import * as ProcessCluster from "../../src/RayRuntime/ProcessCluster.js"
import { TaskConfig, TaskSpec } from "../../src/RayRuntime/Protocol.js"
import * as Partitioning from "../../src/Engine/Partitioning.js"
import * as RayRuntime from "../../src/RayRuntime/RayRuntime.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import * as Compare from "../utils/Compare.js"
import * as Generators from "../utils/Generators.js"
import { checkCase, smallGraph as graph, localRuntime, type MultiStorage, multiStorage, runStages } from "./helpers.js"

const seed = Number(process.env["GRISM_PROP_SEED"] ?? 20261130)
const runsPerPartitioning = Number(process.env["GRISM_PROC_RUNS"] ?? 8)

// Targets of KNOWS: 2 Oslo, 3 Lisboa, 3 Lisboa, 4 Porto, 1 Lisboa, 1 Lisboa, 5 Oslo.
const friendsByCity = [["Lisboa", 4n], ["Oslo", 2n], ["Porto", 1n]]
const friendsQuery = () =>
  Hypergraph.nodes("Person", { as: "p" }).expand("KNOWS", { to: "Person", as: "f" }).groupBy("f.city").agg({ n: count() })

const sortedRows = (table: Arrow.Table) =>
  Compare.tableToRows(table).rows.map((r) => [...r]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const waitUntil = async (condition: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> => {
  const start = Date.now()
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error("waitUntil: timed out")
    await new Promise((r) => setTimeout(r, 10))
  }
}

type Sent = Parameters<NonNullable<ProcessCluster.ProcessClusterOptions["onTaskSent"]>>[0]

interface Pool {
  readonly storage: MultiStorage
  readonly cluster: ProcessCluster.ProcessClusterService
  readonly scope: Scope.CloseableScope
  hook: ((sent: Sent) => void) | undefined
}

const startPool = async (options: Omit<ProcessCluster.ProcessClusterOptions, "onTaskSent">): Promise<Pool> => {
  const storage = multiStorage()
  const scope = await Effect.runPromise(Scope.make())
  const pool: { -readonly [K in keyof Pool]: Pool[K] } = { storage, scope, cluster: undefined as never, hook: undefined }
  pool.cluster = await Effect.runPromise(
    Scope.extend(ProcessCluster.make(storage, { ...options, onTaskSent: (sent) => pool.hook?.(sent) }), scope)
  )
  return pool
}

/** Closes a pool and checks that none of its processes is left. */
const stopPool = async (pool: Pool): Promise<void> => {
  const spawned = await Effect.runPromise(pool.cluster.spawned)
  await Effect.runPromise(Scope.close(pool.scope, Exit.void))
  await waitUntil(() => spawned.every((pid) => !alive(pid)), 5000)
}

describe("RayRuntime on a pool of worker processes", () => {
  let pool: Pool

  beforeAll(async () => {
    pool = await startPool({ workers: 2 })
    await Effect.runPromise(pool.storage.load(graph))
  })

  afterAll(async () => {
    await stopPool(pool)
  })

  for (const partitions of [1, 2, 3, 7]) {
    it(`random queries over random graphs agree with the local runtime (${partitions} partitions)`, async () => {
      const distributed = RayRuntime.make(pool.storage, pool.cluster, { partitions, config: { batchSize: 4 } })
      const local = await Effect.runPromise(localRuntime(pool.storage))
      await fc.assert(
        fc.asyncProperty(Generators.testCase, async ([input, seq]) => {
          await Effect.runPromise(pool.storage.load(input))
          const problem = await checkCase(input, seq, local, distributed)
          expect(problem, problem).toBeUndefined()
          expect(await Effect.runPromise(pool.cluster.heldObjects)).toEqual([])
        }),
        { seed: seed + partitions, numRuns: runsPerPartitioning, endOnFailure: true }
      )
      await Effect.runPromise(pool.storage.load(graph))
    })
  }

  it("traversal queries over random multigraphs agree with the local runtime (3 partitions)", async () => {
    const distributed = RayRuntime.make(pool.storage, pool.cluster, { partitions: 3, config: { batchSize: 4 } })
    const local = await Effect.runPromise(localRuntime(pool.storage))
    await fc.assert(
      fc.asyncProperty(Generators.traversalCase, async ([input, seq]) => {
        await Effect.runPromise(pool.storage.load(input))
        const problem = await checkCase(input, seq, local, distributed, { traversal: true })
        expect(problem, problem).toBeUndefined()
      }),
      { seed: seed + 100, numRuns: runsPerPartitioning, endOnFailure: true }
    )
    await Effect.runPromise(pool.storage.load(graph))
  })

  it("a worker SIGKILLed mid-stage: the task runs again elsewhere, same answer, attempts > tasks", async () => {
    await Effect.runPromise(pool.storage.load(graph))
    const before = await Effect.runPromise(pool.cluster.pids)
    let victim: number | undefined
    pool.hook = (sent) => {
      if (victim === undefined && sent.task.stage === 1 && sent.task.attempt === 1) {
        victim = sent.pid
        process.kill(sent.pid, "SIGKILL")
      }
    }
    try {
      const { exit, metrics } = await Effect.runPromise(runStages(pool.storage, pool.cluster, friendsQuery(), 3))
      expect(Exit.isSuccess(exit)).toBe(true)
      if (Exit.isSuccess(exit)) expect(sortedRows(new Arrow.Table(exit.value))).toEqual(friendsByCity)
      const stage1 = metrics.stages().find((s) => s.stage === 1)!
      expect(stage1.attempts).toBeGreaterThan(stage1.tasks)
      expect(metrics.stages().filter((s) => s.stage !== 1).every((s) => s.attempts === s.tasks)).toBe(true)
    } finally {
      pool.hook = undefined
    }
    expect(victim).toBeDefined()
    expect(before).toContain(victim)
    expect(alive(victim!)).toBe(false)
    const after = await Effect.runPromise(pool.cluster.pids)
    expect(after).toHaveLength(2)
    expect(after).not.toContain(victim)
    expect(await Effect.runPromise(pool.cluster.heldObjects)).toEqual([])
    expect(await Effect.runPromise(pool.cluster.runningTasks)).toBe(0)
  })

  it("Int64 division by zero in a worker fails with StageFailed(DivisionByZero), no retries, no worker lost", async () => {
    await Effect.runPromise(pool.storage.load(graph))
    const before = await Effect.runPromise(pool.cluster.pids)
    const frame = Hypergraph.nodes("Person", { as: "p" }).filter(col("p.age").div(lit(0)).gt(1)).select("p.name")
    const { exit, metrics, stages } = await Effect.runPromise(runStages(pool.storage, pool.cluster, frame, 3))
    const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
    expect(error?._tag).toBe("StageFailed")
    if (error?._tag === "StageFailed") {
      expect(error.cause._tag).toBe("DivisionByZero")
      expect(error.attempts).toBe(1)
    }
    const tasks = stages.stages.reduce((n, s) => n + s.partitions, 0)
    expect(metrics.stages().reduce((n, s) => n + s.attempts, 0)).toBeLessThanOrEqual(tasks)
    expect(await Effect.runPromise(pool.cluster.pids)).toEqual(before)
    expect(await Effect.runPromise(pool.cluster.heldObjects)).toEqual([])
  })

  it("malformed frames get typed ProtocolError replies; the worker stays up and serves the next query", async () => {
    await Effect.runPromise(pool.storage.load(graph))
    const before = await Effect.runPromise(pool.cluster.pids)
    const errorsBefore = (await Effect.runPromise(pool.cluster.protocolErrors)).length
    // A frame whose header is not JSON.
    const junk = new TextEncoder().encode("{not json")
    const raw = new Uint8Array(8 + junk.length)
    new DataView(raw.buffer).setUint32(0, 4 + junk.length, true)
    new DataView(raw.buffer).setUint32(4, junk.length, true)
    raw.set(junk, 8)
    await Effect.runPromise(pool.cluster.sendRaw(0, raw))
    // A JSON frame that is not a message of the protocol.
    await Effect.runPromise(pool.cluster.sendRaw(0, FrameCodec.encode({ _tag: "Run", id: "seven" })))
    await waitUntil(async () => (await Effect.runPromise(pool.cluster.protocolErrors)).length >= errorsBefore + 2)
    const errors = (await Effect.runPromise(pool.cluster.protocolErrors)).slice(errorsBefore)
    expect(errors[0]).toContain("header is not JSON")
    expect(errors[1]).toContain("does not decode")
    // A task whose plan does not decode fails with a typed InvalidPlan, not a crash.
    const failure = await Effect.runPromise(
      Effect.flip(
        pool.cluster.submit(
          new TaskSpec({
            query: "bad",
            stage: 0,
            plan: { _tag: "NoSuchExec", id: 0 },
            partition: 0,
            attempt: 1,
            inputs: [],
            output: Partitioning.single,
            snapshot: await Effect.runPromise(pool.storage.current),
            config: new TaskConfig({ batchSize: 16, hopCap: 8, memoryLimit: 1 << 20 })
          })
        )
      )
    )
    expect(failure.kind).toBe("STAGE_ERROR")
    expect(failure.error?._tag).toBe("InvalidPlan")
    if (failure.error?._tag === "InvalidPlan") expect(failure.error.reason).toBe("MalformedPlan")
    const runtime = RayRuntime.make(pool.storage, pool.cluster, { partitions: 2 })
    const table = await Effect.runPromise(Effect.provideService(friendsQuery().collect(), Runtime, runtime))
    expect(sortedRows(table)).toEqual(friendsByCity)
    expect(await Effect.runPromise(pool.cluster.pids)).toEqual(before)
  })
})

/** Pids of this process's live children. */
const children = (): Array<number> => {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(process.pid)], { encoding: "utf8" })
      .split("\n").map((l) => Number(l.trim())).filter((n) => n > 0 && alive(n))
  } catch {
    return [] // ps exits 1 when there is no child
  }
}

describe("RayRuntime.layerProcesses", () => {
  it("runs a frame unchanged through the layer, which owns its processes and stops them when released", async () => {
    const before = children()
    const storageLayer = InMemoryStorage.layer(graph)
    const frame = friendsQuery()
    const program = Effect.gen(function*() {
      const table = yield* frame.collect()
      // The pool's processes are children of this process while the layer is in use.
      const during = children().filter((pid) => !before.includes(pid))
      return { table, during }
    })
    const local = await Effect.runPromise(frame.collect().pipe(Effect.provide(Layer.provide(LocalRuntime.layer, storageLayer))))
    const { during, table } = await Effect.runPromise(
      program.pipe(Effect.provide(Layer.provide(RayRuntime.layerProcesses({ workers: 2, partitions: 3 }), storageLayer)))
    )
    expect(sortedRows(table)).toEqual(sortedRows(local))
    expect(sortedRows(table)).toEqual(friendsByCity)
    expect(during).toHaveLength(2)
    await waitUntil(() => during.every((pid) => !alive(pid)), 5000)
  })
})

describe("Interrupting a query on the process pool", () => {
  let pool: Pool
  beforeAll(async () => {
    // Every task sleeps 1.5 s in its worker first, so the query is surely mid-stage when interrupted.
    pool = await startPool({ workers: 2, taskDelayMs: 1500, cancelGraceMs: 5000 })
    await Effect.runPromise(pool.storage.load(graph))
  })
  afterAll(async () => {
    await stopPool(pool)
  })

  it("cancels the running tasks (the workers answer, none is killed), frees every object; the next query succeeds", async () => {
    const before = await Effect.runPromise(pool.cluster.pids)
    let sent = 0
    pool.hook = () => {
      sent++
    }
    const runtime = RayRuntime.make(pool.storage, pool.cluster, { partitions: 2 })
    const fiber = Effect.runFork(Effect.provideService(friendsQuery().collect(), Runtime, runtime))
    await waitUntil(() => sent > 0)
    const started = performance.now()
    await Effect.runPromise(Fiber.interrupt(fiber))
    const took = performance.now() - started
    pool.hook = undefined
    expect(took).toBeLessThan(1500) // the workers acknowledged the cancel before their task could finish
    expect(await Effect.runPromise(pool.cluster.runningTasks)).toBe(0)
    expect(await Effect.runPromise(pool.cluster.heldObjects)).toEqual([])
    expect(await Effect.runPromise(pool.cluster.pids)).toEqual(before)
    const spawned = await Effect.runPromise(pool.cluster.spawned)
    expect(spawned.filter(alive).sort()).toEqual([...before].sort()) // no orphan
    const table = await Effect.runPromise(
      Effect.provideService(Hypergraph.nodes("Person", { as: "p" }).select("p.name").collect(), Runtime, RayRuntime.make(pool.storage, pool.cluster, { partitions: 1 }))
    )
    expect(table.numRows).toBe(6)
    expect(await Effect.runPromise(pool.cluster.heldObjects)).toEqual([])
  })
})
