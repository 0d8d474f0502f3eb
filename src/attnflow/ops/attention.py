"""`dot_product_attention`: the one fused attention kernel of attnflow.

softmax(Q K^T * scale + bias, masked) V over [B, H, T, D] tensors. Every
layer that attends by dot product calls this function, so masking, precision
and speed are decided here once.

Precision: float16 and bfloat16 inputs run both matmuls (Q K^T and P V, and
the four of the backward pass) in their own dtype, which oneDNN computes
with float32 accumulation on CPUs with AVX512-BF16; scores are rounded to
that dtype once, then the softmax and its statistics (max, sum, log-sum-exp),
masks, bias, dropout and the gradient accumulators are float32. TensorFlow
has no CPU kernel for a bfloat16 x bfloat16 -> float32 matmul
(BatchMatMulV3 with Tout=float32), so the scores cannot skip that rounding;
tests/ops/test_low_precision.py holds the accuracy this gives.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import tensorflow as tf

from attnflow._validation import check_choice, check_positive_int, check_rate, fail
from attnflow.ops.chunked import chunked_attention
from attnflow.ops.masks import as_bool_mask, causal_mask, combine_masks
from attnflow.ops.scores import scaled_dot_scores
from attnflow.ops.positional_dropout import positional_dropout
from attnflow.ops.weights import masked_softmax, weighted_sum

IMPLEMENTATIONS = ("auto", "full", "chunked")

# "auto" switches to the chunked kernel once the scores of all batch elements
# and heads, B * H * Tq * Tk, would pass this many entries (2^27 float32 =
# 512 MiB; a forward+backward pass holds three or four such tensors), unless
# the weights are asked for. Measured on a 2-core CPU (docs/performance.md),
# the materialized path is the faster one wherever it fits: the chunked
# kernel costs 20-40% more time and saves memory that grows with N^2.
AUTO_CHUNK_THRESHOLD = 2**27
# 512 x 512 tiles were the fastest of 256..2048 at N = 4096 and 16384.
DEFAULT_CHUNK_SIZE = 512


def dot_product_attention(
    query,
    key,
    value,
    *,
    mask=None,
    bias=None,
    scale: float | None = None,
    is_causal: bool = False,
    dropout_rate: float = 0.0,
    training: bool = False,
    seed=None,
    return_weights: bool = False,
    implementation: str = "auto",
    chunk_size: int | None = None,
):
    """Scaled dot-product attention over [B, H, T, D] tensors.

    Args:
        query: [B, H, Tq, D].
        key: [B, H, Tk, D].
        value: [B, H, Tk, Dv].
        mask: optional, broadcastable to [B, H, Tq, Tk] with NumPy rules
            (so [Tq, Tk], [B, 1, 1, Tk], [B, 1, Tq, Tk], ...); True = may
            attend; int/float masks are cast to bool (nonzero = True).
        bias: optional float tensor broadcastable to [B, H, Tq, Tk], added to
            the scaled scores before masking.
        scale: multiplier of the scores: a real number or a scalar float
            tensor; default 1/sqrt(D).
        is_causal: apply the bottom-right aligned causal mask (query i sees
            keys 0 .. Tk - Tq + i), combined with `mask`.
        dropout_rate: dropout on the attention weights, only when `training`.
            Which weights are dropped depends only on the seed and their
            positions, so "full" and "chunked" (any chunk size, with or
            without jit_compile) drop the same ones.
        training: whether dropout is applied.
        seed: int or `keras.random.SeedGenerator` (one draw per call) for
            the dropout; None draws a fresh seed per call.
        return_weights: also return the attention weights (before dropout).
        implementation: "full" materializes the [B, H, Tq, Tk] scores (the
            fastest while they fit); "chunked" runs an online softmax over
            [chunk_size, chunk_size] tiles with a recomputing gradient, so
            memory grows linearly with Tq and Tk; "auto" (default) picks
            "chunked" once B * H * Tq * Tk passes 2^27 (512 MiB of float32
            scores; an unknown B counts as 1) and "full" otherwise, or when
            the weights are asked for. Asking "chunked" for weights raises
            ValueError: it never materializes them.
        chunk_size: query and key block size of the chunked kernel
            (default 512).

    Returns:
        output [B, H, Tq, Dv] in the query's dtype, and with
        `return_weights=True` also weights [B, H, Tq, Tk], float32 under
        mixed precision. Rows with no key to attend to give weights 0 and
        output 0.
    """
    query, key, value = (tf.convert_to_tensor(t) for t in (query, key, value))
    _check_arguments(query, key, value, scale, dropout_rate, implementation, chunk_size)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    mask = _prepare_mask(mask, query, key)
    if bias is not None:
        bias = tf.convert_to_tensor(bias)
        _check_broadcastable("bias", bias, query, key)

    if is_causal and query.shape[2] == 1:
        # One query sits at the last position and sees every key (decoding
        # one token against a cache): the causal mask would hide nothing.
        is_causal = False
    implementation = _resolve_implementation(implementation, query, key, return_weights)
    if implementation == "chunked":
        if return_weights:
            fail('implementation="full" or "auto" when return_weights=True (the chunked '
                 "kernel never materializes the weights)", implementation="chunked")
        return chunked_attention(
            query, key, value, mask=mask, bias=bias, scale=scale, is_causal=is_causal,
            dropout_rate=dropout_rate if training else 0.0, seed=seed,
            chunk_size=chunk_size or DEFAULT_CHUNK_SIZE)

    if is_causal:
        mask = combine_masks(mask, causal_mask(tf.shape(query)[2], tf.shape(key)[2]))
    scores = scaled_dot_scores(query, key, scale)  # [B, H, Tq, Tk]
    weights = masked_softmax(scores, mask, bias)  # [B, H, Tq, Tk]
    dropped = positional_dropout(weights, dropout_rate, seed) if training else weights
    output = weighted_sum(dropped, value)  # [B, H, Tq, Dv]
    if return_weights:
        return output, weights
    return output


def _resolve_implementation(implementation, query, key, return_weights) -> str:
    if implementation != "auto":
        return implementation
    if return_weights:
        return "full"
    batch, heads, q_len = query.shape[:3]
    k_len = key.shape[2]
    if q_len is None or k_len is None:
        return "full"
    entries = (batch or 1) * (heads or 1) * q_len * k_len  # unknown B counts as 1
    return "chunked" if entries > AUTO_CHUNK_THRESHOLD else "full"


def _check_arguments(query, key, value, scale, dropout_rate, implementation, chunk_size) -> None:
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        if tensor.shape.rank != 4:
            fail(f"{name} of rank 4 [B, H, T, D]", **{f"{name}.shape": tuple(tensor.shape)})
        if not tensor.dtype.is_floating:
            fail(f"{name} of a float dtype", **{f"{name}.dtype": tensor.dtype.name})
    if not (query.dtype == key.dtype == value.dtype):
        fail("query, key and value of one dtype",
             dtypes=(query.dtype.name, key.dtype.name, value.dtype.name))
    if _differ(query.shape[-1], key.shape[-1]):
        fail("query and key with the same depth D",
             shapes=(tuple(query.shape), tuple(key.shape)))
    if _differ(key.shape[2], value.shape[2]):
        fail("key and value with the same length Tk",
             shapes=(tuple(key.shape), tuple(value.shape)))
    for axis, axis_name in ((0, "batch B"), (1, "heads H")):
        sizes = {t.shape[axis] for t in (query, key, value)} - {None}
        if len(sizes) > 1:
            fail(f"query, key and value with the same {axis_name}",
                 shapes=(tuple(query.shape), tuple(key.shape), tuple(value.shape)))
    if not _is_scale(scale):
        fail("scale to be None, a real number or a float tensor", scale=scale)
    check_rate("dropout_rate", dropout_rate)
    check_choice("implementation", implementation, IMPLEMENTATIONS)
    check_positive_int("chunk_size", chunk_size, allow_none=True)


def _is_scale(scale) -> bool:
    """None, a tensor or variable (left to TensorFlow), or a real, non-bool number.

    A string would otherwise reach tf.cast and fail there with an
    UnimplementedError that names no argument.
    """
    if scale is None or tf.is_tensor(scale):
        return True
    if isinstance(scale, np.ndarray):
        return scale.ndim == 0 and scale.dtype.kind in "iuf"
    return isinstance(scale, numbers.Real) and not isinstance(scale, (bool, np.bool_))


def _differ(a, b) -> bool:
    return a is not None and b is not None and a != b


def _prepare_mask(mask, query, key):
    if mask is None:
        return None
    mask = as_bool_mask(mask)
    _check_broadcastable("mask", mask, query, key)
    return mask


def _check_broadcastable(name, tensor, query, key) -> None:
    target = (query.shape[0], query.shape[1], query.shape[2], key.shape[2])
    shape = tuple(tensor.shape)
    ok = len(shape) <= 4 and all(
        size is None or want is None or size in (1, want)
        for size, want in zip(reversed(shape), reversed(target)))
    if not ok:
        fail(f"{name} broadcastable to [B, H, Tq, Tk] = {list(target)}",
             **{f"{name}.shape": shape})
