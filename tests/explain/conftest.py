"""The tiny runs of every task family, shared by the explorer, TensorBoard and
faithfulness tests of this folder: each trained once per test session, when a
test first asks for it (so two workers train different runs at the same time)."""

from __future__ import annotations

import functools

import pytest

from tests.explain.runs import train_one
from tests.shared_runs import shared


class _Runs:
    """`runs[name]`: the path of tiny run `name` (tests.explain.runs.train_one)."""

    def __init__(self, tmp_path_factory, worker_id):
        self._factory, self._worker = tmp_path_factory, worker_id

    def __getitem__(self, name: str):
        return shared(self._factory, self._worker, f"task_run_{name}", functools.partial(train_one, name))


@pytest.fixture(scope="session")
def task_runs(tmp_path_factory, worker_id) -> _Runs:
    return _Runs(tmp_path_factory, worker_id)
