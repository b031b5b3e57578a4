/**
 * The speed-of-light reference: the seven benchmark queries hand-written over typed
 * arrays. Loading precomputes what an engine could (dense ordinals, dictionary codes for
 * the string keys, CSR adjacency with edge properties in CSR order); every query then runs
 * as plain loops and materializes its output columns (names are gathered as UTF-8 bytes).
 *
 * The reference reads the same Arrow tables the engine is loaded from.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import type { SocialGraph } from "./SocialGraph.js"

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

/** A Utf8 column's buffers. */
export interface Utf8Buffers {
  readonly offsets: Int32Array
  readonly bytes: Uint8Array
}

/** A string column dictionary-encoded at load. */
export interface Dictionary {
  readonly values: ReadonlyArray<string>
  readonly codes: Int32Array
}

/** CSR adjacency over dense node ordinals. */
export interface Csr {
  readonly offsets: Int32Array
  readonly neighbours: Int32Array
  /** The edge's row in its table. */
  readonly edges: Int32Array
}

/** The reference's in-memory layout. */
export interface ReferenceGraph {
  readonly persons: number
  readonly personId: Float64Array
  readonly name: Utf8Buffers
  readonly age: Int32Array
  readonly city: Dictionary
  readonly score: Float64Array
  /** 1 where score is non-NULL. */
  readonly scoreValid: Uint8Array
  readonly knows: Csr
  /** KNOWS `since` in CSR order. */
  readonly since: Int32Array
  readonly companies: number
  readonly country: Dictionary
  /** WORKS_AT person ordinal → company ordinal. */
  readonly worksAt: Csr
}

const onlyData = (table: Arrow.Table, name: string): Arrow.Data => {
  const vector = table.getChild(name)
  if (vector === null) throw new Error(`missing column ${name}`)
  if (vector.data.length !== 1) throw new Error(`column ${name}: expected one chunk`)
  return vector.data[0]!
}

/** Small non-negative Int64 values as Int32 (low halves). */
const int64AsInt32 = (data: Arrow.Data): Int32Array => {
  const values = data.values as BigInt64Array
  const halves = new Int32Array(values.buffer, values.byteOffset, values.length * 2)
  const out = new Int32Array(data.length)
  for (let i = 0; i < out.length; i++) out[i] = halves[2 * i]!
  return out
}

const int64AsFloat64 = (data: Arrow.Data): Float64Array => {
  const values = data.values as BigInt64Array
  const halves = new Int32Array(values.buffer, values.byteOffset, values.length * 2)
  const out = new Float64Array(data.length)
  for (let i = 0; i < out.length; i++) out[i] = halves[2 * i + 1]! * 4294967296 + (halves[2 * i]! >>> 0)
  return out
}

const utf8 = (data: Arrow.Data): Utf8Buffers => ({
  offsets: data.valueOffsets as Int32Array,
  bytes: data.values as Uint8Array
})

/** Dictionary-encodes a Utf8 column by hashing its bytes (FNV-1a) into an open-addressing table of codes. */
const dictionaryEncode = (data: Arrow.Data): Dictionary => {
  const { offsets, bytes } = utf8(data)
  const decoder = new TextDecoder()
  const values: Array<string> = []
  const starts: Array<number> = []
  const ends: Array<number> = []
  const slots = new Int32Array(1024).fill(-1)
  const codes = new Int32Array(data.length)
  for (let i = 0; i < data.length; i++) {
    const s = offsets[i]!
    const e = offsets[i + 1]!
    let h = 0x811c9dc5
    for (let p = s; p < e; p++) h = Math.imul(h ^ bytes[p]!, 0x01000193)
    let slot = (h >>> 0) & 1023
    for (;;) {
      const code = slots[slot]!
      if (code === -1) {
        if (values.length >= 512) throw new Error("dictionary too large")
        slots[slot] = values.length
        codes[i] = values.length
        values.push(decoder.decode(bytes.subarray(s, e)))
        starts.push(s)
        ends.push(e)
        break
      }
      const cs = starts[code]!
      const ce = ends[code]!
      let same = ce - cs === e - s
      for (let p = 0; same && p < e - s; p++) same = bytes[cs + p] === bytes[s + p]
      if (same) {
        codes[i] = code
        break
      }
      slot = (slot + 1) & 1023
    }
  }
  return { values, codes }
}

/** Dense ordinals of the ids of a table whose ids lie in a small range. */
const ordinalsOfIds = (ids: Float64Array): { readonly min: number; readonly ordinal: Int32Array } => {
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < ids.length; i++) {
    if (ids[i]! < min) min = ids[i]!
    if (ids[i]! > max) max = ids[i]!
  }
  if (ids.length === 0) return { min: 0, ordinal: new Int32Array(0) }
  if (max - min > 4 * ids.length + 1024) throw new Error("reference expects dense ids")
  const ordinal = new Int32Array(max - min + 1).fill(-1)
  for (let i = 0; i < ids.length; i++) ordinal[ids[i]! - min] = i
  return { min, ordinal }
}

