/**
 * Buffer-level gather / concat / cast of single Arrow Data chunks (used by `Batch`).
 *
 * Row i of a Data is: `values[i * stride]` (fixed width, already sub-arrayed by Arrow's
 * slice), bit `offset + i` of Bool values and validity, `valueOffsets[i]` (variable width,
 * absolute into `values` or the list child), child rows `[i * size, (i + 1) * size)` of a
 * FixedSizeList (Arrow slices its child).
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as DataType from "../../DataType.js"
import * as Column from "../Column.js"

type Indices = Int32Array | Uint32Array
type AnyTyped =
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array

/** Elements of `values` per row of a fixed-width type (as Arrow's own `strideForType`). */
const strideOf = (type: Arrow.DataType): number => {
  switch (type.typeId) {
    case Arrow.Type.Decimal:
      return (type as Arrow.Decimal).bitWidth / 32
    case Arrow.Type.FixedSizeBinary:
      return (type as Arrow.FixedSizeBinary).byteWidth
    case Arrow.Type.Interval:
      return (type as Arrow.Interval).unit === 2 ? 4 : 1 + (type as Arrow.Interval).unit
    default:
      return 1
  }
}

const mk = (props: Record<string, unknown>): Arrow.Data => Arrow.makeData(props as any) as Arrow.Data

/** Wraps output buffers as Data with a validity bitmap (row i at bit i) or none. */
const withValidity = (props: Record<string, unknown>, length: number, validity: Uint8Array | null): Arrow.Data =>
  mk({
    ...props,
    length,
    nullBitmap: validity ?? undefined,
    nullCount: validity === null ? 0 : Column.countNulls(validity, length)
  })

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/** Whether two Arrow types have the same physical storage (field names and timezones ignored). */
export const sameArrowType = (a: Arrow.DataType, b: Arrow.DataType): boolean => {
  if (a.typeId !== b.typeId) return false
  switch (a.typeId) {
    case Arrow.Type.Int: {
      const x = a as Arrow.Int, y = b as Arrow.Int
      return x.bitWidth === y.bitWidth && x.isSigned === y.isSigned
    }
    case Arrow.Type.Float:
      return (a as Arrow.Float).precision === (b as Arrow.Float).precision
    case Arrow.Type.Date:
      return (a as Arrow.Date_).unit === (b as Arrow.Date_).unit
    case Arrow.Type.Timestamp:
      return (a as Arrow.Timestamp).unit === (b as Arrow.Timestamp).unit
    case Arrow.Type.List:
      return sameArrowType((a as Arrow.List).children[0]!.type, (b as Arrow.List).children[0]!.type)
    case Arrow.Type.FixedSizeList: {
      const x = a as Arrow.FixedSizeList, y = b as Arrow.FixedSizeList
      return x.listSize === y.listSize && sameArrowType(x.children[0]!.type, y.children[0]!.type)
    }
    case Arrow.Type.Dictionary:
      return false
    case Arrow.Type.Struct: {
      const x = a as Arrow.Struct, y = b as Arrow.Struct
      return x.children.length === y.children.length &&
        x.children.every((f, i) => sameArrowType(f.type, y.children[i]!.type))
    }
    default:
      return true
  }
}

// ---------------------------------------------------------------------------
// NULL columns
// ---------------------------------------------------------------------------

/** A column of `length` NULLs of an Arrow type (a Dictionary type gives its value type). */
export const nullData = (type: Arrow.DataType, length: number): Arrow.Data => {
  const validity = length === 0 ? null : Column.allocBitmap(length)
  switch (type.typeId) {
    case Arrow.Type.Null:
      return mk({ type, length })
    case Arrow.Type.Dictionary:
      return nullData((type as Arrow.Dictionary).dictionary, length)
    case Arrow.Type.Bool:
      return withValidity({ type, data: Column.allocBitmap(length) }, length, validity)
    case Arrow.Type.Utf8:
    case Arrow.Type.Binary:
      return withValidity({ type, valueOffsets: new Int32Array(length + 1), data: new Uint8Array(0) }, length, validity)
    case Arrow.Type.List:
      return withValidity(
        { type, valueOffsets: new Int32Array(length + 1), child: nullData((type as Arrow.List).children[0]!.type, 0) },
        length,
        validity
      )
    case Arrow.Type.FixedSizeList: {
      const t = type as Arrow.FixedSizeList
      return withValidity({ type, child: nullData(t.children[0]!.type, length * t.listSize) }, length, validity)
    }
    case Arrow.Type.Struct:
      return withValidity(
        { type, children: (type as Arrow.Struct).children.map((f) => nullData(f.type, length)) },
        length,
        validity
      )
    default: {
      const ArrayType = (type as any).ArrayType as new(n: number) => AnyTyped
      return withValidity({ type, data: new ArrayType(length * strideOf(type)) }, length, validity)
    }
  }
}

