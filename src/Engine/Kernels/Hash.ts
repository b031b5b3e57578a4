/**
 * Row hashing and row equality of key columns, with the grouping equality of SEMANTICS
 * §5 / §10: NULL = NULL, NaN = NaN, -0.0 = 0.0.
 *
 * The hash is a fixed function of the typed values (never of a JS string form, never of
 * a per-process seed), so every process sends the same key to the same partition:
 *
 * - a 64-bit value `(lo, hi)` (two's-complement halves) hashes as
 *   `finish(word(word(SEED, lo), hi), 8)`; Int64 and Timestamp use their halves, narrower
 *   integers and Date days are sign-extended to 64 bits, Bool is the integer 0 or 1;
 * - a Float64 hashes its IEEE bits as a 64-bit value, after mapping -0.0 to 0.0 and every
 *   NaN to the canonical quiet NaN `0x7ff8000000000000` (Float32 is widened first);
 * - a string hashes its UTF-8 bytes: full little-endian 4-byte words through `word`, the
 *   last 1–3 bytes as a little-endian tail `t` folded in as `h ⊕= scramble(t)`, then
 *   `finish(h, byteLength)`; dictionary-encoded strings hash their dictionary once
 *   and map codes through it;
 * - NULL hashes as {@link NULL_HASH};
 * - a row of several columns is `finish(word(…word(SEED, v0)…, vN-1), 4·N)` over the value
 *   hashes `v0 … vN-1`.
 *
 * `word` and `finish` are the 32-bit mixing steps documented on {@link mixWord} and
 * {@link finish}.
 *
 * @since 0.1.0
 */
import * as Arrow from "apache-arrow"
import * as Column from "./Column.js"

/** The seed every hash starts from (a fixed constant). */
export const SEED = 0x2f0d4a61

/** The value hash of NULL (a fixed constant). */
export const NULL_HASH = 0x6a09e667

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

const scramble = (k: number): number => Math.imul((Math.imul(k, C1) << 15) | (Math.imul(k, C1) >>> 17), C2)

