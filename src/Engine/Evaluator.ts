/**
 * Vectorized evaluation of resolved expressions over Arrow record batches (SEMANTICS §4).
 *
 * The core is synchronous: kernels read typed arrays and bitmaps and throw a private
 * failure carrying a typed `ExecutionError`, which `evaluate` catches once and turns into
 * an Effect failure. Values flow between kernels as single Arrow Data chunks in Grism's
 * canonical storage (Int64 → BigInt64, Float64, Utf8, DateDay, millisecond Timestamp,
 * Bool bitmaps, the Arrow Null type for an untyped NULL).
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Batch from "./Batch.js"
import * as DataType from "./DataType.js"
import type { ExecutionError } from "./ExecutionError.js"
import { ColumnNotFound, InvalidPlan, TypeMismatch } from "./ExecutionError.js"
import * as Expr from "./Expr.js"
import * as Arith from "./Kernels/Arith.js"
import * as Cast from "./Kernels/Cast.js"
import * as Column from "./Kernels/Column.js"
import * as Compare from "./Kernels/Compare.js"
import * as Functions from "./Kernels/Functions.js"
import {
  castData,
  concatData,
  decodeDictionary,
  dictionaryCodes,
  dictionaryValues,
  isStringDictionary,
  nullData,
  stringDictionary,
  takeData
} from "./Kernels/internal/batch.js"
import { fail, isKernelFailure } from "./Kernels/internal/failure.js"
import * as Strings from "./Kernels/internal/strings.js"
import * as Logic from "./Kernels/Logic.js"


// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

const displays = new WeakMap<Expr.Expr, string>()
const displayOf = (expr: Expr.Expr): string => {
  let text = displays.get(expr)
  if (text === undefined) {
    text = Expr.display(expr)
    displays.set(expr, text)
  }
  return text
}

const typeOfData = (data: Arrow.Data): DataType.DataType => {
  const type = DataType.fromArrow(data.type)
  if (type === undefined) throw new Error(`Evaluator: unsupported Arrow type ${data.type}`)
  return type
}

const mismatch = (expected: string, actual: DataType.DataType, expr: Expr.Expr): never =>
  fail(new TypeMismatch({ expected, actual: DataType.display(actual), expression: displayOf(expr) }))

const isBoolish = (type: DataType.DataType): boolean => type._tag === "Bool" || type._tag === "Null"
const isNumericish = (type: DataType.DataType): boolean => type._tag === "Null" || DataType.isNumeric(type)

const runSync = <A>(f: () => A): Effect.Effect<A, ExecutionError> =>
  Effect.suspend(() => {
    try {
      return Effect.succeed(f())
    } catch (e) {
      return isKernelFailure(e) ? Effect.fail(e.error) : Effect.die(e)
    }
  })

const arithOps = new Set<Expr.BinaryOp>(["+", "-", "*", "/", "%"])
const compareOps = new Set<Expr.BinaryOp>(["=", "<>", "<", "<=", ">", ">="])

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

const fieldIndex = (schema: Arrow.Schema, name: string): number => {
  const fields = schema.fields
  for (let i = 0; i < fields.length; i++) if (fields[i]!.name === name) return i
  return -1
}

const columnNotFound = (name: string, schema: Arrow.Schema): never =>
  fail(new ColumnNotFound({ column: name, available: schema.fields.map((f) => f.name) }))

const arithType = (l: DataType.DataType, r: DataType.DataType, expr: Expr.Expr): DataType.DataType => {
  if (!isNumericish(l)) mismatch("Int64 or Float64", l, expr)
  if (!isNumericish(r)) mismatch("Int64 or Float64", r, expr)
  if (l._tag === "Null") return r
  if (r._tag === "Null") return l
  return l._tag === "Int64" && r._tag === "Int64" ? DataType.Int64 : DataType.Float64
}

/** The common type of two compared operands (throws TypeMismatch). */
const comparisonType = (l: DataType.DataType, r: DataType.DataType, expr: Expr.Expr): DataType.DataType => {
  const unified = DataType.unify(l, r)
  if (unified === undefined) return mismatch(DataType.display(l), r, expr)
  if (!DataType.isOrderable(unified)) return mismatch("a comparable type", unified, expr)
  return unified
}

