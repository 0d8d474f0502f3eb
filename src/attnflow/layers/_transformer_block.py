"""What the Transformer encoder and decoder blocks share: settings, checks and sub-layers."""

from __future__ import annotations

import keras

from attnflow._validation import check_positive_int, check_rate, check_seed, fail
from attnflow.layers._initializers import fresh_initializer
from attnflow.layers.multi_head_attention import MultiHeadAttention
from attnflow.ops.attention import IMPLEMENTATIONS


def head_size(model_dim, num_heads, key_dim):
    """key_dim, or model_dim / num_heads when key_dim is None."""
    if key_dim is not None:
        return key_dim
    if model_dim is None or model_dim % num_heads:
        fail(f"a model dimension divisible by num_heads={num_heads} (or an explicit key_dim)",
             model_dim=model_dim)
    return model_dim // num_heads


def derived_seed(seed, offset):
    """A distinct seed per sub-layer, so that dropout masks differ between them."""
    return None if seed is None else seed + offset


class TransformerBlock(keras.layers.Layer):
    """Base of `TransformerEncoderBlock` and `TransformerDecoderBlock`.

    Holds their common arguments (see those classes), builds their
    sub-layers (attention, LayerNormalization, feed-forward network, dropout)
    and applies a sub-layer with its residual in pre- or post-norm order.
    """

    def __init__(self, num_heads: int, intermediate_dim: int, key_dim: int | None = None,
                 dropout: float = 0.0, attention_dropout: float = 0.0, activation="relu",
                 norm_first: bool = False, layer_norm_epsilon: float = 1e-5,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 seed: int | None = None, implementation: str = "auto", **kwargs):
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

    def _attention(self, model_dim, seed_offset, name, query_shape, value_shape):
        """A built attnflow MultiHeadAttention sub-layer."""
        attention = MultiHeadAttention(
            self.num_heads, head_size(model_dim, self.num_heads, self.key_dim),
            dropout=self.attention_dropout, seed=derived_seed(self.seed, seed_offset),
            implementation=self.implementation, **self._initializers(),
            dtype=self.dtype_policy, name=name)
        attention.build(query_shape, value_shape)
        return attention

    def _build_feedforward(self, input_shape):
        """The feed-forward network: Dense(intermediate_dim, activation) -> Dense(model dim)."""
        self.intermediate_dense = keras.layers.Dense(
            self.intermediate_dim, activation=self.activation, **self._initializers(),
            dtype=self.dtype_policy, name="intermediate_dense")
        self.intermediate_dense.build(input_shape)
        self.output_dense = keras.layers.Dense(
            input_shape[-1], **self._initializers(), dtype=self.dtype_policy, name="output_dense")
        self.output_dense.build((*input_shape[:-1], self.intermediate_dim))

    def _feedforward(self, x):
        return self.output_dense(self.intermediate_dense(x)), None  # [B, T, F] -> [B, T, D]

    def _dropout(self, seed_offset):
        return keras.layers.Dropout(self.dropout, seed=derived_seed(self.seed, seed_offset),
                                    dtype=self.dtype_policy)

    def _initializers(self) -> dict:
        """A new copy of each initializer per sub-layer (see `fresh_initializer`)."""
        return {"kernel_initializer": fresh_initializer(self.kernel_initializer),
                "bias_initializer": fresh_initializer(self.bias_initializer)}

    def _norm(self, name, input_shape):
        norm = keras.layers.LayerNormalization(epsilon=self.layer_norm_epsilon,
                                               dtype=self.dtype_policy, name=name)
        norm.build(input_shape)
        return norm

    def _sublayer(self, x, function, norm, dropout, training):
        """x + Dropout(function(x)), normalized before (pre-norm) or after (post-norm).

        `function` returns (output, extra); returns (new x, extra).
        """
        residual = x
        if self.norm_first:
            x = norm(x)
        x, extra = function(x)
        x = residual + dropout(x, training=training)
        if not self.norm_first:
            x = norm(x)
        return x, extra

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