/** One mixing step: `h' = rotl(h ⊕ scramble(k), 13) · 5 + 0xe6546b64` where `scramble(k) = rotl(k · C1, 15) · C2` (32-bit). */
export const mixWord = (h: number, k: number): number => {
  h ^= scramble(k)
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

/** Final avalanche: `h ⊕= n`, then xor-shift 16, ×0x85ebca6b, xor-shift 13, ×0xc2b2ae35, xor-shift 16; unsigned. */
export const finish = (h: number, n: number): number => {
  h ^= n
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** The value hash of a 64-bit value given as its low and high 32-bit halves. */
export const hash64 = (lo: number, hi: number): number => finish(mixWord(mixWord(SEED, lo | 0), hi | 0), 8)

/** The value hash of UTF-8 bytes `[start, end)`. */
export const hashBytes = (bytes: Uint8Array, start: number, end: number): number => {
  let h = SEED
  let k = start
  const full = start + ((end - start) & ~3)
  for (; k < full; k += 4) {
    h = mixWord(h, bytes[k]! | (bytes[k + 1]! << 8) | (bytes[k + 2]! << 16) | (bytes[k + 3]! << 24))
  }
  const rest = end - full
  if (rest > 0) {
    let t = 0
    if (rest === 3) t |= bytes[k + 2]! << 16
    if (rest >= 2) t |= bytes[k + 1]! << 8
    t |= bytes[k]!
    h ^= scramble(t)
  }
  return finish(h, end - start)
}

const f64 = new Float64Array(1)
const f64Words = new Int32Array(f64.buffer)

/** The value hash of a Float64 under the grouping equality (-0.0 = 0.0, one NaN). */
export const hashFloat = (value: number): number => {
  if (value === 0) return hash64(0, 0)
  if (value !== value) return hash64(0, 0x7ff80000)
  f64[0] = value
  return hash64(f64Words[0]!, f64Words[1]!)
}

// ---------------------------------------------------------------------------
// Per-column value hashes
// ---------------------------------------------------------------------------

type IntArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array

/** Value hashes of the first `length` strings of a Utf8 column's buffers (monomorphic loop). */
const hashUtf8 = (offsets: Int32Array, bytes: Uint8Array, length: number, out: Uint32Array): void => {
  for (let i = 0; i < length; i++) out[i] = hashBytes(bytes, offsets[i]!, offsets[i + 1]!)
}

/** Value hashes of 64-bit values given as int32 pairs (lo, hi). */
const hashWords = (words: Int32Array, length: number, out: Uint32Array): void => {
  for (let i = 0; i < length; i++) out[i] = hash64(words[2 * i]!, words[2 * i + 1]!)
}

const hashFloats = (values: Float64Array, length: number, out: Uint32Array): void => {
  for (let i = 0; i < length; i++) out[i] = hashFloat(values[i]!)
}

/** Value hashes of one column's rows (NULL rows get {@link NULL_HASH}). */
export const hashValues = (data: Arrow.Data, length: number = data.length): Uint32Array => {
  const out = new Uint32Array(length)
  if (data.typeId === Arrow.Type.Null) return out.fill(NULL_HASH)
  switch (data.typeId) {
    case Arrow.Type.Int:
    case Arrow.Type.Date:
    case Arrow.Type.Timestamp:
    case Arrow.Type.Time:
    case Arrow.Type.Duration: {
      const values = data.values as unknown
      if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
        hashWords(new Int32Array(values.buffer, values.byteOffset, length * 2), length, out)
      } else if (values instanceof Uint32Array) {
        for (let i = 0; i < length; i++) out[i] = hash64(values[i]! | 0, 0)
      } else {
        const v = values as IntArray
        for (let i = 0; i < length; i++) out[i] = hash64(v[i]!, v[i]! < 0 ? -1 : 0)
      }
      break
    }
    case Arrow.Type.Float: {
      const v = data.values as Float64Array | Float32Array | Uint16Array
      if (v instanceof Uint16Array) throw new Error("Hash: Float16 columns are not supported")
      if (v instanceof Float64Array) hashFloats(v, length, out)
      else for (let i = 0; i < length; i++) out[i] = hashFloat(v[i]!)
      break
    }
    case Arrow.Type.Bool: {
      const bits = Column.boolBits(data as Arrow.Data<Arrow.Bool>)
      const one = hash64(1, 0)
      const zero = hash64(0, 0)
      for (let i = 0; i < length; i++) out[i] = Column.getBit(bits, i) ? one : zero
      break
    }
    case Arrow.Type.Utf8:
    case Arrow.Type.Binary: {
      hashUtf8(data.valueOffsets as Int32Array, data.values as Uint8Array, length, out)
      break
    }
    case Arrow.Type.Dictionary: {
      const dictionary = (data as Arrow.Data<Arrow.Dictionary>).dictionary
      if (dictionary === undefined) throw new Error("Hash: dictionary column without a dictionary")
      const dict = Column.dataOf(dictionary)
      const dictHashes = hashValues(dict)
      const codes = data.values as unknown as IntArray | BigInt64Array
      if (codes instanceof BigInt64Array) for (let i = 0; i < length; i++) out[i] = dictHashes[Number(codes[i]!)]!
      else for (let i = 0; i < length; i++) out[i] = dictHashes[codes[i]!]!
      break
    }
    default:
      throw new Error(`Hash: cannot hash a column of type ${data.type}`)
  }
  const valid = Column.validity(data)
  if (valid !== null) for (let i = 0; i < length; i++) if (!Column.getBit(valid, i)) out[i] = NULL_HASH
  return out
}

/**
 * The hash of every row of `columns` (all with at least `length` rows), combined across
 * columns in order. Process-independent: use it for hash tables and hash partitioning.
 */
export const hashColumns = (columns: ReadonlyArray<Arrow.Data>, length: number): Uint32Array => {
  const out = new Uint32Array(length)
  if (columns.length === 0) return out.fill(finish(SEED, 0))
  if (columns.length === 1) {
    const values = hashValues(columns[0]!, length)
    for (let i = 0; i < length; i++) out[i] = finish(mixWord(SEED, values[i]!), 4)
    return out
  }
  const acc = new Int32Array(length).fill(SEED)
  for (const column of columns) {
    const values = hashValues(column, length)
    for (let i = 0; i < length; i++) acc[i] = mixWord(acc[i]!, values[i]!)
  }
  const n = columns.length * 4
  for (let i = 0; i < length; i++) out[i] = finish(acc[i]!, n)
  return out
}

// ---------------------------------------------------------------------------
// Row equality
// ---------------------------------------------------------------------------

/** How a key column is stored, as far as equality is concerned. */
export type KeyKind = "null" | "bool" | "i32" | "i64" | "f64" | "utf8"

/**
 * A key column's typed buffers, row i at index i (bit i): `words` holds Int32 values
 * ("i32") or two Int32 halves per row ("i64", lo first); `floats` Float64 values; `bits`
 * Bool values; `offsets` + `bytes` UTF-8 strings. `validity` is `null` when no row is NULL.
 * The fields are mutable so a growing store can expose its current buffers.
 */
export interface KeyView {
  readonly kind: KeyKind
  validity: Uint8Array | null
  words: Int32Array
  floats: Float64Array
  bits: Uint8Array
  offsets: Int32Array
  bytes: Uint8Array
}

const EMPTY_I32 = new Int32Array(0)
const EMPTY_F64 = new Float64Array(0)
const EMPTY_U8 = new Uint8Array(0)

/** An empty view of a kind (buffers to be set by the caller). */
export const emptyView = (kind: KeyKind): KeyView => ({
  kind,
  validity: null,
  words: EMPTY_I32,
  floats: EMPTY_F64,
  bits: EMPTY_U8,
  offsets: EMPTY_I32,
  bytes: EMPTY_U8
})

/** The kind a column of this Arrow type has as a key (canonical Grism storage), or `undefined`. */
export const keyKindOf = (type: Arrow.DataType): KeyKind | undefined => {
  switch (type.typeId) {
    case Arrow.Type.Null:
      return "null"
    case Arrow.Type.Bool:
      return "bool"
    case Arrow.Type.Int: {
      const t = type as Arrow.Int
      return t.bitWidth === 64 ? "i64" : t.bitWidth === 32 && t.isSigned ? "i32" : undefined
    }
    case Arrow.Type.Timestamp:
      return "i64"
    case Arrow.Type.Date:
      return (type as Arrow.Date_).unit === Arrow.DateUnit.DAY ? "i32" : undefined
    case Arrow.Type.Float:
      return (type as Arrow.Float).precision === Arrow.Precision.DOUBLE ? "f64" : undefined
    case Arrow.Type.Utf8:
      return "utf8"
    default:
      return undefined
  }
}

/**
 * The key view of a column in canonical storage (Null, Bool, Int32, Int64, Float64, Utf8,
 * DateDay, Timestamp). Other storage (dictionaries, narrower integers) must be cast first
 * (`Batch.castData`); a list or vector is not a key and is a defect.
 */
export const keyView = (data: Arrow.Data): KeyView => {
  const kind = keyKindOf(data.type)
  if (kind === undefined) throw new Error(`Hash.keyView: ${data.type} is not a key type in canonical storage`)
  const view = emptyView(kind)
  view.validity = kind === "null" ? Column.allocBitmap(data.length) : Column.validity(data)
  switch (kind) {
    case "bool":
      view.bits = Column.boolBits(data as Arrow.Data<Arrow.Bool>)
      break
    case "i32":
      view.words = data.values as Int32Array
      break
    case "i64": {
      const v = data.values as BigInt64Array
      view.words = new Int32Array(v.buffer, v.byteOffset, data.length * 2)
      break
    }
    case "f64":
      view.floats = data.values as Float64Array
      break
    case "utf8":
      view.offsets = data.valueOffsets as Int32Array
      view.bytes = data.values as Uint8Array
      break
    case "null":
      break
  }
  return view
}

/** Key views of several columns. */
export const keyViews = (columns: ReadonlyArray<Arrow.Data>): Array<KeyView> => columns.map(keyView)

const isValidAt = (validity: Uint8Array | null, i: number): boolean =>
  validity === null || (validity[i >> 3]! & (1 << (i & 7))) !== 0

/** Whether value i of `a` equals value j of `b` (same kind) under the grouping equality; NULL = NULL. */
export const valuesEqual = (a: KeyView, i: number, b: KeyView, j: number): boolean => {
  const va = isValidAt(a.validity, i)
  const vb = isValidAt(b.validity, j)
  if (!va || !vb) return va === vb
  switch (a.kind) {
    case "null":
      return true
    case "bool":
      return ((a.bits[i >> 3]! >> (i & 7)) & 1) === ((b.bits[j >> 3]! >> (j & 7)) & 1)
    case "i32":
      return a.words[i] === b.words[j]
    case "i64":
      return a.words[2 * i] === b.words[2 * j] && a.words[2 * i + 1] === b.words[2 * j + 1]
    case "f64": {
      const x = a.floats[i]!
      const y = b.floats[j]!
      return x === y || (x !== x && y !== y)
    }
    case "utf8": {
      const as = a.offsets[i]!, ae = a.offsets[i + 1]!
      const bs = b.offsets[j]!, be = b.offsets[j + 1]!
      if (ae - as !== be - bs) return false
      const ab = a.bytes, bb = b.bytes
      for (let k = 0; k < ae - as; k++) if (ab[as + k] !== bb[bs + k]) return false
      return true
    }
  }
}

/** Whether row i of `colsA` equals row j of `colsB` column by column (grouping equality: NULL = NULL, NaN = NaN, -0 = 0). */
export const rowsEqual = (
  colsA: ReadonlyArray<KeyView>,
  i: number,
  colsB: ReadonlyArray<KeyView>,
  j: number
): boolean => {
  for (let c = 0; c < colsA.length; c++) if (!valuesEqual(colsA[c]!, i, colsB[c]!, j)) return false
  return true
}
