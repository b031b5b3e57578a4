import * as Arrow from "apache-arrow"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Check from "../../bench/Check.js"
import * as Engine from "../../bench/Engine.js"
import * as Queries from "../../bench/Queries.js"
import * as Reference from "../../bench/Reference.js"
import {
  assemble, dictionaryStrings, float64Vector, generate, int64Vector, numberedStrings, sequenceVector, type SocialGraph
} from "../../bench/SocialGraph.js"

/** Runs a reference query and returns its columns as plain arrays. */
const answer = (result: Reference.ReferenceResult): Record<string, Array<unknown>> =>
  Object.fromEntries(Object.entries(result.columns).map(([name, column]) => [name, [...column()]]))

/**
 * A hand-built graph:
 *   persons p0 (20, c1, 0.5), p1 (30, c2, NULL), p2 (40, c1, 0.95), p3 (24, c3, 0.2)
 *   KNOWS e0 p0→p1 2021, e1 p1→p2 2019, e2 p1→p1 2020 (self-loop), e3 p2→p0 2022, e4 p3→p1 2000
 *   companies co0 (k1) id 4, co1 (k2) id 5; WORKS_AT p0→co0, p1→co0, p2→co1, p3→co0
 */
const tiny = (): SocialGraph => {
  const cities = ["c0", "c1", "c2", "c3"]
  const countries = ["k0", "k1", "k2"]
  return assemble(4, 0, {
    persons: new Arrow.Table({
      _id: sequenceVector(4, 0),
      name: numberedStrings("p", 4, 0),
      age: int64Vector(new Int32Array([20, 30, 40, 24])),
      city: dictionaryStrings(cities, new Uint8Array([1, 2, 1, 3])),
      score: float64Vector(new Float64Array([0.5, 0, 0.95, 0.2]), new Uint8Array([1, 0, 1, 1]))
    }),
    companies: new Arrow.Table({
      _id: sequenceVector(2, 4),
      name: numberedStrings("co", 2, 0),
      country: dictionaryStrings(countries, new Uint8Array([1, 2]))
    }),
    knows: new Arrow.Table({
      _id: sequenceVector(5, 0),
      source: int64Vector(new Int32Array([0, 1, 1, 2, 3])),
      target: int64Vector(new Int32Array([1, 2, 1, 0, 1])),
      since: int64Vector(new Int32Array([2021, 2019, 2020, 2022, 2000]))
    }),
    worksAt: new Arrow.Table({
      _id: sequenceVector(4, 5),
      source: sequenceVector(4, 0),
      target: int64Vector(new Int32Array([4, 4, 5, 4]))
    })
  })
}

describe("bench generator", () => {
  it("is deterministic for a seed and differs across seeds", () => {
    const a = generate({ scale: 500, seed: 7 })
    const b = generate({ scale: 500, seed: 7 })
    const c = generate({ scale: 500, seed: 8 })
    expect(a.knows.numRows).toBe(b.knows.numRows)
    for (const name of ["source", "target", "since"]) {
      expect(a.knows.getChild(name)!.toArray()).toEqual(b.knows.getChild(name)!.toArray())
    }
    expect(a.persons.getChild("age")!.toArray()).toEqual(b.persons.getChild("age")!.toArray())
    expect(a.persons.getChild("age")!.toArray()).not.toEqual(c.persons.getChild("age")!.toArray())
  })

  it("has the specified shape", () => {
    const g = generate({ scale: 5000 })
    expect(g.persons.numRows).toBe(5000)
    expect(g.companies.numRows).toBe(50)
    expect(g.worksAt.numRows).toBe(5000)
    const meanDegree = g.knows.numRows / 5000
    expect(meanDegree).toBeGreaterThan(8)
    expect(meanDegree).toBeLessThan(12)
    const ages = [...g.persons.getChild("age")!].map(Number)
    expect(Math.min(...ages)).toBe(18)
    expect(Math.max(...ages)).toBe(90)
    const nullShare = g.persons.getChild("score")!.nullCount / 5000
    expect(nullShare).toBeGreaterThan(0.03)
    expect(nullShare).toBeLessThan(0.07)
    const scores = [...g.persons.getChild("score")!].filter((s): s is number => s !== null)
    expect(scores.every((s) => s >= 0 && s < 1)).toBe(true)
    const cities = new Map<string, number>()
    for (const c of g.persons.getChild("city")!) cities.set(c as string, (cities.get(c as string) ?? 0) + 1)
    expect([...cities.keys()].every((c) => /^c(\d|[1-9]\d)$/.test(c))).toBe(true)
    expect(cities.get("c0")!).toBeGreaterThan(3 * (cities.get("c20") ?? 0)) // skewed
    const since = [...g.knows.getChild("since")!].map(Number)
    expect(Math.min(...since)).toBeGreaterThanOrEqual(1990)
    expect(Math.max(...since)).toBeLessThanOrEqual(2025)
    const source = g.knows.getChild("source")!.toArray() as BigInt64Array
    const target = g.knows.getChild("target")!.toArray() as BigInt64Array
    expect(source.every((s, i) => s !== target[i])).toBe(true)
    // heavy tail: the largest out-degree is far above the mean
    const degree = new Map<bigint, number>()
    for (const s of source) degree.set(s, (degree.get(s) ?? 0) + 1)
    expect(Math.max(...degree.values())).toBeGreaterThan(8 * meanDegree)
    // edge ids unique across KNOWS and WORKS_AT
    const ids = new Set([...g.knows.getChild("_id")!, ...g.worksAt.getChild("_id")!])
    expect(ids.size).toBe(g.knows.numRows + g.worksAt.numRows)
  })
})

