"""Fashion-MNIST (Xiao et al., 2017): 70,000 28x28 grey images of clothes in 10 classes.

Read from the idx files of Debian's package `dataset-fashion-mnist`
(/usr/share/datasets/fashion-mnist, gzipped or not); where they are missing,
from `keras.datasets.fashion_mnist` (its cache, or a download where a
network exists); where both fail, a ValueError says how to get them. The
official split: 60,000 training and 10,000 test images.
"""

from __future__ import annotations

import contextlib
import gzip
import io
from pathlib import Path

import numpy as np

from attnflow._validation import fail
from attnflow.data.images import ImageData

DATASET = "fashion_mnist"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot"]
FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
HOW_TO_GET = "apt-get install dataset-fashion-mnist (or a network for keras.datasets.fashion_mnist)"


def load_fashion_mnist(directory=None) -> tuple[ImageData, ImageData]:
    """(train, test) of Fashion-MNIST, images uint8 [N, 28, 28, 1].

    Args:
        directory: where the idx files are (default /usr/share/datasets/fashion-mnist).

    Raises:
        ValueError: neither the idx files nor keras.datasets could give them.
    """
    directory = Path(directory or DEBIAN_DIR)
    if all(_find(directory, name) for pair in FILES.values() for name in pair):
        parts = {split: (read_idx(_find(directory, images)), read_idx(_find(directory, labels)))
                 for split, (images, labels) in FILES.items()}
    else:
        parts = _from_keras(directory)
    return tuple(ImageData(images[..., None], labels.astype(np.int64), list(CLASSES),
                           [f"{DATASET}/{split}/{n}" for n in range(len(labels))])
                 for split, (images, labels) in parts.items())


def read_idx(path) -> np.ndarray:
    """The array of an idx file (gzipped or not): uint8 data of any rank."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        fail("a readable idx file", path=f"{path} ({error})")
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] != 0x08:
        fail("an idx file of unsigned bytes (magic 0x0000 08 rank)", path=str(path))
    rank = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank))
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * rank)
    if data.size != int(np.prod(shape)):
        fail(f"an idx file of shape {shape}", path=f"{path} ({data.size} values)")
    return data.reshape(shape)


def _find(directory: Path, name: str) -> Path | None:
    for candidate in (directory / f"{name}.gz", directory / name):
        if candidate.is_file():
            return candidate
    return None


def _from_keras(directory: Path) -> dict:
    import keras

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its "Downloading data from ..." line
            (train_x, train_y), (test_x, test_y) = keras.datasets.fashion_mnist.load_data()
    except Exception as error:  # keras raises a bare Exception on a failed download
        reason = " ".join(str(error).split())[:160]
        fail(f"Fashion-MNIST: {HOW_TO_GET}",
             dataset=f"{DATASET} (no idx files in {directory}; keras.datasets: {reason})")
    return {"train": (train_x, train_y), "test": (test_x, test_y)}
