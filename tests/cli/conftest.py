"""A tiny dates run, trained once through `attnflow train` and shared by the CLI tests."""

from __future__ import annotations

import keras
import pytest

from attnflow import cli
from tests.shared_runs import shared

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
def dates_run(tmp_path_factory, worker_id):
    def build(folder):
        out = folder / "dates"
        assert cli.main(["train", "dates", "--out", str(out), *TINY_DATES]) == 0
        return out

    return shared(tmp_path_factory, worker_id, "dates_run", build)


class _Interrupt:
    """Makes training raise KeyboardInterrupt (as Ctrl-C does) after its first epoch."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.finish_epoch = keras.callbacks.BackupAndRestore.on_epoch_end
        finish_epoch = self.finish_epoch

        def interrupt_after_first_epoch(callback, epoch, logs=None):
            finish_epoch(callback, epoch, logs)  # the checkpoint of epoch 0 is written
            if epoch == 0:
                raise KeyboardInterrupt

        monkeypatch.setattr(keras.callbacks.BackupAndRestore, "on_epoch_end", interrupt_after_first_epoch)

    def undo(self):
        """Training runs normally again (e.g. for the resume)."""
        self.monkeypatch.setattr(keras.callbacks.BackupAndRestore, "on_epoch_end", self.finish_epoch)


@pytest.fixture
def interrupt_first_epoch(monkeypatch):
    """The next `attnflow train` stops after its first epoch; `.undo()` ends that."""
    return _Interrupt(monkeypatch)
