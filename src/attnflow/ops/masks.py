"""Boolean attention masks: True means "this query may attend to this key".

Every mask in attnflow follows one convention: boolean, broadcastable to
[B, H, Tq, Tk], True = may attend. Integer and float masks are cast to bool
(nonzero = True). Masks in other conventions are converted explicitly with
`from_additive_mask` and `from_key_padding_mask`; nothing is guessed.
"""

from __future__ import annotations

import numbers

import numpy as np
import tensorflow as tf

from attnflow._validation import fail


def as_bool_mask(mask) -> tf.Tensor:
    """Casts a mask to bool: bool stays, any other dtype is `mask != 0`.

    Args:
        mask: a bool, integer or float tensor (or array) of any shape, e.g.
            [B, Tk] or [B, H, Tq, Tk].

    Returns:
        A bool tensor of the same shape, True where `mask` is True or nonzero.
    """
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

    Raises:
        ValueError: for lengths outside [0, max_len] (negative lengths when
            max_len is None) whose values are known: eager, NumPy or constant.
            Symbolic lengths inside a traced function are left to TensorFlow,
            which treats a negative length as 0 and cuts one above max_len.
    """
    values = tf.convert_to_tensor(lengths_or_ids)
    if not values.dtype.is_integer:
        fail("integer lengths [B] or token ids [B, T]", lengths_or_ids=f"dtype {values.dtype.name}")
    rank = values.shape.rank
    if rank == 1:
        # A tensor max_len (e.g. tf.shape(ids)[1] inside a model) is checked by TensorFlow.
        if max_len is not None and not tf.is_tensor(max_len) and not _is_count(max_len):
            fail("max_len to be None or a non-negative integer", max_len=max_len)
        _check_known_lengths(values, max_len)
        return tf.sequence_mask(values, maxlen=max_len)
    if rank == 2:
        if max_len is not None:
            fail("max_len=None when token ids [B, T] are given", max_len=max_len)
        return tf.not_equal(values, tf.cast(pad_id, values.dtype))
    fail("lengths of shape [B] or token ids of shape [B, T]", lengths_or_ids=f"shape {values.shape}")


def _check_known_lengths(lengths: tf.Tensor, max_len) -> None:
    """Rejects lengths outside [0, max_len] when their values are known.

    tf.sequence_mask silently truncates lengths above max_len and treats
    negative ones as 0. Eager, NumPy and constant lengths have known values
    (one small [B] copy); symbolic ones inside a traced function do not and
    are left to TensorFlow.
    """
    known = tf.get_static_value(lengths)  # [B] NumPy array, or None when symbolic
    if known is None or known.size == 0:
        return
    limit = max_len if max_len is None or not tf.is_tensor(max_len) else tf.get_static_value(max_len)
    if limit is None:
        bad = np.flatnonzero(known < 0)
        if bad.size:
            index = int(bad[0])
            fail("lengths >= 0", **{f"lengths_or_ids[{index}]": int(known[index])})
        return
    bad = np.flatnonzero((known < 0) | (known > int(limit)))
    if bad.size:
        index = int(bad[0])
        fail("lengths in [0, max_len]",
             **{f"lengths_or_ids[{index}]": int(known[index]), "max_len": int(limit)})


def causal_mask(q_len, k_len=None) -> tf.Tensor:
    """Causal mask aligned to the bottom-right.

    Query i sees keys 0 .. k_len - q_len + i, so the last query sees every key.
    With q_len == k_len this is the usual lower-triangular mask; with
    q_len < k_len it is the mask of decoding the last q_len tokens against a
    cache of k_len keys.

    Args:
        q_len: number of queries Tq: a non-negative Python or NumPy integer,
            or a scalar integer tensor (e.g. `tf.shape(query)[2]`).
        k_len: number of keys Tk, of the same kinds (default: q_len).

    Returns:
        A bool tensor [Tq, Tk].
    """
    q_len, k_len = _lengths(q_len, q_len if k_len is None else k_len)
    rows = tf.range(q_len)[:, None]  # [Tq, 1]
    cols = tf.range(k_len)[None, :]  # [1, Tk]
    return cols <= rows + (k_len - q_len)  # [Tq, Tk]


def sliding_window_mask(q_len, k_len, window: int) -> tf.Tensor:
    """Local attention: each query sees only the keys near its own position.

    Query i sits at key position Tk - Tq + i (bottom-right aligned, as in
    `causal_mask`) and may attend to the keys at a distance below `window`
    from it, on both sides; combine with `causal_mask` for the past side
    only. With q_len == k_len query i sees keys i - window + 1 .. i + window - 1.

    Args:
        q_len: number of queries Tq: a non-negative Python or NumPy integer,
            or a scalar integer tensor (e.g. `tf.shape(query)[2]`).
        k_len: number of keys Tk, of the same kinds.
        window: a positive integer w; 1 lets each query see only the key at
            its own position.

    Returns:
        A bool tensor [Tq, Tk].
    """
    if isinstance(window, bool) or not isinstance(window, numbers.Integral) or window <= 0:
        fail("window to be a positive integer", window=window)
    q_len, k_len = _lengths(q_len, k_len)
    positions = tf.range(q_len) + (k_len - q_len)  # [Tq]: each query's key position
    distance = tf.abs(positions[:, None] - tf.range(k_len)[None, :])  # [Tq, Tk]
    return distance < int(window)  # [Tq, Tk]


def _lengths(q_len, k_len):
    """Checks q_len and k_len; returns them as Python ints or the tensors they are."""
    for name, value in (("q_len", q_len), ("k_len", k_len)):
        # Tensors are checked by TensorFlow; anything else must be a count
        # (tf.range would silently round 2.5 up to a [3, 3] mask).
        if not tf.is_tensor(value) and not _is_count(value):
            fail(f"{name} to be a non-negative integer", **{name: value})
    # Python ints take the other length's dtype (np.int32 and np.int64 would not mix).
    return tuple(value if tf.is_tensor(value) else int(value) for value in (q_len, k_len))


def _is_count(value) -> bool:
    """A non-negative Python or NumPy integer, or 0-d integer array (not a bool)."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        value = value.item()
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0


