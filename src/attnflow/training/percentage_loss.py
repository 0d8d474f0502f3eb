"""The absolute percentage error of forecasts made in model units (`PercentageLoss`)."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from attnflow._validation import check_choice, fail

_INVERSE = {"none": lambda x: x, "log": tf.exp, "log1p": tf.math.expm1, "sqrt": tf.square}


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
