/**
 * The worker side of the protocol (`Worker.serve`), driven in-process through a fake
 * channel: every reply is a frame that decodes with the `FromWorker` Schema.
 */
import { describe, expect, it } from "@effect/vitest"
import * as v8 from "node:v8"
import { Effect, Either, Schema } from "effect"
import * as ExecutionContext from "../../src/Engine/ExecutionContext.js"
import * as Partitioning from "../../src/Engine/Partitioning.js"
import type { GraphInput } from "../../src/Engine/Storage.js"
import * as DistributedPlanner from "../../src/Planner/DistributedPlanner.js"
import * as QueryPlanner from "../../src/Planner/QueryPlanner.js"
import * as StageSplitter from "../../src/Planner/StageSplitter.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import * as FrameCodec from "../../src/RayRuntime/FrameCodec.js"
import * as Ipc from "../../src/RayRuntime/internal/ipc.js"
import * as Protocol from "../../src/RayRuntime/Protocol.js"
import * as Worker from "../../src/RayRuntime/Worker.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"

const graph: GraphInput = {
  nodes: [
    { id: 1, labels: ["Person"], properties: { name: "Ann", age: 30 } },
    { id: 2, labels: ["Person"], properties: { name: "Bob", age: 25 } },
    { id: 3, labels: ["Person"], properties: { name: "Cid", age: 41 } }
  ]
}

/** A worker over a fake channel; `replies` decodes what it sent. */
const harness = (taskDelayMs?: number) => {
  const reader = new FrameCodec.FrameReader()
  const frames: Array<FrameCodec.Frame> = []
  const server = Worker.serve({
    channel: { write: (bytes) => frames.push(...reader.push(bytes)) },
    loadGraph: (blob) =>
      Effect.gen(function*() {
        const storage = yield* Effect.orDie(InMemoryStorage.make(v8.deserialize(blob) as GraphInput))
        return { storage, snapshot: yield* storage.current }
      }),
    taskDelayMs
  })
  const replies = () =>
    frames.map((f) => {
      const decoded = Schema.decodeUnknownEither(Protocol.FromWorker)(f.header)
      if (Either.isLeft(decoded)) throw new Error(`reply does not decode: ${decoded.left.message}`)
      return { message: decoded.right, blobs: f.blobs }
    })
  return { server, replies }
}

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
}

/** A task scanning `Person` names and ages into `output` partitions. */
const scanTask = async (output: Partitioning.PartitioningSpec, inputs: ReadonlyArray<Protocol.TaskInput> = []) => {
  const storage = await Effect.runPromise(Effect.orDie(InMemoryStorage.make(graph)))
  const snapshot = await Effect.runPromise(storage.current)
  const prepared = await Effect.runPromise(Effect.orDie(QueryPlanner.prepare(
    Hypergraph.nodes("Person", { as: "p" }).select("p.name", "p.age").plan,
    storage,
    snapshot,
    ExecutionContext.defaultConfig,
    { optimize: true }
  )))
  const stages = StageSplitter.split(DistributedPlanner.plan(prepared.physical, 1))
  return new Protocol.TaskSpec({
    query: "test",
    stage: 0,
    plan: Worker.encodeTaskPlan(StageSplitter.taskPlan(stages.stages[0]!, 0)),
    partition: 0,
    attempt: 1,
    inputs,
    output,
    snapshot: 7,
    config: new Protocol.TaskConfig({ batchSize: 2, hopCap: 8, memoryLimit: 1 << 24 })
  })
}

const frame = (message: Protocol.ToWorker, blobs: ReadonlyArray<Uint8Array> = []) =>
  FrameCodec.encode(Schema.encodeSync(Protocol.ToWorker)(message) as Record<string, unknown>, blobs)

const loadGraph = frame({ _tag: "LoadGraph", snapshot: 7 }, [new Uint8Array(v8.serialize(graph))])

