/**
 * Accumulator kernels (`Kernels/Aggregates`) against a naive per-row model written here:
 * NULL rows, skipped ids (−1), empty groups, sliced inputs, validity bytes that are all
 * valid / all NULL / mixed, Int64 values at the edges of the range (exact sums, overflow),
 * identity values of min/max (−2^63, 2^63 − 1, ±Infinity, NaN) and partial → final.
 */
import * as Arrow from "apache-arrow"
import { describe, expect, it } from "vitest"
import { Effect, Exit, FastCheck as fc } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { ArithmeticOverflow } from "../../src/Engine/ExecutionError.js"
import * as Expr from "../../src/Engine/Expr.js"
import * as Aggregates from "../../src/Engine/Kernels/Aggregates.js"
import * as Column from "../../src/Engine/Kernels/Column.js"
import { AggregateSpec } from "../../src/Engine/PhysicalPlan.js"

const D = DataType
const I64_MAX = 2n ** 63n - 1n
const I64_MIN = -(2n ** 63n)

const spec = (fn: Expr.AggregateFn, dataType: DataType.DataType, arg = true): AggregateSpec =>
  new AggregateSpec({ name: "a", fn, ...(arg ? { arg: Expr.col("x") } : {}), dataType })

const bitmapOf = (values: ReadonlyArray<unknown>): Uint8Array | null => {
  if (values.every((v) => v !== null)) return null
  const bits = Column.allocBitmap(values.length)
  values.forEach((v, i) => v !== null && Column.setBit(bits, i))
  return bits
}
const int64s = (values: ReadonlyArray<bigint | null>): Arrow.Data =>
  Column.int64(BigInt64Array.from(values, (v) => v ?? 0n), bitmapOf(values))
/** Float64 data whose NULL slots hold garbage (NaN, huge values) that must never be read. */
const float64s = (values: ReadonlyArray<number | null>): Arrow.Data =>
  Column.float64(Float64Array.from(values, (v, i) => v ?? (i % 2 === 0 ? NaN : 1e300)), bitmapOf(values))
const dates = (values: ReadonlyArray<number | null>): Arrow.Data =>
  Column.dateDay(Int32Array.from(values, (v) => v ?? 0), bitmapOf(values))

/** Plain JS values of a result column (Int64 as bigint, NULL as null). */
const valuesOf = (data: Arrow.Data): Array<unknown> => {
  const out: Array<unknown> = []
  const valid = Column.validity(data)
  for (let i = 0; i < data.length; i++) {
    if (valid !== null && !Column.getBit(valid, i)) out.push(null)
    else out.push((data.values as ArrayLike<unknown>)[i])
  }
  return out
}

/** Runs accumulator work; an overflow comes back as the string "overflow". */
const attempt = <A>(f: () => A): A | "overflow" => {
  const exit = Effect.runSyncExit(Aggregates.guard(f))
  if (Exit.isSuccess(exit)) return exit.value
  if (exit.cause._tag === "Fail" && exit.cause.error instanceof ArithmeticOverflow) return "overflow"
  throw new Error(`unexpected failure ${String(exit.cause)}`)
}

/** Feeds `batches` (ids, data) through `update` and returns the finished column's values. */
const single = (s: AggregateSpec, groupCount: number, batches: ReadonlyArray<readonly [Int32Array, Arrow.Data | undefined]>, dense = false) =>
  attempt(() => {
    const acc = Aggregates.make(s)
    for (const [ids, data] of batches) acc.update(ids, data, groupCount, dense)
    return valuesOf(acc.finish(groupCount))
  })

/** Each batch through its own accumulator's `update` + `state`, then one `merge` of all states + `finish`. */
const twoPhase = (s: AggregateSpec, groupCount: number, batches: ReadonlyArray<readonly [Int32Array, Arrow.Data | undefined]>) =>
  attempt(() => {
    const final = Aggregates.make(s)
    for (const [ids, data] of batches) {
      const part = Aggregates.make(s)
      part.update(ids, data, groupCount)
      final.merge(Int32Array.from({ length: groupCount }, (_, g) => g), part.state(groupCount), groupCount)
    }
    return valuesOf(final.finish(groupCount))
  })

