/**
 * A graph index derived from any Storage's public scans alone (`catalog`, `scanNodes`,
 * `scanHyperedges`, `scanBindings`): the access path of a backend without native indexes,
 * and an independent check that the native indexes never change a result.
 *
 * - Ordinals are positions in the unlabelled node / hyperedge scans; ids map to ordinals
 *   through an open-addressing hash keyed by the two 32-bit halves of each id.
 * - Adjacency: the binary-edge scan (`_source`, `_target`) as ordinal triples, grouped by
 *   a stable counting sort per (edge label | all, direction).
 * - Bindings: the binding scan placed by (hyperedge ordinal, position); incidence is the
 *   counting sort of the bindings by target.
 * - Take: system fields come from the unlabelled scans; a property is read per label (one
 *   scan per label, typed as the catalog says) and, per (field, asked type), the labels
 *   whose type converts to the asked one form one column with an ordinal → row map, so a
 *   take is one typed gather. Everything is read when the index is built (the index's
 *   functions are synchronous); derived parts are built on first use and cached.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Batch from "../Engine/Batch.js"
import * as DataType from "../Engine/DataType.js"
import { type ExecutionError, StorageFailure } from "../Engine/ExecutionError.js"
import * as Column from "../Engine/Kernels/Column.js"
import type {
  Adjacency,
  Bindings,
  GraphIndex,
  Incidence,
  LabelInfo,
  ScanColumn,
  SnapshotId,
  StorageService
} from "../Engine/Storage.js"

const BATCH_SIZE = 65536
const ALL = "\u0000all"

const memo = <A>(cache: Map<string, A>, key: string, build: () => A): A => {
  let value = cache.get(key)
  if (value === undefined) {
    value = build()
    cache.set(key, value)
  }
  return value
}

const failure = (detail: string): StorageFailure =>
  new StorageFailure({ operation: "ScanGraphIndex.build", cause: new Error(detail) })

// ---------------------------------------------------------------------------
// Id → ordinal hash
// ---------------------------------------------------------------------------

const hashHalves = (lo: number, hi: number): number => {
  let h = Math.imul(lo ^ (lo >>> 16), 0x85ebca6b) ^ Math.imul(hi ^ (hi >>> 13), 0xc2b2ae35)
  h ^= h >>> 16
  h = Math.imul(h, 0x7feb352d)
  return h ^ (h >>> 15)
}

const halvesOf = (ids: BigInt64Array): Int32Array => new Int32Array(ids.buffer, ids.byteOffset, ids.length * 2)

/** An id → ordinal lookup (ordinal = position in `ids`), or the first duplicate id. */
const idHash = (ids: BigInt64Array): ((lookup: BigInt64Array) => Int32Array) | bigint => {
  const n = ids.length
  let capacity = 16
  while (capacity < 2 * n) capacity *= 2
  const mask = capacity - 1
  const keys = new Int32Array(capacity * 2)
  const values = new Int32Array(capacity).fill(-1)
  const h = halvesOf(ids)
  for (let i = 0; i < n; i++) {
    const lo = h[2 * i]!
    const hi = h[2 * i + 1]!
    let slot = hashHalves(lo, hi) & mask
    while (values[slot] !== -1) {
      if (keys[2 * slot] === lo && keys[2 * slot + 1] === hi) return ids[i]!
      slot = (slot + 1) & mask
    }
    keys[2 * slot] = lo
    keys[2 * slot + 1] = hi
    values[slot] = i
  }
  return (lookup) => {
    const m = lookup.length
    const q = halvesOf(lookup)
    const out = new Int32Array(m)
    for (let i = 0; i < m; i++) {
      const lo = q[2 * i]!
      const hi = q[2 * i + 1]!
      let slot = hashHalves(lo, hi) & mask
      let found = -1
      for (;;) {
        const v = values[slot]!
        if (v === -1) break
        if (keys[2 * slot] === lo && keys[2 * slot + 1] === hi) {
          found = v
          break
        }
        slot = (slot + 1) & mask
      }
      out[i] = found
    }
    return out
  }
}

// ---------------------------------------------------------------------------
// Reading scans
// ---------------------------------------------------------------------------

