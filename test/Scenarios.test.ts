import { describe, expect, it } from "@effect/vitest"
import type * as Arrow from "apache-arrow"
import { Effect, Layer } from "effect"
import * as DataType from "../src/Engine/DataType.js"
import type { ExecutionError } from "../src/Engine/ExecutionError.js"
import {
  avg, call, col, collect, collectDistinct, count, countDistinct, lit, max, min, sum
} from "../src/Engine/Expr.js"
import { Storage, type GraphInput } from "../src/Engine/Storage.js"
import * as LocalRuntime from "../src/LocalRuntime/LocalRuntime.js"
import type { Frame } from "../src/Query/Frame.js"
import * as Hypergraph from "../src/Query/Hypergraph.js"
import * as InMemoryStorage from "../src/Storage/InMemoryStorage.js"
import { countingStorage } from "./Query/fixtures.js"

const graph: GraphInput = {
  nodes: [
    { id: 1, labels: ["Person"], properties: { name: "Ann", age: 30, score: 1.5, city: "Lisboa", nick: null } },
    { id: 2, labels: ["Person"], properties: { name: "Bob", age: 25, score: null, city: "Oslo", nick: null } },
    { id: 3, labels: ["Person"], properties: { name: "Cid", age: null, score: 2.5, city: "Lisboa", nick: null } },
    { id: 4, labels: ["Person"], properties: { name: "Dan", age: 40, score: 0.5, city: null, nick: null } },
    { id: 5, labels: ["Person", "Admin"], properties: { name: "Eve", age: 25, score: 3, city: "Oslo", nick: null } },
    { id: 10, labels: ["City"], properties: { name: "Lisboa" } },
    { id: 11, labels: ["City"], properties: { name: "Oslo" } }
  ],
  edges: [
    { id: 100, label: "KNOWS", source: 1, target: 2, properties: { since: 2020 } },
    { id: 101, label: "KNOWS", source: 2, target: 3, properties: { since: 2021 } }
  ]
}

const layer = LocalRuntime.layer.pipe(Layer.provide(InMemoryStorage.layer(graph)))
const run = <A>(effect: Effect.Effect<A, ExecutionError, import("../src/Query/Runtime.js").Runtime>) =>
  Effect.provide(effect, layer)

/** Rows as plain objects (tests only): lists become arrays. */
const rows = (table: Arrow.Table): Array<Record<string, unknown>> => {
  const names = table.schema.fields.map((f) => f.name)
  const out: Array<Record<string, unknown>> = []
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {}
    for (const name of names) {
      const v = table.getChild(name)!.get(i)
      row[name] = v !== null && typeof v === "object" && "toArray" in v ? [...(v as Iterable<unknown>)] : v
    }
    out.push(row)
  }
  return out
}
const column = (table: Arrow.Table, name: string) => rows(table).map((r) => r[name])
const collectRows = (frame: Frame) => run(Effect.map(frame.collect(), rows))
const collectTable = (frame: Frame) => run(frame.collect())

const person = () => Hypergraph.nodes("Person", { as: "p" })

describe("Scenarios: scan, filter, project", () => {
  it.effect("scan returns one row per entity with system columns then properties by name", () =>
    Effect.gen(function*() {
      const table = yield* collectTable(Hypergraph.nodes("Person"))
      expect(table.schema.fields.map((f) => f.name)).toEqual([
        "Person._id", "Person._label", "Person.age", "Person.city", "Person.name", "Person.nick", "Person.score"
      ])
      expect(table.numRows).toBe(5)
      expect(column(table, "Person._id").sort()).toEqual([1n, 2n, 3n, 4n, 5n])
      expect(new Set(column(table, "Person._label"))).toEqual(new Set(["Person"]))
    }))

  it.effect("a label matches in any position; an unknown label yields no rows", () =>
    Effect.gen(function*() {
      expect(column(yield* collectTable(Hypergraph.nodes("Admin")), "Admin.name")).toEqual(["Eve"])
      const ghost = yield* collectTable(Hypergraph.nodes("Ghost"))
      expect(ghost.numRows).toBe(0)
      expect(ghost.schema.fields.map((f) => f.name)).toEqual(["Ghost._id", "Ghost._label"])
    }))

  it.effect("filter keeps TRUE rows only (NULL dropped)", () =>
    Effect.gen(function*() {
      const r = yield* collectRows(person().filter(col("age").gt(26)).select("name"))
      expect(r.map((x) => x["p.name"]).sort()).toEqual(["Ann", "Dan"])
      const r2 = yield* collectRows(person().filter(col("age").gt(26).not()).select("name"))
      expect(r2.map((x) => x["p.name"]).sort()).toEqual(["Bob", "Eve"])
    }))

  it.effect("select with computed columns, aliases and full names", () =>
    Effect.gen(function*() {
      const table = yield* collectTable(person().filter(col("p._id").eq(1)).select("name", col("age").add(1), { half: col("age").mul(0.5) }))
      expect(table.schema.fields.map((f) => f.name)).toEqual(["p.name", "(p.age + 1)", "half"])
      expect(rows(table)).toEqual([{ "p.name": "Ann", "(p.age + 1)": 31n, half: 15 }])
    }))

  it.effect("withColumn adds and replaces; rename renames", () =>
    Effect.gen(function*() {
      const table = yield* collectTable(
        person().filter(col("p._id").eq(2)).select("name", "age").withColumn("p.age", col("age").mul(2)).withColumn("x", lit("k"))
          .rename({ "p.name": "who" })
      )
      expect(table.schema.fields.map((f) => f.name)).toEqual(["who", "p.age", "x"])
      expect(rows(table)).toEqual([{ who: "Bob", "p.age": 50n, x: "k" }])
    }))

  it.effect("labels() and id() graph functions", () =>
    Effect.gen(function*() {
      const r = yield* collectRows(person().filter(col("p._id").eq(5)).select({ i: call("id", col("p")), l: call("labels", col("p")) }))
      expect(r).toEqual([{ i: 5n, l: ["Person", "Admin"] }])
    }))
})

