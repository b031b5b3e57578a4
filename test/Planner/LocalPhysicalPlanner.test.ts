import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { defaultConfig } from "../../src/Engine/ExecutionContext.js"
import type * as Arrow from "apache-arrow"
import * as Engine from "../../bench/Engine.js"
import { generate } from "../../bench/SocialGraph.js"
import { col, count, sum } from "../../src/Engine/Expr.js"
import * as Expr from "../../src/Engine/Expr.js"
import * as PhysicalPlan from "../../src/Engine/PhysicalPlan.js"
import * as LocalPhysicalPlanner from "../../src/Planner/LocalPhysicalPlanner.js"
import * as LogicalPlan from "../../src/Query/LogicalPlan.js"
import type { Frame } from "../../src/Query/Frame.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import * as Resolver from "../../src/Query/Resolver.js"
import { catalog, countingStorage } from "../Query/fixtures.js"
import * as QueryPlanner from "../../src/Planner/QueryPlanner.js"
import type { StorageService } from "../../src/Engine/Storage.js"
import { SnapshotNotFound } from "../../src/Engine/ExecutionError.js"

const physical = (frame: Frame) =>
  Effect.flatMap(Resolver.resolve(frame.plan, catalog, defaultConfig), (r) =>
    LocalPhysicalPlanner.plan(r.plan, catalog, defaultConfig))

const ids = (plan: PhysicalPlan.PhysicalPlan): ReadonlyArray<number> => [
  plan.id,
  ...PhysicalPlan.children(plan).flatMap(ids)
]

const person = () => Hypergraph.nodes("Person", { as: "p" })

