/**
 * A hash table from key rows to dense group ids (0, 1, 2, … in order of first
 * appearance), storing each group's key values once in growable typed buffers.
 * Lookups use `Hash.hashColumns` and the grouping equality `Hash.rowsEqual`.
 *
 * @internal
 */
import * as Arrow from "apache-arrow"
import * as Column from "../Column.js"
import { decodeDictionary, dictionaryCodes, dictionaryValues, isStringDictionary, nullData } from "./batch.js"
import * as Hash from "../Hash.js"

const grow = <T extends Int32Array | Float64Array | Uint8Array>(array: T, need: number): T => {
  if (need <= array.length) return array
  let size = Math.max(16, array.length * 2)
  while (size < need) size *= 2
  const out = new (array.constructor as new(n: number) => T)(size)
  out.set(array)
  return out
}

/** One key column of the stored groups: typed buffers that grow as groups are added. */
export class KeyBuffer {
  readonly view: Hash.KeyView
  length = 0
  private validity: Uint8Array = new Uint8Array(8)
  private anyNull = false
  private bytesUsed = 0

  constructor(readonly type: Arrow.DataType) {
    const kind = Hash.keyKindOf(type)
    if (kind === undefined) throw new Error(`GroupTable: ${type} is not a key type in canonical storage`)
    this.view = Hash.emptyView(kind)
    this.view.validity = this.validity
    if (kind === "utf8") this.view.offsets = new Int32Array(16)
  }

  /** Appends value i of `source` (a view of the same kind). */
  append(source: Hash.KeyView, i: number): void {
    const row = this.length
    const view = this.view
    this.validity = grow(this.validity, (row >> 3) + 1)
    view.validity = this.validity
    const valid = source.validity === null || (source.validity[i >> 3]! & (1 << (i & 7))) !== 0
    if (valid) Column.setBit(this.validity, row)
    else this.anyNull = true
    switch (view.kind) {
      case "null":
        break
      case "bool":
        view.bits = grow(view.bits, (row >> 3) + 1)
        if (valid && (source.bits[i >> 3]! & (1 << (i & 7))) !== 0) Column.setBit(view.bits, row)
        break
      case "i32":
        view.words = grow(view.words, row + 1)
        view.words[row] = valid ? source.words[i]! : 0
        break
      case "i64":
        view.words = grow(view.words, 2 * row + 2)
        view.words[2 * row] = valid ? source.words[2 * i]! : 0
        view.words[2 * row + 1] = valid ? source.words[2 * i + 1]! : 0
        break
      case "f64":
        view.floats = grow(view.floats, row + 1)
        view.floats[row] = valid ? source.floats[i]! : 0
        break
      case "utf8": {
        view.offsets = grow(view.offsets, row + 2)
        if (valid) {
          const start = source.offsets[i]!
          const end = source.offsets[i + 1]!
          view.bytes = grow(view.bytes, this.bytesUsed + end - start)
          view.bytes.set(source.bytes.subarray(start, end), this.bytesUsed)
          this.bytesUsed += end - start
        }
        view.offsets[row + 1] = this.bytesUsed
        break
      }
    }
    this.length = row + 1
  }

  /** The stored values as one Arrow column (copies of the used part of the buffers). */
  toData(): Arrow.Data {
    const n = this.length
    const view = this.view
    const validity = this.anyNull ? Column.copyBits(this.validity, 0, n) : null
    const props = { type: this.type, length: n, nullBitmap: validity ?? undefined, nullCount: Column.countNulls(validity, n) }
    switch (view.kind) {
      case "null":
        return Arrow.makeData({ type: this.type as Arrow.Null, length: n })
      case "bool":
        return Arrow.makeData({ ...props, data: Column.copyBits(view.bits, 0, n) } as any) as Arrow.Data
      case "i32":
        return Arrow.makeData({ ...props, data: view.words.slice(0, n) } as any) as Arrow.Data
      case "i64":
        return Arrow.makeData({ ...props, data: new BigInt64Array(view.words.slice(0, 2 * n).buffer) } as any) as Arrow.Data
      case "f64":
        return Arrow.makeData({ ...props, data: view.floats.slice(0, n) } as any) as Arrow.Data
      case "utf8":
        return Arrow.makeData({
          ...props,
          valueOffsets: view.offsets.slice(0, n + 1),
          data: view.bytes.slice(0, this.bytesUsed)
        } as any) as Arrow.Data
    }
  }

