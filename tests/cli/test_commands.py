"""`attnflow demo`, `attnflow bench` and `attnflow example` dispatch where they should."""

from __future__ import annotations

import attnflow.bench
from attnflow import cli
from attnflow.tasks.translation.dates import DatesTask
from tests.cli.conftest import run_cli


def test_demo_trains_dates_and_shows_metrics_samples_and_attention(tmp_path, capsys, monkeypatch):
    full_defaults = DatesTask.defaults

    def tiny_defaults(self, chosen=None):
        defaults = full_defaults(self, chosen)
        defaults["epochs"] = 1
        defaults["model"].update(embedding_dim=8, encoder_units=8, decoder_units=16, attention_units=8)
        defaults["options"].update(train_size=200, validation_size=20, test_size=20,
                                   held_out_size=20, beam_width=2, samples=2)
        return defaults

    monkeypatch.setattr(DatesTask, "defaults", tiny_defaults)
    code, out, _ = run_cli(capsys, "demo", "--out", tmp_path / "demo")
    assert code == 0
    for shown in ("attnflow demo", "exact_match", "held_out", "test_beam2", "sample translations",
                  "attention of", "attention heatmaps:", "attnflow predict"):
        assert shown in out, shown
    assert out.splitlines()[-1] == str(tmp_path / "demo")
    assert (tmp_path / "demo" / "metrics.json").is_file()


def test_bench_passes_the_rest_of_the_arguments(monkeypatch):
    received = []
    monkeypatch.setattr(attnflow.bench, "main", lambda argv: received.append(argv) or 0)
    assert cli.main(["bench", "--quick", "--out", "x"]) == 0
    assert received == [["--quick", "--out", "x"]]


def test_help_lists_the_tasks_and_example_still_works(capsys):
    code, out, _ = run_cli(capsys, "train", "--help")
    assert code == 0 and "dates" in out and "translate" in out and "--resume" in out
    code, out, _ = run_cli(capsys, "train", "translate", "--help")
    assert code == 0 and "--source-col" in out
    assert cli.main(["example"]) == 0
    assert capsys.readouterr().out.startswith("Attention over the sentence")
