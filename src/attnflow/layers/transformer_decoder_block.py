"""TransformerDecoderBlock: causal self-attention, cross-attention and a feed-forward network."""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow._validation import fail
from attnflow.layers.multi_head_attention import MultiHeadAttention
from attnflow.layers.transformer_encoder_block import (
    check_block_args, derived_seed, fresh_initializers, head_size)


@keras.saving.register_keras_serializable(package="attnflow")
class TransformerDecoderBlock(keras.layers.Layer):
    """One Transformer decoder layer (Vaswani et al., 2017).

    Three sub-layers, each with a residual and a LayerNormalization (after
    the residual, "post-norm", or before the sub-layer, `norm_first=True`):
    causal self-attention over the decoder inputs, cross-attention from the
    decoder positions to the encoder outputs (`context`), and a feed-forward
    network. Both attentions are `attnflow.layers.MultiHeadAttention`.

    Args:
        num_heads: number of attention heads H (both attentions).
        intermediate_dim: hidden size of the feed-forward network.
        key_dim: size of each head (default: model dim / num_heads).
        dropout: dropout after each sub-layer (default 0.0).
        attention_dropout: dropout on the attention weights (default 0.0).
        activation: of the feed-forward hidden layer (default "relu").
        norm_first: pre-norm when True, post-norm when False (default False).
        layer_norm_epsilon: of the LayerNormalizations (default 1e-5).
        kernel_initializer: of every projection (default "glorot_uniform").
        bias_initializer: of every projection (default "zeros").
        seed: seed of the dropouts (default None).
        implementation: attention kernel, "auto" (default), "full" or "chunked".

    Call arguments:
        inputs: decoder sequence [B, Tq, D].
        context: encoder outputs [B, Tk, Dc].
        inputs_mask: [B, Tq], True at real decoder positions; default: the
            Keras mask of `inputs`.
        context_mask: [B, Tk], True at real encoder positions; default: the
            Keras mask of `context`.
        self_attention_mask: [B, Tq, Tq] or [B, H, Tq, Tq], True = may attend.
        cross_attention_mask: [B, Tq, Tk] or [B, H, Tq, Tk], True = may attend.
        use_causal_mask: whether position i of `inputs` sees only positions
            0 .. i in self-attention (default True).
        return_attention_scores: also return both weights (default False).
        training: whether dropout is applied.

    Returns:
        outputs [B, Tq, D] (carrying the Keras mask of `inputs`), and with
        `return_attention_scores` also the self-attention weights
        [B, H, Tq, Tq] and the cross-attention weights [B, H, Tq, Tk].

    Example:
        >>> block = TransformerDecoderBlock(num_heads=2, intermediate_dim=32)
        >>> target, source = keras.random.normal((2, 3, 16)), keras.random.normal((2, 4, 16))
        >>> outputs, self_w, cross_w = block(target, source, return_attention_scores=True)
        >>> outputs.shape, self_w.shape, cross_w.shape
        (TensorShape([2, 3, 16]), TensorShape([2, 2, 3, 3]), TensorShape([2, 2, 3, 4]))
    """

    def __init__(self, num_heads: int, intermediate_dim: int, key_dim: int | None = None,
                 dropout: float = 0.0, attention_dropout: float = 0.0, activation="relu",
                 norm_first: bool = False, layer_norm_epsilon: float = 1e-5,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 seed: int | None = None, implementation: str = "auto", **kwargs):
        check_block_args(num_heads, intermediate_dim, key_dim, dropout, attention_dropout,
                         layer_norm_epsilon, seed, implementation)
        super().__init__(**kwargs)
        self.supports_masking = True
        self.num_heads = num_heads
        self.intermediate_dim = intermediate_dim
        self.key_dim = key_dim
        self.dropout = dropout
        self.attention_dropout = attention_dropout
        self.activation = keras.activations.get(activation)
        self.norm_first = norm_first
        self.layer_norm_epsilon = layer_norm_epsilon
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.seed = seed
        self.implementation = implementation

    def build(self, inputs_shape, context_shape):
        for name, shape in (("inputs", inputs_shape), ("context", context_shape)):
            if len(shape) != 3:
                fail(f"{name} of shape [B, T, D]", **{f"{name}_shape": tuple(shape)})
        model_dim = inputs_shape[-1]
        heads = head_size(model_dim, self.num_heads, self.key_dim)
        self.self_attention = self._attention(heads, 0, "self_attention")
        self.self_attention.build(inputs_shape, inputs_shape)
        self.cross_attention = self._attention(heads, 1, "cross_attention")
        self.cross_attention.build(inputs_shape, context_shape)
        self.self_attention_norm = self._norm("self_attention_norm", inputs_shape)
        self.cross_attention_norm = self._norm("cross_attention_norm", inputs_shape)
        self.feedforward_norm = self._norm("feedforward_norm", inputs_shape)
        self.intermediate_dense = keras.layers.Dense(
            self.intermediate_dim, activation=self.activation, **self._initializers(),
            dtype=self.dtype_policy, name="intermediate_dense")
        self.intermediate_dense.build(inputs_shape)
        self.output_dense = keras.layers.Dense(
            model_dim, **self._initializers(), dtype=self.dtype_policy, name="output_dense")
        self.output_dense.build((*inputs_shape[:-1], self.intermediate_dim))
        self.dropout_layers = [keras.layers.Dropout(
            self.dropout, seed=derived_seed(self.seed, 2 + i), dtype=self.dtype_policy)
                               for i in range(3)]

    def _attention(self, key_dim, offset, name):
        return MultiHeadAttention(
            self.num_heads, key_dim, dropout=self.attention_dropout,
            seed=derived_seed(self.seed, offset), implementation=self.implementation,
            **self._initializers(), dtype=self.dtype_policy, name=name)

    def _initializers(self):
        return fresh_initializers(self.kernel_initializer, self.bias_initializer)

    def _norm(self, name, input_shape):
        norm = keras.layers.LayerNormalization(epsilon=self.layer_norm_epsilon,
                                               dtype=self.dtype_policy, name=name)
        norm.build(input_shape)
        return norm

    def call(self, inputs, context, inputs_mask=None, context_mask=None,
             self_attention_mask=None, cross_attention_mask=None, use_causal_mask=True,
             return_attention_scores=False, training=None):
        x = tf.identity(inputs)  # [B, Tq, D], without the Keras mask
        context = tf.identity(context)  # [B, Tk, Dc]
        x, self_weights = self._sublayer(
            x, 0, self.self_attention_norm,
            lambda h: self.self_attention(
                h, h, query_mask=inputs_mask, value_mask=inputs_mask,
                attention_mask=self_attention_mask, use_causal_mask=use_causal_mask,
                return_attention_scores=True, training=training),  # [B, Tq, D], [B, H, Tq, Tq]
            training)
        x, cross_weights = self._sublayer(
            x, 1, self.cross_attention_norm,
            lambda h: self.cross_attention(
                h, context, query_mask=inputs_mask, value_mask=context_mask,
                attention_mask=cross_attention_mask, return_attention_scores=True,
                training=training),  # [B, Tq, D], [B, H, Tq, Tk]
            training)
        x, _ = self._sublayer(
            x, 2, self.feedforward_norm,
            lambda h: (self.output_dense(self.intermediate_dense(h)), None),  # [B, Tq, D]
            training)
        if return_attention_scores:
            return x, self_weights, cross_weights
        return x

    def _sublayer(self, x, index, norm, function, training):
        """x + Dropout(function(x)), normalized before (pre-norm) or after (post-norm)."""
        residual = x
        if self.norm_first:
            x = norm(x)
        x, weights = function(x)
        x = residual + self.dropout_layers[index](x, training=training)
        if not self.norm_first:
            x = norm(x)
        return x, weights

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "intermediate_dim": self.intermediate_dim,
            "key_dim": self.key_dim,
            "dropout": self.dropout,
            "attention_dropout": self.attention_dropout,
            "activation": keras.activations.serialize(self.activation),
            "norm_first": self.norm_first,
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "seed": self.seed,
            "implementation": self.implementation,
        }
