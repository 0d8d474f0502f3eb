"""The tiny runs of every task family, shared by the explorer, TensorBoard and
faithfulness tests of this folder (trained once per test process)."""

from __future__ import annotations

import pytest

from tests.explain.runs import train_all


@pytest.fixture(scope="session")
def task_runs(tmp_path_factory) -> dict:
    return train_all(tmp_path_factory.mktemp("task_runs"))
