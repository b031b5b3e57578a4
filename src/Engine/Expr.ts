/**
 * The expression IR (SEMANTICS §4) and its fluent builders.
 *
 * Every node is a `Schema.TaggedClass`, so an expression is plain data that encodes to
 * JSON and decodes back to the same classes (plans travel to workers). Every node also
 * carries the builder methods (`col("p.age").gt(21).and(...)`), which take an `Expr` or a
 * plain value.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as DataType from "./DataType.js"

// ---------------------------------------------------------------------------
// Trusted construction
// ---------------------------------------------------------------------------

/**
 * The constructor option for Schema-class nodes (expressions, logical and physical plans,
 * schemas) that the engine builds from parts it already holds typed: `new X(props,
 * unchecked)` skips the run-time field check, which otherwise walks the node's whole
 * subtree on every `new` and dominates planning. Input from outside the process is still
 * checked where it is decoded (`Schema.decodeUnknown` of a plan, an expression or a
 * stage), which goes through the full schema.
 */
export const unchecked = { disableValidation: true } as const

// ---------------------------------------------------------------------------
// Literal values
// ---------------------------------------------------------------------------

/** A literal value: NULL, a boolean, an Int64 (`bigint`), a Float64 or a string. Dates and timestamps are numbers (days / ms). */
export type LiteralValue = null | boolean | bigint | number | string

const Int64Json = Schema.transform(Schema.Struct({ int64: Schema.String }), Schema.BigIntFromSelf, {
  strict: true,
  decode: ({ int64 }) => BigInt(int64),
  encode: (value) => ({ int64: value.toString() })
})

const SpecialFloat = Schema.Struct({ float: Schema.Literal("NaN", "Infinity", "-Infinity", "-0") })
const FloatJson = Schema.transform(Schema.Union(Schema.Number, SpecialFloat), Schema.Number, {
  strict: true,
  decode: (encoded) => (typeof encoded === "number" ? encoded : Number(encoded.float)),
  encode: (value) =>
    Number.isNaN(value)
      ? { float: "NaN" as const }
      : value === Infinity
      ? { float: "Infinity" as const }
      : value === -Infinity
      ? { float: "-Infinity" as const }
      : Object.is(value, -0)
      ? { float: "-0" as const }
      : value
})

/** Schema of {@link LiteralValue}; JSON-safe for bigint, NaN, ±Infinity and -0. */
export const LiteralValue: Schema.Schema<LiteralValue, any> = Schema.Union(
  Schema.Null,
  Schema.Boolean,
  Schema.String,
  Int64Json,
  FloatJson
)

// ---------------------------------------------------------------------------
// Operators
// ---------------------------------------------------------------------------

/** Binary operators. */
export const BinaryOp = Schema.Literal(
  "+", "-", "*", "/", "%",
  "=", "<>", "<", "<=", ">", ">=",
  "AND", "OR", "||"
)
/** @see BinaryOp */
export type BinaryOp = typeof BinaryOp.Type

/** Unary operators. */
export const UnaryOp = Schema.Literal("NOT", "NEG", "IS NULL", "IS NOT NULL")
/** @see UnaryOp */
export type UnaryOp = typeof UnaryOp.Type

/** Aggregate functions (SEMANTICS §5). */
export const AggregateFn = Schema.Literal(
  "count", "countDistinct", "sum", "avg", "min", "max", "collect", "collectDistinct"
)
/** @see AggregateFn */
export type AggregateFn = typeof AggregateFn.Type

const ExprRef = Schema.suspend((): Schema.Schema<Expr, any> => Expr)

// ---------------------------------------------------------------------------
// Nodes
// ---------------------------------------------------------------------------

/** A constant. `dataType` is the literal's type; a NULL literal has type Null until resolution gives it one. */
export class Literal extends Schema.TaggedClass<Literal>()("Literal", {
  value: LiteralValue,
  dataType: DataType.DataType
}) {}

/** A column reference: `q.field`, a bare `field`, or an entity qualifier `q`. */
export class Column extends Schema.TaggedClass<Column>()("Column", {
  name: Schema.String
}) {}

/** A binary operation. */
export class Binary extends Schema.TaggedClass<Binary>()("Binary", {
  op: BinaryOp,
  left: ExprRef,
  right: ExprRef
}) {}

/** A unary operation. */
export class Unary extends Schema.TaggedClass<Unary>()("Unary", {
  op: UnaryOp,
  operand: ExprRef
}) {}

