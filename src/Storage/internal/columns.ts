/**
 * Property columns: the type of JS input values (SEMANTICS §2, §10), building Arrow data
 * from JS values, normalizing Arrow input, and the one conversion of stored data to the
 * type a scan or a take asks for (shared by both, so they agree exactly).
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as Batch from "../../Engine/Batch.js"
import * as DataType from "../../Engine/DataType.js"
import * as Column from "../../Engine/Kernels/Column.js"
import * as Hash from "../../Engine/Kernels/Hash.js"

const INT64_LIMIT = 9223372036854775808 // 2^63

/** The logical type of one JS property value, or a string saying why it is not a property value. */
export const valueType = (v: unknown): DataType.DataType | string => {
  if (v === null) return DataType.Null
  switch (typeof v) {
    case "boolean":
      return DataType.Bool
    case "bigint":
      return v >= -(2n ** 63n) && v < 2n ** 63n ? DataType.Int64 : "bigint outside the Int64 range"
    case "number":
      return Number.isInteger(v) && v >= -INT64_LIMIT && v < INT64_LIMIT ? DataType.Int64 : DataType.Float64
    case "string":
      return DataType.String
    case "undefined":
      return "undefined is not a property value (use null)"
  }
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? "invalid Date" : DataType.Timestamp
  if (v instanceof Float32Array) return DataType.Vector(v.length)
  if (Array.isArray(v)) {
    let element: DataType.DataType = DataType.Null
    for (const x of v) {
      const t = valueType(x)
      if (typeof t === "string") return t
      const u = DataType.unify(element, t)
      if (u === undefined) return `list mixes ${DataType.display(element)} and ${DataType.display(t)}`
      element = u
    }
    return DataType.List(element)
  }
  return `unsupported value of type ${typeof v}`
}

/** The unified type of a column of JS values (`undefined` entries are missing = NULL), or why they do not unify. */
export const inferType = (values: ReadonlyArray<unknown>): DataType.DataType | string => {
  let type: DataType.DataType = DataType.Null
  for (const v of values) {
    if (v === undefined) continue
    const t = valueType(v)
    if (typeof t === "string") return t
    const u = DataType.unify(type, t)
    if (u === undefined) return `mixes ${DataType.display(type)} and ${DataType.display(t)}`
    type = u
  }
  return type
}

const validityOf = (values: ReadonlyArray<unknown>): Uint8Array | null => {
  const n = values.length
  let any = false
  for (let i = 0; i < n; i++) if (values[i] === null || values[i] === undefined) { any = true; break }
  if (!any) return null
  const bits = Column.allocBitmap(n)
  for (let i = 0; i < n; i++) if (values[i] !== null && values[i] !== undefined) Column.setBit(bits, i)
  return bits
}

/** Arrow data of `type` from JS values (`null` / `undefined` are NULL); the values must fit the type. */
export const buildColumn = (values: ReadonlyArray<unknown>, type: DataType.DataType): Arrow.Data => {
  const n = values.length
  const valid = validityOf(values)
  switch (type._tag) {
    case "Null":
      return Arrow.makeData({ type: new Arrow.Null(), length: n })
    case "Bool": {
      const bits = Column.allocBitmap(n)
      for (let i = 0; i < n; i++) if (values[i] === true) Column.setBit(bits, i)
      return Column.bool(bits, n, valid)
    }
    case "Int64": {
      const out = new BigInt64Array(n)
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (v === null || v === undefined) continue
        out[i] = typeof v === "bigint" ? v : BigInt(v as number)
      }
      return Column.int64(out, valid)
    }
    case "Float64": {
      const out = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (v === null || v === undefined) continue
        out[i] = Number(v as number | bigint)
      }
      return Column.float64(out, valid)
    }
    case "String": {
      const parts: Array<Uint8Array> = new Array(n)
      const offsets = new Int32Array(n + 1)
      let total = 0
      for (let i = 0; i < n; i++) {
        const v = values[i]
        const bytes = typeof v === "string" ? Column.encodeUtf8(v) : EMPTY
        parts[i] = bytes
        total += bytes.length
        offsets[i + 1] = total
      }
      const bytes = new Uint8Array(total)
      for (let i = 0; i < n; i++) bytes.set(parts[i]!, offsets[i]!)
      return Column.utf8(offsets, bytes, valid)
    }
    case "Timestamp": {
      const out = new BigInt64Array(n)
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (v instanceof Date) out[i] = BigInt(v.getTime())
        else if (typeof v === "number" || typeof v === "bigint") out[i] = BigInt(v)
      }
      return Column.timestamp(out, valid)
    }
    case "Date": {
      const out = new Int32Array(n)
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (typeof v === "number") out[i] = v
        else if (v instanceof Date) out[i] = Math.floor(v.getTime() / 86400000)
      }
      return Column.dateDay(out, valid)
    }
    case "Vector": {
      const d = type.dimension
      const child = new Float32Array(n * d)
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (v instanceof Float32Array) child.set(v, i * d)
      }
      const childData = Arrow.makeData({ type: new Arrow.Float32(), length: n * d, data: child, nullCount: 0 } as any)
      return Arrow.makeData({
        type: DataType.toArrow(type) as Arrow.FixedSizeList,
        length: n,
        child: childData,
        nullBitmap: valid ?? undefined,
        nullCount: Column.countNulls(valid, n)
      } as any)
    }
    case "List": {
      const offsets = new Int32Array(n + 1)
      const flat: Array<unknown> = []
      for (let i = 0; i < n; i++) {
        const v = values[i]
        if (Array.isArray(v)) for (const x of v) flat.push(x)
        offsets[i + 1] = flat.length
      }
      const child = buildColumn(flat, type.element)
      return Column.list(new Arrow.List(new Arrow.Field("item", child.type, true)), offsets, child, valid)
    }
  }
}

