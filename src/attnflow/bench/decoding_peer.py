"""Cached decoding through one decoder block: attnflow against keras-hub.

keras-hub's `TransformerDecoder` keeps a key/value cache too. Both blocks
have the same size (d_model 512, 8 heads of 64, feed-forward 2048, post-norm,
ReLU), batch 1, and decode the same way: a Python loop calling one traced
step per token, each step's output fed back as the next step's input (the
block stands in for a model whose greedy pick feeds back). Two variants:
with cross-attention to a 64-token encoder output (its keys and values
projected once, before the first step, by each library's own means), and
decoder-only (GPT-style, no encoder). The steps of both libraries run in
the same interleaved rounds. Each library's cached outputs are checked
against its own full causal pass over the same inputs.

keras-hub is optional: without it, `run_peer` returns None.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from attnflow.bench.cases import BATCH, HEADS, MODEL_DIM
from attnflow.bench.timing import median, time_interleaved

INTERMEDIATE_DIM = 2048
ENCODER_LENGTH = 64


def run_peer(tokens: int, repeats: int, warmup: int = 1) -> dict | None:
    """Times both libraries' cached decoding of `tokens` tokens; None without keras_hub."""
    try:
        import keras_hub
    except ImportError:
        return None
    keras.utils.set_random_seed(3)
    first = tf.random.normal((BATCH, 1, MODEL_DIM))
    context = tf.random.normal((BATCH, ENCODER_LENGTH, MODEL_DIM))
    results, times = [], {}
    for variant, source in (("cross-attention to 64 tokens", context), ("decoder-only", None)):
        ways = {"attnflow": _attnflow_decoder(first, source, tokens),
                "keras-hub": _keras_hub_decoder(keras_hub, first, source, tokens)}
        errors = {name: way.check() for name, way in ways.items()}
        timed = time_interleaved({name: way.decode for name, way in ways.items()}, repeats, warmup)
        seconds = {name: median(values) for name, values in timed.items()}
        times[variant] = timed
        results.append({
            "variant": variant, "tokens": tokens,
            "attnflow_ms_per_token": 1000.0 * seconds["attnflow"] / tokens,
            "keras_hub_ms_per_token": 1000.0 * seconds["keras-hub"] / tokens,
            "speedup": seconds["keras-hub"] / seconds["attnflow"],
            "max_abs_error_vs_full_pass": errors,
        })
    return {"loop": "a Python loop of tf.function steps, outputs fed back",
            "keras_hub": keras_hub.__version__, "results": results, "times_s": times}


class _Decoder:
    """One library's block: `decode()` runs the loop, `check()` its error vs the full pass."""

    def __init__(self, first, tokens, prologue, step, full_pass):
        self.first, self.tokens = first, tokens
        self.prologue, self.step, self.full_pass = prologue, step, full_pass

    def decode(self, keep_inputs: bool = False):
        state = self.prologue()
        token, inputs, outputs = self.first, [], []
        for t in range(self.tokens):
            output, state = self.step(token, state, tf.constant(t))
            if keep_inputs:
                inputs.append(token)
                outputs.append(output)
            token = output
        if keep_inputs:
            return tf.concat(inputs, axis=1), tf.concat(outputs, axis=1)
        return token

    def check(self) -> float:
        inputs, outputs = self.decode(keep_inputs=True)  # [B, T, d_model] each
        return float(np.abs(self.full_pass(inputs).numpy() - outputs.numpy()).max())


def _attnflow_decoder(first, context, tokens) -> _Decoder:
    from attnflow.layers import TransformerDecoderBlock

    block = TransformerDecoderBlock(HEADS, INTERMEDIATE_DIM)
    block(first, context)  # builds (decoder-only when context is None)

    @tf.function
    def step(token, state, index):
        self_cache, cross_cache = state
        if context is None:
            output, self_cache, _ = block(token, self_attention_cache=self_cache, cache_index=index)
        else:
            output, self_cache, _ = block(token, context, self_attention_cache=self_cache,
                                          cross_attention_cache=cross_cache, cache_index=index)
        return output, (self_cache, cross_cache)

    def prologue():
        cross = None if context is None else block.compute_cache(context)
        return block.init_cache(BATCH, tokens), cross

    return _Decoder(first, tokens, prologue, step,
                    lambda inputs: block(inputs) if context is None else block(inputs, context))


def _keras_hub_decoder(keras_hub, first, context, tokens) -> _Decoder:
    block = keras_hub.layers.TransformerDecoder(INTERMEDIATE_DIM, HEADS)
    block(first, context)  # builds (no cross-attention when context is None)
    head_dim = MODEL_DIM // HEADS

    @tf.function
    def step(token, state, index):
        self_cache, cross_cache = state
        if context is None:
            output, self_cache = block(token, self_attention_cache=self_cache,
                                       self_attention_cache_update_index=index)
        else:
            output, self_cache, cross_cache = block(
                token, context, self_attention_cache=self_cache,
                self_attention_cache_update_index=index, cross_attention_cache=cross_cache)
        return output, (self_cache, cross_cache)

    @tf.function
    def project_context(cross_cache):
        # The first step with cross_attention_cache_update_index=0 fills the
        # cross cache from the encoder output (keras-hub's way); its token
        # output is discarded, so only the projection is kept.
        _, _, cross_cache = block(first, context, self_attention_cache=_empty(1, head_dim),
                                  self_attention_cache_update_index=0,
                                  cross_attention_cache=cross_cache,
                                  cross_attention_cache_update_index=0)
        return cross_cache

    def prologue():
        cross = None if context is None else project_context(_empty(ENCODER_LENGTH, head_dim))
        return _empty(tokens, head_dim), cross

    return _Decoder(first, tokens, prologue, step,
                    lambda inputs: block(inputs) if context is None else block(inputs, context))


def _empty(length, head_dim):
    return tf.zeros((BATCH, 2, length, HEADS, head_dim))  # keras-hub's [B, 2, T, H, head]
