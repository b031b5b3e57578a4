/**
 * Test helpers for operators: batches from JS rows, mock sources (`fromBatches`,
 * `counting`, `erroring`, `blocking`), an acquire/release tracker that proves
 * finalizers ran, a fake storage and a per-test `ExecutionContext`.
 *
 * Building JS values per row is fine here (tests only); operators never do it.
 */
import * as Arrow from "apache-arrow"
import { Deferred, Effect, Layer, Option, Stream } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import * as ExecutionContext from "../../src/Engine/ExecutionContext.js"
import type { ExecutionError } from "../../src/Engine/ExecutionError.js"
import * as PhysicalSchema from "../../src/Engine/PhysicalSchema.js"
import { EmptyExec } from "../../src/Engine/PhysicalPlan.js"
import type * as Storage from "../../src/Engine/Storage.js"

/** A test row: by column name, or by position. */
export type Row = Readonly<Record<string, unknown>> | ReadonlyArray<unknown>

/** An Arrow schema of nullable columns from `[name, type]` pairs. */
export const arrowSchema = (
  columns: ReadonlyArray<readonly [name: string, type: DataType.DataType]>
): Arrow.Schema => new Arrow.Schema(columns.map(([name, type]) => new Arrow.Field(name, DataType.toArrow(type), true)))

/** A physical schema of plain columns (no entities) from `[name, type]` pairs. */
export const physicalSchema = (
  columns: ReadonlyArray<readonly [name: string, type: DataType.DataType]>
): PhysicalSchema.PhysicalSchema => PhysicalSchema.fromColumns(columns)

/** A RecordBatch of the schema holding `rows` (`undefined` and `null` are NULL). */
export const batchFromRows = (
  schema: Arrow.Schema | PhysicalSchema.PhysicalSchema,
  rows: ReadonlyArray<Row>
): Arrow.RecordBatch => {
  const arrow = schema instanceof Arrow.Schema ? schema : schema.toArrow()
  const children = arrow.fields.map((field, c) => {
    const builder = Arrow.makeBuilder({ type: field.type, nullValues: [null, undefined] })
    for (const row of rows) {
      const value = Array.isArray(row) ? row[c] : (row as Record<string, unknown>)[field.name]
      builder.append(value ?? null)
    }
    return builder.finish().flush()
  })
  const data = Arrow.makeData({
    type: new Arrow.Struct(arrow.fields),
    length: rows.length,
    nullCount: 0,
    children
  })
  return new Arrow.RecordBatch(arrow, data)
}

/** The rows of a batch or table as JS objects keyed by column name (bigint stays bigint). */
export const rowsOf = (data: Arrow.RecordBatch | Arrow.Table | ReadonlyArray<Arrow.RecordBatch>): Array<Record<string, unknown>> => {
  const batches = Array.isArray(data) ? data : data instanceof Arrow.Table ? data.batches : [data as Arrow.RecordBatch]
  const out: Array<Record<string, unknown>> = []
  for (const batch of batches) {
    const columns = batch.schema.fields.map((_: Arrow.Field, c: number) => batch.getChildAt(c)!)
    for (let i = 0; i < batch.numRows; i++) {
      const row: Record<string, unknown> = {}
      batch.schema.fields.forEach((f: Arrow.Field, c: number) => {
        const v = columns[c]!.get(i)
        row[f.name] = v === undefined ? null : v
      })
      out.push(row)
    }
  }
  return out
}

/** The values of one column over batches, as JS values. */
export const columnOf = (data: Arrow.RecordBatch | Arrow.Table | ReadonlyArray<Arrow.RecordBatch>, name: string): Array<unknown> =>
  rowsOf(data).map((row) => row[name])

/** A stream emitting the batches, one batch per pull. */
export const fromBatches = (
  batches: ReadonlyArray<Arrow.RecordBatch>
): Stream.Stream<Arrow.RecordBatch, ExecutionError> =>
  Stream.unfold(0, (i) => (i < batches.length ? Option.some([batches[i]!, i + 1] as const) : Option.none()))

/** A source that counts how many batches were pulled from it. */
export interface Counting {
  readonly stream: Stream.Stream<Arrow.RecordBatch, ExecutionError>
  /** Batches produced so far. */
  readonly pulled: () => number
}

/** A source emitting the batches one per pull and counting the pulls that produced a batch. */
export const counting = (batches: ReadonlyArray<Arrow.RecordBatch>): Counting => {
  let pulled = 0
  const stream = Stream.unfoldEffect(0, (i) =>
    Effect.sync(() => {
      if (i >= batches.length) return Option.none()
      pulled++
      return Option.some([batches[i]!, i + 1] as const)
    })
  )
  return { stream, pulled: () => pulled }
}

/** A source emitting the first `afterBatches` batches, then failing with `error`. */
export const erroring = <E extends ExecutionError>(
  batches: ReadonlyArray<Arrow.RecordBatch>,
  afterBatches: number,
  error: E
): Stream.Stream<Arrow.RecordBatch, ExecutionError> =>
  Stream.concat(fromBatches(batches.slice(0, afterBatches)), Stream.fail(error))

/**
 * A source emitting the batches, then signalling `started` and waiting forever
 * (until interrupted).
 */
