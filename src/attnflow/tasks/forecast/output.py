"""What the forecast task computes and writes after training: scores, baselines, CSV, top-k JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from attnflow.tasks.forecast.data import ForecastData, raw_inputs
from attnflow.tasks.forecast.model import raw_forecast
from attnflow.tasks.forecast.baselines import run_baselines
from attnflow.training.forecast_metrics import forecast_metrics, pinball


def network_forecast(model, data: ForecastData, origin: int | None = None) -> np.ndarray:
    """The model's raw forecast (scaled by `data.scaler`) of the `horizon` steps from
    `origin` (default: the test part): [H, T] or [H, T, Q]."""
    origin = data.test_origin if origin is None else origin
    raw = raw_inputs(data.series, [origin], data.context, data.horizon)
    return raw_forecast(model, data.scaler, raw)[0]


def point_forecast(forecast: np.ndarray, quantiles) -> np.ndarray:
    """[H, T]: the forecast itself, or with quantiles the one nearest the median."""
    if not quantiles:
        return forecast
    return forecast[..., int(np.argmin(np.abs(np.asarray(quantiles) - 0.5)))]


def score(data: ForecastData, forecast: np.ndarray, quantiles=()) -> dict[str, float]:
    """MAE, RMSE, MAPE (%), MASE of a raw test forecast (and pinball with quantiles)."""
    scores = forecast_metrics(data.test_values, point_forecast(forecast, quantiles), data.train_values,
                              data.season_length)
    if quantiles:
        scores["pinball"] = pinball(data.test_values, forecast, quantiles)
    return scores


def classical_forecasts(data: ForecastData, specs: dict) -> dict[str, np.ndarray]:
    """{name: [H, T]} of each classical baseline fitted on everything before the test part."""
    return run_baselines(data.train_values, data.horizon, specs)


def mean_scores(folds: list[dict[str, float]]) -> dict[str, float]:
    """The mean of each metric over backtest folds."""
    return {metric: float(np.mean([fold[metric] for fold in folds])) for metric in folds[0]}


def forecast_frame(times, forecast: np.ndarray, target_names, time_col: str, quantiles=()) -> pd.DataFrame:
    """The forecast as a table: the time column, one column per target (the point
    forecast), then one per target and quantile ("passengers_q0.1")."""
    frame = pd.DataFrame({time_col: pd.DatetimeIndex(times)})
    point = point_forecast(forecast, quantiles)
    for j, name in enumerate(target_names):
        frame[name] = point[:, j]
    for j, name in enumerate(target_names):
        for k, level in enumerate(quantiles):
            frame[f"{name}_q{level:g}"] = forecast[:, j, k]
    return frame


MAX_DECIMALS = 6  # an input written with more decimals gets 6 significant digits instead


def as_written(frame: pd.DataFrame, time_col: str, values, times, keep=()) -> pd.DataFrame:
    """The forecast table as text, written as the input was.

    Times as dates when no input time has a time of day ("1961-01-01", not
    "1961-01-01 00:00:00"), else to the minute or the second; numbers with
    the decimals of the input's values (`value_decimals`: 0 for counts), or
    6 significant digits when the input has more; NaN as an empty field.

    Args:
        frame: `forecast_frame`'s table.
        time_col: its time column.
        values: the input's values (any shape), NaN where missing.
        times: the input's timestamps.
        keep: columns written as they are (a panel's series id).
    """
    decimals = value_decimals(values)
    text = pd.DataFrame({column: frame[column] for column in keep})
    text[time_col] = pd.DatetimeIndex(frame[time_col]).strftime(time_format(times))
    for column in frame.columns.drop([time_col, *keep]):
        text[column] = [number_text(value, decimals) for value in frame[column]]
    return text


def time_format(times) -> str:
    """The strftime format that writes `times` without a part they do not use."""
    times = pd.DatetimeIndex(times)
    if (times == times.normalize()).all():
        return "%Y-%m-%d"
    return "%Y-%m-%d %H:%M" if (times.second == 0).all() and (times.microsecond == 0).all() \
        else "%Y-%m-%d %H:%M:%S"


def value_decimals(values, most: int = MAX_DECIMALS) -> int | None:
    """The fewest decimals (0 .. `most`) that write every observed value exactly;
    None when more are needed (values computed, not typed)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    for decimals in range(most + 1):
        # Relative to the values' size: values of 1e-10 written with 0 decimals would all be 0.
        if np.allclose(values, np.round(values, decimals), rtol=0.0,
                       atol=1e-9 * float(np.abs(values).max(initial=0.0))):
            return decimals
    return None


def number_text(value: float, decimals: int | None) -> str:
    if not np.isfinite(value):
        return ""
    return f"{value:.{decimals}f}" if decimals is not None else f"{value:.6g}"


def top_k_attention(weights: np.ndarray, context_times, forecast_times, k: int) -> list[dict]:
    """The `k` past steps each forecast step attends to most.

    Args:
        weights: [H, L] attention of forecast step h over context step l.
        context_times, forecast_times: their timestamps [L] and [H].

    Returns:
        One entry per forecast step: {"step": h + 1, "time": ..., "top": [{"time",
        "lag", "weight"}, ...]}, where lag counts steps back from the forecast step
        (the last context step is lag h + 1 for the forecast step h + 1).
    """
    horizon, context = weights.shape
    entries = []
    for h in range(horizon):
        order = np.argsort(-weights[h], kind="stable")[:k]
        entries.append({"step": h + 1, "time": str(forecast_times[h]), "top": [
            {"time": str(context_times[j]), "lag": int(h + context - j), "weight": round(float(weights[h, j]), 6)}
            for j in order]})
    return entries


def write_top_k(path, entries: list[dict], target: str) -> Path:
    path = Path(path)
    path.write_text(json.dumps({"target": target, "forecast_steps": entries}, indent=2) + "\n",
                    encoding="utf-8")
    return path
