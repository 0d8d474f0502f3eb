"""MultiHeadAttention takes every constructor argument of keras.layers.MultiHeadAttention."""

from __future__ import annotations

import inspect

import keras
import numpy as np
import pytest

from attnflow.layers import MultiHeadAttention
from tests import reference as ref
from tests.reference import B, D, H, TK, TQ

KEY_DIM = 3


def test_every_keras_constructor_argument_is_accepted():
    theirs = set(inspect.signature(keras.layers.MultiHeadAttention.__init__).parameters)
    ours = set(inspect.signature(MultiHeadAttention.__init__).parameters)
    assert theirs - ours == set()


def test_keras_defaults_are_no_ops_and_round_trip(rng):
    query = rng.normal(size=(B, TQ, D)).astype(np.float32)
    plain = MultiHeadAttention(H, KEY_DIM)
    want = plain(query, query)
    layer = MultiHeadAttention(H, KEY_DIM, sliding_window=None, flash_attention=False, use_gate=False)
    layer(query, query)
    layer.set_weights(plain.get_weights())
    np.testing.assert_array_equal(layer(query, query).numpy(), want.numpy())
    config = layer.get_config()
    assert (config["sliding_window"], config["flash_attention"], config["use_gate"]) == (None, False, False)
    assert MultiHeadAttention.from_config(config).get_config() == config


def test_from_a_keras_config_gives_keras_outputs(rng):
    query = rng.normal(size=(B, TQ, D)).astype(np.float32)
    value = rng.normal(size=(B, TK, D)).astype(np.float32)
    theirs = keras.layers.MultiHeadAttention(H, KEY_DIM, value_dim=4, output_shape=(6,), use_gate=True,
                                             sliding_window=3)
    want = theirs(query, query)
    theirs(query, value)
    ours = MultiHeadAttention.from_config(theirs.get_config())
    assert (ours.num_heads, ours.key_dim, ours.value_dim, ours.output_shape_) == (H, KEY_DIM, 4, (6,))
    assert (ours.use_gate, ours.sliding_window, ours.flash_attention) == (True, 3, None)
    ours(query, query)
    ours.set_weights(theirs.get_weights())
    got = ours(query, query)
    assert got.shape == (B, TQ, 6)
    np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-5)


def test_default_keras_config_loads(rng):
    ours = MultiHeadAttention.from_config(keras.layers.MultiHeadAttention(2, 4).get_config())
    assert (ours.num_heads, ours.key_dim, ours.use_gate, ours.sliding_window) == (2, 4, False, None)


@pytest.mark.parametrize("causal", [False, True])
def test_sliding_window_is_bottom_right_aligned_when_tq_lt_tk(rng, causal):
    """Query i sits at key position Tk - Tq + i and sees keys within window - 1 of it."""
    query, value = rng.normal(size=(B, TQ, D)), rng.normal(size=(B, TK, D))
    window = 2
    layer = MultiHeadAttention(H, KEY_DIM, sliding_window=window, dtype="float64",
                               bias_initializer="random_normal")
    output, weights = layer(query, value, use_causal_mask=causal, return_attention_scores=True)
    positions = np.arange(TQ)[:, None] + TK - TQ
    band = np.abs(positions - np.arange(TK)[None, :]) < window  # [Tq, Tk]
    if causal:
        band &= np.arange(TK)[None, :] <= positions
    want_output, want_weights = ref.multi_head_attention(
        query, value, None, weights=layer.get_weights(),
        attention_mask=np.broadcast_to(band, (B, H, TQ, TK)))
    np.testing.assert_array_equal(weights.numpy()[:, :, ~band], 0.0)
    np.testing.assert_allclose(weights.numpy(), want_weights, rtol=1e-12)
    np.testing.assert_allclose(output.numpy(), want_output, rtol=1e-10, atol=1e-12)


def test_sliding_window_cached_decoding_equals_the_full_pass(rng):
    length = 6
    sequence = rng.normal(size=(B, length, D)).astype(np.float32)
    layer = MultiHeadAttention(H, KEY_DIM, sliding_window=3, use_gate=True,
                               bias_initializer="random_normal")
    want = layer(sequence, sequence, use_causal_mask=True).numpy()
    cache, steps = layer.init_cache(B, 8), []
    for t in range(length):
        step, cache = layer(sequence[:, t:t + 1], sequence[:, t:t + 1], cache=cache, cache_index=t,
                            use_causal_mask=True)
        steps.append(step.numpy())
    np.testing.assert_allclose(np.concatenate(steps, axis=1), want, rtol=1e-5, atol=1e-6)
