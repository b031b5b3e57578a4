/**
 * Low-level access to Arrow column buffers, shared by every kernel.
 *
 * Arrow JS slices lazily and differently per buffer: after `Data.slice`, fixed-width
 * `values` and `valueOffsets` are sub-arrays (row i is at index i), but the validity
 * bitmap and Bool `values` are not (row i is bit `data.offset + i`). The helpers here
 * hide that: a *bitmap* returned by this module always has row i at bit i.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"

/** Bit i of a bitmap (LSB first, as Arrow). */
export const getBit = (bitmap: Uint8Array, i: number): boolean => (bitmap[i >> 3]! & (1 << (i & 7))) !== 0

/** Sets bit i of a bitmap. */
export const setBit = (bitmap: Uint8Array, i: number): void => {
  bitmap[i >> 3] = bitmap[i >> 3]! | (1 << (i & 7))
}

/** Clears bit i of a bitmap. */
export const clearBit = (bitmap: Uint8Array, i: number): void => {
  bitmap[i >> 3] = bitmap[i >> 3]! & ~(1 << (i & 7))
}

/** A zeroed bitmap for `length` bits (padded to 8 bytes). */
export const allocBitmap = (length: number): Uint8Array => new Uint8Array(((length + 63) >> 6) << 3)

/** A bitmap of `length` set bits. */
export const allSetBitmap = (length: number): Uint8Array => {
  const bitmap = allocBitmap(length)
  bitmap.fill(0xff, 0, length >> 3)
  for (let i = length & ~7; i < length; i++) setBit(bitmap, i)
  return bitmap
}

/** Copies `length` bits starting at bit `offset` into a fresh bitmap starting at bit 0. */
export const copyBits = (source: Uint8Array, offset: number, length: number): Uint8Array => {
  const out = allocBitmap(length)
  if ((offset & 7) === 0) {
    out.set(source.subarray(offset >> 3, (offset >> 3) + ((length + 7) >> 3)))
    // clear bits past length in the last byte
    const rest = length & 7
    if (rest !== 0) out[length >> 3] = out[length >> 3]! & ((1 << rest) - 1)
    return out
  }
  for (let i = 0; i < length; i++) if (getBit(source, offset + i)) setBit(out, i)
  return out
}

/** The validity bitmap of a column with row i at bit i, or `null` when no row is NULL. Null-typed columns are all NULL. */
export const validity = (data: Arrow.Data): Uint8Array | null => {
  if (data.typeId === Arrow.Type.Null) return allocBitmap(data.length)
  if (data.nullCount === 0 || data.nullBitmap === undefined || data.nullBitmap.length === 0) return null
  return data.offset === 0 ? data.nullBitmap : copyBits(data.nullBitmap, data.offset, data.length)
}

/** Whether row i is non-NULL (for occasional use; loops should take {@link validity} once). */
export const isValid = (data: Arrow.Data, i: number): boolean => {
  if (data.typeId === Arrow.Type.Null) return false
  if (data.nullCount === 0 || data.nullBitmap === undefined || data.nullBitmap.length === 0) return true
  return getBit(data.nullBitmap, data.offset + i)
}

/** The bits of a Bool column with row i at bit i (NULL rows have unspecified bits). */
export const boolBits = (data: Arrow.Data<Arrow.Bool>): Uint8Array =>
  data.offset === 0 ? data.values : copyBits(data.values, data.offset, data.length)

/** The single Data chunk of a column vector (batches built by Grism hold one chunk per column). */
export const dataOf = <T extends Arrow.DataType>(vector: Arrow.Vector<T>): Arrow.Data<T> => {
  if (vector.data.length === 1) return vector.data[0]!
  if (vector.data.length === 0) return Arrow.makeData({ type: vector.type, length: 0 } as any) as Arrow.Data<T>
  return concatData(vector)
}

const concatData = <T extends Arrow.DataType>(vector: Arrow.Vector<T>): Arrow.Data<T> => {
  // Rare path (multi-chunk vectors from user tables): rebuild one chunk through Arrow's builder.
  const builder = Arrow.makeBuilder({ type: vector.type, nullValues: [null] })
  for (const value of vector) builder.append(value)
  return builder.finish().flush() as Arrow.Data<T>
}

/** Row i's UTF-8 bytes of a Utf8 column as [start, end) into `data.values`. */
export const utf8Range = (data: Arrow.Data<Arrow.Utf8>, i: number): readonly [number, number] =>
  [data.valueOffsets[i]!, data.valueOffsets[i + 1]!]

// ---------------------------------------------------------------------------
// Builders: wrap freshly computed buffers as Arrow data without copying.
// ---------------------------------------------------------------------------

