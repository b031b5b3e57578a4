/**
 * RayCluster on a real local Ray: objects, stage tasks end to end, the Node worker killed
 * between and during tasks, cancellation, a second cluster connected by address, the
 * distributed runtime against LocalRuntime on the example graph, and the bridge's death.
 * One Ray for the whole file (started in beforeAll, stopped in afterAll).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import type { StorageService } from "../../src/Engine/Storage.js"
import * as Partitioning from "../../src/Engine/Partitioning.js"
import { NodeScanExec, ScanColumn, StageInputExec } from "../../src/Engine/PhysicalPlan.js"
import * as PhysicalSchema from "../../src/Engine/PhysicalSchema.js"
import { col, count, max } from "../../src/Engine/Expr.js"
import * as LocalRuntime from "../../src/LocalRuntime/LocalRuntime.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import { Runtime } from "../../src/Query/Runtime.js"
import { type ObjectRef, TaskConfig, TaskFailure, TaskInput, TaskSpec } from "../../src/RayRuntime/Protocol.js"
import * as RayRuntime from "../../src/RayRuntime/RayRuntime.js"
import * as Worker from "../../src/RayRuntime/Worker.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import * as Compare from "../utils/Compare.js"
import { alive, columnOf, eventually, exampleGraph, killPid, type Started, startCluster, storageOf } from "./harness.js"

const people = exampleGraph.nodes!.filter((n) => n.labels.includes("Person"))
const expectedNames = people.map((n) => n.properties!["name"] as string).sort()
const expectedAgeSum = people.reduce((s, n) => s + (n.properties!["age"] as number), 0)

const personColumns = PhysicalSchema.fromColumns([["p.name", DataType.String], ["p.age", DataType.Int64]])
const scanPlan = new NodeScanExec({
  id: 0,
  output: personColumns,
  qualifier: "p",
  label: "Person",
  columns: [new ScanColumn({ field: "name", dataType: DataType.String }), new ScanColumn({ field: "age", dataType: DataType.Int64 })]
})
const gatherPlan = new StageInputExec({ id: 0, output: personColumns, stage: 0, mode: Partitioning.gather })
const config = new TaskConfig({ batchSize: 64, hopCap: 8, memoryLimit: 1 << 30 })

let storage: StorageService
let snapshot: number
let main: Started
const timings: Record<string, number> = {}

const task = (fields: { stage: number; plan: unknown; output: Partitioning.PartitioningSpec; inputs?: ReadonlyArray<TaskInput>; attempt?: number }) =>
  new TaskSpec({
    query: "ray-test",
    stage: fields.stage,
    plan: fields.plan,
    partition: 0,
    attempt: fields.attempt ?? 1,
    inputs: fields.inputs ?? [],
    output: fields.output,
    snapshot,
    config
  })

const scanTask = (n: number) =>
  task({ stage: 0, plan: Worker.encodeTaskPlan(scanPlan), output: new Partitioning.RoundRobin({ n }) })

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
const runExit = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromiseExit(effect)
const failureOf = <A>(exit: Exit.Exit<A, TaskFailure>): TaskFailure => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "None") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return failure.value
}

/** Scans Person into `n` round-robin partitions and reads back names and ages. */
const scanAndRead = async (cluster: Started["cluster"], n = 2) => {
  const result = await run(cluster.submit(scanTask(n)))
  const blobs = await Promise.all(result.outputs.map((o) => run(cluster.get(o.ref))))
  const names = blobs.flatMap((b) => columnOf(b, "p.name") as Array<string>).sort()
  const ages = blobs.flatMap((b) => columnOf(b, "p.age") as Array<number>)
  await run(cluster.release(result.outputs.map((o) => o.ref)))
  return { result, names, ageSum: ages.reduce((s, a) => s + a, 0) }
}

beforeAll(async () => {
  storage = await storageOf(exampleGraph)
  snapshot = await run(storage.current)
  // 4 logical CPUs: 2 for this cluster's actors, 2 for the second cluster that connects by address.
  main = await startCluster(storage, { workers: 2, numCpus: 4 })
  timings["mainStartMs"] = main.startMs
  timings["rayStartMs"] = main.cluster.startup.rayMs
  timings["workersStartMs"] = main.cluster.startup.workersMs
})

