/**
 * How rows are spread over partitions (SEMANTICS §8): the serializable
 * {@link PartitioningSpec} variants, the {@link ExchangeMode} of an Exchange, and the
 * routing kernels {@link route} (partition of each row) and {@link split} (one batch per
 * partition).
 *
 * Guarantees: every row goes to exactly one partition in `0..partitionCount(spec))`
 * (covering and disjoint), and the partition of a row depends only on the typed values of
 * its key columns — never on a JS string form, a per-process seed, the batch it arrived in
 * or (except RoundRobin, which depends on the row's position) its position. Hash and
 * Adjacency use `Kernels/Hash.hashColumns`, a fixed function of the typed value (Int64 by
 * its bytes, strings by their UTF-8 bytes, NULL fixed, -0.0 = 0.0, one NaN), so every
 * process routes a key to the same partition.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Schema from "effect/Schema"
import * as Batch from "./Batch.js"
import * as DataType from "./DataType.js"
import * as Expr from "./Expr.js"
import * as Column from "./Kernels/Column.js"
import { hashColumns } from "./Kernels/Hash.js"

// ---------------------------------------------------------------------------
// Specs (plain data: they travel inside plans and stages)
// ---------------------------------------------------------------------------

/** Rows with equal values of `keys` (column names, in order) go to the same of `n` partitions, by hash. */
export class Hash extends Schema.TaggedClass<Hash>()("Hash", {
  keys: Schema.Array(Schema.String),
  n: Schema.Int
}) {}

/** The sort key of a Range partitioning: a column, its direction and where NULLs go (default: last ascending, first descending). */
export class RangeKey extends Schema.Class<RangeKey>("RangeKey")({
  column: Schema.String,
  descending: Schema.Boolean,
  nullsFirst: Schema.optional(Schema.Boolean)
}) {
  /** Whether NULLs come first under this key. */
  get effectiveNullsFirst(): boolean {
    return this.nullsFirst ?? this.descending
  }
}

/**
 * Range partitioning on one sort key: `boundaries` are typed literals (of the key's type,
 * non-NULL, in the key's sort order). Partition `p` holds the rows ordered after
 * `boundaries[p-1]` and not after `boundaries[p]` (a row equal to a boundary goes to the
 * lower partition), so there are `boundaries.length + 1` partitions and reading them in
 * order reads the rows in sort order. NULLs go to the first partition when they sort
 * first, else to the last; NaN is above every float; -0.0 equals 0.0.
 */
export class Range extends Schema.TaggedClass<Range>()("Range", {
  key: RangeKey,
  boundaries: Schema.Array(Expr.Literal)
}) {}

/**
 * Rows go where the adjacency of the node (or hyperedge) in column `anchor` (its `_id`)
 * lives: partition = `nodePartitions(id, n)`, the function a storage partition of nodes
 * would use. Routes exactly like `Hash([anchor], n)` on an Int64 id column.
 */
export class Adjacency extends Schema.TaggedClass<Adjacency>()("Adjacency", {
  anchor: Schema.String,
  n: Schema.Int
}) {}

/** Row `k` of the stream (counting from the `start` given to {@link route}) goes to partition `k mod n`. */
export class RoundRobin extends Schema.TaggedClass<RoundRobin>()("RoundRobin", {
  n: Schema.Int
}) {}

/** Everything in one partition. */
export class Single extends Schema.TaggedClass<Single>()("Single", {}) {}

/** A way to spread rows over partitions (SEMANTICS §8). */
export type PartitioningSpec = Hash | Range | Adjacency | RoundRobin | Single

/** Schema of {@link PartitioningSpec}; round-trips through JSON. */
export const PartitioningSpec: Schema.Schema<PartitioningSpec, any> = Schema.Union(Hash, Range, Adjacency, RoundRobin, Single)

/** The shared {@link Single} instance. */
export const single: Single = new Single()

/** Number of partitions a spec routes to. */
export const partitionCount = (spec: PartitioningSpec): number => {
  switch (spec._tag) {
    case "Hash":
    case "Adjacency":
    case "RoundRobin":
      return spec.n
    case "Range":
      return spec.boundaries.length + 1
    case "Single":
      return 1
  }
}

