/**
 * Expression resolution in two passes: `bind` rewrites names (columns to exact full
 * names, graph functions to system columns) and checks aggregate placement; `check`
 * types the bound expression, gives NULL literals their context type and fails with
 * `TypeMismatch` / `InvalidPlan` (SEMANTICS §2, §4).
 *
 * @internal
 */
import * as DataType from "../../Engine/DataType.js"
import { InvalidPlan, TypeMismatch } from "../../Engine/ExecutionError.js"
import * as Expr from "../../Engine/Expr.js"
import { unchecked } from "../../Engine/Expr.js"
import * as Functions from "./functionRegistry.js"
import type { PhysicalSchema } from "../../Engine/PhysicalSchema.js"
import { ColumnNotFound } from "../../Engine/ExecutionError.js"
import { fail, resolveColumn, type Scope } from "./scope.js"

/** Where an expression appears: aggregates are allowed only at the top of an `agg` value. */
export interface BindContext {
  readonly clause: string
  readonly aggregateAllowed: boolean
}

const GRAPH_FUNCTIONS = new Set(["id", "labels", "type", "properties"])

const misuse = (clause: string, expr: Expr.Expr): never =>
  fail(
    new InvalidPlan({
      reason: "AggregateMisuse",
      detail: `aggregate ${Expr.display(expr)} is not allowed in ${clause}; use groupBy(...).agg({...}) or agg({...})`
    })
  )

const graphFunction = (call: Expr.Call, scope: Scope): Expr.Expr => {
  const name = call.name.toLowerCase()
  const arg = call.args[0]
  if (call.args.length !== 1 || arg === undefined || arg._tag !== "Column" || scope.schema.entity(arg.name) === undefined) {
    return fail(
      new TypeMismatch({
        expected: "one entity qualifier argument (for example col(\"p\"))",
        actual: call.args.map((a) => Expr.display(a)).join(", ") || "no argument",
        expression: Expr.display(call)
      })
    )
  }
  const entity = scope.schema.entity(arg.name)!
  const q = entity.qualifier
  const column = (field: string): Expr.Expr => {
    const full = `${q}.${field}`
    if (scope.schema.field(full) === undefined) {
      return fail(new ColumnNotFound({ column: full, available: scope.schema.names.filter((n) => !scope.hidden.has(n)) }))
    }
    return new Expr.Column({ name: full }, unchecked)
  }
  switch (name) {
    case "id":
      return column("_id")
    case "labels":
      if (entity.kind !== "node") {
        return fail(new TypeMismatch({ expected: "node", actual: "hyperedge", expression: Expr.display(call) }))
      }
      return column("_labels")
    case "type":
      if (entity.kind !== "hyperedge") {
        return fail(new TypeMismatch({ expected: "hyperedge", actual: "node", expression: Expr.display(call) }))
      }
      return column("_label")
    default:
      return fail(
        new InvalidPlan({
          reason: "InvalidArgument",
          detail: `${Expr.display(call)}: properties() is not supported yet (Grism has no map type); select the property columns instead`
        })
      )
  }
}

/** Rewrites column references to exact full names and graph functions to system columns. */
export const bind = (expr: Expr.Expr, scope: Scope, ctx: BindContext): Expr.Expr => {
  const go = (e: Expr.Expr, aggregateAllowed: boolean): Expr.Expr => {
    switch (e._tag) {
      case "Literal":
        return e
      case "Column":
        return new Expr.Column({ name: resolveColumn(e.name, scope) }, unchecked)
      case "Binary":
        return new Expr.Binary({ op: e.op, left: go(e.left, false), right: go(e.right, false) }, unchecked)
      case "Unary":
        return new Expr.Unary({ op: e.op, operand: go(e.operand, false) }, unchecked)
      case "Case":
        return new Expr.Case({
          ...(e.operand === undefined ? {} : { operand: go(e.operand, false) }),
          branches: e.branches.map((b) => new Expr.CaseBranch({ when: go(b.when, false), then: go(b.then, false) }, unchecked)),
          ...(e.otherwise === undefined ? {} : { otherwise: go(e.otherwise, false) })
        }, unchecked)
      case "In":
        return new Expr.In({ operand: go(e.operand, false), list: e.list.map((x) => go(x, false)) }, unchecked)
      case "Between":
        return new Expr.Between({ operand: go(e.operand, false), low: go(e.low, false), high: go(e.high, false) }, unchecked)
      case "Call":
        if (GRAPH_FUNCTIONS.has(e.name.toLowerCase())) return graphFunction(e, scope)
        return new Expr.Call({ name: e.name, args: e.args.map((x) => go(x, false)) }, unchecked)
      case "Cast":
        return new Expr.Cast({ operand: go(e.operand, false), to: e.to }, unchecked)
      case "Aggregate":
        if (!aggregateAllowed) {
          return misuse(ctx.aggregateAllowed ? "an aggregate argument (nested aggregate)" : ctx.clause, e)
        }
        return e.arg === undefined ? e : new Expr.Aggregate({ fn: e.fn, arg: go(e.arg, false) }, unchecked)
      case "Alias":
        return new Expr.Alias({ operand: go(e.operand, aggregateAllowed), name: e.name }, unchecked)
    }
  }
  return go(expr, ctx.aggregateAllowed)
}

