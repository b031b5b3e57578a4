/**
 * AdjacencyExpand's walks against oracles computed from the edge list alone: the single-hop
 * path (also against the general depth-first walk, `executeGeneric`) and multi-hop trails,
 * on seeded random graphs with self loops, parallel edges, a hub whose runs are long
 * enough for bulk copies, NULL and unknown anchors, over every direction, edge label, `to`,
 * optional, hop range and several batch sizes.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Arrow from "apache-arrow"
import { Effect } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { AdjacencyExpandExec, type Direction, ScanColumn } from "../../src/Engine/PhysicalPlan.js"
import type { EdgeInput, GraphIndex, GraphInput, NodeInput } from "../../src/Engine/Storage.js"
import * as AdjacencyExpand from "../../src/Operators/AdjacencyExpand.js"
import { batchFromRows, fakeStorage, fromBatches, physicalSchema, placeholder, rowsOf, runBatches, testContext } from "../utils/MockSources.js"
import * as TestIndex from "../utils/reference/GraphIndex.js"

/** A small deterministic generator (LCG), so failures reproduce. */
const random = (seed: number) => {
  let state = seed >>> 0
  return (n: number): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state % n
  }
}

const HUB = 1

/**
 * Nodes 1..n labelled A, B or both; edges labelled X or Y with random ends (self loops and
 * parallel edges happen), plus 40 X edges out of and 20 into the hub (node 1).
 */
const randomGraph = (seed: number, n: number, m: number): GraphInput => {
  const next = random(seed)
  const nodes: Array<NodeInput> = []
  for (let id = 1; id <= n; id++) {
    const kind = next(3)
    nodes.push({ id, labels: kind === 0 ? ["A"] : kind === 1 ? ["B"] : ["B", "A"], properties: { v: id * 10 } })
  }
  const edges: Array<EdgeInput> = []
  let id = 1000
  const add = (source: number, target: number, label: string) => {
    const e = id++
    edges.push({ id: e, label, source, target, properties: { w: 2 * e } })
  }
  for (let i = 0; i < m; i++) {
    const source = 1 + next(n)
    const target = next(5) === 0 ? source : 1 + next(n)
    add(source, target, next(3) === 0 ? "Y" : "X")
  }
  for (let i = 0; i < 40; i++) add(HUB, 1 + next(n), "X")
  for (let i = 0; i < 20; i++) add(1 + next(n), HUB, "X")
  add(HUB, HUB, "X")
  return { nodes, edges }
}

const inputSchema = physicalSchema([["p._id", DataType.Int64], ["p.row", DataType.Int64]])

/** Anchors: every node, the hub three times, a NULL and an unknown id; `p.row` numbers the rows. */
const anchorsOf = (n: number): Array<bigint | null> => {
  const ids: Array<bigint | null> = []
  for (let id = 1; id <= n; id++) ids.push(BigInt(id))
  ids.splice(3, 0, BigInt(HUB), null, 999n)
  ids.push(BigInt(HUB), BigInt(HUB))
  return ids
}

const targetColumns = [
  new ScanColumn({ field: "_id", dataType: DataType.Int64 }),
  new ScanColumn({ field: "v", dataType: DataType.Int64 })
]
const edgeColumns = [
  new ScanColumn({ field: "_id", dataType: DataType.Int64 }),
  new ScanColumn({ field: "w", dataType: DataType.Int64 })
]

interface Case {
  readonly direction: Direction
  /** The hop range (default `[1, 1]`); other ranges have no edge columns. */
  readonly hops?: readonly [number, number]
  readonly edgeLabel?: string | undefined
  readonly toLabel?: string | undefined
  readonly optional: boolean
  /** Whether the output has the edge's columns (default true). */
  readonly withEdges?: boolean
}

/** The expand of a case: edge columns only for a single hop with `withEdges` (the default). */
const expandNode = (c: Case): AdjacencyExpandExec => {
  const [minHops, maxHops] = c.hops ?? [1, 1]
  const edges = maxHops === 1 && c.withEdges !== false
  return new AdjacencyExpandExec({
    id: 1,
    output: physicalSchema([
      ...inputSchema.fields.map((f) => [f.name, f.dataType] as const),
      ...targetColumns.map((t) => [`f.${t.field}`, t.dataType] as const),
      ...(edges ? edgeColumns.map((e) => [`k.${e.field}`, e.dataType] as const) : [])
    ]),
    input: placeholder(inputSchema),
    anchorColumn: "p._id",
    ...(c.edgeLabel === undefined ? {} : { edgeLabel: c.edgeLabel }),
    direction: c.direction,
    ...(c.toLabel === undefined ? {} : { toLabel: c.toLabel }),
    targetQualifier: "f",
    targetColumns,
    ...(edges ? { edgeQualifier: "k" } : {}),
    edgeColumns: edges ? edgeColumns : [],
    minHops,
    maxHops,
    optional: c.optional
  })
}

