"""Keras-style masks of a layer call, merged into one kernel mask.

Layers accept masks the way Keras layers do: `query_mask` [B, Tq] and
`value_mask` / `key_mask` [B, Tk] (filled in by Keras from
`Embedding(mask_zero=True)`), and an explicit `attention_mask` of shape
[B, Tq, Tk] or [B, H, Tq, Tk]. This module turns them into one bool mask of
rank 4 for `attnflow.ops`.
"""

from __future__ import annotations

import tensorflow as tf

from attnflow._validation import fail
from attnflow.ops import as_bool_mask, combine_masks


def merge_attention_masks(*, query_mask=None, value_mask=None, key_mask=None,
                          attention_mask=None, mask_queries=True):
    """Combines Keras-style masks into a bool mask broadcastable to [B, H, Tq, Tk].

    Args:
        query_mask: [B, Tq]; with `mask_queries` padded query rows attend to
            nothing (as in keras.layers.MultiHeadAttention).
        value_mask, key_mask: [B, Tk]; padded keys are never attended to.
        attention_mask: [B, Tq, Tk] or [B, H, Tq, Tk].
        mask_queries: whether `query_mask` enters the attention mask.

    Returns:
        A bool tensor of rank 4, or None when no mask is given.
    """
    parts = []
    if query_mask is not None and mask_queries:
        parts.append(_padding(query_mask, "query_mask")[:, None, :, None])  # [B, 1, Tq, 1]
    for name, mask in (("value_mask", value_mask), ("key_mask", key_mask)):
        if mask is not None:
            parts.append(_padding(mask, name)[:, None, None, :])  # [B, 1, 1, Tk]
    if attention_mask is not None:
        attention_mask = as_bool_mask(attention_mask)
        rank = attention_mask.shape.rank
        if rank == 3:
            attention_mask = attention_mask[:, None]  # [B, 1, Tq, Tk]
        elif rank != 4:
            fail("attention_mask of shape [B, Tq, Tk] or [B, H, Tq, Tk]",
                 **{"attention_mask.shape": tuple(attention_mask.shape)})
        parts.append(attention_mask)
    return combine_masks(*parts)


def zero_padded_queries(output, query_mask):
    """Sets the outputs of padded queries to 0. output [B, Tq, D], query_mask [B, Tq]."""
    if query_mask is None:
        return output
    keep = _padding(query_mask, "query_mask")[..., None]  # [B, Tq, 1]
    return tf.where(keep, output, tf.zeros((), output.dtype))


def _padding(mask, name):
    mask = as_bool_mask(mask)
    if mask.shape.rank != 2:
        fail(f"{name} of shape [B, T]", **{f"{name}.shape": tuple(mask.shape)})
    return mask