describe("LocalPhysicalPlanner", () => {
  it.effect("maps each operator to its Exec with pre-order ids and output schemas", () =>
    Effect.gen(function*() {
      const plan = yield* physical(
        person().filter(col("age").gt(21)).select("name", { a: "age" }).orderBy(col("a").desc()).offset(1).limit(2)
      )
      expect(plan._tag).toBe("LimitExec")
      expect(ids(plan)).toEqual([0, 1, 2, 3, 4])
      const limit = plan as PhysicalPlan.LimitExec
      expect(limit.offset).toBe(1)
      expect(limit.limit).toBe(2)
      const sort = limit.input as PhysicalPlan.SortExec
      expect(sort._tag).toBe("SortExec")
      const project = sort.input as PhysicalPlan.ProjectExec
      expect(project.exprs).toEqual([col("p.name"), col("p.age")])
      expect(project.output.names).toEqual(["p.name", "a"])
      const filter = project.input as PhysicalPlan.FilterExec
      const scan = filter.input as PhysicalPlan.NodeScanExec
      expect(scan.qualifier).toBe("p")
      expect(scan.label).toBe("Person")
      expect(scan.columns.map((c) => `${c.field}:${DataType.display(c.dataType)}`)).toEqual([
        "_id:Int64", "_label:String", "age:Int64", "name:String", "nick:Null", "score:Float64"
      ])
    }))

  it.effect("honours scan columns and limit from pruning, and Sort fetch", () =>
    Effect.gen(function*() {
      const resolved = new LogicalPlan.Sort({
        input: new LogicalPlan.NodeScan({ label: "Person", alias: "p", columns: ["name", "_id"], limit: 10 }),
        keys: [col("p.name").asc()],
        fetch: 3
      })
      const plan = yield* LocalPhysicalPlanner.plan(resolved, catalog, defaultConfig)
      const sort = plan as PhysicalPlan.SortExec
      expect(sort.fetch).toBe(3)
      const scan = sort.input as PhysicalPlan.NodeScanExec
      expect(scan.columns.map((c) => c.field)).toEqual(["name", "_id"])
      expect(scan.limit).toBe(10)
      expect(scan.output.names).toEqual(["p.name", "p._id"])
    }))

  it.effect("aggregates become single-mode HashAggregateExec with typed specs", () =>
    Effect.gen(function*() {
      const plan = (yield* physical(person().groupBy("name").agg({ n: count(), s: sum(col("score")) }))) as PhysicalPlan.HashAggregateExec
      expect(plan._tag).toBe("HashAggregateExec")
      expect(plan.mode).toBe("single")
      expect(plan.keys).toEqual([col("p.name")])
      expect(plan.aggregates.map((a) => [a.name, a.fn, DataType.display(a.dataType)])).toEqual([
        ["n", "count", "Int64"],
        ["s", "sum", "Float64"]
      ])
      expect(plan.aggregates[1]!.arg).toEqual(col("p.score"))
    }))

  it.effect("union distinct is an aggregate over a UnionExec; distinct is an aggregate", () =>
    Effect.gen(function*() {
      const plan = (yield* physical(person().select("name").union(person().select("name")))) as PhysicalPlan.HashAggregateExec
      expect(plan._tag).toBe("HashAggregateExec")
      expect(plan.aggregates).toEqual([])
      expect(plan.input._tag).toBe("UnionExec")
      expect((plan.input as PhysicalPlan.UnionExec).inputs.length).toBe(2)
      expect(ids(plan)).toEqual([0, 1, 2, 3, 4, 5])
    }))

  it.effect("expand becomes AdjacencyExpandExec with target and edge columns", () =>
    Effect.gen(function*() {
      const plan = (yield* physical(person().expand("KNOWS", { to: "City", as: "c", direction: "both" }))) as PhysicalPlan.AdjacencyExpandExec
      expect(plan._tag).toBe("AdjacencyExpandExec")
      expect(plan.anchorColumn).toBe("p._id")
      expect(plan.direction).toBe("both")
      expect(plan.toLabel).toBe("City")
      expect(plan.targetQualifier).toBe("c")
      expect(plan.targetColumns.map((c) => c.field)).toEqual(["_id", "_label", "name", "pop"])
      expect(plan.edgeQualifier).toBe("KNOWS")
      expect(plan.edgeColumns.map((c) => c.field)).toEqual(["_id", "_label", "since"])
    }))

  it.effect("the physical plan round-trips through JSON", () =>
    Effect.gen(function*() {
      const plan = yield* physical(person().filter(col("age").gt(1.5)).groupBy("name").agg({ n: count() }).limit(1))
      const encoded = yield* Schema.encode(PhysicalPlan.PhysicalPlan)(plan)
      const decoded = yield* Schema.decodeUnknown(PhysicalPlan.PhysicalPlan)(JSON.parse(JSON.stringify(encoded)))
      expect(decoded).toEqual(plan)
    }))
})

describe("QueryPlanner.prepare", () => {
  it.effect("returns every stage and reads no data", () =>
    Effect.gen(function*() {
      const { counts, storage } = countingStorage()
      const frame = person().filter(col("age").gt(1)).select("name")
      const p = yield* QueryPlanner.prepare(frame.plan, storage, 1, defaultConfig, { optimize: false })
      expect(p.logical).toBe(frame.plan)
      expect(p.optimized).toBe(p.resolved)
      expect(p.schema.names).toEqual(["p.name"])
      expect(p.physical._tag).toBe("ProjectExec")
      expect(p.catalog).toBe(catalog)
      const optimized = yield* QueryPlanner.prepare(frame.plan, storage, 1, defaultConfig, { optimize: true })
      expect(optimized.physical.output.names).toEqual(["p.name"])
      expect(counts.scans).toBe(0)
    }))

  it.effect("an unknown snapshot fails with SnapshotNotFound", () =>
    Effect.gen(function*() {
      const { storage } = countingStorage()
      const missing: StorageService = { ...storage, catalog: (snapshot) => Effect.fail(new SnapshotNotFound({ snapshot })) }
      const err = yield* Effect.flip(QueryPlanner.prepare(person().plan, missing, 7, defaultConfig, { optimize: true }))
      expect(err).toMatchObject({ _tag: "SnapshotNotFound", snapshot: 7 })
    }))
})

