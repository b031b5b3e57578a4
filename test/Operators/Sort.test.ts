import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, FastCheck as fc, Fiber, Stream } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import { MemoryExceeded } from "../../src/Engine/ExecutionError.js"
import * as Expr from "../../src/Engine/Expr.js"
import { SortExec } from "../../src/Engine/PhysicalPlan.js"
import * as Sort from "../../src/Operators/Sort.js"
import {
  batchFromRows,
  blocking,
  counting,
  fromBatches,
  physicalSchema,
  placeholder,
  provideContext,
  rowsOf,
  runBatches,
  testContext
} from "../utils/MockSources.js"

const schema = physicalSchema([
  ["id", DataType.Int64],
  ["name", DataType.String],
  ["score", DataType.Float64]
])

const node = (keys: ReadonlyArray<Expr.SortKey>, fetch?: number) =>
  new SortExec({ id: 4, output: schema, input: placeholder(schema), keys: [...keys], ...(fetch === undefined ? {} : { fetch }) })

const batch = (rows: ReadonlyArray<ReadonlyArray<unknown>>) => batchFromRows(schema, rows)

const ids = (batches: ReadonlyArray<import("apache-arrow").RecordBatch>) => rowsOf(batches).map((r) => r["id"])

const rows: Array<ReadonlyArray<unknown>> = [
  [1n, "b", 2.5],
  [2n, "a", null],
  [3n, "😀", NaN],
  [4n, "b", -0],
  [5n, "\uFFFD", 0],
  [6n, null, 2.5],
  [7n, "a", -1]
]