/** The columns whose values decide the partition (none for RoundRobin and Single). */
export const keyColumns = (spec: PartitioningSpec): ReadonlyArray<string> => {
  switch (spec._tag) {
    case "Hash":
      return spec.keys
    case "Range":
      return [spec.key.column]
    case "Adjacency":
      return [spec.anchor]
    default:
      return []
  }
}

/** Whether two specs route every row identically (same kind, keys and partition count). */
export const equivalent = (a: PartitioningSpec, b: PartitioningSpec): boolean => {
  if (partitionCount(a) !== partitionCount(b)) return false
  // Adjacency(x, n) routes as Hash([x], n): both hash the one id column.
  const hashKeys = (s: PartitioningSpec) =>
    s._tag === "Hash" ? s.keys : s._tag === "Adjacency" ? [s.anchor] : undefined
  const ka = hashKeys(a), kb = hashKeys(b)
  if (ka !== undefined || kb !== undefined) {
    return ka !== undefined && kb !== undefined && ka.length === kb.length && ka.every((k, i) => k === kb[i])
  }
  if (a._tag !== b._tag) return false
  if (a._tag === "Range" && b._tag === "Range") {
    return a.key.column === b.key.column && a.key.descending === b.key.descending &&
      a.key.effectiveNullsFirst === b.key.effectiveNullsFirst &&
      a.boundaries.length === b.boundaries.length &&
      a.boundaries.every((l, i) => Object.is(l.value, b.boundaries[i]!.value))
  }
  return a._tag !== "RoundRobin"
}

const literalText = (l: Expr.Literal): string => Expr.display(l)

/** Readable form: `Hash([f.city], 4)`, `Range(p.age ASC, [21, 65])`, `Adjacency(p._id, 4)`, `RoundRobin(4)`, `Single`. */
export const display = (spec: PartitioningSpec): string => {
  switch (spec._tag) {
    case "Hash":
      return `Hash([${spec.keys.join(", ")}], ${spec.n})`
    case "Range": {
      const k = spec.key
      const nulls = k.nullsFirst === undefined ? "" : k.nullsFirst ? " NULLS FIRST" : " NULLS LAST"
      return `Range(${k.column} ${k.descending ? "DESC" : "ASC"}${nulls}, [${spec.boundaries.map(literalText).join(", ")}])`
    }
    case "Adjacency":
      return `Adjacency(${spec.anchor}, ${spec.n})`
    case "RoundRobin":
      return `RoundRobin(${spec.n})`
    case "Single":
      return "Single"
  }
}

// ---------------------------------------------------------------------------
// Exchange modes
// ---------------------------------------------------------------------------

/** Each row goes to one consumer partition, chosen by `partitioning`. */
export class Shuffle extends Schema.TaggedClass<Shuffle>()("Shuffle", {
  partitioning: PartitioningSpec
}) {}

/** Every row goes to every consumer partition. */
export class Broadcast extends Schema.TaggedClass<Broadcast>()("Broadcast", {}) {}

/** Every row goes to one consumer (parallelism 1). */
export class Gather extends Schema.TaggedClass<Gather>()("Gather", {}) {}

/** How an Exchange moves rows from its producer's partitions to its consumer's (SEMANTICS §8). */
export type ExchangeMode = Shuffle | Broadcast | Gather

/** Schema of {@link ExchangeMode}; round-trips through JSON. */
export const ExchangeMode: Schema.Schema<ExchangeMode, any> = Schema.Union(Shuffle, Broadcast, Gather)

/** The shared {@link Broadcast} and {@link Gather} instances. */
export const broadcast: Broadcast = new Broadcast()
export const gather: Gather = new Gather()

/** A shuffle by `spec`. */
export const shuffle = (spec: PartitioningSpec): Shuffle => new Shuffle({ partitioning: spec })

/**
 * How each producer task splits its output for this mode: Shuffle → its spec; Broadcast
 * and Gather → {@link Single} (one output; a Broadcast consumer reads all of them in every
 * partition, a Gather consumer reads all of them in its one partition).
 */
