"""TF_CONFIG, --workers and the global batch: every bad value is a ValueError naming it."""

from __future__ import annotations

import json

import pytest

from attnflow.training.distribution import check_global_batch, cluster_from_environment
from attnflow.training.launcher import (check_workers, cluster_configs, free_ports,
                                        without_workers_flag)

TWO = {"worker": ["localhost:1", "localhost:2"]}


def tf_config(cluster=TWO, task_type="worker", index=0):
    return {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})}


def test_no_tf_config_is_one_process():
    assert cluster_from_environment({}) is None
    assert cluster_from_environment({"TF_CONFIG": "  "}) is None


def test_worker_zero_is_chief_unless_there_is_a_chief():
    first, second = (cluster_from_environment(tf_config(index=i)) for i in (0, 1))
    assert (first.is_chief, second.is_chief, first.workers) == (True, False, 2)
    with_chief = {"chief": ["localhost:3"], **TWO}
    assert cluster_from_environment(tf_config(with_chief, "chief")).is_chief
    worker = cluster_from_environment(tf_config(with_chief, "worker", 0))
    assert not worker.is_chief and worker.workers == 3


@pytest.mark.parametrize("text, match", [
    ("{not json", "expected TF_CONFIG to be JSON"),
    ("[1, 2]", "JSON object"),
    (json.dumps({"task": {"type": "worker", "index": 0}}), '"cluster"'),
    (json.dumps({"cluster": {"worker": "localhost:1"}, "task": {"type": "worker"}}), "host:port"),
    (json.dumps({"cluster": {"ps": ["a:1"]}, "task": {"type": "ps"}}), '"chief" or "worker"'),
    (tf_config(index=2)["TF_CONFIG"], r"index within its 'worker' job \(0 to 1\)"),
    (tf_config(index=-1)["TF_CONFIG"], "Received: index=-1"),
    (tf_config(task_type="chief")["TF_CONFIG"], "Received: type='chief'"),
])
def test_bad_tf_config_is_one_clear_error(text, match):
    with pytest.raises(ValueError, match=match):
        cluster_from_environment({"TF_CONFIG": text})


def test_the_global_batch_must_split_evenly():
    check_global_batch(16, 2)
    with pytest.raises(ValueError, match="divisible by the 2 replicas.*Received: batch_size=15"):
        check_global_batch(15, 2)


@pytest.mark.parametrize("workers", [0, -1, True, "2"])
def test_workers_must_be_a_positive_count(workers):
    with pytest.raises(ValueError, match="Received: workers="):
        check_workers(workers, environ={})


def test_workers_and_tf_config_together_are_refused():
    with pytest.raises(ValueError, match="not both"):
        check_workers(2, environ=tf_config())


def test_each_worker_gets_its_own_tf_config_on_distinct_ports():
    ports = free_ports(3)
    assert len(set(ports)) == 3
    configs = [json.loads(text) for text in cluster_configs(ports)]
    assert [c["task"]["index"] for c in configs] == [0, 1, 2]
    assert configs[0]["cluster"] == {"worker": [f"localhost:{port}" for port in ports]}


def test_the_workers_flag_is_not_passed_on():
    assert without_workers_flag(["train", "toy", "--workers", "2", "--epochs", "1"]) == \
        ["train", "toy", "--epochs", "1"]
    assert without_workers_flag(["train", "--workers=2", "toy"]) == ["train", "toy"]
