import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { defaultConfig } from "../../src/Engine/ExecutionContext.js"
import type { ExecutionError } from "../../src/Engine/ExecutionError.js"
import { avg, call, col, collect, count, lit, sum, when } from "../../src/Engine/Expr.js"
import * as Expr from "../../src/Engine/Expr.js"
import * as QueryPlanner from "../../src/Planner/QueryPlanner.js"
import type { Frame } from "../../src/Query/Frame.js"
import * as Hypergraph from "../../src/Query/Hypergraph.js"
import * as LogicalPlan from "../../src/Query/LogicalPlan.js"
import * as Resolver from "../../src/Query/Resolver.js"
import * as Scope from "../../src/Query/internal/scope.js"
import { Field, PhysicalSchema } from "../../src/Engine/PhysicalSchema.js"
import { catalog, countingStorage } from "./fixtures.js"

const resolve = (frame: Frame) => Resolver.resolve(frame.plan, catalog, defaultConfig)
const names = (frame: Frame) => Effect.map(resolve(frame), (r) => r.schema.names)
const error = (frame: Frame) => Effect.flip(resolve(frame))

/** Plans the frame (catalog → resolve → optimize → physical) over a counting storage: fails, and never scans. */
const failsBeforeScan = (frame: Frame) =>
  Effect.gen(function*() {
    const { counts, storage } = countingStorage()
    const err = yield* Effect.flip(QueryPlanner.prepare(frame.plan, storage, 1, defaultConfig, { optimize: true }))
    expect(counts.scans).toBe(0)
    return err as ExecutionError
  })

const person = () => Hypergraph.nodes("Person", { as: "p" })

