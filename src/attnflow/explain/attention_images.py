"""Attention matrices as small RGB images, for TensorBoard (`tf.summary.image`).

No plotting library: each weight is a square of `cell` pixels, white (0) to
red (the matrix's largest weight), so an image costs microseconds per epoch.
"""

from __future__ import annotations

import numpy as np

MAX_WIDTH = 480  # pixels: long inputs get smaller cells
MIN_HEIGHT = 24  # pixels: a one-row matrix (a classifier's weights) still shows as a strip
RED = np.array([214, 39, 40], np.float64)


def matrix_image(weights, cell: int | None = None) -> np.ndarray:
    """weights [rows, columns] (None/NaN: no weight) -> uint8 image [height, width, 3]."""
    matrix = np.array([[np.nan if w is None else w for w in row] for row in np.atleast_2d(weights)],
                      dtype=np.float64)
    rows, columns = matrix.shape
    cell = cell or int(np.clip(MAX_WIDTH // max(columns, 1), 2, 16))
    largest = np.nanmax(matrix) if np.isfinite(matrix).any() else 0.0
    share = np.nan_to_num(matrix / largest if largest > 0 else matrix * 0.0)[..., None]  # [rows, columns, 1]
    colours = 255.0 * (1.0 - share) + RED * share  # white -> red
    image = np.repeat(np.repeat(colours, cell, axis=0), cell, axis=1)
    if image.shape[0] < MIN_HEIGHT:
        image = np.repeat(image, -(-MIN_HEIGHT // image.shape[0]), axis=0)
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def example_images(examples: list[dict]) -> dict[str, np.ndarray]:
    """{"attention/example_<n>": image} of each explorer example's first view and head
    (the weights `predict --show-attention` shows)."""
    return {f"attention/example_{number}": matrix_image(example["views"][0]["heads"][0]["weights"])
            for number, example in enumerate(examples, 1)}
