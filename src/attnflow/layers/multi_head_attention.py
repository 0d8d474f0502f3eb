"""MultiHeadAttention: a drop-in for `keras.layers.MultiHeadAttention`."""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from attnflow._validation import check_positive_int, fail
from attnflow.layers._head_projection import HeadProjection
from attnflow.layers._initializers import fresh_initializer
from attnflow.layers._kv_cache import check_cache, check_cache_index, prefix_with_true, write_cache
from attnflow.layers._masking import merge_attention_masks
from attnflow.layers._mha_arguments import check_arguments
from attnflow.layers._output_spec import attention_weights_spec
from attnflow.ops import combine_masks, dot_product_attention, sliding_window_mask


@keras.saving.register_keras_serializable(package="attnflow")
class MultiHeadAttention(keras.layers.Layer):
    """Multi-head attention (Vaswani et al., 2017) on attnflow's kernel.

    Takes the constructor and call arguments of `keras.layers.MultiHeadAttention`
    and holds weights of the same shapes in the same order (query, key, value
    and output projections, each kernel then bias), so
    `ours.set_weights(theirs.get_weights())` gives the same outputs. The
    attention itself runs in `attnflow.ops.dot_product_attention`
    ([B, H, T, D] layout, masked softmax in float32, chunked on long inputs).

    Args:
        num_heads: number of attention heads H.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default: key_dim).
        dropout: dropout rate on the attention weights (default 0.0).
        use_bias: whether the projections use biases (default True).
        output_shape: last dimension(s) of the output (default: the query's
            last dimension).
        attention_axes: only None (attend over axis 1 of [B, T, dim] inputs)
            is supported.
        sliding_window: None (default: full attention) or a positive int w:
            each query attends only to keys within w - 1 positions of its
            own. Query i sits at key position Tk - Tq + i (bottom-right, as
            the causal mask), so with Tq != Tk the band differs from
            Keras's, which puts query i at key position i; the two agree
            when Tq == Tk. Composes with `use_causal_mask` and the cache.
        flash_attention: None (default) or False; attnflow's own kernel runs
            either way (choose it with `implementation`). True is rejected:
            attnflow has no flash-attention kernel.
        kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: as in `keras.layers.Dense`, for every projection.
        use_gate: as in Keras (default False): when True the attention
            output is multiplied by sigmoid(query projection) [B, Tq, H,
            value_dim] before the output projection (the gate's weights sit
            between the key and value projections, as in Keras).
        seed: seed of the dropout (default None).
        implementation: kernel choice passed to `dot_product_attention`:
            "auto" (default), "full" or "chunked".

    Call arguments:
        query: [B, Tq, dim].
        value: [B, Tk, dim_v].
        key: [B, Tk, dim_k] (default: value).
        query_mask: [B, Tq] bool; default: the Keras mask of `query`.
            Padded query rows attend to nothing.
        value_mask, key_mask: [B, Tk] bool; default: the Keras masks.
        attention_mask: [B, Tq, Tk] or [B, H, Tq, Tk], True = may attend.
        attention_bias: optional float tensor broadcastable to
            [B, H, Tq, Tk], added to the scaled scores before masking (a
            learned relative-position or lag bias, as in T5 or ALiBi).
        return_attention_scores: also return the weights (default False).
        training: whether dropout is applied.
        use_causal_mask: apply a causal mask. attnflow aligns it to the
            bottom-right (query i sees keys 0 .. Tk - Tq + i); Keras aligns it
            to the top-left. The two agree when Tq == Tk.
        cache: a (key_cache [B, H, L, key_dim], value_cache [B, H, L,
            value_dim]) pair of projected keys and values, from
            `init_cache(batch_size, max_length)` (decoding) or
            `compute_cache(memory)` (a fixed cross-attention memory).
            Default None: no cache.
        cache_index: with a cache from `init_cache`, how many tokens it
            already holds (int or scalar int tensor). The Tn new tokens in
            `value`/`key` are projected, written at positions
            cache_index .. cache_index + Tn - 1, and the query attends to
            the first cache_index + Tn positions (with `use_causal_mask`,
            query i sees positions 0 .. cache_index + i, which is the full
            pass's causal mask for those rows). A step therefore costs O(t),
            not O(t^2). None (default): the cache is a fixed memory from
            `compute_cache`; it is attended to whole and `value`/`key` are
            not used. With a cache, `value_mask`/`key_mask` cover only the
            new tokens (earlier positions count as valid) and
            `attention_mask` is [B, Tq, T] over the T attended positions.

    Returns:
        output [B, Tq, output_shape], and with `return_attention_scores`
        the weights [B, H, Tq, Tk] (float32 under mixed precision). With a
        cache, the updated cache (a new pair; the old one is unchanged)
        comes last: `(output, cache)` or `(output, weights, cache)`.

    Example:
        >>> layer = MultiHeadAttention(num_heads=2, key_dim=8)
        >>> x = keras.random.normal((2, 5, 16))
        >>> out, weights = layer(x, x, return_attention_scores=True)
        >>> out.shape, weights.shape
        (TensorShape([2, 5, 16]), TensorShape([2, 2, 5, 5]))

        Decoding one token at a time:

        >>> cache = layer.init_cache(batch_size=2, max_length=5)
        >>> for t in range(5):
        ...     step, cache = layer(x[:, t:t + 1], x[:, t:t + 1], cache=cache,
        ...                         cache_index=t, use_causal_mask=True)
        >>> step.shape  # equals layer(x, x, use_causal_mask=True)[:, 4:]
        TensorShape([2, 1, 16])
    """

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape=None,
        attention_axes=None,
        sliding_window: int | None = None,
        flash_attention: bool | None = None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        use_gate: bool = False,
        seed: int | None = None,
        implementation: str = "auto",
        **kwargs,
    ):
        output_shape = check_arguments(num_heads, key_dim, value_dim, dropout, seed, implementation,
                                       sliding_window, flash_attention, use_gate, attention_axes,
                                       output_shape)
        super().__init__(**kwargs)
        self.supports_masking = True
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim or key_dim
        self.dropout = dropout
        self.use_bias = use_bias
        self.output_shape_ = output_shape
        self.attention_axes = None
        self.sliding_window = sliding_window
        self.flash_attention = flash_attention
        self.use_gate = use_gate
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        # As in Keras, the activity regularizer applies to each projection.
        self.projection_activity_regularizer = keras.regularizers.get(activity_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.seed = seed
        self.implementation = implementation
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        for name, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3:
                fail(f"{name} of rank 3 [B, T, dim]", **{f"{name}_shape": tuple(shape)})
        if key_shape[1] is not None and value_shape[1] is not None and key_shape[1] != value_shape[1]:
            fail("key and value of the same length",
                 key_shape=tuple(key_shape), value_shape=tuple(value_shape))
        heads_bias = "de" if self.use_bias else None
        self.query_dense = self._projection("abc,cde->abde", (None, self.num_heads, self.key_dim), heads_bias, "query")
        self.query_dense.build(query_shape)
        self.key_dense = self._projection("abc,cde->abde", (None, self.num_heads, self.key_dim), heads_bias, "key")
        self.key_dense.build(key_shape)
        if self.use_gate:  # created here so that get_weights() lists it where Keras does
            self.gate_dense = self._projection("abc,cde->abde", (None, self.num_heads, self.value_dim),
                                               heads_bias, "gate", activation="sigmoid")
            self.gate_dense.build(query_shape)
        self.value_dense = self._projection("abc,cde->abde", (None, self.num_heads, self.value_dim), heads_bias, "value")
        self.value_dense.build(value_shape)
        out_dims = self.output_shape_ or (query_shape[-1],)
        out_letters = "efgh"[: len(out_dims)]
        self.output_dense = self._projection(
            f"abcd,cd{out_letters}->ab{out_letters}", (None, *out_dims),
            out_letters if self.use_bias else None, "attention_output")
        self.output_dense.build((query_shape[0], query_shape[1], self.num_heads, self.value_dim))
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self.key_dim))

    def _projection(self, equation, output_shape, bias_axes, name, activation=None):
        return HeadProjection(
            equation,
            output_shape=output_shape,
            bias_axes=bias_axes,
            activation=activation,
            kernel_initializer=fresh_initializer(self.kernel_initializer),
            bias_initializer=fresh_initializer(self.bias_initializer),
            kernel_regularizer=self.kernel_regularizer,
            bias_regularizer=self.bias_regularizer,
            activity_regularizer=self.projection_activity_regularizer,
            kernel_constraint=self.kernel_constraint,
            bias_constraint=self.bias_constraint,
            dtype=self.dtype_policy,
            name=name,
        )

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False, cache=None, cache_index=None, attention_bias=None):
        key = value if key is None else key
        if cache is None:
            keys, values = self._project_memory(value, key)  # [B, H, Tk, Dk], [B, H, Tk, Dv]
        else:
            keys, values, cache = self._read_cache(cache, cache_index, value, key)
            value_mask, key_mask = (prefix_with_true(m, tf.shape(keys)[2]) for m in (value_mask, key_mask))
        mask = merge_attention_masks(query=query, key=key if cache is None else None,
                                     num_heads=self.num_heads, query_mask=query_mask,
                                     value_mask=value_mask, key_mask=key_mask,
                                     attention_mask=attention_mask)
        if self.sliding_window is not None:
            mask = combine_masks(mask, sliding_window_mask(
                tf.shape(query)[1], tf.shape(keys)[2], self.sliding_window))  # [Tq, Tk]
        # tf.identity drops the Keras masks, which the projections do not take.
        queries = self._split_heads(self.query_dense(tf.identity(query)))  # [B, H, Tq, Dk]
        result = dot_product_attention(
            queries, keys, values, mask=mask, bias=attention_bias, scale=self._inverse_sqrt_key_dim,
            is_causal=use_causal_mask, dropout_rate=self.dropout, training=bool(training),
            seed=self.seed_generator, return_weights=return_attention_scores,
            implementation=self.implementation)
        attended, weights = result if return_attention_scores else (result, None)
        attended = tf.transpose(attended, [0, 2, 1, 3])  # [B, Tq, H, Dv]
        if self.use_gate:
            attended = attended * self.gate_dense(tf.identity(query))  # [B, Tq, H, Dv]
        output = self.output_dense(attended)  # [B, Tq, *output_shape]
        outputs = (output,) + ((weights,) if return_attention_scores else ())  # weights: [B, H, Tq, Tk]
        if cache is not None:
            outputs += (cache,)
        return outputs if len(outputs) > 1 else output

    def init_cache(self, batch_size: int, max_length: int):
        """An empty key/value cache for incremental decoding.

        Args:
            batch_size: B.
            max_length: L, the most tokens the cache can hold.

        Returns:
            (key_cache [B, H, L, key_dim], value_cache [B, H, L, value_dim]),
            zeros in the layer's compute dtype.
        """
        check_positive_int("batch_size", batch_size)
        check_positive_int("max_length", max_length)
        return (tf.zeros((batch_size, self.num_heads, max_length, self.key_dim), self.compute_dtype),
                tf.zeros((batch_size, self.num_heads, max_length, self.value_dim), self.compute_dtype))

    def compute_cache(self, value, key=None):
        """Projects a memory once, for cross-attention calls with `cache_index=None`.

        Args:
            value: [B, Tk, dim_v]; key: [B, Tk, dim_k] (default: value).

        Returns:
            (key_cache [B, H, Tk, key_dim], value_cache [B, H, Tk, value_dim]).
        """
        value = tf.convert_to_tensor(value)
        key = value if key is None else tf.convert_to_tensor(key)
        if not self.built:
            self.build(value.shape, value.shape, key.shape)
        return self._project_memory(value, key)

    def _project_memory(self, value, key):
        keys = self._split_heads(self.key_dense(tf.identity(key)))  # [B, H, Tk, Dk]
        values = self._split_heads(self.value_dense(tf.identity(value)))  # [B, H, Tk, Dv]
        return keys, values

    def _read_cache(self, cache, cache_index, value, key):
        """Writes the new tokens into the cache; returns the keys and values to attend to.

        Returns:
            keys [B, H, T, Dk] and values [B, H, T, Dv] with T = cache_index + Tn
            (or the whole cache when cache_index is None), and the new cache.
        """
        key_cache, value_cache = check_cache(cache, self.num_heads, self.key_dim, self.value_dim)
        if cache_index is None:  # a memory from compute_cache: nothing to write
            return key_cache, value_cache, (key_cache, value_cache)
        check_cache_index(cache_index)
        new_keys, new_values = self._project_memory(value, key)  # [B, H, Tn, Dk], [B, H, Tn, Dv]
        return write_cache(key_cache, value_cache, new_keys, new_values, cache_index)

    @staticmethod
    def _split_heads(tensor):
        return tf.transpose(tensor, [0, 2, 1, 3])  # [B, T, H, D] -> [B, H, T, D]

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        out_dims = self.output_shape_ or (query_shape[-1],)
        return (*query_shape[:-1], *out_dims)

    def compute_output_spec(self, query, value, key=None, return_attention_scores=False,
                            cache=None, cache_index=None, **kwargs):
        outputs = (keras.KerasTensor(
            self.compute_output_shape(query.shape, value.shape), dtype=self.compute_dtype),)
        if return_attention_scores:
            keys = value.shape[1] if cache is None else None
            outputs += (attention_weights_spec(self, (query.shape[0], self.num_heads, query.shape[1], keys)),)
        if cache is not None:
            outputs += (tuple(keras.KerasTensor(c.shape, dtype=c.dtype) for c in cache),)
        return outputs if len(outputs) > 1 else outputs[0]

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "output_shape": self.output_shape_,
            "attention_axes": self.attention_axes,
            "sliding_window": self.sliding_window,
            "flash_attention": self.flash_attention,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": keras.regularizers.serialize(self.projection_activity_regularizer),
            "kernel_constraint": keras.constraints.serialize(self.kernel_constraint),
            "bias_constraint": keras.constraints.serialize(self.bias_constraint),
            "use_gate": self.use_gate,
            "seed": self.seed,
            "implementation": self.implementation,
        }