/** An empty column of an Arrow type (Dictionary types give their value type). */
export const emptyData = (type: Arrow.DataType): Arrow.Data => nullData(type, 0)

// ---------------------------------------------------------------------------
// take
// ---------------------------------------------------------------------------

const gatherValidity = (valid: Uint8Array | null, indices: Indices): Uint8Array | null => {
  const n = indices.length
  if (valid === null) {
    let negative = -1
    for (let i = 0; i < n; i++) {
      if (indices[i]! < 0) {
        negative = i
        break
      }
    }
    if (negative < 0) return null
    const out = Column.allSetBitmap(n)
    for (let i = negative; i < n; i++) if (indices[i]! < 0) out[i >> 3] = out[i >> 3]! & ~(1 << (i & 7))
    return out
  }
  const out = Column.allocBitmap(n)
  for (let i = 0; i < n; i++) {
    const j = indices[i]!
    if (j >= 0 && (valid[j >> 3]! & (1 << (j & 7))) !== 0) out[i >> 3] = out[i >> 3]! | (1 << (i & 7))
  }
  return out
}

/** Decodes a dictionary-encoded column to its values (NULL keys stay NULL). */
export const decodeDictionary = (data: Arrow.Data): Arrow.Data => takeData(dictionaryValues(data), dictionaryIndices(data, null))

/** The values a dictionary column's codes point into (the Utf8 values of a string dictionary). */
export const dictionaryValues = (data: Arrow.Data): Arrow.Data =>
  data.dictionary === undefined ? nullData((data.type as Arrow.Dictionary).dictionary, 0) : Column.dataOf(data.dictionary)

/** Output row i → the dictionary entry of row `indices[i]` (row i when `indices` is null); −1 when NULL. */
const dictionaryIndices = (data: Arrow.Data, indices: Indices | null): Int32Array => {
  const keys = data.values as AnyTyped
  const valid = Column.validity(data)
  const n = indices === null ? data.length : indices.length
  const out = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const j = indices === null ? i : indices[i]!
    out[i] = j < 0 || (valid !== null && (valid[j >> 3]! & (1 << (j & 7))) === 0) ? -1 : Number(keys[j]!)
  }
  return out
}

/**
 * Gathers variable-width values: fills `outOffsets` (n + 1 entries) and returns the bytes.
 * Two passes: lengths (remembering each source start), then one copy per row. A value of
 * at most 8 (16) bytes is copied as two (four) unaligned 32-bit words through DataViews
 * whenever both buffers have that many bytes left: the bytes past the value's end are
 * read from the source harmlessly and overwritten by the next value in the output. Longer
 * values use `set` of a sub-array; the last rows fall back to a byte loop.
 */
const gatherBytes = (offsets: Int32Array, bytes: Uint8Array, indices: Indices, outOffsets: Int32Array): Uint8Array => {
  const n = indices.length
  const starts = new Int32Array(n)
  let total = 0
  for (let i = 0; i < n; i++) {
    const j = indices[i]!
    if (j >= 0) {
      const s = offsets[j]!
      starts[i] = s
      total += offsets[j + 1]! - s
    }
    outOffsets[i + 1] = total
  }
  const out = new Uint8Array(total)
  const source = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const target = new DataView(out.buffer, out.byteOffset, out.byteLength)
  const sourceSafe = bytes.length - 16
  const targetSafe = total - 16
  let at = 0
  for (let i = 0; i < n; i++) {
    const end = outOffsets[i + 1]!
    const len = end - at
    if (len === 0) continue
    let k = starts[i]!
    if (len <= 16 && k <= sourceSafe && at <= targetSafe) {
      target.setUint32(at, source.getUint32(k, true), true)
      target.setUint32(at + 4, source.getUint32(k + 4, true), true)
      if (len > 8) {
        target.setUint32(at + 8, source.getUint32(k + 8, true), true)
        target.setUint32(at + 12, source.getUint32(k + 12, true), true)
      }
      at = end
    } else if (len > 32) {
      out.set(bytes.subarray(k, k + len), at)
      at = end
    } else while (at < end) out[at++] = bytes[k++]!
  }
  return out
}

