"""The Ray actor that runs Grism stage tasks: one async actor per CPU slot, each owning
one long-lived Node worker process (helper-15's worker entry) that speaks the worker
protocol of src/RayRuntime/Protocol.ts in frames on its fd 3 (a socket pair with the
actor; its stdout and stderr go to the actor's log).

The Node process is spawned on first use, dies with the actor (parent-death signal; it
also exits when its fd 3 closes) and is respawned on the next task after it died. One task runs
at a time per Node process. Failures leave the actor as :class:`StageFailure` carrying a
closed failure kind; Ray's own errors are classified by the bridge.

Standard library plus ray only; the bridge registers this module to be pickled by value,
so Ray workers need no copy of it on their path.
"""
import asyncio
import os
import pickle
import signal
import socket
import time

import grism_frames as frames

PROTOCOL_VERSION = 1
FAILURE_KINDS = ("STAGE_ERROR", "WORKER_DIED", "INPUT_LOST", "OOM", "CANCELLED", "BRIDGE_DIED")
CANCEL_GRACE_S = 2.0
HELLO_TIMEOUT_S = 120.0
# The worker keeps its 4 latest graphs; ship again after 3 so we never rely on a 5th.
KEEP_SNAPSHOTS = 3


class IpcPayload:
    """One Arrow IPC object. Pickles its bytes out of band (protocol 5), so Ray stores
    and returns them without copying (``data`` is then a view into the object store)."""

    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data

    def __reduce_ex__(self, protocol):
        if protocol >= 5:
            return (IpcPayload, (pickle.PickleBuffer(self.data),))
        return (IpcPayload, (bytes(self.data),))

    def view(self):
        """The payload as a flat byte memoryview."""
        return memoryview(self.data).cast("B")


class StageFailure(Exception):
    """A task that did not produce its outputs; ``kind`` is one of FAILURE_KINDS and
    ``error`` the encoded typed ExecutionError when the worker sent one."""

    def __init__(self, kind, detail, error=None):
        super().__init__(kind, detail, error)
        self.kind = kind if kind in FAILURE_KINDS else "STAGE_ERROR"
        self.detail = detail
        self.error = error

    def __str__(self):
        return f"{self.kind}: {self.detail}"


def _child_setup(channel_fd):
    """What the forked child runs before exec: die with the actor (PR_SET_PDEATHSIG) and
    put the frame channel on fd 3. Built in the parent so the child imports nothing."""
    import ctypes
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def setup():
        prctl(1, signal.SIGKILL)
        if channel_fd == 3:
            os.set_inheritable(3, True)
        else:
            os.dup2(channel_fd, 3)  # the copy is inheritable

    return setup


_EOF = object()


