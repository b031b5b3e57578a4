/**
 * SortExec: a stable multi-key sort (SEMANTICS §5 Sort). It buffers its input with the
 * sort keys evaluated once per batch, reserving the memory it holds, then sorts once
 * and emits batches of `config.batchSize` rows. With `fetch` it is a top-k: the buffer is
 * cut back to the best `fetch` rows whenever it reaches `max(2·fetch, batchSize)` rows,
 * so it never holds much more than that; once `fetch` rows are kept, the worst of them is
 * a threshold and each later batch keeps only the rows strictly before it (one comparison
 * pass, usually leaving few or no rows). `fetch = 0` emits nothing and pulls nothing.
 *
 * Over the memory limit it fails with `MemoryExceeded`; the reservation is freed when the
 * stream ends, fails or is interrupted.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Batch from "../Engine/Batch.js"
import * as DataType from "../Engine/DataType.js"
import * as Evaluator from "../Engine/Evaluator.js"
import { ExecutionContext } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import * as Sort from "../Engine/Kernels/Sort.js"
import type { SortExec } from "../Engine/PhysicalPlan.js"
import { reserve } from "./internal/memory.js"
import { arrowSchema, conform } from "./internal/schema.js"

/** The rows held so far: the batches and, per sort key, its evaluated column pieces. */
interface Buffer {
  batches: Array<Arrow.RecordBatch>
  keys: Array<Array<Arrow.Data>>
  rows: number
  bytes: number
}

const columnSchema = (type: Arrow.DataType): Arrow.Schema => new Arrow.Schema([new Arrow.Field("k", type, true)])

/** Bytes of one column's buffers. */
const dataBytes = (data: Arrow.Data): number => Batch.byteSize(Batch.make(columnSchema(data.type), [data], data.length))

/** Bytes a key column adds to its batch: none when it is one of the batch's own columns. */
const keyBytesOf = (batch: Arrow.RecordBatch, key: Arrow.Data): number => {
  for (let c = 0; c < batch.numCols; c++) if (Batch.column(batch, c) === key) return 0
  return dataBytes(key)
}

/** One column from pieces of one key (converted to `type` where needed). */
const concatKey = (type: Arrow.DataType, pieces: ReadonlyArray<Arrow.Data>): Arrow.Data => {
  const schema = columnSchema(type)
  return Batch.column(Batch.concat(schema, pieces.map((p) => Batch.make(columnSchema(p.type), [p], p.length))), 0)
}

