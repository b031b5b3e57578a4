/**
 * Name resolution, typing and row-at-a-time evaluation of expressions for the reference
 * evaluator (SEMANTICS §2–§4, §10). Every expression is compiled once per operator into a
 * typed closure over a row; plan-time problems throw {@link PlanError}.
 */
import * as DataType from "../../../src/Engine/DataType.js"
import type * as Expr from "../../../src/Engine/Expr.js"
import * as V from "./Values.js"
import type { Value } from "./Values.js"

/** A plan-time error: the tag the engine must fail with. */
export class PlanError extends Error {
  constructor(readonly tag: string, readonly detail: string) {
    super(`${tag}: ${detail}`)
  }
}

/** A column of a reference relation. */
export interface RefColumn {
  readonly name: string
  readonly qualifier?: string | undefined
  readonly field: string
  readonly type: DataType.DataType
  /** Set when the column's type is incompatible across labels (§10). */
  readonly conflict?: string | undefined
}

/** Evaluation context: collects errors that an eager engine may raise although the reference did not need the value. */
export interface EvalContext {
  readonly latent: Set<string>
}

/** A compiled expression. */
export interface Compiled {
  readonly type: DataType.DataType
  readonly eval: (row: ReadonlyArray<Value>, ctx: EvalContext) => Value
}

/** Resolves a column name (§3): exact full name, else a unique field name. Returns the index. */
export const resolve = (columns: ReadonlyArray<RefColumn>, name: string): number => {
  const exact = columns.findIndex((c) => c.name === name)
  if (exact >= 0) return exact
  const matches = columns.flatMap((c, i) => (c.field === name ? [i] : []))
  if (matches.length === 1) return matches[0]!
  if (matches.length > 1) throw new PlanError("AmbiguousColumn", `${name}: ${matches.map((i) => columns[i]!.name).join(", ")}`)
  throw new PlanError("ColumnNotFound", `${name} among ${columns.map((c) => c.name).join(", ")}`)
}

const mismatch = (expected: string, actual: DataType.DataType, what: string): never => {
  throw new PlanError("TypeMismatch", `${what}: expected ${expected}, got ${DataType.display(actual)}`)
}

const isNumOrNull = (t: DataType.DataType) => t._tag === "Null" || DataType.isNumeric(t)
const isBoolOrNull = (t: DataType.DataType) => t._tag === "Null" || t._tag === "Bool"
const isStringOrNull = (t: DataType.DataType) => t._tag === "Null" || t._tag === "String"

/** Wraps an evaluator so it yields values of `to` (Int64 → Float64 widening). */
export const coerce = (c: Compiled, to: DataType.DataType): Compiled["eval"] =>
  to._tag === "Float64" && c.type._tag === "Int64"
    ? (row, ctx) => {
      const v = c.eval(row, ctx)
      return typeof v === "bigint" ? Number(v) : v
    }
    : c.eval

const unifyAll = (types: ReadonlyArray<DataType.DataType>, what: string): DataType.DataType => {
  let out: DataType.DataType = DataType.Null
  for (const t of types) {
    const u = DataType.unify(out, t)
    if (u === undefined) throw new PlanError("TypeMismatch", `${what}: ${DataType.display(out)} vs ${DataType.display(t)}`)
    out = u
  }
  return out
}

const asBool = (v: Value): boolean | null => v as boolean | null

