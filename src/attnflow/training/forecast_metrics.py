"""Forecast accuracy metrics in NumPy: MAE, RMSE, MAPE (%), MASE, pinball loss.

Every metric takes `y_true` and forecasts of the same shape (any shape) and
skips target values that were not observed: NaN in `y_true`, or False in an
explicit `observed` mask. A forecast that is NaN where the truth was observed
raises, since it would hide a broken model.
"""

from __future__ import annotations

import numpy as np

from attnflow._validation import fail


def _pairs(y_true, y_pred, observed=None) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        fail("y_pred of the shape of y_true", y_true_shape=y_true.shape, y_pred_shape=y_pred.shape)
    keep = ~np.isnan(y_true)
    if observed is not None:
        keep &= np.asarray(observed, dtype=bool)
    if not keep.any():
        fail("at least one observed value in y_true", observed_count=0)
    if np.isnan(y_pred[keep]).any():
        fail("forecasts without NaN where the truth is observed", nan_count=int(np.isnan(y_pred[keep]).sum()))
    return y_true[keep], y_pred[keep]


def mae(y_true, y_pred, observed=None) -> float:
    """Mean absolute error."""
    y_true, y_pred = _pairs(y_true, y_pred, observed)
    return float(np.mean(np.abs(y_true - y_pred)))


def rmse(y_true, y_pred, observed=None) -> float:
    """Root mean squared error."""
    y_true, y_pred = _pairs(y_true, y_pred, observed)
    return float(np.sqrt(np.mean(np.square(y_true - y_pred))))


def mape(y_true, y_pred, observed=None) -> float:
    """Mean absolute percentage error, in percent: 100 * mean(|y - f| / |y|)."""
    y_true, y_pred = _pairs(y_true, y_pred, observed)
    if np.any(y_true == 0):
        fail("no zero in y_true (MAPE divides by it)", zero_count=int(np.sum(y_true == 0)))
    return float(100.0 * np.mean(np.abs((y_true - y_pred) / y_true)))


def seasonal_naive_scale(y_train, season_length: int = 1) -> float:
    """In-sample MAE of the seasonal naive forecast on the training part: mean |y[t] - y[t-m]|.

    Pairs with a missing value on either side are skipped.
    """
    y_train = np.asarray(y_train, dtype=np.float64)
    if isinstance(season_length, bool) or not isinstance(season_length, (int, np.integer)) or season_length <= 0:
        fail("season_length to be a positive integer", season_length=season_length)
    if len(y_train) <= season_length:
        fail(f"a training part longer than season_length={season_length}", length=len(y_train))
    differences = np.abs(y_train[season_length:] - y_train[:-season_length])
    differences = differences[~np.isnan(differences)]
    if differences.size == 0 or differences.mean() == 0:
        fail("a training part whose seasonal differences are not all missing or zero",
             season_length=season_length)
    return float(differences.mean())


def mase(y_true, y_pred, y_train, season_length: int = 1, observed=None) -> float:
    """Mean absolute scaled error: MAE / the training part's seasonal naive MAE.

    Args:
        y_true, y_pred: test values and forecasts.
        y_train: the training part, [T_train] or [T_train, n_targets] (one
            scale for all columns, as in Hyndman & Koehler 2006 per series).
        season_length: m of the seasonal naive scale (1: naive).
        observed: optional mask of y_true.
    """
    return mae(y_true, y_pred, observed) / seasonal_naive_scale(y_train, season_length)


def pinball(y_true, quantile_forecasts, quantiles, observed=None) -> float:
    """Mean pinball (quantile) loss over values and quantile levels.

    Args:
        y_true: [...]. quantile_forecasts: [..., Q]. quantiles: the Q levels.
    """
    quantiles = np.asarray(quantiles, dtype=np.float64).reshape(-1)
    forecasts = np.asarray(quantile_forecasts, dtype=np.float64)
    if forecasts.shape[-1] != len(quantiles) or np.any((quantiles <= 0) | (quantiles >= 1)):
        fail("quantile_forecasts [..., Q] with Q = len(quantiles) and levels in (0, 1)",
             forecasts_shape=forecasts.shape, quantiles=quantiles.tolist())
    y_true = np.broadcast_to(np.asarray(y_true, dtype=np.float64)[..., None], forecasts.shape)
    if observed is not None:
        observed = np.broadcast_to(np.asarray(observed, dtype=bool)[..., None], forecasts.shape)
    truth, forecast = _pairs(y_true, forecasts, observed)
    levels = np.broadcast_to(quantiles, forecasts.shape)[
        ~np.isnan(y_true) & (True if observed is None else observed)]
    error = truth - forecast
    return float(np.mean(np.maximum(levels * error, (levels - 1.0) * error)))


def forecast_metrics(y_true, y_pred, y_train, season_length: int = 1) -> dict[str, float]:
    """{"mae", "rmse", "mape", "mase"} (the metrics.json names); mape is NaN if y_true has a 0."""
    y_true_array = np.asarray(y_true, dtype=np.float64)
    has_zero = np.any(y_true_array[~np.isnan(y_true_array)] == 0)
    return {"mae": mae(y_true, y_pred), "rmse": rmse(y_true, y_pred),
            "mape": float("nan") if has_zero else mape(y_true, y_pred),
            "mase": mase(y_true, y_pred, y_train, season_length)}
