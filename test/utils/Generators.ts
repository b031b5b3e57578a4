/**
 * Random small graphs and random valid queries for the property suite.
 *
 * Queries are built with the public frame API from a *choice sequence* (an array of
 * naturals): every decision reads the next number, and an exhausted sequence always takes
 * the simplest option. fast-check shrinks the sequence (shorter, smaller numbers), so a
 * failing query shrinks to a simpler query for free. The builder tracks the column types of
 * the frame it builds (through the reference evaluator's own typing), so the generated
 * queries are type-correct; a step the reference rejects at plan time is skipped.
 */
import { FastCheck as fc } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import * as Expr from "../../src/Engine/Expr.js"
import { col, lit } from "../../src/Engine/Expr.js"
import type { GraphInput, HyperedgeInput, NodeInput, EdgeInput, PropertyValue } from "../../src/Engine/Storage.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import * as Reference from "./Reference.js"
import * as Catalog from "./reference/Catalog.js"

// ---------------------------------------------------------------------------
// Graphs
// ---------------------------------------------------------------------------

/** The node labels the generator uses. */
export const labels = ["Person", "City", "Company"] as const

/** Strings with code points in interesting places (ASCII, Latin-1, BMP above surrogates, astral, empty). */
export const strings = ["", "a", "z", "Z", "é", "e\u0301", "\u{1F600}", "\uFF5E", "ab", "Ab", "zé", "\u00E9a", "a\u{1F600}"] as const

const stringArb = fc.constantFrom(...strings)
const smallInt = fc.integer({ min: -3, max: 40 })
const floatArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(0.5, -1.25, 2.75, 10.5, 0.1, 3.3) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, -0, Infinity, -Infinity, 0) }
)
const bigArb = fc.constantFrom(2n ** 62n, -(2n ** 62n), 3n, 2n ** 53n + 1n, -7n, 9_007_199_254_740_993n)

/** How a property's values are drawn (one kind per property name, so labels never mix strings and numbers). */
const propertyArbs: Record<string, fc.Arbitrary<PropertyValue>> = {
  name: stringArb,
  age: fc.oneof({ weight: 5, arbitrary: smallInt }, { weight: 1, arbitrary: floatArb }),
  score: fc.oneof({ weight: 3, arbitrary: floatArb }, { weight: 1, arbitrary: smallInt }),
  active: fc.boolean(),
  big: bigArb,
  nick: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: stringArb })
}

/** A property map: each property missing, NULL or a value. */
const propertiesArb = (names: ReadonlyArray<string>): fc.Arbitrary<Record<string, PropertyValue>> =>
  fc.tuple(
    ...names.map((n) =>
      fc.oneof(
        { weight: 1, arbitrary: fc.constant<{ readonly v?: PropertyValue }>({}) },
        { weight: 1, arbitrary: fc.constant<{ readonly v?: PropertyValue }>({ v: null }) },
        { weight: 5, arbitrary: propertyArbs[n]!.map((v): { readonly v?: PropertyValue } => ({ v })) }
      )
    )
  ).map((values) => {
    const out: Record<string, PropertyValue> = {}
    values.forEach((x, i) => {
      if ("v" in x) out[names[i]!] = x.v!
    })
    return out
  })

const nodeArb: fc.Arbitrary<Omit<NodeInput, "id">> = fc.record({
  labels: fc.uniqueArray(fc.constantFrom(...labels), { minLength: 1, maxLength: 2 }),
  properties: propertiesArb(Object.keys(propertyArbs))
})

