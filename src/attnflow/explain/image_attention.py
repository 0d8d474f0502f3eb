"""Attention maps over images: a patch map upsampled and laid over its image, as PNGs."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from attnflow._validation import fail
from attnflow.explain._figure import pyplot, save_figure

OVERLAY_ALPHA = 0.55  # enough of the map to read it, enough of the image to see what it covers


def upsample_map(patch_map, height: int, width: int) -> np.ndarray:
    """A patch map [rows, columns] spread over the pixels [height, width], bilinearly.

    Each patch's value sits at its centre; pixels between centres are
    interpolated, pixels beyond the outer centres take the nearest one.
    The result is scaled to sum to the map's sum.
    """
    patch_map = np.asarray(patch_map, dtype=np.float64)
    if patch_map.ndim != 2 or min(patch_map.shape) < 1:
        fail("a patch map of shape [rows, columns]", patch_map_shape=patch_map.shape)
    rows, columns = patch_map.shape
    y = (np.arange(height) + 0.5) * rows / height - 0.5  # pixel centres in patch units
    x = (np.arange(width) + 0.5) * columns / width - 0.5
    along_rows = np.stack([np.interp(y, np.arange(rows), patch_map[:, c]) for c in range(columns)], 1)
    pixels = np.stack([np.interp(x, np.arange(columns), row) for row in along_rows])  # [H, W]
    total = pixels.sum()
    return pixels * (patch_map.sum() / total) if total > 0 else pixels


def _draw(ax, image, patch_map, title: str, color: str = "black") -> None:
    image = np.asarray(image)
    grey = image.shape[-1] == 1
    ax.imshow(image[..., 0] if grey else image, cmap="gray" if grey else None, vmin=0, vmax=255)
    if patch_map is not None:
        ax.imshow(upsample_map(patch_map, *image.shape[:2]), cmap="inferno", alpha=OVERLAY_ALPHA)
    ax.set_title(title, fontsize=8, color=color)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_attention_grid(images, maps, titles: Sequence[str], path, wrong: Sequence[bool] = (),
                        columns: int = 4, title: str | None = None) -> Path:
    """Writes a grid of images, each with its attention map laid over it, as a PNG.

    Args:
        images: uint8 [N, H, W, C] (C = 1 or 3).
        maps: [N, rows, columns] attention over the patches (e.g. from
            `attnflow.explain.attention_rollout.patch_attention`).
        titles: N captions.
        path: the PNG to write.
        wrong: N flags; a flagged caption is red (e.g. misclassified).
        columns: images per row (default 4).
        title: the figure's title.

    Returns:
        `path`.
    """
    images, maps = np.asarray(images), np.asarray(maps)
    if len(images) == 0 or len(images) != len(maps) or len(titles) != len(images):
        fail("as many maps and titles as images (at least one)",
             images=len(images), maps=len(maps), titles=len(titles))
    columns = min(columns, len(images))
    rows = -(-len(images) // columns)
    figure, axes = pyplot().subplots(rows, columns, figsize=(2.3 * columns, 2.5 * rows),
                                     squeeze=False)
    for number, ax in enumerate(axes.flat):
        if number >= len(images):
            ax.axis("off")
            continue
        flagged = bool(wrong[number]) if len(wrong) else False
        _draw(ax, images[number], maps[number], titles[number], "red" if flagged else "black")
    if title:
        figure.suptitle(title, fontsize=10)
    return save_figure(figure, path)


def plot_image_attention(image, patch_map, path, title: str = "") -> Path:
    """Writes one image beside itself with its attention map laid over it, as a PNG."""
    figure, (left, right) = pyplot().subplots(1, 2, figsize=(5.0, 2.8))
    _draw(left, image, None, "image")
    _draw(right, image, patch_map, "attention rollout")
    if title:
        figure.suptitle(title, fontsize=9)
    return save_figure(figure, path)
