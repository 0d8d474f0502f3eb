"""The first minutes of a user: hints that work as printed, help without
TensorFlow, no TensorFlow log lines unless --verbose."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from attnflow import _command, cli

TF_LOG_LINE = re.compile(r"^[EWIF]\d{4} |cuda|cuInit|absl::InitializeLog", re.IGNORECASE | re.MULTILINE)


def test_hints_name_the_program_as_it_runs_now(monkeypatch, tmp_path):
    script = tmp_path / ".venv" / "bin" / "attnflow"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script), "demo"])
    monkeypatch.setattr(_command.shutil, "which", lambda name: None)  # after `make demo`: not on PATH
    assert _command.attnflow_command() == ".venv/bin/attnflow"
    monkeypatch.setattr(_command.shutil, "which", lambda name: str(script))  # activated
    assert _command.attnflow_command() == "attnflow"
    monkeypatch.setattr(sys, "argv", ["/somewhere/attnflow/__main__.py"])  # python -m attnflow
    monkeypatch.setattr(_command.shutil, "which", lambda name: None)
    assert _command.attnflow_command().endswith(" -m attnflow")


def test_demo_hint_is_a_command_that_works_where_it_is_printed(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "argv", [".venv/bin/attnflow", "demo"])
    monkeypatch.setattr(_command.shutil, "which", lambda name: None)
    monkeypatch.chdir(tmp_path)
    assert cli._command_hint("predict", "runs/dates 1") == ".venv/bin/attnflow predict 'runs/dates 1'"


def _run(*argv, env=None):
    environment = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    environment["PYTHONPATH"] = str(Path(cli.__file__).parents[1])
    return subprocess.run([sys.executable, "-m", "attnflow", *argv], capture_output=True, text=True,
                          env={**environment, **(env or {})}, timeout=300)


def test_no_tensorflow_log_line_unless_verbose():
    quiet = _run("example")
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert not TF_LOG_LINE.search(quiet.stdout + quiet.stderr), (quiet.stdout + quiet.stderr)[:2000]
    verbose = _run("example", "--verbose")
    assert verbose.returncode == 0 and TF_LOG_LINE.search(verbose.stderr)


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["train", "forecast", "--help"]])
def test_help_comes_without_tensorflow(argv):
    code = ("import sys, runpy\n"
            f"sys.argv = ['attnflow', *{argv!r}]\n"
            "try:\n    runpy.run_module('attnflow', run_name='__main__')\n"
            "except SystemExit as exit:\n    assert exit.code == 0\n"
            "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(cli.__file__).parents[1])})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage: attnflow" in result.stdout


def test_tensorflow_python_warnings_are_hidden_unless_verbose():
    """TensorFlow's Python logger (retracing notes of k-fold runs, ...) says only errors
    unless --verbose; with --verbose its level is left as it was."""
    import logging

    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    try:
        logger.setLevel(logging.WARNING)
        cli._quiet_tensorflow_import(verbose=True)
        assert logger.level == logging.WARNING
        cli._quiet_tensorflow_import(verbose=False)
        assert logger.level == logging.ERROR
    finally:
        logger.setLevel(level)


def test_python_warnings_of_a_command_are_one_line_each():
    import warnings

    original = warnings.formatwarning
    with cli._one_line_warnings():
        assert warnings.formatwarning("skipped 1 of 4 series", UserWarning, "panel.py", 128, "code") == \
            "attnflow: warning: skipped 1 of 4 series\n"
        assert warnings.formatwarning("All-NaN slice encountered", RuntimeWarning, "x.py", 1) == \
            "attnflow: warning: RuntimeWarning: All-NaN slice encountered\n"
    assert warnings.formatwarning is original
