import type * as Arrow from "apache-arrow"
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import * as DataType from "../../src/Engine/DataType.js"
import * as Sort from "../../src/Engine/Kernels/Sort.js"
import { arrowSchema, batchFromRows } from "../utils/MockSources.js"

const column = (type: DataType.DataType, values: ReadonlyArray<unknown>): Arrow.Data =>
  batchFromRows(arrowSchema([["x", type]]), values.map((v) => [v])).getChildAt(0)!.data[0]!

const asc = (data: Arrow.Data, nullsFirst?: boolean): Sort.SortKeyColumn => ({ data, descending: false, nullsFirst })
const desc = (data: Arrow.Data, nullsFirst?: boolean): Sort.SortKeyColumn => ({ data, descending: true, nullsFirst })

const permute = <A>(values: ReadonlyArray<A>, indices: Int32Array): Array<A> => [...indices].map((i) => values[i]!)

/** Code point order of two JS strings (reference, independent of UTF-8). */
const codePointCompare = (a: string, b: string): number => {
  const x = Array.from(a).map((c) => c.codePointAt(0)!)
  const y = Array.from(b).map((c) => c.codePointAt(0)!)
  for (let k = 0; k < Math.min(x.length, y.length); k++) if (x[k] !== y[k]) return x[k]! - y[k]!
  return x.length - y.length
}

describe("Sort.sortIndices", () => {
  it("is stable: equal keys keep their input order", () => {
    const keys = column(DataType.Int64, [2n, 1n, 2n, 1n, 2n, 1n])
    expect([...Sort.sortIndices([asc(keys)], 6)]).toEqual([1, 3, 5, 0, 2, 4])
    expect([...Sort.sortIndices([desc(keys)], 6)]).toEqual([0, 2, 4, 1, 3, 5])
  })

  it("multi-key: the first key first, then the next in its own direction", () => {
    const city = column(DataType.String, ["b", "a", "b", "a", "a"])
    const age = column(DataType.Int64, [1n, 5n, 3n, 5n, 9n])
    const order = Sort.sortIndices([asc(city), desc(age)], 5)
    expect([...order]).toEqual([4, 1, 3, 2, 0])
  })

  it("NULLs go last ascending and first descending unless the key says", () => {
    const v = column(DataType.Int64, [3n, null, 1n, null, 2n])
    expect([...Sort.sortIndices([asc(v)], 5)]).toEqual([2, 4, 0, 1, 3])
    expect([...Sort.sortIndices([desc(v)], 5)]).toEqual([1, 3, 0, 4, 2])
    expect([...Sort.sortIndices([asc(v, true)], 5)]).toEqual([1, 3, 2, 4, 0])
    expect([...Sort.sortIndices([desc(v, false)], 5)]).toEqual([0, 4, 2, 1, 3])
  })

  it("NaN sorts above every float (Infinity included), -0.0 ties with 0.0", () => {
    const v = column(DataType.Float64, [NaN, Infinity, 0, -Infinity, -0, NaN, -1.5, null])
    expect([...Sort.sortIndices([asc(v)], 8)]).toEqual([3, 6, 2, 4, 1, 0, 5, 7])
    expect([...Sort.sortIndices([desc(v)], 8)]).toEqual([7, 0, 5, 1, 2, 4, 6, 3])
  })

  it("strings order by code point, not by UTF-16 units (characters beyond U+FFFF)", () => {
    const values = ["😀", "\uFFFD", "z", "", "é", "😀a", "\uFFFF"]
    // UTF-16 `<` would put "😀" (a surrogate pair starting 0xD83D) before "\uFFFD"
    expect("😀" < "\uFFFD").toBe(true)
    const order = Sort.sortIndices([asc(column(DataType.String, values))], values.length)
    expect(permute(values, order)).toEqual(["", "z", "é", "\uFFFD", "\uFFFF", "😀", "😀a"])
  })

  it("booleans order FALSE < TRUE; dates and timestamps numerically; Int64 beyond 2^53", () => {
    const b = column(DataType.Bool, [true, false, null, true, false])
    expect([...Sort.sortIndices([asc(b)], 5)]).toEqual([1, 4, 0, 3, 2])
    const d = column(DataType.Date, [new Date(5 * 86400000), new Date(-3 * 86400000), new Date(0)])
    expect([...Sort.sortIndices([asc(d)], 3)]).toEqual([1, 2, 0])
    const t = column(DataType.Timestamp, [new Date(1000), new Date(-1), new Date(999)])
    expect([...Sort.sortIndices([desc(t)], 3)]).toEqual([0, 2, 1])
    const big = [(1n << 62n) + 1n, -(1n << 63n), (1n << 62n), -1n, 0n, (1n << 63n) - 1n, 4294967296n, 4294967295n]
    const order = Sort.sortIndices([asc(column(DataType.Int64, big))], big.length)
    expect(permute(big, order)).toEqual([...big].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)))
  })

  it("works on sliced columns (non-zero offsets)", () => {
    const s = column(DataType.String, ["q", "c", null, "a", "b"]).slice(1, 4)
    expect([...Sort.sortIndices([asc(s)], 4)]).toEqual([2, 3, 0, 1])
    const b = column(DataType.Bool, [false, true, null, false, true]).slice(1, 4)
    expect([...Sort.sortIndices([desc(b)], 4)]).toEqual([1, 0, 3, 2])
  })

  it("matches a reference sort on random rows with NULLs, NaN, -0 and astral characters", () => {
    const floatArb = fc.option(fc.constantFrom(NaN, -0, 0, 1.5, -1.5, Infinity, -Infinity, 2), { nil: null })
    const strArb = fc.option(fc.constantFrom("", "a", "b", "😀", "\uFFFD", "é", "ab"), { nil: null })
    fc.assert(
      fc.property(
        fc.array(fc.tuple(floatArb, strArb), { maxLength: 60 }),
        fc.boolean(),
        fc.boolean(),
        fc.option(fc.boolean(), { nil: undefined }),
        (rows, d1, d2, nf) => {
          const f = column(DataType.Float64, rows.map((r) => r[0]))
          const s = column(DataType.String, rows.map((r) => r[1]))
          const order = Sort.sortIndices([{ data: f, descending: d1, nullsFirst: nf }, { data: s, descending: d2 }], rows.length)
          const cmpFloat = (x: number, y: number) =>
            Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : Number.isNaN(y) ? -1 : x < y ? -1 : x > y ? 1 : 0
          const withNulls = <A>(x: A | null, y: A | null, cmp: (x: A, y: A) => number, descending: boolean, nullsFirst: boolean) => {
            if (x === null || y === null) return x === y ? 0 : (x === null) === nullsFirst ? -1 : 1
            return descending ? cmp(y, x) : cmp(x, y)
          }
          const expected = rows.map((_, i) => i).sort((i, j) =>
            withNulls(rows[i]![0], rows[j]![0], cmpFloat, d1, nf ?? d1) ||
            withNulls(rows[i]![1], rows[j]![1], codePointCompare, d2, d2) ||
            i - j
          )
          expect([...order]).toEqual(expected)
        }
      ),
      { numRuns: 200 }
    )
  })
})