describe("Resolver: schemas and names", () => {
  it.effect("a node scan has _id, _label, then properties by name", () =>
    Effect.gen(function*() {
      const r = yield* resolve(person())
      expect(r.schema.names).toEqual(["p._id", "p._label", "p.age", "p.name", "p.nick", "p.score"])
      expect(r.schema.fields.map((f) => DataType.display(f.dataType))).toEqual(["Int64", "String", "Int64", "String", "Null", "Float64"])
      expect(r.schema.anchor).toBe("p")
      expect((r.plan as LogicalPlan.NodeScan).alias).toBe("p")
    }))

  it.effect("the label is the qualifier when there is no alias", () =>
    Effect.gen(function*() {
      expect(yield* names(Hypergraph.nodes("City"))).toEqual(["City._id", "City._label", "City.name", "City.pop"])
    }))

  it.effect("hyperedge and edge scans", () =>
    Effect.gen(function*() {
      expect(yield* names(Hypergraph.hyperedges("MEETING", { as: "m" }))).toEqual(["m._id", "m._label", "m._arity", "m.topic"])
      expect(yield* names(Hypergraph.edges("KNOWS", { as: "k" }))).toEqual(["k._id", "k._label", "k._arity", "k._source", "k._target", "k.since"])
    }))

  it.effect("an unknown label has only system columns", () =>
    Effect.gen(function*() {
      expect(yield* names(Hypergraph.nodes("Ghost"))).toEqual(["Ghost._id", "Ghost._label"])
    }))

  it.effect("a label-less scan unifies properties and skips conflicts until they are used", () =>
    Effect.gen(function*() {
      const n = Hypergraph.nodes(undefined, { as: "n" })
      expect(yield* names(n.select("n.name", "n.pop"))).toEqual(["n.name", "n.pop"])
      const err = yield* error(n)
      expect(err._tag).toBe("TypeMismatch")
      if (err._tag === "TypeMismatch") {
        expect(err.expression).toContain("n.age")
        expect(err.expected + err.actual).toContain("Person")
        expect(err.expected + err.actual).toContain("Robot")
      }
      const referenced = yield* error(n.filter(col("age").gt(1)).select("n.name"))
      expect(referenced._tag).toBe("TypeMismatch")
    }))

  it.effect("bare names resolve to full names; select keeps full names; computed columns use display text", () =>
    Effect.gen(function*() {
      const r = yield* resolve(person().select("name", col("age").add(1), { years: "age" }))
      expect(r.schema.names).toEqual(["p.name", "(p.age + 1)", "years"])
      const project = r.plan as LogicalPlan.Project
      expect(project.exprs[0]).toEqual(new Expr.Column({ name: "p.name" }))
      expect(project.exprs[1]!._tag).toBe("Alias")
      expect(r.schema.fields[0]!.qualifier).toBe("p")
    }))

  it.effect("select drops entities whose _id is gone", () =>
    Effect.gen(function*() {
      const r1 = yield* resolve(person().select("name"))
      expect(r1.schema.entities).toEqual([])
      expect(r1.schema.anchor).toBeUndefined()
      const r2 = yield* resolve(person().select("p._id", "name"))
      expect(r2.schema.entities.map((e) => e.qualifier)).toEqual(["p"])
      expect(r2.schema.anchor).toBe("p")
    }))

  it.effect("select of an entity qualifier selects all its columns", () =>
    Effect.gen(function*() {
      expect(yield* names(person().select("p"))).toEqual(["p._id", "p._label", "p.age", "p.name", "p.nick", "p.score"])
    }))

  it.effect("withColumn appends or replaces in place", () =>
    Effect.gen(function*() {
      const r = yield* resolve(person().withColumn("x", col("age").mul(2)).withColumn("p.name", lit("z")))
      expect(r.schema.names).toEqual(["p._id", "p._label", "p.age", "p.name", "p.nick", "p.score", "x"])
      expect(r.plan._tag).toBe("Project")
      expect(DataType.display(r.schema.field("x")!.dataType)).toBe("Int64")
    }))

  it.effect("rename renames and nothing else", () =>
    Effect.gen(function*() {
      expect(yield* names(person().select("name", "age").rename({ name: "n" }))).toEqual(["n", "p.age"])
    }))

  it.effect("graph functions rewrite to system columns; labels() reads _labels without showing it", () =>
    Effect.gen(function*() {
      const r = yield* resolve(person().select({ i: call("id", col("p")), l: call("labels", col("p")) }))
      expect(r.schema.fields.map((f) => DataType.display(f.dataType))).toEqual(["Int64", "List<String>"])
      const hidden = yield* resolve(person().filter(call("size", call("labels", col("p"))).gt(0)))
      expect(hidden.schema.names).not.toContain("p._labels")
      const t = yield* resolve(Hypergraph.hyperedges("MEETING", { as: "m" }).select({ t: call("type", col("m")) }))
      expect((t.plan as LogicalPlan.Project).exprs[0]).toEqual(new Expr.Alias({ operand: new Expr.Column({ name: "m._label" }), name: "t" }))
    }))

  it.effect("distinct and union distinct become aggregates", () =>
    Effect.gen(function*() {
      const d = yield* resolve(person().select("name").distinct())
      expect(d.plan._tag).toBe("Aggregate")
      expect((d.plan as LogicalPlan.Aggregate).keys).toEqual([new Expr.Column({ name: "p.name" })])
      const u = yield* resolve(person().select("name").union(person().select("name")))
      expect(u.plan._tag).toBe("Aggregate")
      expect(((u.plan as LogicalPlan.Aggregate).input as LogicalPlan.Union).distinct).toBe(false)
    }))

  it.effect("union widens Int64 to Float64 and reorders the right side", () =>
    Effect.gen(function*() {
      const left = person().select({ v: "age", w: "name" })
      const right = person().select({ w: "name", v: "score" })
      const r = yield* resolve(left.unionAll(right))
      expect(r.schema.names).toEqual(["v", "w"])
      expect(DataType.display(r.schema.fields[0]!.dataType)).toBe("Float64")
    }))

  it.effect("aggregate result types", () =>
    Effect.gen(function*() {
      const r = yield* resolve(person().groupBy("name").agg({
        c: count(),
        s: sum(col("age")),
        a: avg(col("age")),
        fs: sum(col("score")),
        l: collect(col("name"))
      }))
      expect(r.schema.names).toEqual(["p.name", "c", "s", "a", "fs", "l"])
      expect(r.schema.fields.map((f) => DataType.display(f.dataType))).toEqual(
        ["String", "Int64", "Int64", "Float64", "Float64", "List<String>"]
      )
    }))

  it.effect("NULL literals take their context type", () =>
    Effect.gen(function*() {
      const r = yield* resolve(person().select({ x: col("age").add(lit(null)), y: when(col("age").gt(1)).then(lit(null)).otherwise(1.5) }))
      const [x, y] = (r.plan as LogicalPlan.Project).exprs as ReadonlyArray<Expr.Alias>
      expect(((x!.operand as Expr.Binary).right as Expr.Literal).dataType).toEqual(DataType.Int64)
      expect(DataType.display(r.schema.fields[1]!.dataType)).toBe("Float64")
      expect((((y!.operand as Expr.Case).branches[0]!.then) as Expr.Literal).dataType).toEqual(DataType.Float64)
    }))

  it.effect("schemaOf recomputes the schema of a resolved plan", () =>
    Effect.gen(function*() {
      const r = yield* resolve(person().select("name", col("age").add(1)).distinct().orderBy("p.name").limit(2))
      const again = yield* Resolver.schemaOf(r.plan, catalog)
      expect(again.names).toEqual(r.schema.names)
    }))

  it("typeOf types a resolved expression", () => {
    const schema = Effect.runSync(resolve(person())).schema
    expect(Resolver.typeOf(col("p.age").add(1.5), schema)).toEqual(Either.right(DataType.Float64))
    expect(Either.isLeft(Resolver.typeOf(col("p.name").add(1), schema))).toBe(true)
  })
})

