/**
 * Comparison kernels (SEMANTICS §4, §10). Both operands have the same Arrow storage
 * (the evaluator widens Int64 to Float64 first). Orders: numbers numerically with NaN equal
 * to NaN and above every float and -0.0 = 0.0; strings by UTF-8 bytes (= code point
 * order); FALSE < TRUE; dates and timestamps by value. NULL on either side gives NULL.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Column from "./Column.js"
import { andValidity, int32Pairs } from "./internal/bitmap.js"

/** A comparison operator. */
export type CompareOp = "=" | "<>" | "<" | "<=" | ">" | ">="

/** -1, 0 or 1: UTF-8 bytes `x[p, pe)` against `y[q, qe)` (`Column.compareBytes`: code point order). */
const compareBytes = (x: Uint8Array, p: number, pe: number, y: Uint8Array, q: number, qe: number): number => {
  const c = Column.compareBytes(x, p, pe, y, q, qe)
  return c < 0 ? -1 : c > 0 ? 1 : 0
}

/** Three-way comparison of every row: −1, 0 or 1 (NULL rows unspecified). */
export const compareRows = (a: Arrow.Data, b: Arrow.Data): Int8Array => {
  const n = a.length
  const out = new Int8Array(n)
  switch (a.typeId) {
    case Arrow.Type.Float: {
      const x = a.values as Float64Array, y = b.values as Float64Array
      for (let i = 0; i < n; i++) {
        const p = x[i]!, q = y[i]!
        if (p < q) out[i] = -1
        else if (p > q) out[i] = 1
        else if (p === q) out[i] = 0
        else {
          const pn = p !== p, qn = q !== q
          out[i] = pn && qn ? 0 : pn ? 1 : -1
        }
      }
      return out
    }
    case Arrow.Type.Int:
    case Arrow.Type.Timestamp: {
      const x = int32Pairs(a.values as unknown as BigInt64Array), y = int32Pairs(b.values as unknown as BigInt64Array)
      for (let i = 0; i < n; i++) {
        const ah = x[2 * i + 1]!, bh = y[2 * i + 1]!
        if (ah !== bh) out[i] = ah < bh ? -1 : 1
        else {
          const al = x[2 * i]! >>> 0, bl = y[2 * i]! >>> 0
          out[i] = al < bl ? -1 : al > bl ? 1 : 0
        }
      }
      return out
    }
    case Arrow.Type.Date: {
      const x = a.values as Int32Array, y = b.values as Int32Array
      for (let i = 0; i < n; i++) {
        const p = x[i]!, q = y[i]!
        out[i] = p < q ? -1 : p > q ? 1 : 0
      }
      return out
    }
    case Arrow.Type.Bool: {
      const x = Column.boolBits(a as Arrow.Data<Arrow.Bool>), y = Column.boolBits(b as Arrow.Data<Arrow.Bool>)
      for (let i = 0; i < n; i++) {
        const m = 1 << (i & 7)
        out[i] = ((x[i >> 3]! & m) !== 0 ? 1 : 0) - ((y[i >> 3]! & m) !== 0 ? 1 : 0)
      }
      return out
    }
    case Arrow.Type.Utf8: {
      const xo = a.valueOffsets as Int32Array, yo = b.valueOffsets as Int32Array
      const xb = a.values as Uint8Array, yb = b.values as Uint8Array
      for (let i = 0; i < n; i++) out[i] = compareBytes(xb, xo[i]!, xo[i + 1]!, yb, yo[i]!, yo[i + 1]!)
      return out
    }
    default:
      throw new Error(`Compare: unsupported Arrow type ${a.type}`)
  }
}

/** A non-NULL scalar in the storage of the column it is compared with. */
export type Scalar = number | bigint | boolean | Uint8Array

/** Three-way comparison of every row with one scalar: −1, 0 or 1 (NULL rows unspecified). */
export const compareRowsScalar = (a: Arrow.Data, scalar: Scalar): Int8Array => {
  const n = a.length
  const out = new Int8Array(n)
  switch (a.typeId) {
    case Arrow.Type.Float:
      floatScalar(a.values as Float64Array, scalar as number, n, out)
      return out
    case Arrow.Type.Int:
    case Arrow.Type.Timestamp: {
      const v = BigInt.asIntN(64, scalar as bigint)
      int64Scalar(int32Pairs(a.values as unknown as BigInt64Array), Number(v >> 32n) | 0, Number(v & 0xffffffffn) >>> 0, n, out)
      return out
    }
    case Arrow.Type.Date: {
      const x = a.values as Int32Array
      const q = scalar as number
      for (let i = 0; i < n; i++) {
        const p = x[i]!
        out[i] = p < q ? -1 : p > q ? 1 : 0
      }
      return out
    }
    case Arrow.Type.Bool: {
      const x = Column.boolBits(a as Arrow.Data<Arrow.Bool>)
      const q = scalar ? 1 : 0
      for (let i = 0; i < n; i++) out[i] = ((x[i >> 3]! & (1 << (i & 7))) !== 0 ? 1 : 0) - q
      return out
    }
    case Arrow.Type.Utf8:
      utf8Scalar(a.valueOffsets as Int32Array, a.values as Uint8Array, scalar as Uint8Array, n, out)
      return out
    default:
      throw new Error(`Compare: unsupported Arrow type ${a.type}`)
  }
}

