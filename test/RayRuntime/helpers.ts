/**
 * Test helpers of the distributed runtime: a storage facade holding many graphs under
 * distinct snapshot ids (so one long-lived cluster serves many random graphs), and the
 * equivalence check of a distributed runtime against the local runtime.
 */
import type * as Arrow from "apache-arrow"
import { Cause, Effect, Exit, Layer, Option, Stream } from "effect"
import * as ExecutionContext from "../../src/Engine/ExecutionContext.js"
import { SnapshotNotFound } from "../../src/Engine/ExecutionError.js"
import * as Metrics from "../../src/Engine/Metrics.js"
import { type GraphInput, Storage, type StorageService } from "../../src/Engine/Storage.js"
import * as LocalRuntime from "../../src/LocalRuntime/LocalRuntime.js"
import * as DistributedPlanner from "../../src/Planner/DistributedPlanner.js"
import * as QueryPlanner from "../../src/Planner/QueryPlanner.js"
import * as StageSplitter from "../../src/Planner/StageSplitter.js"
import type { Frame } from "../../src/Query/Frame.js"
import { Runtime, type RuntimeService } from "../../src/Query/Runtime.js"
import type { ClusterService } from "../../src/RayRuntime/Cluster.js"
import * as RayExecutor from "../../src/RayRuntime/RayExecutor.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import * as Compare from "../utils/Compare.js"
import * as Generators from "../utils/Generators.js"
import * as Reference from "../utils/Reference.js"

/** A storage whose snapshots are whole graphs loaded one after the other (`load` makes the newest current). */
export interface MultiStorage extends StorageService {
  readonly load: (graph: GraphInput) => Effect.Effect<number>
}

/** An empty {@link MultiStorage}: snapshot `g` is the g-th loaded graph (from 1). */
export const multiStorage = (): MultiStorage => {
  const graphs = new Map<number, { readonly storage: StorageService; readonly snapshot: number }>()
  let current = 0
  const at = (snapshot: number) =>
    Effect.suspend(() => {
      const g = graphs.get(snapshot)
      return g === undefined ? Effect.fail(new SnapshotNotFound({ snapshot })) : Effect.succeed(g)
    })
  return {
    load: (graph) =>
      Effect.gen(function*() {
        const storage = yield* Effect.orDie(InMemoryStorage.make(graph))
        const id = ++current
        graphs.set(id, { storage, snapshot: yield* storage.current })
        return id
      }),
    current: Effect.sync(() => current),
    catalog: (snapshot) =>
      Effect.flatMap(at(snapshot), (g) => Effect.map(g.storage.catalog(g.snapshot), (c) => ({ ...c, snapshot }))),
    scanNodes: (snapshot, options) =>
      Stream.unwrap(Effect.map(at(snapshot), (g) => g.storage.scanNodes(g.snapshot, options))),
    scanHyperedges: (snapshot, options) =>
      Stream.unwrap(Effect.map(at(snapshot), (g) => g.storage.scanHyperedges(g.snapshot, options))),
    scanBindings: (snapshot, options) =>
      Stream.unwrap(Effect.map(at(snapshot), (g) => g.storage.scanBindings(g.snapshot, options))),
    index: (snapshot) => Effect.flatMap(at(snapshot), (g) => g.storage.index(g.snapshot)),
    commit: () => Effect.die("MultiStorage is read-only")
  }
}

/** Runs a frame's collect on a runtime service. */
export const collectOn = (runtime: RuntimeService, frame: Frame): Effect.Effect<Arrow.Table, unknown> =>
  Effect.provideService(frame.collect(), Runtime, runtime)

/** The local runtime over a storage. */
export const localRuntime = (storage: StorageService): Effect.Effect<RuntimeService> =>
  Effect.provide(Runtime, LocalRuntime.layer.pipe(Layer.provide(Layer.succeed(Storage, storage))))

/** The error tag of a failure, unwrapping a StageFailed to its cause. */
export const rootTag = (error: unknown): string => {
  const e = error as { _tag?: string; cause?: unknown }
  if (e._tag === "StageFailed") return rootTag(e.cause)
  return e._tag ?? String(error)
}

const failureOf = (exit: Exit.Exit<Arrow.Table, unknown>): { readonly tag: string; readonly message: string } | "defect" | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) return "defect"
  return { tag: rootTag(failure.value), message: String((failure.value as Error).message) }
}

/**
 * Runs a generated query on `graph` (already loaded as the current snapshot of the
 * runtimes' storage) with the local and the distributed runtime; returns a description of
 * a disagreement, or undefined. Failures agree when their root tags agree (the distributed
 * runtime wraps a task's error in StageFailed); an error the reference lists as latent (an
 * eager engine may raise it) may appear on one side only.
 */
