/**
 * Node death on a multi-node Ray (test/ray/multinode.py: a 0-CPU head and two 1-CPU nodes,
 * each with its own raylet and object store): the bridge reports the dead node, an output
 * that lived only there is INPUT_LOST (for `get` and for a consumer task), the actor that
 * lived there is taken out of scheduling, and a rerun of the producer on the surviving
 * node gives the same answer — the coordinator-owned recovery RAY.md describes.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import { Cause, Effect, Exit } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import * as Partitioning from "../../src/Engine/Partitioning.js"
import { NodeScanExec, ScanColumn, StageInputExec } from "../../src/Engine/PhysicalPlan.js"
import * as PhysicalSchema from "../../src/Engine/PhysicalSchema.js"
import type { GraphInput } from "../../src/Engine/Storage.js"
import { TaskConfig, TaskFailure, TaskInput, TaskSpec } from "../../src/RayRuntime/Protocol.js"
import * as Worker from "../../src/RayRuntime/Worker.js"
import { alive, columnOf, eventually, type MultiNode, type Started, startCluster, startMultiNode, storageOf } from "./harness.js"


// 3000 people with 120-character names: one scan output is ~400 KB, above Ray's 100 KiB
// inline limit, so it lives only in the object store of the node that produced it.
const graph: GraphInput = {
  nodes: Array.from({ length: 3000 }, (_, i) => ({
    id: i + 1,
    labels: ["Person"],
    properties: { name: `person-${String(i).padStart(4, "0")}-${"x".repeat(108)}` }
  }))
}
const expectedNames = graph.nodes!.map((n) => n.properties!["name"] as string).sort()
const columns = PhysicalSchema.fromColumns([["p.name", DataType.String]])
const scanPlan = Worker.encodeTaskPlan(
  new NodeScanExec({ id: 0, output: columns, qualifier: "p", label: "Person", columns: [new ScanColumn({ field: "name", dataType: DataType.String })] })
)
const gatherPlan = Worker.encodeTaskPlan(new StageInputExec({ id: 0, output: columns, stage: 0, mode: Partitioning.gather }))
const config = new TaskConfig({ batchSize: 1024, hopCap: 8, memoryLimit: 1 << 30 })

let multinode: MultiNode | undefined
let info: MultiNode["info"]
let cluster: Started
let snapshot: number
let tempDir: string | undefined
const timings: Record<string, number> = {}

const task = (stage: number, plan: unknown, inputs: ReadonlyArray<TaskInput> = []) =>
  new TaskSpec({ query: "node-death", stage, plan, partition: 0, attempt: 1, inputs, output: Partitioning.single, snapshot, config })

const failureOf = <A>(exit: Exit.Exit<A, TaskFailure>): TaskFailure => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "None") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return failure.value
}

beforeAll(async () => {
  const started = performance.now()
  tempDir = fs.mkdtempSync("/tmp/grr-mn-")
  multinode = await startMultiNode(tempDir)
  info = multinode.info
  timings["multinodeStartMs"] = performance.now() - started
  const storage = await storageOf(graph)
  snapshot = await Effect.runPromise(storage.current)
  cluster = await startCluster(storage, { address: info.address, workers: 2, nodePollMs: 300 })
  timings["connectMs"] = cluster.startMs
})

afterAll(async () => {
  await cluster?.close()
  if (multinode !== undefined) expect(await multinode.stop()).toBe(true)
  if (tempDir !== undefined) fs.rmSync(tempDir, { recursive: true, force: true })
  console.log("node-death timings (ms):", JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]))))
})

describe("RayCluster when a Ray node dies", () => {
  it("places one worker actor on each 1-CPU node, all on loopback", async () => {
    const nodes = await Effect.runPromise(cluster.cluster.nodes)
    expect(nodes.filter((n) => n.alive)).toHaveLength(3)
    expect(nodes.every((n) => n.address === "127.0.0.1")).toBe(true)
    expect(nodes.filter((n) => n.cpus === 1).map((n) => n.nodeId).sort()).toEqual([...info.nodes].sort())
  })

  it("reports the node dead, loses its outputs as INPUT_LOST, and reruns on the survivor", async () => {
    const produced = await Effect.runPromise(cluster.cluster.submit(task(0, scanPlan)))
    expect(produced.outputs[0]!.rows).toBe(graph.nodes!.length)
    expect(produced.outputs[0]!.bytes).toBeGreaterThan(200 * 1024)
    const producerNode = produced.worker.split("@")[1]!.split("/")[0]!
    const index = info.nodes.findIndex((id) => id.startsWith(producerNode))
    expect(index).toBeGreaterThanOrEqual(0)

    expect(await multinode!.kill(index)).toBe(info.nodes[index])
    const killedAt = performance.now()
    const reported = await eventually(async () => (await Effect.runPromise(cluster.cluster.nodeDeaths)).includes(info.nodes[index]!), 20_000, 100)
    timings["nodeDeathReportedMs"] = performance.now() - killedAt
    expect(reported).toBe(true)

    // The only copy of the output was on the dead node.
    let t = performance.now()
    const lost = failureOf(await Effect.runPromiseExit(cluster.cluster.get(produced.outputs[0]!.ref)))
    timings["getLostMs"] = performance.now() - t
    expect(lost.kind).toBe("INPUT_LOST")
    t = performance.now()
    const consumer = failureOf(await Effect.runPromiseExit(cluster.cluster.submit(task(1, gatherPlan, [new TaskInput({ producer: 0, refs: [produced.outputs[0]!.ref] })]))))
    timings["consumerOfLostMs"] = performance.now() - t
    expect(consumer.kind).toBe("INPUT_LOST")
    expect(consumer.detail).toContain(`lost: ${produced.outputs[0]!.ref}`) // which input to recompute

    // Recovery is the coordinator's: rerun the producer; it lands on the surviving node.
    t = performance.now()
    const rerun = await Effect.runPromise(cluster.cluster.submit(task(0, scanPlan)))
    timings["rerunMs"] = performance.now() - t
    expect(rerun.worker).not.toContain(`@${producerNode}`)
    const consumed = await Effect.runPromise(cluster.cluster.submit(task(1, gatherPlan, [new TaskInput({ producer: 0, refs: [rerun.outputs[0]!.ref] })])))
    const bytes = await Effect.runPromise(cluster.cluster.get(consumed.outputs[0]!.ref))
    expect((columnOf(bytes, "p.name") as Array<string>).sort()).toEqual(expectedNames)
    await Effect.runPromise(cluster.cluster.release([produced, rerun, consumed].map((r) => r.outputs[0]!.ref)))
    expect(alive(cluster.cluster.bridgePid)).toBe(true)
  })
})
