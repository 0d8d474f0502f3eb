"""Which tf.distribute strategy a training process runs under, from TF_CONFIG.

One process with no TF_CONFIG trains under the default strategy (plain
Keras `fit`). A process whose environment holds TF_CONFIG (set by
`attnflow train --workers N` for local workers, or by the user's launcher on
several machines) joins that cluster under MultiWorkerMirroredStrategy.

    TF_CONFIG = {"cluster": {"worker": ["host1:port", "host2:port"]},
                 "task": {"type": "worker", "index": 0}}

The strategy must exist before TensorFlow runs its first operation
(collective ops are configured at start-up), so the CLI calls
`start_strategy()` before anything else touches TensorFlow.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from attnflow._validation import fail

TF_CONFIG = "TF_CONFIG"
# seconds a worker waits for the whole cluster to register before it gives up
CLUSTER_TIMEOUT_VARIABLE = "ATTNFLOW_CLUSTER_TIMEOUT"
DEFAULT_CLUSTER_TIMEOUT = 120
# seconds without a heartbeat after which a worker counts as dead
HEARTBEAT_TIMEOUT = 10
JOBS = ("chief", "worker")


@dataclass(frozen=True)
class Cluster:
    """This process's place in a TF_CONFIG cluster.

    task_type: "chief" or "worker".
    index: the task's index within its job.
    workers: processes in the cluster (chief included).
    """

    task_type: str
    index: int
    workers: int

    @property
    def is_chief(self) -> bool:
        """The process that writes the run directory: the chief, else worker 0."""
        return self.task_type == "chief" or (self.task_type == "worker" and self.index == 0
                                             and not self._has_chief)

    _has_chief: bool = False

    @property
    def name(self) -> str:
        return f"{self.task_type} {self.index}"


def cluster_from_environment(environ=None) -> Cluster | None:
    """The cluster TF_CONFIG describes (None when it is unset or empty).

    Raises:
        ValueError: TF_CONFIG is not JSON, or names no cluster, or places
            this task outside it.
    """
    text = (os.environ if environ is None else environ).get(TF_CONFIG, "").strip()
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError as error:
        fail("TF_CONFIG to be JSON", TF_CONFIG=f"{text[:60]} ({error})")
    if not isinstance(value, dict):
        fail('TF_CONFIG to be a JSON object {"cluster": ..., "task": ...}', TF_CONFIG=text[:60])
    cluster, task = value.get("cluster"), value.get("task")
    if not isinstance(cluster, dict) or not cluster:
        fail('TF_CONFIG with a "cluster" of jobs', cluster=cluster)
    jobs = {job: addresses for job, addresses in cluster.items() if job in JOBS}
    for job, addresses in jobs.items():
        if not isinstance(addresses, list) or not addresses \
                or not all(isinstance(a, str) and ":" in a for a in addresses):
            fail(f'TF_CONFIG\'s cluster "{job}" to be a list of "host:port"', **{job: addresses})
    if not jobs:
        fail('TF_CONFIG with a "chief" or "worker" job in its cluster', cluster=sorted(cluster))
    if len(jobs.get("chief", [])) > 1:
        fail("at most one chief in TF_CONFIG's cluster", chief=jobs["chief"])
    if not isinstance(task, dict):
        fail('TF_CONFIG with a "task": {"type": ..., "index": ...}', task=task)
    task_type, index = task.get("type"), task.get("index", 0)
    if task_type not in jobs:
        fail(f"TF_CONFIG's task type to be a job of its cluster ({', '.join(jobs)})",
             type=task_type)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(jobs[task_type]):
        fail(f"TF_CONFIG's task index within its {task_type!r} job "
             f"(0 to {len(jobs[task_type]) - 1})", index=index)
    return Cluster(task_type, index, sum(len(a) for a in jobs.values()),
                   _has_chief="chief" in jobs)


_strategy = None


def start_strategy(environ=None):
    """The strategy of this process, created once: MultiWorkerMirroredStrategy
    under TF_CONFIG, else TensorFlow's default strategy.

    Call it before TensorFlow runs any operation when TF_CONFIG is set.
    """
    global _strategy
    if _strategy is not None:
        return _strategy
    import tensorflow as tf

    cluster = cluster_from_environment(environ)
    if cluster is None:
        _strategy = tf.distribute.get_strategy()
        return _strategy
    addresses = json.loads(os.environ[TF_CONFIG])["cluster"]
    _configure_coordination(addresses)
    options = tf.distribute.experimental.CommunicationOptions(
        implementation=tf.distribute.experimental.CommunicationImplementation.RING)
    try:
        _strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    except tf.errors.OpError as error:
        fail(f"every worker of TF_CONFIG's cluster to join within {cluster_timeout()} s "
             f"({type(error).__name__}: {error.message.splitlines()[0]})",
             task=cluster.name, cluster=addresses)
    return _strategy


class WorkerFailure(RuntimeError):
    """A worker of the cluster stopped answering during training."""


def cluster_timeout() -> int:
    return int(os.environ.get(CLUSTER_TIMEOUT_VARIABLE, DEFAULT_CLUSTER_TIMEOUT))


def _configure_coordination(cluster: dict) -> None:
    """The coordination service with timeouts: a worker that cannot reach the
    cluster, or one whose peer stops answering, fails instead of waiting forever
    (TensorFlow's defaults wait an hour to register)."""
    from tensorflow.compiler.xla.tsl.protobuf import coordination_config_pb2
    from tensorflow.python.distribute import multi_worker_util
    from tensorflow.python.eager import context
    from tensorflow.python.training import server_lib

    timeout = cluster_timeout()
    jobs = [coordination_config_pb2.CoordinatedJob(name=job, num_tasks=len(cluster[job]))
            for job in JOBS if job in cluster]
    spec = server_lib.ClusterSpec({job: cluster[job] for job in JOBS if job in cluster})
    context.context().configure_coordination_service(
        service_type="standalone",
        service_leader=multi_worker_util.coordination_leader(spec),
        cluster_register_timeout_in_ms=timeout * 1000,
        heartbeat_timeout_in_ms=HEARTBEAT_TIMEOUT * 1000,
        coordinated_jobs=jobs)


def current_cluster() -> Cluster | None:
    """This process's cluster when it trains under TF_CONFIG."""
    return cluster_from_environment()


def is_chief() -> bool:
    cluster = current_cluster()
    return cluster is None or cluster.is_chief


def check_global_batch(batch_size: int, replicas: int) -> None:
    """A global batch must split evenly over the replicas."""
    if batch_size % replicas:
        fail(f"a batch size divisible by the {replicas} replicas (each takes an equal share "
             f"of the global batch)", batch_size=batch_size)


def describe(strategy, batch_size: int) -> dict:
    """metrics.json's "distribution": {strategy, workers, replicas, global_batch_size}."""
    cluster = current_cluster()
    return {"strategy": "MultiWorkerMirroredStrategy" if cluster else "default",
            "workers": cluster.workers if cluster else 1,
            "replicas": int(strategy.num_replicas_in_sync),
            "global_batch_size": int(batch_size)}
