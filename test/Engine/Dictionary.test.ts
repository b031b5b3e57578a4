/**
 * Dictionary-encoded string columns: stored low-cardinality strings are encoded, the
 * evaluator computes an expression over one such column per dictionary entry, the group
 * table maps codes to the same groups as the decoded values, and query results come out
 * decoded. Every expectation is the row-wise answer over the decoded strings.
 */
import * as Arrow from "apache-arrow"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import * as Batch from "../../src/Engine/Batch.js"
import * as DataType from "../../src/Engine/DataType.js"
import * as Evaluator from "../../src/Engine/Evaluator.js"
import { call, col, count, lit } from "../../src/Engine/Expr.js"
import { GroupTable } from "../../src/Engine/Kernels/internal/groupTable.js"
import * as Hash from "../../src/Engine/Kernels/Hash.js"
import { Hypergraph, InMemoryStorage, LocalRuntime } from "../../src/index.js"
import { dictionaryEncode } from "../../src/Storage/internal/columns.js"

const utf8 = (values: ReadonlyArray<string | null>): Arrow.Data => {
  const builder = Arrow.makeBuilder({ type: new Arrow.Utf8(), nullValues: [null] })
  for (const v of values) builder.append(v)
  return builder.finish().flush()
}

const strings = (data: Arrow.Data): Array<unknown> => new Arrow.Vector([data]).toArray() as Array<unknown>

const values = (data: Arrow.Data): Array<unknown> => {
  const v = new Arrow.Vector([data])
  return Array.from({ length: data.length }, (_, i) => v.get(i))
}

const oneColumn = (name: string, data: Arrow.Data): Arrow.RecordBatch =>
  Batch.make(new Arrow.Schema([new Arrow.Field(name, data.type, true)]), [data])

const cities = ["paris", "rome", null, "paris", "oslo", "rome", "paris", null, "oslo", "paris"]

