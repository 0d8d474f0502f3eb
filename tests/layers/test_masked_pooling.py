"""MaskedPooling: the layer battery, masked mean and attention pooling against NumPy, padding."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.layers import MaskedPooling
from tests import reference as ref
from tests.layer_battery import LayerBattery

B, T, D = 3, 4, 5
MASK = np.array([[True, True, True, True], [True, True, False, False], [False, False, False, False]])


class TestBattery(LayerBattery):
    layer_class = MaskedPooling
    init_kwargs = {"mode": "attention", "attention_units": 6}
    config_kwargs = {"mode": "attention", "attention_units": 3}
    input_shapes = {"inputs": (2, T, D)}
    dropout_kwargs = None
    keras_mask_arguments = {"inputs": "mask"}
    weights_over = {1: "inputs"}
    output_mask_from = None  # one vector per sequence: nothing left to mask

    def call_layer(self, layer, inputs, **kwargs):
        return tuple(layer(inputs["inputs"], return_attention_scores=True, **kwargs))

    def masks(self):
        return {"mask": np.array([[True, True, False, True], [False] * T])}  # element 1 all padding

    def check_fully_masked(self, outputs):
        pooled, weights = (output.numpy() for output in outputs)  # [B, D], [B, T]
        assert np.all(pooled[1] == 0.0) and np.all(weights[1] == 0.0) and weights[0, 2] == 0.0
        np.testing.assert_allclose(weights[0].sum(), 1.0, rtol=1e-6)


class TestMeanBattery(TestBattery):
    init_kwargs = {"mode": "mean"}
    config_kwargs = {"mode": "mean", "attention_units": None}


@pytest.fixture
def inputs(rng):
    return rng.normal(size=(B, T, D)).astype("float32")


def test_mean_matches_numpy_and_empty_rows_are_zero(inputs):
    pooled, weights = MaskedPooling("mean")(inputs, mask=MASK, return_attention_scores=True)
    want = np.stack([inputs[b, MASK[b]].mean(0) if MASK[b].any() else np.zeros(D) for b in range(B)])
    np.testing.assert_allclose(pooled.numpy(), want, atol=1e-6)
    np.testing.assert_allclose(weights.numpy()[1], [0.5, 0.5, 0, 0])
    assert np.all(pooled.numpy()[2] == 0.0) and np.all(weights.numpy()[2] == 0.0)
    np.testing.assert_allclose(MaskedPooling()(inputs).numpy(), inputs.mean(1), atol=1e-6)


def test_attention_pooling_matches_additive_reference(inputs):
    layer = MaskedPooling("attention", attention_units=6)
    pooled, weights = layer(inputs, mask=MASK, return_attention_scores=True)
    query = layer.query.numpy()
    w1, b1 = layer.attention.key_dense.get_weights()
    w2, b2 = layer.attention.query_dense.get_weights()
    v = layer.attention.attention_vector.numpy()
    want, want_weights = ref.bahdanau_attention(np.broadcast_to(query, (B, D)), inputs, w1=w1, w2=w2, v=v,
                                                b1=b1, b2=b2, value_mask=MASK)
    np.testing.assert_allclose(pooled.numpy(), want, atol=1e-5)
    np.testing.assert_allclose(weights.numpy(), want_weights, atol=1e-6)
    np.testing.assert_allclose(weights.numpy()[:2].sum(-1), 1.0, rtol=1e-6)
    assert np.all(weights.numpy()[1, 2:] == 0.0) and np.all(pooled.numpy()[2] == 0.0)


@pytest.mark.parametrize("mode", ["mean", "attention"])
def test_padding_changes_nothing_and_keras_mask_is_read(inputs, rng, mode):
    layer = MaskedPooling(mode)
    pooled = layer(inputs, mask=MASK).numpy()
    garbage = rng.normal(size=(B, 2, D)).astype("float32") * 100
    padded = layer(np.concatenate([inputs, garbage], 1),
                   mask=np.concatenate([MASK, np.zeros((B, 2), bool)], 1)).numpy()
    np.testing.assert_allclose(padded, pooled, atol=1e-5)
    ids = np.array([[1, 2, 3, 4], [5, 6, 0, 0]])
    token_ids = keras.Input((None,), dtype="int32")
    embed = keras.layers.Embedding(9, D, mask_zero=True)
    model = keras.Model(token_ids, layer(embed(token_ids)))
    np.testing.assert_allclose(model.predict(ids, verbose=0),
                               layer(embed(ids).numpy(), mask=ids != 0).numpy(), atol=1e-6)


def test_tf_function_with_dynamic_shapes(inputs):
    layer = MaskedPooling("attention", attention_units=3)
    expected = layer(inputs, mask=MASK).numpy()
    fn = tf.function(lambda x, m: layer(x, mask=m),
                     input_signature=[tf.TensorSpec([None, None, D]), tf.TensorSpec([None, None], tf.bool)])
    np.testing.assert_allclose(fn(inputs, MASK).numpy(), expected, atol=1e-6)
    assert fn(inputs[:1, :2], MASK[:1, :2]).shape == (1, D)


@pytest.mark.parametrize("kwargs,message", [
    ({"mode": "max"}, "Received: mode='max'"),
    ({"attention_units": 0}, "Received: attention_units=0"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MaskedPooling(**kwargs)


@pytest.mark.parametrize("mode", ["mean", "attention"])
def test_broadcastable_mask_equals_the_full_mask(inputs, mode):
    layer = MaskedPooling(mode)
    row = np.array([[True, True, False, True]])  # [1, T]
    want, want_weights = layer(inputs, mask=np.repeat(row, B, axis=0), return_attention_scores=True)
    got, weights = layer(inputs, mask=row, return_attention_scores=True)
    np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-6)
    np.testing.assert_allclose(weights.numpy(), want_weights.numpy(), atol=1e-6)
    np.testing.assert_array_equal(weights.numpy()[:, 2], 0.0)


@pytest.mark.parametrize("mode", ["mean", "attention"])
@pytest.mark.parametrize("shape, message", [
    ((B, T + 1), f"expected mask broadcastable to [B={B}, T={T}]. Received: mask.shape=({B}, {T + 1})"),
    ((B + 1, T), f"expected mask broadcastable to [B={B}, T={T}]. Received: mask.shape=({B + 1}, {T})"),
    ((B, T, 1), f"expected mask of shape [B, T]. Received: mask.shape=({B}, {T}, 1)"),
])
def test_mask_that_does_not_fit_the_inputs(inputs, mode, shape, message):
    with pytest.raises(ValueError) as error:
        MaskedPooling(mode)(inputs, mask=np.ones(shape, bool))
    assert message in str(error.value)
