"""MultiHeadAttention with a key/value cache: incremental decoding equals the full pass."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from attnflow.layers import MultiHeadAttention

B, T, DIM, HEADS, KEY_DIM, VALUE_DIM, MAX_LEN = 2, 7, 6, 2, 3, 4, 9


@pytest.fixture
def sequence(rng):
    return tf.constant(rng.normal(size=(B, T, DIM)), tf.float32)


def make_layer(**kwargs):
    layer = MultiHeadAttention(HEADS, KEY_DIM, value_dim=VALUE_DIM, bias_initializer="random_normal",
                               **kwargs)
    return layer


def decode(layer, sequence, pieces, step=None):
    """Feeds `sequence` in pieces of the given lengths through the cache."""
    step = step or (lambda x, cache, index: layer(x, x, cache=cache, cache_index=index,
                                                  use_causal_mask=True))
    cache, outputs, index = layer.init_cache(B, MAX_LEN), [], 0
    for length in pieces:
        output, cache = step(sequence[:, index:index + length], cache, index)
        outputs.append(output)
        index += length
    return tf.concat(outputs, axis=1).numpy(), cache


@pytest.mark.parametrize("pieces", [[1] * T, [4, 1, 1, 1], [3, 3, 1], [T]],
                         ids=["token by token", "prefill 4", "chunks of 3", "one prefill"])
@pytest.mark.parametrize("implementation", ["full", "chunked", "auto"])
def test_cached_decoding_equals_the_full_causal_pass(sequence, pieces, implementation):
    layer = make_layer(implementation=implementation)
    want = layer(sequence, sequence, use_causal_mask=True).numpy()
    got, (key_cache, value_cache) = decode(layer, sequence, pieces)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert key_cache.shape == (B, HEADS, MAX_LEN, KEY_DIM)
    assert value_cache.shape == (B, HEADS, MAX_LEN, VALUE_DIM)
    np.testing.assert_array_equal(key_cache.numpy()[:, :, T:], 0.0)  # not written yet


@pytest.mark.parametrize("jit_compile", [False, True])
def test_one_traced_step_serves_every_position(sequence, jit_compile):
    layer = make_layer()
    want = layer(sequence, sequence, use_causal_mask=True).numpy()
    step = tf.function(lambda x, cache, index: layer(x, x, cache=cache, cache_index=index,
                                                     use_causal_mask=True), jit_compile=jit_compile)
    got, _ = decode(layer, sequence, [1] * T, lambda x, c, i: step(x, c, tf.constant(i)))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert step.experimental_get_tracing_count() == 1


def test_without_causal_mask_a_step_sees_every_cached_token(sequence):
    # The last token of each piece sees the same keys as in the full pass.
    layer = make_layer()
    want = layer(sequence, sequence).numpy()
    cache = layer.init_cache(B, MAX_LEN)
    _, cache = layer(sequence[:, :5], sequence[:, :5], cache=cache, cache_index=0)
    output, _ = layer(sequence[:, 5:], sequence[:, 5:], cache=cache, cache_index=5)
    np.testing.assert_allclose(output.numpy(), want[:, 5:], rtol=1e-5, atol=1e-6)


def test_scores_and_masks_with_a_cache(sequence, rng):
    layer = make_layer()
    value_mask = rng.random((B, T)) > 0.3
    value_mask[:, 0] = True
    want, want_weights = layer(sequence, sequence, value_mask=value_mask, use_causal_mask=True,
                               return_attention_scores=True)
    cache = layer.init_cache(B, MAX_LEN)
    _, cache = layer(sequence[:, :4], sequence[:, :4], cache=cache, cache_index=0,
                     value_mask=value_mask[:, :4], use_causal_mask=True)
    # Earlier positions count as valid: pass the mask over all of them explicitly.
    attention_mask = np.broadcast_to(value_mask[:, None, :], (B, T - 4, T))
    output, weights, cache = layer(sequence[:, 4:], sequence[:, 4:], cache=cache, cache_index=4,
                                   attention_mask=attention_mask, use_causal_mask=True,
                                   return_attention_scores=True)
    np.testing.assert_allclose(output.numpy(), want.numpy()[:, 4:], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weights.numpy(), want_weights.numpy()[:, :, 4:], rtol=1e-5, atol=1e-6)


def test_cross_attention_memory_computed_once(sequence, rng):
    layer = make_layer()
    memory = tf.constant(rng.normal(size=(B, 5, DIM)), tf.float32)
    want = layer(sequence, memory).numpy()
    cache = layer.compute_cache(memory)
    output, same_cache = layer(sequence[:, :1], memory, cache=cache)
    np.testing.assert_allclose(output.numpy(), want[:, :1], rtol=1e-5, atol=1e-6)
    assert same_cache[0] is cache[0]
    fresh = make_layer()
    fresh_cache = fresh.compute_cache(memory)  # builds the layer
    assert fresh.built and fresh_cache[1].shape == (B, HEADS, 5, VALUE_DIM)


def test_cache_in_a_functional_model(sequence):
    layer = make_layer()
    tokens = keras.Input((None, DIM))
    key_cache, value_cache = keras.Input((HEADS, MAX_LEN, KEY_DIM)), keras.Input((HEADS, MAX_LEN, VALUE_DIM))
    output, cache = layer(tokens, tokens, cache=(key_cache, value_cache), cache_index=0,
                          use_causal_mask=True)
    assert output.shape == (None, None, DIM)
    assert [tuple(c.shape) for c in cache] == [(None, HEADS, MAX_LEN, KEY_DIM),
                                               (None, HEADS, MAX_LEN, VALUE_DIM)]
    model = keras.Model([tokens, key_cache, value_cache], [output, *cache])
    got = model([sequence, *layer.init_cache(B, MAX_LEN)])
    want = layer(sequence, sequence, use_causal_mask=True)
    np.testing.assert_allclose(got[0].numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda layer, x: layer(x, x, cache="cache", cache_index=0), "Received: cache='str'"),
    (lambda layer, x: layer(x, x, cache=(tf.zeros((B, 3, MAX_LEN, KEY_DIM)),) * 2, cache_index=0),
     r"key_cache of shape \[B, H=2, L, 3\]"),
    (lambda layer, x: layer(x, x, cache=layer.init_cache(B, MAX_LEN), cache_index=-1),
     "cache_index=-1"),
    (lambda layer, x: layer(x, x, cache=layer.init_cache(B, MAX_LEN), cache_index=5),
     "cache_index=5, new_tokens=7"),
    (lambda layer, x: layer.init_cache(0, MAX_LEN), "batch_size=0"),
])
def test_bad_cache_arguments_are_named(sequence, call, message):
    layer = make_layer()
    layer(sequence, sequence)
    with pytest.raises(ValueError, match=message):
        call(layer, sequence)