const floatScalar = (x: Float64Array, q: number, n: number, out: Int8Array): void => {
  if (q !== q) {
    for (let i = 0; i < n; i++) out[i] = x[i]! !== x[i]! ? 0 : -1
    return
  }
  for (let i = 0; i < n; i++) {
    const p = x[i]!
    out[i] = p < q ? -1 : p > q ? 1 : p === q ? 0 : 1 // the last case: p is NaN
  }
}

const int64Scalar = (x: Int32Array, bh: number, bl: number, n: number, out: Int8Array): void => {
  for (let i = 0; i < n; i++) {
    const ah = x[2 * i + 1]!
    if (ah !== bh) out[i] = ah < bh ? -1 : 1
    else {
      const al = x[2 * i]! >>> 0
      out[i] = al < bl ? -1 : al > bl ? 1 : 0
    }
  }
}

const utf8Scalar = (xo: Int32Array, xb: Uint8Array, yb: Uint8Array, n: number, out: Int8Array): void => {
  for (let i = 0; i < n; i++) out[i] = compareBytes(xb, xo[i]!, xo[i + 1]!, yb, 0, yb.length)
}

/** Bits of the rows of a Utf8 column equal (`equal`) or not equal to `y`: lengths first, then bytes. */
const utf8EqualBits = (xo: Int32Array, xb: Uint8Array, y: Uint8Array, n: number, equal: boolean): Uint8Array => {
  const out = Column.allocBitmap(n)
  const len = y.length
  for (let i = 0; i < n; i++) {
    const p = xo[i]!
    let same = xo[i + 1]! - p === len
    if (same) {
      let k = 0
      while (k < len && xb[p + k] === y[k]) k++
      same = k === len
    }
    if (same === equal) out[i >> 3] = out[i >> 3]! | (1 << (i & 7))
  }
  return out
}

/** The three-way results (bit 0: less, bit 1: equal, bit 2: greater) an operator accepts. */
const acceptOf = (op: CompareOp): number => {
  switch (op) {
    case "=":
      return 0b010
    case "<>":
      return 0b101
    case "<":
      return 0b001
    case "<=":
      return 0b011
    case ">":
      return 0b100
    case ">=":
      return 0b110
  }
}

/** The byte of Int64 rows `i..i+7` (int32 pairs from `2i`): bit k set when row i + k compared with `(bh, bl)` is accepted. */
const int64Byte = (x: Int32Array, i: number, bh: number, bl: number, accept: number): number => {
  let byte = 0
  for (let k = 0; k < 8; k++) {
    // the difference of the high halves, or else of the unsigned low halves, has the comparison's sign (exact in a double)
    const d = (x[2 * (i + k) + 1]! - bh) || ((x[2 * (i + k)]! >>> 0) - bl)
    byte |= ((accept >> (+(d > 0) + +(d >= 0))) & 1) << k
  }
  return byte
}

/** The byte of Int64 rows `i..i+7` (int32 pairs from `2i`): bit k set when row i + k equals `(hi, lo)` (both signed words). */
const int64EqualByte = (x: Int32Array, i: number, hi: number, lo: number): number => {
  let byte = 0
  for (let k = 0; k < 8; k++) {
    const at = 2 * (i + k)
    byte |= (+(x[at]! === lo) & +(x[at + 1]! === hi)) << k
  }
  return byte
}

/**
 * Bits of the Int64 rows (int32 pairs) whose comparison with `(bh, bl)` is accepted (see
 * {@link acceptOf}), 8 rows per byte; the last partial byte is computed by the same code
 * over a padded copy (no separate tail loop to deoptimize the compiled one).
 */
