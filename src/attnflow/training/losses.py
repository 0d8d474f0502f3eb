"""Losses of the forecasting models, element by element so a [B, H, T] mask can weight them.

Both are registered as `attnflow>PinballLoss` and `attnflow>PointLoss`, the
names that runs saved before they moved here (from
attnflow.models.forecast_blocks) carry in their compile config.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from attnflow._validation import check_choice, fail

POINT_KINDS = ("mae", "mse", "huber")
_INVERSE = {"none": lambda x: x, "log": tf.exp, "log1p": tf.math.expm1, "sqrt": tf.square}


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


@keras.saving.register_keras_serializable(package="attnflow")
class PercentageLoss(keras.losses.Loss):
    """Absolute percentage error |y - f| / max(|y|, floor) of forecasts in model units, read
    back in the data's units (the competitions' MAPE, the loss N-BEATS trained on for Tourism).

    Model units are a transform of the data then a standardization (`data.windows.Scaler`);
    the loss undoes both before it compares. `floor` keeps targets at or near 0 from
    dominating (the forecast task sets it to a tenth of the mean absolute training value).

    Args:
        transform: the Scaler's transform ("none", "log", "log1p" or "sqrt").
        mean, std: the Scaler's per-target moments, [T] (or scalars).
        floor: the smallest size an error is divided by, in the data's units, [T] or a
            scalar >= 0 (default 0: a target of exactly 0 weighs nothing).
        name: the loss's name (default "mape").

    Call arguments:
        y_true: [B, H, T], model units.
        y_pred: [B, H, T], model units.
        sample_weight: optional [B, H, T] (the target observation mask).

    Returns:
        The weighted mean loss (a scalar), a fraction (not percent).
    """

    def __init__(self, transform: str = "none", mean=0.0, std=1.0, floor=0.0, name: str = "mape", **kwargs):
        check_choice("transform", transform, tuple(_INVERSE))
        super().__init__(name=name, **kwargs)
        self.transform = transform
        self.mean, self.std, self.floor = (np.atleast_1d(np.asarray(v, np.float64)).tolist()
                                           for v in (mean, std, floor))
        if min(self.floor) < 0:
            fail("floor >= 0", floor=floor)

    def call(self, y_true, y_pred):
        mean, std, floor = (tf.constant(v, y_pred.dtype) for v in (self.mean, self.std, self.floor))  # [T]
        inverse = _INVERSE[self.transform]
        actual = inverse(tf.cast(y_true, y_pred.dtype) * std + mean)  # [B, H, T]
        forecast = inverse(y_pred * std + mean)  # [B, H, T]
        return tf.math.divide_no_nan(tf.abs(actual - forecast), tf.maximum(tf.abs(actual), floor))  # [B, H, T]

    def get_config(self):
        return {**super().get_config(), "transform": self.transform, "mean": self.mean, "std": self.std,
                "floor": self.floor}


@keras.saving.register_keras_serializable(package="attnflow")
class MemberLosses(keras.losses.Loss):
    """One loss per member of a seed ensemble (`AttentionForecaster(members=N)`): member i
    trains on `losses[i % len(losses)]` (N-BEATS's ensembles mix their training losses).

    Called on one forecast (the ensemble's mean, in validation and evaluation), it is the
    mean of its losses.

    Args:
        losses: the losses, element by element (`PointLoss`, `PercentageLoss`), at least one.
        name: the loss's name (default: the losses' names joined by "_").

    Call arguments:
        y_true: [B, H, T].
        y_pred: [B, H, T].
        sample_weight: optional [B, H, T] (the target observation mask).

    Returns:
        The weighted mean loss (a scalar).
    """

    def __init__(self, losses, name: str | None = None, **kwargs):
        losses = [keras.saving.deserialize_keras_object(loss) if isinstance(loss, dict) else loss
                  for loss in losses]
        if not losses or not all(isinstance(loss, keras.losses.Loss) for loss in losses):
            fail("one or more keras Loss objects", losses=losses)
        super().__init__(name=name or "_".join(loss.name for loss in losses), **kwargs)
        self.member_losses = losses

    def member_loss(self, index: int) -> keras.losses.Loss:
        """The loss member `index` trains on."""
        return self.member_losses[index % len(self.member_losses)]

    def call(self, y_true, y_pred):
        return tf.add_n([loss.call(y_true, y_pred) for loss in self.member_losses]) / len(self.member_losses)

    def get_config(self):
        return {**super().get_config(),
                "losses": [keras.saving.serialize_keras_object(loss) for loss in self.member_losses]}