/** One `WHEN … THEN …` branch of a CASE. */
export class CaseBranch extends Schema.Class<CaseBranch>("CaseBranch")({
  when: ExprRef,
  then: ExprRef
}) {}

/** A CASE: searched when `operand` is absent, simple (`operand = when`) otherwise. */
export class Case extends Schema.TaggedClass<Case>()("Case", {
  operand: Schema.optional(ExprRef),
  branches: Schema.Array(CaseBranch),
  otherwise: Schema.optional(ExprRef)
}) {}

/** `operand IN (list)`. */
export class In extends Schema.TaggedClass<In>()("In", {
  operand: ExprRef,
  list: Schema.Array(ExprRef)
}) {}

/** `operand BETWEEN low AND high` (inclusive). */
export class Between extends Schema.TaggedClass<Between>()("Between", {
  operand: ExprRef,
  low: ExprRef,
  high: ExprRef
}) {}

/** A named scalar function call (SEMANTICS §4 functions). */
export class Call extends Schema.TaggedClass<Call>()("Call", {
  name: Schema.String,
  args: Schema.Array(ExprRef)
}) {}

/** An explicit conversion. */
export class Cast extends Schema.TaggedClass<Cast>()("Cast", {
  operand: ExprRef,
  to: DataType.DataType
}) {}

/** An aggregate call; `arg` absent means `count(*)`. Valid only inside `agg`. */
export class Aggregate extends Schema.TaggedClass<Aggregate>()("Aggregate", {
  fn: AggregateFn,
  arg: Schema.optional(ExprRef)
}) {}

/** An expression with an output name. */
export class Alias extends Schema.TaggedClass<Alias>()("Alias", {
  operand: ExprRef,
  name: Schema.String
}) {}

/** Every expression node. */
export type Expr = Literal | Column | Binary | Unary | Case | In | Between | Call | Cast | Aggregate | Alias

/** Schema of {@link Expr}; round-trips through JSON. */
export const Expr: Schema.Schema<Expr, any> = Schema.Union(
  Literal, Column, Binary, Unary, Case, In, Between, Call, Cast, Aggregate, Alias
)

/** A sort key: an expression, a direction and where NULLs go (default: last ascending, first descending). */
export class SortKey extends Schema.TaggedClass<SortKey>()("SortKey", {
  expr: ExprRef,
  descending: Schema.Boolean,
  nullsFirst: Schema.optional(Schema.Boolean)
}) {
  /** Puts NULLs before every other value. */
  withNullsFirst(): SortKey {
    return new SortKey({ expr: this.expr, descending: this.descending, nullsFirst: true }, unchecked)
  }
  /** Puts NULLs after every other value. */
  withNullsLast(): SortKey {
    return new SortKey({ expr: this.expr, descending: this.descending, nullsFirst: false }, unchecked)
  }
  /** Whether NULLs come first under this key. */
  get effectiveNullsFirst(): boolean {
    return this.nullsFirst ?? this.descending
  }
}

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

/** What the builders accept: an expression or a plain value (made a literal). */
export type ExprLike = Expr | LiteralValue | Date

/** Makes a literal. Integer-valued numbers and bigints are Int64 (except -0), other numbers Float64, `Date` a Timestamp. */
export const lit = (value: LiteralValue | Date): Literal => {
  if (value === null) return new Literal({ value: null, dataType: DataType.Null }, unchecked)
  if (value instanceof Date) return new Literal({ value: value.getTime(), dataType: DataType.Timestamp }, unchecked)
  switch (typeof value) {
    case "boolean":
      return new Literal({ value, dataType: DataType.Bool }, unchecked)
    case "bigint":
      return new Literal({ value, dataType: DataType.Int64 }, unchecked)
    case "string":
      return new Literal({ value, dataType: DataType.String }, unchecked)
    case "number":
      return Number.isSafeInteger(value) && !Object.is(value, -0)
        ? new Literal({ value: BigInt(value), dataType: DataType.Int64 }, unchecked)
        : new Literal({ value, dataType: DataType.Float64 }, unchecked)
  }
}

/** A typed literal (for example a Date: `typedLit(19000, DataType.Date)`). */
export const typedLit = (value: LiteralValue, dataType: DataType.DataType): Literal => new Literal({ value, dataType }, unchecked)

/** A column reference. */
export const col = (name: string): Column => new Column({ name }, unchecked)

const isExpr = (value: unknown): value is Expr =>
  typeof value === "object" && value !== null && !(value instanceof Date) && "_tag" in value

/** An expression from an expression or a plain value. */
export const toExpr = (value: ExprLike): Expr => (isExpr(value) ? value : lit(value))

