/**
 * The named scalar functions of SEMANTICS §4: typing and vectorized evaluation.
 *
 * A function is looked up by name (case-insensitive). `returnType` checks the argument
 * types at plan time; `evaluate` runs over already-evaluated argument columns of one batch.
 * Graph functions (`id labels type properties`) are rewritten by the resolver into system
 * columns and `cast` is an `Expr` node, so neither is in this registry.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import type * as Either from "effect/Either"
import type * as DataType from "../DataType.js"
import type { ExecutionError } from "../ExecutionError.js"
import { registry } from "./internal/functions/registry.js"

/** A named scalar function. */
export interface ScalarFunction {
  readonly name: string
  /** Result type for these argument types, or TypeMismatch{expected, actual, expression: display} / InvalidPlan{reason:"InvalidArgument"} for a wrong arity. */
  readonly returnType: (
    args: ReadonlyArray<DataType.DataType>,
    display: string
  ) => Either.Either<DataType.DataType, ExecutionError>
  /** Evaluates over already-evaluated argument columns, all of `length` rows (a Null-typed arg column means all NULL). */
  readonly evaluate: (
    args: ReadonlyArray<Arrow.Data>,
    length: number,
    display: string
  ) => Either.Either<Arrow.Data, ExecutionError>
}

/** The function of that name (case-insensitive), or `undefined` when there is none. */
export const lookup = (name: string): ScalarFunction | undefined => registry.get(name.toLowerCase())

/** Every function name, lower case. */
export const names: ReadonlyArray<string> = Array.from(registry.keys())
