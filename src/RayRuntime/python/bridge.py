"""The Ray bridge: a thin process between the TypeScript coordinator and Ray.

Spawned by src/RayRuntime/RayCluster.ts. Frames (grism_frames, same format as
FrameCodec.ts) arrive on fd 3 and leave on fd 4; fd 1 is pointed at stderr before ray is
imported because Ray prints on the driver's stdout. The bridge maps requests to Ray calls
and Ray object refs to string ids; the coordinator owns planning, scheduling and recovery.

Protocol (version 1). The bridge first sends ``{type: "hello", protocol, pid}``. Every
request carries ``type`` and a request ``id`` and is answered by ``{type: "reply", id,
ok: true, ...}`` or ``{type: "reply", id, ok: false, kind, detail}``, except ``submit``,
which is answered by exactly one task event:

- ``init {address?, numCpus?, objectStoreBytes?, tempDir?, loopbackOnly?, nodePollMs?}``
  connects to ``address`` or starts a local Ray -> ``{address, startedLocal, rayVersion, nodes}``
- ``createWorkers {count, command, env?, cwd?}`` -> ``{workers: [{worker, nodeId, actorPid, workerPid}]}``
- ``put`` + one blob -> ``{ref}``
- ``submit {task, worker?, spec, numOutputs, snapshot?, graph?, inputs}`` -> event
  ``taskDone {task, outputs, meta}`` or ``taskFailed {task, kind, detail, worker?, error?, lost?}``
- ``get {refs}`` -> reply with one blob per ref (final gather only)
- ``cancel {task}`` -> ``{cancelled}``; the task still ends with one task event
- ``release {refs}`` -> ``{released}``
- ``workers`` -> ``{workers: [{worker, workerPid, nodeId, up}]}`` (pid 0 when no Node worker
  runs; ``up`` false while the actor restarts after a node or actor death)
- ``nodes`` -> ``{nodes}``;  ``ping`` -> ``{refs, tasks}``;  ``shutdown`` -> reply, then exit
- events ``nodeDied {nodeId}`` when a node that was alive is reported dead.

Failure kinds are the closed enum STAGE_ERROR, WORKER_DIED, INPUT_LOST, OOM, CANCELLED
(BRIDGE_DIED is raised by the TypeScript side when this process is gone).
"""
import os
import sys

REQUEST_FD = 3
EVENT_FD = 4
PROTOCOL_VERSION = 1

# Ray prints raylet errors on the driver's stdout: keep fd 1 away from anything we read.
os.dup2(2, 1)
sys.stdout = sys.stderr

import json  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grism_frames as frames  # noqa: E402


