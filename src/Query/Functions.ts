/**
 * User-facing builders for the named functions of SEMANTICS §4. Each returns an
 * `Expr.Call`; arguments may be expressions or plain values (made literals).
 *
 * @since 0.1.0
 */
import * as Expr from "../Engine/Expr.js"

type Arg = Expr.ExprLike

// Strings

/** `lower(s)`: the string in lower case (NULL → NULL). */
export const lower = (s: Arg): Expr.Call => Expr.call("lower", s)
/** `upper(s)`: the string in upper case. */
export const upper = (s: Arg): Expr.Call => Expr.call("upper", s)
/** `trim(s)`: the string without leading and trailing whitespace. */
export const trim = (s: Arg): Expr.Call => Expr.call("trim", s)
/** `length(s)`: the number of Unicode code points (Int64). */
export const length = (s: Arg): Expr.Call => Expr.call("length", s)
/** `substring(s, start, len?)`: `len` code points (default: to the end) from the 0-based code point `start`. */
export const substring = (s: Arg, start: Arg, len?: Arg): Expr.Call =>
  len === undefined ? Expr.call("substring", s, start) : Expr.call("substring", s, start, len)
/** `replace(s, from, to)`: every occurrence of `from` in `s` replaced by `to`. */
export const replace = (s: Arg, from: Arg, to: Arg): Expr.Call => Expr.call("replace", s, from, to)
/** `starts_with(s, prefix)`: whether `s` starts with `prefix` (Bool). */
export const startsWith = (s: Arg, prefix: Arg): Expr.Call => Expr.call("starts_with", s, prefix)
/** `ends_with(s, suffix)`: whether `s` ends with `suffix` (Bool). */
export const endsWith = (s: Arg, suffix: Arg): Expr.Call => Expr.call("ends_with", s, suffix)
/** `contains(s, sub)`: whether `sub` occurs in `s` (Bool). */
export const contains = (s: Arg, sub: Arg): Expr.Call => Expr.call("contains", s, sub)
/** `matches(s, regex)`: whether the whole of `s` matches the JavaScript regular expression (Bool). */
export const matches = (s: Arg, regex: Arg): Expr.Call => Expr.call("matches", s, regex)
/** `like(s, pattern)`: SQL LIKE (`%` any run, `_` one character, `\` escapes) over the whole string (Bool). */
export const like = (s: Arg, pattern: Arg): Expr.Call => Expr.call("like", s, pattern)
/** `split(s, sep)`: the pieces of `s` between occurrences of `sep` (List<String>). */
export const split = (s: Arg, sep: Arg): Expr.Call => Expr.call("split", s, sep)
/** `concat(a, b, …)`: the strings joined (NULL if any is NULL). */
export const concat = (first: Arg, ...rest: ReadonlyArray<Arg>): Expr.Call => Expr.call("concat", first, ...rest)

// Math

/** `abs(x)`: absolute value (Int64 stays Int64). */
export const abs = (x: Arg): Expr.Call => Expr.call("abs", x)
/** `ceil(x)`: smallest integral value ≥ x (Int64 stays Int64). */
export const ceil = (x: Arg): Expr.Call => Expr.call("ceil", x)
/** `floor(x)`: largest integral value ≤ x (Int64 stays Int64). */
export const floor = (x: Arg): Expr.Call => Expr.call("floor", x)
/** `round(x, digits?)`: rounded half away from zero to `digits` decimal places (default 0). */
export const round = (x: Arg, digits?: Arg): Expr.Call =>
  digits === undefined ? Expr.call("round", x) : Expr.call("round", x, digits)
/** `sqrt(x)`: square root (Float64; NaN for negative x). */
export const sqrt = (x: Arg): Expr.Call => Expr.call("sqrt", x)
/** `power(x, y)`: x to the power y (Float64). */
export const power = (x: Arg, y: Arg): Expr.Call => Expr.call("power", x, y)

// NULL handling

/** `coalesce(a, b, …)`: the first non-NULL argument (types unify, Int64 → Float64). */
export const coalesce = (first: Arg, ...rest: ReadonlyArray<Arg>): Expr.Call => Expr.call("coalesce", first, ...rest)

// Dates

/** `year(d)`: the year of a Date or Timestamp (UTC), Int64. */
export const year = (d: Arg): Expr.Call => Expr.call("year", d)
/** `month(d)`: the month 1–12 of a Date or Timestamp (UTC), Int64. */
export const month = (d: Arg): Expr.Call => Expr.call("month", d)
/** `day(d)`: the day of the month 1–31 of a Date or Timestamp (UTC), Int64. */
export const day = (d: Arg): Expr.Call => Expr.call("day", d)

// Lists and vectors

/** `size(list)`: the number of elements of a list or vector (or code points of a string), Int64. */
export const size = (list: Arg): Expr.Call => Expr.call("size", list)
/** `contains_element(list, x)`: whether some element of the list equals `x` (Bool). */
export const containsElement = (list: Arg, x: Arg): Expr.Call => Expr.call("contains_element", list, x)
/** `sim(a, b)`: cosine similarity of two vectors (Float64). */
export const sim = (a: Arg, b: Arg): Expr.Call => Expr.call("sim", a, b)

// Graph (rewritten by the resolver into system columns)

/** `id(e)`: the `_id` of the node or hyperedge `e` (Int64). */
export const id = (e: Arg): Expr.Call => Expr.call("id", e)
/** `labels(n)`: the labels of node `n` (List<String>). */
export const labels = (n: Arg): Expr.Call => Expr.call("labels", n)
/** `type(r)`: the label of hyperedge `r` (String). */
export const type = (r: Arg): Expr.Call => Expr.call("type", r)
/** `properties(e)`: the properties of the node or hyperedge `e`. */
export const properties = (e: Arg): Expr.Call => Expr.call("properties", e)