const aggregateType = (fn: Expr.AggregateFn, arg: DataType.DataType | undefined): DataType.DataType => {
  switch (fn) {
    case "count":
    case "countDistinct":
      return DataType.Int64
    case "avg":
      return DataType.Float64
    case "sum":
      return arg === undefined || arg._tag === "Null" ? DataType.Int64 : arg
    case "min":
    case "max":
      return arg ?? DataType.Null
    case "collect":
    case "collectDistinct":
      return DataType.List(arg ?? DataType.Null)
  }
}

/** Synchronous type inference; throws a kernel failure on a type error. */
const infer = (expr: Expr.Expr, schema: Arrow.Schema): DataType.DataType => {
  switch (expr._tag) {
    case "Literal":
      return expr.dataType
    case "Column": {
      const index = fieldIndex(schema, expr.name)
      if (index < 0) return columnNotFound(expr.name, schema)
      const type = DataType.fromArrow(schema.fields[index]!.type)
      if (type === undefined) return mismatch("a Grism type", DataType.Null, expr)
      return type
    }
    case "Alias":
      return infer(expr.operand, schema)
    case "Binary": {
      const l = infer(expr.left, schema)
      const r = infer(expr.right, schema)
      if (arithOps.has(expr.op)) return arithType(l, r, expr)
      if (compareOps.has(expr.op)) {
        comparisonType(l, r, expr)
        return DataType.Bool
      }
      if (expr.op === "||") {
        if (l._tag !== "String" && l._tag !== "Null") mismatch("String", l, expr)
        if (r._tag !== "String" && r._tag !== "Null") mismatch("String", r, expr)
        return DataType.String
      }
      if (!isBoolish(l)) mismatch("Bool", l, expr)
      if (!isBoolish(r)) mismatch("Bool", r, expr)
      return DataType.Bool
    }
    case "Unary": {
      const t = infer(expr.operand, schema)
      switch (expr.op) {
        case "NOT":
          if (!isBoolish(t)) mismatch("Bool", t, expr)
          return DataType.Bool
        case "NEG":
          if (!isNumericish(t)) mismatch("Int64 or Float64", t, expr)
          return t
        default:
          return DataType.Bool
      }
    }
    case "In": {
      const t = infer(expr.operand, schema)
      for (const item of expr.list) comparisonType(t, infer(item, schema), expr)
      return DataType.Bool
    }
    case "Between": {
      const t = infer(expr.operand, schema)
      comparisonType(t, infer(expr.low, schema), expr)
      comparisonType(t, infer(expr.high, schema), expr)
      return DataType.Bool
    }
    case "Case":
      return caseType(expr, schema)
    case "Cast": {
      const from = infer(expr.operand, schema)
      if (!Cast.canCast(from, expr.to)) mismatch(`a type castable to ${DataType.display(expr.to)}`, from, expr)
      return expr.to
    }
    case "Call": {
      const fn = Functions.lookup(expr.name)
      if (fn === undefined) return unknownFunction(expr)
      const result = fn.returnType(expr.args.map((a) => infer(a, schema)), displayOf(expr))
      return Either.isLeft(result) ? fail(result.left) : result.right
    }
    case "Aggregate":
      return aggregateType(expr.fn, expr.arg === undefined ? undefined : infer(expr.arg, schema))
  }
}

const unknownFunction = (expr: Expr.Call): never =>
  fail(new InvalidPlan({ reason: "UnknownFunction", detail: `Unknown function: ${expr.name}` }))

const caseType = (expr: Expr.Case, schema: Arrow.Schema): DataType.DataType => {
  const operand = expr.operand === undefined ? undefined : infer(expr.operand, schema)
  let result: DataType.DataType = DataType.Null
  for (const branch of expr.branches) {
    const when = infer(branch.when, schema)
    if (operand === undefined) {
      if (!isBoolish(when)) mismatch("Bool", when, expr)
    } else comparisonType(operand, when, expr)
    const then = infer(branch.then, schema)
    const unified = DataType.unify(result, then)
    if (unified === undefined) return mismatch(DataType.display(result), then, expr)
    result = unified
  }
  if (expr.otherwise !== undefined) {
    const other = infer(expr.otherwise, schema)
    const unified = DataType.unify(result, other)
    if (unified === undefined) return mismatch(DataType.display(result), other, expr)
    result = unified
  }
  return result
}

// ---------------------------------------------------------------------------
// Literals
// ---------------------------------------------------------------------------