const int64ScalarBits = (x: Int32Array, bh: number, bl: number, n: number, accept: number): Uint8Array => {
  const out = Column.allocBitmap(n)
  const full = n >> 3
  if (accept === 0b010 || accept === 0b101) {
    // = and <>: both halves equal (the low half compared as the signed word it is stored as)
    const lo = bl | 0
    const flip = accept === 0b101 ? 0xff : 0
    for (let b = 0; b < full; b++) out[b] = int64EqualByte(x, b << 3, bh, lo) ^ flip
  } else {
    for (let b = 0; b < full; b++) out[b] = int64Byte(x, b << 3, bh, bl, accept)
  }
  const rest = n & 7
  if (rest !== 0) {
    const tail = new Int32Array(16)
    tail.set(x.subarray(2 * (full << 3), 2 * n))
    out[full] = int64Byte(tail, 0, bh, bl, accept) & ((1 << rest) - 1)
  }
  return out
}

/** The byte of Float64 rows `i..i+7`: bit k set when row i + k compared with `q` is accepted (NaN rows are greater). */
const floatByte = (x: Float64Array, i: number, q: number, accept: number): number => {
  let byte = 0
  for (let k = 0; k < 8; k++) {
    const p = x[i + k]!
    // 0: p < q, 1: p = q, 2: p > q or p is NaN
    byte |= ((accept >> (p < q ? 0 : p === q ? 1 : 2)) & 1) << k
  }
  return byte
}

/** Bits of the Float64 rows whose comparison with `q` (not NaN) is accepted; NaN rows are greater. */
const floatScalarBits = (x: Float64Array, q: number, n: number, accept: number): Uint8Array => {
  const out = Column.allocBitmap(n)
  const full = n >> 3
  for (let b = 0; b < full; b++) out[b] = floatByte(x, b << 3, q, accept)
  const rest = n & 7
  if (rest !== 0) {
    const tail = new Float64Array(8)
    tail.set(x.subarray(full << 3, n))
    out[full] = floatByte(tail, 0, q, accept) & ((1 << rest) - 1)
  }
  return out
}

/** `a op scalar` as a Bool column; NULL where `a` is NULL. */
export const compareScalar = (op: CompareOp, a: Arrow.Data, scalar: Scalar): Arrow.Data<Arrow.Bool> => {
  const n = a.length
  let bits: Uint8Array
  if (a.typeId === Arrow.Type.Utf8 && (op === "=" || op === "<>")) {
    bits = utf8EqualBits(a.valueOffsets as Int32Array, a.values as Uint8Array, scalar as Uint8Array, n, op === "=")
  } else if ((a.typeId === Arrow.Type.Int || a.typeId === Arrow.Type.Timestamp) && a.values instanceof BigInt64Array) {
    const v = BigInt.asIntN(64, scalar as bigint)
    bits = int64ScalarBits(int32Pairs(a.values), Number(v >> 32n) | 0, Number(v & 0xffffffffn) >>> 0, n, acceptOf(op))
  } else if (a.typeId === Arrow.Type.Float && a.values instanceof Float64Array && scalar === scalar) {
    bits = floatScalarBits(a.values, scalar as number, n, acceptOf(op))
  } else bits = bitsOf(op, compareRowsScalar(a, scalar))
  return Column.bool(bits, n, Column.validity(a))
}

/** The operator with its operands swapped (`a < b` ⇔ `b > a`). */
export const flip = (op: CompareOp): CompareOp =>
  op === "<" ? ">" : op === ">" ? "<" : op === "<=" ? ">=" : op === ">=" ? "<=" : op

/** Bits of the rows whose three-way result satisfies `op`. */
export const bitsOf = (op: CompareOp, cmp: Int8Array): Uint8Array => {
  const n = cmp.length
  const out = Column.allocBitmap(n)
  const set = (i: number) => {
    out[i >> 3] = out[i >> 3]! | (1 << (i & 7))
  }
  switch (op) {
    case "=":
      for (let i = 0; i < n; i++) if (cmp[i] === 0) set(i)
      break
    case "<>":
      for (let i = 0; i < n; i++) if (cmp[i] !== 0) set(i)
      break
    case "<":
      for (let i = 0; i < n; i++) if (cmp[i]! < 0) set(i)
      break
    case "<=":
      for (let i = 0; i < n; i++) if (cmp[i]! <= 0) set(i)
      break
    case ">":
      for (let i = 0; i < n; i++) if (cmp[i]! > 0) set(i)
      break
    case ">=":
      for (let i = 0; i < n; i++) if (cmp[i]! >= 0) set(i)
      break
  }
  return out
}

/** `a op b` as a Bool column; NULL where either side is NULL. */
export const compare = (op: CompareOp, a: Arrow.Data, b: Arrow.Data): Arrow.Data<Arrow.Bool> => {
  const n = a.length
  return Column.bool(bitsOf(op, compareRows(a, b)), n, andValidity(Column.validity(a), Column.validity(b), n))
}
