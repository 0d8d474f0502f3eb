"""The image readers: a folder of class folders, a CSV of path,label, files to predict; their errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from attnflow.data.images import files_to_predict, load_images, read_labelled_images
from tests.image_files import picture, write_csv, write_folder, write_picture


def read(path, size=8, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = read_labelled_images(path, size, **kwargs)
    return data, [str(w.message) for w in caught]


def test_a_folder_of_class_folders(tmp_path):
    root = write_folder(tmp_path / "shapes", kinds=("top", "bottom"), per_class=3)
    write_picture(root / "top" / "deeper" / "more.png", "top", 16, np.random.default_rng(1))
    data, caught = read(root)
    assert caught == []
    assert data.classes == ["bottom", "top"] and data.images.shape == (7, 8, 8, 1)
    assert data.images.dtype == np.uint8
    np.testing.assert_array_equal(data.labels, [0, 0, 0, 1, 1, 1, 1])
    assert data.names[0].endswith("bottom/bottom_0.png") and data.names[3].endswith("top/deeper/more.png")
    # the band survives the resize: "top" images are brighter in their upper half
    upper, lower = data.images[:, :4].mean(axis=(1, 2, 3)), data.images[:, 4:].mean(axis=(1, 2, 3))
    np.testing.assert_array_equal(upper > lower, data.labels == 1)


def test_numbered_classes_sort_as_numbers_and_subset_keeps_them(tmp_path):
    rng = np.random.default_rng(0)
    for label in ("10", "2", "1"):
        write_picture(tmp_path / label / "a.png", "top", 8, rng)
    data, _ = read(tmp_path)
    assert data.classes == ["1", "2", "10"]
    part = data.subset([2, 0])
    assert part.classes == data.classes and part.labels.tolist() == [2, 0]


def test_colour_grey_and_forced_channels(tmp_path):
    rng = np.random.default_rng(0)
    write_picture(tmp_path / "a" / "grey.png", "top", 8, rng)
    write_picture(tmp_path / "b" / "colour.png", "top", 8, rng, colour=True)
    data, _ = read(tmp_path)
    assert data.images.shape == (2, 8, 8, 3)  # one colour image makes the set colour
    assert np.all(data.images[0, ..., 0] == data.images[0, ..., 2])  # grey stays grey in RGB
    grey, _ = read(tmp_path, channels=1)
    assert grey.images.shape == (2, 8, 8, 1)
    expected = np.round(data.images[1].astype(float) @ [0.299, 0.587, 0.114])
    np.testing.assert_allclose(grey.images[1, ..., 0], expected, atol=1)
    np.testing.assert_array_equal(grey.images[0, ..., 0], data.images[0, ..., 0])
    mean, std = grey.pixel_stats()
    assert len(mean) == 1 and mean[0] == pytest.approx(grey.images.mean())


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".bmp", ".gif", ".PNG"])
def test_every_image_format(tmp_path, suffix):
    write_folder(tmp_path, per_class=2, suffix=suffix)
    data, _ = read(tmp_path)
    assert data.images.shape == (4, 8, 8, 1)


def test_files_that_are_not_images_are_skipped_with_one_warning(tmp_path):
    root = write_folder(tmp_path / "data", per_class=2)
    (root / "top" / "notes.txt").write_text("hello")
    (root / "bottom" / "labels.json").write_text("{}")
    (root / "README").write_text("outside the class folders")
    data, caught = read(root)
    assert len(data) == 4 and len(caught) == 1
    assert "skipped 3 files that are not an image" in caught[0] and "notes.txt" in caught[0]


def test_hidden_files_and_folders_are_not_read(tmp_path):
    root = write_folder(tmp_path / "data", per_class=2)
    (root / "top" / ".ipynb_checkpoints").mkdir()
    (root / "top" / "top_0.png").rename(root / "top" / ".ipynb_checkpoints" / "top_0.png")
    (root / "bottom" / "._bottom_0.png").write_bytes(b"macOS metadata, no image")
    (root / ".DS_Store").write_bytes(b"finder")
    (root / "bottom" / "nested").mkdir()
    (root / "bottom" / "nested" / "notes.txt").write_text("hello")
    data, caught = read(root)
    assert len(data) == 3 and sorted(data.classes) == ["bottom", "top"]
    assert len(caught) == 1 and "skipped 1 file that is not an image" in caught[0]
    assert "bottom/nested/notes.txt" in caught[0]  # named by its path in the folder


@pytest.mark.parametrize("layout,message", [
    ({}, r"expected a folder with one sub-folder of images per class\. Received: data='.* \(empty\)'"),
    ({"loose.png": None}, r"one sub-folder of images per class\. Received: data='.* \(no sub-folders\)'"),
    ({"cats/a.png": None}, r"expected at least 2 class folders\. Received: data=\".* \(only 'cats'\)\""),
    ({"cats/a.png": None, "dogs/": None}, r"expected images in every class folder\. Received: class_folder='.*dogs \(empty\)'"),
    ({"cats/a.png": None, "dogs/a.txt": None}, r"class_folder='.*dogs \(no images, 1 other files\)'"),
    ({"cats/a.png": None, "dogs/a.png": b"not a png"}, r"expected image files that decode\. Received: image='.*dogs/a\.png \(not an image file that Pillow can read\)'"),
    ({"cats/a.png": None, "dogs/a.png": b""}, r"image='.*dogs/a\.png \(empty: 0 bytes\)'"),
    ({"train/cats/a.png": None, "train/cats/b.png": None, "train/dogs/a.png": None, "test/cats/a.png": None,
      "test/dogs/a.png": None}, r"expected one sub-folder of images per class; .* holds \['test', 'train'\], "
     r"each with the same sub-folders \['cats', 'dogs'\]: splits, not classes \(train on --data .*/train "
     r"with --test-data .*/test\)"),
])
def test_bad_folders(tmp_path, layout, message):
    rng = np.random.default_rng(0)
    for name, content in layout.items():
        path = tmp_path / name
        if name.endswith("/"):
            path.mkdir(parents=True)
        elif name.endswith(".png") and content is None:
            write_picture(path, "top", 8, rng)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"text" if content is None else content)
    with pytest.raises(ValueError, match=message):
        read(tmp_path)


def test_a_truncated_image_is_named(tmp_path):
    root = write_folder(tmp_path, per_class=2)
    broken = root / "top" / "top_1.png"
    broken.write_bytes(broken.read_bytes()[:60])
    with pytest.raises(ValueError, match=r"expected image files that decode\. Received: image='.*top_1\.png"):
        read(root)


def test_a_csv_of_paths_and_labels(tmp_path):
    rng = np.random.default_rng(0)
    for name, kind in (("a.png", "top"), ("b.png", "bottom"), ("sub/c.jpg", "top")):
        write_picture(tmp_path / "images" / name, kind, 10, rng)
    (tmp_path / "images" / "d.txt").write_text("no")
    table = write_csv(tmp_path / "labels.csv", [("images/a.png", "up"), ("images/b.png", "down"),
                                                ("images/sub/c.jpg", "up"), ("images/d.txt", "up")])
    data, caught = read(table)
    assert data.classes == ["down", "up"] and data.labels.tolist() == [1, 0, 1]
    assert len(caught) == 1 and "skipped 1 file that is not an image" in caught[0]
    again, _ = read(table, classes=["up", "down"])
    assert again.labels.tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match=r"expected labels among the training classes \['cat', 'dog'\]"):
        read(table, classes=["cat", "dog"])


def test_csv_errors_name_the_row(tmp_path):
    write_picture(tmp_path / "a.png", "top", 8, np.random.default_rng(0))
    table = write_csv(tmp_path / "labels.csv", [("a.png", "x"), ("missing.png", "y")])
    with pytest.raises(ValueError, match=r"expected image files that exist, named relative to the CSV's "
                                         r"folder .*\. Received: path=\"'missing\.png' \(row 2 of .*labels\.csv\)\""):
        read(table)
    other = tmp_path / "other.csv"
    other.write_text("file,label\na.png,x\n")
    with pytest.raises(ValueError, match=r"expected a column 'path' in .*other\.csv"):
        read(other)
    with pytest.raises(ValueError, match=r"expected a folder of class folders or a CSV of path,label that exists"):
        read(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="expected image_size to be a positive integer. Received: image_size=0"):
        read(table, size=0)


def test_files_to_predict(tmp_path):
    rng = np.random.default_rng(0)
    one = write_picture(tmp_path / "one.png", "top", 8, rng)
    write_picture(tmp_path / "more" / "b.png", "top", 8, rng)
    write_picture(tmp_path / "more" / "a" / "c.gif", "top", 8, rng)
    (tmp_path / "more" / "x.csv").write_text("a,b\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = files_to_predict([str(one), str(tmp_path / "more")])
    assert [f.name for f in files] == ["one.png", "c.gif", "b.png"] and len(caught) == 1
    with pytest.raises(ValueError, match=r"expected image files or folders that exist\. Received: input='nope.png'"):
        files_to_predict(["nope.png"])
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="expected at least one image file"):
        files_to_predict([str(tmp_path / "more" / "x.csv")])


def test_load_images_resizes_every_size_and_keeps_a_grey_palette_grey(tmp_path):
    rng = np.random.default_rng(0)
    big = tmp_path / "big.png"
    Image.fromarray(picture("left", 40, rng)).save(big)
    palette = tmp_path / "palette.gif"
    Image.fromarray(picture("top", 5, rng)).convert("P").save(palette)
    images = load_images([big, palette], 8)
    assert images.shape == (2, 8, 8, 1)
    assert images[0, :, :4].mean() > images[0, :, 4:].mean()  # the band on the left survives


def test_a_16_bit_grey_png_is_scaled_to_8_bits_not_clipped(tmp_path):
    ramp = np.linspace(0, 65535, 16 * 16).reshape(16, 16).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    image = load_images([tmp_path / "deep.png"], 16)[0, ..., 0]
    np.testing.assert_allclose(image, np.round(ramp / 257.0), atol=1)
    assert image.min() == 0 and image.max() == 255 and (image == 255).mean() < 0.01
