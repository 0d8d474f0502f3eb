"""HashedBigramEmbedding: buckets against NumPy, padding and the last step, spread, saving."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.layers.hashed_bigram_embedding import HashedBigramEmbedding, bigram_buckets

IDS = np.array([[5, 7, 9, 0, 0], [5, 7, 5, 7, 2]])


def numpy_buckets(ids, num_buckets):
    prime = 2**31 - 1
    ids = ids.astype(np.int64)
    following = np.concatenate([ids[:, 1:], np.zeros_like(ids[:, :1])], axis=1)
    return ((ids * 1_000_003 + following) % prime * 48271 % prime) % num_buckets


def test_buckets_match_numpy_and_spread_like_a_random_function():
    np.testing.assert_array_equal(bigram_buckets(IDS, 1000).numpy(), numpy_buckets(IDS, 1000))
    rng = np.random.default_rng(0)
    ids = rng.integers(2, 20000, size=(1, 50001))
    buckets = bigram_buckets(ids, 4096).numpy()[0, :-1]
    pairs = len(set(zip(ids[0, :-1], ids[0, 1:])))
    expected = 4096 * (1 - np.exp(-pairs / 4096))  # occupied buckets of a uniform hash
    assert abs(len(np.unique(buckets)) - expected) < 0.01 * expected
    assert buckets.min() >= 0 and buckets.max() < 4096


def test_pairs_share_rows_and_padding_gives_zeros():
    layer = HashedBigramEmbedding(num_buckets=64, output_dim=4)
    out = layer(IDS).numpy()  # [B, T, D]
    assert out.shape == (2, 5, 4)
    assert np.all(out[0, 2:] == 0.0)  # (9, pad), padding, padding
    assert np.all(out[1, 4] == 0.0)  # the last token has no next one
    np.testing.assert_array_equal(out[0, 0], out[1, 0])  # (5, 7) in both rows
    np.testing.assert_array_equal(out[1, 0], out[1, 2])  # (5, 7) twice in a row
    table = layer.embeddings.numpy()
    np.testing.assert_array_equal(out[1, 1], table[numpy_buckets(IDS, 64)[1, 1]])  # (7, 5)


def test_save_and_load_and_mixed_precision(tmp_path, mixed_policy):
    inputs = keras.Input((None,), dtype="int32")
    model = keras.Model(inputs, HashedBigramEmbedding(32, 6, name="pairs")(inputs))
    expected = model(IDS).numpy()
    assert model.get_layer("pairs").compute_dtype == keras.mixed_precision.global_policy().compute_dtype
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded(IDS).numpy(), expected)
    assert loaded.get_layer("pairs").get_config()["num_buckets"] == 32
    fn = tf.function(loaded, input_signature=[tf.TensorSpec([None, None], tf.int32)])
    np.testing.assert_array_equal(fn(tf.constant(IDS, tf.int32)).numpy(), expected)


@pytest.mark.parametrize("kwargs,message", [
    ({"num_buckets": 0, "output_dim": 4}, "Received: num_buckets=0"),
    ({"num_buckets": 8, "output_dim": -1}, "Received: output_dim=-1"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HashedBigramEmbedding(**kwargs)
