"""Tiny data and settings shared by the estimator tests."""

from __future__ import annotations

import random
import tempfile

import numpy as np
import pytest

from tests.cli.conftest import dates_run  # noqa: F401  (a fixture: the tiny dates run)
from tests.cli.test_text_cli import BAD, FILLER, GOOD

TINY_TEXT = dict(architecture="rnn", epochs=2, batch_size=8, vocabulary_size=50, max_length=16,
                 model={"units": 8, "embedding_dim": 8}, verbose=0,
                 options={"samples": 1, "cross_validation_below": 0, "min_steps_per_epoch": 0})


def reviews(count: int = 40, seed: int = 0) -> tuple[list[str], list[str]]:
    """Texts whose two sentiment words give their label away."""
    rng = random.Random(seed)
    texts, labels = [], []
    for number in range(count):
        label = number % 2
        words = rng.sample(FILLER, 3) + rng.sample(GOOD if label == 0 else BAD, 2)
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(["good", "bad"][label])
    return texts, labels


def series(count: int = 24, channels: int = 2, length: int = 12, seed: int = 0):
    """X [n, channels, time] and y: class 1's first channel rises, class 0's falls."""
    rng = np.random.default_rng(seed)
    y = np.arange(count) % 2
    ramp = np.linspace(-1, 1, length)
    X = rng.normal(0, 0.1, (count, channels, length))
    X[:, 0, :] += np.where(y[:, None] == 1, ramp, -ramp)
    return X, y


@pytest.fixture
def scratch_root(tmp_path, monkeypatch):
    """Estimators' scratch folders go under tmp_path/scratch (to see what is left)."""
    root = tmp_path / "scratch"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root
