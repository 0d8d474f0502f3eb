"""Time series for forecasting: read a table, check it, put it on a regular grid.

A `TimeSeries` holds one or more targets and optional covariates on a regular
time grid. Timestamps missing from the file are added to the grid, and every
value that is missing (an absent timestamp or a NaN in the file) stays NaN
with `observed=False`: nothing is interpolated. Models see the mask;
losses and metrics skip what was not observed.

Frequencies and how a time column is read: `attnflow.data.frequencies` and
`attnflow.data.timestamps`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from attnflow._validation import fail
from attnflow.data._table_files import TableFiles, read_table
from attnflow.data.frequencies import check_freq, read_times

# The seasonal period a frequency suggests (for seasonal naive and MASE).
SEASON_LENGTHS = {"30min": 48, "h": 24, "D": 7, "B": 5, "W": 52, "M": 12, "Q": 4, "Y": 1}
# The files `read_series` takes, and what its errors say they must be.
SERIES_FILES = TableFiles(suffixes={".csv": ",", ".parquet": None, ".pq": None},
                          existing="an existing CSV or Parquet file",
                          header="a {kind} with a header and rows", rows="a {kind} with a header and rows")


@dataclasses.dataclass(frozen=True)
class TimeSeries:
    """Targets and covariates on a regular time grid, missing values masked.

    Attributes:
        times: the regular grid, a `pd.DatetimeIndex` of length T.
        values: targets, float64 [T, n_targets]; NaN where not observed.
        observed: bool [T, n_targets]; False where `values` is NaN.
        covariates: float64 [T, n_covariates] (n_covariates may be 0); NaN
            where not observed.
        covariates_observed: bool [T, n_covariates].
        freq: the pandas offset alias of the grid ("MS", "W-SAT", "30min", ...).
        target_names: names of the target columns.
        covariate_names: names of the covariate columns.
        time_col: name of the time column (used when writing forecasts).
        future_known: per covariate, whether its values over the forecast steps may be
            read (None: all); windows blank the forecast steps of the others.
    """

    times: pd.DatetimeIndex
    values: np.ndarray
    observed: np.ndarray
    covariates: np.ndarray
    covariates_observed: np.ndarray
    freq: str
    target_names: tuple[str, ...]
    covariate_names: tuple[str, ...] = ()
    time_col: str = "time"
    future_known: tuple[bool, ...] | None = None

    def __len__(self) -> int:
        return len(self.times)

    @property
    def season_length(self) -> int:
        """The seasonal period the frequency suggests (12 for monthly, 48 half-hourly...)."""
        return season_length_of(self.freq)

    def future_times(self, horizon: int) -> pd.DatetimeIndex:
        """The `horizon` timestamps after the end of the series."""
        return pd.date_range(self.times[-1], periods=horizon + 1, freq=self.freq)[1:]

    def slice(self, start: int | None = None, stop: int | None = None) -> "TimeSeries":
        """The steps start..stop-1 as a new series (positions, like a list slice)."""
        part = slice(start, stop)
        return dataclasses.replace(
            self, times=self.times[part], values=self.values[part], observed=self.observed[part],
            covariates=self.covariates[part], covariates_observed=self.covariates_observed[part])

    def with_values(self, values: np.ndarray) -> "TimeSeries":
        """The same grid with other target values (NaN = not observed)."""
        values = np.asarray(values, dtype=np.float64).reshape(self.values.shape)
        return dataclasses.replace(self, values=values, observed=~np.isnan(values))


def season_length_of(freq: str) -> int:
    """The seasonal period suggested by a pandas offset alias ("MS" -> 12)."""
    if freq == "B":  # business days: a week of five
        return SEASON_LENGTHS["B"]
    for prefix in ("30min", "h", "D", "W", "M", "Q", "Y"):
        if freq.startswith(prefix):
            return SEASON_LENGTHS[prefix]
    fail("a frequency alias among 30min, h, D, B, W-*, MS/ME, QS-*/QE-*, YS-*/YE-*", freq=freq)


def read_series(path: str | Path, time_col: str, targets: str | list[str],
                covariates: list[str] | None = None, freq: str | None = None) -> TimeSeries:
    """Reads a CSV or Parquet file into a checked `TimeSeries`.

    Args:
        path: a `.csv` or `.parquet` file.
        time_col: the column holding timestamps.
        targets: the target column name, or a list of them.
        covariates: optional covariate columns, known for past and future steps.
        freq: the expected frequency (a pandas alias); inferred when None.

    Returns:
        A `TimeSeries`; see `from_frame` for the checks.
    """
    frame = read_table(path, files=SERIES_FILES)
    return from_frame(frame, time_col, targets, covariates, freq)


def from_frame(frame: pd.DataFrame, time_col: str, targets: str | list[str],
               covariates: list[str] | None = None, freq: str | None = None) -> TimeSeries:
    """Checks a DataFrame and puts it on its regular time grid.

    Raises ValueError ("expected ... Received: ...") for a missing column, an
    unparsable or duplicated timestamp, a non-numeric target or covariate,
    and an index with no supported regular frequency.
    """
    targets = [targets] if isinstance(targets, str) else list(targets)
    covariates = list(covariates or [])
    if not targets:
        fail("at least one target column", targets=targets)
    for argument, names in (("time_col", [time_col]), ("target", targets), ("covariate", covariates)):
        for name in names:
            if name not in frame.columns:
                fail(f"a {argument} among the columns {list(map(str, frame.columns))}",
                     **{argument: name})
    times = read_times(frame[time_col], time_col, freq)
    duplicated = times[times.duplicated()]
    if len(duplicated):
        fail(f"unique timestamps in {time_col!r}", duplicated=[str(t) for t in duplicated[:3]])
    order = np.argsort(times.values, kind="stable")
    times = times[order]
    target_values = _numeric(frame, targets, "target")[order]
    covariate_values = _numeric(frame, covariates, "covariate")[order]
    freq = check_freq(times, freq, rows=order)
    grid = pd.date_range(times[0], times[-1], freq=freq)
    if len(grid) > 2 * len(times):
        fail(f"a regular time index: on the {freq!r} grid most steps would be missing",
             timestamps=len(times), grid_steps=len(grid))
    position = grid.get_indexer(times)
    if (position < 0).any():
        fail(f"timestamps on the {freq!r} grid", timestamp=str(times[np.argmax(position < 0)]))
    values = np.full((len(grid), len(targets)), np.nan)
    values[position] = target_values
    covs = np.full((len(grid), len(covariates)), np.nan)
    covs[position] = covariate_values
    return TimeSeries(times=grid, values=values, observed=~np.isnan(values), covariates=covs,
                      covariates_observed=~np.isnan(covs), freq=freq,
                      target_names=tuple(map(str, targets)),
                      covariate_names=tuple(map(str, covariates)), time_col=str(time_col))


def without_blank_end(series: TimeSeries) -> tuple[TimeSeries, int]:
    """The series up to its last step with an observed target, and how many steps after it
    were cut (rows a user added for the dates to forecast, with empty targets)."""
    observed = np.flatnonzero(series.observed.any(axis=1))
    stop = int(observed[-1]) + 1 if len(observed) else 0
    return (series.slice(0, stop) if stop < len(series) else series), len(series) - stop


def varies_before(series: TimeSeries, horizon: int, season_length: int) -> bool:
    """Whether the series' training part (all but the last `horizon` steps) has a seasonal
    difference other than 0 (a constant series has none; its MASE is undefined)."""
    train = series.values[:len(series) - horizon]
    return bool(np.nansum(np.abs(train[season_length:] - train[:-season_length])) > 0)


def check_window_fits(series: TimeSeries, context: int, horizon: int) -> None:
    """Raises ValueError unless the series can give one window of context + horizon.

    The test part is the last `horizon` steps and its window needs `context`
    steps before it, with at least one more window before that to train on;
    every test step and the last context step must have something observed.
    """
    for name, value in (("context", context), ("horizon", horizon)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            fail(f"{name} to be a positive integer", **{name: value})
    if len(series) < context + horizon:
        fail(f"a series of at least context + horizon = {context + horizon} steps", length=len(series))
    if len(series) < context + 2 * horizon:
        fail(f"a horizon the data can support: with context={context} and {len(series)} steps, "
             f"at most {(len(series) - context) // 2} (one training window before the test window)",
             horizon=horizon)
    if not series.observed[-horizon:].any():
        fail("at least one observed value in the test part (the last horizon steps)", horizon=horizon)


def _numeric(frame: pd.DataFrame, names: list[str], role: str) -> np.ndarray:
    out = np.empty((len(frame), len(names)))
    for j, name in enumerate(names):
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            converted = pd.to_numeric(column, errors="coerce")
            bad = converted.isna() & column.notna()
            if bad.any() or pd.api.types.is_bool_dtype(column):
                row = int(np.argmax(bad.values))
                fail(f"a numeric {role} column {name!r}", row=row, value=column.iloc[row])
            column = converted
        out[:, j] = column.to_numpy(dtype=np.float64)
    if not np.isfinite(out[~np.isnan(out)]).all():
        fail(f"finite {role} values", value="inf")
    return out