describe("Resolver: plan-time errors (before any scan)", () => {
  it.effect("ColumnNotFound lists what is available", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(person().filter(col("salary").gt(1)))
      expect(err._tag).toBe("ColumnNotFound")
      if (err._tag === "ColumnNotFound") {
        expect(err.column).toBe("salary")
        expect(err.available).toContain("p.age")
      }
    }))

  it.effect("a property no entity of the label has is ColumnNotFound", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(Hypergraph.nodes("Ghost").select("Ghost.name"))
      expect(err).toMatchObject({ _tag: "ColumnNotFound", column: "Ghost.name" })
    }))

  it.effect("after select only selected names exist", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(person().select("name").filter(col("age").gt(1)))
      expect(err).toMatchObject({ _tag: "ColumnNotFound", column: "age", available: ["p.name"] })
    }))

  it("AmbiguousColumn lists the candidates", () => {
    const two = new PhysicalSchema({
      fields: [
        new Field({ name: "p.name", qualifier: "p", field: "name", dataType: DataType.String }),
        new Field({ name: "f.name", qualifier: "f", field: "name", dataType: DataType.String })
      ],
      entities: []
    })
    const thrown = (() => {
      try {
        Scope.resolveColumn("name", Scope.plain(two))
        return undefined
      } catch (e) {
        return (e as Scope.ResolveFailure).error
      }
    })()
    expect(thrown).toMatchObject({ _tag: "AmbiguousColumn", column: "name", candidates: ["p.name", "f.name"] })
  })

  it.effect("TypeMismatch: arithmetic on a string", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(person().select(col("p.name").add(1)))
      expect(err).toMatchObject({ _tag: "TypeMismatch", expected: "Int64 or Float64", actual: "String", expression: "(p.name + 1)" })
    }))

  it.effect("TypeMismatch: || needs two strings", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(person().select(lit("a").concat(1)))
      expect(err).toMatchObject({ _tag: "TypeMismatch", expected: "String", actual: "Int64", expression: "('a' || 1)" })
    }))

  it.effect("TypeMismatch: filter predicate not Bool", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(person().filter(col("age")))
      expect(err).toMatchObject({ _tag: "TypeMismatch", expected: "Bool", actual: "Int64", expression: "p.age" })
    }))

  it.effect("TypeMismatch: String vs Int64 comparison", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(person().filter(col("name").eq(1)))
      expect(err._tag).toBe("TypeMismatch")
      if (err._tag === "TypeMismatch") {
        expect(err.actual).toBe("Int64")
        expect(err.expected).toContain("String")
        expect(err.expression).toBe("(p.name = 1)")
      }
    }))

  it.effect("TypeMismatch: date arithmetic is not supported", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(person().select(lit(new Date(0)).add(1)))
      expect(err).toMatchObject({ _tag: "TypeMismatch", actual: "Timestamp" })
    }))

  it.effect("TypeMismatch: list sort key and list group key", () =>
    Effect.gen(function*() {
      const grouped = person().groupBy("name").agg({ l: collect(col("age")) })
      const sortErr = yield* failsBeforeScan(grouped.orderBy("l"))
      expect(sortErr).toMatchObject({ _tag: "TypeMismatch", actual: "List<Int64>", expression: "l" })
      const groupErr = yield* failsBeforeScan(grouped.groupBy("l").agg({ c: count() }))
      expect(groupErr).toMatchObject({ _tag: "TypeMismatch", actual: "List<Int64>" })
    }))

  it.effect("TypeMismatch: union of incompatible types", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(person().select({ v: "age" }).unionAll(person().select({ v: "name" })))
      expect(err).toMatchObject({ _tag: "TypeMismatch", expected: "Int64", actual: "String", expression: "union column v" })
    }))

  it.effect("InvalidPlan MissingAlias for a label-less scan", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(Hypergraph.nodes())
      expect(err).toMatchObject({ _tag: "InvalidPlan", reason: "MissingAlias" })
    }))

  it.effect("InvalidPlan DuplicateColumn in a projection and in an aggregate", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(person().select("name", "p.name"))
      expect(err).toMatchObject({ _tag: "InvalidPlan", reason: "DuplicateColumn" })
      if (err._tag === "InvalidPlan") expect(err.detail).toContain("p.name")
      const agg2 = yield* failsBeforeScan(person().groupBy(col("name").as("c")).agg({ c: count() }))
      expect(agg2).toMatchObject({ _tag: "InvalidPlan", reason: "DuplicateColumn" })
    }))

  it.effect("InvalidPlan InvalidLimit for negative or fractional limit/offset", () =>
    Effect.gen(function*() {
      expect(yield* failsBeforeScan(person().limit(-1))).toMatchObject({ _tag: "InvalidPlan", reason: "InvalidLimit" })
      expect(yield* failsBeforeScan(person().offset(1.5))).toMatchObject({ _tag: "InvalidPlan", reason: "InvalidLimit" })
      expect(yield* failsBeforeScan(person().limit(3).offset(-2))).toMatchObject({ _tag: "InvalidPlan", reason: "InvalidLimit" })
    }))

  it.effect("InvalidPlan UnknownFunction", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(person().select(call("frobnicate", col("age"))))
      expect(err).toMatchObject({ _tag: "InvalidPlan", reason: "UnknownFunction" })
      if (err._tag === "InvalidPlan") expect(err.detail).toContain("frobnicate")
    }))

  it.effect("InvalidPlan AggregateMisuse: in filter, select, orderBy, group key, nested, non-aggregate agg value", () =>
    Effect.gen(function*() {
      const misuse = { _tag: "InvalidPlan", reason: "AggregateMisuse" }
      expect(yield* failsBeforeScan(person().filter(count().gt(1)))).toMatchObject(misuse)
      expect(yield* failsBeforeScan(person().select(sum(col("age"))))).toMatchObject(misuse)
      expect(yield* failsBeforeScan(person().orderBy(count()))).toMatchObject(misuse)
      expect(yield* failsBeforeScan(person().groupBy(count()).agg({ c: count() }))).toMatchObject(misuse)
      expect(yield* failsBeforeScan(person().agg({ s: sum(count()) }))).toMatchObject(misuse)
      expect(yield* failsBeforeScan(person().agg({ s: col("age") }))).toMatchObject(misuse)
    }))

  it.effect("InvalidPlan UnionMismatch for different column names", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(person().select("name").union(person().select("age")))
      expect(err).toMatchObject({ _tag: "InvalidPlan", reason: "UnionMismatch" })
      if (err._tag === "InvalidPlan") expect(err.detail).toContain("p.age")
    }))

  it.effect("properties() is rejected with a clear reason", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(person().select(call("properties", col("p"))))
      expect(err).toMatchObject({ _tag: "InvalidPlan", reason: "InvalidArgument" })
    }))

  it.effect("a bare entity qualifier is not a value", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(person().filter(col("p").eq(1)))
      expect(err).toMatchObject({ _tag: "TypeMismatch", actual: "entity p" })
    }))
})