const schemaOf = (columns: ReadonlyArray<ScanColumn>): Arrow.Schema =>
  new Arrow.Schema(columns.map((c) => new Arrow.Field(c.field, DataType.toArrow(c.dataType), true)))

/** A whole stream as one batch of `schema`. */
const readAll = (
  stream: Stream.Stream<Arrow.RecordBatch, ExecutionError>,
  schema: Arrow.Schema
): Effect.Effect<Arrow.RecordBatch, ExecutionError> =>
  Effect.map(Stream.runCollect(stream), (chunk) => Batch.concat(schema, Chunk.toArray(chunk)))

/** The Int64 values of a column (0 in NULL slots) and its validity. */
const int64Values = (data: Arrow.Data): { readonly values: BigInt64Array; readonly valid: Uint8Array | null } => {
  const n = data.length
  if (data.typeId === Arrow.Type.Null) return { values: new BigInt64Array(n), valid: Column.allocBitmap(n) }
  const raw = data.values as BigInt64Array | Int32Array
  const values = raw instanceof BigInt64Array ? raw.subarray(0, n) : BigInt64Array.from(raw.subarray(0, n), (v) => BigInt(v))
  return { values, valid: Column.validity(data) }
}

/** Ordinals of an Int64 id column (`-1` for NULL or unknown ids). */
const ordinalsOf = (data: Arrow.Data, lookup: (ids: BigInt64Array) => Int32Array): Int32Array => {
  const { valid, values } = int64Values(data)
  const out = lookup(values)
  if (valid !== null) for (let i = 0; i < out.length; i++) if (!Column.getBit(valid, i)) out[i] = -1
  return out
}

/** One scan's columns with the ordinal of each row. */
interface Table {
  readonly ordinals: Int32Array
  readonly columns: ReadonlyMap<string, Arrow.Data>
  /** Every ordinal of the kind, in order (row r = ordinal r). */
  readonly identity: boolean
}

/** Reads `kind` entities per label: `_id` plus every property of the label, typed as the catalog says. */
const labelTables = (
  labels: ReadonlyMap<string, LabelInfo>,
  scan: (label: string, columns: ReadonlyArray<ScanColumn>) => Stream.Stream<Arrow.RecordBatch, ExecutionError>,
  lookup: (ids: BigInt64Array) => Int32Array
): Effect.Effect<Map<string, Table>, ExecutionError> =>
  Effect.gen(function*() {
    const out = new Map<string, Table>()
    for (const info of labels.values()) {
      const columns: Array<ScanColumn> = [{ field: "_id", dataType: DataType.Int64 }]
      for (const [field, dataType] of info.properties) columns.push({ field, dataType })
      const batch = yield* readAll(scan(info.label, columns), schemaOf(columns))
      const ordinals = ordinalsOf(Batch.column(batch, 0), lookup)
      for (let i = 0; i < ordinals.length; i++) {
        if (ordinals[i]! < 0) return yield* Effect.fail(failure(`label ${info.label}: an id the unlabelled scan does not hold`))
      }
      const map = new Map<string, Arrow.Data>()
      columns.forEach((c, i) => {
        if (i > 0) map.set(c.field, Batch.column(batch, i))
      })
      out.set(info.label, { ordinals, columns: map, identity: false })
    }
    return out
  })

/**
 * Take by ordinal over tables: for (field, asked type), the tables holding the field in a
 * type that converts to the asked one, concatenated, and the row of each ordinal (the
 * first table that holds it); entities no table covers are NULL.
 */
