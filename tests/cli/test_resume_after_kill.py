"""A run killed with SIGKILL mid-training resumes from its last finished epoch.

Slow (three TensorFlow processes); the default suite covers the same path
in-process with an interruption (test_translate_cli.test_an_interrupted_run_resumes).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from tests.cli.conftest import TINY_MODEL

SETTINGS = ["--epochs", "4", "--set", "options.train_size=3000", "--set", "options.validation_size=50",
            "--set", "options.test_size=100", "--set", "options.held_out_size=50",
            "--set", "options.beam_width=1", "--set", "options.samples=1", "--set", "early_stopping=0",
            *TINY_MODEL]


def attnflow(*argv, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "attnflow", *map(str, argv)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.mark.slow
def test_killed_and_resumed_equals_uninterrupted(tmp_path):
    killed = attnflow("train", "dates", "--out", tmp_path / "killed", *SETTINGS)
    clock = tmp_path / "killed.partial" / "state" / "clock.json"
    deadline = time.time() + 300
    while time.time() < deadline and killed.poll() is None:
        if clock.exists() and json.loads(clock.read_text() or "{}").get("epochs", 0) >= 2:
            break
        time.sleep(0.2)
    time.sleep(0.5)  # into the third epoch
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert (tmp_path / "killed.partial").is_dir()
    resumed = attnflow("train", "--resume", tmp_path / "killed.partial")
    whole = attnflow("train", "dates", "--out", tmp_path / "whole", *SETTINGS)
    for process in (resumed, whole):
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-2000:]
    metrics = [json.loads((tmp_path / name / "metrics.json").read_text()) for name in ("killed", "whole")]
    assert metrics[0]["epochs"] == metrics[1]["epochs"] == 4
    history = (tmp_path / "killed" / "history.csv").read_text().splitlines()[1:]
    assert [row.split(",")[0] for row in history] == ["0", "1", "2", "3"]
    assert abs(metrics[0]["test"]["cer"] - metrics[1]["test"]["cer"]) < 0.05
