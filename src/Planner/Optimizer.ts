/**
 * The optimizer: a fixed sequence of rewrite rules over a resolved logical plan (each rule
 * in its own module under `Rules/`). It reads the catalog, never data, and keeps the
 * plan's output columns and types exactly.
 *
 * Order: constant folding (so pushdown sees simplified predicates and dead filters are
 * gone) → predicate pushdown → limit pushdown / top-k → projection pruning (last, so it
 * sees the final place of every predicate).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as DataType from "../Engine/DataType.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { PhysicalSchema } from "../Engine/PhysicalSchema.js"
import type { Catalog } from "../Engine/Storage.js"
import type { LogicalPlan } from "../Query/LogicalPlan.js"
import * as Resolver from "../Query/Resolver.js"
import * as ConstantFolding from "./Rules/ConstantFolding.js"
import * as LimitPushdown from "./Rules/LimitPushdown.js"
import * as PredicatePushdown from "./Rules/PredicatePushdown.js"
import * as ProjectionPruning from "./Rules/ProjectionPruning.js"
import type { Rule } from "./Rules/Rule.js"

/** The rules, in the order they run. */
export const rules: ReadonlyArray<Rule> = [
  ConstantFolding.rule,
  PredicatePushdown.rule,
  LimitPushdown.rule,
  ProjectionPruning.rule
]

const sameOutput = (a: PhysicalSchema, b: PhysicalSchema): boolean =>
  a.fields.length === b.fields.length &&
  a.fields.every((f, i) => f.name === b.fields[i]!.name && DataType.equals(f.dataType, b.fields[i]!.dataType))

/** Runs `rules` in order over a resolved plan; a rewrite that changed the output columns is a defect. */
export const optimizeWith = (
  plan: LogicalPlan,
  catalog: Catalog,
  ruleList: ReadonlyArray<Rule>
): Effect.Effect<LogicalPlan, ExecutionError> =>
  Effect.gen(function*() {
    const before = yield* Resolver.schemaOf(plan, catalog)
    let current = plan
    for (const rule of ruleList) current = yield* rule.apply(current, catalog)
    const after = yield* Resolver.schemaOf(current, catalog)
    if (!sameOutput(before, after)) {
      return yield* Effect.dieMessage(
        `Optimizer: the rewrite changed the output from [${before.names.join(", ")}] to [${after.names.join(", ")}]`
      )
    }
    return current
  })

/** Rewrites a resolved logical plan into an equivalent, cheaper one. */
export const optimize = (plan: LogicalPlan, catalog: Catalog): Effect.Effect<LogicalPlan, ExecutionError> =>
  optimizeWith(plan, catalog, rules)