describe("dictionary-encoded strings", () => {
  it("storage encodes a column with at most half as many distinct values as rows, in order of first appearance", () => {
    const encoded = dictionaryEncode(utf8(cities))
    expect(Batch.isStringDictionary(encoded)).toBe(true)
    expect(strings(encoded.dictionary!.data[0]!)).toEqual(["paris", "rome", "oslo"])
    expect(strings(encoded)).toEqual(cities)
    const distinct = utf8(["a", "b", "c", "a"])
    expect(dictionaryEncode(distinct)).toBe(distinct)
  })

  it("an expression over one encoded column equals its row-wise value over the decoded column", () => {
    const encoded = dictionaryEncode(utf8(cities))
    const batch = oneColumn("c", encoded)
    const plain = oneColumn("c", utf8(cities))
    const exprs = [col("c").eq("paris"), col("c").isNull(), col("c").gt("p"), call("upper", col("c")), col("c").concat("!")]
    for (const expr of exprs) {
      expect(values(Effect.runSync(Evaluator.evaluate(expr, batch)))).toEqual(values(Effect.runSync(Evaluator.evaluate(expr, plain))))
    }
    // inside an expression over two columns, the encoded operand's sub-expression is evaluated per entry
    const ages = Batch.castData(Arrow.makeData({ type: new Arrow.Int32(), data: Int32Array.from(cities, (_, i) => i) }), DataType.Int64)
    const two = Batch.make(
      new Arrow.Schema([new Arrow.Field("c", encoded.type, true), new Arrow.Field("n", ages.type, true)]),
      [encoded, ages]
    )
    expect(values(Effect.runSync(Evaluator.evaluate(col("c").eq("paris").and(col("n").gt(2)), two)))).toEqual(
      cities.map((c, i) => (c === null ? (i > 2 ? null : false) : c === "paris" && i > 2))
    )
  })

  it("an expression that fails only on a dictionary entry no row uses does not fail", () => {
    // 10 / length(c) divides by zero for "" only
    const encoded = dictionaryEncode(utf8(["7", "", "77", "7", "", "7"]))
    const kept = Batch.takeData(encoded, Int32Array.from([0, 2, 3, 5]))
    expect(kept.dictionary).toBe(encoded.dictionary)
    const expr = lit(10).div(call("length", col("c")))
    expect(values(Effect.runSync(Evaluator.evaluate(expr, oneColumn("c", kept))))).toEqual([10n, 5n, 10n, 10n])
    const exit = Effect.runSyncExit(Evaluator.evaluate(expr, oneColumn("c", encoded)))
    expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error._tag : undefined).toBe("DivisionByZero")
  })

  it("evaluatePreservingDictionary hands encoded columns and string expressions over them out encoded; evaluate decodes", () => {
    const encoded = dictionaryEncode(utf8(cities))
    const batch = oneColumn("c", encoded)
    expect(Effect.runSync(Evaluator.evaluatePreservingDictionary(col("c"), batch))).toBe(encoded)
    const decoded = Effect.runSync(Evaluator.evaluate(col("c"), batch))
    expect(decoded.typeId).toBe(Arrow.Type.Utf8)
    expect(strings(decoded)).toEqual(cities)
    // a string expression over the encoded column stays encoded, NULL rows as the expression says
    const upper = Effect.runSync(Evaluator.evaluatePreservingDictionary(call("upper", col("c")), batch))
    expect(Batch.isStringDictionary(upper)).toBe(true)
    expect(strings(upper)).toEqual(cities.map((c) => (c === null ? null : c.toUpperCase())))
    const filled = Effect.runSync(Evaluator.evaluatePreservingDictionary(call("coalesce", col("c"), lit("none")), batch))
    expect(Batch.isStringDictionary(filled)).toBe(true)
    expect(strings(filled)).toEqual(cities.map((c) => c ?? "none"))
    // evaluate itself hands out plain Utf8
    const plainUpper = Effect.runSync(Evaluator.evaluate(call("upper", col("c")), batch))
    expect(plainUpper.typeId).toBe(Arrow.Type.Utf8)
    expect(strings(plainUpper)).toEqual(strings(upper))
  })

  it("the group table gives encoded and decoded keys the same groups, NULL included", () => {
    const encoded = dictionaryEncode(utf8(cities))
    const table = new GroupTable([new Arrow.Utf8()])
    // (the ids array may be reused by the next call: copy it)
    const first = Array.from(table.findOrInsertColumns([encoded], encoded.length))
    const reference = new GroupTable([new Arrow.Utf8()])
    const plain = utf8(cities)
    const expected = reference.findOrInsert(Hash.keyViews([plain]), Hash.hashColumns([plain], plain.length), plain.length)
    expect(first).toEqual(Array.from(expected))
    // later batches, plain or encoded with another dictionary, find the same groups
    const more = ["oslo", null, "rome", "lima"]
    const again = Array.from(table.findOrInsertColumns([utf8(more)], more.length))
    const other = dictionaryEncode(utf8([...more, ...more]))
    const viaOther = Array.from(table.findOrInsertColumns([other], other.length))
    const lima = table.size - 1
    expect(again).toEqual([first[4], first[2], first[1], lima])
    expect(viaOther).toEqual([...again, ...again])
    expect(strings(table.columns()[0]!)).toEqual(["paris", "rome", null, "oslo", "lima"])
  })

  it.effect("takes through the graph index read encoded columns (Uint8 and Uint16 narrow codes) and stay encoded", () =>
    Effect.gen(function*() {
      // 300 distinct tags over 900 nodes (Uint16 copy), 3 cities (Uint8 copy), one NULL city
      const nodes = Array.from({ length: 900 }, (_, i) => ({
        id: i + 1,
        labels: ["Person"],
        properties: { tag: `t${i % 300}`, city: i === 7 ? null : ["a", "b", "c"][i % 3]! }
      }))
      const storage = yield* InMemoryStorage.make({ nodes, edges: [], hyperedges: [] })
      const index = yield* storage.index(yield* storage.current)
      const ordinals = index.nodeOrdinals(BigInt64Array.from([900n, 8n, 1n, 451n, 8n]))
      const withMissing = Int32Array.from([...ordinals, -1])
      const [tag, city] = index.takeNodes(withMissing, [
        { field: "tag", dataType: DataType.String },
        { field: "city", dataType: DataType.String }
      ])
      expect(Batch.isStringDictionary(tag!)).toBe(true)
      expect(Batch.isStringDictionary(city!)).toBe(true)
      const expected = [900, 8, 1, 451, 8].map((id) => nodes[id - 1]!.properties)
      expect(strings(tag!)).toEqual([...expected.map((p) => p.tag), null])
      expect(strings(city!)).toEqual([...expected.map((p) => p.city), null])
      // the same take again (now from the cached narrow copies) gives the same rows
      expect(strings(index.takeNodes(withMissing, [{ field: "city", dataType: DataType.String }])[0]!)).toEqual(strings(city!))
    }))

  it.effect("queries over encoded columns return decoded Utf8 results equal to the row-wise answers", () =>
    Effect.gen(function*() {
      const nodes = cities.map((city, i) => ({ id: i + 1, labels: ["Person"], properties: { city, age: 20 + i } }))
      const edges = nodes.slice(1).map((n, i) => ({ id: i + 1, label: "KNOWS", source: i + 1, target: n.id, properties: {} }))
      const layer = InMemoryStorage.layer({ nodes, edges, hyperedges: [] })
      const filtered = yield* Hypergraph.nodes("Person", { as: "p" })
        .filter(col("p.city").eq(lit("paris")).or(col("p.city").isNull()))
        .select("p.city", "p.age")
        .collect()
        .pipe(Effect.provide(LocalRuntime.layer), Effect.provide(layer))
      expect(filtered.schema.fields[0]!.type.typeId).toBe(Arrow.Type.Utf8)
      const rows = filtered.toArray().map((r) => [r["p.city"], Number(r["p.age"])])
      expect(rows).toEqual(cities.flatMap((c, i) => (c === "paris" || c === null ? [[c, 20 + i]] : [])))

      const grouped = yield* Hypergraph.nodes("Person", { as: "p" })
        .expand("KNOWS", { to: "Person", as: "f" })
        .groupBy("f.city")
        .agg({ n: count() })
        .collect()
        .pipe(Effect.provide(LocalRuntime.layer), Effect.provide(layer))
      expect(grouped.schema.fields[0]!.type.typeId).toBe(Arrow.Type.Utf8)
      const counts = new Map<unknown, number>()
      for (const c of cities.slice(1)) counts.set(c, (counts.get(c) ?? 0) + 1)
      const got = new Map(grouped.toArray().map((r) => [r["f.city"], Number(r["n"])]))
      expect(got).toEqual(counts)
    }))
})