/** A typed expression. */
export interface Typed {
  readonly expr: Expr.Expr
  readonly type: DataType.DataType
}

const mismatch = (expected: string, actual: DataType.DataType, expr: Expr.Expr): never =>
  fail(new TypeMismatch({ expected, actual: DataType.display(actual), expression: Expr.display(expr) }))

/** Gives a NULL-typed expression the type its context needs (literal retyped, otherwise a cast). */
export const coerce = (typed: Typed, target: DataType.DataType): Expr.Expr => {
  if (typed.type._tag !== "Null" || target._tag === "Null") return typed.expr
  if (typed.expr._tag === "Literal") return new Expr.Literal({ value: null, dataType: target }, unchecked)
  return new Expr.Cast({ operand: typed.expr, to: target }, unchecked)
}

const isNull = (t: DataType.DataType) => t._tag === "Null"

const castable = (from: DataType.DataType, to: DataType.DataType): boolean => {
  if (from._tag === "Null" || DataType.equals(from, to)) return true
  const composite = (t: DataType.DataType) => t._tag === "List" || t._tag === "Vector"
  if (composite(from) || composite(to)) return false
  return true
}

/** Types a bound expression against a schema whose column names are exact. */
export const check = (expr: Expr.Expr, schema: PhysicalSchema): Typed => {
  switch (expr._tag) {
    case "Literal":
      return { expr, type: expr.dataType }
    case "Column": {
      const field = schema.field(expr.name)
      if (field === undefined) return fail(new ColumnNotFound({ column: expr.name, available: schema.names }))
      return { expr, type: field.dataType }
    }
    case "Binary": {
      const l = check(expr.left, schema)
      const r = check(expr.right, schema)
      const rebuild = (type: DataType.DataType, lt: DataType.DataType, rt: DataType.DataType): Typed => ({
        expr: new Expr.Binary({ op: expr.op, left: coerce(l, lt), right: coerce(r, rt) }, unchecked),
        type
      })
      switch (expr.op) {
        case "+":
        case "-":
        case "*":
        case "/":
        case "%": {
          for (const side of [l, r]) {
            if (!isNull(side.type) && !DataType.isNumeric(side.type)) mismatch("Int64 or Float64", side.type, expr)
          }
          if (isNull(l.type) && isNull(r.type)) return rebuild(DataType.Null, DataType.Null, DataType.Null)
          const type = DataType.unify(l.type, r.type)!
          return rebuild(type, isNull(l.type) ? r.type : l.type, isNull(r.type) ? l.type : r.type)
        }
        case "=":
        case "<>":
        case "<":
        case "<=":
        case ">":
        case ">=": {
          const unified = DataType.unify(l.type, r.type)
          if (unified === undefined) {
            return fail(
              new TypeMismatch({
                expected: `a value comparable with ${DataType.display(l.type)}`,
                actual: DataType.display(r.type),
                expression: Expr.display(expr)
              })
            )
          }
          if (expr.op !== "=" && expr.op !== "<>" && !DataType.isOrderable(unified)) {
            mismatch("an orderable type", unified, expr)
          }
          return rebuild(DataType.Bool, isNull(l.type) ? unified : l.type, isNull(r.type) ? unified : r.type)
        }
        case "AND":
        case "OR":
          for (const side of [l, r]) if (!isNull(side.type) && side.type._tag !== "Bool") mismatch("Bool", side.type, expr)
          return rebuild(DataType.Bool, DataType.Bool, DataType.Bool)
        case "||":
          for (const side of [l, r]) {
            if (!isNull(side.type) && side.type._tag !== "String") mismatch("String", side.type, expr)
          }
          return rebuild(DataType.String, DataType.String, DataType.String)
      }
    }
    // eslint-disable-next-line no-fallthrough
    case "Unary": {
      const o = check(expr.operand, schema)
      switch (expr.op) {
        case "NOT":
          if (!isNull(o.type) && o.type._tag !== "Bool") mismatch("Bool", o.type, expr)
          return { expr: new Expr.Unary({ op: "NOT", operand: coerce(o, DataType.Bool) }, unchecked), type: DataType.Bool }
        case "NEG":
          if (!isNull(o.type) && !DataType.isNumeric(o.type)) mismatch("Int64 or Float64", o.type, expr)
          return { expr: new Expr.Unary({ op: "NEG", operand: o.expr }, unchecked), type: o.type }
        default:
          return { expr: new Expr.Unary({ op: expr.op, operand: o.expr }, unchecked), type: DataType.Bool }
      }
    }
    case "Case": {
      const operand = expr.operand === undefined ? undefined : check(expr.operand, schema)
      const whens = expr.branches.map((b) => check(b.when, schema))
      const thens = expr.branches.map((b) => check(b.then, schema))
      const otherwise = expr.otherwise === undefined ? undefined : check(expr.otherwise, schema)
      let whenType: DataType.DataType = operand === undefined ? DataType.Bool : operand.type
      for (const w of whens) {
        if (operand === undefined) {
          if (!isNull(w.type) && w.type._tag !== "Bool") mismatch("Bool", w.type, expr)
        } else {
          const u = DataType.unify(whenType, w.type)
          if (u === undefined) mismatch(DataType.display(whenType), w.type, expr)
          whenType = u!
        }
      }
      let type: DataType.DataType = DataType.Null
      for (const t of otherwise === undefined ? thens : [...thens, otherwise]) {
        const u = DataType.unify(type, t.type)
        if (u === undefined) mismatch(DataType.display(type), t.type, expr)
        type = u!
      }
      return {
        expr: new Expr.Case({
          ...(operand === undefined ? {} : { operand: coerce(operand, whenType) }),
          branches: expr.branches.map((_, i) =>
            new Expr.CaseBranch({ when: coerce(whens[i]!, whenType), then: coerce(thens[i]!, type) }, unchecked)
          ),
          ...(otherwise === undefined ? {} : { otherwise: coerce(otherwise, type) })
        }, unchecked),
        type
      }
    }
    case "In": {
      const operand = check(expr.operand, schema)
      const list = expr.list.map((x) => check(x, schema))
      let type = operand.type
      for (const x of list) {
        const u = DataType.unify(type, x.type)
        if (u === undefined) mismatch(DataType.display(type), x.type, expr)
        type = u!
      }
      return {
        expr: new Expr.In({ operand: coerce(operand, type), list: list.map((x) => coerce(x, type)) }, unchecked),
        type: DataType.Bool
      }
    }
    case "Between": {
      const parts = [check(expr.operand, schema), check(expr.low, schema), check(expr.high, schema)]
      let type: DataType.DataType = DataType.Null
      for (const p of parts) {
        const u = DataType.unify(type, p.type)
        if (u === undefined) mismatch(DataType.display(type), p.type, expr)
        type = u!
      }
      if (!DataType.isOrderable(type)) mismatch("an orderable type", type, expr)
      const [o, lo, hi] = parts.map((p) => coerce(p, type))
      return { expr: new Expr.Between({ operand: o!, low: lo!, high: hi! }, unchecked), type: DataType.Bool }
    }
    case "Call": {
      const args = expr.args.map((a) => check(a, schema))
      const fn = Functions.lookup(expr.name)
      if (fn === undefined) {
        return fail(new InvalidPlan({ reason: "UnknownFunction", detail: `unknown function ${expr.name} in ${Expr.display(expr)}` }))
      }
      const result = fn.returnType(args.map((a) => a.type), Expr.display(expr))
      if (result._tag === "Left") return fail(result.left)
      return { expr: new Expr.Call({ name: expr.name, args: args.map((a) => a.expr) }, unchecked), type: result.right }
    }
    case "Cast": {
      const o = check(expr.operand, schema)
      if (!castable(o.type, expr.to)) mismatch(`a type castable to ${DataType.display(expr.to)}`, o.type, expr)
      if (o.expr._tag === "Literal" && o.type._tag === "Null") {
        return { expr: new Expr.Literal({ value: null, dataType: expr.to }, unchecked), type: expr.to }
      }
      return { expr: new Expr.Cast({ operand: o.expr, to: expr.to }, unchecked), type: expr.to }
    }
    case "Aggregate": {
      if (expr.arg === undefined) return { expr, type: DataType.Int64 }
      const arg = check(expr.arg, schema)
      const rebuilt = (type: DataType.DataType, argExpr: Expr.Expr = arg.expr): Typed => ({
        expr: new Expr.Aggregate({ fn: expr.fn, arg: argExpr }, unchecked),
        type
      })
      switch (expr.fn) {
        case "count":
        case "countDistinct":
          return rebuilt(DataType.Int64)
        case "sum":
          if (isNull(arg.type)) return rebuilt(DataType.Int64, coerce(arg, DataType.Int64))
          if (!DataType.isNumeric(arg.type)) mismatch("Int64 or Float64", arg.type, expr)
          return rebuilt(arg.type)
        case "avg":
          if (isNull(arg.type)) return rebuilt(DataType.Float64, coerce(arg, DataType.Float64))
          if (!DataType.isNumeric(arg.type)) mismatch("Int64 or Float64", arg.type, expr)
          return rebuilt(DataType.Float64)
        case "min":
        case "max":
          if (!DataType.isOrderable(arg.type)) mismatch("an orderable type", arg.type, expr)
          return rebuilt(arg.type)
        case "collect":
        case "collectDistinct":
          return rebuilt(DataType.List(arg.type))
      }
    }
    // eslint-disable-next-line no-fallthrough
    case "Alias": {
      const o = check(expr.operand, schema)
      return { expr: new Expr.Alias({ operand: o.expr, name: expr.name }, unchecked), type: o.type }
    }
  }
}