describe("bench reference on a hand-built graph", () => {
  const g = Reference.load(tiny())

  it("Q1 filters on age and city", () => {
    expect(answer(Reference.q1(g, "c1", 30))).toEqual({ name: ["p2"], age: [40] })
  })

  it("Q2 groups per city with avg and a NULL max", () => {
    const a = answer(Reference.q2(g))
    const byCity = Object.fromEntries(a["city"]!.map((c, i) => [c, [a["count"]![i], a["avg_age"]![i], a["max_score"]![i]]]))
    expect(byCity).toEqual({ c1: [2, 30, 0.95], c2: [1, 30, null], c3: [1, 24, 0.2] })
  })

  it("Q3 orders by score descending with NULLs last", () => {
    expect(answer(Reference.q3(g, 3))).toEqual({ id: [2, 0, 3], score: [0.95, 0.5, 0.2] })
    expect(answer(Reference.q3(g, 10))).toEqual({ id: [2, 0, 3, 1], score: [0.95, 0.5, 0.2, null] })
  })

  it("Q4 counts friends per city", () => {
    expect(answer(Reference.q4(g, 25))).toEqual({ city: ["c2"], count: [2] })
  })

  it("Q5 counts two-hop trails (a self-loop is not reused)", () => {
    // from p1: e1 then e3; e2 (self-loop) then e1; e2 then e2 repeats an edge
    expect(answer(Reference.q5(g, "c2", 30))).toEqual({ paths: [2] })
  })

  it("Q6 filters edges on since", () => {
    expect(answer(Reference.q6(g, 0.9, 2020))).toEqual({ name: ["p2"], friend: ["p0"], since: [2022] })
    expect(answer(Reference.q6(g, 0.4, 2020))).toEqual({ name: ["p0", "p2"], friend: ["p1", "p0"], since: [2021, 2022] })
  })

  it("Q7 groups per company country", () => {
    expect(answer(Reference.q7(g))).toEqual({ country: ["k1", "k2"], count: [3, 1], avg_age: [74 / 3, 40] })
  })
})

const agree = async (graph: SocialGraph, queries: ReadonlyArray<Queries.BenchQuery>) => {
  const ref = Reference.load(graph)
  const engine = await Engine.load(graph.input)
  try {
    for (const query of queries) {
      const table = await Engine.collect(engine, query.frame)
      const expected = query.reference(ref)
      expect({ query: query.id, outcome: Check.check(query, table, expected) }).toEqual({ query: query.id, outcome: { ok: true } })
    }
  } finally {
    await Engine.dispose(engine)
  }
}

describe("bench: engine answers equal the reference", () => {
  it("on the hand-built graph", async () => {
    await agree(tiny(), Queries.make({ q1City: "c1", q5City: "c2", q6MinScore: 0.4, q3Limit: 10 }))
  })

  describe("at scale 2000", () => {
    let graph: SocialGraph
    beforeAll(() => {
      graph = generate({ scale: 2000, seed: 3 })
    })
    afterAll(() => {
      graph = undefined as unknown as SocialGraph
    })

    it("with the benchmark's parameters", async () => {
      await agree(graph, Queries.make())
    })

    it("with wider filters (more rows through each operator)", async () => {
      await agree(graph, Queries.make({ q1City: "c0", q1MinAge: 20, q3Limit: 1990, q5City: "c0", q6MinScore: 0.3, q6MinSince: 2000 }))
    })
  })
})

describe("bench answer check", () => {
  const query = Queries.make()[1]! // Q2: city, count, avg_age (approx), max_score
  const reference: Reference.ReferenceResult = {
    rows: 2,
    work: 0,
    columns: { city: () => ["a", "b"], count: () => [1, 2], avg_age: () => [10, 20], max_score: () => [0.5, null] }
  }
  const table = (avg: number, max: number | null) =>
    Arrow.tableFromArrays({
      "p.city": ["b", "a"],
      count: new BigInt64Array([2n, 1n]),
      avg_age: new Float64Array([avg, 10]),
      max_score: Arrow.vectorFromArray([max, 0.5], new Arrow.Float64())
    } as any)

  it("accepts a permutation and a tiny float difference", () => {
    expect(Check.check(query, table(20 + 1e-12, null), reference)).toEqual({ ok: true })
  })

  it("rejects a different average or a NULL turned into a value", () => {
    expect(Check.check(query, table(20.001, null), reference).ok).toBe(false)
    expect(Check.check(query, table(20, 0.1), reference).ok).toBe(false)
  })
})
