/**
 * Id → ordinal lookup over Int64 ids, built from typed arrays without a JS Map.
 *
 * Three layouts: no table at all when the ids are the int32 sequence `min, min + 1, …` in
 * order (ordinal = id − min), a direct table when the ids are int32-sized and compact
 * (range ≤ 4n + 1024: the usual dense ids), else an open-addressing hash keyed by the two 32-bit halves of each
 * id (never `Number(bigint)`). Building detects duplicate ids.
 *
 * @internal
 */

/** A read-only id → ordinal index. */
export interface IdIndex {
  readonly size: number
  /** Ordinals of `ids` (`-1` when absent). */
  readonly lookup: (ids: BigInt64Array) => Int32Array
  /** The first id seen twice while building, if any. */
  readonly duplicate: bigint | undefined
}

/** The int32 halves view of a BigInt64Array (little-endian: low word first). */
export const halves = (ids: BigInt64Array): Int32Array => new Int32Array(ids.buffer, ids.byteOffset, ids.length * 2)

const hash = (lo: number, hi: number): number => {
  let h = Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi ^ (hi >>> 16), 0x85ebca6b)
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  return h ^ (h >>> 13)
}

/** Builds an index over the concatenation of `parts` (ordinal = position in the concatenation). */
export const build = (parts: ReadonlyArray<BigInt64Array>): IdIndex => {
  let n = 0
  for (const p of parts) n += p.length
  // Pass 1: do all ids fit in int32, and what is their range?
  let fits = true
  let min = 0x7fffffff
  let max = -0x80000000
  for (const p of parts) {
    const h = halves(p)
    for (let i = 0, m = p.length; i < m; i++) {
      const lo = h[2 * i]!
      if (h[2 * i + 1]! !== (lo >> 31)) {
        fits = false
        break
      }
      if (lo < min) min = lo
      if (lo > max) max = lo
    }
    if (!fits) break
  }
  if (n === 0) return { size: 0, lookup: (ids) => new Int32Array(ids.length).fill(-1), duplicate: undefined }
  if (fits && max - min + 1 === n && isSequence(parts, min)) return buildSequence(n, min)
  if (fits && max - min + 1 <= 4 * n + 1024) return buildDense(parts, n, min, max - min + 1)
  return buildHash(parts, n)
}

/** Whether the ids, in order, are `min, min + 1, …` (then ordinal = id − min). */
const isSequence = (parts: ReadonlyArray<BigInt64Array>, min: number): boolean => {
  let expected = min
  for (const p of parts) {
    const h = halves(p)
    for (let i = 0, m = p.length; i < m; i++, expected++) if (h[2 * i] !== expected) return false
  }
  return true
}

/** The index of ids `min .. min + n − 1` in order: no table, ordinal = id − min. */
const buildSequence = (n: number, min: number): IdIndex => ({
  size: n,
  duplicate: undefined,
  lookup: (ids) => {
    const h = halves(ids)
    const out = new Int32Array(ids.length)
    for (let i = 0, m = ids.length; i < m; i++) {
      const lo = h[2 * i]!
      const slot = lo - min
      out[i] = h[2 * i + 1]! === (lo >> 31) && slot >= 0 && slot < n ? slot : -1
    }
    return out
  }
})

const buildDense = (parts: ReadonlyArray<BigInt64Array>, n: number, min: number, range: number): IdIndex => {
  const table = new Int32Array(range).fill(-1)
  let duplicate: bigint | undefined
  let ordinal = 0
  for (const p of parts) {
    const h = halves(p)
    for (let i = 0, m = p.length; i < m; i++, ordinal++) {
      const slot = h[2 * i]! - min
      if (table[slot] !== -1) {
        if (duplicate === undefined) duplicate = p[i]!
        continue
      }
      table[slot] = ordinal
    }
  }
  return {
    size: n,
    duplicate,
    lookup: (ids) => {
      const h = halves(ids)
      const out = new Int32Array(ids.length)
      for (let i = 0, m = ids.length; i < m; i++) {
        const lo = h[2 * i]!
        const slot = lo - min
        out[i] = h[2 * i + 1]! === (lo >> 31) && slot >= 0 && slot < range ? table[slot]! : -1
      }
      return out
    }
  }
}

const buildHash = (parts: ReadonlyArray<BigInt64Array>, n: number): IdIndex => {
  let capacity = 16
  while (capacity < 2 * n) capacity *= 2
  const mask = capacity - 1
  const keys = new Int32Array(capacity * 2)
  const values = new Int32Array(capacity).fill(-1)
  let duplicate: bigint | undefined
  let ordinal = 0
  for (const p of parts) {
    const h = halves(p)
    for (let i = 0, m = p.length; i < m; i++, ordinal++) {
      const lo = h[2 * i]!
      const hi = h[2 * i + 1]!
      let slot = hash(lo, hi) & mask
      for (;;) {
        if (values[slot] === -1) {
          keys[2 * slot] = lo
          keys[2 * slot + 1] = hi
          values[slot] = ordinal
          break
        }
        if (keys[2 * slot] === lo && keys[2 * slot + 1] === hi) {
          if (duplicate === undefined) duplicate = p[i]!
          break
        }
        slot = (slot + 1) & mask
      }
    }
  }
  return {
    size: n,
    duplicate,
    lookup: (ids) => {
      const h = halves(ids)
      const out = new Int32Array(ids.length)
      for (let i = 0, m = ids.length; i < m; i++) {
        const lo = h[2 * i]!
        const hi = h[2 * i + 1]!
        let slot = hash(lo, hi) & mask
        let found = -1
        for (;;) {
          const v = values[slot]!
          if (v === -1) break
          if (keys[2 * slot] === lo && keys[2 * slot + 1] === hi) {
            found = v
            break
          }
          slot = (slot + 1) & mask
        }
        out[i] = found
      }
      return out
    }
  }
}
