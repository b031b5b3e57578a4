/**
 * The graph indexes are only an access path (SEMANTICS: using or not using an index never
 * changes a result): the same queries run over InMemoryStorage's native index and over an
 * index derived from the public scans alone (ScanGraphIndex) give the same multiset of
 * rows; and on hand-made graphs the scan-built index has the native one's structure
 * (adjacency lists and incidences as multisets per entity, bindings in order, takes).
 *
 * Re-run one case: GRISM_PROP_SEED=<seed> npx vitest run test/Storage/IndexIndependence.test.ts
 */
import { describe, expect, it } from "@effect/vitest"
import type * as Arrow from "apache-arrow"
import { Cause, Effect, Exit, FastCheck as fc, Layer, ManagedRuntime, Stream } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { col, count, lit, sum } from "../../src/Engine/Expr.js"
import { type GraphIndex, type GraphInput, type ScanColumn, Storage, type StorageService } from "../../src/Engine/Storage.js"
import * as LocalRuntime from "../../src/LocalRuntime/LocalRuntime.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import type { Runtime } from "../../src/Query/Runtime.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import * as ScanGraphIndex from "../../src/Storage/ScanGraphIndex.js"
import * as Compare from "../utils/Compare.js"
import * as Generators from "../utils/Generators.js"
import * as Oracle from "../utils/Oracle.js"
import * as Reference from "../utils/Reference.js"
import { batchesOf, c, graph, rowsOf, takeRows } from "./fixtures.js"

// ---------------------------------------------------------------------------
// Structural comparison helpers (ids, never ordinals: the two indexes may number differently)
// ---------------------------------------------------------------------------

/** Every node / hyperedge id of a graph input. */
const idsOf = (input: GraphInput) => ({
  nodes: BigInt64Array.from((input.nodes ?? []).map((n) => BigInt(n.id))),
  hyperedges: BigInt64Array.from([...(input.edges ?? []), ...(input.hyperedges ?? [])].map((h) => BigInt(h.id)))
})

/** ordinal → id of an index, from its own lookups. */
const idOf = (ids: BigInt64Array, ordinals: Int32Array): Map<number, bigint> => {
  const out = new Map<number, bigint>()
  ordinals.forEach((o, i) => out.set(o, ids[i]!))
  return out
}

/** A readable view of an index over ids: adjacency, bindings and incidence per entity id. */
const describeIndex = (
  index: GraphIndex,
  input: GraphInput,
  edgeLabels: ReadonlyArray<string | undefined>,
  nodeLabels: ReadonlyArray<string>
) => {
  const ids = idsOf(input)
  const nodeOrd = index.nodeOrdinals(ids.nodes)
  const edgeOrd = index.hyperedgeOrdinals(ids.hyperedges)
  const nodeId = idOf(ids.nodes, nodeOrd)
  const edgeId = idOf(ids.hyperedges, edgeOrd)
  const sorted = (xs: Array<string>) => xs.sort()
  const out: Record<string, unknown> = {
    nodeCount: index.nodeCount,
    hyperedgeCount: index.hyperedgeCount,
    nodeOrdinalsValid: [...nodeOrd].every((o) => o >= 0) && new Set(nodeOrd).size === nodeOrd.length,
    edgeOrdinalsValid: [...edgeOrd].every((o) => o >= 0) && new Set(edgeOrd).size === edgeOrd.length,
    unknown: [...index.nodeOrdinals(BigInt64Array.from([-5n, 2n ** 62n])), ...index.hyperedgeOrdinals(BigInt64Array.from([-5n]))]
  }
  for (const label of nodeLabels) {
    const mask = index.nodeLabelMask(label)
    out[`nodeMask ${label}`] = sorted([...mask].flatMap((v, o) => (v === 1 ? [String(nodeId.get(o))] : [])))
  }
  for (const label of edgeLabels) {
    const key = label ?? "*"
    if (label !== undefined) {
      const mask = index.hyperedgeLabelMask(label)
      out[`edgeMask ${key}`] = sorted([...mask].flatMap((v, o) => (v === 1 ? [String(edgeId.get(o))] : [])))
    }
    for (const direction of ["out", "in"] as const) {
      const a = index.adjacency(label, direction)
      const lists: Record<string, Array<string>> = {}
      for (const [o, id] of nodeId) {
        const list: Array<string> = []
        for (let p = a.offsets[o]!; p < a.offsets[o + 1]!; p++) {
          list.push(`${nodeId.get(a.neighbours[p]!)}via${edgeId.get(a.edges[p]!)}`)
        }
        if (list.length > 0) lists[String(id)] = sorted(list)
      }
      out[`adjacency ${key} ${direction}`] = lists
    }
    const b = index.bindings(label)
    const bindings: Record<string, Array<string>> = {}
    for (const [h, id] of edgeId) {
      const list: Array<string> = []
      for (let k = b.offsets[h]!; k < b.offsets[h + 1]!; k++) {
        const target = b.targetIsHyperedge[k] === 1 ? `h${edgeId.get(b.target[k]!)}` : `n${nodeId.get(b.target[k]!)}`
        list.push(`${b.roles[b.role[k]!]}=${target}`)
      }
      if (list.length > 0) bindings[String(id)] = list // in order
    }
    out[`bindings ${key}`] = bindings
    for (const kind of ["node", "hyperedge"] as const) {
      const inc = index.incidence(label, kind)
      const entities = kind === "node" ? nodeId : edgeId
      const lists: Record<string, Array<string>> = {}
      for (const [e, id] of entities) {
        const list: Array<string> = []
        for (let q = inc.offsets[e]!; q < inc.offsets[e + 1]!; q++) {
          const h = inc.hyperedges[q]!
          list.push(`${edgeId.get(h)}:${inc.roles[inc.role[q]!]}@${inc.binding[q]! - b.offsets[h]!}`)
        }
        if (list.length > 0) lists[String(id)] = sorted(list)
      }
      out[`incidence ${key} ${kind}`] = lists
    }
  }
  return out
}

