/**
 * The seven benchmark queries written with the public frame API, each paired with its
 * hand-written reference (`Reference.ts`) and how their answers are compared.
 *
 * @since 0.1.0
 */
import { avg, col, count, max } from "../src/Engine/Expr.js"
import type { Frame } from "../src/Query/Frame.js"
import * as Hypergraph from "../src/Query/Hypergraph.js"
import * as Reference from "./Reference.js"

/** How one output column is compared: `exact` (also the multiset key) or `approx` (relative tolerance). */
export interface CheckedColumn {
  /** The engine's output column name. */
  readonly engine: string
  /** The reference's column name. */
  readonly reference: string
  readonly compare: "exact" | "approx"
}

/** A benchmark query: the engine frame, the reference, and the answer comparison. */
export interface BenchQuery {
  readonly id: string
  readonly description: string
  readonly frame: Frame
  readonly reference: (graph: Reference.ReferenceGraph) => Reference.ReferenceResult
  readonly columns: ReadonlyArray<CheckedColumn>
  /** Compare in order (ties on `tieColumn` compared as sets); otherwise as multisets. */
  readonly ordered?: { readonly tieColumn: string } | undefined
}

const exact = (engine: string, reference: string = engine): CheckedColumn => ({ engine, reference, compare: "exact" })
const approx = (engine: string, reference: string = engine): CheckedColumn => ({ engine, reference, compare: "approx" })

const person = () => Hypergraph.nodes("Person", { as: "p" })

/** Parameters of the queries (the benchmark uses the defaults; tests may widen the filters). */
export interface QueryParams {
  readonly q1City: string
  readonly q1MinAge: number
  readonly q3Limit: number
  readonly q4MaxAge: number
  readonly q5City: string
  readonly q5Age: number
  readonly q6MinScore: number
  readonly q6MinSince: number
}

/** The parameters of the benchmark spec. */
export const defaultParams: QueryParams = {
  q1City: "c7",
  q1MinAge: 30,
  q3Limit: 100,
  q4MaxAge: 25,
  q5City: "c42",
  q5Age: 30,
  q6MinScore: 0.9,
  q6MinSince: 2020
}

/** The seven queries with the given parameters. */
export const make = (overrides: Partial<QueryParams> = {}): ReadonlyArray<BenchQuery> => {
  const p: QueryParams = { ...defaultParams, ...overrides }
  return [
    {
      id: "Q1",
      description: `persons with age > ${p.q1MinAge} and city = ${p.q1City} → name, age`,
      frame: person()
        .filter(col("p.age").gt(p.q1MinAge).and(col("p.city").eq(p.q1City)))
        .select("p.name", "p.age"),
      reference: (g) => Reference.q1(g, p.q1City, p.q1MinAge),
      columns: [exact("p.name", "name"), exact("p.age", "age")]
    },
    {
      id: "Q2",
      description: "per city: count, avg(age), max(score)",
      frame: person()
        .groupBy("p.city")
        .agg({ count: count(), avg_age: avg(col("p.age")), max_score: max(col("p.score")) }),
      reference: Reference.q2,
      columns: [exact("p.city", "city"), exact("count"), approx("avg_age"), exact("max_score")]
    },
    {
      id: "Q3",
      description: `top ${p.q3Limit} persons by score desc (NULLs last) → id, score`,
      frame: person()
        .select("p._id", "p.score")
        .orderBy(col("p.score").desc().withNullsLast())
        .limit(p.q3Limit),
      reference: (g) => Reference.q3(g, p.q3Limit),
      columns: [exact("p._id", "id"), exact("p.score", "score")],
      ordered: { tieColumn: "p.score" }
    },
    {
      id: "Q4",
      description: `persons with age < ${p.q4MaxAge}, expand KNOWS to friend, count per friend.city`,
      frame: person()
        .filter(col("p.age").lt(p.q4MaxAge))
        .expand("KNOWS", { to: "Person", as: "f" })
        .groupBy("f.city")
        .agg({ count: count() }),
      reference: (g) => Reference.q4(g, p.q4MaxAge),
      columns: [exact("f.city", "city"), exact("count")]
    },
    {
      id: "Q5",
      description: `persons with city = ${p.q5City} and age = ${p.q5Age}, two KNOWS hops, count of paths`,
      frame: person()
        .filter(col("p.city").eq(p.q5City).and(col("p.age").eq(p.q5Age)))
        .expand("KNOWS", { to: "Person", as: "f", hops: 2 })
        .agg({ paths: count() }),
      reference: (g) => Reference.q5(g, p.q5City, p.q5Age),
      columns: [exact("paths")]
    },
    {
      id: "Q6",
      description: `persons with score > ${p.q6MinScore}, KNOWS edges with since >= ${p.q6MinSince} → person.name, friend.name, since`,
      frame: person()
        .filter(col("p.score").gt(p.q6MinScore))
        .expand("KNOWS", { to: "Person", as: "f", edgeAs: "k" })
        .filter(col("k.since").ge(p.q6MinSince))
        .select("p.name", "f.name", "k.since"),
      reference: (g) => Reference.q6(g, p.q6MinScore, p.q6MinSince),
      columns: [exact("p.name", "name"), exact("f.name", "friend"), exact("k.since", "since")]
    },
    {
      id: "Q7",
      description: "persons expand WORKS_AT to Company, per company.country: count, avg(age)",
      frame: person()
        .expand("WORKS_AT", { to: "Company", as: "c" })
        .groupBy("c.country")
        .agg({ count: count(), avg_age: avg(col("p.age")) }),
      reference: Reference.q7,
      columns: [exact("c.country", "country"), exact("count"), approx("avg_age")]
    }
  ]
}
