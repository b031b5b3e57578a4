import * as Arrow from "apache-arrow"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, FastCheck as fc, Stream } from "effect"
import * as Batch from "../../src/Engine/Batch.js"
import * as DataType from "../../src/Engine/DataType.js"
import { ArithmeticOverflow, MemoryExceeded } from "../../src/Engine/ExecutionError.js"
import * as Expr from "../../src/Engine/Expr.js"
import * as Aggregates from "../../src/Engine/Kernels/Aggregates.js"
import { AggregateSpec, HashAggregateExec } from "../../src/Engine/PhysicalPlan.js"
import type { PhysicalSchema } from "../../src/Engine/PhysicalSchema.js"
import * as HashAggregate from "../../src/Operators/HashAggregate.js"
import {
  batchFromRows,
  fromBatches,
  physicalSchema,
  placeholder,
  provideContext,
  rowsOf,
  runBatches,
  testContext
} from "../utils/MockSources.js"

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

const D = DataType
const columns = [
  ["k", D.String],
  ["i", D.Int64],
  ["f", D.Float64],
  ["s", D.String],
  ["b", D.Bool],
  ["d", D.Date],
  ["t", D.Timestamp]
] as const
const input = physicalSchema(columns)
const typeOf = (name: string): DataType.DataType => input.field(name)!.dataType

const day = (n: number) => new Date(n * 86400000)
// k, i, f, s, b, d, t
const rows: Array<ReadonlyArray<unknown>> = [
  ["a", 1n, 1.5, "x", true, day(10), new Date(1000)],
  ["a", null, NaN, "y", false, null, new Date(2000)],
  ["b", 5n, -0, null, null, day(3), null],
  [null, 7n, 2, "😀", true, day(-1), new Date(-5)],
  ["a", 1n, 0.5, "x", true, day(12), new Date(500)],
  ["b", -3n, null, "\uFFFD", false, day(3), new Date(7)],
  [null, null, null, "\uFFFD", null, null, null]
]

/** The result type of `fn(arg)` as the resolver types it. */
const resultType = (fn: Expr.AggregateFn, arg: string | undefined): DataType.DataType => {
  switch (fn) {
    case "count":
    case "countDistinct":
      return D.Int64
    case "avg":
      return D.Float64
    case "sum":
    case "min":
    case "max":
      return typeOf(arg!)
    case "collect":
    case "collectDistinct":
      return D.List(typeOf(arg!))
  }
}

const spec = (name: string, fn: Expr.AggregateFn, arg?: string): AggregateSpec =>
  new AggregateSpec({ name, fn, ...(arg === undefined ? {} : { arg: Expr.col(arg) }), dataType: resultType(fn, arg) })

const singleNode = (keys: ReadonlyArray<string>, specs: ReadonlyArray<AggregateSpec>, inputSchema: PhysicalSchema = input) =>
  new HashAggregateExec({
    id: 1,
    output: physicalSchema([
      ...keys.map((k) => [k, inputSchema.field(k)!.dataType] as const),
      ...specs.map((s) => [s.name, s.dataType] as const)
    ]),
    input: placeholder(inputSchema),
    mode: "single",
    keys: keys.map((k) => Expr.col(k)),
    aggregates: [...specs]
  })

const partialNode = (single: HashAggregateExec) =>
  new HashAggregateExec({ ...single, id: 2, mode: "partial", output: Aggregates.partialSchema(single) })

const finalNode = (single: HashAggregateExec) =>
  new HashAggregateExec({ ...single, id: 3, mode: "final", input: placeholder(Aggregates.partialSchema(single)) })

/** JS value of a result cell: lists become arrays. */
const plain = (v: unknown): unknown => (v instanceof Arrow.Vector ? [...v].map(plain) : v)
const plainRows = (batches: ReadonlyArray<Arrow.RecordBatch>) =>
  rowsOf(batches).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])))

