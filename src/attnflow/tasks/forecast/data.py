"""The forecast task's data: which series, its split, scaler, windows and backtest folds."""

from __future__ import annotations

import dataclasses

import numpy as np

from attnflow._validation import fail
from attnflow.data.builtin_series import BUILTIN_SERIES, DEFAULT_SERIES
from attnflow.data.timeseries import TimeSeries, check_window_fits, read_series, varies_before
from attnflow.tasks.forecast.covariates import file_columns, known_future, with_calendar
from attnflow.data.windows import (Scaler, Split, Windows, chronological_split, make_windows,
                                   max_backtest_folds, rolling_origin_splits)


@dataclasses.dataclass
class ForecastData:
    """A series cut for one training run (or, without `split`, for scoring a trained one).

    Attributes:
        series: the whole series (gaps NaN and masked).
        context, horizon: L and H.
        season_length: m, for the seasonal baselines, MASE and the model.
        transform: the scaler's target transform.
        split: the chronological split (None: scoring only; the test part is
            still the last `horizon` steps).
        scaler: fitted on series[:split.train_stop] (without a split: the run's).
        train, validation: windows in model units (None without a split).
        backtest: the rolling-origin folds, oldest first (the last is `split`).
        name: the built-in series' name or the file's path.
    """

    series: TimeSeries
    context: int
    horizon: int
    season_length: int
    transform: str
    split: Split | None = None
    scaler: Scaler | None = None
    train: Windows | None = None
    validation: Windows | None = None
    backtest: list = dataclasses.field(default_factory=list)
    name: str = ""

    @property
    def test_origin(self) -> int:
        """Position of the first test step: the last `horizon` steps are the test part."""
        return len(self.series) - self.horizon if self.split is None else self.split.test_origin

    @property
    def test_values(self) -> np.ndarray:
        """The test part, raw [H, n_targets] (NaN where not observed)."""
        return self.series.values[self.test_origin:self.test_origin + self.horizon]

    @property
    def train_values(self) -> np.ndarray:
        """Everything before the test part, raw [T_train, n_targets]."""
        return self.series.values[:self.test_origin]

    def fold(self, split: Split) -> "ForecastData":
        """The same series cut at another split (a backtest fold): own scaler, own windows."""
        return cut(self.series, self.context, self.horizon, self.season_length, self.transform,
                   split, name=self.name)


def load_series(options, data_path: str | None) -> tuple[TimeSeries, str]:
    """The user's file (with its time, target and covariate columns) or a built-in series."""
    if data_path is not None:
        if not options.target:
            fail("--target COLUMN [COLUMN ...] naming the column(s) of the file to forecast",
                 target=options.target)
        series = read_series(data_path, options.time_col, list(options.target), file_columns(options),
                             freq=options.freq)
        return with_covariate_roles(series, options), str(data_path)
    name = options.dataset or DEFAULT_SERIES
    series = BUILTIN_SERIES[name].load()
    return (with_covariate_roles(series, options) if options.calendar else series), name


def with_covariate_roles(series: TimeSeries, options) -> TimeSeries:
    """The series with the calendar features (--calendar) and which covariates are known
    over the forecast steps (--future-covariates, the calendar; None when there are none,
    as before future covariates existed)."""
    if options.calendar:
        series = with_calendar(series, options.season_length or series.season_length)
    known = known_future(options, series.covariate_names)
    return dataclasses.replace(series, future_known=tuple(map(bool, known)) if known.any() else None)


def series_settings(options, series: TimeSeries, name: str) -> tuple[int, int, int, str]:
    """(context, horizon, season_length, transform): the options, else the built-in
    series' own, else from the data: horizon one season (at least 4 steps), context
    three horizons (at least one season: the seasonal anchor reads one), and "log"
    when every observed value is positive ("none" otherwise),
    as the classical baselines of a positive series are multiplicative or fitted on logs."""
    spec = BUILTIN_SERIES.get(name)
    season = spec.season_length if spec is not None else series.season_length
    horizon = options.horizon or (spec.horizon if spec is not None else max(season, 4))
    context = options.context or (spec.context if spec is not None else max(3 * horizon, season))
    transform = options.transform or (spec.transform if spec is not None else _transform_of(series))
    return context, horizon, season, transform


def check_varies(series: TimeSeries, horizon: int, season_length: int) -> None:
    """Raises ValueError, before any training, for a series whose training part (all but
    the last `horizon` steps) has no seasonal difference other than 0 (a constant series,
    or one that repeats exactly every season): seasonal naive is exact there, and MASE,
    scaled by its error, is undefined."""
    if not varies_before(series, horizon, season_length):
        train = series.values[:len(series) - horizon]
        fail(f"a series that varies before its test part (its last {horizon} steps): every value there "
             f"equals the one {season_length} step(s) before it (a constant series?), so the seasonal "
             "naive forecast is exact and MASE is undefined",
             first_value=float(train[~np.isnan(train)][0]) if np.any(~np.isnan(train)) else None)


