/**
 * The embedded example graph used by the demo and the docs: a small social network of
 * people, the cities they live in, the companies they work at, who knows whom, and
 * meetings as n-ary hyperedges (several `attendee` roles, one `host`, one `venue`).
 *
 * The graph is generated deterministically from a seed so it is large enough to be
 * interesting (hundreds of people, thousands of edges) and identical on every machine.
 *
 * @since 0.1.0
 */
import type { EdgeInput, GraphInput, HyperedgeInput, NodeInput } from "../Engine/Storage.js"

const cities = ["Lisboa", "Zürich", "Kraków", "São Paulo", "Montréal", "Tōkyō", "Oslo", "Nairobi"] as const
const countries = ["PT", "CH", "PL", "BR", "CA", "JP", "NO", "KE"] as const
const firstNames = [
  "Ana", "Bruno", "Chloé", "Dmitri", "Émile", "Fatima", "Göran", "Hana", "Ines", "João",
  "Kasia", "Léa", "Mateus", "Noor", "Olek", "Priya", "Quentin", "Rui", "Søren", "Tomás",
  "Uma", "Vítor", "Wiktoria", "Xavier", "Yuki", "Zoë"
] as const
const companies = ["Arrowhead", "Bytefield", "Cobalt Labs", "Driftwood", "Everlane Data", "Fjord AI"] as const

/** A small deterministic PRNG (mulberry32). */
const random = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Builds the example graph: `people` Person nodes (default 400) with KNOWS edges of mean out-degree ~6. */
export const make = (people = 400, seed = 2026): GraphInput => {
  const next = random(seed)
  const pick = <A>(values: ReadonlyArray<A>): A => values[Math.floor(next() * values.length)]!
  const nodes: Array<NodeInput> = []
  const edges: Array<EdgeInput> = []
  const hyperedges: Array<HyperedgeInput> = []

  cities.forEach((name, i) =>
    nodes.push({ id: 10_000 + i, labels: ["City"], properties: { name, country: countries[i]! } })
  )
  companies.forEach((name, i) =>
    nodes.push({ id: 20_000 + i, labels: ["Company"], properties: { name, founded: 1990 + i * 5 } })
  )
  const cityOf = new Int32Array(people + 1)
  for (let id = 1; id <= people; id++) {
    const city = Math.floor(Math.pow(next(), 1.6) * cities.length)
    cityOf[id] = city
    const score = next() < 0.06 ? null : Math.round(next() * 1000) / 1000
    nodes.push({
      id,
      labels: next() < 0.1 ? ["Person", "Employee"] : ["Person"],
      properties: {
        name: `${pick(firstNames)} ${String.fromCharCode(65 + (id % 26))}.`,
        age: 18 + Math.floor(next() * 60),
        city: cities[city]!,
        score
      }
    })
  }

  let edgeId = 1
  for (let source = 1; source <= people; source++) {
    const degree = Math.floor(-Math.log(1 - next()) * 6)
    for (let k = 0; k < degree; k++) {
      const target = 1 + Math.floor(next() * people)
      edges.push({ id: edgeId++, label: "KNOWS", source, target, properties: { since: 1995 + Math.floor(next() * 31) } })
    }
    edges.push({ id: edgeId++, label: "LIVES_IN", source, target: 10_000 + cityOf[source]! })
    if (next() < 0.8) {
      edges.push({
        id: edgeId++,
        label: "WORKS_AT",
        source,
        target: 20_000 + Math.floor(next() * companies.length),
        properties: { role: pick(["engineer", "analyst", "manager", "designer"]) }
      })
    }
  }

  for (let m = 0; m < Math.floor(people / 8); m++) {
    const size = 2 + Math.floor(next() * 4)
    const attendees = new Set<number>()
    while (attendees.size < size) attendees.add(1 + Math.floor(next() * people))
    const [host, ...rest] = [...attendees]
    hyperedges.push({
      id: edgeId++,
      label: "MEETING",
      bindings: [
        { role: "host", node: host! },
        ...rest.map((node) => ({ role: "attendee", node })),
        { role: "venue", node: 10_000 + Math.floor(next() * cities.length) }
      ],
      properties: { topic: pick(["graphs", "arrow", "effect", "ray", "query planning"]), minutes: 15 * (1 + Math.floor(next() * 8)) }
    })
  }
  return { nodes, edges, hyperedges }
}

/** The default example graph (400 people). */
export const exampleGraph: GraphInput = make()
