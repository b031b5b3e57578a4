/**
 * Math functions: abs ceil floor round sqrt power.
 *
 * `abs ceil floor round` keep Int64 for Int64 input (abs of the minimum Int64 overflows);
 * `sqrt power` always give Float64 (IEEE: sqrt of a negative is NaN). `round` rounds half
 * away from zero; `round(x, digits)` rounds to `digits` decimal places (negative digits
 * round to tens, hundreds, …) using the shortest decimal form of `x`, so
 * `round(1.005, 2) = 1.01`.
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as DataType from "../../../DataType.js"
import { ArithmeticOverflow } from "../../../ExecutionError.js"
import type { ScalarFunction } from "../../Functions.js"
import * as Column from "../../Column.js"
import { castData } from "../batch.js"
import { andAll, define, expectInt64, expectNumeric, fail, isNull, nullsOf, valid } from "./common.js"

const MIN = -(2n ** 63n)
const MAX = 2n ** 63n - 1n

/** Float64 values of a numeric column (Int64 converted). */
const floats = (data: Arrow.Data): Float64Array => castData(data, DataType.Float64).values as Float64Array

/** Type rule of functions that keep the numeric type of their first argument. */
const sameNumeric = (args: ReadonlyArray<DataType.DataType>, display: string): DataType.DataType => {
  expectNumeric(args[0]!, display)
  for (let k = 1; k < args.length; k++) expectInt64(args[k]!, display)
  return args[0]!
}

/** Type rule of functions that give Float64. */
const toFloat = (args: ReadonlyArray<DataType.DataType>, display: string): DataType.DataType => {
  for (const t of args) expectNumeric(t, display)
  return DataType.Float64
}

const mapFloat = (data: Arrow.Data, n: number, f: (x: number) => number): Arrow.Data => {
  const x = data.values as Float64Array
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = f(x[i]!)
  return Column.float64(out, Column.validity(data))
}

const abs = define("abs", 1, 1, sameNumeric, ([x], n, display) => {
  if (x!.typeId === Arrow.Type.Null) return x!
  if (x!.typeId === Arrow.Type.Float) return mapFloat(x!, n, Math.abs)
  const v = x!.values as BigInt64Array
  const validity = Column.validity(x!)
  const out = new BigInt64Array(n)
  for (let i = 0; i < n; i++) {
    const a = v[i]!
    if (a >= 0n) out[i] = a
    else if (a === MIN && valid(validity, i)) fail(new ArithmeticOverflow({ expression: display }))
    else out[i] = -a
  }
  return Column.int64(out, validity)
})

const ceil = define("ceil", 1, 1, sameNumeric, ([x], n) => (x!.typeId === Arrow.Type.Float ? mapFloat(x!, n, Math.ceil) : x!))
const floor = define("floor", 1, 1, sameNumeric, ([x], n) => (x!.typeId === Arrow.Type.Float ? mapFloat(x!, n, Math.floor) : x!))

/** Half away from zero. */
const roundHalfAway = (x: number): number => (x < 0 ? -Math.round(-x) : Math.round(x))

/** `x` times 10^e, exact on the shortest decimal form of `x`. */
const shift = (x: number, e: number): number => {
  const text = globalThis.String(x)
  const at = text.indexOf("e")
  return at < 0 ? Number(`${text}e${e}`) : Number(`${text.slice(0, at)}e${Number(text.slice(at + 1)) + e}`)
}

/** Rounds `x` half away from zero to `digits` decimal places. */
export const roundDigits = (x: number, digits: number): number => {
  if (!Number.isFinite(x) || x === 0) return x
  const a = Math.abs(x)
  if (digits >= -22 && digits <= 22) {
    // Fast path: far from a half-way point, scaling by a power of ten gives the same result.
    const p = 10 ** Math.abs(digits)
    const y = digits >= 0 ? a * p : a / p
    const frac = y - Math.floor(y)
    if (y < 2 ** 52 && Math.abs(frac - 0.5) > y * 1e-15 + 1e-9) {
      const r = digits >= 0 ? Math.round(y) / p : Math.round(y) * p
      return x < 0 ? -r : r
    }
  }
  const shifted = shift(a, digits)
  if (!Number.isFinite(shifted)) return x
  const r = shift(Math.round(shifted), -digits)
  return x < 0 ? -r : r
}

const clampDigits = (d: bigint): number => (d > 400n ? 400 : d < -400n ? -400 : Number(d))

/** Rounds an Int64 half away from zero to a multiple of 10^-digits (digits < 0). */
const roundInt = (x: bigint, digits: number, display: string): bigint => {
  if (digits >= 0) return x
  if (digits < -20) return 0n
  const p = 10n ** BigInt(-digits)
  let q = x / p
  const r = x % p
  if (2n * (r < 0n ? -r : r) >= p) q += x < 0n ? -1n : 1n
  const result = q * p
  return result < MIN || result > MAX ? fail(new ArithmeticOverflow({ expression: display })) : result
}

const round = define("round", 1, 2, sameNumeric, (args, n, display) => {
  const [x, d] = args
  if (x!.typeId === Arrow.Type.Null) return x!
  if (d !== undefined && isNull(d)) return nullsOf(DataType.fromArrow(x!.type)!, n)
  const validity = andAll(args, n)
  if (x!.typeId === Arrow.Type.Float) {
    if (d === undefined) return mapFloat(x!, n, roundHalfAway)
    const v = x!.values as Float64Array
    const digits = d.values as BigInt64Array
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) out[i] = roundDigits(v[i]!, clampDigits(digits[i]!))
    return Column.float64(out, validity)
  }
  if (d === undefined) return x!
  const v = x!.values as BigInt64Array
  const digits = d.values as BigInt64Array
  const out = new BigInt64Array(n)
  for (let i = 0; i < n; i++) if (valid(validity, i)) out[i] = roundInt(v[i]!, clampDigits(digits[i]!), display)
  return Column.int64(out, validity)
})

const sqrt = define("sqrt", 1, 1, toFloat, ([x], n) =>
  isNull(x!) ? nullsOf(DataType.Float64, n) : mapFloat(castData(x!, DataType.Float64), n, Math.sqrt))

const power = define("power", 2, 2, toFloat, (args, n) => {
  if (args.some(isNull)) return nullsOf(DataType.Float64, n)
  const a = floats(args[0]!), b = floats(args[1]!)
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.pow(a[i]!, b[i]!)
  return Column.float64(out, andAll(args, n))
})

/** The math functions. */
export const mathFunctions: ReadonlyArray<ScalarFunction> = [abs, ceil, floor, round, sqrt, power]