/** Compiles an expression against the columns of a relation. `allowAggregates` is false everywhere but inside `agg`. */
export const compile = (expr: Expr.Expr, columns: ReadonlyArray<RefColumn>): Compiled => {
  const what = () => displayOf(expr)
  switch (expr._tag) {
    case "Literal": {
      const value = expr.value as Value
      return { type: expr.dataType, eval: () => value }
    }
    case "Column": {
      const i = resolve(columns, expr.name)
      const column = columns[i]!
      if (column.conflict !== undefined) throw new PlanError("TypeMismatch", column.conflict)
      return { type: column.type, eval: (row) => row[i]! }
    }
    case "Alias":
      return compile(expr.operand, columns)
    case "Aggregate":
      throw new PlanError("InvalidPlan", `AggregateMisuse: ${what()} outside agg`)
    case "Unary": {
      const operand = compile(expr.operand, columns)
      switch (expr.op) {
        case "IS NULL":
          return { type: DataType.Bool, eval: (row, ctx) => isNullOrError(operand.eval(row, ctx)) }
        case "IS NOT NULL":
          return { type: DataType.Bool, eval: (row, ctx) => notNullOrError(operand.eval(row, ctx)) }
        case "NOT":
          if (!isBoolOrNull(operand.type)) mismatch("Bool", operand.type, what())
          return {
            type: DataType.Bool,
            eval: (row, ctx) => {
              const v = operand.eval(row, ctx)
              return v === null || V.isError(v) ? v : !v
            }
          }
        case "NEG": {
          if (!isNumOrNull(operand.type)) mismatch("a number", operand.type, what())
          const text = what()
          return {
            type: operand.type,
            eval: (row, ctx) => {
              const v = operand.eval(row, ctx)
              if (v === null || V.isError(v)) return v
              return typeof v === "bigint" ? V.checkInt(-v, text) : -(v as number)
            }
          }
        }
      }
      break
    }
    case "Binary":
      return compileBinary(expr, columns)
    case "Case":
      return compileCase(expr, columns)
    case "In": {
      const operand = compile(expr.operand, columns)
      const list = expr.list.map((e) => compile(e, columns))
      const type = unifyAll([operand.type, ...list.map((l) => l.type)], what())
      const op = coerce(operand, type)
      const items = list.map((l) => coerce(l, type))
      return {
        type: DataType.Bool,
        eval: (row, ctx) => {
          if (items.length === 0) {
            const v = op(row, ctx)
            if (V.isError(v)) ctx.latent.add(v.tag)
            return false
          }
          const v = op(row, ctx)
          if (V.isError(v)) return v
          let sawNull = v === null
          let found = false
          let error: V.ErrorValue | undefined
          for (const item of items) {
            const x = item(row, ctx)
            if (V.isError(x)) {
              error ??= x
              continue
            }
            if (x === null) sawNull = true
            else if (v !== null && V.comparison("=", v, x)) found = true
          }
          if (found) {
            if (error !== undefined) ctx.latent.add(error.tag)
            return true
          }
          if (error !== undefined) return error
          return sawNull ? null : false
        }
      }
    }
    case "Between": {
      const operand = compile(expr.operand, columns)
      const low = compile(expr.low, columns)
      const high = compile(expr.high, columns)
      const type = unifyAll([operand.type, low.type, high.type], what())
      if (!DataType.isOrderable(type)) mismatch("an orderable type", type, what())
      const [o, l, h] = [coerce(operand, type), coerce(low, type), coerce(high, type)]
      return {
        type: DataType.Bool,
        eval: (row, ctx) => {
          const v = o(row, ctx)
          const a = l(row, ctx)
          const b = h(row, ctx)
          const ge = cmp3(">=", v, a)
          const le = cmp3("<=", v, b)
          return kleene("AND", ge, le, ctx)
        }
      }
    }
    case "Cast": {
      const operand = compile(expr.operand, columns)
      const to = expr.to
      if (DataType.equals(operand.type, to) || operand.type._tag === "Null") return { type: to, eval: operand.eval }
      if (operand.type._tag === "Int64" && to._tag === "Float64") return { type: to, eval: coerce(operand, to) }
      throw new Error(`reference: unsupported cast ${what()}`)
    }
    case "Call":
      return compileCall(expr, columns)
  }
  throw new Error(`reference: unsupported expression ${what()}`)
}

const displayOf = (expr: Expr.Expr): string => {
  // Display only for messages; the naming rule uses Expr.display in Reference.ts.
  try {
    return JSON.stringify(expr, (_k, v) => (typeof v === "bigint" ? `${v}n` : v))
  } catch {
    return expr._tag
  }
}

const isNullOrError = (v: Value): Value => (V.isError(v) ? v : v === null)
const notNullOrError = (v: Value): Value => (V.isError(v) ? v : v !== null)

/** Three-valued comparison with NULL and error propagation (errors first). */
const cmp3 = (op: "=" | "<>" | "<" | "<=" | ">" | ">=", a: Value, b: Value): Value => {
  if (V.isError(a)) return a
  if (V.isError(b)) return b
  if (a === null || b === null) return null
  return V.comparison(op, a, b)
}

/** Kleene AND / OR where an error in an operand not needed for the result is latent. */
const kleene = (op: "AND" | "OR", a: Value, b: Value, ctx: EvalContext): Value => {
  const decisive = op === "AND" ? false : true
  if (a === decisive || b === decisive) {
    if (V.isError(a)) ctx.latent.add(a.tag)
    if (V.isError(b)) ctx.latent.add(b.tag)
    return decisive
  }
  if (V.isError(a)) return a
  if (V.isError(b)) return b
  return op === "AND" ? V.and3(asBool(a), asBool(b)) : V.or3(asBool(a), asBool(b))
}

