"""attnflow: attention for TensorFlow, done properly.

`import attnflow` registers every layer, model and loss with Keras (so that
`keras.models.load_model` opens attnflow's .keras files), as a library
import should. The `attnflow` command is the exception: there the
subpackages and the estimators load on first use, so that its --help starts
without importing TensorFlow.
"""

from __future__ import annotations

import importlib
import os
import sys

__version__ = "0.1.0"

_SUBPACKAGES = ("layers", "models", "ops", "estimators", "tasks", "training", "data", "explain")
_ESTIMATORS = ("Forecaster", "TextClassifier", "SequenceClassifier", "ImageClassifier", "Translator", "load")

__all__ = ["layers", "models", "ops", *_ESTIMATORS, "__version__"]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _ESTIMATORS:
        return getattr(__getattr__("estimators"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBPACKAGES, *_ESTIMATORS})


def _started_as_the_command() -> bool:
    """True inside the `attnflow` console script or `python -m attnflow` (not
    `import attnflow` from a program)."""
    if os.path.basename(sys.argv[0] if sys.argv else "") == "attnflow":
        return True
    line = list(getattr(sys, "orig_argv", []))  # the interpreter's own command line
    return any(flag == "-m" and module == "attnflow" for flag, module in zip(line, line[1:]))


if not _started_as_the_command():
    from attnflow._quiet import quiet_tensorflow_import

    quiet_tensorflow_import()  # TensorFlow's C++ start-up lines; see attnflow._quiet
    from attnflow import layers, models, ops  # noqa: E402,F401  (registers them with Keras)
    from attnflow.training import losses as _losses  # noqa: E402,F401
