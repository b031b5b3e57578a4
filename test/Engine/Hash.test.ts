import * as Arrow from "apache-arrow"
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import * as DataType from "../../src/Engine/DataType.js"
import * as Aggregates from "../../src/Engine/Kernels/Aggregates.js"
import * as Hash from "../../src/Engine/Kernels/Hash.js"
import { arrowSchema, batchFromRows } from "../utils/MockSources.js"

/** One column of `type` holding `values` (null = NULL). */
const column = (type: DataType.DataType, values: ReadonlyArray<unknown>): Arrow.Data => {
  const batch = batchFromRows(arrowSchema([["x", type]]), values.map((v) => [v]))
  return batch.getChildAt(0)!.data[0]!
}

// ---------------------------------------------------------------------------
// An independent reference of the documented hash definition, on plain numbers.
// ---------------------------------------------------------------------------

const u32 = (x: number) => x >>> 0
const mulmod = (a: number, b: number): number => Number((BigInt(u32(a)) * BigInt(u32(b))) % 4294967296n)
const rotl = (x: number, r: number): number => u32((u32(x) * 2 ** r) % 4294967296 + Math.floor(u32(x) / 2 ** (32 - r)))
const refScramble = (k: number): number => mulmod(rotl(mulmod(k, 0xcc9e2d51), 15), 0x1b873593)
const refWord = (h: number, k: number): number => {
  const x = u32(u32(h) ^ refScramble(k))
  return u32(mulmod(rotl(x, 13), 5) + 0xe6546b64)
}
const refFinish = (h: number, n: number): number => {
  let x = u32(u32(h) ^ n)
  x = u32(x ^ (x >>> 16))
  x = mulmod(x, 0x85ebca6b)
  x = u32(x ^ (x >>> 13))
  x = mulmod(x, 0xc2b2ae35)
  return u32(x ^ (x >>> 16))
}
const SEED = 0x2f0d4a61
const ref64 = (v: bigint): number => {
  const bits = BigInt.asUintN(64, v)
  return refFinish(refWord(refWord(SEED, Number(bits & 0xffffffffn)), Number(bits >> 32n)), 8)
}
const refFloat = (x: number): number => {
  if (x === 0) return ref64(0n)
  if (Number.isNaN(x)) return ref64(0x7ff8000000000000n)
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, x)
  return ref64(view.getBigUint64(0))
}
const refString = (s: string): number => {
  const bytes = new TextEncoder().encode(s)
  let h = SEED
  let k = 0
  for (; k + 4 <= bytes.length; k += 4) {
    h = refWord(h, bytes[k]! + bytes[k + 1]! * 256 + bytes[k + 2]! * 65536 + bytes[k + 3]! * 16777216)
  }
  if (k < bytes.length) {
    let t = 0
    for (let m = bytes.length - 1; m >= k; m--) t = t * 256 + bytes[m]!
    h = u32(u32(h) ^ refScramble(t))
  }
  return refFinish(h, bytes.length)
}
const refRow = (values: ReadonlyArray<number>): number => {
  let h = SEED
  for (const v of values) h = refWord(h, v)
  return refFinish(h, values.length * 4)
}
const REF_NULL = 0x6a09e667