export const checkCase = async (
  graph: GraphInput,
  seq: ReadonlyArray<number>,
  local: RuntimeService,
  distributed: RuntimeService,
  options: Generators.QueryOptions = {}
): Promise<string | undefined> => {
  // Let the event loop turn (vitest's worker RPC starves when every step resolves in microtasks).
  await new Promise((resolve) => setImmediate(resolve))
  const ref = Generators.refGraph(graph)
  const query = Generators.buildQuery(ref, seq, options)
  const expected = Reference.evaluateOn(ref, query.frame.plan)
  const localExit = await Effect.runPromiseExit(collectOn(local, query.frame))
  const distExit = await Effect.runPromiseExit(collectOn(distributed, query.frame))
  const context = () => `query: ${query.text}`
  const lf = failureOf(localExit)
  const df = failureOf(distExit)
  if (df === "defect") return `distributed defect: ${Cause.pretty((distExit as Exit.Failure<unknown, unknown>).cause)}\n${context()}`
  if (lf === "defect") return undefined // the local runtime's own bug: not what this suite checks
  const latent = expected._tag === "Rows" ? expected.latent : []
  if (lf !== undefined || df !== undefined) {
    if (lf !== undefined && df !== undefined && lf.tag === df.tag) return undefined
    if (lf !== undefined && df === undefined && latent.includes(lf.tag)) return undefined
    if (df !== undefined && lf === undefined && latent.includes(df.tag)) return undefined
    return `local ${lf === undefined ? "succeeded" : `failed with ${lf.tag} (${lf.message})`}, ` +
      `distributed ${df === undefined ? "succeeded" : `failed with ${df.tag} (${df.message})`}\n${context()}`
  }
  const localRows = Compare.tableToRows((localExit as Exit.Success<Arrow.Table, unknown>).value)
  const distRows = Compare.tableToRows((distExit as Exit.Success<Arrow.Table, unknown>).value)
  const sameCount = expected._tag === "Rows" && expected.rows.length === localRows.rows.length
  const asReference: Reference.ReferenceRows = {
    _tag: "Rows",
    columns: localRows.columns,
    types: localRows.types.map((t) => t!),
    rows: localRows.rows.map((r) => Object.fromEntries(localRows.columns.map((c, i) => [c, r[i]]))),
    segments: sameCount ? expected.segments : undefined,
    determinism: expected._tag === "Rows" ? expected.determinism : "full",
    latent
  }
  const diff = Compare.compare(asReference, distRows)
  return diff === undefined ? undefined : `${diff}\n${context()}`
}

/** Plans a frame into stages (as the Ray runtime does) and runs them on a cluster with fresh metrics. */
export const runStages = (
  storage: StorageService,
  cluster: ClusterService,
  frame: Frame,
  partitions: number,
  maxAttempts?: number
) =>
  Effect.gen(function*() {
    const snapshot = yield* storage.current
    const config = { ...ExecutionContext.defaultConfig, partitions }
    const prepared = yield* QueryPlanner.prepare(frame.plan, storage, snapshot, config, { optimize: true })
    const stages = StageSplitter.split(DistributedPlanner.plan(prepared.physical, partitions))
    const metrics = Metrics.make()
    const exit = yield* Effect.exit(RayExecutor.run(stages, { cluster, snapshot, config, metrics, maxAttempts }))
    return { exit, metrics, stages }
  })

/** Six persons in three cities and seven KNOWS edges; the fixture the runtime suites check by hand. */
export const smallGraph: GraphInput = {
  nodes: [
    { id: 1, labels: ["Person"], properties: { name: "Ann", age: 30, city: "Lisboa" } },
    { id: 2, labels: ["Person"], properties: { name: "Bob", age: 25, city: "Oslo" } },
    { id: 3, labels: ["Person"], properties: { name: "Cid", age: null, city: "Lisboa" } },
    { id: 4, labels: ["Person"], properties: { name: "Dan", age: 40, city: "Porto" } },
    { id: 5, labels: ["Person"], properties: { name: "Eve", age: 25, city: "Oslo" } },
    { id: 6, labels: ["Person"], properties: { name: "Fay", age: 35, city: "Lisboa" } }
  ],
  edges: [
    { id: 100, label: "KNOWS", source: 1, target: 2 },
    { id: 101, label: "KNOWS", source: 1, target: 3 },
    { id: 102, label: "KNOWS", source: 2, target: 3 },
    { id: 103, label: "KNOWS", source: 3, target: 4 },
    { id: 104, label: "KNOWS", source: 5, target: 1 },
    { id: 105, label: "KNOWS", source: 6, target: 1 },
    { id: 106, label: "KNOWS", source: 6, target: 5 }
  ]
}
