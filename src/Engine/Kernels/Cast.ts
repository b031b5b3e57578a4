/**
 * Explicit conversions `cast(x AS type)` (SEMANTICS §4).
 *
 * - Int64 → Float64 widens; Float64 → Int64 truncates toward zero, and a value outside
 *   the Int64 range (or NaN, ±Infinity) is `ArithmeticOverflow`.
 * - String → Int64 / Float64 / Bool / Date / Timestamp parses; an unparsable string is NULL.
 * - Anything scalar → String formats (Int64 without `n`, integral floats as `1.0`, dates as
 *   `YYYY-MM-DD`, timestamps as ISO-8601, booleans as `true` / `false`).
 * - Bool ↔ numbers (TRUE = 1, non-zero = TRUE); Date ↔ Timestamp; List<A> → List<B>
 *   element-wise; NULL (the Null type) → any type.
 * - Any other pair is a `TypeMismatch`.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as DataType from "../DataType.js"
import { ArithmeticOverflow, TypeMismatch } from "../ExecutionError.js"
import * as Column from "./Column.js"
import { castData, nullData } from "./internal/batch.js"
import { fail } from "./internal/failure.js"
import { Utf8Writer } from "./internal/strings.js"

const scalar = new Set(["Bool", "Int64", "Float64", "String", "Date", "Timestamp"])

/** Whether `cast(from AS to)` is defined. */
export const canCast = (from: DataType.DataType, to: DataType.DataType): boolean => {
  if (from._tag === "Null" || DataType.equals(from, to)) return true
  if (from._tag === "List" && to._tag === "List") return canCast(from.element, to.element)
  if (!scalar.has(from._tag) || !scalar.has(to._tag)) return false
  if (to._tag === "String" || from._tag === "String") return true
  const numeric = (t: string) => t === "Int64" || t === "Float64" || t === "Bool"
  const temporal = (t: string) => t === "Date" || t === "Timestamp"
  return (numeric(from._tag) && numeric(to._tag)) || (temporal(from._tag) && temporal(to._tag))
}

const DAY = 86400000
const decoder = new TextDecoder()

/** The text of a Float64 as Grism prints it: integral values keep a `.0`. */
export const formatFloat = (x: number): string => {
  if (Object.is(x, -0)) return "-0.0"
  const s = String(x)
  return Number.isFinite(x) && !s.includes(".") && !s.includes("e") ? `${s}.0` : s
}

/** `YYYY-MM-DD` of a day number. */
export const formatDate = (days: number): string => {
  const date = new Date(days * DAY)
  return Number.isNaN(date.getTime()) ? String(days) : date.toISOString().slice(0, 10)
}

/** ISO-8601 text of a millisecond timestamp (the raw number when outside the JS date range). */
export const formatTimestamp = (ms: number): string => {
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString()
}

const validAt = (validity: Uint8Array | null, i: number): boolean =>
  validity === null || (validity[i >> 3]! & (1 << (i & 7))) !== 0

const toString = (data: Arrow.Data, from: DataType.DataType): Arrow.Data => {
  const n = data.length
  const validity = Column.validity(data)
  const w = new Utf8Writer(n)
  switch (from._tag) {
    case "Int64":
    case "Timestamp": {
      const v = data.values as unknown as BigInt64Array
      for (let i = 0; i < n; i++) {
        if (!validAt(validity, i)) w.pushEmpty()
        else w.push(from._tag === "Int64" ? v[i]!.toString() : formatTimestamp(Number(v[i]!)))
      }
      break
    }
    case "Float64": {
      const v = data.values as Float64Array
      for (let i = 0; i < n; i++) validAt(validity, i) ? w.push(formatFloat(v[i]!)) : w.pushEmpty()
      break
    }
    case "Date": {
      const v = data.values as Int32Array
      for (let i = 0; i < n; i++) validAt(validity, i) ? w.push(formatDate(v[i]!)) : w.pushEmpty()
      break
    }
    case "Bool": {
      const bits = Column.boolBits(data as Arrow.Data<Arrow.Bool>)
      for (let i = 0; i < n; i++) validAt(validity, i) ? w.push(Column.getBit(bits, i) ? "true" : "false") : w.pushEmpty()
      break
    }
    default:
      break
  }
  return w.finish(validity)
}