/** Rows taken at every id (and one missing entity), keyed by id. */
const takeAll = (
  index: GraphIndex,
  input: GraphInput,
  kind: "node" | "hyperedge",
  columns: ReadonlyArray<ScanColumn>
): Array<Record<string, unknown>> => {
  const ids = idsOf(input)[kind === "node" ? "nodes" : "hyperedges"]
  const ordinals = kind === "node" ? index.nodeOrdinals(ids) : index.hyperedgeOrdinals(ids)
  const withMissing = Int32Array.from([...ordinals, -1])
  const data = kind === "node" ? index.takeNodes(withMissing, columns) : index.takeHyperedges(withMissing, columns)
  data.forEach((d) => expect(d.length).toBe(withMissing.length))
  return takeRows(columns.map((x) => x.field), data)
}

const NODE_COLUMNS: ReadonlyArray<ScanColumn> = [
  c("_id", DataType.Int64),
  c("_label", DataType.String),
  c("_labels", DataType.List(DataType.String)),
  c("name", DataType.String),
  c("age", DataType.Int64),
  c("score", DataType.Float64),
  c("pop", DataType.Float64),
  c("nick", DataType.Null),
  c("missing", DataType.String)
]
const EDGE_COLUMNS: ReadonlyArray<ScanColumn> = [
  c("_id", DataType.Int64),
  c("_label", DataType.String),
  c("_arity", DataType.Int64),
  c("_source", DataType.Int64),
  c("_target", DataType.Int64),
  c("since", DataType.Int64),
  c("topic", DataType.String)
]

/** A second graph: labels that type one property differently, multi-label nodes, hyperedges of hyperedges. */
const mixed: GraphInput = {
  nodes: [
    { id: 10, labels: ["Person", "Robot"], properties: { name: "R2" } },
    { id: -2, labels: ["Robot"], properties: { age: "old", name: "C3" } },
    { id: 2n ** 40n, labels: ["Person"], properties: { age: 41, score: 0.5 } },
    { id: 7, labels: ["Robot", "Person"], properties: { age: null, score: 2 } }
  ],
  edges: [
    { id: 1, label: "BUILT", source: -2, target: 10 },
    { id: 2, label: "BUILT", source: -2, target: 10 },
    { id: 3, label: "KNOWS", source: 2n ** 40n, target: 2n ** 40n, properties: { since: 1 } }
  ],
  hyperedges: [
    { id: 2n ** 50n, label: "TEAM", bindings: [{ role: "member", node: 10 }, { role: "member", node: 7 }, { role: "lead", node: 10 }] },
    { id: 5, label: "NOTE", bindings: [{ role: "on", hyperedge: 2n ** 50n }, { role: "on", hyperedge: 1 }] },
    { id: 6, label: "KNOWS", bindings: [{ role: "source", node: 7 }, { role: "target", node: -2 }], properties: { since: 9 } }
  ]
}

