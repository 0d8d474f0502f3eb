"""Forecast pictures: history, forecast, intervals and test values; attention over the past."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attnflow._validation import fail
from attnflow.explain._figure import pyplot, save_figure


def plot_forecast(history_times, history, forecast_times, forecast, path, actual=None,
                  lower=None, upper=None, interval: str = "", baselines: dict | None = None,
                  names=("value",), title: str | None = None) -> Path:
    """One panel per target: the history, the forecast, its interval and the test values.

    Args:
        history_times: [S] timestamps of the history drawn.
        history: [S, T] values (NaN: not observed, drawn as gaps).
        forecast_times: [H] timestamps of the forecast steps.
        forecast: [H, T] point forecasts.
        path: the PNG to write.
        actual: [H, T] true values of the forecast steps (None: the future).
        lower, upper: [H, T] interval bounds (None: no interval).
        interval: the interval's label, e.g. "q0.1-q0.9".
        baselines: {name: [H, T]} other forecasts to draw thinly.
        names: the T target names.
        title: the figure's title.

    Returns:
        The path written.
    """
    history, forecast = np.asarray(history, float), np.asarray(forecast, float)
    if history.ndim != 2 or forecast.ndim != 2 or history.shape[1] != forecast.shape[1] \
            or len(history_times) != len(history) or len(forecast_times) != len(forecast):
        fail("history [S, T] and forecast [H, T] matching their timestamps",
             history_shape=history.shape, forecast_shape=forecast.shape)
    plt = pyplot()
    targets = forecast.shape[1]
    figure, axes = plt.subplots(targets, 1, figsize=(9, 3.2 * targets), squeeze=False)
    for j, ax in enumerate(axes[:, 0]):
        ax.plot(history_times, history[:, j], color="0.35", linewidth=1.2, label="history")
        if lower is not None and upper is not None:
            ax.fill_between(forecast_times, np.asarray(lower)[:, j], np.asarray(upper)[:, j],
                            color="tab:blue", alpha=0.2, label=f"interval {interval}".strip())
        for name, values in (baselines or {}).items():
            ax.plot(forecast_times, np.asarray(values)[:, j], linewidth=0.8, linestyle="--", label=name)
        ax.plot(forecast_times, forecast[:, j], color="tab:blue", linewidth=1.8, marker=".",
                label="forecast")
        if actual is not None:
            ax.plot(forecast_times, np.asarray(actual)[:, j], color="black", linewidth=0,
                    marker="o", markersize=3.5, label="test values")
        ax.set_ylabel(names[j] if j < len(names) else f"target {j}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    if title:
        axes[0, 0].set_title(title, fontsize=10)
    figure.autofmt_xdate()
    return save_figure(figure, path, dpi=110)


def plot_attention_over_past(weights, context_times, context_values, forecast_times, path,
                             name: str = "value", title: str | None = None) -> Path:
    """A heatmap of each forecast step's attention over the past steps, the series above it.

    Args:
        weights: [H, L] attention of forecast step h over context step l.
        context_times: [L] timestamps of the context steps.
        context_values: [L] the (first) target over the context (NaN: gaps).
        forecast_times: [H] timestamps of the forecast steps (the heatmap's rows).
        path: the PNG to write (None: return the matplotlib Figure instead).
        name: the target's name (the series panel's label).
        title: the figure's title.

    Returns:
        The path written, or the Figure when `path` is None.
    """
    weights = np.asarray(weights, float)
    if weights.shape != (len(forecast_times), len(context_times)) or len(context_values) != len(context_times):
        fail("weights [H, L] matching forecast_times [H] and context_times/context_values [L]",
             weights_shape=weights.shape, times=(len(forecast_times), len(context_times)))
    plt = pyplot()
    height = 2.0 + max(2.0, 0.22 * len(forecast_times))
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(max(7.0, 0.16 * len(context_times) + 3), height + 1.6), sharex=True,
        gridspec_kw={"height_ratios": [1.6, height]})
    positions = np.arange(len(context_times))
    top.plot(positions, context_values, color="0.3", marker=".", markersize=3)
    top.set_ylabel(name)
    top.grid(alpha=0.3)
    image = bottom.imshow(weights, cmap="viridis", vmin=0.0, aspect="auto",
                          extent=(-0.5, len(context_times) - 0.5, len(forecast_times) - 0.5, -0.5))
    step = max(1, len(context_times) // 12)
    bottom.set_xticks(positions[::step], [_short(t) for t in context_times[::step]], rotation=45,
                      ha="right", fontsize=7)
    row_step = max(1, len(forecast_times) // 24)
    rows = np.arange(len(forecast_times))
    bottom.set_yticks(rows[::row_step], [_short(t) for t in forecast_times[::row_step]], fontsize=7)
    bottom.set_xlabel("past step (context)")
    bottom.set_ylabel("forecast step")
    figure.colorbar(image, ax=[top, bottom], fraction=0.03, pad=0.02, label="attention weight")
    top.set_title(title or "attention of each forecast step over the past", fontsize=10)
    if path is None:
        return figure
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return Path(path)


def _short(timestamp) -> str:
    text = str(timestamp)
    return text[:10] if text.endswith("00:00:00") else text[:16]
