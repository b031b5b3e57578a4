/**
 * Whole-bitmap operations (row i at bit i), a byte at a time.
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as Column from "../Column.js"

/** Bytes that hold `length` bits. */
export const byteLength = (length: number): number => (length + 7) >> 3

/** AND of two validity bitmaps where `null` means all valid. */
export const andValidity = (a: Uint8Array | null, b: Uint8Array | null, length: number): Uint8Array | null => {
  if (a === null) return b
  if (b === null) return a
  const out = Column.allocBitmap(length)
  const n = byteLength(length)
  for (let k = 0; k < n; k++) out[k] = a[k]! & b[k]!
  return out
}

/** Clears the bits past `length` in the last byte (so counts and equality stay exact). */
export const clearTail = (bitmap: Uint8Array, length: number): Uint8Array => {
  const rest = length & 7
  if (rest !== 0) bitmap[length >> 3] = bitmap[length >> 3]! & ((1 << rest) - 1)
  return bitmap
}

/** The validity of a column as a bitmap, with all-valid materialized as set bits. */
export const validityOrAll = (data: Arrow.Data): Uint8Array => Column.validity(data) ?? Column.allSetBitmap(data.length)

/** An 8-byte aligned Int32 view on a BigInt64Array (little-endian: lo at 2i, hi at 2i+1). */
export const int32Pairs = (values: BigInt64Array): Int32Array =>
  new Int32Array(values.buffer, values.byteOffset, values.length * 2)

/** Whether any bit among the first `length` bits is clear (a NULL row). */
export const hasClear = (bitmap: Uint8Array | null, length: number): boolean =>
  bitmap !== null && Column.countNulls(bitmap, length) > 0
