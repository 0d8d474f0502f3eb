"""TransformerDecoderBlock without context (decoder-only, GPT-style)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.layers import TransformerDecoderBlock
from tests import reference as ref
from tests.layers.test_transformer_encoder_block import layer_norm

B, T, D, H, FF = 2, 5, 6, 2, 7
MASK = np.array([[True] * 5, [True, True, True, False, False]])


def reference(block, x, mask):
    """Self-attention and feed-forward sub-layers only, in float64."""
    x = ref.f64(x)
    w1, b1 = block.intermediate_dense.get_weights()
    w2, b2 = block.output_dense.get_weights()
    sublayers = [
        (block.self_attention_norm, lambda h: ref.multi_head_attention(
            h, h, weights=block.self_attention.get_weights(), query_mask=mask, value_mask=mask,
            use_causal_mask=True)[0]),
        (block.feedforward_norm, lambda h: np.maximum(h @ w1 + b1, 0.0) @ w2 + b2),
    ]
    for norm, sublayer in sublayers:
        if block.norm_first:
            x = x + sublayer(layer_norm(x, *norm.get_weights()))
        else:
            x = layer_norm(x + sublayer(x), *norm.get_weights())
    return x


@pytest.fixture
def target(rng):
    return rng.normal(size=(B, T, D)).astype("float32")


@pytest.mark.parametrize("norm_first", [False, True])
def test_matches_float64_reference_without_cross_attention_weights(target, norm_first):
    block = TransformerDecoderBlock(num_heads=H, intermediate_dim=FF, norm_first=norm_first)
    out, self_weights, cross_weights = block(target, inputs_mask=MASK, return_attention_scores=True)
    assert block.cross_attention is None and cross_weights is None
    assert not any("cross" in w.path for w in block.weights)
    assert len(block.weights) == 16  # 8 attention, 2 x 2 norms, 4 feed-forward
    assert self_weights.shape == (B, H, T, T)
    np.testing.assert_allclose(out.numpy(), reference(block, target, MASK), atol=1e-5)


@pytest.mark.parametrize("pieces", [[1] * T, [2, 3]])
def test_cached_decoding_equals_the_full_pass(target, pieces):
    block = TransformerDecoderBlock(num_heads=H, intermediate_dim=FF, norm_first=True)
    full = block(target).numpy()
    cache, outputs, start = block.init_cache(B, T), [], 0
    step = tf.function(lambda x, cache, index: block(x, self_attention_cache=cache, cache_index=index))
    for length in pieces:
        out, cache, cross_cache = step(target[:, start:start + length], cache, tf.constant(start))
        assert cross_cache is None
        outputs.append(out.numpy())
        start += length
    np.testing.assert_allclose(np.concatenate(outputs, axis=1), full, atol=1e-5)


def test_keras_save_round_trip(target, tmp_path):
    inputs = keras.Input((None, D))
    block = TransformerDecoderBlock(num_heads=H, intermediate_dim=FF)
    model = keras.Model(inputs, block(inputs))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.layers[-1].cross_attention is None
    np.testing.assert_allclose(loaded(target).numpy(), model(target).numpy(), atol=1e-6)


def test_mixed_bfloat16(target):
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    block = TransformerDecoderBlock(num_heads=H, intermediate_dim=FF)
    out = block(target)
    assert out.dtype == tf.bfloat16 and np.all(np.isfinite(tf.cast(out, tf.float32).numpy()))


def test_context_must_match_how_the_block_was_built(target, rng):
    source = rng.normal(size=(B, 4, 3)).astype("float32")
    decoder_only = TransformerDecoderBlock(num_heads=H, intermediate_dim=FF)
    decoder_only(target)
    with pytest.raises(ValueError, match="context exactly when.*built without"):
        decoder_only(target, source)
    with pytest.raises(ValueError, match="compute_cache"):
        decoder_only.compute_cache(source)
    with_context = TransformerDecoderBlock(num_heads=H, intermediate_dim=FF)
    with_context(target, source)
    with pytest.raises(ValueError, match="context exactly when.*built with cross"):
        with_context(target)
