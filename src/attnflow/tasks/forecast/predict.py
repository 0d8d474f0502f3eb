"""`attnflow predict RUN` for the forecast task, and the pictures of a run."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from attnflow._validation import check_positive_int, fail
from attnflow.data.frequencies import time_text
from attnflow.data.timeseries import without_blank_end
from attnflow.explain.forecast_plot import plot_attention_over_past, plot_forecast
from attnflow.tasks.forecast import output
from attnflow.tasks.forecast.covariates import extend_with_future
from attnflow.tasks.forecast.data import ForecastData, load_series, raw_inputs
from attnflow.tasks.forecast.model import attention_over_context, scaler_from_dict


def predict(task, load_model, inputs: list[str], args: dict, config) -> None:
    """Forecasts the `horizon` steps after the end of --data FILE (or the run's series).

    Prints the forecast table, or writes it as CSV with --output (into an
    existing folder); with --show-attention also writes the attention over the
    past (forecast_attention.png) and the top-k past steps of each forecast
    step (forecast_attention_top_k.json) into --plots DIR (default
    RUN/attention/predicted), and says where. Every argument is checked
    before anything is written.
    """
    options = task.options(config)
    if inputs:
        fail("no INPUT arguments (a forecast follows the end of --data FILE or of the run's series)",
             inputs=inputs)
    check_positive_int("top_k", args.get("top_k", 5))
    if args.get("show_attention") and config.model.get("attention") == "none":
        fail("a run trained with attention for --show-attention", attention="none")
    output_path = _checked_output(args.get("output"))
    plots = Path(args.get("plots") or Path(args["run"]) / "attention" / "predicted")
    if args.get("show_attention") and plots.exists() and not plots.is_dir():
        fail("--plots to name a folder, not a file", plots=str(plots))
    future = _future_frame(args.get("future"), options)
    if options.is_panel:
        from attnflow.tasks.forecast.panel import forecast_panel_next

        frame = forecast_panel_next(load_model, options, args.get("data") or config.data, future,
                                    written=True)
        horizon = options.horizon
        if args.get("show_attention"):
            fail("--show-attention with a run on one series (a panel has many)", show_attention=True)
    else:
        frame, model, data, origin = forecast_next(task, load_model, config, args.get("data"), future)
        frame = output.as_written(frame, data.series.time_col, data.series.values, data.series.times)
        horizon = data.horizon
    if output_path is not None:
        _write_whole(output_path, frame.to_csv(index=False))
        print(f"forecast of {horizon} steps written to {output_path}")
    else:
        print(frame.to_string(index=False))
    if args.get("show_attention"):
        plots.mkdir(parents=True, exist_ok=True)
        png, top = write_attention(model, data, origin, plots / "forecast_attention.png",
                                   plots / "forecast_attention_top_k.json", k=args.get("top_k", 5))
        print(f"attention over the past: {png}\ntop-{args.get('top_k', 5)} past steps: {top}")


def _future_frame(path, options):
    """--future FILE read (None without it); an error for a run with no future covariates."""
    if path is None:
        return None
    if not options.future_covariates:
        fail("no --future FILE for a run trained without --future-covariates", future=str(path))
    from attnflow.data._table_files import read_table
    from attnflow.data.timeseries import SERIES_FILES

    return read_table(path, files=SERIES_FILES)


def forecast_next(task, load_model, config, data_path=None, future=None):
    """The forecast of the `horizon` steps after the end of the series in `data_path`
    (default: the run's data), as (frame, model, ForecastData, origin); the frame has
    the time column, one column per target and the quantile columns."""
    options = task.options(config)
    series, _ = load_series(options, data_path or config.data)
    series, cut = without_blank_end(series)
    if cut and len(series):
        warnings.warn(f"the last {cut} step(s) of the data have no value of {', '.join(series.target_names)}: "
                      f"the forecast follows {time_text(series.times[-1])}, the last step with one",
                      stacklevel=2)
    context, horizon = options.context, options.horizon
    if len(series) < context:
        fail(f"a series of at least context={context} steps to forecast from", length=len(series))
    if not series.observed[-context:].any():
        fail(f"an observed value among the last context={context} steps", length=len(series))
    origin = len(series)
    series = extend_with_future(series, future, horizon, list(options.future_covariates), series.time_col,
                                season_length=options.season_length)
    data = ForecastData(series, context, horizon, options.season_length, options.transform,
                        scaler=scaler_from_dict(options.scaler))
    model = load_model()
    forecast = output.network_forecast(model, data, origin)  # [H, T(, Q)]
    frame = output.forecast_frame(series.times[origin:], forecast, series.target_names,
                                  series.time_col, options.quantiles)
    return frame, model, data, origin


def attention_frame(model, data: ForecastData, origin: int):
    """The attention of the forecast from `origin` as a tidy DataFrame: one row per
    (forecast step, context step) with their times and the weight."""
    import pandas as pd

    series, context, horizon = data.series, data.context, data.horizon
    raw = raw_inputs(series, [origin], context, horizon)
    weights = attention_over_context(model, data.scaler, raw)[0]  # [H, L]
    context_times = series.times[origin - context:origin]
    forecast_times = _times_from(series, origin, horizon)
    rows = [{"forecast_step": step + 1, "forecast_time": forecast_times[step],
             "context_step": past - context, "context_time": context_times[past],
             "weight": float(weights[step, past])}
            for step in range(horizon) for past in range(context)]
    return pd.DataFrame(rows)


def _checked_output(output) -> Path | None:
    """--output FILE, checked before any work: a file (not a folder) in an existing folder."""
    if not output:
        return None
    path = Path(output)
    if path.is_dir():
        fail("--output to name a file, not a folder", output=str(path))
    if not path.parent.is_dir():
        fail("--output in an existing folder", output=str(path))
    return path


def _write_whole(path: Path, text: str) -> None:
    """Writes `text` to `path` through a temporary file beside it: the old file stays
    whole until the new one is."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_attention(model, data: ForecastData, origin: int, png, json_path, k: int = 5) -> list[Path]:
    """The attention of the forecast from `origin` over its context: a PNG and the top-k JSON."""
    series, context, horizon = data.series, data.context, data.horizon
    raw = raw_inputs(series, [origin], context, horizon)
    weights = attention_over_context(model, data.scaler, raw)[0]  # [H, L]
    context_times = series.times[origin - context:origin]
    forecast_times = _times_from(series, origin, horizon)
    name = series.target_names[0]
    plot_attention_over_past(weights, context_times, series.values[origin - context:origin, 0],
                             forecast_times, png, name=name,
                             title=f"attention of the forecast of {name} from {forecast_times[0]}")
    entries = output.top_k_attention(weights, context_times, forecast_times, k)
    return [Path(png), output.write_top_k(json_path, entries, ", ".join(series.target_names))]


def write_test_plot(model, data: ForecastData, quantiles, path) -> Path:
    """forecast.png: the history before the test part, the forecast, its interval, the test values."""
    forecast = output.network_forecast(model, data)  # [H, T(, Q)]
    start = max(0, data.test_origin - max(4 * data.horizon, 3 * data.context))
    series = data.series
    lower = upper = None
    if len(quantiles) > 1:
        lower, upper = forecast[..., 0], forecast[..., -1]
    return plot_forecast(series.times[start:data.test_origin], series.values[start:data.test_origin],
                         _times_from(series, data.test_origin, data.horizon),
                         output.point_forecast(forecast, quantiles), path, actual=data.test_values,
                         lower=lower, upper=upper,
                         interval=f"q{quantiles[0]:g}-q{quantiles[-1]:g}" if lower is not None else "",
                         names=series.target_names, title=f"{data.name}: test forecast")


def _times_from(series, origin: int, horizon: int):
    """The timestamps of steps origin .. origin + horizon - 1 (past the end too)."""
    if origin + horizon <= len(series):
        return series.times[origin:origin + horizon]
    return series.times[origin:].append(series.future_times(origin + horizon - len(series)))