/** A named function call. */
export const call = (name: string, ...args: ReadonlyArray<ExprLike>): Call => new Call({ name, args: args.map(toExpr) }, unchecked)

/** The methods every expression node has. */
export interface ExprMethods {
  eq(that: ExprLike): Binary
  ne(that: ExprLike): Binary
  lt(that: ExprLike): Binary
  le(that: ExprLike): Binary
  gt(that: ExprLike): Binary
  ge(that: ExprLike): Binary
  and(that: ExprLike): Binary
  or(that: ExprLike): Binary
  add(that: ExprLike): Binary
  sub(that: ExprLike): Binary
  mul(that: ExprLike): Binary
  div(that: ExprLike): Binary
  mod(that: ExprLike): Binary
  concat(that: ExprLike): Binary
  not(): Unary
  neg(): Unary
  isNull(): Unary
  isNotNull(): Unary
  in(list: ReadonlyArray<ExprLike>): In
  between(low: ExprLike, high: ExprLike): Between
  cast(to: DataType.DataType): Cast
  as(name: string): Alias
  asc(): SortKey
  desc(): SortKey
}

const binary = (op: BinaryOp) =>
  function(this: Expr, that: ExprLike): Binary {
    return new Binary({ op, left: this, right: toExpr(that) }, unchecked)
  }
const unary = (op: UnaryOp) =>
  function(this: Expr): Unary {
    return new Unary({ op, operand: this }, unchecked)
  }

const methods: ExprMethods & ThisType<Expr> = {
  eq: binary("="),
  ne: binary("<>"),
  lt: binary("<"),
  le: binary("<="),
  gt: binary(">"),
  ge: binary(">="),
  and: binary("AND"),
  or: binary("OR"),
  add: binary("+"),
  sub: binary("-"),
  mul: binary("*"),
  div: binary("/"),
  mod: binary("%"),
  concat: binary("||"),
  not: unary("NOT"),
  neg: unary("NEG"),
  isNull: unary("IS NULL"),
  isNotNull: unary("IS NOT NULL"),
  in(this: Expr, list: ReadonlyArray<ExprLike>) {
    return new In({ operand: this, list: list.map(toExpr) }, unchecked)
  },
  between(this: Expr, low: ExprLike, high: ExprLike) {
    return new Between({ operand: this, low: toExpr(low), high: toExpr(high) }, unchecked)
  },
  cast(this: Expr, to: DataType.DataType) {
    return new Cast({ operand: this, to }, unchecked)
  },
  as(this: Expr, name: string) {
    return new Alias({ operand: this, name }, unchecked)
  },
  asc(this: Expr) {
    return new SortKey({ expr: this, descending: false }, unchecked)
  },
  desc(this: Expr) {
    return new SortKey({ expr: this, descending: true }, unchecked)
  }
}

declare module "./Expr.js" {
  interface Literal extends ExprMethods {}
  interface Column extends ExprMethods {}
  interface Binary extends ExprMethods {}
  interface Unary extends ExprMethods {}
  interface Case extends ExprMethods {}
  interface In extends ExprMethods {}
  interface Between extends ExprMethods {}
  interface Call extends ExprMethods {}
  interface Cast extends ExprMethods {}
  interface Aggregate extends ExprMethods {}
  interface Alias extends ExprMethods {}
}

for (const cls of [Literal, Column, Binary, Unary, Case, In, Between, Call, Cast, Aggregate, Alias]) {
  for (const [name, fn] of Object.entries(methods)) {
    Object.defineProperty(cls.prototype, name, { value: fn, writable: true, configurable: true })
  }
}

/** Builder of a searched CASE: `when(c1).then(v1).when(c2).then(v2).otherwise(v3)`. */
export class CaseBuilder {
  constructor(readonly branches: ReadonlyArray<CaseBranch>) {}
  /** Adds a branch. */
  when(condition: ExprLike): { then: (value: ExprLike) => CaseBuilder } {
    return {
      then: (value) =>
        new CaseBuilder([...this.branches, new CaseBranch({ when: toExpr(condition), then: toExpr(value) }, unchecked)])
    }
  }
  /** Closes the CASE with an ELSE value. */
  otherwise(value: ExprLike): Case {
    return new Case({ branches: this.branches, otherwise: toExpr(value) }, unchecked)
  }
  /** Closes the CASE without ELSE (no match → NULL). */
  end(): Case {
    return new Case({ branches: this.branches }, unchecked)
  }
}

/** Starts a searched CASE. */
export const when = (condition: ExprLike) => new CaseBuilder([]).when(condition)

