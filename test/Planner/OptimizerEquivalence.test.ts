/**
 * Equivalence of optimized and unoptimized plans over seeded random (graph, query) pairs
 * from `test/utils/Generators.ts`: each rule alone, and the whole optimizer through
 * `LocalRuntime.layer` vs `LocalRuntime.layerWith({ optimize: false })`. Results must be
 * the same multiset of rows where the semantics determine them (the reference evaluator
 * says how much is determined: every row, the count only, or nothing, e.g. after a Limit
 * without Sort). A run-time error of the unoptimized plan may disappear after optimization
 * (filters move below failing expressions) but never appear, nor change its tag.
 *
 * Re-run: GRISM_PROP_SEED=<seed> GRISM_PROP_RUNS=<n> npx vitest run test/Planner/OptimizerEquivalence.test.ts
 */
import { describe, expect, it } from "@effect/vitest"
import type * as Arrow from "apache-arrow"
import { Cause, Effect, Exit, FastCheck as fc, Layer, Option } from "effect"
import * as DataType from "../../src/Engine/DataType.js"
import * as ExecutionContext from "../../src/Engine/ExecutionContext.js"
import type { ExecutionError } from "../../src/Engine/ExecutionError.js"
import type { GraphInput, StorageService } from "../../src/Engine/Storage.js"
import * as LocalExecutor from "../../src/LocalRuntime/LocalExecutor.js"
import * as LocalRuntime from "../../src/LocalRuntime/LocalRuntime.js"
import * as LocalPhysicalPlanner from "../../src/Planner/LocalPhysicalPlanner.js"
import * as Optimizer from "../../src/Planner/Optimizer.js"
import type { Rule } from "../../src/Planner/Rules/Rule.js"
import type { Frame } from "../../src/Query/Frame.js"
import * as Resolver from "../../src/Query/Resolver.js"
import * as InMemoryStorage from "../../src/Storage/InMemoryStorage.js"
import * as Compare from "../utils/Compare.js"
import * as Generators from "../utils/Generators.js"
import * as Reference from "../utils/Reference.js"

const seed = Number(process.env["GRISM_PROP_SEED"] ?? 20261129)
const numRuns = Number(process.env["GRISM_PROP_RUNS"] ?? 40)

const show = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    typeof x === "bigint" ? `${x}n` : typeof x === "number" && !Number.isFinite(x) ? String(x) : Object.is(x, -0) ? "-0" : x)

interface Outcome {
  readonly exit: Exit.Exit<Arrow.Table, ExecutionError>
}

/** Runs a frame with the given rules (none: the resolved plan as is) straight through the local operators. */
const runWith = (storage: StorageService, frame: Frame, rules: ReadonlyArray<Rule>): Promise<Outcome> =>
  Effect.runPromiseExit(
    Effect.gen(function*() {
      const config = ExecutionContext.defaultConfig
      const snapshot = yield* storage.current
      const catalog = yield* storage.catalog(snapshot)
      const resolved = yield* Resolver.resolve(frame.plan, catalog, config)
      const plan = rules.length === 0 ? resolved.plan : yield* Optimizer.optimizeWith(resolved.plan, catalog, rules)
      const physical = yield* LocalPhysicalPlanner.plan(plan, catalog, config)
      const context = ExecutionContext.make({ storage, snapshot, config })
      return yield* Effect.provideService(LocalExecutor.collect(physical), ExecutionContext.ExecutionContext, context)
    })
  ).then((exit) => ({ exit }))

/** Runs a frame through a runtime layer over the graph. */
const runLayer = (graph: GraphInput, frame: Frame, optimize: boolean): Promise<Outcome> =>
  Effect.runPromiseExit(
    frame.collect().pipe(
      Effect.provide(
        (optimize ? LocalRuntime.layer : LocalRuntime.layerWith({ optimize: false })).pipe(
          Layer.provide(InMemoryStorage.layer(graph))
        )
      )
    )
  ).then((exit) => ({ exit: exit as Exit.Exit<Arrow.Table, ExecutionError> }))

const tagOf = (exit: Exit.Exit<unknown, ExecutionError>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = Cause.failureOption(exit.cause)
  return Option.isSome(failure) ? failure.value._tag : `defect: ${Cause.pretty(exit.cause)}`
}

