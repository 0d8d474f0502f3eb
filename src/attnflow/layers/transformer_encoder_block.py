"""TransformerEncoderBlock: self-attention and a feed-forward network, each with a residual."""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow._validation import fail
from attnflow.layers._transformer_block import TransformerBlock


@keras.saving.register_keras_serializable(package="attnflow")
class TransformerEncoderBlock(TransformerBlock):
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

    def build(self, input_shape):
        if len(input_shape) != 3:
            fail("inputs of shape [B, T, D]", input_shape=tuple(input_shape))
        self.self_attention = self._attention(input_shape[-1], 0, "self_attention",
                                              input_shape, input_shape)
        self.attention_norm = self._norm("attention_norm", input_shape)
        self.feedforward_norm = self._norm("feedforward_norm", input_shape)
        self._build_feedforward(input_shape)
        self.attention_dropout_layer = self._dropout(1)
        self.feedforward_dropout_layer = self._dropout(2)

    def call(self, inputs, mask=None, attention_mask=None, return_attention_scores=False,
             training=None):
        if mask is None:  # Keras fills `mask` only when `inputs` is the one tensor argument.
            mask = getattr(inputs, "_keras_mask", None)
        x = tf.identity(inputs)  # [B, T, D], without the Keras mask
        x, weights = self._sublayer(
            x, lambda h: self.self_attention(
                h, h, query_mask=mask, value_mask=mask, attention_mask=attention_mask,
                return_attention_scores=True, training=training),  # [B, T, D], [B, H, T, T]
            self.attention_norm, self.attention_dropout_layer, training)
        x, _ = self._sublayer(x, self._feedforward, self.feedforward_norm,
                              self.feedforward_dropout_layer, training)  # [B, T, D]
        if return_attention_scores:
            return x, weights
        return x