  /** Bytes held by the buffers (capacity). */
  byteSize(): number {
    const v = this.view
    return this.validity.byteLength + v.words.byteLength + v.floats.byteLength + v.bits.byteLength +
      v.offsets.byteLength + v.bytes.byteLength
  }
}

/**
 * `out[i]` = the group of row i's dictionary entry (`codeGroups`, -1 when not looked up
 * yet), -1 for NULL rows; returns how many rows got -1.
 */
const groupsOfCodes = (codes: Int32Array, codeGroups: Int32Array, valid: Uint8Array | null, out: Int32Array): number => {
  const n = out.length
  let missing = 0
  if (valid === null) {
    for (let i = 0; i < n; i++) {
      const g = codeGroups[codes[i]!]!
      out[i] = g
      missing += g >>> 31
    }
    return missing
  }
  for (let i = 0; i < n; i++) {
    const g = (valid[i >> 3]! & (1 << (i & 7))) === 0 ? -1 : codeGroups[codes[i]!]!
    out[i] = g
    missing += g >>> 31
  }
  return missing
}

/** Maps key rows to dense group ids; see the module doc. */
export class GroupTable {
  readonly keys: ReadonlyArray<KeyBuffer>
  readonly views: ReadonlyArray<Hash.KeyView>
  /** Number of groups. */
  size = 0
  private slots: Int32Array
  private mask: number
  private groupHashes: Uint32Array = new Uint32Array(16)

  constructor(types: ReadonlyArray<Arrow.DataType>, capacity = 64) {
    this.keys = types.map((t) => new KeyBuffer(t))
    this.views = this.keys.map((k) => k.view)
    let size = 16
    while (size < capacity * 2) size *= 2
    this.slots = new Int32Array(size).fill(-1)
    this.mask = size - 1
  }

  /**
   * The group id of every row of a batch (its key columns as views, with their row hashes),
   * adding groups for new keys. Rows whose bit in `skip` is clear are not looked up (their
   * id is -1). With no key columns every row is group 0.
   */
  findOrInsert(
    views: ReadonlyArray<Hash.KeyView>,
    hashes: Uint32Array,
    length: number,
    only: Uint8Array | null = null
  ): Int32Array {
    const out = new Int32Array(length)
    if (this.keys.length === 0) {
      if (this.size === 0) this.size = 1
      if (only !== null) for (let i = 0; i < length; i++) if (!Column.getBit(only, i)) out[i] = -1
      return out
    }
    if (views.length === 1 && views[0]!.kind === "utf8" && only === null) {
      this.findOrInsertUtf8(views, hashes, length, out)
      return out
    }
    for (let i = 0; i < length; i++) {
      if (only !== null && (only[i >> 3]! & (1 << (i & 7))) === 0) {
        out[i] = -1
        continue
      }
      out[i] = this.findOrInsertRow(views, hashes[i]!, i)
    }
    return out
  }

  /**
   * {@link findOrInsert} for one string key: probes with the bytes compared inline; NULL
   * keys and new keys go through {@link findOrInsertRow}.
   */
  private findOrInsertUtf8(views: ReadonlyArray<Hash.KeyView>, hashes: Uint32Array, length: number, out: Int32Array): void {
    const source = views[0]!
    const offsets = source.offsets
    const bytes = source.bytes
    const valid = source.validity
    const stored = this.views[0]!
    for (let i = 0; i < length; i++) {
      const hash = hashes[i]!
      if (valid !== null && (valid[i >> 3]! & (1 << (i & 7))) === 0) {
        out[i] = this.findOrInsertRow(views, hash, i)
        continue
      }
      const start = offsets[i]!
      const len = offsets[i + 1]! - start
      const slots = this.slots
      const mask = this.mask
      const groupHashes = this.groupHashes
      const storedOffsets = stored.offsets
      const storedBytes = stored.bytes
      const storedValid = stored.validity!
      let slot = hash & mask
      let found = -1
      for (;;) {
        const g = slots[slot]!
        if (g === -1) break
        if (groupHashes[g] === hash && (storedValid[g >> 3]! & (1 << (g & 7))) !== 0) {
          const gs = storedOffsets[g]!
          if (storedOffsets[g + 1]! - gs === len) {
            let k = 0
            while (k < len && storedBytes[gs + k] === bytes[start + k]) k++
            if (k === len) {
              found = g
              break
            }
          }
        }
        slot = (slot + 1) & mask
      }
      out[i] = found >= 0 ? found : this.findOrInsertRow(views, hash, i)
    }
  }

