"""The one masked softmax, the weighted sum and the weights dropout."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from attnflow import ops
from tests import reference as ref
from tests.reference import B, H, TK, TQ


@pytest.fixture
def scores(rng):
    return rng.normal(size=(B, H, TQ, TK)) * 3.0


@pytest.fixture
def mask(rng):
    mask = rng.random((B, 1, TQ, TK)) > 0.4
    mask[..., 0] = True
    return mask


def test_masked_softmax_without_mask(scores):
    np.testing.assert_allclose(ops.masked_softmax(scores).numpy(), ref.masked_softmax(scores), rtol=1e-12)


@pytest.mark.parametrize("dtype", [bool, np.int32, np.float32])
def test_masked_softmax_with_mask(scores, mask, dtype):
    weights = ops.masked_softmax(scores, mask.astype(dtype)).numpy()
    np.testing.assert_allclose(weights, ref.masked_softmax(scores, mask), rtol=1e-12, atol=1e-300)
    assert np.all(weights[~np.broadcast_to(mask, weights.shape)] == 0.0)


def test_masked_softmax_with_bias(scores, mask, rng):
    bias = rng.normal(size=(1, H, TQ, TK))
    weights = ops.masked_softmax(scores, mask, bias=bias)
    np.testing.assert_allclose(weights.numpy(), ref.masked_softmax(scores + bias, mask), rtol=1e-12)


def test_fully_masked_row_gives_zero_weights_and_finite_gradients(scores, mask):
    mask = mask.copy()
    mask[0, 0, 1] = False  # one query row of batch element 0
    mask[1] = False  # all of batch element 1
    scores = tf.constant(scores)
    with tf.GradientTape() as tape:
        tape.watch(scores)
        weights = ops.masked_softmax(scores, mask)
        loss = tf.reduce_sum(weights * tf.range(1.0, TK + 1, dtype=weights.dtype))
    grad = tape.gradient(loss, scores).numpy()
    weights = weights.numpy()
    assert np.all(weights[0, :, 1] == 0.0) and np.all(weights[1] == 0.0)
    np.testing.assert_allclose(weights[0, :, 0].sum(-1), 1.0)
    assert np.all(np.isfinite(grad)) and np.all(grad[1] == 0.0)


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16])
def test_low_precision_scores_are_normalised_in_float32(scores, mask, dtype):
    weights = ops.masked_softmax(tf.cast(scores, dtype), mask)
    assert weights.dtype == tf.float32
    np.testing.assert_allclose(weights.numpy(), ref.masked_softmax(scores, mask), atol=0.03)


def test_float16_masking_does_not_overflow():
    # Scores near float16's maximum: adding -1e9 would give -inf and NaN.
    scores = tf.constant([[60000.0, 65000.0, -60000.0]], tf.float16)
    weights = ops.masked_softmax(scores, [[True, False, True]]).numpy()
    np.testing.assert_array_equal(weights, [[1.0, 0.0, 0.0]])


def test_masked_softmax_gradient_matches_numeric(scores, mask, rng):
    bias = tf.constant(rng.normal(size=(TQ, TK)))
    theoretical, numerical = tf.test.compute_gradient(
        lambda s: ops.masked_softmax(s, mask, bias=bias), [tf.constant(scores)])
    np.testing.assert_allclose(theoretical[0], numerical[0], atol=1e-7)


def test_weighted_sum(rng):
    weights, value = rng.random((B, H, TQ, TK)), rng.normal(size=(B, H, TK, 6))
    out = ops.weighted_sum(weights, value)
    assert out.shape == (B, H, TQ, 6)
    np.testing.assert_allclose(out.numpy(), weights @ value, rtol=1e-12)


def test_weighted_sum_casts_float32_weights_to_the_value_dtype(rng):
    weights, value = rng.random((B, TQ, TK)), rng.normal(size=(B, TK, 6))
    out = ops.weighted_sum(tf.constant(weights, tf.float32), tf.constant(value, tf.float16))
    assert out.dtype == tf.float16
    np.testing.assert_allclose(tf.cast(out, tf.float64).numpy(), weights @ value, atol=0.02)


def test_weights_dropout_rate_zero_is_identity(rng):
    weights = tf.constant(rng.random((B, TQ, TK)))
    assert ops.weights_dropout(weights, 0.0) is weights


def test_weights_dropout_zeroes_and_rescales(rng):
    weights = rng.random((4, 8, 16)) + 0.1
    dropped = ops.weights_dropout(tf.constant(weights), 0.5, seed=7).numpy()
    kept = dropped != 0.0
    assert 0.3 < kept.mean() < 0.7
    np.testing.assert_allclose(dropped[kept], 2.0 * weights[kept], rtol=1e-12)
    np.testing.assert_array_equal(ops.weights_dropout(tf.constant(weights), 0.5, seed=7).numpy(), dropped)


def test_weights_dropout_drops_what_the_kernel_drops(rng):
    query, key = tf.constant(rng.normal(size=(B, H, TQ, 5))), tf.constant(rng.normal(size=(B, H, TK, 5)))
    value = tf.constant(rng.normal(size=(B, H, TK, 6)))
    output = ops.dot_product_attention(query, key, value, dropout_rate=0.5, training=True, seed=7,
                                       implementation="full")
    weights = ops.masked_softmax(ops.scaled_dot_scores(query, key))  # [B, H, Tq, Tk]
    dropped = ops.weights_dropout(weights, 0.5, seed=7)
    assert 0.0 < float(tf.reduce_mean(tf.cast(dropped == 0.0, tf.float32))) < 1.0
    np.testing.assert_allclose(output.numpy(), ops.weighted_sum(dropped, value).numpy(), rtol=1e-12)
    # Fewer axes: [B, Tq, Tk] loses the entries of [B, 1, Tq, Tk], as DotProductAttention passes it.
    np.testing.assert_array_equal(ops.weights_dropout(weights[:, 0], 0.5, seed=7).numpy(),
                                  ops.weights_dropout(weights[:, :1], 0.5, seed=7).numpy()[:, 0])


@pytest.mark.parametrize("function", [ops.masked_softmax, ops.weights_dropout, ops.weighted_sum])
def test_weight_functions_document_args_and_returns(function):
    for section in ("Args:", "Returns:"):
        assert f"\n    {section}\n" in function.__doc__, f"{function.__name__} lacks {section}"
