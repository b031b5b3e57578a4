/**
 * The length-prefixed frame format spoken between the coordinator, worker processes and
 * the Ray bridge (RAY.md "Framing and stdio"):
 *
 * ```
 * u32 total length (bytes after this field) | u32 header length | JSON header | blobs
 * ```
 *
 * Integers are little-endian. The JSON header is an object; the codec adds a
 * `blobLengths` array to it so binary payloads (Arrow IPC) travel without base64.
 * {@link FrameReader} reassembles frames from arbitrary chunks in linear time: chunks
 * are kept in a list and copied once per frame.
 *
 * @since 0.1.0
 */

/** A decoded frame: its JSON header (without `blobLengths`) and binary payloads. */
export interface Frame {
  readonly header: Readonly<Record<string, unknown>>
  readonly blobs: ReadonlyArray<Uint8Array>
}

/** Largest frame accepted (guards against a corrupt length prefix). */
export const maxFrameBytes = 2 ** 31

const encoder = new TextEncoder()
const decoder = new TextDecoder("utf-8", { fatal: true })

/** Encodes one frame. */
export const encode = (header: Readonly<Record<string, unknown>>, blobs: ReadonlyArray<Uint8Array> = []): Uint8Array => {
  const json = encoder.encode(JSON.stringify({ ...header, blobLengths: blobs.map((b) => b.byteLength) }))
  const blobBytes = blobs.reduce((n, b) => n + b.byteLength, 0)
  const total = 4 + json.byteLength + blobBytes
  const out = new Uint8Array(4 + total)
  const view = new DataView(out.buffer)
  view.setUint32(0, total, true)
  view.setUint32(4, json.byteLength, true)
  out.set(json, 8)
  let at = 8 + json.byteLength
  for (const blob of blobs) {
    out.set(blob, at)
    at += blob.byteLength
  }
  return out
}

/** Why a frame could not be decoded. */
export class MalformedFrame extends Error {
  readonly _tag = "MalformedFrame"
  constructor(readonly detail: string) {
    super(`Malformed frame: ${detail}`)
  }
}

/** Decodes the body of one frame (the bytes after the total-length prefix). */
export const decodeBody = (body: Uint8Array): Frame => {
  if (body.byteLength < 4) throw new MalformedFrame("body shorter than its header length field")
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength)
  const headerLength = view.getUint32(0, true)
  if (4 + headerLength > body.byteLength) throw new MalformedFrame("header length past the end of the frame")
  let parsed: unknown
  try {
    parsed = JSON.parse(decoder.decode(body.subarray(4, 4 + headerLength)))
  } catch (cause) {
    throw new MalformedFrame(`header is not JSON: ${String(cause)}`)
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new MalformedFrame("header is not a JSON object")
  }
  const { blobLengths, ...header } = parsed as Record<string, unknown>
  const lengths = blobLengths ?? []
  if (!Array.isArray(lengths) || !lengths.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new MalformedFrame("blobLengths is not a list of sizes")
  }
  const blobs: Array<Uint8Array> = []
  let at = 4 + headerLength
  for (const n of lengths as Array<number>) {
    if (at + n > body.byteLength) throw new MalformedFrame("blob past the end of the frame")
    blobs.push(body.subarray(at, at + n))
    at += n
  }
  if (at !== body.byteLength) throw new MalformedFrame("trailing bytes after the last blob")
  return { header, blobs }
}

/** Decodes one complete frame (with its length prefix). */
export const decode = (frame: Uint8Array): Frame => {
  if (frame.byteLength < 4) throw new MalformedFrame("shorter than its length prefix")
  const total = new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, true)
  if (total !== frame.byteLength - 4) throw new MalformedFrame("length prefix does not match the frame size")
  return decodeBody(frame.subarray(4))
}

/** Reassembles frames from a byte stream delivered in arbitrary chunks. */
export class FrameReader {
  private chunks: Array<Uint8Array> = []
  private buffered = 0
  private expected = -1

  /** Feeds a chunk; returns the frame bodies completed by it, in order. */
  push(chunk: Uint8Array): ReadonlyArray<Frame> {
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk)
      this.buffered += chunk.byteLength
    }
    const frames: Array<Frame> = []
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < 4) break
        const prefix = this.take(4)
        this.expected = new DataView(prefix.buffer, prefix.byteOffset, 4).getUint32(0, true)
        if (this.expected > maxFrameBytes) throw new MalformedFrame(`frame of ${this.expected} bytes exceeds the limit`)
      }
      if (this.buffered < this.expected) break
      const body = this.take(this.expected)
      this.expected = -1
      frames.push(decodeBody(body))
    }
    return frames
  }

  /** Bytes received but not yet part of a complete frame. */
  get pendingBytes(): number {
    return this.buffered + (this.expected >= 0 ? 4 : 0)
  }

  /** Removes the first `n` buffered bytes, copying them once into one array. */
  private take(n: number): Uint8Array {
    const first = this.chunks[0]!
    if (first.byteLength >= n) {
      const out = first.subarray(0, n)
      if (first.byteLength === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
      this.buffered -= n
      return out
    }
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const chunk = this.chunks[0]!
      const use = Math.min(chunk.byteLength, n - filled)
      out.set(chunk.subarray(0, use), filled)
      filled += use
      if (use === chunk.byteLength) this.chunks.shift()
      else this.chunks[0] = chunk.subarray(use)
    }
    this.buffered -= n
    return out
  }
}
