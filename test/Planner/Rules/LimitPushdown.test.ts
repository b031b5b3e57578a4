import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { col, count } from "../../../src/Engine/Expr.js"
import * as LimitPushdown from "../../../src/Planner/Rules/LimitPushdown.js"
import { afterRule, person } from "./helpers.js"

const rule = LimitPushdown.rule

describe("LimitPushdown", () => {
  it.effect("Sort + Limit becomes a top-k of offset + limit; the Limit stays", () =>
    Effect.gen(function*() {
      expect(yield* afterRule(rule, person().orderBy(col("age").desc()).offset(2).limit(3))).toEqual([
        "Limit(3, offset=2)",
        "  Sort(p.age DESC, fetch=5)",
        "    NodeScan(Person AS p)"
      ])
    }))

  it.effect("a top-k reaches a Sort through a Project", () =>
    Effect.gen(function*() {
      expect(yield* afterRule(rule, person().orderBy("age").select("name").limit(4))).toEqual([
        "Limit(4)",
        "  Project(p.name)",
        "    Sort(p.age ASC, fetch=4)",
        "      NodeScan(Person AS p)"
      ])
    }))

  it.effect("pushes offset + limit into the scan through Project and Rename", () =>
    Effect.gen(function*() {
      expect(yield* afterRule(rule, person().select("name").rename("p.name", "n").offset(1).limit(2))).toEqual([
        "Limit(2, offset=1)",
        "  Rename(p.name → n)",
        "    Project(p.name)",
        "      NodeScan(Person AS p, limit=3)"
      ])
    }))

  it.effect("does not push past operators that change the row count", () =>
    Effect.gen(function*() {
      expect(yield* afterRule(rule, person().filter(col("age").gt(1)).limit(2))).toEqual([
        "Limit(2)",
        "  Filter((p.age > 1))",
        "    NodeScan(Person AS p)"
      ])
      expect(yield* afterRule(rule, person().expand("KNOWS", { to: "City", as: "c" }).limit(2))).toEqual([
        "Limit(2)",
        "  Expand(out, KNOWS, to=City AS c, edge AS KNOWS)",
        "    NodeScan(Person AS p)"
      ])
      expect(yield* afterRule(rule, person().agg({ c: count() }).limit(1))).toEqual([
        "Limit(1)",
        "  Aggregate(keys=[], aggs=[count(*) AS c])",
        "    NodeScan(Person AS p)"
      ])
    }))

  it.effect("a limit without a count (offset only) pushes nothing", () =>
    Effect.gen(function*() {
      expect(yield* afterRule(rule, person().offset(2))).toEqual(["Limit(offset=2)", "  NodeScan(Person AS p)"])
    }))

  it.effect("merges stacked limits in call order", () =>
    Effect.gen(function*() {
      // rows 2..6, then at most 3 of them: rows 2..4
      expect(yield* afterRule(rule, person().offset(2).limit(5).limit(3))).toEqual([
        "Limit(3, offset=2)",
        "  NodeScan(Person AS p, limit=5)"
      ])
      // rows 0..4, then skip 2: rows 2..4
      expect(yield* afterRule(rule, person().limit(5).offset(2))).toEqual([
        "Limit(3, offset=2)",
        "  NodeScan(Person AS p, limit=5)"
      ])
      // rows 0..1, then skip 4: nothing
      expect(yield* afterRule(rule, person().limit(2).offset(4))).toEqual([
        "Limit(0, offset=4)",
        "  NodeScan(Person AS p, limit=4)"
      ])
    }))

  it.effect("each branch of a union all needs at most offset + limit rows", () =>
    Effect.gen(function*() {
      expect(yield* afterRule(rule, person().select("name").unionAll(person().select("name")).limit(2))).toEqual([
        "Limit(2)",
        "  Union(all)",
        "    Project(p.name)",
        "      NodeScan(Person AS p, limit=2)",
        "    Project(p.name)",
        "      NodeScan(Person AS p, limit=2)"
      ])
    }))

  it.effect("a union distinct is not a row-count-preserving path", () =>
    Effect.gen(function*() {
      const lines = yield* afterRule(rule, person().select("name").union(person().select("name")).limit(2))
      expect(lines.filter((l) => l.includes("limit="))).toEqual([])
    }))
})
