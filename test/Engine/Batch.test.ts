import * as Arrow from "apache-arrow"
import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Batch from "../../src/Engine/Batch.js"
import * as DataType from "../../src/Engine/DataType.js"

const field = (name: string, type: Arrow.DataType) => new Arrow.Field(name, type, true)

const build = (type: Arrow.DataType, values: ReadonlyArray<unknown>): Arrow.Data => {
  const builder = Arrow.makeBuilder({ type, nullValues: [null, undefined] })
  for (const v of values) builder.append(v as any)
  return builder.finish().flush()
}

const listUtf8 = new Arrow.List(field("item", new Arrow.Utf8()))
const vec2 = new Arrow.FixedSizeList(2, field("item", new Arrow.Float32()))

const schema = new Arrow.Schema([
  field("i", new Arrow.Int64()),
  field("f", new Arrow.Float64()),
  field("s", new Arrow.Utf8()),
  field("b", new Arrow.Bool()),
  field("d", new Arrow.DateDay()),
  field("t", new Arrow.TimestampMillisecond()),
  field("l", listUtf8),
  field("v", vec2),
  field("n", new Arrow.Null())
])

const rows = 10
const iVals = Array.from({ length: rows }, (_, k) => (k % 3 === 1 ? null : BigInt(k * 10)))
const fVals = Array.from({ length: rows }, (_, k) => (k % 4 === 2 ? null : k + 0.5))
const sVals = Array.from({ length: rows }, (_, k) => (k % 5 === 3 ? null : `s${k}-${"x".repeat(k * 5)}\u{1F600}`))
const bVals = Array.from({ length: rows }, (_, k) => (k % 6 === 5 ? null : k % 2 === 0))
const dVals = Array.from({ length: rows }, (_, k) => (k === 4 ? null : new Date(Date.UTC(2020, 0, 1 + k))))
const tVals = Array.from({ length: rows }, (_, k) => (k === 7 ? null : Date.UTC(2021, 0, 1) + k))
const lVals = Array.from({ length: rows }, (_, k) => (k === 2 ? null : Array.from({ length: k % 3 }, (_, j) => `e${k}.${j}`)))
const vVals = Array.from({ length: rows }, (_, k) => (k === 6 ? null : [k, -k]))

const makeBatch = () =>
  Batch.make(schema, [
    build(new Arrow.Int64(), iVals),
    build(new Arrow.Float64(), fVals),
    build(new Arrow.Utf8(), sVals),
    build(new Arrow.Bool(), bVals),
    build(new Arrow.DateDay(), dVals),
    build(new Arrow.TimestampMillisecond(), tVals),
    build(listUtf8, lVals),
    build(vec2, vVals),
    Arrow.makeData({ type: new Arrow.Null(), length: rows })
  ])

/** Rows as plain JS (test-only; per-row access is fine here). */
const toRows = (batch: Arrow.RecordBatch): Array<Array<unknown>> => {
  const out: Array<Array<unknown>> = []
  for (let r = 0; r < batch.numRows; r++) {
    const row: Array<unknown> = []
    for (let c = 0; c < batch.numCols; c++) {
      const v = batch.getChildAt(c)!.get(r)
      row.push(v !== null && typeof v === "object" && "toArray" in v ? Array.from((v as any).toArray()) : v)
    }
    out.push(row)
  }
  return out
}

const expected = (indices: ReadonlyArray<number>) => {
  const full = toRows(makeBatch())
  return indices.map((j) => (j < 0 ? full[0]!.map(() => null) : full[j]!))
}

