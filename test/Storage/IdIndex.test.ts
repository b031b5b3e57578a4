import { describe, expect, it } from "vitest"
import * as IdIndex from "../../src/Storage/internal/idIndex.js"

const ids = (...values: Array<bigint>) => BigInt64Array.from(values)

describe("IdIndex", () => {
  it("dense ids (negative too) map to their positions across parts", () => {
    const index = IdIndex.build([ids(-2n, 5n, 0n), ids(3n, 1n)])
    expect(index.duplicate).toBeUndefined()
    expect([...index.lookup(ids(-2n, 5n, 0n, 3n, 1n, 2n, -3n, 6n, 2n ** 40n))]).toEqual([0, 1, 2, 3, 4, -1, -1, -1, -1])
  })

  it("ids that are a sequence in order (across parts) map to id − min; others in range still map exactly", () => {
    const index = IdIndex.build([BigInt64Array.from([-3n, -2n, -1n]), BigInt64Array.from([0n, 1n, 2n, 3n])])
    expect(index.size).toBe(7)
    expect(index.duplicate).toBeUndefined()
    const probe = BigInt64Array.from([3n, -3n, 0n, 4n, -4n, 2n ** 32n - 3n, -(2n ** 32n) + 1n, 2n ** 40n])
    expect([...index.lookup(probe)]).toEqual([6, 0, 3, -1, -1, -1, -1, -1])
    // the same ids out of order: positions, not id − min
    const shuffled = IdIndex.build([BigInt64Array.from([2n, 0n, 1n]), BigInt64Array.from([-1n])])
    expect([...shuffled.lookup(BigInt64Array.from([0n, 1n, 2n, -1n, 3n]))]).toEqual([1, 2, 0, 3, -1])
  })

  it("sparse and 64-bit ids use the hash layout and still map exactly", () => {
    const big = [2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n, 4294967296n, 1n, -4294967296n, 123456789012345n]
    const index = IdIndex.build([BigInt64Array.from(big)])
    expect(index.duplicate).toBeUndefined()
    expect([...index.lookup(BigInt64Array.from(big))]).toEqual([0, 1, 2, 3, 4, 5, 6])
    // same low word, different high word; and same high word, different low word
    expect([...index.lookup(ids(4294967297n, 0n, 2n ** 62n + 1n, 8589934592n))]).toEqual([-1, -1, -1, -1])
  })

  it("many sparse ids survive collisions", () => {
    const n = 5000
    const values = BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 1_000_003n + (1n << 40n))
    const index = IdIndex.build([values])
    const out = index.lookup(values)
    for (let i = 0; i < n; i++) expect(out[i]).toBe(i)
    expect(index.lookup(ids(7n))[0]).toBe(-1)
  })

  it("reports a duplicate in either layout", () => {
    expect(IdIndex.build([ids(1n, 2n), ids(2n)]).duplicate).toBe(2n)
    expect(IdIndex.build([ids(2n ** 50n, 7n, 2n ** 50n)]).duplicate).toBe(2n ** 50n)
  })

  it("an empty index finds nothing", () => {
    expect([...IdIndex.build([]).lookup(ids(0n, 1n))]).toEqual([-1, -1])
  })
})
