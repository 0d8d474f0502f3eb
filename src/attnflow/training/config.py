"""RunConfig: everything a training run needs, from defaults, a file and flags.

Settings resolve in this order, later winning: the RunConfig defaults, the
task's defaults (`Task.defaults()`), a YAML or TOML file (`--config`), and
the command-line flags. The resolved config is saved in the run directory as
config.yaml, so a run can be reproduced, resumed and evaluated. Its data file
is saved as an absolute path, so the run works from any folder; runs saved
before that keep a path relative to the folder they were trained from, and
are read from there (a relative path is read from the current folder).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from attnflow._validation import check_choice, check_non_negative_int, check_positive_int, fail

OPTIMIZERS = ("adam", "adamw", "sgd")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16", "auto")  # see training/precision.py
SCHEDULES = ("constant", "cosine", "exponential")


@dataclass
class RunConfig:
    """One training run. `model` and `options` are the task's own settings."""

    task: str = ""  # the task name, e.g. "dates"
    data: str | None = None  # data file, for tasks that read one
    seed: int = 0  # seeds the data splits, the initial weights and the shuffling
    epochs: int = 10  # most epochs trained (early stopping may end sooner)
    batch_size: int = 64  # examples per step
    optimizer: str = "adam"  # "adam", "adamw" or "sgd"
    learning_rate: float = 1e-3  # initial learning rate
    schedule: str = "cosine"  # "constant", "cosine" (to 5% at the end) or "exponential"
    warmup: float = 0.0  # epochs of linear warm-up from 0 to learning_rate before the cosine decay; 0: none
    weight_decay: float = 1e-4  # decoupled weight decay of "adamw"
    momentum: float = 0.9  # momentum of "sgd" (Nesterov)
    clipnorm: float | None = 1.0  # gradient-norm clipping; None: off
    precision: str = "float32"  # "float32", "mixed_bfloat16", "mixed_float16" or "auto" (bf16 where native)
    early_stopping: int = 3  # patience in epochs on the validation loss (the best epoch's weights are kept); 0: off
    model: dict = field(default_factory=dict)  # model settings, e.g. {"attention": "bahdanau"}
    options: dict = field(default_factory=dict)  # task settings, e.g. {"train_size": 24000}

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raises ValueError naming the first setting that is out of range."""
        if not isinstance(self.task, str):
            fail("task to be a task name", task=self.task)
        for name in ("epochs", "batch_size"):
            check_positive_int(name, getattr(self, name))
        check_non_negative_int("seed", self.seed)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("schedule", self.schedule, SCHEDULES)
        check_choice("precision", self.precision, PRECISIONS)
        _check_number("learning_rate", self.learning_rate, positive=True)
        _check_number("warmup", self.warmup)
        if self.warmup and self.schedule != "cosine":
            fail("schedule='cosine' with a warm-up (warmup > 0)", schedule=self.schedule)
        _check_number("weight_decay", self.weight_decay)
        _check_number("momentum", self.momentum)
        if self.clipnorm is not None:
            _check_number("clipnorm", self.clipnorm, positive=True)
        check_non_negative_int("early_stopping", self.early_stopping)  # a patience; 0: off
        for name in ("model", "options"):
            if not isinstance(getattr(self, name), dict):
                fail(f"{name} to be a mapping of settings", **{name: getattr(self, name)})
        if self.data is not None and not isinstance(self.data, str):
            fail("data to be a file path", data=self.data)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "RunConfig":
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(values) - set(names))
        if unknown:
            fail(f"settings among {names}", unknown=unknown)
        values = copy.deepcopy(values)
        for name in ("learning_rate", "warmup", "weight_decay", "momentum", "clipnorm"):
            values[name] = _as_float(values.get(name))  # YAML reads "3e-3" as a string
        return cls(**{k: v for k, v in values.items() if v is not None or k in ("data", "clipnorm")})

    def save(self, path) -> None:
        """Writes the settings as YAML (atomically: a kill never leaves half a file).

        `data` is saved as an absolute path, so that the run can be
        evaluated, predicted with and resumed from any folder.
        """
        values = self.to_dict()
        if values["data"] is not None:
            values["data"] = os.path.abspath(values["data"])
        temporary = Path(path).with_suffix(".tmp")
        temporary.write_text(yaml.safe_dump(values, sort_keys=False), encoding="utf-8")
        temporary.replace(path)


def load_config_file(path) -> dict:
    """Reads settings from a YAML (.yaml/.yml) or TOML (.toml) file.

    Raises:
        ValueError: a missing file, an unknown suffix, or text that does not parse.
    """
    path = Path(path)
    if not path.is_file():
        fail("an existing config file", config=str(path))
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".toml"):
        fail("a .yaml, .yml or .toml config file", config=str(path))
    try:
        text = path.read_text(encoding="utf-8")
        values = tomllib.loads(text) if suffix == ".toml" else yaml.safe_load(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        fail("a config file that parses", config=f"{path} ({describe_error(error)})")
    if values is None:
        return {}
    if not isinstance(values, dict):
        fail("a mapping of settings at the top of the config file", config=str(path))
    return values


def describe_error(error: BaseException) -> str:
    """What went wrong, in one line: a YAML error's problem and line, else
    the first line of the message (or the exception's name)."""
    mark = getattr(error, "problem_mark", None)
    if isinstance(error, yaml.MarkedYAMLError) and error.problem and mark is not None:
        return f"{error.problem} at line {mark.line + 1}, column {mark.column + 1}"
    text = str(error).strip()
    return " ".join(text.splitlines()[0].split()) if text else type(error).__name__


def parse_override(text: str) -> dict:
    """"model.units=64" -> {"model": {"units": 64}} (the value is read as YAML)."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        fail("KEY=VALUE, e.g. model.encoder_units=64", set=text)
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return nested(key.strip(), value)


def nested(dotted_key: str, value: Any) -> dict:
    """"a.b" and 1 -> {"a": {"b": 1}}."""
    result: dict = value
    for part in reversed(dotted_key.split(".")):
        result = {part: result}
    return result


def merge(base: dict, *overrides: dict) -> dict:
    """Deep merge: mappings merge key by key, anything else replaces."""
    merged = copy.deepcopy(base)
    for override in overrides:
        for key, value in override.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = merge(merged[key], value)
            else:
                merged[key] = copy.deepcopy(value)
    return merged


def resolve_config(task_defaults: dict, file_values: dict | None = None,
                   overrides: list[dict] | tuple = ()) -> RunConfig:
    """RunConfig defaults <- task defaults <- config file <- flags."""
    values = merge(RunConfig(task=task_defaults.get("task", "")).to_dict(), task_defaults,
                   file_values or {}, *overrides)
    return RunConfig.from_dict(values)


def resolve_task_config(task, file_values: dict | None = None,
                        overrides: list[dict] | tuple = ()) -> RunConfig:
    """A task's RunConfig: its defaults (which may depend on what was chosen, e.g. the
    data set) <- a config file's values <- the settings given (flags, estimator arguments)."""
    file_values = file_values or {}
    return resolve_config(task.defaults(merge(file_values, *overrides)), file_values, overrides)


def _as_float(value):
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _check_number(name: str, value, positive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0 or (positive and value == 0):
        fail(f"{name} to be a {'positive' if positive else 'non-negative'} number",
             **{name: value})
