/**
 * Arrow IPC (stream format) encoding of one partition: every batch of a partition in one
 * byte array, with the schema even when the partition holds no rows.
 */
import * as Arrow from "apache-arrow"
import * as Batch from "../../Engine/Batch.js"

/**
 * Encodes batches with `schema` as one Arrow IPC stream holding one batch. The batches are
 * first concatenated into freshly copied columns: Arrow's IPC writer mis-encodes some
 * sliced columns (non-zero offsets), and one batch per partition is also the cheapest
 * to ship.
 */
export const encode = (schema: Arrow.Schema, batches: ReadonlyArray<Arrow.RecordBatch>): Uint8Array => {
  const rows = batches.filter((b) => b.numRows > 0)
  return Arrow.tableToIPC(new Arrow.Table(schema, rows.length === 0 ? [] : [Batch.concat(schema, rows)]), "stream")
}

/** Decodes an Arrow IPC stream into its batches (empty when the stream holds no rows), each cut to at most `batchSize` rows (zero-copy). */
export const decode = (bytes: Uint8Array, batchSize = Number.POSITIVE_INFINITY): ReadonlyArray<Arrow.RecordBatch> => {
  const reader = Arrow.RecordBatchReader.from(bytes)
  const batches: Array<Arrow.RecordBatch> = []
  for (const batch of reader) {
    for (let at = 0; at < batch.numRows; at += batchSize) batches.push(Batch.slice(batch, at, at + batchSize))
  }
  return batches
}