/** `count(*)` or `count(x)` (non-NULL values). */
export const count = (arg?: ExprLike): Aggregate =>
  arg === undefined ? new Aggregate({ fn: "count" }, unchecked) : new Aggregate({ fn: "count", arg: toExpr(arg) }, unchecked)
const aggregate = (fn: AggregateFn) => (arg: ExprLike): Aggregate => new Aggregate({ fn, arg: toExpr(arg) }, unchecked)
/** Number of distinct non-NULL values. */
export const countDistinct = aggregate("countDistinct")
/** Sum (Int64 → Int64 with overflow check, Float64 → Float64). */
export const sum = aggregate("sum")
/** Average, always Float64. */
export const avg = aggregate("avg")
/** Minimum. */
export const min = aggregate("min")
/** Maximum. */
export const max = aggregate("max")
/** List of the non-NULL values. */
export const collect = aggregate("collect")
/** List of the distinct non-NULL values. */
export const collectDistinct = aggregate("collectDistinct")

// ---------------------------------------------------------------------------
// Display
// ---------------------------------------------------------------------------

const displayLiteral = (literal: Literal): string => {
  const value = literal.value
  if (value === null) return "NULL"
  if (typeof value === "string") return `'${value.replace(/'/g, "''")}'`
  if (typeof value === "number" && literal.dataType._tag === "Float64" && Number.isInteger(value)) {
    return Object.is(value, -0) ? "-0.0" : `${value}.0`
  }
  return String(value)
}

/** The display text of an expression; also the output name of an unaliased computed column (SEMANTICS §3). */
export const display = (expr: Expr): string => {
  switch (expr._tag) {
    case "Literal":
      return displayLiteral(expr)
    case "Column":
      return expr.name
    case "Binary":
      return `(${display(expr.left)} ${expr.op} ${display(expr.right)})`
    case "Unary":
      switch (expr.op) {
        case "NOT":
          return `(NOT ${display(expr.operand)})`
        case "NEG":
          return `(- ${display(expr.operand)})`
        default:
          return `(${display(expr.operand)} ${expr.op})`
      }
    case "Case": {
      const operand = expr.operand === undefined ? "" : ` ${display(expr.operand)}`
      const branches = expr.branches.map((b) => ` WHEN ${display(b.when)} THEN ${display(b.then)}`).join("")
      const otherwise = expr.otherwise === undefined ? "" : ` ELSE ${display(expr.otherwise)}`
      return `CASE${operand}${branches}${otherwise} END`
    }
    case "In":
      return `(${display(expr.operand)} IN (${expr.list.map(display).join(", ")}))`
    case "Between":
      return `(${display(expr.operand)} BETWEEN ${display(expr.low)} AND ${display(expr.high)})`
    case "Call":
      return `${expr.name}(${expr.args.map(display).join(", ")})`
    case "Cast":
      return `cast(${display(expr.operand)} AS ${DataType.display(expr.to)})`
    case "Aggregate":
      return `${expr.fn}(${expr.arg === undefined ? "*" : display(expr.arg)})`
    case "Alias":
      return `${display(expr.operand)} AS ${expr.name}`
  }
}

/** The output name of a projected expression: the alias, the column's name, or the display text. */
export const outputName = (expr: Expr): string =>
  expr._tag === "Alias" ? expr.name : expr._tag === "Column" ? expr.name : display(expr)

/** The direct children of an expression node. */
export const children = (expr: Expr): ReadonlyArray<Expr> => {
  switch (expr._tag) {
    case "Literal":
    case "Column":
      return []
    case "Binary":
      return [expr.left, expr.right]
    case "Unary":
    case "Cast":
    case "Alias":
      return [expr.operand]
    case "Case":
      return [
        ...(expr.operand === undefined ? [] : [expr.operand]),
        ...expr.branches.flatMap((b) => [b.when, b.then]),
        ...(expr.otherwise === undefined ? [] : [expr.otherwise])
      ]
    case "In":
      return [expr.operand, ...expr.list]
    case "Between":
      return [expr.operand, expr.low, expr.high]
    case "Call":
      return expr.args
    case "Aggregate":
      return expr.arg === undefined ? [] : [expr.arg]
  }
}

/** The column names an expression reads. */
export const columnsOf = (expr: Expr): ReadonlyArray<string> => {
  const out = new Set<string>()
  const visit = (e: Expr): void => {
    if (e._tag === "Column") out.add(e.name)
    else children(e).forEach(visit)
  }
  visit(expr)
  return [...out]
}