/** Gathers fixed-width values (`stride` elements per row); index −1 leaves zeros. */
const gatherFixed = (values: AnyTyped, stride: number, indices: Indices): AnyTyped => {
  const n = indices.length
  if (stride === 1) {
    if (values instanceof Float64Array) return gatherFloat64(values, indices)
    if (values instanceof BigInt64Array) return gatherInt64(values, indices)
    if (values instanceof Int32Array) return gatherInt32(values, indices)
  }
  const out = new (values.constructor as new(n: number) => AnyTyped)(n * stride)
  const o = out as Int32Array
  const v = values as Int32Array
  for (let i = 0; i < n; i++) {
    const j = indices[i]!
    if (j < 0) continue
    for (let k = 0; k < stride; k++) o[i * stride + k] = v[j * stride + k]!
  }
  return out
}

const gatherFloat64 = (values: Float64Array, indices: Indices): Float64Array => {
  const n = indices.length
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const j = indices[i]!
    if (j >= 0) out[i] = values[j]!
  }
  return out
}

const gatherInt32 = (values: Int32Array, indices: Indices): Int32Array => {
  const n = indices.length
  const out = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const j = indices[i]!
    if (j >= 0) out[i] = values[j]!
  }
  return out
}

const gatherInt64 = (values: BigInt64Array, indices: Indices): BigInt64Array => {
  const n = indices.length
  const out = new BigInt64Array(n)
  for (let i = 0; i < n; i++) {
    const j = indices[i]!
    if (j >= 0) out[i] = values[j]!
  }
  return out
}

/**
 * Whether a column is a dictionary-encoded string column in Grism's storage: Int32 codes
 * into a Utf8 dictionary (one chunk). Such a column is a String column: take, filter,
 * slice and concatenation over one dictionary keep it encoded.
 */
export const isStringDictionary = (data: Arrow.Data): boolean => {
  if (data.typeId !== Arrow.Type.Dictionary) return false
  const type = data.type as Arrow.Dictionary
  return type.indices.bitWidth === 32 && type.indices.isSigned && type.dictionary.typeId === Arrow.Type.Utf8 &&
    data.dictionary !== undefined && data.dictionary.data.length === 1
}


/** A string dictionary column of `codes` (row i → dictionary entry `codes[i]`) into `dictionary`. */
export const stringDictionary = (
  type: Arrow.Dictionary,
  dictionary: Arrow.Vector,
  codes: Int32Array,
  validity: Uint8Array | null
): Arrow.Data =>
  mk({
    type,
    data: codes,
    dictionary,
    length: codes.length,
    nullBitmap: validity ?? undefined,
    nullCount: validity === null ? 0 : Column.countNulls(validity, codes.length)
  })

/** The Int32 codes of a string dictionary column, row i at index i. */
export const dictionaryCodes = (data: Arrow.Data): Int32Array => (data.values as Int32Array).subarray(0, data.length)

/**
 * Gathers rows of a string dictionary column reading its codes from `narrow`, a Uint8 /
 * Uint16 copy of them (the same values in a smaller array: random reads miss the cache
 * less); the output has Int32 codes like any other string dictionary column.
 */
export const takeNarrowCodes = (data: Arrow.Data, narrow: Uint8Array | Uint16Array, indices: Indices): Arrow.Data => {
  const n = indices.length
  const codes = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const j = indices[i]!
    if (j >= 0) codes[i] = narrow[j]!
  }
  return stringDictionary(data.type as Arrow.Dictionary, data.dictionary!, codes, gatherValidity(Column.validity(data), indices))
}

