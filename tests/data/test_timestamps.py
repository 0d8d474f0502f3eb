"""Time columns read as their writers meant them: day or month first, UTC offsets, mid-month dates."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from attnflow.data.panel import panel_from_frame
from attnflow.data.frequencies import align_to_grid
from attnflow.data.timeseries import from_frame
from attnflow.data.timestamps import parse_timestamps


def frame_of(times) -> pd.DataFrame:
    return pd.DataFrame({"date": list(times), "y": np.arange(len(times), dtype=float)})


def read(times, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning unless a test expects one
        return from_frame(frame_of(times), "date", "y", **kwargs)


@pytest.mark.parametrize("format_, freq", [("%d/%m/%Y", "D"), ("%d.%m.%Y", "D"), ("%d-%m-%y", "D"),
                                           ("%d/%m/%Y", "MS"), ("%m/%d/%Y", "D"), ("%m/%d/%Y", "MS"),
                                           ("%d/%m/%Y %H:%M", "h")])
def test_numeric_dates_are_read_one_way_for_the_whole_column(format_, freq):
    true = pd.date_range("2020-01-01", periods=40, freq=freq)
    series = read(true.strftime(format_))
    assert series.freq == freq and series.times.equals(true)


def test_dates_that_read_both_ways_take_the_regular_reading_else_month_first_with_a_warning():
    march = pd.date_range("2020-03-01", periods=12, freq="D")  # 01/03 .. 12/03: daily, or the 3rd of each month
    series = read(march.strftime("%d/%m/%Y"))
    assert series.freq == "D" and series.times.equals(march)
    column = pd.Series(["01/02/2020", "01/03/2020", "01/04/2020"])  # Jan 2-4 or Feb-Apr 1: both regular
    with pytest.warns(UserWarning, match=r"the dates in 'date' read month first or day first and both give "
                                         r"a regular series; read month first \('01/02/2020' = 2020-01-02\)"):
        times = parse_timestamps(column, "date")
    assert list(times.day) == [2, 3, 4]
    # A reading the caller says fits (the run's daily grid, or the forecast steps) wins.
    assert list(parse_timestamps(column, "date", fits=lambda t: t.month.nunique() == 3).month) == [2, 3, 4]


def test_utc_offsets_keep_the_wall_clock_across_daylight_saving():
    daily = pd.date_range("2020-03-20", periods=30, freq="D", tz="Europe/Berlin")  # +01:00, then +02:00
    series = read([t.isoformat() for t in daily])
    assert series.freq == "D" and series.times.equals(pd.date_range("2020-03-20", periods=30, freq="D"))
    hourly = pd.date_range("2020-03-28", periods=72, freq="h", tz="Europe/Berlin")  # spring: an hour skipped
    series = read([str(t) for t in hourly])
    assert series.freq == "h" and series.times[0] == pd.Timestamp("2020-03-28 00:00") and len(series) == 73
    assert series.observed.sum() == 72  # the skipped 02:00 is a gap, nothing invented
    autumn = pd.date_range("2020-10-24", periods=72, freq="h", tz="Europe/Berlin")  # a wall-clock hour twice
    series = read([str(t) for t in autumn])
    assert series.freq == "h" and series.times[0] == pd.Timestamp("2020-10-23 22:00") and len(series) == 72


def test_mid_month_dates_are_read_as_their_months_with_one_warning():
    months = pd.date_range("2019-01-01", periods=30, freq="MS")
    with pytest.warns(UserWarning, match=r"the timestamps in 'date' are monthly but fall inside their months: "
                                         r"each is read as the first day of its month"):
        series = from_frame(frame_of(months + pd.Timedelta(days=14)), "date", "y")
    assert series.freq == "MS" and series.times.equals(months)
    quarters = pd.date_range("2000-02-01", periods=20, freq="QS-FEB")
    with pytest.warns(UserWarning, match="are quarterly but"):
        assert from_frame(frame_of(quarters + pd.Timedelta(days=9)), "date", "y").times.equals(quarters)
    assert list(align_to_grid(pd.DatetimeIndex(["2021-07-15", "2021-08-15"]), "MS").day) == [1, 1]
    assert list(align_to_grid(pd.DatetimeIndex(["2021-07-15"]), "D").day) == [15]
    # One mistyped date in a monthly file is still an error, not a reason to move every date.
    typo = months.strftime("%Y-%m-%d").tolist()
    typo[10] = "2019-11-17"
    with pytest.raises(ValueError, match=r"irregular step at row 10: 2019-10-01 -> 2019-11-17$"):
        read(typo)


def test_a_panel_reads_its_time_column_one_way_for_every_series():
    # Series "a" alone reads both ways (its days are all under 13); series "b" decides for the file.
    a = pd.date_range("2020-03-01", periods=12, freq="D")
    b = pd.date_range("2020-03-10", periods=20, freq="D")
    frame = pd.DataFrame({"id": ["a"] * 12 + ["b"] * 20,
                          "date": [*a.strftime("%d/%m/%Y"), *b.strftime("%d/%m/%Y")], "y": np.arange(32.0)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        panel = panel_from_frame(frame, "id", "date", ["y"])
    assert [s.freq for s in panel.series] == ["D", "D"]
    assert panel.series[0].times.equals(a) and panel.series[1].times.equals(b)
    with pytest.raises(ValueError, match=r"expected the timestamps to follow freq='MS'. Received: inferred='D' "
                                         r"\(series id=a\)"):
        panel_from_frame(frame, "id", "date", ["y"], freq="MS")