// ---------------------------------------------------------------------------
// Naive model: one pass per group over plain values
// ---------------------------------------------------------------------------

type Model = (values: ReadonlyArray<unknown>) => unknown
const nonNull = <T>(values: ReadonlyArray<T | null>): Array<T> => values.filter((v): v is T => v !== null)
const maxNum = (a: number, b: number) => (a !== a || b !== b ? NaN : b > a ? b : a)
const minNum = (a: number, b: number) => (a !== a ? b : b !== b ? a : b < a ? b : a)
const models: Record<string, Model> = {
  count: (vs) => BigInt(nonNull(vs).length),
  sumInt: (vs) => {
    const xs = nonNull(vs as Array<bigint | null>)
    if (xs.length === 0) return null
    const total = xs.reduce((a, b) => a + b, 0n)
    return total > I64_MAX || total < I64_MIN ? "overflow" : total
  },
  sumFloat: (vs) => {
    const xs = nonNull(vs as Array<number | null>)
    return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0)
  },
  avgFloat: (vs) => {
    const xs = nonNull(vs as Array<number | null>)
    return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length
  },
  maxFloat: (vs) => {
    const xs = nonNull(vs as Array<number | null>)
    return xs.length === 0 ? null : xs.reduce(maxNum)
  },
  minFloat: (vs) => {
    const xs = nonNull(vs as Array<number | null>)
    return xs.length === 0 ? null : xs.reduce(minNum)
  },
  maxBig: (vs) => {
    const xs = nonNull(vs as Array<bigint | null>)
    return xs.length === 0 ? null : xs.reduce((a, b) => (b > a ? b : a))
  },
  minBig: (vs) => {
    const xs = nonNull(vs as Array<bigint | null>)
    return xs.length === 0 ? null : xs.reduce((a, b) => (b < a ? b : a))
  }
}

/** The model per group over rows whose id is ≥ 0; an overflow in any group is an overflow. */
const expected = (model: Model, groupCount: number, rows: ReadonlyArray<readonly [number, unknown]>) => {
  const out: Array<unknown> = []
  for (let g = 0; g < groupCount; g++) out.push(model(rows.filter(([id]) => id === g).map(([, v]) => v)))
  return out.includes("overflow") ? "overflow" : out
}

/** Splits rows into batches (of the given sizes, cycling) of ids and values. */
const batchesOf = <T>(rows: ReadonlyArray<readonly [number, T]>, sizes: ReadonlyArray<number>, make: (vs: Array<T>) => Arrow.Data) => {
  const out: Array<readonly [Int32Array, Arrow.Data]> = []
  for (let at = 0, k = 0; at < rows.length; k++) {
    const piece = rows.slice(at, at + sizes[k % sizes.length]!)
    at += piece.length
    out.push([Int32Array.from(piece, ([g]) => g), make(piece.map(([, v]) => v))])
  }
  return out
}

/** Float results compare with Object.is semantics except that NaN equals NaN. */
const same = (a: unknown, b: unknown) => expect(a).toEqual(b)

// ---------------------------------------------------------------------------
// Hand-computed cases
// ---------------------------------------------------------------------------

