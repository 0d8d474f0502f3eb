"""Decoding benchmark: generating tokens with a key/value cache vs recomputing the prefix.

One attnflow `MultiHeadAttention` (8 heads of 64, d_model 512, causal self-
attention) produces the output of T tokens one at a time, twice:

- "cached": each step projects only the new token, writes its key and value
  into the cache and attends to the t cached positions (one traced step);
- "recompute": each step runs the layer on the whole prefix of t tokens and
  keeps the last row (one trace with a dynamic length).

Both produce the same outputs (checked); the times are for all T steps.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from attnflow.bench.cases import BATCH, HEAD_DIM, HEADS, MODEL_DIM
from attnflow.bench.timing import median, time_interleaved


def run_decoding(tokens: int, repeats: int, warmup: int = 1, progress=None) -> dict:
    """Times both ways of decoding `tokens` tokens; returns the JSON record."""
    from attnflow.layers import MultiHeadAttention

    keras.utils.set_random_seed(2)
    sequence = tf.random.normal((BATCH, tokens, MODEL_DIM))
    layer = MultiHeadAttention(HEADS, HEAD_DIM)
    full = layer(sequence, sequence, use_causal_mask=True)  # [B, T, d_model]

    @tf.function
    def cached_step(token, key_cache, value_cache, index):
        output, cache = layer(token, token, cache=(key_cache, value_cache), cache_index=index,
                              use_causal_mask=True)
        return output, cache

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

    errors = {name: float(np.abs(run().numpy() - full.numpy()).max())
              for name, run in (("cached", cached), ("recompute", recompute))}
    times = time_interleaved({"cached": cached, "recompute": recompute}, repeats, warmup, progress)
    cached_s, recompute_s = median(times["cached"]), median(times["recompute"])
    return {
        "tokens": tokens,
        "cached_s": cached_s,
        "recompute_s": recompute_s,
        "speedup": recompute_s / cached_s,
        "cached_ms_per_token": 1000.0 * cached_s / tokens,
        "times_s": times,
        "max_abs_error_vs_full_pass": errors,
    }