const nullCountOf = (validity: Uint8Array | null, length: number): number => {
  if (validity === null) return 0
  let valid = 0
  const full = length >> 3
  for (let b = 0; b < full; b++) {
    let v = validity[b]!
    v = v - ((v >> 1) & 0x55)
    v = (v & 0x33) + ((v >> 2) & 0x33)
    valid += (v + (v >> 4)) & 0x0f
  }
  for (let i = full << 3; i < length; i++) if (getBit(validity, i)) valid++
  return length - valid
}

/** An Int64 column from values and an optional validity bitmap (row i at bit i). */
export const int64 = (values: BigInt64Array, validity: Uint8Array | null = null): Arrow.Data<Arrow.Int64> =>
  Arrow.makeData({
    type: new Arrow.Int64(),
    length: values.length,
    data: values,
    nullBitmap: validity ?? undefined,
    nullCount: nullCountOf(validity, values.length)
  } as any) as unknown as Arrow.Data<Arrow.Int64>

/** A Float64 column. */
export const float64 = (values: Float64Array, validity: Uint8Array | null = null): Arrow.Data<Arrow.Float64> =>
  Arrow.makeData({
    type: new Arrow.Float64(),
    length: values.length,
    data: values,
    nullBitmap: validity ?? undefined,
    nullCount: nullCountOf(validity, values.length)
  } as any) as unknown as Arrow.Data<Arrow.Float64>

/** A Bool column from a value bitmap of `length` bits. */
export const bool = (bits: Uint8Array, length: number, validity: Uint8Array | null = null): Arrow.Data<Arrow.Bool> =>
  Arrow.makeData({
    type: new Arrow.Bool(),
    length,
    data: bits,
    nullBitmap: validity ?? undefined,
    nullCount: nullCountOf(validity, length)
  } as any) as unknown as Arrow.Data<Arrow.Bool>

/** A Utf8 column from `length + 1` offsets into UTF-8 bytes. */
export const utf8 = (
  offsets: Int32Array,
  bytes: Uint8Array,
  validity: Uint8Array | null = null
): Arrow.Data<Arrow.Utf8> =>
  Arrow.makeData({
    type: new Arrow.Utf8(),
    length: offsets.length - 1,
    valueOffsets: offsets,
    data: bytes,
    nullBitmap: validity ?? undefined,
    nullCount: nullCountOf(validity, offsets.length - 1)
  } as any) as unknown as Arrow.Data<Arrow.Utf8>

/** A DateDay column (days since the epoch). */
export const dateDay = (values: Int32Array, validity: Uint8Array | null = null): Arrow.Data<Arrow.DateDay> =>
  Arrow.makeData({
    type: new Arrow.DateDay(),
    length: values.length,
    data: values,
    nullBitmap: validity ?? undefined,
    nullCount: nullCountOf(validity, values.length)
  } as any) as unknown as Arrow.Data<Arrow.DateDay>

/** A millisecond Timestamp column. */
export const timestamp = (
  values: BigInt64Array,
  validity: Uint8Array | null = null
): Arrow.Data<Arrow.TimestampMillisecond> =>
  Arrow.makeData({
    type: new Arrow.TimestampMillisecond(),
    length: values.length,
    data: values,
    nullBitmap: validity ?? undefined,
    nullCount: nullCountOf(validity, values.length)
  } as any) as unknown as Arrow.Data<Arrow.TimestampMillisecond>

/** A List column from `length + 1` offsets into a child column. */
export const list = (
  type: Arrow.List,
  offsets: Int32Array,
  child: Arrow.Data,
  validity: Uint8Array | null = null
): Arrow.Data<Arrow.List> =>
  Arrow.makeData({
    type,
    length: offsets.length - 1,
    valueOffsets: offsets,
    child,
    nullBitmap: validity ?? undefined,
    nullCount: nullCountOf(validity, offsets.length - 1)
  } as any) as unknown as Arrow.Data<Arrow.List>

/** A column of `length` NULLs of the given Arrow type. */
export const nulls = (type: Arrow.DataType, length: number): Arrow.Data => {
  if (type.typeId === Arrow.Type.Null) return Arrow.makeData({ type: type as Arrow.Null, length })
  const builder = Arrow.makeBuilder({ type, nullValues: [null] })
  for (let i = 0; i < length; i++) builder.append(null)
  return builder.finish().flush()
}

/** Counts NULLs in a bitmap of `length` rows (null bitmap → 0). */
export const countNulls = nullCountOf

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** UTF-8 bytes of a JS string. */
export const encodeUtf8 = (value: string): Uint8Array => encoder.encode(value)

/** A JS string from UTF-8 bytes. */
export const decodeUtf8 = (bytes: Uint8Array): string => decoder.decode(bytes)

/** Compares two UTF-8 byte ranges: negative, zero or positive (code point order). */
export const compareBytes = (
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number
): number => {
  const n = Math.min(aEnd - aStart, bEnd - bStart)
  for (let k = 0; k < n; k++) {
    const d = a[aStart + k]! - b[bStart + k]!
    if (d !== 0) return d
  }
  return (aEnd - aStart) - (bEnd - bStart)
}
