"""A tiny dates run, trained once through `attnflow train` and shared by the CLI tests."""

from __future__ import annotations

import pytest

from attnflow import cli

TINY_MODEL = ["--set", "model.embedding_dim=8", "--set", "model.encoder_units=8",
              "--set", "model.decoder_units=16", "--set", "model.attention_units=8"]
TINY_DATES = ["--epochs", "2", "--set", "options.train_size=300", "--set", "options.validation_size=30",
              "--set", "options.test_size=30", "--set", "options.held_out_size=30",
              "--set", "options.beam_width=2", "--set", "options.samples=2", *TINY_MODEL]


def run_cli(capsys, *argv):
    """(exit code, stdout, stderr) of `attnflow argv...` run in this process."""
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exit:  # argparse's exits: --help, a bad flag
        code = exit.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="session")
def dates_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "dates"
    code = cli.main(["train", "dates", "--out", str(out), *TINY_DATES])
    assert code == 0
    return out
