"""Attention heatmaps: output tokens x source tokens, as a PNG or in the terminal."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attnflow._validation import fail
from attnflow.explain._figure import pyplot

SHADES = " ░▒▓█"


def _check(weights, source_tokens, output_tokens) -> np.ndarray:
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 2 or weights.shape[0] < len(output_tokens) \
            or weights.shape[1] != len(source_tokens):
        fail("weights of shape [len(output_tokens), len(source_tokens)]",
             weights_shape=weights.shape,
             tokens=(len(output_tokens), len(source_tokens)))
    return weights[:len(output_tokens)]


def _label(token: str) -> str:
    return "␣" if token == " " else token


def plot_attention(weights, source_tokens, output_tokens, path=None, title: str | None = None,
                   ax=None):
    """Draws attention weights as a heatmap with matplotlib.

    Args:
        weights: [len(output_tokens), len(source_tokens)] (extra rows, e.g.
            the end token's, are left out).
        source_tokens: column labels (spaces drawn as "␣").
        output_tokens: row labels.
        path: write a PNG there (the figure is then closed).
        title: the plot's title.
        ax: draw into these axes instead of a new figure.

    Returns:
        The path written, or the matplotlib Axes when `path` is None.
    """
    weights = _check(weights, source_tokens, output_tokens)
    plt = pyplot()

    figure = None
    if ax is None:
        width = max(3.0, 0.32 * len(source_tokens) + 1.5)
        height = max(2.0, 0.32 * len(output_tokens) + 1.2)
        figure, ax = plt.subplots(figsize=(width, height))
    image = ax.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(len(source_tokens)), [_label(t) for t in source_tokens])
    ax.set_yticks(range(len(output_tokens)), [_label(t) for t in output_tokens])
    ax.tick_params(labelsize=8, length=0)
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    if title:
        ax.set_title(title, fontsize=9)
    if path is None:
        return ax
    figure = figure or ax.figure
    figure.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return Path(path)


def terminal_heatmap(weights, source_tokens, output_tokens) -> str:
    """The heatmap as text: one row per output token, two shade characters per
    source token (" ░▒▓█" from weight 0 to 1), the source written on top."""
    weights = _check(weights, source_tokens, output_tokens)
    levels = np.clip(np.rint(weights * (len(SHADES) - 1)), 0, len(SHADES) - 1).astype(int)
    margin = max([len(_label(t)) for t in output_tokens] + [1]) + 1
    lines = [" " * margin + "".join(f"{_label(t)[:2]:<2}" for t in source_tokens)]
    for token, row in zip(output_tokens, levels):
        lines.append(f"{_label(token):>{margin - 1}} " + "".join(SHADES[i] * 2 for i in row))
    return "\n".join(lines)
