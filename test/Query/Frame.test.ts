import { describe, expect, it } from "@effect/vitest"
import { col, count, lit } from "../../src/Engine/Expr.js"
import * as Expr from "../../src/Engine/Expr.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import * as LogicalPlan from "../../src/Query/LogicalPlan.js"

const person = () => Hypergraph.nodes("Person", { as: "p" })

const limitOf = (plan: LogicalPlan.LogicalPlan) => {
  expect(plan._tag).toBe("Limit")
  const l = plan as LogicalPlan.Limit
  expect(l.input._tag).toBe("NodeScan")
  return { limit: l.limit, offset: l.offset }
}

describe("Frame", () => {
  it("entry points build scans", () => {
    expect(Hypergraph.nodes("Person").plan).toEqual(new LogicalPlan.NodeScan({ label: "Person" }))
    expect(Hypergraph.nodes(undefined, { as: "n" }).plan).toEqual(new LogicalPlan.NodeScan({ alias: "n" }))
    expect(Hypergraph.hyperedges("MEETING", { as: "m" }).plan).toEqual(
      new LogicalPlan.HyperedgeScan({ label: "MEETING", alias: "m", binaryOnly: false })
    )
    expect(Hypergraph.edges("KNOWS").plan).toEqual(new LogicalPlan.HyperedgeScan({ label: "KNOWS", binaryOnly: true }))
    const plan = new LogicalPlan.NodeScan({ label: "X" })
    expect(Hypergraph.fromPlan(plan).plan).toBe(plan)
  })

  it("frames are immutable: each call returns a new frame and leaves the old one alone", () => {
    const base = person()
    const filtered = base.filter(col("p.age").gt(1))
    expect(filtered).not.toBe(base)
    expect(base.plan._tag).toBe("NodeScan")
    expect(filtered.plan._tag).toBe("Filter")
    expect(base.where(col("p.age").gt(1)).plan).toEqual(filtered.plan)
  })

  it("offset(m).limit(n) is rows m..m+n-1 and limit(n).offset(m) is rows m..n-1", () => {
    expect(limitOf(person().offset(2).limit(3).plan)).toEqual({ limit: 3, offset: 2 })
    expect(limitOf(person().limit(5).offset(2).plan)).toEqual({ limit: 3, offset: 2 })
    expect(limitOf(person().limit(2).offset(5).plan)).toEqual({ limit: 0, offset: 5 })
    expect(limitOf(person().limit(5).limit(3).plan)).toEqual({ limit: 3, offset: 0 })
    expect(limitOf(person().limit(3).limit(5).plan)).toEqual({ limit: 3, offset: 0 })
    expect(limitOf(person().offset(1).offset(2).plan)).toEqual({ limit: undefined, offset: 3 })
    expect(limitOf(person().offset(1).limit(4).offset(1).limit(2).plan)).toEqual({ limit: 2, offset: 2 })
  })

  it("invalid limits are not merged (the resolver reports them)", () => {
    const plan = person().limit(-1).limit(2).plan as LogicalPlan.Limit
    expect(plan.limit).toBe(2)
    expect((plan.input as LogicalPlan.Limit).limit).toBe(-1)
  })

  it("select accepts names, expressions and alias objects", () => {
    const plan = person().select("name", col("age").add(1), { years: "age", twice: col("age").mul(2) }).plan as LogicalPlan.Project
    expect(plan.exprs).toEqual([
      col("name"),
      col("age").add(1),
      new Expr.Alias({ operand: col("age"), name: "years" }),
      new Expr.Alias({ operand: col("age").mul(2), name: "twice" })
    ])
  })

  it("withColumn, rename, groupBy/agg, agg, orderBy, distinct, union", () => {
    const w = person().withColumn("x", 1).plan as LogicalPlan.WithColumns
    expect(w.exprs).toEqual([new Expr.Alias({ operand: lit(1), name: "x" })])
    const r1 = person().rename({ "p.name": "n" }).plan as LogicalPlan.Rename
    const r2 = person().rename("p.name", "n").plan as LogicalPlan.Rename
    expect(r1.renamings).toEqual(r2.renamings)
    expect(r1.renamings).toEqual([new LogicalPlan.Renaming({ from: "p.name", to: "n" })])
    const g = person().groupBy("name", col("age")).agg({ n: count() }).plan as LogicalPlan.Aggregate
    expect(g.keys).toEqual([col("name"), col("age")])
    expect(g.aggregates).toEqual([new Expr.Alias({ operand: count(), name: "n" })])
    expect((person().agg({ n: count() }).plan as LogicalPlan.Aggregate).keys).toEqual([])
    const s = person().orderBy("name", col("age").desc(), col("p.score")).plan as LogicalPlan.Sort
    expect(s.keys.map((k) => [Expr.display(k.expr), k.descending])).toEqual([["name", false], ["age", true], ["p.score", false]])
    expect(person().distinct().plan._tag).toBe("Distinct")
    expect((person().union(person()).plan as LogicalPlan.Union).distinct).toBe(true)
    expect((person().unionAll(person()).plan as LogicalPlan.Union).distinct).toBe(false)
  })

  it("expand options map to the logical node", () => {
    const e = person().expand("KNOWS", { to: "Person", as: "f", edgeAs: "k", direction: "both", hops: [1, 3] }).plan as LogicalPlan.Expand
    expect(e).toMatchObject({ edgeLabel: "KNOWS", to: "Person", alias: "f", edgeAlias: "k", direction: "both", minHops: 1, maxHops: 3, optional: false })
    const d = person().optionalExpand("KNOWS", { as: "f" }).plan as LogicalPlan.Expand
    expect(d).toMatchObject({ direction: "out", minHops: 1, maxHops: 1, optional: true })
    const r = person().expandRole("attendee", { fromRole: "host", edgeLabel: "MEETING", as: "a" }).plan as LogicalPlan.RoleExpand
    expect(r).toMatchObject({ toRole: "attendee", fromRole: "host", edgeLabel: "MEETING", alias: "a", optional: false })
  })
})
