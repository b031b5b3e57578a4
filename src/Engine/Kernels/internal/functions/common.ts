/**
 * Shared pieces of the scalar functions: definition, arity and argument type checks,
 * typed failures out of synchronous loops, and validity helpers.
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as Either from "effect/Either"
import * as DataType from "../../../DataType.js"
import { InvalidPlan, TypeMismatch, type ExecutionError } from "../../../ExecutionError.js"
import type { ScalarFunction } from "../../Functions.js"
import * as Column from "../../Column.js"
import { nullData } from "../batch.js"
import { fail, isKernelFailure } from "../failure.js"

export { fail }

/** Type checking of one call: the argument types and the display of the call. */
export type TypeRule = (args: ReadonlyArray<DataType.DataType>, display: string) => DataType.DataType

/** Evaluation of one call over argument columns. */
export type Kernel = (args: ReadonlyArray<Arrow.Data>, length: number, display: string) => Arrow.Data

/** Builds a {@link ScalarFunction} from a synchronous type rule and kernel that may `fail`. */
export const define = (name: string, minArgs: number, maxArgs: number, type: TypeRule, kernel: Kernel): ScalarFunction => ({
  name,
  returnType: (args, display) =>
    attempt(() => {
      checkArity(name, minArgs, maxArgs, args.length, display)
      return type(args, display)
    }),
  evaluate: (args, length, display) =>
    attempt(() => {
      checkArity(name, minArgs, maxArgs, args.length, display)
      return kernel(args, length, display)
    })
})

const attempt = <A>(f: () => A): Either.Either<A, ExecutionError> => {
  try {
    return Either.right(f())
  } catch (u) {
    if (isKernelFailure(u)) return Either.left(u.error)
    throw u
  }
}

const checkArity = (name: string, min: number, max: number, actual: number, display: string): void => {
  if (actual >= min && actual <= max) return
  const expected =
    min === max
      ? `${min} argument${min === 1 ? "" : "s"}`
      : max === Infinity
        ? `at least ${min} argument${min === 1 ? "" : "s"}`
        : `${min} to ${max} arguments`
  fail(new InvalidPlan({ reason: "InvalidArgument", detail: `${name} takes ${expected}, got ${actual} in ${display}` }))
}

/** Fails with a TypeMismatch. */
export const mismatch = (expected: string, actual: DataType.DataType, display: string): never =>
  fail(new TypeMismatch({ expected, actual: DataType.display(actual), expression: display }))

/** Fails with an InvalidPlan(InvalidArgument). */
export const invalidArgument = (detail: string): never => fail(new InvalidPlan({ reason: "InvalidArgument", detail }))

/** Requires a String (or NULL) argument. */
export const expectString = (t: DataType.DataType, display: string): void => {
  if (t._tag !== "String" && t._tag !== "Null") mismatch("String", t, display)
}

/** Requires an Int64 (or NULL) argument. */
export const expectInt64 = (t: DataType.DataType, display: string): void => {
  if (t._tag !== "Int64" && t._tag !== "Null") mismatch("Int64", t, display)
}

/** Requires an Int64 or Float64 (or NULL) argument. */
export const expectNumeric = (t: DataType.DataType, display: string): void => {
  if (!DataType.isNumeric(t) && t._tag !== "Null") mismatch("Int64 or Float64", t, display)
}

/** Whether a column is Null-typed (all NULL). */
export const isNull = (data: Arrow.Data): boolean => data.typeId === Arrow.Type.Null

/** AND of the validity bitmaps of several columns (null = all valid); a fresh bitmap unless all inputs are `null` or one is returned as is. */
export const andAll = (columns: ReadonlyArray<Arrow.Data>, length: number): Uint8Array | null => {
  let out: Uint8Array | null = null
  let owned = false
  for (const c of columns) {
    const v = Column.validity(c)
    if (v === null) continue
    if (out === null) {
      out = v
      continue
    }
    if (!owned) {
      const copy = Column.allocBitmap(length)
      copy.set(out.subarray(0, copy.length))
      out = copy
      owned = true
    }
    const n = (length + 7) >> 3
    for (let k = 0; k < n; k++) out[k] = out[k]! & v[k]!
  }
  return out
}

/** Whether bit i of a validity bitmap is set (`null` = valid). */
export const valid = (validity: Uint8Array | null, i: number): boolean =>
  validity === null || (validity[i >> 3]! & (1 << (i & 7))) !== 0

/** A column of `length` NULLs of a logical type. */
export const nullsOf = (type: DataType.DataType, length: number): Arrow.Data => nullData(DataType.toArrow(type), length)

/** The Arrow `List<Utf8>` type. */
export const listOfUtf8 = (): Arrow.List => DataType.toArrow(DataType.List(DataType.String)) as Arrow.List
