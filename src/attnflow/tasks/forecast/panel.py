"""The forecast task on a panel: many series, one global network, scores over all series.

Each series' test part is its own last `horizon` steps (the M-competition
convention); the network trains on the windows of every series' training
part (a window whose target runs past the training part has those steps
masked). Scaling: each series is divided by its own size (the mean
absolute value of its history before the forecast origin, computed again
at every forecast, so a new series needs no stored constant), then one
transform and standardization for all series, then per window inside the
network: the forecast is the window's own level (and
seasonal profile) plus what the network adds, read from the context
centred on that level and divided by its own spread (`residual`,
`scale_by_context`), so series of any size look alike to it. With the
log1p transform of positive data the loss is, in effect, a relative error.

Scores are those of the competitions: MAPE over every series and step,
MASE per series (scaled by the series' in-sample seasonal naive MAE) then
averaged over series.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from attnflow._validation import fail
from attnflow.data.builtin_panels import BUILTIN_PANELS
from attnflow.data.panel import Panel, drop_flat, drop_short, drop_unscored, read_panel
from attnflow.data.timeseries import TimeSeries, without_blank_end
from attnflow.data.windows import Scaler, Windows, make_windows
from attnflow.tasks.forecast.covariates import file_columns
from attnflow.tasks.forecast.data import raw_inputs, with_covariate_roles
from attnflow.tasks.forecast.model import raw_forecast, scaler_from_dict
from attnflow.training.forecast_metrics import forecast_metrics


@dataclasses.dataclass
class PanelData:
    """A panel split for the forecast task.

    Attributes:
        panel: the series (those long enough for one test window).
        context, horizon, season_length, transform: the run's.
        scaler: fitted on the training parts of all series.
        train: the windows of every series' training part, in model units.
        name: the built-in panel's name or the file's path.
    """

    panel: Panel
    context: int
    horizon: int
    season_length: int
    transform: str
    scaler: Scaler | None = None
    train: Windows | None = None
    validation: Windows | None = None
    backtest: list = dataclasses.field(default_factory=list)
    name: str = ""

    @property
    def series(self):
        """The first series (its column names and frequency are every series')."""
        return self.panel.series[0]

    def test_values(self) -> list[np.ndarray]:
        """Each series' test part, raw [H, n_targets]."""
        return [s.values[-self.horizon:] for s in self.panel.series]

    def train_values(self) -> list[np.ndarray]:
        """Each series' training part, raw [T_i - H, n_targets]."""
        return [s.values[:-self.horizon] for s in self.panel.series]


def load_panel(options, data_path: str | None, limit: int | None = None) -> tuple[Panel, str]:
    """The user's long file (--id-col) or a built-in panel (its first `limit` series)."""
    if data_path is None:
        panel = BUILTIN_PANELS[options.dataset].load(limit)
        return dataclasses.replace(panel, series=tuple(with_covariate_roles(s, options) for s in panel.series)), \
            options.dataset
    if not options.target:
        fail("--target COLUMN [COLUMN ...] naming the column(s) of the file to forecast",
             target=options.target)
    panel = read_panel(data_path, options.id_col, options.time_col, list(options.target),
                       file_columns(options), list(options.static_covariates), freq=options.freq)
    series = tuple(with_covariate_roles(with_static(s, panel.static[i], panel.static_names), options)
                   for i, s in enumerate(panel.series))
    panel = dataclasses.replace(panel, series=series)
    return (panel.subset(range(min(limit, len(panel)))) if limit else panel), str(data_path)


def with_static(series: TimeSeries, values: np.ndarray, names) -> TimeSeries:
    """The series with its static covariates appended as constant covariate columns
    (known over the forecast steps: the network's inputs and queries read them)."""
    if not len(names):
        return series
    constant = np.repeat(np.asarray(values, dtype=np.float64)[None], len(series), axis=0)  # [T, S]
    return dataclasses.replace(
        series, covariates=np.concatenate([series.covariates, constant], axis=1),
        covariates_observed=np.concatenate([series.covariates_observed, np.ones_like(constant, bool)], axis=1),
        covariate_names=(*series.covariate_names, *names))


def panel_settings(options, panel: Panel, name: str) -> tuple[int, int, int, str]:
    """(context, horizon, season_length, transform): the options, else the built-in
    panel's (horizon, season), else from the frequency; context two seasons (at least
    the horizon; without a season, twice the horizon; at most what the shortest series
    allows); transform log1p for data >= 0, else none."""
    spec = BUILTIN_PANELS.get(name)
    season = options.season_length or (spec.season_length if spec else panel.series[0].season_length)
    horizon = options.horizon or (spec.horizon if spec else max(season, 4))
    # Two seasons (at least the horizon; without a season, twice the horizon), but no longer
    # than the shortest series allows (its test window still fits), so that by default no
    # series is skipped. Chosen on M3 (quarterly 16 -> 8 steps: MAPE 12.36 -> 12.00, MASE
    # 1.173 -> 1.159; monthly 36 -> 24: see docs/forecasting-panels.md), not on Tourism.
    lengths = [len(s) for s in panel.series]
    shortest = min([n for n in lengths if n >= season + horizon] or lengths)  # a series too short
    # for even one season of context is skipped anyway: it does not shorten every other one's
    wanted = max(2 * season, horizon) if season > 1 else 2 * horizon
    context = options.context or max(min(wanted, shortest - horizon), season, 1)
    lowest = min(np.nanmin(s.values) for s in panel.series)
    transform = options.transform or ("log1p" if lowest >= 0 else "none")
    return context, horizon, season, transform


def panel_training_data(options, data_path: str | None) -> PanelData:
    """The run's panel: series too short for a test window skipped, scaler, windows."""
    if options.backtest:
        fail("no --backtest with a panel (each series' test part is its last horizon steps)",
             backtest=options.backtest)
    panel, name = load_panel(options, data_path, options.limit)
    context, horizon, season, transform = panel_settings(options, panel, name)
    panel = drop_short(panel, context + horizon, f"context {context} + horizon {horizon}")
    panel = drop_flat(drop_unscored(panel, horizon), horizon, season)
    data = PanelData(panel, context, horizon, season, transform, name=name)
    relative = dataclasses.replace(panel, series=tuple(
        s.with_values(s.values / series_scale(s, len(s) - horizon)) for s in panel.series))
    data.scaler = fit_scaler(relative, horizon, transform)
    data.train = panel_windows(relative, data.scaler, context, horizon)
    if len(data.train) == 0:
        fail(f"a series with a training window of context {context} + 1 step before its test part",
             longest=max(len(s) for s in panel.series))
    return data


def scoring_panel(options, data_path: str, scaler: Scaler) -> PanelData:
    """A long file to score a trained run on (with the run's scaler): each series'
    last `horizon` steps after `context` steps (shorter series skipped, with a warning)."""
    panel, name = load_panel(options, data_path)
    context, horizon = options.context, options.horizon
    panel = drop_short(panel, context + horizon, f"context {context} + horizon {horizon}")
    panel = drop_flat(drop_unscored(panel, horizon), horizon, options.season_length)
    return PanelData(panel, context, horizon, options.season_length, scaler.transform, scaler=scaler,
                     name=name)


def fit_scaler(panel: Panel, horizon: int, transform: str) -> Scaler:
    """One transform and standardization, fitted on the training parts of all series."""
    values = np.concatenate([s.values[:-horizon] for s in panel.series])
    covariates = np.concatenate([s.covariates[:-horizon] for s in panel.series])
    first = panel.series[0]
    return Scaler.fit_values(values, covariates, transform, first.target_names, first.covariate_names)


def panel_windows(panel: Panel, scaler: Scaler, context: int, horizon: int) -> Windows:
    """Every series' training windows: origins context .. T_i - H - 1, the steps of a
    target at or after the test part masked."""
    parts = []
    for series in panel.series:
        train = series.slice(stop=len(series) - horizon)
        if len(train) > context:
            parts.append(make_windows(train, scaler, context, horizon, np.arange(context, len(train))))
    if not parts:
        return make_windows(panel.series[0], scaler, context, horizon, np.zeros(0, dtype=np.int64))
    return Windows(*(np.concatenate([getattr(p, f.name) for p in parts])
                     for f in dataclasses.fields(Windows)))


def series_scale(series, stop: int) -> np.ndarray:
    """A series' own size: the mean absolute observed value of each target before `stop`
    ([n_targets]; 1 where that is 0 or nothing is observed)."""
    observed = np.abs(np.where(series.observed[:stop], series.values[:stop], 0.0))
    counts = series.observed[:stop].sum(axis=0)
    scale = observed.sum(axis=0) / np.maximum(counts, 1)
    return np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)