const bothIndexes = (input: GraphInput) =>
  Effect.gen(function*() {
    const storage = yield* InMemoryStorage.make(input)
    const snapshot = yield* storage.current
    const native = yield* storage.index(snapshot)
    const scanned = yield* ScanGraphIndex.build(storage, snapshot)
    return { storage, snapshot, native, scanned }
  })

describe("Storage.scanBindings", () => {
  it.effect("one row per binding: binary edges as source then target, hyperedges in input order, hyperedge targets", () =>
    Effect.gen(function*() {
      const storage = yield* InMemoryStorage.make(graph)
      const row = (h: number, p: number, role: string, node: number | null, hyperedge: number | null) => ({
        hyperedge: BigInt(h),
        position: p,
        role,
        node: node === null ? null : BigInt(node),
        hyperedge_target: hyperedge === null ? null : BigInt(hyperedge)
      })
      const key = (r: Record<string, unknown>) => `${String(r["hyperedge"]).padStart(4, "0")}:${r["position"]}`
      const batches = yield* batchesOf(storage.scanBindings(1, { batchSize: 3 }))
      expect(batches.every((b) => b.numRows <= 3)).toBe(true)
      const rows = rowsOf(batches)
      expect([...rows].sort((a, b) => (key(a) < key(b) ? -1 : 1))).toEqual([
        row(100, 0, "source", 1, null), row(100, 1, "target", 2, null),
        row(101, 0, "source", 1, null), row(101, 1, "target", 2, null),
        row(102, 0, "source", 2, null), row(102, 1, "target", 2, null),
        row(103, 0, "source", 1, null), row(103, 1, "target", 3, null),
        row(200, 0, "attendee", 1, null), row(200, 1, "attendee", 2, null), row(200, 2, "host", 4, null), row(200, 3, "venue", 3, null),
        row(201, 0, "source", 4, null), row(201, 1, "target", 5, null),
        row(202, 0, "about", null, 200), row(202, 1, "by", 1, null), row(202, 2, "about", null, 101),
        row(203, 0, "target", 5, null), row(203, 1, "source", 4, null)
      ])
      const meetings = rowsOf(yield* batchesOf(storage.scanBindings(1, { label: "MEETING", batchSize: 100 })))
      expect(meetings.map((r) => `${r["hyperedge"]}:${r["role"]}`)).toEqual([
        "200:attendee", "200:attendee", "200:host", "200:venue", "201:source", "201:target"
      ])
      expect(rowsOf(yield* batchesOf(storage.scanBindings(1, { label: "Nope", batchSize: 10 })))).toEqual([])
    }))
})