export const producerPartitioning = (mode: ExchangeMode): PartitioningSpec =>
  mode._tag === "Shuffle" ? mode.partitioning : single

/** Readable form: `Shuffle(Hash([f.city], 4))`, `Broadcast`, `Gather`. */
export const displayMode = (mode: ExchangeMode): string =>
  mode._tag === "Shuffle" ? `Shuffle(${display(mode.partitioning)})` : mode._tag

// ---------------------------------------------------------------------------
// Routing kernels
// ---------------------------------------------------------------------------

/** Maps 32-bit hashes to partitions `0..n)` by multiply-shift (uses the high bits, no modulo bias worth noting). */
const bucket = (hashes: Uint32Array | Int32Array, n: number, out: Int32Array): Int32Array => {
  if (n === 1) return out.fill(0)
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(((hashes[i]! >>> 0) * n) / 4294967296)
  return out
}

const columnByName = (batch: Arrow.RecordBatch, name: string): Arrow.Data => {
  const index = batch.schema.fields.findIndex((f) => f.name === name)
  if (index < 0) {
    throw new Error(
      `Partitioning: no column ${name} in batch (${batch.schema.fields.map((f) => f.name).join(", ")})`
    )
  }
  const data = Batch.column(batch, index)
  return data.typeId === Arrow.Type.Dictionary ? Batch.castData(data, DataType.String) : data
}

/**
 * Partitions of node (or hyperedge) ids among `n`: the function a storage partition of
 * nodes uses and that {@link Adjacency} routes by. NULL ids go to one fixed partition.
 */
export const nodePartitions = (ids: Arrow.Data, n: number): Int32Array =>
  bucket(hashColumns([ids], ids.length), n, new Int32Array(ids.length))

/**
 * The partition of each row of `batch` under `spec` (values in `0..partitionCount(spec))`).
 * `start` is the position of the batch's first row in its stream (RoundRobin only).
 * Throws (a defect) when a key column is missing or a Range boundary does not fit its key.
 */
export const route = (spec: PartitioningSpec, batch: Arrow.RecordBatch, start = 0): Int32Array => {
  const rows = batch.numRows
  const out = new Int32Array(rows)
  switch (spec._tag) {
    case "Single":
      return out
    case "RoundRobin": {
      const n = spec.n
      let p = ((start % n) + n) % n
      for (let i = 0; i < rows; i++) {
        out[i] = p
        if (++p === n) p = 0
      }
      return out
    }
    case "Hash":
      if (spec.keys.length === 0) return out
      return bucket(hashColumns(spec.keys.map((k) => columnByName(batch, k)), rows), spec.n, out)
    case "Adjacency":
      return bucket(hashColumns([columnByName(batch, spec.anchor)], rows), spec.n, out)
    case "Range":
      return routeRange(spec, columnByName(batch, spec.key.column), out)
  }
}

/**
 * Splits a batch into one batch per partition (index = partition; empty partitions get an
 * empty batch), keeping the rows' relative order within each partition. Every row lands in
 * exactly one output.
 */
export const split = (spec: PartitioningSpec, batch: Arrow.RecordBatch, start = 0): Array<Arrow.RecordBatch> => {
  const n = partitionCount(spec)
  if (n === 1) return [batch]
  const parts = route(spec, batch, start)
  const counts = new Int32Array(n + 1)
  for (let i = 0; i < parts.length; i++) counts[parts[i]! + 1]!++
  for (let p = 0; p < n; p++) counts[p + 1]! += counts[p]!
  const offsets = counts.slice()
  const indices = new Int32Array(parts.length)
  for (let i = 0; i < parts.length; i++) indices[offsets[parts[i]!]!++] = i
  const out: Array<Arrow.RecordBatch> = []
  for (let p = 0; p < n; p++) {
    const from = counts[p]!, to = counts[p + 1]!
    out.push(to - from === batch.numRows ? batch : Batch.take(batch, indices.subarray(from, to)))
  }
  return out
}

