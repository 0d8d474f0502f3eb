"""Task: what a task module in attnflow/tasks/<family>/ implements.

A task ties data, a model and metrics together; `attnflow.training.Trainer`
runs any task the same way (config, run directory, fit with backup and
resume, evaluation, export, plots, metrics.json), and `attnflow.cli`
dispatches to it. A new task is one module in its family's package plus
one line in `attnflow.tasks.TASKS` ("mytask": "attnflow.tasks.family.mytask:MyTask"):

    from attnflow.tasks.base import Task, TrainingData

    class MyTask(Task):
        name = "mytask"
        summary = "one line for `attnflow train --help`"

        options_class = MyOptions                    # optional: a dataclass of config.options
        attention_names = ("bahdanau", "none")       # optional: listed by `train mytask --help`
        headline = ("accuracy", "higher")            # the metric that names the run's best model
        def defaults(self, chosen=None): ...         # optional
        def load_data(self, config, data_path=None): ...
        def build_model(self, config, data): ...
        def training_data(self, model, data, config): ...
        def compile_arguments(self, config): ...     # optional
        def evaluate(self, model, data, config): ...
        def serving_endpoint(self, model): ...
        def predict(self, load_model, inputs, args, config): ...
        # optional: add_arguments, check_config, baselines, explain, summarize,
        #           attention_examples (the explorer, TensorBoard images), faithfulness

The command line reads `name`, `summary`, `attention_names` and
`add_arguments` from a TaskFlags class that imports no TensorFlow
(`attnflow.tasks.flags`; one line in `attnflow.tasks.TASK_FLAGS`), and the
task inherits them: `class MyTask(MyFlags, Task)`.

Every method that reads the user's data or settings raises ValueError with
"expected ... Received: name=value" on bad input; the CLI turns that into
one line on stderr and exit code 2, before any run directory exists.
"""

from __future__ import annotations

import abc
import dataclasses
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from attnflow._validation import fail
from attnflow.tasks.flags import TaskFlags
from attnflow.training.config import RunConfig


class TrainingData(NamedTuple):
    """What `Task.training_data` returns for `model.fit`.

    train: a tf.data.Dataset of (inputs, targets) batches.
    validation: the same for validation (None: no validation).
    steps_per_epoch: batches in one pass over `train` (for the schedule).
    """

    train: Any
    validation: Any
    steps_per_epoch: int


class Task(TaskFlags, abc.ABC):
    """The interface of one task (see the module docstring); name, summary,
    attention_names and add_arguments come from `TaskFlags`."""

    options_class: ClassVar[type | None] = None  # a dataclass of the task's config.options
    # (metric, "higher" or "lower"): how train and evaluate name the best model of a run
    headline: ClassVar[tuple[str, str]] = ("accuracy", "higher")

    # -- settings ------------------------------------------------------------

    def defaults(self, chosen: dict | None = None) -> dict:
        """RunConfig values for this task, e.g. {"epochs": 3, "model": {...}}.

        Args:
            chosen: what the user set, from the config file and the flags
                merged (nested like RunConfig, e.g. {"options": {"dataset":
                "sunspots"}}), so that defaults can depend on a choice such
                as the data set; they still sit under those settings.
        """
        return {}

    def options(self, config: RunConfig):
        """config.options as an `options_class` instance (unknown keys are an error)."""
        return settings_dataclass(self.options_class, config.options, "options")

    def headline_metric(self, config: RunConfig) -> tuple[str, str]:
        """(metric, "higher" or "lower"): the test score that names the best model
        of a run, the attention model or a baseline (default: `headline`)."""
        return self.headline

    def check_config(self, config: RunConfig) -> None:
        """Raises ValueError on bad task settings (config.model, config.options)."""

    # -- training ------------------------------------------------------------

    @abc.abstractmethod
    def load_data(self, config: RunConfig, data_path: str | None = None) -> Any:
        """The run's data: splits for training, or with `data_path` a file to
        evaluate on (`attnflow evaluate RUN --data FILE`)."""

    @abc.abstractmethod
    def build_model(self, config: RunConfig, data: Any):
        """A fresh Keras model for this config and data."""

    @abc.abstractmethod
    def training_data(self, model, data: Any, config: RunConfig) -> TrainingData:
        """tf.data pipelines for `model.fit`."""

    def compile_arguments(self, config: RunConfig) -> dict:
        """Keyword arguments of `model.compile` besides the optimizer: loss, metrics."""
        return {}

    def baselines(self, data: Any, config: RunConfig) -> dict[str, dict[str, float]]:
        """Baselines on the same split: {name: {metric: value}}."""
        return {}

    # -- after training ---------------------------------------------------------

    @abc.abstractmethod
    def evaluate(self, model, data: Any, config: RunConfig) -> dict[str, dict[str, float]]:
        """Scores by split: must hold "test"; lowercase metric names."""

    @abc.abstractmethod
    def serving_endpoint(self, model):
        """(function, input_signature) of the SavedModel's serving signature."""

    def explain(self, model, data: Any, config: RunConfig, directory: Path) -> list[Path]:
        """Writes plots of the attention into `directory`; returns their paths."""
        return []

    def attention_examples(self, model, data: Any, config: RunConfig, split: str = "test",
                           count: int = 8) -> tuple[str, list[dict]]:
        """(kind, examples) of the attention of `count` examples of `split` ("test" or
        "validation"), the same every time, as `attnflow.explain.explorer` draws them
        (its module docstring describes an example); [] for a model without attention."""
        return "matrix", []

    def attention_images(self, model, data: Any, config: RunConfig, count: int = 3) -> dict:
        """{tag: uint8 image} of a few validation examples' attention, for TensorBoard
        (`attnflow.training.callbacks.AttentionImages` logs them every epoch)."""
        from attnflow.explain.attention_images import example_images

        return example_images(self.attention_examples(model, data, config, "validation", count)[1])

    def faithfulness(self, model, data: Any, config: RunConfig) -> dict | None:
        """How far the attention explains the predictions (`attnflow.explain.faithfulness`),
        for metrics.json's "faithfulness"; None for a model without attention."""
        return None

    def summarize(self, model, data: Any, config: RunConfig, console) -> None:
        """Prints what a user should see after training (samples, pictures)."""

    @abc.abstractmethod
    def predict(self, load_model, inputs: list[str], args: dict, config: RunConfig) -> None:
        """`attnflow predict RUN ...`: prints (or writes) predictions.

        Args:
            load_model: returns the run's trained model; check the inputs
                first, so that bad input fails fast and quietly.
            inputs: the INPUT arguments.
            args: every parsed predict flag (run, show_attention, data,
                output, and the task's own).
            config: the run's RunConfig.
        """


def with_faithfulness(task: Task, scores: dict, model, data, config: RunConfig, measured: bool) -> dict:
    """`scores` with "faithfulness" (`Task.faithfulness`) added when `measured` (a run's
    own data, in training) and the model attends; it lands in metrics.json."""
    if measured:
        figures = task.faithfulness(model, data, config)
        if figures is not None:
            scores = {**scores, "faithfulness": figures}
    return scores


def settings_dataclass(settings_class, values: dict, what: str):
    """`settings_class(**values)`, naming the unknown keys as a settings error."""
    known = {f.name for f in dataclasses.fields(settings_class)}
    if not set(values) <= known:
        fail(f"{what} among {sorted(known)}", unknown=sorted(set(values) - known))
    return settings_class(**values)
