"""Estimator: one task's whole pipeline behind `fit`, with scikit-learn's habits.

An estimator holds the task's settings (its constructor arguments, with the
CLI's defaults: None means "the task's default or preset"), turns the data a
Python user has (lists, arrays, DataFrames) into the table the task reads,
and runs exactly what `attnflow train` runs: `attnflow.training.Trainer`
over `attnflow.tasks`, with the same checks, baselines, metrics and run
directory. `attnflow.cli` trains and evaluates through these objects.

    fit(...)            -> a run in a scratch folder (config.yaml, metrics.json,
                           model.keras, SavedModel, plots), the data beside it
    save(path)          -> that run copied to `path`, its data inside it
    attnflow.load(path) -> the fitted estimator of any finished run
"""

from __future__ import annotations

import inspect
import shutil
import sys
import tempfile
import warnings
import weakref
from pathlib import Path
from typing import ClassVar

from attnflow._validation import fail, with_received_name
from attnflow._warnings import is_attnflows, pass_on, warnings_as_python

DATA_FILE = "data.csv"  # the table an estimator wrote for its run, kept in saved runs
TEST_FILE = "test.csv"  # the test data given to fit, written for the run
FILES_DIR = "files"  # files the tables name (an image classifier's pictures), kept in saved runs


class Estimator:
    """The shared part of every task's estimator (see the module docstring).

    Subclasses list their settings in `__init__` (scikit-learn's `get_params`
    reads them from its signature) and say how their data becomes a table:
    `_fit_options` returns the task options that name its columns.
    """

    task_name: ClassVar[str] = ""
    # constructor arguments that are top-level RunConfig keys
    _config_arguments: ClassVar[tuple[str, ...]] = (
        "epochs", "batch_size", "seed", "learning_rate", "early_stopping")
    # constructor argument -> model.* key ("attention_type" is the CLI's --attention: the
    # name "attention" is the method that returns the weights)
    _model_arguments: ClassVar[dict[str, str]] = {"attention_type": "attention"}
    _option_arguments: ClassVar[tuple[str, ...]] = ()  # options.*

    # -- scikit-learn's parameter protocol -------------------------------------------

    @classmethod
    def _get_param_names(cls) -> list[str]:
        parameters = inspect.signature(cls.__init__).parameters.values()
        return [p.name for p in parameters
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def _keep(self, arguments: dict) -> None:
        """Stores each constructor argument as the attribute of its name (from `locals()`)."""
        for name in self._get_param_names():
            setattr(self, name, arguments[name])

    def get_params(self, deep: bool = True) -> dict:
        """The constructor arguments, as given (None: the task's default)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params) -> "Estimator":
        """Changes constructor arguments; the next `fit` uses them."""
        known = self._get_param_names()
        for name, value in params.items():
            if name not in known:
                fail(f"a parameter among {known}", **{name: value})
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        given = {k: v for k, v in self.get_params().items() if v is not None and k != "verbose"}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in given.items())})"

    # -- settings -> RunConfig ---------------------------------------------------------

    def _overrides(self) -> list[dict]:
        """The settings given, as the CLI's flags and --set would give them."""
        values: dict = {key: getattr(self, key) for key in self._config_arguments
                        if getattr(self, key, None) is not None}
        model = {key: getattr(self, name) for name, key in self._model_arguments.items()
                 if getattr(self, name, None) is not None}
        if model:
            values["model"] = model
        options = {key: getattr(self, key) for key in self._option_arguments
                   if getattr(self, key, None) is not None}
        if options:
            values["options"] = options
        overrides = [values]
        for name in ("model", "options"):
            given = getattr(self, name, None)
            if given is not None:
                if not isinstance(given, dict):
                    fail(f"{name} to be a dict of settings", **{name: given})
                overrides.append({name: dict(given)})
        return overrides

    def _config(self, data: str | None = None, options: dict | None = None,
                file_values: dict | None = None):
        """The resolved RunConfig: task defaults <- config file <- these settings."""
        from attnflow.training.config import resolve_task_config

        overrides = self._overrides()
        if data is not None:
            overrides.append({"data": str(data)})
        if options:
            overrides.append({"options": options})
        return resolve_task_config(self._task(), file_values or {}, overrides)

    def _task(self, config=None):
        """The task of `config`, else of the fitted run, else this estimator's."""
        from attnflow.tasks import get_task

        config = config or getattr(self, "config_", None)
        return get_task(config.task if config is not None else self.task_name)

    # -- training ----------------------------------------------------------------------

    def _fit_table(self, frame, options: dict, test_frame=None, files=None) -> "Estimator":
        """Writes `frame` to a scratch folder and trains on it as on a user's file
        (with `test_frame`, scored on it as on `--test-data FILE`); `files(folder)`
        first writes the files the tables name (relative to `folder`, in FILES_DIR)."""
        scratch = Path(tempfile.mkdtemp(prefix=f"attnflow-{self.task_name}-"))
        try:
            if files is not None:
                files(scratch)
            path = scratch / DATA_FILE
            frame.to_csv(path, index=False)
            if test_frame is not None:
                test_frame.to_csv(scratch / TEST_FILE, index=False)
                options = {**options, "test_data": str(scratch / TEST_FILE)}
            config = self._config(data=str(path), options=options)
            with warnings.catch_warnings(record=True) as caught, warnings_as_python():
                warnings.simplefilter("always")
                self.fit_config(config, out=str(scratch / "run"), resumable=False)
        except ValueError as error:
            shutil.rmtree(scratch, ignore_errors=True)
            raise ValueError(self._in_python_terms(str(error), scratch)) from None
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        # the scratch run lives as long as the estimator (or until it is fitted again);
        # `save` keeps a copy
        previous = getattr(self, "_scratch", None)
        if previous is not None:
            previous()
        self._scratch = weakref.finalize(self, shutil.rmtree, scratch, ignore_errors=True)
        for warning in caught:  # the data's warnings, naming the caller's data, not the scratch files
            if is_attnflows(warning):
                message = self._in_python_terms(str(warning.message), scratch)
                warnings.warn(message, warning.category, stacklevel=3)
            else:  # another library's, as it was raised
                pass_on(warning)
        return self

    def _in_python_terms(self, message: str, scratch: Path) -> str:
        """A task's error as the caller wrote the call: the scratch files as "the training
        data" / "the test data", model settings by their argument names (attention_type)."""
        for flag, name, data in (("--test-data", TEST_FILE, "the test data"),
                                 ("--data", DATA_FILE, "the training data")):
            message = message.replace(f"{flag} {scratch / name}", data).replace(str(scratch / name), data)
        for argument, key in self._model_arguments.items():
            message = with_received_name(message, key, argument)
        return message

    def fit_config(self, config, out: str | None = None, resume=None, resumable: bool = True) -> "Estimator":
        """Trains the task for a resolved RunConfig into `out` (default: runs/<task>-<time>),
        or continues the unfinished run `resume`; what `attnflow train` does. `resumable`:
        False for a scratch run, deleted if training stops (no resume hint is printed)."""
        from attnflow._quiet import quiet_tensorflow_start
        from attnflow.training import Trainer

        quiet_tensorflow_start()
        trainer = Trainer(self._task(config), config, verbose=self._keras_verbose(), resumable=resumable)
        result = trainer.resume(resume) if resume is not None else trainer.train(out)
        self.result_ = result
        if result.path is None:  # a worker other than the chief of a cluster writes no run
            return self
        self._attach(result.path, result.config, model=result.model, metrics=result.metrics)
        self.result_ = result
        return self

    def _keras_verbose(self):
        verbose = getattr(self, "verbose", "auto")
        if verbose != "auto":
            return verbose
        in_notebook = "ipykernel" in sys.modules
        return 1 if in_notebook or sys.stdout.isatty() else 2

    # -- a fitted run ------------------------------------------------------------------

    def _attach(self, path, config, model=None, metrics=None) -> None:
        self.run_path_ = Path(path)
        self.config_ = config
        self._model = model
        self._metrics = metrics

    def _check_fitted(self) -> None:
        if getattr(self, "run_path_", None) is None:
            fail(f"a fitted {type(self).__name__}: call fit first (or attnflow.load a run)",
                 fitted=False)

    @property
    def model_(self):
        """The trained Keras model of the run."""
        self._check_fitted()
        if self._model is None:
            from attnflow.training import RunDirectory

            self._model = RunDirectory.finished(self.run_path_).load_model()
        return self._model

    @property
    def metrics_(self) -> dict:
        """metrics.json of the run: {"task", "test", "baselines", "train_seconds", ...}."""
        self._check_fitted()
        if self._metrics is None:
            import json

            self._metrics = json.loads((self.run_path_ / "metrics.json").read_text(encoding="utf-8"))
        return self._metrics

    def evaluate(self, data=None) -> dict:
        """The run's scores: with no data, metrics.json's {"test", "baselines", ...};
        with data (as `fit` takes it, or a file path), {"test": scores} on it."""
        self._check_fitted()
        if data is None:
            return self.metrics_
        if isinstance(data, (str, Path)):
            return self.evaluate_file(str(data))
        with tempfile.TemporaryDirectory(prefix="attnflow-") as scratch:
            path = Path(scratch) / DATA_FILE
            self._evaluation_table(data).to_csv(path, index=False)
            return self.evaluate_file(str(path))

    def evaluate_file(self, path: str | None = None) -> dict:
        """{"test": scores} on a file (None: the run's own test split); `attnflow evaluate`."""
        task = self._task()
        data = task.load_data(self.config_, path)
        return task.evaluate(self.model_, data, self.config_)

    def explore(self, path=None, examples: int = 8) -> Path:
        """Writes the attention explorer of `examples` test examples (one self-contained
        HTML file; default RUN/explorer.html) and returns its path; `attnflow explore`."""
        from attnflow.explain.explorer import EXPLORER_FILE, write_explorer

        self._check_fitted()
        task = self._task()
        data = task.load_data(self.config_)
        kind, shown = task.attention_examples(self.model_, data, self.config_, "test", examples)
        if not shown:
            fail("a run whose model has attention (and test examples)",
                 attention=self.config_.model.get("attention", "default"))
        title = f"attnflow explorer: {self.run_path_.name} ({self.config_.task})"
        subtitle = ("pick an example, a layer and a head; hover a weight to read it exactly "
                    "(colours: each view's largest weight is the darkest)")
        return write_explorer(path or self.run_path_ / EXPLORER_FILE, title, kind, shown, subtitle)

    def _evaluation_table(self, data):
        fail(f"a data file path for {type(self).__name__}.evaluate", data=type(data).__name__)

    def save(self, path) -> Path:
        """Copies the run to `path` (a folder that does not exist yet), with the data it
        was trained on when that came from Python; returns the path."""
        self._check_fitted()
        target = Path(path)
        if target.exists():
            fail("a path that does not exist yet", path=str(path))
        shutil.copytree(self.run_path_, target)
        data = self.config_.data
        if data and Path(data).name == DATA_FILE and Path(data).parent == self.run_path_.parent:
            shutil.copy2(data, target / DATA_FILE)
            if (Path(data).parent / FILES_DIR).is_dir():  # the images a table names
                shutil.copytree(Path(data).parent / FILES_DIR, target / FILES_DIR)
            from attnflow.training.config import RunConfig

            values = {**self.config_.to_dict(), "data": str(target / DATA_FILE)}
            test = values.get("options", {}).get("test_data")
            if test and Path(test).parent == self.run_path_.parent:  # fit's test_data
                shutil.copy2(test, target / TEST_FILE)
                values["options"] = {**values["options"], "test_data": str(target / TEST_FILE)}
            RunConfig.from_dict(values).save(target / "config.yaml")
        return target

    @classmethod
    def from_run(cls, path) -> "Estimator":
        """The fitted estimator of the finished run at `path`."""
        from attnflow._quiet import quiet_tensorflow_start
        from attnflow.training import RunConfig, RunDirectory

        quiet_tensorflow_start()  # before its model loads

        run = RunDirectory.finished(path)
        config = RunConfig.from_dict(run.load_config_values())
        from attnflow.estimators import estimator_class

        if estimator_class(config.task) is not cls:
            fail(f"a run of a task {cls.__name__} trains", run=f"{path} (task {config.task!r})")
        estimator = cls()
        for key in cls._config_arguments:
            setattr(estimator, key, getattr(config, key))
        for name, key in cls._model_arguments.items():
            setattr(estimator, name, config.model.get(key))
        for key in cls._option_arguments:
            setattr(estimator, key, config.options.get(key))
        estimator.model = dict(config.model)
        estimator.options = {k: v for k, v in config.options.items() if k not in ("classes", "scaler")}
        estimator._attach(run.path, config)
        return estimator
