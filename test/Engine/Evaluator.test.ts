import * as Arrow from "apache-arrow"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit } from "effect"
import * as Batch from "../../src/Engine/Batch.js"
import * as DataType from "../../src/Engine/DataType.js"
import * as Evaluator from "../../src/Engine/Evaluator.js"
import * as Expr from "../../src/Engine/Expr.js"
import { col, lit, typedLit, when } from "../../src/Engine/Expr.js"

const build = (type: Arrow.DataType, values: ReadonlyArray<unknown>): Arrow.Data => {
  const builder = Arrow.makeBuilder({ type, nullValues: [null, undefined] })
  for (const v of values) builder.append(v as any)
  return builder.finish().flush()
}

type Col = readonly [string, Arrow.DataType, ReadonlyArray<unknown>]
const batchOf = (...cols: ReadonlyArray<Col>): Arrow.RecordBatch =>
  Batch.make(
    new Arrow.Schema(cols.map(([name, type]) => new Arrow.Field(name, type, true))),
    cols.map(([, type, values]) => build(type, values))
  )

const I = new Arrow.Int64()
const F = new Arrow.Float64()
const S = new Arrow.Utf8()
const B = new Arrow.Bool()

const toJs = (data: Arrow.Data): Array<unknown> => {
  const v = new Arrow.Vector([data])
  return Array.from({ length: data.length }, (_, i) => {
    const x = v.get(i)
    return x !== null && typeof x === "object" && "toArray" in x ? Array.from((x as any).toArray()) : x
  })
}

const run = (expr: Expr.Expr, batch: Arrow.RecordBatch): Array<unknown> => {
  const data = Effect.runSync(Evaluator.evaluate(expr, batch))
  expect(data.length).toBe(batch.numRows)
  return toJs(data)
}

const failure = (expr: Expr.Expr, batch: Arrow.RecordBatch) => {
  const exit = Effect.runSyncExit(Evaluator.evaluate(expr, batch))
  if (Exit.isSuccess(exit)) throw new Error(`expected failure, got ${toJs(exit.value)}`)
  const cause = exit.cause
  if (cause._tag !== "Fail") throw new Error(`expected a typed failure, got ${cause._tag}`)
  return cause.error
}

// Three-valued Bool inputs: every pair of (TRUE, FALSE, NULL)
const tv = [true, false, null] as const
const pairs = tv.flatMap((a) => tv.map((b) => [a, b] as const))
const kleeneBatch = batchOf(["a", B, pairs.map((p) => p[0])], ["b", B, pairs.map((p) => p[1])])

describe("Evaluator: Kleene logic", () => {
  it("AND truth table", () => {
    // (T,T) (T,F) (T,N) (F,T) (F,F) (F,N) (N,T) (N,F) (N,N)
    expect(run(col("a").and(col("b")), kleeneBatch)).toEqual([true, false, null, false, false, false, null, false, null])
  })
  it("OR truth table", () => {
    expect(run(col("a").or(col("b")), kleeneBatch)).toEqual([true, true, true, true, false, null, true, null, null])
  })
  it("NOT", () => {
    expect(run(col("a").not(), kleeneBatch)).toEqual([false, false, false, true, true, true, null, null, null])
  })
  it("AND / OR with an untyped NULL literal", () => {
    expect(run(col("a").and(lit(null)), kleeneBatch)).toEqual([null, null, null, false, false, false, null, null, null])
    expect(run(col("a").or(lit(null)), kleeneBatch)).toEqual([true, true, true, null, null, null, null, null, null])
    expect(run(lit(null).not(), kleeneBatch)).toEqual(Array(9).fill(null))
  })
  it("IS NULL / IS NOT NULL never return NULL", () => {
    expect(run(col("a").isNull(), kleeneBatch)).toEqual([false, false, false, false, false, false, true, true, true])
    expect(run(col("b").isNotNull(), kleeneBatch)).toEqual([true, true, false, true, true, false, true, true, false])
    expect(run(lit(null).isNull(), kleeneBatch)).toEqual(Array(9).fill(true))
  })
})