afterAll(async () => {
  const bridge = main?.cluster.bridgePid
  const tracked = main ? await run(main.cluster.trackedProcesses) : []
  const closing = performance.now()
  await main?.close()
  timings["closeMs"] = performance.now() - closing
  console.log("ray timings (ms):", JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]))))
  // Everything this file started is gone.
  if (bridge !== undefined) expect(await eventually(() => !alive(bridge), 5000)).toBe(true)
  expect(await eventually(() => tracked.every((pid) => !alive(pid)), 10_000)).toBe(true)
})

describe("RayCluster on a local Ray", () => {
  it("starts a local Ray on loopback with one alive node and 2 workers", async () => {
    const nodes = await run(main.cluster.nodes)
    expect(nodes.filter((n) => n.alive)).toHaveLength(1)
    expect(nodes[0]!.address).toBe("127.0.0.1")
    expect(nodes[0]!.cpus).toBe(4)
    expect(main.cluster.startedLocal).toBe(true)
    expect(main.cluster.address).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(main.cluster.parallelism).toBe(2)
    const pids = await run(main.cluster.workerPids)
    expect(pids).toHaveLength(2)
    expect(pids.every((pid) => pid > 0 && alive(pid))).toBe(true)
  })

  it("puts and gets objects inline and in the object store, and releases them", async () => {
    const small = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff)
    const large = Uint8Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 13 + 5) & 0xff) // above the 100 KiB inline limit
    const before = (await run(main.cluster.ping)).refs
    const t = performance.now()
    const refs = [await run(main.cluster.put(small)), await run(main.cluster.put(large))]
    const back = [await run(main.cluster.get(refs[0]!)), await run(main.cluster.get(refs[1]!))]
    timings["putGet3MiBMs"] = performance.now() - t
    expect(Buffer.compare(Buffer.from(back[0]!), Buffer.from(small))).toBe(0)
    expect(Buffer.compare(Buffer.from(back[1]!), Buffer.from(large))).toBe(0)
    expect(await run(main.cluster.heldObjects)).toEqual(expect.arrayContaining(refs))
    expect((await run(main.cluster.ping)).refs).toBe(before + 2)
    await run(main.cluster.release(refs))
    expect((await run(main.cluster.ping)).refs).toBe(before)
    expect(await run(main.cluster.heldObjects)).not.toEqual(expect.arrayContaining([refs[0]]))
    const lost = failureOf(await runExit(main.cluster.get(refs[1]!)))
    expect(lost.kind).toBe("INPUT_LOST")
  })

  it("runs a scan stage into 2 partitions and a gather stage over both outputs", async () => {
    const t = performance.now()
    const first = await run(main.cluster.submit(scanTask(2)))
    timings["scanTaskMs"] = performance.now() - t
    expect(first.outputs).toHaveLength(2)
    expect(first.outputs.map((o) => o.rows).reduce((a, b) => a + b, 0)).toBe(people.length)
    expect(first.outputs.every((o) => o.bytes > 0)).toBe(true)
    expect(first.worker).toMatch(/^ray:\d@/)
    expect(first.operators.length).toBeGreaterThan(0)

    // The gather stage gets both refs as top-level arguments of its actor call.
    const second = await run(main.cluster.submit(task({
      stage: 1,
      plan: Worker.encodeTaskPlan(gatherPlan),
      output: Partitioning.single,
      inputs: [new TaskInput({ producer: 0, refs: first.outputs.map((o) => o.ref) })]
    })))
    expect(second.outputs).toHaveLength(1)
    expect(second.outputs[0]!.rows).toBe(people.length)
    const bytes = await run(main.cluster.get(second.outputs[0]!.ref))
    expect((columnOf(bytes, "p.name") as Array<string>).sort()).toEqual(expectedNames)
    expect((columnOf(bytes, "p.age") as Array<number>).reduce((s, a) => s + a, 0)).toBe(expectedAgeSum)
    await run(main.cluster.release([...first.outputs, ...second.outputs].map((o) => o.ref)))
    expect(await run(main.cluster.runningTasks)).toBe(0)
    expect((await run(main.cluster.ping)).tasks).toBe(0)
  })

  it("fails a task whose plan does not decode with STAGE_ERROR and its typed error", async () => {
    const failure = failureOf(await runExit(main.cluster.submit(task({ stage: 0, plan: { _tag: "NoSuchExec" }, output: Partitioning.single }))))
    expect(failure.kind).toBe("STAGE_ERROR")
    expect(failure.error?._tag).toBe("InvalidPlan")
    expect(failure.worker).toMatch(/^ray:\d/)
  })

  it("fails a task whose input ref is unknown with INPUT_LOST", async () => {
    const failure = failureOf(await runExit(main.cluster.submit(task({
      stage: 1,
      plan: Worker.encodeTaskPlan(gatherPlan),
      output: Partitioning.single,
      inputs: [new TaskInput({ producer: 0, refs: ["o-nope" as ObjectRef] })]
    }))))
    expect(failure.kind).toBe("INPUT_LOST")
  })

  it("gives the same answer after the Node workers are SIGKILLed between tasks", async () => {
    const before = await run(main.cluster.workerPids)
    expect(before.every((pid) => pid > 0)).toBe(true)
    for (const pid of before) killPid(pid)
    expect(await eventually(() => before.every((pid) => !alive(pid)), 5000)).toBe(true)
    const t = performance.now()
    const again = await scanAndRead(main.cluster, 3)
    timings["respawnAndScanMs"] = performance.now() - t
    expect(again.names).toEqual(expectedNames)
    expect(again.ageSum).toBe(expectedAgeSum)
    const after = await run(main.cluster.workerPids)
    expect(after.some((pid) => pid > 0 && !before.includes(pid))).toBe(true)
  })

  it("runs the example graph's queries with the same answers as LocalRuntime", async () => {
    const queries = {
      cityStats: Hypergraph.nodes("Person", { as: "p" })
        .expand("LIVES_IN", { to: "City", as: "c" })
        .groupBy("c.name")
        .agg({ residents: count(), oldest: max(col("p.age")) }),
      fof: Hypergraph.nodes("Person", { as: "p" })
        .filter(col("p.city").eq("Zürich"))
        .expand("KNOWS", { to: "Person", as: "f", edgeAs: "k1" })
        .expand("KNOWS", { to: "Person", as: "fof", edgeAs: "k2" })
        .groupBy("fof.city")
        .agg({ paths: count() }),
      meetings: Hypergraph.hyperedges("MEETING", { as: "m" })
        .expandRole("attendee", { to: "Person", as: "a" })
        .groupBy("m.topic")
        .agg({ attendees: count() })
    }
    const storageLayer = InMemoryStorage.layer(exampleGraph)
    const ray = Layer.succeed(Runtime, RayRuntime.make(storage, main.cluster, { partitions: 3 }))
    const local = LocalRuntime.layer.pipe(Layer.provide(storageLayer))
    const t = performance.now()
    for (const [name, q] of Object.entries(queries)) {
      const expected = Compare.tableToRows(await run(Effect.provide(q.collect(), local)))
      const actual = Compare.tableToRows(await run(Effect.provide(q.collect(), ray)))
      expect(expected.rows.length, name).toBeGreaterThan(0)
      expect(actual.columns, name).toEqual(expected.columns)
      const sort = (rows: ReadonlyArray<ReadonlyArray<unknown>>) =>
        rows.map((r) => JSON.stringify(r, (_, v) => (typeof v === "bigint" ? `${v}n` : v))).sort()
      expect(sort(actual.rows), name).toEqual(sort(expected.rows))
    }
    timings["threeQueriesOnRayMs"] = performance.now() - t
    expect(await run(main.cluster.heldObjects)).toEqual([])
    expect((await run(main.cluster.ping)).tasks).toBe(0)
  })
})

