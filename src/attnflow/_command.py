"""How to type `attnflow` again in this shell, for the hints the command prints.

After `make demo` the `attnflow` script lives in `.venv/bin`, which is not on
the PATH until the environment is activated; a hint that says `attnflow
predict ...` would then fail as printed. `attnflow_command()` names the
program the way that works now.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path


def attnflow_command() -> str:
    """"attnflow" when that name on the PATH is the program running now; else
    the path that started it (".venv/bin/attnflow"); else this interpreter
    with "-m attnflow" (e.g. under `python -m attnflow` or a test runner)."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    on_path = shutil.which("attnflow")
    if script is not None and script.name == "attnflow":
        if on_path and _same_file(on_path, script):
            return "attnflow"
        return shlex.quote(shown_path(script))
    if on_path and Path(on_path).parent == Path(sys.executable).parent:
        return "attnflow"  # this environment's own script
    return f"{shlex.quote(shown_path(Path(sys.executable)))} -m attnflow"


def shown_path(path) -> str:
    """`path` relative to the working folder when it lies inside it (with a
    slash, so that a shell runs it as a path), else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(Path.cwd())
    except ValueError:
        return str(absolute)
    text = str(relative)
    return text if "/" in text else f"./{text}"


def _same_file(first, second) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False
