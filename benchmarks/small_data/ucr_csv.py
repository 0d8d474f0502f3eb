"""Writes aeon's bundled UCR/UEA sets as the long-format CSV files `attnflow train sequence --data` reads.

    python benchmarks/small_data/ucr_csv.py OUT_DIR ArrowHead GunPoint ...

For each set: OUT_DIR/<set>_train.csv and OUT_DIR/<set>_test.csv (the
official split), columns series_id, time, one column per channel (value,
or c0, c1, ...), label. Unequal-length series keep their own lengths.
The runs of docs/small-data.md were made with

    attnflow train sequence --data OUT_DIR/<set>_train.csv --test-data OUT_DIR/<set>_test.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from aeon.datasets import load_classification


def long_frame(series, labels, prefix: str) -> pd.DataFrame:
    """One row per (series, step) of a list or array of [channels, length] series."""
    rows = []
    for number, (values, label) in enumerate(zip(series, labels)):
        values = np.asarray(values, dtype=np.float64)  # [C, T]
        frame = pd.DataFrame(values.T, columns=["value"] if len(values) == 1 else
                             [f"c{c}" for c in range(len(values))])
        frame.insert(0, "time", np.arange(values.shape[1]))
        frame.insert(0, "series_id", f"{prefix}{number}")
        frame["label"] = label
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def main(out: str, names: list[str]) -> None:
    Path(out).mkdir(parents=True, exist_ok=True)
    for name in names:
        for split in ("train", "test"):
            series, labels = load_classification(name, split=split)
            path = Path(out) / f"{name}_{split}.csv"
            long_frame(series, labels, f"{split}_").to_csv(path, index=False)
            print(f"{path}: {len(labels)} series")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
