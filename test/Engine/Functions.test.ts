import * as Arrow from "apache-arrow"
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { ArithmeticOverflow, InvalidPlan, TypeMismatch } from "../../src/Engine/ExecutionError.js"
import * as Expr from "../../src/Engine/Expr.js"
import * as Functions from "../../src/Engine/Kernels/Functions.js"
import * as F from "../../src/Query/Functions.js"

// ---------------------------------------------------------------------------
// Helpers (building JS values per row is fine in tests)
// ---------------------------------------------------------------------------

const I = new Arrow.Int64()
const D = new Arrow.Float64()
const S = new Arrow.Utf8()
const B = new Arrow.Bool()
const DAY = new Arrow.DateDay()
const TS = new Arrow.TimestampMillisecond()
const listOf = (t: Arrow.DataType) => new Arrow.List(new Arrow.Field("item", t, true))
const vectorOf = (n: number) => new Arrow.FixedSizeList(n, new Arrow.Field("item", new Arrow.Float32(), true))

const build = (type: Arrow.DataType, values: ReadonlyArray<unknown>): Arrow.Data => {
  if (type.typeId === Arrow.Type.Null) return Arrow.makeData({ type: new Arrow.Null(), length: values.length })
  const builder = Arrow.makeBuilder({ type, nullValues: [null, undefined] })
  for (const v of values) builder.append(v as any)
  return builder.finish().flush()
}
const nulls = (n: number) => build(new Arrow.Null(), Array(n).fill(null))

const toJs = (data: Arrow.Data): Array<unknown> => {
  const v = new Arrow.Vector([data])
  return Array.from({ length: data.length }, (_, i) => {
    const x = v.get(i)
    return x !== null && typeof x === "object" && "toArray" in x ? Array.from((x as any).toArray()) : x
  })
}

const fn = (name: string): Functions.ScalarFunction => {
  const f = Functions.lookup(name)
  if (f === undefined) throw new Error(`no function ${name}`)
  return f
}

/** Types the call from its argument columns, evaluates it and returns [type, values]. */
const apply = (name: string, ...args: ReadonlyArray<Arrow.Data>): { type: DataType.DataType; values: Array<unknown> } => {
  const f = fn(name)
  const type = f.returnType(args.map((a) => DataType.fromArrow(a.type)!), `${name}(…)`)
  if (Either.isLeft(type)) throw new Error(`returnType failed: ${type.left.message}`)
  const out = f.evaluate(args, args[0]?.length ?? 0, `${name}(…)`)
  if (Either.isLeft(out)) throw new Error(`evaluate failed: ${out.left.message}`)
  expect(out.right.length).toBe(args[0]?.length ?? 0)
  const produced = DataType.fromArrow(out.right.type)!
  // The kernel's output type is the declared type (or Null for an all-NULL result of a Null input).
  if (produced._tag !== "Null") expect(DataType.display(produced)).toBe(DataType.display(type.right))
  return { type: type.right, values: toJs(out.right) }
}
const values = (name: string, ...args: ReadonlyArray<Arrow.Data>) => apply(name, ...args).values

const typeError = (name: string, ...types: ReadonlyArray<DataType.DataType>) => {
  const r = fn(name).returnType(types, `${name}(x)`)
  if (Either.isRight(r)) throw new Error(`expected a type error, got ${DataType.display(r.right)}`)
  return r.left
}
const evalError = (name: string, ...args: ReadonlyArray<Arrow.Data>) => {
  const r = fn(name).evaluate(args, args[0]!.length, `${name}(x)`)
  if (Either.isRight(r)) throw new Error("expected an evaluation error")
  return r.left
}

const strs = (...v: ReadonlyArray<string | null>) => build(S, v)
const ints = (...v: ReadonlyArray<number | bigint | null>) => build(I, v.map((x) => (typeof x === "number" ? BigInt(x) : x)))
const floats = (...v: ReadonlyArray<number | null>) => build(D, v)
/** A constant string column of n rows. */
const constStr = (value: string, n: number) => strs(...Array(n).fill(value))

// ---------------------------------------------------------------------------