/** A random small graph: up to 12 nodes with 1–2 labels, a few binary edges and n-ary hyperedges. */
export const graph: fc.Arbitrary<GraphInput> = fc
  .array(nodeArb, { minLength: 0, maxLength: 12 })
  .chain((nodes) => {
    const n = nodes.length
    const nodeIds = nodes.map((_, i) => i + 1)
    const edgeArb = n === 0
      ? fc.constant([] as Array<Omit<EdgeInput, "id">>)
      : fc.array(
        fc.record({
          label: fc.constantFrom("KNOWS", "LIVES_IN"),
          source: fc.constantFrom(...nodeIds),
          target: fc.constantFrom(...nodeIds),
          properties: propertiesArb(["score"])
        }),
        { maxLength: 10 }
      )
    const hyperArb = n === 0
      ? fc.constant([] as Array<Omit<HyperedgeInput, "id">>)
      : fc.array(
        fc.record({
          label: fc.constant("MEETING"),
          bindings: fc.array(
            fc.record({ role: fc.constantFrom("attendee", "host"), node: fc.constantFrom(...nodeIds) }),
            { minLength: 2, maxLength: 4 }
          ),
          properties: propertiesArb(["name"])
        }),
        { maxLength: 3 }
      )
    return fc.tuple(edgeArb, hyperArb).map(([edges, hyperedges]): GraphInput => ({
      nodes: nodes.map((node, i) => ({ id: i + 1, ...node })),
      edges: edges.map((e, i) => ({ id: i + 1, ...e })),
      hyperedges: hyperedges.map((h, i) => ({ id: 1000 + i, ...h }))
    }))
  })

/**
 * A random multigraph for traversal queries: up to 10 nodes with 1–2 labels (some
 * isolated), binary KNOWS / LIVES_IN edges with parallel copies and self loops, KNOWS
 * hyperedges given as role bindings (binary with `target` bound first, or ternary and so
 * not a binary edge), MEETINGs of 2–5 bindings with repeated roles (and nodes), and
 * REVIEWs binding other hyperedges (`subject`) as well as nodes (`reviewer`).
 */
export const multigraph: fc.Arbitrary<GraphInput> = fc
  .array(nodeArb, { minLength: 0, maxLength: 10 })
  .chain((nodes) => {
    const n = nodes.length
    if (n === 0) return fc.constant<GraphInput>({ nodes: [], edges: [], hyperedges: [] })
    const node = fc.constantFrom(...nodes.map((_, i) => i + 1))
    const edgeArb = fc.record({
      label: fc.constantFrom("KNOWS", "KNOWS", "LIVES_IN"),
      source: node,
      target: node,
      properties: propertiesArb(["score"])
    })
    const edgesArb = fc
      .tuple(
        fc.array(edgeArb, { maxLength: 14 }),
        fc.array(fc.nat(), { maxLength: 4 }), // parallel copies of these edges
        fc.array(fc.tuple(node, fc.constantFrom("KNOWS", "LIVES_IN")), { maxLength: 2 }) // self loops
      )
      .map(([edges, copies, loops]) => [
        ...edges,
        ...(edges.length === 0 ? [] : copies.map((i) => edges[i % edges.length]!)),
        ...loops.map(([id, label]) => ({ label, source: id, target: id, properties: {} }))
      ])
    const knowsHyper = fc.oneof(
      fc.tuple(node, node).map(([s, t]) => [{ role: "target", node: t }, { role: "source", node: s }]),
      fc.tuple(node, node, node).map(([s, t, w]) => [{ role: "source", node: s }, { role: "target", node: t }, { role: "witness", node: w }])
    ).chain((bindings) => propertiesArb(["score"]).map((properties) => ({ label: "KNOWS", bindings, properties })))
    const meeting = fc
      .array(fc.record({ role: fc.constantFrom("attendee", "attendee", "host"), node }), { minLength: 2, maxLength: 5 })
      .chain((bindings) => propertiesArb(["name"]).map((properties) => ({ label: "MEETING", bindings, properties })))
    const hyperArb = fc.array(fc.oneof({ weight: 3, arbitrary: meeting }, { weight: 1, arbitrary: knowsHyper }), { maxLength: 4 })
    return fc.tuple(edgesArb, hyperArb).chain(([edges, hypers]) => {
      const targets = [...edges.map((_, i) => i + 1), ...hypers.map((_, i) => 1000 + i)]
      const review = targets.length === 0
        ? fc.constant([] as Array<Omit<HyperedgeInput, "id">>)
        : fc.array(
          fc.tuple(fc.array(fc.constantFrom(...targets), { minLength: 1, maxLength: 2 }), node, propertiesArb(["age"])).map(
            ([subjects, reviewer, properties]): Omit<HyperedgeInput, "id"> => ({
              label: "REVIEW",
              bindings: [...subjects.map((h) => ({ role: "subject", hyperedge: h })), { role: "reviewer", node: reviewer }],
              properties
            })
          ),
          { maxLength: 2 }
        )
      return review.map((reviews): GraphInput => ({
        nodes: nodes.map((x, i) => ({ id: i + 1, ...x })),
        edges: edges.map((e, i) => ({ id: i + 1, ...e })),
        hyperedges: [
          ...hypers.map((h, i) => ({ id: 1000 + i, ...h })),
          ...reviews.map((h, i) => ({ id: 2000 + i, ...h }))
        ]
      }))
    })
  })