describe("ScanGraphIndex: the same structure as the native index", () => {
  it.effect("hand-checked parts of the scan-built index on the storage fixture graph", () =>
    Effect.gen(function*() {
      const { native, scanned } = yield* bothIndexes(graph)
      const view = describeIndex(scanned, graph, [undefined, "KNOWS", "MEETING", "CITES"], ["Person", "Admin", "City"])
      expect(view["nodeCount"]).toBe(5)
      expect(view["hyperedgeCount"]).toBe(8)
      expect(view["unknown"]).toEqual([-1, -1, -1])
      expect(view["nodeMask Person"]).toEqual(["1", "2", "4"])
      expect(view["nodeMask Admin"]).toEqual(["2"])
      expect(view["edgeMask KNOWS"]).toEqual(["100", "101", "102", "203"])
      // KNOWS binary edges: 100, 101 1→2, 102 2→2, 203 4→5 (bound target first)
      expect(view["adjacency KNOWS out"]).toEqual({ "1": ["2via100", "2via101"], "2": ["2via102"], "4": ["5via203"] })
      expect(view["adjacency KNOWS in"]).toEqual({ "2": ["1via100", "1via101", "2via102"], "5": ["4via203"] })
      // MEETING 201 is a binary edge (source / target); 200 is not
      expect(view["adjacency MEETING out"]).toEqual({ "4": ["5via201"] })
      expect(view["bindings CITES"]).toEqual({ "202": ["about=h200", "by=n1", "about=h101"] })
      expect((view["bindings *"] as Record<string, unknown>)["203"]).toEqual(["target=n5", "source=n4"])
      expect(view["incidence CITES hyperedge"]).toEqual({ "101": ["202:about@2"], "200": ["202:about@0"] })
      expect((view["incidence MEETING node"] as Record<string, unknown>)["4"]).toEqual(["200:host@2", "201:source@0"])
      // and everything equals the native index's view
      const nativeView = describeIndex(native, graph, [undefined, "KNOWS", "MEETING", "CITES"], ["Person", "Admin", "City"])
      expect(view).toEqual(nativeView)
    }))

  for (const [name, input, edgeLabels, nodeLabels] of [
    ["storage fixture graph", graph, [undefined, "KNOWS", "LIVES_IN", "MEETING", "CITES", "Nope"], ["Person", "Admin", "City", "Nope"]],
    ["mixed-type graph", mixed, [undefined, "BUILT", "KNOWS", "TEAM", "NOTE", "Nope"], ["Person", "Robot", "Nope"]]
  ] as const) {
    it.effect(`adjacency, bindings, incidence and label masks equal the native ones (${name})`, () =>
      Effect.gen(function*() {
        const { native, scanned } = yield* bothIndexes(input)
        const view = describeIndex(scanned, input, edgeLabels, nodeLabels)
        expect(view["nodeOrdinalsValid"]).toBe(true)
        expect(view["edgeOrdinalsValid"]).toBe(true)
        expect(view).toEqual(describeIndex(native, input, edgeLabels, nodeLabels))
      }))

    it.effect(`takes by ordinal give the native rows, a missing ordinal an all-NULL row (${name})`, () =>
      Effect.gen(function*() {
        const { native, scanned } = yield* bothIndexes(input)
        const nodes = takeAll(scanned, input, "node", NODE_COLUMNS)
        expect(nodes.map((r) => r["_id"])).toEqual([...(input.nodes ?? []).map((n) => BigInt(n.id)), null])
        expect(nodes[nodes.length - 1]).toEqual(Object.fromEntries(NODE_COLUMNS.map((x) => [x.field, null])))
        expect(nodes).toEqual(takeAll(native, input, "node", NODE_COLUMNS))
        const edges = takeAll(scanned, input, "hyperedge", EDGE_COLUMNS)
        expect(edges).toEqual(takeAll(native, input, "hyperedge", EDGE_COLUMNS))
      }))
  }

  it.effect("takes of a property typed differently per label read each entity under a label of the asked type", () =>
    Effect.gen(function*() {
      const { scanned } = yield* bothIndexes(mixed)
      const ordinals = scanned.nodeOrdinals(BigInt64Array.from([10n, -2n, 2n ** 40n, 7n]))
      // Person.age is Int64 (41, NULL), Robot.age is String ("old", NULL)
      expect(takeRows(["age"], scanned.takeNodes(ordinals, [c("age", DataType.Int64)])).map((r) => r["age"])).toEqual([
        null, null, 41n, null
      ])
      expect(takeRows(["age"], scanned.takeNodes(ordinals, [c("age", DataType.String)])).map((r) => r["age"])).toEqual([
        null, "old", null, null
      ])
      expect(takeRows(["score"], scanned.takeNodes(ordinals, [c("score", DataType.Float64)])).map((r) => r["score"])).toEqual([
        null, null, 0.5, 2
      ])
      // Robot.score is Int64 (only node 7's 2), Person.score Float64: asked Int64, node 7 is read under Robot
      expect(takeRows(["score"], scanned.takeNodes(ordinals, [c("score", DataType.Int64)])).map((r) => r["score"])).toEqual([
        null, null, null, 2n
      ])
      expect(takeRows(["_label"], scanned.takeNodes(ordinals, [c("_label", DataType.String)])).map((r) => r["_label"])).toEqual([
        "Person", "Robot", "Person", "Robot"
      ])
    }))

  it.effect("withScanIndex answers index() from the scans, once per snapshot, and keeps SnapshotNotFound", () =>
    Effect.gen(function*() {
      const storage = yield* InMemoryStorage.make(graph)
      let bindingScans = 0
      const counted: StorageService = {
        ...storage,
        scanBindings: (snapshot, options) => {
          bindingScans++
          return storage.scanBindings(snapshot, options)
        }
      }
      const wrapped = ScanGraphIndex.withScanIndex(counted)
      const a = yield* wrapped.index(1)
      const b = yield* wrapped.index(1)
      expect(a).toBe(b)
      expect(a).not.toBe(yield* storage.index(1))
      expect(bindingScans).toBe(1)
      const next = yield* wrapped.commit([{ _tag: "RemoveHyperedges", ids: [202] }])
      const c2 = yield* wrapped.index(next)
      expect(c2.hyperedgeCount).toBe(7)
      expect(bindingScans).toBe(2)
      const missing = yield* Effect.flip(wrapped.index(99))
      expect(missing._tag).toBe("SnapshotNotFound")
      expect(yield* Stream.runCount(wrapped.scanNodes(1, { columns: [], batchSize: 10 }))).toBeGreaterThan(0)
    }))
})

