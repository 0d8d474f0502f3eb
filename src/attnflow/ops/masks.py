"""Boolean attention masks: True means "this query may attend to this key".

Every mask in attnflow follows one convention: boolean, broadcastable to
[B, H, Tq, Tk], True = may attend. Integer and float masks are cast to bool
(nonzero = True). Masks in other conventions are converted explicitly with
`from_additive_mask` and `from_key_padding_mask`; nothing is guessed.
"""

from __future__ import annotations

import numbers

import tensorflow as tf

from attnflow._validation import fail


def as_bool_mask(mask) -> tf.Tensor:
    """Casts a mask to bool: bool stays, any other dtype is `mask != 0`."""
    mask = tf.convert_to_tensor(mask)
    if mask.dtype == tf.bool:
        return mask
    return tf.not_equal(mask, tf.zeros((), mask.dtype))


def padding_mask(lengths_or_ids, max_len=None, pad_id: int = 0) -> tf.Tensor:
    """Marks the real (non-padding) positions of a batch of sequences.

    Args:
        lengths_or_ids: either lengths, an integer tensor of shape [B], or
            token ids, an integer tensor of shape [B, T].
        max_len: with lengths, the length T of the mask (default: the largest
            length). Must be None with token ids.
        pad_id: with token ids, the id that marks padding (default 0).

    Returns:
        A bool tensor [B, T], True at real positions. Use `mask[:, None, None, :]`
        to pass it to `dot_product_attention` as a key mask.
    """
    values = tf.convert_to_tensor(lengths_or_ids)
    if not values.dtype.is_integer:
        fail("integer lengths [B] or token ids [B, T]", lengths_or_ids=f"dtype {values.dtype.name}")
    rank = values.shape.rank
    if rank == 1:
        # A tensor max_len (e.g. tf.shape(ids)[1] inside a model) is checked by TensorFlow.
        if max_len is not None and not tf.is_tensor(max_len) and not _is_count(max_len):
            fail("max_len to be None or a non-negative integer", max_len=max_len)
        return tf.sequence_mask(values, maxlen=max_len)
    if rank == 2:
        if max_len is not None:
            fail("max_len=None when token ids [B, T] are given", max_len=max_len)
        return tf.not_equal(values, tf.cast(pad_id, values.dtype))
    fail("lengths of shape [B] or token ids of shape [B, T]", lengths_or_ids=f"shape {values.shape}")


def causal_mask(q_len, k_len=None) -> tf.Tensor:
    """Causal mask aligned to the bottom-right.

    Query i sees keys 0 .. k_len - q_len + i, so the last query sees every key.
    With q_len == k_len this is the usual lower-triangular mask; with
    q_len < k_len it is the mask of decoding the last q_len tokens against a
    cache of k_len keys.

    Args:
        q_len: number of queries Tq (int or scalar tensor).
        k_len: number of keys Tk (default: q_len).

    Returns:
        A bool tensor [Tq, Tk].
    """
    k_len = q_len if k_len is None else k_len
    for name, value in (("q_len", q_len), ("k_len", k_len)):
        if isinstance(value, numbers.Integral) and not _is_count(value):
            fail(f"{name} to be a non-negative integer", **{name: value})
    rows = tf.range(q_len)[:, None]  # [Tq, 1]
    cols = tf.range(k_len)[None, :]  # [1, Tk]
    return cols <= rows + (k_len - q_len)  # [Tq, Tk]


def _is_count(value) -> bool:
    """A non-negative Python or NumPy integer (not a bool)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0


def combine_masks(*masks):
    """Logical AND of masks with broadcasting; None entries are skipped.

    Returns:
        A bool tensor of the broadcast shape, or None when every mask is None.
    """
    combined = None
    for mask in masks:
        if mask is None:
            continue
        mask = as_bool_mask(mask)
        combined = mask if combined is None else tf.logical_and(combined, mask)
    return combined


def from_additive_mask(mask) -> tf.Tensor:
    """Converts the "1 = masked" mask of older TensorFlow tutorials.

    Those masks hold 1 (or a large negative number, once multiplied by -1e9)
    at positions to hide and 0 where attention is allowed; they were added to
    the scores. Any nonzero entry becomes False here.

    Returns:
        A bool mask of the same shape, True = may attend.
    """
    mask = tf.convert_to_tensor(mask)
    if mask.dtype == tf.bool:
        fail("a numeric additive mask (1 or -inf = masked); a bool mask needs no conversion",
             mask="dtype bool")
    return tf.equal(mask, tf.zeros((), mask.dtype))


def from_key_padding_mask(key_padding_mask) -> tf.Tensor:
    """Converts PyTorch's `key_padding_mask` (True = padding, ignore).

    Args:
        key_padding_mask: bool or 0/1 tensor [B, Tk], True/1 at padded keys.

    Returns:
        A bool mask [B, 1, 1, Tk], True = may attend, ready for
        `dot_product_attention`.
    """
    mask = tf.convert_to_tensor(key_padding_mask)
    if mask.shape.rank != 2:
        fail("key_padding_mask of shape [B, Tk]", key_padding_mask=f"shape {mask.shape}")
    return tf.logical_not(as_bool_mask(mask))[:, None, None, :]  # [B, 1, 1, Tk]
