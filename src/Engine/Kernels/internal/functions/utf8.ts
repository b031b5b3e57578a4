/**
 * UTF-8 helpers of the string functions: a growing output writer, code point walking and
 * byte search.
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as Column from "../../Column.js"

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Decodes bytes [start, end) of a buffer. */
export const decode = (bytes: Uint8Array, start: number, end: number): string =>
  start === end ? "" : decoder.decode(bytes.subarray(start, end))

/** Builds a Utf8 column row by row from byte ranges or JS strings. */
export class Utf8Builder {
  private bytes: Uint8Array
  private at = 0
  private row = 0
  readonly offsets: Int32Array
  constructor(readonly length: number, estimate: number) {
    this.offsets = new Int32Array(length + 1)
    this.bytes = new Uint8Array(Math.max(16, estimate))
  }
  private reserve(extra: number): void {
    const need = this.at + extra
    if (need <= this.bytes.length) return
    const grown = new Uint8Array(Math.max(need, this.bytes.length * 2))
    grown.set(this.bytes.subarray(0, this.at))
    this.bytes = grown
  }
  /** Appends bytes [start, end) of `source` to the current row. */
  append(source: Uint8Array, start: number, end: number): void {
    const n = end - start
    this.reserve(n)
    const out = this.bytes
    let at = this.at
    if (n > 32) out.set(source.subarray(start, end), at)
    else for (let k = start; k < end; k++) out[at++] = source[k]!
    this.at += n
  }
  /** Appends bytes [start, end) of ASCII `source`, each mapped through `table` (128 entries). */
  appendMapped(source: Uint8Array, start: number, end: number, table: Uint8Array): void {
    this.reserve(end - start)
    const out = this.bytes
    let at = this.at
    for (let k = start; k < end; k++) out[at++] = table[source[k]!]!
    this.at = at
  }
  /** Appends one byte to the current row. */
  appendByte(byte: number): void {
    this.reserve(1)
    this.bytes[this.at++] = byte
  }
  /** Appends a JS string to the current row. */
  appendString(value: string): void {
    this.reserve(value.length * 3)
    this.at += encoder.encodeInto(value, this.bytes.subarray(this.at)).written
  }
  /** Ends the current row. */
  endRow(): void {
    this.offsets[++this.row] = this.at
  }
  /** The column with the given validity (row i at bit i). */
  finish(validity: Uint8Array | null): Arrow.Data<Arrow.Utf8> {
    return Column.utf8(this.offsets, this.bytes.subarray(0, this.at), validity)
  }
}

/** An ASCII byte map: identity except `from`..`to` shifted by `delta`. */
export const asciiTable = (from: number, to: number, delta: number): Uint8Array => {
  const table = new Uint8Array(128)
  for (let c = 0; c < 128; c++) table[c] = c >= from && c <= to ? c + delta : c
  return table
}

/** Growable Int32 list (list offsets of unknown final size). */
export class Int32List {
  private values = new Int32Array(64)
  size = 0
  /** Appends one value. */
  push(value: number): void {
    if (this.size === this.values.length) {
      const grown = new Int32Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }
    this.values[this.size++] = value
  }
  /** The values pushed so far. */
  finish(): Int32Array {
    return this.values.subarray(0, this.size)
  }
}

/** Whether bytes [start, end) are all ASCII. */
export const isAscii = (bytes: Uint8Array, start: number, end: number): boolean => {
  for (let k = start; k < end; k++) if (bytes[k]! >= 0x80) return false
  return true
}

/** The number of code points in bytes [start, end) of valid UTF-8. */
export const codePoints = (bytes: Uint8Array, start: number, end: number): number => {
  let n = 0
  for (let k = start; k < end; k++) if ((bytes[k]! & 0xc0) !== 0x80) n++
  return n
}

/** The byte position after skipping `count` code points from `at` (stops at `end`). */
export const skipCodePoints = (bytes: Uint8Array, at: number, end: number, count: number): number => {
  while (count > 0 && at < end) {
    at++
    while (at < end && (bytes[at]! & 0xc0) === 0x80) at++
    count--
  }
  return at
}

/** Whether bytes [s, e) of `a` equal bytes [ps, pe) of `b` placed at `at`. */
export const bytesAt = (a: Uint8Array, at: number, b: Uint8Array, ps: number, pe: number): boolean => {
  for (let k = ps; k < pe; k++, at++) if (a[at] !== b[k]) return false
  return true
}

/** The first position ≥ `from` where needle [ns, ne) of `n` occurs in haystack [from, end) of `h`, or -1. Needle non-empty. */
export const indexOf = (h: Uint8Array, from: number, end: number, n: Uint8Array, ns: number, ne: number): number => {
  const len = ne - ns
  const first = n[ns]!
  const last = end - len
  for (let at = from; at <= last; at++) {
    if (h[at] !== first) continue
    let k = 1
    while (k < len && h[at + k] === n[ns + k]) k++
    if (k === len) return at
  }
  return -1
}
