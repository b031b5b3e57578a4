/**
 * Helpers over resolved expressions shared by the rules: rebuilding a node with new
 * children, conjunct splitting, literal tests and whether an expression can raise a
 * run-time error.
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as DataType from "../../../Engine/DataType.js"
import * as Expr from "../../../Engine/Expr.js"
import { unchecked } from "../../../Engine/Expr.js"
import type { PhysicalSchema } from "../../../Engine/PhysicalSchema.js"
import * as Resolver from "../../../Query/Resolver.js"

/** The same expression node with `f` applied to each direct child (the node itself is kept when nothing changed). */
export const mapChildren = (expr: Expr.Expr, f: (e: Expr.Expr) => Expr.Expr): Expr.Expr => {
  switch (expr._tag) {
    case "Literal":
    case "Column":
      return expr
    case "Binary": {
      const left = f(expr.left), right = f(expr.right)
      return left === expr.left && right === expr.right ? expr : new Expr.Binary({ op: expr.op, left, right }, unchecked)
    }
    case "Unary": {
      const operand = f(expr.operand)
      return operand === expr.operand ? expr : new Expr.Unary({ op: expr.op, operand }, unchecked)
    }
    case "Cast": {
      const operand = f(expr.operand)
      return operand === expr.operand ? expr : new Expr.Cast({ operand, to: expr.to }, unchecked)
    }
    case "Alias": {
      const operand = f(expr.operand)
      return operand === expr.operand ? expr : new Expr.Alias({ operand, name: expr.name }, unchecked)
    }
    case "Case": {
      const operand = expr.operand === undefined ? undefined : f(expr.operand)
      const branches = expr.branches.map((b) => {
        const when = f(b.when), then = f(b.then)
        return when === b.when && then === b.then ? b : new Expr.CaseBranch({ when, then }, unchecked)
      })
      const otherwise = expr.otherwise === undefined ? undefined : f(expr.otherwise)
      const same = operand === expr.operand && otherwise === expr.otherwise && branches.every((b, i) => b === expr.branches[i])
      return same ? expr : new Expr.Case({
        branches,
        ...(operand === undefined ? {} : { operand }),
        ...(otherwise === undefined ? {} : { otherwise })
      }, unchecked)
    }
    case "In": {
      const operand = f(expr.operand)
      const list = expr.list.map(f)
      return operand === expr.operand && list.every((x, i) => x === expr.list[i]) ? expr : new Expr.In({ operand, list }, unchecked)
    }
    case "Between": {
      const operand = f(expr.operand), low = f(expr.low), high = f(expr.high)
      return operand === expr.operand && low === expr.low && high === expr.high
        ? expr
        : new Expr.Between({ operand, low, high }, unchecked)
    }
    case "Call": {
      const args = expr.args.map(f)
      return args.every((a, i) => a === expr.args[i]) ? expr : new Expr.Call({ name: expr.name, args }, unchecked)
    }
    case "Aggregate": {
      if (expr.arg === undefined) return expr
      const arg = f(expr.arg)
      return arg === expr.arg ? expr : new Expr.Aggregate({ fn: expr.fn, arg }, unchecked)
    }
  }
}

/** Renames column references (names absent from `names` stay). */
export const renameColumns = (expr: Expr.Expr, names: ReadonlyMap<string, string>): Expr.Expr =>
  expr._tag === "Column"
    ? (names.has(expr.name) ? new Expr.Column({ name: names.get(expr.name)! }, unchecked) : expr)
    : mapChildren(expr, (e) => renameColumns(e, names))

/** The top-level conjuncts of a predicate (`a AND (b AND c)` → a, b, c). */
export const conjuncts = (expr: Expr.Expr): ReadonlyArray<Expr.Expr> =>
  expr._tag === "Binary" && expr.op === "AND" ? [...conjuncts(expr.left), ...conjuncts(expr.right)] : [expr]

/** The conjunction of predicates, left-deep; undefined for none. */
export const conjoin = (exprs: ReadonlyArray<Expr.Expr>): Expr.Expr | undefined =>
  exprs.length === 0
    ? undefined
    : exprs.slice(1).reduce((acc, e) => new Expr.Binary({ op: "AND", left: acc, right: e }, unchecked), exprs[0]!)

/** Whether the expression is the literal `value` (TRUE / FALSE). */
export const isBoolLiteral = (expr: Expr.Expr, value: boolean): boolean =>
  expr._tag === "Literal" && expr.value === value

/** Whether the expression is a NULL literal (of any type). */
export const isNullLiteral = (expr: Expr.Expr): boolean => expr._tag === "Literal" && expr.value === null

/** Whether the expression reads no column (and holds no aggregate). */
export const isConstant = (expr: Expr.Expr): boolean =>
  expr._tag !== "Column" && expr._tag !== "Aggregate" && Expr.children(expr).every(isConstant)

/** The type of a resolved expression over `schema`, or undefined when it does not type. */
export const typeOf = (expr: Expr.Expr, schema: PhysicalSchema): DataType.DataType | undefined => {
  const t = Resolver.typeOf(expr, schema)
  return Either.isRight(t) ? t.right : undefined
}

/** Functions that never raise an error on well-typed arguments. */
const safeFunctions = new Set([
  "lower", "upper", "trim", "length", "starts_with", "ends_with", "contains", "coalesce", "size", "contains_element"
])

/**
 * Whether evaluating the expression can raise a run-time error on some row (Int64
 * arithmetic, unsafe casts, most functions). Conservative: when unsure, true.
 */
export const mayFail = (expr: Expr.Expr, schema: PhysicalSchema): boolean => {
  switch (expr._tag) {
    case "Aggregate":
      return true
    case "Call":
      if (!safeFunctions.has(expr.name.toLowerCase())) return true
      break
    case "Cast": {
      const from = typeOf(expr.operand, schema)
      const safe = from !== undefined &&
        (from._tag === "Null" || DataType.equals(from, expr.to) || (from._tag === "Int64" && expr.to._tag === "Float64"))
      if (!safe) return true
      break
    }
    case "Binary":
      if (["+", "-", "*", "/", "%"].includes(expr.op)) {
        const t = typeOf(expr, schema)
        if (t === undefined || t._tag === "Int64") return true
      }
      break
    case "Unary":
      if (expr.op === "NEG") {
        const t = typeOf(expr, schema)
        if (t === undefined || t._tag === "Int64") return true
      }
      break
    default:
      break
  }
  return Expr.children(expr).some((c) => mayFail(c, schema))
}