describe("Aggregates kernels: hand-computed cases", () => {
  it("count(*) and count(x): NULLs and −1 ids skipped, an empty group counts 0", () => {
    // 19 rows: bytes of the validity bitmap mixed / all valid / partial last byte
    const values = [1, null, 2, null, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, null, 15, 16]
    const ids = Int32Array.from([0, 0, 1, 1, -1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, -1, 3])
    // group 2 has no rows
    expect(single(spec("count", D.Int64, false), 4, [[ids, undefined]])).toEqual([9n, 7n, 0n, 1n])
    expect(single(spec("count", D.Int64), 4, [[ids, float64s(values)]])).toEqual([7n, 6n, 0n, 1n])
    // dense ids (no −1): every row counts
    const dense = Int32Array.from(values, (_, i) => i % 3)
    expect(single(spec("count", D.Int64, false), 3, [[dense, undefined]], true)).toEqual([7n, 6n, 6n])
    expect(single(spec("count", D.Int64), 3, [[dense, float64s(values)]], true)).toEqual([6n, 4n, 6n])
  })

  it("count(x) on an all-NULL byte and on a sliced column reads the right validity bits", () => {
    const values = [null, null, null, null, null, null, null, null, 1, 2, null, 3]
    const data = float64s(values)
    const ids = new Int32Array(12)
    expect(single(spec("count", D.Int64), 1, [[ids, data]], true)).toEqual([3n])
    // rows 9..11 of the column: 2, NULL, 3
    expect(single(spec("count", D.Int64), 1, [[new Int32Array(3), data.slice(9, 3)]], true)).toEqual([2n])
    expect(single(spec("sum", D.Float64), 1, [[new Int32Array(3), data.slice(9, 3)]], true)).toEqual([5])
  })

  it("Int64 sum is exact near ±2^63 and overflows only when the final sum leaves the range", () => {
    const s = spec("sum", D.Int64)
    const ids = (n: number) => new Int32Array(n)
    const run = (values: Array<bigint | null>) => single(s, 1, [[ids(values.length), int64s(values)]], true)
    expect(run([I64_MAX - 5n, 2n, 3n])).toEqual([I64_MAX])
    expect(run([I64_MAX, 1n])).toBe("overflow")
    expect(run([I64_MIN, -1n])).toBe("overflow")
    expect(run([I64_MIN, null, 0n])).toEqual([I64_MIN])
    // intermediate sums far outside the range, final sum inside: exact
    expect(run([I64_MAX, I64_MAX, I64_MAX, I64_MIN, I64_MIN, I64_MIN, 7n])).toEqual([4n])
    // 2^53 + 1 is not a double: the sum must not go through one
    expect(run([2n ** 53n, 1n, null])).toEqual([2n ** 53n + 1n])
    expect(run([null, null])).toEqual([null])
    expect(run([-(2n ** 62n), -(2n ** 62n) + 1n, -1n])).toEqual([I64_MIN])
  })

  it("Int64 sum over more than 2^20 rows of large values stays exact (normalizes between chunks)", () => {
    const n = (1 << 20) + 3000
    const big = 2n ** 42n + 12345n
    const values = new BigInt64Array(n)
    const valid = Column.allocBitmap(n)
    const ids = new Int32Array(n)
    let total0 = 0n
    let total1 = 0n
    for (let i = 0; i < n; i++) {
      const v = i % 7 === 0 ? -big * 3n : big + BigInt(i)
      values[i] = v
      ids[i] = i % 2
      // every 13th row is NULL (its slot holds a value that must not count)
      if (i % 13 === 5) continue
      Column.setBit(valid, i)
      if (i % 2 === 0) total0 += v
      else total1 += v
    }
    const data = Column.int64(values, valid)
    const out = attempt(() => {
      const acc = Aggregates.make(spec("sum", D.Int64))
      // uneven batches, one larger than a chunk; the chunk boundary falls inside a validity byte
      acc.update(ids.subarray(0, 1003), data.slice(0, 1003), 2, true)
      acc.update(ids.subarray(1003, n - 5), data.slice(1003, n - 1008), 2, true)
      acc.update(ids.subarray(n - 5), data.slice(n - 5, 5), 2, true)
      return valuesOf(acc.finish(2))
    })
    expect(out).toEqual([total0, total1])
  })

  it("avg of Int64 reads each value as a Float64 without BigInt; NULLs and −1 ids skipped", () => {
    const ids = Int32Array.from([0, 0, 1, -1, 1, 1, 2])
    const data = int64s([2n ** 40n, -3n, null, 99n, 5n, -2n, null])
    expect(single(spec("avg", D.Float64), 3, [[ids, data]])).toEqual([(2 ** 40 - 3) / 2, 1.5, null])
    // |value| > 2^53: the nearest double
    const huge = int64s([I64_MAX, I64_MIN])
    expect(single(spec("avg", D.Float64), 2, [[Int32Array.from([0, 1]), huge]], true)).toEqual([2 ** 63, -(2 ** 63)])
  })

  it("Float64 max / min: NaN above every value, −Infinity / +Infinity values, −0.0 vs 0.0, NULL garbage ignored", () => {
    const ids = Int32Array.from([0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 5])
    const values = [1, NaN, -Infinity, null, Infinity, 3, NaN, NaN, null, -0, 0]
    const data = float64s(values)
    const max = single(spec("max", D.Float64), 7, [[ids, data]])
    const min = single(spec("min", D.Float64), 7, [[ids, data]])
    expect(max).toEqual([NaN, -Infinity, Infinity, NaN, null, -0, null])
    expect(min).toEqual([1, -Infinity, 3, NaN, null, -0, null])
    expect(Object.is((max as Array<unknown>)[5], -0)).toBe(true) // the first of two equal values
  })

  it("Int64 and Date max / min with values equal to the identities (−2^63, 2^63 − 1, ±2^31 bounds)", () => {
    const ids = Int32Array.from([0, 0, 1, 2, 2, 3])
    const data = int64s([I64_MIN, null, I64_MAX, I64_MIN, I64_MIN + 1n, null])
    expect(single(spec("max", D.Int64), 5, [[ids, data]])).toEqual([I64_MIN, I64_MAX, I64_MIN + 1n, null, null])
    expect(single(spec("min", D.Int64), 5, [[ids, data]])).toEqual([I64_MIN, I64_MAX, I64_MIN, null, null])
    // same high word, low words compared unsigned
    const close = int64s([0x1_8000_0000n, 0x1_7fff_ffffn, -0x1_8000_0000n, -0x1_7fff_ffffn])
    const four = Int32Array.from([0, 0, 1, 1])
    expect(single(spec("max", D.Int64), 2, [[four, close]], true)).toEqual([0x1_8000_0000n, -0x1_7fff_ffffn])
    expect(single(spec("min", D.Int64), 2, [[four, close]], true)).toEqual([0x1_7fff_ffffn, -0x1_8000_0000n])
    const days = dates([-2147483648, 2147483647, null, 5])
    const dids = Int32Array.from([0, 1, 1, 2])
    expect(single(spec("max", D.Date), 4, [[dids, days]])).toEqual([-2147483648, 2147483647, 5, null])
    expect(single(spec("min", D.Date), 4, [[dids, days]])).toEqual([-2147483648, 2147483647, 5, null])
  })

  it("groups added between batches start empty (a skipped row's sink slot leaves no trace)", () => {
    // batch 1: 2 groups, a NULL row and a −1 row go to the sink slot (index 2)
    // batch 2: group 2 is new and must not inherit them
    const s = spec("sum", D.Int64)
    const b1 = [Int32Array.from([0, 1, -1, 1]), int64s([5n, null, 100n, 7n])] as const
    const b2 = [Int32Array.from([2, 0]), int64s([1n, 1n])] as const
    expect(single(s, 2, [b1])).toEqual([5n, 7n])
    const out = attempt(() => {
      const acc = Aggregates.make(s)
      acc.update(b1[0], b1[1], 2)
      acc.update(b2[0], b2[1], 3)
      return valuesOf(acc.finish(3))
    })
    expect(out).toEqual([6n, 7n, 1n])
    for (const fn of ["max", "min"] as const) {
      const f = spec(fn, D.Float64)
      const got = attempt(() => {
        const acc = Aggregates.make(f)
        acc.update(Int32Array.from([0, -1, 1]), float64s([1, 50, null]), 2)
        acc.update(Int32Array.from([2]), float64s([null]), 3)
        acc.update(Int32Array.from([2, 2]), float64s([null, -7]), 3)
        return valuesOf(acc.finish(3))
      })
      expect(got).toEqual([1, null, -7])
    }
  })

  it("partial → final: Int64 partial sums beyond the range merge exactly; the final one decides overflow", () => {
    const s = spec("sum", D.Int64)
    const ids = Int32Array.from([0, 0, 1])
    const parts = [
      [ids, int64s([I64_MAX, I64_MAX, 1n])],
      [ids, int64s([I64_MAX, null, I64_MIN])],
      [ids, int64s([I64_MIN, I64_MIN, -1n])],
      [ids, int64s([I64_MIN, 10n, 3n])]
    ] as const
    // group 0: 3 · (2^63 − 1) + 3 · (−2^63) + 10 = 7 (partials: 2^64 − 2, 2^63 − 1, −2^64, −2^63 + 10)
    expect(twoPhase(s, 2, parts)).toEqual([7n, I64_MIN + 3n])
    // group 0 without the last two parts: 3 · (2^63 − 1)
    expect(twoPhase(s, 2, parts.slice(0, 2))).toBe("overflow")
    // with the third: 3 · (2^63 − 1) − 2^64 = 2^63 − 3
    expect(twoPhase(s, 2, parts.slice(0, 3))).toEqual([I64_MAX - 2n, I64_MIN])
  })
})

