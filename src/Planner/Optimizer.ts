/**
 * The optimizer (placeholder: returns the plan unchanged until the rules land).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { Catalog } from "../Engine/Storage.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { LogicalPlan } from "../Query/LogicalPlan.js"

/** Rewrites a resolved logical plan into an equivalent, cheaper one. */
export const optimize = (plan: LogicalPlan, _catalog: Catalog): Effect.Effect<LogicalPlan, ExecutionError> =>
  Effect.succeed(plan)