describe("registry", () => {
  it("looks names up case-insensitively and lists them", () => {
    expect(Functions.lookup("LOWER")?.name).toBe("lower")
    expect(Functions.lookup("Starts_With")?.name).toBe("starts_with")
    expect(Functions.lookup("nope")).toBeUndefined()
    expect(Functions.lookup("id")).toBeUndefined()
    expect(Functions.lookup("cast")).toBeUndefined()
    for (const name of [
      "lower", "upper", "trim", "length", "substring", "replace", "starts_with", "ends_with", "contains",
      "matches", "like", "split", "concat", "abs", "ceil", "floor", "round", "sqrt", "power", "coalesce",
      "year", "month", "day", "size", "contains_element", "sim"
    ]) expect(Functions.names).toContain(name)
  })

  it("wrong arity is InvalidPlan(InvalidArgument) from returnType and evaluate", () => {
    const e = fn("lower").returnType([DataType.String, DataType.String], "lower(a, b)")
    expect(Either.isLeft(e)).toBe(true)
    const err = Either.getLeft(e).pipe((o) => (o._tag === "Some" ? o.value : undefined))
    expect(err).toBeInstanceOf(InvalidPlan)
    expect((err as InvalidPlan).reason).toBe("InvalidArgument")
    expect((err as InvalidPlan).detail).toContain("lower(a, b)")
    expect(typeError("substring", DataType.String)).toBeInstanceOf(InvalidPlan)
    expect(typeError("substring", DataType.String, DataType.Int64, DataType.Int64, DataType.Int64)).toBeInstanceOf(InvalidPlan)
    expect(typeError("coalesce")).toBeInstanceOf(InvalidPlan)
    expect(typeError("power", DataType.Float64)).toBeInstanceOf(InvalidPlan)
    const ev = fn("sqrt").evaluate([floats(1), floats(2)], 1, "sqrt(a, b)")
    expect(Either.isLeft(ev) && ev.left._tag === "InvalidPlan" && ev.left.reason === "InvalidArgument").toBe(true)
  })

  it("argument type errors are TypeMismatch with expected, actual and expression", () => {
    const e = fn("lower").returnType([DataType.Int64], "lower(p.age)")
    expect(Either.isLeft(e)).toBe(true)
    if (Either.isLeft(e)) {
      expect(e.left).toBeInstanceOf(TypeMismatch)
      expect(e.left).toMatchObject({ expected: "String", actual: "Int64", expression: "lower(p.age)" })
    }
    expect(typeError("abs", DataType.String)).toMatchObject({ _tag: "TypeMismatch", actual: "String" })
    expect(typeError("substring", DataType.String, DataType.Float64)).toMatchObject({ expected: "Int64", actual: "Float64" })
    expect(typeError("year", DataType.Int64)).toMatchObject({ expected: "Date or Timestamp" })
    expect(typeError("size", DataType.Int64)).toMatchObject({ _tag: "TypeMismatch" })
    expect(typeError("concat", DataType.String, DataType.Int64)).toMatchObject({ expected: "String", actual: "Int64" })
    expect(typeError("starts_with", DataType.String, DataType.Bool)).toMatchObject({ actual: "Bool" })
    expect(typeError("round", DataType.Float64, DataType.Float64)).toMatchObject({ expected: "Int64", actual: "Float64" })
    expect(typeError("contains_element", DataType.List(DataType.String), DataType.Int64)).toMatchObject({
      expected: "String",
      actual: "Int64"
    })
    expect(typeError("contains_element", DataType.String, DataType.String)).toMatchObject({ _tag: "TypeMismatch" })
    expect(typeError("sim", DataType.Vector(3), DataType.Vector(4))).toMatchObject({ expected: "Vector(3)", actual: "Vector(4)" })
    expect(typeError("sim", DataType.List(DataType.String), DataType.Vector(4))).toMatchObject({ _tag: "TypeMismatch" })
  })
})

