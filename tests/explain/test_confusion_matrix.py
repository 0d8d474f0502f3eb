"""The confusion matrix PNG."""

from __future__ import annotations

import numpy as np
import pytest

from attnflow.explain.confusion_matrix import plot_confusion_matrix

CLASSES = ["ant", "bee", "cat"]
MATRIX = np.array([[3, 1, 0],
                   [0, 2, 2],
                   [1, 0, 1]])


def test_confusion_matrix_png(tmp_path):
    path = plot_confusion_matrix(MATRIX, CLASSES, tmp_path / "cm.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000
    with pytest.raises(ValueError, match="a 2x2 matrix"):
        plot_confusion_matrix(MATRIX, CLASSES[:2], tmp_path / "bad.png")
