/**
 * The shape of an optimizer rule: a rewrite of a resolved logical plan into an
 * equivalent one (same output columns and types, same multiset of rows wherever the
 * semantics determine it). Rules may read the catalog but never data.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { ExecutionError } from "../../Engine/ExecutionError.js"
import type { Catalog } from "../../Engine/Storage.js"
import type { LogicalPlan } from "../../Query/LogicalPlan.js"

/** One rewrite over a resolved logical plan. */
export interface Rule {
  /** A short name (for traces and tests). */
  readonly name: string
  /** Rewrites the whole plan. */
  readonly apply: (plan: LogicalPlan, catalog: Catalog) => Effect.Effect<LogicalPlan, ExecutionError>
}