/** CSR by counting sort of (source ordinal, edge row); neighbours are target ordinals. */
const buildCsr = (nodes: number, source: Int32Array, target: Int32Array): Csr => {
  const offsets = new Int32Array(nodes + 1)
  for (let k = 0; k < source.length; k++) offsets[source[k]! + 1]++
  for (let i = 0; i < nodes; i++) offsets[i + 1] += offsets[i]!
  const cursor = offsets.slice(0, nodes)
  const neighbours = new Int32Array(source.length)
  const edges = new Int32Array(source.length)
  for (let k = 0; k < source.length; k++) {
    const pos = cursor[source[k]!]!++
    neighbours[pos] = target[k]!
    edges[pos] = k
  }
  return { offsets, neighbours, edges }
}

const mapIds = (ids: Float64Array, min: number, ordinal: Int32Array): Int32Array => {
  const out = new Int32Array(ids.length)
  for (let i = 0; i < ids.length; i++) {
    const o = ordinal[ids[i]! - min]
    if (o === undefined || o < 0) throw new Error(`unknown node id ${ids[i]}`)
    out[i] = o
  }
  return out
}

/** Builds the reference layout from the generated Arrow tables. */
export const load = (graph: SocialGraph): ReferenceGraph => {
  const p = graph.persons
  const personId = int64AsFloat64(onlyData(p, "_id"))
  const scoreData = onlyData(p, "score")
  const persons = p.numRows
  const scoreValid = new Uint8Array(persons)
  const bitmap = scoreData.nullBitmap
  if (scoreData.nullCount === 0 || bitmap === undefined || bitmap.length === 0) scoreValid.fill(1)
  else for (let i = 0; i < persons; i++) scoreValid[i] = (bitmap[(i + scoreData.offset) >> 3]! >> ((i + scoreData.offset) & 7)) & 1

  const personOrd = ordinalsOfIds(personId)
  const companyId = int64AsFloat64(onlyData(graph.companies, "_id"))
  const companyOrd = ordinalsOfIds(companyId)

  const kSource = mapIds(int64AsFloat64(onlyData(graph.knows, "source")), personOrd.min, personOrd.ordinal)
  const kTarget = mapIds(int64AsFloat64(onlyData(graph.knows, "target")), personOrd.min, personOrd.ordinal)
  const knows = buildCsr(persons, kSource, kTarget)
  const sinceByRow = int64AsInt32(onlyData(graph.knows, "since"))
  const since = new Int32Array(knows.edges.length)
  for (let k = 0; k < since.length; k++) since[k] = sinceByRow[knows.edges[k]!]!

  const wSource = mapIds(int64AsFloat64(onlyData(graph.worksAt, "source")), personOrd.min, personOrd.ordinal)
  const wTarget = mapIds(int64AsFloat64(onlyData(graph.worksAt, "target")), companyOrd.min, companyOrd.ordinal)

  return {
    persons,
    personId,
    name: utf8(onlyData(p, "name")),
    age: int64AsInt32(onlyData(p, "age")),
    city: dictionaryEncode(onlyData(p, "city")),
    score: scoreData.values as Float64Array,
    scoreValid,
    knows,
    since,
    companies: graph.companies.numRows,
    country: dictionaryEncode(onlyData(graph.companies, "country")),
    worksAt: buildCsr(persons, wSource, wTarget)
  }
}

// ---------------------------------------------------------------------------
// Output helpers
// ---------------------------------------------------------------------------

/** Gathers the strings at `rows` into fresh UTF-8 buffers. */
export const gatherUtf8 = (column: Utf8Buffers, rows: Int32Array, length: number = rows.length): Utf8Buffers => {
  const { offsets, bytes } = column
  let total = 0
  for (let i = 0; i < length; i++) total += offsets[rows[i]! + 1]! - offsets[rows[i]!]!
  const outBytes = new Uint8Array(total)
  const outOffsets = new Int32Array(length + 1)
  let pos = 0
  for (let i = 0; i < length; i++) {
    const e = offsets[rows[i]! + 1]!
    for (let s = offsets[rows[i]!]!; s < e; s++) outBytes[pos++] = bytes[s]!
    outOffsets[i + 1] = pos
  }
  return { offsets: outOffsets, bytes: outBytes }
}

/** The strings of a Utf8Buffers (for answer checks only). */
export const utf8Strings = (column: Utf8Buffers): Array<string> => {
  const decoder = new TextDecoder()
  const out: Array<string> = []
  for (let i = 0; i + 1 < column.offsets.length; i++) {
    out.push(decoder.decode(column.bytes.subarray(column.offsets[i]!, column.offsets[i + 1]!)))
  }
  return out
}

