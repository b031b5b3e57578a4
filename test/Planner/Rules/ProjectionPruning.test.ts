import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { defaultConfig } from "../../../src/Engine/ExecutionContext.js"
import { col, count, sum } from "../../../src/Engine/Expr.js"
import type * as PhysicalPlan from "../../../src/Engine/PhysicalPlan.js"
import * as LocalPhysicalPlanner from "../../../src/Planner/LocalPhysicalPlanner.js"
import * as ProjectionPruning from "../../../src/Planner/Rules/ProjectionPruning.js"
import * as Hypergraph from "../../../src/Query/Hypergraph.js"
import { catalog } from "../../Query/fixtures.js"
import { afterRule, applyRule, person } from "./helpers.js"

const rule = ProjectionPruning.rule

describe("ProjectionPruning", () => {
  it.effect("a scan reads only the selected fields (and the entity id)", () =>
    Effect.gen(function*() {
      expect(yield* afterRule(rule, person().select("name"))).toEqual([
        "Project(p.name)",
        "  NodeScan(Person AS p, columns=[_id, name])"
      ])
    }))

  it.effect("filter and sort columns are read even when not output", () =>
    Effect.gen(function*() {
      expect(yield* afterRule(rule, person().filter(col("age").gt(1)).orderBy("score").select("name"))).toEqual([
        "Project(p.name)",
        "  Sort(p.score ASC)",
        "    Filter((p.age > 1))",
        "      NodeScan(Person AS p, columns=[_id, age, name, score])"
      ])
    }))

  it.effect("drops unread projections and aggregates; a Project left as the identity disappears", () =>
    Effect.gen(function*() {
      const frame = person()
        .withColumn("x", col("age").add(1))
        .groupBy("name")
        .agg({ c: count(), s: sum(col("x")) })
        .select("p.name", "c")
      expect(yield* afterRule(rule, frame)).toEqual([
        // the withColumn Project keeps p._id, p.name: the identity of the pruned scan, so it goes
        "Aggregate(keys=[p.name], aggs=[count(*) AS c])",
        "  NodeScan(Person AS p, columns=[_id, name])"
      ])
    }))

  it.effect("an expand keeps its anchor id below it and fetches only the target / edge fields read above it", () =>
    Effect.gen(function*() {
      const frame = person().expand("KNOWS", { to: "City", as: "c" }).select("c.name")
      expect(yield* afterRule(rule, frame)).toEqual([
        "Project(c.name)",
        "  Expand(out, KNOWS, to=City AS c, edge AS KNOWS, columns=[name], edgeColumns=[])",
        "    NodeScan(Person AS p, columns=[_id])"
      ])
    }))

  it.effect("an expand's edge fields read by a filter above are fetched; a count reads no target field", () =>
    Effect.gen(function*() {
      const edges = person().expand("KNOWS", { to: "Person", as: "f", edgeAs: "k" })
        .filter(col("k.since").gt(2000)).select("p.name", "f.age")
      expect(yield* afterRule(rule, edges)).toEqual([
        "Project(p.name, f.age)",
        "  Filter((k.since > 2000))",
        "    Expand(out, KNOWS, to=Person AS f, edge AS k, columns=[age], edgeColumns=[since])",
        "      NodeScan(Person AS p, columns=[_id, name])"
      ])
      const paths = person().expand("KNOWS", { to: "Person", as: "f", hops: 2 }).agg({ n: count() })
      expect(yield* afterRule(rule, paths)).toEqual([
        "Aggregate(keys=[], aggs=[count(*) AS n])",
        "  Expand(out, KNOWS, to=Person AS f, hops=2, columns=[])",
        "    NodeScan(Person AS p, columns=[_id])"
      ])
    }))

  it.effect("an expand's target keeps its _id when a later expand anchors on it, and when it is output", () =>
    Effect.gen(function*() {
      const twoSteps = person().expand("KNOWS", { to: "Person", as: "f", edgeAs: "k1" })
        .expand("KNOWS", { to: "City", as: "c", edgeAs: "k2" }).groupBy("c.name").agg({ n: count() })
      expect(yield* afterRule(rule, twoSteps)).toEqual([
        "Aggregate(keys=[c.name], aggs=[count(*) AS n])",
        "  Expand(out, KNOWS, to=City AS c, edge AS k2, columns=[name], edgeColumns=[])",
        "    Expand(out, KNOWS, to=Person AS f, edge AS k1, columns=[_id], edgeColumns=[_id])",
        "      NodeScan(Person AS p, columns=[_id])"
      ])
      const ids = person().expand("KNOWS", { to: "Person", as: "f" }).select("f._id")
      expect(yield* afterRule(rule, ids)).toEqual([
        "Project(f._id)",
        "  Expand(out, KNOWS, to=Person AS f, edge AS KNOWS, columns=[_id], edgeColumns=[])",
        "    NodeScan(Person AS p, columns=[_id])"
      ])
    }))

  it.effect("both branches of a union keep the same columns in the same order", () =>
    Effect.gen(function*() {
      const frame = person()
        .select("name", "age")
        .unionAll(person().filter(col("score").gt(1)).select("name", "age"))
        .select("p.age")
      expect(yield* afterRule(rule, frame)).toEqual([
        "Union(all)",
        "  Project(p.age)",
        "    NodeScan(Person AS p, columns=[_id, age])",
        "  Project(p.age)",
        "    Filter((p.score > 1))",
        "      NodeScan(Person AS p, columns=[_id, age, score])"
      ])
    }))

  it.effect("the plan's output never changes", () =>
    Effect.gen(function*() {
      const lines = yield* afterRule(rule, person().filter(col("age").gt(1)))
      expect(lines).toEqual(["Filter((p.age > 1))", "  NodeScan(Person AS p)"])
    }))

  it.effect("the physical planner reads exactly the pruned scan columns", () =>
    Effect.gen(function*() {
      const plan = yield* applyRule(rule, Hypergraph.edges("KNOWS", { as: "k" }).select("k.since"))
      const physical = yield* LocalPhysicalPlanner.plan(plan, catalog, defaultConfig)
      const scan = (physical as PhysicalPlan.ProjectExec).input as PhysicalPlan.HyperedgeScanExec
      expect(scan._tag).toBe("HyperedgeScanExec")
      expect(scan.columns.map((c) => c.field)).toEqual(["_id", "since"])
      expect(physical.output.names).toEqual(["k.since"])
    }))
})
