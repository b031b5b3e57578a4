/**
 * The distributed runtime on a real local Ray (`RayRuntime.layer` over `RayCluster.layer`,
 * the wiring of `RayRuntime.layerRay`, with the Cluster kept for introspection):
 * (a) LocalRuntime's answers on the example graph and on random queries over random graphs;
 * (b) the same answer when a Node worker process, or the Ray actor process hosting one, is
 *     SIGKILLed mid-stage;
 * (c) an interrupted query leaves nothing running and no refs held, and the next query
 *     succeeds on the same actors.
 * One local Ray for the file: a fast pair of actors for (a) and a pair whose tasks sleep
 * (`GRISM_WORKER_TASK_DELAY_MS`) for (b) and (c), connected to the same Ray by address.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import { Context, Effect, Exit, Fiber, FastCheck as fc, Layer, Scope } from "effect"
import { col, count, max, min } from "../../src/Engine/Expr.js"
import { Storage, type StorageService } from "../../src/Engine/Storage.js"
import type { Frame } from "../../src/Query/Frame.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import { Runtime, type RuntimeService } from "../../src/Query/Runtime.js"
import { Cluster } from "../../src/RayRuntime/Cluster.js"
import * as RayCluster from "../../src/RayRuntime/RayCluster.js"
import * as RayRuntime from "../../src/RayRuntime/RayRuntime.js"
import * as Compare from "../utils/Compare.js"
import * as Generators from "../utils/Generators.js"
import { checkCase, collectOn, localRuntime, multiStorage } from "../RayRuntime/helpers.js"
import { alive, eventually, exampleGraph, killPid, storageOf } from "./harness.js"

const delayMs = 1200
const seed = Number(process.env["GRISM_PROP_SEED"] ?? 20261129)

/** A Ray runtime and its cluster, in their own scope. */
interface Started {
  readonly runtime: RuntimeService
  readonly cluster: RayCluster.RayClusterService
  readonly close: () => Promise<void>
  readonly startMs: number
}

/** `RayRuntime.layerRay`'s wiring (`layer` provided with `RayCluster.layer`), also exposing the Cluster. */
const startRuntime = async (storage: StorageService, options: RayRuntime.RayRuntimeOptions & RayCluster.RayClusterOptions): Promise<Started> => {
  const t = performance.now()
  const layer = RayRuntime.layer(options).pipe(
    Layer.provideMerge(RayCluster.layer(options)),
    Layer.provide(Layer.succeed(Storage, storage))
  )
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope)).catch(async (e) => {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw e
  })
  return {
    runtime: Context.get(context, Runtime),
    // RayCluster.layer provides the RayClusterService (its introspection is what the tests read).
    cluster: Context.get(context, Cluster) as RayCluster.RayClusterService,
    close: () => Effect.runPromise(Scope.close(scope, Exit.void)),
    startMs: performance.now() - t
  }
}

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const key = (rows: ReadonlyArray<ReadonlyArray<unknown>>) =>
  rows.map((r) => JSON.stringify(r, (_, v) => (typeof v === "bigint" ? `${v}n` : v)))
const rowsOf = async (runtime: RuntimeService, frame: Frame) => Compare.tableToRows(await run(collectOn(runtime, frame)))

/** The parent pid of a process (from /proc). */
const parentOf = (pid: number): number => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
}

const cityStats = () =>
  Hypergraph.nodes("Person", { as: "p" })
    .expand("LIVES_IN", { to: "City", as: "c" })
    .groupBy("c.name")
    .agg({ residents: count(), oldest: max(col("p.age")), youngest: min(col("p.age")) })

const exampleQueries: Record<string, () => Frame> = {
  cityStats,
  friendsOfFriends: () =>
    Hypergraph.nodes("Person", { as: "p" })
      .filter(col("p.city").eq("Zürich"))
      .expand("KNOWS", { to: "Person", as: "f", edgeAs: "k1" })
      .expand("KNOWS", { to: "Person", as: "fof", edgeAs: "k2" })
      .groupBy("fof.city")
      .agg({ paths: count() }),
  meetingsByTopic: () =>
    Hypergraph.hyperedges("MEETING", { as: "m" })
      .expandRole("attendee", { to: "Person", as: "a" })
      .groupBy("m.topic")
      .agg({ attendees: count() }),
  oldestTen: () =>
    Hypergraph.nodes("Person", { as: "p" })
      .filter(col("p.age").gt(30))
      .select("p.name", "p.age")
      .orderBy(col("p.age").desc(), col("p.name"))
      .limit(10)
}

