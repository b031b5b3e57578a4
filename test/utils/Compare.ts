/**
 * Comparison of an engine result (an Arrow Table) with a reference result: as multisets,
 * or segment by segment when the reference knows the order (a Sort), with a small relative
 * tolerance for Float64 (sum / avg may add in another order). Lists compare as multisets
 * (`collect` order is unspecified).
 */
import * as Arrow from "apache-arrow"
import * as DataType from "../../src/Engine/DataType.js"
import type { ReferenceRows } from "./Reference.js"

/** Rows of a table as JS values: Int64 → bigint, Float64 → number, lists → arrays. */
export interface EngineRows {
  readonly columns: ReadonlyArray<string>
  readonly types: ReadonlyArray<DataType.DataType | undefined>
  readonly rows: ReadonlyArray<ReadonlyArray<unknown>>
}

/** Converts one Arrow value to a plain JS value. */
export const plain = (v: unknown): unknown => {
  if (v === null || v === undefined) return null
  if (v instanceof Arrow.Vector) return [...v].map(plain)
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<unknown>, plain)
  return v
}

/** Reads every row of a table by iterating its columns (test code only). */
export const tableToRows = (table: Arrow.Table): EngineRows => {
  const fields = table.schema.fields
  const vectors = fields.map((_, i) => table.getChildAt(i)!)
  const rows: Array<Array<unknown>> = []
  for (let r = 0; r < table.numRows; r++) rows.push(vectors.map((v) => plain(v.get(r))))
  return { columns: fields.map((f) => f.name), types: fields.map((f) => DataType.fromArrow(f.type)), rows }
}

const relClose = (a: number, b: number, tolerance: number): boolean => {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b)
  if (a === b) return true
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false
  return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(a), Math.abs(b))
}

const canonical = (v: unknown): string => {
  if (v === null) return "N"
  if (typeof v === "bigint") return `i${v}`
  if (typeof v === "number") return Number.isNaN(v) ? "fNaN" : `f${v === 0 ? 0 : v}`
  if (Array.isArray(v)) return `[${v.map(canonical).sort().join(",")}]`
  return `${typeof v}:${JSON.stringify(v)}`
}

/** Value equality: exact types, Float64 within `tolerance`, -0.0 = 0.0, NaN = NaN, lists as multisets. */
export const valueEquals = (a: unknown, b: unknown, tolerance = 1e-9): boolean => {
  if (a === null || b === null) return a === b
  if (typeof a === "number" && typeof b === "number") return relClose(a, b, tolerance)
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false
    const sa = [...a].sort((x, y) => sortKey(x, y))
    const sb = [...b].sort((x, y) => sortKey(x, y))
    return sa.every((x, i) => valueEquals(x, sb[i], tolerance))
  }
  return typeof a === typeof b && a === b
}

const sortKey = (x: unknown, y: unknown): number => {
  if (typeof x === "number" && typeof y === "number") {
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1
    return x - y
  }
  const a = canonical(x)
  const b = canonical(y)
  return a < b ? -1 : a > b ? 1 : 0
}

const rowEquals = (a: ReadonlyArray<unknown>, b: ReadonlyArray<unknown>, tolerance: number) =>
  a.length === b.length && a.every((v, i) => valueEquals(v, b[i], tolerance))

/** Multiset equality of two row lists (greedy matching with tolerance). Returns the unmatched rows. */
export const multisetDiff = (
  expected: ReadonlyArray<ReadonlyArray<unknown>>,
  actual: ReadonlyArray<ReadonlyArray<unknown>>,
  tolerance = 1e-9
): { readonly missing: Array<ReadonlyArray<unknown>>; readonly extra: Array<ReadonlyArray<unknown>> } => {
  const used = new Array<boolean>(actual.length).fill(false)
  // Fast path by canonical key, then tolerant matching for what is left.
  const byKey = new Map<string, Array<number>>()
  actual.forEach((row, i) => {
    const k = row.map(canonical).join("|")
    const list = byKey.get(k)
    if (list) list.push(i)
    else byKey.set(k, [i])
  })
  const missing: Array<ReadonlyArray<unknown>> = []
  const pending: Array<ReadonlyArray<unknown>> = []
  for (const row of expected) {
    const list = byKey.get(row.map(canonical).join("|"))
    const i = list?.pop()
    if (i !== undefined) used[i] = true
    else pending.push(row)
  }
  for (const row of pending) {
    const i = actual.findIndex((a, j) => !used[j] && rowEquals(row, a, tolerance))
    if (i >= 0) used[i] = true
    else missing.push(row)
  }
  return { missing, extra: actual.filter((_, i) => !used[i]) }
}

/** JSON of a value that keeps bigints (`1n`), non-finite numbers and -0 readable. */
export const show = (v: unknown): string =>
  JSON.stringify(v, (_k, x) =>
    typeof x === "bigint"
      ? `${x}n`
      : typeof x === "number" && !Number.isFinite(x)
      ? String(x)
      : Object.is(x, -0)
      ? "-0"
      : x)

/**
 * Compares an engine result with a reference result; returns a description of the first
 * difference, or undefined when they agree under the reference's determinism and order.
 */
export const compare = (reference: ReferenceRows, engine: EngineRows, tolerance = 1e-9): string | undefined => {
  if (reference.determinism === "none") return undefined
  if (reference.determinism === "count") {
    return reference.rows.length === engine.rows.length
      ? undefined
      : `row count: expected ${reference.rows.length}, got ${engine.rows.length}`
  }
  if (show(reference.columns) !== show(engine.columns)) {
    return `columns: expected ${show(reference.columns)}, got ${show(engine.columns)}`
  }
  for (let i = 0; i < reference.columns.length; i++) {
    const expected = reference.types[i]!
    const actual = engine.types[i]
    if (expected._tag === "Null") continue
    if (actual === undefined || !DataType.equals(expected, actual)) {
      return `type of ${reference.columns[i]}: expected ${DataType.display(expected)}, got ${actual === undefined ? "?" : DataType.display(actual)}`
    }
  }
  const expectedRows = reference.rows.map((r) => reference.columns.map((c) => r[c]))
  if (expectedRows.length !== engine.rows.length) {
    return `row count: expected ${expectedRows.length}, got ${engine.rows.length}\nexpected: ${show(expectedRows)}\nactual:   ${show(engine.rows)}`
  }
  const segments = reference.segments ?? expectedRows.map(() => 0)
  let start = 0
  while (start < expectedRows.length) {
    let end = start
    while (end < expectedRows.length && segments[end] === segments[start]) end++
    const { extra, missing } = multisetDiff(expectedRows.slice(start, end), engine.rows.slice(start, end), tolerance)
    if (missing.length > 0 || extra.length > 0) {
      const where = reference.segments === undefined ? "" : ` in sorted positions ${start}..${end - 1}`
      return `rows differ${where}\nmissing: ${show(missing)}\nextra:   ${show(extra)}\nexpected: ${show(expectedRows)}\nactual:   ${show(engine.rows)}`
    }
    start = end
  }
  return undefined
}
