"""bfloat16 and float16 attention: the accuracy issue 17 promises, for both kernels.

Outputs within 1e-2 (relative, in norm) of the float64 reference, gradients
within 2e-2 of float32's, nothing NaN or Inf with fully masked rows or huge
scores. Sizes span several chunks (and a partial one) so the online softmax
really runs across tiles; masks, bias, causality and dropout all take part.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from attnflow import ops
from tests import reference as ref

B, H, TQ, TK, D, DV = 2, 2, 37, 45, 16, 12
CHUNK = {"full": None, "chunked": 16}  # 3 key blocks, the last one partial
LOW = [tf.bfloat16, tf.float16]


def relative_error(got, want) -> float:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.linalg.norm(got - want) / np.linalg.norm(want))


@pytest.fixture
def inputs(rng):
    q, k = rng.normal(size=(B, H, TQ, D)), rng.normal(size=(B, H, TK, D))
    v = rng.normal(size=(B, H, TK, DV))
    mask = rng.random((B, 1, TQ, TK)) > 0.3
    mask[0, :, 5] = False  # a fully masked row
    bias = rng.normal(size=(1, H, TQ, TK)) * 0.5
    return q, k, v, mask, bias


def attend(q, k, v, dtype, implementation, **kwargs):
    q, k, v = (tf.cast(x, dtype) for x in (q, k, v))
    return ops.dot_product_attention(q, k, v, implementation=implementation,
                                     chunk_size=CHUNK[implementation], **kwargs)


@pytest.mark.parametrize("implementation", ["full", "chunked"])
@pytest.mark.parametrize("dtype", LOW)
@pytest.mark.parametrize("is_causal", [False, True])
def test_output_within_1e_2_of_float64(inputs, implementation, dtype, is_causal):
    q, k, v, mask, bias = inputs
    out = attend(q, k, v, dtype, implementation, mask=mask, bias=tf.cast(bias, tf.float32),
                 is_causal=is_causal)
    assert out.dtype == dtype
    want = ref.attention(q, k, v, mask=mask, bias=bias, is_causal=is_causal)[0]
    got = tf.cast(out, tf.float64).numpy()
    assert np.all(np.isfinite(got))
    assert relative_error(got, want) < 1e-2
    np.testing.assert_array_equal(got[0, :, 5], 0.0)  # the fully masked row is exactly 0


@pytest.mark.parametrize("implementation", ["full", "chunked"])
@pytest.mark.parametrize("dtype", LOW)
def test_gradients_within_2e_2_of_float32(inputs, rng, implementation, dtype):
    q, k, v, mask, bias = inputs
    upstream = tf.constant(rng.normal(size=(B, H, TQ, DV)), tf.float32)

    def gradients(compute_dtype):
        tensors = [tf.cast(x, compute_dtype) for x in (q, k, v)] + [tf.constant(bias, tf.float32)]
        with tf.GradientTape() as tape:
            tape.watch(tensors)
            out = ops.dot_product_attention(
                *tensors[:3], mask=mask, bias=tensors[3], is_causal=True, dropout_rate=0.2,
                training=True, seed=3, implementation=implementation,
                chunk_size=CHUNK[implementation])
            loss = tf.reduce_sum(tf.cast(out, tf.float32) * upstream)
        return tape.gradient(loss, tensors)

    low, high = gradients(dtype), gradients(tf.float32)
    for name, got, want in zip(("query", "key", "value", "bias"), low, high):
        assert got.dtype == (tf.float32 if name == "bias" else dtype), name
        got = tf.cast(got, tf.float64).numpy()
        assert np.all(np.isfinite(got)), name
        assert relative_error(got, want.numpy()) < 2e-2, name


@pytest.mark.parametrize("implementation", ["full", "chunked"])
@pytest.mark.parametrize("dtype", LOW)
def test_huge_scores_stay_finite(inputs, implementation, dtype):
    q, k, v, mask, _ = inputs
    # Scores up to ~1e4 (float16 holds 65504): exp must never see them unshifted.
    q, k = q * 30.0, k * 30.0
    tensors = [tf.cast(x, dtype) for x in (q, k, v)]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        out = ops.dot_product_attention(*tensors, mask=mask, is_causal=True,
                                        implementation=implementation,
                                        chunk_size=CHUNK[implementation])
        loss = tf.reduce_sum(tf.cast(out, tf.float32))
    grads = tape.gradient(loss, tensors)
    out = tf.cast(out, tf.float32).numpy()
    assert np.all(np.isfinite(out))
    # Each row is a convex combination of values: within their range.
    assert np.abs(out).max() <= np.abs(v).max() * 1.01
    for grad in grads:
        assert np.all(np.isfinite(tf.cast(grad, tf.float32).numpy()))


@pytest.mark.parametrize("dtype", LOW)
def test_full_and_chunked_agree(inputs, dtype):
    q, k, v, mask, bias = inputs
    kwargs = dict(mask=mask, bias=tf.constant(bias, tf.float32), is_causal=True,
                  dropout_rate=0.3, training=True, seed=11)
    full = tf.cast(attend(q, k, v, dtype, "full", **kwargs), tf.float32).numpy()
    chunked = tf.cast(attend(q, k, v, dtype, "chunked", **kwargs), tf.float32).numpy()
    assert relative_error(chunked, full) < 1e-2