def panel_forecast(model, data: PanelData, origins=None, batch: int = 1024) -> np.ndarray:
    """The network's raw forecast of each series from its origin (default: its test
    part): [N, H, T] or [N, H, T, Q]. Each series is divided by its own size before the
    origin (`series_scale`, as in training) and the forecast multiplied back."""
    series = data.panel.series
    origins = [len(s) - data.horizon for s in series] if origins is None else origins
    scales = np.stack([series_scale(s, origin) for s, origin in zip(series, origins)])  # [N, T]
    raws = [raw_inputs(s.with_values(s.values / scale), [origin], data.context, data.horizon)
            for s, origin, scale in zip(series, origins, scales)]
    forecasts = []
    for start in range(0, len(raws), batch):
        part = raws[start:start + batch]
        stacked = {key: np.concatenate([raw[key] for raw in part]) for key in part[0]}
        forecasts.append(raw_forecast(model, data.scaler, stacked))
    forecasts = np.concatenate(forecasts)  # [N, H, T(, Q)]
    return forecasts * (scales[:, None, :, None] if forecasts.ndim == 4 else scales[:, None, :])


def panel_scores(data: PanelData, forecasts) -> dict[str, float]:
    """MAPE over every series and step; MASE, MAE, RMSE per series, then averaged.

    Args:
        forecasts: raw point forecasts, [N, H, T] (or a list of [H, T]).
    """
    per_series = [forecast_metrics(test, np.asarray(forecast).reshape(test.shape), train,
                                   data.season_length)
                  for test, forecast, train in zip(data.test_values(), forecasts, data.train_values())]
    return {metric: float(np.mean([scores[metric] for scores in per_series])) for metric in per_series[0]}


