"""Writes the synthetic series of issue #16 item 5: its future depends only on lag 7.

    python benchmarks/forecast_single/lag_series.py [--out /tmp/lag/lag7.csv]

y[t] = 0.95 y[t - 7] + N(0, 0.3), 500 values on a yearly calendar (1700-2199), so
the season is unknown to the forecaster (1) and lag 7 must be found, not given.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd


def lag_series(lag: int = 7, length: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=length)
    for t in range(lag, length):
        values[t] = 0.95 * values[t - lag] + 0.3 * rng.normal()
    return pd.DataFrame({"time": pd.date_range("1700-01-01", periods=length, freq="YS"),
                         "value": values})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/tmp/lag/lag7.csv")
    lag_series().to_csv(parser.parse_args().out, index=False)
