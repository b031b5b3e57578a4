/**
 * Columns of chunk rows typed as asked (system fields and properties) and the scans built
 * on them. A scan walks the matching chunks in storage order and slices their columns
 * (zero-copy when the stored type is the asked type); binary-only scans of n-ary chunks
 * gather the binary rows. Take (the graph index) uses the same column functions.
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Batch from "../../Engine/Batch.js"
import * as DataType from "../../Engine/DataType.js"
import * as Column from "../../Engine/Kernels/Column.js"
import type { ExecutionError } from "../../Engine/ExecutionError.js"
import type { BindingScanOptions, HyperedgeScanOptions, NodeScanOptions, ScanColumn } from "../../Engine/Storage.js"
import { convert } from "./columns.js"
import type { HyperedgeChunk, NodeChunk, Snapshot } from "./snapshot.js"

/** `length` rows of one string: offsets `i * w`, the bytes repeated by doubling copies. */
export const constantString = (value: string, length: number): Arrow.Data => {
  const bytes = Column.encodeUtf8(value)
  const w = bytes.length
  const offsets = new Int32Array(length + 1)
  for (let i = 0; i < length; i++) offsets[i + 1] = (i + 1) * w
  return Column.utf8(offsets, repeatBytes(bytes, length))
}

/** `bytes` repeated `times` times (doubling `copyWithin`, no per-row call). */
export const repeatBytes = (bytes: Uint8Array, times: number): Uint8Array => {
  const out = new Uint8Array(bytes.length * times)
  if (out.length === 0) return out
  out.set(bytes, 0)
  let filled = bytes.length
  while (filled < out.length) {
    const len = Math.min(filled, out.length - filled)
    out.copyWithin(filled, 0, len)
    filled += len
  }
  return out
}

const constantStringList = (values: ReadonlyArray<string>, length: number): Arrow.Data => {
  const k = values.length
  // one row's strings, repeated
  const encoded = values.map((v) => Column.encodeUtf8(v))
  const rowBytes = encoded.reduce((s, b) => s + b.length, 0)
  const bytes = new Uint8Array(rowBytes * length)
  const childOffsets = new Int32Array(k * length + 1)
  let pos = 0
  let n = 0
  for (let i = 0; i < length; i++) {
    for (const b of encoded) {
      bytes.set(b, pos)
      pos += b.length
      childOffsets[++n] = pos
    }
  }
  const offsets = new Int32Array(length + 1)
  for (let i = 0; i <= length; i++) offsets[i] = i * k
  return Column.list(
    DataType.toArrow(DataType.List(DataType.String)) as Arrow.List,
    offsets,
    Column.utf8(childOffsets, bytes)
  )
}

const int64Range = (values: BigInt64Array, start: number, end: number): Arrow.Data =>
  Column.int64(values.subarray(start, end))

/** Column `field` of node chunk rows `[start, end)` typed `asked` (missing → NULL). */
export const nodeColumn = (chunk: NodeChunk, field: string, asked: DataType.DataType, start: number, end: number): Arrow.Data => {
  switch (field) {
    case "_id":
      return Batch.castData(int64Range(chunk.ids, start, end), asked)
    case "_label":
      return Batch.castData(constantString(chunk.labels[0]!, end - start), asked)
    case "_labels":
      return Batch.castData(constantStringList(chunk.labels, end - start), asked)
  }
  const column = chunk.columns.get(field)
  return convert(column?.data, column?.type, asked, start, end)
}

/** Column `field` of hyperedge chunk rows `[start, end)` typed `asked` (missing → NULL; `_source` / `_target` NULL for n-ary rows). */
export const hyperedgeColumn = (
  chunk: HyperedgeChunk,
  field: string,
  asked: DataType.DataType,
  start: number,
  end: number
): Arrow.Data => {
  const topology = chunk.topology
  const n = end - start
  switch (field) {
    case "_id":
      return Batch.castData(int64Range(chunk.ids, start, end), asked)
    case "_label":
      return Batch.castData(constantString(chunk.label, n), asked)
    case "_labels":
      return Batch.castData(constantStringList([chunk.label], n), asked)
    case "_arity": {
      const out = new BigInt64Array(n)
      if (topology.kind === "edges") out.fill(2n)
      else for (let i = 0; i < n; i++) out[i] = BigInt(topology.offsets[start + i + 1]! - topology.offsets[start + i]!)
      return Batch.castData(Column.int64(out), asked)
    }
    case "_source":
    case "_target": {
      const ids = field === "_source" ? topology.source : topology.target
      if (topology.kind === "edges") return Batch.castData(int64Range(ids, start, end), asked)
      let valid: Uint8Array | null = null
      for (let i = 0; i < n; i++) {
        if (topology.binary[start + i] === 0) {
          valid ??= Column.allSetBitmap(n)
          Column.clearBit(valid, i)
        }
      }
      return Batch.castData(Column.int64(ids.slice(start, end), valid), asked)
    }
  }
  const column = chunk.columns.get(field)
  return convert(column?.data, column?.type, asked, start, end)
}

