"""ImageClassifier: the `image` task from Python, on image files or arrays of pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from attnflow._validation import fail
from attnflow.estimators.base import FILES_DIR
from attnflow.estimators.classifier import ClassifierEstimator, check_labels

PATH, LABEL = "path", "label"  # the columns of the table written for the run


class ImageClassifier(ClassifierEstimator):
    """Images -> a Vision Transformer with attention over patches (`attnflow train image`).

    Images are image files (a list of paths) or pixels: an array [N, height, width]
    or [N, height, width, 1 or 3] of integers in [0, 255] or floats in [0, 1], as
    Keras's datasets give them. Every image is resized to `image_size`.

    Every argument defaults to None: the task's default (the CLI's).

    Args:
        epochs, batch_size, seed, learning_rate, early_stopping: as `attnflow train`'s.
        image_size: side S the images are resized to (options.image_size).
        baselines: names of the baselines trained in the run ("cnn", "pixel_logreg").
        model: VisionTransformer settings (config.model), e.g. {"patch_size": 4}.
        options: other task settings (config.options).
        verbose: Keras's verbosity of fit ("auto", 0, 1 or 2).

    Example:
        >>> clf = ImageClassifier(epochs=5, image_size=28).fit(x_train, y_train)
        >>> clf.predict(x_test), clf.attention(x_test)   # a map over the patches per image
    """

    task_name = "image"
    _model_arguments = {}
    _option_arguments = ("image_size", "baselines")

    def __init__(self, *, epochs=None, batch_size=None, seed=None, learning_rate=None,
                 early_stopping=None, image_size=None, baselines=None, model=None, options=None,
                 verbose="auto"):
        self._keep(locals())  # one attribute per argument, as scikit-learn expects

    def fit(self, images, labels, *, test_data=None) -> "ImageClassifier":
        """Trains on `images` and their `labels`, as `attnflow train image --data FILE`
        would on a CSV of paths and labels: split class by class, baselines, metrics
        and a run directory (see `save`). With `test_data=(images, labels)`, trains
        on all of `images` and scores on those, as `--test-data`."""
        parts = [(images, labels, "train")]
        if test_data is not None:
            if not isinstance(test_data, tuple) or len(test_data) != 2:
                fail("test_data=(images, labels)", test_data=type(test_data).__name__)
            parts.append((*test_data, "test"))
        tables, writers, given = zip(*(_image_table(*part) for part in parts))
        self._remember_labels(given[0])

        def files(folder: Path) -> None:
            for write in writers:
                write(folder)

        return self._fit_table(tables[0], {"path_column": PATH, "label_column": LABEL},
                               tables[1] if len(tables) > 1 else None, files=files)

    def _part(self, images):
        from attnflow.data.images import ImageData, images_from_arrays

        task = self._task()
        options = task.options(self.config_)
        paths = _paths_or_none(images)
        if paths is not None:
            return task.prediction_inputs(paths, {}, options)
        pixels = images_from_arrays(images, options.image_size, options.channels)
        return ImageData(pixels, np.zeros(len(pixels), np.int64), options.classes,
                         [f"image {number}" for number in range(len(pixels))])


def _image_table(images, labels, name: str):
    """(a table of paths and labels, a function writing the images it names into a
    folder, the labels as given): files are named by their absolute paths, pixels
    written as PNGs."""
    import pandas as pd

    paths = _paths_or_none(images)
    if paths is not None:
        for path in paths:
            if not Path(path).is_file():
                fail("image files that exist", images=str(path))
        paths = [str(Path(path).resolve()) for path in paths]

        def write(folder):  # the files are where they are
            return None
    else:
        from attnflow.data.images import check_pixel_arrays

        pixels = check_pixel_arrays(images)
        paths = [f"{FILES_DIR}/{name}_{number}.png" for number in range(len(pixels))]

        def write(folder):
            from PIL import Image

            (Path(folder) / FILES_DIR).mkdir(exist_ok=True)
            for path, picture in zip(paths, pixels):
                Image.fromarray(picture.squeeze(-1) if picture.shape[-1] == 1 else picture).save(folder / path)
    labels = check_labels(labels, len(paths), "images")
    return pd.DataFrame({PATH: paths, LABEL: [str(label) for label in labels]}), write, labels


def _paths_or_none(images):
    """`images` as a list of path strings when it names files, else None (pixels)."""
    if isinstance(images, (str, Path)):
        fail("a list of image paths or an array of images, not one path", images=str(images))
    if isinstance(images, (list, tuple)) and images and all(isinstance(i, (str, Path)) for i in images):
        return [str(image) for image in images]
    if isinstance(images, (list, tuple)) and not images:
        fail("at least one image", images="0 images")
    return None