const compileBinary = (expr: Expr.Binary, columns: ReadonlyArray<RefColumn>): Compiled => {
  const left = compile(expr.left, columns)
  const right = compile(expr.right, columns)
  const text = displayOf(expr)
  switch (expr.op) {
    case "AND":
    case "OR": {
      if (!isBoolOrNull(left.type)) mismatch("Bool", left.type, text)
      if (!isBoolOrNull(right.type)) mismatch("Bool", right.type, text)
      const op = expr.op
      return { type: DataType.Bool, eval: (row, ctx) => kleene(op, left.eval(row, ctx), right.eval(row, ctx), ctx) }
    }
    case "||": {
      if (!isStringOrNull(left.type)) mismatch("String", left.type, text)
      if (!isStringOrNull(right.type)) mismatch("String", right.type, text)
      return {
        type: DataType.String,
        eval: (row, ctx) => {
          const a = left.eval(row, ctx)
          const b = right.eval(row, ctx)
          if (V.isError(a)) return a
          if (V.isError(b)) return b
          return a === null || b === null ? null : (a as string) + (b as string)
        }
      }
    }
    case "+":
    case "-":
    case "*":
    case "/":
    case "%": {
      if (!isNumOrNull(left.type)) mismatch("a number", left.type, text)
      if (!isNumOrNull(right.type)) mismatch("a number", right.type, text)
      const type = DataType.unify(left.type, right.type)!
      const int = type._tag === "Int64"
      const op = expr.op
      return {
        type,
        eval: (row, ctx) => {
          const a = left.eval(row, ctx)
          const b = right.eval(row, ctx)
          if (V.isError(a)) return a
          if (V.isError(b)) return b
          if (a === null || b === null) return null
          return V.arithmetic(op, a, b, int, text)
        }
      }
    }
    default: {
      const type = DataType.unify(left.type, right.type)
      if (type === undefined) {
        throw new PlanError("TypeMismatch", `${text}: ${DataType.display(left.type)} vs ${DataType.display(right.type)}`)
      }
      if (expr.op !== "=" && expr.op !== "<>" && !DataType.isOrderable(type)) mismatch("an orderable type", type, text)
      const op = expr.op
      return { type: DataType.Bool, eval: (row, ctx) => cmp3(op, left.eval(row, ctx), right.eval(row, ctx)) }
    }
  }
}

const compileCase = (expr: Expr.Case, columns: ReadonlyArray<RefColumn>): Compiled => {
  const text = displayOf(expr)
  const operand = expr.operand === undefined ? undefined : compile(expr.operand, columns)
  const whens = expr.branches.map((b) => compile(b.when, columns))
  const thens = expr.branches.map((b) => compile(b.then, columns))
  const otherwise = expr.otherwise === undefined ? undefined : compile(expr.otherwise, columns)
  let conditions: ReadonlyArray<(row: ReadonlyArray<Value>, ctx: EvalContext) => Value>
  if (operand === undefined) {
    whens.forEach((w) => {
      if (!isBoolOrNull(w.type)) mismatch("Bool", w.type, text)
    })
    conditions = whens.map((w) => w.eval)
  } else {
    conditions = whens.map((w) => {
      const t = DataType.unify(operand.type, w.type)
      if (t === undefined) mismatch(DataType.display(operand.type), w.type, text)
      return (row: ReadonlyArray<Value>, ctx: EvalContext) => cmp3("=", operand.eval(row, ctx), w.eval(row, ctx))
    })
  }
  const type = unifyAll([...thens.map((t) => t.type), ...(otherwise ? [otherwise.type] : [])], text)
  const values = thens.map((t) => coerce(t, type))
  const other = otherwise === undefined ? undefined : coerce(otherwise, type)
  return {
    type,
    eval: (row, ctx) => {
      let chosen = -1
      for (let i = 0; i < conditions.length; i++) {
        const c = conditions[i]!(row, ctx)
        if (chosen >= 0) {
          if (V.isError(c)) ctx.latent.add(c.tag)
          continue
        }
        if (V.isError(c)) return c
        if (c === true) chosen = i
      }
      let result: Value = null
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!(row, ctx)
        if (i === chosen) result = v
        else if (V.isError(v)) ctx.latent.add(v.tag)
      }
      if (other !== undefined) {
        const v = other(row, ctx)
        if (chosen < 0) result = v
        else if (V.isError(v)) ctx.latent.add(v.tag)
      }
      return result
    }
  }
}

type Fn = (args: ReadonlyArray<Compiled>, text: string) => Compiled

const strict = (
  type: DataType.DataType,
  f: (args: ReadonlyArray<Value>) => Value
) =>
(args: ReadonlyArray<Compiled>): Compiled => ({
  type,
  eval: (row, ctx) => {
    const values = args.map((a) => a.eval(row, ctx))
    for (const v of values) if (V.isError(v)) return v
    if (values.some((v) => v === null)) return null
    return f(values)
  }
})

