"""A classifier's confusion matrix drawn as a PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from attnflow._validation import fail
from attnflow.explain._figure import pyplot, save_figure


def plot_confusion_matrix(matrix, classes: Sequence[str], path, title: str | None = None) -> Path:
    """Writes the confusion matrix (rows true, columns predicted) as a PNG, counts in the cells."""
    matrix = np.asarray(matrix, dtype=np.int64)
    if matrix.shape != (len(classes), len(classes)):
        fail(f"a {len(classes)}x{len(classes)} matrix", matrix_shape=matrix.shape)
    size = max(3.5, 0.5 * len(classes) + 2.0)
    figure, ax = pyplot().subplots(figsize=(size + 1.0, size))
    image = ax.imshow(matrix, cmap="Blues")
    ticks = range(len(classes))
    ax.set_xticks(ticks, [str(c) for c in classes], rotation=45, ha="right")
    ax.set_yticks(ticks, [str(c) for c in classes])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    middle = matrix.max() / 2 if matrix.size else 0
    for (row, column), value in np.ndenumerate(matrix):
        ax.text(column, row, str(value), ha="center", va="center", fontsize=8,
                color="white" if value > middle else "black")
    figure.colorbar(image, ax=ax, fraction=0.046)
    ax.set_title(title or "confusion matrix", fontsize=10)
    return save_figure(figure, path)
