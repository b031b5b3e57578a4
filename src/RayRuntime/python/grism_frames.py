"""The frame format of src/RayRuntime/FrameCodec.ts, for the Ray bridge and its actors.

    u32 total length (bytes after this field) | u32 header length | JSON header | blobs

Integers are little-endian; the JSON header is an object to which the encoder adds
``blobLengths`` (one size per blob). Standard library only. Blobs are returned as
memoryviews into one buffer per frame (read linearly, copied once).
"""
import json
import os
import struct

MAX_FRAME_BYTES = 2 ** 31


class MalformedFrame(Exception):
    """A frame that does not follow the format."""


def encode_parts(header, blobs=()):
    """Encodes a frame as a list of buffers (prefix + header first, then each blob)."""
    blobs = [memoryview(b).cast("B") for b in blobs]
    head = dict(header)
    head["blobLengths"] = [b.nbytes for b in blobs]
    text = json.dumps(head, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    total = 4 + len(text) + sum(b.nbytes for b in blobs)
    return [struct.pack("<II", total, len(text)) + text, *blobs]


def encode(header, blobs=()):
    """Encodes one frame as bytes."""
    return b"".join(bytes(p) for p in encode_parts(header, blobs))


def decode_body(body):
    """Decodes the bytes after the total-length prefix into (header, [memoryview blobs])."""
    body = memoryview(body).cast("B")
    if body.nbytes < 4:
        raise MalformedFrame("body shorter than its header length field")
    (header_length,) = struct.unpack_from("<I", body, 0)
    if 4 + header_length > body.nbytes:
        raise MalformedFrame("header length past the end of the frame")
    try:
        header = json.loads(bytes(body[4:4 + header_length]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as cause:
        raise MalformedFrame(f"header is not JSON: {cause}") from None
    if not isinstance(header, dict):
        raise MalformedFrame("header is not a JSON object")
    lengths = header.pop("blobLengths", [])
    if not isinstance(lengths, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in lengths):
        raise MalformedFrame("blobLengths is not a list of sizes")
    blobs = []
    at = 4 + header_length
    for n in lengths:
        if at + n > body.nbytes:
            raise MalformedFrame("blob past the end of the frame")
        blobs.append(body[at:at + n])
        at += n
    if at != body.nbytes:
        raise MalformedFrame("trailing bytes after the last blob")
    return header, blobs


def decode(frame):
    """Decodes one complete frame (with its length prefix)."""
    frame = memoryview(frame).cast("B")
    if frame.nbytes < 4:
        raise MalformedFrame("shorter than its length prefix")
    (total,) = struct.unpack_from("<I", frame, 0)
    if total != frame.nbytes - 4:
        raise MalformedFrame("length prefix does not match the frame size")
    return decode_body(frame[4:])


def _read_exactly(fd, n):
    """Reads n bytes from fd into one bytearray; None at EOF before the first byte."""
    out = bytearray(n)
    view = memoryview(out)
    filled = 0
    while filled < n:
        got = os.readv(fd, [view[filled:]])
        if got == 0:
            if filled == 0:
                return None
            raise EOFError(f"end of stream inside a frame ({filled} of {n} bytes)")
        filled += got
    return out


def read_frame(fd):
    """Reads one frame from a file descriptor; None at a clean end of stream."""
    prefix = _read_exactly(fd, 4)
    if prefix is None:
        return None
    (total,) = struct.unpack("<I", prefix)
    if total > MAX_FRAME_BYTES:
        raise MalformedFrame(f"frame of {total} bytes exceeds the limit")
    body = _read_exactly(fd, total) if total > 0 else bytearray()
    if body is None:
        raise EOFError("end of stream after a length prefix")
    return decode_body(body)


def write_frame(fd, header, blobs=()):
    """Writes one frame to a file descriptor (callers serialise writers)."""
    for part in encode_parts(header, blobs):
        view = memoryview(part).cast("B")
        while view.nbytes:
            written = os.write(fd, view)
            view = view[written:]


async def read_frame_async(reader):
    """Reads one frame from an asyncio StreamReader; None at a clean end of stream."""
    import asyncio
    try:
        prefix = await reader.readexactly(4)
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            return None
        raise EOFError("end of stream inside a length prefix") from None
    (total,) = struct.unpack("<I", prefix)
    if total > MAX_FRAME_BYTES:
        raise MalformedFrame(f"frame of {total} bytes exceeds the limit")
    try:
        body = await reader.readexactly(total)
    except asyncio.IncompleteReadError:
        raise EOFError("end of stream inside a frame") from None
    return decode_body(body)
