"""matplotlib without a display, and writing a figure as a PNG."""

from __future__ import annotations

from pathlib import Path


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display needed); in a Jupyter
    kernel, on the notebook's own backend, so figures show inline."""
    import sys

    import matplotlib

    if "ipykernel" not in sys.modules:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, path, dpi: int = 100):
    """Lays out `figure`, writes it to `path` (creating its folder) and closes it;
    returns the path. With `path` None, returns the laid-out figure, open, instead."""
    figure.tight_layout()
    if path is None:
        return figure
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=dpi)
    pyplot().close(figure)
    return path
