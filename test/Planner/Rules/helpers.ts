/**
 * Shared helpers of the optimizer rule tests: resolve a frame over the fixture catalog,
 * apply one rule (or the whole optimizer), print the plan with the Explain printer.
 */
import { Effect } from "effect"
import { defaultConfig } from "../../../src/Engine/ExecutionContext.js"
import * as Explain from "../../../src/Planner/Explain.js"
import * as Optimizer from "../../../src/Planner/Optimizer.js"
import type { Rule } from "../../../src/Planner/Rules/Rule.js"
import type { LogicalPlan } from "../../../src/Query/LogicalPlan.js"
import type { Frame } from "../../../src/Query/Frame.js"
import * as Hypergraph from "../../../src/Query/Hypergraph.js"
import * as Resolver from "../../../src/Query/Resolver.js"
import { catalog } from "../../Query/fixtures.js"

/** `nodes("Person", { as: "p" })` over the fixture catalog (Person: age Int64, name String, nick Null, score Float64). */
export const person = () => Hypergraph.nodes("Person", { as: "p" })

/** The resolved plan of a frame. */
export const resolved = (frame: Frame): Effect.Effect<LogicalPlan, unknown> =>
  Effect.map(Resolver.resolve(frame.plan, catalog, defaultConfig), (r) => r.plan)

/** The resolved plan after one rule (checked to keep the output), as EXPLAIN lines. */
export const afterRule = (rule: Rule, frame: Frame): Effect.Effect<ReadonlyArray<string>, unknown> =>
  Effect.gen(function*() {
    const plan = yield* resolved(frame)
    const out = yield* Optimizer.optimizeWith(plan, catalog, [rule])
    return Explain.logical(out).split("\n")
  })

/** The resolved plan after one rule, as a plan. */
export const applyRule = (rule: Rule, frame: Frame): Effect.Effect<LogicalPlan, unknown> =>
  Effect.flatMap(resolved(frame), (plan) => Optimizer.optimizeWith(plan, catalog, [rule]))
