"""Trainer: a whole run directory, nothing left on failure, resume after an interruption."""

from __future__ import annotations

import csv
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.training import RunDirectory, Trainer, fit_model, resolve_config
from tests.training.toy_task import ToyTask


def config(**overrides):
    return resolve_config(ToyTask().defaults(), overrides=[overrides])


def history_epochs(path):
    with open(path / "history.csv") as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


def test_a_run_holds_everything_and_is_moved_into_place(tmp_path):
    result = Trainer(ToyTask(), config(), verbose=0).train(str(tmp_path / "run"))
    run = tmp_path / "run"
    assert result.path == run and not (tmp_path / "run.partial").exists()
    for name in ("config.yaml", "model_config.json", "model.keras", "saved_model", "metrics.json",
                 "history.csv", "logs/train", "logs/validation"):
        assert (run / name).exists(), name
    assert not (run / "state").exists()  # checkpoints go once the run is whole
    metrics = json.loads((run / "metrics.json").read_text())
    assert list(metrics)[:2] == ["task", "test"] and metrics["task"] == "toy"
    assert metrics["baselines"] == {} and metrics["train_seconds"] > 0 and metrics["epochs"] == 3
    assert history_epochs(run) == [0, 1, 2]
    x = tf.constant([[1.0, 2.0, 3.0]])
    loaded = tf.saved_model.load(str(run / "saved_model"))
    served = loaded.serve(x)
    np.testing.assert_allclose(served.numpy(), keras.models.load_model(run / "model.keras")(x), atol=1e-6)


class _CountingTraces(ToyTask):
    """ToyTask whose model counts the traces of its training step in `traces`."""

    def __init__(self):
        super().__init__()
        self.traces = 0

    def build_model(self, config, data):
        model = super().build_model(config, data)
        step = model.train_step

        def counted(batch):  # Python runs this once per trace, not per step
            self.traces += 1
            return step(batch)

        model.train_step = counted
        return model


def test_the_training_step_is_traced_once_in_a_run_and_in_memory(tmp_path):
    """The optimizer is built before `fit`; built inside the first trace, its variables
    make TensorFlow trace the step a second time (2-4 s of every run)."""
    run_task, memory_task, run_config = _CountingTraces(), _CountingTraces(), config(epochs=2)
    Trainer(run_task, run_config, verbose=0).train(str(tmp_path / "run"))
    fit_model(memory_task, run_config, memory_task.load_data(run_config))
    assert (run_task.traces, memory_task.traces) == (1, 1)


def test_a_failure_after_training_leaves_no_directory(tmp_path):
    with pytest.raises(ValueError, match="expected a test split"):
        Trainer(ToyTask(fail_in_evaluate=True), config(), verbose=0).train(str(tmp_path / "run"))
    assert list(tmp_path.iterdir()) == []


def test_an_existing_out_directory_is_refused_before_anything_runs(tmp_path):
    (tmp_path / "run").mkdir()
    with pytest.raises(ValueError, match="Received: out="):
        Trainer(ToyTask(), config(), verbose=0).train(str(tmp_path / "run"))
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def interrupted_at_second_epoch(tmp_path, monkeypatch, before_checkpoint=False):
    """Trains 4 epochs into tmp_path/run and stops it with Ctrl-C at the end of the
    second epoch, after its checkpoint (or before it); returns the partial run."""
    finish_epoch = keras.callbacks.BackupAndRestore.on_epoch_end

    def interrupt(self, epoch, logs=None):  # the checkpoint is the last step of an epoch
        if not (before_checkpoint and epoch == 1):
            finish_epoch(self, epoch, logs)
        if epoch == 1:
            raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(keras.callbacks.BackupAndRestore, "on_epoch_end", interrupt)
        with pytest.raises(KeyboardInterrupt):
            Trainer(ToyTask(), config(epochs=4), verbose=0).train(str(tmp_path / "run"))
    return tmp_path / "run.partial"


def resumed(partial):
    return Trainer(ToyTask(), config(epochs=4), verbose=0).resume(RunDirectory.unfinished(partial))


def test_an_interrupted_run_resumes_without_losing_finished_epochs(tmp_path, monkeypatch):
    partial = interrupted_at_second_epoch(tmp_path, monkeypatch)
    assert partial.is_dir() and history_epochs(partial) == [0, 1]
    result = resumed(partial)
    assert history_epochs(result.path) == [0, 1, 2, 3]
    assert result.metrics["epochs"] == 4
    uninterrupted = Trainer(ToyTask(), config(epochs=4), verbose=0).train(str(tmp_path / "whole"))
    assert result.metrics["test"]["mae"] == pytest.approx(uninterrupted.metrics["test"]["mae"],
                                                          rel=0.05, abs=1e-3)


def test_a_checkpoint_cut_short_by_a_kill_resumes_from_the_one_before(tmp_path, monkeypatch):
    partial = interrupted_at_second_epoch(tmp_path, monkeypatch)
    weights = partial / "state" / "backup" / "latest.weights.h5"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])  # killed mid-write
    result = resumed(partial)
    assert result.metrics["epochs"] == 4 and np.isfinite(result.metrics["test"]["mae"])


def test_an_epoch_killed_before_its_checkpoint_is_trained_again_and_listed_once(tmp_path, monkeypatch):
    partial = interrupted_at_second_epoch(tmp_path, monkeypatch, before_checkpoint=True)
    assert history_epochs(partial) == [0, 1]  # the second epoch's row, without its checkpoint
    assert history_epochs(resumed(partial).path) == [0, 1, 2, 3]


def test_run_directories_are_found_only_when_whole(tmp_path):
    with pytest.raises(ValueError, match="made by `attnflow train`"):
        RunDirectory.finished(tmp_path)
    with pytest.raises(ValueError, match="unfinished run directory"):
        RunDirectory.unfinished(tmp_path / "nothing")
    run = RunDirectory.new(None, "toy", root=str(tmp_path))
    assert run.path.parent == tmp_path and run.path.name.startswith("toy-")
