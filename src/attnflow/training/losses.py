"""Losses of the forecasting models, element by element so a [B, H, T] mask can weight them.

`PinballLoss` and `PointLoss` live here; `PercentageLoss` (MAPE read back in the
data's units) and `MemberLosses` (one loss per ensemble member) in their own
modules, imported here so that all of them come from one place. The first two are registered as `attnflow>PinballLoss` and `attnflow>PointLoss`, the
names that runs saved before they moved here (from
attnflow.models.forecast_blocks) carry in their compile config.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from attnflow._validation import check_choice, fail
from attnflow.training.member_losses import MemberLosses
from attnflow.training.percentage_loss import PercentageLoss

__all__ = ["MemberLosses", "PercentageLoss", "PinballLoss", "PointLoss", "POINT_KINDS"]
POINT_KINDS = ("mae", "mse", "huber")


@keras.saving.register_keras_serializable(package="attnflow")
class PinballLoss(keras.losses.Loss):
    """Quantile (pinball) loss, element by element so a [B, H, T] mask can weight it.

    loss = mean over quantiles of max(q * (y - f_q), (q - 1) * (y - f_q)).

    Args:
        quantiles: the Q quantile levels of the forecasts' last axis, each in
            (0, 1) (default (0.1, 0.5, 0.9)).
        name: the loss's name (default "pinball").

    Call arguments:
        y_true: [B, H, T].
        y_pred: [B, H, T, Q].
        sample_weight: optional [B, H, T] (the target observation mask).

    Returns:
        The weighted mean loss (a scalar).
    """

    def __init__(self, quantiles=(0.1, 0.5, 0.9), name: str = "pinball", **kwargs):
        quantiles = tuple(float(q) for q in quantiles)
        if not quantiles or any(not 0.0 < q < 1.0 for q in quantiles):
            fail("quantiles in (0, 1)", quantiles=quantiles)
        super().__init__(name=name, **kwargs)
        self.quantiles = quantiles

    def call(self, y_true, y_pred):
        error = tf.cast(y_true, y_pred.dtype)[..., None] - y_pred  # [B, H, T, Q]
        levels = tf.constant(self.quantiles, y_pred.dtype)  # [Q]
        return tf.reduce_mean(tf.maximum(levels * error, (levels - 1.0) * error), axis=-1)  # [B, H, T]

    def get_config(self):
        return {**super().get_config(), "quantiles": self.quantiles}


@keras.saving.register_keras_serializable(package="attnflow")
class PointLoss(keras.losses.Loss):
    """Absolute, squared or Huber error, element by element (weightable by a [B, H, T] mask).

    Args:
        kind: "mae" (default), "mse" or "huber" (delta 1.0).
        name: the loss's name (default: `kind`).

    Call arguments:
        y_true: [B, H, T].
        y_pred: [B, H, T].
        sample_weight: optional [B, H, T] (the target observation mask).

    Returns:
        The weighted mean loss (a scalar).
    """

    def __init__(self, kind: str = "mae", name: str | None = None, **kwargs):
        check_choice("kind", kind, POINT_KINDS)
        super().__init__(name=name or kind, **kwargs)
        self.kind = kind

    def call(self, y_true, y_pred):
        error = tf.cast(y_true, y_pred.dtype) - y_pred  # [B, H, T]
        if self.kind == "mae":
            return tf.abs(error)
        if self.kind == "mse":
            return tf.square(error)
        small = tf.abs(error) <= 1.0
        return tf.where(small, 0.5 * tf.square(error), tf.abs(error) - 0.5)

    def get_config(self):
        return {**super().get_config(), "kind": self.kind}