describe("Sort.sortIndices on long inputs (radix path)", () => {
  it("matches a reference sort for numeric, boolean, date and timestamp keys with NULLs, NaN and -0", () => {
    const cmpFloat = (x: number, y: number) =>
      Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : Number.isNaN(y) ? -1 : x < y ? -1 : x > y ? 1 : 0
    const cmpBig = (x: bigint, y: bigint) => (x < y ? -1 : x > y ? 1 : 0)
    const cmpNum = (x: number, y: number) => x - y
    const withNulls = <A>(x: A | null, y: A | null, cmp: (x: A, y: A) => number, descending: boolean, nullsFirst: boolean) => {
      if (x === null || y === null) return x === y ? 0 : (x === null) === nullsFirst ? -1 : 1
      return descending ? cmp(y, x) : cmp(x, y)
    }
    const bigs = [0n, 1n, -1n, 4294967296n, -4294967296n, 4294967295n, (1n << 63n) - 1n, -(1n << 63n), 1n << 40n]
    const floats = [NaN, -0, 0, 1.5, -1.5, Infinity, -Infinity, 5e-324, -5e-324, 1e300]
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.option(fc.constantFrom(...floats), { nil: null }),
            fc.option(fc.constantFrom(...bigs), { nil: null }),
            fc.option(fc.boolean(), { nil: null }),
            fc.option(fc.integer({ min: -40000, max: 40000 }), { nil: null })
          ),
          { minLength: 512, maxLength: 900 }
        ),
        fc.array(fc.tuple(fc.boolean(), fc.option(fc.boolean(), { nil: undefined })), { minLength: 4, maxLength: 4 }),
        fc.constantFrom<"date" | "timestamp">("date", "timestamp"),
        (rows, dirs, timeKind) => {
          const f = column(DataType.Float64, rows.map((r) => r[0]))
          const i = column(DataType.Int64, rows.map((r) => r[1]))
          const b = column(DataType.Bool, rows.map((r) => r[2]))
          const t = timeKind === "date"
            ? column(DataType.Date, rows.map((r) => (r[3] === null ? null : new Date(r[3] * 86400000))))
            : column(DataType.Timestamp, rows.map((r) => (r[3] === null ? null : new Date(r[3]))))
          const datas = [b, f, t, i]
          const keys = datas.map((data, k) => ({ data, descending: dirs[k]![0], nullsFirst: dirs[k]![1] }))
          const order = Sort.sortIndices(keys, rows.length)
          const nf = (k: number) => dirs[k]![1] ?? dirs[k]![0]
          const expected = rows.map((_, n) => n).sort((x, y) =>
            withNulls(rows[x]![2], rows[y]![2], (p: boolean, q: boolean) => Number(p) - Number(q), dirs[0]![0], nf(0)) ||
            withNulls(rows[x]![0], rows[y]![0], cmpFloat, dirs[1]![0], nf(1)) ||
            withNulls(rows[x]![3], rows[y]![3], cmpNum, dirs[2]![0], nf(2)) ||
            withNulls(rows[x]![1], rows[y]![1], cmpBig, dirs[3]![0], nf(3)) ||
            x - y
          )
          expect([...order]).toEqual(expected)
          // one key alone, too
          const single = Sort.sortIndices([keys[1]!], rows.length)
          const expectedSingle = rows.map((_, n) => n).sort((x, y) =>
            withNulls(rows[x]![0], rows[y]![0], cmpFloat, dirs[1]![0], nf(1)) || x - y
          )
          expect([...single]).toEqual(expectedSingle)
        }
      ),
      { numRuns: 60 }
    )
  })
})

