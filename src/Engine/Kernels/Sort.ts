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

/** Row indices `0..length-1` in the stable order of the keys (the first key first). */
export const sortIndices = (keys: ReadonlyArray<SortKeyColumn>, length: number): Int32Array => {
  const indices = new Int32Array(length)
  for (let i = 0; i < length; i++) indices[i] = i
  if (keys.length === 0 || length < 2) return indices
  return indices.sort(comparator(keys))
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
