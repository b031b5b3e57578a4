/**
 * A Ray node dies while a query runs through the distributed runtime's planner and
 * executor (test/ray/multinode.py: a 0-CPU head and two 1-CPU nodes, one worker actor on
 * each). The query's first-stage outputs are ~200 KB each — above Ray's 100 KiB inline
 * limit, so they live only in the object store of the node that produced them. The node
 * holding a producer's outputs is killed while the consumer stage runs: its consumer task
 * dies (WORKER_DIED), the retry on the survivor finds that input gone (INPUT_LOST), the
 * executor reruns the lost producer there and retries — and the answer is LocalRuntime's.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Arrow from "apache-arrow"
import * as fs from "node:fs"
import { Cause, Effect, Exit } from "effect"
import { col, count, max } from "../../src/Engine/Expr.js"
import type { GraphInput, StorageService } from "../../src/Engine/Storage.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import type { ClusterService } from "../../src/RayRuntime/Cluster.js"
import * as Compare from "../utils/Compare.js"
import { collectOn, localRuntime, runStages } from "../RayRuntime/helpers.js"
import { alive, eventually, type MultiNode, type Started, startCluster, startMultiNode, storageOf } from "./harness.js"

const delayMs = 1000

// 4000 people with ~200-character names in 40 groups: grouping by name, each first-stage
// task's output partition holds ~1000 distinct names (~200 KB).
const graph: GraphInput = {
  nodes: Array.from({ length: 4000 }, (_, i) => ({
    id: i + 1,
    labels: ["Person"],
    properties: { name: `person-${String(i).padStart(4, "0")}-${"y".repeat(190)}`, group: i % 40 }
  }))
}

/** Per name: how many people and the largest group — a partial and a final aggregate, shuffled by name. */
const query = () =>
  Hypergraph.nodes("Person", { as: "p" })
    .groupBy("p.name")
    .agg({ n: count(), g: max(col("p.group")) })

let multinode: MultiNode | undefined
let info: MultiNode["info"]
let ray: Started
let storage: StorageService
let tempDir: string | undefined
const timings: Record<string, number> = {}

beforeAll(async () => {
  const started = performance.now()
  tempDir = fs.mkdtempSync("/tmp/grr-mnr-")
  multinode = await startMultiNode(tempDir)
  info = multinode.info
  timings["multinodeStartMs"] = performance.now() - started
  storage = await storageOf(graph)
  ray = await startCluster(storage, {
    address: info.address,
    workers: 2,
    nodePollMs: 300,
    workerEnv: { GRISM_WORKER_TASK_DELAY_MS: String(delayMs) }
  })
  timings["connectMs"] = ray.startMs
})

afterAll(async () => {
  await ray?.close()
  if (multinode !== undefined) expect(await multinode.stop()).toBe(true)
  if (tempDir !== undefined) fs.rmSync(tempDir, { recursive: true, force: true })
  console.log("node-death runtime timings (ms):", JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]))))
})

