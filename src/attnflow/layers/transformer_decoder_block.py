"""TransformerDecoderBlock: causal self-attention, cross-attention (optional) and a feed-forward network."""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow._validation import fail
from attnflow.layers._transformer_block import TransformerBlock


@keras.saving.register_keras_serializable(package="attnflow")
class TransformerDecoderBlock(TransformerBlock):
    """One Transformer decoder layer (Vaswani et al., 2017).

    Three sub-layers, each with a residual and a LayerNormalization (after
    the residual, "post-norm", or before the sub-layer, `norm_first=True`):
    causal self-attention over the decoder inputs, cross-attention from the
    decoder positions to the encoder outputs (`context`), and a feed-forward
    network. Both attentions are `attnflow.layers.MultiHeadAttention`.

    Called without `context` (GPT-style, decoder-only), the block has no
    cross-attention: it is built without its weights and runs two sub-layers.
    A block is one or the other for good, fixed by its first call (or build).

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
        context: encoder outputs [B, Tk, Dc], or None (default) for a
            decoder-only block.
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
        self_attention_cache: for incremental decoding, the self-attention
            key/value cache from `init_cache(batch_size, max_length)` (or
            returned by the previous call); needs `cache_index`. Each call
            then attends over the cached positions and the new ones, so
            generating token t costs O(t), and the result equals the full
            causal pass (`inputs_mask` and `self_attention_mask` then cover
            the new tokens only: [B, Tn] and [B, Tn, cache_index + Tn]).
        cross_attention_cache: the encoder outputs projected once by
            `compute_cache(context)`; `context` is then not projected again.
        cache_index: how many tokens `self_attention_cache` already holds.

    Returns:
        outputs [B, Tq, D] (carrying the Keras mask of `inputs`), and with
        `return_attention_scores` also the self-attention weights
        [B, H, Tq, Tq] and the cross-attention weights [B, H, Tq, Tk] (None
        in a decoder-only block). When
        a cache is given, the caches come last: (self_attention_cache,
        cross_attention_cache), the first one updated (None where none was
        given).

    Example:
        >>> block = TransformerDecoderBlock(num_heads=2, intermediate_dim=32)
        >>> target, source = keras.random.normal((2, 3, 16)), keras.random.normal((2, 4, 16))
        >>> outputs, self_w, cross_w = block(target, source, return_attention_scores=True)
        >>> outputs.shape, self_w.shape, cross_w.shape
        (TensorShape([2, 3, 16]), TensorShape([2, 2, 3, 3]), TensorShape([2, 2, 3, 4]))

        Decoder-only (GPT-style): no context, no cross-attention weights:

        >>> gpt_block = TransformerDecoderBlock(num_heads=2, intermediate_dim=32)
        >>> gpt_block(target).shape
        TensorShape([2, 3, 16])

        Decoding one token at a time with the caches:

        >>> self_cache, cross_cache = block.init_cache(2, max_length=3), block.compute_cache(source)
        >>> for t in range(3):
        ...     step, self_cache, _ = block(target[:, t:t + 1], source, self_attention_cache=self_cache,
        ...                                 cross_attention_cache=cross_cache, cache_index=t)
        >>> step.shape  # equals outputs[:, 2:3] within 1e-5
        TensorShape([2, 1, 16])
    """

    def build(self, inputs_shape, context_shape=None):
        for name, shape in (("inputs", inputs_shape), ("context", context_shape)):
            if shape is not None and len(shape) != 3:
                fail(f"{name} of shape [B, T, D]", **{f"{name}_shape": tuple(shape)})
        model_dim = inputs_shape[-1]
        self.self_attention = self._attention(model_dim, 0, "self_attention", inputs_shape, inputs_shape)
        self.self_attention_norm = self._norm("self_attention_norm", inputs_shape)
        self.cross_attention = self.cross_attention_norm = None  # decoder-only
        if context_shape is not None:
            self.cross_attention = self._attention(model_dim, 1, "cross_attention", inputs_shape,
                                                   context_shape)
            self.cross_attention_norm = self._norm("cross_attention_norm", inputs_shape)
        self.feedforward_norm = self._norm("feedforward_norm", inputs_shape)
        self._build_feedforward(inputs_shape)
        self.dropout_layers = [self._dropout(2 + i) for i in range(3)]

    def init_cache(self, batch_size: int, max_length: int):
        """An empty self-attention key/value cache for `self_attention_cache`.

        Args:
            batch_size: B.
            max_length: L, the most tokens decoded.

        Returns:
            (key_cache [B, H, L, key_dim], value_cache [B, H, L, key_dim]).
        """
        self._check_built("init_cache")
        return self.self_attention.init_cache(batch_size, max_length)

    def compute_cache(self, context):
        """The encoder outputs projected once, for `cross_attention_cache`.

        Every decoding step then attends to the same projected memory instead
        of projecting `context` again. The block must be built first (call it
        once, or `build(inputs_shape, context_shape)`).

        Args:
            context: [B, Tk, Dc], the encoder outputs the block attends to
                (the `context` its calls take).

        Returns:
            (key_cache [B, H, Tk, key_dim], value_cache [B, H, Tk, key_dim]),
            to pass as `cross_attention_cache` with every step.
        """
        self._check_built("compute_cache")
        if self.cross_attention is None:
            fail("a block with cross-attention for compute_cache (this one was built without "
                 "context)", context=None)
        return self.cross_attention.compute_cache(context)

    def _check_built(self, method):
        if not self.built:
            fail(f"a built block before {method} (call it once, or build(inputs_shape, context_shape))",
                 built=False)

    def call(self, inputs, context=None, inputs_mask=None, context_mask=None,
             self_attention_mask=None, cross_attention_mask=None, use_causal_mask=True,
             return_attention_scores=False, training=None, self_attention_cache=None,
             cross_attention_cache=None, cache_index=None):
        if self_attention_cache is not None and cache_index is None:
            fail("cache_index (the tokens already in the cache) with self_attention_cache",
                 cache_index=None)
        self_cache_args = {} if self_attention_cache is None else {
            "cache": self_attention_cache, "cache_index": cache_index}
        if (context is None) != (self.cross_attention is None):
            fail("context exactly when the block was built with it (built "
                 f"{'with' if self.cross_attention is not None else 'without'} cross-attention)",
                 context=None if context is None else tuple(context.shape))
        if context is None and cross_attention_cache is not None:
            fail("no cross_attention_cache in a decoder-only block (called without context)",
                 cross_attention_cache=type(cross_attention_cache).__name__)
        x = tf.identity(inputs)  # [B, Tq, D], without the Keras mask
        x, self_result = self._sublayer(
            x, lambda h: self._attend(self.self_attention(
                h, h, query_mask=inputs_mask, value_mask=inputs_mask,
                attention_mask=self_attention_mask, use_causal_mask=use_causal_mask,
                return_attention_scores=True, training=training,
                **self_cache_args)),  # [B, Tq, D], ([B, H, Tq, Tq], cache)
            self.self_attention_norm, self.dropout_layers[0], training)
        cross_result = (None, None)
        if context is not None:
            x, cross_result = self._cross_attention(x, context, inputs_mask, context_mask,
                                                    cross_attention_mask, training,
                                                    cross_attention_cache)
        x, _ = self._sublayer(x, self._feedforward, self.feedforward_norm,
                              self.dropout_layers[2], training)  # [B, Tq, D]
        outputs = (x,)
        if return_attention_scores:
            outputs += (self_result[0], cross_result[0])
        if self_attention_cache is not None or cross_attention_cache is not None:
            outputs += (self_result[1], cross_result[1])
        return outputs if len(outputs) > 1 else x

    def _cross_attention(self, x, context, inputs_mask, context_mask, attention_mask, training,
                         cache):
        cache_args = {} if cache is None else {"cache": cache}
        context = tf.identity(context)  # [B, Tk, Dc], without the Keras mask
        return self._sublayer(
            x, lambda h: self._attend(self.cross_attention(
                h, context, query_mask=inputs_mask, value_mask=context_mask,
                attention_mask=attention_mask, return_attention_scores=True,
                training=training, **cache_args)),  # [B, Tq, D], ([B, H, Tq, Tk], cache)
            self.cross_attention_norm, self.dropout_layers[1], training)

    @staticmethod
    def _attend(result):
        """(output, weights[, cache]) -> (output, (weights, cache or None))."""
        return result[0], (result[1], result[2] if len(result) > 2 else None)

