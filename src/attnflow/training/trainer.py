"""Trainer: runs any task the same way, from data to a finished run directory.

    data -> model -> fit (BackupAndRestore, early stopping, TensorBoard,
    history.csv) -> evaluate -> baselines -> model.keras + SavedModel ->
    attention plots -> metrics.json -> the run moved into place

A task (attnflow.tasks.base.Task) supplies the data, the model, the
pipelines, the scores and the serving signature; the Trainer owns the rest.

The model is built and trained under the process's tf.distribute strategy
(attnflow.training.distribution): on one process the default strategy and
Keras's own `fit`; in a TF_CONFIG cluster MultiWorkerMirroredStrategy and
`fit_distributed`, the same steps and callbacks on every worker. There the
chief writes the run directory and finishes it (evaluation, export, plots)
on a single-process copy of the trained model; the other workers keep their
checkpoints and callback state in a temporary folder and stop after training.
"""

from __future__ import annotations

import json
import shlex
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras

from attnflow._command import attnflow_command
from attnflow.training.best_model import best_model
from attnflow.training.callbacks import (AttentionImages, HistoryUpToCheckpoint, ResumableEarlyStopping,
                                         TensorBoardScalars, TrainingClock)
from attnflow.training.config import RunConfig
from attnflow.training.distributed_fit import fit_distributed
from attnflow.training.distribution import (WorkerFailure, check_global_batch, current_cluster,
                                            describe, start_strategy)
from attnflow.training.export import export_saved_model, save_keras
from attnflow.training.optimizers import build_before_fit, build_optimizer
from attnflow.training.precision import precision_policy
from attnflow.training.report import metrics_document, write_metrics
from attnflow.training.run_dir import RunDirectory


@dataclass
class TrainResult:
    """A finished run: its directory, metrics.json's content, config, model and data
    (path None and metrics {} on a worker other than the chief, which writes no run)."""

    path: Path
    metrics: dict
    config: RunConfig
    model: Any
    data: Any


