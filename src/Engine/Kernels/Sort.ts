/**
 * Sorting kernels (SEMANTICS §5 Sort, §10): stable multi-key order of row indices over
 * Arrow columns, and a top-k that keeps only the first `k` rows of that order without
 * sorting everything.
 *
 * Order of one key: Int64 / Timestamp / Date numerically, Float64 with -0.0 = 0.0 and NaN
 * above every other float (NaN = NaN), strings by Unicode code point (their UTF-8 bytes),
 * FALSE < TRUE. NULLs go last ascending and first descending unless `nullsFirst` says;
 * the placement of NULLs does not flip with the direction. Ties keep input order.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Column from "./Column.js"

/** One sort key: a column, its direction and (optionally) where its NULLs go. */
export interface SortKeyColumn {
  readonly data: Arrow.Data
  readonly descending: boolean
  /** Default: `descending` (NULLs last ascending, first descending). */
  readonly nullsFirst?: boolean | undefined
}

type Compare = (i: number, j: number) => number

const floatCompare = (x: number, y: number): number => {
  if (x < y) return -1
  if (x > y) return 1
  if (x === y) return 0
  // at least one NaN: NaN is the greatest, equal to itself
  const xn = x !== x
  const yn = y !== y
  return xn === yn ? 0 : xn ? 1 : -1
}

/** The comparator of non-NULL values of one column (ascending). */
const valueComparator = (data: Arrow.Data): Compare => {
  switch (data.typeId) {
    case Arrow.Type.Null:
      return () => 0
    case Arrow.Type.Bool: {
      const bits = Column.boolBits(data as Arrow.Data<Arrow.Bool>)
      return (i, j) => ((bits[i >> 3]! >> (i & 7)) & 1) - ((bits[j >> 3]! >> (j & 7)) & 1)
    }
    case Arrow.Type.Float: {
      const v = data.values as Float64Array | Float32Array
      return (i, j) => floatCompare(v[i]!, v[j]!)
    }
    case Arrow.Type.Int:
    case Arrow.Type.Date:
    case Arrow.Type.Timestamp: {
      const values = data.values as unknown
      if (values instanceof BigInt64Array) {
        const w = new Int32Array(values.buffer, values.byteOffset, data.length * 2)
        return (i, j) => {
          const hi = w[2 * i + 1]! - w[2 * j + 1]!
          if (hi !== 0) return hi
          return (w[2 * i]! >>> 0) - (w[2 * j]! >>> 0)
        }
      }
      if (values instanceof BigUint64Array) {
        const w = new Uint32Array(values.buffer, values.byteOffset, data.length * 2)
        return (i, j) => (w[2 * i + 1]! - w[2 * j + 1]!) || (w[2 * i]! - w[2 * j]!)
      }
      const v = values as Int32Array
      return (i, j) => v[i]! - v[j]!
    }
    case Arrow.Type.Utf8: {
      const o = data.valueOffsets as Int32Array
      const b = data.values as Uint8Array
      return (i, j) => Column.compareBytes(b, o[i]!, o[i + 1]!, b, o[j]!, o[j + 1]!)
    }
    default:
      throw new Error(`Sort: cannot order a column of type ${data.type}`)
  }
}

/** The comparator of one key: NULL placement, then the values in the key's direction. */
const keyComparator = (key: SortKeyColumn): Compare => {
  const values = valueComparator(key.data)
  const cmp: Compare = key.descending ? (i, j) => values(j, i) : values
  const validity = Column.validity(key.data)
  if (validity === null) return cmp
  const nullSide = (key.nullsFirst ?? key.descending) ? -1 : 1
  return (i, j) => {
    const vi = (validity[i >> 3]! >> (i & 7)) & 1
    const vj = (validity[j >> 3]! >> (j & 7)) & 1
    if (vi === 1 && vj === 1) return cmp(i, j)
    if (vi === vj) return 0
    return vi === 0 ? nullSide : -nullSide
  }
}