/**
 * The expected rows of a multi-hop expand as "row|anchor>target:v" strings: every trail
 * (no edge twice) of `hops[0]..hops[1]` edges, enumerated recursively over the edge list.
 */
const pathOracle = (g: GraphInput, anchors: ReadonlyArray<bigint | null>, c: Case): Array<string> => {
  const labels = new Map(g.nodes!.map((node) => [BigInt(node.id), node.labels]))
  const [min, max] = c.hops!
  const stepsFrom = (at: bigint): Array<readonly [number, bigint]> => {
    const out: Array<readonly [number, bigint]> = []
    for (const e of g.edges!) {
      if (c.edgeLabel !== undefined && e.label !== c.edgeLabel) continue
      const source = BigInt(e.source)
      const target = BigInt(e.target)
      if ((c.direction === "out" || c.direction === "both") && source === at) out.push([Number(e.id), target])
      if (c.direction === "in" && target === at) out.push([Number(e.id), source])
      if (c.direction === "both" && target === at && source !== at) out.push([Number(e.id), source])
    }
    return out
  }
  const out: Array<string> = []
  anchors.forEach((a, row) => {
    const found: Array<string> = []
    const walk = (at: bigint, used: ReadonlyArray<number>) => {
      for (const [e, next] of stepsFrom(at)) {
        if (used.includes(e)) continue
        const length = used.length + 1
        if (length >= min && (c.toLabel === undefined || labels.get(next)!.includes(c.toLabel))) {
          found.push(`${row}|${a}>${next}:${Number(next) * 10}`)
        }
        if (length < max) walk(next, [...used, e])
      }
    }
    if (a !== null && labels.has(a)) walk(a, [])
    if (found.length === 0 && c.optional) found.push(`${row}|${a}>null:null`)
    out.push(...found)
  })
  return out.sort()
}

/** The expected rows as "row|anchor>target:edge" strings, from the edge list alone. */
const oracle = (g: GraphInput, anchors: ReadonlyArray<bigint | null>, c: Case): Array<string> => {
  const labels = new Map(g.nodes!.map((node) => [BigInt(node.id), node.labels]))
  const out: Array<string> = []
  anchors.forEach((a, row) => {
    const found: Array<string> = []
    if (a !== null && labels.has(a)) {
      for (const e of g.edges!) {
        if (c.edgeLabel !== undefined && e.label !== c.edgeLabel) continue
        const source = BigInt(e.source)
        const target = BigInt(e.target)
        const ends: Array<bigint> = []
        if ((c.direction === "out" || c.direction === "both") && source === a) ends.push(target)
        if (c.direction === "in" && target === a) ends.push(source)
        if (c.direction === "both" && target === a && source !== a) ends.push(source)
        for (const end of ends) {
          if (c.toLabel !== undefined && !labels.get(end)!.includes(c.toLabel)) continue
          found.push(c.withEdges === false ? `${row}|${a}>${end}:${Number(end) * 10}` : `${row}|${a}>${end}:${e.id}:${Number(end) * 10}:${2 * Number(e.id)}`)
        }
      }
    }
    if (found.length === 0 && c.optional) found.push(c.withEdges === false ? `${row}|${a}>null:null` : `${row}|${a}>null:null:null:null`)
    out.push(...found)
  })
  return out.sort()
}

const show = (r: Record<string, unknown>): string =>
  "k._id" in r
    ? `${r["p.row"]}|${r["p._id"]}>${r["f._id"]}:${r["k._id"]}:${r["f.v"]}:${r["k.w"]}`
    : `${r["p.row"]}|${r["p._id"]}>${r["f._id"]}:${r["f.v"]}`

const runWith = (
  execute: typeof AdjacencyExpand.execute,
  node: AdjacencyExpandExec,
  batches: ReadonlyArray<Arrow.RecordBatch>,
  index: TestIndex.TestIndex,
  batchSize: number
) => runBatches(execute(node, fromBatches([...batches])), testContext({ storage: fakeStorage({ index }), batchSize }))