def classical_panel_forecasts(data: PanelData) -> dict[str, np.ndarray]:
    """Seasonal naive, AutoETS and AutoTheta (statsforecast) fitted on each series'
    training part: {name: [N, H, T]}. NaN in a training part is carried forward
    (leading NaN dropped), as these models take no gaps."""
    from statsforecast.models import AutoETS, AutoTheta, SeasonalNaive

    from attnflow.tasks.forecast.baselines import _carry_forward

    season = data.season_length
    models = {"seasonal_naive": lambda: SeasonalNaive(season_length=season),
              "ets": lambda: AutoETS(season_length=season),
              "theta": lambda: AutoTheta(season_length=season)}
    forecasts = {name: [] for name in models}
    for train in data.train_values():
        for name, make in models.items():
            columns = []
            for column in train.T:
                values = _carry_forward(column)
                try:
                    columns.append(make().forecast(y=values, h=data.horizon)["mean"])
                except Exception:  # statsforecast's own failure on a tiny series: seasonal naive
                    columns.append(SeasonalNaive(season_length=min(season, len(values))).forecast(
                        y=values, h=data.horizon)["mean"])
            forecasts[name].append(np.stack(columns, axis=1))
    return {name: np.stack(values) for name, values in forecasts.items()}


def _without_blank_ends(panel: Panel) -> Panel:
    """Each series up to its last step with an observed target, with one warning counting
    the series whose ends were cut (rows added for the dates to forecast)."""
    trimmed = [without_blank_end(series) for series in panel.series]
    cut = [name for name, (_, steps) in zip(panel.ids, trimmed) if steps]
    if cut:
        warnings.warn(f"{len(cut)} series end with steps that have no target value (first: "
                      f"{panel.id_col}={cut[0]}): each forecast follows its series' last step with one",
                      stacklevel=3)
    return dataclasses.replace(panel, series=tuple(series for series, _ in trimmed))


def forecast_panel_next(load_model, options, data_path, future=None, written: bool = False):
    """The forecast of the `horizon` steps after the end of every series (of the file,
    else of the run's data) as a long table: id, time, the target(s) and their quantile
    columns. Known-future covariates come from `future` (id, time and their columns).
    With `written`, the table is text as the input was written (`output.as_written`)."""
    import pandas as pd

    from attnflow.tasks.forecast.covariates import extend_with_future
    from attnflow.tasks.forecast.output import as_written, forecast_frame

    panel, name = load_panel(options, data_path)
    context, horizon = options.context, options.horizon
    panel = _without_blank_ends(panel)
    panel = drop_short(panel, context, f"context {context}")
    groups = {}
    if future is not None:
        if panel.id_col not in future.columns:
            fail(f"an id column {panel.id_col!r} in the --future file",
                 columns=[str(c) for c in future.columns][:10])
        groups = {str(key): part for key, part in future.groupby(future[panel.id_col].astype(str))}
    names = list(options.future_covariates)
    extended = tuple(
        extend_with_future(series, groups.get(index, future.iloc[:0]) if future is not None else None,
                           horizon, names, series.time_col, label=index, season_length=options.season_length,
                           static=options.static_covariates)
        for index, series in zip(panel.ids, panel.series))
    data = PanelData(dataclasses.replace(panel, series=extended), context, horizon, options.season_length,
                     options.transform, scaler=scaler_from_dict(options.scaler), name=name)
    origins = [len(s) - horizon for s in extended]
    forecasts = panel_forecast(load_model(), data, origins)  # [N, H, T(, Q)]
    frames = []
    for index, series, forecast in zip(panel.ids, extended, forecasts):
        frame = forecast_frame(series.times[-horizon:], forecast, series.target_names, series.time_col,
                               options.quantiles)
        frame.insert(0, panel.id_col, index)
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    if not written:
        return frame
    values = np.concatenate([s.values[:-horizon].ravel() for s in extended])  # as the user wrote them
    times = np.concatenate([np.asarray(s.times[:-horizon]) for s in extended])
    return as_written(frame, extended[0].time_col, values, times, keep=[panel.id_col])

