"""Prints the accuracy table of docs/small-data.md from runs' metrics.json files.

    python benchmarks/small_data/table.py RUN [RUN ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

COLUMNS = ("no_attention", "1nn_euclidean", "minirocket", "tfidf_logreg", "tfidf_char_logreg")

if __name__ == "__main__":
    for run in sys.argv[1:]:
        metrics = json.loads((Path(run) / "metrics.json").read_text())
        baselines = metrics.get("baselines", {})
        cells = [f"{baselines[name]['accuracy']:.3f}" if name in baselines else "" for name in COLUMNS]
        print(f"| {Path(run).name} | {metrics['test']['accuracy']:.3f} | " + " | ".join(cells)
              + f" | {metrics.get('epochs', '')} | {metrics.get('train_seconds', 0):.0f} |")
