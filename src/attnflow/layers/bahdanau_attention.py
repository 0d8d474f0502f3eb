"""BahdanauAttention: additive attention, score = v^T tanh(W1 keys + W2 query)."""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow._validation import check_positive_int, check_rate, check_seed, fail
from attnflow.layers._initializers import fresh_initializer
from attnflow.layers._masking import check_batch_and_length, merge_attention_masks, zero_padded_queries
from attnflow.layers._output_spec import attention_weights_spec
from attnflow.ops import additive_scores, causal_mask, combine_masks, masked_softmax, weighted_sum, weights_dropout


@keras.saving.register_keras_serializable(package="attnflow")
class BahdanauAttention(keras.layers.Layer):
    """Additive attention (Bahdanau, Cho & Bengio, 2015).

    score(q, k) = v^T tanh(W1 k + W2 q), with learned W1 [Dk, units],
    W2 [Dq, units] and v [units]. The query may be one decoder state per
    batch element, [B, Dq], or a sequence, [B, Tq, Dq].

    Args:
        units: size of the hidden layer of the score network.
        dropout: dropout rate on the attention weights (default 0.0), the
            kernel's (`attnflow.ops.weights_dropout`).
        use_bias: whether W1 and W2 have biases (default True).
        kernel_initializer: for W1, W2 and v (default "glorot_uniform").
        bias_initializer: for the biases (default "zeros").
        seed: seed of the dropout (default None).

    Call arguments:
        query: [B, Dq] or [B, Tq, Dq].
        value: [B, Tk, Dv], e.g. the encoder outputs.
        key: [B, Tk, Dk] (default: value).
        query_mask: [B, Tq]; outputs of padded queries are 0.
        value_mask, key_mask: [B, Tk]; default: the Keras masks of value and key
            (so an `Embedding(mask_zero=True)` upstream is honoured).
        attention_mask: [B, Tq, Tk] (or [B, Tk] with a [B, Dq] query).
        use_causal_mask: causal mask aligned to the bottom-right.
        return_attention_scores: also return the weights (default False).
        training: whether dropout is applied.

    Returns:
        context [B, Dv] for a [B, Dq] query, [B, Tq, Dv] otherwise; with
        `return_attention_scores` also the weights, [B, Tk] or [B, Tq, Tk]
        (float32 under mixed precision).

    Example:
        >>> layer = BahdanauAttention(units=16)
        >>> state, encoded = keras.random.normal((2, 8)), keras.random.normal((2, 5, 8))
        >>> context, weights = layer(state, encoded, return_attention_scores=True)
        >>> context.shape, weights.shape
        (TensorShape([2, 8]), TensorShape([2, 5]))
    """

    def __init__(self, units: int, dropout: float = 0.0, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 seed: int | None = None, **kwargs):
        check_positive_int("units", units)
        check_rate("dropout", dropout)
        check_seed(seed)
        super().__init__(**kwargs)
        self.supports_masking = True
        self.units = units
        self.dropout = dropout
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        if len(query_shape) not in (2, 3):
            fail("query of shape [B, Dq] or [B, Tq, Dq]", query_shape=tuple(query_shape))
        for name, shape in (("value", value_shape), ("key", key_shape)):
            if len(shape) != 3:
                fail(f"{name} of shape [B, Tk, D]", **{f"{name}_shape": tuple(shape)})
        check_batch_and_length(query_shape, value_shape, key_shape)
        self.key_dense = self._dense("key_projection")  # W1
        self.key_dense.build(key_shape)
        self.query_dense = self._dense("query_projection")  # W2
        self.query_dense.build(query_shape)
        self.attention_vector = self.add_weight(  # v
            name="attention_vector", shape=(self.units,),
            initializer=fresh_initializer(self.kernel_initializer))

    def _dense(self, name):
        return keras.layers.Dense(
            self.units, use_bias=self.use_bias, name=name, dtype=self.dtype_policy,
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            bias_initializer=fresh_initializer(self.bias_initializer))

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, use_causal_mask=False, return_attention_scores=False,
             training=None):
        key = value if key is None else key
        # build() checked the first call's shapes; later calls may differ (static shapes: no cost).
        check_batch_and_length(query.shape, value.shape, key.shape)
        single_query = len(query.shape) == 2
        if single_query:
            query = query[:, None, :]  # [B, 1, Dq]
            if attention_mask is not None and len(attention_mask.shape) == 2:
                attention_mask = attention_mask[:, None, :]  # [B, 1, Tk]
        mask = merge_attention_masks(query=query, key=key, query_mask=query_mask,
                                     value_mask=value_mask, key_mask=key_mask,
                                     attention_mask=attention_mask, mask_queries=False)
        if mask is not None:
            mask = mask[:, 0]  # [B, Tq|1, Tk]
        if use_causal_mask:
            mask = combine_masks(mask, causal_mask(tf.shape(query)[1], tf.shape(key)[1]))
        keys = self.key_dense(tf.identity(key))  # [B, Tk, units]
        queries = self.query_dense(tf.identity(query))  # [B, Tq, units]
        scores = additive_scores(queries, keys, self.attention_vector)  # [B, Tq, Tk]
        weights = masked_softmax(scores, mask)  # [B, Tq, Tk]
        # The kernel's dropout: the entries DotProductAttention would drop for the same seed.
        dropped = weights_dropout(weights, self.dropout, self.seed_generator) if training else weights
        context = weighted_sum(dropped, value)  # [B, Tq, Dv]
        context = zero_padded_queries(context, query_mask)
        if single_query:
            context, weights = context[:, 0], weights[:, 0]  # [B, Dv], [B, Tk]
        if return_attention_scores:
            return context, weights
        return context

    def compute_mask(self, query, previous_mask=None):
        if len(query.shape) == 2:
            return None
        return previous_mask

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        return (*query_shape[:-1], value_shape[-1])

    def compute_output_spec(self, query, value, key=None, return_attention_scores=False, **kwargs):
        output = keras.KerasTensor(self.compute_output_shape(query.shape, value.shape),
                                   dtype=self.compute_dtype)
        if not return_attention_scores:
            return output
        return output, attention_weights_spec(self, (*query.shape[:-1], value.shape[1]))  # [B, (Tq,) Tk]

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "seed": self.seed,
        }