/**
 * The total order of rows used by both kernels: the keys in turn, then the row index
 * (which makes any sort algorithm stable).
 */
export const comparator = (keys: ReadonlyArray<SortKeyColumn>): Compare => {
  const cmps = keys.map(keyComparator)
  if (cmps.length === 1) {
    const c0 = cmps[0]!
    return (i, j) => c0(i, j) || i - j
  }
  return (i, j) => {
    for (let k = 0; k < cmps.length; k++) {
      const r = cmps[k]!(i, j)
      if (r !== 0) return r
    }
    return i - j
  }
}

/**
 * The rows among `0..length-1` whose keys come strictly before row `pivot`'s (rows that
 * tie with it on every key are left out), ascending: the pre-filter of a top-k whose
 * k-th best row so far is `pivot` (a later row that ties with it can never enter).
 */
export const rowsBefore = (keys: ReadonlyArray<SortKeyColumn>, length: number, pivot: number): Int32Array => {
  const cmps = keys.map(keyComparator)
  const out = new Int32Array(length)
  let m = 0
  if (cmps.length === 1) {
    const c0 = cmps[0]!
    for (let i = 0; i < length; i++) if (c0(i, pivot) < 0) out[m++] = i
  } else {
    for (let i = 0; i < length; i++) {
      for (let k = 0; k < cmps.length; k++) {
        const r = cmps[k]!(i, pivot)
        if (r === 0) continue
        if (r < 0) out[m++] = i
        break
      }
    }
  }
  return out.slice(0, m)
}

/**
 * {@link rowsBefore} for one Float64 or Int64 key against the value of a separate
 * one-row column `pivot` (same type), without copying the key column; `undefined` for
 * other types (use {@link rowsBefore} over the key with the pivot appended).
 */
export const rowsBeforeValue = (key: SortKeyColumn, length: number, pivot: Arrow.Data): Int32Array | undefined => {
  const data = key.data
  const float = data.typeId === Arrow.Type.Float && data.values instanceof Float64Array && pivot.values instanceof Float64Array
  const int64 = (data.typeId === Arrow.Type.Int || data.typeId === Arrow.Type.Timestamp) && data.values instanceof BigInt64Array &&
    pivot.values instanceof BigInt64Array
  if (!float && !int64) return undefined
  const nullsFirst = key.nullsFirst ?? key.descending
  const valid = Column.validity(data)
  const out = new Int32Array(length)
  let m = 0
  if (!Column.isValid(pivot, 0)) {
    // nothing comes strictly before a NULL when NULLs go first; every value does when they go last
    if (nullsFirst) return new Int32Array(0)
    for (let i = 0; i < length; i++) if (valid === null || Column.getBit(valid, i)) out[m++] = i
    return out.slice(0, m)
  }
  const sign = key.descending ? -1 : 1
  if (float) {
    const v = data.values as Float64Array
    const q = (pivot.values as Float64Array)[0]!
    for (let i = 0; i < length; i++) {
      if (valid !== null && !Column.getBit(valid, i)) {
        if (nullsFirst) out[m++] = i
        continue
      }
      if (sign * floatCompare(v[i]!, q) < 0) out[m++] = i
    }
  } else {
    const w = new Int32Array((data.values as BigInt64Array).buffer, (data.values as BigInt64Array).byteOffset, length * 2)
    const p = new Int32Array((pivot.values as BigInt64Array).buffer, (pivot.values as BigInt64Array).byteOffset, 2)
    const ph = p[1]!, pl = p[0]! >>> 0
    for (let i = 0; i < length; i++) {
      if (valid !== null && !Column.getBit(valid, i)) {
        if (nullsFirst) out[m++] = i
        continue
      }
      const h = w[2 * i + 1]!
      const c = h !== ph ? (h < ph ? -1 : 1) : (w[2 * i]! >>> 0) < pl ? -1 : (w[2 * i]! >>> 0) > pl ? 1 : 0
      if (sign * c < 0) out[m++] = i
    }
  }
  return out.slice(0, m)
}

