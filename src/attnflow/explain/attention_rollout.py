"""Attention rollout: how much each input token flows into each output token.

Abnar & Zuidema (2020), "Quantifying Attention Flow in Transformers": the
attention of one block, averaged over its heads, is mixed with the identity
to account for the residual connection, A' = (1 - r) A + r I (r = 0.5 in the
paper), its rows renormalized, and the blocks' matrices are multiplied from
the first to the last, R = A'_L ... A'_2 A'_1. Row i of R says how token i at
the output is made of the input tokens; its entries are >= 0 and sum to 1.

For a Vision Transformer the row that matters is the pooled one (the class
token, or the mean of the patches): `patch_attention` takes it, keeps the
patches' columns, and lays them out on the patch grid. Written with
TensorFlow ops, so that a SavedModel can serve it.
"""

from __future__ import annotations

import tensorflow as tf

from attnflow._validation import fail

RESIDUAL_WEIGHT = 0.5  # the identity's share in each block, as in Abnar & Zuidema


def attention_rollout(block_weights, residual_weight: float = RESIDUAL_WEIGHT):
    """The rollout of the attention of stacked blocks.

    Args:
        block_weights: attention weights [B, L, H, T, T] (blocks in order,
            rows = queries summing to 1), e.g. `VisionTransformer`'s
            "blocks"; L = 0 gives the identity.
        residual_weight: r in A' = (1 - r) mean_h(A) + r I, in [0, 1]
            (default 0.5).

    Returns:
        float32 [B, T, T]: row i holds the share of every input token in
        output token i (rows sum to 1).

    Example:
        >>> weights = tf.fill([1, 2, 1, 3, 3], 1 / 3)  # two blocks attending uniformly
        >>> attention_rollout(weights)[0, 0].numpy().round(3).tolist()
        [0.5, 0.25, 0.25]
    """
    if isinstance(residual_weight, bool) or not isinstance(residual_weight, (int, float)) \
            or not 0 <= residual_weight <= 1:
        fail("residual_weight in [0, 1]", residual_weight=residual_weight)
    weights = tf.cast(block_weights, tf.float32)
    if len(weights.shape) != 5 or weights.shape[-1] != weights.shape[-2]:
        fail("block weights of shape [B, L, H, T, T]", block_weights=tuple(weights.shape))
    tokens = tf.shape(weights)[-1]
    identity = tf.eye(tokens)[None]  # [1, T, T]
    heads = tf.reduce_mean(weights, axis=2)  # [B, L, T, T]
    mixed = (1.0 - residual_weight) * heads + residual_weight * identity[:, None]  # [B, L, T, T]
    mixed = mixed / tf.maximum(tf.reduce_sum(mixed, axis=-1, keepdims=True), 1e-12)
    rollout = tf.tile(identity, [tf.shape(weights)[0], 1, 1])  # [B, T, T]
    for block in range(weights.shape[1]):  # L is static: one matmul per block
        rollout = tf.matmul(mixed[:, block], rollout)  # [B, T, T]
    return rollout


def patch_attention(attention: dict, grid: tuple[int, int],
                    residual_weight: float = RESIDUAL_WEIGHT):
    """Where the pooled output of a Vision Transformer comes from, patch by patch.

    Args:
        attention: what `VisionTransformer(..., return_attention_scores=True)`
            returns: "blocks" [B, L, H, T, T] and "pooling" [B, T].
        grid: (rows, columns) of patches, rows * columns = N (T = N, or
            N + 1 with the class token first).
        residual_weight: see `attention_rollout`.

    Returns:
        float32 [B, rows, columns]: the rollout of the pooled token over the
        patches, renormalized to sum to 1 over each image.
    """
    rows, columns = grid
    rollout = attention_rollout(attention["blocks"], residual_weight)  # [B, T, T]
    pooling = tf.cast(attention["pooling"], tf.float32)  # [B, T]
    flow = tf.einsum("bq,bqk->bk", pooling, rollout)  # [B, T]
    tokens = flow.shape[-1]
    if tokens not in (rows * columns, rows * columns + 1):
        fail(f"{rows * columns} patch tokens (grid {rows}x{columns}), with or without a class "
             "token", tokens=tokens)
    patches = flow[:, tokens - rows * columns:]  # [B, N]: the class token's column dropped
    patches = patches / tf.maximum(tf.reduce_sum(patches, axis=-1, keepdims=True), 1e-12)
    return tf.reshape(patches, [-1, rows, columns])  # [B, rows, columns]
