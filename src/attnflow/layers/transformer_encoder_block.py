"""TransformerEncoderBlock: self-attention and a feed-forward network, each with a residual."""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow._validation import check_positive_int, check_rate, check_seed, fail
from attnflow.layers.multi_head_attention import MultiHeadAttention
from attnflow.ops.attention import IMPLEMENTATIONS


def check_block_args(num_heads, intermediate_dim, key_dim, dropout, attention_dropout,
                     layer_norm_epsilon, seed, implementation) -> None:
    """Argument checks shared by the encoder and decoder blocks."""
    check_positive_int("num_heads", num_heads)
    check_positive_int("intermediate_dim", intermediate_dim)
    check_positive_int("key_dim", key_dim, allow_none=True)
    check_rate("dropout", dropout)
    check_rate("attention_dropout", attention_dropout)
    if isinstance(layer_norm_epsilon, bool) or not isinstance(layer_norm_epsilon, (int, float)) \
            or layer_norm_epsilon <= 0:
        fail("layer_norm_epsilon > 0", layer_norm_epsilon=layer_norm_epsilon)
    check_seed(seed)
    if implementation not in IMPLEMENTATIONS:
        fail(f"implementation to be one of {IMPLEMENTATIONS}", implementation=implementation)


def head_size(model_dim, num_heads, key_dim):
    """key_dim, or model_dim / num_heads when key_dim is None."""
    if key_dim is not None:
        return key_dim
    if model_dim is None or model_dim % num_heads:
        fail(f"a model dimension divisible by num_heads={num_heads} (or an explicit key_dim)",
             model_dim=model_dim)
    return model_dim // num_heads


def fresh_initializers(kernel_initializer, bias_initializer) -> dict:
    """New initializer objects per sub-layer, so seeded ones do not repeat values."""
    return {
        "kernel_initializer": kernel_initializer.__class__.from_config(kernel_initializer.get_config()),
        "bias_initializer": bias_initializer.__class__.from_config(bias_initializer.get_config()),
    }


def derived_seed(seed, offset):
    """A distinct seed per sub-layer, so that dropout masks differ between them."""
    return None if seed is None else seed + offset


@keras.saving.register_keras_serializable(package="attnflow")
class TransformerEncoderBlock(keras.layers.Layer):
    """One Transformer encoder layer (Vaswani et al., 2017).

    x -> x + Dropout(MultiHeadAttention(x, x)) -> x + Dropout(FFN(x)), with a
    LayerNormalization after each residual ("post-norm", the original) or
    before each sub-layer ("pre-norm", `norm_first=True`, steadier to train
    deep). The attention is `attnflow.layers.MultiHeadAttention`; padded
    positions are never attended to.

    Args:
        num_heads: number of attention heads H.
        intermediate_dim: hidden size of the feed-forward network.
        key_dim: size of each head (default: model dim / num_heads).
        dropout: dropout after attention and feed-forward (default 0.0).
        attention_dropout: dropout on the attention weights (default 0.0).
        activation: of the feed-forward hidden layer (default "relu").
        norm_first: pre-norm when True, post-norm when False (default False).
        layer_norm_epsilon: of both LayerNormalizations (default 1e-5).
        kernel_initializer: of every projection (default "glorot_uniform").
        bias_initializer: of every projection (default "zeros").
        seed: seed of the dropouts (default None).
        implementation: attention kernel, "auto" (default), "full" or "chunked".

    Call arguments:
        inputs: [B, T, D].
        mask: padding mask [B, T], True at real positions; default: the
            Keras mask of `inputs` (e.g. from `Embedding(mask_zero=True)`).
        attention_mask: [B, T, T] or [B, H, T, T], True = may attend,
            combined with the padding mask.
        return_attention_scores: also return the weights (default False).
        training: whether dropout is applied.

    Returns:
        outputs [B, T, D] (carrying the Keras mask), and with
        `return_attention_scores` the weights [B, H, T, T].

    Example:
        >>> block = TransformerEncoderBlock(num_heads=2, intermediate_dim=32)
        >>> x = keras.random.normal((2, 5, 16))
        >>> outputs, weights = block(x, return_attention_scores=True)
        >>> outputs.shape, weights.shape
        (TensorShape([2, 5, 16]), TensorShape([2, 2, 5, 5]))
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

    def build(self, input_shape):
        if len(input_shape) != 3:
            fail("inputs of shape [B, T, D]", input_shape=tuple(input_shape))
        model_dim = input_shape[-1]
        self.self_attention = MultiHeadAttention(
            self.num_heads, head_size(model_dim, self.num_heads, self.key_dim),
            dropout=self.attention_dropout, seed=derived_seed(self.seed, 0),
            implementation=self.implementation, **self._initializers(),
            dtype=self.dtype_policy, name="self_attention")
        self.self_attention.build(input_shape, input_shape)
        self.attention_norm = self._norm("attention_norm", input_shape)
        self.feedforward_norm = self._norm("feedforward_norm", input_shape)
        self.intermediate_dense = keras.layers.Dense(
            self.intermediate_dim, activation=self.activation, **self._initializers(),
            dtype=self.dtype_policy, name="intermediate_dense")
        self.intermediate_dense.build(input_shape)
        self.output_dense = keras.layers.Dense(
            model_dim, **self._initializers(), dtype=self.dtype_policy, name="output_dense")
        self.output_dense.build((*input_shape[:-1], self.intermediate_dim))
        self.attention_dropout_layer = keras.layers.Dropout(
            self.dropout, seed=derived_seed(self.seed, 1), dtype=self.dtype_policy)
        self.feedforward_dropout_layer = keras.layers.Dropout(
            self.dropout, seed=derived_seed(self.seed, 2), dtype=self.dtype_policy)

    def _initializers(self):
        return fresh_initializers(self.kernel_initializer, self.bias_initializer)

    def _norm(self, name, input_shape):
        norm = keras.layers.LayerNormalization(epsilon=self.layer_norm_epsilon,
                                               dtype=self.dtype_policy, name=name)
        norm.build(input_shape)
        return norm

    def call(self, inputs, mask=None, attention_mask=None, return_attention_scores=False,
             training=None):
        if mask is None:  # Keras fills `mask` only when `inputs` is the one tensor argument.
            mask = getattr(inputs, "_keras_mask", None)
        x = tf.identity(inputs)  # [B, T, D], without the Keras mask
        residual = x
        if self.norm_first:
            x = self.attention_norm(x)
        attended, weights = self.self_attention(
            x, x, query_mask=mask, value_mask=mask, attention_mask=attention_mask,
            return_attention_scores=True, training=training)  # [B, T, D], [B, H, T, T]
        x = residual + self.attention_dropout_layer(attended, training=training)
        if not self.norm_first:
            x = self.attention_norm(x)
        residual = x
        if self.norm_first:
            x = self.feedforward_norm(x)
        x = self.output_dense(self.intermediate_dense(x))  # [B, T, F] -> [B, T, D]
        x = residual + self.feedforward_dropout_layer(x, training=training)
        if not self.norm_first:
            x = self.feedforward_norm(x)
        if return_attention_scores:
            return x, weights
        return x

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
