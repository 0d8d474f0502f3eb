"""PositionalEmbedding: the sinusoidal table against NumPy, tokens and vectors, masks, saving."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.layers import PositionalEmbedding
from attnflow.layers.positional_embedding import sinusoidal_table

VOCAB, DIM, T = 11, 6, 4
IDS = np.array([[3, 7, 1, 0], [5, 0, 0, 0]])


def reference_table(length, depth, max_wavelength=10000.0):
    """float64 from the definition: PE[p, 2i] = sin(p / w^(2i/d)), PE[p, 2i+1] = cos(same)."""
    table = np.zeros((length, depth))
    for p in range(length):
        for k in range(depth):
            angle = p / max_wavelength ** (2 * (k // 2) / depth)
            table[p, k] = np.sin(angle) if k % 2 == 0 else np.cos(angle)
    return table


@pytest.mark.parametrize("length,depth,wavelength", [(7, 6, 10000.0), (5, 5, 10000.0), (3, 4, 100.0)])
def test_sinusoidal_table_matches_reference(length, depth, wavelength):
    got = sinusoidal_table(length, depth, wavelength).numpy()
    np.testing.assert_allclose(got, reference_table(length, depth, wavelength), atol=1e-6)


def test_token_ids_embedding_plus_sinusoid_and_mask():
    layer = PositionalEmbedding(DIM, vocabulary_size=VOCAB, mask_zero=True)
    out = layer(IDS)
    table = layer.token_embedding.get_weights()[0]
    np.testing.assert_allclose(out.numpy(), table[IDS] + reference_table(T, DIM)[None], atol=1e-6)
    np.testing.assert_array_equal(out._keras_mask.numpy(), IDS != 0)
    np.testing.assert_array_equal(layer.compute_mask(IDS).numpy(), IDS != 0)


def test_scale_embeddings_multiplies_tokens_only():
    layer = PositionalEmbedding(DIM, vocabulary_size=VOCAB, scale_embeddings=True)
    out = layer(IDS).numpy()
    table = layer.token_embedding.get_weights()[0]
    np.testing.assert_allclose(out, table[IDS] * np.sqrt(DIM) + reference_table(T, DIM), atol=1e-5)
    assert layer.compute_mask(IDS) is None  # mask_zero=False


def test_learned_positions_and_vector_inputs_keep_the_keras_mask(rng):
    layer = PositionalEmbedding(DIM, max_length=6, kind="learned")
    x = rng.normal(size=(2, T, DIM)).astype("float32")
    out = layer(x).numpy()
    positions = layer.get_weights()[0]
    assert positions.shape == (6, DIM)
    np.testing.assert_allclose(out, x + positions[None, :T], atol=1e-6)
    inputs = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(VOCAB, DIM, mask_zero=True)(inputs)
    model = keras.Model(inputs, PositionalEmbedding(DIM)(embedded))
    assert model.outputs[0]._keras_mask is not None  # passed on for the blocks after it


def test_longer_than_max_length_is_an_error():
    layer = PositionalEmbedding(DIM, vocabulary_size=VOCAB, max_length=3, kind="learned")
    with pytest.raises(ValueError, match="max_length=3.*Received: sequence_length=4"):
        layer(IDS)


def test_tf_function_with_varying_lengths():
    layer = PositionalEmbedding(DIM, vocabulary_size=VOCAB, mask_zero=True)
    fn = tf.function(layer, input_signature=[tf.TensorSpec([None, None], tf.int32)])
    for ids in (IDS, IDS[:, :2], np.array([[1, 2, 3, 4, 5, 6]])):
        np.testing.assert_allclose(fn(tf.constant(ids, tf.int32)).numpy(), layer(ids).numpy(), atol=1e-6)


def test_config_round_trip_and_keras_save(tmp_path):
    layer = PositionalEmbedding(DIM, vocabulary_size=VOCAB, max_length=8, kind="learned",
                                mask_zero=True, scale_embeddings=True, max_wavelength=500.0)
    config = layer.get_config()
    init_args = set(inspect.signature(PositionalEmbedding.__init__).parameters) - {"self", "kwargs"}
    assert init_args <= set(config)
    assert PositionalEmbedding.from_config(config).get_config() == config
    inputs = keras.Input((None,), dtype="int32")
    model = keras.Model(inputs, layer(inputs))
    expected = model.predict(IDS, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(IDS, verbose=0), expected, atol=1e-6)


def test_mixed_precision_matches_float32(mixed_policy):
    layer = PositionalEmbedding(DIM, vocabulary_size=VOCAB)
    reference = PositionalEmbedding(DIM, vocabulary_size=VOCAB, dtype="float32")
    reference(IDS)
    out = layer(IDS)
    reference.set_weights(layer.get_weights())
    assert out.dtype == keras.mixed_precision.global_policy().compute_dtype
    np.testing.assert_allclose(tf.cast(out, tf.float32).numpy(), reference(IDS).numpy(), atol=2e-2)


@pytest.mark.parametrize("kwargs,message", [
    ({"output_dim": 0}, "Received: output_dim=0"),
    ({"output_dim": 4, "kind": "rotary"}, "Received: kind='rotary'"),
    ({"output_dim": 4, "kind": "learned"}, "Received: max_length=None"),
    ({"output_dim": 4, "mask_zero": True}, "Received: vocabulary_size=None"),
    ({"output_dim": 4, "max_wavelength": 0.5}, "Received: max_wavelength=0.5"),
    ({"output_dim": 4, "vocabulary_size": -1}, "Received: vocabulary_size=-1"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PositionalEmbedding(**kwargs)


def test_wrong_input_rank_is_an_error(rng):
    with pytest.raises(ValueError, match="vectors \\[B, T, 4\\]"):
        PositionalEmbedding(4)(rng.normal(size=(2, 3, 5)).astype("float32"))
