"""The tiny runs of every task family, shared by the explorer, TensorBoard and
faithfulness tests of this folder (trained once per test process)."""

from __future__ import annotations

import pytest

from tests.explain.runs import train_all
from tests.shared_runs import shared


@pytest.fixture(scope="session")
def task_runs(tmp_path_factory, worker_id) -> dict:
    return shared(tmp_path_factory, worker_id, "task_runs", train_all)
