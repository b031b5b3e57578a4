/**
 * Arrow IPC (stream format) encoding of one partition: every batch of a partition in one
 * byte array, with the schema even when the partition holds no rows.
 */
import * as Arrow from "apache-arrow"

/** Encodes batches with `schema` as one Arrow IPC stream. */
export const encode = (schema: Arrow.Schema, batches: ReadonlyArray<Arrow.RecordBatch>): Uint8Array =>
  Arrow.tableToIPC(new Arrow.Table(schema, batches.filter((b) => b.numRows > 0)), "stream")

/** Decodes an Arrow IPC stream into its batches (empty when the stream holds no rows). */
export const decode = (bytes: Uint8Array): ReadonlyArray<Arrow.RecordBatch> => {
  const reader = Arrow.RecordBatchReader.from(bytes)
  const batches: Array<Arrow.RecordBatch> = []
  for (const batch of reader) {
    if (batch.numRows > 0) batches.push(batch)
  }
  return batches
}

/** Decodes an Arrow IPC stream into a table (keeps the schema when there are no rows). */
export const decodeTable = (bytes: Uint8Array): Arrow.Table => Arrow.tableFromIPC(bytes)

/** The number of rows in an encoded partition, without copying its columns. */
export const rowCount = (batches: ReadonlyArray<Arrow.RecordBatch>): number =>
  batches.reduce((n, b) => n + b.numRows, 0)
