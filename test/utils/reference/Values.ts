/**
 * Row-at-a-time value semantics of the reference evaluator, written straight from
 * SEMANTICS §2, §4, §5 and §10. Shares no code with the engine's kernels.
 *
 * Values: `null`, `boolean`, `bigint` (Int64), `number` (Float64, and Date / Timestamp),
 * `string`, arrays (lists) and {@link ErrorValue} (a row-level runtime error that has not
 * been observed yet).
 */

/** A runtime error carried as a value until something observes it. */
export class ErrorValue {
  constructor(readonly tag: "DivisionByZero" | "ArithmeticOverflow", readonly detail: string) {}
}

/** A value of the reference evaluator. */
export type Value = null | boolean | bigint | number | string | ReadonlyArray<Value> | ErrorValue

/** Whether a value is an unobserved error. */
export const isError = (v: Value): v is ErrorValue => v instanceof ErrorValue

/** Int64 bounds. */
export const INT64_MIN = -(2n ** 63n)
export const INT64_MAX = 2n ** 63n - 1n

/** Checked Int64 result. */
export const checkInt = (v: bigint, what: string): bigint | ErrorValue =>
  v < INT64_MIN || v > INT64_MAX ? new ErrorValue("ArithmeticOverflow", what) : v

/** Int64 → Float64 widening (identity for everything else). */
export const widen = (v: Value): Value => (typeof v === "bigint" ? Number(v) : v)

/** Code points of a string (for ordering by Unicode code point). */
export const compareStrings = (a: string, b: string): number => {
  const ca = Array.from(a)
  const cb = Array.from(b)
  const n = Math.min(ca.length, cb.length)
  for (let i = 0; i < n; i++) {
    const x = ca[i]!.codePointAt(0)!
    const y = cb[i]!.codePointAt(0)!
    if (x !== y) return x < y ? -1 : 1
  }
  return ca.length === cb.length ? 0 : ca.length < cb.length ? -1 : 1
}

/** Float order of §10: NaN equals NaN and is above everything; -0.0 equals 0.0. */
export const compareFloats = (a: number, b: number): number => {
  const na = Number.isNaN(a)
  const nb = Number.isNaN(b)
  if (na || nb) return na && nb ? 0 : na ? 1 : -1
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Total order of two non-NULL, non-error values of compatible types (Int64 vs Float64
 * compares as Float64). Lists compare element-wise (used only for canonical ordering in tests).
 */
export const compareValues = (a: Value, b: Value): number => {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0
  if ((typeof a === "number" || typeof a === "bigint") && (typeof b === "number" || typeof b === "bigint")) {
    return compareFloats(Number(a), Number(b))
  }
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b)
  if (typeof a === "boolean" && typeof b === "boolean") return a === b ? 0 : a ? 1 : -1
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length)
    for (let i = 0; i < n; i++) {
      const c = compareValues(a[i]!, b[i]!)
      if (c !== 0) return c
    }
    return a.length - b.length
  }
  if (a instanceof ErrorValue && b instanceof ErrorValue) return a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0
  throw new Error(`reference: cannot compare ${String(a)} with ${String(b)}`)
}

/** The grouping-equality key of a value (§5, §10): NULLs equal, NaN = NaN, -0.0 = 0.0. */
export const keyOf = (v: Value): string => {
  if (v === null) return "N"
  if (v instanceof ErrorValue) return `E${v.tag}`
  switch (typeof v) {
    case "boolean":
      return v ? "T" : "F"
    case "bigint":
      return `i${v}`
    case "number":
      return Number.isNaN(v) ? "fNaN" : Object.is(v, -0) ? "f0" : `f${v}`
    case "string":
      return `s${JSON.stringify(v)}`
  }
  return `l[${(v as ReadonlyArray<Value>).map(keyOf).join(",")}]`
}

/** The grouping key of a row (tuple of values). */
export const rowKey = (values: ReadonlyArray<Value>): string => values.map(keyOf).join("|")

/** Kleene three-valued AND. */
export const and3 = (a: boolean | null, b: boolean | null): boolean | null =>
  a === false || b === false ? false : a === null || b === null ? null : true

/** Kleene three-valued OR. */
export const or3 = (a: boolean | null, b: boolean | null): boolean | null =>
  a === true || b === true ? true : a === null || b === null ? null : false

/** Arithmetic of §4 on two non-NULL, non-error values of the given result kind. */
export const arithmetic = (op: "+" | "-" | "*" | "/" | "%", a: Value, b: Value, int: boolean, what: string): Value => {
  if (int) {
    const x = a as bigint
    const y = b as bigint
    switch (op) {
      case "+":
        return checkInt(x + y, what)
      case "-":
        return checkInt(x - y, what)
      case "*":
        return checkInt(x * y, what)
      case "/":
        return y === 0n ? new ErrorValue("DivisionByZero", what) : checkInt(x / y, what)
      case "%":
        return y === 0n ? new ErrorValue("DivisionByZero", what) : x % y
    }
  }
  const x = Number(a)
  const y = Number(b)
  switch (op) {
    case "+":
      return x + y
    case "-":
      return x - y
    case "*":
      return x * y
    case "/":
      return x / y
    case "%":
      return x % y
  }
}

/** Comparison of §4 on two non-NULL, non-error values. */
export const comparison = (op: "=" | "<>" | "<" | "<=" | ">" | ">=", a: Value, b: Value): boolean => {
  const c = compareValues(a, b)
  switch (op) {
    case "=":
      return c === 0
    case "<>":
      return c !== 0
    case "<":
      return c < 0
    case "<=":
      return c <= 0
    case ">":
      return c > 0
    case ">=":
      return c >= 0
  }
}
