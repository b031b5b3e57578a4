/**
 * Arithmetic kernels (SEMANTICS §4, §10): Int64 with overflow and division-by-zero
 * checks, Float64 per IEEE 754. NULL wins over errors: a row with a NULL operand is NULL
 * and never raises.
 *
 * Int64 add, subtract, compare-size checks work on the two 32-bit halves of each value
 * (no BigInt per row); multiply, divide and modulo take a Number fast path when both
 * operands fit in 32 bits and fall back to BigInt otherwise.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import { ArithmeticOverflow, DivisionByZero } from "../ExecutionError.js"
import * as Column from "./Column.js"
import { andValidity, int32Pairs } from "./internal/bitmap.js"
import { fail } from "./internal/failure.js"

/** An arithmetic operator. */
export type ArithOp = "+" | "-" | "*" | "/" | "%"

const MAX = 9223372036854775807n
const MIN = -9223372036854775808n
const TWO32 = 4294967296

const isValid = (validity: Uint8Array | null, i: number): boolean =>
  validity === null || (validity[i >> 3]! & (1 << (i & 7))) !== 0

/**
 * Int64 `a op b` row by row. Throws (as a kernel failure) `ArithmeticOverflow` or
 * `DivisionByZero` naming `display` on the first failing non-NULL row.
 */
export const int64 = (
  op: ArithOp,
  a: Arrow.Data<Arrow.Int64>,
  b: Arrow.Data<Arrow.Int64>,
  display: string
): Arrow.Data<Arrow.Int64> => {
  const n = a.length
  const validity = andValidity(Column.validity(a), Column.validity(b), n)
  const av = a.values as unknown as BigInt64Array
  const bv = b.values as unknown as BigInt64Array
  const out = new BigInt64Array(n)
  const ap = int32Pairs(av), bp = int32Pairs(bv), op32 = int32Pairs(out)
  const overflow = () => fail(new ArithmeticOverflow({ expression: display }))
  switch (op) {
    case "+":
      for (let i = 0; i < n; i++) {
        const lo = (ap[2 * i]! >>> 0) + (bp[2 * i]! >>> 0)
        const hi = ap[2 * i + 1]! + bp[2 * i + 1]! + (lo > 0xffffffff ? 1 : 0)
        if ((hi > 0x7fffffff || hi < -0x80000000) && isValid(validity, i)) overflow()
        op32[2 * i] = lo
        op32[2 * i + 1] = hi
      }
      break
    case "-":
      for (let i = 0; i < n; i++) {
        const lo = (ap[2 * i]! >>> 0) - (bp[2 * i]! >>> 0)
        const hi = ap[2 * i + 1]! - bp[2 * i + 1]! - (lo < 0 ? 1 : 0)
        if ((hi > 0x7fffffff || hi < -0x80000000) && isValid(validity, i)) overflow()
        op32[2 * i] = lo
        op32[2 * i + 1] = hi
      }
      break
    case "*":
      for (let i = 0; i < n; i++) {
        const alo = ap[2 * i]!, ahi = ap[2 * i + 1]!, blo = bp[2 * i]!, bhi = bp[2 * i + 1]!
        if (ahi === alo >> 31 && bhi === blo >> 31 && alo < 0x4000000 && alo > -0x4000000 && blo < 0x4000000 && blo > -0x4000000) {
          const p = alo * blo // |p| < 2^52: exact
          op32[2 * i] = p
          op32[2 * i + 1] = Math.floor(p / TWO32)
        } else if (isValid(validity, i)) {
          const r = av[i]! * bv[i]!
          if (r > MAX || r < MIN) overflow()
          out[i] = r
        }
      }
      break
    case "/":
    case "%":
      for (let i = 0; i < n; i++) {
        if (!isValid(validity, i)) continue
        const alo = ap[2 * i]!, ahi = ap[2 * i + 1]!, blo = bp[2 * i]!, bhi = bp[2 * i + 1]!
        if (blo === 0 && bhi === 0) fail(new DivisionByZero({ expression: display }))
        if (ahi === alo >> 31 && bhi === blo >> 31) {
          // both fit in 32 bits: the double quotient truncates exactly
          const q = op === "/" ? Math.trunc(alo / blo) : alo % blo
          op32[2 * i] = q
          op32[2 * i + 1] = q < 0 ? -1 : 0
        } else {
          const x = av[i]!, y = bv[i]!
          if (op === "/") {
            if (x === MIN && y === -1n) overflow()
            out[i] = x / y
          } else {
            out[i] = y === -1n ? 0n : x % y
          }
        }
      }
      break
  }
  return Column.int64(out, validity)
}

/** Float64 `a op b` (IEEE 754: `x / 0.0` is ±Infinity, `0.0 / 0.0` NaN; `%` is the C `fmod`). */
export const float64 = (op: ArithOp, a: Arrow.Data<Arrow.Float64>, b: Arrow.Data<Arrow.Float64>): Arrow.Data<Arrow.Float64> => {
  const n = a.length
  const validity = andValidity(Column.validity(a), Column.validity(b), n)
  const x = a.values as Float64Array
  const y = b.values as Float64Array
  const out = new Float64Array(n)
  switch (op) {
    case "+":
      for (let i = 0; i < n; i++) out[i] = x[i]! + y[i]!
      break
    case "-":
      for (let i = 0; i < n; i++) out[i] = x[i]! - y[i]!
      break
    case "*":
      for (let i = 0; i < n; i++) out[i] = x[i]! * y[i]!
      break
    case "/":
      for (let i = 0; i < n; i++) out[i] = x[i]! / y[i]!
      break
    case "%":
      for (let i = 0; i < n; i++) out[i] = x[i]! % y[i]!
      break
  }
  return Column.float64(out, validity)
}

/** Int64 negation; the minimum value overflows (on a non-NULL row). */
export const negateInt64 = (a: Arrow.Data<Arrow.Int64>, display: string): Arrow.Data<Arrow.Int64> => {
  const n = a.length
  const validity = Column.validity(a)
  const out = new BigInt64Array(n)
  const ap = int32Pairs(a.values as unknown as BigInt64Array), op32 = int32Pairs(out)
  for (let i = 0; i < n; i++) {
    const lo = ap[2 * i]!, hi = ap[2 * i + 1]!
    if (lo === 0 && hi === -0x80000000 && isValid(validity, i)) fail(new ArithmeticOverflow({ expression: display }))
    op32[2 * i] = -lo
    op32[2 * i + 1] = ~hi + (lo === 0 ? 1 : 0)
  }
  return Column.int64(out, validity)
}

/** Float64 negation. */
export const negateFloat64 = (a: Arrow.Data<Arrow.Float64>): Arrow.Data<Arrow.Float64> => {
  const n = a.length
  const x = a.values as Float64Array
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = -x[i]!
  return Column.float64(out, Column.validity(a))
}