const broadcast = (literal: Expr.Literal, n: number): Arrow.Data => {
  const { dataType, value } = literal
  if (value === null || dataType._tag === "Null") return nullData(DataType.toArrow(dataType), n)
  const bad = () => mismatch(DataType.display(dataType), DataType.Null, literal)
  switch (dataType._tag) {
    case "Bool":
      if (typeof value !== "boolean") return bad()
      return Logic.constant(value, n)
    case "Int64":
    case "Timestamp": {
      if (typeof value !== "bigint" && typeof value !== "number") return bad()
      const v = typeof value === "bigint" ? value : BigInt(Math.trunc(value))
      const out = new BigInt64Array(n).fill(v)
      return dataType._tag === "Int64" ? Column.int64(out) : Column.timestamp(out)
    }
    case "Float64":
      if (typeof value !== "bigint" && typeof value !== "number") return bad()
      return Column.float64(new Float64Array(n).fill(Number(value)))
    case "Date":
      if (typeof value !== "bigint" && typeof value !== "number") return bad()
      return Column.dateDay(new Int32Array(n).fill(Number(value)))
    case "String": {
      if (typeof value !== "string") return bad()
      const bytes = Column.encodeUtf8(value)
      const len = bytes.length
      const offsets = new Int32Array(n + 1)
      for (let i = 1; i <= n; i++) offsets[i] = i * len
      const out = new Uint8Array(n * len)
      if (n > 0 && len > 0) {
        out.set(bytes, 0)
        let filled = len
        while (filled < out.length) {
          const chunk = Math.min(filled, out.length - filled)
          out.copyWithin(filled, 0, chunk)
          filled += chunk
        }
      }
      return Column.utf8(offsets, out)
    }
    default:
      return bad()
  }
}

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

const readColumn = (expr: Expr.Column, batch: Arrow.RecordBatch): Arrow.Data => {
  const index = fieldIndex(batch.schema, expr.name)
  if (index < 0) return columnNotFound(expr.name, batch.schema)
  const data = Batch.column(batch, index)
  return castData(data, typeOfData(data))
}

/** `l op r` for comparison operators, with widening and NULL-typed operands. */
const compareData = (op: Compare.CompareOp, l: Arrow.Data, r: Arrow.Data, expr: Expr.Expr): Arrow.Data => {
  const type = comparisonType(typeOfData(l), typeOfData(r), expr)
  if (l.typeId === Arrow.Type.Null || r.typeId === Arrow.Type.Null) return nullData(new Arrow.Bool(), l.length)
  return Compare.compare(op, castData(l, type), castData(r, type))
}

/** The scalar of a non-NULL literal in the storage of `type`, or undefined when it has none. */
const scalarOf = (literal: Expr.Literal, type: DataType.DataType): Compare.Scalar | undefined => {
  const value = literal.value
  if (value === null) return undefined
  switch (type._tag) {
    case "Float64":
      return typeof value === "number" || typeof value === "bigint" ? Number(value) : undefined
    case "Int64":
    case "Timestamp":
      return typeof value === "bigint" ? value : typeof value === "number" && Number.isInteger(value) ? BigInt(value) : undefined
    case "Date":
      return typeof value === "number" ? value : undefined
    case "Bool":
      return typeof value === "boolean" ? value : undefined
    case "String":
      return typeof value === "string" ? Column.encodeUtf8(value) : undefined
    default:
      return undefined
  }
}

/**
 * `column op literal` (or `literal op column`) without broadcasting the literal; undefined
 * when the shape does not apply.
 */
const compareWithLiteral = (
  op: Compare.CompareOp,
  left: Expr.Expr,
  right: Expr.Expr,
  batch: Arrow.RecordBatch,
  expr: Expr.Expr,
  leftData?: Arrow.Data
): Arrow.Data | undefined => {
  if (right._tag !== "Literal" || right.value === null || right.dataType._tag === "Null") {
    if (left._tag === "Literal" && right._tag !== "Literal" && leftData === undefined) {
      return compareWithLiteral(Compare.flip(op), right, left, batch, expr)
    }
    return undefined
  }
  const data = leftData ?? evalSync(left, batch)
  const type = comparisonType(typeOfData(data), right.dataType, expr)
  if (data.typeId === Arrow.Type.Null) return nullData(new Arrow.Bool(), data.length)
  const scalar = scalarOf(right, type)
  if (scalar === undefined) return Compare.compare(op, castData(data, type), castData(broadcast(right, data.length), type))
  return Compare.compareScalar(op, castData(data, type), scalar)
}