// ---------------------------------------------------------------------------
// Queries: native index vs scan-built index
// ---------------------------------------------------------------------------

const seed = Number(process.env["GRISM_PROP_SEED"] ?? 20261130)
const numRuns = Number(process.env["GRISM_PROP_RUNS"] ?? 70)
const queriesPerGraph = 4

type Engine = ManagedRuntime.ManagedRuntime<Runtime, never>

const engineOver = (storage: StorageService): Engine =>
  ManagedRuntime.make(LocalRuntime.layer.pipe(Layer.provide(Layer.succeed(Storage, storage)))) as Engine

/** Both engines over one storage: the native index and the scan-built one (which counts its builds). */
const withEngines = async <A>(
  input: GraphInput,
  body: (native: Engine, scanned: Engine, builds: () => number) => Promise<A>
): Promise<A> => {
  const storage = await Effect.runPromise(InMemoryStorage.make(input))
  let builds = 0
  const counted: StorageService = {
    ...storage,
    scanBindings: (snapshot, options) => {
      builds++
      return storage.scanBindings(snapshot, options)
    }
  }
  const native = engineOver(storage)
  const scanned = engineOver(ScanGraphIndex.withScanIndex(counted))
  try {
    return await body(native, scanned, () => builds)
  } finally {
    await native.dispose()
    await scanned.dispose()
  }
}

const outcome = (exit: Exit.Exit<Arrow.Table, unknown>): string | Compare.EngineRows => {
  if (Exit.isSuccess(exit)) return Compare.tableToRows(exit.value)
  const tag = Oracle.failureTag(exit)
  return tag === undefined ? `defect: ${Cause.pretty(exit.cause)}` : `failure: ${tag}`
}

const seen = { queries: 0, nonEmpty: 0, expands: 0, failures: 0 }

/** Runs a query on both engines; returns how they differ, or undefined. */
const differ = async (
  native: Engine,
  scanned: Engine,
  frame: Hypergraph.Frame,
  determinism: Reference.Determinism
): Promise<string | undefined> => {
  const a = outcome(await native.runPromiseExit(frame.collect()))
  const b = outcome(await scanned.runPromiseExit(frame.collect()))
  seen.queries++
  if (typeof a === "string" || typeof b === "string") {
    if (typeof a === "string" && a.startsWith("defect")) return `native ${a}`
    if (typeof b === "string" && b.startsWith("defect")) return `scan index ${b}`
    seen.failures++
    return a === b ? undefined : `native: ${typeof a === "string" ? a : `${a.rows.length} rows`}, scan index: ${typeof b === "string" ? b : `${b.rows.length} rows`}`
  }
  if (a.rows.length > 0) seen.nonEmpty++
  if (Compare.show(a.columns) !== Compare.show(b.columns)) return `columns ${Compare.show(a.columns)} vs ${Compare.show(b.columns)}`
  if (Compare.show(a.types) !== Compare.show(b.types)) return `types ${Compare.show(a.types)} vs ${Compare.show(b.types)}`
  if (a.rows.length !== b.rows.length) return `row count ${a.rows.length} vs ${b.rows.length}`
  if (determinism !== "full") return undefined // a limit without a total order: which rows is unspecified
  const { extra, missing } = Compare.multisetDiff(a.rows, b.rows, 0)
  return missing.length === 0 && extra.length === 0
    ? undefined
    : `rows differ\nonly native: ${Compare.show(missing)}\nonly scan index: ${Compare.show(extra)}`
}

const determinismOf = (input: GraphInput, frame: Hypergraph.Frame): Reference.Determinism => {
  const r = Reference.evaluate(input, frame.plan)
  return r._tag === "Rows" ? r.determinism : "full"
}