let fast: Started
let slow: Started
let exampleStorage: StorageService
let local: RuntimeService
const randomStorage = multiStorage()
const timings: Record<string, number> = {}

beforeAll(async () => {
  exampleStorage = await storageOf(exampleGraph)
  local = await run(localRuntime(exampleStorage))
  // 4 logical CPUs: 2 for the fast actors, 2 for the slow ones.
  fast = await startRuntime(randomStorage, { workers: 2, partitions: 3, numCpus: 4, config: { batchSize: 64 } })
  timings["startMs"] = fast.startMs
  slow = await startRuntime(exampleStorage, {
    address: fast.cluster.address,
    workers: 2,
    partitions: 2,
    workerEnv: { GRISM_WORKER_TASK_DELAY_MS: String(delayMs) }
  })
  timings["connectSlowMs"] = slow.startMs
})

afterAll(async () => {
  const tracked = [...(fast ? await run(fast.cluster.trackedProcesses) : []), ...(slow ? await run(slow.cluster.trackedProcesses) : [])]
  const t = performance.now()
  await slow?.close()
  await fast?.close()
  timings["closeMs"] = performance.now() - t
  console.log("ray runtime timings (ms):", JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]))))
  expect(await eventually(() => tracked.every((pid) => !alive(pid)), 15_000)).toBe(true)
})

describe("RayRuntime on Ray vs LocalRuntime", () => {
  it("gives LocalRuntime's answers on the example graph", async () => {
    const snapshot = await run(randomStorage.load(exampleGraph))
    expect(snapshot).toBe(1)
    const t = performance.now()
    for (const [name, frame] of Object.entries(exampleQueries)) {
      const expected = await rowsOf(local, frame())
      const actual = await rowsOf(fast.runtime, frame())
      expect(expected.rows.length, name).toBeGreaterThan(0)
      expect(actual.columns, name).toEqual(expected.columns)
      if (name === "oldestTen") expect(key(actual.rows), name).toEqual(key(expected.rows))
      else expect(key(actual.rows).sort(), name).toEqual(key(expected.rows).sort())
    }
    timings["exampleQueriesMs"] = performance.now() - t
    expect(await run(fast.cluster.heldObjects)).toEqual([])
    expect(await run(fast.cluster.runningTasks)).toBe(0)
  })

  it("gives LocalRuntime's answers on random queries over random graphs", async () => {
    const localRandom = await run(localRuntime(randomStorage))
    const cases = [
      ...fc.sample(Generators.testCase, { seed, numRuns: 6 }).map((c) => [c, {}] as const),
      ...fc.sample(Generators.traversalCase, { seed: seed + 1, numRuns: 5 }).map((c) => [c, { traversal: true }] as const)
    ]
    const t = performance.now()
    const problems: Array<string> = []
    for (const [[graph, seq], options] of cases) {
      await run(randomStorage.load(graph))
      const problem = await checkCase(graph, seq, localRandom, fast.runtime, options)
      if (problem !== undefined) problems.push(problem)
      expect(await run(fast.cluster.heldObjects)).toEqual([])
    }
    timings["randomQueriesMs"] = performance.now() - t
    expect(problems).toEqual([])
    expect(await run(fast.cluster.runningTasks)).toBe(0)
    expect((await run(fast.cluster.ping)).tasks).toBe(0)
  })
})

