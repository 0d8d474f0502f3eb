"""TransformerDecoderBlock: the layer battery, float64 reference, causality, padding, both weights."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from attnflow.layers import TransformerDecoderBlock
from tests import reference as ref
from tests.layers.test_transformer_encoder_block import TestBattery as EncoderBattery
from tests.layers.test_transformer_encoder_block import layer_norm

B, TQ, TK, D, DC, H, FF = 2, 3, 4, 6, 5, 2, 7
TARGET_MASK = np.array([[True, True, True], [True, True, False]])
SOURCE_MASK = np.array([[True, True, True, True], [True, True, False, False]])


def block_reference(block, target, source, target_mask, source_mask):
    """The decoder block from its definition, in float64, given the block's weights."""
    x = ref.f64(target)
    w1, b1 = block.intermediate_dense.get_weights()
    w2, b2 = block.output_dense.get_weights()
    norms = [lambda h, n=n: layer_norm(h, *n.get_weights()) for n in
             (block.self_attention_norm, block.cross_attention_norm, block.feedforward_norm)]
    sublayers = [
        lambda h: ref.multi_head_attention(h, h, weights=block.self_attention.get_weights(),
                                           query_mask=target_mask, value_mask=target_mask,
                                           use_causal_mask=True),
        lambda h: ref.multi_head_attention(h, ref.f64(source), weights=block.cross_attention.get_weights(),
                                           query_mask=target_mask, value_mask=source_mask),
        lambda h: (np.maximum(h @ w1 + b1, 0.0) @ w2 + b2, None),
    ]
    weights = []
    for norm, sublayer in zip(norms, sublayers):
        if block.norm_first:
            out, w = sublayer(norm(x))
            x = x + out
        else:
            out, w = sublayer(x)
            x = norm(x + out)
        weights.append(w)
    return x, weights[0], weights[1]


class TestBattery(EncoderBattery):
    """The encoder block's battery settings (same constructor), on two inputs and two weights."""

    layer_class = TransformerDecoderBlock
    input_shapes = {"inputs": (B, TQ, D), "context": (B, TK, DC)}
    keras_mask_arguments = {"inputs": "inputs_mask", "context": "context_mask"}
    weights_over = {1: "inputs", 2: "context"}  # self- and cross-attention weights

    def call_layer(self, layer, inputs, **kwargs):
        return tuple(layer(inputs["inputs"], inputs["context"], return_attention_scores=True, **kwargs))

    def masks(self):
        # Decoder position 2 of element 0 is padding; element 1's context is all padding.
        return {"inputs_mask": np.array([[True, True, False], [True, True, True]]),
                "context_mask": np.array([[True, True, True, False], [False] * TK])}

    def check_fully_masked(self, outputs):
        self_weights, cross_weights = outputs[1].numpy(), outputs[2].numpy()  # [B, H, Tq, Tq], [B, H, Tq, Tk]
        assert np.all(cross_weights[1] == 0.0)
        assert np.all(self_weights[0, :, 2] == 0.0) and np.all(cross_weights[0, :, 2] == 0.0)
        np.testing.assert_allclose(self_weights[:, :, :2].sum(-1), 1.0, rtol=1e-6)
        np.testing.assert_allclose(cross_weights[0, :, :2].sum(-1), 1.0, rtol=1e-6)


def make_block(**kwargs):
    return TransformerDecoderBlock(**{"num_heads": H, "intermediate_dim": FF, **kwargs})


@pytest.fixture
def inputs(rng):
    return (rng.normal(size=(B, TQ, D)).astype("float32"), rng.normal(size=(B, TK, DC)).astype("float32"))


@pytest.mark.parametrize("norm_first", [False, True])
def test_matches_float64_reference(inputs, norm_first):
    target, source = inputs
    block = make_block(norm_first=norm_first)
    out, self_weights, cross_weights = block(
        target, source, inputs_mask=TARGET_MASK, context_mask=SOURCE_MASK, return_attention_scores=True)
    want, want_self, want_cross = block_reference(block, target, source, TARGET_MASK, SOURCE_MASK)
    assert out.shape == (B, TQ, D)
    assert self_weights.shape == (B, H, TQ, TQ) and cross_weights.shape == (B, H, TQ, TK)
    np.testing.assert_allclose(out.numpy(), want, atol=1e-5)
    np.testing.assert_allclose(self_weights.numpy(), want_self, atol=1e-6)
    np.testing.assert_allclose(cross_weights.numpy(), want_cross, atol=1e-6)
    assert np.all(np.triu(self_weights.numpy()[0, 0], k=1) == 0.0)  # causal
    assert np.all(cross_weights.numpy()[1, :, :, 2:] == 0.0)  # padded source


def test_future_positions_do_not_change_earlier_outputs(inputs, rng):
    target, source = inputs
    block = make_block()
    out = block(target, source).numpy()
    changed = target.copy()
    changed[:, -1] = rng.normal(size=(B, D)) * 10
    new = block(changed, source).numpy()
    np.testing.assert_allclose(new[:, :-1], out[:, :-1], atol=1e-5)
    assert np.abs(new[:, -1] - out[:, -1]).max() > 1e-3
    unmasked = block(changed, source, use_causal_mask=False).numpy()
    assert np.abs(unmasked[:, 0] - new[:, 0]).max() > 1e-4


def test_source_padding_changes_nothing(inputs, rng):
    target, source = inputs
    block = make_block()
    out = block(target, source, context_mask=SOURCE_MASK).numpy()
    garbage = rng.normal(size=(B, 2, DC)).astype("float32") * 100
    padded = np.concatenate([source, garbage], axis=1)
    padded_mask = np.concatenate([SOURCE_MASK, np.zeros((B, 2), bool)], axis=1)
    np.testing.assert_allclose(block(target, padded, context_mask=padded_mask).numpy(), out, atol=1e-5)
    alone = block(target[1:], source[1:, :2]).numpy()  # element 1 unpadded
    np.testing.assert_allclose(out[1], alone[0], atol=1e-5)


def test_tf_function(inputs):
    target, source = inputs
    block = make_block(norm_first=True)
    expected = block(target, source, context_mask=SOURCE_MASK, return_attention_scores=True)
    fn = tf.function(lambda t, s, m: block(t, s, context_mask=m, return_attention_scores=True),
                     input_signature=[tf.TensorSpec([None, None, D]), tf.TensorSpec([None, None, DC]),
                                      tf.TensorSpec([None, None], tf.bool)])
    for got, want in zip(fn(target, source, SOURCE_MASK), expected):
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-5)


@pytest.mark.parametrize("kwargs,message", [
    ({"num_heads": -1}, "Received: num_heads=-1"),
    ({"intermediate_dim": 0}, "Received: intermediate_dim=0"),
    ({"dropout": 2.0}, "Received: dropout=2.0"),
    ({"seed": -3}, "Received: seed=-3"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_block(**kwargs)