/** Row indices `0..length-1` in the stable order of the keys (the first key first). */
export const sortIndices = (keys: ReadonlyArray<SortKeyColumn>, length: number): Int32Array => {
  const indices = new Int32Array(length)
  for (let i = 0; i < length; i++) indices[i] = i
  if (keys.length === 0 || length < 2) return indices
  if (length >= RADIX_MIN && keys.every((k) => radixable(k.data))) return radixSort(keys, indices)
  return indices.sort(comparator(keys))
}

// ---------------------------------------------------------------------------
// Radix path: fixed-width keys as order-preserving unsigned 64-bit codes
// ---------------------------------------------------------------------------

const RADIX_MIN = 512

const radixable = (data: Arrow.Data): boolean => {
  switch (data.typeId) {
    case Arrow.Type.Null:
    case Arrow.Type.Bool:
      return true
    case Arrow.Type.Float:
      return data.values instanceof Float64Array
    case Arrow.Type.Int:
    case Arrow.Type.Date:
    case Arrow.Type.Timestamp: {
      const v = data.values as unknown
      return v instanceof BigInt64Array || v instanceof Int32Array
    }
    default:
      return false
  }
}

/**
 * Unsigned codes `(hi, lo)` per row whose unsigned order is the key's ascending order
 * (-0.0 coded as 0.0, every NaN as one code above +Infinity); `lo` is absent when every
 * code fits in `hi`.
 */
const codes = (data: Arrow.Data, length: number): { hi: Uint32Array; lo: Uint32Array | undefined } => {
  const hi = new Uint32Array(length)
  switch (data.typeId) {
    case Arrow.Type.Null:
      return { hi, lo: undefined }
    case Arrow.Type.Bool: {
      const bits = Column.boolBits(data as Arrow.Data<Arrow.Bool>)
      for (let i = 0; i < length; i++) hi[i] = (bits[i >> 3]! >> (i & 7)) & 1
      return { hi, lo: undefined }
    }
    case Arrow.Type.Float: {
      const v = data.values as Float64Array
      const w = new Uint32Array(v.buffer, v.byteOffset, length * 2)
      const lo = new Uint32Array(length)
      for (let i = 0; i < length; i++) {
        const x = v[i]!
        if (x === 0) {
          hi[i] = 0x80000000
        } else if (x !== x) {
          hi[i] = 0xfff80000
        } else {
          const h = w[2 * i + 1]!
          if (h >= 0x80000000) {
            hi[i] = ~h >>> 0
            lo[i] = ~w[2 * i]! >>> 0
          } else {
            hi[i] = (h | 0x80000000) >>> 0
            lo[i] = w[2 * i]!
          }
        }
      }
      return { hi, lo }
    }
    default: {
      const values = data.values as unknown
      if (values instanceof BigInt64Array) {
        const w = new Uint32Array(values.buffer, values.byteOffset, length * 2)
        const lo = new Uint32Array(length)
        for (let i = 0; i < length; i++) {
          hi[i] = (w[2 * i + 1]! ^ 0x80000000) >>> 0
          lo[i] = w[2 * i]!
        }
        return { hi, lo }
      }
      const v = values as Int32Array
      for (let i = 0; i < length; i++) hi[i] = (v[i]! ^ 0x80000000) >>> 0
      return { hi, lo: undefined }
    }
  }
}