describe("Worker.serve", () => {
  it("runs a task on a shipped graph and returns one Arrow IPC object per output partition", async () => {
    const { replies, server } = harness()
    const task = await scanTask(new Partitioning.Hash({ keys: ["p.name"], n: 2 }))
    server.push(loadGraph)
    server.push(frame({ _tag: "Run", id: 1, task }))
    await waitFor(() => replies().length > 0)
    const [reply] = replies()
    expect(reply?.message._tag).toBe("Done")
    if (reply?.message._tag !== "Done") return
    expect(reply.blobs).toHaveLength(2)
    const names = reply.blobs.flatMap((b) => Ipc.decode(b).flatMap((batch) => [...batch.getChild("p.name")!]))
    expect(names.sort()).toEqual(["Ann", "Bob", "Cid"])
    expect(reply.message.outputs.map((o) => o.rows).reduce((a, b) => a + b, 0)).toBe(3)
    expect(reply.message.outputs.map((o) => o.bytes)).toEqual(reply.blobs.map((b) => b.byteLength))
    expect(server.running()).toBe(0)
  })

  it("answers a frame whose header is not JSON, and one that is not a protocol message, with ProtocolError", async () => {
    const { replies, server } = harness()
    const junk = new TextEncoder().encode("]]")
    const raw = new Uint8Array(8 + junk.length)
    new DataView(raw.buffer).setUint32(0, 4 + junk.length, true)
    new DataView(raw.buffer).setUint32(4, junk.length, true)
    raw.set(junk, 8)
    server.push(raw)
    server.push(FrameCodec.encode({ _tag: "Cancel", id: "one" }))
    server.push(FrameCodec.encode({ _tag: "LoadGraph", snapshot: 1 })) // no graph blob
    const tags = replies().map((r) => r.message._tag)
    expect(tags).toEqual(["ProtocolError", "ProtocolError", "ProtocolError"])
    // Still serving: well-formed frames behind a bad one in the same chunk are read and run.
    const run = frame({ _tag: "Run", id: 2, task: await scanTask(Partitioning.single) })
    const chunk = new Uint8Array(raw.length + loadGraph.length + run.length)
    chunk.set(raw, 0)
    chunk.set(loadGraph, raw.length)
    chunk.set(run, raw.length + loadGraph.length)
    server.push(chunk)
    await waitFor(() => replies().length > 4)
    expect(replies().slice(3).map((r) => r.message._tag)).toEqual(["ProtocolError", "Done"])
  })

  it("fails typed when the snapshot was never shipped or the input count is wrong", async () => {
    const { replies, server } = harness()
    const task = await scanTask(Partitioning.single)
    server.push(frame({ _tag: "Run", id: 3, task }))
    server.push(loadGraph)
    const withInput = await scanTask(Partitioning.single, [
      new Protocol.TaskInput({ producer: 0, refs: [Protocol.ObjectRef.make("r-1")] })
    ])
    server.push(frame({ _tag: "Run", id: 4, task: withInput })) // the blob of r-1 is missing
    const [lost, mismatch] = replies().map((r) => r.message)
    expect(lost?._tag === "Failed" && lost.kind).toBe("INPUT_LOST")
    expect(mismatch?._tag === "Failed" && mismatch.kind).toBe("STAGE_ERROR")
    expect(mismatch?._tag === "Failed" && mismatch.error?._tag).toBe("InvalidPlan")
  })

  it("cancels a running task on request and says so", async () => {
    const { replies, server } = harness(60_000)
    server.push(loadGraph)
    server.push(frame({ _tag: "Run", id: 5, task: await scanTask(Partitioning.single) }))
    await waitFor(() => server.running() === 1)
    expect(server.running()).toBe(1)
    server.push(frame({ _tag: "Cancel", id: 5 }))
    await waitFor(() => replies().length > 0)
    expect(replies().map((r) => r.message)).toEqual([{ _tag: "Cancelled", id: 5 }])
    expect(server.running()).toBe(0)
  })
})
