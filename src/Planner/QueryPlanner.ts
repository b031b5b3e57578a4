/**
 * The planning pipeline shared by every runtime: catalog at the pinned snapshot →
 * resolve + validate → optimize (optional) → physical plan. It never reads data, so a
 * plan-time error fails before any scan.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { EngineConfig } from "../Engine/ExecutionContext.js"
import type { ExecutionError } from "../Engine/ExecutionError.js"
import type { PhysicalPlan } from "../Engine/PhysicalPlan.js"
import type { PhysicalSchema } from "../Engine/PhysicalSchema.js"
import type { Catalog, SnapshotId, StorageService } from "../Engine/Storage.js"
import type { LogicalPlan } from "../Query/LogicalPlan.js"
import * as Resolver from "../Query/Resolver.js"
import * as LocalPhysicalPlanner from "./LocalPhysicalPlanner.js"
import * as Optimizer from "./Optimizer.js"

/** Every stage of a planned query. */
export interface Prepared {
  /** The plan as the user built it. */
  readonly logical: LogicalPlan
  /** After name resolution and validation. */
  readonly resolved: LogicalPlan
  /** After the optimizer (the resolved plan when optimization is off). */
  readonly optimized: LogicalPlan
  /** The output schema of the query. */
  readonly schema: PhysicalSchema
  /** The local physical plan. */
  readonly physical: PhysicalPlan
  readonly catalog: Catalog
}

/** Planning options. */
export interface PrepareOptions {
  readonly optimize: boolean
}

/** Catalog → resolve → optimize, without the physical step (for runtimes with their own physical planner). */
export const prepareLogical = (
  plan: LogicalPlan,
  storage: StorageService,
  snapshot: SnapshotId,
  config: EngineConfig,
  options: PrepareOptions
): Effect.Effect<Omit<Prepared, "physical">, ExecutionError> =>
  Effect.gen(function*() {
    const catalog = yield* storage.catalog(snapshot)
    const resolved = yield* Resolver.resolve(plan, catalog, config)
    const optimized = options.optimize ? yield* Optimizer.optimize(resolved.plan, catalog) : resolved.plan
    return { logical: plan, resolved: resolved.plan, optimized, schema: resolved.schema, catalog }
  })

/** Catalog → resolve → optimize → local physical plan. Reads no data. */
export const prepare = (
  plan: LogicalPlan,
  storage: StorageService,
  snapshot: SnapshotId,
  config: EngineConfig,
  options: PrepareOptions
): Effect.Effect<Prepared, ExecutionError> =>
  Effect.gen(function*() {
    const logical = yield* prepareLogical(plan, storage, snapshot, config, options)
    const physical = yield* LocalPhysicalPlanner.plan(logical.optimized, logical.catalog, config)
    return { ...logical, physical }
  })
