"""Pieces of `AttentionForecaster`: the encoder block, the residual anchor, the context's scale."""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow._validation import check_choice, check_positive_int, check_rate, check_seed, fail
from attnflow.layers import MultiHeadAttention


@keras.saving.register_keras_serializable(package="attnflow")
class ForecastEncoderBlock(keras.layers.Layer):
    """A pre-norm transformer encoder block over the context window.

    x + MultiHeadAttention(LN(x)) then x + FFN(LN(x)); unobserved steps are
    never attended to.

    Args:
        units: model width (divisible by num_heads).
        num_heads: attention heads.
        ffn_units: hidden width of the feed-forward part (default 2 * units).
        dropout: dropout on attention weights and residual branches (default 0.0).
        seed: seed of the dropouts (default None).

    Call arguments:
        x: [B, L, units].
        step_observed: [B, L] bool, True where the step may be attended to.
        training: whether dropout is applied.

    Returns:
        [B, L, units].
    """

    def __init__(self, units: int, num_heads: int, ffn_units: int | None = None,
                 dropout: float = 0.0, seed: int | None = None, **kwargs):
        check_positive_int("units", units)
        check_positive_int("num_heads", num_heads)
        check_positive_int("ffn_units", ffn_units, allow_none=True)
        check_rate("dropout", dropout)
        check_seed(seed)
        if units % num_heads:
            fail(f"units divisible by num_heads={num_heads}", units=units)
        super().__init__(**kwargs)
        self.units, self.num_heads, self.ffn_units = units, num_heads, ffn_units or 2 * units
        self.dropout, self.seed = dropout, seed

    def build(self, input_shape):
        self.attention_norm = keras.layers.LayerNormalization(name="attention_norm")
        self.attention_norm.build(input_shape)
        self.self_attention = MultiHeadAttention(self.num_heads, self.units // self.num_heads,
                                                 dropout=self.dropout, seed=self.seed, name="self_attention")
        self.self_attention.build(input_shape, input_shape)
        self.ffn_norm = keras.layers.LayerNormalization(name="ffn_norm")
        self.ffn_norm.build(input_shape)
        self.ffn_hidden = keras.layers.Dense(self.ffn_units, activation="gelu", name="ffn_hidden")
        self.ffn_hidden.build(input_shape)
        self.ffn_output = keras.layers.Dense(self.units, name="ffn_output")
        self.ffn_output.build((*input_shape[:-1], self.ffn_units))
        self.residual_dropout = keras.layers.Dropout(self.dropout, seed=self.seed)

    def call(self, x, step_observed=None, training=None):
        normed = self.attention_norm(x)  # [B, L, units]
        x = x + self.residual_dropout(
            self.self_attention(normed, normed, value_mask=step_observed, training=training),
            training=training)  # [B, L, units]
        x = x + self.residual_dropout(self.ffn_output(self.ffn_hidden(self.ffn_norm(x))),
                                      training=training)  # [B, L, units]
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "units": self.units, "num_heads": self.num_heads,
                "ffn_units": self.ffn_units, "dropout": self.dropout, "seed": self.seed}


def anchor_and_level(context, observed, horizon: int, residual: str, season_length: int):
    """The value each forecast step is relative to, and the level the context is centred on.

    Args:
        context: [B, L, T], 0 where not observed.
        observed: [B, L, T], 1.0 where observed.
        horizon: H.
        residual: "none" (anchor and level 0), "level" (anchor = level),
            "seasonal_naive" (anchor = the context value one season before
            each step, the level where that value was not observed) or
            "seasonal_mean" (anchor = level + that step's seasonal profile:
            the mean deviation of its phase from its season's mean over the
            whole seasons of the context, observed values only).
        season_length: m; the level is the mean of the observed values among
            the last m steps (of the whole context when none is observed).

    Returns:
        anchor [B, H, T] and level [B, 1, T].
    """
    check_choice("residual", residual, ("none", "level", "seasonal_naive", "seasonal_mean"))
    if residual == "none":
        zeros = tf.zeros_like(context[:, :1])  # [B, 1, T]
        return tf.repeat(zeros, horizon, axis=1), zeros
    length = context.shape[1]
    recent = tf.cast(tf.range(length) >= length - season_length, context.dtype)[None, :, None]  # [1, L, 1]
    level = _masked_mean(context, observed * recent)  # [B, 1, T]
    level = tf.where(tf.reduce_sum(observed * recent, axis=1, keepdims=True) > 0,
                     level, _masked_mean(context, observed))  # [B, 1, T]
    if residual == "level":
        return tf.repeat(level, horizon, axis=1), level
    if residual == "seasonal_mean":
        profile = _seasonal_profile(context, observed, season_length)  # [B, m, T]
        return level + tf.gather(profile, tf.range(horizon) % season_length, axis=1), level
    index = length - season_length + tf.range(horizon) % season_length  # [H]
    previous = tf.gather(context, index, axis=1)  # [B, H, T]
    previous_observed = tf.gather(observed, index, axis=1)  # [B, H, T]
    return tf.where(previous_observed > 0, previous, level), level


def seasonal_difference_features(context, observed, season_length: int):
    """x[t] - x[t - m] over the context [B, L, T]; 0 where either side is unobserved or t < m."""
    both = observed[:, season_length:] * observed[:, :-season_length]  # [B, L - m, T]
    differences = (context[:, season_length:] - context[:, :-season_length]) * both  # [B, L - m, T]
    return tf.concat([tf.zeros_like(context[:, :season_length]), differences], axis=1)  # [B, L, T]


def _seasonal_profile(context, observed, season_length: int):
    """Mean deviation of each season phase from its season's mean, over the context's whole seasons."""
    seasons = context.shape[1] // season_length
    shape = [-1, seasons, season_length, context.shape[2]]
    blocks = tf.reshape(context[:, -seasons * season_length:], shape)  # [B, K, m, T]
    blocks_observed = tf.reshape(observed[:, -seasons * season_length:], shape)  # [B, K, m, T]
    block_mean = tf.reduce_sum(blocks * blocks_observed, axis=2, keepdims=True) / tf.maximum(
        tf.reduce_sum(blocks_observed, axis=2, keepdims=True), 1.0)  # [B, K, 1, T]
    deviations = (blocks - block_mean) * blocks_observed  # [B, K, m, T]
    return tf.reduce_sum(deviations, axis=1) / tf.maximum(tf.reduce_sum(blocks_observed, axis=1), 1.0)


def context_scale(context, observed, level, floor: float = 0.1):
    """Root mean square of the observed context around `level`, per window and target: [B, 1, T].

    Floored at `floor` (in the scaler's units) so a flat context does not blow up.
    """
    squares = _masked_mean(tf.square(context - level), observed)  # [B, 1, T]
    return tf.maximum(tf.sqrt(squares), floor)


def _masked_mean(values, weights):
    total = tf.reduce_sum(values * weights, axis=1, keepdims=True)  # [B, 1, T]
    return total / tf.maximum(tf.reduce_sum(weights, axis=1, keepdims=True), 1.0)

