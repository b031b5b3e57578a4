"""A multi-node Ray on this machine for the node-death tests: a head with 0 CPUs and two
1-CPU nodes (each its own raylet and object store), every socket on 127.0.0.1, fast
health checks. Prints one JSON line ``{address, nodes: [nodeId, nodeId]}``; then reads
commands on stdin: ``kill <i>`` removes node i ungracefully (answers ``{killed}``). Stops
the whole cluster at stdin EOF. Run with the Ray venv's python.
"""
import json
import os
import sys

os.environ.update({
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_health_check_initial_delay_ms": "0",
    "RAY_health_check_period_ms": "500",
    "RAY_health_check_timeout_ms": "500",
    "RAY_health_check_failure_threshold": "3",
})
out = os.fdopen(os.dup(1), "w")  # our answers keep the real stdout...
os.dup2(2, 1)  # ...and anything Ray prints there goes to stderr

import ray._private.utils  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

# Cluster() records its address under /tmp/ray for `address="auto"`; nothing of ours uses
# that, and other Ray users of this machine must not find our test cluster there.
ray._private.utils.write_ray_address = lambda *args, **kwargs: None

temp_dir = sys.argv[1] if len(sys.argv) > 1 else None
head_args = {"num_cpus": 0, "include_dashboard": False, "object_store_memory": 128 * 1024 * 1024}
if temp_dir:
    head_args["temp_dir"] = temp_dir
cluster = Cluster(initialize_head=True, head_node_args=head_args, shutdown_at_exit=True)
nodes = [cluster.add_node(num_cpus=1, object_store_memory=128 * 1024 * 1024) for _ in range(2)]
cluster.wait_for_nodes()


def node_id(node):
    return getattr(node, "node_id", None) or node._node_id


def answer(value):
    out.write(json.dumps(value) + "\n")
    out.flush()


answer({"address": cluster.address, "nodes": [node_id(n) for n in nodes], "pid": os.getpid()})
for line in sys.stdin:
    words = line.split()
    if words[:1] == ["kill"]:
        node = nodes[int(words[1])]
        cluster.remove_node(node, allow_graceful=False)
        answer({"killed": node_id(node)})
cluster.shutdown()