describe("string functions", () => {
  it("lower / upper: ASCII, non-ASCII, empty, NULL", () => {
    const s = strs("Hello", "ÉCOLE é", "", null, "straße", "😀Ab")
    expect(values("lower", s)).toEqual(["hello", "école é", "", null, "straße", "😀ab"])
    expect(values("upper", s)).toEqual(["HELLO", "ÉCOLE É", "", null, "STRASSE", "😀AB"])
    expect(values("lower", nulls(2))).toEqual([null, null])
    expect(apply("lower", nulls(2)).type).toEqual(DataType.String)
  })

  it("trim: ASCII and Unicode whitespace", () => {
    expect(values("trim", strs("  a b  ", "\t\nx\r ", "", "   ", null, "\u00a0é\u3000", "abc"))).toEqual([
      "a b", "x", "", "", null, "é", "abc"
    ])
  })

  it("length counts code points", () => {
    const r = apply("length", strs("abc", "", "é", "😀", "a😀é", null))
    expect(r.type).toEqual(DataType.Int64)
    expect(r.values).toEqual([3n, 0n, 1n, 1n, 3n, null])
  })

  it("substring is 0-based and by code point", () => {
    const s = strs("hello", "a😀bé", "", "abc", null, "xyz")
    expect(values("substring", s, ints(1, 1, 0, 5, 0, null))).toEqual(["ello", "😀bé", "", "", null, null])
    expect(values("substring", s, ints(1, 1, 0, 1, 0, 0), ints(3, 2, 1, 100, 1, null))).toEqual([
      "ell", "😀b", "", "bc", null, null
    ])
    expect(values("substring", s, ints(0, 0, 0, 0, 0, 0), ints(0, 0, 0, 0, 0, 0))).toEqual(["", "", "", "", null, ""])
    expect(evalError("substring", strs("abc"), ints(-1))).toMatchObject({ _tag: "InvalidPlan", reason: "InvalidArgument" })
    // a negative start on a NULL row is not an error (NULL wins)
    expect(values("substring", strs(null), ints(-1))).toEqual([null])
  })

  it("replace: every occurrence, multi-byte, empty pattern", () => {
    const r = values(
      "replace",
      strs("a.b.c", "ééé", "hello", "", null, "abc"),
      strs(".", "é", "xyz", "a", "a", ""),
      strs("--", "e", "q", "b", "b", "-")
    )
    expect(r).toEqual(["a--b--c", "eee", "hello", "", null, "-a-b-c-"])
    expect(values("replace", strs("aaa"), strs("aa"), strs("b"))).toEqual(["ba"])
    expect(values("replace", strs("x😀y"), strs(""), strs("|"))).toEqual(["|x|😀|y|"])
  })

  it("starts_with / ends_with / contains compare bytes", () => {
    const s = strs("hello", "hello", "", "é😀", null, "abc")
    const p = strs("he", "lo", "", "😀", "a", null)
    expect(values("starts_with", s, p)).toEqual([true, false, true, false, null, null])
    expect(values("ends_with", s, p)).toEqual([false, true, true, true, null, null])
    expect(values("contains", s, strs("ll", "xx", "", "é", "a", null))).toEqual([true, false, true, true, null, null])
    expect(values("starts_with", strs("ab"), strs("abc"))).toEqual([false])
    expect(values("ends_with", strs("ab"), strs("zab"))).toEqual([false])
    expect(values("contains", strs("ab"), strs("abc"))).toEqual([false])
  })

  it("matches: whole-string regular expressions, constant and per-row patterns", () => {
    const s = strs("abc", "abcd", "", "😀", null, "ABC")
    expect(values("matches", s, constStr("a.c", 6))).toEqual([true, false, false, false, null, false])
    expect(values("matches", s, strs("ab", "ab.*", ".*", ".", "x", "(?:abc|ABC)"))).toEqual([
      false, true, true, true, null, true
    ])
    expect(evalError("matches", strs("a"), strs("("))).toMatchObject({ _tag: "InvalidPlan", reason: "InvalidArgument" })
  })

  it("like: % and _ (one code point), escapes, regex characters are literal", () => {
    const s = strs("hello", "help", "he", "h😀p", "a.c", "50%", null, "")
    expect(values("like", s, constStr("he%", 8))).toEqual([true, true, true, false, false, false, null, false])
    expect(values("like", s, constStr("h_l%", 8))).toEqual([true, true, false, false, false, false, null, false])
    expect(values("like", s, constStr("h_p", 8))).toEqual([false, false, false, true, false, false, null, false])
    expect(values("like", s, constStr("a.c", 8))).toEqual([false, false, false, false, true, false, null, false])
    expect(values("like", strs("abc", "50%", "a\nb"), strs("a_c", "50\\%", "a%b"))).toEqual([true, true, true])
    expect(values("like", strs("50x"), strs("50\\%"))).toEqual([false])
    expect(values("like", strs(""), strs("%"))).toEqual([true])
  })

  it("split returns List<String>", () => {
    const r = apply("split", strs("a,b,,c", "", "abc", null, "x😀y", "a--b"), strs(",", ",", "", ",", "", "--"))
    expect(r.type).toEqual(DataType.List(DataType.String))
    expect(r.values).toEqual([["a", "b", "", "c"], [""], ["a", "b", "c"], null, ["x", "😀", "y"], ["a", "b"]])
    expect(values("split", strs("a,"), strs(","))).toEqual([["a", ""]])
  })

  it("concat joins strings and propagates NULL", () => {
    expect(values("concat", strs("a", "é", null, ""), strs("b", "😀", "x", ""), strs("c", "", "y", ""))).toEqual([
      "abc", "é😀", null, ""
    ])
    expect(values("concat", strs("a"), nulls(1))).toEqual([null])
  })

  it("works on sliced columns", () => {
    const s = strs("XX", null, "AbC", "dÉ", null, "x").slice(1, 3)
    expect(values("lower", s)).toEqual([null, "abc", "dé"])
    expect(values("length", s)).toEqual([null, 3n, 2n])
    expect(values("starts_with", s, strs("a", "Ab", "d").slice(0, 3))).toEqual([null, true, true])
  })
})