describe("Evaluator: arithmetic", () => {
  const b = batchOf(["i", I, [7n, -7n, 7n, -7n, null, 0n]], ["j", I, [2n, 2n, -2n, -2n, 3n, 5n]], [
    "f",
    F,
    [1.5, -2.5, 0, null, 4, 0.25]
  ])
  it("Int64 + - * / % with truncation toward zero", () => {
    expect(run(col("i").add(col("j")), b)).toEqual([9n, -5n, 5n, -9n, null, 5n])
    expect(run(col("i").sub(col("j")), b)).toEqual([5n, -9n, 9n, -5n, null, -5n])
    expect(run(col("i").mul(col("j")), b)).toEqual([14n, -14n, -14n, 14n, null, 0n])
    expect(run(col("i").div(col("j")), b)).toEqual([3n, -3n, -3n, 3n, null, 0n])
    expect(run(col("i").mod(col("j")), b)).toEqual([1n, -1n, 1n, -1n, null, 0n])
  })
  it("large Int64 values take the exact path", () => {
    const big = batchOf(["x", I, [4611686018427387904n, -9223372036854775807n, 3037000499n]], [
      "y",
      I,
      [2n, -1n, 3037000499n]
    ])
    expect(run(col("x").add(col("y")), big)).toEqual([4611686018427387906n, -9223372036854775808n, 6074000998n])
    const m = batchOf(["x", I, [4611686018427387903n, -9223372036854775807n, 3037000499n, -67108864n]], [
      "y",
      I,
      [2n, -1n, 3037000499n, 67108864n]
    ])
    expect(run(col("x").mul(col("y")), m)).toEqual([9223372036854775806n, 9223372036854775807n, 9223372030926249001n, -4503599627370496n])
    expect(run(col("x").div(col("y")), m)).toEqual([2305843009213693951n, 9223372036854775807n, 1n, -1n])
    expect(run(col("x").mod(lit(1000000007n)), m)).toEqual([4611686018427387903n % 1000000007n, -9223372036854775807n % 1000000007n, 3037000499n % 1000000007n, -67108864n])
    expect(failure(col("x").mul(col("y")), big)._tag).toBe("ArithmeticOverflow")
  })
  it("Int64 widens to Float64", () => {
    expect(run(col("i").add(col("f")), b)).toEqual([8.5, -9.5, 7, null, null, 0.25])
    expect(run(col("j").div(typedLit(4, DataType.Float64)), b)).toEqual([0.5, 0.5, -0.5, -0.5, 0.75, 1.25])
    expect(run(col("i").add(lit(1.5)), b)[0]).toBe(8.5)
    expect(Evaluator.typeOf(col("i").add(col("f")), b.schema)).toEqual(DataType.Float64)
    expect(Evaluator.typeOf(col("i").add(col("j")), b.schema)).toEqual(DataType.Int64)
  })
  it("division by zero: error on non-NULL rows, NULL wins", () => {
    const z = batchOf(["x", I, [1n, null, 5n]], ["y", I, [1n, 0n, 0n]])
    const e = failure(col("x").div(col("y")), z)
    expect(e._tag).toBe("DivisionByZero")
    expect((e as any).expression).toBe("(x / y)")
    expect(failure(col("x").mod(col("y")), z)._tag).toBe("DivisionByZero")
    const nullsOnly = z.slice(0, 2)
    expect(run(col("x").div(col("y")), nullsOnly)).toEqual([1n, null])
    expect(run(lit(null).div(lit(0)), nullsOnly)).toEqual([null, null])
    expect(run(col("x").div(lit(null)), z)).toEqual([null, null, null])
  })
  it("Float64 division by zero is IEEE", () => {
    const z = batchOf(["x", F, [1, -1, 0, -0]])
    const out = run(col("x").div(lit(0.5).sub(lit(0.5))), z)
    expect(out[0]).toBe(Infinity)
    expect(out[1]).toBe(-Infinity)
    expect(Number.isNaN(out[2])).toBe(true)
    expect(Number.isNaN(out[3])).toBe(true)
  })
  it("overflow on + - * and NEG of MIN", () => {
    const MAX = 9223372036854775807n
    const MIN = -9223372036854775808n
    const o = batchOf(["max", I, [MAX]], ["min", I, [MIN]], ["n", I, [null]])
    for (const expr of [col("max").add(1), col("min").sub(1), col("max").mul(2), col("min").mul(-1), col("min").neg(), col("min").div(-1)]) {
      const e = failure(expr, o)
      expect(e._tag).toBe("ArithmeticOverflow")
      expect((e as any).expression).toBe(Expr.display(expr))
    }
    expect(run(col("max").add(col("n")), o)).toEqual([null])
    expect(run(col("max").neg(), o)).toEqual([-MAX])
    expect(run(col("max").add(col("min")), o)).toEqual([-1n])
    expect(run(col("min").mod(-1), o)).toEqual([0n])
  })
  it("NEG", () => {
    expect(run(col("i").neg(), b)).toEqual([-7n, 7n, -7n, 7n, null, 0n])
    expect(run(col("f").neg(), b)).toEqual([-1.5, 2.5, -0, null, -4, -0.25])
  })
  it("arithmetic on a string is a TypeMismatch", () => {
    const s = batchOf(["s", S, ["a"]])
    expect(failure(col("s").add(1), s)._tag).toBe("TypeMismatch")
  })
})

