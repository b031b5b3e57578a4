/**
 * Deterministic, seeded social-graph generator for the benchmark. Everything is written
 * straight into typed arrays and wrapped as Arrow tables (no JS object per entity):
 *
 * - `Person` (scale N): `_id` 0..N-1, `name` "p<id>", `age` 18..90 uniform, `city` one of
 *   "c0".."c99" with a Zipf-like skew (weight of "ck" ∝ 1/(k+1)^0.9), `score` Float64 in
 *   [0, 1) with 5% NULL.
 * - `Company` (1% of N, at least 1): `_id` N.., `name` "co<i>", `country` "k0".."k29".
 * - `KNOWS` person → person (no self-loops), heavy-tailed out-degree (Lomax, α = 2.2,
 *   mean ≈ 10), `since` 1990..2025 uniform; edge ids 0..E-1, grouped by source.
 * - `WORKS_AT` person → company, exactly one per person (uniform company); edge ids
 *   E..E+N-1 (unique among all hyperedges).
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import type { ArrowGraphInput } from "../src/Engine/Storage.js"

// ---------------------------------------------------------------------------
// PRNG: xoshiro128** seeded through splitmix32
// ---------------------------------------------------------------------------

/** A small deterministic 32-bit PRNG (xoshiro128**). */
export class Rng {
  private s0: number
  private s1: number
  private s2: number
  private s3: number

