/**
 * Constant folding (SEMANTICS §4). Bottom-up over every expression of the plan:
 *
 * - a sub-expression that reads no column is evaluated once by the engine's own
 *   Evaluator on a one-row batch and replaced by a literal of its type; when that
 *   evaluation fails (`1 / 0`) the expression is kept, so the error still happens at run
 *   time exactly where the engine would raise it;
 * - Kleene identities with one literal side: `FALSE AND x` → FALSE and `TRUE OR x` → TRUE
 *   (only when `x` cannot raise an error, since the engine evaluates both sides),
 *   `TRUE AND x` / `FALSE OR x` → `x` (only when `x` is Bool-typed, so the type stays);
 * - NULL propagation: arithmetic, comparison and `||` with a NULL literal side → a NULL
 *   literal of the result type (when the other side cannot fail);
 * - a Filter whose predicate folds to TRUE is removed; to FALSE or NULL it becomes an
 *   empty relation with the same schema (`Limit(0)` over the input, which never pulls).
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Batch from "../../Engine/Batch.js"
import * as DataType from "../../Engine/DataType.js"
import * as Evaluator from "../../Engine/Evaluator.js"
import * as Expr from "../../Engine/Expr.js"
import { unchecked } from "../../Engine/Expr.js"
import * as Column from "../../Engine/Kernels/Column.js"
import type { PhysicalSchema } from "../../Engine/PhysicalSchema.js"
import * as LogicalPlan from "../../Query/LogicalPlan.js"
import * as Resolver from "../../Query/Resolver.js"
import { isBoolLiteral, isConstant, isNullLiteral, mapChildren, mayFail, typeOf } from "./internal/exprs.js"
import { emptyOf, withInputs } from "./internal/plans.js"
import type { Rule } from "./Rule.js"

const oneRow = Batch.make(new Arrow.Schema([]), [], 1)
const noColumns = new Arrow.Schema([])

/** The single value of a one-row column as a literal value, or undefined when it has no literal form. */
const valueOf = (data: Arrow.Data, type: DataType.DataType): Expr.LiteralValue | undefined => {
  if (!Column.isValid(data, 0)) return null
  const at = data.offset
  switch (type._tag) {
    case "Bool":
      return Column.getBit(data.values as Uint8Array, at)
    case "Int64":
      return (data.values as BigInt64Array)[at]!
    case "Timestamp":
      return Number((data.values as BigInt64Array)[at]!)
    case "Float64":
      return (data.values as Float64Array)[at]!
    case "Date":
      return (data.values as Int32Array)[at]!
    case "String": {
      const utf8 = data as Arrow.Data<Arrow.Utf8>
      const [start, end] = Column.utf8Range(utf8, 0)
      return Column.decodeUtf8(utf8.values.subarray(start, end))
    }
    default:
      return undefined
  }
}

/** Evaluates a column-free expression with the engine; undefined when it fails or has no literal form. */
const evaluateConstant = (expr: Expr.Expr): Expr.Literal | undefined => {
  const type = Evaluator.checkType(expr, noColumns)
  if (Either.isLeft(type)) return undefined
  const data = Evaluator.evaluateEither(expr, oneRow)
  if (Either.isLeft(data) || data.right.length !== 1) return undefined
  const actual = DataType.fromArrow(data.right.type)
  if (actual === undefined || !DataType.equals(actual, type.right)) {
    // the engine leaves a NULL of another storage only for untyped NULLs
    if (!(actual?._tag === "Null" && !Column.isValid(data.right, 0))) return undefined
  }
  const value = valueOf(data.right, type.right)
  if (value === undefined) return undefined
  return new Expr.Literal({ value, dataType: type.right }, unchecked)
}

const propagatesNull = new Set<Expr.BinaryOp>(["+", "-", "*", "/", "%", "=", "<>", "<", "<=", ">", ">=", "||"])

const nullOf = (expr: Expr.Expr, schema: PhysicalSchema): Expr.Expr => {
  const type = typeOf(expr, schema)
  return type === undefined ? expr : new Expr.Literal({ value: null, dataType: type }, unchecked)
}

/** Identities over one node whose children are already folded. */
const simplify = (expr: Expr.Expr, schema: PhysicalSchema): Expr.Expr => {
  if (expr._tag !== "Binary") return expr
  const { left, op, right } = expr
  const isBool = (e: Expr.Expr) => typeOf(e, schema)?._tag === "Bool"
  if (op === "AND" || op === "OR") {
    const absorbing = op === "AND" ? false : true
    for (const [lit, other] of [[left, right], [right, left]] as const) {
      if (isBoolLiteral(lit, absorbing) && !mayFail(other, schema)) return lit
      if (isBoolLiteral(lit, !absorbing) && isBool(other)) return other
    }
    return expr
  }
  if (propagatesNull.has(op)) {
    if ((isNullLiteral(left) && !mayFail(right, schema)) || (isNullLiteral(right) && !mayFail(left, schema))) {
      return nullOf(expr, schema)
    }
  }
  return expr
}

/** Folds an expression resolved over `schema` (the node's input schema). */
export const foldExpr = (expr: Expr.Expr, schema: PhysicalSchema): Expr.Expr => {
  if (expr._tag === "Literal" || expr._tag === "Column") return expr
  const folded = mapChildren(expr, (e) => foldExpr(e, schema))
  if (folded._tag !== "Alias" && isConstant(folded)) {
    const literal = evaluateConstant(folded)
    if (literal !== undefined) return literal
  }
  return simplify(folded, schema)
}

const foldSortKey = (key: Expr.SortKey, schema: PhysicalSchema): Expr.SortKey => {
  const expr = foldExpr(key.expr, schema)
  return expr === key.expr
    ? key
    : new Expr.SortKey({ expr, descending: key.descending, ...(key.nullsFirst === undefined ? {} : { nullsFirst: key.nullsFirst }) }, unchecked)
}

const foldNode = (node: Resolver.Annotated): LogicalPlan.LogicalPlan => {
  const inputs = node.inputs.map(foldNode)
  const plan = withInputs(node.plan, inputs)
  const schema = node.inputs[0]?.schema
  switch (plan._tag) {
    case "Filter": {
      const predicate = foldExpr(plan.predicate, schema!)
      if (isBoolLiteral(predicate, true)) return plan.input
      if (isBoolLiteral(predicate, false) || isNullLiteral(predicate)) return emptyOf(plan.input)
      return new LogicalPlan.Filter({ input: plan.input, predicate }, unchecked)
    }
    case "Project":
      return new LogicalPlan.Project({ input: plan.input, exprs: plan.exprs.map((e) => foldExpr(e, schema!)) }, unchecked)
    case "Aggregate":
      return new LogicalPlan.Aggregate({
        input: plan.input,
        keys: plan.keys.map((e) => foldExpr(e, schema!)),
        aggregates: plan.aggregates.map((a) => foldExpr(a, schema!) as Expr.Alias)
      }, unchecked)
    case "Sort":
      return new LogicalPlan.Sort({
        input: plan.input,
        keys: plan.keys.map((k) => foldSortKey(k, schema!)),
        ...(plan.fetch === undefined ? {} : { fetch: plan.fetch })
      }, unchecked)
    default:
      return plan
  }
}

/** Folds constants in every expression of a resolved plan. */
export const rule: Rule = {
  name: "ConstantFolding",
  apply: (plan, catalog) => Effect.map(Resolver.annotate(plan, catalog), foldNode)
}