class Trainer:
    """Trains, evaluates and exports one task's model into a run directory.

    Args:
        task: an attnflow.tasks.base.Task.
        config: the resolved RunConfig (config.task names the task).
        verbose: verbosity of `model.fit` (default "auto": progress bars on a
            terminal, one line per epoch otherwise).
        log: where the Trainer's own messages go (default sys.stderr).
        resumable: False for a run its caller deletes when training stops (an
            estimator's scratch run): no "training in ... (if interrupted: ...)"
            line and no resume command when interrupted.
    """

    def __init__(self, task, config: RunConfig, verbose="auto", log=None, resumable: bool = True):
        self.task = task
        self.config = config
        self.verbose = verbose if verbose != "auto" else (1 if sys.stdout.isatty() else 2)
        self.log = log or sys.stderr
        self.resumable = resumable

    def train(self, out: str | None = None) -> TrainResult:
        """A new run in `out` (default runs/<task>-<timestamp>).

        Everything that can be wrong with the user's settings and data is
        checked before the run directory is created; if training fails
        later, the unfinished directory is removed, unless the process is
        interrupted (KeyboardInterrupt, or killed), when it stays for
        `resume`.
        """
        self.task.check_config(self.config)
        strategy = start_strategy()
        check_global_batch(self.config.batch_size, strategy.num_replicas_in_sync)
        run = RunDirectory.new(out, self.config.task) if _is_chief() else None
        keras.utils.set_random_seed(self.config.seed)
        data = self.task.load_data(self.config)
        with precision_policy(self.config.precision), strategy.scope():  # layers keep the policy
            model = self.task.build_model(self.config, data)
        run = run or _worker_run()
        run.create()
        try:
            model_config = keras.saving.serialize_keras_object(model)
            run.file(run.MODEL_CONFIG).write_text(json.dumps(model_config), encoding="utf-8")
            self.config.save(run.file(run.CONFIG))  # last: its presence marks a resumable run
            if self.resumable:
                self._say(f"training in {run.partial} (if interrupted: {self._resume_command(run)})")
            return self._fit_and_finish(run, model, data)
        except (KeyboardInterrupt, WorkerFailure):
            self._interrupted(run)
            raise
        except BaseException:
            run.discard()
            _drop_worker_run(run)
            raise

    def resume(self, run: RunDirectory) -> TrainResult:
        """Continues an unfinished run from its last finished epoch."""
        self.task.check_config(self.config)
        strategy = start_strategy()
        check_global_batch(self.config.batch_size, strategy.num_replicas_in_sync)
        keras.utils.set_random_seed(self.config.seed)
        data = self.task.load_data(self.config)
        model_config = json.loads(run.file(run.MODEL_CONFIG).read_text(encoding="utf-8"))
        with strategy.scope():
            model = keras.saving.deserialize_keras_object(model_config)
        if not _is_chief():  # continues from the chief's checkpoint, writing its own copy
            chief_run, run = run, _worker_run()
            run.create()
            if chief_run.file(run.STATE).is_dir():
                shutil.copytree(chief_run.file(run.STATE), run.file(run.STATE), dirs_exist_ok=True)
            shutil.copy(chief_run.file(run.MODEL_CONFIG), run.file(run.MODEL_CONFIG))
        self._say(f"resuming {run.partial}")
        try:
            return self._fit_and_finish(run, model, data)
        except (KeyboardInterrupt, WorkerFailure):
            self._interrupted(run)
            raise
        except BaseException:
            _drop_worker_run(run)
            raise

    def _fit_and_finish(self, run: RunDirectory, model, data) -> TrainResult:
        config = self.config
        strategy, cluster = start_strategy(), current_cluster()
        fit_data = self.task.training_data(model, data, config)
        with strategy.scope():
            model.compile(optimizer=build_optimizer(config, fit_data.steps_per_epoch),
                          **self.task.compile_arguments(config))
            if not model.built:
                model(next(iter(fit_data.train))[0])
            if cluster is None:
                build_before_fit(model, fit_data.train)
        state = run.file(run.STATE)
        clock_path, stopping_path = state / "clock.json", state / "early_stopping.json"
        epochs = config.epochs
        if ResumableEarlyStopping.has_stopped(stopping_path):
            epochs = TrainingClock.read(clock_path)["epochs"]  # nothing left to train
        callbacks = [TrainingClock(clock_path)]
        if _is_chief():
            callbacks += [keras.callbacks.CSVLogger(str(run.file(run.HISTORY)), append=True),
                          TensorBoardScalars(run.file(run.LOGS)),
                          AttentionImages(run.file(run.LOGS),
                                          lambda m: self.task.attention_images(m, data, config))]
        if config.early_stopping and fit_data.validation is not None:
            callbacks.append(ResumableEarlyStopping(stopping_path, patience=config.early_stopping,
                                                    monitor="val_loss"))
        # last, so that a checkpoint is written after the state of the others; the
        # previous checkpoint is kept, and restored when a kill cut the last one short
        callbacks.append(keras.callbacks.BackupAndRestore(str(state / "backup"),
                                                          delete_checkpoint=False,
                                                          double_checkpoint=True))
        if _is_chief():
            callbacks.append(HistoryUpToCheckpoint(run.file(run.HISTORY)))
        with _sigterm_as_interrupt():
            if cluster is None:
                model.fit(fit_data.train, validation_data=fit_data.validation, epochs=epochs,
                          callbacks=callbacks, verbose=self.verbose, shuffle=False)
            else:
                fit_distributed(model, fit_data.train, fit_data.validation, strategy=strategy,
                                epochs=epochs, callbacks=callbacks,
                                steps_per_epoch=fit_data.steps_per_epoch,
                                verbose=self.verbose if cluster.is_chief else 0)
        if cluster is not None and not cluster.is_chief:
            _drop_worker_run(run)
            return TrainResult(None, {}, config, None, data)
        if cluster is not None:
            model = self._single_process_copy(model, fit_data)
        clock = TrainingClock.read(clock_path)
        splits = self.task.evaluate(model, data, config)
        baselines = self.task.baselines(data, config)
        save_keras(model, run.file(run.MODEL))
        function, signature = self.task.serving_endpoint(model)
        export_saved_model(model, function, signature, run.file(run.SAVED_MODEL))
        self.task.explain(model, data, config, run.file(run.ATTENTION))
        best = best_model(splits["test"], baselines, *self.task.headline_metric(config))
        document = metrics_document(config.task, splits, baselines, clock["seconds"],
                                    epochs=clock["epochs"], best=best)
        document["distribution"] = describe(strategy, config.batch_size)
        write_metrics(run.file(run.METRICS), document)
        return TrainResult(run.finalize(), document, config, model, data)

    def _single_process_copy(self, model, fit_data):
        """The trained model outside the strategy, for what only the chief does
        (evaluate, export, plots): a distributed model would wait for the others."""
        copy = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
        copy(next(iter(fit_data.train))[0])
        copy.set_weights(model.get_weights())
        copy.compile(optimizer=build_optimizer(self.config, fit_data.steps_per_epoch),
                     **self.task.compile_arguments(self.config))
        return copy

    def _interrupted(self, run: RunDirectory) -> None:
        if _is_chief() and self.resumable:
            self._say(f"interrupted; continue with: {self._resume_command(run)}")
        _drop_worker_run(run)

    def _resume_command(self, run: RunDirectory) -> str:
        """The command that continues `run`, as the README writes it."""
        return f"{attnflow_command()} train {self.config.task} --resume {shlex.quote(str(run.partial))}"

    def _say(self, message: str) -> None:
        print(message, file=self.log, flush=True)


