"""Runs that several tests read, trained once per test session, even under pytest-xdist.

With `-n 2`, a session- or module-scoped fixture is set up once in each worker that runs
one of its tests, so a run two workers need was trained twice. `shared` trains it once:
the first worker to ask builds it in the session's shared temporary folder while the
other waits on a file lock, then both read the same run. Tests of such runs only read
them or write files of their own names, so the workers do not collide.
"""

from __future__ import annotations

import fcntl
import pickle
import shutil


def shared(tmp_path_factory, worker_id: str, name: str, build):
    """The value of `build(folder)` (paths, strings: anything pickled), built once per session.

    Args:
        tmp_path_factory, worker_id: the fixtures of pytest and pytest-xdist.
        name: the run's name, unique in the session.
        build: makes the run in an empty folder and returns what the fixture returns.
    """
    if worker_id == "master":  # no xdist: the process is alone
        return build(tmp_path_factory.mktemp(name))
    root = tmp_path_factory.getbasetemp().parent  # one per session, shared by the workers
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        done = root / f"{name}.pickle"
        if not done.is_file():
            folder = root / name
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            done.write_bytes(pickle.dumps(build(folder)))
        return pickle.loads(done.read_bytes())