const taker = (tables: ReadonlyArray<Table>, count: number) => {
  const cache = new Map<string, { readonly data: Arrow.Data; readonly rowOf: Int32Array | null }>()
  const source = (c: ScanColumn) =>
    memo(cache, `${c.field}\u0000${DataType.display(c.dataType)}`, () => {
      const pieces: Array<Arrow.Data> = []
      const owners: Array<Table> = []
      for (const t of tables) {
        const d = t.columns.get(c.field)
        if (d === undefined) continue
        try {
          pieces.push(Batch.castData(d, c.dataType))
          owners.push(t)
        } catch {
          // another label's type: its rows are never asked in this type
        }
      }
      if (pieces.length === 1 && owners[0]!.identity) return { data: pieces[0]!, rowOf: null }
      const rowOf = new Int32Array(count).fill(-1)
      let base = 0
      owners.forEach((t, j) => {
        const ords = t.ordinals
        for (let r = 0; r < ords.length; r++) {
          const o = ords[r]!
          if (rowOf[o] === -1) rowOf[o] = base + r
        }
        base += pieces[j]!.length
      })
      const schema = schemaOf([c])
      const data = pieces.length === 0
        ? Batch.castData(Arrow.makeData({ type: new Arrow.Null(), length: 0 }), c.dataType)
        : Batch.column(Batch.concat(schema, pieces.map((p) => Batch.make(schema, [p]))), 0)
      return { data, rowOf }
    })
  return (ordinals: Int32Array, columns: ReadonlyArray<ScanColumn>): ReadonlyArray<Arrow.Data> =>
    columns.map((c) => {
      const { data, rowOf } = source(c)
      if (rowOf === null) return Batch.takeData(data, ordinals)
      const n = ordinals.length
      const rows = new Int32Array(n)
      for (let i = 0; i < n; i++) {
        const o = ordinals[i]!
        rows[i] = o < 0 ? -1 : rowOf[o]!
      }
      return Batch.takeData(data, rows)
    })
}

// ---------------------------------------------------------------------------
// Bindings
// ---------------------------------------------------------------------------

const BINDING_SCHEMA = new Arrow.Schema([
  new Arrow.Field("hyperedge", new Arrow.Int64(), true),
  new Arrow.Field("position", new Arrow.Int32(), true),
  new Arrow.Field("role", new Arrow.Utf8(), true),
  new Arrow.Field("node", new Arrow.Int64(), true),
  new Arrow.Field("hyperedge_target", new Arrow.Int64(), true)
])

/** Every binding over ordinals, CSR by hyperedge ordinal; `role` indexes `roles`. */
interface AllBindings {
  readonly roles: ReadonlyArray<string>
  readonly offsets: Int32Array
  readonly role: Int32Array
  readonly targetIsHyperedge: Uint8Array
  readonly target: Int32Array
}

/** Role indices of a Utf8 column: bytes compared with the known roles' encodings (a new role is decoded once). */
const roleIndices = (data: Arrow.Data, roles: Array<string>): Int32Array => {
  const n = data.length
  const out = new Int32Array(n)
  const offsets = data.valueOffsets as Int32Array
  const bytes = data.values as Uint8Array
  const encoded = roles.map(Column.encodeUtf8)
  for (let i = 0; i < n; i++) {
    const s = offsets[i]!
    const e = offsets[i + 1]!
    const len = e - s
    let found = -1
    for (let r = 0; r < encoded.length && found < 0; r++) {
      const b = encoded[r]!
      if (b.length !== len) continue
      let k = 0
      while (k < len && b[k] === bytes[s + k]) k++
      if (k === len) found = r
    }
    if (found < 0) {
      found = roles.length
      roles.push(Column.decodeUtf8(bytes.subarray(s, e)))
      encoded.push(bytes.slice(s, e))
    }
    out[i] = found
  }
  return out
}

const readBindings = (
  batch: Arrow.RecordBatch,
  hyperedgeCount: number,
  knownRoles: ReadonlyArray<string>,
  nodeLookup: (ids: BigInt64Array) => Int32Array,
  hyperedgeLookup: (ids: BigInt64Array) => Int32Array
): AllBindings | string => {
  const n = batch.numRows
  const owner = ordinalsOf(Batch.column(batch, 0), hyperedgeLookup)
  const positionData = Batch.column(batch, 1)
  const position = positionData.values instanceof Int32Array
    ? (positionData.values as Int32Array).subarray(0, n)
    : Int32Array.from(int64Values(positionData).values, Number)
  const roles = [...knownRoles]
  const roleOfRow = roleIndices(Batch.column(batch, 2), roles)
  const nodeData = Batch.column(batch, 3)
  const nodeValid = Column.validity(nodeData)
  const nodeTarget = ordinalsOf(nodeData, nodeLookup)
  const edgeTarget = ordinalsOf(Batch.column(batch, 4), hyperedgeLookup)
  const offsets = new Int32Array(hyperedgeCount + 1)
  for (let i = 0; i < n; i++) {
    if (owner[i]! < 0) return "a binding of an unknown hyperedge"
    offsets[owner[i]! + 1]++
  }
  for (let h = 0; h < hyperedgeCount; h++) offsets[h + 1] = offsets[h + 1]! + offsets[h]!
  const role = new Int32Array(n)
  const targetIsHyperedge = new Uint8Array(n)
  const target = new Int32Array(n).fill(-1)
  for (let i = 0; i < n; i++) {
    const h = owner[i]!
    const p = position[i]!
    if (p < 0 || p >= offsets[h + 1]! - offsets[h]!) return "a binding position outside its hyperedge"
    const k = offsets[h]! + p
    if (target[k] !== -1) return "two bindings at one position"
    const isNode = nodeValid === null || Column.getBit(nodeValid, i)
    const t = isNode ? nodeTarget[i]! : edgeTarget[i]!
    if (t < 0) return "a binding to an unknown entity"
    role[k] = roleOfRow[i]!
    targetIsHyperedge[k] = isNode ? 0 : 1
    target[k] = t
  }
  return { roles, offsets, role, targetIsHyperedge, target }
}

