import type * as Arrow from "apache-arrow"
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import * as DataType from "../../src/Engine/DataType.js"
import * as Column from "../../src/Engine/Kernels/Column.js"
import * as Compare from "../../src/Engine/Kernels/Compare.js"
import { arrowSchema, batchFromRows } from "../utils/MockSources.js"

const column = (type: DataType.DataType, values: ReadonlyArray<unknown>): Arrow.Data =>
  batchFromRows(arrowSchema([["x", type]]), values.map((v) => [v])).getChildAt(0)!.data[0]!

/** Row values of a Bool column (null = NULL). */
const bools = (data: Arrow.Data<Arrow.Bool>): Array<boolean | null> => {
  const bits = Column.boolBits(data)
  const valid = Column.validity(data)
  return Array.from({ length: data.length }, (_, i) => (valid !== null && !Column.getBit(valid, i) ? null : Column.getBit(bits, i)))
}

/** Code point order of two JS strings (independent of UTF-8). */
const codePointCompare = (a: string, b: string): number => {
  const x = Array.from(a).map((c) => c.codePointAt(0)!)
  const y = Array.from(b).map((c) => c.codePointAt(0)!)
  for (let k = 0; k < Math.min(x.length, y.length); k++) if (x[k] !== y[k]) return x[k]! - y[k]!
  return x.length - y.length
}

const ops: ReadonlyArray<[Compare.CompareOp, (c: number) => boolean]> = [
  ["=", (c) => c === 0],
  ["<>", (c) => c !== 0],
  ["<", (c) => c < 0],
  ["<=", (c) => c <= 0],
  [">", (c) => c > 0],
  [">=", (c) => c >= 0]
]

describe("Compare.compareScalar", () => {
  it("strings against a scalar: every operator, NULL rows stay NULL (code point order)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.constantFrom("", "c", "c7", "c70", "c8", "b", "é", "😀", "\uFFFD"), { nil: null }), { maxLength: 40 }),
        fc.constantFrom("", "c7", "c", "é", "😀", "zz"),
        (values, scalar) => {
          const data = column(DataType.String, values)
          for (const [op, holds] of ops) {
            const got = bools(Compare.compareScalar(op, data, Column.encodeUtf8(scalar)))
            expect(got).toEqual(values.map((v) => (v === null ? null : holds(codePointCompare(v, scalar)))))
          }
        }
      ),
      { numRuns: 100 }
    )
  })

  it("Int64 and Float64 against a scalar (negative halves, NaN greatest, -0 = 0)", () => {
    const ints = [-(2n ** 40n), -1n, 0n, 1n, 30n, 31n, 2n ** 33n, null]
    const intData = column(DataType.Int64, ints)
    for (const [op, holds] of ops) {
      expect(bools(Compare.compareScalar(op, intData, 30n))).toEqual(ints.map((v) => (v === null ? null : holds(v < 30n ? -1 : v > 30n ? 1 : 0))))
    }
    const floats = [NaN, -0, 0, 0.5, -3, null, Infinity]
    const floatData = column(DataType.Float64, floats)
    const rank = (x: number) => (Number.isNaN(x) ? Infinity : x)
    for (const [op, holds] of ops) {
      expect(bools(Compare.compareScalar(op, floatData, 0))).toEqual(floats.map((v) => {
        if (v === null) return null
        if (Number.isNaN(v)) return holds(1)
        return holds(rank(v) < 0 ? -1 : rank(v) > 0 ? 1 : 0)
      }))
    }
  })

  it("Int64 and Float64 against a scalar over any length (bits packed across bytes)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }), { maxLength: 45 }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.array(fc.option(fc.constantFrom(NaN, -0, 0, 1.5, -2, Infinity, -Infinity), { nil: null }), { maxLength: 45 }),
        fc.constantFrom(-0, 0, 1.5, -Infinity),
        (ints, s, floats, q) => {
          const intData = column(DataType.Int64, ints)
          const floatData = column(DataType.Float64, floats)
          for (const [op, holds] of ops) {
            expect(bools(Compare.compareScalar(op, intData, s))).toEqual(ints.map((v) => (v === null ? null : holds(v < s ? -1 : v > s ? 1 : 0))))
            expect(bools(Compare.compareScalar(op, floatData, q))).toEqual(floats.map((v) =>
              v === null ? null : holds(Number.isNaN(v) ? 1 : v < q ? -1 : v > q ? 1 : 0)
            ))
          }
        }
      ),
      { numRuns: 100 }
    )
  })
})