describe("Evaluator: comparisons", () => {
  it("numbers with Int64/Float64 widening", () => {
    const b = batchOf(["i", I, [1n, 2n, 3n, null]], ["f", F, [1.0, 2.5, 2.5, 1]])
    expect(run(col("i").eq(col("f")), b)).toEqual([true, false, false, null])
    expect(run(col("i").lt(col("f")), b)).toEqual([false, true, false, null])
    expect(run(col("i").ge(2), b)).toEqual([false, true, true, null])
    expect(run(col("i").ne(2), b)).toEqual([true, false, true, null])
    expect(run(col("i").le(lit(null)), b)).toEqual([null, null, null, null])
  })
  it("Int64 comparisons across the sign and high words", () => {
    const b = batchOf(["x", I, [-1n, 4294967296n, -4294967296n, 9223372036854775807n]], ["y", I, [1n, 4294967295n, -4294967295n, -9223372036854775808n]])
    expect(run(col("x").lt(col("y")), b)).toEqual([true, false, true, false])
  })
  it("NaN equals NaN and is above every float; -0.0 = 0.0", () => {
    const b = batchOf(["x", F, [NaN, NaN, NaN, -0, 1]], ["y", F, [NaN, Infinity, 1, 0, NaN]])
    expect(run(col("x").eq(col("y")), b)).toEqual([true, false, false, true, false])
    expect(run(col("x").gt(col("y")), b)).toEqual([false, true, true, false, false])
    expect(run(col("x").lt(col("y")), b)).toEqual([false, false, false, false, true])
    expect(run(col("x").ge(col("y")), b)).toEqual([true, true, true, true, false])
  })
  it("column vs literal (scalar path), literal on either side", () => {
    const f = batchOf(["x", F, [NaN, 1, -0, Infinity, null]])
    expect(run(col("x").eq(lit(NaN)), f)).toEqual([true, false, false, false, null])
    expect(run(col("x").lt(lit(NaN)), f)).toEqual([false, true, true, true, null])
    expect(run(col("x").gt(lit(1)), f)).toEqual([true, false, false, true, null])
    expect(run(col("x").eq(lit(0)), f)).toEqual([false, false, true, false, null])
    expect(run(lit(1).lt(col("x")), f)).toEqual([true, false, false, true, null])
    const i = batchOf(["x", I, [-4294967297n, -4294967296n, -1n, 0n, 4294967296n, -9223372036854775808n]])
    expect(run(col("x").lt(-4294967296n), i)).toEqual([true, false, false, false, false, true])
    expect(run(col("x").ge(lit(-1)), i)).toEqual([false, false, true, true, true, false])
    expect(run(col("x").gt(lit(-1.5)), i)).toEqual([false, false, true, true, true, false])
    expect(run(lit(0).ge(col("x")), i)).toEqual([true, true, true, true, false, true])
    const s = batchOf(["s", S, ["\u{1F600}", "\uFFFF", null, "b"]])
    expect(run(col("s").gt("\uFFFF"), s)).toEqual([true, false, null, false])
    expect(run(lit("b").eq(col("s")), s)).toEqual([false, false, null, true])
    const bo = batchOf(["p", B, [true, false, null]])
    expect(run(col("p").gt(false), bo)).toEqual([true, false, null])
    expect(run(col("p").eq(true), bo)).toEqual([true, false, null])
  })
  it("strings in code point order beyond U+FFFF", () => {
    const b = batchOf(["s", S, ["\u{1F600}", "a", "ab", "", null]], ["t", S, ["\uFFFF", "ab", "a", "", "x"]])
    expect("\u{1F600}" < "\uFFFF").toBe(true) // JS UTF-16 order disagrees
    expect(run(col("s").gt(col("t")), b)).toEqual([true, false, true, false, null])
    expect(run(col("s").eq(col("t")), b)).toEqual([false, false, false, true, null])
    expect(run(col("s").lt("b"), b)).toEqual([false, true, true, true, null])
  })
  it("bools: FALSE < TRUE; dates and timestamps", () => {
    const b = batchOf(["p", B, [false, true, true]], ["q", B, [true, true, false]], [
      "d",
      new Arrow.DateDay(),
      [new Date(Date.UTC(2020, 0, 1)), new Date(Date.UTC(2021, 0, 1)), null]
    ], ["t", new Arrow.TimestampMillisecond(), [1000, 2000, 3000]])
    expect(run(col("p").lt(col("q")), b)).toEqual([true, false, false])
    expect(run(col("d").gt(typedLit(18400, DataType.Date)), b)).toEqual([false, true, null])
    expect(run(col("t").ge(lit(new Date(2000))), b)).toEqual([false, true, true])
  })
  it("incompatible comparison is a TypeMismatch", () => {
    const b = batchOf(["s", S, ["1"]], ["i", I, [1n]])
    const e = failure(col("s").eq(col("i")), b)
    expect(e._tag).toBe("TypeMismatch")
  })
})

