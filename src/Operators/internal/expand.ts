/**
 * Shared machinery of the expand operators (AdjacencyExpand, RoleExpand): anchor ids to
 * ordinals, a fixed-capacity buffer of matches (input row, target ordinal, edge ordinal)
 * held in Int32Arrays, and the assembly of an output batch from a buffer (input columns
 * gathered by row index, target and edge columns taken from the graph index by ordinal;
 * with a pushed predicate, the columns it reads are gathered first and the matches it
 * rejects are dropped before any other column is gathered).
 *
 * An operator walks the graph index per input batch in a generator that pushes matches and
 * yields a batch whenever the buffer is full, so the output comes in batches of at most
 * `batchSize` rows and nothing past what the consumer pulls is computed.
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import * as Batch from "../../Engine/Batch.js"
import * as Evaluator from "../../Engine/Evaluator.js"
import { ExecutionContext, type ExecutionContextService } from "../../Engine/ExecutionContext.js"
import type { ExecutionError } from "../../Engine/ExecutionError.js"
import * as Expr from "../../Engine/Expr.js"
import * as Column from "../../Engine/Kernels/Column.js"
import type { ScanColumn } from "../../Engine/PhysicalPlan.js"
import type { PhysicalSchema } from "../../Engine/PhysicalSchema.js"
import type { GraphIndex } from "../../Engine/Storage.js"
import { arrowSchema, conform } from "./schema.js"

/**
 * The ordinals of the ids in an Int64 column: `lookup` maps the values, and NULL slots
 * (or a Null-typed column) give `-1`.
 */
export const anchorOrdinals = (
  data: Arrow.Data,
  lookup: (ids: BigInt64Array) => Int32Array
): Int32Array => {
  const length = data.length
  if (data.typeId === Arrow.Type.Null || length === 0) return new Int32Array(length).fill(-1)
  if (data.typeId !== Arrow.Type.Int) throw new Error(`expand: anchor column has type ${String(data.type)}, expected Int64`)
  const values = (data.values as BigInt64Array).subarray(0, length)
  const ordinals = lookup(values)
  const valid = Column.validity(data)
  if (valid !== null) {
    for (let i = 0; i < length; i++) if (!Column.getBit(valid, i)) ordinals[i] = -1
  }
  return ordinals
}

/** The first size of a match buffer's arrays; they double as needed up to the capacity. */
const INITIAL = 1024

/**
 * Matches found so far for the current output batch. The arrays start small and double up
 * to `capacity` (a batch with few matches never allocates a whole batch's worth). They are
 * reused from one output batch to the next: {@link drain} hands out views that are read
 * (and copied) by {@link assemble} before any further match is written.
 */
export class Matches {
  rows: Int32Array
  targets: Int32Array
  edges: Int32Array
  count = 0
  /** `initial`: the first size of the arrays (an operator passes the size its previous batch grew to). */
  constructor(readonly capacity: number, initial: number = INITIAL) {
    const size = Math.max(1, Math.min(capacity, initial))
    this.rows = new Int32Array(size)
    this.targets = new Int32Array(size)
    this.edges = new Int32Array(size)
  }
  /**
   * Doubles the arrays (up to the capacity), keeping the matches; `false` when they are at
   * capacity already. A caller may write `rows`/`targets`/`edges` directly (at most
   * `rows.length` matches, growing when they are full) and then set `count`.
   */
  grow(): boolean {
    const size = this.rows.length
    if (size >= this.capacity) return false
    const next = Math.min(this.capacity, size * 2)
    const rows = new Int32Array(next)
    const targets = new Int32Array(next)
    const edges = new Int32Array(next)
    rows.set(this.rows.subarray(0, this.count))
    targets.set(this.targets.subarray(0, this.count))
    edges.set(this.edges.subarray(0, this.count))
    this.rows = rows
    this.targets = targets
    this.edges = edges
    return true
  }
  /** Adds a match; returns whether the buffer is now full (holds `capacity` matches). */
  push(row: number, target: number, edge: number): boolean {
    if (this.count === this.rows.length) this.grow()
    const k = this.count++
    this.rows[k] = row
    this.targets[k] = target
    this.edges[k] = edge
    return this.count === this.capacity
  }
  /** The buffered matches (views of the arrays, valid until the next match is written), leaving it empty. */
  drain(): { readonly rows: Int32Array; readonly targets: Int32Array; readonly edges: Int32Array } {
    const out = {
      rows: this.rows.subarray(0, this.count),
      targets: this.targets.subarray(0, this.count),
      edges: this.edges.subarray(0, this.count)
    }
    this.count = 0
    return out
  }
}

/** How an output batch is assembled: which entity kind the target is and which columns to take. */
export interface Assembly {
  readonly output: PhysicalSchema
  readonly index: GraphIndex
  readonly targetKind: "node" | "hyperedge"
  readonly targetColumns: ReadonlyArray<ScanColumn>
  /** Edge columns, taken from the hyperedges at the matches' edge ordinals (empty: none). */
  readonly edgeColumns: ReadonlyArray<ScanColumn>
  /** A predicate over the target and edge columns: only the matches where it is TRUE are kept. */
  readonly predicate?: Expr.Expr | undefined
}

const gather = (values: Int32Array, at: Int32Array): Int32Array => {
  const out = new Int32Array(at.length)
  for (let i = 0; i < at.length; i++) out[i] = values[at[i]!]!
  return out
}

/**
 * `rows[0]` when the rows are consecutive (`rows[i] === rows[0] + i`, so the input columns
 * are a zero-copy slice, or the columns themselves), else `-1`. Rows are never negative.
 */
