"""float64 NumPy references for attnflow's attention math.

Written from the definitions, not from attnflow's code: masks are bool,
broadcast with NumPy rules, True = may attend; a query row with no key it may
attend to gets weights 0 and output 0. Every function takes and returns
float64 arrays.
"""

from __future__ import annotations

import numpy as np

# Distinct sizes, so that a swapped axis cannot pass a test by accident.
B, TQ, TK, D, H = 2, 3, 4, 5, 2


def f64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def bool_mask(mask) -> np.ndarray | None:
    return None if mask is None else np.asarray(mask) != 0


def causal_mask(q_len: int, k_len: int) -> np.ndarray:
    """Bottom-right aligned: query i sees keys 0 .. k_len - q_len + i."""
    return np.arange(k_len)[None, :] <= np.arange(q_len)[:, None] + (k_len - q_len)


def sliding_window_mask(q_len: int, k_len: int, window: int) -> np.ndarray:
    """Query i, at key position k_len - q_len + i, sees the keys less than `window` away."""
    mask = np.zeros((q_len, k_len), bool)
    for i in range(q_len):
        position = k_len - q_len + i
        for j in range(k_len):
            mask[i, j] = abs(position - j) < window
    return mask


def combine(*masks) -> np.ndarray | None:
    masks = [bool_mask(m) for m in masks if m is not None]
    if not masks:
        return None
    out = masks[0]
    for mask in masks[1:]:
        out = np.logical_and(out, mask)
    return out


def masked_softmax(scores, mask=None) -> np.ndarray:
    """Softmax over the last axis; masked entries and fully masked rows are 0."""
    scores = f64(scores)
    allowed = np.broadcast_to(np.ones((), bool) if mask is None else bool_mask(mask), scores.shape)
    masked = np.where(allowed, scores, -np.inf)
    row_max = masked.max(axis=-1, keepdims=True)
    row_max = np.where(np.isfinite(row_max), row_max, 0.0)
    exp = np.where(allowed, np.exp(masked - row_max), 0.0)
    total = exp.sum(axis=-1, keepdims=True)
    return np.divide(exp, total, out=np.zeros_like(exp), where=total > 0)


# Score functions: [..., Tq, D] x [..., Tk, D] -> [..., Tq, Tk].

def dot_scores(query, key) -> np.ndarray:
    return f64(query) @ np.swapaxes(f64(key), -1, -2)


def scaled_dot_scores(query, key, scale=None) -> np.ndarray:
    scale = 1.0 / np.sqrt(np.shape(query)[-1]) if scale is None else scale
    return dot_scores(query, key) * scale


def general_scores(query, key, kernel) -> np.ndarray:
    return dot_scores(f64(query) @ f64(kernel), key)


def additive_scores(query, key, attention_vector) -> np.ndarray:
    """v^T tanh(q + k) for projected q [..., Tq, U] and k [..., Tk, U]."""
    hidden = np.tanh(f64(query)[..., :, None, :] + f64(key)[..., None, :, :])  # [..., Tq, Tk, U]
    return hidden @ f64(attention_vector)


def attention(query, key, value, mask=None, bias=None, scale=None, is_causal=False):
    """The kernel: softmax(Q K^T * scale + bias, mask) V. Returns (output, weights)."""
    query, key, value = f64(query), f64(key), f64(value)
    scores = scaled_dot_scores(query, key, scale)  # [B, H, Tq, Tk]
    if bias is not None:
        scores = scores + f64(bias)
    if is_causal:
        mask = combine(mask, causal_mask(query.shape[-2], key.shape[-2]))
    weights = masked_softmax(scores, mask)
    return weights @ value, weights


def layer_mask(batch, q_len, k_len, query_mask=None, value_mask=None, attention_mask=None,
               use_causal_mask=False, mask_queries=False) -> np.ndarray:
    """The [B, Tq, Tk] mask a layer call means, from Keras-style masks."""
    mask = np.ones((batch, q_len, k_len), bool)
    if query_mask is not None and mask_queries:
        mask &= bool_mask(query_mask)[:, :, None]
    if value_mask is not None:
        mask &= bool_mask(value_mask)[:, None, :]
    if attention_mask is not None:
        mask &= bool_mask(attention_mask)
    if use_causal_mask:
        mask &= causal_mask(q_len, k_len)
    return mask