/** The input rows split into batches of `per` rows. */
const inputBatches = (anchors: ReadonlyArray<bigint | null>, per: number): Array<Arrow.RecordBatch> => {
  const out: Array<Arrow.RecordBatch> = []
  for (let i = 0; i < anchors.length; i += per) {
    out.push(batchFromRows(inputSchema, anchors.slice(i, i + per).map((a, k) => [a, BigInt(i + k)])))
  }
  return out
}

const cases: Array<Case> = []
for (const direction of ["out", "in", "both"] as const) {
  for (const edgeLabel of [undefined, "X", "GHOST"]) {
    for (const toLabel of [undefined, "A"]) {
      for (const optional of [false, true]) {
        cases.push({ direction, edgeLabel, toLabel, optional }, { direction, edgeLabel, toLabel, optional, withEdges: false })
      }
    }
  }
}

describe("AdjacencyExpandExec single hop", () => {
  it.effect("matches the oracle and the general walk (same rows in the same order) for every option and batch size", () =>
    Effect.gen(function*() {
      for (const seed of [1, 2]) {
        const g = randomGraph(seed, 30, 80)
        const index = TestIndex.make(g)
        const anchors = anchorsOf(30)
        for (const c of cases) {
          const expected = oracle(g, anchors, c)
          const sizes = seed === 1 ? [1, 17, 10_000] : [3, 64, 10_000]
          // batch size 1 (slow to run: one stream element per row) only with edge label X
          for (const batchSize of c.withEdges === false || c.edgeLabel !== "X" ? sizes.slice(1) : sizes) {
            // input batches of 7 or 1000 rows, alternating over sizes and seeds
            for (const per of [(batchSize + seed) % 2 === 0 ? 7 : 1000]) {
              const input = inputBatches(anchors, per)
              const fast = yield* runWith(AdjacencyExpand.execute, expandNode(c), input, index, batchSize)
              const generic = yield* runWith(AdjacencyExpand.executeGeneric, expandNode(c), input, index, batchSize)
              const label = JSON.stringify({ seed, ...c, batchSize, per })
              for (const b of fast) expect(b.numRows, label).toBeLessThanOrEqual(batchSize)
              const fastRows = rowsOf(fast).map(show)
              expect(fastRows.slice().sort(), label).toEqual(expected)
              expect(fastRows, label).toEqual(rowsOf(generic).map(show))
            }
          }
        }
      }
    }), 60_000)

  it.effect("a `to` label every neighbour carries (its test skipped) or none does, and a mask with gaps inside the neighbours' span", () =>
    Effect.gen(function*() {
      // nodes 1..40: A for 1..20, B for 21..40; X edges always end at an A node, Y edges at a B node or at node 1
      const next = random(7)
      const nodes: Array<NodeInput> = []
      for (let id = 1; id <= 40; id++) nodes.push({ id, labels: [id <= 20 ? "A" : "B"], properties: { v: id * 10 } })
      const edges: Array<EdgeInput> = []
      for (let i = 0; i < 200; i++) {
        const x = i % 2 === 0
        const target = x ? 1 + next(20) : next(4) === 0 ? 1 : 21 + next(20)
        edges.push({ id: 5000 + i, label: x ? "X" : "Y", source: 1 + next(40), target, properties: { w: 2 * (5000 + i) } })
      }
      // a hub with a long X run to A nodes (bulk copies once the mask is skipped)
      for (let i = 0; i < 30; i++) edges.push({ id: 6000 + i, label: "X", source: 2, target: 1 + (i % 20), properties: { w: 2 * (6000 + i) } })
      const g: GraphInput = { nodes, edges }
      const index = TestIndex.make(g)
      const anchors = anchorsOf(40)
      for (
        const c of [
          { direction: "out", edgeLabel: "X", toLabel: "A", optional: false },
          { direction: "out", edgeLabel: "X", toLabel: "B", optional: true },
          { direction: "out", edgeLabel: "Y", toLabel: "B", optional: false },
          { direction: "in", edgeLabel: "X", toLabel: "A", optional: false },
          { direction: "both", edgeLabel: "X", toLabel: "A", optional: false }
        ] satisfies Array<Case>
      ) {
        for (const batchSize of [7, 10_000]) {
          const out = yield* runWith(AdjacencyExpand.execute, expandNode(c), inputBatches(anchors, 1000), index, batchSize)
          expect(rowsOf(out).map(show).sort(), JSON.stringify({ ...c, batchSize })).toEqual(oracle(g, anchors, c))
        }
      }
    }))

  it.effect("the hub's long run is emitted whole across buffer boundaries (bulk copies), in CSR order", () =>
    Effect.gen(function*() {
      const g = randomGraph(3, 30, 0)
      const index = TestIndex.make(g)
      const input = inputBatches([BigInt(HUB), BigInt(HUB)], 10)
      const c: Case = { direction: "out", edgeLabel: "X", optional: false }
      for (const batchSize of [5, 16, 41, 100]) {
        const out = yield* runWith(AdjacencyExpand.execute, expandNode(c), input, index, batchSize)
        const rows = rowsOf(out)
        // 40 edges to random nodes and the self loop, once per input row, edge ids in order
        expect(rows.length).toBe(82)
        const first = rows.filter((r) => r["p.row"] === 0n).map((r) => r["k._id"])
        const second = rows.filter((r) => r["p.row"] === 1n).map((r) => r["k._id"])
        const ids = g.edges!.filter((e) => e.source === HUB).map((e) => BigInt(e.id))
        expect(first).toEqual(ids)
        expect(second).toEqual(ids)
        expect(out.every((b) => b.numRows <= batchSize)).toBe(true)
      }
    }))

  it.effect("a batch of more matches than the buffer's first arrays: they grow, and batches are full up to the last", () =>
    Effect.gen(function*() {
      const g = randomGraph(3, 30, 0)
      const index = TestIndex.make(g)
      // 60 hub anchors × 41 out edges = 2460 matches from one input batch
      const input = inputBatches(Array.from({ length: 60 }, () => BigInt(HUB)), 100)
      const ids = g.edges!.filter((e) => e.source === HUB).map((e) => BigInt(e.id))
      const c: Case = { direction: "out", edgeLabel: "X", optional: false }
      for (const execute of [AdjacencyExpand.execute, AdjacencyExpand.executeGeneric]) {
        for (const batchSize of [1500, 2048, 5000]) {
          const out = yield* runWith(execute, expandNode(c), input, index, batchSize)
          expect(out.map((b) => b.numRows)).toEqual(batchSize >= 2460 ? [2460] : [batchSize, 2460 - batchSize])
          const rows = rowsOf(out)
          for (let r = 0; r < 60; r++) {
            expect(rows.filter((x) => x["p.row"] === BigInt(r)).map((x) => x["k._id"])).toEqual(ids)
          }
        }
      }
    }))

  it.effect("a pull hands back what there is after 2^20 adjacency entries, even with room left in the buffer", () =>
    Effect.gen(function*() {
      // node 1 (ordinal 0) has 1.2M out edges, alternately to node 2 (label A) and node 3 (B)
      const fanout = 1_200_000
      const neighbours = new Int32Array(fanout).map((_, p) => 1 + (p & 1))
      const adjacency = { offsets: Int32Array.of(0, fanout, fanout, fanout), neighbours, edges: new Int32Array(fanout).map((_, p) => p) }
      const index: GraphIndex = {
        nodeCount: 3,
        hyperedgeCount: fanout,
        nodeOrdinals: (ids) => Int32Array.from(ids, (id) => (id >= 1n && id <= 3n ? Number(id) - 1 : -1)),
        hyperedgeOrdinals: (ids) => new Int32Array(ids.length).fill(-1),
        nodeLabelMask: (label) => Uint8Array.of(0, label === "A" ? 1 : 0, label === "B" ? 1 : 0),
        hyperedgeLabelMask: () => new Uint8Array(fanout),
        adjacency: () => adjacency,
        bindings: () => { throw new Error("not used") },
        incidence: () => { throw new Error("not used") },
        takeNodes: (ordinals) => [Arrow.makeData({ type: new Arrow.Int64(), length: ordinals.length, data: BigInt64Array.from(ordinals, (o) => BigInt(o + 1)) })],
        takeHyperedges: () => { throw new Error("not used") }
      }
      const node = (toLabel: string | undefined) =>
        new AdjacencyExpandExec({
          id: 1,
          output: physicalSchema([["p._id", DataType.Int64], ["p.row", DataType.Int64], ["f._id", DataType.Int64]]),
          input: placeholder(inputSchema),
          anchorColumn: "p._id",
          direction: "out",
          ...(toLabel === undefined ? {} : { toLabel }),
          targetQualifier: "f",
          targetColumns: [targetColumns[0]!],
          edgeColumns: [],
          minHops: 1,
          maxHops: 1,
          optional: false
        })
      const input = inputBatches([1n], 10)
      const budget = 1 << 20
      for (const execute of [AdjacencyExpand.execute, AdjacencyExpand.executeGeneric]) {
        const all = yield* runBatches(execute(node(undefined), fromBatches(input)), testContext({ storage: fakeStorage({ index }), batchSize: 2_000_000 }))
        expect(all.map((b) => b.numRows)).toEqual([budget, fanout - budget])
        const toA = yield* runBatches(execute(node("A"), fromBatches(input)), testContext({ storage: fakeStorage({ index }), batchSize: 2_000_000 }))
        expect(toA.map((b) => b.numRows)).toEqual([budget / 2, (fanout - budget) / 2])
        const targets = toA.flatMap((b) => [...(b.getChild("f._id")!.toArray() as BigInt64Array)])
        expect(targets.every((id) => id === 2n)).toBe(true)
      }
    }))

  it.effect("input columns are carried whether the matched rows are the whole batch, a run of it, or scattered", () =>
    Effect.gen(function*() {
      // a chain 1 → 2 → 3 → 4: every anchor but the last has exactly one match
      const chain: GraphInput = {
        nodes: [1, 2, 3, 4].map((id) => ({ id, labels: ["A"], properties: { v: id * 10 } })),
        edges: [1, 2, 3].map((s) => ({ id: 100 + s, label: "X", source: s, target: s + 1, properties: { w: s } }))
      }
      const index = TestIndex.make(chain)
      const anchors = [1n, 2n, 3n]
      const c: Case = { direction: "out", edgeLabel: "X", optional: false }
      // whole batch matched once each, in order (the input columns are reused), and split over output batches (sliced)
      for (const batchSize of [1, 2, 3, 10]) {
        const out = yield* runWith(AdjacencyExpand.execute, expandNode(c), inputBatches(anchors, 3), index, batchSize)
        expect(rowsOf(out).map(show)).toEqual(["0|1>2:101:20:1", "1|2>3:102:30:2", "2|3>4:103:40:3"])
      }
      // scattered: anchors 4 (no match) between matched ones
      const out = yield* runWith(AdjacencyExpand.execute, expandNode(c), inputBatches([4n, 1n, 4n, 3n], 4), index, 10)
      expect(rowsOf(out).map(show)).toEqual(["1|1>2:101:20:1", "3|3>4:103:40:3"])
    }))
})