  constructor(seed: number) {
    let x = seed >>> 0
    const mix = (): number => {
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.s0 = mix()
    this.s1 = mix()
    this.s2 = mix()
    this.s3 = mix() | 1
  }

  /** A uniform unsigned 32-bit integer. */
  nextU32(): number {
    const s1 = this.s1
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0
    const t = s1 << 9
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = rotl(this.s3, 11)
    return r
  }

  /** A uniform float in [0, 1) with 32 bits of precision. */
  float(): number {
    return this.nextU32() / 4294967296
  }

  /** A uniform float in [0, 1) with 53 bits of precision (ties are practically impossible). */
  float53(): number {
    const hi = this.nextU32() >>> 5
    const lo = this.nextU32() >>> 6
    return (hi * 67108864 + lo) / 9007199254740992
  }

  /** A uniform integer in `[lo, hi]`. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1))
  }
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k))

// ---------------------------------------------------------------------------
// Column builders over typed arrays
// ---------------------------------------------------------------------------

/** An Int64 Arrow vector from small integers (written through an Int32 view: no BigInt per row). */
export const int64Vector = (values: Int32Array): Arrow.Vector<Arrow.Int64> => {
  const out = new BigInt64Array(values.length)
  const halves = new Int32Array(out.buffer)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    halves[2 * i] = v
    halves[2 * i + 1] = v >> 31
  }
  return Arrow.makeVector(Arrow.makeData({ type: new Arrow.Int64(), length: values.length, data: out }))
}

/** An Int64 Arrow vector of `start, start+1, …`. */
export const sequenceVector = (length: number, start: number): Arrow.Vector<Arrow.Int64> => {
  const values = new Int32Array(length)
  for (let i = 0; i < length; i++) values[i] = start + i
  return int64Vector(values)
}

/** A Float64 Arrow vector; rows where `valid[i] === 0` are NULL. */
export const float64Vector = (values: Float64Array, valid?: Uint8Array): Arrow.Vector<Arrow.Float64> => {
  if (valid === undefined) return Arrow.makeVector(Arrow.makeData({ type: new Arrow.Float64(), length: values.length, data: values }))
  const bitmap = new Uint8Array(((values.length + 63) >> 6) << 3)
  let nulls = 0
  for (let i = 0; i < values.length; i++) {
    if (valid[i] === 0) nulls++
    else bitmap[i >> 3] |= 1 << (i & 7)
  }
  return Arrow.makeVector(
    Arrow.makeData({ type: new Arrow.Float64(), length: values.length, data: values, nullBitmap: bitmap, nullCount: nulls })
  )
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)

const digitsOf = (n: number): number => (n < 10 ? 1 : Math.floor(Math.log10(n)) + 1)

/** A Utf8 vector of `prefix + (start + i)` for i in 0..length (built byte by byte). */
export const numberedStrings = (prefix: string, length: number, start: number): Arrow.Vector<Arrow.Utf8> => {
  const head = ascii(prefix)
  const maxLen = head.length + digitsOf(Math.max(start + length - 1, 0))
  const bytes = new Uint8Array(length * maxLen)
  const offsets = new Int32Array(length + 1)
  let pos = 0
  for (let i = 0; i < length; i++) {
    bytes.set(head, pos)
    pos += head.length
    let n = start + i
    const d = digitsOf(n)
    for (let k = d - 1; k >= 0; k--) {
      bytes[pos + k] = 48 + (n % 10)
      n = Math.floor(n / 10)
    }
    pos += d
    offsets[i + 1] = pos
  }
  return Arrow.makeVector(
    Arrow.makeData({ type: new Arrow.Utf8(), length, valueOffsets: offsets, data: bytes.slice(0, pos) })
  )
}

/** A Utf8 vector whose row i is `dictionary[codes[i]]`. */
export const dictionaryStrings = (
  dictionary: ReadonlyArray<string>,
  codes: Uint8Array
): Arrow.Vector<Arrow.Utf8> => {
  const encoded = dictionary.map(ascii)
  let total = 0
  for (let i = 0; i < codes.length; i++) total += encoded[codes[i]!]!.length
  const bytes = new Uint8Array(total)
  const offsets = new Int32Array(codes.length + 1)
  let pos = 0
  for (let i = 0; i < codes.length; i++) {
    const b = encoded[codes[i]!]!
    bytes.set(b, pos)
    pos += b.length
    offsets[i + 1] = pos
  }
  return Arrow.makeVector(
    Arrow.makeData({ type: new Arrow.Utf8(), length: codes.length, valueOffsets: offsets, data: bytes })
  )
}

// ---------------------------------------------------------------------------
// The graph
// ---------------------------------------------------------------------------

/** Number of distinct cities ("c0".."c99"). */
export const CITIES = 100
/** Number of distinct countries ("k0".."k29"). */
export const COUNTRIES = 30
/** City names by code. */
export const cityNames: ReadonlyArray<string> = Array.from({ length: CITIES }, (_, k) => `c${k}`)
/** Country names by code. */
export const countryNames: ReadonlyArray<string> = Array.from({ length: COUNTRIES }, (_, k) => `k${k}`)

/** Options of {@link generate}. */
export interface GenerateOptions {
  /** Number of persons. */
  readonly scale: number
  /** PRNG seed (default 42). */
  readonly seed?: number | undefined
}

/** The generated graph as Arrow tables, plus the {@link ArrowGraphInput} for the engine. */
export interface SocialGraph {
  readonly scale: number
  readonly seed: number
  /** `_id`, `name`, `age`, `city`, `score`. */
  readonly persons: Arrow.Table
  /** `_id`, `name`, `country`. */
  readonly companies: Arrow.Table
  /** `_id`, `source`, `target`, `since`. */
  readonly knows: Arrow.Table
  /** `_id`, `source`, `target`. */
  readonly worksAt: Arrow.Table
  readonly input: ArrowGraphInput
}

const cityCdf = (): Float64Array => {
  const cdf = new Float64Array(CITIES)
  let total = 0
  for (let k = 0; k < CITIES; k++) total += 1 / Math.pow(k + 1, 0.9)
  let acc = 0
  for (let k = 0; k < CITIES; k++) {
    acc += 1 / Math.pow(k + 1, 0.9) / total
    cdf[k] = acc
  }
  cdf[CITIES - 1] = 1
  return cdf
}

const sampleCdf = (cdf: Float64Array, u: number): number => {
  let lo = 0
  let hi = cdf.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (u < cdf[mid]!) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** Lomax (Pareto II) parameters of the KNOWS out-degree: heavy-tailed, mean ≈ 10 after flooring. */
const DEGREE_ALPHA = 2.2
const DEGREE_SCALE = 12.6

/** Generates the social graph of `scale` persons, deterministically from `seed`. */
export const generate = (options: GenerateOptions): SocialGraph => {
  const n = Math.floor(options.scale)
  if (!(n >= 2)) throw new Error(`scale must be at least 2 (got ${options.scale})`)
  if (n > 100_000_000) throw new Error(`scale too large: ${n}`)
  const seed = options.seed ?? 42
  const rng = new Rng(seed)

  // Persons
  const age = new Int32Array(n)
  const city = new Uint8Array(n)
  const score = new Float64Array(n)
  const scoreValid = new Uint8Array(n)
  const cdf = cityCdf()
  for (let i = 0; i < n; i++) {
    age[i] = rng.int(18, 90)
    city[i] = sampleCdf(cdf, rng.float())
    if (rng.float() >= 0.05) {
      score[i] = rng.float53()
      scoreValid[i] = 1
    }
  }
  const persons = new Arrow.Table({
    _id: sequenceVector(n, 0),
    name: numberedStrings("p", n, 0),
    age: int64Vector(age),
    city: dictionaryStrings(cityNames, city),
    score: float64Vector(score, scoreValid)
  })

  // Companies
  const c = Math.max(1, Math.floor(n / 100))
  const country = new Uint8Array(c)
  for (let j = 0; j < c; j++) country[j] = rng.int(0, COUNTRIES - 1)
  const companies = new Arrow.Table({
    _id: sequenceVector(c, n),
    name: numberedStrings("co", c, 0),
    country: dictionaryStrings(countryNames, country)
  })

  // KNOWS: out-degrees first, then edges grouped by source
  const degree = new Int32Array(n)
  let e = 0
  for (let i = 0; i < n; i++) {
    const u = 1 - rng.float() // (0, 1]
    const d = Math.min(n - 1, Math.floor(DEGREE_SCALE * (Math.pow(u, -1 / DEGREE_ALPHA) - 1)))
    degree[i] = d
    e += d
  }
  if (e > 2 ** 31 - 1 - n) throw new Error(`too many edges: ${e}`)
  const source = new Int32Array(e)
  const target = new Int32Array(e)
  const since = new Int32Array(e)
  let k = 0
  for (let i = 0; i < n; i++) {
    for (let d = degree[i]!; d > 0; d--) {
      let t = Math.floor(rng.float() * (n - 1))
      if (t >= i) t++
      source[k] = i
      target[k] = t
      since[k] = rng.int(1990, 2025)
      k++
    }
  }
  const knows = new Arrow.Table({
    _id: sequenceVector(e, 0),
    source: int64Vector(source),
    target: int64Vector(target),
    since: int64Vector(since)
  })

  // WORKS_AT: one per person
  const employer = new Int32Array(n)
  for (let i = 0; i < n; i++) employer[i] = n + rng.int(0, c - 1)
  const worksAt = new Arrow.Table({
    _id: sequenceVector(n, e),
    source: sequenceVector(n, 0),
    target: int64Vector(employer)
  })

  return assemble(n, seed, { persons, companies, knows, worksAt })
}

/** A SocialGraph over the four tables (also used by tests to build small graphs by hand). */
export const assemble = (
  scale: number,
  seed: number,
  tables: Pick<SocialGraph, "persons" | "companies" | "knows" | "worksAt">
): SocialGraph => ({
  scale,
  seed,
  ...tables,
  input: {
    nodes: [{ labels: ["Person"], table: tables.persons }, { labels: ["Company"], table: tables.companies }],
    edges: [{ label: "KNOWS", table: tables.knows }, { label: "WORKS_AT", table: tables.worksAt }]
  }
})