/** Gathers rows of one column; index −1 yields NULL. A string dictionary stays encoded; other dictionaries are decoded. */
export const takeData = (data: Arrow.Data, indices: Indices): Arrow.Data => {
  const type = data.type
  const n = indices.length
  switch (type.typeId) {
    case Arrow.Type.Null:
      return mk({ type, length: n })
    case Arrow.Type.Dictionary: {
      if (isStringDictionary(data)) {
        const codes = gatherInt32(dictionaryCodes(data), indices)
        return stringDictionary(type as Arrow.Dictionary, data.dictionary!, codes, gatherValidity(Column.validity(data), indices))
      }
      return takeData(dictionaryValues(data), dictionaryIndices(data, indices))
    }
    default:
      break
  }
  const validity = gatherValidity(Column.validity(data), indices)
  switch (type.typeId) {
    case Arrow.Type.Bool: {
      const bits = Column.boolBits(data as Arrow.Data<Arrow.Bool>)
      const out = Column.allocBitmap(n)
      for (let i = 0; i < n; i++) {
        const j = indices[i]!
        if (j >= 0 && (bits[j >> 3]! & (1 << (j & 7))) !== 0) out[i >> 3] = out[i >> 3]! | (1 << (i & 7))
      }
      return withValidity({ type, data: out }, n, validity)
    }
    case Arrow.Type.Utf8:
    case Arrow.Type.Binary: {
      const outOffsets = new Int32Array(n + 1)
      const outBytes = gatherBytes(data.valueOffsets as Int32Array, data.values as Uint8Array, indices, outOffsets)
      return withValidity({ type, valueOffsets: outOffsets, data: outBytes }, n, validity)
    }
    case Arrow.Type.List: {
      const offsets = data.valueOffsets as Int32Array
      const outOffsets = new Int32Array(n + 1)
      let total = 0
      for (let i = 0; i < n; i++) {
        const j = indices[i]!
        if (j >= 0) total += offsets[j + 1]! - offsets[j]!
        outOffsets[i + 1] = total
      }
      const childIndices = new Int32Array(total)
      let at = 0
      for (let i = 0; i < n; i++) {
        const j = indices[i]!
        if (j < 0) continue
        const end = offsets[j + 1]!
        for (let k = offsets[j]!; k < end; k++) childIndices[at++] = k
      }
      const child = takeData(data.children[0]!, childIndices)
      const outType = sameArrowType(child.type, (type as Arrow.List).children[0]!.type)
        ? type
        : new Arrow.List(new Arrow.Field("item", child.type, true))
      return withValidity({ type: outType, valueOffsets: outOffsets, child }, n, validity)
    }
    case Arrow.Type.FixedSizeList: {
      const size = (type as Arrow.FixedSizeList).listSize
      const childIndices = new Int32Array(n * size)
      for (let i = 0; i < n; i++) {
        const j = indices[i]!
        const base = i * size
        if (j < 0) for (let k = 0; k < size; k++) childIndices[base + k] = -1
        else for (let k = 0; k < size; k++) childIndices[base + k] = j * size + k
      }
      const child = takeData(data.children[0]!, childIndices)
      return withValidity({ type, child }, n, validity)
    }
    case Arrow.Type.Struct: {
      const children = data.children.map((c) => takeData(c, indices))
      return withValidity({ type, children }, n, validity)
    }
    default: {
      const values = data.values as AnyTyped
      if (values === undefined || data.valueOffsets !== undefined || data.children.length > 0) {
        throw new Error(`Batch.takeData: unsupported Arrow type ${type}`)
      }
      const out = gatherFixed(values, data.stride, indices)
      return withValidity({ type, data: out }, n, validity)
    }
  }
}

// ---------------------------------------------------------------------------
// concat
// ---------------------------------------------------------------------------

/** Copies `length` bits (row i at bit i of `source`) into `target` starting at bit `at`. */
const copyBitsInto = (target: Uint8Array, at: number, source: Uint8Array, length: number): void => {
  if ((at & 7) === 0) {
    const bytes = length >> 3
    const start = at >> 3
    target.set(source.subarray(0, bytes), start)
    for (let i = bytes << 3; i < length; i++) {
      if ((source[i >> 3]! & (1 << (i & 7))) !== 0) target[(at + i) >> 3] = target[(at + i) >> 3]! | (1 << ((at + i) & 7))
    }
    return
  }
  for (let i = 0; i < length; i++) {
    if ((source[i >> 3]! & (1 << (i & 7))) !== 0) target[(at + i) >> 3] = target[(at + i) >> 3]! | (1 << ((at + i) & 7))
  }
}