def _die_with_parent():
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class BridgeError(Exception):
    def __init__(self, kind, detail):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class Bridge:
    def __init__(self):
        self.write_lock = threading.Lock()
        self.lock = threading.RLock()
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="bridge")
        self.ray = None
        self.actor_module = None
        self.refs = {}  # ref id -> ObjectRef
        self.ref_ids = {}  # ObjectRef hex -> ref id
        self.next_ref = 0
        self.tasks = {}  # task id -> {"meta": ObjectRef, "outputs": [ObjectRef], "worker": int}
        self.actors = []  # [{"handle", "inflight"}]
        self.started_local = False
        self.temp_dir = None
        self.created_temp_dir = False
        self.stopping = False
        self.stopped = False
        self.stop_lock = threading.Lock()
        self.alive_nodes = set()

    # -- output -----------------------------------------------------------------------
    def send(self, header, blobs=()):
        with self.write_lock:
            try:
                frames.write_frame(EVENT_FD, header, blobs)
            except (BrokenPipeError, OSError):
                # the coordinator is gone: nothing left to serve
                self.exit(1)

    def reply(self, rid, blobs=(), **fields):
        self.send({"type": "reply", "id": rid, "ok": True, **fields}, blobs)

    def reply_error(self, rid, kind, detail):
        self.send({"type": "reply", "id": rid, "ok": False, "kind": kind, "detail": detail})

    # -- refs ---------------------------------------------------------------------------
    def register(self, ref):
        with self.lock:
            self.next_ref += 1
            rid = f"o{self.next_ref}"
            self.refs[rid] = ref
            self.ref_ids[ref.hex()] = rid
            return rid

    def lookup(self, rid):
        with self.lock:
            ref = self.refs.get(rid)
        if ref is None:
            raise BridgeError("INPUT_LOST", f"unknown object ref {rid}")
        return ref

    # -- main loop ------------------------------------------------------------------------
    def serve(self):
        self.send({"type": "hello", "protocol": PROTOCOL_VERSION, "pid": os.getpid()})
        while True:
            try:
                frame = frames.read_frame(REQUEST_FD)
            except (EOFError, OSError, frames.MalformedFrame) as e:
                print(f"bridge: request stream broke: {e}", file=sys.stderr)
                frame = None
            if frame is None:  # the coordinator closed our input: stop what we started
                self.shutdown()
                self.exit(0)
            header, blobs = frame
            self.dispatch(header, blobs)

    def dispatch(self, header, blobs):
        kind = header.get("type")
        rid = header.get("id")
        handler = getattr(self, f"on_{kind}", None) if isinstance(kind, str) else None
        if handler is None:
            self.reply_error(rid, "STAGE_ERROR", f"unknown request type {kind!r}")
            return
        # init runs on the main thread (Ray installs its signal handlers there); blocking
        # requests (createWorkers, put, get, nodes, shutdown) run on the pool.
        inline = kind in ("init", "submit", "cancel", "release", "ping")

        def run():
            try:
                handler(header, blobs)
            except BridgeError as e:
                if kind == "submit":
                    self.task_failed(header.get("task"), e.kind, e.detail)
                else:
                    self.reply_error(rid, e.kind, e.detail)
            except Exception as e:  # noqa: BLE001 - report every failure as a typed reply
                traceback.print_exc(file=sys.stderr)
                kind_, detail = self.classify(e)
                if kind == "submit":
                    self.task_failed(header.get("task"), kind_, detail)
                else:
                    self.reply_error(rid, kind_, detail)

        if inline:
            run()
        else:
            self.pool.submit(run)

    # -- requests -----------------------------------------------------------------------
    def on_init(self, h, _blobs):
        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        address = h.get("address")
        if h.get("loopbackOnly"):
            # Ray then binds and advertises 127.0.0.1 only (and does not rewrite a loopback
            # address into the machine's external one when connecting).
            os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
        import ray
        import ray.cloudpickle
        import grism_actor
        # Pickle the actor module by value: Ray workers need no copy of it on their path.
        ray.cloudpickle.register_pickle_by_value(grism_actor)
        ray.cloudpickle.register_pickle_by_value(frames)
        self.ray = ray
        self.actor_module = grism_actor
        if address:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        else:
            self.temp_dir = h.get("tempDir")
            if not self.temp_dir:
                self.temp_dir = tempfile.mkdtemp(prefix="grr-", dir="/tmp")
                self.created_temp_dir = True
            ray.init(
                num_cpus=int(h.get("numCpus") or 2),
                object_store_memory=int(h.get("objectStoreBytes") or 512 * 1024 * 1024),
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
                _temp_dir=self.temp_dir,
            )
            self.started_local = True
        nodes = self.node_list()
        if h.get("loopbackOnly"):
            bad = [n for n in nodes if n["alive"] and n["address"] != "127.0.0.1"]
            if bad:
                raise BridgeError("STAGE_ERROR", f"Ray nodes are not on loopback: {[n['address'] for n in bad]}")
        self.alive_nodes = {n["nodeId"] for n in nodes if n["alive"]}
        poll = float(h.get("nodePollMs") or 1000) / 1000.0
        threading.Thread(target=self.watch_nodes, args=(poll,), daemon=True, name="bridge-nodes").start()
        self.reply(
            h["id"],
            address=ray.get_runtime_context().gcs_address,
            startedLocal=self.started_local,
            rayVersion=ray.__version__,
            nodes=nodes,
        )

    def require_ray(self):
        if self.ray is None:
            raise BridgeError("STAGE_ERROR", "the bridge is not initialised (send init first)")
        return self.ray

    def on_createWorkers(self, h, _blobs):
        ray = self.require_ray()
        remote = ray.remote(self.actor_module.GrismWorker)
        created = []
        for _ in range(int(h["count"])):
            index = len(self.actors)
            handle = remote.options(num_cpus=1, max_restarts=-1, max_task_retries=0).remote(
                index, h["command"], h.get("env") or {}, h.get("cwd")
            )
            self.actors.append({"handle": handle, "inflight": 0, "node": None, "up": True})
            created.append((index, handle))
        started = ray.get([handle.start.remote() for _, handle in created])
        for (index, _), info in zip(created, started):
            self.actors[index]["node"] = info["nodeId"]
        self.reply(h["id"], workers=[{"worker": index, **info} for (index, _), info in zip(created, started)])

    def on_workers(self, h, _blobs):
        ray = self.require_ray()
        up = [i for i, a in enumerate(self.actors) if a["up"]]
        pids = ray.get([self.actors[i]["handle"].worker_pid.remote() for i in up], timeout=float(h.get("timeoutS") or 30))
        by_index = dict(zip(up, pids))
        self.reply(h["id"], workers=[
            {"worker": i, "workerPid": by_index.get(i, 0), "nodeId": a["node"], "up": a["up"]} for i, a in enumerate(self.actors)
        ])

    def on_put(self, h, blobs):
        ray = self.require_ray()
        if len(blobs) != 1:
            raise BridgeError("STAGE_ERROR", f"put carries {len(blobs)} blobs, expected 1")
        ref = ray.put(self.actor_module.IpcPayload(blobs[0]))
        self.reply(h["id"], ref=self.register(ref))

    def on_submit(self, h, _blobs):
        ray = self.require_ray()
        task = h["task"]
        if not self.actors:
            raise BridgeError("WORKER_DIED", "no workers (send createWorkers first)")
        inputs = [self.lookup(r) for r in h.get("inputs", [])]
        graph = self.lookup(h["graph"]) if h.get("graph") else None
        with self.lock:
            if task in self.tasks:
                raise BridgeError("STAGE_ERROR", f"task {task} is already running")
            up = [i for i, a in enumerate(self.actors) if a["up"]]
            if not up:
                # Never queue on an actor that is restarting: it may wait for resources forever.
                raise BridgeError("WORKER_DIED", "no live worker actor (restarting after a node or actor death)")
            worker = h.get("worker")
            if worker is None or int(worker) not in up:
                worker = min(up, key=lambda i: self.actors[i]["inflight"])
            worker = int(worker)
            actor = self.actors[worker]
            n = int(h["numOutputs"])
            refs = actor["handle"].run.options(num_returns=n + 1).remote(
                h["spec"], n, h.get("snapshot", 0), graph, *inputs
            )
            refs = [refs] if n == 0 else list(refs)
            actor["inflight"] += 1
            self.tasks[task] = {"meta": refs[-1], "outputs": refs[:-1], "worker": worker, "cancelled": False}
        refs[-1].future().add_done_callback(lambda fut: self.task_finished(task, fut))

    def task_finished(self, task, fut):
        with self.lock:
            entry = self.tasks.pop(task, None)
            if entry is None:
                return
            self.actors[entry["worker"]]["inflight"] -= 1
        try:
            meta = fut.result()
        except BaseException as e:  # noqa: BLE001
            kind, detail, error, lost = self.classify_task(e)
            if self.ray is not None and isinstance(e, self.ray.exceptions.RayActorError):
                self.revive(entry["worker"])
            if entry["cancelled"] and kind == "WORKER_DIED":
                kind = "CANCELLED"
            self.task_failed(task, kind, detail, error, lost, worker=f"ray:{entry['worker']}")
            return
        if isinstance(meta, dict) and meta.get("nodeId"):
            self.actors[entry["worker"]]["node"] = meta["nodeId"]
        outputs = [self.register(r) for r in entry["outputs"]]
        self.send({"type": "taskDone", "task": task, "outputs": outputs, "meta": meta})

    def task_failed(self, task, kind, detail, error=None, lost=None, worker=None):
        event = {"type": "taskFailed", "task": task, "kind": kind, "detail": detail}
        if worker is not None:
            event["worker"] = worker
        if error is not None:
            event["error"] = error
        if lost:
            event["lost"] = lost
        self.send(event)

    def on_get(self, h, _blobs):
        ray = self.require_ray()
        refs = [self.lookup(r) for r in h["refs"]]
        values = ray.get(refs)
        self.reply(h["id"], blobs=[v.view() for v in values])

    def on_cancel(self, h, _blobs):
        ray = self.require_ray()
        with self.lock:
            entry = self.tasks.get(h["task"])
            if entry is not None:
                entry["cancelled"] = True
        if entry is not None:
            ray.cancel(entry["meta"])
        self.reply(h["id"], cancelled=entry is not None)

    def on_release(self, h, _blobs):
        released = 0
        with self.lock:
            for rid in h.get("refs", []):
                ref = self.refs.pop(rid, None)
                if ref is not None:
                    self.ref_ids.pop(ref.hex(), None)
                    released += 1
        self.reply(h["id"], released=released)

    def on_nodes(self, h, _blobs):
        self.require_ray()
        self.reply(h["id"], nodes=self.node_list())

    def on_ping(self, h, _blobs):
        with self.lock:
            self.reply(h["id"], refs=len(self.refs), tasks=len(self.tasks), time=time.time())

    def on_shutdown(self, h, _blobs):
        self.shutdown()
        self.reply(h["id"], stopped=True)
        self.exit(0)

    # -- nodes --------------------------------------------------------------------------
    def node_list(self):
        return [
            {
                "nodeId": n["NodeID"],
                "address": n["NodeManagerAddress"],
                "alive": bool(n["Alive"]),
                "cpus": n.get("Resources", {}).get("CPU", 0),
            }
            for n in self.ray.nodes()
        ]

    def watch_nodes(self, period):
        while not self.stopping:
            time.sleep(period)
            try:
                nodes = self.node_list()
            except Exception:  # noqa: BLE001 - GCS briefly unreachable: try again
                continue
            alive = {n["nodeId"] for n in nodes if n["alive"]}
            for node in sorted(self.alive_nodes - alive):
                for index, actor in enumerate(self.actors):
                    if actor["node"] == node:
                        self.revive(index)
                self.send({"type": "nodeDied", "nodeId": node})
            self.alive_nodes = alive

    def revive(self, index):
        """Takes an actor out of scheduling until Ray has restarted it (it answers `start`)."""
        with self.lock:
            actor = self.actors[index]
            if not actor["up"]:
                return
            actor["up"] = False

        def wait_up():
            while not self.stopping:
                try:
                    info = self.ray.get(actor["handle"].start.remote(), timeout=30)
                except Exception:  # noqa: BLE001 - still restarting (or waiting for a CPU)
                    time.sleep(0.5)
                    continue
                with self.lock:
                    actor["node"] = info["nodeId"]
                    actor["up"] = True
                return

        threading.Thread(target=wait_up, daemon=True, name=f"bridge-revive-{index}").start()

    # -- failures -----------------------------------------------------------------------
    def classify(self, e):
        if isinstance(e, BridgeError):
            return e.kind, e.detail
        kind, detail, _error, _lost = self.classify_task(e)
        return kind, detail

    def classify_task(self, e):
        """Maps an exception from Ray to (kind, detail, encoded error, lost ref ids)."""
        ray = self.ray
        rx = ray.exceptions if ray is not None else None
        StageFailure = self.actor_module.StageFailure if self.actor_module is not None else ()
        if StageFailure and isinstance(e, StageFailure):
            return e.kind, e.detail, e.error, None
        if rx is None:
            return "STAGE_ERROR", f"{type(e).__name__}: {e}", None, None
        if isinstance(e, rx.TaskCancelledError):
            return "CANCELLED", "the task was cancelled", None, None
        if isinstance(e, rx.RayTaskError):
            cause = getattr(e, "cause", None)
            if StageFailure and isinstance(cause, StageFailure):
                return cause.kind, cause.detail, cause.error, None
            if cause is not None and type(cause).__name__ == "CancelledError":
                return "CANCELLED", "the task was cancelled", None, None
            if cause is not None and not isinstance(cause, rx.RayTaskError):
                if isinstance(cause, BaseException) and not isinstance(cause, rx.RayError):
                    return "STAGE_ERROR", f"actor raised {type(cause).__name__}: {cause}", None, None
                e = cause
        if isinstance(e, rx.OutOfMemoryError):
            return "OOM", str(e).splitlines()[0] if str(e) else "out of memory", None, None
        if isinstance(e, rx.ObjectLostError):
            hexid = getattr(e, "object_ref_hex", None)
            with self.lock:
                lost = [self.ref_ids[hexid]] if hexid in self.ref_ids else None
            return "INPUT_LOST", f"{type(e).__name__}: an input object was lost", None, lost
        if isinstance(e, (rx.RayActorError, rx.WorkerCrashedError, rx.NodeDiedError, rx.LocalRayletDiedError)):
            return "WORKER_DIED", f"{type(e).__name__}: the worker actor died", None, None
        if isinstance(e, getattr(rx, "ActorUnavailableError", ())):
            return "WORKER_DIED", f"{type(e).__name__}: the worker actor is unavailable", None, None
        return "WORKER_DIED", f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", None, None

    # -- stopping -----------------------------------------------------------------------
    def shutdown(self):
        """Stops what this bridge started: its actors (and their Node workers), and the
        local Ray when it started one. Never touches other Ray processes."""
        with self.stop_lock:  # a second caller (request EOF after `shutdown`) waits for the first
            if self.stopped:
                return
            self.stopping = True
            self._shutdown()
            self.stopped = True

    def _shutdown(self):
        ray = self.ray
        if ray is None:
            return
        try:
            handles = [a["handle"] for a in self.actors]
            if handles:
                ray.wait([h.stop.remote() for h in handles], num_returns=len(handles), timeout=3)
            for h in handles:
                ray.kill(h, no_restart=True)
        except Exception:  # noqa: BLE001
            traceback.print_exc(file=sys.stderr)
        try:
            ray.shutdown()
        except Exception:  # noqa: BLE001
            traceback.print_exc(file=sys.stderr)
        if self.created_temp_dir and self.temp_dir:
            shutil.rmtree(self.temp_dir, ignore_errors=True)

    def exit(self, code):
        try:
            sys.stderr.flush()
        finally:
            os._exit(code)


def main():
    _die_with_parent()
    Bridge().serve()


if __name__ == "__main__":
    main()