/** A canonical text of a value for multiset comparison: -0 = 0, NaN = NaN, lists as sorted multisets. */
const canon = (v: unknown): string => {
  if (v === null || v === undefined) return "null"
  if (typeof v === "bigint") return `${v}n`
  if (typeof v === "number") return Number.isNaN(v) ? "NaN" : Object.is(v, -0) ? "0" : String(v)
  if (Array.isArray(v)) return `[${v.map(canon).sort().join(",")}]`
  return JSON.stringify(v)
}
const canonRows = (rs: ReadonlyArray<Record<string, unknown>>) =>
  rs.map((r) => Object.entries(r).map(([k, v]) => `${k}=${canon(v)}`).join("|")).sort()

const run = (node: HashAggregateExec, batches: ReadonlyArray<Arrow.RecordBatch>, options: { batchSize?: number; memoryLimit?: number } = {}) =>
  runBatches(HashAggregate.execute(node, fromBatches(batches)), testContext(options))

const everyAggregate = (): Array<AggregateSpec> => [
  spec("n", "count"),
  spec("ci", "count", "i"),
  spec("cdi", "countDistinct", "i"),
  spec("cdf", "countDistinct", "f"),
  spec("cds", "countDistinct", "s"),
  spec("si", "sum", "i"),
  spec("sf", "sum", "f"),
  spec("ai", "avg", "i"),
  spec("af", "avg", "f"),
  spec("mini", "min", "i"),
  spec("maxi", "max", "i"),
  spec("minf", "min", "f"),
  spec("maxf", "max", "f"),
  spec("mins", "min", "s"),
  spec("maxs", "max", "s"),
  spec("minb", "min", "b"),
  spec("maxb", "max", "b"),
  spec("mind", "min", "d"),
  spec("maxd", "max", "d"),
  spec("mint", "min", "t"),
  spec("maxt", "max", "t"),
  spec("ls", "collect", "s"),
  spec("lds", "collectDistinct", "s"),
  spec("lf", "collectDistinct", "f")
]

const batchOf = (rs: ReadonlyArray<ReadonlyArray<unknown>>) => batchFromRows(input, rs)

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

