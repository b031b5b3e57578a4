/**
 * The graph index of one snapshot (see `GraphIndex` in Engine/Storage.ts): id lookups,
 * label masks, CSR adjacency per (edge label | all, direction) built by counting sort,
 * bindings and incidence per hyperedge label, and take by ordinal. Every part is built on
 * first use and cached in the index object.
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as Batch from "../../Engine/Batch.js"
import * as DataType from "../../Engine/DataType.js"
import type { Adjacency, Bindings, GraphIndex, Incidence, ScanColumn } from "../../Engine/Storage.js"
import * as Column from "../../Engine/Kernels/Column.js"
import { chunkOf } from "./commit.js"
import { hyperedgeColumn, nodeColumn, repeatBytes } from "./scan.js"
import type { HyperedgeChunk, NodeChunk, Snapshot } from "./snapshot.js"

const ALL = "\u0000all"

const memo = <A>(cache: Map<string, A>, key: string, build: () => A): A => {
  let value = cache.get(key)
  if (value === undefined) {
    value = build()
    cache.set(key, value)
  }
  return value
}

/** Uint8 / Uint16 copies of the codes of the dictionary columns takes gather from (`null`: too many entries). */
const narrowCodes = new WeakMap<Arrow.Data, Uint8Array | Uint16Array | null>()

/**
 * Rows of a cached column at `ordinals`. The codes of a dictionary column of at most
 * 65,536 entries are read from a narrow copy made on first use: takes read at random
 * (an expand's targets), and a 1–2 byte array misses the cache less than the Int32 codes.
 */
const takeColumn = (data: Arrow.Data, ordinals: Int32Array): Arrow.Data => {
  if (!Batch.isStringDictionary(data)) return Batch.takeData(data, ordinals)
  let narrow = narrowCodes.get(data)
  if (narrow === undefined) {
    const entries = data.dictionary!.length
    const codes = Batch.dictionaryCodes(data)
    narrow = entries <= 256 ? Uint8Array.from(codes) : entries <= 65536 ? Uint16Array.from(codes) : null
    narrowCodes.set(data, narrow)
  }
  return narrow === null ? Batch.takeData(data, ordinals) : Batch.takeNarrowCodes(data, narrow, ordinals)
}

/** A whole-snapshot column from per-chunk pieces. */
const wholeColumn = (pieces: ReadonlyArray<Arrow.Data>, type: DataType.DataType, length: number): Arrow.Data => {
  if (pieces.length === 1) return pieces[0]!
  if (pieces.length === 0) return Batch.castData(Arrow.makeData({ type: new Arrow.Null(), length }), type)
  const schema = new Arrow.Schema([new Arrow.Field("v", DataType.toArrow(type), true)])
  return Batch.column(Batch.concat(schema, pieces.map((p) => Batch.make(schema, [p]))), 0)
}

/**
 * The `_label` column of the entities at `ordinals` (`-1` → NULL): each row is its chunk's
 * label. With one chunk (`single >= 0`) the label bytes are repeated by doubling copies.
 */
const labelColumn = (
  ordinals: Int32Array,
  starts: Int32Array,
  labels: ReadonlyArray<string>,
  single: number
): Arrow.Data => {
  const n = ordinals.length
  const encoded = labels.map(Column.encodeUtf8)
  let validity: Uint8Array | null = null
  for (let i = 0; i < n; i++) {
    if (ordinals[i]! < 0) {
      validity ??= Column.allSetBitmap(n)
      Column.clearBit(validity, i)
    }
  }
  const offsets = new Int32Array(n + 1)
  if (single >= 0 && validity === null) {
    const bytes = encoded[single]!
    const w = bytes.length
    for (let i = 0; i < n; i++) offsets[i + 1] = (i + 1) * w
    const out = repeatBytes(bytes, n)
    return Column.utf8(offsets, out)
  }
  const chunkOfRow = new Int32Array(n)
  let total = 0
  for (let i = 0; i < n; i++) {
    const o = ordinals[i]!
    if (o >= 0) {
      const c = chunkOf(starts, o)
      chunkOfRow[i] = c
      total += encoded[c]!.length
    }
    offsets[i + 1] = total
  }
  const out = new Uint8Array(total)
  for (let i = 0; i < n; i++) {
    if (offsets[i + 1] === offsets[i]) continue
    const bytes = encoded[chunkOfRow[i]!]!
    let at = offsets[i]!
    for (let k = 0; k < bytes.length; k++) out[at++] = bytes[k]!
  }
  return Column.utf8(offsets, out, validity)
}