  /**
   * The group id of every row of a batch's key columns, adding groups for new keys. The
   * columns are in canonical storage, or one string dictionary column: then each
   * dictionary entry is looked up once (on its first row) and the rows map through their
   * codes. Ids are the same as for the decoded values. The returned array may be reused
   * by the next call (read it before calling again).
   */
  findOrInsertColumns(keys: ReadonlyArray<Arrow.Data>, length: number): Int32Array {
    if (keys.length === 1 && isStringDictionary(keys[0]!)) return this.findOrInsertCodes(keys[0]!, length)
    const plain = keys.map((k) => (k.typeId === Arrow.Type.Dictionary ? decodeDictionary(k) : k))
    return this.findOrInsert(Hash.keyViews(plain), Hash.hashColumns(plain, length), length)
  }

  /** The dictionary whose entries' groups {@link codeGroups} holds (-1: not looked up yet). */
  private dictionary: Arrow.Vector | undefined
  private codeGroups: Int32Array = new Int32Array(0)
  private entries: Array<Hash.KeyView> = []
  private entryHashes: Uint32Array = new Uint32Array(0)
  /** The group ids handed out by the last {@link findOrInsertCodes} (reused: no fresh batch-sized array per batch). */
  private ids: Int32Array = new Int32Array(0)

  private findOrInsertCodes(data: Arrow.Data, length: number): Int32Array {
    if (this.dictionary !== data.dictionary) {
      const values = dictionaryValues(data)
      this.dictionary = data.dictionary
      this.codeGroups = new Int32Array(values.length).fill(-1)
      this.entries = [Hash.keyView(values)]
      this.entryHashes = Hash.hashColumns([values], values.length)
    }
    if (this.ids.length < length) this.ids = new Int32Array(length)
    const out = this.ids.subarray(0, length)
    const codes = dictionaryCodes(data)
    const codeGroups = this.codeGroups
    const valid = Column.validity(data)
    if (groupsOfCodes(codes, codeGroups, valid, out) === 0) return out
    // rows of NULL keys or of entries not looked up yet, in row order (groups keep their order of first appearance)
    let nullGroup = -1
    for (let i = 0; i < length; i++) {
      if (out[i]! >= 0) continue
      if (valid !== null && (valid[i >> 3]! & (1 << (i & 7))) === 0) {
        if (nullGroup < 0) {
          const nulls = [nullData(new Arrow.Utf8(), 1)]
          nullGroup = this.findOrInsertRow(Hash.keyViews(nulls), Hash.hashColumns(nulls, 1)[0]!, 0)
        }
        out[i] = nullGroup
        continue
      }
      const code = codes[i]!
      let g = codeGroups[code]!
      if (g < 0) {
        g = this.findOrInsertRow(this.entries, this.entryHashes[code]!, code)
        codeGroups[code] = g
      }
      out[i] = g
    }
    return out
  }

  /** The group id of row i (hash `hash`), adding a group when the key is new. */
  findOrInsertRow(views: ReadonlyArray<Hash.KeyView>, hash: number, i: number): number {
    const slots = this.slots
    const mask = this.mask
    let slot = hash & mask
    for (;;) {
      const g = slots[slot]!
      if (g === -1) break
      if (
        this.groupHashes[g] === hash &&
        (views.length === 1 ? Hash.valuesEqual(views[0]!, i, this.views[0]!, g) : Hash.rowsEqual(views, i, this.views, g))
      ) return g
      slot = (slot + 1) & mask
    }
    const g = this.size++
    for (let c = 0; c < this.keys.length; c++) this.keys[c]!.append(views[c]!, i)
    if (g >= this.groupHashes.length) {
      const grown = new Uint32Array(this.groupHashes.length * 2)
      grown.set(this.groupHashes)
      this.groupHashes = grown
    }
    this.groupHashes[g] = hash
    slots[slot] = g
    if (this.size * 2 > slots.length) this.rehash()
    return g
  }

  private rehash(): void {
    const size = this.slots.length * 2
    const slots = new Int32Array(size).fill(-1)
    const mask = size - 1
    for (let g = 0; g < this.size; g++) {
      let slot = this.groupHashes[g]! & mask
      while (slots[slot] !== -1) slot = (slot + 1) & mask
      slots[slot] = g
    }
    this.slots = slots
    this.mask = mask
  }

  /** The key columns of groups `[0, size)`. */
  columns(): Array<Arrow.Data> {
    return this.keys.map((k) => k.toData())
  }

  /** Bytes held (buffers' capacity). */
  byteSize(): number {
    return this.slots.byteLength + this.groupHashes.byteLength + this.keys.reduce((n, k) => n + k.byteSize(), 0)
  }
}
