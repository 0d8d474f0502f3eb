"""The built-in series load offline, on their grid, with the issue's test periods."""

import numpy as np
import pandas as pd
import pytest

from attnflow.data.builtin_series import BUILTIN_SERIES, DEFAULT_SERIES, load_series
from attnflow.data.windows import chronological_split


@pytest.mark.parametrize("name, length, freq, first, test_start, test_end, missing", [
    ("airpassengers", 144, "MS", "1949-01-01", "1960-01-01", "1960-12-01", 0),
    ("sunspots", 309, "YS-JAN", "1700-01-01", "1980-01-01", "2008-01-01", 0),
    ("co2", 2284, "W-SAT", "1958-03-29", "2001-01-06", "2001-12-29", 59),
    ("co2_monthly", 526, "MS", "1958-03-01", "1998-01-01", "2001-12-01", 5),
])
def test_series_and_default_test_period(name, length, freq, first, test_start, test_end, missing):
    spec = BUILTIN_SERIES[name]
    series = load_series(name)
    assert (len(series), series.freq, series.times[0]) == (length, freq, pd.Timestamp(first))
    assert (~series.observed).sum() == missing and np.isnan(series.values).sum() == missing
    split = chronological_split(len(series), spec.context, spec.horizon)
    assert series.times[split.test_origin] == pd.Timestamp(test_start)
    assert series.times[-1] == pd.Timestamp(test_end)


def test_values_are_the_published_ones():
    air = load_series()
    assert DEFAULT_SERIES == "airpassengers"
    np.testing.assert_array_equal(air.values[:3, 0], [112.0, 118.0, 132.0])
    # 1960, the test year, and the total of all 144 months (Box & Jenkins, Series G).
    np.testing.assert_array_equal(air.values[-12:, 0], [417.0, 391.0, 419.0, 461.0, 472.0, 535.0,
                                                        622.0, 606.0, 508.0, 461.0, 390.0, 432.0])
    assert air.values.sum() == 40363.0
    co2 = load_series("co2_monthly")
    weekly = load_series("co2")
    march_1958 = weekly.values[:1, 0]  # 1958-03-29 is the only March week
    np.testing.assert_allclose(co2.values[0, 0], march_1958.mean())
    assert np.isnan(co2.values[co2.times.get_loc(pd.Timestamp("1964-03-01")), 0])


def test_elecdemand_has_temperature_and_workday():
    series = load_series("elecdemand")
    assert (len(series), series.freq, series.season_length) == (17520, "30min", 48)
    assert series.covariate_names == ("temperature", "workday")
    np.testing.assert_allclose(series.values[0, 0], 3.914647, rtol=1e-6)
    assert set(np.unique(series.covariates[:, 1])) == {0.0, 1.0}


def test_unknown_name():
    with pytest.raises(ValueError, match=r"expected name to be one of .* Received: name='nope'"):
        load_series("nope")
