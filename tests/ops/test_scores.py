"""Score functions against the float64 reference: dot, scaled dot, general, additive."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from attnflow import ops
from tests import reference as ref
from tests.reference import B, D, H, TK, TQ


@pytest.fixture
def qk(rng):
    return rng.normal(size=(B, H, TQ, D)), rng.normal(size=(B, H, TK, D))


def test_dot_scores(qk):
    q, k = qk
    scores = ops.dot_scores(q, k)
    assert scores.shape == (B, H, TQ, TK)
    np.testing.assert_allclose(scores.numpy(), ref.dot_scores(q, k), rtol=1e-12)


def test_dot_scores_on_rank_3(qk):
    q, k = qk[0][:, 0], qk[1][:, 0]
    np.testing.assert_allclose(ops.dot_scores(q, k).numpy(), ref.dot_scores(q, k), rtol=1e-12)


def test_scaled_dot_scores_default_scale_is_inverse_sqrt_depth(qk):
    q, k = qk
    scores = ops.scaled_dot_scores(tf.constant(q), tf.constant(k))
    np.testing.assert_allclose(scores.numpy(), ref.dot_scores(q, k) / np.sqrt(D), rtol=1e-12)


def test_scaled_dot_scores_explicit_scale(qk):
    q, k = qk
    scores = ops.scaled_dot_scores(tf.constant(q), tf.constant(k), scale=0.25)
    np.testing.assert_allclose(scores.numpy(), ref.scaled_dot_scores(q, k, 0.25), rtol=1e-12)


def test_general_scores_with_rectangular_kernel(rng):
    q, k = rng.normal(size=(B, TQ, D)), rng.normal(size=(B, TK, D + 1))
    kernel = rng.normal(size=(D, D + 1))
    scores = ops.general_scores(q, k, kernel)
    assert scores.shape == (B, TQ, TK)
    np.testing.assert_allclose(scores.numpy(), ref.general_scores(q, k, kernel), rtol=1e-12)


def test_additive_scores(rng):
    units = 6
    q, k, v = rng.normal(size=(B, TQ, units)), rng.normal(size=(B, TK, units)), rng.normal(size=units)
    scores = ops.additive_scores(q, k, v)
    assert scores.shape == (B, TQ, TK)
    np.testing.assert_allclose(scores.numpy(), ref.additive_scores(q, k, v), rtol=1e-12)


@pytest.mark.parametrize("dtype, atol", [(tf.float16, 0.02), (tf.bfloat16, 0.1)])
def test_scores_keep_the_input_dtype(qk, dtype, atol):
    q, k = (tf.cast(x, dtype) for x in qk)
    dot, scaled = ops.dot_scores(q, k), ops.scaled_dot_scores(q, k)
    assert dot.dtype == scaled.dtype == dtype
    np.testing.assert_allclose(tf.cast(dot, tf.float64).numpy(), ref.dot_scores(*qk), atol=4 * atol)
    np.testing.assert_allclose(tf.cast(scaled, tf.float64).numpy(), ref.scaled_dot_scores(*qk), atol=atol)


def test_additive_scores_gradient_matches_numeric(rng):
    units = 3
    args = [tf.constant(rng.normal(size=s)) for s in ((B, TQ, units), (B, TK, units), (units,))]
    theoretical, numerical = tf.test.compute_gradient(ops.additive_scores, args)
    for analytic, numeric in zip(theoretical, numerical):
        np.testing.assert_allclose(analytic, numeric, atol=1e-6)


@pytest.mark.parametrize("function", [ops.dot_scores, ops.scaled_dot_scores, ops.general_scores,
                                      ops.additive_scores])
def test_score_functions_document_args_and_returns(function):
    for section in ("Args:", "Returns:"):
        assert f"\n    {section}\n" in function.__doc__, f"{function.__name__} lacks {section}"
