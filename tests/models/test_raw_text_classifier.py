"""RawTextClassifier: raw strings in, the vocabulary inside, words aligned with tokens."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.data.text import text_vectorizer
from attnflow.models import RNNWithAttention
from attnflow.models.raw_text_classifier import RawTextClassifier

TRICKY = ["Hello,  world - it's\u00a0fine!\tok", "¡Qué RICO! ... (5/5)", "--- !!! ---", "a\nb  c"]


def make_model(max_length=8):
    vectorizer = text_vectorizer(["great coffee, loved it", "bad taste would not buy"] + TRICKY,
                                 vocabulary_size=40, max_length=max_length)
    classifier = RNNWithAttention(2, vectorizer.vocabulary_size(), embedding_dim=4, units=4, seed=0)
    return RawTextClassifier(classifier, vectorizer.get_vocabulary(), max_length)


def test_words_marked_as_tokens_are_the_tokens_the_vectorizer_makes():
    model = make_model(max_length=32)
    ids = model.vectorizer(tf.constant(TRICKY)).numpy()
    for text, row in zip(TRICKY, ids):
        words = RawTextClassifier.words_and_tokens(text)
        assert sum(is_token for _, is_token in words) == np.count_nonzero(row), text
    assert [w for w, t in RawTextClassifier.words_and_tokens(TRICKY[0]) if not t] == ["-"]


def test_batches_are_cut_to_their_longest_text_and_padding_changes_nothing():
    model = make_model()
    ids = model.token_ids(tf.constant(["great coffee", "bad taste would not buy at all ever"]))
    assert ids.shape == (2, 8)  # cut at max_length
    short = model.token_ids(tf.constant(["great coffee", "bad"]))
    assert short.shape == (2, 2)
    alone = model(tf.constant(["great coffee"])).numpy()
    batched = model(tf.constant(["great coffee", "bad taste would not buy"])).numpy()
    np.testing.assert_allclose(batched[0], alone[0], atol=1e-6)
    assert model.token_ids(tf.constant(["!!!"])).shape == (1, 1)  # no token: one padding step


def test_keras_round_trip_keeps_the_vocabulary(tmp_path):
    model = make_model()
    texts = tf.constant(["great coffee, loved it", "would not buy"])
    expected = model(texts).numpy()
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", compile=False)
    assert loaded.vocabulary == model.vocabulary
    np.testing.assert_allclose(loaded(texts).numpy(), expected, atol=1e-6)
    rebuilt = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    np.testing.assert_array_equal(rebuilt.token_ids(texts).numpy(), model.token_ids(texts).numpy())


def test_bad_arguments():
    classifier = RNNWithAttention(2, 10)
    with pytest.raises(ValueError, match='a vocabulary starting with "" and "\\[UNK\\]"'):
        RawTextClassifier(classifier, ["a", "b"])
    with pytest.raises(ValueError, match="a Keras model as classifier"):
        RawTextClassifier("rnn", ["", "[UNK]"])


def test_a_word_pair_vocabulary_splits_like_the_adapted_vectorizer():
    texts = ["not good at all", "very good coffee", "not bad, good"]
    vectorizer = text_vectorizer(texts, vocabulary_size=40, max_length=12, ngrams=2)
    model = RawTextClassifier(RNNWithAttention(2, vectorizer.vocabulary_size()),
                              vectorizer.get_vocabulary(), max_length=12, ngrams=2)
    np.testing.assert_array_equal(model.vectorizer(tf.constant(texts)).numpy(),
                                  vectorizer(tf.constant(texts)).numpy())
    rebuilt = RawTextClassifier.from_config(model.get_config())
    assert rebuilt.ngrams == 2