/** Compares two outcomes of one query; a description of the difference, or undefined. */
const differ = (plain: Outcome, optimized: Outcome, determinism: Reference.Determinism): string | undefined => {
  const plainTag = tagOf(plain.exit)
  const optTag = tagOf(optimized.exit)
  if (optTag?.startsWith("defect") === true) return `optimized run died: ${optTag}`
  if (plainTag !== undefined) {
    return optTag === undefined || optTag === plainTag ? undefined : `unoptimized failed with ${plainTag}, optimized with ${optTag}`
  }
  if (optTag !== undefined) return `optimized failed with ${optTag}, unoptimized succeeded`
  const a = Compare.tableToRows((plain.exit as Exit.Success<Arrow.Table, never>).value)
  const b = Compare.tableToRows((optimized.exit as Exit.Success<Arrow.Table, never>).value)
  if (show(a.columns) !== show(b.columns)) return `columns: ${show(a.columns)} vs ${show(b.columns)}`
  const types = (r: Compare.EngineRows) => r.types.map((t) => (t === undefined ? "?" : DataType.display(t)))
  if (show(types(a)) !== show(types(b))) return `types: ${show(types(a))} vs ${show(types(b))}`
  if (determinism === "none") return undefined
  if (a.rows.length !== b.rows.length) return `row count: ${a.rows.length} vs ${b.rows.length}`
  if (determinism === "count") return undefined
  const { extra, missing } = Compare.multisetDiff(a.rows, b.rows)
  return missing.length === 0 && extra.length === 0
    ? undefined
    : `rows differ\nonly unoptimized: ${show(missing)}\nonly optimized: ${show(extra)}`
}

const determinismOf = (ref: ReturnType<typeof Generators.refGraph>, frame: Frame): Reference.Determinism => {
  const expected = Reference.evaluateOn(ref, frame.plan)
  return expected._tag === "Rows" ? expected.determinism : "none"
}

/** Lets the event loop reach its poll phase, so the worker answers the test runner between cases. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve))

const checkRules = (rules: ReadonlyArray<Rule>) => async ([graph, seq]: readonly [GraphInput, ReadonlyArray<number>]) => {
  await breathe()
  const ref = Generators.refGraph(graph)
  const query = Generators.buildQuery(ref, seq)
  const storage = await Effect.runPromise(InMemoryStorage.make(graph))
  const plain = await runWith(storage, query.frame, [])
  const optimized = await runWith(storage, query.frame, rules)
  const problem = differ(plain, optimized, determinismOf(ref, query.frame))
  expect(problem, `${problem}\nquery: ${query.text}\ngraph: ${show(graph)}`).toBeUndefined()
}

describe("Optimizer equivalence (random graphs and queries)", () => {
  for (const rule of Optimizer.rules) {
    it(`${rule.name} alone keeps the rows`, async () => {
      await fc.assert(fc.asyncProperty(Generators.testCase, checkRules([rule])), { seed, numRuns })
    }, 120_000)
  }

  it("LocalRuntime.layer (optimizer on) gives the rows of layerWith({ optimize: false })", async () => {
    await fc.assert(
      fc.asyncProperty(Generators.testCase, async ([graph, seq]) => {
        await breathe()
        const ref = Generators.refGraph(graph)
        const query = Generators.buildQuery(ref, seq)
        const plain = await runLayer(graph, query.frame, false)
        const optimized = await runLayer(graph, query.frame, true)
        const problem = differ(plain, optimized, determinismOf(ref, query.frame))
        expect(problem, `${problem}\nquery: ${query.text}\ngraph: ${show(graph)}`).toBeUndefined()
      }),
      { seed: seed + 1, numRuns: numRuns * 2 }
    )
  }, 240_000)

  it("the whole optimizer keeps the rows of traversal queries (hyperedge scans, role expands, hop ranges)", async () => {
    await fc.assert(
      fc.asyncProperty(Generators.traversalCase, async ([graph, seq]) => {
        await breathe()
        const ref = Generators.refGraph(graph)
        const query = Generators.buildQuery(ref, seq, { traversal: true })
        const storage = await Effect.runPromise(InMemoryStorage.make(graph))
        const plain = await runWith(storage, query.frame, [])
        const optimized = await runWith(storage, query.frame, Optimizer.rules)
        const problem = differ(plain, optimized, determinismOf(ref, query.frame))
        expect(problem, `${problem}\nquery: ${query.text}\ngraph: ${show(graph)}`).toBeUndefined()
      }),
      { seed: seed + 2, numRuns: numRuns * 2 }
    )
  }, 240_000)
})
