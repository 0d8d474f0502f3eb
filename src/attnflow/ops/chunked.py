"""Chunked attention: an online softmax over blocks of keys.

The [Tq, Tk] score matrix is never held at once: keys and values are visited
block by block while a running maximum m, a running normaliser l and a
rescaled accumulator acc are carried (Rabe & Staats 2021; FlashAttention).
Forward memory is O(Tq * chunk_size) per batch element and head.
"""

from __future__ import annotations

import tensorflow as tf

from attnflow.ops.scores import dot_scores
from attnflow.ops.weights import softmax_dtype


def chunked_attention(query, key, value, *, mask, bias, scale, is_causal,
                      dropout_rate, seed, chunk_size):
    """Online-softmax attention; arguments as in `dot_product_attention`.

    `mask` and `bias` are already checked and broadcastable to
    [B, H, Tq, Tk]; `mask` is bool or None.

    Returns:
        output [B, H, Tq, Dv] in the query's dtype.
    """
    if dropout_rate > 0.0:
        raise ValueError(
            "expected dropout_rate=0 with the chunked kernel (use "
            f'implementation="full" for attention dropout). Received: dropout_rate={dropout_rate}')
    out_dtype = query.dtype
    acc_dtype = softmax_dtype(query.dtype)
    query = query * tf.cast(scale, query.dtype)  # [B, H, Tq, D]
    shape = tf.shape(query)
    q_len, k_len = shape[2], tf.shape(key)[2]
    v_dim = tf.shape(value)[3]
    row_shape = tf.concat([shape[:3], [1]], axis=0)  # [B, H, Tq, 1]
    num_blocks = (k_len + chunk_size - 1) // chunk_size
    q_pos = tf.range(q_len)[:, None] + (k_len - q_len)  # [Tq, 1]

    def body(block, running_max, running_sum, acc):
        start = block * chunk_size
        stop = tf.minimum(start + chunk_size, k_len)
        k_blk = key[:, :, start:stop]  # [B, H, C, D]
        v_blk = value[:, :, start:stop]  # [B, H, C, Dv]
        scores = tf.cast(dot_scores(query, k_blk), acc_dtype)  # [B, H, Tq, C]
        if bias is not None:
            scores += tf.cast(_key_slice(bias, start, stop), acc_dtype)
        blk_mask = None if mask is None else _key_slice(mask, start, stop)
        if is_causal:
            causal = tf.range(start, stop)[None, :] <= q_pos  # [Tq, C]
            blk_mask = causal if blk_mask is None else tf.logical_and(blk_mask, causal)
        if blk_mask is not None:
            scores = tf.where(blk_mask, scores, acc_dtype.min)
        new_max = tf.maximum(running_max, tf.reduce_max(scores, -1, keepdims=True))  # [B, H, Tq, 1]
        probs = tf.exp(scores - new_max)  # [B, H, Tq, C]
        if blk_mask is not None:
            probs = tf.where(blk_mask, probs, tf.zeros((), acc_dtype))
        rescale = tf.exp(running_max - new_max)  # [B, H, Tq, 1]
        running_sum = running_sum * rescale + tf.reduce_sum(probs, -1, keepdims=True)
        acc = acc * rescale + tf.cast(tf.matmul(tf.cast(probs, v_blk.dtype), v_blk), acc_dtype)
        return block + 1, new_max, running_sum, acc  # acc: [B, H, Tq, Dv]

    init = (
        tf.constant(0),
        tf.fill(row_shape, tf.constant(acc_dtype.min, acc_dtype)),
        tf.zeros(row_shape, acc_dtype),
        tf.zeros(tf.concat([shape[:3], [v_dim]], axis=0), acc_dtype),
    )
    _, _, running_sum, acc = tf.while_loop(
        lambda block, *_: block < num_blocks, body, init)
    # Rows that saw no key have running_sum 0: their output is 0.
    return tf.cast(tf.math.divide_no_nan(acc, running_sum), out_dtype)  # [B, H, Tq, Dv]


def _key_slice(tensor, start, stop):
    """Slices the key axis of a tensor broadcastable to [B, H, Tq, Tk]."""
    if tensor.shape[-1] == 1:
        return tensor
    return tensor[..., start:stop]