describe("AdjacencyExpandExec multi-hop trails", () => {
  it.effect("every trail of the hop range, for every direction, `to`, optional and batch size", () =>
    Effect.gen(function*() {
      for (const seed of [4, 5]) {
        const g = randomGraph(seed, 8, 14)
        // drop the hub's many edges: trails from it would explode; keep a few
        const small: GraphInput = { nodes: g.nodes!, edges: g.edges!.filter((e) => Number(e.id) < 1014 + 4) }
        const index = TestIndex.make(small)
        const anchors = anchorsOf(8)
        for (const direction of ["out", "in", "both"] as const) {
          for (const hops of [[1, 2], [2, 2], [1, 3], [2, 4], [3, 3]] as const) {
            for (const toLabel of [undefined, "A"]) {
              for (const optional of [false, true]) {
                const c: Case = { direction, edgeLabel: seed === 4 ? undefined : "X", toLabel, optional, hops }
                const expected = pathOracle(small, anchors, c)
                for (const batchSize of seed === 4 ? [2, 1000] : [5, 1000]) {
                  const out = yield* runWith(AdjacencyExpand.execute, expandNode(c), inputBatches(anchors, 5), index, batchSize)
                  const label = JSON.stringify({ seed, ...c, batchSize })
                  for (const b of out) expect(b.numRows, label).toBeLessThanOrEqual(batchSize)
                  const rows = rowsOf(out).map((r) => `${r["p.row"]}|${r["p._id"]}>${r["f._id"]}:${r["f.v"]}`)
                  expect(rows.sort(), label).toEqual(expected)
                }
              }
            }
          }
        }
      }
    }), 60_000)
})
