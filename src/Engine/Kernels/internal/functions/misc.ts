/**
 * coalesce, the date parts (year month day), list functions (size, contains_element)
 * and `sim` (cosine similarity).
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as DataType from "../../../DataType.js"
import type { ScalarFunction } from "../../Functions.js"
import * as Column from "../../Column.js"
import { castData, concatData, takeData } from "../batch.js"
import { int32Pairs } from "../bitmap.js"
import { andAll, define, invalidArgument, isNull, mismatch, nullsOf, valid } from "./common.js"
import { codePoints } from "./utf8.js"

const typeOf = (data: Arrow.Data): DataType.DataType => DataType.fromArrow(data.type)!

/** An Int64 column from small integers (|v| < 2^31), written as Int32 pairs. */
const smallInt64 = (values: Int32Array, validity: Uint8Array | null): Arrow.Data => {
  const n = values.length
  const out = new BigInt64Array(n)
  const pairs = int32Pairs(out)
  for (let i = 0; i < n; i++) {
    const v = values[i]!
    pairs[2 * i] = v
    pairs[2 * i + 1] = v < 0 ? -1 : 0
  }
  return Column.int64(out, validity)
}

// ---------------------------------------------------------------------------
// coalesce(a, b, …) — first non-NULL argument; types unify (Int64 → Float64)
// ---------------------------------------------------------------------------

const coalesceType = (args: ReadonlyArray<DataType.DataType>, display: string): DataType.DataType => {
  let result: DataType.DataType = DataType.Null
  for (const t of args) {
    const next = DataType.unify(result, t)
    if (next === undefined) return mismatch(DataType.display(result), t, display)
    result = next
  }
  return result
}

const coalesce = define("coalesce", 1, Infinity, coalesceType, (args, n, display) => {
  const type = coalesceType(args.map(typeOf), display)
  const present = args.filter((a) => !isNull(a)).map((a) => castData(a, type))
  if (present.length === 0) return nullsOf(type, n)
  const validities = present.map(Column.validity)
  if (validities[0] === null || present.length === 1) return present[0]!
  // choice[i] = index into the concatenation of the candidates, or -1 when all are NULL.
  const gather = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    let pick = -1
    for (let k = 0; k < present.length; k++) {
      if (valid(validities[k]!, i)) {
        pick = k * n + i
        break
      }
    }
    gather[i] = pick
  }
  return takeData(concatData(DataType.toArrow(type), present), gather)
})

// ---------------------------------------------------------------------------
// year / month / day of a Date (days) or Timestamp (UTC milliseconds)
// ---------------------------------------------------------------------------

const MS_PER_DAY = 86_400_000

/** Writes the civil year, month and day of `days` since 1970-01-01 (proleptic Gregorian) into `out`. */
export const civilFromDays = (days: number, out: Int32Array): void => {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  out[0] = yoe + era * 400 + (m <= 2 ? 1 : 0)
  out[1] = m
  out[2] = d
}

const datePart = (name: string, part: 0 | 1 | 2): ScalarFunction =>
  define(
    name,
    1,
    1,
    ([t], display) => {
      if (t!._tag !== "Date" && t!._tag !== "Timestamp" && t!._tag !== "Null") mismatch("Date or Timestamp", t!, display)
      return DataType.Int64
    },
    ([x], n) => {
      if (isNull(x!)) return nullsOf(DataType.Int64, n)
      const validity = Column.validity(x!)
      const out = new Int32Array(n)
      const ymd = new Int32Array(3)
      if (x!.typeId === Arrow.Type.Date) {
        const days = castData(x!, DataType.Date).values as Int32Array
        for (let i = 0; i < n; i++) {
          civilFromDays(days[i]!, ymd)
          out[i] = ymd[part]!
        }
      } else {
        const ms = castData(x!, DataType.Timestamp).values as BigInt64Array
        for (let i = 0; i < n; i++) {
          civilFromDays(Math.floor(Number(ms[i]!) / MS_PER_DAY), ymd)
          out[i] = ymd[part]!
        }
      }
      return smallInt64(out, validity)
    }
  )

