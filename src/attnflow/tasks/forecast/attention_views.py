"""The forecaster's attention, laid out for the explorer, TensorBoard and faithfulness.

Views of one forecast (the explorer's "layer" picker):

- "attention": each forecast step (rows) over the context steps (columns),
  per head and head-averaged;
- "by lag": the same weights indexed by lag, the distance from a forecast
  step's own time back to the context step it reads (lag 12 of a monthly
  series: the same month a year before), averaged over the forecast steps
  that can read that lag.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from attnflow.explain.explorer import attention_view, heads_with_mean
from attnflow.explain.faithfulness import FaithfulnessProblem, measure, normalized_entropy
from attnflow.tasks.forecast.data import raw_inputs
from attnflow.tasks.forecast.model import raw_forecast, scaled_inputs

FAITHFULNESS_ORIGINS = 24  # forecasts measured: the test forecast and those from the 23 steps before


def _origins(data, split: str, count: int) -> list[int]:
    """Forecast origins, oldest first: the test origin and earlier ones a horizon apart
    ("validation": only the earlier ones)."""
    first = data.test_origin - (data.horizon if split == "validation" else 0)
    origins = [first - i * data.horizon for i in range(count)]
    return sorted(o for o in origins if o >= data.context)


def _weights(model, data, raw) -> np.ndarray:
    """The raw attention [N, heads, H, L] (Bahdanau: one head)."""
    weights = np.asarray(model.attention_weights(scaled_inputs(data.scaler, raw)), np.float64)
    return weights if weights.ndim == 4 else weights[:, None]


def by_lag(weights) -> np.ndarray:
    """[..., H, L] weights -> [..., L + H - 1]: the weight at each lag (1 .. L + H - 1),
    averaged over the forecast steps that can read that lag (forecast step h, 0-based,
    reads context step l at lag L - l + h)."""
    weights = np.asarray(weights, np.float64)
    horizon, context = weights.shape[-2:]
    total = np.zeros(weights.shape[:-2] + (context + horizon - 1,))
    count = np.zeros(context + horizon - 1)
    for step in range(horizon):
        lags = context - np.arange(context) + step - 1  # 0-based lag index
        total[..., lags] += weights[..., step, :]
        count[lags] += 1
    return total / count


def examples(model, data, config, split: str = "test", count: int = 8) -> tuple[str, list[dict]]:
    """("forecast", [example, ...]); [] for a model without attention. A panel gives the
    test forecast (or, for "validation", the one a horizon before) of its first `count` series."""
    from attnflow.tasks.forecast.output import point_forecast
    from attnflow.tasks.forecast.panel import PanelData, panel_forecast, series_scale

    if model.attention == "none":
        return "forecast", []
    context, horizon = data.context, data.horizon
    if isinstance(data, PanelData):
        shown = data.panel.subset(list(range(min(count, len(data.panel)))))
        back = horizon if split == "validation" else 0
        kept = [i for i, s in enumerate(shown.series) if len(s) - horizon - back >= context]
        if not kept:
            return "forecast", []
        shown = shown.subset(kept)
        cases = [(f"{name}: {'test' if not back else 'earlier'}", s, len(s) - horizon - back)
                 for name, s in zip(shown.ids, shown.series)]
        # The network reads each series divided by its own size before the origin, as in training.
        raw = [raw_inputs(s.with_values(s.values / series_scale(s, origin)), [origin], context, horizon)
               for _, s, origin in cases]
        weights = _weights(model, data, {key: np.concatenate([r[key] for r in raw]) for key in raw[0]})
        forecasts = panel_forecast(model, dataclasses.replace(data, panel=shown),
                                   [origin for _, _, origin in cases])
    else:
        origins = _origins(data, split, count)
        if not origins:
            return "forecast", []
        cases = [("test" if origin == data.test_origin else "earlier", data.series, origin) for origin in origins]
        raw = raw_inputs(data.series, origins, context, horizon)
        weights = _weights(model, data, raw)  # [N, heads, H, L]
        forecasts = raw_forecast(model, data.scaler, raw)
    forecasts = point_forecast(forecasts, model.quantiles)  # [N, H, T]
    return "forecast", [_example(label, series, origin, context, horizon, weights[row], forecasts[row, :, 0])
                        for row, (label, series, origin) in enumerate(cases)]


def _example(label: str, series, origin: int, context: int, horizon: int, weights, forecast) -> dict:
    """The explorer's example of the forecast of `series` from `origin`: weights [heads, H, L],
    forecast [H] (the first target's)."""
    name = series.target_names[0]
    times = [str(t.date()) if t == t.normalize() else str(t) for t in _times(series, origin - context,
                                                                           origin + horizon)]
    actual = series.values[origin:origin + horizon, 0]
    heads = heads_with_mean(weights) if weights.shape[0] > 1 else {"weights": weights[0]}
    lag_heads = {head: by_lag(w)[None] for head, w in heads.items()}
    lags = list(range(1, context + horizon))
    return {
        "name": f"{label}: from {times[context]}",
        "input": f"{name}, {context} steps {times[0]} .. {times[context - 1]}",
        "prediction": ", ".join(f"{v:.4g}" for v in forecast),
        "truth": ", ".join("-" if np.isnan(v) else f"{v:.4g}" for v in actual) if len(actual) else None,
        "rows": [f"h{h + 1} {times[context + h]}" for h in range(horizon)],
        "columns": times[:context],
        "series": {"name": name, "values": [None if np.isnan(v) else float(v)
                                            for v in series.values[origin - context:origin, 0]]},
        "views": [attention_view("attention", heads, note="forecast steps (rows) over the context "
                                                          "(columns)"),
                  attention_view("by lag", lag_heads, rows=["mean over forecast steps"],
                                 columns=[f"lag {lag}" for lag in lags], kind="lags",
                                 note="weight at each lag (forecast time minus context time), "
                                      "averaged over the forecast steps")]}


def _times(series, start: int, stop: int):
    times = series.times[start:min(stop, len(series))]
    if stop > len(series):
        times = times.append(series.future_times(stop - len(series)))
    return list(times)


def faithfulness(model, data, config) -> dict | None:
    """`measure` on the forecasts from the last FAITHFULNESS_ORIGINS origins up to the test
    origin: a context step removed is masked (unobserved); the change is the mean absolute
    difference of the two point forecasts, in the data's units. Also the attention's
    normalized entropy per forecast step (1: uniform) and the lags it weighs most."""
    from attnflow.tasks.forecast.output import point_forecast

    if model.attention == "none":
        return None
    origins = [o for o in range(data.test_origin - FAITHFULNESS_ORIGINS + 1, data.test_origin + 1)
               if o >= data.context]
    raw = raw_inputs(data.series, origins, data.context, data.horizon)
    weights = _weights(model, data, raw).mean(axis=1)  # [N, H, L]
    observed = raw["observed"].max(axis=-1) > 0  # [N, L]
    positions = [np.flatnonzero(row) for row in observed]
    quantiles = model.quantiles

    def outputs(removed):
        changed = {key: value.copy() for key, value in raw.items()}
        for row, (where, gone) in enumerate(zip(positions, removed)):
            changed["observed"][row, where[gone]] = 0.0
            changed["context"][row, where[gone]] = 0.0
        return point_forecast(raw_forecast(model, data.scaler, changed), quantiles)

    inputs = {key: tf.constant(value) for key, value in scaled_inputs(data.scaler, raw).items()}
    with tf.GradientTape() as tape:
        tape.watch(inputs["context"])
        target = tf.reduce_sum(model(inputs, training=False))
    product = tape.gradient(target, inputs["context"]) * inputs["context"]  # [N, L, T]
    attribution = np.abs(tf.reduce_sum(product, axis=-1).numpy())  # [N, L]
    importance = weights.mean(axis=1)  # [N, L]
    problem = FaithfulnessProblem([importance[row, where] for row, where in enumerate(positions)], outputs,
                                  [attribution[row, where] for row, where in enumerate(positions)],
                                  change="forecast")
    figures = measure(problem, seed=config.seed)
    entropy = normalized_entropy(weights).mean(axis=0)  # [H]
    lag_profile = by_lag(weights).mean(axis=0)  # [L + H - 1]
    top_lags = [int(lag) + 1 for lag in np.argsort(-lag_profile)[:3]]
    figures.update(attention_entropy=round(float(entropy.mean()), 4),
                   attention_entropy_per_step=[round(float(e), 4) for e in entropy],
                   top_lags=top_lags,
                   top_lag_weight_per_step=_rounded(weight_at_lags(weights, [top_lags[0]]).mean(axis=0)))
    if data.season_length > 1:  # the same phase of earlier seasons: lags m, 2m, ...
        seasonal = range(data.season_length, data.context + data.horizon, data.season_length)
        figures["seasonal_lag_weight_per_step"] = _rounded(weight_at_lags(weights, seasonal).mean(axis=0))
    return figures


def weight_at_lags(weights, lags) -> np.ndarray:
    """[..., H, L] weights -> [..., H]: each forecast step's total weight at `lags` (1-based;
    forecast step h, 0-based, reads lag k at context step L - k + h); NaN for a step that
    reads none of them."""
    weights = np.asarray(weights, np.float64)
    horizon, context = weights.shape[-2:]
    total = np.zeros(weights.shape[:-1])
    readable = np.zeros(horizon, bool)
    for step in range(horizon):
        for lag in lags:
            position = context - lag + step
            if 0 <= position < context:
                total[..., step] += weights[..., step, position]
                readable[step] = True
    return np.where(readable, total, np.nan)


def _rounded(values) -> list:
    return [None if np.isnan(v) else round(float(v), 4) for v in values]
