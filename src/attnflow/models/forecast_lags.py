"""Pieces of `AttentionForecaster` that read the past by lag: the lag bias and the attended anchor."""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from attnflow.models.forecast_blocks import attended_values

# The lag bias is a score: Adam moves a weight by about the learning rate per step, and a few
# hundred steps at 1e-3 must be able to open a gap of several units between lags.
LAG_BIAS_SCALE = 10.0
# With season_length m > 1 the lag bias starts with this share of each forecast step's weight on
# lags m, 2m, ... (the same phase of earlier seasons): an attended anchor then starts as the
# seasonal-mean one, and training moves the weights from there. (0.9 left a tenth of the weight on
# the other phases, which shrank the seasonal profile: AirPassengers MAPE 2.61 against 2.56.)
SEASONAL_PRIOR = 0.99


def lag_bias_start(num_heads: int, context: int, horizon: int, season_length: int):
    """The initializer of the lag bias table [heads, L + H - 1] (entry j: lag j + 1).

    Zeros, or with a season m > 1 the gap in score that gives SEASONAL_PRIOR of the weight to
    the k = L // m lags m, 2m, ... among the L a forecast step reads:
    e^gap k / (e^gap k + L - k) = SEASONAL_PRIOR (stored divided by LAG_BIAS_SCALE).
    """
    if season_length == 1:
        return "zeros"
    seasons = max(1, context // season_length)
    gap = math.log(SEASONAL_PRIOR / (1 - SEASONAL_PRIOR) * max(context - seasons, 1) / seasons)
    lags = np.arange(1, context + horizon)
    start = np.where(lags % season_length == 0, gap / LAG_BIAS_SCALE, 0.0)  # [L + H - 1]
    return keras.initializers.Constant(np.tile(start[None], [num_heads, 1]).astype("float32"))


def lag_scores(table, context: int, horizon: int):
    """The table [heads, L + H - 1] as attention scores [1, heads, H, L]: forecast step h reads
    context step l at lag L - l + h."""
    lags = context - 1 - tf.range(context)[None, :] + tf.range(horizon)[:, None]  # [H, L]
    return LAG_BIAS_SCALE * tf.gather(table, lags, axis=1)[None]  # [1, heads, H, L]


def attended_anchor(weights, context, observed, level, season_length: int):
    """The weighted mean of `attended_values`, in float32: [B, H, T].

    Args:
        weights: [B, heads, H, L] (averaged over the heads) or [B, H, L].
        context, observed: [B, L, T]; level: [B, 1, T]; season_length: m.

    A window with nothing observed attends to nothing: its anchor stays the level.
    """
    weights = tf.cast(weights, tf.float32)
    if len(weights.shape) == 4:
        weights = tf.reduce_mean(weights, axis=1)  # [B, H, L]
    context, observed, level = (tf.cast(t, tf.float32) for t in (context, observed, level))
    values = attended_values(context, observed, level, season_length)  # [B, L, T]
    unused = 1.0 - tf.reduce_sum(weights, axis=-1, keepdims=True)  # [B, H, 1]
    return tf.einsum("bhl,blt->bht", weights, values) + unused * level  # [B, H, T]
