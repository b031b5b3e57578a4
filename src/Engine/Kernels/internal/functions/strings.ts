/**
 * String functions over UTF-8 bytes: lower upper trim length substring replace
 * starts_with ends_with contains matches like split concat.
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as DataType from "../../../DataType.js"
import type { ScalarFunction } from "../../Functions.js"
import * as Column from "../../Column.js"
import { andAll, define, expectInt64, expectString, invalidArgument, isNull, nullsOf, valid } from "./common.js"
import { asciiTable, bytesAt, codePoints, decode, indexOf, Int32List, isAscii, skipCodePoints, Utf8Builder } from "./utf8.js"

type Utf8 = Arrow.Data<Arrow.Utf8>

/** Type rule: every argument a String, result `result`. */
const stringArgs = (result: DataType.DataType) => (args: ReadonlyArray<DataType.DataType>, display: string) => {
  for (const t of args) expectString(t, display)
  return result
}

// ---------------------------------------------------------------------------
// lower / upper
// ---------------------------------------------------------------------------

const LOWER = asciiTable(65, 90, 32)
const UPPER = asciiTable(97, 122, -32)

const caseMap = (name: string, upper: boolean): ScalarFunction =>
  define(name, 1, 1, stringArgs(DataType.String), ([arg], n) => {
    if (isNull(arg!)) return nullsOf(DataType.String, n)
    const s = arg as Utf8
    const o = s.valueOffsets, b = s.values
    const validity = Column.validity(s)
    const out = new Utf8Builder(n, o[n]! - o[0]! + 16)
    const table = upper ? UPPER : LOWER
    for (let i = 0; i < n; i++) {
      if (valid(validity, i)) {
        const st = o[i]!, e = o[i + 1]!
        if (isAscii(b, st, e)) out.appendMapped(b, st, e, table)
        else {
          const text = decode(b, st, e)
          out.appendString(upper ? text.toUpperCase() : text.toLowerCase())
        }
      }
      out.endRow()
    }
    return out.finish(validity)
  })

// ---------------------------------------------------------------------------
// trim (JavaScript `String.prototype.trim` whitespace)
// ---------------------------------------------------------------------------

const isAsciiSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d)

const trim = define("trim", 1, 1, stringArgs(DataType.String), ([arg], n) => {
  if (isNull(arg!)) return nullsOf(DataType.String, n)
  const s = arg as Utf8
  const o = s.valueOffsets, b = s.values
  const validity = Column.validity(s)
  const out = new Utf8Builder(n, o[n]! - o[0]! + 16)
  for (let i = 0; i < n; i++) {
    if (valid(validity, i)) {
      let st = o[i]!, e = o[i + 1]!
      if (st < e) {
        const first = b[st]!, last = b[e - 1]!
        if (!isAsciiSpace(first) && first < 0x80 && !isAsciiSpace(last) && last < 0x80) out.append(b, st, e)
        else if (isAscii(b, st, e)) {
          while (st < e && isAsciiSpace(b[st]!)) st++
          while (e > st && isAsciiSpace(b[e - 1]!)) e--
          out.append(b, st, e)
        } else out.appendString(decode(b, st, e).trim())
      }
    }
    out.endRow()
  }
  return out.finish(validity)
})

// ---------------------------------------------------------------------------
// length (code points)
// ---------------------------------------------------------------------------

/** Code point counts of a Utf8 column as Int64. */
export const codePointLengths = (s: Utf8, n: number): Arrow.Data => {
  const o = s.valueOffsets, b = s.values
  const validity = Column.validity(s)
  const values = new BigInt64Array(n)
  for (let i = 0; i < n; i++) if (valid(validity, i)) values[i] = BigInt(codePoints(b, o[i]!, o[i + 1]!))
  return Column.int64(values, validity)
}

const length = define("length", 1, 1, stringArgs(DataType.Int64), ([arg], n) =>
  isNull(arg!) ? nullsOf(DataType.Int64, n) : codePointLengths(arg as Utf8, n))

// ---------------------------------------------------------------------------
// substring(s, start, len?) — 0-based, by code point
// ---------------------------------------------------------------------------

const substring = define(
  "substring",
  2,
  3,
  (args, display) => {
    expectString(args[0]!, display)
    expectInt64(args[1]!, display)
    if (args.length > 2) expectInt64(args[2]!, display)
    return DataType.String
  },
  (args, n, display) => {
    if (args.some(isNull)) return nullsOf(DataType.String, n)
    const s = args[0] as Utf8
    const starts = args[1]!.values as BigInt64Array
    const lens = args.length > 2 ? (args[2]!.values as BigInt64Array) : undefined
    const validity = andAll(args, n)
    const o = s.valueOffsets, b = s.values
    const out = new Utf8Builder(n, o[n]! - o[0]! + 16)
    for (let i = 0; i < n; i++) {
      if (valid(validity, i)) {
        const start = starts[i]!
        const len = lens === undefined ? undefined : lens[i]!
        if (start < 0n) invalidArgument(`substring start must not be negative, got ${start} in ${display}`)
        if (len !== undefined && len < 0n) invalidArgument(`substring length must not be negative, got ${len} in ${display}`)
        const e = o[i + 1]!
        const from = skipCodePoints(b, o[i]!, e, start > 0x7fffffffn ? 0x7fffffff : Number(start))
        const to = len === undefined ? e : skipCodePoints(b, from, e, len > 0x7fffffffn ? 0x7fffffff : Number(len))
        out.append(b, from, to)
      }
      out.endRow()
    }
    return out.finish(validity)
  }
)