// ---------------------------------------------------------------------------
// Random data against the model
// ---------------------------------------------------------------------------

const GROUPS = 5
const rowsArb = <T>(value: fc.Arbitrary<T>) =>
  fc.array(fc.tuple(fc.integer({ min: -1, max: GROUPS - 1 }), fc.option(value, { nil: null, freq: 4 })), { maxLength: 80 })
const sizesArb = fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 4 })
const edgeInt64 = fc.oneof(
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.bigInt({ min: I64_MIN, max: I64_MAX }),
  fc.constantFrom(I64_MIN, I64_MAX, I64_MIN + 1n, I64_MAX - 1n, 0n, -1n, 2n ** 32n - 1n, -(2n ** 32n))
)
const edgeFloat = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, -0, 0, Infinity, -Infinity, 1.5)
)

describe("Aggregates kernels: random rows against the model (single and partial → final)", () => {
  const check = <T>(
    fn: Expr.AggregateFn,
    type: DataType.DataType,
    value: fc.Arbitrary<T>,
    make: (vs: Array<T | null>) => Arrow.Data,
    model: Model
  ) =>
    it(`${fn}(${DataType.display(type)})`, () => {
      fc.assert(
        fc.property(rowsArb(value), sizesArb, (rows, sizes) => {
          const s = spec(fn, fn === "count" ? D.Int64 : fn === "avg" ? D.Float64 : type)
          const want = expected(model, GROUPS, rows)
          const batches = batchesOf(rows, sizes, make)
          same(single(s, GROUPS, batches), want)
          same(twoPhase(s, GROUPS, batches), want)
          // dense ids: drop the −1 rows and promise no negative id
          const kept = rows.filter(([g]) => g >= 0)
          same(single(s, GROUPS, batchesOf(kept, sizes, make), true), expected(model, GROUPS, kept))
        }),
        { numRuns: 150 }
      )
    })
  check("count", D.Float64, edgeFloat, float64s, models["count"]!)
  check("sum", D.Int64, edgeInt64, int64s, models["sumInt"]!)
  check("sum", D.Float64, fc.integer({ min: -1e6, max: 1e6 }), float64s, models["sumFloat"]!)
  check("avg", D.Float64, fc.integer({ min: -1e6, max: 1e6 }), float64s, models["avgFloat"]!)
  check("max", D.Float64, edgeFloat, float64s, models["maxFloat"]!)
  check("min", D.Float64, edgeFloat, float64s, models["minFloat"]!)
  check("max", D.Int64, edgeInt64, int64s, models["maxBig"]!)
  check("min", D.Int64, edgeInt64, int64s, models["minBig"]!)

  it("avg(Int64) equals the model over the values read as Float64 (small integers: exact)", () => {
    fc.assert(
      fc.property(rowsArb(fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n })), sizesArb, (rows, sizes) => {
        const s = spec("avg", D.Float64)
        const asFloat = rows.map(([g, v]) => [g, v === null ? null : Number(v)] as const)
        const want = expected(models["avgFloat"]!, GROUPS, asFloat)
        same(single(s, GROUPS, batchesOf(rows, sizes, int64s)), want)
      }),
      { numRuns: 100 }
    )
  })
})
