"""Attention over the time steps of one series, with the series drawn under it."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from attnflow._validation import fail
from attnflow.explain._figure import pyplot, save_figure

MAX_LEGEND = 24  # features named in the legend (beside the plot, never over the lines); more: counted


def plot_sequence_attention(values, weights, path, feature_names: Sequence[str] | None = None,
                            title: str | None = None) -> Path:
    """Writes a PNG: attention weight per time step above, the features below.

    Steps where any feature is NaN (padding, missing values) carry no
    attention and are left out of both panels; the x axis counts the
    series' own steps.

    Args:
        values: the series [T, F] (NaN at padded or missing steps).
        weights: attention per step [T], or per head [H, T] (drawn as the
            mean with the heads faintly behind it).
        path: the PNG to write (None: return the matplotlib Figure instead).
        feature_names: F names for the legend (default "feature 0", ...).
        title: the figure's title.

    Returns:
        The path written, or the Figure when `path` is None.
    """
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    if values.ndim != 2:
        fail("values of shape [T, F]", values_shape=values.shape)
    if weights.ndim not in (1, 2) or weights.shape[-1] != values.shape[0]:
        fail(f"weights of shape [T] or [H, T] with T={values.shape[0]}", weights_shape=weights.shape)
    names = list(feature_names) if feature_names is not None else \
        [f"feature {i}" for i in range(values.shape[1])]
    if len(names) != values.shape[1]:
        fail(f"{values.shape[1]} feature names", feature_names=names)
    real = np.isfinite(values).all(axis=1)  # [T]
    if not real.any():
        fail("a series with at least one step free of NaN", values="NaN in every step")
    steps = np.flatnonzero(real)
    heads = weights.reshape(-1, weights.shape[-1])[:, real]  # [H, T_real]

    figure, (top, bottom) = pyplot().subplots(
        2, 1, sharex=True, figsize=(max(6.0, min(14.0, 0.08 * len(steps) + 5)), 5.0),
        gridspec_kw={"height_ratios": [1, 2]})
    if len(heads) > 1:
        for head in heads:
            top.plot(steps, head, color="tab:orange", alpha=0.25, linewidth=0.8)
    top.bar(steps, heads.mean(axis=0), width=0.9, color="tab:orange")
    top.set_ylabel("attention")
    top.set_ylim(bottom=0.0)
    for number, name in enumerate(names):
        bottom.plot(steps, values[real, number], linewidth=1.0,
                    label=name if number < MAX_LEGEND else None)
    if len(names) > MAX_LEGEND:  # an empty entry that says how many lines go unnamed
        bottom.plot([], [], linestyle="none", label=f"+{len(names) - MAX_LEGEND} more")
    bottom.set_xlabel("time step")
    bottom.set_ylabel("value")
    if names:  # outside the axes, right of them: every feature named, no line covered
        bottom.legend(fontsize=7, ncol=1 if len(names) <= 12 else 2, loc="upper left",
                      bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False)
    if title:
        top.set_title(title, fontsize=10)
    return save_figure(figure, path)