/** Runs the operator over its input stream. */
export const execute = (
  node: SortExec,
  input: Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext>
): Stream.Stream<Arrow.RecordBatch, ExecutionError, ExecutionContext> => {
  const fetch = node.fetch
  if (fetch !== undefined && fetch <= 0) return Stream.empty
  return Stream.unwrapScoped(
    Effect.gen(function*() {
      const context = yield* ExecutionContext
      const batchSize = Math.max(1, context.config.batchSize)
      const schema = arrowSchema(node.output)
      const keyTypes: Array<DataType.DataType> = []
      for (const key of node.keys) {
        const type = Evaluator.checkType(key.expr, schema)
        if (Either.isLeft(type)) return yield* Effect.fail(type.left)
        keyTypes.push(type.right)
      }
      const arrowKeyTypes = keyTypes.map(DataType.toArrow)
      const reservation = yield* reserve(node)
      const buffer: Buffer = { batches: [], keys: node.keys.map(() => []), rows: 0, bytes: 0 }
      /** Top-k: per key, the one-row column of the worst kept row once `fetch` rows are kept. */
      let threshold: Array<Arrow.Data> | undefined

      /** Top-k: the rows of a batch that may still enter (strictly before the threshold row). */
      const candidates = (keys: ReadonlyArray<Arrow.Data>, length: number): Int32Array | undefined => {
        if (threshold === undefined) return undefined
        if (keys.length === 1) {
          const direct = Sort.rowsBeforeValue(sortKeys(keys)[0]!, length, threshold[0]!)
          if (direct !== undefined) return direct
        }
        const withPivot = keys.map((key, k) =>
          Batch.castData(concatKey(arrowKeyTypes[k]!, [key, threshold![k]!]), keyTypes[k]!)
        )
        return Sort.rowsBefore(sortKeys(withPivot), length, length)
      }

      /** One batch and one column per key holding every buffered row (concatenated once). */
      const flatten = (): { batch: Arrow.RecordBatch; keys: Array<Arrow.Data> } => {
        const batch = buffer.batches.length === 1 ? buffer.batches[0]! : Batch.concat(schema, buffer.batches)
        const keys = buffer.keys.map((pieces, k) =>
          pieces.length === 1 ? pieces[0]! : Batch.castData(concatKey(arrowKeyTypes[k]!, pieces), keyTypes[k]!)
        )
        return { batch, keys }
      }
      const sortKeys = (keys: ReadonlyArray<Arrow.Data>): Array<Sort.SortKeyColumn> =>
        node.keys.map((key, k) => ({ data: keys[k]!, descending: key.descending, nullsFirst: key.effectiveNullsFirst }))

      /** Top-k: keeps only the best `fetch` buffered rows, in order. */
      const cut = Effect.suspend(() => {
        // the concatenated copy exists next to the pieces for a moment
        return Effect.zipRight(
          reservation.grow(buffer.bytes),
          Effect.suspend(() => {
            const { batch, keys } = flatten()
            const indices = Sort.topKIndices(sortKeys(keys), batch.numRows, fetch!)
            const kept = Batch.take(batch, indices)
            const keptKeys = keys.map((k) => Batch.takeData(k, indices))
            buffer.batches = [kept]
            buffer.keys = keptKeys.map((k) => [k])
            buffer.rows = kept.numRows
            buffer.bytes = Batch.byteSize(kept) + keptKeys.reduce((n, k) => n + dataBytes(k), 0)
            if (kept.numRows >= fetch!) {
              const last = Int32Array.of(kept.numRows - 1)
              threshold = keptKeys.map((k) => Batch.takeData(k, last))
            }
            return reservation.resize(buffer.bytes)
          })
        )
      })

      yield* Stream.runForEach(input, (raw) =>
        raw.numRows === 0 ? Effect.void : Effect.gen(function*() {
          let batch = conform(raw, schema, node.output)
          let keys: Array<Arrow.Data> = []
          for (let k = 0; k < node.keys.length; k++) {
            let data = yield* Evaluator.evaluate(node.keys[k]!.expr, batch)
            if (!Arrow.util.compareTypes(data.type, arrowKeyTypes[k]!)) data = Batch.castData(data, keyTypes[k]!)
            keys.push(data)
          }
          const keep = candidates(keys, batch.numRows)
          if (keep !== undefined && keep.length < batch.numRows) {
            if (keep.length === 0) return
            batch = Batch.take(batch, keep)
            keys = keys.map((key) => Batch.takeData(key, keep))
          }
          const bytes = Batch.byteSize(batch) + keys.reduce((n, key) => n + keyBytesOf(batch, key), 0)
          yield* reservation.grow(bytes)
          buffer.batches.push(batch)
          keys.forEach((key, k) => buffer.keys[k]!.push(key))
          buffer.rows += batch.numRows
          buffer.bytes += bytes
          if (fetch !== undefined && buffer.rows >= Math.max(2 * fetch, batchSize)) yield* cut
        }))

      if (buffer.rows === 0) return Stream.empty
      if (buffer.batches.length > 1) yield* reservation.grow(buffer.bytes)
      const { batch, keys } = flatten()
      buffer.batches = []
      buffer.keys = []
      yield* reservation.resize(Batch.byteSize(batch) + keys.reduce((n, k) => n + keyBytesOf(batch, k), 0))
      const indices = fetch !== undefined
        ? Sort.topKIndices(sortKeys(keys), batch.numRows, fetch)
        : Sort.sortIndices(sortKeys(keys), batch.numRows)
      return Stream.unfold(0, (start) =>
        start >= indices.length
          ? Option.none()
          : Option.some([
            Batch.take(batch, indices.subarray(start, Math.min(indices.length, start + batchSize))),
            start + batchSize
          ] as const))
    })
  )
}
