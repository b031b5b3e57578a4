import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { avg, col, collect, count, countDistinct, lit, max, min, sum, typedLit, when } from "../../src/Engine/Expr.js"
import type { GraphInput } from "../../src/Engine/Storage.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import * as Compare from "./Compare.js"
import * as Generators from "./Generators.js"
import * as Reference from "./Reference.js"

const graph: GraphInput = {
  nodes: [
    { id: 1, labels: ["Person"], properties: { name: "Ann", age: 30, score: 1.5 } },
    { id: 2, labels: ["Person"], properties: { name: "bob", age: 20, score: null } },
    { id: 3, labels: ["Person", "Company"], properties: { name: "é", age: null } },
    { id: 4, labels: ["City"], properties: { name: "Oslo", age: 2.5 } },
    { id: 5, labels: ["Person"], properties: { name: "\u{1F600}", age: 30, score: 2 } },
    { id: 6, labels: ["Person"], properties: { name: "\uFF5E", age: -7, score: Number.NaN } }
  ]
}

const rows = (frame: Hypergraph.Frame): Reference.ReferenceRows => {
  const result = Reference.evaluate(graph, frame.plan)
  if (result._tag !== "Rows") throw new Error(`unexpected error ${result.error}: ${result.detail}`)
  return result
}
const column = (frame: Hypergraph.Frame, name: string) => rows(frame).rows.map((r) => r[name])
const people = Hypergraph.nodes("Person", { as: "p" })

