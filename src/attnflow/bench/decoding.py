"""Decoding benchmark: generating tokens with a key/value cache vs recomputing the prefix.

One attnflow `MultiHeadAttention` (8 heads of 64, d_model 512, causal self-
attention) produces the output of T tokens one at a time, twice:

- "cached": each step projects only the new token, writes its key and value
  into the cache and attends to the t cached positions;
- "recompute": each step runs the layer on the whole prefix of t tokens and
  keeps the last row.

Each way runs as one `tf.function` holding a `tf.while_loop` over the tokens,
as generation code does (keras-hub's `generate`), and, for comparison, as a
Python loop calling a traced step per token, which adds the same call
overhead to every step of both. Every way's outputs are checked against the
full causal pass.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from attnflow.bench.cases import BATCH, HEAD_DIM, HEADS, MODEL_DIM
from attnflow.bench.timing import median, time_interleaved


def run_decoding(tokens: int, repeats: int, warmup: int = 1, progress=None) -> dict:
    """Times the ways of decoding `tokens` tokens; returns the JSON record."""
    from attnflow.layers import MultiHeadAttention

    keras.utils.set_random_seed(2)
    sequence = tf.random.normal((BATCH, tokens, MODEL_DIM))
    layer = MultiHeadAttention(HEADS, HEAD_DIM)
    full = layer(sequence, sequence, use_causal_mask=True)  # [B, T, d_model]
    ways = _graph_loops(layer, sequence, tokens)
    ways.update(_python_loops(layer, sequence, tokens))
    errors = {name: float(np.abs(run().numpy() - full.numpy()).max()) for name, run in ways.items()}
    times = time_interleaved(ways, repeats, warmup, progress)
    seconds = {name: median(values) for name, values in times.items()}
    return {
        "tokens": tokens,
        "loop": "tf.while_loop in one tf.function",
        "cached_s": seconds["cached"],
        "recompute_s": seconds["recompute"],
        "speedup": seconds["recompute"] / seconds["cached"],
        "cached_ms_per_token": 1000.0 * seconds["cached"] / tokens,
        "python_loop": {
            "cached_s": seconds["cached, python loop"],
            "recompute_s": seconds["recompute, python loop"],
            "speedup": seconds["recompute, python loop"] / seconds["cached, python loop"],
        },
        "times_s": times,
        "max_abs_error_vs_full_pass": errors,
    }


def _graph_loops(layer, sequence, tokens):
    def token_at(t):
        return tf.slice(sequence, [0, t, 0], [BATCH, 1, MODEL_DIM])  # [B, 1, d_model]

    @tf.function
    def cached():
        def step(t, key_cache, value_cache, outputs):
            token = token_at(t)
            output, (key_cache, value_cache) = layer(
                token, token, cache=(key_cache, value_cache), cache_index=t, use_causal_mask=True)
            return t + 1, key_cache, value_cache, outputs.write(t, output[:, 0])

        init = (tf.constant(0), *layer.init_cache(BATCH, tokens), tf.TensorArray(tf.float32, tokens))
        outputs = tf.while_loop(lambda t, *_: t < tokens, step, init)[-1]
        return tf.transpose(outputs.stack(), [1, 0, 2])  # [B, T, d_model]

    @tf.function
    def recompute():
        def step(t, outputs):
            prefix = sequence[:, :t + 1]  # [B, t + 1, d_model]
            output = layer(prefix, prefix, use_causal_mask=True)
            return t + 1, outputs.write(t, output[:, -1])

        init = (tf.constant(0), tf.TensorArray(tf.float32, tokens))
        outputs = tf.while_loop(lambda t, *_: t < tokens, step, init)[-1]
        return tf.transpose(outputs.stack(), [1, 0, 2])  # [B, T, d_model]

    return {"cached": cached, "recompute": recompute}


def _python_loops(layer, sequence, tokens):
    @tf.function
    def cached_step(token, key_cache, value_cache, index):
        return layer(token, token, cache=(key_cache, value_cache), cache_index=index,
                     use_causal_mask=True)

    @tf.function(input_signature=[tf.TensorSpec((BATCH, None, MODEL_DIM))])
    def recompute_step(prefix):
        return layer(prefix, prefix, use_causal_mask=True)[:, -1:]  # [B, 1, d_model]

    def cached():
        cache, outputs = layer.init_cache(BATCH, tokens), []
        for t in range(tokens):
            output, cache = cached_step(sequence[:, t:t + 1], *cache, tf.constant(t))
            outputs.append(output)
        return tf.concat(outputs, axis=1)

    def recompute():
        return tf.concat([recompute_step(sequence[:, :t + 1]) for t in range(tokens)], axis=1)

    return {"cached, python loop": cached, "recompute, python loop": recompute}