describe("Queries over the native index and over the scan-built index agree", () => {
  it("random traversal queries (expand, role expand, filter, groupBy, …) over random multigraphs", async () => {
    let builds = 0
    const cases = fc.tuple(
      Generators.multigraph,
      fc.array(Generators.choices, { minLength: queriesPerGraph, maxLength: queriesPerGraph })
    )
    await fc.assert(
      fc.asyncProperty(cases, ([input, seqs]) =>
        withEngines(input, async (native, scanned, buildCount) => {
          const ref = Generators.refGraph(input)
          for (const seq of seqs) {
            const query = Generators.buildQuery(ref, seq, { traversal: true })
            if (/[eE]xpand(Role)?\(/.test(query.text)) seen.expands++
            const problem = await differ(native, scanned, query.frame, determinismOf(input, query.frame))
            expect(problem, `${problem}\nquery: ${query.text}\ngraph: ${Oracle.showGraph(input)}`).toBeUndefined()
          }
          builds += buildCount()
          expect(buildCount()).toBeLessThanOrEqual(1) // cached per snapshot
        })),
      { seed, numRuns, endOnFailure: true, verbose: 0 }
    )
    expect(seen.expands).toBeGreaterThan(numRuns)
    expect(seen.nonEmpty).toBeGreaterThan(numRuns)
    expect(builds).toBeGreaterThan(numRuns / 4) // the scan-built index was really used
  }, 60_000)

  it("every expand shape (directions, hop ranges, optional, role expands, filter, groupBy) over random multigraphs", async () => {
    const queries = (): Array<readonly [string, Hypergraph.Frame]> => {
      const out: Array<readonly [string, Hypergraph.Frame]> = []
      const n = Hypergraph.nodes(undefined, { as: "n" })
      for (const direction of ["out", "in", "both"] as const) {
        for (const hops of [1, [1, 3], [2, 2], [2, 3]] as const) {
          for (const label of ["KNOWS", undefined] as const) {
            const opts = { direction, hops, as: "t" } as const
            out.push([`expand ${label} ${direction} ${String(hops)}`, n.expand(label, opts)])
            out.push([`optional ${label} ${direction} ${String(hops)} to City`, n.optionalExpand(label, { ...opts, to: "City" })])
          }
        }
      }
      out.push(["expand with edge", Hypergraph.nodes("Person", { as: "p" }).expand("KNOWS", { direction: "both", as: "t", edgeAs: "e" })])
      out.push([
        "expand, filter, groupBy",
        Hypergraph.nodes("Person", { as: "p" })
          .expand(undefined, { direction: "out", hops: [1, 2], as: "t" })
          .filter(col("t._id").gt(lit(1)))
          .groupBy("p._id")
          .agg({ k: count(), s: sum(col("t._id")) })
      ])
      out.push(["role expand node→node", Hypergraph.nodes(undefined, { as: "n" }).expandRole("attendee", { fromRole: "attendee", as: "o" })])
      out.push([
        "role expand host→attendee with edge, optional",
        Hypergraph.nodes(undefined, { as: "n" }).expandRole("attendee", { fromRole: "host", edgeLabel: "MEETING", edgeAs: "m", as: "o", optional: true })
      ])
      out.push(["role expand source→target", Hypergraph.nodes(undefined, { as: "n" }).expandRole("target", { fromRole: "source", as: "o", edgeAs: "e" })])
      out.push(["hyperedge → subject", Hypergraph.hyperedges("REVIEW", { as: "r" }).expandRole("subject", { as: "s" })])
      out.push(["hyperedge → subject MEETING", Hypergraph.hyperedges("REVIEW", { as: "r" }).expandRole("subject", { to: "MEETING", as: "s" })])
      out.push([
        "hyperedge → attendee, groupBy",
        Hypergraph.hyperedges("MEETING", { as: "m" }).expand("attendee", { as: "a" }).groupBy("m._id").agg({ k: count() })
      ])
      out.push([
        "role then binary expand",
        Hypergraph.hyperedges(undefined, { as: "h" })
          .optionalExpand("reviewer", { as: "r" })
          .expand("KNOWS", { direction: "both", hops: [1, 2], as: "f" })
      ])
      return out
    }
    await fc.assert(
      fc.asyncProperty(Generators.multigraph, (input) =>
        withEngines(input, async (native, scanned) => {
          for (const [text, frame] of queries()) {
            const problem = await differ(native, scanned, frame, "full")
            expect(problem, `${problem}\nquery: ${text}\ngraph: ${Oracle.showGraph(input)}`).toBeUndefined()
          }
        })),
      { seed: seed + 1, numRuns: 12, endOnFailure: true, verbose: 0 }
    )
  }, 60_000)
})
