"""MaskedPooling: one vector per sequence, ignoring padded positions."""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow._validation import check_choice, check_positive_int, fail
from attnflow.layers._masking import as_padding_mask
from attnflow.layers.bahdanau_attention import BahdanauAttention
from attnflow.ops.weights import softmax_dtype

MODES = ("mean", "attention")


@keras.saving.register_keras_serializable(package="attnflow")
class MaskedPooling(keras.layers.Layer):
    """Pools a sequence [B, T, D] into [B, D] over its real positions only.

    "mean" averages the unpadded positions (a row with none gives 0).
    "attention" is the attention pooling of Yang et al. (2016): a learned
    query vector attends to the sequence through
    `attnflow.layers.BahdanauAttention`, score_t = v^T tanh(W1 x_t + W2 q),
    and the output is the weighted sum of the x_t.

    Args:
        mode: "mean" (default) or "attention".
        attention_units: hidden size of the attention score network
            (default: the input dimension D).

    Call arguments:
        inputs: [B, T, D].
        mask: [B, T] (or broadcastable to it, e.g. [1, T]), True at real
            positions; default: the Keras mask.
        return_attention_scores: also return the pooling weights (default
            False).

    Returns:
        pooled [B, D], and with `return_attention_scores` the weights [B, T]
        of each position in the pooled vector (for "mean", 1 / length at
        real positions), float32 under mixed precision.

    Example:
        >>> pooling = MaskedPooling("mean")
        >>> x = tf.constant([[[1.0], [3.0], [100.0]]])
        >>> pooling(x, mask=tf.constant([[True, True, False]])).numpy().tolist()
        [[2.0]]
    """

    def __init__(self, mode: str = "mean", attention_units: int | None = None, **kwargs):
        check_choice("mode", mode, MODES)
        check_positive_int("attention_units", attention_units, allow_none=True)
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mode = mode
        self.attention_units = attention_units

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            fail("inputs of shape [B, T, D] with a known D", input_shape=tuple(input_shape))
        if self.mode == "attention":
            model_dim = input_shape[-1]
            self.query = self.add_weight(name="query", shape=(model_dim,),
                                         initializer="glorot_uniform")
            self.attention = BahdanauAttention(self.attention_units or model_dim,
                                               dtype=self.dtype_policy, name="attention")
            self.attention.build((input_shape[0], model_dim), input_shape)

    def call(self, inputs, mask=None, return_attention_scores=False):
        inputs = tf.identity(inputs)  # [B, T, D], without the Keras mask
        if mask is None:
            mask = tf.ones(tf.shape(inputs)[:2], tf.bool)  # [B, T]
        else:
            mask = as_padding_mask(mask, "mask", inputs.shape[0], inputs.shape[1])
            mask = tf.broadcast_to(mask, tf.shape(inputs)[:2])  # [B, T]
        if self.mode == "mean":
            # In the attention weights' dtype, as the "attention" mode's (float32 under mixed precision).
            weights = self._uniform_weights(mask, softmax_dtype(inputs.dtype))  # [B, T]
            pooled = tf.einsum("bt,btd->bd", tf.cast(weights, inputs.dtype), inputs)  # [B, D]
        else:
            query = tf.broadcast_to(tf.cast(self.query, inputs.dtype),
                                    tf.shape(inputs[:, 0]))  # [B, D]
            pooled, weights = self.attention(query, inputs, value_mask=mask,
                                             return_attention_scores=True)  # [B, D], [B, T]
        if return_attention_scores:
            return pooled, weights
        return pooled

    @staticmethod
    def _uniform_weights(mask, dtype):
        """1 / length at real positions, 0 elsewhere (and everywhere when length is 0)."""
        real = tf.cast(mask, dtype)  # [B, T]
        lengths = tf.reduce_sum(real, axis=1, keepdims=True)  # [B, 1]
        return tf.math.divide_no_nan(real, lengths)  # [B, T]

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "mode": self.mode,
                "attention_units": self.attention_units}
