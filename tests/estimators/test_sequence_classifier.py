"""SequenceClassifier: the sequence task from 3-D arrays, lists of arrays or a long DataFrame."""

from __future__ import annotations

import numpy as np
import pytest

import attnflow
from tests.estimators.conftest import series
from attnflow.estimators.sequence_classifier import long_frame

TINY = dict(epochs=3, batch_size=8, learning_rate=0.01, model={"conv_filters": [8], "conv_kernel_sizes": [3]},
            baselines=[],
            options={"samples": 1, "cross_validation_below": 0}, verbose=0)


@pytest.fixture(scope="module")
def fitted():
    X, y = series()
    return attnflow.SequenceClassifier(**TINY).fit(X, y)


def test_fit_on_aeons_layout_predicts_in_input_order(fitted):
    X, y = series(8, seed=3)
    assert list(fitted.classes_) == [0, 1]
    probabilities = fitted.predict_proba(X)
    assert probabilities.shape == (8, 2)
    np.testing.assert_array_equal(fitted.predict(X), fitted.classes_[probabilities.argmax(axis=1)])
    # one series alone gets the probabilities it got among the others
    np.testing.assert_allclose(fitted.predict_proba(X[3:4]), probabilities[3:4], atol=1e-5)
    weights = fitted.attention(X[:2])
    assert [w.shape for w in weights] == [(12,), (12,)]
    assert type(fitted.plot_attention(X, index=1)).__name__ == "Figure"


def test_lists_of_different_lengths_and_long_frames_train_too():
    X, y = series(16)
    ragged = [one[:, :9 + number % 4] for number, one in enumerate(X)]
    model = attnflow.SequenceClassifier(**{**TINY, "epochs": 1}).fit(ragged, y)
    assert model.predict(ragged).shape == (16,)
    frame = long_frame(list(X), [str(label) for label in y])
    from_frame = attnflow.SequenceClassifier(**{**TINY, "epochs": 1}).fit(frame)
    assert list(from_frame.classes_) == ["0", "1"]
    assert from_frame.predict(frame.drop(columns="label")).shape == (16,)


@pytest.mark.parametrize("X, y, message", [
    (np.zeros((4, 5)), [0, 1, 0, 1], "a 3-D array \\[n, channels, time\\].* Received: X='shape \\(4, 5\\)'"),
    (np.zeros((4, 2, 5)), [0, 1], "labels of the same length as the series \\(4\\)"),
    ([np.zeros((2, 5)), np.zeros((3, 5))], [0, 1], "the same number of channels"),
    (np.zeros((4, 2, 5)), None, "labels for the series"),
])
def test_bad_input_is_one_value_error_and_leaves_no_run(X, y, message, scratch_root):
    with pytest.raises(ValueError, match=message):
        attnflow.SequenceClassifier(**TINY).fit(X, y)
    assert list(scratch_root.iterdir()) == []
