import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Arrow from "apache-arrow"
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import * as Batch from "../../src/Engine/Batch.js"
import * as DataType from "../../src/Engine/DataType.js"
import * as Expr from "../../src/Engine/Expr.js"
import * as Column from "../../src/Engine/Kernels/Column.js"
import * as P from "../../src/Engine/Partitioning.js"
import { arrowSchema, batchFromRows, columnOf } from "../utils/MockSources.js"

const schema = arrowSchema([
  ["i", DataType.Int64],
  ["k", DataType.Int64],
  ["f", DataType.Float64],
  ["s", DataType.String],
  ["b", DataType.Bool],
  ["d", DataType.Date]
])

/** 500 rows with repeated keys, NULLs, big Int64 values, -0/NaN and non-BMP strings. */
const mixedBatch = (): Arrow.RecordBatch => {
  const rows: Array<ReadonlyArray<unknown>> = []
  const strings = ["alice", "bob", "😀", "\uFFFD", "", "Zoë", null]
  for (let i = 0; i < 500; i++) {
    rows.push([
      BigInt(i),
      i % 11 === 0 ? null : BigInt(((i * 7919) % 97) - 48) * 4294967296n + BigInt(i % 3),
      i % 13 === 0 ? null : i % 5 === 0 ? -0 : i % 7 === 0 ? NaN : (i % 17) / 4,
      strings[i % strings.length],
      i % 9 === 0 ? null : i % 2 === 0,
      i % 19 === 0 ? null : (i % 23) - 11
    ])
  }
  return batchFromRows(schema, rows)
}

const specs = (n: number): ReadonlyArray<P.PartitioningSpec> => [
  new P.Hash({ keys: ["k"], n }),
  new P.Hash({ keys: ["s", "f", "b"], n }),
  new P.Hash({ keys: ["d", "k"], n }),
  new P.Adjacency({ anchor: "i", n }),
  new P.RoundRobin({ n }),
  new P.Range({
    key: new P.RangeKey({ column: "f", descending: false }),
    boundaries: [Expr.typedLit(0.5, DataType.Float64), Expr.typedLit(2, DataType.Float64)]
  }),
  new P.Range({
    key: new P.RangeKey({ column: "s", descending: true }),
    boundaries: [Expr.typedLit("😀", DataType.String), Expr.typedLit("bob", DataType.String)]
  }),
  P.single
]

