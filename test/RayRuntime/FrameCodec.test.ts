import { FastCheck } from "effect"
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import * as FrameCodec from "../../src/RayRuntime/FrameCodec.js"

const bytes = (...values: Array<number>) => new Uint8Array(values)

describe("FrameCodec", () => {
  it("round-trips a header and blobs", () => {
    const frame = FrameCodec.encode({ type: "put", id: 7, name: "é\u{1F600}" }, [bytes(1, 2, 3), bytes(), bytes(255)])
    const decoded = FrameCodec.decode(frame)
    expect(decoded.header).toEqual({ type: "put", id: 7, name: "é\u{1F600}" })
    expect(decoded.blobs.map((b) => [...b])).toEqual([[1, 2, 3], [], [255]])
  })

  it("matches the golden frame shared with the Python bridge", () => {
    const golden = readFileSync(new URL("../golden/hello.frame.hex", import.meta.url), "utf8").trim()
    const frame = FrameCodec.encode({ type: "hello", protocol: 1 }, [bytes(0xde, 0xad)])
    expect(Buffer.from(frame).toString("hex")).toBe(golden)
    expect(FrameCodec.decode(Buffer.from(golden, "hex")).header).toEqual({ type: "hello", protocol: 1 })
  })

  it("reassembles frames split at every possible chunk boundary", () => {
    const stream = [
      FrameCodec.encode({ n: 1 }, [bytes(1, 2)]),
      FrameCodec.encode({ n: 2 }),
      FrameCodec.encode({ n: 3 }, [new Uint8Array(1000).fill(9)])
    ]
    const all = Buffer.concat(stream)
    FastCheck.assert(
      FastCheck.property(FastCheck.array(FastCheck.integer({ min: 0, max: all.length }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set([0, ...cuts, all.length])].sort((a, b) => a - b)
        const reader = new FrameCodec.FrameReader()
        const frames: Array<FrameCodec.Frame> = []
        for (let i = 1; i < points.length; i++) frames.push(...reader.push(all.subarray(points[i - 1]!, points[i]!)))
        expect(frames.map((f) => f.header["n"])).toEqual([1, 2, 3])
        expect(frames[2]!.blobs[0]!.length).toBe(1000)
        expect(reader.pendingBytes).toBe(0)
      }),
      { seed: 42, numRuns: 200 }
    )
  })

  it("reads a large frame delivered in small chunks", () => {
    const payload = new Uint8Array(8 * 1024 * 1024)
    for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff
    const frame = FrameCodec.encode({ type: "output" }, [payload])
    const reader = new FrameCodec.FrameReader()
    const frames: Array<FrameCodec.Frame> = []
    for (let at = 0; at < frame.length; at += 65536) frames.push(...reader.push(frame.subarray(at, at + 65536)))
    expect(frames).toHaveLength(1)
    expect(Buffer.compare(Buffer.from(frames[0]!.blobs[0]!), Buffer.from(payload))).toBe(0)
  })

  it("refuses malformed frames with a typed error", () => {
    const good = FrameCodec.encode({ a: 1 }, [bytes(1)])
    expect(() => FrameCodec.decode(good.subarray(0, good.length - 1))).toThrow(FrameCodec.MalformedFrame)
    const notJson = new Uint8Array([5, 0, 0, 0, 1, 0, 0, 0, 0x7b])
    expect(() => FrameCodec.decode(notJson)).toThrow(/not JSON/)
    const array = FrameCodec.encode({}, [])
    const arrayHeader = Buffer.concat([Buffer.from([6, 0, 0, 0, 2, 0, 0, 0]), Buffer.from("[]")])
    expect(() => FrameCodec.decode(arrayHeader)).toThrow(/not a JSON object/)
    expect(FrameCodec.decode(array).blobs).toEqual([])
  })
})
