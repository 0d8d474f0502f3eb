"""Runs trained before the tasks moved into packages (commit 23abba0) still load.

The fixtures under tests/fixtures/runs_23abba0 were written by `attnflow train`
at that commit; their config.yaml names the data as DATA_DIR/..., filled in here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.cli.conftest import run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runs_23abba0"


@pytest.fixture
def old_run(tmp_path):
    """A copy of one old run, its data path pointing at the fixture's data."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target)
        config = target / "config.yaml"
        config.write_text(config.read_text().replace("DATA_DIR", str(FIXTURES)))
        return target

    return copy


def test_an_old_text_run_evaluates_and_predicts(old_run, capsys):
    run = old_run("text")
    code, out, err = run_cli(capsys, "evaluate", run)
    assert code == 0, err
    assert "accuracy" in out
    code, out, err = run_cli(capsys, "predict", run, "the coffee was great and fresh")
    assert code == 0, err
    text, label, probabilities = out.strip().splitlines()[-1].split("\t")
    assert text == "the coffee was great and fresh" and label in ("1", "5")
    assert sorted(p.split("=")[0] for p in probabilities.split()) == ["1", "5"]
    old = json.loads((run / "metrics.json").read_text())
    assert 0.0 <= old["test"]["accuracy"] <= 1.0


def test_an_old_forecast_run_evaluates_and_predicts(old_run, capsys, tmp_path):
    run = old_run("forecast")
    code, out, err = run_cli(capsys, "evaluate", run)
    assert code == 0, err
    assert "mae" in out
    output = tmp_path / "forecast.csv"
    code, _, err = run_cli(capsys, "predict", run, "--output", output)
    assert code == 0, err
    frame = pd.read_csv(output)
    assert len(frame) == 6  # the run's horizon
    assert frame["sales"].between(50, 250).all()
