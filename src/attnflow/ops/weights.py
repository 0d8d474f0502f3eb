"""Turning scores into attention weights, and weights into context vectors.

There is one masked softmax in attnflow, and it is this one: masked scores
are replaced by the dtype's minimum with `where` (never by adding -1e9, which
overflows in float16), the softmax runs in float32 under mixed precision, and
masked entries are set to exactly 0 afterwards, so that a query row with no
key it may attend to gets weights 0, output 0 and finite gradients.
"""

from __future__ import annotations

import tensorflow as tf

from attnflow.ops.masks import as_bool_mask
from attnflow.ops.positional_dropout import positional_dropout

_LOW_PRECISION = (tf.float16, tf.bfloat16)


def softmax_dtype(dtype: tf.DType) -> tf.DType:
    """float16/bfloat16 scores are normalised in float32; others as they are."""
    return tf.float32 if dtype in _LOW_PRECISION else dtype


def masked_softmax(scores, mask=None, bias=None) -> tf.Tensor:
    """Softmax over the last axis that ignores masked keys.

    Args:
        scores: [..., Tq, Tk].
        mask: optional, broadcastable to `scores`; True = may attend.
        bias: optional additive bias broadcastable to `scores` (ALiBi,
            relative positions), added in the softmax dtype before masking.

    Returns:
        Weights [..., Tq, Tk] in float32 for float16/bfloat16 scores (the
        scores' dtype otherwise). Masked entries and fully masked rows are 0.
    """
    scores = tf.cast(scores, softmax_dtype(scores.dtype))
    if bias is not None:
        scores = scores + tf.cast(bias, scores.dtype)
    if mask is None:
        return tf.nn.softmax(scores, axis=-1)
    mask = as_bool_mask(mask)
    scores = tf.where(mask, scores, scores.dtype.min)
    weights = tf.nn.softmax(scores, axis=-1)
    return tf.where(mask, weights, tf.zeros((), weights.dtype))


def weights_dropout(weights, rate: float, seed=None) -> tf.Tensor:
    """Inverted dropout on attention weights (call only when training).

    The dropout of `dot_product_attention`: whether a weight is dropped
    depends only on the seed and its position (`positional_dropout`). The
    axes before Tq count as the kernel's B * H, so [B, H, Tq, Tk] weights
    lose the entries the kernel drops, and [B, Tq, Tk] weights those of its
    [B, 1, Tq, Tk] (what DotProductAttention passes it), for the same seed.

    Args:
        weights: [..., Tq, Tk] (at least 2 axes).
        rate: fraction of weights to drop, in [0, 1).
        seed: an int, a `keras.random.SeedGenerator` (one draw per call) or
            None (a fresh seed per call).

    Returns:
        Weights [..., Tq, Tk] of the input's dtype: each entry 0 with
        probability `rate`, otherwise divided by (1 - rate); the input itself
        when `rate` is 0.
    """
    if rate <= 0.0:
        return weights
    weights = tf.convert_to_tensor(weights)
    shape = tf.shape(weights)
    blocks = tf.reshape(weights, tf.concat([[-1, 1], shape[-2:]], axis=0))  # [N, 1, Tq, Tk]
    return tf.reshape(positional_dropout(blocks, rate, seed), shape)  # [..., Tq, Tk]


def weighted_sum(weights, value) -> tf.Tensor:
    """Context vectors: weights [..., Tq, Tk] x value [..., Tk, Dv] -> [..., Tq, Dv].

    Args:
        weights: [..., Tq, Tk], e.g. from `masked_softmax` (float32 under
            mixed precision; cast to the value's dtype).
        value: [..., Tk, Dv].

    Returns:
        Context vectors [..., Tq, Dv] in the value's dtype.
    """
    return tf.matmul(tf.cast(weights, value.dtype), value)  # [..., Tq, Dv]
