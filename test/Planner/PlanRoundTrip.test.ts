/**
 * The planner builds its nodes without the Schema constructors' run-time check
 * (`Expr.unchecked`); these tests show that the nodes it builds are still valid: every
 * stage of a planned query (optimized logical plan, local physical plan, distributed plan
 * and its stage graph) encodes through its Schema, survives JSON, decodes back (which runs
 * the full check) and equals the original.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Queries from "../../bench/Queries.js"
import { generate } from "../../bench/SocialGraph.js"
import { defaultConfig } from "../../src/Engine/ExecutionContext.js"
import { call, col, count, lit, max, sum, when } from "../../src/Engine/Expr.js"
import * as DataType from "../../src/Engine/DataType.js"
import * as Expr from "../../src/Engine/Expr.js"
import * as PhysicalPlan from "../../src/Engine/PhysicalPlan.js"
import * as PhysicalSchema from "../../src/Engine/PhysicalSchema.js"
import * as DistributedPlanner from "../../src/Planner/DistributedPlanner.js"
import * as QueryPlanner from "../../src/Planner/QueryPlanner.js"
import * as StageSplitter from "../../src/Planner/StageSplitter.js"
import type { Frame } from "../../src/Query/Frame.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import * as LogicalPlan from "../../src/Query/LogicalPlan.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"

/** Encode → JSON text → decode; the decoded value and the JSON text. */
const roundTrip = <A, I>(schema: Schema.Schema<A, I>, value: A): { readonly back: A; readonly json: string } => {
  const json = JSON.stringify(Schema.encodeSync(schema)(value))
  return { back: Schema.decodeUnknownSync(schema)(JSON.parse(json)), json }
}

const expectRoundTrip = <A, I>(schema: Schema.Schema<A, I>, value: A): void => {
  const { back, json } = roundTrip(schema, value)
  expect(back).toStrictEqual(value)
  expect(JSON.stringify(Schema.encodeSync(schema)(back))).toBe(json)
}

const graph = generate({ scale: 200, seed: 7 })

const person = () => Hypergraph.nodes("Person", { as: "p" })

/** Frames over the bench graph beyond the seven bench queries: most operator and expression kinds. */
const extraFrames: ReadonlyArray<readonly [string, Frame]> = [
  [
    "computed columns, CASE, IN, BETWEEN, cast, functions",
    person()
      .withColumn("band", when(col("p.age").lt(30)).then("young").otherwise("older"))
      .withColumn("shout", call("upper", col("p.name")))
      .filter(col("p.city").in(["c1", "c2", "c3"]).or(col("p.age").between(40, 50)))
      .select("p.name", "band", "shout", col("p.score").cast(DataType.Float64).as("s"))
  ],
  [
    "union distinct, rename, orderBy/offset/limit",
    person().select("p.city").union(person().filter(col("p.age").gt(60)).select("p.city")).distinct()
      .rename({ "p.city": "town" }).orderBy(col("town").asc()).offset(1).limit(5)
  ],
  [
    "optional expand, variable hops, aggregates with NULL literal",
    person().optionalExpand("KNOWS", { to: "Person", as: "f" })
      .expand("KNOWS", { to: "Person", as: "g", hops: [1, 2] })
      .groupBy("g.city")
      .agg({ n: count(), s: sum(col("f.age")), m: max(col("p.score")), z: count(lit(null)) })
  ],
  [
    "expand in direction in with edge columns, filter on the edge",
    person().expand("KNOWS", { to: "Person", as: "f", edgeAs: "k", direction: "in" })
      .filter(col("k.since").ge(2015).and(col("f.age").lt(40)))
      .select("p.name", "f.name", "k.since")
  ],
  ["role expand", person().expandRole("target", { fromRole: "source", edgeLabel: "WORKS_AT", to: "Company", as: "c" }).select("p.name", "c._id")]
]

const frames: ReadonlyArray<readonly [string, Frame]> = [
  ...Queries.make().map((q) => [q.id, q.frame] as const),
  ...extraFrames
]

describe("planned plans round-trip through their Schemas", () => {
  for (const [name, frame] of frames) {
    for (const optimize of [true, false]) {
      it.effect(`${name} (optimize ${optimize})`, () =>
        Effect.gen(function*() {
          const storage = yield* InMemoryStorage.makeFromArrow(graph.input)
          const snapshot = yield* storage.current
          const prepared = yield* QueryPlanner.prepare(frame.plan, storage, snapshot, defaultConfig, { optimize })
          expectRoundTrip(LogicalPlan.LogicalPlan, prepared.resolved)
          expectRoundTrip(LogicalPlan.LogicalPlan, prepared.optimized)
          expectRoundTrip(PhysicalPlan.PhysicalPlan, prepared.physical)
          const distributed = DistributedPlanner.plan(prepared.physical, 3)
          expectRoundTrip(PhysicalPlan.PhysicalPlan, distributed)
          const stages = StageSplitter.split(distributed)
          const back = StageSplitter.decodeGraph(JSON.parse(JSON.stringify(StageSplitter.encodeGraph(stages))))
          expect(back).toStrictEqual(stages)
          for (const stage of stages.stages) {
            for (let t = 0; t < stage.partitions; t++) {
              expectRoundTrip(PhysicalPlan.PhysicalPlan, StageSplitter.taskPlan(stage, t))
            }
          }
        }))
    }
  }

  it("decoding still rejects a malformed plan and expression", () => {
    const scan = new PhysicalPlan.EmptyExec({ id: 0, output: PhysicalSchema.empty })
    const encoded = Schema.encodeSync(PhysicalPlan.PhysicalPlan)(scan) as Record<string, unknown>
    expect(() => Schema.decodeUnknownSync(PhysicalPlan.PhysicalPlan)({ ...encoded, id: 1.5 })).toThrow()
    expect(() => Schema.decodeUnknownSync(PhysicalPlan.PhysicalPlan)({ ...encoded, _tag: "NoSuchExec" })).toThrow()
    const binary = Schema.encodeSync(Expr.Expr)(col("a").add(1)) as Record<string, unknown>
    expect(() => Schema.decodeUnknownSync(Expr.Expr)({ ...binary, op: "**" })).toThrow()
    expect(() => Schema.decodeUnknownSync(Expr.Expr)({ ...binary, right: { _tag: "Column" } })).toThrow()
  })
})
