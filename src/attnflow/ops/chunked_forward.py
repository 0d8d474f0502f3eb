"""Forward pass of the chunked kernel: an online softmax over key blocks.

For each block of queries, keys and values are visited block by block while
a running maximum m, a running normaliser l and a rescaled accumulator acc
are carried (Rabe & Staats 2021; Dao et al. 2022, FlashAttention). Only one
[B, H, block_q, block_k] tile of scores exists at a time, so memory grows
linearly with the sequence length. Besides the output the pass returns the
log-sum-exp of every query row, which is all the backward pass needs to
recompute the weights tile by tile.
"""

from __future__ import annotations

import tensorflow as tf

from attnflow.ops.chunked_context import ChunkedContext, block_loop
from attnflow.ops.positional_dropout import apply_keep


def chunked_forward(ctx: ChunkedContext):
    """Runs the forward pass over every tile.

    Returns:
        out_blocks [nq, B, H, block_q, Dv] and lse_blocks [nq, B, H, block_q, 1],
        both in the accumulation dtype. Rows that attend to no key have
        output 0 and a huge log-sum-exp (dtype max / 4).
    """
    tiling = ctx.tiling
    shape = tf.shape(ctx.q_blocks)  # [nq, B, H, bq, D]
    row_shape = tf.stack([shape[1], shape[2], tiling.block_q, 1])  # [B, H, bq, 1]
    acc_shape = tf.stack([shape[1], shape[2], tiling.block_q, tf.shape(ctx.v_blocks)[4]])  # [B, H, bq, Dv]
    neg_inf = tf.constant(float("-inf"), ctx.acc_dtype)

    def query_block(i, out_array, lse_array):
        q_i = ctx.q_blocks[i]  # [B, H, bq, D]
        clean_end, end = tiling.key_ranges(i)
        state = (tf.fill(row_shape, neg_inf), tf.zeros(row_shape, ctx.acc_dtype),
                 tf.zeros(acc_shape, ctx.acc_dtype))
        state = block_loop(0, clean_end, lambda j, s: _tile(ctx, q_i, i, j, s, False), state)
        state = block_loop(clean_end, end, lambda j, s: _tile(ctx, q_i, i, j, s, True), state)
        running_max, running_sum, acc = state
        out = tf.math.divide_no_nan(acc, running_sum)  # [B, H, bq, Dv]
        # A row with no key gets a huge finite log-sum-exp (not +inf, which
        # the backward pass's matmuls could turn into NaN): exp(s - lse) = 0.
        lse = tf.where(running_sum > 0, _finite(running_max) + tf.math.log(running_sum),
                       tf.constant(ctx.acc_dtype.max / 4, ctx.acc_dtype))  # [B, H, bq, 1]
        return i + 1, out_array.write(i, out), lse_array.write(i, lse)

    batch, heads = ctx.q_blocks.shape[1:3]
    rows = tf.TensorShape([batch, heads, tiling.block_q])
    arrays = (tf.TensorArray(ctx.acc_dtype, size=tiling.num_q_blocks,
                             element_shape=rows.concatenate([ctx.v_blocks.shape[4]])),
              tf.TensorArray(ctx.acc_dtype, size=tiling.num_q_blocks,
                             element_shape=rows.concatenate([1])))
    # Two query blocks in flight let the small per-row ops of one overlap the
    # matmuls of the other: lower wall time on 2 cores, the same CPU time.
    _, out_array, lse_array = tf.while_loop(
        lambda i, *_: i < tiling.num_q_blocks, query_block, (tf.constant(0), *arrays),
        parallel_iterations=2)
    return out_array.stack(), lse_array.stack()  # [nq, B, H, bq, Dv], [nq, B, H, bq, 1]


def _tile(ctx: ChunkedContext, q_i, i, j, state, masked: bool):
    """One online-softmax step: folds key block j into query block i's state."""
    running_max, running_sum, acc = state
    scores = ctx.scores(q_i, i, j, masked)  # [B, H, bq, bk]
    new_max = tf.maximum(running_max, tf.reduce_max(scores, axis=-1, keepdims=True))  # [B, H, bq, 1]
    # A row whose keys so far are all masked has max -inf; subtracting 0
    # instead keeps exp(-inf - max) at 0 rather than NaN.
    shift = _finite(new_max) if masked or ctx.bias is not None else new_max
    probs = tf.exp(scores - shift)  # [B, H, bq, bk]
    rescale = tf.exp(running_max - shift)  # [B, H, bq, 1]
    running_sum = running_sum * rescale + tf.reduce_sum(probs, axis=-1, keepdims=True)
    if ctx.dropout_rate > 0.0:
        probs = apply_keep(probs, ctx.keep(i, j), ctx.dropout_rate)  # [B, H, bq, bk]
    v_j = ctx.v_blocks[j]  # [B, H, bk, Dv]
    update = tf.matmul(tf.cast(probs, v_j.dtype), v_j)  # [B, H, bq, Dv]
    acc = acc * rescale + tf.cast(update, ctx.acc_dtype)
    return new_max, running_sum, acc


def _finite(row_max):
    """-inf (a row with nothing to attend to yet) becomes 0."""
    return tf.where(tf.math.is_inf(row_max), tf.zeros_like(row_max), row_max)