export const blocking = (
  batches: ReadonlyArray<Arrow.RecordBatch>,
  started: Deferred.Deferred<void>
): Stream.Stream<Arrow.RecordBatch, ExecutionError> =>
  Stream.concat(
    fromBatches(batches),
    Stream.fromEffect(Deferred.succeed(started, undefined).pipe(Effect.zipRight(Effect.never))).pipe(Stream.drain)
  )

/** Counts acquisitions and releases of a resource, to prove finalizers ran. */
export interface Tracker {
  readonly acquired: () => number
  readonly released: () => number
  /** The stream, with a resource acquired when it starts and released when it ends, fails or is interrupted. */
  readonly track: <A, E, R>(stream: Stream.Stream<A, E, R>) => Stream.Stream<A, E, R>
}

/** A fresh acquire/release tracker. */
export const tracker = (): Tracker => {
  let acquired = 0
  let released = 0
  return {
    acquired: () => acquired,
    released: () => released,
    track: (stream) =>
      Stream.unwrapScoped(
        Effect.acquireRelease(Effect.sync(() => acquired++), () => Effect.sync(() => released++)).pipe(
          Effect.as(stream)
        )
      )
  }
}

/** A fake storage: scans answer with the given functions (default: no rows) and record the options they got. */
export interface FakeStorage extends Storage.StorageService {
  readonly nodeScans: Array<Storage.NodeScanOptions>
  readonly hyperedgeScans: Array<Storage.HyperedgeScanOptions>
}

/** Builds a {@link FakeStorage}. */
export const fakeStorage = (options: {
  readonly nodes?: (options: Storage.NodeScanOptions) => Stream.Stream<Arrow.RecordBatch, ExecutionError>
  readonly hyperedges?: (options: Storage.HyperedgeScanOptions) => Stream.Stream<Arrow.RecordBatch, ExecutionError>
  readonly index?: Storage.GraphIndex
} = {}): FakeStorage => {
  const nodeScans: Array<Storage.NodeScanOptions> = []
  const hyperedgeScans: Array<Storage.HyperedgeScanOptions> = []
  return {
    nodeScans,
    hyperedgeScans,
    current: Effect.succeed(1),
    catalog: (snapshot) =>
      Effect.succeed({
        snapshot,
        nodeCount: 0,
        hyperedgeCount: 0,
        nodeLabels: new Map(),
        hyperedgeLabels: new Map()
      }),
    scanNodes: (_snapshot, scan) => {
      nodeScans.push(scan)
      return options.nodes ? options.nodes(scan) : Stream.empty
    },
    scanHyperedges: (_snapshot, scan) => {
      hyperedgeScans.push(scan)
      return options.hyperedges ? options.hyperedges(scan) : Stream.empty
    },
    scanBindings: () => Stream.empty,
    index: () => options.index ? Effect.succeed(options.index) : Effect.dieMessage("fakeStorage: no graph index given"),
    commit: () => Effect.succeed(1)
  }
}

/** Options of a test context. */
export interface TestContextOptions {
  readonly storage?: Storage.StorageService
  readonly snapshot?: Storage.SnapshotId
  readonly memoryLimit?: number
  readonly batchSize?: number
}

/** A fresh ExecutionContext service for one test (fresh memory pool and metrics). */
export const testContext = (options: TestContextOptions = {}): ExecutionContext.ExecutionContextService =>
  ExecutionContext.make({
    storage: options.storage ?? fakeStorage(),
    snapshot: options.snapshot ?? 1,
    config: {
      ...(options.memoryLimit !== undefined ? { memoryLimit: options.memoryLimit } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {})
    }
  })

/** A layer providing a fresh test context. */
export const testLayer = (
  options: TestContextOptions = {}
): Layer.Layer<ExecutionContext.ExecutionContext> => Layer.succeed(ExecutionContext.ExecutionContext, testContext(options))

/** Provides a given context service to an effect. */
export const provideContext =
  (context: ExecutionContext.ExecutionContextService) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, ExecutionContext.ExecutionContext>> =>
    Effect.provideService(effect, ExecutionContext.ExecutionContext, context)

/** An input placeholder for testing one operator by itself: an EmptyExec with the given output. */
export const placeholder = (output: PhysicalSchema.PhysicalSchema, id = 0): EmptyExec => new EmptyExec({ id, output })

/** Batches of one Int64 column `name` holding `0n, 1n, …`, `perBatch` rows per batch. */
export const intBatches = (name: string, batches: number, perBatch: number): Array<Arrow.RecordBatch> => {
  const schema = arrowSchema([[name, DataType.Int64]])
  return Array.from({ length: batches }, (_, b) =>
    batchFromRows(schema, Array.from({ length: perBatch }, (_, i) => [BigInt(b * perBatch + i)])))
}

/** Runs a stream of batches to completion in `context` (a fresh test context by default) and returns its batches. */
export const runBatches = <E>(
  stream: Stream.Stream<Arrow.RecordBatch, E, ExecutionContext.ExecutionContext>,
  context: ExecutionContext.ExecutionContextService = testContext()
): Effect.Effect<Array<Arrow.RecordBatch>, E> =>
  Stream.runCollect(stream).pipe(
    Effect.map((chunk) => [...chunk]),
    Effect.provideService(ExecutionContext.ExecutionContext, context)
  )