def _is_chief() -> bool:
    cluster = current_cluster()
    return cluster is None or cluster.is_chief


def _worker_run() -> RunDirectory:
    """A run directory in a temporary folder, for a worker other than the chief."""
    return RunDirectory(Path(tempfile.mkdtemp(prefix="attnflow-worker-")) / "run")


def _drop_worker_run(run: RunDirectory) -> None:
    """Removes the temporary folder of a worker other than the chief (the chief's
    run stays for --resume)."""
    if not _is_chief():
        shutil.rmtree(run.path.parent, ignore_errors=True)


class _sigterm_as_interrupt:
    """SIGTERM (a launcher stopping the run) ends training like Ctrl-C: the run
    keeps its checkpoint of the last finished epoch for `--resume`."""

    def __enter__(self):
        self._previous = None
        try:
            self._previous = signal.signal(signal.SIGTERM, self._interrupt)
        except ValueError:  # not the main thread: leave signals alone
            pass
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)

    @staticmethod
    def _interrupt(signum, frame):
        raise KeyboardInterrupt


def fit_model(task, config: RunConfig, data, verbose=0):
    """Trains `task`'s model for `config` in memory, e.g. a baseline twin.

    Same seed, data pipeline, optimizer and early stopping as a run; no
    run directory, checkpoints or logs. Returns the trained model.
    """
    keras.utils.set_random_seed(config.seed)
    with precision_policy(config.precision):
        model = task.build_model(config, data)
    fit_data = task.training_data(model, data, config)
    model.compile(optimizer=build_optimizer(config, fit_data.steps_per_epoch),
                  **task.compile_arguments(config))
    build_before_fit(model, fit_data.train)
    callbacks = []
    if config.early_stopping and fit_data.validation is not None:
        callbacks.append(keras.callbacks.EarlyStopping(patience=config.early_stopping,
                                                       restore_best_weights=True))
    model.fit(fit_data.train, validation_data=fit_data.validation, epochs=config.epochs,
              callbacks=callbacks, verbose=verbose, shuffle=False)
    return model