const setBitRange = (target: Uint8Array, start: number, end: number): void => {
  let i = start
  while (i < end && (i & 7) !== 0) {
    target[i >> 3] = target[i >> 3]! | (1 << (i & 7))
    i++
  }
  const fullEnd = end & ~7
  if (i < fullEnd) {
    target.fill(0xff, i >> 3, fullEnd >> 3)
    i = fullEnd
  }
  for (; i < end; i++) target[i >> 3] = target[i >> 3]! | (1 << (i & 7))
}

/**
 * Concatenates Data chunks of one column into one fresh chunk of type `target`. A
 * Dictionary target keeps string dictionary pieces that share one dictionary encoded;
 * otherwise it gives the decoded values.
 */
export const concatData = (target: Arrow.DataType, input: ReadonlyArray<Arrow.Data>): Arrow.Data => {
  if (target.typeId === Arrow.Type.Dictionary) {
    const first = input[0]
    if (first !== undefined && input.every((p) => isStringDictionary(p) && p.dictionary === first.dictionary)) {
      let total = 0
      for (const p of input) total += p.length
      const codes = new Int32Array(total)
      let anyNull = false
      let at = 0
      for (const p of input) {
        codes.set(dictionaryCodes(p), at)
        at += p.length
        if (p.nullCount > 0) anyNull = true
      }
      let validity: Uint8Array | null = null
      if (anyNull) {
        validity = Column.allocBitmap(total)
        at = 0
        for (const p of input) {
          const v = Column.validity(p)
          if (v === null) setBitRange(validity, at, at + p.length)
          else copyBitsInto(validity, at, v, p.length)
          at += p.length
        }
      }
      return stringDictionary(first.type as Arrow.Dictionary, first.dictionary!, codes, validity)
    }
    target = (target as Arrow.Dictionary).dictionary
  }
  const logical = DataType.fromArrow(target)
  const pieces = input.map((p) =>
    sameArrowType(p.type, target) ? p : logical !== undefined ? castData(p, logical) : decodeIfDictionary(p)
  )
  let total = 0
  let anyNull = false
  for (const p of pieces) {
    total += p.length
    if (p.typeId === Arrow.Type.Null ? p.length > 0 : p.nullCount > 0) anyNull = true
  }
  if (target.typeId === Arrow.Type.Null) return mk({ type: target, length: total })
  let validity: Uint8Array | null = null
  if (anyNull) {
    validity = Column.allocBitmap(total)
    let at = 0
    for (const p of pieces) {
      const v = Column.validity(p)
      if (v === null) setBitRange(validity, at, at + p.length)
      else copyBitsInto(validity, at, v, p.length)
      at += p.length
    }
  }
  switch (target.typeId) {
    case Arrow.Type.Bool: {
      const out = Column.allocBitmap(total)
      let at = 0
      for (const p of pieces) {
        copyBitsInto(out, at, Column.boolBits(p as Arrow.Data<Arrow.Bool>), p.length)
        at += p.length
      }
      return withValidity({ type: target, data: out }, total, validity)
    }
    case Arrow.Type.Utf8:
    case Arrow.Type.Binary: {
      let bytesTotal = 0
      for (const p of pieces) {
        const o = p.valueOffsets as Int32Array
        bytesTotal += o[p.length]! - o[0]!
      }
      const offsets = new Int32Array(total + 1)
      const bytes = new Uint8Array(bytesTotal)
      let row = 0
      let at = 0
      for (const p of pieces) {
        const o = p.valueOffsets as Int32Array
        const base = o[0]!
        const end = o[p.length]!
        bytes.set((p.values as Uint8Array).subarray(base, end), at)
        const shift = at - base
        for (let i = 1; i <= p.length; i++) offsets[row + i] = o[i]! + shift
        row += p.length
        at += end - base
      }
      return withValidity({ type: target, valueOffsets: offsets, data: bytes }, total, validity)
    }
    case Arrow.Type.List: {
      const offsets = new Int32Array(total + 1)
      const children: Array<Arrow.Data> = []
      let row = 0
      let at = 0
      for (const p of pieces) {
        const o = p.valueOffsets as Int32Array
        const base = o[0]!
        const end = o[p.length]!
        const shift = at - base
        for (let i = 1; i <= p.length; i++) offsets[row + i] = o[i]! + shift
        children.push(p.children[0]!.slice(base, end - base))
        row += p.length
        at += end - base
      }
      const child = concatData((target as Arrow.List).children[0]!.type, children)
      return withValidity({ type: target, valueOffsets: offsets, child }, total, validity)
    }
    case Arrow.Type.FixedSizeList: {
      const size = (target as Arrow.FixedSizeList).listSize
      const children = pieces.map((p) => {
        const c = p.children[0]!
        return c.length === p.length * size ? c : c.slice(0, p.length * size)
      })
      const child = concatData((target as Arrow.FixedSizeList).children[0]!.type, children)
      return withValidity({ type: target, child }, total, validity)
    }
    case Arrow.Type.Struct: {
      const fields = (target as Arrow.Struct).children
      const children = fields.map((f, c) => concatData(f.type, pieces.map((p) => p.children[c]!)))
      return withValidity({ type: target, children }, total, validity)
    }
    default: {
      const stride = strideOf(target)
      const ArrayType = (target as any).ArrayType as new(n: number) => AnyTyped
      const out = new ArrayType(total * stride)
      let at = 0
      for (const p of pieces) {
        const values = p.values as AnyTyped
        ;(out as Int32Array).set((values as Int32Array).subarray(0, p.length * stride), at * stride)
        at += p.length
      }
      return withValidity({ type: target, data: out }, total, validity)
    }
  }
}

