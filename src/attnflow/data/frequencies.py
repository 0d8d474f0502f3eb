"""Which regular grid a time column lies on: its frequency inferred, grids compared, and
monthly, quarterly or yearly dates inside their months read as months.

Frequencies: half-hourly ("30min"), hourly ("h"), daily ("D"), business days ("B"),
weekly ("W-MON" .. "W-SUN"), monthly ("MS" or "ME"), quarterly ("QS-JAN" .. or
"QE-DEC" ..) and yearly ("YS-JAN" .. or "YE-DEC" ..), pandas offset aliases.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from attnflow._validation import fail
from attnflow.data.timestamps import parse_timestamps

_FIXED_STEPS = {pd.Timedelta(minutes=30): "30min", pd.Timedelta(hours=1): "h",
                pd.Timedelta(days=1): "D", pd.Timedelta(days=7): "W"}
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_PERIOD_WORDS = {1: "monthly", 3: "quarterly", 12: "yearly"}  # months apart -> the word


def read_times(column: pd.Series, time_col: str, freq: str | None = None) -> pd.DatetimeIndex:
    """A file's time column as timestamps (see `attnflow.data.timestamps`), read the way
    that lies on a regular grid (on `freq`'s when given). Monthly, quarterly or yearly
    timestamps inside their months (each on the 15th, say; most neither a first nor a
    last day) are read as the first day of their month, with one warning: forecasts are
    dated so too."""
    times = parse_timestamps(column, time_col, fits=lambda times: grid_fit(times, freq))
    if on_a_grid(times) or not _reads_as_months(times, freq):
        return times
    warnings.warn(f"the timestamps in {time_col!r} are {_PERIOD_WORDS[_months_apart(times)]} but fall "
                  "inside their months: each is read as the first day of its month (so are the "
                  "forecasts' dates)", stacklevel=3)
    return _month_starts(times)


def align_to_grid(times: pd.DatetimeIndex, freq: str) -> pd.DatetimeIndex:
    """Timestamps as a series at `freq` reads them: on a monthly, quarterly or yearly grid of
    first days, a timestamp inside its month as its month's first day (see `read_times`)."""
    times = pd.DatetimeIndex(times)
    offset = to_offset(freq)
    starts = (pd.offsets.MonthBegin, pd.offsets.QuarterBegin, pd.offsets.YearBegin)
    if isinstance(offset, starts) and not all(offset.is_on_offset(t) for t in times):
        return _month_starts(times)
    return times


def grid_fit(times: pd.DatetimeIndex, freq: str | None = None) -> int:
    """How well timestamps fit a regular grid (`freq`'s when given): 2 on it, 1 on it once
    each is read as its month (see `read_times`), 0 neither."""
    return 2 if on_a_grid(times, freq) else 1 if _reads_as_months(times, freq) else 0


def _reads_as_months(times: pd.DatetimeIndex, freq: str | None) -> bool:
    """Whether timestamps a month, a quarter or a year apart, most of them neither on the
    first nor the last day of a month (else one is a typo), are regular as months."""
    times = pd.DatetimeIndex(times)
    if len(times) < 3 or times.is_month_start.mean() >= 0.5 or times.is_month_end.mean() >= 0.5:
        return False
    return _months_apart(times) in _PERIOD_WORDS and on_a_grid(_month_starts(times), freq)


def on_a_grid(times: pd.DatetimeIndex, freq: str | None = None) -> bool:
    """Whether distinct timestamps lie on a regular grid (on `freq`'s when given) and fill
    at least half of it."""
    times = pd.DatetimeIndex(times).sort_values()
    if len(times) < 3 or not times.is_unique:
        return False
    try:
        inferred = infer_frequency(times)
    except ValueError:
        return False
    if freq is not None and not same_grid(freq, inferred):
        return False
    return len(pd.date_range(times[0], times[-1], freq=inferred)) <= 2 * len(times)


def same_grid(freq: str, other: str) -> bool:
    """Whether two frequency aliases make one grid: pandas names quarterly series by their
    first month (QS-JAN, QS-APR, QS-JUL, QS-OCT), one grid for all four."""
    return _grid(freq) == _grid(other)


def _grid(freq: str) -> tuple:
    offset = to_offset(freq)
    if isinstance(offset, (pd.offsets.QuarterBegin, pd.offsets.QuarterEnd)):
        return type(offset).__name__, offset.n, offset.startingMonth % 3
    return (offset,)


def _month_starts(times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(times).to_period("M").to_timestamp()


def _months_apart(times: pd.DatetimeIndex) -> int:
    """The usual number of months between timestamps (0: under a month)."""
    months = np.diff(np.sort(times.year * 12 + times.month))
    return int(np.median(months)) if len(months) else 0



def check_freq(times: pd.DatetimeIndex, freq: str | None, rows=None) -> str:
    """The frequency of sorted `times` (see `infer_frequency`); with `freq`, a ValueError
    unless it is that grid."""
    if len(times) < 3:
        fail("at least 3 timestamps to infer a frequency", length=len(times))
    inferred = infer_frequency(times, rows)
    if freq is not None and not same_grid(freq, inferred):
        fail(f"the timestamps to follow freq={freq!r}", inferred=inferred)
    return inferred


def infer_frequency(times: pd.DatetimeIndex, rows=None) -> str:
    """The pandas alias of the regular grid that holds every timestamp (gaps allowed).

    Args:
        times: sorted timestamps.
        rows: optional 0-based data rows of the file the timestamps came from
            (default: their positions), named in the error.

    Raises ValueError when the timestamps fit none of the supported
    frequencies, naming the first timestamp off the grid the most common
    step suggests ("irregular step at row 40: 2018-04-01 -> 2018-05-17").
    """
    steps = np.diff(times.values).astype("timedelta64[ns]")
    alias = _grid_alias(times, pd.Timedelta(steps.min()))
    if alias is not None:
        return alias
    expected = ("a regular time index (30min, h, D, B, W, MS/ME, QS/QE, YS/YE; gaps allowed) "
                "to infer a frequency")
    usual = pd.Timedelta(np.median(steps.astype(np.int64)))
    likely = _grid_alias(times, usual, only_candidates=True) or []
    off = _off_grid(times, likely[0]) if likely else np.zeros(0, dtype=np.int64)
    if len(off) == 0:
        fail(expected, usual_step=_step_text(usual), first_steps=[_step_text(s) for s in steps[:3]])
    rows = np.arange(len(times)) if rows is None else np.asarray(rows)
    first = int(off[0])
    before, after = (first - 1, first) if first > 0 else (0, 1)
    more = f" (and {len(off) - 1} more off the {likely[0]} grid)" if len(off) > 1 else ""
    raise ValueError(f"expected {expected}; the usual step is {_step_text(usual)}. Received: irregular "
                     f"step at row {int(rows[first])}: {time_text(times[before])} -> "
                     f"{time_text(times[after])}{more}")


def _grid_alias(times: pd.DatetimeIndex, step: pd.Timedelta, only_candidates: bool = False):
    """The alias whose grid from times[0] holds every timestamp, for steps of about `step`
    (None: none); with `only_candidates`, the aliases such a step suggests, anchored
    where most timestamps are, the one most timestamps lie on first."""
    steps = np.diff(times.values).astype("timedelta64[ns]")
    if step in _FIXED_STEPS:
        alias = _FIXED_STEPS[step]
        if alias == "W":
            weekday = _most_common(times.dayofweek) if only_candidates else times[0].dayofweek
            alias = f"W-{_WEEKDAYS[weekday]}"
        if only_candidates:
            return [alias]
        if all((steps.astype(np.int64) % step.value) == 0) and _on_grid(times, alias):
            # Daily rows on weekdays only, over two weeks or more: business days (a week of five).
            if alias == "D" and times[-1] - times[0] >= pd.Timedelta(days=14) and (times.dayofweek < 5).all():
                return "B"
            return alias
        return None
    days = step.days
    months = 1 if 28 <= days <= 31 else 3 if 89 <= days <= 92 else 12 if 365 <= days <= 366 else 0
    start = times[0].month
    if only_candidates and months > 1:
        start = _most_common((times.month - 1) % months) + 1
    candidates = {1: ["MS", "ME"], 3: [f"QS-{_month_name(start)}", f"QE-{_month_name(start)}"],
                  12: [f"YS-{_month_name(start)}", f"YE-{_month_name(start)}"]}.get(months, [])
    if only_candidates:
        return sorted(candidates, key=lambda alias: len(_off_grid(times, alias)))
    for alias in candidates:
        if _on_grid(times, alias):
            return alias
    return None


def _off_grid(times: pd.DatetimeIndex, alias: str) -> np.ndarray:
    """Positions of the timestamps off the grid of `alias`; a fixed step's grid runs
    through most of the timestamps."""
    fixed = {name: step for step, name in _FIXED_STEPS.items() if name != "W"}
    if alias in fixed:
        remainders = (times - times[0]).as_unit("ns").asi8 % fixed[alias].value
        return np.flatnonzero(remainders != _most_common(remainders))
    offset = to_offset(alias)
    return np.flatnonzero([not offset.is_on_offset(t) for t in times])


def _most_common(values) -> int:
    found, counts = np.unique(np.asarray(values), return_counts=True)
    return int(found[np.argmax(counts)])


def _step_text(step) -> str:
    """"31 days", "1 day", "1 hour", "30 minutes", else pandas' own text."""
    step = pd.Timedelta(step)
    for unit, size in (("day", pd.Timedelta(days=1)), ("hour", pd.Timedelta(hours=1)),
                       ("minute", pd.Timedelta(minutes=1))):
        if step >= size and step % size == pd.Timedelta(0):
            count = step // size
            return f"{count} {unit}{'s' * (count != 1)}"
    return str(step)


def time_text(time: pd.Timestamp) -> str:
    return str(time.date()) if time == time.normalize() else str(time)


def _on_grid(times: pd.DatetimeIndex, alias: str) -> bool:
    grid = pd.date_range(times[0], times[-1], freq=alias)
    return len(grid) > 0 and grid[0] == times[0] and bool(grid.get_indexer(times).min() >= 0)


def _month_name(month: int) -> str:
    return ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")[month - 1]