// ---------------------------------------------------------------------------
// The index
// ---------------------------------------------------------------------------

/** Builds the graph index of `snapshot` from the storage's scans (see the module comment). */
export const build = (storage: StorageService, snapshot: SnapshotId): Effect.Effect<GraphIndex, ExecutionError> =>
  Effect.gen(function*() {
    const catalog = yield* storage.catalog(snapshot)

    // Nodes: ordinals = unlabelled scan order.
    const nodeSystem: Array<ScanColumn> = [
      { field: "_id", dataType: DataType.Int64 },
      { field: "_label", dataType: DataType.String },
      { field: "_labels", dataType: DataType.List(DataType.String) }
    ]
    const nodeBatch = yield* readAll(
      storage.scanNodes(snapshot, { columns: nodeSystem, batchSize: BATCH_SIZE }),
      schemaOf(nodeSystem)
    )
    const nodeCount = nodeBatch.numRows
    const nodeLookup = idHash(int64Values(Batch.column(nodeBatch, 0)).values)
    if (typeof nodeLookup === "bigint") return yield* Effect.fail(failure(`node id ${nodeLookup} scanned twice`))

    // Hyperedges: ordinals = unlabelled scan order.
    const edgeSystem: Array<ScanColumn> = [
      { field: "_id", dataType: DataType.Int64 },
      { field: "_label", dataType: DataType.String },
      { field: "_arity", dataType: DataType.Int64 }
    ]
    const edgeBatch = yield* readAll(
      storage.scanHyperedges(snapshot, { columns: edgeSystem, batchSize: BATCH_SIZE, binaryOnly: false }),
      schemaOf(edgeSystem)
    )
    const hyperedgeCount = edgeBatch.numRows
    const hyperedgeLookup = idHash(int64Values(Batch.column(edgeBatch, 0)).values)
    if (typeof hyperedgeLookup === "bigint") {
      return yield* Effect.fail(failure(`hyperedge id ${hyperedgeLookup} scanned twice`))
    }

    // Binary edges: (edge, source, target) ordinals; `_source` / `_target` columns by ordinal.
    const binarySystem: Array<ScanColumn> = [
      { field: "_id", dataType: DataType.Int64 },
      { field: "_source", dataType: DataType.Int64 },
      { field: "_target", dataType: DataType.Int64 }
    ]
    const binaryBatch = yield* readAll(
      storage.scanHyperedges(snapshot, { columns: binarySystem, batchSize: BATCH_SIZE, binaryOnly: true }),
      schemaOf(binarySystem)
    )
    const binaryEdge = ordinalsOf(Batch.column(binaryBatch, 0), hyperedgeLookup)
    const binarySource = ordinalsOf(Batch.column(binaryBatch, 1), nodeLookup)
    const binaryTarget = ordinalsOf(Batch.column(binaryBatch, 2), nodeLookup)
    for (let i = 0; i < binaryEdge.length; i++) {
      if (binaryEdge[i]! < 0 || binarySource[i]! < 0 || binaryTarget[i]! < 0) {
        return yield* Effect.fail(failure("a binary edge with an unknown id or end"))
      }
    }
    const endColumn = (c: number): Arrow.Data => {
      const ends = int64Values(Batch.column(binaryBatch, c)).values
      const values = new BigInt64Array(hyperedgeCount)
      const valid = Column.allocBitmap(hyperedgeCount)
      for (let i = 0; i < binaryEdge.length; i++) {
        values[binaryEdge[i]!] = ends[i]!
        Column.setBit(valid, binaryEdge[i]!)
      }
      return Column.int64(values, valid)
    }
    const edgeLabelsColumn = (() => {
      const label = Batch.column(edgeBatch, 1)
      const offsets = new Int32Array(hyperedgeCount + 1)
      for (let i = 0; i <= hyperedgeCount; i++) offsets[i] = i
      return Column.list(DataType.toArrow(DataType.List(DataType.String)) as Arrow.List, offsets, label)
    })()

    // Properties per label.
    const nodeLabelTables = yield* labelTables(
      catalog.nodeLabels,
      (label, columns) => storage.scanNodes(snapshot, { label, columns, batchSize: BATCH_SIZE }),
      nodeLookup
    )
    const edgeLabelTables = yield* labelTables(
      catalog.hyperedgeLabels,
      (label, columns) => storage.scanHyperedges(snapshot, { label, columns, batchSize: BATCH_SIZE, binaryOnly: false }),
      hyperedgeLookup
    )

    // Hyperedge label per ordinal (an index into `edgeLabelNames`).
    const edgeLabelNames = [...edgeLabelTables.keys()]
    const edgeLabelOf = new Int32Array(hyperedgeCount).fill(-1)
    edgeLabelNames.forEach((label, l) => {
      for (const o of edgeLabelTables.get(label)!.ordinals) edgeLabelOf[o] = l
    })

    // Role bindings.
    const knownRoles: Array<string> = []
    for (const info of catalog.hyperedgeLabels.values()) for (const r of info.roles) if (!knownRoles.includes(r)) knownRoles.push(r)
    const bindingBatch = yield* readAll(storage.scanBindings(snapshot, { batchSize: BATCH_SIZE }), BINDING_SCHEMA)
    const all = readBindings(bindingBatch, hyperedgeCount, knownRoles, nodeLookup, hyperedgeLookup)
    if (typeof all === "string") return yield* Effect.fail(failure(all))

    const nodeMasks = new Map<string, Uint8Array>()
    const hyperedgeMasks = new Map<string, Uint8Array>()
    const adjacencies = new Map<string, Adjacency>()
    const bindingsCache = new Map<string, Bindings>()
    const incidences = new Map<string, Incidence>()

    const labelMask = (cache: Map<string, Uint8Array>, tables: ReadonlyMap<string, Table>, count: number, label: string) =>
      memo(cache, label, () => {
        const mask = new Uint8Array(count)
        const t = tables.get(label)
        if (t !== undefined) for (const o of t.ordinals) mask[o] = 1
        return mask
      })

    /** The label's index in `edgeLabelNames` (-2 for a label the snapshot does not hold: matches no hyperedge). */
    const labelIndex = (label: string | undefined): number | undefined => {
      if (label === undefined) return undefined
      const l = edgeLabelNames.indexOf(label)
      return l < 0 ? -2 : l
    }

    const adjacency = (label: string | undefined, direction: "out" | "in"): Adjacency =>
      memo(adjacencies, `${direction}:${label ?? ALL}`, () => {
        const l = labelIndex(label)
        const keys = direction === "out" ? binarySource : binaryTarget
        const others = direction === "out" ? binaryTarget : binarySource
        const m = binaryEdge.length
        const offsets = new Int32Array(nodeCount + 1)
        for (let i = 0; i < m; i++) if (l === undefined || edgeLabelOf[binaryEdge[i]!] === l) offsets[keys[i]! + 1]++
        for (let v = 0; v < nodeCount; v++) offsets[v + 1] = offsets[v + 1]! + offsets[v]!
        const cursor = offsets.slice(0, nodeCount)
        const total = offsets[nodeCount]!
        const neighbours = new Int32Array(total)
        const edges = new Int32Array(total)
        for (let i = 0; i < m; i++) {
          if (l !== undefined && edgeLabelOf[binaryEdge[i]!] !== l) continue
          const p = cursor[keys[i]!]!++
          neighbours[p] = others[i]!
          edges[p] = binaryEdge[i]!
        }
        return { offsets, neighbours, edges }
      })

    const bindings = (label: string | undefined): Bindings =>
      memo(bindingsCache, label ?? ALL, () => {
        if (label === undefined) return all
        const l = labelIndex(label)!
        const offsets = new Int32Array(hyperedgeCount + 1)
        for (let h = 0; h < hyperedgeCount; h++) {
          offsets[h + 1] = offsets[h]! + (edgeLabelOf[h] === l ? all.offsets[h + 1]! - all.offsets[h]! : 0)
        }
        const total = offsets[hyperedgeCount]!
        const role = new Int32Array(total)
        const targetIsHyperedge = new Uint8Array(total)
        const target = new Int32Array(total)
        for (let h = 0; h < hyperedgeCount; h++) {
          if (edgeLabelOf[h] !== l) continue
          const from = all.offsets[h]!
          const to = all.offsets[h + 1]!
          const at = offsets[h]!
          role.set(all.role.subarray(from, to), at)
          targetIsHyperedge.set(all.targetIsHyperedge.subarray(from, to), at)
          target.set(all.target.subarray(from, to), at)
        }
        return { roles: all.roles, offsets, role, targetIsHyperedge, target }
      })

    const incidence = (label: string | undefined, kind: "node" | "hyperedge"): Incidence =>
      memo(incidences, `${kind}:${label ?? ALL}`, () => {
        const b = bindings(label)
        const count = kind === "node" ? nodeCount : hyperedgeCount
        const want = kind === "node" ? 0 : 1
        const offsets = new Int32Array(count + 1)
        const n = b.target.length
        for (let k = 0; k < n; k++) if (b.targetIsHyperedge[k] === want) offsets[b.target[k]! + 1]++
        for (let e = 0; e < count; e++) offsets[e + 1] = offsets[e + 1]! + offsets[e]!
        const cursor = offsets.slice(0, count)
        const total = offsets[count]!
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

    const identity = (count: number): Int32Array => {
      const out = new Int32Array(count)
      for (let i = 0; i < count; i++) out[i] = i
      return out
    }
    const nodeSystemTable: Table = {
      ordinals: identity(nodeCount),
      columns: new Map(nodeSystem.map((c, i) => [c.field, Batch.column(nodeBatch, i)])),
      identity: true
    }
    const edgeSystemTable: Table = {
      ordinals: identity(hyperedgeCount),
      columns: new Map([
        ...edgeSystem.map((c, i): [string, Arrow.Data] => [c.field, Batch.column(edgeBatch, i)]),
        ["_labels", edgeLabelsColumn],
        ["_source", endColumn(1)],
        ["_target", endColumn(2)]
      ]),
      identity: true
    }
    const takeNodes = taker([nodeSystemTable, ...nodeLabelTables.values()], nodeCount)
    const takeHyperedges = taker([edgeSystemTable, ...edgeLabelTables.values()], hyperedgeCount)

    const index: GraphIndex = {
      nodeCount,
      hyperedgeCount,
      nodeOrdinals: nodeLookup,
      hyperedgeOrdinals: hyperedgeLookup,
      nodeLabelMask: (label) => labelMask(nodeMasks, nodeLabelTables, nodeCount, label),
      hyperedgeLabelMask: (label) => labelMask(hyperedgeMasks, edgeLabelTables, hyperedgeCount, label),
      adjacency,
      bindings,
      incidence,
      takeNodes,
      takeHyperedges
    }
    return index
  })

/**
 * The storage with `index(snapshot)` answered by {@link build} (cached per snapshot)
 * instead of its own indexes; everything else is the storage's own. A build failure other
 * than a missing snapshot is a defect (the index contract admits only SnapshotNotFound).
 */
export const withScanIndex = (storage: StorageService): StorageService => {
  const cache = new Map<SnapshotId, GraphIndex>()
  return {
    ...storage,
    index: (snapshot) =>
      Effect.suspend(() => {
        const cached = cache.get(snapshot)
        if (cached !== undefined) return Effect.succeed(cached)
        return build(storage, snapshot).pipe(
          Effect.tap((index) => Effect.sync(() => cache.set(snapshot, index))),
          Effect.catchAll((error) => error._tag === "SnapshotNotFound" ? Effect.fail(error) : Effect.die(error))
        )
      })
  }
}