class GrismWorker:
    """Async actor body (wrapped with ``ray.remote`` by the bridge)."""

    def __init__(self, index, command, env, cwd):
        self.index = index
        self.command = list(command)
        self.env = dict(os.environ, **(env or {}))
        self.cwd = cwd or None
        self.proc = None
        self.frames = None
        self.reader = None
        self.writer = None
        self.loaded = []  # snapshots shipped to the current worker, oldest first
        self.next_id = 0
        self.lock = asyncio.Lock()
        self.node_id = self._node_id()

    @staticmethod
    def _node_id():
        try:
            import ray
            return ray.get_runtime_context().get_node_id()
        except Exception:
            return "unknown"

    def _worker_name(self):
        pid = self.proc.pid if self.proc is not None else 0
        return f"ray:{self.index}@{self.node_id[:8]}/{pid}"

    async def _read_loop(self, stream, queue):
        try:
            while True:
                frame = await frames.read_frame_async(stream)
                if frame is None:
                    break
                queue.put_nowait(frame)
        except Exception as e:  # corrupt stream: treat as a dead worker
            queue.put_nowait(("error", str(e)))
        queue.put_nowait(_EOF)

    def _alive(self):
        """Whether the Node worker runs: not reaped, not a zombie, and its stream not ended."""
        if self.proc is None or self.proc.returncode is not None:
            return False
        if self.reader is None or self.reader.done():
            return False
        try:
            with open(f"/proc/{self.proc.pid}/stat", "rb") as f:
                stat = f.read()
            if stat[stat.rindex(b")") + 2:stat.rindex(b")") + 3] == b"Z":
                return False
        except FileNotFoundError:
            return False
        except OSError:
            pass
        return True

    async def _ensure_worker(self):
        if self._alive():
            # Frames left from a previous worker's end (EOF, a broken stream) mean it died
            # between tasks even if we have not noticed yet.
            stale = []
            while not self.frames.empty():
                stale.append(self.frames.get_nowait())
            if not any(item is _EOF or item[0] == "error" for item in stale):
                return
        await self._kill_worker()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.proc = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                # fd 3 is set up by _child_setup; everything else the actor holds is
                # close-on-exec (Python's default), so nothing else leaks into Node.
                close_fds=False,
                preexec_fn=_child_setup(theirs.fileno()),
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        reader, self.writer = await asyncio.open_unix_connection(sock=ours, limit=1 << 20)
        self.frames = asyncio.Queue()
        self.loaded = []
        self.reader = asyncio.get_running_loop().create_task(self._read_loop(reader, self.frames))
        try:
            first = await asyncio.wait_for(self.frames.get(), HELLO_TIMEOUT_S)
        except asyncio.TimeoutError:
            await self._kill_worker()
            raise StageFailure("WORKER_DIED", f"worker process sent no Hello within {HELLO_TIMEOUT_S:.0f} s")
        if first is _EOF or not isinstance(first[0], dict) or first[0].get("_tag") != "Hello":
            await self._kill_worker()
            raise StageFailure("WORKER_DIED", f"worker process did not greet (got {first if first is _EOF else first[0]!r})")
        if first[0].get("version") != PROTOCOL_VERSION:
            await self._kill_worker()
            raise StageFailure("STAGE_ERROR", f"worker protocol {first[0].get('version')} is not {PROTOCOL_VERSION}")

    async def _kill_worker(self):
        proc, self.proc = self.proc, None
        if proc is not None and proc.returncode is None:
            try:
                proc.kill()
            except ProcessLookupError:
                pass
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except asyncio.TimeoutError:
                pass
        if self.reader is not None:
            self.reader.cancel()
            self.reader = None
        writer, self.writer = self.writer, None
        if writer is not None:
            writer.close()

    async def _send(self, header, blobs=()):
        try:
            for part in frames.encode_parts(header, blobs):
                self.writer.write(part)
            await self.writer.drain()
        except (BrokenPipeError, ConnectionResetError, AttributeError) as e:
            await self._kill_worker()
            raise StageFailure("WORKER_DIED", f"worker process is gone ({type(e).__name__})")

    async def start(self):
        """Spawns the Node worker now (instead of on first use); returns where it runs."""
        async with self.lock:
            await self._ensure_worker()
            return {"nodeId": self.node_id, "actorPid": os.getpid(), "workerPid": self.proc.pid}

    async def run(self, spec, num_outputs, snapshot, graph, *inputs):
        """Runs one task: `inputs` are the resolved input objects in the order of the
        spec's input refs, `graph` the exported snapshot (or None). Returns one
        IpcPayload per output partition plus a metadata dict (last)."""
        queued_at = time.monotonic()
        async with self.lock:
            started = time.monotonic()
            await self._ensure_worker()
            if graph is not None and snapshot not in self.loaded:
                await self._send({"_tag": "LoadGraph", "snapshot": snapshot}, [graph.view()])
                self.loaded.append(snapshot)
                del self.loaded[:-KEEP_SNAPSHOTS]
            self.next_id += 1
            rid = self.next_id
            await self._send({"_tag": "Run", "id": rid, "task": spec}, [p.view() for p in inputs])
            try:
                header, blobs = await self._await_answer(rid)
            except asyncio.CancelledError:
                await self._cancel(rid)
                raise
            if header["_tag"] == "Failed":
                raise StageFailure(header.get("kind", "STAGE_ERROR"), str(header.get("detail", "")), header.get("error"))
            if header["_tag"] == "Cancelled":
                raise StageFailure("CANCELLED", "the worker cancelled the task")
            if len(blobs) != num_outputs:
                raise StageFailure("STAGE_ERROR", f"worker returned {len(blobs)} outputs, expected {num_outputs}")
            meta = {
                "outputs": header.get("outputs", []),
                "operators": header.get("operators", []),
                "runMs": header.get("runMs", 0),
                "worker": self._worker_name(),
                "nodeId": self.node_id,
                "workerPid": self.proc.pid if self.proc is not None else 0,
                "queuedMs": (started - queued_at) * 1000.0,
                "actorMs": (time.monotonic() - started) * 1000.0,
            }
            outputs = [IpcPayload(b) for b in blobs]
            return meta if num_outputs == 0 else (*outputs, meta)

    async def _await_answer(self, rid):
        while True:
            item = await self.frames.get()
            if item is _EOF:
                code = self.proc.returncode if self.proc is not None else None
                await self._kill_worker()
                raise StageFailure("WORKER_DIED", f"worker process exited during the task (code {code})")
            if item[0] == "error":
                await self._kill_worker()
                raise StageFailure("WORKER_DIED", f"worker frame stream broke: {item[1]}")
            header, blobs = item
            tag = header.get("_tag")
            if tag == "ProtocolError":
                raise StageFailure("STAGE_ERROR", f"worker could not decode a frame: {header.get('detail')}")
            if tag in ("Done", "Failed", "Cancelled") and header.get("id") == rid:
                return header, blobs
            # anything else is a late answer to an earlier (cancelled) task: ignore it

    async def _cancel(self, rid):
        """Forwards a cancel; kills the worker when it does not answer within the grace."""
        try:
            await self._send({"_tag": "Cancel", "id": rid})
            await asyncio.wait_for(self._await_answer(rid), CANCEL_GRACE_S)
        except BaseException:
            await self._kill_worker()

    async def worker_pid(self):
        """The Node worker's pid (0 when none is running)."""
        return self.proc.pid if self._alive() else 0

    async def stop(self):
        """Closes the worker's channel and waits (bounded) for it to exit."""
        proc = self.proc
        if proc is not None and proc.returncode is None:
            try:
                self.writer.close()  # the worker exits when its channel closes
                await asyncio.wait_for(proc.wait(), 2)
            except Exception:
                pass
        await self._kill_worker()
        return True
