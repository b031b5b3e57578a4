import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { defaultConfig } from "../../src/Engine/ExecutionContext.js"
import { col, count, lit } from "../../src/Engine/Expr.js"
import * as Metrics from "../../src/Engine/Metrics.js"
import * as PhysicalPlan from "../../src/Engine/PhysicalPlan.js"
import * as PhysicalSchema from "../../src/Engine/PhysicalSchema.js"
import { Storage } from "../../src/Engine/Storage.js"
import * as LocalRuntime from "../../src/LocalRuntime/LocalRuntime.js"
import * as Explain from "../../src/Planner/Explain.js"
import * as QueryPlanner from "../../src/Planner/QueryPlanner.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import * as LogicalPlan from "../../src/Query/LogicalPlan.js"
import { countingStorage } from "../Query/fixtures.js"

const topFriends = () =>
  Hypergraph.nodes("Person", { as: "p" })
    .filter(col("age").gt(21))
    .expand("KNOWS", { to: "Person", as: "f" })
    .groupBy("f.name")
    .agg({ friends: count() })
    .orderBy(col("friends").desc())
    .limit(10)

const prepared = Effect.gen(function*() {
  const { storage } = countingStorage()
  return yield* QueryPlanner.prepare(topFriends().plan, storage, 1, defaultConfig, { optimize: true })
})

const logicalText = [
  "Limit(10)",
  "  Sort(friends DESC)",
  "    Aggregate(keys=[f.name], aggs=[count(*) AS friends])",
  "      Expand(out, KNOWS, to=Person AS f)",
  "        Filter((age > 21))",
  "          NodeScan(Person AS p)"
]
const optimizedText = [
  "Limit(10)",
  "  Sort(friends DESC, fetch=10)",
  "    Aggregate(keys=[f.name], aggs=[count(*) AS friends])",
  "      Expand(out, KNOWS, to=Person AS f, edge AS KNOWS, columns=[name], edgeColumns=[])",
  "        Filter((p.age > 21))",
  "          NodeScan(Person AS p, columns=[_id, age])"
]
const physicalText = [
  "LimitExec(10)",
  "  SortExec(friends DESC, fetch=10)",
  "    HashAggregateExec(single, keys=[f.name], aggs=[count(*) AS friends])",
  "      AdjacencyExpandExec(out, KNOWS, from=p._id, to=Person AS f, edge AS KNOWS)",
  "        FilterExec((p.age > 21))",
  "          NodeScanExec(Person AS p, columns=[_id, age])"
]

