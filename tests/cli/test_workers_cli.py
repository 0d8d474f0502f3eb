"""`attnflow train --workers N` and TF_CONFIG: bad input is one line, exit 2, nothing written.

(The runs themselves, on real worker processes, are in tests/training/test_multi_worker.py.)
"""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import run_cli
from tests.cli.test_bad_input import assert_one_line_error

TWO = {"worker": ["localhost:1", "localhost:2"]}


@pytest.mark.parametrize("workers, expected", [
    ("0", "expected --workers to be a positive number of processes. Received: --workers=0"),
    ("-2", "Received: --workers=-2"),
    ("two", "argument --workers: invalid int value: 'two'"),
])
def test_workers_must_be_positive(tmp_path, monkeypatch, capsys, workers, expected):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "train", "forecast", "--workers", workers,
                             "--out", tmp_path / "run")
    assert_one_line_error(code, err, expected)
    assert out == "" and list(tmp_path.iterdir()) == []


def test_workers_with_tf_config_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": TWO, "task": {"type": "worker", "index": 0}}))
    code, _, err = run_cli(capsys, "train", "forecast", "--workers", "2", "--out", tmp_path / "run")
    assert_one_line_error(code, err, "either --workers (local processes) or TF_CONFIG")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value, expected", [
    ("{oops", "expected TF_CONFIG to be JSON"),
    (json.dumps({"cluster": TWO, "task": {"type": "worker", "index": 5}}),
     "expected TF_CONFIG's task index within its 'worker' job (0 to 1). Received: index=5"),
])
def test_a_bad_tf_config_is_refused_before_training(tmp_path, monkeypatch, capsys, value, expected):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TF_CONFIG", value)
    code, _, err = run_cli(capsys, "train", "forecast", "--out", tmp_path / "run")
    assert_one_line_error(code, err, expected)
    assert list(tmp_path.iterdir()) == []


def test_workers_with_an_existing_out_is_refused_before_any_worker_starts(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    code, _, err = run_cli(capsys, "train", "forecast", "--workers", "2", "--out", tmp_path / "run")
    assert_one_line_error(code, err, "expected --out to name a directory that does not exist yet")
