"""Backward pass of the chunked kernel: weights recomputed tile by tile.

Nothing of size [Tq, Tk] is kept from the forward pass. Each tile's weights
are recomputed from the saved log-sum-exp of its rows, p = exp(s - lse),
and the gradients follow (Dao 2023, FlashAttention-2, algorithm 2):

    dV_j += p^T dO_i              dp = dO_i V_j^T
    ds = p * (dp - delta_i)       delta_i = rowsum(dO_i * O_i)
    dQ_i += ds K_j                dK_j += ds^T Q_i

The outer loop walks key blocks (carrying dK_j and dV_j), the inner loop
query blocks; dQ is summed over key blocks in a blocked [nq, ...] buffer.
Dropout regenerates each tile's keep mask from the same seed.
"""

from __future__ import annotations

import tensorflow as tf

from attnflow.ops.chunked_context import ChunkedContext, block_loop
from attnflow.ops.positional_dropout import apply_keep


def chunked_backward(ctx: ChunkedContext, out_blocks, lse_blocks, grad_blocks):
    """Gradients of the chunked attention with respect to its inputs.

    Args:
        ctx: the context of the forward call.
        out_blocks: forward output, [nq, B, H, bq, Dv] (accumulation dtype).
        lse_blocks: forward log-sum-exp, [nq, B, H, bq, 1].
        grad_blocks: gradient of the output, [nq, B, H, bq, Dv].

    Returns:
        dq_blocks [nq, B, H, bq, D] (with respect to the scaled queries),
        dk_blocks [nk, B, H, bk, D], dv_blocks [nk, B, H, bk, Dv] in the
        accumulation dtype, and the bias gradient as a grid
        [nk or 1, nq or 1, b?, h?, bq or 1, bk or 1] (None without bias).
    """
    tiling = ctx.tiling
    grad_blocks = tf.cast(grad_blocks, ctx.acc_dtype)
    delta_blocks = tf.reduce_sum(grad_blocks * out_blocks, axis=-1, keepdims=True)  # [nq, B, H, bq, 1]
    grad_blocks = tf.cast(grad_blocks, ctx.v_blocks.dtype)
    # s - lse and dp - delta come out of the matmuls themselves: a query row
    # [q, -lse] times a key row [k, 1] is q.k - lse (and [dO, -delta] times
    # [v, 1] is dO.v - delta), which spares two broadcast subtractions over
    # every tile. Only where the inputs hold lse and delta exactly (float32,
    # float64); float16 inputs subtract in float32.
    augment = ctx.q_blocks.dtype == ctx.acc_dtype
    columns = _Columns(ctx, lse_blocks, grad_blocks, delta_blocks, augment)
    num_q, num_k = tiling.num_q_blocks, tiling.num_k_blocks
    bias = ctx.bias

    def key_block(j, dq_sum, bias_acc, dk_array, dv_array, bias_array):
        k_j, v_j = ctx.k_blocks[j], ctx.v_blocks[j]  # [B, H, bk, D], [B, H, bk, Dv]
        k_plus, v_plus = columns.keys(j)  # [B, H, bk, D + 1], [B, H, bk, Dv + 1] (or None)
        start, clean_start = tiling.query_ranges(j)
        inner = (tf.zeros(tf.shape(k_j), ctx.acc_dtype), tf.zeros(tf.shape(v_j), ctx.acc_dtype),
                 tf.TensorArray(ctx.acc_dtype, size=num_q, element_shape=ctx.q_blocks.shape[1:]),
                 tf.TensorArray(ctx.acc_dtype, size=num_q if bias is not None else 0))

        def tile(masked):
            def body(i, state):
                return _tile(ctx, columns, i, j, k_j, v_j, k_plus, v_plus, grad_blocks[i],
                             state, masked)
            return body

        inner = block_loop(start, clean_start, tile(True), inner)
        inner = block_loop(clean_start, num_q, tile(False), inner)
        dk_j, dv_j, dq_array, bias_column = inner
        dq_sum += dq_array.stack()  # [nq, B, H, bq, D]
        if bias is not None:
            column = bias_column.stack()  # [nq, b?, h?, bq?, bk?]
            if bias.broadcast_q:
                column = tf.reduce_sum(column, axis=0, keepdims=True)  # [1, b?, h?, 1, bk?]
            if bias.broadcast_k:
                bias_acc += column
            else:
                bias_array = bias_array.write(j, column)
        return j + 1, dq_sum, bias_acc, dk_array.write(j, dk_j), dv_array.write(j, dv_j), bias_array

    q_shape = tf.shape(ctx.q_blocks)
    init = (tf.constant(0), tf.zeros(q_shape, ctx.acc_dtype), _bias_accumulator(ctx),
            tf.TensorArray(ctx.acc_dtype, size=num_k, element_shape=ctx.k_blocks.shape[1:]),
            tf.TensorArray(ctx.acc_dtype, size=num_k, element_shape=ctx.v_blocks.shape[1:]),
            tf.TensorArray(ctx.acc_dtype, size=num_k if bias is not None else 0))
    # Two key blocks in flight, as in the forward pass.
    _, dq_blocks, bias_acc, dk_array, dv_array, bias_array = tf.while_loop(
        lambda j, *_: j < num_k, key_block, init, parallel_iterations=2)
    bias_grid = None
    if bias is not None:
        bias_grid = bias_acc[None] if bias.broadcast_k else bias_array.stack()
    return dq_blocks, dk_array.stack(), dv_array.stack(), bias_grid