/** A result column for checking: numbers (NULL as `null`) or strings. */
export type ResultColumn = ReadonlyArray<number | string | null>

/** A query result: named columns of equal length, plus the rows the query had to touch (for throughput). */
export interface ReferenceResult {
  readonly columns: Readonly<Record<string, () => ResultColumn>>
  readonly rows: number
  /** Entities and edges the query touches: persons scanned plus edges traversed. */
  readonly work: number
}

const grow = (a: Int32Array): Int32Array => {
  const b = new Int32Array(Math.max(16, a.length * 2))
  b.set(a)
  return b
}

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

const codeOf = (dictionary: Dictionary, value: string): number => dictionary.values.indexOf(value)

/** Q1: persons with age > `minAge` and city = `city` → name, age. */
export const q1 = (g: ReferenceGraph, city = "c7", minAge = 30): ReferenceResult => {
  const want = codeOf(g.city, city)
  const codes = g.city.codes
  const age = g.age
  let rows: Int32Array = new Int32Array(1024)
  let n = 0
  for (let i = 0; i < g.persons; i++) {
    if (age[i]! > minAge && codes[i] === want) {
      if (n === rows.length) rows = grow(rows)
      rows[n++] = i
    }
  }
  const names = gatherUtf8(g.name, rows, n)
  const ages = new Int32Array(n)
  for (let i = 0; i < n; i++) ages[i] = age[rows[i]!]!
  return {
    rows: n,
    work: g.persons,
    columns: { name: () => utf8Strings(names), age: () => Array.from(ages) }
  }
}

/** Q2: per city: count, avg(age), max(score). */
export const q2 = (g: ReferenceGraph): ReferenceResult => {
  const k = g.city.values.length
  const count = new Float64Array(k)
  const sumAge = new Float64Array(k)
  const maxScore = new Float64Array(k).fill(-Infinity)
  const hasScore = new Uint8Array(k)
  const { codes } = g.city
  const { age, score, scoreValid } = g
  for (let i = 0; i < g.persons; i++) {
    const c = codes[i]!
    count[c]++
    sumAge[c] += age[i]!
    if (scoreValid[i] === 1) {
      hasScore[c] = 1
      if (score[i]! > maxScore[c]!) maxScore[c] = score[i]!
    }
  }
  const groups: Array<number> = []
  for (let c = 0; c < k; c++) if (count[c]! > 0) groups.push(c)
  return {
    rows: groups.length,
    work: g.persons,
    columns: {
      city: () => groups.map((c) => g.city.values[c]!),
      count: () => groups.map((c) => count[c]!),
      avg_age: () => groups.map((c) => sumAge[c]! / count[c]!),
      max_score: () => groups.map((c) => (hasScore[c] === 1 ? maxScore[c]! : null))
    }
  }
}

/** Q3: top `limit` persons by score descending, NULLs last, ties in storage order → id, score. */
export const q3 = (g: ReferenceGraph, limit = 100): ReferenceResult => {
  // Min-heap on (score asc, row desc) of the best `limit` non-NULL rows.
  const heapScore = new Float64Array(limit)
  const heapRow = new Int32Array(limit)
  let size = 0
  const worse = (sa: number, ra: number, sb: number, rb: number): boolean => sa < sb || (sa === sb && ra > rb)
  const { score, scoreValid } = g
  for (let i = 0; i < g.persons && limit > 0; i++) {
    if (scoreValid[i] !== 1) continue
    const s = score[i]!
    if (size < limit) {
      let pos = size++
      while (pos > 0) {
        const parent = (pos - 1) >> 1
        if (!worse(s, i, heapScore[parent]!, heapRow[parent]!)) break
        heapScore[pos] = heapScore[parent]!
        heapRow[pos] = heapRow[parent]!
        pos = parent
      }
      heapScore[pos] = s
      heapRow[pos] = i
    } else if (worse(heapScore[0]!, heapRow[0]!, s, i)) {
      let pos = 0
      for (;;) {
        const l = 2 * pos + 1
        if (l >= size) break
        const r = l + 1
        const child = r < size && worse(heapScore[r]!, heapRow[r]!, heapScore[l]!, heapRow[l]!) ? r : l
        if (!worse(heapScore[child]!, heapRow[child]!, s, i)) break
        heapScore[pos] = heapScore[child]!
        heapRow[pos] = heapRow[child]!
        pos = child
      }
      heapScore[pos] = s
      heapRow[pos] = i
    }
  }
  const order = Array.from({ length: size }, (_, j) => j).sort((a, b) =>
    heapScore[b]! - heapScore[a]! || heapRow[a]! - heapRow[b]!
  )
  const rows = order.map((j) => heapRow[j]!)
  const scores: Array<number | null> = order.map((j) => heapScore[j]!)
  for (let i = 0; i < g.persons && rows.length < limit; i++) {
    if (scoreValid[i] !== 1) {
      rows.push(i)
      scores.push(null)
    }
  }
  return {
    rows: rows.length,
    work: g.persons,
    columns: { id: () => rows.map((r) => g.personId[r]!), score: () => scores }
  }
}

