"""What the classification tasks print and read besides their scores:
predictions (one line or one CSV row per example), the data loaders'
warnings as one line each (a task's wording of a shared flag's help: attnflow.tasks.flags).
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import warnings

import numpy as np


def print_probabilities(names: list[str], probabilities, classes: list[str], output=None) -> None:
    """One line per example: its name, the predicted class and every class's probability;
    to stdout, or as CSV to `output`."""
    rows = []
    for name, row in zip(names, probabilities):
        best = int(np.argmax(row))
        rows.append((name, classes[best], row))
    if output:
        import csv

        with open(output, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["input", "predicted", *[f"p_{c}" for c in classes]])
            for name, predicted, row in rows:
                writer.writerow([name, predicted, *[f"{p:.6f}" for p in row]])
        print(f"predictions written to {output}")
        return
    for name, predicted, row in rows:
        shown = "  ".join(f"{c}={p:.3f}" for c, p in zip(classes, row))
        print(f"{name}\t{predicted}\t{shown}")


_AS_PYTHON_WARNINGS = contextvars.ContextVar("attnflow_as_python_warnings", default=False)


@contextlib.contextmanager
def warnings_as_python():
    """Inside the block `reported_warnings` issues Python warnings instead of printing
    lines (an estimator's fit, whose caller filters and reads warnings as Python's)."""
    token = _AS_PYTHON_WARNINGS.set(True)
    try:
        yield
    finally:
        _AS_PYTHON_WARNINGS.reset(token)


class reported_warnings:
    """Turns the data loaders' warnings (e.g. NaN values masked) into one
    "attnflow: warning: ..." line each on stderr (inside `warnings_as_python`,
    into Python warnings again)."""

    def __enter__(self):
        self._catcher = warnings.catch_warnings(record=True)
        self._caught = self._catcher.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc_info):
        self._catcher.__exit__(*exc_info)
        for warning in self._caught:
            if _AS_PYTHON_WARNINGS.get():
                warnings.warn(warning.message, stacklevel=2)
            else:
                print(f"attnflow: warning: {warning.message}", file=sys.stderr)
        return False
