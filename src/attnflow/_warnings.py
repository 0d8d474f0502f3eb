"""Python warnings caught while attnflow works: its own ones told to the user as one
line each (the `attnflow` command) or as Python warnings (an estimator's fit), the
other libraries' ones passed on as they were raised."""

from __future__ import annotations

import contextlib
import contextvars
import sys
import warnings
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
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


def is_attnflows(warning: warnings.WarningMessage) -> bool:
    """True for a caught warning that attnflow's own code raised (a data warning)."""
    try:
        return Path(warning.filename).resolve().is_relative_to(_PACKAGE)
    except (OSError, ValueError):
        return False


def pass_on(warning: warnings.WarningMessage) -> None:
    """Issues a caught warning of another library (TensorFlow, NumPy, pandas) again from
    where it was raised, so that the caller's filters treat it as they would have (a
    library's DeprecationWarning stays hidden by default)."""
    warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno,
                           source=warning.source)


class reported_warnings:
    """Turns the data loaders' warnings (e.g. NaN values masked) into one
    "attnflow: warning: ..." line each on stderr (inside `warnings_as_python`,
    into Python warnings again); other libraries' warnings are passed on."""

    def __enter__(self):
        self._catcher = warnings.catch_warnings(record=True)
        self._caught = self._catcher.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc_info):
        self._catcher.__exit__(*exc_info)
        for warning in self._caught:
            if not is_attnflows(warning):
                pass_on(warning)
            elif _AS_PYTHON_WARNINGS.get():
                warnings.warn(warning.message, stacklevel=2)
            else:
                print(f"attnflow: warning: {warning.message}", file=sys.stderr)
        return False
