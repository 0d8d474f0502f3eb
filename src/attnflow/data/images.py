"""Image classification data: a folder of class folders, a CSV of path,label, or files to predict.

A folder holds one sub-folder per class (the layout of
`keras.utils.image_dataset_from_directory`), each with its images at any
depth; a CSV names each image's path (relative to the CSV's folder) and
label. PNG, JPEG, BMP and GIF files of any size, grey or colour, are read
with Pillow (16-bit grey PNGs scaled to 8 bits) and resized to
`image_size` x `image_size` (stretched, as Keras does). Other files are skipped with one warning that counts them; an image
file that does not decode is an error naming it.

Images are kept as uint8 [N, S, S, C]: C = 1 when every image is grey,
else 3 (unless the run fixed the channels); the model standardizes them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from attnflow._validation import check_positive_int, fail
from attnflow.data._table_files import (
    check_columns, encode_labels, label_strings, read_table, row_numbers, sorted_classes)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


@dataclass
class ImageData:
    """Images with integer labels.

    Attributes:
        images: uint8 [N, S, S, C].
        labels: int64 [N], indices into `classes` (zeros when unlabelled).
        classes: the class names, numbers in numeric order, then alphabetical.
        names: N names of the images (their paths, or "fashion_mnist/test/17").
    """

    images: np.ndarray
    labels: np.ndarray
    classes: list[str]
    names: list[str]

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, indices) -> "ImageData":
        indices = np.asarray(indices, dtype=np.int64)
        return ImageData(self.images[indices], self.labels[indices], self.classes,
                         [self.names[i] for i in indices])

    def pixel_stats(self) -> tuple[list[float], list[float]]:
        """Mean and standard deviation of each channel's pixel values (std 1 where constant)."""
        pixels = self.images.reshape(-1, self.images.shape[-1]).astype(np.float64)  # [N*S*S, C]
        mean, std = pixels.mean(axis=0), pixels.std(axis=0)
        return mean.tolist(), np.where(std > 1e-6, std, 1.0).tolist()


def read_labelled_images(path, image_size: int, classes: list[str] | None = None,
                         channels: int | None = None, path_column: str = "path",
                         label_column: str = "label") -> ImageData:
    """The images of a folder of class folders, or of a CSV of path,label.

    Args:
        path: the folder, or a .csv/.tsv file.
        image_size: side S the images are resized to.
        classes: the run's classes (evaluating a trained run); labels
            outside them are an error. None: the classes found.
        channels: 1 or 3 to convert every image to; None: 1 when all are grey.
        path_column, label_column: the CSV's columns.
    """
    check_positive_int("image_size", image_size)
    source = Path(path)
    if source.is_dir():
        files, labels = folder_files(source)
        label_name = "folder"
    elif source.is_file():
        files, labels = table_files(source, path_column, label_column)
        label_name = label_column
    else:
        fail("a folder of class folders or a CSV of path,label that exists", data=str(path))
    indices, classes = encode_labels(labels, classes, label_name, str(source))
    images = load_images(files, image_size, channels)
    return ImageData(images, np.asarray(indices, np.int64), classes, [str(f) for f in files])


