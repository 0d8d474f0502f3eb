"""Estimators: each task from Python (DataFrames, arrays, lists in; the CLI's runs out).

`Forecaster`, `TextClassifier`, `SequenceClassifier`, `ImageClassifier` and `Translator` run the
pipeline `attnflow train` runs; `load` opens any finished run as its estimator.
"""

from __future__ import annotations

from attnflow.estimators.base import Estimator
from attnflow.estimators.forecaster import Forecaster
from attnflow.estimators.image_classifier import ImageClassifier
from attnflow.estimators.sequence_classifier import SequenceClassifier
from attnflow.estimators.text_classifier import TextClassifier
from attnflow.estimators.translator import Translator

# task name -> estimator class; a task without one would open as the plain Estimator
ESTIMATORS = {"forecast": Forecaster, "text": TextClassifier, "sequence": SequenceClassifier,
              "image": ImageClassifier, "translate": Translator, "dates": Translator}


def estimator_class(task_name: str):
    """The estimator class of a task (`attnflow.estimators.Estimator` if it has none)."""
    return ESTIMATORS.get(task_name, Estimator)


def load(path):
    """The fitted estimator of the finished run at `path`, trained by the CLI or from Python.

    Raises:
        ValueError: `path` is not a finished run.
    """
    from attnflow.training import RunDirectory

    values = RunDirectory.finished(path).load_config_values()
    return estimator_class(values.get("task")).from_run(path)


__all__ = ["Estimator", "Forecaster", "ImageClassifier", "SequenceClassifier", "TextClassifier",
           "Translator", "estimator_class", "load"]
