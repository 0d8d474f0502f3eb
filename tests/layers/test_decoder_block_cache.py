"""TransformerDecoderBlock with key/value caches: incremental decoding equals the full pass."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from attnflow.layers import TransformerDecoderBlock

B, T, TK, D, DC, H, FF = 2, 6, 4, 8, 5, 2, 12
SOURCE_MASK = np.array([[True, True, True, True], [True, True, True, False]])


@pytest.fixture
def block_and_inputs(rng):
    target = rng.normal(size=(B, T, D)).astype("float32")
    source = rng.normal(size=(B, TK, DC)).astype("float32")
    block = TransformerDecoderBlock(num_heads=H, intermediate_dim=FF, norm_first=True)
    block(target, source)  # builds
    return block, target, source


def decode(block, target, source, pieces, use_cross_cache=True, context_mask=None):
    """Feeds `target` in pieces of the given lengths; returns the outputs and last weights."""
    self_cache = block.init_cache(B, T)
    cross_cache = block.compute_cache(source) if use_cross_cache else None
    outputs, start = [], 0
    for length in pieces:
        piece = target[:, start:start + length]
        out, self_w, cross_w, self_cache, cross_cache_out = block(
            piece, source, context_mask=context_mask, self_attention_cache=self_cache,
            cross_attention_cache=cross_cache, cache_index=start, return_attention_scores=True)
        if use_cross_cache:
            assert cross_cache_out is cross_cache or all(
                np.array_equal(a, b) for a, b in zip(cross_cache_out, cross_cache))
        else:
            assert cross_cache_out is None
        assert self_w.shape == (B, H, length, start + length)
        assert cross_w.shape == (B, H, length, TK)
        outputs.append(out.numpy())
        start += length
    return np.concatenate(outputs, axis=1)


@pytest.mark.parametrize("pieces", [[1] * T, [3, 1, 2], [T]])
@pytest.mark.parametrize("use_cross_cache", [True, False])
def test_cached_decoding_equals_the_full_causal_pass(block_and_inputs, pieces, use_cross_cache):
    block, target, source = block_and_inputs
    full = block(target, source, context_mask=SOURCE_MASK).numpy()  # [B, T, D]
    cached = decode(block, target, source, pieces, use_cross_cache, context_mask=SOURCE_MASK)
    np.testing.assert_allclose(cached, full, atol=1e-5, rtol=1e-5)


def test_a_prefill_then_one_traced_step(block_and_inputs):
    block, target, source = block_and_inputs
    full = block(target, source).numpy()
    self_cache, cross_cache = block.init_cache(B, T), block.compute_cache(source)
    prefill, self_cache, _ = block(target[:, :3], source, self_attention_cache=self_cache,
                                   cross_attention_cache=cross_cache, cache_index=0)

    @tf.function
    def step(token, cache, index):
        out, cache, _ = block(token, source, self_attention_cache=cache,
                              cross_attention_cache=cross_cache, cache_index=index)
        return out, cache

    outputs = [prefill.numpy()]
    for t in range(3, T):
        out, self_cache = step(target[:, t:t + 1], self_cache, tf.constant(t))
        outputs.append(out.numpy())
    assert step.experimental_get_tracing_count() == 1  # one graph for every position
    np.testing.assert_allclose(np.concatenate(outputs, axis=1), full, atol=1e-5, rtol=1e-5)


def test_the_cache_changes_only_at_the_new_positions(block_and_inputs):
    block, target, source = block_and_inputs
    empty = block.init_cache(B, T)
    _, (keys, values), _ = block(target[:, :2], source, self_attention_cache=empty, cache_index=0)
    assert keys.shape == (B, H, T, D // H)
    assert np.abs(keys.numpy()[:, :, :2]).max() > 0
    np.testing.assert_array_equal(keys.numpy()[:, :, 2:], 0.0)
    np.testing.assert_array_equal(values.numpy()[:, :, 2:], 0.0)
    np.testing.assert_array_equal(empty[0].numpy(), 0.0)  # the old cache is unchanged


def test_cache_errors_are_named(block_and_inputs):
    block, target, source = block_and_inputs
    with pytest.raises(ValueError, match="cache_index.*Received: cache_index=None"):
        block(target[:, :1], source, self_attention_cache=block.init_cache(B, T))
    fresh = TransformerDecoderBlock(num_heads=H, intermediate_dim=FF)
    with pytest.raises(ValueError, match="built block before init_cache.*Received: built=False"):
        fresh.init_cache(B, T)
    with pytest.raises(ValueError, match="cache_index \\+ new tokens <= the cache length 6"):
        block(target[:, :2], source, self_attention_cache=block.init_cache(B, T), cache_index=5)