describe("Resolver: expand", () => {
  it.effect("expand appends the target's then the edge's columns and moves the anchor", () =>
    Effect.gen(function*() {
      const r = yield* resolve(person().expand("KNOWS", { to: "Person", as: "f" }))
      expect(r.schema.names).toEqual([
        "p._id", "p._label", "p.age", "p.name", "p.nick", "p.score",
        "f._id", "f._label", "f.age", "f.name", "f.nick", "f.score",
        "KNOWS._id", "KNOWS._label", "KNOWS.since"
      ])
      expect(r.schema.anchor).toBe("f")
      expect(r.schema.entities.map((e) => `${e.qualifier}:${e.kind}`)).toEqual(["p:node", "f:node", "KNOWS:hyperedge"])
      const expand = r.plan as LogicalPlan.Expand
      expect(expand.alias).toBe("f")
      expect(expand.edgeAlias).toBe("KNOWS")
    }))

  it.effect("after expand a shared field name is ambiguous", () =>
    Effect.gen(function*() {
      const err = yield* failsBeforeScan(person().expand("KNOWS", { to: "City" }).select("name"))
      expect(err).toMatchObject({ _tag: "AmbiguousColumn", column: "name", candidates: ["p.name", "City.name"] })
    }))

  it.effect("multi-hop and label-less expands expose no edge columns", () =>
    Effect.gen(function*() {
      const multi = yield* names(person().expand("KNOWS", { to: "Person", as: "f", hops: [1, 2] }))
      expect(multi.filter((n) => n.startsWith("KNOWS."))).toEqual([])
      const anyLabel = yield* names(person().expand(undefined, { to: "City" }))
      expect(anyLabel).toEqual([
        "p._id", "p._label", "p.age", "p.name", "p.nick", "p.score", "City._id", "City._label", "City.name", "City.pop"
      ])
      const withEdgeAs = yield* names(person().expand(undefined, { to: "City", edgeAs: "e" }))
      expect(withEdgeAs.slice(-3)).toEqual(["e._id", "e._label", "e.since"])
    }))

  it.effect("expand errors: missing alias, duplicate qualifier, hop cap, edgeAs with several hops", () =>
    Effect.gen(function*() {
      expect(yield* failsBeforeScan(person().expand("KNOWS"))).toMatchObject({ _tag: "InvalidPlan", reason: "MissingAlias" })
      const dup = yield* failsBeforeScan(person().expand("KNOWS", { to: "Person" }).expand("KNOWS", { to: "Person" }))
      expect(dup).toMatchObject({ _tag: "InvalidPlan", reason: "DuplicateQualifier" })
      if (dup._tag === "InvalidPlan") expect(dup.detail).toContain("as")
      const self = yield* failsBeforeScan(person().expand("KNOWS", { to: "Person", as: "p" }))
      expect(self).toMatchObject({ _tag: "InvalidPlan", reason: "DuplicateQualifier" })
      expect(yield* failsBeforeScan(person().expand("KNOWS", { as: "f", hops: [1, 99] }))).toMatchObject({
        _tag: "InvalidPlan",
        reason: "HopLimitExceeded"
      })
      expect(yield* failsBeforeScan(person().expand("KNOWS", { as: "f", hops: 2, edgeAs: "k" }))).toMatchObject({
        _tag: "InvalidPlan",
        reason: "InvalidExpand"
      })
      expect(yield* failsBeforeScan(person().expand("KNOWS", { as: "f", hops: 0 }))).toMatchObject({
        _tag: "InvalidPlan",
        reason: "InvalidExpand"
      })
      // a label-less target unifies properties over all labels: Person.age vs Robot.age fails once output
      const conflict = yield* failsBeforeScan(person().expand("KNOWS", { as: "f" }))
      expect(conflict).toMatchObject({ _tag: "TypeMismatch", expression: "f.age over all node labels" })
      expect(yield* names(person().expand("KNOWS", { as: "f" }).select("f.model"))).toEqual(["f.model"])
      const ok = yield* names(person().expand("KNOWS", { to: "City", as: "f", hops: [1, 1], edgeAs: "k" }))
      expect(ok).toContain("k.since")
    }))

  it.effect("role expand from a hyperedge frame and from a node anchor", () =>
    Effect.gen(function*() {
      const fromEdge = yield* resolve(Hypergraph.hyperedges("MEETING", { as: "m" }).expandRole("attendee", { to: "Person", as: "a" }))
      expect(fromEdge.schema.names).toEqual([
        "m._id", "m._label", "m._arity", "m.topic", "a._id", "a._label", "a.age", "a.name", "a.nick", "a.score"
      ])
      expect(fromEdge.schema.anchor).toBe("a")
      const fromNode = yield* names(person().expandRole("attendee", { fromRole: "host", edgeLabel: "MEETING", to: "Person", as: "a" }))
      expect(fromNode.slice(-4)).toEqual(["MEETING._id", "MEETING._label", "MEETING._arity", "MEETING.topic"])
    }))

  it.effect("expand(role) on a hyperedge frame is the role expand of its hyperedge", () =>
    Effect.gen(function*() {
      const meeting = Hypergraph.hyperedges("MEETING", { as: "m" })
      const viaExpand = yield* resolve(meeting.expand("attendee", { to: "Person", as: "a" }))
      const viaExpandRole = yield* resolve(meeting.expandRole("attendee", { to: "Person", as: "a" }))
      expect(viaExpand.plan._tag).toBe("RoleExpand")
      expect(viaExpand.schema.names).toEqual(viaExpandRole.schema.names)
      const err = yield* error(meeting.expand("attendee", { as: "a", hops: 2 }))
      expect(err).toMatchObject({ _tag: "InvalidPlan", reason: "InvalidExpand" })
    }))
})