// ---------------------------------------------------------------------------
// replace(s, from, to) — every occurrence
// ---------------------------------------------------------------------------

const replace = define("replace", 3, 3, stringArgs(DataType.String), (args, n) => {
  if (args.some(isNull)) return nullsOf(DataType.String, n)
  const [s, f, t] = args as ReadonlyArray<Utf8>
  const validity = andAll(args, n)
  const so = s!.valueOffsets, sb = s!.values
  const fo = f!.valueOffsets, fb = f!.values
  const to = t!.valueOffsets, tb = t!.values
  const out = new Utf8Builder(n, so[n]! - so[0]! + 16)
  for (let i = 0; i < n; i++) {
    if (valid(validity, i)) {
      const ss = so[i]!, se = so[i + 1]!, fs = fo[i]!, fe = fo[i + 1]!, ts = to[i]!, te = to[i + 1]!
      if (fs === fe) {
        // Empty pattern: insert `to` around every code point (as Java/openCypher).
        out.append(tb, ts, te)
        let at = ss
        while (at < se) {
          const next = skipCodePoints(sb, at, se, 1)
          out.append(sb, at, next)
          out.append(tb, ts, te)
          at = next
        }
      } else {
        let at = ss
        for (;;) {
          const hit = indexOf(sb, at, se, fb, fs, fe)
          if (hit < 0) break
          out.append(sb, at, hit)
          out.append(tb, ts, te)
          at = hit + (fe - fs)
        }
        out.append(sb, at, se)
      }
    }
    out.endRow()
  }
  return out.finish(validity)
})

// ---------------------------------------------------------------------------
// starts_with / ends_with / contains — byte comparison
// ---------------------------------------------------------------------------

type BytePredicate = (h: Uint8Array, hs: number, he: number, p: Uint8Array, ps: number, pe: number) => boolean

const predicate = (name: string, test: BytePredicate): ScalarFunction =>
  define(name, 2, 2, stringArgs(DataType.Bool), (args, n) => {
    if (args.some(isNull)) return nullsOf(DataType.Bool, n)
    const [s, p] = args as ReadonlyArray<Utf8>
    const validity = andAll(args, n)
    const so = s!.valueOffsets, sb = s!.values, po = p!.valueOffsets, pb = p!.values
    const bits = Column.allocBitmap(n)
    for (let i = 0; i < n; i++) {
      if (valid(validity, i) && test(sb, so[i]!, so[i + 1]!, pb, po[i]!, po[i + 1]!)) bits[i >> 3] = bits[i >> 3]! | (1 << (i & 7))
    }
    return Column.bool(bits, n, validity)
  })

const startsWith = predicate("starts_with", (h, hs, he, p, ps, pe) => pe - ps <= he - hs && bytesAt(h, hs, p, ps, pe))
const endsWith = predicate("ends_with", (h, hs, he, p, ps, pe) => pe - ps <= he - hs && bytesAt(h, he - (pe - ps), p, ps, pe))
const contains = predicate("contains", (h, hs, he, p, ps, pe) => ps === pe || indexOf(h, hs, he, p, ps, pe) >= 0)

// ---------------------------------------------------------------------------
// matches (full-match regular expression) / like (% and _)
// ---------------------------------------------------------------------------

const compiled = new Map<string, RegExp | string>()
const CACHE_LIMIT = 128

/** A RegExp for a pattern, or an error message; cached across batches (bounded). */
const compile = (key: string, make: () => RegExp): RegExp | string => {
  let hit = compiled.get(key)
  if (hit !== undefined) return hit
  try {
    hit = make()
  } catch (e) {
    hit = e instanceof Error ? e.message : globalThis.String(e)
  }
  if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value!)
  compiled.set(key, hit)
  return hit
}

const regexOf = (pattern: string): RegExp | string =>
  compile(`r:${pattern}`, () => {
    try {
      return new RegExp(`^(?:${pattern})$`, "u")
    } catch {
      return new RegExp(`^(?:${pattern})$`)
    }
  })

/** Translates a LIKE pattern (`%` any run, `_` one code point, `\` escapes the next character). */
export const likeToRegExp = (pattern: string): RegExp => {
  let source = "^"
  const chars = Array.from(pattern)
  for (let k = 0; k < chars.length; k++) {
    const c = chars[k]!
    if (c === "%") source += ".*"
    else if (c === "_") source += "."
    else if (c === "\\" && k + 1 < chars.length) source += escape(chars[++k]!)
    else source += escape(c)
  }
  return new RegExp(source + "$", "su")
}

