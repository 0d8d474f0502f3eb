"""TransformerEncoderBlock: the layer battery, float64 reference (pre- and post-norm), masks."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.layers import TransformerEncoderBlock
from tests import reference as ref
from tests.layer_battery import LayerBattery

B, T, D, H, FF = 2, 4, 6, 2, 5
LENGTHS = np.array([4, 2])
MASK = np.arange(T)[None, :] < LENGTHS[:, None]  # [B, T]


def layer_norm(x, gamma, beta, epsilon=1e-5):
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


def block_reference(block, x, mask=None, attention_mask=None):
    """The encoder block from its definition, in float64, given the block's weights."""
    x = ref.f64(x)
    attention_weights = block.self_attention.get_weights()
    w1, b1 = block.intermediate_dense.get_weights()
    w2, b2 = block.output_dense.get_weights()

    def attend(h):
        return ref.multi_head_attention(h, h, weights=attention_weights, query_mask=mask,
                                        value_mask=mask, attention_mask=attention_mask)

    def feedforward(h):
        return np.maximum(h @ w1 + b1, 0.0) @ w2 + b2

    norm1 = lambda h: layer_norm(h, *block.attention_norm.get_weights())  # noqa: E731
    norm2 = lambda h: layer_norm(h, *block.feedforward_norm.get_weights())  # noqa: E731
    if block.norm_first:
        attended, weights = attend(norm1(x))
        x = x + attended
        return x + feedforward(norm2(x)), weights
    attended, weights = attend(x)
    x = norm1(x + attended)
    return norm2(x + feedforward(x)), weights


class TestBattery(LayerBattery):
    layer_class = TransformerEncoderBlock
    init_kwargs = {"num_heads": H, "intermediate_dim": FF}
    config_kwargs = {"num_heads": H, "intermediate_dim": FF, "key_dim": 4, "dropout": 0.1,
                     "attention_dropout": 0.2, "activation": "gelu", "norm_first": True,
                     "layer_norm_epsilon": 1e-6, "seed": 7, "implementation": "full"}
    input_shapes = {"inputs": (B, T, D)}
    dropout_kwargs = {"dropout": 0.5, "attention_dropout": 0.5, "seed": 11}
    keras_mask_arguments = {"inputs": "mask"}
    weights_over = {1: "inputs"}
    output_mask_from = "inputs"
    gradient_delta = 1e-5

    def call_layer(self, layer, inputs, **kwargs):
        return tuple(layer(inputs["inputs"], return_attention_scores=True, **kwargs))

    def masks(self):
        return {"mask": np.array([[True, True, True, False], [False] * T])}  # element 1 all padding

    def check_fully_masked(self, outputs):
        weights = outputs[1].numpy()  # [B, H, T, T]
        assert np.all(weights[1] == 0.0) and np.all(weights[0, ..., 3] == 0.0)
        np.testing.assert_allclose(weights[0, :, :3].sum(-1), 1.0, rtol=1e-6)


def make_block(**kwargs):
    return TransformerEncoderBlock(**{"num_heads": H, "intermediate_dim": FF, **kwargs})


@pytest.fixture
def inputs(rng):
    return rng.normal(size=(B, T, D)).astype("float32")


@pytest.mark.parametrize("norm_first", [False, True])
def test_matches_float64_reference(inputs, norm_first):
    block = make_block(norm_first=norm_first)
    block(inputs)
    rng = np.random.default_rng(3)  # non-trivial LayerNorm weights
    block.attention_norm.set_weights([rng.normal(size=D), rng.normal(size=D)])
    attention_mask = np.ones((B, T, T), bool)
    attention_mask[0, 0, 2] = False
    out, weights = block(inputs, mask=MASK, attention_mask=attention_mask, return_attention_scores=True)
    want, want_weights = block_reference(block, inputs, MASK, attention_mask)
    assert out.shape == (B, T, D) and weights.shape == (B, H, T, T)
    np.testing.assert_allclose(out.numpy(), want, atol=1e-5)
    np.testing.assert_allclose(weights.numpy(), want_weights, atol=1e-6)
    assert np.all(weights.numpy()[1, :, :, 2:] == 0.0)  # padded keys
    assert np.all(weights.numpy()[0, :, 0, 2] == 0.0)  # attention_mask


@pytest.mark.parametrize("norm_first", [False, True])
def test_padding_changes_nothing_in_real_positions(inputs, rng, norm_first):
    block = make_block(norm_first=norm_first)
    out = block(inputs, mask=MASK).numpy()
    garbage = rng.normal(size=(B, 3, D)).astype("float32") * 100
    padded = np.concatenate([inputs, garbage], axis=1)
    padded_mask = np.concatenate([MASK, np.zeros((B, 3), bool)], axis=1)
    padded_out = block(padded, mask=padded_mask).numpy()
    alone = block(inputs[1:, :2]).numpy()  # element 1 unpadded, no mask at all
    for b, length in enumerate(LENGTHS):
        np.testing.assert_allclose(padded_out[b, :length], out[b, :length], atol=1e-5)
    np.testing.assert_allclose(out[1, :2], alone[0], atol=1e-5)


def test_keras_mask_is_read_off_the_inputs_next_to_an_attention_mask():
    # Keras fills `mask` only when inputs is the one tensor argument; with an
    # attention_mask the block reads the Keras mask off the tensor itself.
    ids = np.array([[3, 1, 4, 2], [5, 8, 0, 0]])
    embedded = keras.layers.Embedding(9, D, mask_zero=True)(tf.constant(ids))
    block = make_block()
    want = block(embedded.numpy(), mask=ids != 0, return_attention_scores=True)[1].numpy()
    got = block(embedded, attention_mask=np.ones((B, T, T), bool), return_attention_scores=True)[1].numpy()
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_tf_function_with_dynamic_shapes(inputs):
    block = make_block()
    expected = block(inputs, mask=MASK, return_attention_scores=True)
    fn = tf.function(lambda x, m: block(x, mask=m, return_attention_scores=True),
                     input_signature=[tf.TensorSpec([None, None, D]), tf.TensorSpec([None, None], tf.bool)])
    for got, want in zip(fn(inputs, MASK), expected):
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-5)
    assert fn(inputs[:1, :3], MASK[:1, :3])[0].shape == (1, 3, D)


@pytest.mark.parametrize("kwargs,message", [
    ({"num_heads": 0}, "Received: num_heads=0"),
    ({"intermediate_dim": -2}, "Received: intermediate_dim=-2"),
    ({"dropout": 1.0}, "Received: dropout=1.0"),
    ({"attention_dropout": -0.1}, "Received: attention_dropout=-0.1"),
    ({"layer_norm_epsilon": 0}, "Received: layer_norm_epsilon=0"),
    ({"implementation": "flash"}, "Received: implementation='flash'"),
    ({"key_dim": 0}, "Received: key_dim=0"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_block(**kwargs)


def test_model_dim_not_divisible_by_heads_needs_key_dim(rng):
    with pytest.raises(ValueError, match="divisible by num_heads=4.*Received: model_dim=6"):
        make_block(num_heads=4)(rng.normal(size=(B, T, D)).astype("float32"))
    assert make_block(num_heads=4, key_dim=3)(rng.normal(size=(B, T, D)).astype("float32")).shape == (B, T, D)
