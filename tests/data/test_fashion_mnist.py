"""Fashion-MNIST: idx files (gzipped or not) as Debian ships them, the keras fallback, the error."""

from __future__ import annotations

import gzip

import keras
import numpy as np
import pytest

from attnflow.data import fashion_mnist
from attnflow.data.fashion_mnist import CLASSES, load_fashion_mnist, read_idx


def idx_bytes(array: np.ndarray) -> bytes:
    """The idx encoding: 0x0000, 0x08 (unsigned bytes), the rank, each size big-endian, the data."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_set(directory, train=6, test=4, gzipped=True):
    rng = np.random.default_rng(0)
    arrays = {}
    for split, count in (("train", train), ("t10k", test)):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = (np.arange(count) % 10).astype(np.uint8)
        for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
            name = f"{split}-{kind}-ubyte"
            data = idx_bytes(array)
            if gzipped:
                (directory / f"{name}.gz").write_bytes(gzip.compress(data))
            else:
                (directory / name).write_bytes(data)
        arrays[split] = (images, labels)
    return arrays


@pytest.mark.parametrize("gzipped", [True, False])
def test_reads_the_idx_files(tmp_path, gzipped):
    arrays = write_idx_set(tmp_path, gzipped=gzipped)
    train, test = load_fashion_mnist(tmp_path)
    assert train.images.shape == (6, 28, 28, 1) and test.images.shape == (4, 28, 28, 1)
    np.testing.assert_array_equal(train.images[..., 0], arrays["train"][0])
    np.testing.assert_array_equal(test.labels, arrays["t10k"][1])
    assert train.classes == CLASSES and len(CLASSES) == 10
    assert test.names[:2] == ["fashion_mnist/test/0", "fashion_mnist/test/1"]


def test_a_bad_idx_file_is_named(tmp_path):
    path = tmp_path / "x-idx1-ubyte"
    path.write_bytes(b"\x00\x00\x0d\x01" + (3).to_bytes(4, "big") + b"abc")
    with pytest.raises(ValueError, match=r"expected an idx file of unsigned bytes .* Received: path="):
        read_idx(path)
    path.write_bytes(idx_bytes(np.zeros(5))[:-2])
    with pytest.raises(ValueError, match=r"expected an idx file of shape \(5,\)\. Received: path='.* \(3 values\)'"):
        read_idx(path)


def test_without_the_files_keras_datasets_is_asked(tmp_path, monkeypatch):
    images = np.zeros((3, 28, 28), np.uint8)
    labels = np.array([1, 2, 3], np.uint8)
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data",
                        lambda: ((images, labels), (images[:2], labels[:2])))
    train, test = load_fashion_mnist(tmp_path / "missing")
    assert train.images.shape == (3, 28, 28, 1) and test.labels.tolist() == [1, 2]


def test_without_the_files_or_a_network_the_error_says_how_to_get_them(tmp_path, monkeypatch):
    def offline():
        raise Exception("URL fetch failure on https://example.invalid/train-labels-idx1-ubyte.gz")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    with pytest.raises(ValueError, match=r"expected Fashion-MNIST: apt-get install dataset-fashion-mnist "
                                         r"\(or a network for keras.datasets.fashion_mnist\)\. Received: "
                                         r"dataset='fashion_mnist \(no idx files in .*missing; keras.datasets: URL fetch"):
        load_fashion_mnist(tmp_path / "missing")
    assert str(fashion_mnist.DEBIAN_DIR) == "/usr/share/datasets/fashion-mnist"
