import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as DataType from "../../../src/Engine/DataType.js"
import * as Expr from "../../../src/Engine/Expr.js"
import { call, col, lit, typedLit, when } from "../../../src/Engine/Expr.js"
import * as ConstantFolding from "../../../src/Planner/Rules/ConstantFolding.js"
import type * as LogicalPlan from "../../../src/Query/LogicalPlan.js"
import { afterRule, applyRule, person } from "./helpers.js"

const rule = ConstantFolding.rule

/** The folded operand of the single aliased column `a` of `select({ a: expr })`. */
const folded = (expr: Expr.Expr) =>
  Effect.map(applyRule(rule, person().select({ a: expr })), (plan) => {
    const project = plan as LogicalPlan.Project
    return (project.exprs[0] as Expr.Alias).operand
  })

const literal = (value: Expr.LiteralValue, type: DataType.DataType) => new Expr.Literal({ value, dataType: type })

describe("ConstantFolding", () => {
  it.effect("folds column-free arithmetic, strings and CASE to literals of their type", () =>
    Effect.gen(function*() {
      expect(yield* folded(lit(1).add(2).mul(3))).toEqual(literal(9n, DataType.Int64))
      expect(yield* folded(lit(1).add(2.5))).toEqual(literal(3.5, DataType.Float64))
      expect(yield* folded(lit("a").concat("b"))).toEqual(literal("ab", DataType.String))
      expect(yield* folded(when(lit(1).gt(2)).then("x").otherwise("y"))).toEqual(literal("y", DataType.String))
      expect(yield* folded(call("coalesce", lit(null), lit(2.5)))).toEqual(literal(2.5, DataType.Float64))
      expect(yield* folded(call("year", typedLit(0, DataType.Date)))).toEqual(literal(1970n, DataType.Int64))
      expect(yield* folded(lit(2).in([1, 2]))).toEqual(literal(true, DataType.Bool))
    }))

  it.effect("folds inside expressions that read columns", () =>
    Effect.gen(function*() {
      const out = yield* folded(col("age").add(lit(2).mul(3)))
      expect(out).toEqual(new Expr.Binary({ op: "+", left: col("p.age"), right: literal(6n, DataType.Int64) }))
    }))

  it.effect("keeps an expression whose evaluation fails, so the error stays at run time", () =>
    Effect.gen(function*() {
      const out = yield* folded(lit(1).div(0))
      expect(Expr.display(out)).toBe("(1 / 0)")
      const overflow = yield* folded(lit(9223372036854775807n).add(1))
      expect(Expr.display(overflow)).toBe("(9223372036854775807 + 1)")
    }))

  it.effect("a CASE whose failing branch is never taken folds", () =>
    Effect.gen(function*() {
      expect(yield* folded(when(lit(false)).then(lit(1).div(0)).otherwise(3))).toEqual(literal(3n, DataType.Int64))
    }))

  it.effect("NULL propagates through arithmetic and comparison with a column", () =>
    Effect.gen(function*() {
      expect(yield* folded(col("age").add(lit(null)))).toEqual(literal(null, DataType.Int64))
      expect(yield* folded(col("score").mul(lit(null)))).toEqual(literal(null, DataType.Float64))
      expect(yield* folded(col("name").eq(lit(null)))).toEqual(literal(null, DataType.Bool))
      // NULL / 0 is NULL (NULL wins over the error)
      expect(yield* folded(lit(null).div(0))).toEqual(literal(null, DataType.Int64))
    }))

  it.effect("NULL does not swallow a side that can fail", () =>
    Effect.gen(function*() {
      const out = yield* folded(lit(null).add(col("age").div(0)))
      expect(out._tag).toBe("Binary")
    }))

  it.effect("Kleene identities: FALSE AND x, TRUE OR x, x AND TRUE, x OR FALSE", () =>
    Effect.gen(function*() {
      const x = col("age").gt(1)
      expect(yield* folded(lit(false).and(x))).toEqual(literal(false, DataType.Bool))
      expect(yield* folded(x.or(lit(true)))).toEqual(literal(true, DataType.Bool))
      expect(Expr.display(yield* folded(x.and(lit(true))))).toBe("(p.age > 1)")
      expect(Expr.display(yield* folded(lit(false).or(x)))).toBe("(p.age > 1)")
      // NULL AND x depends on x: kept
      expect(Expr.display(yield* folded(lit(null).and(x)))).toBe("(NULL AND (p.age > 1))")
    }))

  it.effect("FALSE AND x keeps x when x can raise an error", () =>
    Effect.gen(function*() {
      const out = yield* folded(lit(false).and(col("age").div(0).gt(1)))
      expect(Expr.display(out)).toBe("(false AND ((p.age / 0) > 1))")
    }))

  it.effect("a filter that folds to TRUE is removed", () =>
    Effect.gen(function*() {
      expect(yield* afterRule(rule, person().filter(lit(1).lt(2)))).toEqual(["NodeScan(Person AS p)"])
      expect(yield* afterRule(rule, person().filter(lit(true).or(col("age").gt(1))))).toEqual(["NodeScan(Person AS p)"])
    }))

  it.effect("a filter that folds to FALSE or NULL becomes an empty relation with the same schema", () =>
    Effect.gen(function*() {
      expect(yield* afterRule(rule, person().filter(lit(false).and(col("age").gt(1))).select("name"))).toEqual([
        "Project(p.name)",
        "  Limit(0)",
        "    NodeScan(Person AS p)"
      ])
      expect(yield* afterRule(rule, person().filter(lit(null).eq(1)))).toEqual([
        "Limit(0)",
        "  NodeScan(Person AS p)"
      ])
    }))

  it.effect("folds sort keys and aggregate arguments", () =>
    Effect.gen(function*() {
      const lines = yield* afterRule(
        rule,
        person().groupBy("name").agg({ s: Expr.sum(col("age").mul(lit(2).add(1))) }).orderBy(col("s").add(lit(1).sub(1)).desc())
      )
      expect(lines).toEqual([
        "Sort((s + 0) DESC)",
        "  Aggregate(keys=[p.name], aggs=[sum((p.age * 3)) AS s])",
        "    NodeScan(Person AS p)"
      ])
    }))
})