describe("Scenarios: sort, limit, offset", () => {
  const byId = () => person().orderBy("p._id").select("p._id")
  const ids = (r: Array<Record<string, unknown>>) => r.map((x) => x["p._id"])

  it.effect("limit/offset compose in call order", () =>
    Effect.gen(function*() {
      expect(ids(yield* collectRows(byId().offset(1).limit(2)))).toEqual([2n, 3n])
      expect(ids(yield* collectRows(byId().limit(3).offset(1)))).toEqual([2n, 3n])
      expect(ids(yield* collectRows(byId().limit(2).offset(3)))).toEqual([])
      expect(ids(yield* collectRows(byId().offset(4).limit(10)))).toEqual([5n])
    }))

  it.effect("limit 0 and offset past the end return no rows with the schema", () =>
    Effect.gen(function*() {
      const zero = yield* collectTable(person().limit(0))
      expect(zero.numRows).toBe(0)
      expect(zero.schema.fields.length).toBe(7)
      const past = yield* collectTable(byId().offset(10))
      expect(past.numRows).toBe(0)
      expect(past.schema.fields.map((f) => f.name)).toEqual(["p._id"])
      expect(yield* run(person().limit(3).count())).toBe(3)
    }))

  it.effect("ascending puts NULLs last and is stable; descending puts NULLs first", () =>
    Effect.gen(function*() {
      const asc = yield* collectRows(person().orderBy("age").select("name"))
      expect(asc.map((x) => x["p.name"])).toEqual(["Bob", "Eve", "Ann", "Dan", "Cid"])
      const desc = yield* collectRows(person().orderBy(col("age").desc()).select("name"))
      expect(desc.map((x) => x["p.name"])).toEqual(["Cid", "Dan", "Ann", "Bob", "Eve"])
      const descLast = yield* collectRows(person().orderBy(col("age").desc().withNullsLast()).select("name"))
      expect(descLast.map((x) => x["p.name"])).toEqual(["Dan", "Ann", "Bob", "Eve", "Cid"])
    }))

  it.effect("multi-key sort", () =>
    Effect.gen(function*() {
      const r = yield* collectRows(person().orderBy("city", col("age").desc()).select("name"))
      expect(r.map((x) => x["p.name"])).toEqual(["Cid", "Ann", "Bob", "Eve", "Dan"])
      const top = yield* collectRows(person().orderBy(col("score").desc().withNullsLast()).limit(2).select("name"))
      expect(top.map((x) => x["p.name"])).toEqual(["Eve", "Cid"])
    }))
})

describe("Scenarios: aggregates", () => {
  it.effect("count, sum, avg, min, max together", () =>
    Effect.gen(function*() {
      const r = yield* collectRows(person().agg({
        n: count(),
        ages: count(col("age")),
        total: sum(col("age")),
        mean: avg(col("age")),
        lo: min(col("age")),
        hi: max(col("age")),
        fsum: sum(col("score")),
        favg: avg(col("score")),
        first: min(col("name")),
        last: max(col("name")),
        cities: countDistinct(col("city"))
      }))
      expect(r).toEqual([{
        n: 5n, ages: 4n, total: 120n, mean: 30, lo: 25n, hi: 40n, fsum: 7.5, favg: 1.875, first: "Ann", last: "Eve", cities: 2n
      }])
    }))

  it.effect("group by with a NULL key forms one group", () =>
    Effect.gen(function*() {
      const r = yield* collectRows(person().groupBy("city").agg({ n: count(), total: sum(col("age")) }).orderBy("p.city"))
      expect(r).toEqual([
        { "p.city": "Lisboa", n: 2n, total: 30n },
        { "p.city": "Oslo", n: 2n, total: 50n },
        { "p.city": null, n: 1n, total: 40n }
      ])
    }))

  it.effect("every aggregate on empty input gives one row; group by on empty gives zero rows", () =>
    Effect.gen(function*() {
      const empty = person().filter(col("age").gt(100))
      const r = yield* collectRows(empty.agg({
        n: count(), c: count(col("age")), d: countDistinct(col("age")), s: sum(col("age")), a: avg(col("age")),
        lo: min(col("name")), hi: max(col("score")), l: collect(col("name")), ld: collectDistinct(col("name"))
      }))
      expect(r).toEqual([{ n: 0n, c: 0n, d: 0n, s: null, a: null, lo: null, hi: null, l: [], ld: [] }])
      const grouped = yield* collectTable(empty.groupBy("city").agg({ n: count() }))
      expect(grouped.numRows).toBe(0)
      expect(grouped.schema.fields.map((f) => f.name)).toEqual(["p.city", "n"])
      expect(yield* run(empty.count())).toBe(0)
    }))

  it.effect("aggregates over an all-NULL property", () =>
    Effect.gen(function*() {
      const r = yield* collectRows(person().agg({ c: count(col("nick")), lo: min(col("nick")), l: collect(col("nick")) }))
      expect(r).toEqual([{ c: 0n, lo: null, l: [] }])
    }))

  it.effect("collect and collectDistinct skip NULLs", () =>
    Effect.gen(function*() {
      const r = yield* collectRows(person().agg({ l: collect(col("city")), ld: collectDistinct(col("city")) }))
      expect((r[0]!["l"] as Array<string>).sort()).toEqual(["Lisboa", "Lisboa", "Oslo", "Oslo"])
      expect((r[0]!["ld"] as Array<string>).sort()).toEqual(["Lisboa", "Oslo"])
    }))

  it.effect("count() of a frame", () =>
    Effect.gen(function*() {
      expect(yield* run(person().count())).toBe(5)
      expect(yield* run(Hypergraph.nodes(undefined, { as: "n" }).count())).toBe(7)
    }))
})

