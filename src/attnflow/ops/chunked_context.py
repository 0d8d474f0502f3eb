"""What the forward and backward passes of the chunked kernel share.

`ChunkedContext` holds the blocked queries, keys and values, the mask and
bias operands and the dropout seed of one call, and computes the pieces both
passes need identically: the scores of a tile and its dropout mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf

from attnflow.ops.chunked_tiles import Tiling, TileOperand
from attnflow.ops.positional_dropout import keep_mask


@dataclass(frozen=True)
class ChunkedContext:
    """Inputs of one chunked attention call, in blocks.

    Attributes:
        q_blocks: [nq, B, H, block_q, D], already multiplied by the scale.
        k_blocks: [nk, B, H, block_k, D].
        v_blocks: [nk, B, H, block_k, Dv].
        mask: bool TileOperand (True = may attend) or None.
        bias: TileOperand or None, added to the scaled scores.
        tiling: block sizes and loop ranges.
        dropout_rate: rate in [0, 1); 0 disables dropout.
        seed: uint32 [2] dropout seed, or None without dropout.
        acc_dtype: dtype of the softmax and the accumulators (float32 for
            float16/bfloat16 inputs).
    """

    q_blocks: tf.Tensor
    k_blocks: tf.Tensor
    v_blocks: tf.Tensor
    mask: TileOperand | None
    bias: TileOperand | None
    tiling: Tiling
    dropout_rate: float
    seed: tf.Tensor | None
    acc_dtype: tf.DType

    def scores(self, q_i, i, j, masked: bool, k_j=None):
        """Scaled scores (+ bias) of tile (i, j); masked entries are -inf.

        Args:
            q_i: query block i, [B, H, bq, D].
            i, j: query and key block indices.
            masked: whether the tile needs masking (it is not clean).
            k_j: key block j (default: `k_blocks[j]`); the backward pass
                passes queries and keys with one more column each.

        Returns:
            [B, H, block_q, block_k] in the accumulation dtype.
        """
        k_j = self.k_blocks[j] if k_j is None else k_j  # [B, H, bk, D]
        scores = tf.cast(tf.matmul(q_i, k_j, transpose_b=True), self.acc_dtype)  # [B, H, bq, bk]
        if self.bias is not None:
            scores += tf.cast(self.bias.tile(i, j), self.acc_dtype)
        if masked:
            scores = tf.where(self.tile_mask(i, j), scores,
                              tf.constant(float("-inf"), self.acc_dtype))
        return scores

    def tile_mask(self, i, j):
        """Bool mask of tile (i, j), broadcastable to [B, H, bq, bk]."""
        mask = self.mask.tile(i, j) if self.mask is not None else None
        if self.tiling.needs_position_mask:
            positions = self.tiling.position_mask(i, j)  # [bq or 1, bk]
            mask = positions if mask is None else tf.logical_and(mask, positions)
        if mask is None:  # a masked tile without mask: nothing to hide
            mask = tf.ones((1, 1), tf.bool)
        return mask

    def keep(self, i, j):
        """Dropout keep mask of tile (i, j), [B, H, bq, bk]: a function of the
        seed and the absolute positions only, so every pass draws the same."""
        shape = tf.shape(self.q_blocks)  # [nq, B, H, bq, D]
        rows = i * self.tiling.block_q + tf.range(self.tiling.block_q)
        cols = j * self.tiling.block_k + tf.range(self.tiling.block_k)
        return keep_mask(self.seed, shape[1], shape[2], rows, cols, self.dropout_rate)


def block_loop(start, stop, body, state):
    """Runs `state = body(index, state)` for index in [start, stop).

    Emits no loop at all when the range is statically empty.
    """
    if isinstance(start, int) and isinstance(stop, int) and start >= stop:
        return state

    def step(index, *carried):
        return (index + 1, *body(index, carried))

    results = tf.while_loop(lambda index, *_: index < stop, step,
                            (tf.convert_to_tensor(start), *state), parallel_iterations=1)
    return tuple(results[1:])