describe("Evaluator: IN, BETWEEN, CASE, concat, cast", () => {
  const b = batchOf(["x", I, [1n, 2n, null, 4n]], ["s", S, ["a", null, "c", "dd"]])
  it("IN with NULLs and the empty list", () => {
    expect(run(col("x").in([1, 3]), b)).toEqual([true, false, null, false])
    expect(run(col("x").in([1, null]), b)).toEqual([true, null, null, null])
    expect(run(col("x").in([]), b)).toEqual([false, false, false, false])
    expect(run(lit(null).in([]), b)).toEqual([false, false, false, false])
    expect(run(col("x").in([2.0, 4.5]), b)).toEqual([false, true, null, false])
    expect(run(col("s").in(["c", "dd"]), b)).toEqual([false, null, true, true])
  })
  it("BETWEEN inclusive with Kleene", () => {
    expect(run(col("x").between(2, 4), b)).toEqual([false, true, null, true])
    expect(run(col("x").between(lit(null), 1), b)).toEqual([null, false, null, false])
  })
  it("searched CASE, no ELSE → NULL, widening", () => {
    const c = when(col("x").lt(2)).then(lit(10)).when(col("x").lt(3)).then(lit(2.5)).end()
    expect(run(c, b)).toEqual([10, 2.5, null, null])
    expect(Evaluator.typeOf(c, b.schema)).toEqual(DataType.Float64)
    const e = when(col("x").gt(1)).then(col("s")).otherwise("none")
    expect(run(e, b)).toEqual(["none", null, "none", "dd"])
  })
  it("CASE: first TRUE wins; THEN evaluated only where selected", () => {
    const z = batchOf(["x", I, [0n, 5n, null, 10n]])
    const c = when(col("x").eq(0)).then(lit(-1)).when(lit(true)).then(lit(100).div(col("x"))).end()
    expect(run(c, z)).toEqual([-1n, 20n, null, 10n])
    const first = when(col("x").gt(1)).then("a").when(col("x").gt(6)).then("b").otherwise("c")
    expect(run(first, z)).toEqual(["c", "a", "c", "a"])
  })
  it("simple CASE", () => {
    const c = new Expr.Case({
      operand: col("x"),
      branches: [new Expr.CaseBranch({ when: lit(1), then: lit("one") }), new Expr.CaseBranch({ when: lit(4), then: lit("four") })],
      otherwise: lit("other")
    })
    expect(run(c, b)).toEqual(["one", "other", "other", "four"])
  })
  it("|| concatenation", () => {
    expect(run(col("s").concat("-").concat(col("s")), b)).toEqual(["a-a", null, "c-c", "dd-dd"])
    expect(run(col("s").concat(lit(null)), b)).toEqual([null, null, null, null])
    expect(failure(col("s").concat(col("x")), b)._tag).toBe("TypeMismatch")
  })
  it("cast", () => {
    const c = batchOf(["f", F, [1.9, -1.9, null, 1e300]], ["s", S, ["42", " 7 ", "x", "1.5"]], ["i", I, [1n, -2n, null, 0n]])
    const sl = c.slice(0, 3)
    expect(run(col("f").cast(DataType.Int64), sl)).toEqual([1n, -1n, null])
    expect(failure(col("f").cast(DataType.Int64), c)._tag).toBe("ArithmeticOverflow")
    expect(run(col("s").cast(DataType.Int64), c)).toEqual([42n, 7n, null, null])
    expect(run(col("s").cast(DataType.Float64), c)).toEqual([42, 7, null, 1.5])
    expect(run(col("i").cast(DataType.String), c)).toEqual(["1", "-2", null, "0"])
    expect(run(col("f").cast(DataType.String), sl)).toEqual(["1.9", "-1.9", null])
    expect(run(col("i").cast(DataType.Float64), c)).toEqual([1, -2, null, 0])
    expect(run(col("i").cast(DataType.Bool), c)).toEqual([true, true, null, false])
    expect(run(lit(true).cast(DataType.String), sl)).toEqual(["true", "true", "true"])
    expect(run(typedLit(3, DataType.Float64).cast(DataType.String), sl)[0]).toBe("3.0")
  })
})

