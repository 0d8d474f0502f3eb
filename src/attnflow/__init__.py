"""attnflow: attention for TensorFlow, done properly.

The subpackages and the estimators load on first use (`attnflow.layers`,
`attnflow.Forecaster`, ...), so that `import attnflow` and the command line's
--help start without importing TensorFlow.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBPACKAGES = ("layers", "models", "ops", "estimators", "tasks", "training", "data", "explain")
_ESTIMATORS = ("Forecaster", "TextClassifier", "SequenceClassifier", "Translator", "load")

__all__ = ["layers", "models", "ops", *_ESTIMATORS, "__version__"]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        from attnflow._quiet import quiet_tensorflow_import

        quiet_tensorflow_import()
        return importlib.import_module(f"{__name__}.{name}")
    if name in _ESTIMATORS:
        return getattr(__getattr__("estimators"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBPACKAGES, *_ESTIMATORS})