describe("Reference", () => {
  it("scans a label: system columns, then properties by name, typed per (label, property)", () => {
    const result = rows(people)
    expect(result.columns).toEqual(["p._id", "p._label", "p.age", "p.name", "p.score"])
    expect(result.types.map(DataType.display)).toEqual(["Int64", "String", "Int64", "String", "Float64"])
    expect(result.rows.map((r) => r["p._id"])).toEqual([1n, 2n, 3n, 5n, 6n])
    expect(result.rows[3]!["p.score"]).toBe(2)
    expect(result.rows[2]!["p.score"]).toBe(null) // missing key
    expect(result.rows[2]!["p._label"]).toBe("Person")
  })

  it("a label-less scan unifies Int64 with Float64", () => {
    const result = rows(Hypergraph.nodes(undefined, { as: "n" }).select("n.age"))
    expect(result.types.map(DataType.display)).toEqual(["Float64"])
    expect(result.rows.map((r) => r["n.age"])).toEqual([30, 20, null, 2.5, 30, -7])
  })

  it("a node matches every label it carries; a scan without label or alias is MissingAlias", () => {
    expect(column(Hypergraph.nodes("Company"), "Company._id")).toEqual([3n])
    const result = Reference.evaluate(graph, Hypergraph.nodes().plan)
    expect(result._tag === "Error" && result.error).toBe("InvalidPlan")
  })

  it("filters with Kleene logic (NULL is dropped)", () => {
    expect(column(people.filter(col("p.age").gt(21)), "p._id")).toEqual([1n, 5n])
    expect(column(people.filter(col("age").gt(21).or(col("p.age").isNull())), "p._id")).toEqual([1n, 3n, 5n])
    expect(column(people.filter(col("p.age").gt(100).and(lit(null))), "p._id")).toEqual([])
    expect(column(people.filter(col("p.age").gt(0).or(lit(null))), "p._id")).toEqual([1n, 2n, 5n])
  })

  it("sorts strings by code point, NULLs last ascending and first descending, NaN above every float", () => {
    expect(column(people.orderBy(col("p.name").asc()), "p.name")).toEqual(["Ann", "bob", "é", "\uFF5E", "\u{1F600}"])
    expect(column(people.orderBy(col("p.age").desc()), "p._id")).toEqual([3n, 1n, 5n, 2n, 6n])
    expect(column(people.orderBy(col("p.score").asc()), "p._id")).toEqual([1n, 5n, 6n, 2n, 3n])
    const sorted = rows(people.orderBy(col("p.age").asc()))
    expect(sorted.segments).toEqual([0, 1, 2, 2, 3])
  })

  it("groups NULL keys together and applies the empty / NULL rules of aggregates", () => {
    const result = rows(people.groupBy("p.age").agg({ n: count(), s: sum(col("p.score")), c: count(col("p.score")) }))
    const byAge = new Map(result.rows.map((r) => [r["p.age"], r]))
    expect(byAge.get(30n)).toEqual({ "p.age": 30n, n: 2n, s: 3.5, c: 2n })
    expect(byAge.get(20n)).toEqual({ "p.age": 20n, n: 1n, s: null, c: 0n })
    expect(byAge.get(null)).toEqual({ "p.age": null, n: 1n, s: null, c: 0n })
    const empty = rows(people.filter(lit(false)).agg({ n: count(), s: sum(col("p.age")), l: collect(col("p.name")), m: min(col("p.name")) }))
    expect(empty.rows).toEqual([{ n: 0n, s: null, l: [], m: null }])
    expect(rows(people.filter(lit(false)).groupBy("p.age").agg({ n: count() })).rows).toEqual([])
    const stats = rows(people.agg({ a: avg(col("p.age")), mx: max(col("p.score")), d: countDistinct(col("p.age")) }))
    expect(stats.rows).toEqual([{ a: 73 / 4, mx: Number.NaN, d: 3n }])
  })

  it("NaN groups with NaN and -0.0 with 0.0", () => {
    const g: GraphInput = {
      nodes: [0.5, Number.NaN, Number.NaN, -0, 0, 1.5].map((score, i) => ({ id: i + 1, labels: ["T"], properties: { score } }))
    }
    const result = Reference.evaluate(g, Hypergraph.nodes("T").groupBy("T.score").agg({ n: count() }).plan)
    expect(result._tag === "Rows" && result.rows.length).toBe(4)
    const distinct = Reference.evaluate(g, Hypergraph.nodes("T").select("T.score").distinct().plan)
    expect(distinct._tag === "Rows" && distinct.rows.length).toBe(4)
  })

  it("Int64 division truncates, division by zero fails, NULL first", () => {
    expect(column(people.filter(col("p._id").eq(6)).withColumn("q", col("p.age").div(2)), "q")).toEqual([-3n])
    expect(column(people.filter(col("p._id").eq(6)).withColumn("q", col("p.age").mod(4)), "q")).toEqual([-3n])
    expect(column(people.filter(col("p._id").eq(3)).withColumn("q", col("p.age").div(0)), "q")).toEqual([null])
    expect(column(people.filter(col("p._id").eq(1)).withColumn("q", col("p.age").div(typedLit(0, DataType.Float64))), "q")).toEqual([Infinity])
    const failed = Reference.evaluate(graph, people.withColumn("q", col("p.age").div(0)).plan)
    expect(failed._tag === "Error" && failed.error).toBe("DivisionByZero")
    const overflow = Reference.evaluate(graph, people.withColumn("q", lit(2n ** 62n).mul(col("p.age"))).plan)
    expect(overflow._tag === "Error" && overflow.error).toBe("ArithmeticOverflow")
  })

  it("errors in untaken CASE branches and dropped columns are latent, not failures", () => {
    const guarded = rows(people.withColumn("q", when(col("p.age").ne(0)).then(lit(60).div(col("p.age"))).otherwise(lit(0)))
      .withColumn("z", lit(1).div(col("p.age").sub(col("p.age"))))
      .select("p._id", "q"))
    expect(guarded.rows.map((r) => r["q"])).toEqual([2n, 3n, 0n, 2n, -8n])
    expect(guarded.latent).toEqual(["DivisionByZero"])
  })

  it("names outputs: alias, full column name, display text", () => {
    const result = rows(people.select("name", col("age").add(1), { twice: col("p.age").mul(2) }))
    expect(result.columns).toEqual(["p.name", "(p.age + 1)", "twice"])
    const dup = Reference.evaluate(graph, people.select("p.name", "name").plan)
    expect(dup._tag === "Error" && dup.error).toBe("InvalidPlan")
    const missing = Reference.evaluate(graph, people.select("nope").plan)
    expect(missing._tag === "Error" && missing.error).toBe("ColumnNotFound")
    const mismatch = Reference.evaluate(graph, people.filter(col("p.name").gt(1)).plan)
    expect(mismatch._tag === "Error" && mismatch.error).toBe("TypeMismatch")
  })

  it("limit and offset compose in call order", () => {
    const sorted = people.orderBy("p._id")
    expect(column(sorted.offset(1).limit(2), "p._id")).toEqual([2n, 3n])
    expect(column(sorted.limit(2).offset(1), "p._id")).toEqual([2n])
    expect(column(sorted.limit(0), "p._id")).toEqual([])
    expect(rows(people.limit(2)).determinism).toBe("count")
    expect(rows(sorted.limit(2)).determinism).toBe("full")
  })

  it("union widens, union distinct removes duplicates, unionAll keeps them", () => {
    const ints = people.select({ v: col("p.age") })
    const floats = Hypergraph.nodes("City").select({ v: col("City.age") })
    const all = rows(ints.unionAll(floats).unionAll(ints))
    expect(all.rows.length).toBe(11)
    expect(all.types.map(DataType.display)).toEqual(["Float64"])
    expect(rows(ints.union(floats)).rows.map((r) => r["v"]).sort()).toEqual([-7, 2.5, 20, 30, null].sort())
  })

  it("withColumn replaces in place and rename keeps everything else", () => {
    const result = rows(people.withColumn("p.age", col("p.age").add(0.5)).rename("p.name", "nm"))
    expect(result.columns).toEqual(["p._id", "p._label", "p.age", "nm", "p.score"])
    expect(result.rows[0]!["p.age"]).toBe(30.5)
    // The replaced column is a computed column now: `age` no longer resolves to it.
    const missing = Reference.evaluate(graph, people.withColumn("p.age", lit(1)).select("age").plan)
    expect(missing._tag === "Error" && missing.error).toBe("ColumnNotFound")
  })

  it("the generator builds queries the reference accepts", () => {
    const ref = Generators.refGraph(graph)
    let ok = 0
    for (let seed = 0; seed < 200; seed++) {
      let x = seed * 7919 + 1
      const seq = Array.from({ length: 80 }, () => (x = (x * 1103515245 + 12345) % 2147483648))
      const query = Generators.buildQuery(ref, seq)
      const result = Reference.evaluateOn(ref, query.frame.plan)
      if (result._tag === "Error") expect(result.planTime, `${query.text}: ${result.detail}`).toBe(false)
      else ok++
    }
    expect(ok).toBeGreaterThan(100)
  })
})

