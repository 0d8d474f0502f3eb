"""Pieces of `AttentionForecaster`: the residual anchor, the level and the context's scale."""

from __future__ import annotations

import tensorflow as tf

from attnflow._validation import check_choice


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


def attended_values(context, observed, level, season_length: int):
    """What each context step offers `residual="attended"`: [B, L, T].

    With season_length m > 1, x[l] minus the mean of the observed values of
    its season (the whole seasons counted back from the context's end; the
    steps before the first whole one form a shorter season) plus the
    current level: the step's seasonal deviation carried to today's level.
    With m = 1, x[l] itself. Unobserved steps give the level.

    Args:
        context: [B, L, T], 0 where not observed.
        observed: [B, L, T], 1.0 where observed.
        level: [B, 1, T].
        season_length: m.
    """
    if season_length == 1:
        return tf.where(observed > 0, context, level)
    length = context.shape[1]
    seasons = -(-length // season_length)
    pad = seasons * season_length - length
    shape = [-1, seasons, season_length, context.shape[2]]
    blocks = tf.reshape(tf.pad(context * observed, [[0, 0], [pad, 0], [0, 0]]), shape)  # [B, K, m, T]
    blocks_observed = tf.reshape(tf.pad(observed, [[0, 0], [pad, 0], [0, 0]]), shape)  # [B, K, m, T]
    block_mean = tf.reduce_sum(blocks, axis=2, keepdims=True) / tf.maximum(
        tf.reduce_sum(blocks_observed, axis=2, keepdims=True), 1.0)  # [B, K, 1, T]
    means = tf.reshape(tf.broadcast_to(block_mean, tf.shape(blocks)), tf.shape(
        tf.pad(context, [[0, 0], [pad, 0], [0, 0]])))[:, pad:]  # [B, L, T]
    return tf.where(observed > 0, context - means + level, level)


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