describe("RayRuntime on Ray when processes die or the query is interrupted (slow tasks)", () => {
  /** The only object the slow cluster's bridge keeps between queries: the exported graph of its one snapshot. */
  const graphRefs = 1

  /** Starts the query, waits until a task has run for a while, then runs `kill`; returns the answer and LocalRuntime's. */
  const runAndKill = async (kill: () => Promise<ReadonlyArray<number>>) => {
    const expected = await rowsOf(local, cityStats())
    const t = performance.now()
    const query = rowsOf(slow.runtime, cityStats())
    expect(await eventually(async () => (await run(slow.cluster.runningTasks)) > 0, 10_000, 20)).toBe(true)
    await new Promise((r) => setTimeout(r, delayMs / 2)) // mid-task: each task sleeps `delayMs` in its worker
    const killed = await kill()
    const actual = await query
    const ms = performance.now() - t
    expect(actual.columns).toEqual(expected.columns)
    expect(key(actual.rows).sort()).toEqual(key(expected.rows).sort())
    expect(await run(slow.cluster.heldObjects)).toEqual([])
    expect((await run(slow.cluster.ping)).refs).toBe(graphRefs)
    expect(await run(slow.cluster.runningTasks)).toBe(0)
    return { killed, ms }
  }

  it("gives LocalRuntime's answer when a Node worker process is SIGKILLed mid-stage", async () => {
    const { killed, ms } = await runAndKill(async () => {
      const pids = (await run(slow.cluster.workerPids)).filter((pid) => pid > 0)
      expect(pids).toHaveLength(2)
      killPid(pids[0]!)
      return [pids[0]!]
    })
    timings["queryWithWorkerKillMs"] = ms
    expect(alive(killed[0]!)).toBe(false)
    // The actor spawned a new Node worker.
    const after = await run(slow.cluster.workerPids)
    expect(after.filter((pid) => pid > 0 && !killed.includes(pid)).length).toBeGreaterThan(0)
  })

  it("gives LocalRuntime's answer when a Ray actor process is SIGKILLed mid-stage", async () => {
    let actorPid = 0
    let workerPid = 0
    const { ms } = await runAndKill(async () => {
      const pids = (await run(slow.cluster.workerPids)).filter((pid) => pid > 0)
      workerPid = pids[0]!
      // The actor process is the Node worker's parent (the actor spawns it directly).
      actorPid = parentOf(workerPid)
      const cmdline = fs.readFileSync(`/proc/${actorPid}/cmdline`, "utf8")
      expect(cmdline).toContain("GrismWorker") // a Ray worker process hosting our actor
      killPid(actorPid)
      return [actorPid]
    })
    timings["queryWithActorKillMs"] = ms
    expect(alive(actorPid)).toBe(false)
    // Its Node worker died with it; Ray restarts the actor, which starts a new Node worker.
    expect(await eventually(() => !alive(workerPid), 5000)).toBe(true)
    const t = performance.now()
    expect(
      await eventually(async () => {
        const pids = await run(slow.cluster.workerPids)
        return pids.length === 2 && pids.every((pid) => pid > 0 && pid !== workerPid)
      }, 60_000, 250)
    ).toBe(true)
    timings["actorBackMs"] = performance.now() - t
  })

  it("an interrupted query leaves nothing running and no refs held; the next query succeeds on the same actors", async () => {
    // Both actors up with a Node worker each (the previous test restarted one).
    expect(await eventually(async () => (await run(slow.cluster.workerPids)).every((pid) => pid > 0), 60_000, 250)).toBe(true)
    const pids = await run(slow.cluster.workerPids)
    const actors = pids.map(parentOf)
    const fiber = Effect.runFork(collectOn(slow.runtime, cityStats()))
    expect(await eventually(async () => (await run(slow.cluster.runningTasks)) > 0, 10_000, 20)).toBe(true)
    await new Promise((r) => setTimeout(r, delayMs / 3))
    const t = performance.now()
    await run(Fiber.interrupt(fiber))
    timings["interruptMs"] = performance.now() - t
    expect(performance.now() - t).toBeLessThan(10_000)
    expect(await run(slow.cluster.runningTasks)).toBe(0)
    expect((await run(slow.cluster.ping)).tasks).toBe(0)
    expect(await run(slow.cluster.heldObjects)).toEqual([])
    expect((await run(slow.cluster.ping)).refs).toBe(graphRefs)

    const expected = await rowsOf(local, cityStats())
    const actual = await rowsOf(slow.runtime, cityStats())
    expect(key(actual.rows).sort()).toEqual(key(expected.rows).sort())
    // The same actors and Node workers ran it: the cancel was answered, nothing was killed.
    expect(await run(slow.cluster.workerPids)).toEqual(pids)
    expect(pids.map(parentOf)).toEqual(actors)
    expect(await run(slow.cluster.heldObjects)).toEqual([])
  })
})