// ---------------------------------------------------------------------------
// Queries from a choice sequence
// ---------------------------------------------------------------------------

/** A generated query: the frame, a readable program text, and whether a Limit cut the rows. */
export interface GeneratedQuery {
  readonly frame: Hypergraph.Frame
  readonly text: string
}

class Choices {
  private i = 0
  constructor(private readonly seq: ReadonlyArray<number>) {}
  /** A number in [0, n): the next choice modulo n, 0 once exhausted. */
  pick(n: number): number {
    if (n <= 1) return 0
    const v = this.i < this.seq.length ? this.seq[this.i]! : 0
    this.i++
    return v % n
  }
  /** One of the values (the first once exhausted). */
  of<A>(values: ReadonlyArray<A>): A {
    return values[this.pick(values.length)]!
  }
  /** True with probability about 1/n. */
  chance(n: number): boolean {
    return this.pick(n) === n - 1
  }
  get exhausted(): boolean {
    return this.i >= this.seq.length
  }
}

type Kind = "num" | "str" | "bool"

const kindOf = (t: DataType.DataType): Kind | "null" | undefined =>
  t._tag === "Int64" || t._tag === "Float64"
    ? "num"
    : t._tag === "String"
    ? "str"
    : t._tag === "Bool"
    ? "bool"
    : t._tag === "Null"
    ? "null"
    : undefined

interface Scope {
  readonly columns: ReadonlyArray<Reference.RefColumn>
  /** Whether unqualified references to unique fields may be used. */
  readonly bare: boolean
  /** No expression that can raise a runtime error. */
  readonly safe: boolean
}

const columnRef = (c: Choices, scope: Scope, column: Reference.RefColumn): Expr.Expr => {
  if (scope.bare && column.field !== column.name && scope.columns.filter((x) => x.field === column.field).length === 1) {
    if (!scope.columns.some((x) => x.name === column.field) && c.chance(4)) return col(column.field)
  }
  return col(column.name)
}

const columnsOfKind = (scope: Scope, kind: Kind): ReadonlyArray<Reference.RefColumn> =>
  scope.columns.filter((col) => col.conflict === undefined && kindOf(col.type) === kind)

const numLit = (c: Choices): Expr.Expr =>
  c.of<Expr.Expr>([lit(1), lit(2), lit(0), lit(-3), lit(2.5), lit(-0), lit(0.5), lit(7n), lit(null)])
const strLit = (c: Choices): Expr.Expr => lit(c.of(strings))
const boolLit = (c: Choices): Expr.Expr => c.of<Expr.Expr>([lit(true), lit(false), lit(null)])