def _tile(ctx: ChunkedContext, columns, i, j, k_j, v_j, k_plus, v_plus, grad_i, state, masked):
    """Adds tile (i, j)'s share to dK_j, dV_j, dQ_i and the bias gradient."""
    dk_j, dv_j, dq_array, bias_array = state
    q_i = ctx.q_blocks[i]  # [B, H, bq, D]
    probs = tf.exp(columns.shifted_scores(q_i, i, j, k_plus, masked))  # [B, H, bq, bk]
    grad_probs = columns.shifted_grad_probs(grad_i, i, v_j, v_plus)  # [B, H, bq, bk]: dp - delta
    kept = probs
    if ctx.dropout_rate > 0.0:
        keep = ctx.keep(i, j)  # [B, H, bq, bk]
        kept = apply_keep(probs, keep, ctx.dropout_rate)
        # (dp - delta) dropped = dp dropped - delta dropped: add the delta back.
        grad_probs = apply_keep(grad_probs + columns.delta(i), keep, ctx.dropout_rate) - columns.delta(i)
    dv_j += tf.cast(tf.matmul(tf.cast(kept, grad_i.dtype), grad_i, transpose_a=True),
                    ctx.acc_dtype)  # [B, H, bk, Dv]
    grad_scores = probs * grad_probs  # [B, H, bq, bk]
    grad_low = tf.cast(grad_scores, q_i.dtype)
    dq_array = dq_array.write(i, tf.cast(tf.matmul(grad_low, k_j), ctx.acc_dtype))  # [B, H, bq, D]
    dk_j += tf.cast(tf.matmul(grad_low, q_i, transpose_a=True), ctx.acc_dtype)  # [B, H, bk, D]
    if ctx.bias is not None:
        bias_array = bias_array.write(i, ctx.bias.reduce_to_tile(grad_scores))
    return dk_j, dv_j, dq_array, bias_array


class _Columns:
    """Queries, keys, values and output gradients with their extra column."""

    def __init__(self, ctx, lse_blocks, grad_blocks, delta_blocks, augment: bool):
        self.ctx, self.augment = ctx, augment
        self.lse_blocks, self.delta_blocks = lse_blocks, delta_blocks
        if augment:
            self.q_plus = tf.concat([ctx.q_blocks, -lse_blocks], axis=-1)  # [nq, B, H, bq, D + 1]
            self.grad_plus = tf.concat([grad_blocks, -delta_blocks], axis=-1)  # [nq, B, H, bq, Dv + 1]
            self.k_plus = _with_ones(ctx.k_blocks)  # [nk, B, H, bk, D + 1]
            self.v_plus = _with_ones(ctx.v_blocks)  # [nk, B, H, bk, Dv + 1]

    def keys(self, j):
        return (self.k_plus[j], self.v_plus[j]) if self.augment else (None, None)

    def delta(self, i):
        return self.delta_blocks[i]  # [B, H, bq, 1]

    def shifted_scores(self, q_i, i, j, k_plus, masked):
        """s - lse for tile (i, j), -inf where masked."""
        if self.augment:
            return self.ctx.scores(self.q_plus[i], i, j, masked, k_j=k_plus)
        return self.ctx.scores(q_i, i, j, masked) - self.lse_blocks[i]

    def shifted_grad_probs(self, grad_i, i, v_j, v_plus):
        """dO V^T - delta for tile (i, j), in the accumulation dtype."""
        if self.augment:
            return tf.matmul(self.grad_plus[i], v_plus, transpose_b=True)
        grad_probs = tf.matmul(grad_i, v_j, transpose_b=True)
        return tf.cast(grad_probs, self.ctx.acc_dtype) - self.delta_blocks[i]


def _with_ones(blocks):
    return tf.concat([blocks, tf.ones_like(blocks[..., :1])], axis=-1)


def _bias_accumulator(ctx: ChunkedContext):
    """Zeros for the bias gradient summed over key blocks (bias without key axis)."""
    bias = ctx.bias
    if bias is None or not bias.broadcast_k:
        return tf.zeros((), ctx.acc_dtype)
    rows = 1 if bias.broadcast_q else ctx.tiling.num_q_blocks
    shape = tf.shape(bias.tensor)
    return tf.zeros(tf.stack([rows, shape[0], shape[1], bias.tile_shape[0], 1]), ctx.acc_dtype)
