"""RunDirectory: where a run lives, written aside and moved into place when done.

A run is written into `<path>.partial` and renamed to `<path>` only when
training, evaluation, export and plots have all succeeded, so a directory
named like a run is always a whole run. A run that is killed keeps its
`.partial` directory (checkpoints included) for `attnflow train --resume`;
one that fails on bad input is removed.
"""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import yaml

from attnflow._validation import fail
from attnflow.training.config import describe_error

PARTIAL_SUFFIX = ".partial"


class RunDirectory:
    """The files of one run.

    Args:
        path: the finished run's directory; work happens in `path.partial`
            until `finalize()`.
    """

    CONFIG = "config.yaml"  # the resolved RunConfig
    MODEL_CONFIG = "model_config.json"  # the untrained model, rebuilt on resume
    MODEL = "model.keras"
    SAVED_MODEL = "saved_model"  # SavedModel with a serving signature
    METRICS = "metrics.json"  # written last
    HISTORY = "history.csv"  # one row per epoch, across resumed sessions
    LOGS = "logs"  # TensorBoard
    STATE = "state"  # BackupAndRestore checkpoint and callback state, removed when done
    ATTENTION = "attention"  # plots

    def __init__(self, path):
        self.path = Path(path)

    @property
    def partial(self) -> Path:
        return self.path.with_name(self.path.name + PARTIAL_SUFFIX)

    def file(self, name: str) -> Path:
        """A path inside the run while it is being written."""
        return self.partial / name

    # -- finding runs -----------------------------------------------------------

    @classmethod
    def new(cls, out: str | None, task: str, root: str = "runs") -> "RunDirectory":
        """A run that does not exist yet: `out`, or runs/<task>-<timestamp>."""
        if out is None:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            path, number = Path(root) / f"{task}-{stamp}", 1
            while path.exists() or cls(path).partial.exists():
                number += 1
                path = Path(root) / f"{task}-{stamp}-{number}"
            return cls(path)
        run = cls(Path(out))
        if out.endswith(PARTIAL_SUFFIX):
            fail(f"an --out name that does not end in {PARTIAL_SUFFIX}", out=out)
        if run.path.exists():
            fail("--out to name a directory that does not exist yet", out=out)
        if run.partial.exists():
            fail("--out without an unfinished run (resume that one with --resume)", out=out)
        return run

    @classmethod
    def unfinished(cls, path) -> "RunDirectory":
        """The run to resume, given as `<path>` or `<path>.partial`."""
        given = Path(path)
        run = cls(given.with_name(given.name[:-len(PARTIAL_SUFFIX)])
                  if given.name.endswith(PARTIAL_SUFFIX) else given)
        if run.partial.is_dir() and (run.partial / cls.CONFIG).is_file():
            return run
        if (run.path / cls.METRICS).is_file():
            fail("an unfinished run to resume (this one has finished)", resume=str(path))
        fail("an unfinished run directory made by `attnflow train`", resume=str(path))

    @classmethod
    def finished(cls, path) -> "RunDirectory":
        """A whole run, for `evaluate` and `predict`."""
        run = cls(Path(path))
        if str(path).endswith(PARTIAL_SUFFIX) or (not run.path.exists() and run.partial.exists()):
            fail("a finished run (resume this one with `attnflow train --resume`)", run=str(path))
        if not all((run.path / name).exists() for name in (cls.CONFIG, cls.MODEL, cls.METRICS)):
            fail(f"a run directory made by `attnflow train` ({cls.CONFIG}, {cls.MODEL}, "
                 f"{cls.METRICS})", run=str(path))
        return run

    def saved(self, name: str) -> Path:
        """A path inside a finished run."""
        return self.path / name

    def load_config_values(self, finished: bool = True) -> dict:
        """The settings of config.yaml (a damaged file is a ValueError naming it)."""
        path = (self.path if finished else self.partial) / self.CONFIG
        try:
            values = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            fail(f"a run whose {self.CONFIG} parses", config=f"{path} ({describe_error(error)})")
        if not isinstance(values, dict):
            fail(f"a run whose {self.CONFIG} holds settings", config=str(path))
        return values

    def load_model(self):
        """The trained model of a finished run (model.keras, uncompiled).

        Raises:
            ValueError: model.keras is damaged (e.g. truncated) or unreadable.
        """
        import zipfile

        import keras

        path = self.saved(self.MODEL)
        if not zipfile.is_zipfile(path):  # Keras would say "File not found"
            fail(f"a run whose {self.MODEL} is a readable .keras file",
                 model=f"{path} (not a zip archive: truncated or overwritten?)")
        try:
            return keras.models.load_model(path, compile=False)
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as error:
            fail(f"a run whose {self.MODEL} is a readable .keras file",
                 model=f"{path} ({type(error).__name__}: {describe_error(error)})")

    # -- writing ----------------------------------------------------------------

    def create(self) -> None:
        try:
            self.partial.mkdir(parents=True)
        except OSError as error:
            fail("a run directory that can be created", out=f"{self.path} ({error.strerror})")

    def finalize(self) -> Path:
        """Drops the checkpoints and moves the run into place."""
        shutil.rmtree(self.file(self.STATE), ignore_errors=True)
        self.partial.rename(self.path)
        return self.path

    def discard(self) -> None:
        shutil.rmtree(self.partial, ignore_errors=True)