const decodeIfDictionary = (data: Arrow.Data): Arrow.Data =>
  data.typeId === Arrow.Type.Dictionary ? decodeDictionary(data) : data

// ---------------------------------------------------------------------------
// byte size
// ---------------------------------------------------------------------------

const rangeBytes = (data: Arrow.Data, start: number, count: number): number => {
  if (count <= 0) return 0
  const bitmap = data.typeId !== Arrow.Type.Null && data.nullCount > 0 ? (count + 7) >> 3 : 0
  switch (data.typeId) {
    case Arrow.Type.Null:
      return 0
    case Arrow.Type.Bool:
      return bitmap + ((count + 7) >> 3)
    case Arrow.Type.Utf8:
    case Arrow.Type.Binary: {
      const o = data.valueOffsets as Int32Array
      return bitmap + (count + 1) * 4 + (o[start + count]! - o[start]!)
    }
    case Arrow.Type.List: {
      const o = data.valueOffsets as Int32Array
      return bitmap + (count + 1) * 4 + rangeBytes(data.children[0]!, o[start]!, o[start + count]! - o[start]!)
    }
    case Arrow.Type.FixedSizeList: {
      const size = (data.type as Arrow.FixedSizeList).listSize
      return bitmap + rangeBytes(data.children[0]!, start * size, count * size)
    }
    case Arrow.Type.Struct:
      return bitmap + data.children.reduce((sum, c) => sum + rangeBytes(c, start, count), 0)
    case Arrow.Type.Dictionary: {
      // the codes only: the dictionary is shared by every batch cut from the same column (and owned by storage)
      const keys = data.values as AnyTyped
      return bitmap + count * keys.BYTES_PER_ELEMENT
    }
    default: {
      const values = data.values as AnyTyped | undefined
      return bitmap + (values === undefined ? 0 : count * data.stride * values.BYTES_PER_ELEMENT)
    }
  }
}

/** Bytes of the buffers covering a Data's rows. */
export const dataByteSize = (data: Arrow.Data): number => rangeBytes(data, 0, data.length)

// ---------------------------------------------------------------------------
// cast (implicit conversions)
// ---------------------------------------------------------------------------

const toFloat64 = (data: Arrow.Data): Arrow.Data => {
  const n = data.length
  const out = new Float64Array(n)
  const values = data.values as AnyTyped
  if (values instanceof BigInt64Array && values.byteOffset % 4 === 0) {
    // hi · 2^32 is exact and adding the unsigned low word rounds once: equals Number(value)
    const pairs = new Int32Array(values.buffer, values.byteOffset, n * 2)
    for (let i = 0; i < n; i++) out[i] = pairs[2 * i + 1]! * 4294967296 + (pairs[2 * i]! >>> 0)
  } else if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) out[i] = Number(values[i]!)
  } else {
    const v = values as Int32Array
    for (let i = 0; i < n; i++) out[i] = v[i]!
  }
  return Column.float64(out, Column.validity(data))
}

const toInt64 = (data: Arrow.Data): Arrow.Data => {
  const n = data.length
  const values = data.values as AnyTyped
  let out: BigInt64Array
  if (values instanceof BigInt64Array) out = values.slice(0, n)
  else if (values instanceof BigUint64Array) out = new BigInt64Array(values.buffer.slice(values.byteOffset, values.byteOffset + n * 8))
  else {
    out = new BigInt64Array(n)
    const v = values as Int32Array
    for (let i = 0; i < n; i++) out[i] = BigInt(v[i]!)
  }
  return Column.int64(out, Column.validity(data))
}

