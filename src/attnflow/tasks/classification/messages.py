"""What the classification tasks print besides their scores: predictions, one line or
one CSV row per example. (The data loaders' warnings: attnflow._warnings.)"""

from __future__ import annotations

import numpy as np


def print_probabilities(names: list[str], probabilities, classes: list[str], output=None) -> None:
    """One line per example: its name, the predicted class and every class's probability;
    to stdout, or as CSV to `output`."""
    rows = []
    for name, row in zip(names, probabilities):
        best = int(np.argmax(row))
        rows.append((name, classes[best], row))
    if output:
        import csv

        with open(output, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["input", "predicted", *[f"p_{c}" for c in classes]])
            for name, predicted, row in rows:
                writer.writerow([name, predicted, *[f"{p:.6f}" for p in row]])
        print(f"predictions written to {output}")
        return
    for name, predicted, row in rows:
        shown = "  ".join(f"{c}={p:.3f}" for c, p in zip(classes, row))
        print(f"{name}\t{predicted}\t{shown}")