describe("Batch", () => {
  it("make / empty / column", () => {
    const b = makeBatch()
    expect(b.numRows).toBe(rows)
    expect(Batch.column(b, 0).length).toBe(rows)
    const e = Batch.empty(schema)
    expect(e.numRows).toBe(0)
    expect(e.numCols).toBe(schema.fields.length)
    expect(Batch.make(new Arrow.Schema([]), [], 5).numRows).toBe(5)
    expect(() => Batch.make(schema, [build(new Arrow.Int64(), [1n])])).toThrow()
  })

  it("take with repeats and -1", () => {
    const idx = [3, 3, -1, 0, 9, 2, 7]
    const got = toRows(Batch.take(makeBatch(), Int32Array.from(idx)))
    expect(got).toEqual(expected(idx))
  })

  it("take on a sliced batch (offset != 0)", () => {
    const sliced = makeBatch().slice(3)
    const idx = [0, 1, 2, 3, 4, 5, 6, 0, -1]
    const got = toRows(Batch.take(sliced, Int32Array.from(idx)))
    expect(got).toEqual(expected(idx.map((j) => (j < 0 ? -1 : j + 3))))
    const u = toRows(Batch.take(sliced, Uint32Array.from([6, 5])))
    expect(u).toEqual(expected([9, 8]))
  })

  it("takeData -1 produces NULL and keeps type", () => {
    const d = Batch.takeData(build(new Arrow.Int64(), [1n, 2n]), Int32Array.from([-1, 1, -1]))
    expect(d.nullCount).toBe(2)
    expect(new Arrow.Vector([d]).toArray()).toEqual(new BigInt64Array([0n, 2n, 0n]))
    expect(new Arrow.Vector([d]).get(0)).toBe(null)
    expect(new Arrow.Vector([d]).get(1)).toBe(2n)
  })

  it("filter keeps TRUE rows only, on sliced batches too", () => {
    const b = makeBatch()
    const pred = build(new Arrow.Bool(), [true, false, null, true, true, null, false, true, true, false]) as Arrow.Data<Arrow.Bool>
    expect(toRows(Batch.filter(b, pred))).toEqual(expected([0, 3, 4, 7, 8]))
    const sliced = b.slice(3)
    const predSliced = pred.slice(3, 7) as Arrow.Data<Arrow.Bool>
    // predicate rows: true true null false true true false → rows 3,4,7,8 of the original
    expect(toRows(Batch.filter(sliced, predSliced))).toEqual(expected([3, 4, 7, 8]))
  })

  it("selectByMask and maskToIndices", () => {
    const mask = new Uint8Array(8)
    mask[0] = 0b10000101
    mask[1] = 0b10
    expect(Array.from(Batch.maskToIndices(mask, 10))).toEqual([0, 2, 7, 9])
    expect(toRows(Batch.selectByMask(makeBatch(), mask))).toEqual(expected([0, 2, 7, 9]))
  })

  it("slice", () => {
    const s = Batch.slice(makeBatch(), 2, 5)
    expect(toRows(s)).toEqual(expected([2, 3, 4]))
    expect(Batch.slice(makeBatch(), 8, 100).numRows).toBe(2)
  })

  it("concat of several batches incl. strings, lists, sliced and empty", () => {
    const b = makeBatch()
    const parts = [b.slice(0, 3), Batch.empty(schema), b.slice(3, 4), b.slice(4)]
    const c = Batch.concat(schema, parts)
    expect(c.numRows).toBe(rows)
    expect(toRows(c)).toEqual(toRows(b))
    for (let k = 0; k < c.numCols; k++) expect(c.getChildAt(k)!.data.length).toBe(1)
    const twice = Batch.concat(schema, [b.slice(5), b.slice(1, 9), b])
    expect(toRows(twice)).toEqual(expected([5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
    expect(Batch.concat(schema, []).numRows).toBe(0)
  })

  it("concat converts Null and Int64 pieces to the schema type", () => {
    const s = new Arrow.Schema([field("x", new Arrow.Float64())])
    const a = Batch.make(new Arrow.Schema([field("x", new Arrow.Int64())]), [build(new Arrow.Int64(), [1n, null])])
    const n = Batch.make(new Arrow.Schema([field("x", new Arrow.Null())]), [Arrow.makeData({ type: new Arrow.Null(), length: 2 })])
    const f = Batch.make(s, [build(new Arrow.Float64(), [2.5])])
    const c = Batch.concat(s, [a, n, f])
    expect(toRows(c)).toEqual([[1], [null], [null], [null], [2.5]])
  })

  it("string dictionaries stay encoded through take, filter and concat over one dictionary", () => {
    const dictType = new Arrow.Dictionary(new Arrow.Utf8(), new Arrow.Int32())
    const d = build(dictType, ["a", "bb", null, "a", "ccc"])
    expect(Batch.isStringDictionary(d)).toBe(true)
    const s = new Arrow.Schema([field("s", dictType)])
    const b = Batch.make(s, [d])
    const t = Batch.take(b, Int32Array.from([4, 2, 0, -1]))
    expect(t.schema.fields[0]!.type.typeId).toBe(Arrow.Type.Dictionary)
    expect(Batch.column(t, 0).dictionary).toBe(d.dictionary)
    expect(toRows(t)).toEqual([["ccc"], [null], ["a"], [null]])
    // a batch's size counts its codes and validity, not the dictionary every batch of the column shares
    expect(Batch.byteSize(t)).toBe(1 + 4 * 4)
    const kept = Batch.selectByMask(b, Uint8Array.from([0b11001]))
    expect(Batch.column(kept, 0).typeId).toBe(Arrow.Type.Dictionary)
    expect(toRows(kept).map((r) => r[0])).toEqual(["a", "a", "ccc"])
    const c = Batch.concat(s, [b.slice(1), b])
    expect(Batch.column(c, 0).typeId).toBe(Arrow.Type.Dictionary)
    expect(toRows(c).map((r) => r[0])).toEqual(["bb", null, "a", "ccc", "a", "bb", null, "a", "ccc"])
    // under a Utf8 field, or with two different dictionaries, concatenation decodes
    const plain = Batch.concat(new Arrow.Schema([field("s", new Arrow.Utf8())]), [b])
    expect(Batch.column(plain, 0).typeId).toBe(Arrow.Type.Utf8)
    const other = Batch.make(s, [build(dictType, ["z", null])])
    const mixed = Batch.concat(s, [b, other])
    expect(Batch.column(mixed, 0).typeId).toBe(Arrow.Type.Utf8)
    expect(toRows(mixed).map((r) => r[0])).toEqual(["a", "bb", null, "a", "ccc", "z", null])
    const decoded = Batch.decodeDictionaries(t)
    expect(decoded.schema.fields[0]!.type.typeId).toBe(Arrow.Type.Utf8)
    expect(toRows(decoded)).toEqual([["ccc"], [null], ["a"], [null]])
    expect(new Arrow.Vector([Batch.castData(d, DataType.String)]).toArray()).toEqual(["a", "bb", null, "a", "ccc"])
    expect(Batch.castKeepingDictionary(d, DataType.String)).toBe(d)
  })

  it("dictionaries other than Int32 codes into strings decode on take", () => {
    const dictType = new Arrow.Dictionary(new Arrow.Utf8(), new Arrow.Int8())
    const d = build(dictType, ["a", "bb", null, "a"])
    expect(Batch.isStringDictionary(d)).toBe(false)
    const t = Batch.take(Batch.make(new Arrow.Schema([field("s", dictType)]), [d]), Int32Array.from([3, 2, 1]))
    expect(t.schema.fields[0]!.type.typeId).toBe(Arrow.Type.Utf8)
    expect(toRows(t)).toEqual([["a"], [null], ["bb"]])
  })

  it("byteSize > 0 and smaller for a slice", () => {
    const b = makeBatch()
    const full = Batch.byteSize(b)
    expect(full).toBeGreaterThan(0)
    expect(Batch.byteSize(b.slice(5))).toBeLessThan(full)
    expect(Batch.byteSize(Batch.empty(schema))).toBe(0)
  })

  it("withSchema renames", () => {
    const b = makeBatch().slice(2)
    const renamed = new Arrow.Schema(schema.fields.map((f) => f.clone({ name: `x_${f.name}` })))
    const r = Batch.withSchema(b, renamed)
    expect(r.schema.fields.map((f) => f.name)[0]).toBe("x_i")
    expect(toRows(r)).toEqual(toRows(b))
  })

  it("castData: identity, Int64 → Float64, Null → any, narrower ints", () => {
    const i = build(new Arrow.Int64(), [1n, null, -3n])
    expect(Batch.castData(i, DataType.Int64)).toBe(i)
    const f = Batch.castData(i.slice(1, 2), DataType.Float64)
    expect(f.type.typeId).toBe(Arrow.Type.Float)
    expect(new Arrow.Vector([f]).toArray()[1]).toBe(-3)
    expect(new Arrow.Vector([f]).get(0)).toBe(null)
    const n = Batch.castData(Arrow.makeData({ type: new Arrow.Null(), length: 3 }), DataType.List(DataType.String))
    expect(n.length).toBe(3)
    expect(n.nullCount).toBe(3)
    expect(n.type.typeId).toBe(Arrow.Type.List)
    const big = [9007199254740993n, -9223372036854775808n, 9223372036854775807n, -1n, 4294967295n, -4294967297n]
    const bigF = Batch.castData(build(new Arrow.Int64(), big), DataType.Float64)
    expect(Array.from(bigF.values as Float64Array)).toEqual(big.map((v) => Number(v)))
    const i32 = build(new Arrow.Int32(), [7, null])
    const w = Batch.castData(i32, DataType.Int64)
    expect(new Arrow.Vector([w]).get(0)).toBe(7n)
    expect(new Arrow.Vector([w]).get(1)).toBe(null)
  })
})

describe("Batch.takeData on strings", () => {
  it("gathers values of every length (word copies and byte loops), repeats, -1 and sliced input", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.string({ maxLength: 40, unit: "grapheme" }), { nil: null }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: -1, max: 1000 }), { maxLength: 80 }),
        fc.nat({ max: 5 }),
        (values, picks, cut) => {
          const full = build(new Arrow.Utf8(), values)
          const start = Math.min(cut, values.length - 1)
          const data = full.slice(start, values.length - start)
          const visible = values.slice(start)
          const indices = Int32Array.from(picks.map((p) => (p < 0 ? -1 : p % visible.length)))
          const out = Arrow.makeVector(Batch.takeData(data, indices))
          expect(Array.from({ length: out.length }, (_, i) => out.get(i))).toEqual([...indices].map((j) => (j < 0 ? null : visible[j]!)))
        }
      ),
      { numRuns: 200 }
    )
  })
})