// ---------------------------------------------------------------------------
// size(list | vector | string) → Int64
// ---------------------------------------------------------------------------

const size = define(
  "size",
  1,
  1,
  ([t], display) => {
    if (t!._tag !== "List" && t!._tag !== "Vector" && t!._tag !== "String" && t!._tag !== "Null") {
      mismatch("List, Vector or String", t!, display)
    }
    return DataType.Int64
  },
  ([x], n) => {
    if (isNull(x!)) return nullsOf(DataType.Int64, n)
    const validity = Column.validity(x!)
    const out = new Int32Array(n)
    if (x!.typeId === Arrow.Type.FixedSizeList) out.fill((x!.type as Arrow.FixedSizeList).listSize)
    else if (x!.typeId === Arrow.Type.List) {
      const o = x!.valueOffsets
      for (let i = 0; i < n; i++) out[i] = o[i + 1]! - o[i]!
    } else {
      const o = x!.valueOffsets, b = x!.values as Uint8Array
      for (let i = 0; i < n; i++) if (valid(validity, i)) out[i] = codePoints(b, o[i]!, o[i + 1]!)
    }
    return smallInt64(out, validity)
  }
)

// ---------------------------------------------------------------------------
// contains_element(list, x) → Bool: TRUE when some element equals x, else FALSE
// (NULL list or NULL x → NULL). Equality as grouping: NaN = NaN, -0.0 = 0.0.
// ---------------------------------------------------------------------------

const isScalar = (t: DataType.DataType): boolean => t._tag !== "List" && t._tag !== "Vector"

const elementType = (args: ReadonlyArray<DataType.DataType>, display: string): DataType.DataType => {
  const [list, x] = args
  if (list!._tag === "Null") return isScalar(x!) ? x! : mismatch("a scalar value", x!, display)
  if (list!._tag !== "List" || !isScalar(list!.element)) return mismatch("List of scalar values", list!, display)
  if (!isScalar(x!)) return mismatch(DataType.display(list!.element), x!, display)
  const unified = DataType.unify(list!.element, x!)
  return unified === undefined ? mismatch(DataType.display(list!.element), x!, display) : unified
}

/** Whether element `j` of `child` equals row `i` of `x` (both non-NULL, same logical type). */
type ElementEquals = (j: number, i: number) => boolean

const elementEquals = (type: DataType.DataType, child: Arrow.Data, x: Arrow.Data): ElementEquals => {
  switch (type._tag) {
    case "Float64": {
      const a = child.values as Float64Array, b = x.values as Float64Array
      return (j, i) => a[j] === b[i] || (a[j] !== a[j] && b[i] !== b[i])
    }
    case "Int64":
    case "Timestamp":
    case "Date": {
      const a = child.values as BigInt64Array | Int32Array, b = x.values as BigInt64Array | Int32Array
      return (j, i) => a[j] === b[i]
    }
    case "Bool": {
      const a = Column.boolBits(child as Arrow.Data<Arrow.Bool>), b = Column.boolBits(x as Arrow.Data<Arrow.Bool>)
      return (j, i) => Column.getBit(a, j) === Column.getBit(b, i)
    }
    case "String": {
      const ao = child.valueOffsets, ab = child.values as Uint8Array
      const bo = x.valueOffsets, bb = x.values as Uint8Array
      return (j, i) => Column.compareBytes(ab, ao[j]!, ao[j + 1]!, bb, bo[i]!, bo[i + 1]!) === 0
    }
    default:
      return () => false
  }
}