/** The Arrow schema of scan columns. */
export const schemaOf = (columns: ReadonlyArray<ScanColumn>): Arrow.Schema =>
  new Arrow.Schema(columns.map((c) => new Arrow.Field(c.field, DataType.toArrow(c.dataType), true)))

/** A run of rows of one chunk: contiguous `[start, end)`, or the listed rows `rows[start..end)`. */
interface Segment {
  readonly chunk: number
  readonly rows: Int32Array | null
  readonly length: number
}

interface Cursor {
  segment: number
  position: number
  remaining: number
}

const scan = (
  segments: ReadonlyArray<Segment>,
  options: NodeScanOptions,
  batch: (segment: Segment, start: number, end: number) => Arrow.RecordBatch
): Stream.Stream<Arrow.RecordBatch, ExecutionError> => {
  let total = 0
  for (const s of segments) total += s.length
  const count = Math.max(1, options.partition?.count ?? 1)
  const index = options.partition?.index ?? 0
  const lo = Math.floor((total * index) / count)
  let hi = Math.floor((total * (index + 1)) / count)
  if (options.limit !== undefined) hi = Math.min(hi, lo + Math.max(0, options.limit))
  const batchSize = Math.max(1, options.batchSize)
  // Skip to the segment holding row `lo`.
  let segment = 0
  let position = lo
  while (segment < segments.length && position >= segments[segment]!.length) {
    position -= segments[segment]!.length
    segment++
  }
  const initial: Cursor = { segment, position, remaining: Math.max(0, hi - lo) }
  return Stream.unfold(initial, (cursor) => {
    if (cursor.remaining <= 0 || cursor.segment >= segments.length) return Option.none()
    const s = segments[cursor.segment]!
    const n = Math.min(batchSize, cursor.remaining, s.length - cursor.position)
    const out = batch(s, cursor.position, cursor.position + n)
    const next: Cursor = cursor.position + n >= s.length
      ? { segment: cursor.segment + 1, position: 0, remaining: cursor.remaining - n }
      : { segment: cursor.segment, position: cursor.position + n, remaining: cursor.remaining - n }
    return Option.some([out, next] as const)
  })
}

/** Scans nodes of a snapshot (see `StorageService.scanNodes`). */
export const scanNodes = (snapshot: Snapshot, options: NodeScanOptions): Stream.Stream<Arrow.RecordBatch, ExecutionError> => {
  const segments: Array<Segment> = []
  snapshot.nodes.forEach((chunk, c) => {
    if (options.label === undefined || chunk.labels.includes(options.label)) {
      segments.push({ chunk: c, rows: null, length: chunk.length })
    }
  })
  const schema = schemaOf(options.columns)
  return scan(segments, options, (segment, start, end) => {
    const chunk = snapshot.nodes[segment.chunk]!
    return Batch.make(schema, options.columns.map((c) => nodeColumn(chunk, c.field, c.dataType, start, end)), end - start)
  })
}

/** Scans hyperedges (or binary edges) of a snapshot (see `StorageService.scanHyperedges`). */
export const scanHyperedges = (
  snapshot: Snapshot,
  options: HyperedgeScanOptions
): Stream.Stream<Arrow.RecordBatch, ExecutionError> => {
  const segments: Array<Segment> = []
  snapshot.hyperedges.forEach((chunk, c) => {
    if (options.label !== undefined && chunk.label !== options.label) return
    if (!options.binaryOnly || chunk.topology.kind === "edges") segments.push({ chunk: c, rows: null, length: chunk.length })
    else if (chunk.topology.binaryRows.length > 0) {
      segments.push({ chunk: c, rows: chunk.topology.binaryRows, length: chunk.topology.binaryRows.length })
    }
  })
  const schema = schemaOf(options.columns)
  return scan(segments, options, (segment, start, end) => {
    const chunk = snapshot.hyperedges[segment.chunk]!
    const rows = segment.rows
    if (rows === null) {
      return Batch.make(schema, options.columns.map((c) => hyperedgeColumn(chunk, c.field, c.dataType, start, end)), end - start)
    }
    // Gather the listed rows from the span they cover.
    const first = rows[start]!
    const last = rows[end - 1]! + 1
    const local = new Int32Array(end - start)
    for (let i = start; i < end; i++) local[i - start] = rows[i]! - first
    return Batch.make(
      schema,
      options.columns.map((c) => Batch.takeData(hyperedgeColumn(chunk, c.field, c.dataType, first, last), local)),
      end - start
    )
  })
}