def combine_masks(*masks):
    """Logical AND of masks with broadcasting; None entries are skipped.

    Args:
        *masks: masks or None; each a bool, integer or float tensor (cast
            with `as_bool_mask`), their shapes broadcastable together with
            NumPy rules, e.g. [B, 1, 1, Tk] and [Tq, Tk].

    Returns:
        A bool tensor of the broadcast shape (e.g. [B, 1, Tq, Tk]), or None
        when every mask is None.

    Raises:
        ValueError: when the masks' static shapes do not broadcast.
    """
    combined = None
    shapes = {}  # "masks[i].shape" -> shape, of the masks combined so far
    for index, mask in enumerate(masks):
        if mask is None:
            continue
        mask = as_bool_mask(mask)
        shapes[f"masks[{index}].shape"] = tuple(mask.shape) if mask.shape.rank is not None else None
        if combined is None:
            combined = mask
            continue
        if not _broadcast(combined.shape, mask.shape):
            fail("masks whose shapes broadcast together", **shapes)
        combined = tf.logical_and(combined, mask)
    return combined


def _broadcast(a: tf.TensorShape, b: tf.TensorShape) -> bool:
    """Whether static shapes broadcast (unknown sizes and ranks count as yes)."""
    try:
        tf.broadcast_static_shape(a, b)
    except ValueError:
        return False
    return True


def from_additive_mask(mask) -> tf.Tensor:
    """Converts the "1 = masked" mask of older TensorFlow tutorials.

    Those masks hold 1 (or a large negative number, once multiplied by -1e9)
    at positions to hide and 0 where attention is allowed; they were added to
    the scores. Any nonzero entry becomes False here.

    Args:
        mask: an integer or float tensor of any shape (e.g. [B, 1, 1, Tk] or
            [Tq, Tk]), nonzero (1, -1e9, -inf) at positions to hide.

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
