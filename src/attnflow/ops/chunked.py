"""Chunked attention: online softmax over tiles, with a recomputing gradient.

The [Tq, Tk] score matrix is never held at once, neither in the forward nor
in the backward pass: queries and keys are cut into blocks
(`chunked_tiles`), the forward pass runs an online softmax over key blocks
(`chunked_forward`) and keeps only the output and one log-sum-exp per query,
and the gradient recomputes each tile's weights from them
(`chunked_backward`). Memory grows linearly with the sequence length in both
passes; causal tiles above the diagonal are skipped, not computed.
"""

from __future__ import annotations

import tensorflow as tf

from attnflow.ops.chunked_backward import chunked_backward
from attnflow.ops.chunked_context import ChunkedContext
from attnflow.ops.chunked_forward import chunked_forward
from attnflow.ops.chunked_tiles import Tiling, TileOperand
from attnflow.ops.positional_dropout import draw_seed
from attnflow.ops.weights import softmax_dtype


def chunked_attention(query, key, value, *, mask, bias, scale, is_causal,
                      dropout_rate, seed, chunk_size):
    """Online-softmax attention; arguments as in `dot_product_attention`.

    `mask` and `bias` are already checked and broadcastable to
    [B, H, Tq, Tk]; `mask` is bool or None. `chunk_size` is the size of the
    query and key blocks. Dropout (when `dropout_rate > 0`) draws one seed
    per call; each tile's keep mask is a hash of that seed and the tile's
    positions (`positional_dropout`), regenerated in the backward pass, so
    forward and backward drop the same weights, the same as "full" does.

    Returns:
        output [B, H, Tq, Dv] in the query's dtype.
    """
    tiling = Tiling.create(query, key, chunk_size, chunk_size, is_causal, mask is not None)
    mask_operand = None if mask is None else TileOperand(mask, tiling, pad_value=False)
    seed_tensor = draw_seed(seed) if dropout_rate > 0.0 else None
    acc_dtype = softmax_dtype(query.dtype)

    @tf.custom_gradient
    def attend(query, key, value, *bias_input):
        bias_operand = TileOperand(bias_input[0], tiling, pad_value=0) if bias_input else None
        ctx = ChunkedContext(
            q_blocks=tiling.to_blocks(query * tf.cast(scale, query.dtype), tiling.block_q,
                                      tiling.num_q_blocks),  # [nq, B, H, bq, D]
            k_blocks=tiling.to_blocks(key, tiling.block_k, tiling.num_k_blocks),  # [nk, B, H, bk, D]
            v_blocks=tiling.to_blocks(value, tiling.block_k, tiling.num_k_blocks),  # [nk, B, H, bk, Dv]
            mask=mask_operand, bias=bias_operand, tiling=tiling,
            dropout_rate=float(dropout_rate), seed=seed_tensor, acc_dtype=acc_dtype)
        out_blocks, lse_blocks = chunked_forward(ctx)
        output = tf.cast(tiling.from_blocks(out_blocks, tiling.q_len), query.dtype)  # [B, H, Tq, Dv]

        def grad(grad_output):
            grad_blocks = tiling.to_blocks(grad_output, tiling.block_q, tiling.num_q_blocks)
            dq, dk, dv, bias_grid = chunked_backward(ctx, out_blocks, lse_blocks, grad_blocks)
            grads = [
                tf.cast(tiling.from_blocks(dq, tiling.q_len) * tf.cast(scale, acc_dtype),
                        query.dtype),  # [B, H, Tq, D]
                tf.cast(tiling.from_blocks(dk, tiling.k_len), key.dtype),  # [B, H, Tk, D]
                tf.cast(tiling.from_blocks(dv, tiling.k_len), value.dtype),  # [B, H, Tk, Dv]
            ]
            if bias_input:
                grads.append(_bias_gradient(bias_grid, bias_operand, bias_input[0]))
            return grads

        return output, grad

    if bias is None:
        return attend(query, key, value)
    return attend(query, key, value, bias)


def _bias_gradient(grid, operand: TileOperand, bias):
    """Folds the [nk', nq', b?, h?, tq, tk] grid of tile gradients into bias's shape."""
    grid = tf.transpose(grid, [2, 3, 1, 4, 0, 5])  # [b?, h?, nq', tq, nk', tk]
    shape = tf.shape(grid)
    joined = tf.reshape(grid, [shape[0], shape[1], shape[2] * shape[3], shape[4] * shape[5]])
    tiling = operand.tiling
    rows = 1 if operand.broadcast_q else tiling.q_len
    cols = 1 if operand.broadcast_k else tiling.k_len
    joined = joined[:, :, :rows, :cols]  # [b?, h?, Tq or 1, Tk or 1]
    return tf.cast(tf.reshape(joined, tf.shape(bias)), bias.dtype)