const evalBinary = (expr: Expr.Binary, batch: Arrow.RecordBatch): Arrow.Data => {
  if (compareOps.has(expr.op)) {
    const fast = compareWithLiteral(expr.op as Compare.CompareOp, expr.left, expr.right, batch, expr)
    if (fast !== undefined) return fast
  }
  const l = evalSync(expr.left, batch)
  const r = evalSync(expr.right, batch)
  const op = expr.op
  const n = batch.numRows
  if (arithOps.has(op)) {
    const type = arithType(typeOfData(l), typeOfData(r), expr)
    if (l.typeId === Arrow.Type.Null || r.typeId === Arrow.Type.Null) return nullData(DataType.toArrow(type), n)
    if (type._tag === "Int64") {
      return Arith.int64(op as Arith.ArithOp, l as Arrow.Data<Arrow.Int64>, r as Arrow.Data<Arrow.Int64>, displayOf(expr))
    }
    return Arith.float64(
      op as Arith.ArithOp,
      castData(l, DataType.Float64) as Arrow.Data<Arrow.Float64>,
      castData(r, DataType.Float64) as Arrow.Data<Arrow.Float64>
    )
  }
  if (compareOps.has(op)) return compareData(op as Compare.CompareOp, l, r, expr)
  if (op === "||") {
    const lt = typeOfData(l), rt = typeOfData(r)
    if (lt._tag !== "String" && lt._tag !== "Null") mismatch("String", lt, expr)
    if (rt._tag !== "String" && rt._tag !== "Null") mismatch("String", rt, expr)
    if (lt._tag === "Null" || rt._tag === "Null") return nullData(new Arrow.Utf8(), n)
    return Strings.concat(l as Arrow.Data<Arrow.Utf8>, r as Arrow.Data<Arrow.Utf8>)
  }
  const lt = typeOfData(l), rt = typeOfData(r)
  if (!isBoolish(lt)) mismatch("Bool", lt, expr)
  if (!isBoolish(rt)) mismatch("Bool", rt, expr)
  return op === "AND" ? Logic.and(l, r) : Logic.or(l, r)
}

const evalUnary = (expr: Expr.Unary, batch: Arrow.RecordBatch): Arrow.Data => {
  const a = evalSync(expr.operand, batch)
  switch (expr.op) {
    case "IS NULL":
      return Logic.isNull(a)
    case "IS NOT NULL":
      return Logic.isNotNull(a)
    case "NOT": {
      const t = typeOfData(a)
      if (!isBoolish(t)) mismatch("Bool", t, expr)
      return Logic.not(a)
    }
    case "NEG": {
      const t = typeOfData(a)
      if (t._tag === "Int64") return Arith.negateInt64(a as Arrow.Data<Arrow.Int64>, displayOf(expr))
      if (t._tag === "Float64") return Arith.negateFloat64(a as Arrow.Data<Arrow.Float64>)
      if (t._tag === "Null") return a
      return mismatch("Int64 or Float64", t, expr)
    }
  }
}

const evalIn = (expr: Expr.In, batch: Arrow.RecordBatch): Arrow.Data => {
  const n = batch.numRows
  if (expr.list.length === 0) return Logic.constant(false, n)
  const operand = evalSync(expr.operand, batch)
  let result: Arrow.Data | undefined
  for (const item of expr.list) {
    const eq =
      compareWithLiteral("=", expr.operand, item, batch, expr, operand) ??
        compareData("=", operand, evalSync(item, batch), expr)
    result = result === undefined ? eq : Logic.or(result, eq)
  }
  return result!
}

const evalBetween = (expr: Expr.Between, batch: Arrow.RecordBatch): Arrow.Data => {
  const x = evalSync(expr.operand, batch)
  const low = compareWithLiteral(">=", expr.operand, expr.low, batch, expr, x) ??
    compareData(">=", x, evalSync(expr.low, batch), expr)
  const high = compareWithLiteral("<=", expr.operand, expr.high, batch, expr, x) ??
    compareData("<=", x, evalSync(expr.high, batch), expr)
  return Logic.and(low, high)
}

/** Only the columns an expression reads (so sub-batches of a CASE copy little). */
const project = (batch: Arrow.RecordBatch, expr: Expr.Expr): Arrow.RecordBatch => {
  const names = Expr.columnsOf(expr)
  const fields: Array<Arrow.Field> = []
  const columns: Array<Arrow.Data> = []
  for (const name of names) {
    const index = fieldIndex(batch.schema, name)
    if (index < 0) return columnNotFound(name, batch.schema)
    fields.push(batch.schema.fields[index]!)
    columns.push(Batch.column(batch, index))
  }
  return Batch.make(new Arrow.Schema(fields), columns, batch.numRows)
}

