"""A table's time column read as timestamps, the way its writer meant them.

- Dates written with numbers only ("03/04/2020", "03.04.20 10:00") are read day
  first or month first for the whole column, never row by row: the order no
  row contradicts (a first number above 12 is a day), and where both fit, the
  one that gives a regular series (a warning names the choice when both do).
- Timestamps with UTC offsets are read as their wall-clock time ("2020-03-29
  03:00+02:00" -> 03:00), so daily data stays on its dates across daylight
  saving; where that repeats a time (the hour clocks go back), as UTC.
- Whole numbers from 1 to 9999 are years (sunspots: 1700.0, ...).
"""

from __future__ import annotations

import re
import warnings
from typing import Callable

import numpy as np
import pandas as pd

from attnflow._validation import fail

# day.month.year or month/day/year with numbers only (and anything after: a time of day)
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)")


def parse_timestamps(column: pd.Series, name: str,
                     fits: Callable[[pd.DatetimeIndex], float] | None = None) -> pd.DatetimeIndex:
    """The column's timestamps, time-zone naive.

    Args:
        column: the time column as read from the file (text, numbers or datetimes).
        name: its name, for messages.
        fits: how well a reading of the column fits what is meant (0: not at all;
            e.g. whether it lies on the run's frequency grid); where a column reads
            two ways, the one that fits best is taken, month first on a tie. Default:
            whether a reading lies on a regular grid.

    Returns:
        A `pd.DatetimeIndex` in the column's row order.

    Raises ValueError ("Received: row=..., value=...") for an empty or unparsable value.
    """
    if fits is None:
        from attnflow.data.frequencies import on_a_grid as fits
    if column.isna().any():
        fail(f"a timestamp in every row of {name!r}", row=int(np.argmax(column.isna().values)))
    if pd.api.types.is_datetime64_any_dtype(column):
        return _naive(pd.DatetimeIndex(column), fits)
    if pd.api.types.is_numeric_dtype(column):
        numbers = column.to_numpy(dtype=np.float64)
        if not (np.all(numbers == np.round(numbers)) and np.all((numbers >= 1) & (numbers <= 9999))):
            fail(f"timestamps or whole years in {name!r}", value=float(numbers[0]))
        return pd.DatetimeIndex([pd.Timestamp(year=int(y), month=1, day=1) for y in numbers])
    text = column.astype(str)
    readings = [_parse_text(text, name, day_first, fits) for day_first in _orders(text)]
    if len(readings) == 1:
        return readings[0]
    scores = [float(fits(reading)) for reading in readings]
    if max(scores) == 0 or scores[0] != scores[1]:
        return readings[int(np.argmax(scores))]
    month_first = readings[0]
    warnings.warn(f"the dates in {name!r} read month first or day first and both give a regular "
                  f"series; read month first ({text.iloc[0].strip()!r} = {month_first[0].date()}). "
                  "Write them as YYYY-MM-DD to be sure.", stacklevel=2)
    return month_first


def _orders(text: pd.Series) -> list[bool]:
    """The readings of a column to consider, as day_first flags: [False, True] when
    every value is a numeric date that reads both ways, else the one that can hold."""
    matches = text.str.extract(_NUMERIC_DATE)
    if matches[0].isna().any():
        return [False]
    first, second = matches[0].astype(int), matches[2].astype(int)
    if (first == second).all():
        return [False]
    month_first, day_first = bool((first <= 12).all()), bool((second <= 12).all())
    if month_first and day_first:
        return [False, True]
    return [day_first and not month_first]


def _parse_text(text: pd.Series, name: str, day_first: bool, fits) -> pd.DatetimeIndex:
    try:
        with warnings.catch_warnings():  # pandas 2 warns of mixed offsets and returns objects
            warnings.simplefilter("ignore", FutureWarning)
            parsed = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=day_first)
    except ValueError:  # pandas 3 raises
        parsed = None
    if parsed is None or parsed.dtype == object:  # UTC offsets that change (daylight saving)
        return _with_offsets(text, name, fits)
    if parsed.isna().any():
        bad = int(np.argmax(parsed.isna().values))
        fail(f"parsable timestamps in {name!r}", row=bad, value=text.iloc[bad])
    return _naive(pd.DatetimeIndex(parsed), fits)


def _with_offsets(text: pd.Series, name: str, fits) -> pd.DatetimeIndex:
    stamps = []
    for row, value in enumerate(text):
        try:
            stamps.append(pd.Timestamp(value))
        except ValueError:
            fail(f"parsable timestamps in {name!r}", row=row, value=value)
    wall = pd.DatetimeIndex([stamp.tz_localize(None) if stamp.tz else stamp for stamp in stamps])
    if wall.is_unique and fits(wall):
        return wall
    return pd.DatetimeIndex([stamp.tz_convert("UTC").tz_localize(None) if stamp.tz else stamp
                             for stamp in stamps])


def _naive(times: pd.DatetimeIndex, fits) -> pd.DatetimeIndex:
    """Zone-aware times as their wall-clock time, or as UTC where wall-clock times repeat
    or do not fit."""
    if times.tz is None:
        return times
    wall = times.tz_localize(None)
    return wall if wall.is_unique and fits(wall) else times.tz_convert(None)
