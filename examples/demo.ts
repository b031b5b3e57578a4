/**
 * The Grism demo: questions over the embedded example graph (people, cities, companies,
 * KNOWS / LIVES_IN / WORKS_AT edges and MEETING hyperedges), run with the local runtime.
 *
 *   npm run demo
 */
import type * as Arrow from "apache-arrow"
import { Console, Effect, Layer } from "effect"
import { avg, col, count, countDistinct, ExampleGraph, Functions, Hypergraph, InMemoryStorage, LocalRuntime, max, RayRuntime } from "../src/index.js"

/** Prints a table as aligned text (at most `limit` rows). */
const show = (title: string, table: Arrow.Table, limit = 10): Effect.Effect<void> => {
  const names = table.schema.fields.map((f) => f.name)
  const rows = table.toArray().slice(0, limit).map((row) =>
    names.map((name) => {
      const value = (row as Record<string, unknown>)[name]
      if (value === null || value === undefined) return "NULL"
      if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(3)
      if (typeof value === "object" && value !== null && "toArray" in value) {
        return `[${Array.from((value as { toArray(): ArrayLike<unknown> }).toArray()).join(", ")}]`
      }
      return String(value)
    })
  )
  const widths = names.map((name, i) => Math.max(name.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join(" │ ")
  return Console.log([
    `\n■ ${title}  (${table.numRows} rows${table.numRows > limit ? `, first ${limit} shown` : ""})`,
    line(names),
    widths.map((w) => "─".repeat(w)).join("─┼─"),
    ...rows.map(line)
  ].join("\n"))
}

const person = (alias: string) => Hypergraph.nodes("Person", { as: alias })

// 1. Friends of friends of people in Zürich who live in Lisboa, ranked by the paths that reach them.
const friendsOfFriends = person("p")
  .filter(col("p.city").eq("Zürich"))
  .expand("KNOWS", { to: "Person", as: "f", edgeAs: "k1" })
  .expand("KNOWS", { to: "Person", as: "fof", edgeAs: "k2" })
  .filter(col("fof.city").eq("Lisboa").and(col("fof._id").ne(col("p._id"))))
  .groupBy("fof.name", "fof.age")
  .agg({ paths: count(), via: countDistinct(col("f._id")) })
  .orderBy(col("paths").desc(), col("fof.name"))
  .limit(10)

// 2. Per city: residents, average age, best score.
const cityStats = person("p")
  .expand("LIVES_IN", { to: "City", as: "c" })
  .groupBy("c.name", "c.country")
  .agg({ residents: count(), avgAge: avg(col("p.age")), bestScore: max(col("p.score")) })
  .orderBy(col("residents").desc())

// 3. Who hosts the meetings with the most attendees (n-ary hyperedges, role expand).
const hosts = Hypergraph.hyperedges("MEETING", { as: "m" })
  .expandRole("attendee", { to: "Person", as: "a" })
  .groupBy("m._id", "m.topic")
  .agg({ attendees: count() })
  .orderBy(col("attendees").desc(), col("m._id"))
  .limit(5)

// 4. Engineers at each company, names in upper case, two hops of colleagues.
const engineers = person("p")
  .expand("WORKS_AT", { to: "Company", as: "co", edgeAs: "w" })
  .filter(col("w.role").eq("engineer"))
  .select({ company: col("co.name"), name: Functions.upper(col("p.name")), age: col("p.age") })
  .orderBy("company", "name")
  .limit(8)

const program = Effect.gen(function*() {
  yield* Console.log("Grism demo — the embedded example graph, LocalRuntime")
  yield* show("Friends of friends (from Zürich) who live in Lisboa", yield* friendsOfFriends.collect())
  yield* show("Residents per city", yield* cityStats.collect())
  yield* show("Largest meetings", yield* hosts.collect())
  yield* show("Engineers by company", yield* engineers.collect())
  yield* Console.log(`\nPeople: ${yield* person("p").count()}`)
  yield* Console.log("\n■ EXPLAIN friends of friends\n" + (yield* friendsOfFriends.explain()))
  yield* Console.log("\n■ EXPLAIN ANALYZE residents per city\n" + (yield* cityStats.explain({ analyze: true })))
})

/** The same frame under the distributed runtime (4 partitions, tasks in this process, partitions as Arrow IPC). */
const distributed = Effect.gen(function*() {
  const table = yield* cityStats.collect()
  yield* show("Residents per city, distributed over 4 partitions", table)
  yield* Console.log("\n■ EXPLAIN ANALYZE (distributed stages)\n" + (yield* cityStats.explain({ analyze: true })))
})

const storage = InMemoryStorage.layer(ExampleGraph.exampleGraph)
const local = Effect.provide(program, LocalRuntime.layer.pipe(Layer.provide(storage)))
const onPartitions = Effect.provide(distributed, RayRuntime.layerInProcess({ partitions: 4 }).pipe(Layer.provide(storage)))

Effect.runPromise(Effect.zipRight(local, onPartitions)).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