describe("math functions", () => {
  it("abs keeps Int64, overflows on the minimum", () => {
    const r = apply("abs", ints(-3, 0, 5, null))
    expect(r.type).toEqual(DataType.Int64)
    expect(r.values).toEqual([3n, 0n, 5n, null])
    expect(values("abs", floats(-1.5, 2, null, -0))).toEqual([1.5, 2, null, 0])
    expect(evalError("abs", ints(-(2n ** 63n)))).toBeInstanceOf(ArithmeticOverflow)
    expect(values("abs", ints(-(2n ** 63n), 1).slice(1, 1))).toEqual([1n])
    expect(values("abs", ints(null, 1))).toEqual([null, 1n])
  })

  it("ceil / floor", () => {
    expect(apply("ceil", ints(3, null)).values).toEqual([3n, null])
    expect(apply("ceil", ints(3)).type).toEqual(DataType.Int64)
    expect(values("ceil", floats(1.2, -1.2, null))).toEqual([2, -1, null])
    expect(values("floor", floats(1.8, -1.2, null))).toEqual([1, -2, null])
    expect(apply("floor", floats(1)).type).toEqual(DataType.Float64)
  })

  it("round: half away from zero, with digits", () => {
    expect(values("round", floats(2.5, -2.5, 1.4, -1.6, null, 0.49999999999999994))).toEqual([3, -3, 1, -2, null, 0])
    expect(values("round", floats(1.005, 3.14159, -1.005, 1234.5, 2.5, null), ints(2, 3, 2, -2, 0, 1))).toEqual([
      1.01, 3.142, -1.01, 1200, 3, null
    ])
    expect(values("round", floats(1e-7, 1e300, 0.125), ints(7, 2, 2))).toEqual([1e-7, 1e300, 0.13])
    expect(values("round", floats(1.5), ints(null))).toEqual([null])
    const ir = apply("round", ints(1234, -1250, 7, null), ints(-2, -2, 3, 0))
    expect(ir.type).toEqual(DataType.Int64)
    expect(ir.values).toEqual([1200n, -1300n, 7n, null])
    expect(values("round", ints(5), ints(-1))).toEqual([10n])
    expect(evalError("round", ints(2n ** 63n - 1n), ints(-1))).toBeInstanceOf(ArithmeticOverflow)
  })

  it("sqrt and power give Float64", () => {
    const r = apply("sqrt", ints(4, 2, null))
    expect(r.type).toEqual(DataType.Float64)
    expect(r.values).toEqual([2, Math.SQRT2, null])
    const neg = values("sqrt", floats(-1))
    expect(Number.isNaN(neg[0])).toBe(true)
    expect(values("power", ints(2, 2, null, 9), floats(10, -1, 2, 0.5))).toEqual([1024, 0.5, null, 3])
    expect(apply("power", ints(2), ints(3)).values).toEqual([8])
  })
})

