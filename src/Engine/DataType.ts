/**
 * Logical data types of Grism (SEMANTICS §2) and their Arrow mapping.
 *
 * A `DataType` is plain, serializable data: it travels inside plans to workers.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Schema from "effect/Schema"

/** The type of a value that is always NULL (a NULL literal, an all-NULL property). */
export class NullType extends Schema.TaggedClass<NullType>()("Null", {}) {}
/** Boolean. */
export class BoolType extends Schema.TaggedClass<BoolType>()("Bool", {}) {}
/** 64-bit signed integer; values are `bigint` in JavaScript. */
export class Int64Type extends Schema.TaggedClass<Int64Type>()("Int64", {}) {}
/** IEEE 754 double. */
export class Float64Type extends Schema.TaggedClass<Float64Type>()("Float64", {}) {}
/** UTF-8 string, ordered by Unicode code point. */
export class StringType extends Schema.TaggedClass<StringType>()("String", {}) {}
/** Calendar date, days since the Unix epoch. */
export class DateType extends Schema.TaggedClass<DateType>()("Date", {}) {}
/** UTC timestamp in milliseconds. */
export class TimestampType extends Schema.TaggedClass<TimestampType>()("Timestamp", {}) {}
/** A fixed-size vector of Float32 (embeddings). */
export class VectorType extends Schema.TaggedClass<VectorType>()("Vector", { dimension: Schema.Int }) {}

/** A variable-length list of `element`. */
export class ListType extends Schema.TaggedClass<ListType>()("List", {
  element: Schema.suspend((): Schema.Schema<DataType, DataTypeEncoded> => DataType)
}) {}

/** The logical data type of a column or expression. */
export type DataType =
  | NullType
  | BoolType
  | Int64Type
  | Float64Type
  | StringType
  | DateType
  | TimestampType
  | VectorType
  | ListType

/** The JSON form of a {@link DataType}. */
export type DataTypeEncoded =
  | { readonly _tag: "Null" | "Bool" | "Int64" | "Float64" | "String" | "Date" | "Timestamp" }
  | { readonly _tag: "Vector"; readonly dimension: number }
  | { readonly _tag: "List"; readonly element: DataTypeEncoded }

/** Schema of {@link DataType}; round-trips through JSON. */
export const DataType: Schema.Schema<DataType, DataTypeEncoded> = Schema.Union(
  NullType,
  BoolType,
  Int64Type,
  Float64Type,
  StringType,
  DateType,
  TimestampType,
  VectorType,
  ListType
) as any

/** Shared instances of the parameterless types. */
export const Null = new NullType()
export const Bool = new BoolType()
export const Int64 = new Int64Type()
export const Float64 = new Float64Type()
export const String = new StringType()
export const Date = new DateType()
export const Timestamp = new TimestampType()
/** A list type. */
export const List = (element: DataType): ListType => new ListType({ element })
/** A vector type of the given dimension. */
export const Vector = (dimension: number): VectorType => new VectorType({ dimension })

/** Readable form: `Int64`, `List<String>`, `Vector(3)`. */
export const display = (type: DataType): string => {
  switch (type._tag) {
    case "List":
      return `List<${display(type.element)}>`
    case "Vector":
      return `Vector(${type.dimension})`
    default:
      return type._tag
  }
}

/** Structural equality of two types. */
export const equals = (a: DataType, b: DataType): boolean => {
  if (a._tag !== b._tag) return false
  if (a._tag === "List") return equals(a.element, (b as ListType).element)
  if (a._tag === "Vector") return a.dimension === (b as VectorType).dimension
  return true
}

/** Int64 or Float64. */
export const isNumeric = (type: DataType): boolean => type._tag === "Int64" || type._tag === "Float64"

/** Types that have an order (sort keys, min/max, comparisons other than equality). Lists and vectors do not. */
export const isOrderable = (type: DataType): boolean => type._tag !== "List" && type._tag !== "Vector"

/**
 * The common type of two types under Grism's implicit conversions (SEMANTICS §2):
 * equal types unify to themselves, Null unifies with anything, Int64 + Float64 → Float64.
 * Returns `undefined` when the types are incompatible.
 */
export const unify = (a: DataType, b: DataType): DataType | undefined => {
  if (a._tag === "Null") return b
  if (b._tag === "Null") return a
  if (equals(a, b)) return a
  if (isNumeric(a) && isNumeric(b)) return Float64
  if (a._tag === "List" && b._tag === "List") {
    const element = unify(a.element, b.element)
    return element === undefined ? undefined : List(element)
  }
  return undefined
}

/** The Arrow type used to store a column of this logical type. */
export const toArrow = (type: DataType): Arrow.DataType => {
  switch (type._tag) {
    case "Null":
      return new Arrow.Null()
    case "Bool":
      return new Arrow.Bool()
    case "Int64":
      return new Arrow.Int64()
    case "Float64":
      return new Arrow.Float64()
    case "String":
      return new Arrow.Utf8()
    case "Date":
      return new Arrow.DateDay()
    case "Timestamp":
      return new Arrow.TimestampMillisecond()
    case "Vector":
      return new Arrow.FixedSizeList(type.dimension, new Arrow.Field("item", new Arrow.Float32(), true))
    case "List":
      return new Arrow.List(new Arrow.Field("item", toArrow(type.element), true))
  }
}

/**
 * The logical type of an Arrow type, or `undefined` when Grism has no such type.
 * Narrower integer and float types map to Int64 / Float64; dictionary-encoded
 * strings map to String.
 */
export const fromArrow = (type: Arrow.DataType): DataType | undefined => {
  switch (type.typeId) {
    case Arrow.Type.Null:
      return Null
    case Arrow.Type.Bool:
      return Bool
    case Arrow.Type.Int:
      return Int64
    case Arrow.Type.Float:
      return Float64
    case Arrow.Type.Utf8:
    case Arrow.Type.LargeUtf8:
      return String
    case Arrow.Type.Date:
      return Date
    case Arrow.Type.Timestamp:
      return Timestamp
    case Arrow.Type.Dictionary:
      return fromArrow((type as Arrow.Dictionary).dictionary)
    case Arrow.Type.FixedSizeList: {
      const list = type as Arrow.FixedSizeList
      return list.children[0]!.type.typeId === Arrow.Type.Float ? Vector(list.listSize) : undefined
    }
    case Arrow.Type.List: {
      const element = fromArrow((type as Arrow.List).children[0]!.type)
      return element === undefined ? undefined : List(element)
    }
    default:
      return undefined
  }
}