/**
 * CASE: each WHEN is evaluated only on the rows no earlier branch took, and each THEN
 * only on the rows its WHEN selected (so `CASE WHEN x <> 0 THEN 10 / x END` never divides
 * by zero). Branch results are concatenated and gathered back into row order.
 */
const evalCase = (expr: Expr.Case, batch: Arrow.RecordBatch): Arrow.Data => {
  const n = batch.numRows
  const resultType = caseType(expr, batch.schema)
  const target = DataType.toArrow(resultType)
  const operand = expr.operand === undefined ? undefined : evalSync(expr.operand, batch)
  const branchExprs = [...expr.branches.flatMap((b) => [b.when, b.then]), ...(expr.otherwise === undefined ? [] : [expr.otherwise])]
  if (!branchExprs.some((e) => mayFail(e, batch.schema))) return evalCaseWhole(expr, batch, operand, resultType)
  const source = project(batch, expr)
  const gather = new Int32Array(n).fill(-1)
  const pieces: Array<Arrow.Data> = []
  let produced = 0
  // rows (of the original batch) still undecided; null = every row
  let remaining: Int32Array | null = null
  const place = (rows: Int32Array | null, sub: Arrow.RecordBatch, valueExpr: Expr.Expr) => {
    const value = castData(evalSync(valueExpr, sub), resultType)
    pieces.push(value)
    if (rows === null) for (let k = 0; k < value.length; k++) gather[k] = produced + k
    else for (let k = 0; k < rows.length; k++) gather[rows[k]!] = produced + k
    produced += value.length
  }
  const subset = (rows: Int32Array | null) => (rows === null ? source : Batch.take(source, rows))
  for (const branch of expr.branches) {
    if (remaining !== null && remaining.length === 0) break
    const sub = subset(remaining)
    let condition = evalSync(branch.when, sub)
    if (operand !== undefined) {
      const op = remaining === null ? operand : Batch.takeData(operand, remaining)
      condition = compareData("=", op, condition, expr)
    } else if (!isBoolish(typeOfData(condition))) mismatch("Bool", typeOfData(condition), expr)
    const mask = Batch.trueMask(condition as Arrow.Data<Arrow.Bool>)
    const hit = Batch.maskToIndices(mask, sub.numRows)
    if (hit.length === 0) continue
    const hitRows = remaining === null ? hit : hit.map((k) => remaining![k]!)
    if (hit.length === sub.numRows) {
      place(remaining, sub, branch.then)
      remaining = new Int32Array(0)
      break
    }
    place(hitRows, Batch.take(sub, hit), branch.then)
    const rest = new Int32Array(sub.numRows - hit.length)
    let at = 0
    for (let k = 0; k < sub.numRows; k++) {
      if ((mask[k >> 3]! & (1 << (k & 7))) === 0) rest[at++] = remaining === null ? k : remaining[k]!
    }
    remaining = rest
  }
  if (expr.otherwise !== undefined && (remaining === null || remaining.length > 0)) {
    place(remaining, subset(remaining), expr.otherwise)
  }
  if (pieces.length === 0) return nullData(target, n)
  if (pieces.length === 1 && pieces[0]!.length === n && remaining === null) return pieces[0]!
  const all = pieces.length === 1 ? pieces[0]! : concatData(target, pieces)
  return Batch.takeData(all, gather)
}

/** Whether evaluating an expression can raise an error on some row (Int64 arithmetic, casts, calls). */
const mayFail = (expr: Expr.Expr, schema: Arrow.Schema): boolean => {
  switch (expr._tag) {
    case "Cast":
    case "Call":
    case "Aggregate":
      return true
    case "Binary":
      if (arithOps.has(expr.op) && infer(expr, schema)._tag === "Int64") return true
      break
    case "Unary":
      if (expr.op === "NEG" && infer(expr, schema)._tag === "Int64") return true
      break
    default:
      break
  }
  return Expr.children(expr).some((c) => mayFail(c, schema))
}

/**
 * CASE whose branches cannot fail: every WHEN and THEN runs over the whole batch, each row
 * picks the first TRUE branch, and one gather assembles the result.
 */