describe("Explain", () => {
  it.effect("renders the logical, optimized and physical trees of a fixed query", () =>
    Effect.gen(function*() {
      const p = yield* prepared
      expect(Explain.logical(p.logical)).toBe(logicalText.join("\n"))
      expect(Explain.logical(p.optimized)).toBe(optimizedText.join("\n"))
      expect(Explain.physical(p.physical)).toBe(physicalText.join("\n"))
      expect(Explain.render(p)).toBe([
        "== Logical Plan ==",
        ...logicalText,
        "== Optimized Plan ==",
        ...optimizedText,
        "== Physical Plan ==",
        ...physicalText
      ].join("\n"))
    }))

  it.effect("analyze adds each operator's counters to its physical line", () =>
    Effect.gen(function*() {
      const p = yield* prepared
      const metrics = Metrics.make()
      // pre-order ids: 0 Limit, 1 Sort, 2 Aggregate, 3 Expand, 4 Filter, 5 Scan
      const set = (id: number, name: string, rowsIn: number, rowsOut: number, batches: number, ms: number, mem: number) => {
        const m = metrics.operator(id, name)
        m.rowsIn = rowsIn
        m.rowsOut = rowsOut
        m.batchesOut = batches
        m.elapsedMs = ms
        m.peakMemory = mem
      }
      set(0, "LimitExec", 3, 3, 1, 0.01, 0)
      set(1, "SortExec", 3, 3, 1, 0.125, 512)
      set(2, "HashAggregateExec", 4, 3, 1, 1.5, 2048)
      set(3, "AdjacencyExpandExec", 2, 4, 1, 0.333, 0)
      set(4, "FilterExec", 3, 2, 1, 0.05, 0)
      set(5, "NodeScanExec", 0, 3, 1, 2, 0)
      expect(Explain.render(p, metrics).split("\n").slice(-7)).toEqual([
        "== Physical Plan (analyzed) ==",
        "LimitExec(10) [rows_in=3 rows_out=3 batches=1 time=0.01ms peak_mem=0B]",
        "  SortExec(friends DESC, fetch=10) [rows_in=3 rows_out=3 batches=1 time=0.13ms peak_mem=512B]",
        "    HashAggregateExec(single, keys=[f.name], aggs=[count(*) AS friends]) [rows_in=4 rows_out=3 batches=1 time=1.50ms peak_mem=2048B]",
        "      AdjacencyExpandExec(out, KNOWS, from=p._id, to=Person AS f, edge AS KNOWS) [rows_in=2 rows_out=4 batches=1 time=0.33ms peak_mem=0B]",
        "        FilterExec((p.age > 21)) [rows_in=3 rows_out=2 batches=1 time=0.05ms peak_mem=0B]",
        "          NodeScanExec(Person AS p, columns=[_id, age]) [rows_in=0 rows_out=3 batches=1 time=2.00ms peak_mem=0B]"
      ])
    }))

  it("prints every logical operator's arguments", () => {
    const scan = new LogicalPlan.NodeScan({ label: "Person", alias: "p" })
    const line = Explain.logicalLine
    expect(line(new LogicalPlan.NodeScan({ alias: "n", columns: ["_id"], limit: 0 }))).toBe("NodeScan(* AS n, columns=[_id], limit=0)")
    expect(line(new LogicalPlan.HyperedgeScan({ label: "KNOWS", binaryOnly: true }))).toBe("EdgeScan(KNOWS)")
    expect(line(new LogicalPlan.HyperedgeScan({ label: "MEETING", alias: "m", binaryOnly: false }))).toBe("HyperedgeScan(MEETING AS m)")
    expect(line(new LogicalPlan.Project({ input: scan, exprs: [col("p.name"), col("p.age").add(1).as("a")] }))).toBe(
      "Project(p.name, (p.age + 1) AS a)"
    )
    expect(line(new LogicalPlan.WithColumns({ input: scan, exprs: [lit("x").as("k")] }))).toBe("WithColumns('x' AS k)")
    expect(line(new LogicalPlan.Rename({ input: scan, renamings: [new LogicalPlan.Renaming({ from: "p.name", to: "n" })] }))).toBe(
      "Rename(p.name → n)"
    )
    expect(line(new LogicalPlan.Sort({ input: scan, keys: [col("a").asc().withNullsFirst(), col("b").desc()] }))).toBe(
      "Sort(a ASC NULLS FIRST, b DESC)"
    )
    expect(line(new LogicalPlan.Limit({ input: scan, limit: 5, offset: 2 }))).toBe("Limit(5, offset=2)")
    expect(line(new LogicalPlan.Limit({ input: scan, offset: 2 }))).toBe("Limit(offset=2)")
    expect(line(new LogicalPlan.Union({ left: scan, right: scan, distinct: true }))).toBe("Union(distinct)")
    expect(line(new LogicalPlan.Distinct({ input: scan }))).toBe("Distinct")
    expect(
      line(
        new LogicalPlan.Expand({ input: scan, direction: "both", minHops: 1, maxHops: 3, optional: true, alias: "x" })
      )
    ).toBe("Expand(both, * AS x, hops=1..3, optional)")
    expect(
      line(new LogicalPlan.Expand({ input: scan, edgeLabel: "KNOWS", direction: "in", minHops: 2, maxHops: 2, optional: false, to: "Person" }))
    ).toBe("Expand(in, KNOWS, to=Person, hops=2)")
    expect(
      line(
        new LogicalPlan.RoleExpand({
          input: scan,
          edgeLabel: "MEETING",
          fromRole: "attendee",
          toRole: "host",
          to: "Person",
          alias: "h",
          edgeAlias: "m",
          optional: false
        })
      )
    ).toBe("RoleExpand(attendee → host, MEETING, to=Person AS h, edge AS m)")
    expect(line(new LogicalPlan.RoleExpand({ input: scan, toRole: "attendee", alias: "a", optional: true }))).toBe(
      "RoleExpand(attendee AS a, optional)"
    )
  })

  it("prints physical scans, projections, renames and unions", () => {
    const schema = (...names: Array<string>) => PhysicalSchema.fromColumns(names.map((n) => [n, DataType.Int64] as const))
    const scan = new PhysicalPlan.HyperedgeScanExec({
      id: 2,
      output: schema("k._id", "k.since"),
      qualifier: "k",
      label: "KNOWS",
      binaryOnly: true,
      columns: [
        new PhysicalPlan.ScanColumn({ field: "_id", dataType: DataType.Int64 }),
        new PhysicalPlan.ScanColumn({ field: "since", dataType: DataType.Int64 })
      ],
      limit: 7
    })
    const rename = new PhysicalPlan.RenameExec({ id: 1, output: schema("k._id", "year"), input: scan })
    const project = new PhysicalPlan.ProjectExec({
      id: 0,
      output: schema("k._id", "y"),
      input: rename,
      exprs: [col("k._id"), col("year").add(1)]
    })
    const union = new PhysicalPlan.UnionExec({ id: 0, output: project.output, inputs: [project, project] })
    expect(Explain.physical(union)).toBe([
      "UnionExec",
      "  ProjectExec(k._id, (year + 1) AS y)",
      "    RenameExec(k.since → year)",
      "      HyperedgeScanExec(KNOWS AS k, binary, columns=[_id, since], limit=7)",
      "  ProjectExec(k._id, (year + 1) AS y)",
      "    RenameExec(k.since → year)",
      "      HyperedgeScanExec(KNOWS AS k, binary, columns=[_id, since], limit=7)"
    ].join("\n"))
  })

  it.effect("frame.explain goes through LocalRuntime and keeps the three sections; analyze runs the query", () =>
    Effect.gen(function*() {
      const { counts, storage } = countingStorage()
      const layer = LocalRuntime.layer.pipe(Layer.provide(Layer.succeed(Storage, storage)))
      const frame = Hypergraph.nodes("Person", { as: "p" }).filter(col("age").gt(21)).select("name")
      const text = yield* Effect.provide(frame.explain(), layer)
      expect(text).toBe([
        "== Logical Plan ==",
        "Project(name)",
        "  Filter((age > 21))",
        "    NodeScan(Person AS p)",
        "== Optimized Plan ==",
        "Project(p.name)",
        "  Filter((p.age > 21))",
        "    NodeScan(Person AS p, columns=[_id, age, name])",
        "== Physical Plan ==",
        "ProjectExec(p.name)",
        "  FilterExec((p.age > 21))",
        "    NodeScanExec(Person AS p, columns=[_id, age, name])"
      ].join("\n"))
      expect(counts.scans).toBe(0)
      const analyzed = yield* Effect.provide(frame.explain({ analyze: true }), layer)
      expect(counts.scans).toBe(1)
      const lines = analyzed.split("\n")
      expect(lines[8]).toBe("== Physical Plan (analyzed) ==")
      expect(lines[9]).toMatch(/^ProjectExec\(p\.name\) \[rows_in=0 rows_out=0 batches=0 time=\d+\.\d\dms peak_mem=0B\]$/)
      expect(lines[11]).toMatch(/^    NodeScanExec\(Person AS p, columns=\[_id, age, name\]\) \[rows_in=0 rows_out=0 batches=0 /)
    }))
})
