import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { defaultConfig } from "../../src/Engine/ExecutionContext.js"
import { col, count, sum } from "../../src/Engine/Expr.js"
import * as Partitioning from "../../src/Engine/Partitioning.js"
import * as PhysicalPlan from "../../src/Engine/PhysicalPlan.js"
import * as PhysicalSchema from "../../src/Engine/PhysicalSchema.js"
import * as DistributedPlanner from "../../src/Planner/DistributedPlanner.js"
import * as LocalPhysicalPlanner from "../../src/Planner/LocalPhysicalPlanner.js"
import type { Frame } from "../../src/Query/Frame.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import * as LogicalPlan from "../../src/Query/LogicalPlan.js"
import * as Resolver from "../../src/Query/Resolver.js"
import { catalog } from "../Query/fixtures.js"

const physical = (frame: Frame) =>
  Effect.flatMap(Resolver.resolve(frame.plan, catalog, defaultConfig), (r) =>
    LocalPhysicalPlanner.plan(r.plan, catalog, defaultConfig))

const person = () => Hypergraph.nodes("Person", { as: "p" })

/** The plan as nested `[tag, detail?, children…]` lines, one string per node, pre-order with depth. */
const outline = (plan: PhysicalPlan.PhysicalPlan, depth = 0): Array<string> => {
  const detail = (() => {
    switch (plan._tag) {
      case "ExchangeExec":
        return Partitioning.displayMode(plan.mode)
      case "HashAggregateExec":
        return plan.mode
      case "LimitExec":
        return `${plan.limit ?? "∞"}+${plan.offset}`
      case "SortExec":
        return plan.fetch === undefined ? "" : `fetch=${plan.fetch}`
      case "NodeScanExec":
      case "HyperedgeScanExec":
        return plan.partition === undefined ? "" : `${plan.partition.index}/${plan.partition.count}`
      default:
        return ""
    }
  })()
  return [
    `${" ".repeat(depth)}${plan._tag}${detail === "" ? "" : `(${detail})`}`,
    ...PhysicalPlan.children(plan).flatMap((c) => outline(c, depth + 1))
  ]
}

const ids = (plan: PhysicalPlan.PhysicalPlan): Array<number> => [plan.id, ...PhysicalPlan.children(plan).flatMap(ids)]

const distributed = (frame: Frame, n = 4, options: Partial<DistributedPlanner.Options> = {}) =>
  Effect.map(physical(frame), (local) => ({ local, plan: DistributedPlanner.plan(local, { partitions: n, ...options }) }))

