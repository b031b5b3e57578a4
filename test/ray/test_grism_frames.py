"""The Python frame codec against the golden frame shared with FrameCodec.test.ts.

Run: python3 test/ray/test_grism_frames.py (standard library only).
"""
import os
import pathlib
import sys
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src" / "RayRuntime" / "python"))
import grism_frames as frames  # noqa: E402

GOLDEN = bytes.fromhex((ROOT / "test" / "golden" / "hello.frame.hex").read_text().strip())


class FrameCodecTest(unittest.TestCase):
    def test_encodes_the_golden_frame(self):
        self.assertEqual(frames.encode({"type": "hello", "protocol": 1}, [b"\xde\xad"]), GOLDEN)

    def test_decodes_the_golden_frame(self):
        header, blobs = frames.decode(GOLDEN)
        self.assertEqual(header, {"type": "hello", "protocol": 1})
        self.assertEqual([bytes(b) for b in blobs], [b"\xde\xad"])

    def test_round_trips_unicode_and_empty_blobs(self):
        header = {"type": "put", "id": 7, "name": "é\U0001F600"}
        got, blobs = frames.decode(frames.encode(header, [b"\x01\x02\x03", b"", b"\xff"]))
        self.assertEqual(got, header)
        self.assertEqual([bytes(b) for b in blobs], [b"\x01\x02\x03", b"", b"\xff"])

    def test_reads_frames_from_a_pipe_in_small_writes(self):
        payload = bytes(range(256)) * 4096  # 1 MiB
        stream = frames.encode({"n": 1}, [payload]) + frames.encode({"n": 2})
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: write in odd-sized pieces, then close
            os.close(r)
            for at in range(0, len(stream), 65521):
                os.write(w, stream[at:at + 65521])
            os._exit(0)
        os.close(w)
        first = frames.read_frame(r)
        second = frames.read_frame(r)
        self.assertIsNone(frames.read_frame(r))
        os.close(r)
        os.waitpid(pid, 0)
        self.assertEqual(first[0], {"n": 1})
        self.assertEqual(bytes(first[1][0]), payload)
        self.assertEqual(second, ({"n": 2}, []))

    def test_refuses_malformed_frames(self):
        good = frames.encode({"a": 1}, [b"\x01"])
        with self.assertRaises(frames.MalformedFrame):
            frames.decode(good[:-1])
        with self.assertRaisesRegex(frames.MalformedFrame, "not JSON"):
            frames.decode(bytes([5, 0, 0, 0, 1, 0, 0, 0, 0x7B]))
        with self.assertRaisesRegex(frames.MalformedFrame, "not a JSON object"):
            frames.decode(bytes([6, 0, 0, 0, 2, 0, 0, 0]) + b"[]")


if __name__ == "__main__":
    unittest.main()
