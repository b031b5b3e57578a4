/**
 * Compares the engine's answer (an Arrow table) with the reference's: as multisets of
 * rows, or in order for sorted queries (rows tied on the sort key compared as a set).
 * `approx` columns (averages) match within a relative tolerance; everything else exactly.
 * Checks run outside the timed sections, so they may use per-row `Vector.get`.
 *
 * @since 0.1.0
 */
import type * as Arrow from "apache-arrow"
import type { BenchQuery } from "./Queries.js"
import type { ReferenceResult, ResultColumn } from "./Reference.js"

/** The outcome of a comparison. */
export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly reason: string }

/** Relative tolerance of `approx` columns. */
export const TOLERANCE = 1e-9

type Value = number | string | null

const normalize = (v: unknown): Value => {
  if (v === null || v === undefined) return null
  if (typeof v === "bigint") return Number(v)
  if (typeof v === "number" || typeof v === "string") return v
  return String(v)
}

/** The values of an engine output column, normalized (Int64 → number). */
export const engineColumn = (table: Arrow.Table, name: string): Array<Value> => {
  const vector = table.getChild(name)
  if (vector === null) {
    throw new Error(`engine output has no column "${name}" (has ${table.schema.fields.map((f) => f.name).join(", ")})`)
  }
  const out = new Array<Value>(table.numRows)
  for (let i = 0; i < table.numRows; i++) out[i] = normalize(vector.get(i))
  return out
}

const close = (a: Value, b: Value): boolean => {
  if (a === null || b === null) return a === b
  if (typeof a !== "number" || typeof b !== "number") return a === b
  return Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b))
}

interface Rows {
  readonly keys: Array<string>
  readonly approx: Array<Array<Value>>
}

const rowsOf = (columns: ReadonlyArray<ResultColumn>, compare: ReadonlyArray<"exact" | "approx">, n: number): Rows => {
  const keys: Array<string> = []
  const approx: Array<Array<Value>> = []
  for (let i = 0; i < n; i++) {
    const exactPart: Array<Value> = []
    const approxPart: Array<Value> = []
    columns.forEach((c, j) => (compare[j] === "exact" ? exactPart : approxPart).push(c[i] ?? null))
    keys.push(JSON.stringify(exactPart))
    approx.push(approxPart)
  }
  return { keys, approx }
}

const sortedRows = (rows: Rows): Rows => {
  const order = rows.keys.map((_, i) => i).sort((a, b) => (rows.keys[a]! < rows.keys[b]! ? -1 : rows.keys[a]! > rows.keys[b]! ? 1 : 0))
  return { keys: order.map((i) => rows.keys[i]!), approx: order.map((i) => rows.approx[i]!) }
}

const describeRow = (rows: Rows, i: number): string =>
  rows.keys[i] === undefined ? "(none)" : `${rows.keys[i]}${rows.approx[i]!.length > 0 ? ` ~${JSON.stringify(rows.approx[i])}` : ""}`

/** Compares the engine's table with the reference result of `query`. */
export const check = (query: BenchQuery, table: Arrow.Table, reference: ReferenceResult): CheckResult => {
  if (table.numRows !== reference.rows) {
    return { ok: false, reason: `row count: engine ${table.numRows}, reference ${reference.rows}` }
  }
  const compare = query.columns.map((c) => c.compare)
  const engine = rowsOf(query.columns.map((c) => engineColumn(table, c.engine)), compare, table.numRows)
  const referenceColumns = query.columns.map((c) => {
    const column = reference.columns[c.reference]
    if (column === undefined) throw new Error(`reference has no column ${c.reference}`)
    return column()
  })
  const expected = rowsOf(referenceColumns, compare, reference.rows)

  if (query.ordered !== undefined) {
    const tieIndex = query.columns.findIndex((c) => c.engine === query.ordered!.tieColumn)
    const tie = referenceColumns[tieIndex]!
    const engineTie = engineColumn(table, query.ordered.tieColumn)
    let start = 0
    while (start < reference.rows) {
      let end = start + 1
      while (end < reference.rows && tie[end] === tie[start]) end++
      for (let i = start; i < end; i++) {
        if (engineTie[i] !== tie[start]) {
          return { ok: false, reason: `row ${i}: sort key engine ${engineTie[i]}, reference ${tie[start]}` }
        }
      }
      const a = sortedRows({ keys: engine.keys.slice(start, end), approx: engine.approx.slice(start, end) })
      const b = sortedRows({ keys: expected.keys.slice(start, end), approx: expected.approx.slice(start, end) })
      for (let i = 0; i < a.keys.length; i++) {
        if (a.keys[i] !== b.keys[i] || !a.approx[i]!.every((v, j) => close(v, b.approx[i]![j]!))) {
          return { ok: false, reason: `rows ${start}..${end - 1}: engine ${describeRow(a, i)}, reference ${describeRow(b, i)}` }
        }
      }
      start = end
    }
    return { ok: true }
  }

  const a = sortedRows(engine)
  const b = sortedRows(expected)
  for (let i = 0; i < a.keys.length; i++) {
    if (a.keys[i] !== b.keys[i] || !a.approx[i]!.every((v, j) => close(v, b.approx[i]![j]!))) {
      return { ok: false, reason: `first differing row (sorted): engine ${describeRow(a, i)}, reference ${describeRow(b, i)}` }
    }
  }
  return { ok: true }
}