describe("DistributedPlanner", () => {
  it.effect("aggregate: partial → Shuffle(Hash on the group keys) → final → Gather", () =>
    Effect.gen(function*() {
      const { local, plan } = yield* distributed(person().groupBy("p.name").agg({ n: count(), total: sum(col("p.age")) }))
      expect(outline(plan)).toEqual([
        "ExchangeExec(Gather)",
        " HashAggregateExec(final)",
        "  ExchangeExec(Shuffle(Hash([p.name], 4)))",
        "   HashAggregateExec(partial)",
        "    NodeScanExec(0/4)"
      ])
      const final = (plan as PhysicalPlan.ExchangeExec).input as PhysicalPlan.HashAggregateExec
      expect(final.id).toBe(local.id) // the original node keeps its id
      expect(final.output).toEqual(local.output)
      expect(final.keys).toEqual([col("p.name")])
      const partial = (final.input as PhysicalPlan.ExchangeExec).input as PhysicalPlan.HashAggregateExec
      // keys, then the state columns of count and of an Int64 sum
      expect(partial.output.names).toEqual(["p.name", "n:count", "total:sum", "total:wraps"])
      // new ids are unique
      const all = ids(plan)
      expect(new Set(all).size).toBe(all.length)
    }))

  it.effect("aggregate without keys gathers the partial states into one final aggregate", () =>
    Effect.gen(function*() {
      const { plan } = yield* distributed(person().agg({ n: count() }))
      expect(outline(plan)).toEqual([
        "HashAggregateExec(final)",
        " ExchangeExec(Gather)",
        "  HashAggregateExec(partial)",
        "   NodeScanExec(0/4)"
      ])
    }))

  it.effect("distinct is a hash aggregate on every column", () =>
    Effect.gen(function*() {
      const { plan } = yield* distributed(person().select("p.name", "p.age").distinct())
      expect(outline(plan)).toEqual([
        "ExchangeExec(Gather)",
        " HashAggregateExec(final)",
        "  ExchangeExec(Shuffle(Hash([p.name, p.age], 4)))",
        "   HashAggregateExec(partial)",
        "    ProjectExec",
        "     NodeScanExec(0/4)"
      ])
    }))

  it.effect("sort: local sort → Gather → merge sort", () =>
    Effect.gen(function*() {
      const { plan } = yield* distributed(person().orderBy(col("p.age").desc()))
      expect(outline(plan)).toEqual([
        "SortExec",
        " ExchangeExec(Gather)",
        "  SortExec",
        "   NodeScanExec(0/4)"
      ])
    }))

  it.effect("top-k: a top-k per partition, then the top-k again after the Gather", () =>
    Effect.gen(function*() {
      const resolved = new LogicalPlan.Limit({
        input: new LogicalPlan.Sort({ input: new LogicalPlan.NodeScan({ label: "Person", alias: "p" }), keys: [col("p.age").desc()], fetch: 3 }),
        limit: 3,
        offset: 0
      })
      const local = yield* LocalPhysicalPlanner.plan(resolved, catalog, defaultConfig)
      expect(outline(DistributedPlanner.plan(local, 3))).toEqual([
        "LimitExec(3+0)",
        " SortExec(fetch=3)",
        "  ExchangeExec(Gather)",
        "   SortExec(fetch=3)",
        "    NodeScanExec(0/3)"
      ])
    }))

  it.effect("limit: each partition keeps offset + limit rows, then the limit runs once after the Gather", () =>
    Effect.gen(function*() {
      const { plan } = yield* distributed(person().offset(5).limit(2))
      expect(outline(plan)).toEqual([
        "LimitExec(2+5)",
        " ExchangeExec(Gather)",
        "  LimitExec(7+0)",
        "   NodeScanExec(0/4)"
      ])
    }))

  it.effect("offset without limit gathers everything before skipping", () =>
    Effect.gen(function*() {
      const { plan } = yield* distributed(person().offset(5))
      expect(outline(plan)).toEqual([
        "LimitExec(∞+5)",
        " ExchangeExec(Gather)",
        "  NodeScanExec(0/4)"
      ])
    }))

  it.effect("a scan's pushed-down limit holds per partition, so a Gather and a limit follow it", () =>
    Effect.gen(function*() {
      const local = yield* LocalPhysicalPlanner.plan(
        new LogicalPlan.NodeScan({ label: "Person", alias: "p", limit: 10 }),
        catalog,
        defaultConfig
      )
      expect(outline(DistributedPlanner.plan(local, 2))).toEqual([
        "LimitExec(10+0)",
        " ExchangeExec(Gather)",
        "  NodeScanExec(0/2)"
      ])
    }))

  it.effect("union all of partitioned inputs runs in every partition", () =>
    Effect.gen(function*() {
      const { plan } = yield* distributed(
        person().select({ name: "p.name" }).unionAll(Hypergraph.nodes("City", { as: "c" }).select({ name: "c.name" }))
      )
      expect(outline(plan)).toEqual([
        "ExchangeExec(Gather)",
        " UnionExec",
        "  ProjectExec",
        "   NodeScanExec(0/4)",
        "  ProjectExec",
        "   NodeScanExec(0/4)"
      ])
    }))

  it.effect("union distinct aggregates the union by hash", () =>
    Effect.gen(function*() {
      const { plan } = yield* distributed(
        person().select({ name: "p.name" }).union(Hypergraph.nodes("City", { as: "c" }).select({ name: "c.name" }))
      )
      expect(outline(plan).slice(0, 4)).toEqual([
        "ExchangeExec(Gather)",
        " HashAggregateExec(final)",
        "  ExchangeExec(Shuffle(Hash([name], 4)))",
        "   HashAggregateExec(partial)"
      ])
      expect(outline(plan)[4]).toBe("    UnionExec")
    }))

  it.effect("a single-partition union input is spread round robin", () =>
    Effect.gen(function*() {
      const { plan } = yield* distributed(
        person().select({ name: "p.name" }).limit(2).unionAll(Hypergraph.nodes("City", { as: "c" }).select({ name: "c.name" }))
      )
      expect(outline(plan)).toEqual([
        "ExchangeExec(Gather)",
        " UnionExec",
        "  ExchangeExec(Shuffle(RoundRobin(4)))",
        "   LimitExec(2+0)",
        "    ExchangeExec(Gather)",
        "     LimitExec(2+0)",
        "      ProjectExec",
        "       NodeScanExec(0/4)",
        "  ProjectExec",
        "   NodeScanExec(0/4)"
      ])
    }))

  it.effect("expand: its input is exchanged to Adjacency(anchor) partitioning, once per anchor", () =>
    Effect.gen(function*() {
      const { plan } = yield* distributed(
        person()
          .expand("KNOWS", { to: "Person", as: "f" })
          .filter(col("f.age").gt(3))
          .expand("KNOWS", { to: "Person", as: "g", edgeAs: "k2" })
      )
      expect(outline(plan)).toEqual([
        "ExchangeExec(Gather)",
        " AdjacencyExpandExec",
        "  ExchangeExec(Shuffle(Adjacency(f._id, 4)))",
        // the filter on f.age runs inside the first expand (pushed into it by the local planner)
        "   AdjacencyExpandExec",
        "    ExchangeExec(Shuffle(Adjacency(p._id, 4)))",
        "     NodeScanExec(0/4)"
      ])
    }))

  it.effect("expand from a frame already partitioned by the anchor needs no Exchange", () =>
    Effect.gen(function*() {
      const { plan } = yield* distributed(person().expand("KNOWS", { to: "Person", as: "f" }), 4, { scansPartitionedById: true })
      expect(outline(plan)).toEqual([
        "ExchangeExec(Gather)",
        " AdjacencyExpandExec",
        "  NodeScanExec(0/4)"
      ])
    }))

  it.effect("an aggregate on the partitioning key runs in place, without a partial/final split", () =>
    Effect.gen(function*() {
      const { plan } = yield* distributed(person().expand("KNOWS", { to: "Person", as: "f" }).groupBy("p._id").agg({ n: count() }))
      expect(outline(plan)).toEqual([
        "ExchangeExec(Gather)",
        " HashAggregateExec(single)",
        "  AdjacencyExpandExec",
        "   ExchangeExec(Shuffle(Adjacency(p._id, 4)))",
        "    NodeScanExec(0/4)"
      ])
    }))

  it.effect("an aggregate on a renamed partitioning key still runs in place", () =>
    Effect.gen(function*() {
      const { plan } = yield* distributed(
        person().expand("KNOWS", { to: "Person", as: "f" }).select({ who: "p._id" }, "f.name").groupBy("who").agg({ n: count() })
      )
      expect(outline(plan)[1]).toBe(" HashAggregateExec(single)")
      // but a computed key does not keep the partitioning
      const { plan: other } = yield* distributed(
        person().expand("KNOWS", { to: "Person", as: "f" }).select({ who: col("p._id").add(1) }).groupBy("who").agg({ n: count() })
      )
      expect(outline(other).slice(0, 3)).toEqual([
        "ExchangeExec(Gather)",
        " HashAggregateExec(final)",
        "  ExchangeExec(Shuffle(Hash([who], 4)))"
      ])
    }))

  it.effect("role expand from a node anchor is co-located like a binary expand", () =>
    Effect.gen(function*() {
      const { plan } = yield* distributed(
        person().expandRole("host", { edgeLabel: "MEETING", fromRole: "attendee", to: "Person", as: "h", edgeAs: "m" })
      )
      const lines = outline(plan)
      expect(lines[0]).toBe("ExchangeExec(Gather)")
      expect(lines[1]).toBe(" RoleExpandExec")
      expect(lines[2]).toBe("  ExchangeExec(Shuffle(Adjacency(p._id, 4)))")
    }))

  it("an Exchange is a pass-through node whose output is its input's", () => {
    const schema = PhysicalSchema.fromColumns([["x", DataType.Int64]])
    const local = new PhysicalPlan.SortExec({
      id: 0,
      output: schema,
      input: new PhysicalPlan.EmptyExec({ id: 7, output: schema }),
      keys: [col("x").asc()]
    })
    const plan = DistributedPlanner.plan(local, 2)
    expect(outline(plan)).toEqual(["SortExec", " ExchangeExec(Gather)", "  SortExec", "   EmptyExec"])
    const exchange = (plan as PhysicalPlan.SortExec).input as PhysicalPlan.ExchangeExec
    expect(exchange.output).toEqual(schema)
    expect(exchange.id).toBeGreaterThan(7)
    expect(() => DistributedPlanner.plan(local, 0)).toThrow(/positive integer/)
  })
})