const INT_RE = /^[+-]?\d+$/
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/

const parseInt64 = (s: string): bigint | null => {
  const t = s.trim()
  if (!INT_RE.test(t)) return null
  const v = BigInt(t)
  return v > 9223372036854775807n || v < -9223372036854775808n ? null : v
}

const parseFloat64 = (s: string): number | null => {
  const t = s.trim()
  if (FLOAT_RE.test(t)) return Number(t)
  const l = t.toLowerCase()
  if (l === "nan") return NaN
  if (l === "infinity" || l === "+infinity" || l === "inf" || l === "+inf") return Infinity
  if (l === "-infinity" || l === "-inf") return -Infinity
  return null
}

const parseBool = (s: string): boolean | null => {
  const l = s.trim().toLowerCase()
  return l === "true" ? true : l === "false" ? false : null
}

const parseDate = (s: string): number | null => {
  const m = DATE_RE.exec(s.trim())
  if (m === null) return null
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  const d = new Date(ms)
  if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return null
  return Math.floor(ms / DAY)
}

const parseTimestamp = (s: string): number | null => {
  const t = s.trim()
  if (t === "") return null
  const ms = Date.parse(t)
  return Number.isNaN(ms) ? null : ms
}

const fromString = (data: Arrow.Data<Arrow.Utf8>, to: DataType.DataType): Arrow.Data => {
  const n = data.length
  const inValid = Column.validity(data)
  const validity = Column.allocBitmap(n)
  const offsets = data.valueOffsets
  const bytes = data.values
  const text = (i: number) => decoder.decode(bytes.subarray(offsets[i]!, offsets[i + 1]!))
  switch (to._tag) {
    case "Int64":
    case "Timestamp": {
      const out = new BigInt64Array(n)
      for (let i = 0; i < n; i++) {
        if (!validAt(inValid, i)) continue
        if (to._tag === "Int64") {
          const v = parseInt64(text(i))
          if (v !== null) (out[i] = v), Column.setBit(validity, i)
        } else {
          const v = parseTimestamp(text(i))
          if (v !== null) (out[i] = BigInt(v)), Column.setBit(validity, i)
        }
      }
      return to._tag === "Int64" ? Column.int64(out, validity) : Column.timestamp(out, validity)
    }
    case "Float64": {
      const out = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        if (!validAt(inValid, i)) continue
        const v = parseFloat64(text(i))
        if (v !== null) (out[i] = v), Column.setBit(validity, i)
      }
      return Column.float64(out, validity)
    }
    case "Date": {
      const out = new Int32Array(n)
      for (let i = 0; i < n; i++) {
        if (!validAt(inValid, i)) continue
        const v = parseDate(text(i))
        if (v !== null) (out[i] = v), Column.setBit(validity, i)
      }
      return Column.dateDay(out, validity)
    }
    case "Bool": {
      const out = Column.allocBitmap(n)
      for (let i = 0; i < n; i++) {
        if (!validAt(inValid, i)) continue
        const v = parseBool(text(i))
        if (v !== null) {
          if (v) Column.setBit(out, i)
          Column.setBit(validity, i)
        }
      }
      return Column.bool(out, n, validity)
    }
    default:
      return data
  }
}