const containsElement = define(
  "contains_element",
  2,
  2,
  (args, display) => {
    elementType(args, display)
    return DataType.Bool
  },
  (args, n, display) => {
    if (args.some(isNull)) return nullsOf(DataType.Bool, n)
    const type = elementType(args.map(typeOf), display)
    const list = castData(args[0]!, DataType.List(type))
    const x = castData(args[1]!, type)
    const child = list.children[0]!
    const validity = andAll([list, x], n)
    const childValidity = Column.validity(child)
    const equals = elementEquals(type, child, x)
    const o = list.valueOffsets
    const bits = Column.allocBitmap(n)
    for (let i = 0; i < n; i++) {
      if (!valid(validity, i)) continue
      for (let j = o[i]!, e = o[i + 1]!; j < e; j++) {
        if (valid(childValidity, j) && equals(j, i)) {
          bits[i >> 3] = bits[i >> 3]! | (1 << (i & 7))
          break
        }
      }
    }
    return Column.bool(bits, n, validity)
  }
)

// ---------------------------------------------------------------------------
// sim(a, b) — cosine similarity of two vectors (Vector or List of numbers) → Float64
// ---------------------------------------------------------------------------

const isVectorLike = (t: DataType.DataType): boolean =>
  t._tag === "Null" ||
  t._tag === "Vector" ||
  (t._tag === "List" && (t.element._tag === "Float64" || t.element._tag === "Int64" || t.element._tag === "Null"))

const simType = (args: ReadonlyArray<DataType.DataType>, display: string): DataType.DataType => {
  const [a, b] = args
  if (!isVectorLike(a!)) mismatch("Vector or List<Float64>", a!, display)
  if (!isVectorLike(b!)) mismatch("Vector or List<Float64>", b!, display)
  if (a!._tag === "Vector" && b!._tag === "Vector" && a!.dimension !== b!.dimension) mismatch(DataType.display(a!), b!, display)
  return DataType.Float64
}

/** Row access to a vector-like column: element values, the element range of row i, element validity. */
interface Vectors {
  readonly values: Float32Array | Float64Array
  readonly start: (i: number) => number
  readonly end: (i: number) => number
  readonly elementValidity: Uint8Array | null
}

const vectorsOf = (data: Arrow.Data): Vectors => {
  if (data.typeId === Arrow.Type.FixedSizeList) {
    const size = (data.type as Arrow.FixedSizeList).listSize
    const child = castData(data, DataType.Vector(size)).children[0]!
    return {
      values: child.values as Float32Array,
      start: (i) => i * size,
      end: (i) => (i + 1) * size,
      elementValidity: Column.validity(child)
    }
  }
  const list = castData(data, DataType.List(DataType.Float64))
  const child = list.children[0]!
  const o = list.valueOffsets
  return {
    values: child.values as Float64Array,
    start: (i) => o[i]!,
    end: (i) => o[i + 1]!,
    elementValidity: Column.validity(child)
  }
}

const sim = define("sim", 2, 2, simType, (args, n, display) => {
  if (args.some(isNull)) return nullsOf(DataType.Float64, n)
  const a = vectorsOf(args[0]!), b = vectorsOf(args[1]!)
  const rows = andAll(args, n)
  const validity = Column.allocBitmap(n)
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    if (!valid(rows, i)) continue
    const as = a.start(i), ae = a.end(i), bs = b.start(i), be = b.end(i)
    if (ae - as !== be - bs) {
      return invalidArgument(`sim needs vectors of the same length, got ${ae - as} and ${be - bs} in ${display}`)
    }
    let dot = 0, na = 0, nb = 0
    let ok = true
    for (let k = 0; k < ae - as; k++) {
      if (!valid(a.elementValidity, as + k) || !valid(b.elementValidity, bs + k)) {
        ok = false
        break
      }
      const x = a.values[as + k]!, y = b.values[bs + k]!
      dot += x * y
      na += x * x
      nb += y * y
    }
    if (!ok) continue
    out[i] = dot / (Math.sqrt(na) * Math.sqrt(nb))
    validity[i >> 3] = validity[i >> 3]! | (1 << (i & 7))
  }
  return Column.float64(out, validity)
})

/** coalesce, year, month, day, size, contains_element, sim. */
export const miscFunctions: ReadonlyArray<ScalarFunction> = [
  coalesce,
  datePart("year", 0),
  datePart("month", 1),
  datePart("day", 2),
  size,
  containsElement,
  sim
]
