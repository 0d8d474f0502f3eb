"""Trainer: runs any task the same way, from data to a finished run directory.

    data -> model -> fit (BackupAndRestore, early stopping, TensorBoard,
    history.csv) -> evaluate -> baselines -> model.keras + SavedModel ->
    attention plots -> metrics.json -> the run moved into place

A task (attnflow.tasks.base.Task) supplies the data, the model, the
pipelines, the scores and the serving signature; the Trainer owns the rest.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras

from attnflow.training.callbacks import ResumableEarlyStopping, TensorBoardScalars, TrainingClock
from attnflow.training.callbacks import AttentionImages
from attnflow.training.config import RunConfig
from attnflow.training.export import export_saved_model, save_keras
from attnflow.training.optimizers import build_optimizer
from attnflow.training.precision import precision_policy
from attnflow.training.report import metrics_document, write_metrics
from attnflow.training.run_dir import RunDirectory


@dataclass
class TrainResult:
    """A finished run: its directory, metrics.json's content, config, model and data."""

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
    """

    def __init__(self, task, config: RunConfig, verbose="auto", log=None):
        self.task = task
        self.config = config
        self.verbose = verbose if verbose != "auto" else (1 if sys.stdout.isatty() else 2)
        self.log = log or sys.stderr

    def train(self, out: str | None = None) -> TrainResult:
        """A new run in `out` (default runs/<task>-<timestamp>).

        Everything that can be wrong with the user's settings and data is
        checked before the run directory is created; if training fails
        later, the unfinished directory is removed, unless the process is
        interrupted (KeyboardInterrupt, or killed), when it stays for
        `resume`.
        """
        self.task.check_config(self.config)
        run = RunDirectory.new(out, self.config.task)
        keras.utils.set_random_seed(self.config.seed)
        data = self.task.load_data(self.config)
        with precision_policy(self.config.precision):  # the layers keep it in their config
            model = self.task.build_model(self.config, data)
        run.create()
        try:
            model_config = keras.saving.serialize_keras_object(model)
            run.file(run.MODEL_CONFIG).write_text(json.dumps(model_config), encoding="utf-8")
            self.config.save(run.file(run.CONFIG))  # last: its presence marks a resumable run
            self._say(f"training in {run.partial} (if interrupted: attnflow train --resume {run.partial})")
            return self._fit_and_finish(run, model, data)
        except KeyboardInterrupt:
            self._say(f"interrupted; continue with: attnflow train --resume {run.partial}")
            raise
        except BaseException:
            run.discard()
            raise

    def resume(self, run: RunDirectory) -> TrainResult:
        """Continues an unfinished run from its last finished epoch."""
        self.task.check_config(self.config)
        keras.utils.set_random_seed(self.config.seed)
        data = self.task.load_data(self.config)
        model_config = json.loads(run.file(run.MODEL_CONFIG).read_text(encoding="utf-8"))
        model = keras.saving.deserialize_keras_object(model_config)
        self._say(f"resuming {run.partial}")
        try:
            return self._fit_and_finish(run, model, data)
        except KeyboardInterrupt:
            self._say(f"interrupted; continue with: attnflow train --resume {run.partial}")
            raise

    def _fit_and_finish(self, run: RunDirectory, model, data) -> TrainResult:
        config = self.config
        fit_data = self.task.training_data(model, data, config)
        model.compile(optimizer=build_optimizer(config, fit_data.steps_per_epoch),
                      **self.task.compile_arguments(config))
        if not model.built:
            model(next(iter(fit_data.train))[0])
        state = run.file(run.STATE)
        clock_path, stopping_path = state / "clock.json", state / "early_stopping.json"
        epochs = config.epochs
        if ResumableEarlyStopping.has_stopped(stopping_path):
            epochs = TrainingClock.read(clock_path)["epochs"]  # nothing left to train
        callbacks = [TrainingClock(clock_path),
                     keras.callbacks.CSVLogger(str(run.file(run.HISTORY)), append=True),
                     TensorBoardScalars(run.file(run.LOGS)),
                     AttentionImages(run.file(run.LOGS), lambda m: self.task.attention_images(m, data, config))]
        if config.early_stopping and fit_data.validation is not None:
            callbacks.append(ResumableEarlyStopping(stopping_path, patience=config.early_stopping,
                                                    monitor="val_loss"))
        # last, so that a checkpoint is written after the state of the others
        callbacks.append(keras.callbacks.BackupAndRestore(str(state / "backup"),
                                                          delete_checkpoint=False))
        model.fit(fit_data.train, validation_data=fit_data.validation, epochs=epochs,
                  callbacks=callbacks, verbose=self.verbose, shuffle=False)
        clock = TrainingClock.read(clock_path)
        splits = self.task.evaluate(model, data, config)
        baselines = self.task.baselines(data, config)
        save_keras(model, run.file(run.MODEL))
        function, signature = self.task.serving_endpoint(model)
        export_saved_model(model, function, signature, run.file(run.SAVED_MODEL))
        self.task.explain(model, data, config, run.file(run.ATTENTION))
        document = metrics_document(config.task, splits, baselines, clock["seconds"],
                                    epochs=clock["epochs"])
        write_metrics(run.file(run.METRICS), document)
        return TrainResult(run.finalize(), document, config, model, data)

    def _say(self, message: str) -> None:
        print(message, file=self.log, flush=True)


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
    callbacks = []
    if config.early_stopping and fit_data.validation is not None:
        callbacks.append(keras.callbacks.EarlyStopping(patience=config.early_stopping,
                                                       restore_best_weights=True))
    model.fit(fit_data.train, validation_data=fit_data.validation, epochs=config.epochs,
              callbacks=callbacks, verbose=verbose, shuffle=False)
    return model
