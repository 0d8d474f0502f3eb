"""Callbacks whose state survives a killed and resumed run.

`keras.callbacks.BackupAndRestore` restores the weights, the optimizer and
the epoch; these restore what it does not: the patience of early stopping
with the best weights so far, the training time already spent, and a
history.csv that holds the checkpoint's epochs only.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state), encoding="utf-8")
    temporary.replace(path)  # atomic: a kill never leaves half a file


class HistoryUpToCheckpoint(keras.callbacks.Callback):
    """Drops the rows of history.csv past the epoch the run resumes from.

    A run killed after CSVLogger wrote an epoch's row, but before
    BackupAndRestore saved that epoch, trains the epoch again when resumed;
    without this its row would be there twice. It must come after
    BackupAndRestore, which sets the model's initial epoch as training begins.

    Args:
        path: the run's history.csv (CSVLogger's file, opened for appending).
    """

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)

    def on_train_begin(self, logs=None):
        first = getattr(self.model, "_initial_epoch", None) or 0
        if not self.path.is_file():
            return
        lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = lines[:1] + [line for line in lines[1:] if int(line.split(",", 1)[0]) < first]
        if len(kept) < len(lines):  # CSVLogger appends: its next row follows these
            with open(self.path, "r+", encoding="utf-8") as history:
                history.write("".join(kept))
                history.truncate()


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """EarlyStopping that saves its counters after every epoch and reloads them.

    It always restores the best weights at the end of training (those of
    the epoch with the best monitored value), and keeps them on disk next to
    the counters, so that a resumed run ends with the same weights as an
    uninterrupted one.

    Args:
        state_path: JSON file holding the counters; the best weights go to
            the same path with the suffix ".best.npz".
        **kwargs: as for keras.callbacks.EarlyStopping (restore_best_weights
            is always True).
    """

    def __init__(self, state_path, **kwargs):
        super().__init__(**{**kwargs, "restore_best_weights": True})
        self.state_path = Path(state_path)
        self.weights_path = self.state_path.with_suffix(".best.npz")

    @staticmethod
    def has_stopped(state_path) -> bool:
        """Whether a previous session of the run stopped early."""
        return _read(Path(state_path)).get("stopped_epoch", 0) > 0

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        state = _read(self.state_path)
        self.wait = state.get("wait", 0)
        self.best = state.get("best")
        self.best_epoch = state.get("best_epoch", 0)
        self.stopped_epoch = state.get("stopped_epoch", 0)
        if state and self.weights_path.exists():
            with np.load(self.weights_path) as saved:
                self.best_weights = [saved[f"w{i}"] for i in range(len(saved.files))]

    def on_epoch_end(self, epoch, logs=None):
        best_before = self.best_weights
        super().on_epoch_end(epoch, logs)
        if self.best_weights is not best_before:  # this epoch is the best so far
            temporary = self.weights_path.with_suffix(".tmp.npz")
            np.savez(temporary, **{f"w{i}": w for i, w in enumerate(self.best_weights)})
            temporary.replace(self.weights_path)
        best = None if self.best is None else float(self.best)
        _write(self.state_path, {"wait": self.wait, "best": best, "best_epoch": self.best_epoch,
                                 "stopped_epoch": self.stopped_epoch})


class TrainingClock(keras.callbacks.Callback):
    """Adds up the seconds of finished epochs over every session of a run.

    Args:
        state_path: JSON file holding {"seconds": ..., "epochs": ...}.
    """

    def __init__(self, state_path):
        super().__init__()
        self.state_path = Path(state_path)
        self._start = 0.0
        self._previous = 0.0

    @staticmethod
    def read(state_path) -> dict:
        return {"seconds": 0.0, "epochs": 0, **_read(Path(state_path))}

    def on_train_begin(self, logs=None):
        self._previous = self.read(self.state_path)["seconds"]
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = self._previous + time.perf_counter() - self._start
        _write(self.state_path, {"seconds": round(seconds, 3), "epochs": epoch + 1})


class TensorBoardScalars(keras.callbacks.Callback):
    """Writes every epoch's logs as TensorBoard scalars, with TensorFlow alone.

    `keras.callbacks.TensorBoard` needs the `tensorboard` package to write;
    this writes the same event files (train/ and validation/ under
    `log_dir`, one scalar per metric, step = epoch) with `tf.summary.write`,
    so `tensorboard --logdir RUN/logs` shows them wherever it is installed.

    Args:
        log_dir: the directory of the event files.
    """

    def __init__(self, log_dir):
        super().__init__()
        self.log_dir = Path(log_dir)
        self._writers = {}

    def _writer(self, name: str):
        import tensorflow as tf

        if name not in self._writers:
            self._writers[name] = tf.summary.create_file_writer(str(self.log_dir / name))
        return self._writers[name]

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        metadata = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
        for key, value in (logs or {}).items():
            split, name = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            with self._writer(split).as_default():
                tf.summary.write(f"epoch_{name}", tf.constant(float(value)), step=epoch,
                                 metadata=metadata.SerializeToString())
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


class AttentionImages(keras.callbacks.Callback):
    """Logs, after every epoch, the attention of a few fixed examples as TensorBoard images.

    The images go to `log_dir`/validation (beside the validation scalars),
    one tag per example ("attention/example_1", ...), step = epoch.

    Args:
        log_dir: the directory of the event files (a run's logs/).
        images: model -> {tag: uint8 image [height, width, 3]}; a task's
            `attention_images` (the same examples every epoch); {} logs nothing.
    """

    def __init__(self, log_dir, images):
        super().__init__()
        self.log_dir = Path(log_dir)
        self.images = images
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf

        images = self.images(self.model)
        if not images:
            return
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(str(self.log_dir / "validation"))
        with self._writer.as_default():
            for tag, image in images.items():
                tf.summary.image(tag, np.asarray(image, np.uint8)[None], step=epoch)
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