const expectArgs = (
  args: ReadonlyArray<Compiled>,
  text: string,
  checks: ReadonlyArray<(t: DataType.DataType) => boolean>,
  optional = 0
) => {
  if (args.length > checks.length || args.length < checks.length - optional) {
    throw new PlanError("InvalidPlan", `InvalidArgument: ${text} takes ${checks.length} arguments`)
  }
  args.forEach((a, i) => {
    if (!checks[i]!(a.type)) mismatch("another type", a.type, text)
  })
}

const codePoints = (s: string) => Array.from(s)

const functions: Record<string, Fn> = {
  lower: (args, text) => (expectArgs(args, text, [isStringOrNull]), strict(DataType.String, ([s]) => (s as string).toLowerCase())(args)),
  upper: (args, text) => (expectArgs(args, text, [isStringOrNull]), strict(DataType.String, ([s]) => (s as string).toUpperCase())(args)),
  trim: (args, text) => (expectArgs(args, text, [isStringOrNull]), strict(DataType.String, ([s]) => (s as string).trim())(args)),
  length: (args, text) => (
    expectArgs(args, text, [isStringOrNull]), strict(DataType.Int64, ([s]) => BigInt(codePoints(s as string).length))(args)
  ),
  substring: (args, text) => (
    expectArgs(args, text, [isStringOrNull, isNumOrNull, isNumOrNull], 1),
      strict(DataType.String, ([s, start, len]) => {
        const cps = codePoints(s as string)
        const from = Math.max(0, Number(start))
        const to = len === undefined ? cps.length : from + Math.max(0, Number(len))
        return cps.slice(from, to).join("")
      })(args)
  ),
  replace: (args, text) => (
    expectArgs(args, text, [isStringOrNull, isStringOrNull, isStringOrNull]),
      strict(DataType.String, ([s, a, b]) => (s as string).split(a as string).join(b as string))(args)
  ),
  starts_with: (args, text) => (
    expectArgs(args, text, [isStringOrNull, isStringOrNull]),
      strict(DataType.Bool, ([s, p]) => (s as string).startsWith(p as string))(args)
  ),
  ends_with: (args, text) => (
    expectArgs(args, text, [isStringOrNull, isStringOrNull]),
      strict(DataType.Bool, ([s, p]) => (s as string).endsWith(p as string))(args)
  ),
  contains: (args, text) => (
    expectArgs(args, text, [isStringOrNull, isStringOrNull]),
      strict(DataType.Bool, ([s, p]) => (s as string).includes(p as string))(args)
  ),
  concat: (args, text) => (
    expectArgs(args, text, args.map(() => isStringOrNull)), strict(DataType.String, (vs) => vs.join(""))(args)
  ),
  abs: (args, text) => (
    expectArgs(args, text, [isNumOrNull]),
      strict(args[0]!.type, ([x]) => typeof x === "bigint" ? V.checkInt(x < 0n ? -x : x, text) : Math.abs(x as number))(
        args
      )
  ),
  ceil: (args, text) => (expectArgs(args, text, [isNumOrNull]), strict(args[0]!.type, ([x]) => typeof x === "bigint" ? x : Math.ceil(x as number))(args)),
  floor: (args, text) => (expectArgs(args, text, [isNumOrNull]), strict(args[0]!.type, ([x]) => typeof x === "bigint" ? x : Math.floor(x as number))(args)),
  sqrt: (args, text) => (expectArgs(args, text, [isNumOrNull]), strict(DataType.Float64, ([x]) => Math.sqrt(Number(x)))(args)),
  power: (args, text) => (
    expectArgs(args, text, [isNumOrNull, isNumOrNull]), strict(DataType.Float64, ([x, y]) => Math.pow(Number(x), Number(y)))(args)
  ),
  size: (args, text) => (
    expectArgs(args, text, [(t) => t._tag === "Null" || t._tag === "List"]),
      strict(DataType.Int64, ([l]) => BigInt((l as ReadonlyArray<Value>).length))(args)
  ),
  coalesce: (args, text) => {
    if (args.length === 0) throw new PlanError("InvalidPlan", `InvalidArgument: ${text}`)
    const type = unifyAll(args.map((a) => a.type), text)
    const evals = args.map((a) => coerce(a, type))
    return {
      type,
      eval: (row, ctx) => {
        let result: Value = null
        let done = false
        for (const e of evals) {
          const v = e(row, ctx)
          if (done) {
            if (V.isError(v)) ctx.latent.add(v.tag)
            continue
          }
          if (V.isError(v)) {
            result = v
            done = true
          } else if (v !== null) {
            result = v
            done = true
          }
        }
        return result
      }
    }
  }
}

const compileCall = (expr: Expr.Call, columns: ReadonlyArray<RefColumn>): Compiled => {
  const fn = functions[expr.name]
  if (fn === undefined) throw new PlanError("InvalidPlan", `UnknownFunction: ${expr.name}`)
  return fn(expr.args.map((a) => compile(a, columns)), displayOf(expr))
}