const evalCaseWhole = (
  expr: Expr.Case,
  batch: Arrow.RecordBatch,
  operand: Arrow.Data | undefined,
  resultType: DataType.DataType
): Arrow.Data => {
  const n = batch.numRows
  const choice = new Int32Array(n).fill(-1)
  let undecided = n
  const values: Array<Arrow.Data> = []
  for (let k = 0; k < expr.branches.length && undecided > 0; k++) {
    const branch = expr.branches[k]!
    let condition = evalSync(branch.when, batch)
    if (operand !== undefined) condition = compareData("=", operand, condition, expr)
    else if (!isBoolish(typeOfData(condition))) mismatch("Bool", typeOfData(condition), expr)
    const mask = Batch.trueMask(condition as Arrow.Data<Arrow.Bool>)
    let hits = 0
    for (let i = 0; i < n; i++) {
      if (choice[i] === -1 && (mask[i >> 3]! & (1 << (i & 7))) !== 0) {
        choice[i] = values.length
        hits++
      }
    }
    if (hits === 0) continue
    undecided -= hits
    values.push(castData(evalSync(branch.then, batch), resultType))
  }
  if (expr.otherwise !== undefined && undecided > 0) {
    const other = values.length
    for (let i = 0; i < n; i++) if (choice[i] === -1) choice[i] = other
    values.push(castData(evalSync(expr.otherwise, batch), resultType))
    undecided = 0
  }
  if (values.length === 0) return nullData(DataType.toArrow(resultType), n)
  if (values.length === 1 && undecided === 0) return values[0]!
  const gather = new Int32Array(n)
  for (let i = 0; i < n; i++) gather[i] = choice[i]! < 0 ? -1 : choice[i]! * n + i
  return Batch.takeData(concatData(DataType.toArrow(resultType), values), gather)
}

const evalCall = (expr: Expr.Call, batch: Arrow.RecordBatch): Arrow.Data => {
  const fn = Functions.lookup(expr.name)
  if (fn === undefined) return unknownFunction(expr)
  const args = expr.args.map((a) => evalSync(a, batch))
  const display = displayOf(expr)
  const type = fn.returnType(args.map(typeOfData), display)
  if (Either.isLeft(type)) return fail(type.left)
  const result = fn.evaluate(args, batch.numRows, display)
  if (Either.isLeft(result)) return fail(result.left)
  return castData(result.right, type.right)
}

// ---------------------------------------------------------------------------
// Dictionary-encoded operands
// ---------------------------------------------------------------------------

const columnsRead = new WeakMap<Expr.Expr, ReadonlyArray<string>>()

/** The position of the one string dictionary column `expr` reads, when it reads exactly one and has more rows than entries; else -1. */
const dictionaryOperand = (expr: Expr.Expr, batch: Arrow.RecordBatch): number => {
  let names = columnsRead.get(expr)
  if (names === undefined) {
    names = Expr.columnsOf(expr)
    columnsRead.set(expr, names)
  }
  if (names.length !== 1) return -1
  const index = fieldIndex(batch.schema, names[0]!)
  if (index < 0 || batch.schema.fields[index]!.typeId !== Arrow.Type.Dictionary) return -1
  const data = Batch.column(batch, index)
  return isStringDictionary(data) && data.dictionary!.length < batch.numRows ? index : -1
}

const withNullEntry = new WeakMap<Arrow.Vector, Arrow.Data>()

/** A dictionary's values followed by one NULL row (where NULL codes point). */
const entriesOf = (data: Arrow.Data): Arrow.Data => {
  const dictionary = data.dictionary!
  let entries = withNullEntry.get(dictionary)
  if (entries === undefined) {
    entries = concatData(new Arrow.Utf8(), [dictionaryValues(data), nullData(new Arrow.Utf8(), 1)])
    withNullEntry.set(dictionary, entries)
  }
  return entries
}

/**
 * An expression whose only column is dictionary-encoded, evaluated once per dictionary
 * entry (plus NULL) and gathered by the rows' codes. Expressions are deterministic
 * functions of their row, so this equals row-wise evaluation — except that an entry no
 * row uses may fail (e.g. a cast): then the rows are evaluated decoded instead. A string
 * result stays encoded only when `keepEncoded` (kernels take canonical Utf8 operands).
 */