describe("Hash.hashColumns", () => {
  it("Int64 values hash by their two 32-bit halves as documented", () => {
    const values = [0n, 1n, -1n, 5n, 1n << 40n, -(1n << 63n), (1n << 63n) - 1n]
    const hashes = Hash.hashColumns([column(DataType.Int64, values)], values.length)
    expect([...hashes]).toEqual(values.map((v) => refRow([ref64(v)])))
  })

  it("a few fixed values", () => {
    // single-column hashes of 0n, "", NULL are fixed numbers of the definition
    expect(Hash.hashValues(column(DataType.Int64, [0n]))[0]).toBe(ref64(0n))
    expect(Hash.hashValues(column(DataType.String, [""]))[0]).toBe(refFinish(SEED, 0))
    expect(Hash.hashValues(column(DataType.Int64, [null]))[0]).toBe(REF_NULL)
    expect(Hash.hashColumns([], 2)).toEqual(new Uint32Array([refFinish(SEED, 0), refFinish(SEED, 0)]))
  })

  it("Float64: -0.0 hashes as 0.0 and every NaN as one canonical NaN", () => {
    const weird = new Float64Array(new Uint32Array([1, 0x7ff00000, 0, 0xfff80000]).buffer) // signalling and negative NaN
    const values = [1.5, -0, 0, Infinity, -Infinity, NaN, weird[0]!, weird[1]!, -2.75]
    const data = Arrow.makeData({ type: new Arrow.Float64(), length: values.length, data: new Float64Array(values) })
    const hashes = Hash.hashValues(data)
    expect([...hashes]).toEqual(values.map(refFloat))
    expect(hashes[1]).toBe(hashes[2])
    expect(hashes[5]).toBe(hashes[6])
    expect(hashes[5]).toBe(hashes[7])
  })

  it("strings hash their UTF-8 bytes (tails of 1–3 bytes, characters beyond U+FFFF)", () => {
    const values = ["", "a", "ab", "abc", "abcd", "abcde", "héllo", "😀", "x😀yz", "日本語テキスト"]
    expect([...Hash.hashValues(column(DataType.String, values))]).toEqual(values.map(refString))
  })

  it("Bool, Date, Timestamp and NULL hash as their integer values / the NULL constant", () => {
    expect([...Hash.hashValues(column(DataType.Bool, [true, false, null]))]).toEqual([ref64(1n), ref64(0n), REF_NULL])
    expect([...Hash.hashValues(column(DataType.Date, [new Date(3 * 86400000), new Date(-86400000), null]))]).toEqual([
      ref64(3n),
      ref64(-1n),
      REF_NULL
    ])
    expect([...Hash.hashValues(column(DataType.Timestamp, [new Date(1000), new Date(-5), null]))]).toEqual([
      ref64(1000n),
      ref64(-5n),
      REF_NULL
    ])
    const nulls = Arrow.makeData({ type: new Arrow.Null(), length: 2 })
    expect([...Hash.hashValues(nulls)]).toEqual([REF_NULL, REF_NULL])
  })

  it("rows combine the value hashes of their columns in order", () => {
    const a = column(DataType.String, ["x", null])
    const b = column(DataType.Int64, [7n, -7n])
    expect([...Hash.hashColumns([a, b], 2)]).toEqual([
      refRow([refString("x"), ref64(7n)]),
      refRow([REF_NULL, ref64(-7n)])
    ])
    // column order matters
    expect(Hash.hashColumns([b, a], 2)[0]).not.toBe(Hash.hashColumns([a, b], 2)[0])
  })

  it("the same values hash the same in any batch, order, slice or encoding", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.string({ unit: "binary" }), { nil: null }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.option(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { nil: null }), {
          minLength: 40,
          maxLength: 40
        }),
        fc.integer({ min: 0, max: 39 }),
        (strings, ints, cut) => {
          const n = strings.length
          const s = column(DataType.String, strings)
          const i = column(DataType.Int64, ints.slice(0, n))
          const whole = Hash.hashColumns([s, i], n)
          // reversed rows
          const rs = column(DataType.String, [...strings].reverse())
          const ri = column(DataType.Int64, ints.slice(0, n).reverse())
          const reversed = Hash.hashColumns([rs, ri], n)
          for (let r = 0; r < n; r++) expect(reversed[n - 1 - r]).toBe(whole[r])
          // a slice (non-zero offset) of the same columns
          const at = Math.min(cut, n - 1)
          const sliced = Hash.hashColumns([s.slice(at, n - at), i.slice(at, n - at)], n - at)
          expect([...sliced]).toEqual([...whole.subarray(at)])
          // dictionary-encoded strings hash as the plain strings
          const dict = Arrow.vectorFromArray(strings, new Arrow.Dictionary(new Arrow.Utf8(), new Arrow.Int32())).data[0]!
          expect([...Hash.hashValues(dict)]).toEqual([...Hash.hashValues(s)])
        }
      ),
      { numRuns: 40 }
    )
  })

  it("narrower integers hash as the same Int64 value", () => {
    const i32 = Arrow.makeData({ type: new Arrow.Int32(), length: 3, data: new Int32Array([5, -1, -2147483648]) })
    expect([...Hash.hashValues(i32)]).toEqual([ref64(5n), ref64(-1n), ref64(-2147483648n)])
  })
})