const timestampToMillis = (data: Arrow.Data): Arrow.Data => {
  const unit = (data.type as Arrow.Timestamp).unit
  const values = data.values as BigInt64Array
  const n = data.length
  const out = new BigInt64Array(n)
  const valid = Column.validity(data)
  for (let i = 0; i < n; i++) {
    const v = values[i]!
    out[i] = unit === Arrow.TimeUnit.SECOND ? v * 1000n : unit === Arrow.TimeUnit.MICROSECOND ? v / 1000n : unit === Arrow.TimeUnit.NANOSECOND ? v / 1000000n : v
  }
  return Column.timestamp(out, valid)
}

const dateToDays = (data: Arrow.Data): Arrow.Data => {
  const values = data.values as AnyTyped
  const n = data.length
  const out = new Int32Array(n)
  if (values instanceof BigInt64Array) for (let i = 0; i < n; i++) out[i] = Number(values[i]! / 86400000n)
  else {
    // DateMillisecond stored as pairs of int32 in older layouts
    const v = values as Int32Array
    for (let i = 0; i < n; i++) out[i] = Math.floor((v[2 * i]! + v[2 * i + 1]! * 4294967296) / 86400000)
  }
  return Column.dateDay(out, Column.validity(data))
}

/** {@link castData}, except that a string dictionary column asked for as a String stays encoded. */
export const castKeepingDictionary = (data: Arrow.Data, to: DataType.DataType): Arrow.Data =>
  to._tag === "String" && isStringDictionary(data) ? data : castData(data, to)

/** Implicit conversion of a column to the Arrow storage of a logical type (see `Batch.castData`). */
export const castData = (data: Arrow.Data, to: DataType.DataType): Arrow.Data => {
  const target = DataType.toArrow(to)
  if (sameArrowType(data.type, target)) return data
  if (data.typeId === Arrow.Type.Null) return nullData(target, data.length)
  if (data.typeId === Arrow.Type.Dictionary) return castData(decodeDictionary(data), to)
  switch (to._tag) {
    case "Float64":
      if (data.typeId === Arrow.Type.Int || data.typeId === Arrow.Type.Float) return toFloat64(data)
      break
    case "Int64":
      if (data.typeId === Arrow.Type.Int) return toInt64(data)
      break
    case "Timestamp":
      if (data.typeId === Arrow.Type.Timestamp) return timestampToMillis(data)
      break
    case "Date":
      if (data.typeId === Arrow.Type.Date) return dateToDays(data)
      break
    case "String":
      if (data.typeId === Arrow.Type.LargeUtf8) {
        const o = data.valueOffsets as unknown as BigInt64Array
        const n = data.length
        const base = Number(o[0]!)
        const offsets = new Int32Array(n + 1)
        for (let i = 0; i <= n; i++) offsets[i] = Number(o[i]!) - base
        const bytes = (data.values as Uint8Array).slice(base, Number(o[n]!))
        return Column.utf8(offsets, bytes, Column.validity(data))
      }
      break
    case "List":
      if (data.typeId === Arrow.Type.List) {
        const child = castData(data.children[0]!, to.element)
        return withValidity(
          { type: new Arrow.List(new Arrow.Field("item", child.type, true)), valueOffsets: data.valueOffsets, child },
          data.length,
          Column.validity(data)
        )
      }
      break
    case "Vector":
      if (data.typeId === Arrow.Type.FixedSizeList && (data.type as Arrow.FixedSizeList).listSize === to.dimension) {
        const c = data.children[0]!
        const n = c.length
        const out = new Float32Array(n)
        const values = c.values as AnyTyped
        if (values instanceof BigInt64Array) for (let i = 0; i < n; i++) out[i] = Number(values[i]!)
        else out.set(values as Float64Array)
        const child = withValidity({ type: new Arrow.Float32(), data: out }, n, Column.validity(c))
        return withValidity({ type: target, child }, data.length, Column.validity(data))
      }
      break
    default:
      break
  }
  throw new Error(`Batch.castData: cannot convert ${data.type} to ${DataType.display(to)}`)
}
