import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import * as Expr from "../../src/Engine/Expr.js"
import { col, lit, typedLit, when } from "../../src/Engine/Expr.js"

const roundTrip = (expr: Expr.Expr): Expr.Expr => {
  const json = JSON.stringify(Schema.encodeSync(Expr.Expr)(expr))
  return Schema.decodeUnknownSync(Expr.Expr)(JSON.parse(json))
}

const samples: ReadonlyArray<Expr.Expr> = [
  lit(null),
  lit(true),
  lit(42),
  lit(9223372036854775807n),
  lit(-9223372036854775808n),
  lit(2.5),
  lit(NaN),
  lit(-0),
  lit(Infinity),
  lit(-Infinity),
  lit("it's \u{1F600}"),
  lit(new Date(86400000)),
  typedLit(19000, DataType.Date),
  typedLit(null, DataType.List(DataType.String)),
  col("p.age").add(1).mul(lit(2.5)).gt(col("q.x")).and(col("p.name").isNotNull()).or(lit(false).not()),
  col("p.age").neg().div(3).mod(2).sub(lit(-0)),
  col("s").concat("x").ne("y"),
  col("x").in([1, null, 2.5]),
  col("x").in([]),
  col("x").between(1, lit(NaN)),
  when(col("a").lt(1)).then("lt").when(col("a").le(2)).then(lit(null)).otherwise("ge"),
  when(col("a").isNull()).then(1).end(),
  new Expr.Case({ operand: col("k"), branches: [new Expr.CaseBranch({ when: lit(1), then: lit("one") })] }),
  Expr.call("lower", col("p.name")),
  col("v").cast(DataType.Vector(3)),
  col("x").cast(DataType.List(DataType.List(DataType.Int64))),
  Expr.count(),
  Expr.sum(col("x")),
  Expr.collectDistinct(col("x").ge(0)),
  col("x").add(1).as("y")
]

describe("Expr JSON round trip", () => {
  it("encode → JSON → decode gives an equal expression with the same display", () => {
    for (const expr of samples) {
      const back = roundTrip(expr)
      expect(back._tag).toBe(expr._tag)
      expect(Expr.display(back)).toBe(Expr.display(expr))
      expect(back).toEqual(expr)
      expect(JSON.stringify(Schema.encodeSync(Expr.Expr)(back))).toBe(JSON.stringify(Schema.encodeSync(Expr.Expr)(expr)))
    }
  })
  it("keeps bigint, NaN, -0 and ±Infinity exactly", () => {
    const v = (e: Expr.Expr) => (roundTrip(e) as Expr.Literal).value
    expect(v(lit(9223372036854775807n))).toBe(9223372036854775807n)
    expect(v(lit(-12n))).toBe(-12n)
    expect(Number.isNaN(v(lit(NaN)))).toBe(true)
    expect(Object.is(v(lit(-0)), -0)).toBe(true)
    expect(v(lit(Infinity))).toBe(Infinity)
    expect(v(lit(-Infinity))).toBe(-Infinity)
    expect((roundTrip(lit(-0)) as Expr.Literal).dataType).toEqual(DataType.Float64)
  })
  it("decoded nodes keep their classes and builder methods", () => {
    const back = roundTrip(col("x").add(1))
    expect(back).toBeInstanceOf(Expr.Binary)
    expect(Expr.display(back.gt(2))).toBe("((x + 1) > 2)")
    const c = roundTrip(when(col("a")).then(1).otherwise(2)) as Expr.Case
    expect(c.branches[0]).toBeInstanceOf(Expr.CaseBranch)
  })
})