const escape = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")

const likeOf = (pattern: string): RegExp | string => compile(`l:${pattern}`, () => likeToRegExp(pattern))

const regexFunction = (name: string, of: (pattern: string) => RegExp | string): ScalarFunction =>
  define(name, 2, 2, stringArgs(DataType.Bool), (args, n, display) => {
    if (args.some(isNull)) return nullsOf(DataType.Bool, n)
    const [s, p] = args as ReadonlyArray<Utf8>
    const validity = andAll(args, n)
    const so = s!.valueOffsets, sb = s!.values, po = p!.valueOffsets, pb = p!.values
    const bits = Column.allocBitmap(n)
    let regex: RegExp | undefined
    let lastStart = -1, lastEnd = -1
    for (let i = 0; i < n; i++) {
      if (!valid(validity, i)) continue
      const ps = po[i]!, pe = po[i + 1]!
      // Reuse the previous row's RegExp while the pattern bytes are the same (constant patterns).
      if (regex === undefined || pe - ps !== lastEnd - lastStart || !bytesAt(pb, lastStart, pb, ps, pe)) {
        const made = of(decode(pb, ps, pe))
        if (typeof made === "string") return invalidArgument(`Invalid pattern in ${display}: ${made}`)
        regex = made
        lastStart = ps
        lastEnd = pe
      }
      if (regex.test(decode(sb, so[i]!, so[i + 1]!))) bits[i >> 3] = bits[i >> 3]! | (1 << (i & 7))
    }
    return Column.bool(bits, n, validity)
  })

const matches = regexFunction("matches", regexOf)
const like = regexFunction("like", likeOf)

// ---------------------------------------------------------------------------
// split(s, sep) → List<String>
// ---------------------------------------------------------------------------

const split = define("split", 2, 2, stringArgs(DataType.List(DataType.String)), (args, n) => {
  const type = DataType.List(DataType.String)
  if (args.some(isNull)) return nullsOf(type, n)
  const [s, p] = args as ReadonlyArray<Utf8>
  const validity = andAll(args, n)
  const so = s!.valueOffsets, sb = s!.values, po = p!.valueOffsets, pb = p!.values
  const listOffsets = new Int32Array(n + 1)
  const childOffsets = new Int32List()
  childOffsets.push(0)
  const bytes = new Utf8Builder(0, so[n]! - so[0]! + 16)
  let written = 0
  const piece = (start: number, end: number) => {
    bytes.append(sb, start, end)
    written += end - start
    childOffsets.push(written)
  }
  for (let i = 0; i < n; i++) {
    if (valid(validity, i)) {
      const ss = so[i]!, se = so[i + 1]!, ps = po[i]!, pe = po[i + 1]!
      if (ps === pe) {
        // Empty separator: one element per code point.
        let at = ss
        while (at < se) {
          const next = skipCodePoints(sb, at, se, 1)
          piece(at, next)
          at = next
        }
      } else {
        let at = ss
        for (;;) {
          const hit = indexOf(sb, at, se, pb, ps, pe)
          if (hit < 0) break
          piece(at, hit)
          at = hit + (pe - ps)
        }
        piece(at, se)
      }
    }
    listOffsets[i + 1] = childOffsets.size - 1
  }
  const child = Column.utf8(childOffsets.finish(), bytes.finish(null).values)
  return Column.list(DataType.toArrow(type) as Arrow.List, listOffsets, child, validity)
})

// ---------------------------------------------------------------------------
// concat(a, b, …) — strings only, NULL if any argument is NULL
// ---------------------------------------------------------------------------

const concat = define("concat", 1, Infinity, stringArgs(DataType.String), (args, n) => {
  if (args.some(isNull)) return nullsOf(DataType.String, n)
  const columns = args as ReadonlyArray<Utf8>
  const validity = andAll(args, n)
  const offsets = new Int32Array(n + 1)
  let total = 0
  for (let i = 0; i < n; i++) {
    if (valid(validity, i)) for (const c of columns) total += c.valueOffsets[i + 1]! - c.valueOffsets[i]!
    offsets[i + 1] = total
  }
  const out = new Uint8Array(total)
  for (let i = 0; i < n; i++) {
    let at = offsets[i]!
    if (at === offsets[i + 1]) continue
    for (const c of columns) {
      const st = c.valueOffsets[i]!, e = c.valueOffsets[i + 1]!, b = c.values
      if (e - st > 32) out.set(b.subarray(st, e), at), (at += e - st)
      else for (let k = st; k < e; k++) out[at++] = b[k]!
    }
  }
  return Column.utf8(offsets, out, validity)
})

/** The string functions. */
export const stringFunctions: ReadonlyArray<ScalarFunction> = [
  caseMap("lower", false),
  caseMap("upper", true),
  trim,
  length,
  substring,
  replace,
  startsWith,
  endsWith,
  contains,
  matches,
  like,
  split,
  concat
]