const evalOverDictionary = (expr: Expr.Expr, batch: Arrow.RecordBatch, index: number, keepEncoded: boolean): Arrow.Data => {
  const data = Batch.column(batch, index)
  const entries = entriesOf(data)
  const field = batch.schema.fields[index]!
  const perEntry = Batch.make(new Arrow.Schema([field.clone({ type: entries.type })]), [entries])
  let result: Arrow.Data
  try {
    result = evalSync(expr, perEntry)
  } catch (e) {
    if (!isKernelFailure(e)) throw e
    const columns: Array<Arrow.Data> = []
    for (let c = 0; c < batch.numCols; c++) columns.push(c === index ? decodeDictionary(data) : Batch.column(batch, c))
    return evalSync(expr, Batch.make(batch.schema, columns, batch.numRows))
  }
  const n = data.length
  const codes = dictionaryCodes(data)
  const valid = Column.validity(data)
  let at: Int32Array = codes
  if (valid !== null) {
    const nullEntry = entries.length - 1
    at = new Int32Array(n)
    for (let i = 0; i < n; i++) at[i] = (valid[i >> 3]! & (1 << (i & 7))) === 0 ? nullEntry : codes[i]!
  }
  switch (result.typeId) {
    case Arrow.Type.Bool:
      return boolByCodes(result as Arrow.Data<Arrow.Bool>, at, valid !== null)
    case Arrow.Type.Utf8:
      return keepEncoded ? encodedStrings(result, at) : takeData(result, at)
    default:
      return takeData(result, at)
  }
}

/** Strings given per dictionary entry, as a dictionary column of the rows' entries (`at`): no string is copied per row. */
const encodedStrings = (perEntry: Arrow.Data, at: Int32Array): Arrow.Data => {
  const entryValid = Column.validity(perEntry)
  let valid: Uint8Array | null = null
  if (entryValid !== null) {
    valid = Column.allocBitmap(at.length)
    for (let i = 0; i < at.length; i++) if (Column.getBit(entryValid, at[i]!)) Column.setBit(valid, i)
  }
  const type = new Arrow.Dictionary(new Arrow.Utf8(), new Arrow.Int32())
  return stringDictionary(type, Arrow.makeVector(perEntry as Arrow.Data<Arrow.Utf8>), at, valid)
}

/** The byte of rows `i..i+7`: bit k = `lut[codes[i + k]]` (each 0 or 1). */
const lutByte = (lut: Uint8Array, codes: Int32Array, i: number): number =>
  lut[codes[i]!]! | (lut[codes[i + 1]!]! << 1) | (lut[codes[i + 2]!]! << 2) | (lut[codes[i + 3]!]! << 3) |
  (lut[codes[i + 4]!]! << 4) | (lut[codes[i + 5]!]! << 5) | (lut[codes[i + 6]!]! << 6) | (lut[codes[i + 7]!]! << 7)

/**
 * Bit i = `lut[codes[i]]` (each 0 or 1), 8 rows per output byte. The last partial byte
 * goes through the same code over a padded copy (a separate tail loop would meet its
 * first rows only after the loop was compiled, and deoptimize it).
 */
const bitsByCodes = (lut: Uint8Array, codes: Int32Array): Uint8Array => {
  const n = codes.length
  const out = Column.allocBitmap(n)
  const full = n >> 3
  for (let b = 0; b < full; b++) out[b] = lutByte(lut, codes, b << 3)
  const rest = n & 7
  if (rest !== 0) {
    const tail = new Int32Array(8)
    tail.set(codes.subarray(full << 3))
    out[full] = lutByte(lut, tail, 0) & ((1 << rest) - 1)
  }
  return out
}

/**
 * The Bool column of rows given per dictionary entry (`perEntry`, its last entry the
 * answer for NULL rows) and the rows' codes (`at`: NULL rows already point at that entry).
 */
const boolByCodes = (perEntry: Arrow.Data<Arrow.Bool>, at: Int32Array, nullRows: boolean): Arrow.Data => {
  const entries = perEntry.length
  const bits = Column.boolBits(perEntry)
  const entryValid = Column.validity(perEntry)
  const truth = new Uint8Array(entries)
  const known = new Uint8Array(entries)
  let anyNull = false
  for (let e = 0; e < entries; e++) {
    const valid = entryValid === null || Column.getBit(entryValid, e)
    known[e] = valid ? 1 : 0
    truth[e] = valid && Column.getBit(bits, e) ? 1 : 0
    // the NULL entry matters only when some row is NULL
    if (!valid && (nullRows || e < entries - 1)) anyNull = true
  }
  return Column.bool(bitsByCodes(truth, at), at.length, anyNull ? bitsByCodes(known, at) : null)
}