describe("Evaluator: batches", () => {
  const full = batchOf(
    ["x", I, [1n, null, 3n, 4n, null, 6n, 7n, 8n, 9n, null, 11n]],
    ["s", S, ["a", "b", null, "d", "e", null, "g", "h", "i", "j", null]],
    ["p", B, [true, null, false, true, true, false, null, true, false, true, true]]
  )
  it("sliced batches respect bitmap offsets", () => {
    const s = full.slice(3)
    expect(run(col("x").add(1), s)).toEqual([5n, null, 7n, 8n, 9n, 10n, null, 12n])
    expect(run(col("x").isNull(), s)).toEqual([false, true, false, false, false, false, true, false])
    expect(run(col("p").and(col("x").gt(5)), s)).toEqual([false, null, false, null, true, false, null, true])
    expect(run(col("s").concat("!"), s)).toEqual(["d!", "e!", null, "g!", "h!", "i!", "j!", null])
    expect(run(col("p").not(), s)).toEqual([false, false, true, null, false, true, false, false])
  })
  it("CASE over list columns on a sliced batch (both evaluation paths)", () => {
    const lt = new Arrow.List(new Arrow.Field("item", S, true))
    const b = batchOf(["x", I, [0n, 1n, 2n, 3n, null, 5n]], ["l", lt, [["a"], null, ["b", "c"], [], ["d"], ["e", "f"]]]).slice(1)
    const safe = when(col("x").gt(2)).then(col("l")).end()
    expect(run(safe, b)).toEqual([null, null, [], null, ["e", "f"]])
    const failing = when(col("x").gt(2)).then(col("l")).when(lit(10).div(col("x")).eq(5)).then(lit(null)).otherwise(col("l"))
    expect(run(failing, b)).toEqual([null, null, [], ["d"], ["e", "f"]])
    expect(run(col("l").isNull(), b)).toEqual([true, false, false, false, false])
  })
  it("filterBatch keeps TRUE rows", () => {
    const out = Effect.runSync(Evaluator.filterBatch(full.slice(3), col("p")))
    expect(toJs(Batch.column(out, 0))).toEqual([4n, null, 8n, null, 11n])
    const none = Effect.runSync(Evaluator.filterBatch(full, lit(null)))
    expect(none.numRows).toBe(0)
  })
  it("empty batches", () => {
    const e = Batch.empty(full.schema)
    expect(run(col("x").add(1).gt(lit(2.5)).and(col("s").eq("a")), e)).toEqual([])
    expect(run(lit("abc"), e)).toEqual([])
    expect(run(when(col("p")).then(1).end(), e)).toEqual([])
  })
  it("literals broadcast", () => {
    expect(run(lit("h\u{1F600}"), full.slice(0, 3))).toEqual(["h\u{1F600}", "h\u{1F600}", "h\u{1F600}"])
    expect(run(lit(5), full.slice(0, 2))).toEqual([5n, 5n])
    expect(run(lit(null), full.slice(0, 2))).toEqual([null, null])
  })
  it("missing column is ColumnNotFound with the available names", () => {
    const e = failure(col("nope").add(1), full)
    expect(e._tag).toBe("ColumnNotFound")
    expect((e as any).available).toEqual(["x", "s", "p"])
  })
  it("Aggregate inside evaluate is a defect", () => {
    const exit = Effect.runSyncExit(Evaluator.evaluate(Expr.sum(col("x")), full))
    expect(Exit.isFailure(exit) && exit.cause._tag === "Die").toBe(true)
  })
  it("unknown function is InvalidPlan(UnknownFunction)", () => {
    const e = failure(Expr.call("no_such_function_xyz", col("x")), full)
    expect(e._tag).toBe("InvalidPlan")
    expect((e as any).reason).toBe("UnknownFunction")
  })
  it("checkType reports errors as Either", () => {
    expect(Either.isLeft(Evaluator.checkType(col("s").add(1), full.schema))).toBe(true)
    expect(Evaluator.checkType(col("x").in([1, 2]), full.schema)).toEqual(Either.right(DataType.Bool))
  })
})

