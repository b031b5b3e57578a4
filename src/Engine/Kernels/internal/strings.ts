/**
 * Building Utf8 columns row by row from JS strings (formatting kernels) and
 * concatenating two Utf8 columns.
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as Column from "../Column.js"
import { andValidity } from "./bitmap.js"

const encoder = new TextEncoder()

/** Appends rows to a growing UTF-8 buffer. */
export class Utf8Writer {
  private bytes: Uint8Array
  private at = 0
  private row = 0
  readonly offsets: Int32Array
  constructor(readonly length: number, estimate = length * 8) {
    this.offsets = new Int32Array(length + 1)
    this.bytes = new Uint8Array(Math.max(16, estimate))
  }
  /** Appends one row's string. */
  push(value: string): void {
    const need = this.at + value.length * 3
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.bytes.length * 2))
      grown.set(this.bytes.subarray(0, this.at))
      this.bytes = grown
    }
    this.at += encoder.encodeInto(value, this.bytes.subarray(this.at)).written
    this.offsets[++this.row] = this.at
  }
  /** Appends an empty row (for NULL rows). */
  pushEmpty(): void {
    this.offsets[++this.row] = this.at
  }
  /** The column, with the given validity. */
  finish(validity: Uint8Array | null): Arrow.Data<Arrow.Utf8> {
    return Column.utf8(this.offsets, this.bytes.subarray(0, this.at), validity)
  }
}

/** Row-wise `a || b` of two Utf8 columns (NULL if either is NULL). */
export const concat = (a: Arrow.Data<Arrow.Utf8>, b: Arrow.Data<Arrow.Utf8>): Arrow.Data<Arrow.Utf8> => {
  const n = a.length
  const validity = andValidity(Column.validity(a), Column.validity(b), n)
  const ao = a.valueOffsets, bo = b.valueOffsets
  const ab = a.values, bb = b.values
  const offsets = new Int32Array(n + 1)
  let total = 0
  for (let i = 0; i < n; i++) {
    if (validity === null || (validity[i >> 3]! & (1 << (i & 7))) !== 0) {
      total += ao[i + 1]! - ao[i]! + bo[i + 1]! - bo[i]!
    }
    offsets[i + 1] = total
  }
  const out = new Uint8Array(total)
  for (let i = 0; i < n; i++) {
    let at = offsets[i]!
    if (at === offsets[i + 1]) continue
    const as = ao[i]!, ae = ao[i + 1]!, bs = bo[i]!, be = bo[i + 1]!
    if (ae - as > 24) out.set(ab.subarray(as, ae), at)
    else for (let k = as; k < ae; k++) out[at] = ab[k]!, at++
    at = offsets[i]! + (ae - as)
    if (be - bs > 24) out.set(bb.subarray(bs, be), at)
    else for (let k = bs; k < be; k++) out[at] = bb[k]!, at++
  }
  return Column.utf8(offsets, out, validity)
}