def _transform_of(series: TimeSeries) -> str:
    """"log" for a series whose observed values are all positive, else "none"."""
    observed = series.values[~np.isnan(series.values)]
    return "log" if observed.size and observed.min() > 0 else "none"


def training_data(options, data_path: str | None) -> ForecastData:
    """The run's data: the series, checked to fit a window, split, scaled and windowed."""
    series, name = load_series(options, data_path)
    context, horizon, season, transform = series_settings(options, series, name)
    try:
        check_window_fits(series, context, horizon)
    except ValueError as error:
        defaults = [f"{key}={value}" for key, value in (("context", context), ("horizon", horizon))
                    if getattr(options, key) is None]
        if not defaults or name in BUILTIN_SERIES:
            raise
        raise ValueError(f"{error} ({' and '.join(defaults)} chosen for a series of season {season}, as "
                         "none was given: set them lower for a short series)") from None
    check_varies(series, horizon, season)
    if options.backtest:
        check_backtest(options.backtest, len(series), context, horizon, options.validation_windows)
        folds = rolling_origin_splits(len(series), context, horizon, options.backtest,
                                      validation_windows=options.validation_windows)
    else:
        folds = [chronological_split(len(series), context, horizon, options.validation_windows)]
    data = cut(series, context, horizon, season, transform, folds[-1], name=name)
    data.backtest = folds if options.backtest else []
    return data


def check_backtest(backtest: int, length: int, context: int, horizon: int,
                   validation_windows: int = 0) -> None:
    """Raises ValueError, before any training, when the series has fewer than
    `backtest` rolling-origin folds (test parts `horizon` steps apart)."""
    most = max_backtest_folds(length, context, horizon, validation_windows=validation_windows)
    if backtest > most:
        held = f" and {validation_windows} validation windows" if validation_windows else ""
        fail(f"--backtest at most {most} for {length} steps with context {context} and "
             f"horizon {horizon}{held}", backtest=backtest)


def scoring_data(options, data_path: str, scaler: Scaler) -> ForecastData:
    """A file to score a trained run on (with the run's scaler): its last `horizon`
    steps after `context` steps."""
    series, name = load_series(options, data_path)
    context, horizon = options.context, options.horizon
    if len(series) < context + horizon:
        fail(f"a series of at least context + horizon = {context + horizon} steps", length=len(series))
    if not series.observed[-horizon:].any():
        fail("at least one observed value in the test part (the last horizon steps)", horizon=horizon)
    return ForecastData(series, context, horizon, options.season_length, scaler.transform, scaler=scaler,
                        name=name)


def cut(series: TimeSeries, context: int, horizon: int, season_length: int, transform: str,
        split: Split, name: str = "") -> ForecastData:
    """Scaler fitted on the training part of `split`, windows in model units."""
    scaler = Scaler.fit(series, split.train_stop, transform)
    train = make_windows(series, scaler, context, horizon, split.train_origins)
    validation = make_windows(series, scaler, context, horizon, split.validation_origins) \
        if len(split.validation_origins) else None
    return ForecastData(series, context, horizon, season_length, transform, split, scaler, train,
                        validation, name=name)


def raw_inputs(series: TimeSeries, origins, context: int, horizon: int) -> dict[str, np.ndarray]:
    """Raw windows for `_forecast_model.raw_forecast`: past values and masks, future covariates.

    Args:
        origins: positions of the first forecast step, each in [context, len(series)].

    Returns:
        {"context", "observed"} [N, L, T] and, with covariates, {"covariates",
        "covariates_observed"} [N, L, C] and {"future_covariates",
        "future_covariates_observed"} [N, H, C]; NaN values are 0 with mask 0.
    """
    origins = np.asarray(origins, dtype=np.int64).reshape(-1)
    past = origins[:, None] + np.arange(-context, 0)[None, :]  # [N, L]
    future = origins[:, None] + np.arange(horizon)[None, :]  # [N, H]

    def padded(values):  # H unobserved steps after the end
        return np.concatenate([values, np.full((horizon, values.shape[1]), np.nan)])

    def window(values, positions):
        part = values[positions]
        return np.nan_to_num(part).astype(np.float32), (~np.isnan(part)).astype(np.float32)

    inputs = dict(zip(("context", "observed"), window(padded(series.values), past)))
    if series.covariates.shape[1]:
        covariates = padded(series.covariates)
        inputs.update(zip(("covariates", "covariates_observed"), window(covariates, past)))
        values, observed = window(covariates, future)
        if series.future_known is not None:  # past-only covariates: nothing read of the forecast steps
            known = np.asarray(series.future_known, np.float32)
            values, observed = values * known, observed * known
        inputs.update(future_covariates=values, future_covariates_observed=observed)
    return inputs
