/**
 * Boolean kernels with Kleene three-valued logic (SEMANTICS §4), computed on bitmaps a
 * byte (8 rows) at a time. A Null-typed operand is an all-NULL Bool.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Column from "./Column.js"
import { byteLength, clearTail } from "./internal/bitmap.js"

interface Tri {
  /** Bits of TRUE rows. */
  readonly t: Uint8Array
  /** Bits of FALSE rows. */
  readonly f: Uint8Array
}

const tri = (data: Arrow.Data): Tri => {
  const n = data.length
  const bytes = byteLength(n)
  const t = Column.allocBitmap(n)
  const f = Column.allocBitmap(n)
  if (data.typeId === Arrow.Type.Null) return { t, f }
  const bits = Column.boolBits(data as Arrow.Data<Arrow.Bool>)
  const valid = Column.validity(data)
  if (valid === null) for (let k = 0; k < bytes; k++) {
    t[k] = bits[k]!
    f[k] = ~bits[k]! & 0xff
  }
  else for (let k = 0; k < bytes; k++) {
    t[k] = bits[k]! & valid[k]!
    f[k] = ~bits[k]! & valid[k]!
  }
  clearTail(t, n)
  clearTail(f, n)
  return { t, f }
}

const fromTri = (t: Uint8Array, f: Uint8Array, length: number): Arrow.Data<Arrow.Bool> => {
  const bytes = byteLength(length)
  const valid = Column.allocBitmap(length)
  let allValid = true
  for (let k = 0; k < bytes; k++) {
    valid[k] = t[k]! | f[k]!
  }
  clearTail(valid, length)
  for (let k = 0; k < (length >> 3); k++) if (valid[k] !== 0xff) {
    allValid = false
    break
  }
  if (allValid) for (let i = length & ~7; i < length; i++) if ((valid[i >> 3]! & (1 << (i & 7))) === 0) allValid = false
  return Column.bool(t, length, allValid ? null : valid)
}

/** Both operands' value bits when neither has a NULL row (two-valued logic applies), else undefined. */
const bothValid = (a: Arrow.Data, b: Arrow.Data): readonly [Uint8Array, Uint8Array] | undefined =>
  a.typeId === Arrow.Type.Bool && b.typeId === Arrow.Type.Bool && Column.validity(a) === null && Column.validity(b) === null
    ? [Column.boolBits(a as Arrow.Data<Arrow.Bool>), Column.boolBits(b as Arrow.Data<Arrow.Bool>)]
    : undefined

/** Kleene AND: FALSE if either is FALSE, else NULL if either is NULL, else TRUE. */
export const and = (a: Arrow.Data, b: Arrow.Data): Arrow.Data<Arrow.Bool> => {
  const n = a.length
  const plain = bothValid(a, b)
  if (plain !== undefined) {
    const [p, q] = plain
    const out = Column.allocBitmap(n)
    for (let k = 0, bytes = byteLength(n); k < bytes; k++) out[k] = p[k]! & q[k]!
    return Column.bool(clearTail(out, n), n)
  }
  const x = tri(a), y = tri(b)
  const bytes = byteLength(n)
  const t = Column.allocBitmap(n), f = Column.allocBitmap(n)
  for (let k = 0; k < bytes; k++) {
    t[k] = x.t[k]! & y.t[k]!
    f[k] = x.f[k]! | y.f[k]!
  }
  return fromTri(t, f, n)
}

/** Kleene OR: TRUE if either is TRUE, else NULL if either is NULL, else FALSE. */
export const or = (a: Arrow.Data, b: Arrow.Data): Arrow.Data<Arrow.Bool> => {
  const n = a.length
  const plain = bothValid(a, b)
  if (plain !== undefined) {
    const [p, q] = plain
    const out = Column.allocBitmap(n)
    for (let k = 0, bytes = byteLength(n); k < bytes; k++) out[k] = p[k]! | q[k]!
    return Column.bool(clearTail(out, n), n)
  }
  const x = tri(a), y = tri(b)
  const bytes = byteLength(n)
  const t = Column.allocBitmap(n), f = Column.allocBitmap(n)
  for (let k = 0; k < bytes; k++) {
    t[k] = x.t[k]! | y.t[k]!
    f[k] = x.f[k]! & y.f[k]!
  }
  return fromTri(t, f, n)
}

/** Kleene NOT: NULL stays NULL. */
export const not = (a: Arrow.Data): Arrow.Data<Arrow.Bool> => {
  const x = tri(a)
  return fromTri(x.f, x.t, a.length)
}

/** `IS NULL` (never NULL). */
export const isNull = (a: Arrow.Data): Arrow.Data<Arrow.Bool> => {
  const n = a.length
  const valid = Column.validity(a)
  const out = Column.allocBitmap(n)
  if (valid !== null) for (let k = 0; k < byteLength(n); k++) out[k] = ~valid[k]! & 0xff
  return Column.bool(clearTail(out, n), n)
}

/** `IS NOT NULL` (never NULL). */
export const isNotNull = (a: Arrow.Data): Arrow.Data<Arrow.Bool> => {
  const n = a.length
  const valid = Column.validity(a)
  const out = valid === null ? Column.allSetBitmap(n) : Column.allocBitmap(n)
  if (valid !== null) for (let k = 0; k < byteLength(n); k++) out[k] = valid[k]!
  return Column.bool(clearTail(out, n), n)
}

/** A constant Bool column. */
export const constant = (value: boolean, length: number): Arrow.Data<Arrow.Bool> =>
  Column.bool(value ? Column.allSetBitmap(length) : Column.allocBitmap(length), length)
