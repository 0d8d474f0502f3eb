"""Classification baselines: TF-IDF + logistic regression (words, characters), aeon's
1-NN Euclidean and MiniRocket, and the no-attention twin."""

from __future__ import annotations

import numpy as np
import pytest

from attnflow.models import RNNWithAttention
from attnflow.tasks.classification.baselines import (
    attention_free_twin, series_baselines, tfidf_logistic_regression)

WORDS = {0: ["delicious", "great", "love"], 1: ["stale", "awful", "broken"], 2: ["okay", "average", "fine"]}


def tiny_corpus(count, seed):
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 3
    fillers = ["the", "coffee", "tea", "box", "was", "it", "and"]
    texts = [" ".join([*rng.choice(fillers, 4), rng.choice(WORDS[label]), *rng.choice(fillers, 3)])
             for label in labels]
    return texts, labels


@pytest.mark.parametrize("cs", [(10.0,), (0.01, 10.0)])
def test_tfidf_logistic_regression_learns_keywords(cs):
    texts, labels = tiny_corpus(60, seed=0)
    test_texts, test_labels = tiny_corpus(30, seed=1)
    baseline = tfidf_logistic_regression(texts, labels, cs=cs, cv=3)
    assert (baseline.predict(test_texts) == test_labels).mean() >= 0.9
    assert baseline.predict_proba(test_texts).shape == (30, 3)
    assert baseline.named_steps["logreg"].C == 10.0  # the cross-validated choice
    again = tfidf_logistic_regression(texts, labels, cs=cs, cv=3)
    np.testing.assert_allclose(again.predict_proba(test_texts), baseline.predict_proba(test_texts))


def test_tfidf_bad_inputs():
    with pytest.raises(ValueError, match="Received: texts=2, labels=1"):
        tfidf_logistic_regression(["a", "b"], [0])
    with pytest.raises(ValueError, match="at least 2 classes"):
        tfidf_logistic_regression(["a", "b"], [0, 0])
    with pytest.raises(ValueError, match="Received: cs=\\(0.0,\\)"):
        tfidf_logistic_regression(["a", "b"], [0, 1], cs=(0.0,))


def test_attention_free_twin_keeps_the_configuration():
    model = RNNWithAttention(4, vocabulary_size=30, units=8, rnn_type="lstm", attention="luong", dropout=0.2)
    twin = attention_free_twin(model)
    assert twin.attention == "none" and twin.rnn_type == "lstm" and twin.units == 8 and twin.dropout == 0.2
    probabilities, weights = twin(np.array([[1, 2, 0]]), return_attention_scores=True)
    assert probabilities.shape == (1, 4) and weights is None
    with pytest.raises(ValueError, match="Received: model='str'"):
        attention_free_twin("not a model")


def test_tfidf_on_character_ngrams_reads_misspelt_keywords():
    texts, labels = tiny_corpus(60, seed=0)
    test_texts, test_labels = tiny_corpus(30, seed=1)
    misspelt = [text.replace("delicious", "delicous").replace("awful", "awfull") for text in test_texts]
    baseline = tfidf_logistic_regression(texts, labels, analyzer="char_wb", ngram_range=(2, 5),
                                         cs=(10.0,))
    assert baseline.named_steps["tfidf"].analyzer == "char_wb"
    assert (baseline.predict(misspelt) == test_labels).mean() >= 0.9


def test_series_baselines_separate_rising_from_falling_series_of_any_length():
    rng = np.random.default_rng(0)

    def series(count, steps):  # [N, F=2, T]: class 1 rises in channel 0, class 0 falls
        labels = np.arange(count) % 2
        x = rng.normal(scale=0.3, size=(count, 2, steps))
        x[:, 0] += np.where(labels[:, None] == 1, 1, -1) * np.linspace(-1, 1, steps)
        return x, labels

    for steps in (5, 30):  # 5 < MiniRocket's 9-step kernels: padded
        train_x, train_labels = series(20, steps)
        test_x, test_labels = series(10, steps)
        predicted = series_baselines(train_x, train_labels, test_x, ["1nn_euclidean", "minirocket"])
        assert list(predicted) == ["1nn_euclidean", "minirocket"]
        for name, classes in predicted.items():
            assert classes.dtype == np.int64 and (classes == test_labels).mean() >= 0.9, name
    with pytest.raises(ValueError, match="of the same"):
        series_baselines(train_x, train_labels, test_x[:, :, :10], ["1nn_euclidean"])
