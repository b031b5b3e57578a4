import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Stream } from "effect"
import * as Batch from "../../src/Engine/Batch.js"
import * as DataType from "../../src/Engine/DataType.js"
import { MemoryExceeded, StorageFailure } from "../../src/Engine/ExecutionError.js"
import { CollectExec } from "../../src/Engine/PhysicalPlan.js"
import * as Collect from "../../src/Operators/Collect.js"
import {
  blocking,
  columnOf,
  erroring,
  fromBatches,
  intBatches,
  physicalSchema,
  placeholder,
  provideContext,
  testContext,
  tracker
} from "../utils/MockSources.js"

const output = physicalSchema([["x", DataType.Int64]])
const node = new CollectExec({ id: 5, output, input: placeholder(output) })

describe("CollectExec", () => {
  it.effect("buffers its input, holds a reservation while emitting and frees it at the end", () =>
    Effect.gen(function*() {
      const ctx = testContext()
      const batches = intBatches("x", 3, 4)
      const bytes = batches.reduce((n, b) => n + Batch.byteSize(b), 0)
      const seen: Array<number> = []
      const out = yield* Stream.runCollect(
        Collect.execute(node, fromBatches(batches)).pipe(Stream.tap(() => Effect.sync(() => seen.push(ctx.memory.reserved()))))
      ).pipe(provideContext(ctx))
      expect(columnOf([...out], "x")).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i)))
      expect(seen.every((n) => n === bytes)).toBe(true)
      expect(ctx.memory.reserved()).toBe(0)
      expect(ctx.memory.peak()).toBe(bytes)
      expect(ctx.metrics.operator(5, "CollectExec").peakMemory).toBe(bytes)
    }))

  it.effect("empty input emits nothing and reserves nothing", () =>
    Effect.gen(function*() {
      const ctx = testContext()
      const out = yield* Stream.runCollect(Collect.execute(node, fromBatches([]))).pipe(provideContext(ctx))
      expect(out.length).toBe(0)
      expect(ctx.memory.peak()).toBe(0)
    }))

  it.effect("over the memory limit fails with MemoryExceeded naming requested and limit; the pool is back at 0", () =>
    Effect.gen(function*() {
      const batches = intBatches("x", 4, 100)
      const one = Batch.byteSize(batches[0]!)
      const ctx = testContext({ memoryLimit: one * 2 + 1 })
      const exit = yield* Effect.exit(Stream.runCollect(Collect.execute(node, fromBatches(batches))).pipe(provideContext(ctx)))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        expect(error).toBeInstanceOf(MemoryExceeded)
        const e = error as MemoryExceeded
        expect(e.requested).toBe(one)
        expect(e.limit).toBe(one * 2 + 1)
        expect(e.reserved).toBe(one * 2)
        expect(e.operator).toBe("CollectExec")
        expect(e.message).toContain(`limit ${one * 2 + 1}`)
      }
      expect(ctx.memory.reserved()).toBe(0)
    }))

  it.effect("a failing input fails the collect with that error, frees the reservation and releases the source", () =>
    Effect.gen(function*() {
      const ctx = testContext()
      const resource = tracker()
      const error = new StorageFailure({ operation: "scan", cause: "gone" })
      const exit = yield* Effect.exit(
        Stream.runCollect(Collect.execute(node, resource.track(erroring(intBatches("x", 3, 5), 2, error)))).pipe(
          provideContext(ctx)
        )
      )
      expect(exit).toStrictEqual(Exit.fail(error))
      expect(ctx.memory.peak()).toBeGreaterThan(0)
      expect(ctx.memory.reserved()).toBe(0)
      expect(resource.released()).toBe(1)
    }))

  it.live("interrupting a collect over a blocked source runs finalizers and frees its reservation", () =>
    Effect.gen(function*() {
      const ctx = testContext()
      const started = yield* Deferred.make<void>()
      const resource = tracker()
      const fiber = yield* Stream.runCollect(
        Collect.execute(node, resource.track(blocking(intBatches("x", 2, 10), started)))
      ).pipe(provideContext(ctx), Effect.fork)
      yield* Deferred.await(started)
      expect(ctx.memory.reserved()).toBeGreaterThan(0)
      expect(resource.acquired()).toBe(1)
      expect(resource.released()).toBe(0)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(resource.released()).toBe(1)
      expect(ctx.memory.reserved()).toBe(0)
    }))
})