const floatToInt64 = (data: Arrow.Data<Arrow.Float64>, display: string): Arrow.Data => {
  const n = data.length
  const validity = Column.validity(data)
  const v = data.values
  const out = new BigInt64Array(n)
  for (let i = 0; i < n; i++) {
    if (!validAt(validity, i)) continue
    const x = v[i]!
    // 2^63 is exactly representable; every double below it converts without overflow
    if (!(x < 9223372036854775808 && x >= -9223372036854775808)) fail(new ArithmeticOverflow({ expression: display }))
    out[i] = BigInt(Math.trunc(x))
  }
  return Column.int64(out, validity)
}

const boolToNumber = (data: Arrow.Data<Arrow.Bool>, to: "Int64" | "Float64"): Arrow.Data => {
  const n = data.length
  const bits = Column.boolBits(data)
  const validity = Column.validity(data)
  if (to === "Int64") {
    const out = new BigInt64Array(n)
    for (let i = 0; i < n; i++) if (Column.getBit(bits, i)) out[i] = 1n
    return Column.int64(out, validity)
  }
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) if (Column.getBit(bits, i)) out[i] = 1
  return Column.float64(out, validity)
}

const numberToBool = (data: Arrow.Data, from: "Int64" | "Float64"): Arrow.Data => {
  const n = data.length
  const out = Column.allocBitmap(n)
  if (from === "Int64") {
    const v = data.values as unknown as BigInt64Array
    for (let i = 0; i < n; i++) if (v[i] !== 0n) Column.setBit(out, i)
  } else {
    const v = data.values as Float64Array
    for (let i = 0; i < n; i++) if (v[i] !== 0) Column.setBit(out, i)
  }
  return Column.bool(out, n, Column.validity(data))
}

/**
 * Casts a column (in Grism's canonical storage for `from`) to `to`. Throws a kernel
 * failure (`TypeMismatch`, `ArithmeticOverflow`) naming `display`.
 */
export const cast = (data: Arrow.Data, from: DataType.DataType, to: DataType.DataType, display: string): Arrow.Data => {
  if (DataType.equals(from, to)) return data
  if (from._tag === "Null") return nullData(DataType.toArrow(to), data.length)
  if (!canCast(from, to)) {
    return fail(new TypeMismatch({ expected: `a type castable to ${DataType.display(to)}`, actual: DataType.display(from), expression: display }))
  }
  if (to._tag === "String") return toString(data, from)
  if (from._tag === "String") return fromString(data as Arrow.Data<Arrow.Utf8>, to)
  if (from._tag === "List" && to._tag === "List") {
    const child = cast(data.children[0]!, from.element, to.element, display)
    return Arrow.makeData({
      type: DataType.toArrow(to) as Arrow.List,
      length: data.length,
      valueOffsets: data.valueOffsets,
      child,
      nullBitmap: Column.validity(data) ?? undefined,
      nullCount: data.nullCount
    } as any) as Arrow.Data
  }
  switch (`${from._tag}->${to._tag}`) {
    case "Int64->Float64":
      return castData(data, to)
    case "Float64->Int64":
      return floatToInt64(data as Arrow.Data<Arrow.Float64>, display)
    case "Bool->Int64":
    case "Bool->Float64":
      return boolToNumber(data as Arrow.Data<Arrow.Bool>, to._tag as "Int64" | "Float64")
    case "Int64->Bool":
    case "Float64->Bool":
      return numberToBool(data, from._tag as "Int64" | "Float64")
    case "Date->Timestamp": {
      const v = data.values as Int32Array
      const out = new BigInt64Array(data.length)
      for (let i = 0; i < data.length; i++) out[i] = BigInt(v[i]!) * 86400000n
      return Column.timestamp(out, Column.validity(data))
    }
    case "Timestamp->Date": {
      const v = data.values as unknown as BigInt64Array
      const out = new Int32Array(data.length)
      for (let i = 0; i < data.length; i++) out[i] = Math.floor(Number(v[i]!) / DAY)
      return Column.dateDay(out, Column.validity(data))
    }
    default:
      return fail(new TypeMismatch({ expected: `a type castable to ${DataType.display(to)}`, actual: DataType.display(from), expression: display }))
  }
}