describe("Scenarios: union and distinct", () => {
  it.effect("union removes duplicates, unionAll keeps them", () =>
    Effect.gen(function*() {
      const cities = () => person().select("city")
      const all = yield* collectRows(cities().unionAll(cities()))
      expect(all.length).toBe(10)
      const distinct = yield* collectRows(cities().union(cities()))
      expect(distinct.map((x) => x["p.city"]).sort()).toEqual(["Lisboa", "Oslo", null])
    }))

  it.effect("distinct compares every column", () =>
    Effect.gen(function*() {
      expect((yield* collectRows(person().select("city").distinct())).length).toBe(3)
      expect((yield* collectRows(person().select("city", "age").distinct())).length).toBe(4) // Bob and Eve are both (Oslo, 25)
    }))

  it.effect("union widens Int64 with Float64", () =>
    Effect.gen(function*() {
      const table = yield* collectTable(person().select({ v: "age" }).unionAll(person().select({ v: "score" })))
      expect(DataType.fromArrow(table.schema.fields[0]!.type)).toEqual(DataType.Float64)
      expect(table.numRows).toBe(10)
    }))
})

describe("Scenarios: empty results, explain, errors", () => {
  it.effect("an empty result keeps the output schema", () =>
    Effect.gen(function*() {
      const table = yield* collectTable(person().filter(lit(false)).select("name", { a: col("age").add(1) }))
      expect(table.numRows).toBe(0)
      expect(table.schema.fields.map((f) => f.name)).toEqual(["p.name", "a"])
    }))

  it.effect("explain prints the logical, optimized and physical plans", () =>
    Effect.gen(function*() {
      const text = yield* run(person().filter(col("age").gt(21)).limit(2).explain())
      expect(text).toContain("Filter((p.age > 21))")
      expect(text).toMatch(/Physical/)
      const analyzed = yield* run(person().filter(col("age").gt(21)).explain({ analyze: true }))
      expect(analyzed).toMatch(/rows/)
    }))

  it.effect("plan-time errors fail the query before any storage scan", () =>
    Effect.gen(function*() {
      const { counts, storage } = countingStorage()
      const counting = LocalRuntime.layer.pipe(Layer.provide(Layer.succeed(Storage, storage)))
      const err = yield* Effect.flip(person().filter(col("nope").gt(1)).collect().pipe(Effect.provide(counting)))
      expect(err).toMatchObject({ _tag: "ColumnNotFound", column: "nope" })
      const err2 = yield* Effect.flip(person().select(col("name").add(1)).collect().pipe(Effect.provide(counting)))
      expect(err2._tag).toBe("TypeMismatch")
      expect(counts.scans).toBe(0)
    }))

  it.effect("an unknown snapshot is SnapshotNotFound", () =>
    Effect.gen(function*() {
      const err = yield* Effect.flip(run(person().collect({ snapshot: 999 })))
      expect(err).toMatchObject({ _tag: "SnapshotNotFound", snapshot: 999 })
    }))

  it.effect("optimize on and off give the same rows", () =>
    Effect.gen(function*() {
      const frame = person().filter(col("age").ge(25)).orderBy("name").limit(3).select("name")
      const off = LocalRuntime.layerWith({ optimize: false, config: { batchSize: 2 } }).pipe(Layer.provide(InMemoryStorage.layer(graph)))
      const a = yield* collectRows(frame)
      const b = yield* Effect.map(frame.collect().pipe(Effect.provide(off)), rows)
      expect(b).toEqual(a)
      expect(a.map((x) => x["p.name"])).toEqual(["Ann", "Bob", "Dan"])
    }))
})
