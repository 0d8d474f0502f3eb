"""Attention over time steps above the series: a PNG, padded steps left out."""

from __future__ import annotations

import numpy as np
import pytest

from attnflow.explain import sequence_plot
from attnflow.explain.sequence_plot import plot_sequence_attention


def test_writes_a_png_of_the_real_steps(tmp_path, monkeypatch):
    values = np.arange(12, dtype=float).reshape(6, 2)
    values[4:] = np.nan  # padding
    weights = np.array([0.1, 0.2, 0.3, 0.4, 0.0, 0.0])
    drawn = {}
    import matplotlib.axes

    bar = matplotlib.axes.Axes.bar

    def record_bar(self, x, height, *args, **kwargs):
        drawn["steps"], drawn["heights"] = list(x), list(height)
        return bar(self, x, height, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "bar", record_bar)
    path = plot_sequence_attention(values, weights, tmp_path / "s.png", ["x", "y"], title="s1")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert drawn == {"steps": [0, 1, 2, 3], "heights": [0.1, 0.2, 0.3, 0.4]}
    heads = np.array([[0.2, 0.2, 0.6, 0.0, 0, 0], [0.0, 0.2, 0.0, 0.8, 0, 0]])
    plot_sequence_attention(values, heads, tmp_path / "h.png")
    assert drawn["heights"] == pytest.approx([0.1, 0.2, 0.3, 0.4])  # the heads' mean
    assert sequence_plot.MAX_LEGEND >= 2


@pytest.mark.parametrize("values, weights, names, message", [
    (np.ones((3, 2)), np.ones(4), None, "weights of shape \\[T\\] or \\[H, T\\] with T=3"),
    (np.ones(3), np.ones(3), None, "values of shape \\[T, F\\]"),
    (np.ones((3, 2)), np.ones(3), ["a"], "2 feature names"),
    (np.full((3, 2), np.nan), np.ones(3), None, "at least one step free of NaN"),
])
def test_bad_inputs(tmp_path, values, weights, names, message):
    with pytest.raises(ValueError, match=message):
        plot_sequence_attention(values, weights, tmp_path / "x.png", names)
    assert not (tmp_path / "x.png").exists()


def test_the_legend_names_every_feature_beside_the_lines(tmp_path, monkeypatch):
    # JapaneseVowels: 12 features, each named, the legend right of the plot, not over it
    figures = []
    save = sequence_plot.save_figure

    def keep(figure, path, **kwargs):
        figure.canvas.draw()
        bottom = figure.axes[1]
        legend = bottom.get_legend()
        figures.append(([text.get_text() for text in legend.get_texts()],
                        legend.get_window_extent(), bottom.get_window_extent()))
        return save(figure, path, **kwargs)

    monkeypatch.setattr(sequence_plot, "save_figure", keep)
    values = np.random.default_rng(0).normal(size=(20, 12))
    names = [f"coefficient {i}" for i in range(12)]
    plot_sequence_attention(values, np.full(20, 0.05), tmp_path / "v.png", names)
    labels, legend_box, axes_box = figures[0]
    assert labels == names
    assert legend_box.x0 >= axes_box.x1  # beside the axes: no line is covered
    many = np.ones((5, sequence_plot.MAX_LEGEND + 3))
    plot_sequence_attention(many, np.full(5, 0.2), tmp_path / "m.png")
    assert figures[1][0][-1] == "+3 more"