const EMPTY = new Uint8Array(0)

/** Most distinct values a stored string column is dictionary-encoded with. */
const MAX_DICTIONARY = 1 << 16

/**
 * A stored Utf8 column dictionary-encoded (Int32 codes into its distinct values, in order
 * of first appearance) when it has at most half as many distinct values as rows and at
 * most {@link MAX_DICTIONARY}; otherwise the column itself. Scans and takes then hand the
 * codes out and kernels work on the few distinct values (see `Batch.isStringDictionary`).
 */
export const dictionaryEncode = (data: Arrow.Data): Arrow.Data => {
  if (data.typeId !== Arrow.Type.Utf8) return data
  const n = data.length
  const limit = Math.min(MAX_DICTIONARY, n >> 1)
  if (limit < 1) return data
  const offsets = data.valueOffsets as Int32Array
  const bytes = data.values as Uint8Array
  const valid = Column.validity(data)
  let size = 16
  while (size < limit * 2) size *= 2
  const slots = new Int32Array(size).fill(-1)
  const mask = size - 1
  const firstRow: Array<number> = []
  const codes = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    if (valid !== null && !Column.getBit(valid, i)) continue
    const s = offsets[i]!
    const e = offsets[i + 1]!
    let slot = Hash.hashBytes(bytes, s, e) & mask
    for (;;) {
      const code = slots[slot]!
      if (code === -1) {
        if (firstRow.length === limit) return data
        slots[slot] = firstRow.length
        codes[i] = firstRow.length
        firstRow.push(i)
        break
      }
      const r = firstRow[code]!
      const rs = offsets[r]!
      let same = offsets[r + 1]! - rs === e - s
      for (let k = 0; same && k < e - s; k++) same = bytes[rs + k] === bytes[s + k]
      if (same) {
        codes[i] = code
        break
      }
      slot = (slot + 1) & mask
    }
  }
  const values = Batch.takeData(data, Int32Array.from(firstRow))
  const dictionary = Arrow.makeVector(values as Arrow.Data<Arrow.Utf8>)
  return Arrow.makeData({
    type: new Arrow.Dictionary(new Arrow.Utf8(), new Arrow.Int32()),
    data: codes,
    dictionary,
    length: n,
    nullBitmap: valid ?? undefined,
    nullCount: Column.countNulls(valid, n)
  } as any) as Arrow.Data
}

/** Whether every row of `data` is NULL. */
export const allNull = (data: Arrow.Data): boolean => data.typeId === Arrow.Type.Null || data.nullCount === data.length

/**
 * Normalizes an Arrow input column to Grism's storage of its logical type (narrow ints →
 * Int64, Float32 → Float64, dictionaries decoded, …). Returns the data and its logical
 * type (Null when every row is NULL), or a reason when Grism has no such type.
 */
export const normalizeArrow = (data: Arrow.Data): { readonly data: Arrow.Data; readonly type: DataType.DataType } | string => {
  const logical = DataType.fromArrow(data.type)
  if (logical === undefined) return `unsupported Arrow type ${String(data.type)}`
  let out: Arrow.Data
  try {
    out = Batch.castData(data, logical)
  } catch (e) {
    return String(e)
  }
  return { data: dictionaryEncode(out), type: data.length > 0 && allNull(out) ? DataType.Null : logical }
}

/**
 * Stored data of logical type `stored` (rows `[start, end)`) as a column of type `asked`:
 * a zero-copy slice when the types agree, all-NULL for a Null-typed column, else the
 * implicit conversion (Int64 → Float64, List element widening). `stored` undefined means
 * the property is missing: all NULL.
 */
export const convert = (
  data: Arrow.Data | undefined,
  stored: DataType.DataType | undefined,
  asked: DataType.DataType,
  start: number,
  end: number
): Arrow.Data => {
  const length = end - start
  if (data === undefined || stored === undefined || stored._tag === "Null") {
    return Batch.castData(Arrow.makeData({ type: new Arrow.Null(), length }), asked)
  }
  const piece = start === 0 && end === data.length ? data : data.slice(start, length)
  return Batch.castKeepingDictionary(piece, asked)
}