describe("Sort.topKIndices", () => {
  it("equals the prefix of the full stable sort", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }), { maxLength: 200 }),
        fc.nat({ max: 220 }),
        fc.boolean(),
        (values, k, descending) => {
          const data = column(DataType.Int64, values.map((v) => (v === null ? null : BigInt(v))))
          const keys = [{ data, descending }]
          const full = Sort.sortIndices(keys, values.length)
          expect([...Sort.topKIndices(keys, values.length, k)]).toEqual([...full.subarray(0, Math.min(k, values.length))])
        }
      ),
      { numRuns: 300 }
    )
  })

  it("k = 0 gives nothing; k beyond the length gives everything sorted", () => {
    const data = column(DataType.Float64, [3, 1, 2])
    expect(Sort.topKIndices([asc(data)], 3, 0).length).toBe(0)
    expect([...Sort.topKIndices([asc(data)], 3, 10)]).toEqual([1, 2, 0])
  })
})

describe("Sort.rowsBefore", () => {
  it("keeps the rows strictly before the pivot row, ties on every key excluded", () => {
    const score = column(DataType.Float64, [3, null, 1, NaN, 2, 2, -0, 0])
    // descending, NULLs last: NaN > 3 > 2 = 2 > 1 > 0 = -0 > NULL; pivot row 4 (2)
    expect([...Sort.rowsBefore([desc(score, false)], 8, 4)]).toEqual([0, 3])
    // ascending, NULLs last, pivot row 7 (0): only values below 0 → none; pivot row 2 (1): -0, 0
    expect([...Sort.rowsBefore([asc(score)], 8, 7)]).toEqual([])
    expect([...Sort.rowsBefore([asc(score)], 8, 2)]).toEqual([6, 7])
    // NULLs first ascending, pivot 1 (NULL): nothing comes before a NULL
    expect([...Sort.rowsBefore([asc(score, true)], 8, 1)]).toEqual([])
  })

  it("with several keys compares the next key on ties", () => {
    const a = column(DataType.String, ["b", "a", "b", "c", "b"])
    const b = column(DataType.Int64, [5n, 9n, 1n, 0n, 3n])
    // pivot row 4 ("b", 3): ("a", 9) and ("b", 1) come before ascending/ascending
    expect([...Sort.rowsBefore([asc(a), asc(b)], 5, 4)]).toEqual([1, 2])
    // a descending, b descending: ("c", 0) and ("b", 5) come before ("b", 3)
    expect([...Sort.rowsBefore([desc(a), desc(b)], 5, 4)]).toEqual([0, 3])
  })
})

describe("Sort.rowsBeforeValue", () => {
  it("equals rowsBefore over the key with the pivot appended (Float64, Int64; directions, NULL placement)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.constantFrom(NaN, -0, 0, 1, -2.5, Infinity), { nil: null }), { maxLength: 30 }),
        fc.option(fc.constantFrom(NaN, -0, 0, 1, -2.5), { nil: null }),
        fc.array(fc.option(fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }), { nil: null }), { maxLength: 30 }),
        fc.option(fc.constantFrom(0n, -1n, 2n ** 35n, -(2n ** 35n)), { nil: null }),
        fc.boolean(),
        fc.option(fc.boolean(), { nil: undefined }),
        (floats, fp, ints, ip, descending, nullsFirst) => {
          for (const [type, values, pivot] of [[DataType.Float64, floats, fp], [DataType.Int64, ints, ip]] as const) {
            const key = { data: column(type, values), descending, nullsFirst }
            const joined = { data: column(type, [...values, pivot]), descending, nullsFirst }
            const direct = Sort.rowsBeforeValue(key, values.length, column(type, [pivot]))
            expect(direct).toBeDefined()
            expect([...direct!]).toEqual([...Sort.rowsBefore([joined], values.length, values.length)])
          }
        }
      ),
      { numRuns: 200 }
    )
  })

  it("declines other key types", () => {
    expect(Sort.rowsBeforeValue(asc(column(DataType.String, ["a"])), 1, column(DataType.String, ["b"]))).toBeUndefined()
  })
})