describe("coalesce", () => {
  it("first non-NULL, never NULL-propagating", () => {
    expect(values("coalesce", strs(null, "a", null), strs("b", "c", null), strs("z", "z", null))).toEqual(["b", "a", null])
    expect(values("coalesce", nulls(2), ints(1, null), ints(7, 8))).toEqual([1n, 8n])
    expect(values("coalesce", ints(1, 2))).toEqual([1n, 2n])
  })

  it("widens Int64 with Float64", () => {
    const r = apply("coalesce", ints(1, null, null), floats(2.5, 3.5, null))
    expect(r.type).toEqual(DataType.Float64)
    expect(r.values).toEqual([1, 3.5, null])
  })

  it("all-NULL arguments give a Null column", () => {
    const r = apply("coalesce", nulls(2), nulls(2))
    expect(r.type).toEqual(DataType.Null)
    expect(r.values).toEqual([null, null])
  })

  it("incompatible types are a TypeMismatch", () => {
    expect(typeError("coalesce", DataType.Int64, DataType.String)).toMatchObject({
      _tag: "TypeMismatch",
      expected: "Int64",
      actual: "String",
      expression: "coalesce(x)"
    })
  })
})

describe("dates", () => {
  const day = (iso: string) => Math.round(Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / 86_400_000)
  it("year / month / day of Date, before and after 1970", () => {
    const dates = Arrow.makeData({ type: DAY, length: 6, data: new Int32Array([0, -1, day("1900-03-01"), day("2000-02-29"), day("1600-12-31"), day("2024-07-15")]) })
    expect(values("year", dates)).toEqual([1970n, 1969n, 1900n, 2000n, 1600n, 2024n])
    expect(values("month", dates)).toEqual([1n, 12n, 3n, 2n, 12n, 7n])
    expect(values("day", dates)).toEqual([1n, 31n, 1n, 29n, 31n, 15n])
    expect(apply("year", dates).type).toEqual(DataType.Int64)
  })

  it("year / month / day of Timestamp (UTC) and NULL", () => {
    const t = build(TS, [Date.UTC(2021, 11, 31, 23, 59, 59, 999), Date.UTC(1969, 11, 31, 23, 0), -1, null])
    expect(values("year", t)).toEqual([2021n, 1969n, 1969n, null])
    expect(values("month", t)).toEqual([12n, 12n, 12n, null])
    expect(values("day", t)).toEqual([31n, 31n, 31n, null])
    expect(values("day", nulls(1))).toEqual([null])
  })

  it("agrees with JavaScript Date over a range of days", () => {
    const days = Array.from({ length: 400 }, (_, k) => (k - 200) * 997)
    const data = Arrow.makeData({ type: DAY, length: days.length, data: Int32Array.from(days) })
    const ys = values("year", data), ms = values("month", data), ds = values("day", data)
    days.forEach((d, k) => {
      const js = new Date(d * 86_400_000)
      expect([ys[k], ms[k], ds[k]]).toEqual([BigInt(js.getUTCFullYear()), BigInt(js.getUTCMonth() + 1), BigInt(js.getUTCDate())])
    })
  })
})