/** The schema of a role-binding scan (see `BindingScanOptions`). */
export const bindingSchema: Arrow.Schema = new Arrow.Schema([
  new Arrow.Field("hyperedge", new Arrow.Int64(), true),
  new Arrow.Field("position", new Arrow.Int32(), true),
  new Arrow.Field("role", new Arrow.Utf8(), true),
  new Arrow.Field("node", new Arrow.Int64(), true),
  new Arrow.Field("hyperedge_target", new Arrow.Int64(), true)
])

const EDGE_ROLE_NAMES = ["source", "target"] as const

/** Bindings `[start, end)` of a chunk (binding order: rows in order, bindings in input order). */
const bindingBatch = (chunk: HyperedgeChunk, start: number, end: number): Arrow.RecordBatch => {
  const t = chunk.topology
  const n = end - start
  const hyperedge = new BigInt64Array(n)
  const position = new Int32Array(n)
  const roleIndex = new Int32Array(n)
  const node = new BigInt64Array(n)
  const other = new BigInt64Array(n)
  // validity: edges bind nodes only; general chunks set one bit per binding
  const nodeValid = Column.allocBitmap(n)
  const otherValid = Column.allocBitmap(n)
  let nodes = n
  const names: ReadonlyArray<string> = t.kind === "edges" ? EDGE_ROLE_NAMES : t.roles
  if (t.kind === "edges") {
    for (let i = 0; i < n; i++) {
      const k = start + i
      const row = k >> 1
      const p = k & 1
      hyperedge[i] = chunk.ids[row]!
      position[i] = p
      roleIndex[i] = p
      node[i] = p === 0 ? t.source[row]! : t.target[row]!
    }
  } else {
    // the row holding binding `start` (last row whose offset ≤ start)
    let lo = 0
    let hi = chunk.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (t.offsets[mid]! <= start) lo = mid
      else hi = mid - 1
    }
    let row = lo
    nodes = 0
    for (let i = 0; i < n; i++) {
      const k = start + i
      while (t.offsets[row + 1]! <= k) row++
      hyperedge[i] = chunk.ids[row]!
      position[i] = k - t.offsets[row]!
      roleIndex[i] = t.role[k]!
      if (t.isHyperedge[k] === 1) {
        other[i] = t.targetIds[k]!
        Column.setBit(otherValid, i)
      } else {
        node[i] = t.targetIds[k]!
        Column.setBit(nodeValid, i)
        nodes++
      }
    }
  }
  const encoded = names.map(Column.encodeUtf8)
  const offsets = new Int32Array(n + 1)
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + encoded[roleIndex[i]!]!.length
  const bytes = new Uint8Array(offsets[n]!)
  for (let i = 0; i < n; i++) bytes.set(encoded[roleIndex[i]!]!, offsets[i]!)
  const positions = Arrow.makeData({ type: new Arrow.Int32(), length: n, nullCount: 0, data: position })
  return Batch.make(bindingSchema, [
    Column.int64(hyperedge),
    positions,
    Column.utf8(offsets, bytes),
    Column.int64(node, nodes === n ? null : nodeValid),
    Column.int64(other, otherValid)
  ], n)
}

/** Scans the role bindings of a snapshot's hyperedges (see `StorageService.scanBindings`). */
export const scanBindings = (snapshot: Snapshot, options: BindingScanOptions): Stream.Stream<Arrow.RecordBatch, ExecutionError> => {
  const segments: Array<Segment> = []
  snapshot.hyperedges.forEach((chunk, c) => {
    if (options.label !== undefined && chunk.label !== options.label) return
    const t = chunk.topology
    const length = t.kind === "edges" ? 2 * chunk.length : t.offsets[chunk.length]!
    if (length > 0) segments.push({ chunk: c, rows: null, length })
  })
  return scan(segments, { columns: [], batchSize: options.batchSize }, (segment, start, end) =>
    bindingBatch(snapshot.hyperedges[segment.chunk]!, start, end))
}