def folder_files(directory: Path) -> tuple[list[Path], list[str]]:
    """(image files, their labels) of a folder with one sub-folder per class."""
    folders = sorted((p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.name)
    if not folders:
        fail("a folder with one sub-folder of images per class", data=f"{directory} "
             f"({'empty' if not any(directory.iterdir()) else 'no sub-folders'})")
    if len(folders) < 2:
        fail("at least 2 class folders", data=f"{directory} (only {folders[0].name!r})")
    _check_not_a_split(directory, folders)
    order = sorted_classes([folder.name for folder in folders])
    files, labels, skipped = [], [], []
    for folder in sorted(folders, key=lambda folder: order.index(folder.name)):
        images, others = split_image_files(visible_files(folder))
        skipped += others
        if not images:
            what = "empty" if not others else f"no images, {len(others)} other files"
            fail("images in every class folder", class_folder=f"{folder} ({what})")
        files += images
        labels += [folder.name] * len(images)
    outside = [p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")]
    warn_skipped(skipped + outside, f"{directory}", root=directory)
    return files, labels


def visible_files(folder: Path) -> list[Path]:
    """The files under `folder` at any depth, but none hidden or in a hidden folder
    (.ipynb_checkpoints, macOS's ._name.jpg and .DS_Store): copies and metadata, not data."""
    return [file for file in folder.rglob("*") if file.is_file()
            and not any(part.startswith(".") for part in file.relative_to(folder).parts)]


def _check_not_a_split(directory: Path, folders: list[Path]) -> None:
    """Raises ValueError for a folder of splits (train/, test/, each with the same class
    folders and no image of its own), which would otherwise train "train" against "test"."""
    inner = [{p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")}
             for folder in folders]
    own_images = any(split_image_files(p for p in folder.iterdir() if p.is_file())[0] for folder in folders)
    if own_images or not inner[0] or any(names != inner[0] for names in inner):
        return
    by_size = sorted(folders, key=lambda folder: -len(split_image_files(visible_files(folder))[0]))
    fail(f"one sub-folder of images per class; {directory} holds {[folder.name for folder in folders]}, "
         f"each with the same sub-folders {sorted(inner[0])[:5]}: splits, not classes (train on "
         f"--data {by_size[0]} with --test-data {by_size[-1]})", data=str(directory))


def table_files(path: Path, path_column: str, label_column: str) -> tuple[list[Path], list[str]]:
    """(image files, their labels) of a CSV/TSV of paths (relative to its folder) and labels."""
    frame = read_table(path, keep_default_na=False)
    check_columns(frame, str(path), path_col=path_column, label_col=label_column)
    labels = label_strings(frame[label_column], label_column, str(path))
    paths = [str(value).strip() for value in frame[path_column]]
    files, kept_labels, skipped = [], [], []
    for row, (name, label) in enumerate(zip(paths, labels)):
        file = path.parent / name if name else None
        if file is None or not file.is_file():
            fail(f"image files that exist, named relative to the CSV's folder {path.parent}",
                 path=f"{name!r} (row {row_numbers([row])} of {path})")
        if file.suffix.lower() in IMAGE_SUFFIXES:
            files.append(file)
            kept_labels.append(label)
        else:
            skipped.append(file)
    warn_skipped(skipped, str(path))
    if not files:
        fail(f"image files ({', '.join(IMAGE_SUFFIXES)}) in column {path_column!r}",
             data=f"{path} (no image among {len(paths)} rows)")
    return files, kept_labels


def files_to_predict(inputs: list[str]) -> list[Path]:
    """The image files named by `inputs`: files, and folders read at any depth."""
    files, skipped = [], []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            images, others = split_image_files(visible_files(path))
            files += images
            skipped += others
        elif path.is_file():
            images, others = split_image_files([path])
            files += images
            skipped += others
        else:
            fail("image files or folders that exist", input=name)
    warn_skipped(skipped, "the inputs")
    if not files:
        fail(f"at least one image file ({', '.join(IMAGE_SUFFIXES)}) to classify", inputs=inputs)
    return files


def split_image_files(paths) -> tuple[list[Path], list[Path]]:
    """(image files by their suffix, sorted; the other files)."""
    images, others = [], []
    for path in sorted(paths):
        (images if path.suffix.lower() in IMAGE_SUFFIXES else others).append(path)
    return images, others


def warn_skipped(skipped: list[Path], source: str, root: Path | None = None) -> None:
    """One warning naming the first few files skipped (relative to `root` when given)."""
    if skipped:
        shown = ", ".join(str(p.relative_to(root)) if root is not None else p.name for p in skipped[:3]) \
            + (", ..." if len(skipped) > 3 else "")
        warnings.warn(f"{source}: skipped {len(skipped)} file{'s' * (len(skipped) > 1)} that "
                      f"{'are' if len(skipped) > 1 else 'is'} not an image "
                      f"({', '.join(IMAGE_SUFFIXES)}): {shown}")


def load_images(files: list[Path], image_size: int, channels: int | None = None) -> np.ndarray:
    """uint8 [N, S, S, C] of image files, resized; C = `channels`, or 1 when all are grey, else 3.

    Raises:
        ValueError: a file that does not decode as an image (named).
    """
    if channels not in (None, 1, 3):
        fail("channels to be 1, 3 or None", channels=channels)
    images = np.zeros((len(files), image_size, image_size, 3), np.uint8)
    for number, file in enumerate(files):
        images[number] = load_image(file, image_size)
    return _with_channels(images, channels)


def images_from_arrays(arrays: np.ndarray, image_size: int, channels: int | None = None) -> np.ndarray:
    """uint8 [N, S, S, C] of images given as pixels, resized as image files are.

    Args:
        arrays: [N, H, W] or [N, H, W, C] with C 1 or 3: integers in [0, 255], or
            floats in [0, 1] (scaled by 255) or [0, 255].
        image_size, channels: as `load_images`'.
    """
    from PIL import Image

    pixels = check_pixel_arrays(arrays)
    images = np.zeros((len(pixels), image_size, image_size, 3), np.uint8)
    for number, picture in enumerate(pixels):
        rgb = Image.fromarray(picture.squeeze(-1) if picture.shape[-1] == 1 else picture).convert("RGB")
        if rgb.size != (image_size, image_size):
            rgb = rgb.resize((image_size, image_size), Image.Resampling.BILINEAR)
        images[number] = np.asarray(rgb, dtype=np.uint8)
    return _with_channels(images, channels)


def check_pixel_arrays(arrays) -> np.ndarray:
    """Images given as pixels, as uint8 [N, H, W, C] (C 1 or 3); see `images_from_arrays`."""
    pixels = np.asarray(arrays)
    if pixels.ndim == 3:
        pixels = pixels[..., None]
    if pixels.ndim != 4 or pixels.shape[-1] not in (1, 3) or 0 in pixels.shape:
        fail("images as an array [N, height, width] or [N, height, width, 1 or 3]",
             images=f"shape {pixels.shape}")
    if not (np.issubdtype(pixels.dtype, np.integer) or np.issubdtype(pixels.dtype, np.floating)):
        fail("pixel values that are numbers", images=f"dtype {pixels.dtype}")
    if not np.isfinite(pixels).all() or pixels.min() < 0 or pixels.max() > 255:
        fail("pixel values in [0, 255] (or floats in [0, 1])",
             images=f"values {pixels.min()} .. {pixels.max()}")
    if np.issubdtype(pixels.dtype, np.floating) and pixels.max() <= 1.0:
        pixels = pixels * 255.0
    return np.round(pixels).astype(np.uint8)


def _with_channels(images: np.ndarray, channels: int | None) -> np.ndarray:
    """RGB images [N, S, S, 3] with `channels` (None: 1 when every image is grey, else 3)."""
    grey = bool(np.all(images[..., :1] == images[..., 1:])) if channels is None else channels == 1
    if grey:
        if channels is None or np.all(images[..., :1] == images[..., 1:]):
            return images[..., :1].copy()
        return np.round(images @ np.array([0.299, 0.587, 0.114]))[..., None].astype(np.uint8)
    return images


def load_image(file: Path, image_size: int) -> np.ndarray:
    """uint8 [S, S, 3] of one image file (the first frame of an animated GIF)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(file) as image:
            image.load()
            rgb = _wide_to_8_bits(image).convert("RGB")
    except UnidentifiedImageError:
        what = "empty: 0 bytes" if file.stat().st_size == 0 else "not an image file that Pillow can read"
        fail("image files that decode", image=f"{file} ({what})")
    except (OSError, SyntaxError, ValueError) as error:
        reason = " ".join(str(error).replace(str(file), "").split()) or type(error).__name__
        fail("image files that decode", image=f"{file} ({reason})")
    if rgb.size != (image_size, image_size):
        rgb = rgb.resize((image_size, image_size), Image.Resampling.BILINEAR)
    return np.asarray(rgb, dtype=np.uint8)


def _wide_to_8_bits(image):
    """A 16-bit grey image (PNG's "I;16" or "I") scaled to 8 bits, 65535 -> 255; others as they are.
    (Pillow's own conversion clips at 255, which turns nearly every 16-bit pixel white.)"""
    from PIL import Image

    if not image.mode.startswith("I"):
        return image
    pixels = np.asarray(image, dtype=np.float64) / 257.0
    return Image.fromarray(np.clip(np.round(pixels), 0, 255).astype(np.uint8), mode="L")