describe("Reference expand", () => {
  const g: GraphInput = {
    nodes: [
      { id: 1, labels: ["Person"], properties: { name: "a" } },
      { id: 2, labels: ["Person"], properties: { name: "b" } },
      { id: 3, labels: ["City"], properties: { name: "c", pop: 5 } }
    ],
    edges: [
      { id: 10, label: "KNOWS", source: 1, target: 2, properties: { w: 0.5 } },
      { id: 11, label: "KNOWS", source: 1, target: 2 },
      { id: 12, label: "KNOWS", source: 2, target: 2 },
      { id: 13, label: "LIVES_IN", source: 1, target: 3 }
    ],
    hyperedges: [{ id: 20, label: "KNOWS", bindings: [{ role: "source", node: 2 }, { role: "target", node: 1 }, { role: "x", node: 3 }] }]
  }
  const ids = (frame: Hypergraph.Frame, name: string) => {
    const result = Reference.evaluate(g, frame.plan)
    if (result._tag !== "Rows") throw new Error(result.detail)
    return result.rows.map((r) => r[name])
  }
  const p = Hypergraph.nodes("Person", { as: "p" })

  it("emits one row per matching edge, with target then edge columns", () => {
    const result = Reference.evaluate(g, p.expand("KNOWS", { to: "Person", as: "f" }).plan)
    if (result._tag !== "Rows") throw new Error(result.detail)
    expect(result.columns).toEqual(["p._id", "p._label", "p.name", "f._id", "f._label", "f.name", "KNOWS._id", "KNOWS._label", "KNOWS.w"])
    expect(result.rows.map((r) => [r["p._id"], r["f._id"], r["KNOWS._id"]])).toEqual([[1n, 2n, 10n], [1n, 2n, 11n], [2n, 2n, 12n]])
  })

  it("both directions emit a self-loop once; in follows edges backwards; to filters targets", () => {
    expect(ids(p.filter(col("p._id").eq(2)).expand("KNOWS", { as: "f", direction: "both" }), "f._id")).toEqual([1n, 1n, 2n])
    expect(ids(p.expand(undefined, { to: "City", direction: "out" }), "City.pop")).toEqual([5n])
    expect(ids(p.expand("KNOWS", { as: "f", direction: "in" }), "p._id")).toEqual([2n, 2n, 2n])
  })

  it("multi-hop follows trails; optionalExpand keeps unmatched rows once", () => {
    expect(ids(p.filter(col("p._id").eq(1)).expand("KNOWS", { as: "f", hops: 2 }), "f._id")).toEqual([2n, 2n])
    expect(ids(p.filter(col("p._id").eq(1)).expand("KNOWS", { as: "f", hops: [1, 3] }), "f._id")).toEqual([2n, 2n, 2n, 2n])
    expect(ids(p.optionalExpand("LIVES_IN", { to: "City" }), "City._id")).toEqual([3n, null])
  })

  it("an expand needs a qualifier and a fresh one", () => {
    const missing = Reference.evaluate(g, p.expand("KNOWS").plan)
    expect(missing._tag === "Error" && missing.detail).toMatch(/^MissingAlias/)
    const dup = Reference.evaluate(g, p.expand("KNOWS", { as: "p" }).plan)
    expect(dup._tag === "Error" && dup.detail).toMatch(/^DuplicateQualifier/)
  })
})

