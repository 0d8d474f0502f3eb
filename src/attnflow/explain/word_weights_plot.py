"""Words and their attention weights, drawn as a matplotlib Figure."""

from __future__ import annotations

import numpy as np

from attnflow.explain._figure import pyplot

MAX_WORDS = 40  # words drawn per text; longer texts are cut with "..."


def plot_word_weights(rows, titles=None):
    """One panel per text: a bar per word, its height the word's weight.

    Args:
        rows: per text, (words, weights) with one weight per word (None for words the
            model did not read, e.g. punctuation or words past its last token).
        titles: one title per text (e.g. the prediction), or None.

    Returns:
        The matplotlib Figure (open; `figure.savefig(path)` writes it).
    """
    plt = pyplot()
    figure, axes = plt.subplots(len(rows), 1, figsize=(9, 2.2 * len(rows)), squeeze=False)
    for number, (ax, (words, weights)) in enumerate(zip(axes[:, 0], rows)):
        words, weights = list(words)[:MAX_WORDS], list(weights)[:MAX_WORDS]
        heights = np.array([0.0 if w is None else float(w) for w in weights])
        colors = ["0.8" if w is None else plt.cm.viridis(0.2 + 0.8 * h / max(heights.max(), 1e-9))
                  for w, h in zip(weights, heights)]
        positions = np.arange(len(words))
        ax.bar(positions, heights, color=colors)
        ax.set_xticks(positions, words, rotation=45, ha="right", fontsize=8)
        ax.set_ylabel("weight", fontsize=8)
        ax.set_ylim(0, max(heights.max() * 1.15, 1e-3))
        if titles:
            ax.set_title(titles[number], fontsize=9)
    figure.tight_layout()
    return figure
