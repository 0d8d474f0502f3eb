"""The symbolic outputs of the attention layers (`compute_output_spec`)."""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow.ops.weights import softmax_dtype


def attention_weights_spec(layer: keras.layers.Layer, shape) -> keras.KerasTensor:
    """The attention weights a layer returns, as a KerasTensor.

    The weights come out of `attnflow.ops.masked_softmax`, so they have its
    dtype: float32 under a mixed float16/bfloat16 policy, the layer's
    compute dtype otherwise.

    Args:
        layer: the attention layer (its `compute_dtype` decides).
        shape: the weights' shape, e.g. (B, H, Tq, Tk) or (B, Tq, Tk).

    Returns:
        A `keras.KerasTensor` of that shape and dtype.
    """
    return keras.KerasTensor(tuple(shape), dtype=softmax_dtype(tf.as_dtype(layer.compute_dtype)).name)