describe("HashAggregateExec single mode", () => {
  it.effect("every aggregate per group, against hand-computed values", () =>
    Effect.gen(function*() {
      const node = singleNode(["k"], everyAggregate())
      const out = plainRows(yield* run(node, [batchOf(rows.slice(0, 3)), batchOf(rows.slice(3))]))
      const byKey = new Map(out.map((r) => [r["k"], r]))
      expect(out.length).toBe(3)
      const a = byKey.get("a")!
      expect(a["n"]).toBe(3n)
      expect(a["ci"]).toBe(2n)
      expect(a["cdi"]).toBe(1n)
      expect(a["cdf"]).toBe(3n)
      expect(a["cds"]).toBe(2n)
      expect(a["si"]).toBe(2n)
      expect(a["sf"]).toBeNaN()
      expect(a["ai"]).toBe(1)
      expect(a["af"]).toBeNaN()
      expect([a["mini"], a["maxi"]]).toEqual([1n, 1n])
      expect(a["minf"]).toBe(0.5)
      expect(a["maxf"]).toBeNaN()
      expect([a["mins"], a["maxs"]]).toEqual(["x", "y"])
      expect([a["minb"], a["maxb"]]).toEqual([false, true])
      expect([a["mind"], a["maxd"]]).toEqual([10 * 86400000, 12 * 86400000])
      expect([a["mint"], a["maxt"]]).toEqual([500, 2000])
      expect(a["ls"]).toEqual(["x", "y", "x"])
      expect([...(a["lds"] as Array<string>)].sort()).toEqual(["x", "y"])
      expect((a["lf"] as Array<number>).map(canon).sort()).toEqual(["0.5", "1.5", "NaN"])

      const b = byKey.get("b")!
      expect([b["n"], b["ci"], b["cdi"], b["cdf"], b["cds"]]).toEqual([2n, 2n, 2n, 1n, 1n])
      expect(b["si"]).toBe(2n)
      expect(canon(b["sf"])).toBe("0")
      expect(b["ai"]).toBe(1)
      expect(canon(b["af"])).toBe("0")
      expect([b["mini"], b["maxi"]]).toEqual([-3n, 5n])
      expect([canon(b["minf"]), canon(b["maxf"])]).toEqual(["0", "0"])
      expect([b["mins"], b["maxs"]]).toEqual(["\uFFFD", "\uFFFD"])
      expect([b["minb"], b["maxb"]]).toEqual([false, false])
      expect([b["mind"], b["maxd"]]).toEqual([3 * 86400000, 3 * 86400000])
      expect([b["mint"], b["maxt"]]).toEqual([7, 7])
      expect(b["ls"]).toEqual(["\uFFFD"])
      expect(b["lds"]).toEqual(["\uFFFD"])

      // the NULL key is one group; strings compare by code point: U+FFFD < U+1F600
      const z = byKey.get(null)!
      expect([z["n"], z["ci"], z["cdi"], z["cdf"], z["cds"]]).toEqual([2n, 1n, 1n, 1n, 2n])
      expect([z["si"], z["sf"], z["ai"], z["af"]]).toEqual([7n, 2, 7, 2])
      expect([z["mins"], z["maxs"]]).toEqual(["\uFFFD", "😀"])
      expect([z["minb"], z["maxb"], z["mind"], z["mint"]]).toEqual([true, true, -86400000, -5])
      expect(z["ls"]).toEqual(["😀", "\uFFFD"])
      expect(z["lf"]).toEqual([2])
    }))

  it.effect("aggregates over equal computed arguments share one evaluation; a different argument is not shared", () =>
    Effect.gen(function*() {
      const twice = () => Expr.col("i").mul(Expr.lit(2n))
      const on = (name: string, fn: Expr.AggregateFn, arg: Expr.Expr, dataType: DataType.DataType) =>
        new AggregateSpec({ name, fn, arg, dataType })
      const node = singleNode(["k"], [
        on("c2", "count", twice(), D.Int64),
        on("s2", "sum", twice(), D.Int64),
        on("min2", "min", twice(), D.Int64),
        on("max2", "max", twice(), D.Int64),
        on("a2", "avg", twice(), D.Float64),
        on("s3", "sum", Expr.col("i").mul(Expr.lit(3n)), D.Int64),
        on("af", "avg", Expr.col("i").mul(Expr.lit(2.5)), D.Float64),
        on("mf", "max", Expr.col("i").mul(Expr.lit(2.5)), D.Float64)
      ])
      const out = plainRows(yield* run(node, [batchOf(rows.slice(0, 4)), batchOf(rows.slice(4))]))
      const byKey = new Map(out.map((r) => [r["k"], r]))
      // i per key: a → 1, NULL, 1; b → 5, −3; NULL → 7, NULL
      expect(byKey.get("a")).toEqual({ k: "a", c2: 2n, s2: 4n, min2: 2n, max2: 2n, a2: 2, s3: 6n, af: 2.5, mf: 2.5 })
      expect(byKey.get("b")).toEqual({ k: "b", c2: 2n, s2: 4n, min2: -6n, max2: 10n, a2: 2, s3: 6n, af: 2.5, mf: 12.5 })
      expect(byKey.get(null)).toEqual({ k: null, c2: 1n, s2: 14n, min2: 14n, max2: 14n, a2: 14, s3: 21n, af: 17.5, mf: 17.5 })
    }))

  it.effect("avg of Int64 reads each value as the nearest Float64 (large and negative values, NULLs skipped)", () =>
    Effect.gen(function*() {
      const values = [2n ** 62n + 12345n, null, -(2n ** 60n) - 7n, 9007199254740993n, -1n, null, 3n]
      const node = singleNode([], [spec("ai", "avg", "i"), spec("n", "count", "i")])
      const out = plainRows(yield* run(node, [
        batchOf(values.slice(0, 4).map((v) => ["a", v, null, null, null, null, null])),
        batchOf(values.slice(4).map((v) => ["a", v, null, null, null, null, null]))
      ]))
      // by hand: each non-NULL value converted to a double, summed in input order, divided by the count
      let sum = 0
      let count = 0
      for (const v of values) {
        if (v === null) continue
        sum += Number(v)
        count++
      }
      expect(out).toEqual([{ ai: sum / count, n: 5n }])
    }))

  it.effect("no keys: one row over all the input", () =>
    Effect.gen(function*() {
      const node = singleNode([], [spec("n", "count"), spec("si", "sum", "i"), spec("mins", "min", "s"), spec("maxs", "max", "s"), spec("cds", "countDistinct", "s")])
      const out = plainRows(yield* run(node, [batchOf(rows)]))
      expect(out).toEqual([{ n: 7n, si: 11n, mins: "x", maxs: "😀", cds: 4n }])
    }))

  it.effect("empty input: no keys gives one row (count 0, collect [], others NULL); with keys no rows", () =>
    Effect.gen(function*() {
      const node = singleNode([], everyAggregate())
      for (const batches of [[], [batchOf([])]]) {
        const out = plainRows(yield* run(node, batches))
        expect(out.length).toBe(1)
        const r = out[0]!
        for (const name of ["n", "ci", "cdi", "cdf", "cds"]) expect(r[name]).toBe(0n)
        for (const name of ["ls", "lds", "lf"]) expect(r[name]).toEqual([])
        for (const name of ["si", "sf", "ai", "af", "mini", "maxi", "minf", "maxf", "mins", "maxs", "minb", "maxb", "mind", "maxd", "mint", "maxt"]) {
          expect(r[name]).toBeNull()
        }
      }
      const grouped = yield* run(singleNode(["k"], everyAggregate()), [batchOf([])])
      expect(grouped.reduce((n, b) => n + b.numRows, 0)).toBe(0)
    }))

  it.effect("NaN groups with NaN and -0.0 with 0.0; NULL keys form one group", () =>
    Effect.gen(function*() {
      const node = singleNode(["f"], [spec("n", "count")])
      const out = plainRows(yield* run(node, [
        batchOf([[null, null, NaN], [null, null, -0], [null, null, null]]),
        batchOf([[null, null, 0], [null, null, NaN], [null, null, null], [null, null, 1]])
      ]))
      expect(canonRows(out)).toEqual(canonRows([
        { f: NaN, n: 2n },
        { f: 0, n: 2n },
        { f: null, n: 2n },
        { f: 1, n: 1n }
      ]))
    }))

  it.effect("distinct = every column as a key and no aggregates", () =>
    Effect.gen(function*() {
      const node = singleNode(["k", "i"], [])
      const out = plainRows(yield* run(node, [batchOf(rows)]))
      expect(canonRows(out)).toEqual(canonRows([
        { k: "a", i: 1n },
        { k: "a", i: null },
        { k: "b", i: 5n },
        { k: null, i: 7n },
        { k: "b", i: -3n },
        { k: null, i: null }
      ]))
    }))

  it.effect("Int64 sum overflows only when the final sum leaves the Int64 range", () =>
    Effect.gen(function*() {
      const schema = physicalSchema([["i", D.Int64]])
      const node = singleNode([], [new AggregateSpec({ name: "s", fn: "sum", arg: Expr.col("i"), dataType: D.Int64 })], schema)
      const max = (1n << 63n) - 1n
      const min = -(1n << 63n)
      const sum = (values: ReadonlyArray<bigint>) =>
        Effect.exit(run(node, [batchFromRows(schema, values.map((v) => [v]))]))
      const over = yield* sum([max, 1n])
      expect(Exit.isFailure(over) && over.cause._tag === "Fail" && over.cause.error instanceof ArithmeticOverflow).toBe(true)
      const under = yield* sum([min, -1n])
      expect(Exit.isFailure(under) && under.cause._tag === "Fail" && under.cause.error instanceof ArithmeticOverflow).toBe(true)
      const back = yield* sum([max, 1n, 1n, -2n])
      expect(Exit.isSuccess(back) && plainRows(back.value)[0]!["s"]).toBe(max)
      const many = yield* sum([max, max, max, min, min, min, min, 3n])
      expect(Exit.isSuccess(many) && plainRows(many.value)[0]!["s"]).toBe(min)
    }))

  it.effect("emits batches of at most the configured batch size", () =>
    Effect.gen(function*() {
      const schema = physicalSchema([["i", D.Int64]])
      const node = singleNode(["i"], [new AggregateSpec({ name: "n", fn: "count", dataType: D.Int64 })], schema)
      const input = batchFromRows(schema, Array.from({ length: 25 }, (_, i) => [BigInt(i % 10)]))
      const out = yield* run(node, [input], { batchSize: 4 })
      expect(out.map((b) => b.numRows)).toEqual([4, 4, 2])
      const counts = plainRows(out).map((r) => [r["i"], r["n"]])
      expect(counts.sort((x, y) => Number(x[0]) - Number(y[0]))).toEqual(
        Array.from({ length: 10 }, (_, i) => [BigInt(i), i < 5 ? 3n : 2n])
      )
    }))

  it.effect("over the memory limit fails with MemoryExceeded; the pool is back at 0", () =>
    Effect.gen(function*() {
      const schema = physicalSchema([["i", D.Int64]])
      const node = singleNode(["i"], [new AggregateSpec({ name: "n", fn: "count", dataType: D.Int64 })], schema)
      const input = Array.from({ length: 4 }, (_, b) => batchFromRows(schema, Array.from({ length: 500 }, (_, i) => [BigInt(b * 500 + i)])))
      const ctx = testContext({ memoryLimit: 4096 })
      const exit = yield* Effect.exit(runBatches(HashAggregate.execute(node, fromBatches(input)), ctx))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error instanceof MemoryExceeded).toBe(true)
      if (Exit.isFailure(exit) && exit.cause._tag === "Fail") {
        const e = exit.cause.error as MemoryExceeded
        expect(e.operator).toBe("HashAggregateExec")
        expect(e.limit).toBe(4096)
      }
      expect(ctx.memory.reserved()).toBe(0)
      // the same query fits in the default pool, and its peak is recorded
      const ok = testContext()
      yield* runBatches(HashAggregate.execute(node, fromBatches(input)), ok)
      expect(ok.metrics.operator(1, "HashAggregateExec").peakMemory).toBeGreaterThan(4096)
      expect(ok.memory.reserved()).toBe(0)
    }))
})