/** The synchronous core: throws a kernel failure on a typed error. */
const evalSync = (expr: Expr.Expr, batch: Arrow.RecordBatch): Arrow.Data => {
  if (expr._tag !== "Column" && expr._tag !== "Literal" && expr._tag !== "Alias" && expr._tag !== "Aggregate") {
    const index = dictionaryOperand(expr, batch)
    if (index >= 0) return evalOverDictionary(expr, batch, index, false)
  }
  switch (expr._tag) {
    case "Literal":
      return broadcast(expr, batch.numRows)
    case "Column":
      return readColumn(expr, batch)
    case "Alias":
      return evalSync(expr.operand, batch)
    case "Binary":
      return evalBinary(expr, batch)
    case "Unary":
      return evalUnary(expr, batch)
    case "In":
      return evalIn(expr, batch)
    case "Between":
      return evalBetween(expr, batch)
    case "Case":
      return evalCase(expr, batch)
    case "Cast": {
      const data = evalSync(expr.operand, batch)
      return Cast.cast(data, typeOfData(data), expr.to, displayOf(expr))
    }
    case "Call":
      return evalCall(expr, batch)
    case "Aggregate":
      throw new Error(`Evaluator: aggregate ${displayOf(expr)} outside an aggregation`)
  }
}

// ---------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------

/** Evaluates a resolved expression over a batch; the result has `batch.numRows` rows. */
export const evaluate = (expr: Expr.Expr, batch: Arrow.RecordBatch): Effect.Effect<Arrow.Data, ExecutionError> =>
  runSync(() => evalSync(expr, batch))

/**
 * {@link evaluate}, except that a string result may come dictionary-encoded: a bare
 * column reference to an encoded column gives the column itself, and a string expression
 * over one encoded column gives codes into its per-entry results (for operators that
 * pass columns through or group by them; see `Batch.isStringDictionary`).
 */
export const evaluatePreservingDictionary = (
  expr: Expr.Expr,
  batch: Arrow.RecordBatch
): Effect.Effect<Arrow.Data, ExecutionError> => {
  let column = expr
  while (column._tag === "Alias") column = column.operand
  if (column._tag === "Column") {
    const index = fieldIndex(batch.schema, column.name)
    if (index >= 0) {
      const data = Batch.column(batch, index)
      if (isStringDictionary(data)) return Effect.succeed(data)
    }
    return evaluate(expr, batch)
  }
  return runSync(() => {
    const index = column._tag === "Literal" || column._tag === "Aggregate" ? -1 : dictionaryOperand(column, batch)
    return index >= 0 ? evalOverDictionary(column, batch, index, true) : evalSync(column, batch)
  })
}

/** Synchronous evaluation for kernels that already run inside one Effect: `Either` of the column or the typed error. */
export const evaluateEither = (expr: Expr.Expr, batch: Arrow.RecordBatch): Either.Either<Arrow.Data, ExecutionError> => {
  try {
    return Either.right(evalSync(expr, batch))
  } catch (e) {
    if (isKernelFailure(e)) return Either.left(e.error)
    throw e
  }
}

const filterSync = (batch: Arrow.RecordBatch, predicate: Expr.Expr): Arrow.RecordBatch => {
  const mask = evalSync(predicate, batch)
  const type = typeOfData(mask)
  if (!isBoolish(type)) mismatch("Bool", type, predicate)
  if (mask.typeId === Arrow.Type.Null) return Batch.take(batch, new Int32Array(0))
  return Batch.filter(batch, mask as Arrow.Data<Arrow.Bool>)
}

/** Evaluates a predicate and keeps the rows where it is TRUE (NULL and FALSE are dropped). */
export const filterBatch = (
  batch: Arrow.RecordBatch,
  predicate: Expr.Expr
): Effect.Effect<Arrow.RecordBatch, ExecutionError> => runSync(() => filterSync(batch, predicate))

/** The result type of an expression over columns of `schema`, or the type error it would raise. */
export const checkType = (expr: Expr.Expr, schema: Arrow.Schema): Either.Either<DataType.DataType, ExecutionError> => {
  try {
    return Either.right(infer(expr, schema))
  } catch (e) {
    if (isKernelFailure(e)) return Either.left(e.error)
    throw e
  }
}

/**
 * Result type of an already-resolved expression given the batch's column types.
 * A type error (which resolution should have caught) is thrown as the `ExecutionError`.
 */
export const typeOf = (expr: Expr.Expr, schema: Arrow.Schema): DataType.DataType => {
  const result = checkType(expr, schema)
  if (Either.isLeft(result)) throw result.left
  return result.right
}