/**
 * A chunk's column typed as asked, or all NULL when the chunk stores the property with a
 * type that does not convert to the asked one. The asked type is the planner's type for
 * the labels an expand may emit (e.g. Null for a property that is all-NULL in the `to`
 * label, Int64 where another label holds Float64): chunks of other labels still form part
 * of the whole-snapshot column, but their rows are never taken.
 */
const columnOrNull = <C>(
  chunk: C & { readonly length: number },
  c: ScanColumn,
  column: (chunk: C, field: string, type: DataType.DataType, start: number, end: number) => Arrow.Data
): Arrow.Data => {
  try {
    return column(chunk, c.field, c.dataType, 0, chunk.length)
  } catch {
    return Batch.castData(Arrow.makeData({ type: new Arrow.Null(), length: chunk.length }), c.dataType)
  }
}

/** Builds the (lazy) graph index of a snapshot. */
export const make = (snapshot: Snapshot): GraphIndex => {
  const nodeCount = snapshot.nodeStarts[snapshot.nodes.length]!
  const hyperedgeCount = snapshot.hyperedgeStarts[snapshot.hyperedges.length]!
  const nodeMasks = new Map<string, Uint8Array>()
  const hyperedgeMasks = new Map<string, Uint8Array>()
  const adjacencies = new Map<string, Adjacency>()
  const bindingsCache = new Map<string, Bindings>()
  const incidences = new Map<string, Incidence>()
  const nodeColumns = new Map<string, Arrow.Data>()
  const hyperedgeColumns = new Map<string, Arrow.Data>()

  const matching = (label: string | undefined): Array<readonly [HyperedgeChunk, number]> => {
    const out: Array<readonly [HyperedgeChunk, number]> = []
    snapshot.hyperedges.forEach((chunk, c) => {
      if (label === undefined || chunk.label === label) out.push([chunk, snapshot.hyperedgeStarts[c]!])
    })
    return out
  }

  const adjacency = (label: string | undefined, direction: "out" | "in"): Adjacency =>
    memo(adjacencies, `${direction}:${label ?? ALL}`, () => {
      const chunks = matching(label)
      const offsets = new Int32Array(nodeCount + 1)
      let total = 0
      for (const [chunk] of chunks) {
        const r = snapshot.resolved.get(chunk.topology)!
        const keys = direction === "out" ? r.source : r.target
        if (chunk.topology.kind === "edges") {
          for (let i = 0, n = chunk.length; i < n; i++) offsets[keys[i]! + 1]++
          total += chunk.length
        } else {
          const rows = chunk.topology.binaryRows
          for (let j = 0; j < rows.length; j++) offsets[keys[rows[j]!]! + 1]++
          total += rows.length
        }
      }
      for (let i = 0; i < nodeCount; i++) offsets[i + 1] = offsets[i + 1]! + offsets[i]!
      const cursor = offsets.slice(0, nodeCount)
      const neighbours = new Int32Array(total)
      const edges = new Int32Array(total)
      for (const [chunk, start] of chunks) {
        const r = snapshot.resolved.get(chunk.topology)!
        const keys = direction === "out" ? r.source : r.target
        const others = direction === "out" ? r.target : r.source
        if (chunk.topology.kind === "edges") {
          for (let i = 0, n = chunk.length; i < n; i++) {
            const p = cursor[keys[i]!]!++
            neighbours[p] = others[i]!
            edges[p] = start + i
          }
        } else {
          const rows = chunk.topology.binaryRows
          for (let j = 0; j < rows.length; j++) {
            const i = rows[j]!
            const p = cursor[keys[i]!]!++
            neighbours[p] = others[i]!
            edges[p] = start + i
          }
        }
      }
      return { offsets, neighbours, edges }
    })

  const bindings = (label: string | undefined): Bindings =>
    memo(bindingsCache, label ?? ALL, () => {
      const chunks = matching(label)
      const roles: Array<string> = []
      const roleIndex = new Map<string, number>()
      const roleOf = (name: string): number => {
        let r = roleIndex.get(name)
        if (r === undefined) {
          r = roles.length
          roles.push(name)
          roleIndex.set(name, r)
        }
        return r
      }
      const offsets = new Int32Array(hyperedgeCount + 1)
      for (const [chunk, start] of chunks) {
        const t = chunk.topology
        for (let i = 0; i < chunk.length; i++) {
          offsets[start + i + 1] = t.kind === "edges" ? 2 : t.offsets[i + 1]! - t.offsets[i]!
        }
      }
      for (let h = 0; h < hyperedgeCount; h++) offsets[h + 1] = offsets[h + 1]! + offsets[h]!
      const total = offsets[hyperedgeCount]!
      const role = new Int32Array(total)
      const targetIsHyperedge = new Uint8Array(total)
      const target = new Int32Array(total)
      for (const [chunk, start] of chunks) {
        const t = chunk.topology
        const r = snapshot.resolved.get(t)!
        if (t.kind === "edges") {
          const source = roleOf("source")
          const tgt = roleOf("target")
          for (let i = 0; i < chunk.length; i++) {
            const p = offsets[start + i]!
            role[p] = source
            target[p] = r.source[i]!
            role[p + 1] = tgt
            target[p + 1] = r.target[i]!
          }
        } else {
          const map = Int32Array.from(t.roles.map(roleOf))
          const bindingTarget = r.bindingTarget!
          for (let i = 0; i < chunk.length; i++) {
            let p = offsets[start + i]!
            for (let k = t.offsets[i]!; k < t.offsets[i + 1]!; k++, p++) {
              role[p] = map[t.role[k]!]!
              targetIsHyperedge[p] = t.isHyperedge[k]!
              target[p] = bindingTarget[k]!
            }
          }
        }
      }
      return { roles, offsets, role, targetIsHyperedge, target }
    })

  const incidence = (label: string | undefined, kind: "node" | "hyperedge"): Incidence =>
    memo(incidences, `${kind}:${label ?? ALL}`, () => {
      const b = bindings(label)
      const count = kind === "node" ? nodeCount : hyperedgeCount
      const want = kind === "node" ? 0 : 1
      const offsets = new Int32Array(count + 1)
      const n = b.target.length
      let total = 0
      for (let k = 0; k < n; k++) {
        if (b.targetIsHyperedge[k] === want) {
          offsets[b.target[k]! + 1]++
          total++
        }
      }
      for (let e = 0; e < count; e++) offsets[e + 1] = offsets[e + 1]! + offsets[e]!
      const cursor = offsets.slice(0, count)
      const hyperedges = new Int32Array(total)
      const role = new Int32Array(total)
      const binding = new Int32Array(total)
      for (let h = 0; h < hyperedgeCount; h++) {
        for (let k = b.offsets[h]!; k < b.offsets[h + 1]!; k++) {
          if (b.targetIsHyperedge[k] !== want) continue
          const p = cursor[b.target[k]!]!++
          hyperedges[p] = h
          role[p] = b.role[k]!
          binding[p] = k
        }
      }
      return { roles: b.roles, offsets, hyperedges, role, binding }
    })

  const labelMask = (
    cache: Map<string, Uint8Array>,
    label: string,
    chunks: ReadonlyArray<NodeChunk | HyperedgeChunk>,
    starts: Int32Array,
    count: number,
    has: (c: number) => boolean
  ): Uint8Array =>
    memo(cache, label, () => {
      const mask = new Uint8Array(count)
      for (let c = 0; c < chunks.length; c++) if (has(c)) mask.fill(1, starts[c]!, starts[c + 1]!)
      return mask
    })

  /**
   * Take by ordinals. When every ordinal falls in one chunk (the usual case: an expand to
   * one label), rows are gathered from that chunk's own column with chunk-local ordinals;
   * otherwise from a whole-snapshot column built once per (field, type). `_label` is
   * constant per chunk: it is written from the labels, never gathered.
   */
  const take = <C extends NodeChunk | HyperedgeChunk>(
    cache: Map<string, Arrow.Data>,
    chunks: ReadonlyArray<C>,
    starts: Int32Array,
    count: number,
    column: (chunk: C, field: string, type: DataType.DataType, start: number, end: number) => Arrow.Data,
    labelOf: (chunk: C) => string,
    ordinals: Int32Array,
    columns: ReadonlyArray<ScanColumn>
  ): ReadonlyArray<Arrow.Data> => {
    const n = ordinals.length
    // the single chunk holding every (non-negative) ordinal, or -1; guessed from the first
    // ordinal and checked in the same pass that makes the chunk-local ordinals
    let single = -1
    let local: Int32Array | undefined
    let i = 0
    while (i < n && ordinals[i]! < 0) i++
    if (i === n) {
      single = chunks.length > 0 ? 0 : -1
      local = ordinals
    } else {
      const c = chunkOf(starts, ordinals[i]!)
      const start = starts[c]!
      const end = starts[c + 1]!
      let inside = true
      if (start === 0) {
        for (; i < n; i++) {
          if (ordinals[i]! >= end) {
            inside = false
            break
          }
        }
        if (inside) local = ordinals
      } else {
        const out = new Int32Array(n)
        for (let j = 0; j < i; j++) out[j] = -1
        for (; i < n; i++) {
          const o = ordinals[i]!
          if (o < 0) out[i] = -1
          else if (o < start || o >= end) {
            inside = false
            break
          } else out[i] = o - start
        }
        if (inside) local = out
      }
      if (inside) single = c
    }
    return columns.map((c) => {
      if (c.field === "_label" && c.dataType._tag === "String") {
        return labelColumn(ordinals, starts, chunks.map(labelOf), single)
      }
      if (single >= 0) {
        const chunk = chunks[single]!
        const data = memo(cache, `${single}\u0000${c.field}\u0000${DataType.display(c.dataType)}`, () =>
          columnOrNull(chunk, c, column))
        return takeColumn(data, local!)
      }
      const whole = memo(cache, `*\u0000${c.field}\u0000${DataType.display(c.dataType)}`, () =>
        wholeColumn(chunks.map((chunk) => columnOrNull(chunk, c, column)), c.dataType, count))
      return takeColumn(whole, ordinals)
    })
  }

  return {
    nodeCount,
    hyperedgeCount,
    nodeOrdinals: (ids) => snapshot.nodeIds.lookup(ids),
    hyperedgeOrdinals: (ids) => snapshot.hyperedgeIds.lookup(ids),
    nodeLabelMask: (label) =>
      labelMask(nodeMasks, label, snapshot.nodes, snapshot.nodeStarts, nodeCount, (c) => snapshot.nodes[c]!.labels.includes(label)),
    hyperedgeLabelMask: (label) =>
      labelMask(hyperedgeMasks, label, snapshot.hyperedges, snapshot.hyperedgeStarts, hyperedgeCount, (c) => snapshot.hyperedges[c]!.label === label),
    adjacency,
    bindings,
    incidence,
    takeNodes: (ordinals, columns) =>
      take(nodeColumns, snapshot.nodes, snapshot.nodeStarts, nodeCount, nodeColumn, (c) => c.labels[0]!, ordinals, columns),
    takeHyperedges: (ordinals, columns) =>
      take(
        hyperedgeColumns,
        snapshot.hyperedges,
        snapshot.hyperedgeStarts,
        hyperedgeCount,
        hyperedgeColumn,
        (c) => c.label,
        ordinals,
        columns
      )
  }
}
