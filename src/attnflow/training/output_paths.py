"""Files and folders that `attnflow predict` writes where the user says.

The CLI checks every output path before a task runs (so that a bad path
fails at once, in one line, with nothing loaded or written), and runs the
task's writing under `kept_whole`, so that a prediction that fails halfway
leaves the user's files as they were. A file the user names with --output is
replaced, as `sort -o` and `curl -o` replace theirs; `write_atomically`
replaces it in one step, for writers that can use it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

from attnflow._validation import fail


def check_output_file(name: str, path) -> None:
    """Raises ValueError unless `path` can be written as a file: its folder
    exists and can be written to, and it is not itself a folder.

    Args:
        name: the option's name without dashes, e.g. "output".
        path: the path the user gave.
    """
    flag, given = f"--{name.replace('_', '-')}", {name: str(path)}
    path = Path(path)
    if path.is_dir():
        fail(f"{flag} to name a file, not a folder", **given)
    folder = path.parent
    if not folder.is_dir():
        fail(f"{flag} in an existing folder", **given)
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        fail(f"{flag} where you may write", **given)


def check_output_folder(name: str, path) -> None:
    """Raises ValueError if `path` names something that is not a folder (a
    missing folder is fine: the writer creates it)."""
    if Path(path).exists() and not Path(path).is_dir():
        fail(f"--{name.replace('_', '-')} to name a folder, not a file", **{name: str(path)})


@contextlib.contextmanager
def kept_whole(paths) -> Iterator[None]:
    """Runs the body so that, if it raises (Ctrl-C included), each file of
    `paths` is as it was before: one that existed is restored from a copy
    taken beside it, one that did not is removed. On success the copies go.
    """
    saved: dict[Path, Path | None] = {}  # each file -> its copy (None: it did not exist)
    try:
        for path in map(Path, paths):
            if path not in saved:
                saved[path] = _copy_beside(path) if path.is_file() else None
    except BaseException:
        _remove(copy for copy in saved.values() if copy is not None)
        raise
    try:
        yield
    except BaseException:
        for path, copy in saved.items():
            if copy is not None:
                os.replace(copy, path)
            elif path.is_file():
                path.unlink()
        raise
    _remove(copy for copy in saved.values() if copy is not None)


@contextlib.contextmanager
def write_atomically(path) -> Iterator[Path]:
    """Yields a temporary path beside `path`; once the body has written it,
    it replaces `path` in one rename (a kill never leaves half a file).

    Example:
        with write_atomically(output) as temporary:
            frame.to_csv(temporary, index=False)
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _copy_beside(path: Path) -> Path:
    handle, copy = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".bak", dir=path.parent)
    os.close(handle)
    try:
        shutil.copy2(path, copy)
    except BaseException:
        Path(copy).unlink(missing_ok=True)
        raise
    return Path(copy)


def _remove(paths) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