describe("Hash.rowsEqual", () => {
  it("uses the grouping equality: NULL = NULL, NaN = NaN, -0.0 = 0.0", () => {
    const weirdNaN = new Float64Array(new Uint32Array([1, 0x7ff00000]).buffer)[0]!
    const f = Arrow.makeData({
      type: new Arrow.Float64(),
      length: 5,
      data: new Float64Array([NaN, weirdNaN, -0, 0, 1])
    })
    const v = Hash.keyViews([f])
    expect(Hash.rowsEqual(v, 0, v, 1)).toBe(true)
    expect(Hash.rowsEqual(v, 2, v, 3)).toBe(true)
    expect(Hash.rowsEqual(v, 3, v, 4)).toBe(false)
    expect(Hash.rowsEqual(v, 0, v, 4)).toBe(false)
    const s = Hash.keyViews([column(DataType.String, [null, null, "a", "a", "ab", ""])])
    expect(Hash.rowsEqual(s, 0, s, 1)).toBe(true)
    expect(Hash.rowsEqual(s, 0, s, 5)).toBe(false)
    expect(Hash.rowsEqual(s, 2, s, 3)).toBe(true)
    expect(Hash.rowsEqual(s, 2, s, 4)).toBe(false)
  })

  it("compares several columns of two different batches", () => {
    const a = Hash.keyViews([column(DataType.Int64, [1n, 1n << 40n]), column(DataType.Bool, [true, null])])
    const b = Hash.keyViews([column(DataType.Int64, [(1n << 40n) + 1n, 1n << 40n, 1n]), column(DataType.Bool, [null, null, true])])
    expect(Hash.rowsEqual(a, 1, b, 1)).toBe(true)
    expect(Hash.rowsEqual(a, 1, b, 0)).toBe(false)
    expect(Hash.rowsEqual(a, 0, b, 2)).toBe(true)
    expect(Hash.rowsEqual(a, 0, b, 1)).toBe(false)
  })
})

describe("GroupTable (one string key)", () => {
  it("assigns dense ids by first appearance across batches; NULL is one group; equal hashes need equal bytes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.option(fc.constantFrom("", "a", "b", "ab", "ba", "abc", "é", "😀", "x".repeat(40)), { nil: null }), { maxLength: 30 }), { maxLength: 5 }),
        fc.boolean(),
        (batches, collide) => {
          const table = new Aggregates.GroupTable([new Arrow.Utf8()], 4)
          const expected = new Map<string | null, number>()
          for (const values of batches) {
            const data = column(DataType.String, values)
            // `collide`: every row gets the same hash, so only the byte comparison separates groups
            const hashes = collide ? new Uint32Array(values.length).fill(7) : Hash.hashColumns([data], values.length)
            const ids = table.findOrInsert(Hash.keyViews([data]), hashes, values.length)
            const want = values.map((v) => {
              if (!expected.has(v)) expected.set(v, expected.size)
              return expected.get(v)!
            })
            expect([...ids]).toEqual(want)
          }
          expect(table.size).toBe(expected.size)
          const keys = table.columns()[0]!
          const stored = Array.from({ length: keys.length }, (_, g) => Arrow.makeVector(keys).get(g))
          expect(stored).toEqual([...expected.keys()])
        }
      ),
      { numRuns: 150 }
    )
  })
})