/** One stable counting-sort pass of `from` into `to` by a 16-bit digit of the codes. */
const radixPass = (from: Int32Array, to: Int32Array, code: Uint32Array, shift: number, counts: Int32Array): boolean => {
  counts.fill(0)
  const n = from.length
  for (let p = 0; p < n; p++) counts[(code[from[p]!]! >>> shift) & 0xffff]!++
  // a digit that is the same for every row changes nothing
  for (let d = 0; d < 65536; d++) {
    if (counts[d] === n) return false
    if (counts[d] !== 0) break
  }
  let sum = 0
  for (let d = 0; d < 65536; d++) {
    const c = counts[d]!
    counts[d] = sum
    sum += c
  }
  for (let p = 0; p < n; p++) {
    const i = from[p]!
    to[counts[(code[i]! >>> shift) & 0xffff]!++] = i
  }
  return true
}

/** Stable LSD radix sort: keys from the last to the first, each by its codes then by NULL placement. */
const radixSort = (keys: ReadonlyArray<SortKeyColumn>, indices: Int32Array): Int32Array => {
  const length = indices.length
  let from: Int32Array = indices
  let to: Int32Array = new Int32Array(length)
  const counts = new Int32Array(65536)
  const swap = () => {
    const t = from
    from = to
    to = t
  }
  for (let k = keys.length - 1; k >= 0; k--) {
    const key = keys[k]!
    const { hi, lo } = codes(key.data, length)
    if (key.descending) {
      for (let i = 0; i < length; i++) hi[i] = ~hi[i]! >>> 0
      if (lo !== undefined) for (let i = 0; i < length; i++) lo[i] = ~lo[i]! >>> 0
    }
    if (lo !== undefined) {
      if (radixPass(from, to, lo, 0, counts)) swap()
      if (radixPass(from, to, lo, 16, counts)) swap()
    }
    if (radixPass(from, to, hi, 0, counts)) swap()
    if (radixPass(from, to, hi, 16, counts)) swap()
    const validity = key.data.typeId === Arrow.Type.Null ? null : Column.validity(key.data)
    if (validity !== null) {
      // stable partition: NULL rows before or after the others
      const nullsFirst = key.nullsFirst ?? key.descending
      let at = 0
      const place = (wantNull: boolean) => {
        for (let p = 0; p < length; p++) {
          const i = from[p]!
          const isNull = (validity[i >> 3]! & (1 << (i & 7))) === 0
          if (isNull === wantNull) to[at++] = i
        }
      }
      place(nullsFirst)
      place(!nullsFirst)
      swap()
    }
  }
  return from
}

/**
 * The first `k` row indices of the stable order of the keys ({@link sortIndices}'s
 * prefix), in order, in O(n log k): a bounded max-heap of the best `k` rows seen.
 */
export const topKIndices = (keys: ReadonlyArray<SortKeyColumn>, length: number, k: number): Int32Array => {
  const n = Math.max(0, Math.min(k, length))
  if (n === 0) return new Int32Array(0)
  if (n * 2 >= length) return sortIndices(keys, length).slice(0, n)
  const cmp = comparator(keys)
  // max-heap on cmp: heap[0] is the worst of the kept rows
  const heap = new Int32Array(n)
  let size = 0
  const siftUp = (at: number): void => {
    const item = heap[at]!
    while (at > 0) {
      const parent = (at - 1) >> 1
      if (cmp(heap[parent]!, item) >= 0) break
      heap[at] = heap[parent]!
      at = parent
    }
    heap[at] = item
  }
  const siftDown = (at: number): void => {
    const item = heap[at]!
    for (;;) {
      let child = 2 * at + 1
      if (child >= size) break
      if (child + 1 < size && cmp(heap[child + 1]!, heap[child]!) > 0) child++
      if (cmp(heap[child]!, item) <= 0) break
      heap[at] = heap[child]!
      at = child
    }
    heap[at] = item
  }
  for (let i = 0; i < length; i++) {
    if (size < n) {
      heap[size++] = i
      siftUp(size - 1)
    } else if (cmp(i, heap[0]!) < 0) {
      heap[0] = i
      siftDown(0)
    }
  }
  return heap.sort(cmp)
}
