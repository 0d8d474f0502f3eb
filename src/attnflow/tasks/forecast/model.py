"""Between raw data and the forecaster: the run's scaler, raw forecasts, the serving function.

The network works in scaled units (`attnflow.data.windows.Scaler`, fitted on
the training part). The run keeps the scaler's constants in its config
(options.scaler), so evaluate, predict and the SavedModel turn raw past
values into raw forecasts with exactly the training's scaling.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from attnflow._validation import fail
from attnflow.data.windows import Scaler, check_domain

_FORWARD = {"none": lambda x: x, "log": tf.math.log, "log1p": tf.math.log1p, "sqrt": tf.math.sqrt}
_INVERSE = {"none": lambda x: x, "log": tf.math.exp, "log1p": tf.math.expm1, "sqrt": tf.math.square}
_FIELDS = ("mean", "std", "covariate_mean", "covariate_std")


def scaler_to_dict(scaler: Scaler) -> dict:
    """The scaler as plain values (for config.yaml)."""
    return {"transform": scaler.transform, **{name: getattr(scaler, name).tolist() for name in _FIELDS}}


def scaler_from_dict(values: dict | None) -> Scaler:
    """The scaler a run saved with `scaler_to_dict`."""
    if not isinstance(values, dict) or set(values) != {"transform", *_FIELDS}:
        fail("a run whose config holds options.scaler (written by training)", scaler=values)
    return Scaler(values["transform"], *(np.asarray(values[name], dtype=np.float64) for name in _FIELDS))


def scaled_inputs(scaler: Scaler, raw: dict) -> dict[str, np.ndarray]:
    """Raw windows (`_forecast_data.raw_inputs`) -> the model's input dict, in model units."""
    observed = raw["observed"] > 0  # [N, L, T]
    check_domain(np.where(observed, raw["context"], np.nan), scaler.transform)  # new data, same transform
    with np.errstate(invalid="ignore", divide="ignore"):
        context = np.where(observed, scaler.scale(np.where(observed, raw["context"], 1.0)), 0.0)
    inputs = {"context": context.astype(np.float32), "observed": observed.astype(np.float32)}
    if "covariates" in raw:
        for key in ("covariates", "future_covariates"):
            mask = raw[f"{key}_observed"] > 0  # [N, S, C]
            values = np.where(mask, scaler.scale_covariates(raw[key]), 0.0)
            inputs[key] = np.concatenate([values, mask], axis=-1).astype(np.float32)  # [N, S, 2C]
    return inputs


def raw_forecast(model, scaler: Scaler, raw: dict) -> np.ndarray:
    """The model's forecast of raw windows, in the data's units: [N, H, T] or [N, H, T, Q]."""
    forecast = np.asarray(model(scaled_inputs(scaler, raw), training=False), dtype=np.float64)
    return scaler.unscale(forecast, quantiles=forecast.ndim == 4)  # [B, H, n(, Q)]


def attention_over_context(model, scaler: Scaler, raw: dict) -> np.ndarray:
    """The attention of each forecast step over the context, averaged over heads: [N, H, L]."""
    weights = np.asarray(model.attention_weights(scaled_inputs(scaler, raw)), dtype=np.float64)
    return weights.mean(axis=1) if weights.ndim == 4 else weights  # [N, H, L]


def serving_function(model, scaler: Scaler, quantiles: bool):
    """raw (context, observed[, covariates, covariates_observed, future_covariates,
    future_covariates_observed]) -> raw forecasts, in TensorFlow ops (for the SavedModel).

    `context` may hold anything (NaN too) where `observed` is 0.
    """
    mean, std = tf.constant(scaler.mean, tf.float32), tf.constant(scaler.std, tf.float32)
    covariate_mean = tf.constant(scaler.covariate_mean, tf.float32)
    covariate_std = tf.constant(scaler.covariate_std, tf.float32)
    forward, inverse = _FORWARD[scaler.transform], _INVERSE[scaler.transform]

    def covariate_inputs(values, observed):
        mask = observed > 0  # [B, S, C]
        scaled = tf.where(mask, (values - covariate_mean) / covariate_std, 0.0)
        return tf.concat([scaled, tf.cast(mask, tf.float32)], axis=-1)  # [B, S, 2C]

    def serve(context, observed, *covariates):
        mask = observed > 0  # [B, L, T]
        inputs = {"context": tf.where(mask, (forward(tf.where(mask, context, 1.0)) - mean) / std, 0.0),
                  "observed": tf.cast(mask, tf.float32)}
        if covariates:
            inputs["covariates"] = covariate_inputs(covariates[0], covariates[1])
            inputs["future_covariates"] = covariate_inputs(covariates[2], covariates[3])
        forecast = tf.cast(model(inputs, training=False), tf.float32)  # [B, H, T(, Q)]; bf16 under mixed precision
        if quantiles:
            forecast = tf.transpose(forecast, [0, 1, 3, 2])  # [B, H, Q, T]
        raw = inverse(forecast * std + mean)
        return tf.transpose(raw, [0, 1, 3, 2]) if quantiles else raw

    return serve
