"""Attention score functions: how much each query matches each key.

All take queries [..., Tq, Dq] and keys [..., Tk, Dk] and return scores
[..., Tq, Tk] in the inputs' dtype. Masking and normalisation are not done
here: see `attnflow.ops.masked_softmax`.
"""

from __future__ import annotations

import math

import tensorflow as tf


def dot_scores(query, key) -> tf.Tensor:
    """Luong "dot": q . k.  [..., Tq, D] x [..., Tk, D] -> [..., Tq, Tk].

    Args:
        query: [..., Tq, D].
        key: [..., Tk, D], of the query's dtype.

    Returns:
        Scores [..., Tq, Tk] in the inputs' dtype.
    """
    return tf.matmul(query, key, transpose_b=True)  # [..., Tq, Tk]


def scaled_dot_scores(query, key, scale=None) -> tf.Tensor:
    """Scaled dot product: (q . k) * scale, scale defaulting to 1/sqrt(D).

    The scale is applied to the queries (Tq * D multiplies) rather than to the
    scores (Tq * Tk multiplies).

    Args:
        query: [..., Tq, D], with D known statically when `scale` is None.
        key: [..., Tk, D], of the query's dtype.
        scale: a real number or scalar tensor (cast to the query's dtype);
            default 1/sqrt(D).

    Returns:
        Scores [..., Tq, Tk] in the inputs' dtype.
    """
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    # dtype_hint keeps a Python float exact in float64 (tf.cast alone would
    # round it through float32 first).
    scale = tf.cast(tf.convert_to_tensor(scale, dtype_hint=query.dtype), query.dtype)
    query = query * scale  # [..., Tq, D]
    return dot_scores(query, key)  # [..., Tq, Tk]


def general_scores(query, key, kernel) -> tf.Tensor:
    """Luong "general": q W_a k^T with a learned W_a of shape [Dq, Dk].

    Args:
        query: [..., Tq, Dq].
        key: [..., Tk, Dk], of the query's dtype.
        kernel: W_a, [Dq, Dk] (cast to the query's dtype, so a float32
            variable serves float16 inputs under mixed precision).

    Returns:
        Scores [..., Tq, Tk] in the inputs' dtype.
    """
    projected = tf.matmul(query, tf.cast(kernel, query.dtype))  # [..., Tq, Dk]
    return dot_scores(projected, key)  # [..., Tq, Tk]


def additive_scores(query, key, attention_vector) -> tf.Tensor:
    """Bahdanau / "concat": v^T tanh(q + k) for already projected q and k.

    Args:
        query: W2 q, shape [..., Tq, U].
        key: W1 k, shape [..., Tk, U].
        attention_vector: v, shape [U].

    Returns:
        Scores [..., Tq, Tk].
    """
    hidden = tf.tanh(query[..., :, None, :] + key[..., None, :, :])  # [..., Tq, Tk, U]
    return tf.tensordot(hidden, tf.cast(attention_vector, hidden.dtype), axes=[[-1], [0]])  # [..., Tq, Tk]