/** Q4: persons with age < `maxAge`, expand KNOWS to friend, count per friend.city. */
export const q4 = (g: ReferenceGraph, maxAge = 25): ReferenceResult => {
  const k = g.city.values.length
  const count = new Float64Array(k)
  const { offsets, neighbours } = g.knows
  const codes = g.city.codes
  const age = g.age
  let edges = 0
  for (let i = 0; i < g.persons; i++) {
    if (age[i]! < maxAge) {
      const end = offsets[i + 1]!
      for (let p = offsets[i]!; p < end; p++) count[codes[neighbours[p]!]!]++
      edges += end - offsets[i]!
    }
  }
  const groups: Array<number> = []
  for (let c = 0; c < k; c++) if (count[c]! > 0) groups.push(c)
  return {
    rows: groups.length,
    work: g.persons + edges,
    columns: { city: () => groups.map((c) => g.city.values[c]!), count: () => groups.map((c) => count[c]!) }
  }
}

/** Q5: persons with city = `city` and age = `age`, two KNOWS hops (trails), count of paths. */
export const q5 = (g: ReferenceGraph, city = "c42", age = 30): ReferenceResult => {
  const want = codeOf(g.city, city)
  const { offsets, neighbours, edges } = g.knows
  const codes = g.city.codes
  let paths = 0
  let work = g.persons
  for (let i = 0; i < g.persons; i++) {
    if (g.age[i] !== age || codes[i] !== want) continue
    const end = offsets[i + 1]!
    work += end - offsets[i]!
    for (let p = offsets[i]!; p < end; p++) {
      const f = neighbours[p]!
      const e1 = edges[p]!
      const fEnd = offsets[f + 1]!
      work += fEnd - offsets[f]!
      for (let q = offsets[f]!; q < fEnd; q++) if (edges[q] !== e1) paths++
    }
  }
  return { rows: 1, work, columns: { paths: () => [paths] } }
}

/** Q6: persons with score > `minScore`, KNOWS edges with since >= `minSince` → person.name, friend.name, since. */
export const q6 = (g: ReferenceGraph, minScore = 0.9, minSince = 2020): ReferenceResult => {
  const { offsets, neighbours } = g.knows
  const { score, scoreValid, since } = g
  let from: Int32Array = new Int32Array(1024)
  let to: Int32Array = new Int32Array(1024)
  let years: Int32Array = new Int32Array(1024)
  let n = 0
  let work = g.persons
  for (let i = 0; i < g.persons; i++) {
    if (scoreValid[i] !== 1 || !(score[i]! > minScore)) continue
    const end = offsets[i + 1]!
    work += end - offsets[i]!
    for (let p = offsets[i]!; p < end; p++) {
      if (since[p]! >= minSince) {
        if (n === from.length) {
          from = grow(from)
          to = grow(to)
          years = grow(years)
        }
        from[n] = i
        to[n] = neighbours[p]!
        years[n] = since[p]!
        n++
      }
    }
  }
  const personNames = gatherUtf8(g.name, from, n)
  const friendNames = gatherUtf8(g.name, to, n)
  const sinceOut = years.slice(0, n)
  return {
    rows: n,
    work,
    columns: {
      name: () => utf8Strings(personNames),
      friend: () => utf8Strings(friendNames),
      since: () => Array.from(sinceOut)
    }
  }
}

/** Q7: persons expand WORKS_AT to Company, per company.country: count, avg(age). */
export const q7 = (g: ReferenceGraph): ReferenceResult => {
  const k = g.country.values.length
  const count = new Float64Array(k)
  const sumAge = new Float64Array(k)
  const { offsets, neighbours } = g.worksAt
  const codes = g.country.codes
  const age = g.age
  for (let i = 0; i < g.persons; i++) {
    const end = offsets[i + 1]!
    for (let p = offsets[i]!; p < end; p++) {
      const c = codes[neighbours[p]!]!
      count[c]++
      sumAge[c] += age[i]!
    }
  }
  const groups: Array<number> = []
  for (let c = 0; c < k; c++) if (count[c]! > 0) groups.push(c)
  return {
    rows: groups.length,
    work: g.persons + g.worksAt.edges.length,
    columns: {
      country: () => groups.map((c) => g.country.values[c]!),
      count: () => groups.map((c) => count[c]!),
      avg_age: () => groups.map((c) => sumAge[c]! / count[c]!)
    }
  }
}
