"""Write scikit-learn's 1,797 8x8 digits as a folder of PNGs, one sub-folder per class.

The image task's check on "a user's folder of small images of another kind"
(issue #15): `attnflow train image --data DIR` with the default settings.

Usage: python benchmarks/images/digits_folder.py DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits


def main(folder: str) -> None:
    digits = load_digits()
    root = Path(folder)
    for index, (image, label) in enumerate(zip(digits.images, digits.target)):
        pixels = np.round(image * (255 / 16)).astype(np.uint8)  # 0..16 -> 0..255
        target = root / str(label)
        target.mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels, mode="L").save(target / f"{index:04d}.png")
    print(f"{len(digits.target)} images in {root}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    main(sys.argv[1])
