"""Attention dropout whose mask depends only on the seed and the positions.

Whether weight (b, h, i, j) is kept is a hash of the call's seed and of the
four indices, computed with 32-bit integer arithmetic. So the same weights
are dropped whichever kernel computes the attention ("full" materializes the
mask at once, "chunked" builds it tile by tile, in the forward and again in
the backward pass), whatever the chunk size, and with or without
`jit_compile` (integer arithmetic is exact everywhere, unlike random-number
kernels, which XLA implements with other numbers than TensorFlow's).
On CPU the hash also costs less than drawing uniform floats.
"""

from __future__ import annotations

import keras
import tensorflow as tf

_GOLDEN = 0x9E3779B1  # odd multipliers that spread consecutive indices apart
_HEADS = 0x27D4EB2F


def draw_seed(seed) -> tf.Tensor:
    """A uint32 [2] seed for one call.

    Args:
        seed: an int, a `keras.random.SeedGenerator` (advanced by one draw,
            like `keras.random.dropout`), or None (a fresh random seed).
    """
    if isinstance(seed, keras.random.SeedGenerator):
        return tf.cast(seed.next(), tf.uint32)
    if seed is None:
        return tf.cast(tf.random.uniform([2], maxval=2**31 - 1, dtype=tf.int64), tf.uint32)
    return tf.constant([seed & 0xFFFFFFFF, 0], tf.uint32)


def keep_mask(seed, batch, heads, rows, cols, rate: float) -> tf.Tensor:
    """Which weights survive dropout.

    Args:
        seed: uint32 [2], from `draw_seed`.
        batch, heads: B and H (ints or scalar tensors).
        rows: int32 [Tq'], the query positions of the block.
        cols: int32 [Tk'], the key positions of the block.
        rate: the fraction dropped, in [0, 1).

    Returns:
        bool [B, H, Tq', Tk'], True where the weight is kept (probability
        1 - rate).
    """
    rows = _mix(tf.bitwise.bitwise_xor(tf.cast(rows, tf.uint32), seed[0]))[:, None]  # [Tq', 1]
    positions = _mix(rows + tf.cast(cols, tf.uint32)[None, :] * _GOLDEN)  # [Tq', Tk']
    head_index = tf.range(batch)[:, None] * heads + tf.range(heads)[None, :]  # [B, H]
    head_keys = _mix(tf.cast(head_index, tf.uint32) * _HEADS + seed[1])  # [B, H]
    bits = _mix(tf.bitwise.bitwise_xor(positions, head_keys[:, :, None, None]))  # [B, H, Tq', Tk']
    threshold = min(int(round(rate * 2**32)), 2**32 - 1)
    return bits >= tf.constant(threshold, tf.uint32)


def apply_keep(values, keep, rate: float) -> tf.Tensor:
    """Inverted dropout: kept entries scaled by 1 / (1 - rate), dropped ones 0."""
    scale = tf.constant(1.0 / (1.0 - rate), values.dtype)
    return tf.where(keep, values * scale, tf.zeros((), values.dtype))


def positional_dropout(weights, rate: float, seed) -> tf.Tensor:
    """Dropout on attention weights [B, H, Tq, Tk] (call only when training)."""
    if rate <= 0.0:
        return weights
    shape = tf.shape(weights)
    keep = keep_mask(draw_seed(seed), shape[0], shape[1], tf.range(shape[2]), tf.range(shape[3]), rate)
    return apply_keep(weights, keep, rate)


def _mix(h):
    """murmur3's 32-bit finaliser: a bijection that scrambles every bit."""
    h = tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, 16))
    h = h * tf.constant(0x85EBCA6B, tf.uint32)
    h = tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, 13))
    h = h * tf.constant(0xC2B2AE35, tf.uint32)
    return tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, 16))
