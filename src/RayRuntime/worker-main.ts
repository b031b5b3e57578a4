/**
 * Entry of a worker process (spawned by `ProcessCluster`, later by a Ray actor). Frames
 * travel on file descriptor 3, a duplex pipe to the parent, so stdout and stderr stay
 * free for logging. The worker exits when that pipe closes (its parent is gone).
 *
 * The graph arrives in `LoadGraph` frames: a `GraphInput` serialized with `node:v8`
 * (which keeps bigint, NaN, -0, Date and typed arrays exactly), committed into a fresh
 * in-memory storage.
 *
 * Environment: `GRISM_WORKER_TASK_DELAY_MS` (tests) delays every task.
 *
 * @since 0.1.0
 */
import * as net from "node:net"
import * as v8 from "node:v8"
import * as Effect from "effect/Effect"
import { invalidPlan } from "../Engine/ExecutionError.js"
import type { GraphInput } from "../Engine/Storage.js"
import * as InMemoryStorage from "../Storage/InMemoryStorage.js"
import * as FrameCodec from "./FrameCodec.js"
import { protocolVersion } from "./Protocol.js"
import * as Worker from "./Worker.js"

const socket = new net.Socket({ fd: 3, readable: true, writable: true })

const loadGraph = (blob: Uint8Array) =>
  Effect.gen(function*() {
    const graph = yield* Effect.try({
      try: () => v8.deserialize(blob) as GraphInput,
      catch: (cause) => invalidPlan("MalformedPlan", `shipped graph does not decode: ${String(cause)}`)
    })
    const storage = yield* InMemoryStorage.make(graph)
    return { storage, snapshot: yield* storage.current }
  })

const delay = Number(process.env["GRISM_WORKER_TASK_DELAY_MS"] ?? "0")
const server = Worker.serve({
  channel: { write: (bytes) => void socket.write(bytes) },
  loadGraph,
  taskDelayMs: Number.isFinite(delay) ? delay : 0
})

socket.on("data", (chunk: Buffer) => server.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)))
socket.on("close", () => process.exit(0))
socket.on("error", () => process.exit(0))
socket.write(FrameCodec.encode({ _tag: "Hello", version: protocolVersion, pid: process.pid }))