describe("SortExec", () => {
  it.effect("sorts across batches, stably, NULLs last ascending", () =>
    Effect.gen(function*() {
      const out = yield* runBatches(
        Sort.execute(node([Expr.col("name").asc()]), fromBatches([batch(rows.slice(0, 2)), batch(rows.slice(2, 5)), batch(rows.slice(5))]))
      )
      // code point order: "a" < "b" < U+FFFD < U+1F600; ties keep input order
      expect(ids(out)).toEqual([2n, 7n, 1n, 4n, 5n, 3n, 6n])
    }))

  it.effect("multi-key with directions and explicit NULL placement; NaN above every float", () =>
    Effect.gen(function*() {
      const out = yield* runBatches(
        Sort.execute(node([Expr.col("score").desc().withNullsLast(), Expr.col("id").desc()]), fromBatches([batch(rows)]))
      )
      // NaN first descending, 2.5 (ids 6, 1 by id desc), then 0 / -0 (ids 5, 4), -1, NULL last
      expect(ids(out)).toEqual([3n, 6n, 1n, 5n, 4n, 7n, 2n])
    }))

  it.effect("sorts on a computed key", () =>
    Effect.gen(function*() {
      const key = new Expr.SortKey({ expr: Expr.col("id").mod(3n), descending: false })
      const out = yield* runBatches(Sort.execute(node([key, Expr.col("id").desc()]), fromBatches([batch(rows)])))
      expect(ids(out)).toEqual([6n, 3n, 7n, 4n, 1n, 5n, 2n])
    }))

  it.effect("emits batches of the configured size", () =>
    Effect.gen(function*() {
      const input = Array.from({ length: 3 }, (_, b) => batch(Array.from({ length: 7 }, (_, i) => [BigInt(b * 7 + i), null, null])))
      const out = yield* runBatches(Sort.execute(node([Expr.col("id").desc()]), fromBatches(input)), testContext({ batchSize: 5 }))
      expect(out.map((b) => b.numRows)).toEqual([5, 5, 5, 5, 1])
      expect(ids(out)).toEqual(Array.from({ length: 21 }, (_, i) => BigInt(20 - i)))
    }))

  it.effect("top-k equals the prefix of the full sort (random input, several batches)", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.option(fc.constantFrom("a", "b", "c"), { nil: null }), fc.option(fc.constantFrom(NaN, -0, 0, 1, -1), { nil: null })), { maxLength: 60 }),
          fc.nat({ max: 70 }),
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 8 }),
          async (data, fetch, perBatch, batchSize) => {
            const input = data.map((r, i) => [BigInt(i), r[0], r[1]] as const)
            const batches = Array.from({ length: Math.ceil(input.length / perBatch) }, (_, b) =>
              batch(input.slice(b * perBatch, (b + 1) * perBatch)))
            const keys = [Expr.col("name").desc(), Expr.col("score").asc()]
            const program = Effect.gen(function*() {
              const full = ids(yield* runBatches(Sort.execute(node(keys), fromBatches(batches)), testContext({ batchSize })))
              const top = ids(yield* runBatches(Sort.execute(node(keys, fetch), fromBatches(batches)), testContext({ batchSize })))
              expect(top).toEqual(full.slice(0, fetch))
            })
            await Effect.runPromise(program)
          }
        ),
        { numRuns: 60 }
      )
    ))

  it.effect("top-k on one key with many ties across batches keeps the earliest rows (threshold pre-filter)", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(fc.option(fc.constantFrom(NaN, -0, 0, 1, 2, 3), { nil: null }), { maxLength: 80 }),
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 1, max: 7 }),
          fc.boolean(),
          async (scores, fetch, perBatch, descending) => {
            const input = scores.map((s, i) => [BigInt(i), null, s] as const)
            const batches = Array.from({ length: Math.ceil(input.length / perBatch) }, (_, b) =>
              batch(input.slice(b * perBatch, (b + 1) * perBatch)))
            const key = descending ? Expr.col("score").desc().withNullsLast() : Expr.col("score").asc()
            // expected by hand: stable order of (NULL placement, value with NaN greatest and -0 = 0), then input order
            const rank = (s: number | null): number => (s === null ? (descending ? -Infinity : Infinity) : Number.isNaN(s) ? 1e9 : s === 0 ? 0 : s)
            const order = input.map((r, i) => i).sort((a, b) => {
              const ra = rank(input[a]![2]), rb = rank(input[b]![2])
              const d = descending ? rb - ra : ra - rb
              return d !== 0 ? d : a - b
            })
            const top = ids(await Effect.runPromise(runBatches(Sort.execute(node([key], fetch), fromBatches(batches)), testContext({ batchSize: 4 }))))
            expect(top).toEqual(order.slice(0, fetch).map(BigInt))
          }
        ),
        { numRuns: 80 }
      )
    ))

  it.effect("top-k keeps a bounded buffer", () =>
    Effect.gen(function*() {
      const input = Array.from({ length: 50 }, (_, b) => batch(Array.from({ length: 20 }, (_, i) => [BigInt(b * 20 + i), "x", (b * 37 + i * 11) % 101])))
      const full = testContext({ batchSize: 20 })
      yield* runBatches(Sort.execute(node([Expr.col("score").asc()]), fromBatches(input)), full)
      const top = testContext({ batchSize: 20 })
      const out = yield* runBatches(Sort.execute(node([Expr.col("score").asc()], 3), fromBatches(input)), top)
      const scores = Array.from({ length: 1000 }, (_, k) => (Math.floor(k / 20) * 37 + (k % 20) * 11) % 101)
      expect(rowsOf(out).map((r) => r["score"])).toEqual(scores.sort((x, y) => x - y).slice(0, 3))
      const fullPeak = full.metrics.operator(4, "SortExec").peakMemory
      const topPeak = top.metrics.operator(4, "SortExec").peakMemory
      expect(topPeak).toBeGreaterThan(0)
      expect(topPeak * 10).toBeLessThan(fullPeak)
    }))

  it.effect("fetch 0 emits nothing and pulls nothing", () =>
    Effect.gen(function*() {
      const source = counting([batch(rows)])
      const out = yield* runBatches(Sort.execute(node([Expr.col("id").asc()], 0), source.stream))
      expect(out.length).toBe(0)
      expect(source.pulled()).toBe(0)
    }))

  it.effect("empty input emits nothing", () =>
    Effect.gen(function*() {
      const out = yield* runBatches(Sort.execute(node([Expr.col("id").asc()]), fromBatches([batch([])])))
      expect(out.length).toBe(0)
    }))

  it.effect("over the memory limit fails with MemoryExceeded; the pool is back at 0", () =>
    Effect.gen(function*() {
      const input = Array.from({ length: 5 }, (_, b) => batch(Array.from({ length: 100 }, (_, i) => [BigInt(b * 100 + i), "name", 1.5])))
      const ctx = testContext({ memoryLimit: 3000 })
      const exit = yield* Effect.exit(runBatches(Sort.execute(node([Expr.col("id").desc()]), fromBatches(input)), ctx))
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error instanceof MemoryExceeded).toBe(true)
      if (Exit.isFailure(exit) && exit.cause._tag === "Fail") expect((exit.cause.error as MemoryExceeded).operator).toBe("SortExec")
      expect(ctx.memory.reserved()).toBe(0)
    }))

  it.effect("interrupting a running sort frees its reservation", () =>
    Effect.gen(function*() {
      const ctx = testContext()
      const started = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(
        Stream.runDrain(Sort.execute(node([Expr.col("id").asc()]), blocking([batch(rows)], started))).pipe(provideContext(ctx))
      )
      yield* Deferred.await(started)
      expect(ctx.memory.reserved()).toBeGreaterThan(0)
      yield* Fiber.interrupt(fiber)
      expect(ctx.memory.reserved()).toBe(0)
    }))
})