/** An expression of the given kind. */
export const genExpr = (c: Choices, scope: Scope, kind: Kind, depth: number): Expr.Expr => {
  const cols = columnsOfKind(scope, kind)
  const leaf = (): Expr.Expr => {
    if (cols.length > 0 && c.pick(4) !== 3) return columnRef(c, scope, c.of(cols))
    return kind === "num" ? numLit(c) : kind === "str" ? strLit(c) : boolLit(c)
  }
  if (depth <= 0 || c.exhausted) return leaf()
  const sub = (k: Kind) => genExpr(c, scope, k, depth - 1)
  switch (kind) {
    case "num": {
      const options = scope.safe ? 5 : 11
      switch (c.pick(options)) {
        case 0:
        case 1:
          return leaf()
        case 2:
          return Expr.when(sub("bool")).then(sub("num")).otherwise(sub("num"))
        case 3:
          return Expr.call("coalesce", sub("num"), sub("num"))
        case 4:
          return Expr.call("length", sub("str"))
        case 5:
          return sub("num").add(sub("num"))
        case 6:
          return sub("num").sub(sub("num"))
        case 7:
          return sub("num").mul(sub("num"))
        case 8:
          return c.chance(2) ? sub("num").div(sub("num")) : sub("num").mod(sub("num"))
        case 9:
          return sub("num").neg()
        default:
          return Expr.call("abs", sub("num"))
      }
    }
    case "str":
      switch (c.pick(6)) {
        case 0:
        case 1:
          return leaf()
        case 2:
          return sub("str").concat(sub("str"))
        case 3:
          return Expr.call(c.of(["lower", "upper"]), sub("str"))
        case 4:
          return Expr.when(sub("bool")).then(sub("str")).end()
        default:
          return Expr.call("coalesce", sub("str"), strLit(c))
      }
    case "bool":
      switch (c.pick(11)) {
        case 0:
          return leaf()
        case 1:
        case 2: {
          const k = c.of<Kind>(["num", "num", "str", "bool"])
          const op = c.of(["eq", "ne", "lt", "le", "gt", "ge"] as const)
          return sub(k)[op](sub(k))
        }
        case 3:
          return sub("bool").and(sub("bool"))
        case 4:
          return sub("bool").or(sub("bool"))
        case 5:
          return sub("bool").not()
        case 6: {
          const any = scope.columns.filter((x) => x.conflict === undefined)
          const target = any.length > 0 && c.pick(3) !== 0 ? col(c.of(any).name) : sub(c.of<Kind>(["num", "str"]))
          return c.chance(2) ? target.isNull() : target.isNotNull()
        }
        case 7: {
          const k = c.of<Kind>(["num", "str"])
          const n = c.pick(4)
          const list = Array.from({ length: n }, () => (k === "num" ? numLit(c) : c.chance(5) ? lit(null) : strLit(c)))
          return sub(k).in(list)
        }
        case 8:
          return sub("num").between(numLit(c), numLit(c))
        case 9:
          return Expr.call(c.of(["starts_with", "contains", "ends_with"]), sub("str"), strLit(c))
        default:
          return Expr.when(sub("bool")).then(sub("bool")).otherwise(sub("bool"))
      }
  }
}

const anyKind = (c: Choices): Kind => c.of<Kind>(["num", "num", "str", "bool"])

const aggregateExpr = (c: Choices, scope: Scope): Expr.Expr => {
  const plain = scope.columns.filter((x) => x.conflict === undefined && kindOf(x.type) !== undefined)
  const numeric = columnsOfKind(scope, "num")
  const pickArg = (kind?: Kind): Expr.Expr =>
    kind !== undefined && numeric.length === 0
      ? genExpr(c, scope, "num", 1)
      : kind === "num"
      ? (c.chance(4) ? genExpr(c, scope, "num", 1) : col(c.of(numeric).name))
      : plain.length === 0
      ? genExpr(c, scope, anyKind(c), 1)
      : col(c.of(plain).name)
  switch (c.pick(9)) {
    case 0:
      return Expr.count()
    case 1:
      return Expr.count(pickArg())
    case 2:
      return Expr.countDistinct(pickArg())
    case 3:
      return Expr.sum(pickArg("num"))
    case 4:
      return Expr.avg(pickArg("num"))
    case 5:
      return Expr.min(pickArg())
    case 6:
      return Expr.max(pickArg())
    case 7:
      return Expr.collect(pickArg())
    default:
      return Expr.collectDistinct(pickArg())
  }
}

const sortKey = (c: Choices, scope: Scope, expr: Expr.Expr): Expr.SortKey => {
  const key = c.chance(3) ? expr.desc() : expr.asc()
  switch (c.pick(4)) {
    case 2:
      return key.withNullsFirst()
    case 3:
      return key.withNullsLast()
    default:
      return key
  }
}

const orderable = (scope: Scope) =>
  scope.columns.filter((x) => x.conflict === undefined && kindOf(x.type) !== undefined)

const fmt = (e: Expr.Expr): string => Expr.display(e)

/** Options of {@link buildQuery}. */
export interface QueryOptions {
  /**
   * Traversal-heavy queries: some start from a hyperedge scan, and binary expands (more
   * labels and hop ranges) and role expands (from a node or from a hyperedge) are frequent.
   */
  readonly traversal?: boolean
}

const roles = ["attendee", "host", "subject", "reviewer", "source", "target", "witness"] as const