describe("Partitioning.route / split", () => {
  it("routes every row to exactly one partition in range, and split agrees with route", () => {
    const batch = mixedBatch()
    for (const n of [1, 3, 7]) {
      for (const spec of specs(n)) {
        const count = P.partitionCount(spec)
        const parts = P.route(spec, batch)
        expect(parts.length).toBe(batch.numRows)
        for (const p of parts) expect(p >= 0 && p < count).toBe(true)
        const pieces = P.split(spec, batch)
        expect(pieces.length).toBe(count)
        const seen = new Set<bigint>()
        pieces.forEach((piece, p) => {
          for (const i of columnOf(piece, "i") as Array<bigint>) {
            expect(seen.has(i)).toBe(false) // disjoint
            seen.add(i)
            expect(parts[Number(i)]).toBe(p) // in the partition route chose
          }
        })
        expect(seen.size).toBe(batch.numRows) // covering
      }
    }
  })

  it("split keeps the rows' relative order inside a partition", () => {
    const batch = mixedBatch()
    for (const piece of P.split(new P.Hash({ keys: ["s"], n: 4 }), batch)) {
      const ids = (columnOf(piece, "i") as Array<bigint>).map(Number)
      expect(ids).toEqual([...ids].sort((a, b) => a - b))
    }
  })

  it("equal keys go to the same partition: -0.0 with 0.0, every NaN together, NULLs together", () => {
    // Two different NaN bit patterns.
    const values = new Float64Array(8)
    const view = new DataView(values.buffer)
    values[0] = 0
    values[1] = -0
    view.setBigUint64(2 * 8, 0x7ff8000000000000n, true)
    view.setBigUint64(3 * 8, 0x7ff0000000000001n, true)
    view.setBigUint64(4 * 8, 0xfff8000000000123n, true)
    values[5] = 1.5
    values[6] = 0 // NULL slot
    values[7] = 123 // NULL slot with another payload
    const validity = Column.allSetBitmap(8)
    Column.clearBit(validity, 6)
    Column.clearBit(validity, 7)
    expect(Number.isNaN(values[3]!) && Number.isNaN(values[4]!)).toBe(true)
    const batch = Batch.make(arrowSchema([["x", DataType.Float64]]), [Column.float64(values, validity)])
    for (const n of [2, 5, 16, 64]) {
      const parts = P.route(new P.Hash({ keys: ["x"], n }), batch)
      expect(parts[1]).toBe(parts[0]) // -0 = 0
      expect(parts[3]).toBe(parts[2]) // NaN = NaN
      expect(parts[4]).toBe(parts[2])
      expect(parts[7]).toBe(parts[6]) // NULL = NULL whatever the slot holds
    }
  })

  it("equal keys go to the same partition whatever batch or position they come in", () => {
    const batch = mixedBatch()
    const spec = new P.Hash({ keys: ["s", "k"], n: 5 })
    const whole = P.route(spec, batch)
    const slice = P.route(spec, Batch.slice(batch, 123, 377))
    expect(Array.from(slice)).toEqual(Array.from(whole.subarray(123, 377)))
    const reversed = Batch.take(batch, Int32Array.from({ length: batch.numRows }, (_, i) => batch.numRows - 1 - i))
    expect(Array.from(P.route(spec, reversed)).reverse()).toEqual(Array.from(whole))
  })

  it("Adjacency routes like a hash of the anchor id and like nodePartitions", () => {
    const batch = mixedBatch()
    const adjacency = P.route(new P.Adjacency({ anchor: "k", n: 6 }), batch)
    expect(Array.from(adjacency)).toEqual(Array.from(P.route(new P.Hash({ keys: ["k"], n: 6 }), batch)))
    expect(Array.from(adjacency)).toEqual(Array.from(P.nodePartitions(Batch.column(batch, 1), 6)))
  })

  it("hash partitions spread distinct keys over every partition", () => {
    const batch = mixedBatch()
    const counts = new Array(4).fill(0)
    for (const p of P.route(new P.Hash({ keys: ["i"], n: 4 }), batch)) counts[p]++
    for (const c of counts) expect(c).toBeGreaterThan(60) // 125 expected each
  })

  it("round robin counts from the stream position", () => {
    const batch = Batch.slice(mixedBatch(), 0, 7)
    expect(Array.from(P.route(new P.RoundRobin({ n: 3 }), batch, 5))).toEqual([2, 0, 1, 2, 0, 1, 2])
  })

  it("range on Int64 compares both halves (beyond 2^53, negative, low word unsigned)", () => {
    const big = 2n ** 62n
    const s = arrowSchema([["x", DataType.Int64]])
    const batch = batchFromRows(s, [
      [-(2n ** 40n) - 1n], [-(2n ** 40n)], [-1n], [0xffffffffn], [0x100000000n], [big], [big + 1n], [null]
    ])
    const spec = new P.Range({
      key: new P.RangeKey({ column: "x", descending: false }),
      boundaries: [Expr.typedLit(-(2n ** 40n), DataType.Int64), Expr.typedLit(0xffffffffn, DataType.Int64), Expr.typedLit(big, DataType.Int64)]
    })
    // Equal to a boundary → the lower partition; NULLs last ascending.
    expect(Array.from(P.route(spec, batch))).toEqual([0, 0, 1, 1, 2, 2, 3, 3])
  })

  it("range descending puts NULLs first and reverses the order", () => {
    const s = arrowSchema([["x", DataType.Int64]])
    const batch = batchFromRows(s, [[25n], [20n], [15n], [10n], [5n], [null]])
    const spec = new P.Range({
      key: new P.RangeKey({ column: "x", descending: true }),
      boundaries: [Expr.typedLit(20n, DataType.Int64), Expr.typedLit(10n, DataType.Int64)]
    })
    expect(Array.from(P.route(spec, batch))).toEqual([0, 0, 1, 1, 2, 0])
    const nullsLast = new P.Range({ key: new P.RangeKey({ column: "x", descending: true, nullsFirst: false }), boundaries: spec.boundaries })
    expect(P.route(nullsLast, batch)[5]).toBe(2)
  })

  it("range on floats: -0.0 equals 0.0, NaN above everything", () => {
    const s = arrowSchema([["x", DataType.Float64]])
    const batch = batchFromRows(s, [[-1], [-0], [0], [0.5], [Infinity], [NaN], [null]])
    const spec = new P.Range({
      key: new P.RangeKey({ column: "x", descending: false, nullsFirst: true }),
      boundaries: [Expr.typedLit(0, DataType.Float64), Expr.typedLit(Infinity, DataType.Float64)]
    })
    expect(Array.from(P.route(spec, batch))).toEqual([0, 0, 0, 1, 1, 2, 0])
  })

  it("range on strings uses code point order, not UTF-16 order", () => {
    const s = arrowSchema([["x", DataType.String]])
    const batch = batchFromRows(s, [["a"], ["\uFFFD"], ["😀"], ["\uFFFF"]])
    const spec = new P.Range({
      key: new P.RangeKey({ column: "x", descending: false }),
      boundaries: [Expr.typedLit("\uFFFD", DataType.String)]
    })
    // U+1F600 > U+FFFD by code point although "😀" < "\uFFFD" in UTF-16.
    expect(Array.from(P.route(spec, batch))).toEqual([0, 0, 1, 1])
  })

  it("range on booleans and dates", () => {
    const s = arrowSchema([["b", DataType.Bool], ["d", DataType.Date]])
    const bools = batchFromRows(arrowSchema([["b", DataType.Bool]]), [[false], [true], [null], [true]])
    const batch = Batch.make(s, [Batch.column(bools, 0), Column.dateDay(Int32Array.from([-5, 0, 3, 4]))])
    const byBool = new P.Range({ key: new P.RangeKey({ column: "b", descending: false }), boundaries: [Expr.typedLit(false, DataType.Bool)] })
    expect(Array.from(P.route(byBool, batch))).toEqual([0, 1, 1, 1])
    const byDate = new P.Range({ key: new P.RangeKey({ column: "d", descending: false }), boundaries: [Expr.typedLit(0, DataType.Date), Expr.typedLit(3, DataType.Date)] })
    expect(Array.from(P.route(byDate, batch))).toEqual([0, 0, 1, 2])
  })

  it("a missing key column is a defect", () => {
    expect(() => P.route(new P.Hash({ keys: ["nope"], n: 2 }), mixedBatch())).toThrow(/no column nope/)
  })

  it("specs and exchange modes round-trip through JSON", () => {
    for (const spec of specs(4)) {
      const json = JSON.parse(JSON.stringify(Schema.encodeSync(P.PartitioningSpec)(spec)))
      const back = Schema.decodeUnknownSync(P.PartitioningSpec)(json)
      expect(back._tag).toBe(spec._tag)
      expect(P.display(back)).toBe(P.display(spec))
      expect(Array.from(P.route(back, mixedBatch()))).toEqual(Array.from(P.route(spec, mixedBatch())))
    }
    const mode = P.shuffle(new P.Hash({ keys: ["a"], n: 2 }))
    const back = Schema.decodeUnknownSync(P.ExchangeMode)(JSON.parse(JSON.stringify(Schema.encodeSync(P.ExchangeMode)(mode))))
    expect(P.displayMode(back)).toBe("Shuffle(Hash([a], 2))")
  })

  it("routes identically in another process", () => {
    const batch = mixedBatch()
    const dir = mkdtempSync(join(tmpdir(), "grism-route-"))
    try {
      const ipc = join(dir, "batch.arrow")
      writeFileSync(ipc, Arrow.tableToIPC(new Arrow.Table([batch]), "stream"))
      const encoded = specs(7).map((s) => Schema.encodeSync(P.PartitioningSpec)(s))
      const specFile = join(dir, "specs.json")
      writeFileSync(specFile, JSON.stringify(encoded))
      const module = join(process.cwd(), "src/Engine/Partitioning.ts")
      const script = `
        import { readFileSync } from "node:fs"
        import * as Arrow from "apache-arrow"
        import { Schema } from "effect"
        const P = await import(${JSON.stringify(module)})
        const table = Arrow.tableFromIPC(readFileSync(${JSON.stringify(ipc)}))
        const specs = JSON.parse(readFileSync(${JSON.stringify(specFile)}, "utf8"))
        const out = specs.map((s) => Array.from(P.route(Schema.decodeUnknownSync(P.PartitioningSpec)(s), table.batches[0])))
        process.stdout.write(JSON.stringify(out))
      `
      const stdout = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: process.cwd(),
        encoding: "utf8"
      })
      const child = JSON.parse(stdout) as Array<Array<number>>
      const here = specs(7).map((s) => Array.from(P.route(s, batch)))
      expect(child).toEqual(here)
      // The child really routed something non-trivial.
      expect(new Set(child[0]).size).toBeGreaterThan(1)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
