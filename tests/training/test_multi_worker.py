"""Two loopback workers (MultiWorkerMirroredStrategy) against one process.

Each test starts real worker processes on free ports through the launcher
of `attnflow train --workers`; the toy task keeps them small (64 examples,
global batch 16: 4 steps an epoch, no dropout, a fixed data order).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import keras
import numpy as np
import pytest

from attnflow.training import Trainer, resolve_config
from attnflow.training.launcher import launch
from tests.training.toy_task import ToyTask

ROOT = Path(__file__).resolve().parents[2]
WORKER = "tests.training.toy_worker"
TIMEOUT = 480  # seconds: a hang fails the test instead of the suite


@pytest.fixture
def worker_environment(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    monkeypatch.setenv("ATTNFLOW_CLUSTER_TIMEOUT", "120")


def single_process(tmp_path, epochs):
    config = resolve_config(ToyTask().defaults(), overrides=[{"epochs": epochs}])
    return Trainer(ToyTask(), config, verbose=0).train(str(tmp_path / "single"))


def weights(run: Path):
    return keras.models.load_model(run / "model.keras").get_weights()


def history_epochs(run: Path):
    with open(run / "history.csv") as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


def test_two_workers_at_global_batch_b_equal_one_process_at_batch_b(tmp_path, worker_environment):
    out = tmp_path / "two"
    assert launch([str(out), "--epochs", "2"], 2, str(out), module=WORKER, timeout=TIMEOUT) == 0
    single = single_process(tmp_path, epochs=2)  # 8 steps at batch 16
    for ours, theirs in zip(weights(out), weights(single.path)):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["distribution"] == {"strategy": "MultiWorkerMirroredStrategy", "workers": 2,
                                       "replicas": 2, "global_batch_size": 16}
    assert metrics["test"]["mae"] == pytest.approx(single.metrics["test"]["mae"], abs=1e-5)
    assert history_epochs(out) == [0, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["single", "two"]  # no worker's files


def test_a_killed_worker_stops_the_run_and_resume_finishes_it(tmp_path, worker_environment, capsys):
    out = tmp_path / "run"
    code = launch([str(out), "--epochs", "3", "--kill-worker", "1", "--kill-epoch", "1"], 2,
                  str(out), module=WORKER, timeout=TIMEOUT)
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    hints = [line for line in error if "continue with" in line]  # one line says it all
    assert len(hints) == 1 and hints[0].startswith("attnflow: error: worker 1 (pid ") \
        and "SIGKILL" in hints[0] and hints[0].endswith(f"train --resume {out} --workers 2"), error
    partial = tmp_path / "run.partial"
    assert history_epochs(partial) == [0]  # epoch 0 finished, epoch 1 was cut
    assert launch([str(out), "--resume", "--epochs", "3"], 2, str(out), module=WORKER, timeout=TIMEOUT) == 0
    assert history_epochs(out) == [0, 1, 2] and not partial.exists()
    single = single_process(tmp_path, epochs=3)
    for ours, theirs in zip(weights(out), weights(single.path)):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