describe("lists and vectors", () => {
  it("size of lists, vectors and strings", () => {
    expect(values("size", build(listOf(I), [[1n, 2n], [], null, [null]]))).toEqual([2n, 0n, null, 1n])
    expect(values("size", build(vectorOf(3), [new Float32Array([1, 2, 3]), null]))).toEqual([3n, null])
    expect(values("size", strs("a😀", null))).toEqual([2n, null])
  })

  it("contains_element", () => {
    const l = build(listOf(S), [["a", "b"], ["é"], [], null, ["x", null], ["a"]])
    expect(values("contains_element", l, strs("b", "é", "a", "a", "y", null))).toEqual([true, true, false, null, false, null])
    const li = build(listOf(I), [[1n, 2n], [3n], [null, 4n]])
    expect(values("contains_element", li, floats(2, 3.5, 4))).toEqual([true, false, true])
    expect(values("contains_element", build(listOf(D), [[NaN], [0]]), floats(NaN, -0))).toEqual([true, true])
    expect(values("contains_element", build(listOf(B), [[true], [false, true]]), build(B, [false, true]))).toEqual([false, true])
    expect(apply("contains_element", li, ints(1, 1, 1)).type).toEqual(DataType.Bool)
    // sliced list and sliced probe
    expect(values("contains_element", li.slice(1, 2), ints(9, 3, 4).slice(1, 2))).toEqual([true, true])
    expect(values("contains_element", nulls(1), ints(1))).toEqual([null])
  })

  it("sim: cosine similarity of vectors and lists", () => {
    const a = build(vectorOf(2), [new Float32Array([1, 0]), new Float32Array([1, 2]), new Float32Array([3, 4]), null, new Float32Array([0, 0])])
    const b = build(vectorOf(2), [new Float32Array([0, 1]), new Float32Array([1, 2]), new Float32Array([-3, -4]), new Float32Array([1, 1]), new Float32Array([1, 0])])
    const r = values("sim", a, b) as Array<number | null>
    expect(r[0]).toBe(0)
    expect(r[1]).toBeCloseTo(1, 12)
    expect(r[2]).toBeCloseTo(-1, 12)
    expect(r[3]).toBeNull()
    expect(Number.isNaN(r[4])).toBe(true)
    const l = build(listOf(D), [[1, 1], [2, 0], null])
    const rl = apply("sim", l, build(listOf(D), [[2, 2], [0, 3], [1, 1]]))
    expect(rl.type).toEqual(DataType.Float64)
    expect((rl.values[0] as number)).toBeCloseTo(1, 12)
    expect(rl.values.slice(1)).toEqual([0, null])
    // a vector against a list, and a list with a NULL element
    expect((values("sim", a.slice(1, 1), build(listOf(D), [[2, 4]]))[0] as number)).toBeCloseTo(1, 6)
    expect(values("sim", build(listOf(D), [[1, null]]), build(listOf(D), [[1, 1]]))).toEqual([null])
    expect(evalError("sim", build(listOf(D), [[1, 2]]), build(listOf(D), [[1, 2, 3]]))).toMatchObject({ reason: "InvalidArgument" })
  })

  it("sim on a sliced vector column", () => {
    const a = build(vectorOf(2), [new Float32Array([9, 9]), new Float32Array([1, 0]), new Float32Array([0, 1])]).slice(1, 2)
    const b = build(vectorOf(2), [new Float32Array([1, 0]), new Float32Array([1, 0])])
    expect(values("sim", a, b)).toEqual([1, 0])
  })
})

describe("Query builders", () => {
  it("build Expr.Call nodes with literal arguments", () => {
    expect(F.lower(Expr.col("p.name"))).toEqual(Expr.call("lower", Expr.col("p.name")))
    const s = F.substring(Expr.col("s"), 1, 2)
    expect(s.name).toBe("substring")
    expect(s.args).toHaveLength(3)
    expect(F.substring("abc", 1).args).toHaveLength(2)
    expect(F.round(1.5).args).toHaveLength(1)
    expect(F.startsWith(Expr.col("s"), "a").name).toBe("starts_with")
    expect(F.containsElement(Expr.col("l"), 1).name).toBe("contains_element")
    expect(F.concat("a", "b", "c").args).toHaveLength(3)
    expect(F.coalesce(Expr.col("a"), 0).args[1]).toEqual(Expr.lit(0))
    expect(Expr.display(F.upper(Expr.col("p.name")))).toContain("upper")
    for (const name of ["id", "labels", "type", "properties"] as const) expect(F[name](Expr.col("p")).name).toBe(name)
  })

  it("every builder (except the graph ones) names a registered function", () => {
    const calls = [
      F.lower("a"), F.upper("a"), F.trim("a"), F.length("a"), F.substring("a", 0), F.replace("a", "b", "c"),
      F.startsWith("a", "b"), F.endsWith("a", "b"), F.contains("a", "b"), F.matches("a", "b"), F.like("a", "b"),
      F.split("a", "b"), F.concat("a", "b"), F.abs(1), F.ceil(1), F.floor(1), F.round(1, 1), F.sqrt(1),
      F.power(1, 2), F.coalesce(1, 2), F.year(Expr.col("d")), F.month(Expr.col("d")), F.day(Expr.col("d")),
      F.size(Expr.col("l")), F.containsElement(Expr.col("l"), 1), F.sim(Expr.col("a"), Expr.col("b"))
    ]
    for (const c of calls) expect(Functions.lookup(c.name)).toBeDefined()
  })
})