describe("a second RayCluster connected by address (slow tasks)", () => {
  let slow: Started

  beforeAll(async () => {
    slow = await startCluster(storage, { address: main.cluster.address, workers: 2, workerEnv: { GRISM_WORKER_TASK_DELAY_MS: "1500" } })
    timings["connectByAddressMs"] = slow.startMs
  })

  afterAll(async () => {
    await slow?.close()
  })

  it("uses the same Ray and did not start one", async () => {
    expect(slow.cluster.startedLocal).toBe(false)
    expect(slow.cluster.address).toBe(main.cluster.address)
    const nodes = await run(slow.cluster.nodes)
    expect(nodes.filter((n) => n.alive).map((n) => n.nodeId)).toEqual((await run(main.cluster.nodes)).filter((n) => n.alive).map((n) => n.nodeId))
  })

  it("fails a task whose Node worker is SIGKILLed mid-task with WORKER_DIED, then recovers", async () => {
    const fiber = Effect.runFork(slow.cluster.submit(scanTask(2)))
    await new Promise((r) => setTimeout(r, 700)) // the task sleeps 1500 ms in its worker
    const pids = (await run(slow.cluster.workerPids)).filter((pid) => pid > 0)
    expect(pids).toHaveLength(2)
    for (const pid of pids) killPid(pid)
    const t = performance.now()
    const exit = await Effect.runPromise(Fiber.await(fiber))
    timings["workerDeathReportedMs"] = performance.now() - t
    expect(failureOf(exit).kind).toBe("WORKER_DIED")
    const again = await scanAndRead(slow.cluster)
    expect(again.names).toEqual(expectedNames)
    expect(again.ageSum).toBe(expectedAgeSum)
  })

  it("gives LocalRuntime's answer through RayRuntime when the Node workers are SIGKILLed mid-query", async () => {
    const q = Hypergraph.nodes("Person", { as: "p" })
      .expand("LIVES_IN", { to: "City", as: "c" })
      .groupBy("c.name")
      .agg({ residents: count() })
    const local = LocalRuntime.layer.pipe(Layer.provide(InMemoryStorage.layer(exampleGraph)))
    const expected = Compare.tableToRows(await run(Effect.provide(q.collect(), local)))
    const ray = Layer.succeed(Runtime, RayRuntime.make(storage, slow.cluster, { partitions: 2, maxAttempts: 3 }))
    const query = Effect.runPromise(Effect.provide(q.collect(), ray))
    await new Promise((r) => setTimeout(r, 700)) // first-stage tasks sleep 1500 ms in their workers
    const pids = (await run(slow.cluster.workerPids)).filter((pid) => pid > 0)
    expect(pids.length).toBeGreaterThan(0)
    for (const pid of pids) killPid(pid)
    const t = performance.now()
    const actual = Compare.tableToRows(await query)
    timings["queryWithWorkerKillMs"] = performance.now() - t + 700
    const key = (rows: ReadonlyArray<ReadonlyArray<unknown>>) =>
      rows.map((r) => JSON.stringify(r, (_, v) => (typeof v === "bigint" ? `${v}n` : v))).sort()
    expect(actual.columns).toEqual(expected.columns)
    expect(key(actual.rows)).toEqual(key(expected.rows))
    expect((await run(slow.cluster.workerPids)).some((pid) => pid > 0 && !pids.includes(pid))).toBe(true)
    expect(await run(slow.cluster.heldObjects)).toEqual([])
  })

  it("cancels a running task when its fiber is interrupted, leaving nothing running", async () => {
    const fiber = Effect.runFork(slow.cluster.submit(scanTask(2)))
    await new Promise((r) => setTimeout(r, 500))
    const pids = (await run(slow.cluster.workerPids)).filter((pid) => pid > 0)
    expect(await run(slow.cluster.runningTasks)).toBe(1)
    const t = performance.now()
    await Effect.runPromise(Fiber.interrupt(fiber))
    timings["cancelMs"] = performance.now() - t
    expect(performance.now() - t).toBeLessThan(5000)
    expect(await run(slow.cluster.runningTasks)).toBe(0)
    expect((await run(slow.cluster.ping)).tasks).toBe(0)
    expect(await run(slow.cluster.heldObjects)).toEqual([])
    // The worker answered the cancel: it was not killed.
    expect((await run(slow.cluster.workerPids)).filter((pid) => pids.includes(pid))).toHaveLength(pids.length)
  })

  it("fails a running task with BRIDGE_DIED within seconds when the bridge is SIGKILLed", async () => {
    const fiber = Effect.runFork(slow.cluster.submit(scanTask(2)))
    await new Promise((r) => setTimeout(r, 500))
    const pids = (await run(slow.cluster.workerPids)).filter((pid) => pid > 0)
    killPid(slow.cluster.bridgePid)
    const t = performance.now()
    const exit = await Effect.runPromise(Fiber.await(fiber))
    timings["bridgeDeathReportedMs"] = performance.now() - t
    expect(performance.now() - t).toBeLessThan(3000)
    expect(failureOf(exit).kind).toBe("BRIDGE_DIED")
    const later = failureOf(await runExit(slow.cluster.get("o1" as ObjectRef)))
    expect(later.kind).toBe("BRIDGE_DIED")
    // Ray stops the actors of a dead driver, and their Node workers die with them.
    expect(await eventually(() => pids.every((pid) => !alive(pid)), 30_000)).toBe(true)
    // The first cluster is unaffected.
    const still = await scanAndRead(main.cluster)
    expect(still.names).toEqual(expectedNames)
  })
})
