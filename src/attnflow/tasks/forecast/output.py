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