describe("Resolver: expression typing", () => {
  it.effect("IN, BETWEEN and CASE unify their operand types", () =>
    Effect.gen(function*() {
      const r = yield* resolve(person().select({
        i: col("age").in([1, 2.5, null]),
        b: col("score").between(1, 2),
        c: when(col("age").gt(1)).then(1).otherwise(2.5)
      }))
      expect(r.schema.fields.map((f) => DataType.display(f.dataType))).toEqual(["Bool", "Bool", "Float64"])
      const inList = ((r.plan as LogicalPlan.Project).exprs[0] as Expr.Alias).operand as Expr.In
      expect((inList.list[2] as Expr.Literal).dataType).toEqual(DataType.Float64)
      expect(yield* failsBeforeScan(person().select(col("age").in(["x"])))).toMatchObject({ _tag: "TypeMismatch", actual: "String" })
      expect(yield* failsBeforeScan(person().select(col("name").between(1, 2)))).toMatchObject({ _tag: "TypeMismatch" })
      expect(yield* failsBeforeScan(person().select(when(col("age").gt(1)).then(1).otherwise("x")))).toMatchObject({
        _tag: "TypeMismatch",
        expected: "Int64",
        actual: "String"
      })
      expect(yield* failsBeforeScan(person().filter(col("age").gt(1).and(col("name"))))).toMatchObject({
        _tag: "TypeMismatch",
        expected: "Bool",
        actual: "String"
      })
    }))

  it.effect("a NULL-typed property used as a number or predicate is cast", () =>
    Effect.gen(function*() {
      const r = yield* resolve(person().filter(col("nick")).select({ x: col("nick").add(1) }))
      const project = r.plan as LogicalPlan.Project
      const filter = project.input as LogicalPlan.Filter
      expect(filter.predicate).toEqual(new Expr.Cast({ operand: col("p.nick"), to: DataType.Bool }))
      expect(((project.exprs[0] as Expr.Alias).operand as Expr.Binary).left).toEqual(
        new Expr.Cast({ operand: col("p.nick"), to: DataType.Int64 })
      )
    }))

  it.effect("resolved plans round-trip through JSON and re-resolve to the same schema", () =>
    Effect.gen(function*() {
      const frame = person()
        .expand("KNOWS", { to: "Person", as: "f" })
        .filter(call("size", call("labels", col("f"))).gt(0))
        .select({ v: "p.age" }, "f.name")
        .unionAll(person().select({ v: "score" }, { "f.name": "name" }))
      const r = yield* resolve(frame)
      const encoded = yield* Schema.encode(LogicalPlan.LogicalPlan)(r.plan)
      const decoded = yield* Schema.decodeUnknown(LogicalPlan.LogicalPlan)(JSON.parse(JSON.stringify(encoded)))
      expect(decoded).toEqual(r.plan)
      expect((yield* Resolver.schemaOf(decoded, catalog)).names).toEqual(r.schema.names)
    }))
})
