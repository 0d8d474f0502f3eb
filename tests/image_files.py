"""Small generated image files for the image tests (no data set needed).

Two kinds of pictures that a tiny model tells apart: "top" has a bright band
in its upper half, "bottom" in its lower half ("left"/"right": the same with
columns), on dark noise; sizes vary, as a user's files do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

KINDS = ("top", "bottom", "left", "right")


def picture(kind: str, size: int, rng, colour: bool = False) -> np.ndarray:
    """uint8 [size, size] (or [size, size, 3]) with a bright band where `kind` says."""
    x = rng.uniform(0, 50, size=(size, size))
    half, band = size // 2, max(1, size // 6)
    start = int(rng.integers(0, half - band + 1)) + (half if kind in ("bottom", "right") else 0)
    if kind in ("top", "bottom"):
        x[start:start + band, :] = 255
    else:
        x[:, start:start + band] = 255
    x = x.astype(np.uint8)
    if colour:
        return np.stack([x, x // 2, 255 - x], axis=-1)
    return x


def write_picture(path: Path, kind: str, size: int, rng, colour: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(picture(kind, size, rng, colour)).save(path)
    return path


def write_folder(root: Path, kinds=("top", "bottom"), per_class: int = 10, sizes=(12, 20),
                 seed: int = 0, colour: bool = False, suffix: str = ".png") -> Path:
    """root/<kind>/<kind>_<n><suffix> for each kind; returns root."""
    rng = np.random.default_rng(seed)
    for kind in kinds:
        for number in range(per_class):
            size = int(rng.integers(sizes[0], sizes[1] + 1))
            write_picture(root / kind / f"{kind}_{number}{suffix}", kind, size, rng, colour)
    return root


def write_csv(path: Path, rows) -> Path:
    """A CSV of (path, label) rows, with a header."""
    lines = ["path,label", *[f"{file},{label}" for file, label in rows]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
