/**
 * Vectorized utilities over Arrow record batches: build, gather (`take`), filter, slice,
 * concatenate, size and cast. Every function works on Arrow's typed-array buffers and
 * validity bitmaps directly (no per-row `Vector.get`, no JS value per row).
 *
 * Supported column types: Null, Bool, every fixed-width numeric / date / timestamp type,
 * Utf8, List<…> (any element type, recursively), FixedSizeList<…> (vectors) and
 * Dictionary (decoded to its value type on take / filter / concat).
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as DataType from "./DataType.js"
import * as Column from "./Kernels/Column.js"
import * as internal from "./Kernels/internal/batch.js"

/**
 * A batch from a schema and one single-chunk column per field. All columns must have the
 * same length; with no columns the batch has `length` rows (default 0).
 */
export const make = (
  schema: Arrow.Schema,
  columns: ReadonlyArray<Arrow.Data>,
  length?: number
): Arrow.RecordBatch => {
  const rows = columns.length > 0 ? columns[0]!.length : (length ?? 0)
  for (let c = 0; c < columns.length; c++) {
    if (columns[c]!.length !== rows) {
      throw new Error(`Batch.make: column ${c} has ${columns[c]!.length} rows, expected ${rows}`)
    }
  }
  if (columns.length !== schema.fields.length) {
    throw new Error(`Batch.make: ${columns.length} columns for ${schema.fields.length} fields`)
  }
  const truthful = withColumnTypes(schema, columns)
  return new Arrow.RecordBatch(
    truthful,
    Arrow.makeData({ type: new Arrow.Struct(truthful.fields), length: rows, nullCount: 0, children: [...columns] })
  )
}

/** The schema with each field whose column is dictionary-encoded, or no longer is, retyped to its column's type. */
const withColumnTypes = (schema: Arrow.Schema, columns: ReadonlyArray<Arrow.Data>): Arrow.Schema => {
  const fields = schema.fields
  let out: Array<Arrow.Field> | undefined
  for (let c = 0; c < columns.length; c++) {
    const field = fields[c]!
    const data = columns[c]!
    if (field.typeId === data.typeId) {
      if (data.typeId !== Arrow.Type.Dictionary || field.type === data.type) continue
    } else if (field.typeId !== Arrow.Type.Dictionary && data.typeId !== Arrow.Type.Dictionary) continue
    out ??= fields.slice()
    out[c] = field.clone({ type: data.type })
  }
  return out === undefined ? schema : new Arrow.Schema(out, schema.metadata)
}

/** Whether a column is dictionary-encoded strings (Int32 codes into one Utf8 dictionary); see {@link decodeDictionaries}. */
export const isStringDictionary = (data: Arrow.Data): boolean => internal.isStringDictionary(data)

/**
 * The batch with every dictionary-encoded column decoded to its values (identity when it
 * has none). Low-cardinality string columns travel through the operators encoded; a
 * query's result is handed out decoded.
 */
export const decodeDictionaries = (batch: Arrow.RecordBatch): Arrow.RecordBatch => {
  if (!hasDictionary(batch.schema)) return batch
  return make(
    decodedSchema(batch.schema),
    columnsOf(batch).map((d) => (d.typeId === Arrow.Type.Dictionary ? internal.decodeDictionary(d) : d)),
    batch.numRows
  )
}

/** A batch with no rows. */
export const empty = (schema: Arrow.Schema): Arrow.RecordBatch =>
  make(schema, schema.fields.map((f) => internal.emptyData(f.type)))

/** The single Data chunk of column `index`. */
export const column = (batch: Arrow.RecordBatch, index: number): Arrow.Data => {
  const vector = batch.getChildAt(index)
  if (vector === null) throw new Error(`Batch.column: no column ${index}`)
  return Column.dataOf(vector)
}

const columnsOf = (batch: Arrow.RecordBatch): Array<Arrow.Data> => {
  const out: Array<Arrow.Data> = []
  for (let c = 0; c < batch.numCols; c++) out.push(column(batch, c))
  return out
}

const hasDictionary = (schema: Arrow.Schema): boolean =>
  schema.fields.some((f) => f.type.typeId === Arrow.Type.Dictionary)

/** The schema with Dictionary fields replaced by their value type (what take / concat produce). */
const decodedSchema = (schema: Arrow.Schema): Arrow.Schema => {
  if (!schema.fields.some((f) => f.type.typeId === Arrow.Type.Dictionary)) return schema
  return new Arrow.Schema(
    schema.fields.map((f) =>
      f.type.typeId === Arrow.Type.Dictionary ? f.clone({ type: (f.type as Arrow.Dictionary).dictionary }) : f
    ),
    schema.metadata
  )
}

/** Gathers rows of one column; an index of -1 yields a NULL row. String dictionaries stay encoded, other dictionaries are decoded. */
export const takeData = (data: Arrow.Data, indices: Int32Array | Uint32Array): Arrow.Data =>
  internal.takeData(data, indices)

/**
 * Gathers rows of a string dictionary column whose codes are also held as `narrow`
 * (Uint8 / Uint16, the same values): for repeated random takes from a large column.
 */
export const takeNarrowCodes = (data: Arrow.Data, narrow: Uint8Array | Uint16Array, indices: Int32Array): Arrow.Data =>
  internal.takeNarrowCodes(data, narrow, indices)

/** The Int32 codes of a string dictionary column (see {@link isStringDictionary}), row i at index i. */
export const dictionaryCodes = (data: Arrow.Data): Int32Array => internal.dictionaryCodes(data)

/** Gathers rows of a batch by index (indices may repeat; -1 yields a row of NULLs). */
export const take = (batch: Arrow.RecordBatch, indices: Int32Array | Uint32Array): Arrow.RecordBatch =>
  make(batch.schema, columnsOf(batch).map((d) => internal.takeData(d, indices)), indices.length)

