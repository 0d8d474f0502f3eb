"""Keras-style masks of a layer call, merged into one kernel mask.

Layers accept masks the way Keras layers do: `query_mask` [B, Tq] and
`value_mask` / `key_mask` [B, Tk] (filled in by Keras from
`Embedding(mask_zero=True)`), and an explicit `attention_mask` of shape
[B, Tq, Tk] or [B, H, Tq, Tk]. This module turns them into one bool mask of
rank 4 for `attnflow.ops`, and checks the static shapes of a call's query,
value and key, so that a mistake is named before it reaches a kernel.
"""

from __future__ import annotations

import tensorflow as tf

from attnflow._validation import fail
from attnflow.ops import as_bool_mask, combine_masks


def merge_attention_masks(*, query=None, key=None, num_heads=None, query_mask=None,
                          value_mask=None, key_mask=None, attention_mask=None, mask_queries=True):
    """Combines Keras-style masks into a bool mask broadcastable to [B, H, Tq, Tk].

    Args:
        query, key: optional [B, Tq, ...] and [B, Tk, ...] tensors the masks
            belong to; when given, the masks' static shapes are checked
            against them, so a wrong mask is named in the error.
        num_heads: optional H, checked against a [B, H, Tq, Tk] attention_mask.
        query_mask: [B, Tq]; with `mask_queries` padded query rows attend to
            nothing (as in keras.layers.MultiHeadAttention).
        value_mask, key_mask: [B, Tk]; padded keys are never attended to.
        attention_mask: [B, Tq, Tk] or [B, H, Tq, Tk].
        mask_queries: whether `query_mask` enters the attention mask.

    Returns:
        A bool tensor of rank 4, or None when no mask is given.
    """
    batch = _size(query if query is not None else key, 0)
    q_len, k_len = _size(query, 1), _size(key, 1)
    parts = []
    if query_mask is not None:
        query_mask = _padding(query_mask, "query_mask", (("B", batch), ("Tq", q_len)))
        if mask_queries:
            parts.append(query_mask[:, None, :, None])  # [B, 1, Tq, 1]
    for name, mask in (("value_mask", value_mask), ("key_mask", key_mask)):
        if mask is not None:
            mask = _padding(mask, name, (("B", batch), ("Tk", k_len)))
            parts.append(mask[:, None, None, :])  # [B, 1, 1, Tk]
    if attention_mask is not None:
        attention_mask = as_bool_mask(attention_mask)
        rank = attention_mask.shape.rank
        if rank not in (3, 4):
            fail("attention_mask of shape [B, Tq, Tk] or [B, H, Tq, Tk]",
                 **{"attention_mask.shape": tuple(attention_mask.shape)})
        axes = (("B", batch), ("H", num_heads), ("Tq", q_len), ("Tk", k_len))
        _check_sizes("attention_mask", attention_mask, axes if rank == 4 else axes[:1] + axes[2:])
        if rank == 3:
            attention_mask = attention_mask[:, None]  # [B, 1, Tq, Tk]
        parts.append(attention_mask)
    return combine_masks(*parts)


def zero_padded_queries(output, query_mask):
    """Sets the outputs of padded queries to 0. output [B, Tq, D], query_mask [B, Tq]."""
    if query_mask is None:
        return output
    keep = _padding(query_mask, "query_mask")[..., None]  # [B, Tq, 1]
    return tf.where(keep, output, tf.zeros((), output.dtype))


def as_padding_mask(mask, name, batch=None, length=None):
    """`mask` as a bool [B, T] mask, its static shape checked against B and T.

    Sizes of 1 broadcast; None (unknown) sizes are not checked.
    """
    return _padding(mask, name, (("B", batch), ("T", length)))


def check_batch_and_length(query_shape, value_shape, key_shape) -> None:
    """Static checks of query [B, ...], value [B, Tk, Dv] and key [B, Tk, Dk].

    They must share B, and key and value must share Tk. None (unknown) sizes
    are skipped, so symbolic and traced inputs pass; ranks are the caller's.
    """
    shapes = {"query_shape": tuple(query_shape), "value_shape": tuple(value_shape),
              "key_shape": tuple(key_shape)}
    if len({shape[0] for shape in shapes.values() if shape[0] is not None}) > 1:
        fail("query, value and key of the same batch size B", **shapes)
    if None not in (shapes["key_shape"][1], shapes["value_shape"][1]) and \
            shapes["key_shape"][1] != shapes["value_shape"][1]:
        fail("key and value of the same length Tk",
             key_shape=shapes["key_shape"], value_shape=shapes["value_shape"])


def _padding(mask, name, axes=(("B", None), ("T", None))):
    mask = as_bool_mask(mask)
    if mask.shape.rank != 2:
        fail(f"{name} of shape [B, T]", **{f"{name}.shape": tuple(mask.shape)})
    _check_sizes(name, mask, axes)
    return mask


def _size(tensor, axis):
    return None if tensor is None else tensor.shape[axis]


def _check_sizes(name, mask, axes) -> None:
    """Each static size of `mask` must be 1 or the size of its axis (where known)."""
    if all(size is None or want is None or size in (1, want)
           for size, (_, want) in zip(mask.shape, axes)):
        return
    wanted = ", ".join(letter if want is None else f"{letter}={want}" for letter, want in axes)
    fail(f"{name} broadcastable to [{wanted}]", **{f"{name}.shape": tuple(mask.shape)})