// ---------------------------------------------------------------------------
// Range routing
// ---------------------------------------------------------------------------

/** Compares row i with boundary b in the column's natural ascending order (non-NULL values). */
type Comparator = (i: number, b: number) => number

const rangeComparator = (data: Arrow.Data, boundaries: ReadonlyArray<Expr.Literal>): Comparator => {
  const bad = (what: string): never => {
    throw new Error(`Partitioning.Range: boundary ${what} does not fit a ${Arrow.Type[data.typeId]} key`)
  }
  for (const b of boundaries) if (b.value === null) bad("NULL")
  switch (data.typeId) {
    case Arrow.Type.Int:
    case Arrow.Type.Timestamp: {
      const values = data.values as BigInt64Array
      if (!(values instanceof BigInt64Array)) return bad("(narrow integer storage)")
      const halves = new Int32Array(values.buffer, values.byteOffset, values.length * 2)
      const bHi = new Int32Array(boundaries.length)
      const bLo = new Uint32Array(boundaries.length)
      boundaries.forEach((b, k) => {
        const v = typeof b.value === "bigint" ? b.value : typeof b.value === "number" && Number.isInteger(b.value) ? BigInt(b.value) : bad(String(b.value))
        bHi[k] = Number(BigInt.asIntN(32, v >> 32n))
        bLo[k] = Number(BigInt.asUintN(32, v))
      })
      return (i, b) => {
        const hi = halves[2 * i + 1]!, bh = bHi[b]!
        if (hi !== bh) return hi < bh ? -1 : 1
        const lo = halves[2 * i]! >>> 0, bl = bLo[b]!
        return lo === bl ? 0 : lo < bl ? -1 : 1
      }
    }
    case Arrow.Type.Float:
    case Arrow.Type.Date: {
      const values = data.values as Float64Array | Int32Array
      const bv = Float64Array.from(boundaries, (b) =>
        typeof b.value === "number" ? b.value : typeof b.value === "bigint" ? Number(b.value) : bad(String(b.value))
      )
      return (i, b) => {
        const x = values[i]!, y = bv[b]!
        const xn = x !== x, yn = y !== y
        if (xn || yn) return xn === yn ? 0 : xn ? 1 : -1
        return x < y ? -1 : x > y ? 1 : 0 // -0 === 0
      }
    }
    case Arrow.Type.Bool: {
      const bits = Column.boolBits(data as Arrow.Data<Arrow.Bool>)
      const bv = Uint8Array.from(boundaries, (b) => (typeof b.value === "boolean" ? (b.value ? 1 : 0) : bad(String(b.value))))
      return (i, b) => (Column.getBit(bits, i) ? 1 : 0) - bv[b]!
    }
    case Arrow.Type.Utf8: {
      const utf8 = data as Arrow.Data<Arrow.Utf8>
      const bytes = utf8.values, offsets = utf8.valueOffsets
      const bv = boundaries.map((b) => (typeof b.value === "string" ? Column.encodeUtf8(b.value) : bad(String(b.value))))
      return (i, b) => {
        const s = bv[b]!
        return Column.compareBytes(bytes, offsets[i]!, offsets[i + 1]!, s, 0, s.length)
      }
    }
    default:
      return bad("(unorderable key type)")
  }
}

const routeRange = (spec: Range, data: Arrow.Data, out: Int32Array): Int32Array => {
  const nb = spec.boundaries.length
  if (nb === 0) return out
  const sign = spec.key.descending ? -1 : 1
  const cmp = rangeComparator(data, spec.boundaries)
  const valid = Column.validity(data)
  const nullPartition = spec.key.effectiveNullsFirst ? 0 : nb
  for (let i = 0; i < out.length; i++) {
    if (valid !== null && !Column.getBit(valid, i)) {
      out[i] = nullPartition
      continue
    }
    // Number of boundaries strictly before the row in sort order (binary search).
    let lo = 0, hi = nb
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (sign * cmp(i, mid) > 0) lo = mid + 1
      else hi = mid
    }
    out[i] = lo
  }
  return out
}
