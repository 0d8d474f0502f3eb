"""The text task's words and their weights, folded back from the model's tokens."""

from __future__ import annotations

import numpy as np

from attnflow.tasks.classification.text import word_token_weights, word_weights


def test_word_weights_skip_punctuation_and_words_past_the_last_token():
    words, weights = word_weights("Good - very good!", [0.5, 0.3])
    assert words == ["Good", "-", "very", "good!"]
    assert weights == [0.5, None, 0.3, None]  # "good!" came after the model's last token


def test_word_token_weights_fold_the_pairs_onto_their_words():
    # "Good - very good!": 3 word tokens, then 2 pairs; the ids were cut after the first pair
    folded = word_token_weights("Good - very good!", [0.2, 0.3, 0.1, 0.4], ngrams=2)
    np.testing.assert_allclose(folded, [0.4, 0.5, 0.1])
    assert word_token_weights("Good - very good!", [0.5, 0.5], ngrams=2).tolist() == [0.5, 0.5]
