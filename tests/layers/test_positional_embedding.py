"""PositionalEmbedding: the layer battery, the sinusoidal table against NumPy, tokens and vectors, masks."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.layers import MaskedPooling, PositionalEmbedding
from attnflow.layers.positional_embedding import sinusoidal_table
from tests.layer_battery import LayerBattery

VOCAB, DIM, T = 11, 6, 4
IDS = np.array([[3, 7, 1, 0], [5, 0, 0, 0]])


class TestTokenBattery(LayerBattery):
    """Token ids [B, T] in: the layer makes the Keras mask (mask_zero=True)."""

    layer_class = PositionalEmbedding
    init_kwargs = {"output_dim": DIM, "vocabulary_size": VOCAB, "mask_zero": True}
    config_kwargs = {"output_dim": DIM, "vocabulary_size": VOCAB, "max_length": 8, "kind": "learned",
                     "mask_zero": True, "scale_embeddings": True, "max_wavelength": 500.0}
    input_shapes = {"inputs": (2, T)}
    token_inputs = {"inputs": VOCAB}
    dropout_kwargs = None
    keras_mask_arguments = {}  # it reads no mask; the Keras-mask check below is its own

    def call_layer(self, layer, inputs, **kwargs):
        return (layer(inputs["inputs"], **kwargs),)

    def masks(self):
        return {}

    def test_keras_masks_from_embedding(self, rng):
        """Its output carries ids != 0 as the Keras mask, eagerly and to the next layer of a model."""
        layer, pooling = self.make_layer(), MaskedPooling("mean")
        np.testing.assert_array_equal(layer(IDS)._keras_mask.numpy(), IDS != 0)
        ids = keras.Input((None,), dtype="int32")
        model = keras.Model(ids, pooling(layer(ids)))  # pooling reads the Keras mask
        want = pooling(layer(IDS).numpy(), mask=IDS != 0).numpy()
        np.testing.assert_allclose(model.predict(IDS, verbose=0), want, atol=1e-6)


class TestVectorBattery(LayerBattery):
    """Vectors [B, T, D] in, learned positions: the Keras mask of the inputs passes through."""

    layer_class = PositionalEmbedding
    init_kwargs = {"output_dim": DIM, "max_length": 6, "kind": "learned"}
    config_kwargs = {"output_dim": DIM, "max_length": 6, "kind": "learned", "max_wavelength": 100.0}
    input_shapes = {"inputs": (2, T, DIM)}
    dropout_kwargs = None
    keras_mask_arguments = {}

    call_layer = TestTokenBattery.call_layer
    masks = TestTokenBattery.masks

    def test_keras_masks_from_embedding(self, rng):
        """The Keras mask of its inputs passes through it, unchanged."""
        layer = self.make_layer()
        embedded = keras.layers.Embedding(VOCAB, DIM, mask_zero=True)(tf.constant(IDS))
        np.testing.assert_array_equal(layer(embedded)._keras_mask.numpy(), IDS != 0)


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
