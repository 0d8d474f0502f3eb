"""DotProductAttention: Luong attention, interchangeable with keras.layers.Attention."""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow._validation import check_choice, check_rate, check_seed, fail
from attnflow.layers._masking import check_batch_and_length, merge_attention_masks, zero_padded_queries
from attnflow.layers._output_spec import attention_weights_spec
from attnflow.ops import (causal_mask, combine_masks, dot_product_attention, general_scores, masked_softmax,
                          weighted_sum, weights_dropout)
from attnflow.ops.attention import IMPLEMENTATIONS

SCORES = ("dot", "general", "scaled_dot")


@keras.saving.register_keras_serializable(package="attnflow")
class DotProductAttention(keras.layers.Layer):
    """Luong-style dot-product attention over [B, T, D] sequences.

    Scores are q . k ("dot"), q W_a k ("general", with a learned W_a of shape
    [Dq, Dk]) or q . k / sqrt(D) ("scaled_dot"). "dot" and "scaled_dot" run
    in `attnflow.ops.dot_product_attention`; "general" takes its scores from
    `attnflow.ops.general_scores` and normalizes them with the kernel's
    masked softmax and dropout. With score="dot" the outputs
    and weights equal `keras.layers.Attention()`'s (except for a causal mask
    with Tq != Tk; see `use_causal_mask`), and the layer can be called the
    same way, on a list `[query, value]` or `[query, value, key]`.

    Args:
        score: "dot" (default), "general" or "scaled_dot".
        dropout: dropout rate on the attention weights (default 0.0).
        seed: seed of the dropout (default None).
        kernel_initializer: initializer of W_a for score="general"
            (default "glorot_uniform").
        implementation: kernel choice for `dot_product_attention` ("auto");
            score="general" materializes its scores, so "auto" or "full".

    Call arguments:
        query: [B, Tq, Dq], or a list [query, value] / [query, value, key].
        value: [B, Tk, Dv].
        key: [B, Tk, Dk] (default: value).
        query_mask: [B, Tq]; outputs of padded queries are 0 (weights are
            kept, as in keras.layers.Attention). Default: the Keras mask.
        value_mask, key_mask: [B, Tk]; padded keys get weight 0.
        attention_mask: [B, Tq, Tk], True = may attend.
        mask: a list [query_mask, value_mask], as keras.layers.Attention takes.
        use_causal_mask: apply a causal mask. attnflow aligns it to the
            bottom-right (query i sees keys 0 .. Tk - Tq + i); Keras aligns it
            to the top-left. The two agree when Tq == Tk.
        return_attention_scores: also return the weights (default False).
        training: whether dropout is applied.

    Returns:
        context [B, Tq, Dv], and with `return_attention_scores` the weights
        [B, Tq, Tk] (float32 under mixed precision).

    Example:
        >>> layer = DotProductAttention(score="scaled_dot")
        >>> q, v = keras.random.normal((2, 3, 8)), keras.random.normal((2, 4, 8))
        >>> context, weights = layer(q, v, return_attention_scores=True)
        >>> context.shape, weights.shape
        (TensorShape([2, 3, 8]), TensorShape([2, 3, 4]))
    """

    def __init__(self, score: str = "dot", dropout: float = 0.0, seed: int | None = None,
                 kernel_initializer="glorot_uniform", implementation: str = "auto", **kwargs):
        check_choice("score", score, SCORES)
        check_rate("dropout", dropout)
        check_seed(seed)
        check_choice("implementation", implementation, IMPLEMENTATIONS)
        if score == "general" and implementation == "chunked":
            fail('implementation="auto" or "full" with score="general" (its scores come from '
                 "ops.general_scores, materialized)", implementation=implementation)
        super().__init__(**kwargs)
        self.supports_masking = True
        self.score = score
        self.dropout = dropout
        self.seed = seed
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.implementation = implementation
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape = _unpack_shapes(query_shape, value_shape, key_shape)
        _check_shapes(query_shape, value_shape, key_shape)
        if self.score == "general":
            self.kernel = self.add_weight(
                name="kernel", shape=(query_shape[-1], key_shape[-1]),
                initializer=self.kernel_initializer)
        elif query_shape[-1] is not None and key_shape[-1] is not None and query_shape[-1] != key_shape[-1]:
            fail(f'query and key of the same depth with score="{self.score}" (or score="general")',
                 query_shape=tuple(query_shape), key_shape=tuple(key_shape))

    def call(self, query, value=None, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, mask=None, use_causal_mask=False,
             return_attention_scores=False, training=None):
        if isinstance(query, (list, tuple)):
            query, value, key = _unpack_inputs(query)
            if mask is not None:
                query_mask, value_mask = mask[0], mask[1]
        key = value if key is None else key
        # build() checked the first call's shapes; later calls may differ (static shapes: no cost).
        _check_shapes(query.shape, value.shape, key.shape)
        merged = merge_attention_masks(query=query, key=key, query_mask=query_mask,
                                       value_mask=value_mask, key_mask=key_mask,
                                       attention_mask=attention_mask, mask_queries=False)
        if self.score == "general":
            context, weights = self._general_attention(query, key, value, merged, use_causal_mask,
                                                       training)  # [B, Tq, Dv], [B, Tq, Tk]
        else:
            result = dot_product_attention(
                query[:, None], key[:, None], value[:, None], mask=merged,  # [B, 1, T, D]
                scale=None if self.score == "scaled_dot" else 1.0, is_causal=use_causal_mask,
                dropout_rate=self.dropout, training=bool(training), seed=self.seed_generator,
                return_weights=return_attention_scores, implementation=self.implementation)
            context, weights = result if return_attention_scores else (result, None)
            context = context[:, 0]  # [B, Tq, Dv]
            weights = None if weights is None else weights[:, 0]  # [B, Tq, Tk]
        context = zero_padded_queries(context, query_mask)  # [B, Tq, Dv]
        if return_attention_scores:
            return context, weights
        return context

    def _general_attention(self, query, key, value, mask, use_causal_mask, training):
        """Luong "general": softmax(q W_a k^T) v, the scores from `ops.general_scores`.

        mask: None or bool [B, 1, Tq, Tk]. Returns context [B, Tq, Dv] and
        weights [B, Tq, Tk], as the kernel would give them for q W_a and k.
        """
        if mask is not None:
            mask = mask[:, 0]  # [B, Tq, Tk]
        if use_causal_mask:
            mask = combine_masks(mask, causal_mask(tf.shape(query)[1], tf.shape(key)[1]))  # [.., Tq, Tk]
        scores = general_scores(query, key, self.kernel)  # [B, Tq, Tk]
        weights = masked_softmax(scores, mask)  # [B, Tq, Tk]
        dropped = weights_dropout(weights, self.dropout, self.seed_generator) if training else weights
        return weighted_sum(dropped, value), weights  # [B, Tq, Dv], [B, Tq, Tk]

    def compute_mask(self, query, previous_mask=None):
        if isinstance(previous_mask, (list, tuple)):
            return previous_mask[0]
        return previous_mask

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, _ = _unpack_shapes(query_shape, value_shape, key_shape)
        return (*query_shape[:-1], value_shape[-1])

    def compute_output_spec(self, query, value=None, key=None, return_attention_scores=False, **kwargs):
        if isinstance(query, (list, tuple)):
            query, value, key = _unpack_inputs(query)
        output = keras.KerasTensor(self.compute_output_shape(query.shape, value.shape),
                                   dtype=self.compute_dtype)
        if not return_attention_scores:
            return output
        return output, attention_weights_spec(self, (*query.shape[:-1], value.shape[1]))  # [B, Tq, Tk]

    def get_config(self):
        return {
            **super().get_config(),
            "score": self.score,
            "dropout": self.dropout,
            "seed": self.seed,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "implementation": self.implementation,
        }


def _unpack_inputs(inputs):
    if len(inputs) not in (2, 3):
        fail("a list [query, value] or [query, value, key]", inputs=f"a list of {len(inputs)}")
    query, value, key = (*inputs, None)[:3]
    return query, value, key


def _check_shapes(query_shape, value_shape, key_shape) -> None:
    """Names the user's tensors before the [B, 1, T, D] kernel sees them."""
    for name, shape, layout in (("query", query_shape, "[B, Tq, Dq]"), ("value", value_shape, "[B, Tk, Dv]"),
                                ("key", key_shape, "[B, Tk, Dk]")):
        if len(shape) != 3:
            fail(f"{name} of rank 3 {layout}", **{f"{name}_shape": tuple(shape)})
    check_batch_and_length(query_shape, value_shape, key_shape)


def _unpack_shapes(query_shape, value_shape, key_shape):
    if value_shape is None and query_shape and isinstance(query_shape[0], (list, tuple)):
        query_shape, value_shape, key_shape = _unpack_inputs(list(query_shape))
    if value_shape is None:
        fail("a value tensor", value=None)
    key_shape = value_shape if key_shape is None else key_shape
    return tuple(query_shape), tuple(value_shape), tuple(key_shape)