describe("HashAggregateExec partial → final", () => {
  it("partialSchema: keys, then each aggregate's state columns", () => {
    const single = singleNode(["k"], [spec("n", "count"), spec("si", "sum", "i"), spec("a", "avg", "f"), spec("c", "countDistinct", "s"), spec("l", "collect", "d")])
    const schema = Aggregates.partialSchema(single)
    expect(schema.fields.map((f) => [f.name, DataType.display(f.dataType)])).toEqual([
      ["k", "String"],
      ["n:count", "Int64"],
      ["si:sum", "Int64"],
      ["si:wraps", "Int64"],
      ["a:sum", "Float64"],
      ["a:count", "Int64"],
      ["c:distinct", "List<String>"],
      ["l:list", "List<Date>"]
    ])
    expect(Aggregates.partialSchema(finalNode(single))).toEqual(schema)
  })

  it.effect("Int64 sums whose partial sums overflow but whose total does not", () =>
    Effect.gen(function*() {
      const schema = physicalSchema([["i", D.Int64]])
      const single = singleNode([], [new AggregateSpec({ name: "s", fn: "sum", arg: Expr.col("i"), dataType: D.Int64 })], schema)
      const max = (1n << 63n) - 1n
      const part = (values: ReadonlyArray<bigint>) => run(partialNode(single), [batchFromRows(schema, values.map((v) => [v]))])
      const states = [...(yield* part([max, max])), ...(yield* part([-max, -max + 5n]))]
      const out = yield* run(finalNode(single), states)
      expect(plainRows(out)).toEqual([{ s: 5n }])
      const overflowing = [...(yield* part([max])), ...(yield* part([1n]))]
      const exit = yield* Effect.exit(run(finalNode(single), overflowing))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error instanceof ArithmeticOverflow).toBe(true)
    }))

  it.effect("no keys on empty input: partial emits one state row, final one result row", () =>
    Effect.gen(function*() {
      const single = singleNode([], everyAggregate())
      const states = yield* run(partialNode(single), [])
      expect(states.reduce((n, b) => n + b.numRows, 0)).toBe(1)
      const direct = plainRows(yield* run(single, []))
      expect(canonRows(plainRows(yield* run(finalNode(single), states)))).toEqual(canonRows(direct))
      expect(canonRows(plainRows(yield* run(finalNode(single), [])))).toEqual(canonRows(direct))
    }))

  it.effect("split input, partial on each part, concat, final = single, for every aggregate (random data)", () =>
    Effect.promise(() => {
      const small = fc.integer({ min: -3, max: 3 })
      const row = fc.tuple(
        fc.option(fc.constantFrom("a", "b", "😀", "\uFFFD"), { nil: null }),
        fc.option(fc.oneof(small.map(BigInt), fc.constantFrom(4294967296n, -2147483649n, 4294967295n)), { nil: null }),
        fc.option(fc.constantFrom(NaN, -0, 0, 1.5, -2.25, 3, Infinity, -Infinity), { nil: null }),
        fc.option(fc.constantFrom("x", "y", "", "é", "😀", "\uFFFD"), { nil: null }),
        fc.option(fc.boolean(), { nil: null }),
        fc.option(small.map((n) => day(n)), { nil: null }),
        fc.option(small.map((n) => new Date(n * 1000)), { nil: null })
      )
      const keySets: Array<Array<string>> = [[], ["k"], ["k", "b"], ["f"], ["d", "t"], ["i"]]
      return fc.assert(
        fc.asyncProperty(
          fc.array(row, { maxLength: 40 }),
          fc.array(fc.nat({ max: 40 }), { maxLength: 4 }),
          fc.constantFrom(...keySets),
          fc.integer({ min: 1, max: 7 }),
          async (data, cuts, keys, batchSize) => {
            const single = singleNode(keys, everyAggregate())
            const bounds = [0, ...cuts.map((c) => Math.min(c, data.length)).sort((x, y) => x - y), data.length]
            const parts = bounds.slice(1).map((end, p) => data.slice(bounds[p]!, end))
            const program = Effect.gen(function*() {
              const expected = plainRows(yield* run(single, [batchOf(data)]))
              const states: Array<Arrow.RecordBatch> = []
              for (const part of parts) states.push(...(yield* run(partialNode(single), [batchOf(part)], { batchSize })))
              // concatenate the states into one batch, then split it into batches again
              const schema = Aggregates.partialSchema(single).toArrow()
              const all = Batch.concat(schema, states)
              const rebatched = Array.from({ length: Math.ceil(all.numRows / 3) }, (_, b) => Batch.slice(all, b * 3, b * 3 + 3))
              const actual = plainRows(yield* run(finalNode(single), rebatched, { batchSize }))
              expect(canonRows(actual)).toEqual(canonRows(expected))
            })
            await Effect.runPromise(program)
          }
        ),
        { numRuns: 30 }
      )
    }))
})

describe("HashAggregateExec streams", () => {
  it.effect("reads its input batch by batch and frees its reservation at the end", () =>
    Effect.gen(function*() {
      const schema = physicalSchema([["i", D.Int64]])
      const node = singleNode(["i"], [new AggregateSpec({ name: "n", fn: "count", dataType: D.Int64 })], schema)
      const ctx = testContext()
      const seen: Array<number> = []
      const out = yield* Stream.runCollect(
        HashAggregate.execute(node, fromBatches([batchFromRows(schema, [[1n], [2n]]), batchFromRows(schema, [[1n]])])).pipe(
          Stream.tap(() => Effect.sync(() => seen.push(ctx.memory.reserved())))
        )
      ).pipe(provideContext(ctx))
      expect(canonRows(plainRows([...out]))).toEqual(canonRows([{ i: 1n, n: 2n }, { i: 2n, n: 1n }]))
      expect(seen.every((n) => n > 0)).toBe(true)
      expect(ctx.memory.reserved()).toBe(0)
    }))
})