/** Builds a frame (and its program text) from a choice sequence over a graph. */
export const buildQuery = (graph: Catalog.RefGraph, seq: ReadonlyArray<number>, options: QueryOptions = {}): GeneratedQuery => {
  const c = new Choices(seq)
  const traversal = options.traversal ?? false
  let counter = 0
  const fresh = (prefix: string) => `${prefix}${counter++}`

  const start = (): GeneratedQuery => {
    if (traversal && c.chance(4)) {
      const label = c.of<string | undefined>(["MEETING", "REVIEW", "KNOWS", undefined, "MEETING"])
      const alias = label === undefined || c.chance(2) ? c.of(["h", "g"]) : undefined
      return {
        frame: Hypergraph.hyperedges(label, alias === undefined ? {} : { as: alias }),
        text: `hyperedges(${label === undefined ? "" : JSON.stringify(label)}${alias === undefined ? "" : `, { as: "${alias}" }`})`
      }
    }
    const label = c.of<string | undefined>(["Person", "City", "Company", "Person", undefined, "Person", "City", "Ghost"])
    const alias = label === undefined ? c.of(["n", "m"]) : c.of<string | undefined>([undefined, "p", "q"])
    return {
      frame: Hypergraph.nodes(label, alias === undefined ? {} : { as: alias }),
      text: `nodes(${label === undefined ? "" : JSON.stringify(label)}${alias === undefined ? "" : `, { as: "${alias}" }`})`
    }
  }

  const build = (depth: number): GeneratedQuery => {
    let { frame, text } = start()
    let cut = false
    const steps = 1 + c.pick(traversal ? 7 : 6)
    for (let s = 0; s < steps && !c.exhausted; s++) {
      const columns = Reference.schemaOf(graph, frame.plan)
      const scope: Scope = { columns, bare: true, safe: cut }
      let next: Hypergraph.Frame | undefined
      let step = ""
      const op = cut
        ? c.of(["select", "withColumn", "limit", "offset", "orderBy"])
        : traversal
        ? c.of([
          "expand", "expand", "expand", "expandRole", "expandRole", "expandRole", "filter", "filter", "select",
          "groupBy", "agg", "orderBy", "orderBy", "limit", "offset", "distinct", "withColumn", "rename"
        ])
        : c.of([
          "filter", "filter", "withColumn", "withColumn", "select", "groupBy", "agg", "orderBy", "orderBy",
          "limit", "offset", "distinct", "union", "unionAll", "rename", "expand", "expand"
        ])
      switch (op) {
        case "filter": {
          const e = genExpr(c, scope, "bool", 3)
          next = frame.filter(e)
          step = `.filter(${fmt(e)})`
          break
        }
        case "withColumn": {
          const existing = columns.length > 0 && c.chance(5)
          const name = existing ? c.of(columns).name : fresh("c")
          const e = genExpr(c, scope, anyKind(c), 3)
          next = frame.withColumn(name, e)
          step = `.withColumn(${JSON.stringify(name)}, ${fmt(e)})`
          break
        }
        case "select": {
          const n = 1 + c.pick(4)
          const items: Array<Hypergraph.SelectItem> = []
          const texts: Array<string> = []
          for (let i = 0; i < n; i++) {
            switch (cut ? 0 : c.pick(4)) {
              case 0:
              case 1: {
                if (columns.length === 0) break
                const column = c.of(columns)
                const ref = columnRef(c, scope, column)
                if (ref._tag === "Column" && ref.name !== column.name) {
                  items.push(ref)
                  texts.push(`col(${JSON.stringify(ref.name)})`)
                } else {
                  items.push(column.name)
                  texts.push(JSON.stringify(column.name))
                }
                break
              }
              case 2: {
                const name = fresh("x")
                const e = genExpr(c, scope, anyKind(c), 2)
                items.push({ [name]: e })
                texts.push(`{ ${name}: ${fmt(e)} }`)
                break
              }
              default: {
                const e = genExpr(c, scope, anyKind(c), 2)
                if (e._tag === "Column" || e._tag === "Literal") break
                items.push(e)
                texts.push(fmt(e))
              }
            }
          }
          if (items.length === 0) break
          next = frame.select(...items)
          step = `.select(${texts.join(", ")})`
          break
        }
        case "groupBy":
        case "agg": {
          const keys: Array<Expr.Expr | string> = []
          if (op === "groupBy") {
            const candidates = orderable(scope)
            const k = 1 + c.pick(2)
            for (let i = 0; i < k && candidates.length > 0; i++) {
              if (c.chance(4)) {
                const e = genExpr(c, scope, anyKind(c), 1)
                keys.push(c.chance(2) ? e : e.as(fresh("k")))
              }
              else keys.push(c.of(candidates).name)
            }
          }
          const aggs: Record<string, Expr.Expr> = {}
          const n = 1 + c.pick(3)
          for (let i = 0; i < n; i++) aggs[fresh("a")] = aggregateExpr(c, scope)
          next = op === "groupBy" ? frame.groupBy(...keys).agg(aggs) : frame.agg(aggs)
          const aggText = Object.entries(aggs).map(([k, e]) => `${k}: ${fmt(e)}`).join(", ")
          step = op === "groupBy"
            ? `.groupBy(${keys.map((k) => (typeof k === "string" ? JSON.stringify(k) : fmt(k))).join(", ")}).agg({ ${aggText} })`
            : `.agg({ ${aggText} })`
          break
        }
        case "orderBy": {
          const candidates = orderable(scope)
          if (candidates.length === 0) break
          const keys: Array<Expr.SortKey> = []
          if (c.chance(3)) {
            // Every column: a total order of the rows.
            for (const column of candidates) keys.push(sortKey(c, scope, col(column.name)))
          } else {
            const k = 1 + c.pick(3)
            for (let i = 0; i < k; i++) {
              keys.push(sortKey(c, scope, c.chance(4) ? genExpr(c, scope, anyKind(c), 1) : columnRef(c, scope, c.of(candidates))))
            }
          }
          next = frame.orderBy(...keys)
          step = `.orderBy(${
            keys.map((k) =>
              `${fmt(k.expr)} ${k.descending ? "DESC" : "ASC"}${k.nullsFirst === undefined ? "" : k.nullsFirst ? " NULLS FIRST" : " NULLS LAST"}`
            ).join(", ")
          })`
          break
        }
        case "limit": {
          const n = c.pick(7)
          next = frame.limit(n)
          step = `.limit(${n})`
          cut = true
          break
        }
        case "offset": {
          const n = c.pick(5)
          next = frame.offset(n)
          step = `.offset(${n})`
          cut = true
          break
        }
        case "distinct":
          next = frame.distinct()
          step = ".distinct()"
          break
        case "union":
        case "unionAll": {
          if (depth <= 0) break
          const other = build(depth - 1)
          const kinds = Array.from({ length: 1 + c.pick(3) }, () => anyKind(c))
          const conform = (q: GeneratedQuery, withCut: boolean): GeneratedQuery => {
            const sc: Scope = { columns: Reference.schemaOf(graph, q.frame.plan), bare: false, safe: withCut }
            const record: Record<string, Expr.Expr> = {}
            kinds.forEach((k, i) => {
              record[`u${i}`] = genExpr(c, sc, k, 1)
            })
            return {
              frame: q.frame.select(record),
              text: `${q.text}.select({ ${Object.entries(record).map(([k, e]) => `${k}: ${fmt(e)}`).join(", ")} })`
            }
          }
          const left = conform({ frame, text }, cut)
          const right = conform(other, other.text.includes(".limit(") || other.text.includes(".offset("))
          frame = left.frame
          text = left.text
          next = op === "union" ? frame.union(right.frame) : frame.unionAll(right.frame)
          step = `.${op}(${right.text})`
          break
        }
        case "expand": {
          const edgeLabel = c.of<string | undefined>(traversal ? ["KNOWS", "LIVES_IN", undefined, "KNOWS", "MEETING"] : ["KNOWS", "LIVES_IN", undefined])
          const to = c.of<string | undefined>(traversal ? [undefined, "Person", "City", "Company"] : [undefined, "Person", "City"])
          const as = to === undefined || c.chance(2) ? fresh("t") : undefined
          const hops = c.of<number | readonly [number, number]>(
            traversal ? [1, 1, 1, 2, [1, 2], [1, 1], [1, 3], 3, [2, 3]] : [1, 1, 1, 2, [1, 2], [1, 1]]
          )
          const edgeAs = (hops === 1 || Array.isArray(hops) && hops[1] === 1) && c.chance(3) ? fresh("e") : undefined
          const options: Hypergraph.ExpandOptions = {
            direction: c.of(["out", "in", "both"] as const),
            ...(to === undefined ? {} : { to }),
            ...(as === undefined ? {} : { as }),
            ...(edgeAs === undefined ? {} : { edgeAs }),
            hops
          }
          const optional = c.chance(4)
          next = optional ? frame.optionalExpand(edgeLabel, options) : frame.expand(edgeLabel, options)
          step = `.${optional ? "optionalExpand" : "expand"}(${edgeLabel === undefined ? "undefined" : JSON.stringify(edgeLabel)}, ${JSON.stringify(options)})`
          break
        }
        case "expandRole": {
          const fromHyperedge = c.chance(2)
          const toRole = c.of(roles)
          const to = c.of<string | undefined>([undefined, "Person", "City", "MEETING", "KNOWS", undefined])
          const as = to === undefined || c.chance(2) ? fresh("t") : undefined
          const optional = c.chance(4)
          if (fromHyperedge) {
            // From the frame's last hyperedge; `expand(role)` says the same when no node is bound.
            const viaExpand = c.chance(3)
            const opts = { ...(to === undefined ? {} : { to }), ...(as === undefined ? {} : { as }) }
            if (viaExpand) {
              next = optional ? frame.optionalExpand(toRole, opts) : frame.expand(toRole, opts)
              step = `.${optional ? "optionalExpand" : "expand"}(${JSON.stringify(toRole)}, ${JSON.stringify(opts)})`
            } else {
              const roleOptions: Hypergraph.ExpandRoleOptions = { ...opts, ...(optional ? { optional } : {}) }
              next = frame.expandRole(toRole, roleOptions)
              step = `.expandRole(${JSON.stringify(toRole)}, ${JSON.stringify(roleOptions)})`
            }
            break
          }
          const fromRole = c.of(roles)
          const edgeLabel = c.of<string | undefined>(["MEETING", undefined, "REVIEW", "KNOWS", "MEETING"])
          const edgeAs = edgeLabel === undefined || c.chance(3) ? (c.chance(2) ? fresh("e") : undefined) : undefined
          const roleOptions: Hypergraph.ExpandRoleOptions = {
            fromRole,
            ...(edgeLabel === undefined ? {} : { edgeLabel }),
            ...(to === undefined ? {} : { to }),
            ...(as === undefined ? {} : { as }),
            ...(edgeAs === undefined ? {} : { edgeAs }),
            ...(optional ? { optional } : {})
          }
          next = frame.expandRole(toRole, roleOptions)
          step = `.expandRole(${JSON.stringify(toRole)}, ${JSON.stringify(roleOptions)})`
          break
        }
        case "rename": {
          if (columns.length === 0) break
          const from = c.of(columns).name
          const to = fresh("r")
          next = frame.rename(from, to)
          step = `.rename(${JSON.stringify(from)}, ${JSON.stringify(to)})`
          break
        }
      }
      if (next === undefined) continue
      try {
        Reference.schemaOf(graph, next.plan)
      } catch (e) {
        if (e instanceof Reference.PlanError) continue
        throw e
      }
      frame = next
      text += step
    }
    return { frame, text }
  }
  const query = build(traversal ? 0 : 1)
  // A query whose final output has an incompatible column would be a TypeMismatch: select it away.
  const columns = Reference.schemaOf(graph, query.frame.plan)
  if (columns.some((x) => x.conflict !== undefined)) {
    const keep = columns.filter((x) => x.conflict === undefined).map((x) => x.name)
    if (keep.length > 0) {
      return {
        frame: query.frame.select(...keep),
        text: `${query.text}.select(${keep.map((k) => JSON.stringify(k)).join(", ")})`
      }
    }
  }
  return query
}

/** A choice sequence. */
export const choices: fc.Arbitrary<ReadonlyArray<number>> = fc.array(fc.nat({ max: 1 << 16 }), { maxLength: 160, size: "max" })

/** A (graph, choice sequence) case; build the query with {@link buildQuery} over `Catalog.make(graph)`. */
export const testCase: fc.Arbitrary<readonly [GraphInput, ReadonlyArray<number>]> = fc.tuple(graph, choices)

/** Builds the reference graph of a generated graph. */
export const refGraph = (input: GraphInput): Catalog.RefGraph => Catalog.make(input)

/** A (multigraph, choice sequence) case for traversal queries: build with `buildQuery(…, { traversal: true })`. */
export const traversalCase: fc.Arbitrary<readonly [GraphInput, ReadonlyArray<number>]> = fc.tuple(multigraph, choices)