const contiguousFrom = (rows: Int32Array): number => {
  const n = rows.length
  if (n === 0) return -1
  const first = rows[0]!
  if (first < 0 || rows[n - 1]! !== first + n - 1) return -1
  for (let i = 1; i < n; i++) if (rows[i]! !== first + i) return -1
  return first
}

/** The target columns (`which`) of the matches, taken from the graph index. */
const takeTargets = (assembly: Assembly, targets: Int32Array, which: ReadonlyArray<ScanColumn>): ReadonlyArray<Arrow.Data> =>
  which.length === 0
    ? []
    : assembly.targetKind === "node"
    ? assembly.index.takeNodes(targets, which)
    : assembly.index.takeHyperedges(targets, which)

/** The edge columns (`which`) of the matches, taken from the graph index. */
const takeEdges = (assembly: Assembly, edges: Int32Array, which: ReadonlyArray<ScanColumn>): ReadonlyArray<Arrow.Data> =>
  which.length === 0 ? [] : assembly.index.takeHyperedges(edges, which)

/** The output batch of the buffered matches over `input`: input columns, then the target's, then the edge's. */
export const assemble = (assembly: Assembly, input: Arrow.RecordBatch, matches: Matches): Arrow.RecordBatch => {
  const drained = matches.drain()
  let { edges, rows, targets } = drained
  const schema = arrowSchema(assembly.output)
  const { edgeColumns, predicate, targetColumns } = assembly
  const inputCount = input.numCols
  const added: Array<Arrow.Data | undefined> = new Array(targetColumns.length + edgeColumns.length)
  if (predicate !== undefined && rows.length > 0) {
    // gather the columns the predicate reads, drop the matches it rejects, then gather the rest
    const reads = new Set(Expr.columnsOf(predicate))
    const read = (i: number) => reads.has(schema.fields[inputCount + i]!.name)
    const tAt = targetColumns.map((_, i) => i).filter(read)
    const eAt = edgeColumns.map((_, i) => targetColumns.length + i).filter(read)
    const first = [
      ...takeTargets(assembly, targets, tAt.map((i) => targetColumns[i]!)),
      ...takeEdges(assembly, edges, eAt.map((i) => edgeColumns[i - targetColumns.length]!))
    ]
    const at = [...tAt, ...eAt]
    const fields = at.map((i, k) => new Arrow.Field(schema.fields[inputCount + i]!.name, first[k]!.type, true))
    const result = Evaluator.evaluateEither(predicate, Batch.make(new Arrow.Schema(fields), [...first], rows.length))
    // the planner pushes only conjuncts that cannot fail at run time
    if (Either.isLeft(result)) throw new Error(`expand: pushed predicate failed: ${result.left.message}`)
    const keep = Batch.maskToIndices(Batch.trueMask(result.right as Arrow.Data<Arrow.Bool>), rows.length)
    const all = keep.length === rows.length
    if (!all) {
      rows = gather(rows, keep)
      targets = gather(targets, keep)
      edges = gather(edges, keep)
    }
    at.forEach((i, k) => (added[i] = all ? first[k]! : Batch.takeData(first[k]!, keep)))
  }
  const tRest = targetColumns.map((_, i) => i).filter((i) => added[i] === undefined)
  const eRest = edgeColumns.map((_, i) => targetColumns.length + i).filter((i) => added[i] === undefined)
  const rest = [
    ...takeTargets(assembly, targets, tRest.map((i) => targetColumns[i]!)),
    ...takeEdges(assembly, edges, eRest.map((i) => edgeColumns[i - targetColumns.length]!))
  ]
  ;[...tRest, ...eRest].forEach((i, k) => (added[i] = rest[k]!))
  const columns: Array<Arrow.Data> = []
  const run = contiguousFrom(rows)
  for (let c = 0; c < inputCount; c++) {
    const data = Batch.column(input, c)
    columns.push(
      run < 0
        ? Batch.takeData(data, rows)
        : run === 0 && rows.length === data.length
        ? data
        : data.slice(run, rows.length)
    )
  }
  for (const d of added) columns.push(d!)
  const raw = new Arrow.Schema(
    columns.map((d, i) => new Arrow.Field(schema.fields[i]?.name ?? `c${i}`, d.type, true))
  )
  return conform(Batch.make(raw, columns, rows.length), schema, assembly.output)
}

/**
 * The stream of an expand operator: the graph index is fetched once, on the first
 * non-empty input batch (an empty input never touches storage); `prepare` runs once with
 * it, and each input batch is expanded lazily by the generator `prepare` returns, one
 * output batch per pull.
 */
export const expandStream = (
  input: Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>,
  prepare: (index: GraphIndex, context: ExecutionContextService) => (batch: Arrow.RecordBatch) => Generator<Arrow.RecordBatch>
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> =>
  Stream.unwrap(
    Effect.gen(function*() {
      const context = yield* ExecutionContext
      const prepared = yield* Effect.cached(
        Effect.map(context.storage.index(context.snapshot), (index) => prepare(index, context))
      )
      return input.pipe(
        Stream.filter((batch) => batch.numRows > 0),
        Stream.flatMap((batch) =>
          Stream.unwrap(Effect.map(prepared, (expandBatch) => Stream.fromIteratorSucceed(expandBatch(batch), 1)))
        ),
        Stream.filter((batch) => batch.numRows > 0)
      )
    })
  )

/** The output capacity of one batch: the configured batch size (at least 1). */
export const capacityOf = (context: ExecutionContextService): number => Math.max(1, context.config.batchSize)
