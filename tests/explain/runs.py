"""Tiny runs of every task family, trained once per session through `attnflow train`,
for the explorer, TensorBoard and faithfulness tests (tests/explain/conftest.py)."""

from __future__ import annotations

import contextlib
import io

from attnflow import cli
from tests.cli.conftest import TINY_DATES
from tests.cli.test_forecast_cli import monthly_frame
from tests.cli.test_sequence_cli import series_rows, write_rows
from tests.cli.test_text_cli import write_reviews
from tests.image_files import write_folder

TEXT = ["--text-col", "review", "--label-col", "stars", "--epochs", "2", "--batch-size", "8",
        "--set", "options.vocabulary_size=50", "--set", "options.max_length=16",
        "--set", "options.samples=2", "--set", "options.ngrams=1", "--set", "options.baselines=[]",
        "--set", "options.cross_validation_below=0",  # one split: k-fold would train 5 more models
        "--set", "options.min_steps_per_epoch=0"]
TEXT_RNN = ["--set", "model.architecture=rnn", "--set", "model.units=8", "--set", "model.embedding_dim=8"]
TEXT_TRANSFORMER = ["--set", "model.architecture=transformer", "--set", "model.model_dim=8",
                    "--set", "model.num_heads=2", "--set", "model.num_layers=2",
                    "--set", "model.intermediate_dim=8"]
SEQUENCE = ["--id-col", "id", "--time-col", "t", "--label-col", "activity", "--epochs", "2",
            "--batch-size", "8", "--set", "model.conv_filters=[8]", "--set", "model.conv_kernel_sizes=[3]",
            "--set", "options.samples=2", "--set", "options.baselines=[]",
            "--set", "options.cross_validation_below=0"]
IMAGE = ["--epochs", "2", "--batch-size", "16", "--image-size", "8", "--set", "warmup=0",
         "--set", "model.stem_channels=[4]", "--set", "model.patch_size=4", "--set", "model.model_dim=8",
         "--set", "model.num_heads=2", "--set", "model.intermediate_dim=8", "--set", "model.num_layers=2",
         "--set", "options.min_steps_per_epoch=2", "--set", "options.samples=2",
         "--set", "options.baselines=[]"]
FORECAST = ["--time-col", "month", "--target", "sales", "--horizon", "6", "--context", "12",
            "--epochs", "2", "--set", "model.units=8", "--set", "options.ensemble=1",
            "--set", "options.baselines=false"]


def train(folder, name: str, argv: list) -> "Path":  # noqa: F821
    """`attnflow train argv... --out folder/name`; the run's path."""
    out = folder / name
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(["train", *argv, "--out", str(out)])
    assert code == 0, stderr.getvalue()[-3000:]
    return out


def train_one(name: str, folder) -> "Path":  # noqa: F821
    """The tiny run `name` (dates, text_rnn, text_transformer, sequence, forecast, image),
    its data written into `folder` beside it."""
    if name == "dates":
        return train(folder, name, ["dates", *TINY_DATES, "--set", "options.beam_width=1"])
    if name.startswith("text_"):
        reviews = write_reviews(folder / "reviews.csv")
        network = TEXT_RNN if name == "text_rnn" else TEXT_TRANSFORMER
        return train(folder, name, ["text", "--data", str(reviews), *TEXT, *network])
    if name == "sequence":
        return train(folder, name, ["sequence", "--data", str(write_rows(folder / "series.csv", series_rows())),
                                    *SEQUENCE])
    if name == "forecast":
        monthly_frame().to_csv(folder / "sales.csv", index=False)
        return train(folder, name, ["forecast", "--data", str(folder / "sales.csv"), *FORECAST])
    if name == "image":
        pictures = write_folder(folder / "pictures", kinds=("top", "bottom"), per_class=12, sizes=(10, 16))
        return train(folder, name, ["image", "--data", str(pictures), *IMAGE])
    raise KeyError(name)
