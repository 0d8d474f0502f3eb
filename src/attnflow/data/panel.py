"""Panels: many time series in one long table (one row per series and time).

A `Panel` is a list of `TimeSeries` on grids of the same frequency, one per
value of the id column; the series may differ in length and start date.
`read_panel` / `panel_from_frame` check the table (empty ids, duplicated
(id, time) pairs, frequencies that differ between series) and say which
series and row; `drop_short` skips the series too short to forecast, with
one warning that counts them and names the first few.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from attnflow._validation import fail
from attnflow.data._table_files import read_table
from attnflow.data.frequencies import grid_fit, same_grid
from attnflow.data.timeseries import SERIES_FILES, TimeSeries, from_frame, varies_before
from attnflow.data.timestamps import parse_timestamps


@dataclasses.dataclass(frozen=True)
class Panel:
    """Series of one frequency, each with its id.

    Attributes:
        ids: the id of each series (str), in the order of first appearance.
        series: one `TimeSeries` per id (same targets, covariates, frequency).
        id_col: the id column's name (used when writing forecasts).
        static: per series, the static covariates' values (float64 [N, S]; S may be 0).
        static_names: names of the static covariate columns.
    """

    ids: tuple[str, ...]
    series: tuple[TimeSeries, ...]
    id_col: str = "unique_id"
    static: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 0)))
    static_names: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.series)

    @property
    def freq(self) -> str:
        return self.series[0].freq

    def subset(self, keep) -> "Panel":
        """The series at positions `keep` (a list of ints), in that order."""
        keep = list(keep)
        return dataclasses.replace(self, ids=tuple(self.ids[i] for i in keep),
                                   series=tuple(self.series[i] for i in keep),
                                   static=self.static[keep] if len(self.static_names) else self.static)


def read_panel(path: str | Path, id_col: str, time_col: str, targets: list[str],
               covariates: list[str] | None = None, static_covariates: list[str] | None = None,
               freq: str | None = None) -> Panel:
    """Reads a long CSV or Parquet file (one row per series and time) into a checked `Panel`
    (every series at `freq` when given)."""
    frame = read_table(path, files=SERIES_FILES)
    return panel_from_frame(frame, id_col, time_col, targets, covariates, static_covariates, freq)


def panel_from_frame(frame: pd.DataFrame, id_col: str, time_col: str, targets: list[str],
                     covariates: list[str] | None = None,
                     static_covariates: list[str] | None = None, freq: str | None = None) -> Panel:
    """Splits a long DataFrame by `id_col` and puts each series on its time grid (at
    `freq` when given). Dates that read day first or month first are read one way
    for the whole column: the way more series lie on a regular grid.

    Raises ValueError ("expected ... Received: ...") for a missing id column,
    an empty id, a duplicated (id, time) pair, a static covariate that is not
    constant within a series, and series whose frequencies differ; each
    series' own errors (see `from_frame`) name the series.
    """
    covariates, static_covariates = list(covariates or []), list(static_covariates or [])
    if id_col not in frame.columns:
        fail(f"an id_col among the columns {list(map(str, frame.columns))}", id_col=id_col)
    empty = frame[id_col].isna() | (frame[id_col].astype(str).str.strip() == "")
    if empty.any():
        fail(f"an id in every row of {id_col!r}", row=int(np.argmax(empty.values)))
    for name in static_covariates:
        if name not in frame.columns:
            fail(f"a static covariate among the columns {list(map(str, frame.columns))}",
                 static_covariate=name)
    ids = frame[id_col].astype(str)
    if time_col in frame.columns:
        pairs = pd.DataFrame({"id": ids, "time": frame[time_col].astype(str)})
        duplicated = pairs.duplicated()
        if duplicated.any():
            row = int(np.argmax(duplicated.values))
            fail(f"one row per ({id_col}, {time_col}) pair",
                 duplicated=f"{ids.iloc[row]}, {pairs['time'].iloc[row]} (row {row})")
        frame = frame.assign(**{time_col: _panel_times(frame[time_col], ids, time_col, freq)})
    names, series, static = [], [], []
    for name, part in frame.groupby(ids, sort=False):
        try:
            series.append(from_frame(part.reset_index(drop=True), time_col, targets, covariates, freq))
        except ValueError as error:
            raise ValueError(f"{error} (series {id_col}={name})") from None
        values = []
        for column in static_covariates:
            distinct = part[column].dropna().unique()
            if len(distinct) != 1:
                fail(f"one value of static covariate {column!r} per series",
                     **{id_col: name, column: [str(v) for v in distinct[:3]]})
            values.append(distinct[0])
        names.append(str(name))
        static.append(values)
    first = series[0].freq
    if not all(same_grid(s.freq, first) for s in series):
        other = next(i for i, s in enumerate(series) if not same_grid(s.freq, first))
        fail(f"every series at one frequency ({names[0]!r} is {first!r})",
             **{id_col: names[other], "freq": series[other].freq})
    return Panel(ids=tuple(names), series=tuple(series), id_col=str(id_col),
                 static=_static_codes(static, static_covariates),
                 static_names=tuple(map(str, static_covariates)))


def _panel_times(column: pd.Series, ids: pd.Series, time_col: str, freq: str | None) -> pd.Series:
    """The time column read once for all series: a reading scores by how many series it
    puts on a regular grid (a value that does not parse is left for `from_frame`, whose
    error names its series)."""
    def fits(times):
        groups = pd.Series(times, index=column.index).groupby(ids.values, sort=False)
        return float(np.mean([grid_fit(pd.DatetimeIndex(part), freq) for _, part in groups]))

    try:
        return pd.Series(parse_timestamps(column, time_col, fits=fits), index=column.index)
    except ValueError:  # a missing or unparsable timestamp: named with its series below
        return column


def _static_codes(rows: list[list], names: list[str]) -> np.ndarray:
    """Static covariates as numbers: numeric columns as they are, others as category codes."""
    if not names:
        return np.zeros((len(rows), 0))
    out = np.empty((len(rows), len(names)))
    for j in range(len(names)):
        column = pd.Series([row[j] for row in rows])
        numeric = pd.to_numeric(column, errors="coerce")
        out[:, j] = numeric if numeric.notna().all() else pd.factorize(column, sort=True)[0]
    return out


def drop_short(panel: Panel, minimum: int, why: str) -> Panel:
    """The panel without series of fewer than `minimum` steps, with one warning that
    counts them and names the first few; a ValueError when none is left."""
    short = [i for i, s in enumerate(panel.series) if len(s) < minimum]
    return drop_series(panel, short, f"shorter than {minimum} steps ({why})",
                       f"at least one series of {minimum} steps or more ({why})")


def drop_flat(panel: Panel, horizon: int, season_length: int) -> Panel:
    """The panel without series whose training part (all but the last `horizon` steps)
    has no seasonal difference other than 0 (a constant series, all zeros: its MASE is
    undefined), with one warning; a ValueError when none is left."""
    flat = [i for i, series in enumerate(panel.series) if not varies_before(series, horizon, season_length)]
    return drop_series(panel, flat, f"whose training part does not vary (season {season_length}: "
                       "their MASE is undefined)", "at least one series whose training part varies")


def drop_unscored(panel: Panel, horizon: int) -> Panel:
    """The panel without series that have no observed value in their test part (their
    last `horizon` steps: nothing to score), with one warning; a ValueError when none is left."""
    blank = [i for i, series in enumerate(panel.series) if not series.observed[-horizon:].any()]
    return drop_series(panel, blank, f"with no observed value in their test part (their last {horizon} steps)",
                       f"at least one series with an observed value in its test part (its last {horizon} steps)")


def drop_series(panel: Panel, dropped: list[int], why: str, expected: str) -> Panel:
    """The panel without the series at `dropped`, with one warning that counts them and
    names the first few (why: what they are); a ValueError (expected) when none is left."""
    if not dropped:
        return panel
    named = ", ".join(f"{panel.ids[i]} ({len(panel.series[i])} steps)" for i in dropped[:3])
    if len(dropped) == len(panel):
        fail(expected, series=named + (f" and {len(dropped) - 3} more" if len(dropped) > 3 else ""))
    warnings.warn(f"skipped {len(dropped)} of {len(panel)} series {why}: "
                  f"{named}{' ...' if len(dropped) > 3 else ''}", stacklevel=3)
    return panel.subset([i for i in range(len(panel)) if i not in set(dropped)])


def panel_to_frame(panel: Panel) -> pd.DataFrame:
    """The panel as a long table: id, time, targets, covariates (rows of the grid)."""
    parts = []
    for name, series in zip(panel.ids, panel.series):
        part = pd.DataFrame({panel.id_col: name, series.time_col: series.times})
        for j, column in enumerate(series.target_names):
            part[column] = series.values[:, j]
        for j, column in enumerate(series.covariate_names):
            part[column] = series.covariates[:, j]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)