describe("Evaluator: Int64 kernels agree with BigInt arithmetic", () => {
  const MAX = 9223372036854775807n
  const MIN = -9223372036854775808n
  const interesting = [0n, 1n, -1n, 2n, -2n, 67108863n, -67108864n, 2147483647n, -2147483648n, 4294967295n, 4294967296n,
    -4294967296n, 9007199254740993n, MAX, MIN, MAX - 1n, MIN + 1n, 3037000499n, -3037000500n]
  const values: Array<bigint> = []
  let seed = 12345n
  for (let k = 0; k < 200; k++) {
    seed = (seed * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn
    const raw = BigInt.asIntN(64, seed)
    values.push(k % 3 === 0 ? raw : k % 3 === 1 ? raw >> 33n : raw >> 58n)
  }
  const all = [...interesting, ...values]
  const xs: Array<bigint> = [], ys: Array<bigint> = []
  for (const a of all) for (const b of interesting) xs.push(a), ys.push(b)
  for (let k = 0; k + 1 < values.length; k++) xs.push(values[k]!), ys.push(values[k + 1]!)
  const batch = batchOf(["x", I, xs], ["y", I, ys])

  const check = (op: "+" | "-" | "*" | "/" | "%", ref: (a: bigint, b: bigint) => bigint) => {
    // evaluate row by row through 1-row slices only where the reference overflows / divides by zero
    const expected = xs.map((a, k) => {
      const b = ys[k]!
      if ((op === "/" || op === "%") && b === 0n) return "zero"
      const r = ref(a, b)
      return r > MAX || r < MIN ? "overflow" : r
    })
    const okRows = Int32Array.from(expected.flatMap((e, k) => (typeof e === "bigint" ? [k] : [])))
    const ok = Batch.take(batch, okRows)
    const expr = new Expr.Binary({ op, left: col("x"), right: col("y") })
    expect(run(expr, ok)).toEqual(expected.filter((e) => typeof e === "bigint"))
    for (let k = 0; k < expected.length; k++) {
      if (typeof expected[k] === "bigint") continue
      const e = failure(expr, batch.slice(k, k + 1))
      expect(e._tag).toBe(expected[k] === "zero" ? "DivisionByZero" : "ArithmeticOverflow")
    }
  }
  it("+", () => check("+", (a, b) => a + b))
  it("-", () => check("-", (a, b) => a - b))
  it("*", () => check("*", (a, b) => a * b))
  it("/", () => check("/", (a, b) => a / b))
  it("%", () => check("%", (a, b) => a % b))
  it("comparisons and NEG", () => {
    expect(run(col("x").lt(col("y")), batch)).toEqual(xs.map((a, k) => a < ys[k]!))
    expect(run(col("x").eq(col("y")), batch)).toEqual(xs.map((a, k) => a === ys[k]!))
    expect(run(col("x").ge(col("y")), batch)).toEqual(xs.map((a, k) => a >= ys[k]!))
    const noMin = Batch.take(batch, Int32Array.from(xs.flatMap((a, k) => (a === MIN ? [] : [k]))))
    expect(run(col("x").neg(), noMin)).toEqual(xs.filter((a) => a !== MIN).map((a) => -a))
    expect(run(col("x").cast(DataType.Float64), batch)).toEqual(xs.map((a) => Number(a)))
  })
})
