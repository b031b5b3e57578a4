import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { col, count } from "../../../src/Engine/Expr.js"
import * as PredicatePushdown from "../../../src/Planner/Rules/PredicatePushdown.js"
import { afterRule, person } from "./helpers.js"

const rule = PredicatePushdown.rule

describe("PredicatePushdown", () => {
  it.effect("splits conjuncts: input-only ones go below an expand, the rest stay above", () =>
    Effect.gen(function*() {
      const frame = person()
        .expand("KNOWS", { to: "Person", as: "f" })
        .filter(col("p.age").gt(21).and(col("f.age").lt(30)).and(col("p.name").eq("a")))
      expect(yield* afterRule(rule, frame)).toEqual([
        "Filter((f.age < 30))",
        "  Expand(out, KNOWS, to=Person AS f, edge AS KNOWS)",
        "    Filter(((p.age > 21) AND (p.name = 'a')))",
        "      NodeScan(Person AS p)"
      ])
    }))

  it.effect("goes below an optional expand too", () =>
    Effect.gen(function*() {
      const frame = person().optionalExpand("KNOWS", { to: "City", as: "c" }).filter(col("p.age").gt(1))
      expect(yield* afterRule(rule, frame)).toEqual([
        "Expand(out, KNOWS, to=City AS c, edge AS KNOWS, optional)",
        "  Filter((p.age > 1))",
        "    NodeScan(Person AS p)"
      ])
    }))

  it.effect("passes a Project through pass-through columns, rewriting aliased names", () =>
    Effect.gen(function*() {
      const frame = person().select("name", { a: "age" }).filter(col("a").gt(1).and(col("name").eq("x")))
      expect(yield* afterRule(rule, frame)).toEqual([
        "Project(p.name, p.age AS a)",
        "  Filter(((p.age > 1) AND (p.name = 'x')))",
        "    NodeScan(Person AS p)"
      ])
    }))

  it.effect("stops above a Project for a conjunct on a computed column", () =>
    Effect.gen(function*() {
      const frame = person().select("name", { a: col("age").add(1.5) }).filter(col("a").gt(1).and(col("name").eq("x")))
      expect(yield* afterRule(rule, frame)).toEqual([
        "Filter((a > 1))",
        "  Project(p.name, (p.age + 1.5) AS a)",
        "    Filter((p.name = 'x'))",
        "      NodeScan(Person AS p)"
      ])
    }))

  it.effect("passes a Rename with the old names and a Sort without fetch", () =>
    Effect.gen(function*() {
      const frame = person().rename("p.name", "who").orderBy("who").filter(col("who").eq("x"))
      expect(yield* afterRule(rule, frame)).toEqual([
        "Sort(who ASC)",
        "  Rename(p.name → who)",
        "    Filter((p.name = 'x'))",
        "      NodeScan(Person AS p)"
      ])
    }))

  it.effect("never passes a Limit, an Aggregate or a top-k Sort", () =>
    Effect.gen(function*() {
      expect(yield* afterRule(rule, person().limit(3).filter(col("age").gt(1)))).toEqual([
        "Filter((p.age > 1))",
        "  Limit(3)",
        "    NodeScan(Person AS p)"
      ])
      expect(yield* afterRule(rule, person().groupBy("name").agg({ c: count() }).filter(col("p.name").eq("x")))).toEqual([
        "Filter((p.name = 'x'))",
        "  Aggregate(keys=[p.name], aggs=[count(*) AS c])",
        "    NodeScan(Person AS p)"
      ])
    }))

  it.effect("goes into both branches of a union all", () =>
    Effect.gen(function*() {
      const frame = person().select("name").unionAll(person().select("name")).filter(col("p.name").eq("x"))
      expect(yield* afterRule(rule, frame)).toEqual([
        "Union(all)",
        "  Project(p.name)",
        "    Filter((p.name = 'x'))",
        "      NodeScan(Person AS p)",
        "  Project(p.name)",
        "    Filter((p.name = 'x'))",
        "      NodeScan(Person AS p)"
      ])
    }))

  it.effect("merges stacked filters and stops above the scan", () =>
    Effect.gen(function*() {
      const frame = person().filter(col("age").gt(1)).filter(col("name").eq("x"))
      expect(yield* afterRule(rule, frame)).toEqual([
        "Filter(((p.name = 'x') AND (p.age > 1)))",
        "  NodeScan(Person AS p)"
      ])
    }))

  it.effect("a conjunct that can raise an error stays where it was; safe ones still move", () =>
    Effect.gen(function*() {
      const frame = person()
        .expand("KNOWS", { to: "Person", as: "f" })
        .filter(col("p.age").div(col("f.age")).gt(1).and(col("p.name").eq("a")).and(col("p.age").mod(0).eq(0)))
      expect(yield* afterRule(rule, frame)).toEqual([
        "Filter((((p.age / f.age) > 1) AND ((p.age % 0) = 0)))",
        "  Expand(out, KNOWS, to=Person AS f, edge AS KNOWS)",
        "    Filter((p.name = 'a'))",
        "      NodeScan(Person AS p)"
      ])
    }))
})
