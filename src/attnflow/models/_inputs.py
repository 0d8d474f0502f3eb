"""Numeric sequence inputs shared by the classifiers: missing steps and scaling.

A numeric input [B, T, F] marks padded and missing time steps with NaN (any
non-finite value): such a step is masked and its values are set to 0, so one
float tensor carries both the values and the mask, through `fit`, `predict`
and a SavedModel signature alike.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from attnflow._validation import fail


def check_feature_stats(feature_mean, feature_std):
    """Validates the optional per-feature mean and std; returns them as lists of floats."""
    if (feature_mean is None) != (feature_std is None):
        fail("feature_mean and feature_std both given or both None",
             feature_mean=feature_mean, feature_std=feature_std)
    if feature_mean is None:
        return None, None
    mean = [float(v) for v in np.ravel(feature_mean)]
    std = [float(v) for v in np.ravel(feature_std)]
    if len(mean) != len(std) or not all(np.isfinite(mean)):
        fail("feature_mean and feature_std of the same length with finite values",
             feature_mean=mean, feature_std=std)
    if not all(np.isfinite(s) and s > 0 for s in std):
        fail("feature_std > 0 for every feature", feature_std=std)
    return mean, std


def check_num_features(input_shape, feature_mean):
    """Numeric inputs must be [B, T, F], with F matching the feature statistics."""
    if len(input_shape) != 3:
        fail("numeric inputs [B, T, F] (or set vocabulary_size for token ids [B, T])",
             input_shape=tuple(input_shape))
    if feature_mean is not None and input_shape[-1] not in (None, len(feature_mean)):
        fail(f"inputs with {len(feature_mean)} features, as in feature_mean",
             input_shape=tuple(input_shape))


def mask_missing_steps(inputs, feature_mean=None, feature_std=None, dtype=tf.float32):
    """Splits numeric inputs into standardized values and a step mask.

    Args:
        inputs: [B, T, F]; steps with any NaN/inf value are padding or missing.
        feature_mean, feature_std: optional lists of F floats.
        dtype: dtype of the returned values.

    Returns:
        values [B, T, F] (0 at masked steps) and mask [B, T] (True = real).
    """
    inputs = tf.cast(inputs, tf.float32)
    mask = tf.reduce_all(tf.math.is_finite(inputs), axis=-1)  # [B, T]
    if feature_mean is not None:
        inputs = (inputs - tf.constant(feature_mean, tf.float32)) / tf.constant(feature_std, tf.float32)
    values = tf.where(mask[..., None], inputs, tf.zeros((), tf.float32))  # [B, T, F]
    return tf.cast(values, dtype), mask