describe("LocalPhysicalPlanner: a filter above an expand", () => {
  const outline = (plan: PhysicalPlan.PhysicalPlan): ReadonlyArray<string> => [
    plan._tag === "FilterExec"
      ? `FilterExec ${Expr.display(plan.predicate)}`
      : plan._tag === "AdjacencyExpandExec" || plan._tag === "RoleExpandExec"
      ? `${plan._tag}${plan.predicate === undefined ? "" : ` where ${Expr.display(plan.predicate)}`}`
      : plan._tag,
    ...PhysicalPlan.children(plan).flatMap(outline)
  ]

  it.effect("safe conjuncts on the target / edge columns go into the expand; the rest stay above", () =>
    Effect.gen(function*() {
      const frame = person().expand("KNOWS", { to: "Person", as: "f", edgeAs: "k" })
        .filter(col("k.since").ge(2000).and(col("f.age").gt(col("p.age"))).and(col("f.name").eq("x")))
      expect(outline(yield* physical(frame))).toEqual([
        "FilterExec (f.age > p.age)",
        "AdjacencyExpandExec where ((k.since >= 2000) AND (f.name = 'x'))",
        "NodeScanExec"
      ])
      const all = person().expand("KNOWS", { to: "Person", as: "f", edgeAs: "k" }).filter(col("k.since").ge(2000))
      const plan = yield* physical(all)
      expect(outline(plan)).toEqual(["AdjacencyExpandExec where (k.since >= 2000)", "NodeScanExec"])
      expect(ids(plan)).toEqual([0, 1])
    }))

  it.effect("nothing is pushed into an optional expand, nor a conjunct that can fail", () =>
    Effect.gen(function*() {
      const optional = person().optionalExpand("KNOWS", { to: "Person", as: "f", edgeAs: "k" }).filter(col("k.since").ge(2000))
      expect(outline(yield* physical(optional))).toEqual(["FilterExec (k.since >= 2000)", "AdjacencyExpandExec", "NodeScanExec"])
      const failing = person().expand("KNOWS", { to: "Person", as: "f", edgeAs: "k" }).filter(col("k.since").add(1).gt(5))
      expect(outline(yield* physical(failing))).toEqual(["FilterExec ((k.since + 1) > 5)", "AdjacencyExpandExec", "NodeScanExec"])
    }))

  it("a pushed filter keeps exactly the rows of the same filter run after the expand", async () => {
    const graph = generate({ scale: 3000, seed: 11 })
    const engine = await Engine.load(graph.input)
    try {
      const base = () =>
        Hypergraph.nodes("Person", { as: "p" }).filter(col("p.age").lt(30))
          .expand("KNOWS", { to: "Person", as: "f", edgeAs: "k" })
      const predicate = col("k.since").ge(2015).and(col("f.city").ne("c3")).and(col("f.age").gt(col("p.age")))
      // the Project between the expand and the filter keeps the filter out of the expand
      const pushed = await Engine.collect(engine, base().filter(predicate).select("p._id", "f._id", "k._id"))
      const after = await Engine.collect(
        engine,
        base().select("p._id", "p.age", "f._id", "f.age", "f.city", "k._id", "k.since").filter(predicate).select("p._id", "f._id", "k._id")
      )
      const rows = (t: Arrow.Table) =>
        t.toArray().map((r) => `${r["p._id"]}-${r["f._id"]}-${r["k._id"]}`).sort()
      expect(pushed.numRows).toBeGreaterThan(10)
      expect(rows(pushed)).toEqual(rows(after))
      // hand check on the raw tables: each kept edge satisfies the predicate
      const since = new Map<string, bigint>()
      const knows = graph.knows
      for (let i = 0; i < knows.numRows; i++) since.set(String(knows.getChild("_id")!.get(i)), knows.getChild("since")!.get(i) as bigint)
      for (const r of pushed.toArray()) expect(since.get(String(r["k._id"]))! >= 2015n).toBe(true)
    } finally {
      await Engine.dispose(engine)
    }
  })
})
