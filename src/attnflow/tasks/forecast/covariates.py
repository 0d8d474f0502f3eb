"""Covariates of the forecast task: past-only, known-future, calendar.

`--covariates` are read over the context only; `--future-covariates` over
the context and the forecast steps (the model's queries see them); the
calendar features (`--calendar`: the sine and cosine of the step's phase in
its season, e.g. the month of the year) are known-future covariates derived
from the time index. A series holds all of them as columns, past-only first;
the forecast steps of a past-only covariate are blanked (value 0, mask 0)
before the model sees them, so no future value of it can leak in.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from attnflow._validation import fail
from attnflow.data.frequencies import align_to_grid, time_text
from attnflow.data.timeseries import TimeSeries
from attnflow.data.timestamps import parse_timestamps

CALENDAR = ("calendar_sin", "calendar_cos")


def file_columns(options) -> list[str]:
    """The covariate columns read from the file: past-only, then known-future."""
    overlap = sorted(set(options.covariates) & set(options.future_covariates))
    if overlap:
        fail("a column in --covariates or --future-covariates, not both", columns=overlap)
    return [*options.covariates, *options.future_covariates]


def known_future(options, names) -> np.ndarray:
    """bool [C]: whether each covariate of `names` is known over the forecast steps."""
    known = set(options.future_covariates) | set(options.static_covariates) \
        | (set(CALENDAR) if options.calendar else set())
    return np.array([name in known for name in names], dtype=bool)


def phase(times: pd.DatetimeIndex, season_length: int) -> np.ndarray:
    """Each timestamp's position in its season, in [0, 1): month of the year for monthly
    data (m=12), quarter (4), day of the week (7; business days: 5), hour of the day (24),
    half-hour (48), week of the year (52)."""
    steps = {12: times.month - 1, 4: times.quarter - 1, 7: times.dayofweek, 5: times.dayofweek, 24: times.hour,
             48: 2 * times.hour + times.minute // 30,
             52: np.minimum(times.isocalendar().week.to_numpy() - 1, 51)}
    if season_length not in steps:
        fail("a season length of 4, 5, 7, 12, 24, 48 or 52 for --calendar", season_length=season_length)
    return np.asarray(steps[season_length], dtype=np.float64) / season_length


def with_calendar(series: TimeSeries, season_length: int) -> TimeSeries:
    """The series with the calendar features of its time index appended as covariates."""
    angle = 2 * np.pi * phase(series.times, season_length)
    features = np.stack([np.sin(angle), np.cos(angle)], axis=1)  # [T, 2]
    return dataclasses.replace(
        series, covariates=np.concatenate([series.covariates, features], axis=1),
        covariates_observed=np.concatenate([series.covariates_observed, np.ones_like(features, bool)], axis=1),
        covariate_names=(*series.covariate_names, *CALENDAR))


def blank_unknown(future: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Windows' future covariates [N, H, 2C] (values then masks) with the covariates
    not known in advance set to 0 (value and mask)."""
    if known.all():
        return future
    keep = np.concatenate([known, known]).astype(future.dtype)  # [2C]
    return future * keep


def extend_with_future(series: TimeSeries, future: pd.DataFrame | None, horizon: int,
                       names: list[str], time_col: str, label: str = "",
                       season_length: int = 1, static=()) -> TimeSeries:
    """The series followed by `horizon` unobserved steps whose covariates come from
    `future` (its rows for these timestamps; past-only covariates stay unobserved).

    Raises ValueError naming the series and the timestamps missing from `future`
    when a known-future covariate lacks a value there.
    """
    times = series.future_times(horizon)
    covariates = np.full((horizon, series.covariates.shape[1]), np.nan)
    if names:
        if future is None:
            fail("--future FILE with the future covariates' values over the forecast steps",
                 future=None)
        for name in [time_col, *names]:
            if name not in future.columns:
                fail(f"a column {name!r} in the --future file", columns=[str(c) for c in future.columns][:10])
        try:  # the reading (day or month first) with most forecast steps
            stamps = parse_timestamps(future[time_col], time_col,
                                      fits=lambda read: times.isin(align_to_grid(read, series.freq)).mean())
        except ValueError as error:
            raise ValueError(f"{error} (in the --future file)") from None
        rows = future.set_axis(align_to_grid(stamps, series.freq))
        rows = rows[~rows.index.duplicated()].reindex(times)
        missing = rows[names].isna().any(axis=1)
        if missing.any():
            fail(f"future covariates {names} for every forecast step",
                 **({"series": label} if label else {}),
                 missing=[time_text(t) for t in times[missing.values]][:5])
        for name in names:
            covariates[:, series.covariate_names.index(name)] = rows[name].to_numpy(dtype=np.float64)
    for name in static:  # constant: its value carries on
        covariates[:, series.covariate_names.index(name)] = series.covariates[-1, series.covariate_names.index(name)]
    if CALENDAR[0] in series.covariate_names:
        angle = 2 * np.pi * phase(times, season_length)
        covariates[:, series.covariate_names.index(CALENDAR[0])] = np.sin(angle)
        covariates[:, series.covariate_names.index(CALENDAR[1])] = np.cos(angle)
    values = np.full((horizon, series.values.shape[1]), np.nan)
    return dataclasses.replace(
        series, times=series.times.append(times), values=np.concatenate([series.values, values]),
        observed=np.concatenate([series.observed, np.zeros_like(values, bool)]),
        covariates=np.concatenate([series.covariates, covariates]),
        covariates_observed=np.concatenate([series.covariates_observed, ~np.isnan(covariates)]))