/** Row indices of the set bits among the first `length` bits of a bitmap. */
export const maskToIndices = (mask: Uint8Array, length: number): Int32Array => {
  let count = 0
  const full = length >> 3
  for (let b = 0; b < full; b++) {
    let v = mask[b]!
    v = v - ((v >> 1) & 0x55)
    v = (v & 0x33) + ((v >> 2) & 0x33)
    count += (v + (v >> 4)) & 0x0f
  }
  for (let i = full << 3; i < length; i++) if ((mask[i >> 3]! & (1 << (i & 7))) !== 0) count++
  const out = new Int32Array(count)
  let k = 0
  for (let b = 0; b < full; b++) {
    const v = mask[b]!
    if (v === 0) continue
    const base = b << 3
    for (let bit = 0; bit < 8; bit++) if ((v & (1 << bit)) !== 0) out[k++] = base + bit
  }
  for (let i = full << 3; i < length; i++) if ((mask[i >> 3]! & (1 << (i & 7))) !== 0) out[k++] = i
  return out
}

/** Keeps the rows whose bit is set in `mask` (row i at bit i). */
export const selectByMask = (batch: Arrow.RecordBatch, mask: Uint8Array): Arrow.RecordBatch => {
  const indices = maskToIndices(mask, batch.numRows)
  if (indices.length === batch.numRows) return batch
  return take(batch, indices)
}

/** The bitmap of rows where a Bool column is TRUE (NULL and FALSE rows cleared), row i at bit i. */
export const trueMask = (predicate: Arrow.Data<Arrow.Bool>): Uint8Array => {
  const length = predicate.length
  if ((predicate.typeId as Arrow.Type) === Arrow.Type.Null) return Column.allocBitmap(length)
  const bits = Column.boolBits(predicate)
  const valid = Column.validity(predicate)
  const bytes = (length + 7) >> 3
  const out = Column.allocBitmap(length)
  if (valid === null) for (let b = 0; b < bytes; b++) out[b] = bits[b]!
  else for (let b = 0; b < bytes; b++) out[b] = bits[b]! & valid[b]!
  const rest = length & 7
  if (rest !== 0) out[length >> 3] = out[length >> 3]! & ((1 << rest) - 1)
  return out
}

/** Keeps the rows where `predicate` is TRUE (NULL and FALSE rows are dropped). */
export const filter = (batch: Arrow.RecordBatch, predicate: Arrow.Data<Arrow.Bool>): Arrow.RecordBatch =>
  selectByMask(batch, trueMask(predicate))

/** Rows `[start, end)` of a batch (zero-copy). */
export const slice = (batch: Arrow.RecordBatch, start: number, end: number): Arrow.RecordBatch => {
  const s = Math.max(0, Math.min(start, batch.numRows))
  const e = Math.max(s, Math.min(end, batch.numRows))
  if (s === 0 && e === batch.numRows) return batch
  if (batch.numCols === 0) return make(batch.schema, [], e - s)
  return batch.slice(s, e)
}

/**
 * Concatenates batches into one batch with one freshly copied chunk per column, of the
 * schema's types: columns whose type differs (a Null column, an Int64 column under a
 * Float64 field, a dictionary under a Utf8 field) are converted first. Under a Dictionary
 * field, string dictionary pieces sharing one dictionary stay encoded (else decoded).
 */
export const concat = (schema: Arrow.Schema, batches: ReadonlyArray<Arrow.RecordBatch>): Arrow.RecordBatch => {
  let rows = 0
  for (const b of batches) rows += b.numRows
  if (schema.fields.length === 0) return make(schema, [], rows)
  const columns = schema.fields.map((field, c) => {
    const target = field.type
    const logical = target.typeId === Arrow.Type.Dictionary ? undefined : DataType.fromArrow(target)
    const pieces: Array<Arrow.Data> = []
    for (const b of batches) {
      if (b.numRows === 0) continue
      let piece = column(b, c)
      if (!internal.sameArrowType(piece.type, target) && logical !== undefined) piece = castData(piece, logical)
      pieces.push(piece)
    }
    return internal.concatData(target, pieces)
  })
  return make(schema, columns, rows)
}

/** Bytes of the buffers that cover the batch's rows (what it costs to hold or ship them). */
export const byteSize = (batch: Arrow.RecordBatch): number => {
  let total = 0
  for (let c = 0; c < batch.numCols; c++) total += internal.dataByteSize(column(batch, c))
  return total
}

/** The same columns under a new schema (rename); the schema must have as many fields. */
export const withSchema = (batch: Arrow.RecordBatch, schema: Arrow.Schema): Arrow.RecordBatch => {
  if (schema.fields.length !== batch.numCols) {
    throw new Error(`Batch.withSchema: ${schema.fields.length} fields for ${batch.numCols} columns`)
  }
  return make(schema, columnsOf(batch), batch.numRows)
}

/**
 * Converts a column to the Arrow storage of a logical type where Grism converts implicitly:
 * identity when already stored so, Null → any type (all NULL), Int64 (or any integer) →
 * Float64, narrower integers → Int64, Float32 → Float64, Dictionary → its decoded values,
 * and List<A> → List<B> element-wise. Anything else is a defect (the planner checks types).
 */
export const castData = (data: Arrow.Data, to: DataType.DataType): Arrow.Data => internal.castData(data, to)

/** {@link castData}, except that a string dictionary column asked for as a String stays encoded. */
export const castKeepingDictionary = (data: Arrow.Data, to: DataType.DataType): Arrow.Data =>
  internal.castKeepingDictionary(data, to)