describe("Generators", () => {
  it("are deterministic for a seed", () => {
    const texts = (seed: number) =>
      fc.sample(Generators.testCase, { seed, numRuns: 20 }).map(([g, seq]) => Generators.buildQuery(Generators.refGraph(g), seq).text)
    expect(texts(7)).toEqual(texts(7))
    expect(texts(7)).not.toEqual(texts(8))
  })

  it("generate graphs with NULLs, missing keys, mixed Int/Float and non-ASCII strings", () => {
    const graphs = fc.sample(Generators.graph, { seed: 1, numRuns: 200 })
    const values = graphs.flatMap((g) => (g.nodes ?? []).flatMap((n) => Object.values(n.properties ?? {})))
    expect(values).toContain(null)
    expect(values).toContain("\u{1F600}")
    expect(values).toContain("é")
    expect(values.some((v) => typeof v === "number" && !Number.isInteger(v))).toBe(true)
    expect(graphs.some((g) => (g.nodes ?? []).some((n) => n.properties?.["age"] === undefined))).toBe(true)
    expect(graphs.some((g) => (g.hyperedges ?? []).length > 0 && (g.edges ?? []).length > 0)).toBe(true)
  })
})

describe("Compare", () => {
  it("compares multisets with float tolerance and lists as multisets", () => {
    expect(Compare.multisetDiff([[1n, 0.1 + 0.2], [null, [1n, 2n]]], [[null, [2n, 1n]], [1n, 0.3]]).missing).toEqual([])
    expect(Compare.multisetDiff([[1n]], [[1]]).missing).toEqual([[1n]])
    expect(Compare.valueEquals(Number.NaN, Number.NaN)).toBe(true)
    expect(Compare.valueEquals(-0, 0)).toBe(true)
    expect(Compare.valueEquals(1, 1.1)).toBe(false)
  })
})
