"""Every bad input: one line on stderr, exit code 2, no traceback, no run directory."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.cli.conftest import run_cli


def data_file(tmp_path, kind):
    path = tmp_path / ("pairs.csv" if kind == "csv" else "pairs.tsv")
    content = {"empty": b"", "one_column": b"just one column\nand another row\n",
               "latin1": "caf\xe9\tcoffee\n".encode("latin-1"), "header_only": b"source\ttarget\n"}
    if kind != "missing":
        path.write_bytes(content[kind])
    return path


def assert_one_line_error(code, err, expected):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("attnflow: error: "), err
    assert "Traceback" not in err and expected in lines[0]


@pytest.mark.parametrize("argv, expected", [
    ([], "the following arguments are required: command"),
    (["bogus"], "invalid choice: 'bogus'"),
])
def test_a_missing_or_unknown_command(capsys, argv, expected):
    code, _, err = run_cli(capsys, *argv)
    assert_one_line_error(code, err, expected)


@pytest.mark.parametrize("kind, expected", [
    ("missing", "expected an existing data file"),
    ("empty", "expected a non-empty data file"),
    ("one_column", "line 1 has 1 column"),
    ("latin1", "expected a UTF-8 text file"),
    ("header_only", "no rows after the header"),
])
def test_bad_data_files(tmp_path, capsys, kind, expected):
    path = data_file(tmp_path, kind)
    code, _, err = run_cli(capsys, "train", "translate", "--data", path, "--out", tmp_path / "run")
    assert_one_line_error(code, err, expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if kind == "missing" else [path.name])


@pytest.mark.parametrize("argv, expected", [
    (["train", "dates", "--attention", "luong"], "Received: --attention='luong'"),
    (["train", "dates", "--epochs", "-1"], "Received: --epochs=-1"),
    (["train", "dates", "--epochs", "many"], "invalid int value"),
    (["train", "nosuchtask"], "expected a task among"),
    (["train", "translate"], "expected --data FILE"),
    (["train", "dates", "--set", "model.units=3"], "Received: unknown=['units']"),
    (["train", "dates", "--config", "missing.yaml"], "expected an existing config file"),
])
def test_bad_training_arguments(tmp_path, capsys, argv, expected):
    code, _, err = run_cli(capsys, *argv, "--out", tmp_path / "run")
    assert_one_line_error(code, err, expected)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv, expected", [
    (["predict", "{not_a_run}", "x"], "expected a run directory made by `attnflow train`"),
    (["evaluate", "{not_a_run}"], "expected a run directory made by `attnflow train`"),
    (["train", "--resume", "{not_a_run}"], "expected an unfinished run directory"),
    (["train", "--resume", "{run}"], "this one has finished"),
    (["predict", "{run}", ""], "expected non-empty texts to translate. Received: text=''"),
    (["predict", "{run}", "   "], "expected non-empty texts to translate"),
    (["predict", "{run}"], "expected at least one text to translate"),
    (["predict", "{run}", "x", "--beam", "0"], "Received: --beam=0"),
    (["predict", "{run}", "x", "--beam", "2", "--saved-model"], "decodes greedily"),
    (["evaluate", "{run}", "--data", "{missing}"], "expected an existing data file"),
])
def test_bad_runs_and_inputs(dates_run, tmp_path, capsys, argv, expected):
    (tmp_path / "not_a_run").mkdir()
    names = {"not_a_run": tmp_path / "not_a_run", "run": dates_run, "missing": tmp_path / "no.tsv"}
    code, _, err = run_cli(capsys, *(a.format(**names) for a in argv))
    assert_one_line_error(code, err, expected)
    assert [p.name for p in tmp_path.iterdir()] == ["not_a_run"]


def test_the_real_command_prints_exactly_one_line(tmp_path):
    """Through the console script: TensorFlow's start-up noise must not reach stderr."""
    command = [sys.executable, "-m", "attnflow", "train", "dates", "--attention", "luong",
               "--out", str(tmp_path / "run")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"})
    assert_one_line_error(result.returncode, result.stderr, "Received: --attention='luong'")
    assert result.stdout == "" and list(tmp_path.iterdir()) == []
