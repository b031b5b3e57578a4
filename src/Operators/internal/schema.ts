/**
 * Arrow schemas of physical nodes, built once per `PhysicalSchema` and shared, and the
 * conversion of a batch to a node's output schema.
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as Batch from "../../Engine/Batch.js"
import type { PhysicalSchema } from "../../Engine/PhysicalSchema.js"

const cache = new WeakMap<PhysicalSchema, Arrow.Schema>()

/** The Arrow schema of a physical schema; the same object for the same physical schema. */
export const arrowSchema = (schema: PhysicalSchema): Arrow.Schema => {
  let arrow = cache.get(schema)
  if (arrow === undefined) {
    arrow = schema.toArrow()
    cache.set(schema, arrow)
  }
  return arrow
}

/**
 * The batch under `schema`, by position: identity when it already has that schema object,
 * a zero-copy relabel when only names or nullability differ, and an implicit cast
 * (`Batch.castData`: Int64 → Float64, Null → any, other dictionaries → values) of the
 * columns whose type differs; a string dictionary column stays encoded under a String field. A column count mismatch, or a cast Grism does not do, is a defect
 * (thrown; inside a stream it becomes a die).
 */
export const conform = (batch: Arrow.RecordBatch, schema: Arrow.Schema, physical: PhysicalSchema): Arrow.RecordBatch => {
  if (batch.schema === schema) return batch
  const fields = schema.fields
  if (batch.numCols !== fields.length) {
    throw new Error(`batch has ${batch.numCols} columns, the operator's output has ${fields.length} (${schema.fields.map((f) => f.name).join(", ")})`)
  }
  const columns: Array<Arrow.Data> = new Array(fields.length)
  for (let c = 0; c < fields.length; c++) {
    const data = Batch.column(batch, c)
    columns[c] = Arrow.util.compareTypes(fields[c]!.type, data.type)
      ? data
      : Batch.castKeepingDictionary(data, physical.fields[c]!.dataType)
  }
  return Batch.make(schema, columns, batch.numRows)
}