def _zero_rows(context, query_mask):
    if query_mask is None:
        return context
    return context * bool_mask(query_mask)[..., None]


def dot_product_attention_layer(query, value, key=None, score="dot", kernel=None,
                                query_mask=None, value_mask=None, attention_mask=None,
                                use_causal_mask=False):
    """DotProductAttention / keras.layers.Attention. Returns (context, weights)."""
    key = value if key is None else key
    if score == "dot":
        scores = dot_scores(query, key)
    elif score == "scaled_dot":
        scores = scaled_dot_scores(query, key)
    else:
        scores = general_scores(query, key, kernel)
    mask = layer_mask(len(query), np.shape(query)[1], np.shape(key)[1], query_mask, value_mask,
                      attention_mask, use_causal_mask)
    weights = masked_softmax(scores, mask)
    return _zero_rows(weights @ f64(value), query_mask), weights


def bahdanau_attention(query, value, key=None, *, w1, w2, v, b1=None, b2=None,
                       query_mask=None, value_mask=None, attention_mask=None,
                       use_causal_mask=False):
    """v^T tanh(W1 k + b1 + W2 q + b2). query [B, Dq] or [B, Tq, Dq]. Returns (context, weights)."""
    key = value if key is None else key
    query = f64(query)
    single = query.ndim == 2
    if single:
        query = query[:, None]
        if attention_mask is not None and np.ndim(attention_mask) == 2:
            attention_mask = np.asarray(attention_mask)[:, None]
    keys = f64(key) @ f64(w1) + (0.0 if b1 is None else f64(b1))  # [B, Tk, U]
    queries = query @ f64(w2) + (0.0 if b2 is None else f64(b2))  # [B, Tq, U]
    scores = additive_scores(queries, keys, v)
    mask = layer_mask(len(query), query.shape[1], np.shape(key)[1], None, value_mask,
                      attention_mask, use_causal_mask)
    weights = masked_softmax(scores, mask)
    context = _zero_rows(weights @ f64(value), query_mask)
    if single:
        return context[:, 0], weights[:, 0]
    return context, weights


def multi_head_attention(query, value, key=None, *, weights, use_bias=True,
                         query_mask=None, value_mask=None, attention_mask=None,
                         use_causal_mask=False, attention_bias=None):
    """keras.layers.MultiHeadAttention given its weights (get_weights() order).

    attention_bias (attnflow's, not Keras's) is added to the scaled scores.

    attention_mask is [B, Tq, Tk] or [B, H, Tq, Tk]; padded queries attend to
    nothing (their weights are 0, their output is the output bias).
    Returns (output [B, Tq, out], weights [B, H, Tq, Tk]).
    """
    key = value if key is None else key
    weights = [f64(w) for w in weights]
    if use_bias:
        wq, bq, wk, bk, wv, bv, wo, bo = weights
    else:
        wq, wk, wv, wo = weights
        bq, bk, bv, bo = (np.zeros(w.shape[1:] if i < 3 else w.shape[2:]) for i, w in enumerate(weights))
    q = np.einsum("btd,dhk->bhtk", f64(query), wq) + bq[:, None, :]  # [B, H, Tq, Dk]
    k = np.einsum("btd,dhk->bhtk", f64(key), wk) + bk[:, None, :]  # [B, H, Tk, Dk]
    v = np.einsum("btd,dhk->bhtk", f64(value), wv) + bv[:, None, :]  # [B, H, Tk, Dv]
    mask = layer_mask(len(q), q.shape[2], k.shape[2], query_mask, value_mask, None,
                      use_causal_mask, mask_queries=True)[:, None]  # [B, 1, Tq, Tk]
    if attention_mask is not None:
        attention_mask = bool_mask(attention_mask)
        mask = mask & (attention_mask[:, None] if attention_mask.ndim == 3 else attention_mask)
    attended, attention_weights = attention(q, k, v, mask=mask, scale=1.0 / np.sqrt(wq.shape[-1]),
                                            bias=None if attention_bias is None else f64(attention_bias))
    output = np.tensordot(attended.transpose(0, 2, 1, 3), wo, axes=2) + bo  # [B, Tq, *out]
    return output, attention_weights