describe("the distributed runtime when a Ray node dies mid-stage", () => {
  it("recomputes the lost producer outputs and gives LocalRuntime's answer", async () => {
    const cluster = ray.cluster
    const submitted: Array<{ stage: number; partition: number; attempt: number }> = []
    const failures: Array<string> = []
    const producedOn = new Map<number, string>() // stage-0 task → node id prefix of its worker
    let killedIndex = -1
    let killing: Promise<void> | undefined
    let killedAt = 0

    /** Kills the node that ran stage-0 task 0, once the consumer stage's tasks are running. */
    const killProducerNode = async () => {
      await new Promise((r) => setTimeout(r, delayMs / 3)) // the consumer tasks sleep `delayMs` in their workers
      const node = producedOn.get(0)!
      killedIndex = info.nodes.findIndex((id) => id.startsWith(node))
      expect(killedIndex).toBeGreaterThanOrEqual(0)
      expect(await multinode!.kill(killedIndex)).toBe(info.nodes[killedIndex])
      killedAt = performance.now()
    }

    // The cluster as the executor sees it, watched: which task ran where, and when the consumer stage starts.
    const watched: ClusterService = {
      ...cluster,
      submit: (task) =>
        Effect.suspend(() => {
          submitted.push({ stage: task.stage, partition: task.partition, attempt: task.attempt })
          if (task.stage === 1 && killing === undefined) killing = killProducerNode()
          return cluster.submit(task).pipe(
            Effect.tap((result) =>
              Effect.sync(() => {
                if (task.stage === 0 && task.attempt === 1) producedOn.set(task.partition, result.worker.split("@")[1]!.split("/")[0]!)
              })
            ),
            Effect.tapError((failure) => Effect.sync(() => failures.push(`${task.stage}/${task.partition}#${task.attempt}: ${failure.kind}`)))
          )
        })
    }

    const expected = Compare.tableToRows(await Effect.runPromise(collectOn(await Effect.runPromise(localRuntime(storage)), query())))
    const t = performance.now()
    const { exit, metrics, stages } = await Effect.runPromise(runStages(storage, watched, query(), 2))
    timings["queryMs"] = performance.now() - t
    await killing
    timings["recoveredAfterKillMs"] = performance.now() - killedAt
    if (Exit.isFailure(exit)) throw new Error(Cause.pretty(exit.cause))
    expect(stages.stages).toHaveLength(2)

    // The answer.
    const actual = Compare.tableToRows(new Arrow.Table(exit.value))
    const key = (rows: ReadonlyArray<ReadonlyArray<unknown>>) =>
      rows.map((r) => JSON.stringify(r, (_, v) => (typeof v === "bigint" ? `${v}n` : v))).sort()
    expect(expected.rows).toHaveLength(graph.nodes!.length)
    expect(actual.columns).toEqual(expected.columns)
    expect(key(actual.rows)).toEqual(key(expected.rows))

    // The data was big enough to live in the object stores.
    const producer = metrics.stage(0)
    expect(Math.min(...producer.outputBytes)).toBeGreaterThan(2 * 100 * 1024) // two tasks' outputs per partition

    // The node died and the recovery happened: a consumer retried, the lost producer was recomputed on the survivor.
    expect(killedIndex).toBeGreaterThanOrEqual(0)
    expect(await eventually(async () => (await Effect.runPromise(cluster.nodeDeaths)).includes(info.nodes[killedIndex]!), 10_000)).toBe(true)
    expect(submitted.some((s) => s.attempt > 1)).toBe(true)
    console.log("node-death runtime failures:", failures.join("; "))
    expect(failures.some((f) => f.endsWith("INPUT_LOST"))).toBe(true)
    expect(metrics.stage(1).attempts).toBeGreaterThan(metrics.stage(1).tasks)
    expect(producer.attempts).toBeGreaterThan(producer.tasks)
    const rerun = submitted.filter((s) => s.stage === 0 && s.attempt > 1)
    expect(rerun.map((s) => s.partition)).toContain(0)
    const survivor = info.nodes[1 - killedIndex]!
    expect(survivor.startsWith(producer.placement[0]!.split("@")[1]!.split("/")[0]!)).toBe(true)
    expect(metrics.stage(1).placement.every((w) => survivor.startsWith(w.split("@")[1]!.split("/")[0]!))).toBe(true)

    // Nothing left: no object of the query held, nothing running.
    expect(await Effect.runPromise(cluster.heldObjects)).toEqual([])
    expect(await Effect.runPromise(cluster.runningTasks)).toBe(0)
    const ping = await Effect.runPromise(cluster.ping)
    expect(ping.tasks).toBe(0)
    expect(ping.refs).toBe(1) // the exported graph of the snapshot, kept for the cluster's life
    expect(alive(cluster.bridgePid)).toBe(true)
  })
})
