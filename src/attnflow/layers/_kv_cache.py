"""Key/value caches of `MultiHeadAttention`: checking, writing new tokens, masks."""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow._validation import fail


def check_cache(cache, num_heads: int, key_dim: int, value_dim: int):
    """The (key_cache [B, H, L, key_dim], value_cache [B, H, L, value_dim]) pair as tensors.

    Raises:
        ValueError: `cache` is not such a pair.
    """
    if not isinstance(cache, (tuple, list)) or len(cache) != 2:
        fail("cache to be a (key_cache, value_cache) pair from init_cache or compute_cache",
             cache=type(cache).__name__)
    key_cache, value_cache = (tf.convert_to_tensor(c) for c in cache)
    for name, tensor, depth in (("key_cache", key_cache, key_dim), ("value_cache", value_cache, value_dim)):
        shape = tuple(tensor.shape)
        if len(shape) != 4 or shape[1] not in (None, num_heads) or shape[3] not in (None, depth):
            fail(f"{name} of shape [B, H={num_heads}, L, {depth}]", **{f"{name}.shape": shape})
    return key_cache, value_cache


def check_cache_index(cache_index) -> None:
    """A Python cache_index must be a non-negative int (tensors are checked by the slices)."""
    if isinstance(cache_index, int) and (isinstance(cache_index, bool) or cache_index < 0):
        fail("cache_index to be None or a non-negative integer", cache_index=cache_index)


def write_cache(key_cache, value_cache, new_keys, new_values, cache_index):
    """Writes Tn new keys and values at `cache_index`.

    Args:
        key_cache: [B, H, L, Dk]; value_cache: [B, H, L, Dv].
        new_keys: [B, H, Tn, Dk]; new_values: [B, H, Tn, Dv].
        cache_index: int or scalar int tensor, tokens already in the cache.

    Returns:
        keys [B, H, T, Dk] and values [B, H, T, Dv], the first
        T = cache_index + Tn positions, and the new (key_cache, value_cache).
    """
    length, max_length = new_keys.shape[2], key_cache.shape[2]
    if isinstance(cache_index, int) and None not in (length, max_length):
        if cache_index + length > max_length:
            fail(f"cache_index + new tokens <= the cache length {max_length}",
                 cache_index=cache_index, new_tokens=length)
    start = (0, 0, cache_index, 0)
    key_cache = keras.ops.slice_update(key_cache, start, tf.cast(new_keys, key_cache.dtype))
    value_cache = keras.ops.slice_update(value_cache, start, tf.cast(new_values, value_cache.dtype))
    end = cache_index + (length if length is not None else tf.shape(new_keys)[2])
    return key_cache[:, :, :end], value_cache[:, :, :end], (key_cache, value_cache)  # [B, H, T, D]


def prefix_with_true(mask, total_length):
    """A [B, Tn] mask of new tokens -> [B, T]: earlier cache positions are valid."""
    if mask is None:
        return None
    mask = tf.cast(mask, tf.bool)
    earlier = total_length - tf.shape(mask)[1]
    return tf.concat([tf.ones(tf.stack([tf.shape(mask)[0], earlier]), tf.bool), mask], axis=1)  # [B, T]
